"""The transport: auth, secrecy, redirects, TLS and proxy settings, error messages, body reads and checks."""

import gzip
import os
import traceback
import types
import zlib

import pytest
import requests
import yaml
from hypothesis import given, settings, strategies as st

from ansible_collections.altostrat.cloud.plugins.module_utils import _transport
from ansible_collections.altostrat.cloud.plugins.module_utils._client import Client, check_run
from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratAPIError, AltostratError, AltostratInputError
from ansible_collections.altostrat.cloud.plugins.module_utils._transport import BearerAuth, _origin

from testkit import SENTINEL, TOKEN
from testkit.collection import REPO
from testkit.fakes import FakeAnswer, assert_one_clean_line, fake_client, scripted
from testkit.strategies import ASCII_HEADER, BODIES, HEADERS

RUN_PATH = '/workflows/runs/fl_run_completed'
PATH = '/workflows/runs/fl_run_x'


# ---- auth, netrc, user agent, api_url ----------------------------------------------------

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


def test_a_redirect_to_another_origin_fails_at_once_naming_it(emulator_factory, make_client):
    """The other origin serves a completed run: following the redirect would open a gate on it."""
    other = emulator_factory({'tokens': [TOKEN], 'runs': [{'id': 'fl_run_completed', 'workflow_id': 'fl_wf', 'finished': True}]})
    first = emulator_factory({'tokens': [TOKEN], 'faults': [
        {'kind': 'redirect', 'path': RUN_PATH, 'location': other.url + RUN_PATH, 'times': None}]})
    client = make_client(first)
    with pytest.raises(AltostratAPIError) as info:
        client.get_run('fl_run_completed')
    port = other.url.rsplit(':', 1)[1]
    assert str(info.value).startswith('GET %s failed: HTTP 302 redirect to http://127.0.0.1:%s, another origin than '
                                      'api_url' % (RUN_PATH, port)), str(info.value)
    assert info.value.status == 302 and not info.value.transient
    assert first.count() == 1 and other.requests == []  # not followed, not retried


def test_a_redirect_within_the_origin_is_followed_by_the_client_each_hop_from_the_budget(emulator, make_client):
    from ansible_collections.altostrat.cloud.plugins.module_utils._retry import MAX_REDIRECTS
    emulator.add_fault(path=RUN_PATH, kind='redirect', location=emulator.url + '/workflows/runs/fl_run_completed?x=1',
          times=MAX_REDIRECTS)
    budget = CountingBudget()
    client = make_client(emulator, budget=budget)
    assert client.get_run('fl_run_completed')['status'] == 'completed'
    assert emulator.count() == MAX_REDIRECTS + 1 and budget.acquired == MAX_REDIRECTS + 1


def test_a_redirect_loop_ends_after_three_hops(emulator, make_client):
    emulator.add_fault(path=RUN_PATH, kind='redirect', location=RUN_PATH, times=None)
    budget = CountingBudget()
    client = make_client(emulator, budget=budget)
    with pytest.raises(AltostratAPIError) as info:
        client.get_run('fl_run_completed')
    assert str(info.value) == ('GET %s failed: more than 3 redirects (the API does not redirect); check api_url.'
                               % RUN_PATH)
    assert emulator.count() == 4 and budget.acquired == 4


def test_a_redirect_body_is_never_read(make_client):
    client = make_client('http://api.test')
    huge = {'Location': '/workflows/runs/fl_run_a', 'Content-Length': str(10 ** 12)}
    adapter = scripted(client, [(302, huge, b'x' * 100), (200, {}, b'{"id": "fl_run_a", "status": "completed"}')])
    assert client.get_run('fl_run_a')['status'] == 'completed' and len(adapter.sent) == 2


class CountingBudget:
    enabled = True

    def __init__(self):
        self.acquired = 0

    def acquire(self, timeout=None):
        self.acquired += 1
        return 0.0

    def sync(self, **kwargs):
        pass


