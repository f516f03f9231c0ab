"""The client's endpoints: starts (always with an idempotency key), reruns, resumes, listing, id checks, answer shapes."""

import json
import re
import uuid
from urllib.parse import unquote, urlsplit

import pytest
import requests
from hypothesis import example, given, settings, strategies as st

from ansible_collections.altostrat.cloud.plugins.module_utils import _client
from ansible_collections.altostrat.cloud.plugins.module_utils._client import check_run
from ansible_collections.altostrat.cloud.plugins.module_utils._deadline import Deadline
from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratAPIError, AltostratError, AltostratInputError
from ansible_collections.altostrat.cloud.plugins.module_utils._runs import check_expected, describe, filter_logs

from testkit import SENTINEL
from testkit.fakes import FakeAnswer, FakeAdapter, assert_one_clean_line, fake_client, scripted

RUN = {'id': 'fl_run_x', 'status': 'completed', 'logs': []}


def test_rerun_and_resume_return_new_run(emulator, make_client):
    client = make_client(emulator)
    new, key, replayed = client.rerun('fl_run_failed')
    assert new['id'].startswith('fl_run_') and new['id'] != 'fl_run_failed' and not replayed
    resumed, other_key, replayed = client.resume('fl_run_failed', 'n1')
    assert resumed['id'] not in ('fl_run_failed', new['id']) and not replayed
    assert key != other_key and emulator.idempotency_keys == [key, other_key]
    assert [r['path'] for r in emulator.requests] == [
        '/workflows/runs/fl_run_failed/rerun', '/workflows/runs/fl_run_failed/resume-from/n1']


def test_rerun_answer_without_new_run(emulator, make_client):
    emulator.add_fault(method='POST', kind='wrong_shape', body={'message': 'ok'})
    with pytest.raises(AltostratAPIError, match='no "new_run" object'):
        make_client(emulator).rerun('fl_run_failed')


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


@pytest.mark.parametrize('page, first, count', [(1, 39, 15), (2, 24, 15), (3, 9, 10)])
def test_runs_page_reads_one_page(page, first, count, emulator, make_client):
    runs, last_page = make_client(emulator).runs_page('fl_wf_paged', page)
    assert [r['id'] for r in runs] == ['fl_run_page_%03d' % i for i in range(first, first - count, -1)]
    assert last_page == 3 and emulator.count() == 1


def test_runs_page_without_meta_has_no_last_page(emulator, make_client):
    emulator.add_fault(method='GET', kind='wrong_shape', body={'data': [RUN]})
    assert make_client(emulator).runs_page('fl_wf_main') == ([RUN], None)


def test_list_runs_unknown_workflow(emulator, make_client):
    with pytest.raises(AltostratAPIError) as info:
        make_client(emulator).list_runs('fl_nope')
    assert info.value.status == 404 and 'Workflow fl_nope not found.' in str(info.value)


def test_a_listing_stops_at_the_page_cap_and_at_the_deadline(make_client, clock):
    """A server that says it has a billion pages, the budget off: 100 pages at most, and never past the deadline."""
    page = json.dumps({'data': [{'id': 'fl_run_p', 'status': 'completed'}], 'meta': {'last_page': 10 ** 9}}).encode()
    client = make_client('http://api.test', deadline=Deadline(3600, clock))
    adapter = scripted(client, [(200, {}, page)] * (_client.MAX_PAGES + 1))
    assert len(client.list_runs('fl_wf')) == _client.MAX_PAGES and len(adapter.sent) == _client.MAX_PAGES
    assert client.warnings == ['Workflow fl_wf has more than 100 pages of runs; only the first 100 were read (newest first).']
    slow = make_client('http://api.test', deadline=Deadline(3, clock))
    adapter = FakeAdapter([FakeAnswer(200, page, cost=1.0)], clock)
    slow.session.mount('http://', adapter)
    with pytest.raises(AltostratAPIError) as info:
        slow.list_runs('fl_wf')
    assert len(adapter.sent) <= 4 and slow.deadline.left() == 0
    assert "deadline (wait_timeout)" in str(info.value)


