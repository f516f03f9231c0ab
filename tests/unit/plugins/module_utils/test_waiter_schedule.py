"""The waiter's poll schedule: a tenth of the time waited, within bounds; progress lines; which run is polled first;
what a fleet of runs costs in requests."""

import pytest

from ansible_collections.altostrat.cloud.plugins.module_utils._errors import BudgetBusy
from ansible_collections.altostrat.cloud.plugins.module_utils._waiter import Waiter, likely_first, next_pause

from testkit.waiter import ScriptedClient, scripted_waiter, wait


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
    _unused, waiter, _unused, _unused = scripted_waiter({'a': ['completed']}, clock, poll_interval=0, max_poll_interval=0.01)
    assert waiter.poll_interval == 0.1 and waiter.max_poll_interval == 0.1


def test_waiter_uses_the_clients_deadline_and_sleep_by_default(clock):
    client = ScriptedClient({'a': ['running', 'completed']}, clock)
    runs, elapsed = wait(Waiter(client, poll_interval=3), ['a'])
    assert runs[0]['status'] == 'completed' and clock.sleeps == [3.0] and elapsed == 3.0


def test_waits_until_completed(clock):
    client, waiter, warnings, _unused = scripted_waiter({'a': ['pending', 'running', 'running', 'completed']}, clock)
    start = clock()
    runs, elapsed = wait(waiter, ['a'])
    assert [r['status'] for r in runs] == ['completed']
    assert client.polled() == ['a'] * 4
    assert clock.sleeps == pytest.approx([1.0, 1.0, 1.0])  # a tenth of the time waited, at least poll_interval
    assert elapsed == pytest.approx(3.0) and clock() - start == pytest.approx(3.0)
    assert client.calls[0][1] == start  # the first poll is immediate
    assert all(c[2] == start + 3600 for c in client.calls)  # every poll is bound by the one deadline
    assert warnings == []


def test_a_waits_polls_wait_for_a_slot_at_most_their_pause(clock):
    """A poll is paced by the budget and waits for its slot at most its pause (``Budget.acquire``): a fleet's polls spread
    over the minute, behind its starts and reads. The first look at a run not seen yet is a read (``None``)."""
    client, waiter, _unused, _unused = scripted_waiter({'a': ['running'] * 12 + ['completed']}, clock)
    wait(waiter, ['a'])
    assert client.patience[0] is None and client.patience[1:] == pytest.approx([1.0] * 11 + [1.1])  # each poll: its pause
    client, waiter, _unused, _unused = scripted_waiter({'a': ['completed']}, clock)
    wait(waiter, ['a'], known={'a': {'id': 'a', 'status': 'running'}})  # seen already (a run just started): a poll
    assert client.patience == pytest.approx([1.0])


def test_a_poll_the_budget_cannot_serve_within_its_pause_is_skipped(clock):
    """A skipped poll is no failure: no warning, no longer pause; the wait pauses as it would have and asks again."""
    script = {'a': ['running', BudgetBusy('busy'), BudgetBusy('busy'), 'completed']}
    client, waiter, warnings, _unused = scripted_waiter(script, clock)
    runs, elapsed = wait(waiter, ['a'])
    assert runs[0]['status'] == 'completed' and elapsed == pytest.approx(3.0)
    assert clock.sleeps == pytest.approx([1.0, 1.0, 1.0]) and len(client.calls) == 4 and warnings == []


def test_progress_every_30_seconds(clock):
    client, waiter, _unused, progress = scripted_waiter({'a': ['running'] * 60 + ['completed']}, clock, poll_interval=5, max_poll_interval=5)
    wait(waiter, ['a'])
    # 61 polls, 5 s apart: 300 s; a progress line at 30, 60, ... s
    assert len(progress) == 9
    assert progress[0] == 'waited 30 s on run a: running, 0 steps so far'


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
    client, waiter, _unused, _unused = scripted_waiter({'a': [dict(runs['a'], status='completed')], 'b': [done]}, clock)
    wait(waiter, ['a', 'b'], known=runs)
    assert client.polled() == ['b', 'a']


def test_fleet_costs_about_one_request_per_run(clock):
    """100 runs started 1 s apart, each 120 s long: one loop costs about one request per run plus one per pause."""
    start = clock()

    class Fleet(ScriptedClient):
        def get_run(self, run_id, retry=True, patience=None):
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
