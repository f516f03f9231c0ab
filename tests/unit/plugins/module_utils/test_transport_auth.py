"""The transport's credentials: the bearer token sent to the API's own origin only, no netrc, the user agent; a token
that cannot go in a header; the token never in an error, a warning or a repr, even when the server echoes it."""

import os
import traceback

import pytest
import requests
import yaml

from ansible_collections.altostrat.cloud.plugins.module_utils import _transport
from ansible_collections.altostrat.cloud.plugins.module_utils._client import Client
from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratAPIError, AltostratError, AltostratInputError
from ansible_collections.altostrat.cloud.plugins.module_utils._transport import BearerAuth, _origin

from testkit import SENTINEL, TOKEN
from testkit.collection import REPO
from testkit.fakes import FakeAnswer, assert_one_clean_line, fake_client, scripted


def test_bearer_token_sent(emulator, make_client):
    run = make_client(emulator).get_run('fl_run_completed')
    assert run['id'] == 'fl_run_completed' and run['status'] == 'completed'
    (rec,) = emulator.requests
    assert rec['authorization'] == 'Bearer ' + TOKEN
    assert rec['auth_ok'] is True
    assert rec['headers'].get('Accept') == 'application/json'


def test_netrc_ignored(emulator, make_client, tmp_path, monkeypatch):
    netrc = tmp_path / '.netrc'
    netrc.write_text('machine 127.0.0.1 login netrcuser password netrcpass\ndefault login d password dp\n')
    netrc.chmod(0o600)
    monkeypatch.setenv('HOME', str(tmp_path))
    monkeypatch.setenv('NETRC', str(netrc))
    client = make_client(emulator)
    assert client.session.trust_env is False
    assert client.get_run('fl_run_completed')['status'] == 'completed'
    (rec,) = emulator.requests
    assert rec['authorization'] == 'Bearer ' + TOKEN


def test_user_agent_names_collection_and_galaxy_version(emulator, make_client):
    with open(os.path.join(REPO, 'galaxy.yml')) as f:
        version = yaml.safe_load(f)['version']
    make_client(emulator).get_run('fl_run_completed')
    agent = emulator.requests[0]['headers']['User-Agent']
    assert agent.startswith('altostrat.cloud/%s ' % version), agent
    assert _transport.COLLECTION_VERSION == version


def test_bearer_auth_signs_only_its_own_origin():
    auth = BearerAuth(SENTINEL, _origin('https://v1.api.altostrat.io'))
    for url, signed in [('https://v1.api.altostrat.io/workflows/runs/x', True), ('https://V1.API.altostrat.io:443/x', True),
                        ('https://evil.test/x', False), ('http://v1.api.altostrat.io/x', False),
                        ('https://v1.api.altostrat.io:8443/x', False), ('https://v1.api.altostrat.io.evil.test/x', False),
                        ('https://evil.test/v1.api.altostrat.io/x', False)]:
        request = requests.Request('GET', url, headers={'Authorization': 'Bearer stale'}).prepare()
        auth(request)
        assert ('Authorization' in request.headers) is signed, url
        if signed:
            assert request.headers['Authorization'] == 'Bearer ' + SENTINEL


def test_token_with_a_trailing_line_break_is_used_stripped(emulator_factory, make_client):
    emu = emulator_factory({'tokens': [SENTINEL], 'runs': [{'id': 'fl_run_a', 'workflow_id': 'fl_wf', 'finished': True}]})
    assert make_client(emu, token=SENTINEL + '\n').get_run('fl_run_a')['id'] == 'fl_run_a'
    assert [r['authorization'] for r in emu.requests] == ['Bearer ' + SENTINEL]


@pytest.mark.parametrize('suffix', ['\r\nX-Injected: 1', ' x', '\u2019'])
def test_token_that_cannot_go_in_a_header_is_refused_unechoed(suffix):
    with pytest.raises(AltostratInputError) as info:
        Client(SENTINEL + suffix, api_url='http://127.0.0.1:1')
    assert str(info.value).startswith('The API token holds characters a token cannot have') and SENTINEL not in str(info.value)