def test_an_answer_for_another_run_is_refused_naming_both(make_client):
    client = make_client('http://api.test')
    scripted(client, [(200, {}, b'{"id": "fl_run_ok", "status": "completed", "logs": []}')])
    with pytest.raises(AltostratAPIError) as info:
        client.get_run('fl_run_asked')
    assert str(info.value) == ('GET /workflows/runs/fl_run_asked: HTTP 200 answer is for run fl_run_ok, not for run '
                               'fl_run_asked: refused.')
    assert not info.value.transient


# ---- id validation and quoting: a bad id never leaves the machine ------------------------------------

BAD = ['', ' ', 'fl_run_', 'fl_run_a/b', 'fl_run_x/../../admin', '..', 'fl_run_..', 'fl_run_%2e%2e', 'fl_run_%2F',
       'fl_run_a?b=c', 'fl_run_a#frag', 'fl_run_a b', ' fl_run_a', 'fl_run_a ', 'fl_run_a\n', 'fl_run_a\t',
       'fl_run_a\r\nX-Injected: 1', 'fl_run_a\x00', 'fl_run_\u00e9', 'fl_run_\uff41', 'fl_run_a;b', 'fl_run_a.b',
       'fl_run_' + 'a' * 200, 'https://evil.test/x', '/workflows/runs/fl_run_a', 'fl_run_a\\b', None, 42,
       ['fl_run_a'], {'id': 'fl_run_a'}, b'fl_run_a']
BAD_NODES = ['', 'n/1', '../x', 'n0/../n1', '..', '%2e', 'n?1', 'n#1', 'n 1', 'n1\n', 'n' * 200, None, 0]
SHAPES = {
    'run': re.compile(r'/workflows/runs/(fl_run_[A-Za-z0-9_-]+)\Z'),
    'workflow': re.compile(r'/workflows/(fl_[A-Za-z0-9_-]+)/executions\Z'),
    'start': re.compile(r'/workflows/(fl_[A-Za-z0-9_-]+)/execute\Z'),
    'rerun': re.compile(r'/workflows/runs/(fl_run_[A-Za-z0-9_-]+)/rerun\Z'),
    'resume': re.compile(r'/workflows/runs/fl_run_ok/resume-from/([A-Za-z0-9_-]+)\Z'),
}
CALLS = {
    'run': lambda client, value: client.get_run(value),
    'workflow': lambda client, value: client.list_runs(value),
    'start': lambda client, value: client.start_run(value, {'a': 1}),
    'rerun': lambda client, value: client.rerun(value),
    'resume': lambda client, value: client.resume('fl_run_ok', value),
}
KIND = {'run': 'run', 'rerun': 'run', 'workflow': 'workflow', 'start': 'workflow', 'resume': 'node'}


def api_client(clock=None):
    """A client whose fake API answers every endpoint well."""
    def answer(request):
        path = urlsplit(request.url).path
        if path.endswith('/executions'):
            return FakeAnswer(200, {'data': [], 'meta': {'last_page': 1}})
        if path.endswith('/rerun') or '/resume-from/' in path:
            return FakeAnswer(202, {'message': 'queued', 'new_run': RUN})
        return FakeAnswer(200, RUN)
    return fake_client(answer, clock=clock)


@pytest.mark.parametrize('call', ['run', 'workflow', 'start', 'rerun'])
@pytest.mark.parametrize('value', BAD, ids=repr)
def test_bad_ids_refused_before_any_request(call, value, clock):
    client = api_client(clock)
    if call in ('workflow', 'start') and isinstance(value, str) and value.startswith('fl_run_'):
        value = value.replace('fl_run_', 'fl_', 1)
    with pytest.raises(AltostratInputError) as info:
        CALLS[call](client, value)
    assert client.adapter.sent == []
    assert str(info.value).startswith('Invalid %s id' % KIND[call]) and len(str(info.value)) < 250
    assert_one_clean_line(str(info.value))


@pytest.mark.parametrize('call, value', [('run', 'fl_wf_main'), ('rerun', 'fl_wf_main'), ('workflow', 'wf_main'),
                                         ('start', 'wf_main'), ('workflow', 'fl_'), ('start', 'FL_main')])
def test_ids_of_another_shape_refused_before_any_request(call, value, clock):
    client = api_client(clock)
    with pytest.raises(AltostratInputError, match='^Invalid %s id' % KIND[call]):
        CALLS[call](client, value)
    assert client.adapter.sent == []


