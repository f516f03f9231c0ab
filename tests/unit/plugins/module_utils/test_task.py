"""A task: options become one deadline and a client; runs are read or waited on, asserted and trimmed; a failure keeps
the runs seen and the time elapsed since the task's one start."""

import pytest

from ansible_collections.altostrat.cloud.plugins.module_utils._errors import (
    AltostratAPIError, AltostratInputError, AltostratRunError, AltostratTimeoutError)
from ansible_collections.altostrat.cloud.plugins.module_utils._task import Task, expected_statuses

from testkit.budget import state_file
from testkit.fakes import FakeAnswer, FakeAdapter, task_options as options


@pytest.fixture
def task_for(clock):
    """``task_for(opts)``: a Task on the fake clock, started now: no test here waits in real time."""
    return lambda opts: Task(opts, clock=clock, sleep=clock.sleep, started=clock())


def test_task_maps_options_to_its_client(tmp_path):
    warnings = []
    ca = tmp_path / 'ca.pem'
    ca.write_text('x')
    task = Task(options(api_url='http://127.0.0.1:1/', request_timeout=7.5, http_retries=2, ca_path=str(ca),
                        rate_limit=30, wait_timeout=100), warn=warnings.append)
    client = task.client
    assert client.api_url == 'http://127.0.0.1:1'
    assert client.transport.request_timeout == 7.5 and client.retrier.http_retries == 2
    assert client.budget.per_minute == 30
    assert client.deadline is task.deadline and 99 < task.deadline.left() <= 100
    assert client.session.verify == str(ca)
    assert warnings == []
    client = Task(options(api_url='http://127.0.0.1:1', validate_certs=False), warn=warnings.append).client
    assert client.session.verify is False
    assert warnings == ['validate_certs is false: the TLS certificate of http://127.0.0.1:1 is not verified.']


def test_task_without_token():
    with pytest.raises(AltostratInputError, match='No API token: set the token option or the ALTOSTRAT_TOKEN'):
        Task(options(token=None))


def test_fetch_trims_logs(emulator, task_for):
    task = task_for(options(emulator, logs='errors'))
    runs = task.read_and_check(['fl_run_failed', 'fl_run_completed'])
    assert [r['id'] for r in runs] == ['fl_run_failed', 'fl_run_completed']
    assert [e['node_id'] for e in runs[0]['logs']] == ['n2'] and runs[1]['logs'] == []
    assert runs[0]['trigger_payload'] == {'env': 'staging'}


def test_known_runs_not_fetched(emulator, task_for):
    known = {'fl_run_x': {'id': 'fl_run_x', 'status': 'pending', 'logs': [{'status': 'success'}]}}
    runs = task_for(options(emulator, logs='none')).read_and_check(['fl_run_x'], known=known)
    assert runs == [{'id': 'fl_run_x', 'status': 'pending', 'logs': []}]
    assert emulator.count() == 0


def test_expected_status_failure_keeps_the_trimmed_run(emulator, task_for):
    task = task_for(options(emulator, expected_status=['completed'], logs='errors'))
    with pytest.raises(AltostratRunError) as info:
        task.read_and_check(['fl_run_failed'])
    exc = info.value
    assert exc.run['id'] == 'fl_run_failed'
    assert 'Webhook request failed: 503 Service Unavailable' in str(exc)
    assert str(exc).endswith('; failed steps: node n2 output {"body":{"message":"Service Unavailable"},"status":503}.')
    result = task.failure(exc, ['fl_run_failed'])
    assert [e['node_id'] for e in result['run']['logs']] == ['n2'] and result['msg'] == str(exc)


def test_timed_out_wait_returns_the_last_run_and_elapsed_from_the_start(emulator, task_for, clock):
    task = task_for(options(emulator, wait=True, wait_timeout=3, poll_interval=1, logs='none'))
    with pytest.raises(AltostratTimeoutError) as info:
        task.read_and_check(['fl_run_forever'])
    assert info.value.run['status'] == 'running'
    # polls at 0, 1 and 2 s (the last one LAST_POLL, 1 s, before the deadline), then the end at the deadline
    assert clock.sleeps == pytest.approx([1.0, 1.0, 1.0])
    assert emulator.count() == 3
    result = task.failure(info.value, ['fl_run_forever'], many=True)
    assert result['runs'][0]['status'] == 'running' and result['runs'][0]['logs'] == []
    assert result['elapsed'] == pytest.approx(3.0)


