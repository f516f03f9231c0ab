"""The waiter: poll schedule, one deadline, interaction, unknown statuses, transient errors, several runs.

Most tests drive it with a scripted ``get_run``; the last ones with the real client over a fake transport
(``testkit.fakes.fake_client``), where retries, Retry-After and request timeouts meet the deadline.
"""

import threading

import pytest
import requests
from hypothesis import given, settings, strategies as st

from ansible_collections.altostrat.cloud.plugins.module_utils import _waiter
from ansible_collections.altostrat.cloud.plugins.module_utils._errors import (
    AltostratAPIError, AltostratRunError, AltostratTimeoutError)
from ansible_collections.altostrat.cloud.plugins.module_utils._budget import Budget, BudgetTimeout
from ansible_collections.altostrat.cloud.plugins.module_utils._deadline import Deadline
from ansible_collections.altostrat.cloud.plugins.module_utils._waiter import Waiter, get_runs, likely_first, next_pause

from testkit import SENTINEL
from testkit.fakes import FakeAnswer, FakeClock, fake_client


def transient(run_id='x'):
    return AltostratAPIError('GET /workflows/runs/%s failed: HTTP 503 Service Unavailable: Server Error.' % run_id,
                             method='GET', status=503, transient=True)


def fatal(run_id='x'):
    return AltostratAPIError('GET /workflows/runs/%s failed: HTTP 404 Not Found: gone.' % run_id,
                             method='GET', status=404)


class ScriptedClient:
    """``get_run`` answers each run id with the next item of its script (the last one repeats).

    Items are a status string, a run dict, or an exception to raise. ``calls`` records
    ``(run_id, clock time, deadline)``; the deadline is ``wait_timeout`` from now.
    """

    def __init__(self, scripts, clock, wait_timeout=3600):
        self.scripts = dict((run_id, list(items)) for run_id, items in scripts.items())
        self.clock = clock
        self.deadline = Deadline(wait_timeout, clock)
        self.sleep = clock.sleep
        self.calls = []
        self.retries = []
        self.lock = threading.Lock()

    def get_run(self, run_id, retry=True):
        with self.lock:
            self.calls.append((run_id, self.clock(), self.deadline.at))
            self.retries.append(retry)
            script = self.scripts[run_id]
            item = script.pop(0) if len(script) > 1 else script[0]
        if isinstance(item, Exception):
            raise item
        if isinstance(item, dict):
            return dict(item)
        return {'id': run_id, 'status': item, 'logs': []}

    def polled(self, run_id=None):
        return [c[0] for c in self.calls if run_id is None or c[0] == run_id]


def make(scripts, clock, wait_timeout=3600, **kwargs):
    client = ScriptedClient(scripts, clock, wait_timeout)
    warnings, progress = [], []
    kwargs.setdefault('poll_interval', 1.0)
    kwargs.setdefault('max_poll_interval', 15.0)
    waiter = Waiter(client, warn=warnings.append, progress=progress.append, sleep=clock.sleep, **kwargs)
    return client, waiter, warnings, progress


def wait(waiter, run_ids, known=None):
    """``(runs, elapsed)`` of ``waiter.wait(run_ids)``, with the runs of ``known`` seen already."""
    waiter.seen.update(known or {})
    return waiter.wait(run_ids), waiter.deadline.elapsed()


# ---- schedule ---------------------------------------------------------------------------------

def test_next_pause_is_a_tenth_of_the_time_waited_within_bounds():
    assert next_pause(0, 1.0, 15.0) == 1.0
    assert next_pause(9.9, 1.0, 15.0) == 1.0
    assert next_pause(30.0, 1.0, 15.0) == pytest.approx(3.0)
    assert next_pause(149.0, 1.0, 15.0) == pytest.approx(14.9)
    assert next_pause(3600.0, 1.0, 15.0) == 15.0
    assert next_pause(0, 2.0, 2.5) == 2.0 and next_pause(100.0, 2.0, 2.5) == 2.5
    waited, pauses = 0.0, []
    while waited < 3600:
        pauses.append(next_pause(waited, 1.0, 15.0))
        waited += pauses[-1]
    assert pauses == sorted(pauses)
    assert len(pauses) < 300  # a one-hour run stays far below 60 requests a minute