def test_post_does_not_follow_redirects(emulator, make_client):
    emulator.add_fault(method='POST', kind='redirect', status=307, location=emulator.url + '/workflows/fl_wf_main/execute')
    with pytest.raises(AltostratAPIError) as info:
        make_client(emulator).start_run('fl_wf_main')
    assert info.value.status == 307 and emulator.count() == 1 and emulator.runs_created == 0


def test_client_checks_api_url_and_token():
    """Every check is _validate's (test_validate.py); the client applies them before anything else."""
    assert Client(TOKEN, api_url='http://127.0.0.1:1/base/').api_url == 'http://127.0.0.1:1/base'
    with pytest.raises(AltostratInputError, match='^api_url must not carry credentials') as info:
        Client(TOKEN, api_url='http://user:pw-secret@127.0.0.1:1')
    assert 'pw-secret' not in str(info.value)
    with pytest.raises(AltostratInputError, match='No API token'):
        Client('', api_url='http://127.0.0.1:1')


# ---- the token never appears in errors -------------------------------------------------------

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


# ---- error messages and bodies --------------------------------------------------------------

def test_error_names_method_path_status_and_api_message(emulator, make_client):
    with pytest.raises(AltostratAPIError) as info:
        make_client(emulator).get_run('fl_run_nope')
    exc = info.value
    assert str(exc) == ('GET /workflows/runs/fl_run_nope failed: HTTP 404 Not Found: '
                        'Workflow run fl_run_nope not found. (resource_missing)')
    assert (exc.method, exc.path, exc.status) == ('GET', '/workflows/runs/fl_run_nope', 404)
    assert exc.api_message == 'Workflow run fl_run_nope not found.'


def test_api_message_is_made_one_line(make_client):
    client = make_client('http://api.test', http_retries=0)
    body = b'{"message": "Step n1 failed:\\n  upstream said\\r\\n\\tno", "code": "step\\nfailed"}'
    scripted(client, [(422, {'Content-Type': 'application/json'}, body)])
    with pytest.raises(AltostratAPIError) as info:
        client.get_run('fl_run_a')
    assert info.value.api_message == 'Step n1 failed: upstream said no' and info.value.api_code == 'step failed'
    assert str(info.value).endswith(': Step n1 failed: upstream said no (step failed)')


def test_html_error_is_one_line_with_excerpt(emulator, make_client):
    emulator.add_fault(path=RUN_PATH, kind='html', status=502)
    with pytest.raises(AltostratAPIError) as info:
        make_client(emulator, http_retries=0).get_run('fl_run_completed')
    assert str(info.value) == ("GET %s failed: HTTP 502 Bad Gateway: a body that is not JSON (text/html): "
                               "'<html><body><h1>502 Bad Gateway</h1></body></html>'" % RUN_PATH)
    assert info.value.status == 502 and info.value.api_message is None


def test_multiline_html_error_collapsed_and_cut(make_client):
    client = make_client('http://api.test')
    page = b'<html>\n<body>\n<h1>403 Forbidden</h1>\n<p>' + b'x' * 5000 + b'</p></body></html>\n'
    scripted(client, [(403, {'Content-Type': 'text/html; charset=utf-8'}, page)])
    with pytest.raises(AltostratAPIError) as info:
        client.get_run('fl_run_a')
    msg = str(info.value)
    assert '\n' not in msg and len(msg) < 300
    assert "not JSON (text/html): '<html> <body> <h1>403 Forbidden</h1> <p>xxx" in msg
    assert msg.endswith("...'")


def test_2xx_not_json(emulator, make_client):
    emulator.add_fault(path=RUN_PATH, kind='not_json', times=None)
    with pytest.raises(AltostratAPIError) as info:
        make_client(emulator).get_run('fl_run_completed')
    msg = str(info.value)
    assert msg.startswith('GET %s: HTTP 200 answer has a body that is not JSON (application/json)' % RUN_PATH)
    assert 'upstream said <b>hello</b>' in msg
    assert not info.value.transient and emulator.count() == 1