FAILURES = {
    '401': FakeAnswer(401, {'message': 'Unauthenticated.', 'code': 'unauthenticated'}, reason='Unauthorized'),
    '403': FakeAnswer(403, {'message': 'Forbidden.'}, reason='Forbidden'),
    '404': FakeAnswer(404, {'message': 'Workflow run not found.'}, reason='Not Found'),
    '500': FakeAnswer(500, {'message': 'Server Error.'}),
    '503': FakeAnswer(503, {'message': 'Server Error.'}, {'Content-Type': 'application/json', 'Retry-After': '1'}),
    'html': FakeAnswer(502, b'<html>502 Bad Gateway</html>', {'Content-Type': 'text/html'}),
    'timeout': FakeAnswer(exc=requests.exceptions.ReadTimeout('HTTPSConnectionPool: Read timed out.')),
    'tls': FakeAnswer(exc=requests.exceptions.SSLError('[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed')),
    'dns': FakeAnswer(exc=requests.exceptions.ConnectionError('Failed to resolve altostrat.invalid')),
    'refused': FakeAnswer(exc=requests.exceptions.ConnectionError('[Errno 111] Connection refused')),
    'reset': FakeAnswer(exc=requests.exceptions.ConnectionError('Connection reset by peer')),
    'truncated': FakeAnswer(200, b'{"id": "fl_run_x", "sta', {'Content-Type': 'application/json', 'Content-Length': '200'}),
    'not-json': FakeAnswer(200, b'oops', {'Content-Type': 'application/json'}),
    'wrong-shape': FakeAnswer(200, {'id': 'fl_run_x'}),
}


def _all_text(exc):
    chain = ''.join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return ' '.join([str(exc), repr(exc), repr(exc.args), repr(vars(exc)), chain])


@pytest.mark.parametrize('failure', sorted(FAILURES))
@pytest.mark.parametrize('call', ['get', 'start', 'start-key'])
def test_token_absent_from_errors_and_warnings_on_every_failure_path(failure, call, clock):
    client = fake_client([FAILURES[failure]], clock=clock, http_retries=2)
    with pytest.raises(AltostratError) as info:
        if call == 'get':
            client.get_run('fl_run_x')
        else:
            client.start_run('fl_wf', {'a': 1}, idempotency_key='k' if call == 'start-key' else None)
    assert SENTINEL not in _all_text(info.value)
    assert_one_clean_line(str(info.value))
    assert str(info.value).startswith('GET /workflows/runs/fl_run_x' if call == 'get' else 'POST /workflows/fl_wf/execute')
    for warning in client.warnings:
        assert_one_clean_line(warning)
    for request in client.adapter.sent:
        assert SENTINEL not in request.url and SENTINEL not in (request.body or b'').decode()
        assert request.headers['Authorization'] == 'Bearer ' + SENTINEL


def test_token_is_not_in_client_session_or_auth_reprs(clock):
    client = fake_client([FakeAnswer(200, {'id': 'fl_run_x', 'status': 'completed'})], clock=clock)
    assert SENTINEL not in repr(client) and SENTINEL not in repr(client.session.headers)
    assert SENTINEL not in repr(vars(client)).replace(repr(client.session), '')
    assert repr(client.session.auth) == "<BearerAuth for https://api.test:443>"


@pytest.mark.parametrize('status, headers, body', [
    (401, {'Content-Type': 'application/json'}, '{"message": "bad token %s given", "code": "unauthenticated"}'),
    (502, {'Content-Type': 'text/html'}, '<pre>Authorization: Bearer %s</pre>'),
], ids=['401-json', '502-proxy-html'])
def test_token_echoed_by_the_server_is_redacted(status, headers, body, make_client):
    client = make_client('http://api.test', token=SENTINEL, http_retries=1)
    scripted(client, [(status, headers, (body % SENTINEL).encode())] * 2)
    with pytest.raises(AltostratAPIError) as info:
        client.get_run('fl_run_a')
    assert SENTINEL not in _all_text(info.value) and all(SENTINEL not in w for w in client.warnings)
    assert '********' in str(info.value)
    if status == 401:
        assert info.value.api_message == 'bad token ******** given'