def test_waiter_clamps_intervals(clock):
    _unused, waiter, _unused, _unused = make({'a': ['completed']}, clock, poll_interval=0, max_poll_interval=0.01)
    assert waiter.poll_interval == 0.1 and waiter.max_poll_interval == 0.1


def test_waiter_uses_the_clients_deadline_and_sleep_by_default(clock):
    client = ScriptedClient({'a': ['running', 'completed']}, clock)
    runs, elapsed = wait(Waiter(client, poll_interval=3), ['a'])
    assert runs[0]['status'] == 'completed' and clock.sleeps == [3.0] and elapsed == 3.0


# ---- one run ----------------------------------------------------------------------------------

def test_waits_until_completed(clock):
    client, waiter, warnings, _unused = make({'a': ['pending', 'running', 'running', 'completed']}, clock)
    start = clock()
    runs, elapsed = wait(waiter, ['a'])
    assert [r['status'] for r in runs] == ['completed']
    assert client.polled() == ['a'] * 4
    assert clock.sleeps == pytest.approx([1.0, 1.0, 1.0])  # a tenth of the time waited, at least poll_interval
    assert elapsed == pytest.approx(3.0) and clock() - start == pytest.approx(3.0)
    assert client.calls[0][1] == start  # the first poll is immediate
    assert all(c[2] == start + 3600 for c in client.calls)  # every poll is bound by the one deadline
    assert warnings == []


def test_failed_is_terminal(clock):
    client, waiter, _unused, _unused = make({'a': ['running', 'failed', 'completed']}, clock)
    runs, _unused = wait(waiter, ['a'])
    assert runs[0]['status'] == 'failed' and len(client.calls) == 2


def test_timeout_reports_last_run_and_elapsed(clock):
    client, waiter, _unused, _unused = make({'a': ['pending', 'running']}, clock, wait_timeout=25)
    start = clock()
    with pytest.raises(AltostratTimeoutError) as info:
        wait(waiter, ['a'])
    exc = info.value
    # 1 s pauses up to 10 s waited, then a tenth of the time waited (1, 1.1, 1.21, ...), the last one cut so
    # that the final poll goes out LAST_POLL (1 s) before the deadline, with that second to be answered
    sleeps = clock.sleeps
    assert sleeps[:10] == pytest.approx([1.0] * 10)
    assert sleeps[10:13] == pytest.approx([1.0, 1.1, 1.21])
    last_poll = client.calls[-1][1] - start
    assert 24 <= last_poll <= 24.5  # the last poll goes out a second (or half the time left) before the deadline
    assert clock() == pytest.approx(start + 25) and sum(sleeps) == pytest.approx(25)  # the wait ends at the deadline
    assert len(client.calls) == len(sleeps)
    assert exc.run == {'id': 'a', 'status': 'running', 'logs': []}
    assert exc.runs == [exc.run]
    assert exc.elapsed == pytest.approx(25)
    assert str(exc) == 'Wait timed out after 25.0 s (wait_timeout=25s) on run a (running).'


def test_sleeps_never_exceed_time_left(clock):
    client, waiter, _unused, _unused = make({'a': ['running']}, clock, wait_timeout=7.5, poll_interval=5, max_poll_interval=60)
    start = clock()
    with pytest.raises(AltostratTimeoutError):
        wait(waiter, ['a'])
    # the last poll goes out LAST_POLL (1 s) before the deadline, and the wait ends at the deadline
    assert clock.sleeps == pytest.approx([5.0, 1.5, 1.0])
    assert clock() == pytest.approx(start + 7.5)


def test_zero_timeout_polls_once(clock):
    client, waiter, _unused, _unused = make({'a': ['running']}, clock, wait_timeout=0)
    with pytest.raises(AltostratTimeoutError) as info:
        wait(waiter, ['a'])
    assert len(client.calls) == 1 and clock.sleeps == [] and info.value.elapsed == 0


