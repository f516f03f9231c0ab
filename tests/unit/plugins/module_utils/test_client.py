"""The API client: auth, secrecy, retries, error messages, body checks, paging, id checks."""

import os
import socket

import pytest
import requests
import yaml

from ansible_collections.altostrat.cloud.plugins.module_utils import _client
from ansible_collections.altostrat.cloud.plugins.module_utils._client import MAX_RETRY_AFTER, Client, check_run
from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratAPIError, AltostratInputError

from plugin_helpers import SENTINEL, TOKEN
from testkit.collection import REPO
from testkit.fakes import Answer, FakeAdapter

RUN_PATH = '/workflows/runs/fl_run_completed'


def fault(emu, **spec):
    emu.add_faults([spec])


@pytest.fixture
def no_jitter(monkeypatch):
    """Backoff without jitter: uniform(a, b) -> b."""
    monkeypatch.setattr(_client.random, 'uniform', lambda a, b: b)


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
    assert _client.COLLECTION_VERSION == version


def test_token_not_sent_to_another_origin_on_redirect(emulator_factory, make_client):
    other = emulator_factory({'tokens': [TOKEN], 'runs': [{'id': 'fl_run_completed', 'workflow_id': 'fl_wf', 'finished': True}]})
    first = emulator_factory({'tokens': [TOKEN], 'faults': [
        {'kind': 'redirect', 'path': RUN_PATH, 'location': other.url + RUN_PATH}]})
    with pytest.raises(AltostratAPIError) as info:
        make_client(first).get_run('fl_run_completed')
    assert info.value.status == 401  # the other origin never got the token, so it refused
    assert first.requests[0]['authorization'] == 'Bearer ' + TOKEN
    assert [(r['path'], r['auth_present']) for r in other.requests] == [(RUN_PATH, False)]


def test_post_does_not_follow_redirects(emulator, make_client):
    fault(emulator, method='POST', kind='redirect', status=307, location=emulator.url + '/workflows/fl_wf_main/execute')
    with pytest.raises(AltostratAPIError) as info:
        make_client(emulator).start_run('fl_wf_main')
    assert info.value.status == 307 and emulator.count() == 1 and emulator.runs_created == 0


@pytest.mark.parametrize('url, leak', [
    ('http://user:pw-secret@127.0.0.1:1', 'pw-secret'),
    ('http://127.0.0.1:1/?token=q-secret', 'q-secret'),
    ('http://127.0.0.1:1/#f-secret', 'f-secret'),
    ('ftp://127.0.0.1/', None),
    ('', None),
    ('http://127.0.0.1:notaport', None),
])
def test_bad_api_url_refused(url, leak):
    with pytest.raises(AltostratInputError) as info:
        Client(TOKEN, api_url=url)
    assert 'api_url' in str(info.value)
    if leak:
        assert leak not in str(info.value)


def test_api_url_trailing_slash_stripped_and_no_token_refused():
    assert Client(TOKEN, api_url='http://127.0.0.1:1/base/').api_url == 'http://127.0.0.1:1/base'
    with pytest.raises(AltostratInputError, match='No API token'):
        Client('', api_url='http://127.0.0.1:1')


# ---- the token never appears in errors -------------------------------------------------------

def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize('case', ['401', '404', '503', 'html', 'truncated', 'not_json', 'refused'])
def test_token_never_in_error(case, emulator_factory, make_client):
    tokens = ['someone-else'] if case == '401' else [SENTINEL]
    faults = {
        '503': [{'kind': 'status', 'status': 503, 'times': None}],
        'html': [{'kind': 'html', 'times': None}],
        'truncated': [{'kind': 'truncated', 'times': None}],
        'not_json': [{'kind': 'not_json'}],
    }.get(case, [])
    emu = emulator_factory({'tokens': tokens, 'runs': [{'id': 'fl_run_completed', 'workflow_id': 'fl_wf', 'finished': True}],
                            'faults': faults})
    target = 'http://127.0.0.1:%d' % _free_port() if case == 'refused' else emu
    client = make_client(target, token=SENTINEL, http_retries=1)
    run_id = 'fl_run_nope' if case == '404' else 'fl_run_completed'
    with pytest.raises(AltostratAPIError) as info:
        client.get_run(run_id)
    exc = info.value
    for text in (str(exc), repr(exc), repr(vars(exc)), exc.message):
        assert SENTINEL not in text
    assert '\n' not in str(exc)
    assert str(exc).startswith('GET /workflows/runs/%s' % run_id)
    if case == '401':
        assert exc.status == 401 and 'Check the token' in str(exc)
    if case == 'refused':
        assert exc.status is None and exc.transient and 'could not reach' in str(exc)