def test_truncated_body_is_transient_error(emulator, make_client):
    emulator.add_fault(path=RUN_PATH, kind='truncated', times=None)
    with pytest.raises(AltostratAPIError) as info:
        make_client(emulator, http_retries=0).get_run('fl_run_completed')
    assert info.value.transient and info.value.status == 200
    assert 'cut off' in str(info.value) and '\n' not in str(info.value)


@pytest.mark.parametrize('body, problem', [
    ({'id': 'fl_run_completed', 'logs': []}, 'has no "status" for run fl_run_completed'),
    ({'id': 'fl_run_completed', 'status': 'running', 'logs': 'nope'}, 'has "logs" that is not a list for run fl_run_completed'),
    ({'status': 'running'}, 'is not a run object (no "id")'),
    ([1, 2], 'is not a run object (got list)'),
])
def test_wrong_shape_run(body, problem, emulator, make_client):
    emulator.add_fault(path=RUN_PATH, kind='wrong_shape', body=body)
    with pytest.raises(AltostratAPIError) as info:
        make_client(emulator).get_run('fl_run_completed')
    assert str(info.value) == 'GET %s: HTTP 200 answer %s.' % (RUN_PATH, problem)


def test_check_run_passes_unknown_fields_and_null_logs():
    run = {'id': 'fl_run_a', 'status': 'queued_v2', 'logs': None, 'trigger_payload': {'x': 1}}
    assert check_run(run, 'GET', '/p') is run


def test_wrong_shape_page(emulator, make_client):
    emulator.add_fault(path='/workflows/fl_wf_paged/executions', kind='wrong_shape')
    with pytest.raises(AltostratAPIError, match=r'page=1: HTTP 200 answer is not a page of runs'):
        make_client(emulator).list_runs('fl_wf_paged')


def test_body_over_cap_by_content_length(emulator, make_client, monkeypatch):
    monkeypatch.setattr(_transport, 'MAX_BODY_BYTES', 4096)
    emulator.add_fault(path=RUN_PATH, kind='big', size=50000)
    with pytest.raises(AltostratAPIError) as info:
        make_client(emulator).get_run('fl_run_completed')
    assert 'larger than' in str(info.value) and '(50000 bytes)' in str(info.value)
    assert not info.value.transient and emulator.count() == 1


def test_body_under_cap_read_whole(emulator, make_client, monkeypatch):
    monkeypatch.setattr(_transport, 'MAX_BODY_BYTES', 60000)
    emulator.add_fault(path=RUN_PATH, kind='big', size=50000)
    run = make_client(emulator).request('GET', RUN_PATH).body
    assert run['id'] == 'fl_run_big' and len(run['padding']) > 49000


def test_body_over_cap_without_content_length(make_client, monkeypatch):
    monkeypatch.setattr(_transport, 'MAX_BODY_BYTES', 1000)
    monkeypatch.setattr(_transport, '_CHUNK', 100)
    client = make_client('http://api.test')
    adapter = scripted(client, [(200, {'Content-Type': 'application/json'}, b'{"id": "' + b'x' * 5000 + b'"}')])
    with pytest.raises(AltostratAPIError) as info:
        client.get_run('fl_run_a')
    assert 'larger than' in str(info.value)
    assert len(adapter.sent) == 1


class RecordingSocket:
    """Stands for the socket under an answer: records every timeout set on it."""

    def __init__(self):
        self.timeouts = []

    def settimeout(self, seconds):
        self.timeouts.append(seconds)