def test_slow_polls_eat_into_the_deadline(clock):
    """Time spent inside a poll counts: the pause is cut to what is left."""
    class SlowClient(ScriptedClient):
        def get_run(self, run_id, retry=True):
            self.clock.advance(4)
            return ScriptedClient.get_run(self, run_id, retry)
    client = SlowClient({'a': ['running']}, clock, wait_timeout=10)
    start = clock()
    waiter = Waiter(client, poll_interval=1, sleep=clock.sleep)
    with pytest.raises(AltostratTimeoutError) as info:
        wait(waiter, ['a'])
    # poll 0-4, pause 1, poll 5-9, pause 0.5 (half the 1 s left), final poll 9.5-13.5 (a real client's is cut at 10)
    assert clock.sleeps == pytest.approx([1.0, 0.5])  # no time left to sleep after it
    assert info.value.elapsed == pytest.approx(13.5) and clock() - start == pytest.approx(13.5)
    assert len(client.calls) == 3


@pytest.mark.parametrize('mode', ['stop', 'wait', 'fail'])
def test_on_interaction(mode, clock):
    client, waiter, _unused, _unused = make(
        {'a': ['running', 'awaiting_ui_interaction', 'awaiting_ui_interaction', 'completed']}, clock, on_interaction=mode)
    if mode == 'fail':
        with pytest.raises(AltostratRunError) as info:
            wait(waiter, ['a'])
        assert info.value.run['status'] == 'awaiting_ui_interaction'
        assert str(info.value) == ('Stopped waiting (on_interaction=fail): run a is awaiting_ui_interaction '
                                   '(it needs a person to answer in the Altostrat UI).')
        assert len(client.calls) == 2
    else:
        runs, _unused = wait(waiter, ['a'])
        expected = {'stop': ('awaiting_ui_interaction', 2), 'wait': ('completed', 4)}[mode]
        assert (runs[0]['status'], len(client.calls)) == expected


def test_unknown_status_warns_once_and_keeps_waiting(clock):
    client, waiter, warnings, _unused = make({'a': ['queued_v2', 'queued_v2', 'queued_v2', 'running', 'completed']}, clock)
    runs, _unused = wait(waiter, ['a'])
    assert runs[0]['status'] == 'completed' and len(client.calls) == 5
    assert warnings == ["Run a has status 'queued_v2', which this collection does not know; "
                        "treating it as still running."]


def test_transient_errors_ridden_out_with_backoff_to_max_poll_interval(clock):
    script = ['running'] + [transient('a')] * 5 + ['running', 'completed']
    client, waiter, warnings, _unused = make({'a': script}, clock, max_poll_interval=15)
    runs, _unused = wait(waiter, ['a'])
    assert runs[0]['status'] == 'completed' and len(client.calls) == len(script)
    # each failed poll doubles the pause, up to max_poll_interval; the first good poll goes back to the schedule
    # (a tenth of the 45 s waited)
    assert clock.sleeps == pytest.approx([1.0, 2.0, 4.0, 8.0, 15.0, 15.0, 4.5])
    assert set(client.retries) == {False}  # the waiter paces its own retries: one request per pause
    assert warnings == []  # the client tells trouble once, not the waiter per poll


def test_api_down_for_good_times_out_at_the_deadline_naming_the_error(clock):
    error = transient('a')
    client, waiter, _unused, _unused = make({'a': ['running'] + [error]}, clock, wait_timeout=600, max_poll_interval=15)
    start = clock()
    with pytest.raises(AltostratTimeoutError) as info:
        wait(waiter, ['a'])
    exc = info.value
    assert clock() == pytest.approx(start + 600) and client.calls[-1][1] == pytest.approx(start + 599)
    assert len(client.calls) <= 600 / 15 + 6  # no hammering: about one request per max_poll_interval
    assert exc.run == {'id': 'a', 'status': 'running', 'logs': []} and exc.error is error
    assert str(exc) == ('Wait timed out after 600.0 s (wait_timeout=600s) on run a (running); the last poll failed: '
                        'GET /workflows/runs/a failed: HTTP 503 Service Unavailable: Server Error.')


def test_outage_inside_a_long_wait_does_not_end_it(clock):
    script = ['running'] * 5 + [transient('a')] * 40 + ['running'] * 3 + ['completed']
    client, waiter, _unused, _unused = make({'a': script}, clock, wait_timeout=3600)
    runs, elapsed = wait(waiter, ['a'])
    assert runs[0]['status'] == 'completed' and elapsed > 40 * 10