@pytest.mark.parametrize('value', BAD_NODES, ids=repr)
def test_bad_node_ids_refused_before_any_request(value, clock):
    client = api_client(clock)
    with pytest.raises(AltostratInputError, match='^Invalid node id'):
        client.resume('fl_run_ok', value)
    assert client.adapter.sent == []


# Near misses of the API's id shapes, and any text at all.
NEAR = st.builds(lambda prefix, body, tail: prefix + body + tail,
                 st.sampled_from(['fl_run_', 'fl_', 'fl_run', '', 'FL_RUN_', 'fl_run_fl_run_']),
                 st.text(alphabet=st.sampled_from('aZ09_-./%?#&=;: \t\n\\\u00e9\u0000\u202e'), max_size=20),
                 st.sampled_from(['', '/', '%2e', '..', ' ', '\n', 'x' * 130]))
ANY_TEXT = st.one_of(st.text(max_size=200), NEAR, st.from_regex(r'\Afl_run_[A-Za-z0-9_-]{1,140}\Z'))


def _check_path(call, value):
    """For any text: the request path is the API's own shape with the id as one plain segment, or nothing is sent."""
    client = api_client()
    try:
        CALLS[call](client, value)
    except AltostratInputError:
        assert client.adapter.sent == [], 'refused, yet a request was sent'
        return
    except AltostratAPIError:  # the fake answers another run: sent, then refused
        pass
    assert client.adapter.sent, 'accepted, yet no request was sent'
    for request in client.adapter.sent:
        parts = urlsplit(request.url)
        assert (parts.scheme, parts.netloc, parts.fragment) == ('https', 'api.test', '')
        match = SHAPES[call].match(parts.path)
        assert match, 'path %r is not the API shape for %s' % (parts.path, call)
        assert unquote(match.group(1)) == value == match.group(1), 'the id went out other than as one plain segment'
        assert len(value) <= 128 and (call == 'workflow' or not parts.query)
        assert SENTINEL not in request.url


@settings(max_examples=300)
@given(value=ANY_TEXT)
def test_property_run_id_path_is_api_shape_or_refused(value):
    _check_path('run', value)
    _check_path('rerun', value)


@settings(max_examples=200)
@given(value=st.one_of(ANY_TEXT, st.from_regex(r'\Afl_[A-Za-z0-9_-]{1,100}\Z')))
def test_property_workflow_id_path_is_api_shape_or_refused(value):
    _check_path('workflow', value)
    _check_path('start', value)


@settings(max_examples=200)
@given(value=st.one_of(ANY_TEXT, st.from_regex(r'\A[A-Za-z0-9_-]{1,130}\Z')))
def test_property_node_id_path_is_api_shape_or_refused(value):
    _check_path('resume', value)


def test_ids_are_path_quoted(make_client, monkeypatch):
    """Even if an id got past validation, it would stay one path segment."""
    monkeypatch.setattr(_client, 'check_id', lambda value, kind='run': value)
    client = make_client('http://api.test')
    ok = b'{"id": "fl_run_a", "status": "completed"}'
    new = b'{"new_run": {"id": "fl_run_b", "status": "pending"}}'
    page = b'{"data": [], "meta": {"last_page": 1}}'
    adapter = scripted(client, [(200, {}, ok), (202, {}, new), (200, {}, page)])
    client.request('GET', '/workflows/runs/%s' % _client._segment('fl_run_x/../admin?a=1#f', 'run'))
    assert client.resume('fl_run_a b', '../n0')[0]['id'] == 'fl_run_b'
    assert client.list_runs('fl_a/b') == []
    urls = [r.url for r in adapter.sent]
    assert urls == ['http://api.test/workflows/runs/fl_run_x%2F..%2Fadmin%3Fa%3D1%23f',
                    'http://api.test/workflows/runs/fl_run_a%20b/resume-from/..%2Fn0',
                    'http://api.test/workflows/fl_a%2Fb/executions?page=1']


# ---- every start carries an idempotency key ------------------------------------------------------

EXECUTE = '/workflows/fl_wf_main/execute'


