"""The client's endpoints: starts (always with an idempotency key), reruns, resumes, listing, id checks."""

import pytest

from ansible_collections.altostrat.cloud.plugins.module_utils import _client
from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratAPIError, AltostratInputError

from testkit.fakes import scripted


def fault(emu, **spec):
    emu.add_faults([spec])


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
    fault(emulator, method='POST', kind='wrong_shape', body={'message': 'ok'})
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
    assert client.resume('fl_run_a b', '../n0')[0]['id'] == 'fl_run_b'
    assert client.list_runs('fl_a/b') == []
    urls = [r.url for r in adapter.sent]
    assert urls == ['http://api.test/workflows/runs/fl_run_x%2F..%2Fadmin%3Fa%3D1%23f',
                    'http://api.test/workflows/runs/fl_run_a%20b/resume-from/..%2Fn0',
                    'http://api.test/workflows/fl_a%2Fb/executions?page=1']


# ---- every start carries an idempotency key ------------------------------------------------------

EXECUTE = '/workflows/fl_wf_main/execute'


def test_start_without_key_sends_a_fresh_uuid(emulator, make_client):
    import uuid
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
    fault(emulator, method='POST', path=EXECUTE, times=1, **dict(spec, **process))
    client = make_client(emulator)
    run, key, replayed = client.start_run('fl_wf_main', context={'a': 1})
    assert emulator.count('POST', EXECUTE) == 2 and emulator.idempotency_keys == [key, key]
    assert emulator.runs_created == 1 and replayed is (spec['kind'] != 'drop')
    assert emulator.run(run['id']) is not None


def test_start_refused_by_the_rate_limit_is_sent_again(emulator, make_client, clock):
    fault(emulator, method='POST', path=EXECUTE, kind='status', status=429, retry_after=2, times=8)
    client = make_client(emulator, http_retries=1)
    client.deadline = clock() + 600
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
    fault(emulator, method='POST', path=EXECUTE, kind='status', status=503, times=None)
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