def test_budget_timeout_at_the_deadline_is_a_timeout(clock):
    client, waiter, _unused, _unused = make({'a': ['running', BudgetTimeout('no request slot free in time')]}, clock,
                                            wait_timeout=30)
    with pytest.raises(AltostratTimeoutError) as info:
        wait(waiter, ['a'])
    assert info.value.run['status'] == 'running' and 'no request slot free in time' in str(info.value)


def test_non_transient_error_raised_at_once(clock):
    client, waiter, warnings, _unused = make({'a': ['running', fatal('a'), 'completed']}, clock)
    with pytest.raises(AltostratAPIError) as info:
        wait(waiter, ['a'])
    assert info.value.status == 404 and len(client.calls) == 2 and warnings == []
    assert waiter.seen['a']['status'] == 'running'  # the last state seen is kept, for the task's result


def test_error_on_first_poll_has_no_run(clock):
    client, waiter, _unused, _unused = make({'a': [fatal('a')]}, clock)
    with pytest.raises(AltostratAPIError):
        wait(waiter, ['a'])
    assert waiter.seen == {} and waiter.deadline.elapsed() == 0


def test_progress_every_30_seconds(clock):
    client, waiter, _unused, progress = make({'a': ['running'] * 60 + ['completed']}, clock, poll_interval=5, max_poll_interval=5)
    wait(waiter, ['a'])
    # 61 polls, 5 s apart: 300 s; a progress line at 30, 60, ... s
    assert len(progress) == 9
    assert progress[0] == 'waited 30 s on run a: running, 0 steps so far'


# ---- several runs -------------------------------------------------------------------------

def test_several_runs_only_unfinished_polled(clock):
    scripts = {'a': ['running', 'completed'], 'b': ['pending', 'running', 'running', 'failed'], 'c': ['completed']}
    client, waiter, _unused, _unused = make(scripts, clock)
    runs, _unused = wait(waiter, ['a', 'b', 'c'])
    assert [(r['id'], r['status']) for r in runs] == [('a', 'completed'), ('b', 'failed'), ('c', 'completed')]
    assert len(client.polled('c')) == 1
    assert len(client.polled('a')) == 2
    assert len(client.polled('b')) == 4
    one_by_one = sum(len(script) for script in scripts.values())
    assert len(client.calls) <= one_by_one
    # one by one: a until it ends, then b at once and until it ends, then c at once; one request per pause
    assert client.polled() == ['a', 'a', 'b', 'b', 'b', 'b', 'c']
    times = [when for _unused, when, _unused2 in client.calls]
    assert times[2] == times[1] and times[6] == times[5]  # the next run is looked at without a pause
    assert len(set(times)) == len(clock.sleeps) + 1


def test_several_runs_timeout_names_pending(clock):
    client, waiter, _unused, _unused = make({'a': ['completed'], 'b': ['running'], 'c': ['pending']}, clock, wait_timeout=5)
    with pytest.raises(AltostratTimeoutError) as info:
        wait(waiter, ['a', 'b', 'c'])
    assert str(info.value).startswith('Wait timed out after 5.0 s (wait_timeout=5s) on 2 of 3 runs: b running, c not polled yet')
    assert str(info.value).count(' b ') == 1  # each run named once
    assert [r and r['status'] for r in info.value.runs] == ['completed', 'running', None]
    assert info.value.run['id'] == 'b'


def test_duplicates_preserved_in_order_polled_once(clock):
    client, waiter, _unused, _unused = make({'a': ['running', 'completed'], 'b': ['completed']}, clock)
    runs, _unused = wait(waiter, ['a', 'b', 'a'])
    assert [r['id'] for r in runs] == ['a', 'b', 'a']
    assert client.polled('a') == ['a', 'a'] and client.polled('b') == ['b']


def test_known_runs_not_refetched_first(clock):
    client, waiter, _unused, _unused = make({'a': ['running', 'completed'], 'b': ['completed']}, clock)
    start = clock()
    known = {'a': {'id': 'a', 'status': 'pending'}, 'b': {'id': 'b', 'status': 'completed', 'logs': ['kept']}}
    runs, _unused = wait(waiter, ['a', 'b'], known=known)
    assert client.polled('b') == []
    assert runs[1] == known['b']
    assert client.calls[0][1] == start + 1.0  # waited before the first poll
    assert runs[0]['status'] == 'completed' and len(client.polled('a')) == 2