# ---- retries ---------------------------------------------------------------------------------

@pytest.mark.parametrize('spec', [
    {'kind': 'status', 'status': 429},
    {'kind': 'status', 'status': 502},
    {'kind': 'status', 'status': 503},
    {'kind': 'status', 'status': 504},
    {'kind': 'drop'},
    {'kind': 'html', 'status': 502},
    {'kind': 'truncated'},
])
def test_get_retried_on_transient(spec, emulator, make_client, clock, no_jitter):
    fault(emulator, path=RUN_PATH, times=2, **spec)
    client = make_client(emulator)
    assert client.get_run('fl_run_completed')['status'] == 'completed'
    assert emulator.count('GET', RUN_PATH) == 3
    assert clock.sleeps == [0.5, 1.0]
    assert len(client.warnings) == 2
    assert 'retry 1 of 5 in 0.5 s' in client.warnings[0] and 'retry 2 of 5 in 1.0 s' in client.warnings[1]
    assert all(w.startswith('GET %s' % RUN_PATH) for w in client.warnings)


def test_backoff_grows_jittered_and_capped(monkeypatch):
    exc = AltostratAPIError('x', transient=True)
    monkeypatch.setattr(_client.random, 'uniform', lambda a, b: b)
    assert [Client._backoff(n, exc) for n in (1, 2, 3, 4, 5, 6, 7, 20)] == [0.5, 1, 2, 4, 8, 16, 30, 30]
    monkeypatch.setattr(_client.random, 'uniform', lambda a, b: a)
    assert [Client._backoff(n, exc) for n in (1, 2, 3)] == [0.25, 0.5, 1.0]


def test_retries_exhausted_raise_last_error(emulator, make_client, clock, no_jitter):
    fault(emulator, path=RUN_PATH, kind='status', status=503, times=None)
    client = make_client(emulator, http_retries=3)
    with pytest.raises(AltostratAPIError) as info:
        client.get_run('fl_run_completed')
    assert emulator.count('GET', RUN_PATH) == 4
    assert clock.sleeps == [0.5, 1.0, 2.0]
    assert len(client.warnings) == 3
    assert info.value.status == 503 and info.value.transient


def test_retry_after_honoured(emulator, make_client, clock):
    fault(emulator, path=RUN_PATH, kind='status', status=429, retry_after=7, times=2)
    client = make_client(emulator)
    assert client.get_run('fl_run_completed')['id'] == 'fl_run_completed'
    assert clock.sleeps == [7.0, 7.0]
    assert emulator.count() == 3
    assert 'HTTP 429' in client.warnings[0] and 'in 7.0 s' in client.warnings[0]


def test_retry_after_capped(emulator, make_client, clock):
    fault(emulator, path=RUN_PATH, kind='status', status=503, retry_after=3600, times=1)
    client = make_client(emulator)
    client.get_run('fl_run_completed')
    assert clock.sleeps == [MAX_RETRY_AFTER] and MAX_RETRY_AFTER == 60.0


def test_retry_after_http_date():
    assert _client._retry_after('Wed, 21 Oct 2015 07:28:00 GMT') == 0.0  # in the past
    assert _client._retry_after('12') == 12.0
    assert _client._retry_after('soon') is None
    assert _client._retry_after(None) is None


def test_retry_after_past_deadline_not_slept(emulator, make_client, clock):
    fault(emulator, path=RUN_PATH, kind='status', status=429, retry_after=7, times=None)
    client = make_client(emulator)
    with pytest.raises(AltostratAPIError) as info:
        client.get_run('fl_run_completed', deadline=clock() + 5)
    assert info.value.status == 429
    assert clock.sleeps == [] and client.warnings == []
    assert emulator.count() == 1


def test_backoff_stops_before_deadline(emulator, make_client, clock, no_jitter):
    fault(emulator, path=RUN_PATH, kind='status', status=503, times=None)
    client = make_client(emulator)
    deadline = clock() + 1.6
    with pytest.raises(AltostratAPIError):
        client.get_run('fl_run_completed', deadline=deadline)
    assert clock.sleeps == [0.5, 1.0]  # the third pause (2.0 s) would pass the deadline
    assert clock() <= deadline
    assert emulator.count() == 3