def test_elapsed_counts_from_the_tasks_start_not_from_the_client(emulator, clock):
    started = clock()
    clock.advance(0.75)  # the module process took this long to start
    task = Task(options(emulator), clock=clock, sleep=clock.sleep, started=started)
    task.read_and_check(['fl_run_completed'])
    assert task.elapsed() == pytest.approx(0.75)
    assert task.deadline.left() == pytest.approx(3600 - 0.75)


def test_a_failed_read_without_wait_reports_the_time_it_took(task_for, clock):
    """A read with no wait against a hung server: elapsed is the truth, not 0."""
    task = task_for(options(http_retries=2))
    adapter = FakeAdapter([FakeAnswer(503, {'message': 'down'}, cost=4.0)], clock)
    task.client.session.mount('https://', adapter)
    with pytest.raises(AltostratAPIError) as info:
        task.read_and_check(['fl_run_hung'])
    assert len(adapter.sent) == 3
    elapsed = task.failure(info.value, ['fl_run_hung'])['elapsed']
    assert elapsed == pytest.approx(clock() - task.deadline.start, abs=0.001) and elapsed > 12


def test_on_interaction(emulator, task_for):
    runs = task_for(options(emulator, wait=True, expected_status=['any'])).read_and_check(['fl_run_awaiting'])
    assert runs[0]['status'] == 'awaiting_ui_interaction'
    with pytest.raises(AltostratRunError, match='^Expected status completed, but run fl_run_awaiting is awaiting_ui'):
        task_for(options(emulator, wait=True)).read_and_check(['fl_run_awaiting'])  # stopped for a person: closed by default
    with pytest.raises(AltostratRunError, match='on_interaction=fail'):
        task_for(options(emulator, wait=True, on_interaction='fail')).read_and_check(['fl_run_awaiting'])


def test_api_error_propagates_without_a_run(emulator, task_for):
    task = task_for(options(emulator, logs='errors'))
    with pytest.raises(AltostratAPIError) as info:
        task.read_and_check(['fl_run_nope'])
    assert info.value.status == 404
    result = task.failure(info.value, ['fl_run_nope'])
    assert 'run' not in result and result['http_status'] == 404


@pytest.mark.parametrize('wait', [False, True])
@pytest.mark.parametrize('bad', ['fl_run_a/../b', 'fl_run_%2e', {'id': 'fl_run_a'}], ids=repr)
def test_one_bad_id_among_good_ones_sends_nothing(bad, wait, task_for):
    """query(..., good_id, bad_id): refused before any request, not even one for the good id."""
    task = task_for(options(wait=wait))
    adapter = FakeAdapter([FakeAnswer(200, {'id': 'fl_run_good', 'status': 'completed', 'logs': []})])
    task.client.session.mount('https://', adapter)
    with pytest.raises(AltostratInputError, match='^Invalid run id'):
        task.read_and_check(['fl_run_good', bad])
    assert adapter.sent == []


@pytest.mark.parametrize('wait, given, expected', [
    (True, None, ['completed']), (False, None, None), (True, ['any'], None), (False, ['failed'], ['failed']),
    (True, ['completed', 'failed'], ['completed', 'failed']),
])
def test_expected_statuses_fail_closed_after_a_wait(wait, given, expected):
    assert expected_statuses(options(wait=wait, expected_status=given)) == expected


def test_rate_limit_above_the_bound_refused_before_any_request(emulator):
    with pytest.raises(AltostratInputError, match=r'^rate_limit must be 0 \(off\) or a number of requests a minute up to 1000, got 3000000\.$'):
        Task(options(emulator, rate_limit=3000000))
    assert emulator.count() == 0


def test_rate_limit_store_makes_the_budget_shared_through_it(emulator, redis_server):
    client = Task(options(emulator, rate_limit=60, rate_limit_store=redis_server.url)).client
    client.get_run('fl_run_completed')
    (slots,) = [key for key in redis_server.client().keys('*') if key.endswith(b':slots')]
    assert redis_server.client().zcard(slots) == 1
    assert state_file(client.budget) is None  # not this machine's file


def test_rate_limit_store_not_a_redis_url_refused_before_any_request(emulator):
    with pytest.raises(AltostratInputError, match=r'^rate_limit_store must be a redis:// or rediss:// URL'):
        Task(options(emulator, rate_limit=60, rate_limit_store='https://:pw@cache:6379'))
    assert emulator.count() == 0