def test_known_finished_makes_no_request(clock):
    client, waiter, _unused, _unused = make({'a': ['running']}, clock)
    runs, elapsed = wait(waiter, ['a'], known={'a': {'id': 'a', 'status': 'failed'}})
    assert runs == [{'id': 'a', 'status': 'failed'}] and client.calls == [] and elapsed == 0 and clock.sleeps == []


def test_get_runs_raises_the_error_of_its_run_and_keeps_order(clock):
    err = fatal('b')
    client = ScriptedClient({'a': ['completed'], 'b': [err], 'c': ['running'], 'd': ['x'], 'e': ['y']}, clock)
    with pytest.raises(AltostratAPIError) as info:
        get_runs(client, ['a', 'b', 'c', 'd', 'e'])
    assert info.value is err
    assert {'a', 'b'} <= set(client.polled())  # runs not started yet when it failed are not fetched
    client = ScriptedClient({'a': ['completed'], 'c': ['running'], 'd': ['x'], 'e': ['y']}, clock)
    runs = get_runs(client, ['a', 'c', 'd', 'e'])
    assert [r['id'] for r in runs] == ['a', 'c', 'd', 'e'] and runs[0]['status'] == 'completed' and runs[3]['status'] == 'y'


def test_get_runs_dedupes_and_raises_first_error(clock):
    client = ScriptedClient({'a': ['completed'], 'b': ['running']}, clock)
    runs = get_runs(client, ['b', 'a', 'b'])
    assert [r['id'] for r in runs] == ['b', 'a', 'b'] and sorted(client.polled()) == ['a', 'b']
    client = ScriptedClient({'a': [fatal('a')], 'b': [transient('b')]}, clock)
    with pytest.raises(AltostratAPIError) as info:
        get_runs(client, ['b', 'a'])
    assert info.value.status == 503  # the first in the order given


def test_parallel_fetch_bounded(clock, monkeypatch):
    """Several runs are fetched concurrently, but never more than MAX_WORKERS at a time."""
    active, peak, lock = [0], [0], threading.Lock()
    gate = threading.Barrier(_waiter.MAX_WORKERS, timeout=5)

    class Tracking(ScriptedClient):
        def get_run(self, run_id, retry=True):
            with lock:
                active[0] += 1
                peak[0] = max(peak[0], active[0])
            try:
                gate.wait()
            except threading.BrokenBarrierError:
                pass
            with lock:
                active[0] -= 1
            return ScriptedClient.get_run(self, run_id, retry)

    ids = ['r%d' % i for i in range(8)]
    client = Tracking(dict((i, ['completed']) for i in ids), clock)
    assert [r['id'] for r in get_runs(client, ids)] == ids
    assert peak[0] == _waiter.MAX_WORKERS


# ---- against the emulator, real time ------------------------------------------------------

def test_waits_on_emulator_run(emulator, make_client):
    import time
    emulator.add_runs([{'id': 'fl_run_quick', 'workflow_id': 'fl_wf_main', 'pending_for': 0.1, 'duration': 0.3,
                        'status': 'failed', 'steps': 2, 'failed_steps': [1], 'error_message': 'boom'}])
    client = make_client(emulator, clock=time.monotonic, sleep=time.sleep, deadline=Deadline(10))
    runs, elapsed = wait(Waiter(client, poll_interval=0.1, max_poll_interval=0.1), ['fl_run_quick', 'fl_run_completed'])
    assert [r['status'] for r in runs] == ['failed', 'completed']
    assert runs[0]['error_message'] == 'boom' and [e['status'] for e in runs[0]['logs']] == ['success', 'error']
    assert 0.2 < elapsed < 5
    assert emulator.count(path='/workflows/runs/fl_run_completed') == 1
    assert emulator.count(path='/workflows/runs/fl_run_quick') >= 2


def test_get_runs_of_nothing(clock):
    client = ScriptedClient({}, clock)
    assert get_runs(client, []) == [] and client.calls == []


def test_wait_on_nothing(clock):
    client = ScriptedClient({}, clock)
    assert wait(Waiter(client), []) == ([], 0.0)


# ---- which run first -------------------------------------------------------------------------