@pytest.mark.parametrize('status', [400, 401, 403, 404, 405, 422])
def test_client_errors_not_retried(status, emulator, make_client, clock):
    fault(emulator, path=RUN_PATH, kind='status', status=status, times=None)
    client = make_client(emulator)
    with pytest.raises(AltostratAPIError) as info:
        client.get_run('fl_run_completed')
    assert emulator.count() == 1
    assert clock.sleeps == [] and client.warnings == []
    assert info.value.status == status and not info.value.transient
    assert 'HTTP %d' % status in str(info.value)


def test_http_retries_zero_means_one_try(emulator, make_client):
    fault(emulator, path=RUN_PATH, kind='status', status=503, times=None)
    with pytest.raises(AltostratAPIError):
        make_client(emulator, http_retries=0).get_run('fl_run_completed')
    assert emulator.count() == 1


@pytest.mark.parametrize('spec', [{'kind': 'status', 'status': 503}, {'kind': 'drop'}, {'kind': 'status', 'status': 429}])
def test_post_without_key_never_retried(spec, emulator, make_client, clock):
    path = '/workflows/fl_wf_main/execute'
    fault(emulator, method='POST', path=path, times=None, **spec)
    client = make_client(emulator)
    with pytest.raises(AltostratAPIError) as info:
        client.start_run('fl_wf_main', context={'a': 1})
    assert emulator.count('POST', path) == 1
    assert clock.sleeps == []
    msg = str(info.value)
    assert msg.startswith('POST %s' % path)
    assert 'may or may not have started' in msg and 'idempotency_key' in msg
    assert '\n' not in msg


def test_post_client_error_has_no_may_or_may_not(emulator, make_client):
    with pytest.raises(AltostratAPIError) as info:
        make_client(emulator).resume('fl_run_completed', 'n0')
    assert info.value.status == 422
    assert 'may or may not' not in str(info.value)
    assert emulator.count() == 1


def test_post_with_key_retried(emulator, make_client, clock, no_jitter):
    path = '/workflows/fl_wf_main/execute'
    fault(emulator, method='POST', path=path, kind='status', status=503, times=1, process=True)
    client = make_client(emulator)
    run = client.start_run('fl_wf_main', context={'a': 1}, idempotency_key='key-1')
    assert run['id'].startswith('fl_run_')
    assert emulator.count('POST', path) == 2
    assert emulator.idempotency_keys == ['key-1', 'key-1']
    assert emulator.runs_created == 1  # the retry replayed the first result
    assert clock.sleeps == [0.5] and len(client.warnings) == 1


def test_rerun_and_resume_return_new_run(emulator, make_client):
    client = make_client(emulator)
    new = client.rerun('fl_run_failed')
    assert new['id'].startswith('fl_run_') and new['id'] != 'fl_run_failed'
    resumed = client.resume('fl_run_failed', 'n1')
    assert resumed['id'] not in ('fl_run_failed', new['id'])
    assert [r['path'] for r in emulator.requests] == [
        '/workflows/runs/fl_run_failed/rerun', '/workflows/runs/fl_run_failed/resume-from/n1']


def test_rerun_answer_without_new_run(emulator, make_client):
    fault(emulator, method='POST', kind='wrong_shape', body={'message': 'ok'})
    with pytest.raises(AltostratAPIError, match='no "new_run" object'):
        make_client(emulator).rerun('fl_run_failed')


# ---- error messages and bodies --------------------------------------------------------------

def test_error_names_method_path_status_and_api_message(emulator, make_client):
    with pytest.raises(AltostratAPIError) as info:
        make_client(emulator).get_run('fl_run_nope')
    exc = info.value
    assert str(exc) == ('GET /workflows/runs/fl_run_nope failed: HTTP 404 Not Found: '
                        'Workflow run fl_run_nope not found. (resource_missing)')
    assert (exc.method, exc.path, exc.status) == ('GET', '/workflows/runs/fl_run_nope', 404)
    assert exc.api_message == 'Workflow run fl_run_nope not found.'


def test_html_error_is_one_line_with_excerpt(emulator, make_client):
    fault(emulator, path=RUN_PATH, kind='html', status=502)
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
    fault(emulator, path=RUN_PATH, kind='not_json', times=None)
    with pytest.raises(AltostratAPIError) as info:
        make_client(emulator).get_run('fl_run_completed')
    msg = str(info.value)
    assert msg.startswith('GET %s: HTTP 200 answer has a body that is not JSON (application/json)' % RUN_PATH)
    assert 'upstream said <b>hello</b>' in msg
    assert not info.value.transient and emulator.count() == 1


