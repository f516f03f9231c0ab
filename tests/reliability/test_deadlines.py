"""Issue 5 item 2: deadlines. A wait never takes longer than ``wait_timeout`` plus one
``request_timeout``, whatever the server does; no sleep goes past the time left.

Unit tests run the real Client and Waiter on a fake clock (each scripted answer costs fake
time, at most ``request_timeout``); end-to-end tests time real ``ansible-playbook`` tasks against
a hung and a slow-dripping emulator.
"""

import pytest
import requests
from hypothesis import given, settings, strategies as st

from rel_helpers import RUN_OK, RUN_RUNNING, run_play, scenario, warnings_about
from testkit.fakes import Answer, FakeClock, fake_client

from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratAPIError, AltostratTimeoutError
from ansible_collections.altostrat.cloud.plugins.module_utils._waiter import Waiter


class RecordingClock(FakeClock):
    """A fake clock that remembers when each sleep started."""

    def __init__(self):
        super().__init__()
        self.spans = []

    def sleep(self, seconds):
        self.spans.append((self.now, seconds))
        super().sleep(seconds)


def _answer(kind, rt, cost_fraction, retry_after):
    cost = rt * cost_fraction
    if kind == 'running':
        return Answer(200, RUN_RUNNING, cost=cost)
    if kind == 'done':
        return Answer(200, RUN_OK, cost=cost)
    if kind == 'timeout':
        return Answer(exc=requests.exceptions.ReadTimeout('read timed out'), cost=rt)
    if kind == 'reset':
        return Answer(exc=requests.exceptions.ConnectionError('Connection reset by peer'), cost=cost)
    headers = {'Content-Type': 'application/json'}
    if retry_after is not None:
        headers['Retry-After'] = str(retry_after)
    status = {'429': 429, '503': 503, '404': 404}[kind]
    return Answer(status, {'message': 'no'}, headers, cost=cost)


ANSWERS = st.tuples(st.sampled_from(['running', 'running', 'timeout', 'reset', '429', '503', 'done', '404']),
                    st.floats(0, 1), st.one_of(st.none(), st.integers(0, 100000)))


@settings(max_examples=150)
@given(script=st.lists(ANSWERS, min_size=1, max_size=30),
       wait_timeout=st.floats(0.5, 120), request_timeout=st.floats(0.5, 30),
       poll_interval=st.floats(0.1, 20), http_retries=st.integers(0, 6))
def test_wait_never_outlives_wait_timeout_plus_one_request_timeout(script, wait_timeout, request_timeout,
                                                                   poll_interval, http_retries):
    clock = RecordingClock()
    answers = [_answer(kind, request_timeout, frac, ra) for kind, frac, ra in script]
    answers.append(Answer(200, RUN_RUNNING, cost=request_timeout))  # then: running for ever, slowly
    client = fake_client(answers, clock=clock, request_timeout=request_timeout, http_retries=http_retries)
    start = clock()
    deadline = start + wait_timeout
    try:
        Waiter(client, wait_timeout=wait_timeout, poll_interval=poll_interval,
               max_poll_interval=poll_interval * 3, warn=client.warnings.append).wait(['fl_run_x'])
    except (AltostratAPIError, AltostratTimeoutError):
        pass
    assert clock() - start <= wait_timeout + request_timeout + 1e-6
    for began, seconds in clock.spans:
        assert began + seconds <= deadline + 1e-6, 'a sleep went past the deadline'


def test_sleep_is_clipped_to_the_time_left_and_the_last_poll_is_at_the_deadline():
    clock = RecordingClock()
    client = fake_client([Answer(200, RUN_RUNNING)], clock=clock)
    with pytest.raises(AltostratTimeoutError) as info:
        Waiter(client, wait_timeout=3, poll_interval=10).wait(['fl_run_x'])
    assert clock.sleeps == [3.0]
    assert len(client.adapter.sent) == 2, 'one poll at the start, one at the deadline'
    assert 'wait_timeout=3s' in str(info.value) and info.value.run['status'] == 'running'


def test_retry_backoff_never_sleeps_past_the_deadline():
    clock = RecordingClock()
    client = fake_client([Answer(503, {'message': 'busy'})], clock=clock, http_retries=50)
    deadline = clock() + 7
    with pytest.raises(AltostratAPIError):
        client.get_run('fl_run_x', deadline=deadline)
    assert clock() <= deadline
    assert all(began + seconds <= deadline for began, seconds in clock.spans)


def test_timeout_error_carries_the_last_state_seen():
    clock = FakeClock()
    client = fake_client([Answer(200, RUN_RUNNING)], clock=clock)
    with pytest.raises(AltostratTimeoutError) as info:
        Waiter(client, wait_timeout=5, poll_interval=1).wait(['fl_run_x'])
    assert info.value.run == RUN_RUNNING and 0 < info.value.elapsed <= 5


# ---- end to end, real time -----------------------------------------------------------------
# Marked ``timing``: `make reliability` runs them on their own after the rest, so the times they
# bound are not those of a machine also busy with the other tests.

WAIT_TIMEOUT, REQUEST_TIMEOUT = 2.0, 1.0
WAIT_ARGS = {'wait': True, 'wait_timeout': WAIT_TIMEOUT, 'request_timeout': REQUEST_TIMEOUT, 'poll_interval': 0.5}
BOUND = WAIT_TIMEOUT + REQUEST_TIMEOUT
SLACK_INSIDE = 0.35   # the module's own elapsed (measured by the waiter)
SLACK_TASK = 1.5      # a whole task, beyond what a task that does not wait costs in the same play