def test_likely_first_prefers_the_run_that_started_first():
    last = {'b': {'started_at': '2026-01-01T10:00:05Z'}, 'c': {'started_at': '2026-01-01T10:00:01Z'}}
    assert likely_first(['a', 'b', 'c'], {}) == 'a'
    assert likely_first(['b', 'c'], last) == 'c'
    # a run not seen yet is taken to have started with the run before it in the order given
    assert likely_first(['c', 'd', 'b'], last) == 'c'
    assert likely_first(['b', 'd', 'c'], last) == 'c'


def test_several_runs_polled_oldest_first(clock):
    runs = {'a': {'id': 'a', 'status': 'running', 'started_at': '2026-01-01T10:00:09Z'},
            'b': {'id': 'b', 'status': 'running', 'started_at': '2026-01-01T10:00:01Z'}}
    done = dict(runs['b'], status='completed')
    client, waiter, _unused, _unused = make({'a': [dict(runs['a'], status='completed')], 'b': [done]}, clock)
    wait(waiter, ['a', 'b'], known=runs)
    assert client.polled() == ['b', 'a']


def test_fleet_costs_about_one_request_per_run(clock):
    """100 runs started 1 s apart, each 120 s long: one loop costs about one request per run plus one per pause."""
    start = clock()

    class Fleet(ScriptedClient):
        def get_run(self, run_id, retry=True):
            self.calls.append((run_id, self.clock(), self.deadline.at))
            index = int(run_id[1:])
            status = 'completed' if self.clock() >= start + index + 120 else 'running'
            return {'id': run_id, 'status': status, 'started_at': '2026-01-01T10:%02d:%02dZ' % divmod(index, 60)}
    client = Fleet({}, clock)
    waiter = Waiter(client, poll_interval=1, max_poll_interval=15)
    ids = ['r%03d' % i for i in range(100)]
    runs, elapsed = wait(waiter, ids)
    assert all(run['status'] == 'completed' for run in runs)
    assert len(client.calls) <= 120, len(client.calls)  # 115 when measured
    assert elapsed <= 99 + 120 + 15


# ---- with the real client over a fake transport: the deadline holds whatever the server does --------

RUNNING = {'id': 'fl_run_x', 'status': 'running', 'logs': []}
DONE = {'id': 'fl_run_x', 'status': 'completed', 'logs': []}


def _answer(kind, request_timeout, cost_fraction, retry_after):
    cost = request_timeout * cost_fraction
    if kind in ('running', 'done'):
        return FakeAnswer(200, RUNNING if kind == 'running' else DONE, cost=cost)
    if kind == 'timeout':
        return FakeAnswer(exc=requests.exceptions.ReadTimeout('read timed out'), cost=request_timeout)
    if kind == 'reset':
        return FakeAnswer(exc=requests.exceptions.ConnectionError('Connection reset by peer'), cost=cost)
    more = {} if retry_after is None else {'Retry-After': str(retry_after)}
    return FakeAnswer(int(kind), {'message': 'no'}, dict({'Content-Type': 'application/json'}, **more), cost=cost)


ANSWERS = st.tuples(st.sampled_from(['running', 'running', 'timeout', 'reset', '429', '503', 'done', '404']),
                    st.floats(0, 1), st.one_of(st.none(), st.integers(0, 100000)))


@settings(max_examples=150)
@given(script=st.lists(ANSWERS, min_size=1, max_size=30), wait_timeout=st.floats(0.5, 120),
       request_timeout=st.floats(0.5, 30), poll_interval=st.floats(0.1, 20), http_retries=st.integers(0, 6))
def test_wait_never_outlives_wait_timeout(script, wait_timeout, request_timeout, poll_interval, http_retries):
    """Each scripted answer costs fake time on the wire (a timeout all of request_timeout), then: running, slowly."""
    clock = FakeClock()
    answers = [_answer(kind, request_timeout, frac, ra) for kind, frac, ra in script]
    answers.append(FakeAnswer(200, RUNNING, cost=request_timeout))
    start = clock()
    client = fake_client(answers, clock=clock, request_timeout=request_timeout, http_retries=http_retries,
                         deadline=Deadline(wait_timeout, clock))
    deadline = start + wait_timeout
    waiter = Waiter(client, poll_interval=poll_interval, max_poll_interval=poll_interval * 3)
    try:
        runs, elapsed = wait(waiter, ['fl_run_x'])
    except AltostratTimeoutError as exc:
        assert exc.elapsed >= wait_timeout - _waiter.LAST_POLL - 1e-6 and str(exc).startswith('Wait timed out after')
    except AltostratAPIError as exc:
        assert exc.status == 404 and not exc.transient  # the only answer that may end a wait early
    else:
        assert runs == [DONE] and elapsed == clock() - start
    assert clock() - start <= wait_timeout + 1e-6
    for began, seconds in clock.spans:
        assert began + seconds <= deadline + 1e-6, 'a pause went past the deadline'