def test_truncated_body_is_transient_error(emulator, make_client):
    fault(emulator, path=RUN_PATH, kind='truncated', times=None)
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
    fault(emulator, path=RUN_PATH, kind='wrong_shape', body=body)
    with pytest.raises(AltostratAPIError) as info:
        make_client(emulator).get_run('fl_run_completed')
    assert str(info.value) == 'GET %s: HTTP 200 answer %s.' % (RUN_PATH, problem)


def test_check_run_passes_unknown_fields_and_null_logs():
    run = {'id': 'fl_run_a', 'status': 'queued_v2', 'logs': None, 'trigger_payload': {'x': 1}}
    assert check_run(run, 'GET', '/p') is run


def test_wrong_shape_page(emulator, make_client):
    fault(emulator, path='/workflows/fl_wf_paged/executions', kind='wrong_shape')
    with pytest.raises(AltostratAPIError, match=r'page=1: HTTP 200 answer is not a page of runs'):
        make_client(emulator).list_runs('fl_wf_paged')


def test_body_over_cap_by_content_length(emulator, make_client, monkeypatch):
    monkeypatch.setattr(_client, 'MAX_BODY_BYTES', 4096)
    fault(emulator, path=RUN_PATH, kind='big', size=50000)
    with pytest.raises(AltostratAPIError) as info:
        make_client(emulator).get_run('fl_run_completed')
    assert 'larger than' in str(info.value) and '(50000 bytes)' in str(info.value)
    assert not info.value.transient and emulator.count() == 1


def test_body_under_cap_read_whole(emulator, make_client, monkeypatch):
    monkeypatch.setattr(_client, 'MAX_BODY_BYTES', 60000)
    fault(emulator, path=RUN_PATH, kind='big', size=50000)
    run = make_client(emulator).get_run('fl_run_completed')
    assert run['id'] == 'fl_run_big' and len(run['padding']) > 49000


def scripted(client, answers):
    """Serve ``client`` from a script of (status, headers, body) answers, one per request; records ``.sent``."""
    adapter = FakeAdapter([Answer.raw(*answer) for answer in answers], repeat_last=False)
    client.session.mount('http://', adapter)
    return adapter


def test_body_over_cap_without_content_length(make_client, monkeypatch):
    monkeypatch.setattr(_client, 'MAX_BODY_BYTES', 1000)
    monkeypatch.setattr(_client, '_CHUNK', 100)
    client = make_client('http://api.test')
    adapter = scripted(client, [(200, {'Content-Type': 'application/json'}, b'{"id": "' + b'x' * 5000 + b'"}')])
    with pytest.raises(AltostratAPIError) as info:
        client.get_run('fl_run_a')
    assert 'larger than' in str(info.value)
    assert len(adapter.sent) == 1


def test_slow_body_over_request_timeout_is_transient(make_client, clock, monkeypatch):
    monkeypatch.setattr(_client, '_CHUNK', 10)
    client = make_client('http://api.test', request_timeout=5, http_retries=0)
    body = b'{"id": "fl_run_a", "status": "running", "pad": "' + b'x' * 200 + b'"}'
    scripted(client, [(200, {}, body)])
    real_clock = client.clock
    ticks = iter(range(0, 1000, 1))
    client.clock = lambda: real_clock() + next(ticks)  # one second per chunk
    with pytest.raises(AltostratAPIError) as info:
        client.get_run('fl_run_a')
    assert 'still incomplete after request_timeout=5s' in str(info.value) and info.value.transient


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


# ---- listing -------------------------------------------------------------------------------

def test_list_runs_follows_all_pages(emulator, make_client):
    runs = make_client(emulator).list_runs('fl_wf_paged')
    assert [r['id'] for r in runs] == ['fl_run_page_%03d' % i for i in range(39, -1, -1)]
    assert all('logs' not in r for r in runs)
    recs = [r for r in emulator.requests if r['path'] == '/workflows/fl_wf_paged/executions']
    assert [r['params'].get('page') for r in recs] == ['1', '2', '3']
    assert len(emulator.requests) == 3


def test_list_runs_statuses_filter(emulator, make_client):
    client = make_client(emulator)
    assert client.list_runs('fl_wf_paged', statuses=['failed']) == []
    assert emulator.count() == 3
    main = client.list_runs('fl_wf_main', statuses=['failed', 'awaiting_ui_interaction'])
    assert sorted(r['id'] for r in main) == ['fl_run_awaiting', 'fl_run_failed']