@pytest.fixture(scope='module')
def timed(module_emulators, tmp_path_factory):
    faults = [
        {'kind': 'hang', 'method': 'GET', 'path_regex': '^/workflows/runs/fl_run_hang', 'times': None},
        {'kind': 'drip', 'delay': 0.9, 'method': 'GET', 'path_regex': '^/workflows/runs/fl_run_drip', 'times': None},
        {'kind': 'status', 'status': 503, 'method': 'GET', 'path_regex': '^/workflows/runs/fl_run_down', 'times': None},
        {'kind': 'status', 'status': 429, 'retry_after': 86400, 'method': 'GET', 'path': '/workflows/runs/fl_run_abs',
         'times': 1},
    ]
    runs = ['fl_run_hang', 'fl_run_drip', 'fl_run_down', 'fl_run_abs', 'fl_run_done',
            {'id': 'fl_run_long', 'workflow_id': 'fl_wf_rel', 'pending_for': 0, 'duration': 3600,
             'status': 'completed', 'steps': 2}]
    emu = module_emulators(scenario(*runs, faults=faults))
    # The same task on a finished run, first and last: what a task costs in this play, at this
    # machine's load, without any waiting. The bounds below are on the time beyond that.
    baseline = [{'name': name, 'run_id': 'fl_run_done'} for name in ('base_first', 'base_last')]
    cases = [{'name': name, 'run_id': 'fl_run_' + name, 'args': WAIT_ARGS, 'lookup': name == 'hang'}
             for name in ('hang', 'drip', 'down', 'long')]
    cases.append({'name': 'abs', 'run_id': 'fl_run_abs', 'lookup': False,
                  'args': {'wait': True, 'wait_timeout': 3, 'poll_interval': 0.5}})
    played = run_play(tmp_path_factory.mktemp('timed'), 'timed.yml', emu.url,
                      extra_vars={'cases': baseline[:1] + cases + baseline[1:]})
    assert played.rc == 0, played
    played.emu = emu
    played.overhead = {kind: max(played['result'][base['name']][kind + '_seconds'] for base in baseline)
                       for kind in ('module', 'lookup')}
    return played


def beyond_a_task(timed, case, kind):
    """The seconds a timed task took beyond the same task without waiting."""
    return case[kind + '_seconds'] - timed.overhead[kind]


@pytest.mark.timing
@pytest.mark.parametrize('name', ['hang', 'down', 'long'])
def test_e2e_wait_is_bounded_by_wait_timeout_plus_request_timeout(timed, name):
    case = timed['result'][name]
    module = case['module']
    assert module['failed'], module
    assert '\n' not in module['msg'] and 'Traceback' not in timed.output
    assert module['elapsed'] <= BOUND + SLACK_INSIDE, module
    assert beyond_a_task(timed, case, 'module') <= BOUND + SLACK_TASK, (timed.overhead, case)
    if name == 'hang':
        assert case['lookup']['failed'], case
        assert beyond_a_task(timed, case, 'lookup') <= BOUND + SLACK_TASK, (timed.overhead, case)
        assert 'Wait timed out' in case['lookup']['msg']


@pytest.mark.timing
def test_e2e_hung_server_message_names_the_timeout(timed):
    msg = timed['result']['hang']['module']['msg']
    assert 'GET /workflows/runs/fl_run_hang' in msg and 'request_timeout=1s' in msg, msg


def test_timeout_before_any_successful_poll_names_the_last_error():
    clock = FakeClock()
    client = fake_client([Answer(exc=requests.exceptions.ReadTimeout('read timed out'), cost=1.0)],
                         clock=clock, request_timeout=1.0)
    with pytest.raises(AltostratTimeoutError) as info:
        Waiter(client, wait_timeout=2, poll_interval=1).wait(['fl_run_x'])
    assert 'request_timeout=1s' in str(info.value), str(info.value)


@pytest.mark.timing
def test_e2e_long_run_times_out_with_its_last_state(timed):
    module = timed['result']['long']['module']
    assert 'Wait timed out' in module['msg'] and module['run']['status'] == 'running'


@pytest.mark.timing
def test_e2e_slow_drip_is_bounded_by_wait_timeout_plus_request_timeout(timed):
    case = timed['result']['drip']
    assert case['module']['failed'], case
    assert case['module']['elapsed'] <= BOUND + SLACK_INSIDE, case['module']
    assert beyond_a_task(timed, case, 'module') <= BOUND + SLACK_TASK, (timed.overhead, case)


@pytest.mark.timing
def test_e2e_slow_drip_ends_the_wait(timed):
    """Even where F3 overruns the bound, the drip does not hold the task: it ends within two request_timeouts."""
    case = timed['result']['drip']
    assert case['module']['failed'] and 'fl_run_drip' in case['module']['msg']
    assert case['module']['elapsed'] <= WAIT_TIMEOUT + 2 * REQUEST_TIMEOUT + SLACK_INSIDE, case['module']


@pytest.mark.timing
def test_e2e_absurd_retry_after_is_clipped_to_the_wait(timed):
    case = timed['result']['abs']
    assert not case['module'].get('failed'), case
    assert case['module']['run']['status'] == 'completed'
    assert case['module']['elapsed'] <= 3 + SLACK_INSIDE, case['module']
    assert beyond_a_task(timed, case, 'module') < 3 + SLACK_TASK, (timed.overhead, case)
    assert warnings_about(timed.output, 'GET /workflows/runs/fl_run_abs failed: HTTP 429')
    assert timed.emu.count(path='/workflows/runs/fl_run_abs') == 2
