"""Several runs at once: only unfinished runs polled, one by one, each once per pause; duplicates and runs seen
already; ``get_runs`` fetching in parallel, bounded; a wait on the emulator in real time."""

import threading

import pytest

from ansible_collections.altostrat.cloud.plugins.module_utils import _waiter
from ansible_collections.altostrat.cloud.plugins.module_utils._budget import Budget
from ansible_collections.altostrat.cloud.plugins.module_utils._deadline import Deadline
from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratAPIError, AltostratTimeoutError
from ansible_collections.altostrat.cloud.plugins.module_utils._waiter import Waiter, get_runs

from testkit import SENTINEL
from testkit.fakes import FakeAnswer, fake_client
from testkit.waiter import ScriptedClient, fatal, scripted_waiter, transient, wait


def test_several_runs_only_unfinished_polled(clock):
    scripts = {'a': ['running', 'completed'], 'b': ['pending', 'running', 'running', 'failed'], 'c': ['completed']}
    client, waiter, _unused, _unused = scripted_waiter(scripts, clock)
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
    client, waiter, _unused, _unused = scripted_waiter({'a': ['completed'], 'b': ['running'], 'c': ['pending']}, clock, wait_timeout=5)
    with pytest.raises(AltostratTimeoutError) as info:
        wait(waiter, ['a', 'b', 'c'])
    assert str(info.value).startswith('Wait timed out after 5.0 s (wait_timeout=5s) on 2 of 3 runs: b running, c not polled yet')
    assert str(info.value).count(' b ') == 1  # each run named once
    assert [r and r['status'] for r in info.value.runs] == ['completed', 'running', None]
    assert info.value.run['id'] == 'b'


def test_duplicates_preserved_in_order_polled_once(clock):
    client, waiter, _unused, _unused = scripted_waiter({'a': ['running', 'completed'], 'b': ['completed']}, clock)
    runs, _unused = wait(waiter, ['a', 'b', 'a'])
    assert [r['id'] for r in runs] == ['a', 'b', 'a']
    assert client.polled('a') == ['a', 'a'] and client.polled('b') == ['b']


def test_known_runs_not_refetched_first(clock):
    client, waiter, _unused, _unused = scripted_waiter({'a': ['running', 'completed'], 'b': ['completed']}, clock)
    start = clock()
    known = {'a': {'id': 'a', 'status': 'pending'}, 'b': {'id': 'b', 'status': 'completed', 'logs': ['kept']}}
    runs, _unused = wait(waiter, ['a', 'b'], known=known)
    assert client.polled('b') == []
    assert runs[1] == known['b']
    assert client.calls[0][1] == start + 1.0  # waited before the first poll
    assert runs[0]['status'] == 'completed' and len(client.polled('a')) == 2


def test_known_finished_makes_no_request(clock):
    client, waiter, _unused, _unused = scripted_waiter({'a': ['running']}, clock)
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
        def get_run(self, run_id, retry=True, patience=None):
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


def test_runs_that_have_ended_are_read_together_not_paced_as_polls(clock, tmp_path):
    """One task waiting on a fleet, with the real budget half spent (its polls paced a second apart): once the run
    polled has ended, the runs after it are read at once, together, as reads; only the polls were paced."""
    budget = Budget('https://api.test', SENTINEL, per_minute=60, window=60, directory=str(tmp_path / 'budget'),
                    clock=clock, sleep=clock.sleep)
    for _unused in range(30):  # the fleet's starts: half the budget, so that polls are paced
        budget.acquire()
    ends = dict(('fl_run_%d' % n, clock() + 5 + n) for n in range(5))  # the first ends 5 s from now, the rest after
    sent = []

    def answer(request):
        run_id = request.url.rsplit('/', 1)[-1]
        sent.append((run_id, clock()))
        status = 'completed' if clock() >= ends[run_id] else 'running'
        return FakeAnswer(200, {'id': run_id, 'status': status, 'logs': []})
    client = fake_client(answer, clock=clock, budget=budget, deadline=Deadline(600, clock))
    clock.advance(10)  # the last runs have ended by the time the first is seen to have
    runs, _unused = wait(Waiter(client, poll_interval=1), sorted(ends))
    assert [run['status'] for run in runs] == ['completed'] * 5
    assert [run_id for run_id, _unused in sent] == sorted(ends)  # one read each
    assert len(set(when for _unused, when in sent)) == 1, sent  # together: none waited a paced second


def test_get_runs_of_nothing(clock):
    client = ScriptedClient({}, clock)
    assert get_runs(client, []) == [] and client.calls == []


def test_wait_on_nothing(clock):
    client = ScriptedClient({}, clock)
    assert wait(Waiter(client), []) == ([], 0.0)


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