def test_start_without_key_sends_a_fresh_uuid(emulator, make_client):
    client = make_client(emulator)
    first, key, replayed = client.start_run('fl_wf_main', context={'a': 1})
    second, other, _unused = client.start_run('fl_wf_main', context={'a': 1})
    assert str(uuid.UUID(key)) == key and key != other and not replayed
    assert emulator.idempotency_keys == [key, other] and first['id'] != second['id']
    assert emulator.runs_created == 2


def test_start_with_key_replayed(emulator, make_client):
    client = make_client(emulator)
    first, key, replayed = client.start_run('fl_wf_main', context={'a': 1}, idempotency_key='k-1')
    again, key2, replayed2 = client.start_run('fl_wf_main', context={'a': 1}, idempotency_key='k-1')
    assert (key, key2, replayed, replayed2) == ('k-1', 'k-1', False, True)
    assert again['id'] == first['id'] and emulator.runs_created == 1


@pytest.mark.parametrize('spec', [{'kind': 'status', 'status': 503}, {'kind': 'status', 'status': 500}, {'kind': 'drop'},
                                  {'kind': 'truncated'}])
def test_lost_start_answer_retried_with_the_same_key_one_run(spec, emulator, make_client, clock):
    process = {'process': True} if spec['kind'] == 'status' else {}  # the run was created, its answer lost
    emulator.add_fault(method='POST', path=EXECUTE, times=1, **dict(spec, **process))
    client = make_client(emulator)
    run, key, replayed = client.start_run('fl_wf_main', context={'a': 1})
    assert emulator.count('POST', EXECUTE) == 2 and emulator.idempotency_keys == [key, key]
    assert emulator.runs_created == 1 and replayed is (spec['kind'] != 'drop')
    assert emulator.run(run['id']) is not None


def test_start_refused_by_the_rate_limit_is_sent_again(emulator, make_client, clock):
    emulator.add_fault(method='POST', path=EXECUTE, kind='status', status=429, retry_after=2, times=8)
    client = make_client(emulator, http_retries=1, deadline=Deadline(600, clock))
    run, key, replayed = client.start_run('fl_wf_main')
    assert emulator.count('POST', EXECUTE) == 9 and emulator.runs_created == 1 and not replayed
    assert len(clock.sleeps) == 8 and all(2.0 <= s <= 3.0 for s in clock.sleeps)
    assert client.warnings == []  # back-pressure is not trouble


def test_start_client_error_not_retried_and_says_nothing_about_starting(emulator, make_client):
    with pytest.raises(AltostratAPIError) as info:
        make_client(emulator).resume('fl_run_completed', 'n0')
    assert info.value.status == 422 and info.value.api_code == 'run_not_failed'
    assert 'may or may not' not in str(info.value) and emulator.count() == 1


def test_start_failing_for_good_names_its_key(emulator, make_client, clock):
    emulator.add_fault(method='POST', path=EXECUTE, kind='status', status=503, times=None)
    with pytest.raises(AltostratAPIError) as info:
        make_client(emulator, http_retries=2).start_run('fl_wf_main', idempotency_key='k-9')
    assert emulator.count('POST', EXECUTE) == 3 and emulator.runs_created == 0
    assert str(info.value).endswith('The run may or may not have started; its Idempotency-Key was k-9.')


def test_key_reused_for_another_request_gets_a_hint(emulator, make_client):
    client = make_client(emulator)
    client.start_run('fl_wf_main', context={'site': 'ams1'}, idempotency_key='4711-preflight')
    with pytest.raises(AltostratAPIError) as info:
        client.start_run('fl_wf_main', context={'site': 'fra1'}, idempotency_key='4711-preflight')
    msg = str(info.value)
    assert info.value.status == 422 and info.value.api_code == 'idempotency_key_in_use' and '\n' not in msg
    assert 'The idempotency_key 4711-preflight was used within the last 24 hours for a different request' in msg
    assert 'unique per host and per attempt' in msg and emulator.runs_created == 1


# ---- every kind of start, every lost answer: retried with one key, never a second run -----------------

