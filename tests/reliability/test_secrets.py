"""Issue 5 item 5, unit half: the token never appears in exception text, warnings or URLs on any
failure path; it only ever travels as ``Authorization: Bearer`` to the API's own origin; a token
pasted into ``api_url`` is refused without being echoed. (The end-to-end half, with -vvvv,
.netrc and a cross-host redirect, is in test_failure_paths_e2e.py.)
"""

import traceback

import pytest
import requests
from hypothesis import given, settings, strategies as st

from rel_helpers import RUN_OK
from testkit.fakes import SENTINEL, Answer, fake_client

from ansible_collections.altostrat.cloud.plugins.module_utils._client import BearerAuth, Client
from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratError, AltostratInputError
from ansible_collections.altostrat.cloud.plugins.module_utils._validate import check_api_url

PATHS = {
    '401': Answer(401, {'message': 'Unauthenticated.', 'code': 'unauthenticated'}, reason='Unauthorized'),
    '403': Answer(403, {'message': 'Forbidden.'}, reason='Forbidden'),
    '404': Answer(404, {'message': 'Workflow run not found.'}, reason='Not Found'),
    '500': Answer(500, {'message': 'Server Error.'}),
    '503': Answer(503, {'message': 'Server Error.'}, {'Content-Type': 'application/json', 'Retry-After': '1'}),
    'html': Answer(502, b'<html>502 Bad Gateway</html>', {'Content-Type': 'text/html'}),
    'timeout': Answer(exc=requests.exceptions.ReadTimeout('HTTPSConnectionPool: Read timed out.')),
    'tls': Answer(exc=requests.exceptions.SSLError('[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed')),
    'dns': Answer(exc=requests.exceptions.ConnectionError('Failed to resolve altostrat.invalid')),
    'reset': Answer(exc=requests.exceptions.ConnectionError('Connection reset by peer')),
    'not-json': Answer(200, b'oops', {'Content-Type': 'application/json'}),
    'wrong-shape': Answer(200, {'id': 'fl_run_x'}),
}


def _all_text(exc):
    chain = ''.join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return ' '.join([str(exc), repr(exc), repr(exc.args), repr(vars(exc)), chain])


@pytest.mark.parametrize('path', sorted(PATHS))
@pytest.mark.parametrize('call', ['get', 'start', 'start-key'])
def test_token_absent_from_errors_and_warnings_on_every_failure_path(path, call):
    client = fake_client([PATHS[path]], http_retries=2)
    with pytest.raises(AltostratError) as info:
        if call == 'get':
            client.get_run('fl_run_x')
        else:
            client.start_run('fl_wf', {'a': 1}, idempotency_key='k' if call == 'start-key' else None)
    assert SENTINEL not in _all_text(info.value)
    assert all(SENTINEL not in warning for warning in client.warnings)
    for request in client.adapter.sent:
        assert SENTINEL not in request.url and SENTINEL not in (request.body or b'').decode()
        assert request.headers['Authorization'] == 'Bearer ' + SENTINEL


def test_token_is_not_in_client_or_session_reprs():
    client = fake_client([Answer(200, RUN_OK)])
    assert SENTINEL not in repr(client) and SENTINEL not in repr(client.session.headers)
    assert SENTINEL not in repr(vars(client)).replace(repr(client.session), '')


def test_bearer_auth_repr_names_the_origin_not_the_token():
    client = fake_client([Answer(200, RUN_OK)])
    text = repr(client.session.auth)
    assert SENTINEL not in text and 'api.test' in text


def test_bearer_auth_signs_only_its_own_origin():
    auth = BearerAuth(SENTINEL, ('https', 'api.test', 443))
    for url, signed in [('https://api.test/x', True), ('https://api.test:443/x', True), ('https://API.test/x', True),
                        ('http://api.test/x', False), ('https://api.test:8443/x', False),
                        ('https://evil.test/x', False), ('https://api.test.evil.test/x', False)]:
        request = requests.Request('GET', url, headers={'Authorization': 'Bearer stale'}).prepare()
        auth(request)
        assert (request.headers.get('Authorization') == 'Bearer ' + SENTINEL) is signed, url
        if not signed:
            assert 'Authorization' not in request.headers


def test_netrc_is_ignored(tmp_path, monkeypatch):
    (tmp_path / '.netrc').write_text('machine api.test login someone password netrc-password\n')
    monkeypatch.setenv('HOME', str(tmp_path))
    monkeypatch.setenv('NETRC', str(tmp_path / '.netrc'))
    client = fake_client([Answer(200, RUN_OK)])
    client.get_run('fl_run_x')
    assert client.session.trust_env is False
    assert client.adapter.sent[0].headers['Authorization'] == 'Bearer ' + SENTINEL


@pytest.mark.parametrize('answer', [
    Answer(401, {'message': 'Invalid token Bearer %s' % SENTINEL, 'code': 'unauthenticated'}),
    Answer(502, ('<pre>Authorization: Bearer %s</pre>' % SENTINEL).encode(), {'Content-Type': 'text/html'}),
], ids=['401-json', 'proxy-html'])
def test_token_echoed_by_the_server_is_redacted(answer):
    client = fake_client([answer], http_retries=1)
    with pytest.raises(AltostratError) as info:
        client.get_run('fl_run_x')
    assert SENTINEL not in str(info.value) and all(SENTINEL not in w for w in client.warnings)


URLS = ['https://%s@v1.api.altostrat.io', 'https://user:%s@v1.api.altostrat.io', 'https://v1.api.altostrat.io/?token=%s',
        'https://v1.api.altostrat.io?%s', 'https://v1.api.altostrat.io/#%s', 'ftp://%s@v1.api.altostrat.io',
        '%s', 'https://v1.api.altostrat.io/api?access_token=%s&x=1']


@pytest.mark.parametrize('template', URLS)
def test_token_in_api_url_is_refused_and_not_echoed(template):
    with pytest.raises(AltostratInputError) as info:
        Client('t', api_url=template % SENTINEL)
    assert SENTINEL not in str(info.value)


def test_token_in_api_url_port_is_not_echoed():
    with pytest.raises(AltostratInputError) as info:
        check_api_url('https://v1.api.altostrat.io:%s/' % SENTINEL)
    assert SENTINEL not in str(info.value)


@settings(max_examples=200)
@given(secret=st.text(alphabet='abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~', min_size=12,
                      max_size=40),
       where=st.sampled_from(['user', 'password', 'query', 'fragment']))
def test_property_secret_in_userinfo_query_or_fragment_is_refused_unechoed(secret, where):
    url = {'user': 'https://%s@api.test', 'password': 'https://u:%s@api.test',
           'query': 'https://api.test/?t=%s', 'fragment': 'https://api.test/#%s'}[where] % secret
    with pytest.raises(AltostratInputError) as info:
        check_api_url(url)
    assert secret not in str(info.value)