def test_absurd_retry_after_is_clipped_to_the_wait_which_survives_quietly(clock):
    start = clock()
    client = fake_client([FakeAnswer(429, {'message': 'Too Many Attempts.'}, {'Retry-After': '3600'}), FakeAnswer(200, DONE)],
                         clock=clock, deadline=Deadline(10, clock))
    runs, _unused = wait(Waiter(client, poll_interval=1), ['fl_run_x'])
    assert runs == [DONE] and len(client.adapter.sent) == 2
    assert clock() - start <= 10 and all(pause <= 10 for pause in clock.sleeps)
    assert client.warnings == []  # back-pressure is not trouble


def test_retry_after_past_the_deadline_ends_the_wait_at_the_deadline_not_before(clock, tmp_path):
    """The budget keeps a 429's Retry-After (at most a window): no poll can go out before the deadline, and the
    wait still ends at its deadline, as every transient failure does, not at once."""
    budget = Budget('https://api.test', SENTINEL, per_minute=60, window=62, directory=str(tmp_path / 'budget'),
                    clock=clock, sleep=clock.sleep)
    limited = FakeAnswer(429, {'message': 'Too Many Attempts.'}, {'Content-Type': 'application/json', 'Retry-After': '3600'})
    start = clock()
    client = fake_client([limited, FakeAnswer(200, DONE)], clock=clock, budget=budget, deadline=Deadline(10, clock))
    with pytest.raises(AltostratTimeoutError) as info:
        wait(Waiter(client, poll_interval=1), ['fl_run_x'])
    assert len(client.adapter.sent) == 1 and 'HTTP 429' in str(info.value)
    assert clock() - start == pytest.approx(10) and info.value.elapsed == pytest.approx(10)


def test_outage_of_the_real_client_is_told_once_when_it_starts_and_once_when_it_ends(clock):
    busy = FakeAnswer(503, {'message': 'Server Error.'}, reason='Service Unavailable')
    client = fake_client([FakeAnswer(200, RUNNING), busy, busy, busy, FakeAnswer(200, DONE)], clock=clock,
                         deadline=Deadline(60, clock))
    runs, _unused = wait(Waiter(client, poll_interval=1), ['fl_run_x'])
    assert runs == [DONE] and len(client.adapter.sent) == 5  # one request per pause: the waiter paces the retries
    assert clock.sleeps == [1.0, 2.0, 4.0, 8.0]  # each failed poll doubles the pause
    assert client.warnings == [
        'The Altostrat API is failing (GET /workflows/runs/fl_run_x failed: HTTP 503 Service Unavailable: Server Error); '
        'retrying with backoff, this is said once.',
        'The Altostrat API answers again, after 14 s and 3 failed request(s).']


def test_timeout_before_any_successful_poll_names_the_last_error(clock):
    client = fake_client([FakeAnswer(exc=requests.exceptions.ReadTimeout('read timed out'), cost=1.0)], clock=clock,
                         request_timeout=1.0, deadline=Deadline(2, clock))
    with pytest.raises(AltostratTimeoutError) as info:
        wait(Waiter(client, poll_interval=1), ['fl_run_x'])
    # a poll 0-1 s, cut off by request_timeout; the last one 1.5-2 s, cut off by the deadline
    assert str(info.value) == ('Wait timed out after 2.0 s (wait_timeout=2s) on run fl_run_x (not polled yet); '
                               'the last poll failed: GET /workflows/runs/fl_run_x failed: no answer before the task\'s '
                               'deadline (wait_timeout) ran out.')
    assert len(client.adapter.sent) == 2