LOST = {
    '503': FakeAnswer(503, {'message': 'busy'}, reason='Service Unavailable'),
    '502-html': FakeAnswer(502, b'<html>502</html>', {'Content-Type': 'text/html'}),
    'reset': FakeAnswer(exc=requests.exceptions.ConnectionError('Connection reset by peer')),
    'timeout': FakeAnswer(exc=requests.exceptions.ReadTimeout('read timed out')),
    'cut-off': FakeAnswer(200, b'{"id": "fl_run_x", "sta', {'Content-Type': 'application/json', 'Content-Length': '200'}),
}
STARTS = {
    'start': (lambda client, key: client.start_run('fl_wf', {'a': 1}, idempotency_key=key), RUN),
    'rerun': (lambda client, key: client.rerun('fl_run_old', idempotency_key=key), {'message': 'queued', 'new_run': RUN}),
    'resume': (lambda client, key: client.resume('fl_run_old', 'n1', idempotency_key=key),
               {'message': 'queued', 'new_run': RUN}),
}


@pytest.mark.parametrize('key', [None, 'job-42-preflight'], ids=['fresh-key', 'given-key'])
@pytest.mark.parametrize('failure', sorted(LOST))
@pytest.mark.parametrize('call', sorted(STARTS))
def test_start_whose_answer_is_lost_is_retried_with_the_same_key(call, failure, key, clock):
    start, answer = STARTS[call]
    client = fake_client([LOST[failure], FakeAnswer(201, answer, {'Content-Type': 'application/json',
                                                              'Idempotent-Replayed': 'true'})], clock=clock)
    run, sent_key, replayed = start(client, key)
    assert run == RUN and replayed is True and client.own_replay
    keys = [request.headers['Idempotency-Key'] for request in client.adapter.sent]
    assert keys == [sent_key, sent_key] and sent_key == (key or str(uuid.UUID(sent_key)))
    assert len(client.warnings) == 2 and 'is failing (POST /workflows/' in client.warnings[0]


@pytest.mark.parametrize('status', [400, 401, 403, 404, 409, 422])
@pytest.mark.parametrize('call', sorted(STARTS))
def test_start_refused_with_a_4xx_is_sent_once(call, status, clock):
    start, answer = STARTS[call]
    client = fake_client([FakeAnswer(status, {'message': 'No.', 'code': 'refused'}, reason='Refused'), FakeAnswer(201, answer)],
                         clock=clock, http_retries=5)
    with pytest.raises(AltostratAPIError) as info:
        start(client, None)
    assert info.value.status == status and not info.value.transient
    assert len(client.adapter.sent) == 1 and clock.sleeps == [] and client.warnings == []
    assert 'may or may not' not in str(info.value) and str(info.value).startswith('POST /workflows/')


# ---- what an answer must look like ---------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=30)
# Run-like objects: the real keys with values of any JSON type, so the checks go deep.
RUNLIKE = st.fixed_dictionaries({}, optional={
    'id': st.one_of(st.just('fl_run_x'), JSON), 'status': st.one_of(st.sampled_from(
        ['pending', 'running', 'completed', 'failed', 'awaiting_ui_interaction', 'queued_v2']), JSON),
    'error_message': st.one_of(st.none(), st.text(max_size=40), JSON),
    'logs': st.one_of(st.none(), JSON, st.lists(st.one_of(JSON, st.fixed_dictionaries({}, optional={
        'node_id': JSON, 'component_id': JSON, 'status': st.sampled_from(['success', 'error', 'warning']),
        'output': JSON}))))})


@settings(max_examples=400)
@given(value=st.one_of(JSON, RUNLIKE))
@example(value={'id': 'fl_run_x', 'status': 'failed', 'error_message': 'Webhook failed:\n503', 'logs': []})
def test_fuzz_check_run_only_raises_our_errors_and_runs_are_usable(value):
    try:
        run = check_run(value, 'GET', '/workflows/runs/fl_run_x')
    except AltostratAPIError as exc:
        assert_one_clean_line(str(exc))
        assert str(exc).startswith('GET /workflows/runs/fl_run_x: HTTP 200 answer ')
        return
    assert run is value and isinstance(run['id'], str) and isinstance(run['status'], str)
    # Whatever passed the check can be described, asserted and trimmed without a crash, in one line.
    assert_one_clean_line(describe(run, with_output=True))
    if run['status'] == 'completed':
        check_expected([run], ['completed'])
    else:
        with pytest.raises(AltostratError) as info:
            check_expected([run], ['completed'])
        assert_one_clean_line(str(info.value))
    for mode in ('errors', 'none', 'all'):
        filter_logs(json.loads(json.dumps(run)), mode)