def test_slow_body_is_bounded_by_request_timeout_in_total(make_client, monkeypatch):
    """A body dripped slowly: the socket's timeout follows the time left, and the read ends at request_timeout."""
    monkeypatch.setattr(_transport, '_CHUNK', 10)
    client = make_client('http://api.test', request_timeout=5, http_retries=0)
    body = b'{"id": "fl_run_a", "status": "running", "pad": "' + b'x' * 200 + b'"}'
    adapter = scripted(client, [(200, {}, body)])
    sock, send = RecordingSocket(), adapter.send

    def send_over_a_socket(request, **kwargs):
        response = send(request, **kwargs)
        response.raw._connection = types.SimpleNamespace(sock=sock, close=lambda: None)
        return response

    adapter.send = send_over_a_socket
    real_clock = client.transport.clock
    ticks = iter(range(0, 1000, 1))
    client.transport.clock = lambda: real_clock() + next(ticks)  # one second per chunk
    with pytest.raises(AltostratAPIError) as info:
        client.get_run('fl_run_a')
    assert 'still incomplete: no whole answer within request_timeout=5s (40 bytes so far)' in str(info.value)
    assert info.value.transient
    assert sock.timeouts == [4, 3, 2, 1]  # each read may block only for what is left of request_timeout


def test_timeout_exception_is_transient_and_retried(make_client, clock, no_jitter):
    client = make_client('http://api.test')
    ok = b'{"id": "fl_run_a", "status": "completed"}'
    adapter = scripted(client, [(0, {}, requests.exceptions.ReadTimeout('read timed out')), (200, {}, ok)])
    assert client.get_run('fl_run_a')['status'] == 'completed'
    assert len(adapter.sent) == 2 and clock.sleeps == [0.5]
    assert 'no answer within request_timeout=30s' in client.warnings[0]


def test_ssl_error_not_retried_and_explained(make_client, clock):
    client = make_client('http://api.test')
    adapter = scripted(client, [(0, {}, requests.exceptions.SSLError('certificate verify failed'))] * 3)
    with pytest.raises(AltostratAPIError) as info:
        client.get_run('fl_run_a')
    assert len(adapter.sent) == 1 and 'ca_path' in str(info.value) and not info.value.transient


def test_empty_2xx_body_is_not_a_run(make_client):
    client = make_client('http://api.test')
    scripted(client, [(200, {}, b'')])
    with pytest.raises(AltostratAPIError, match=r'is not a run object \(got NoneType\)'):
        client.get_run('fl_run_a')


# ---- TLS, for real: a CA made at test time ------------------------------------------------------------

@pytest.fixture
def tls_emulator(emulator_factory, tls_ca):
    return emulator_factory({'tokens': [TOKEN], 'runs': [{'id': 'fl_run_a', 'workflow_id': 'fl_wf', 'finished': True}]},
                            tls_cert=tls_ca['cert'], tls_key=tls_ca['key'])


def test_self_signed_server_fails_clearly_once(tls_emulator, make_client, clock):
    client = make_client(tls_emulator, http_retries=3)
    with pytest.raises(AltostratAPIError) as info:
        client.get_run('fl_run_a')
    assert str(info.value).startswith('GET /workflows/runs/fl_run_a failed: TLS error talking to https://127.0.0.1:')
    assert 'certificate verify failed' in str(info.value) and 'Set ca_path' in str(info.value)
    assert not info.value.transient and clock.sleeps == [] and client.warnings == [] and tls_emulator.count() == 0


def test_ca_path_trusts_the_server(tls_emulator, tls_ca, make_client):
    client = make_client(tls_emulator, ca_path=tls_ca['ca'])
    assert client.get_run('fl_run_a')['status'] == 'completed' and client.warnings == []


def test_validate_certs_false_succeeds_with_a_warning(tls_emulator, make_client):
    client = make_client(tls_emulator, validate_certs=False)
    assert client.get_run('fl_run_a')['status'] == 'completed'
    assert client.warnings == ['validate_certs is false: the TLS certificate of %s is not verified.' % tls_emulator.url]


# ---- environment proxies (trust_env is off, so they are applied explicitly) -----------------