@pytest.mark.parametrize('limit, pages', [(5, 1), (15, 1), (16, 2), (40, 3), (100, 3)])
def test_list_runs_limit(limit, pages, emulator, make_client):
    runs = make_client(emulator).list_runs('fl_wf_paged', limit=limit)
    assert len(runs) == min(limit, 40)
    assert runs[0]['id'] == 'fl_run_page_039'
    assert emulator.count() == pages


def test_list_runs_unknown_workflow(emulator, make_client):
    with pytest.raises(AltostratAPIError) as info:
        make_client(emulator).list_runs('fl_nope')
    assert info.value.status == 404 and 'Workflow fl_nope not found.' in str(info.value)


# ---- id validation and quoting ---------------------------------------------------------------

BAD_RUN_IDS = ['fl_run_x/../../admin', 'fl_run_%2e%2e', 'fl_run_a?b=1', 'fl_run_a#frag', 'fl_run_a b', ' fl_run_a',
               'fl_run_a\n', '', 'fl_run_', 'fl_wf_main', 'fl_run_' + 'a' * 200, None, 12, ['fl_run_a'], b'fl_run_a']


@pytest.mark.parametrize('run_id', BAD_RUN_IDS)
def test_bad_run_id_refused_without_request(run_id, emulator, make_client):
    client = make_client(emulator)
    for call in (client.get_run, client.rerun, lambda r: client.resume(r, 'n0')):
        with pytest.raises(AltostratInputError) as info:
            call(run_id)
        assert 'Invalid run id' in str(info.value)
        assert len(str(info.value)) < 250
    assert emulator.count() == 0 and emulator.requests == []


@pytest.mark.parametrize('workflow_id', ['fl_x/../../admin', 'fl_%2e', 'fl_a?x', 'fl_a#x', 'fl a', '', 'wf_main', 'fl_' + 'a' * 200, 7])
def test_bad_workflow_id_refused_without_request(workflow_id, emulator, make_client):
    client = make_client(emulator)
    for call in (client.list_runs, client.start_run):
        with pytest.raises(AltostratInputError, match='Invalid workflow id'):
            call(workflow_id)
    assert emulator.count() == 0


@pytest.mark.parametrize('node_id', ['../x', 'n0/../n1', '%2e', 'n?', 'n#', 'n 0', '', 'n' * 200, 0])
def test_bad_node_id_refused_without_request(node_id, emulator, make_client):
    with pytest.raises(AltostratInputError, match='Invalid node id'):
        make_client(emulator).resume('fl_run_failed', node_id)
    assert emulator.count() == 0


def test_ids_are_path_quoted(make_client, monkeypatch):
    """Even if an id got past validation, it would stay one path segment."""
    monkeypatch.setattr(_client, 'check_id', lambda value, kind='run': value)
    client = make_client('http://api.test')
    ok = b'{"id": "fl_run_a", "status": "completed"}'
    new = b'{"new_run": {"id": "fl_run_b", "status": "pending"}}'
    page = b'{"data": [], "meta": {"last_page": 1}}'
    adapter = scripted(client, [(200, {}, ok), (202, {}, new), (200, {}, page)])
    client.get_run('fl_run_x/../admin?a=1#f')
    assert client.resume('fl_run_a b', '../n0')['id'] == 'fl_run_b'
    assert client.list_runs('fl_a/b') == []
    urls = [r.url for r in adapter.sent]
    assert urls == ['http://api.test/workflows/runs/fl_run_x%2F..%2Fadmin%3Fa%3D1%23f',
                    'http://api.test/workflows/runs/fl_run_a%20b/resume-from/..%2Fn0',
                    'http://api.test/workflows/fl_a%2Fb/executions?page=1']


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

@pytest.mark.parametrize('suffix', ['\n', '\r\nX-Injected: 1', '\u2019'])
def test_token_with_bad_characters_gives_clean_error(suffix, emulator_factory, make_client):
    emu = emulator_factory({'tokens': [SENTINEL], 'runs': [{'id': 'fl_run_a', 'workflow_id': 'fl_wf', 'finished': True}]})
    try:
        run = make_client(emu, token=SENTINEL + suffix).get_run('fl_run_a')
    except (AltostratAPIError, AltostratInputError) as exc:  # a clean, token-free refusal is fine
        assert SENTINEL not in str(exc)
    else:  # so is using the stripped token
        assert run['id'] == 'fl_run_a' and suffix.strip() == ''
    assert all('X-Injected' not in r['headers'] for r in emu.requests)