def test_environment_proxy_applied(monkeypatch):
    for name in ('NO_PROXY', 'no_proxy', 'HTTPS_PROXY', 'https_proxy', 'ALL_PROXY', 'all_proxy'):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv('HTTPS_PROXY', 'http://proxy.invalid:3128')
    client = Client(TOKEN, api_url='https://v1.api.altostrat.io')
    assert client.session.proxies.get('https') == 'http://proxy.invalid:3128'
    monkeypatch.setenv('NO_PROXY', 'v1.api.altostrat.io')
    assert 'https' not in Client(TOKEN, api_url='https://v1.api.altostrat.io').session.proxies


def test_ca_bundle_from_environment(monkeypatch, tmp_path):
    monkeypatch.delenv('CURL_CA_BUNDLE', raising=False)
    monkeypatch.setenv('REQUESTS_CA_BUNDLE', str(tmp_path / 'env.pem'))
    assert Client(TOKEN, api_url='https://x.test').session.verify == str(tmp_path / 'env.pem')
    assert Client(TOKEN, api_url='https://x.test', ca_path='/p.pem').session.verify == '/p.pem'
    monkeypatch.delenv('REQUESTS_CA_BUNDLE')
    assert Client(TOKEN, api_url='https://x.test').session.verify is True


# ---- tokens that cannot go in a header ---------------------------------------------------------

def test_token_with_a_trailing_line_break_is_used_stripped(emulator_factory, make_client):
    emu = emulator_factory({'tokens': [SENTINEL], 'runs': [{'id': 'fl_run_a', 'workflow_id': 'fl_wf', 'finished': True}]})
    assert make_client(emu, token=SENTINEL + '\n').get_run('fl_run_a')['id'] == 'fl_run_a'
    assert [r['authorization'] for r in emu.requests] == ['Bearer ' + SENTINEL]


@pytest.mark.parametrize('suffix', ['\r\nX-Injected: 1', ' x', '\u2019'])
def test_token_that_cannot_go_in_a_header_is_refused_unechoed(suffix):
    with pytest.raises(AltostratInputError) as info:
        Client(SENTINEL + suffix, api_url='http://127.0.0.1:1')
    assert str(info.value).startswith('The API token holds characters a token cannot have') and SENTINEL not in str(info.value)


# ---- messages users tripped on -------------------------------------------------------------------

def test_host_that_does_not_resolve_is_named_once_not_retried(make_client, clock):
    client = make_client('https://api.does-not-exist.invalid')
    with pytest.raises(AltostratAPIError) as info:
        client.get_run('fl_run_a')
    assert not info.value.transient and clock.sleeps == [] and client.warnings == []
    assert 'the host of api_url api.does-not-exist.invalid does not resolve' in str(info.value)


def test_api_url_with_a_path_gets_a_hint_on_a_route_404(emulator, make_client):
    with pytest.raises(AltostratAPIError) as info:
        make_client(emulator.url + '/v1').get_run('fl_run_completed')
    assert info.value.status == 404 and "api_url ends in the path /v1, but the API's routes start at its root" in str(info.value)
    with pytest.raises(AltostratAPIError) as info:
        make_client(emulator).get_run('fl_run_nope')  # a missing run, at the right root: no hint
    assert 'api_url ends in' not in str(info.value)


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


def test_non_ascii_digit_content_length_is_ignored(clock):
    run = {'id': 'fl_run_x', 'status': 'completed', 'logs': []}
    client = fake_client([FakeAnswer(200, run, {'Content-Type': 'application/json', 'Content-Length': '\xb2'})], clock=clock)
    assert client.get_run('fl_run_x') == run


def _encode(body, encoding):
    return {'gzip': gzip.compress, 'deflate': zlib.compress}.get(encoding, lambda raw: raw)(body)


ANSWERS = st.builds(
    lambda status, headers, body, encoding, length, damage: FakeAnswer(
        status, body if damage is None else _encode(body, encoding)[:damage] if encoding else body + b'x' * damage,
        dict(headers, **{k: v for k, v in (('Content-Encoding', encoding), ('Content-Length', length)) if v}),
        reason='Whatever'),
    st.integers(100, 599), HEADERS, BODIES, st.sampled_from([None, 'gzip', 'deflate', 'identity', 'br', 'x-bogus']),
    st.one_of(st.none(), st.integers(0, 10 ** 9).map(str), ASCII_HEADER), st.one_of(st.none(), st.integers(0, 50)))


@settings(max_examples=250)
@given(answers=st.lists(ANSWERS, min_size=1, max_size=4), http_retries=st.integers(0, 3))
def test_fuzz_get_run_over_a_fake_transport_only_raises_our_errors(answers, http_retries):
    """Statuses, headers and bodies of any kind (compressed and damaged too), through transport, retries and checks."""
    client = fake_client(answers, http_retries=http_retries)
    try:
        run = client.get_run('fl_run_x')
    except AltostratError as exc:
        assert_one_clean_line(str(exc))
        assert str(exc).startswith('GET %s' % PATH)
    else:
        assert isinstance(run, dict) and isinstance(run['id'], str) and isinstance(run['status'], str)
    for warning in client.warnings:
        assert_one_clean_line(warning)


# ---- one attempt as a whole, cut off at the time left (real sockets, real time) ---------------------

def _timed_get(url, **kwargs):
    import time
    from ansible_collections.altostrat.cloud.plugins.module_utils._client import Client
    client = Client(TOKEN, api_url=url, rate_limit=0, http_retries=0, **kwargs)
    started = time.monotonic()
    with pytest.raises(AltostratAPIError) as info:
        client.get_run('fl_run_a', retry=False)
    return info.value, time.monotonic() - started


def test_a_dripping_status_line_is_cut_off_at_the_time_left():
    """A byte every 0.4 s never trips a 3 s read timeout; the watchdog ends the attempt at the deadline."""
    from testkit.dripping import Dripping
    from ansible_collections.altostrat.cloud.plugins.module_utils._deadline import Deadline
    with Dripping(b'HTTP/1.1 200 OK\r\nX-Slow: ' + b'x' * 200, pace=0.4) as server:
        exc, seconds = _timed_get(server.url, request_timeout=3, deadline=Deadline(1.5))
    assert 1.4 < seconds < 2.5, seconds
    assert exc.transient and str(exc) == ("GET /workflows/runs/fl_run_a failed: no answer before the task's deadline "
                                          "(wait_timeout) ran out.")


def test_a_dripping_status_line_is_cut_off_at_request_timeout_in_total():
    from testkit.dripping import Dripping
    with Dripping(b'HTTP/1.1 200 OK\r\nX-Slow: ' + b'x' * 200, pace=0.3) as server:
        exc, seconds = _timed_get(server.url, request_timeout=1.0)
    assert 0.9 < seconds < 2.0, seconds
    assert str(exc) == 'GET /workflows/runs/fl_run_a failed: no answer within request_timeout=1s.'


def test_a_dripping_body_is_cut_off_at_the_deadline_not_at_request_timeout():
    from testkit.dripping import Dripping
    from ansible_collections.altostrat.cloud.plugins.module_utils._deadline import Deadline
    head = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n'
    with Dripping(b'{"id": "fl_run_a", "status": "completed", "pad": "' + b'x' * 400, pace=0.2, then=head) as server:
        exc, seconds = _timed_get(server.url, request_timeout=10, deadline=Deadline(1.5))
    assert 1.4 < seconds < 2.5, seconds
    assert exc.transient and exc.status == 200
    assert str(exc).startswith("GET /workflows/runs/fl_run_a failed: HTTP 200 answer still incomplete: no whole answer "
                               "before the task's deadline (wait_timeout) ran out ("), str(exc)
