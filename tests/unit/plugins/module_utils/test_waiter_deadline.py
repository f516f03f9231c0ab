"""One deadline bounds the wait: the last poll a second before it, pauses cut to the time left, slow polls counted;
with the real client over a fake transport (``testkit.fakes.fake_client``), retries, Retry-After and request
timeouts meet the deadline and never outlive it."""

import pytest
import requests
from hypothesis import given, settings, strategies as st

from ansible_collections.altostrat.cloud.plugins.module_utils import _waiter
from ansible_collections.altostrat.cloud.plugins.module_utils._budget import Budget, BudgetTimeout
from ansible_collections.altostrat.cloud.plugins.module_utils._deadline import Deadline
from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratAPIError, AltostratTimeoutError
from ansible_collections.altostrat.cloud.plugins.module_utils._waiter import Waiter

from testkit import SENTINEL
from testkit.fakes import DONE, RUNNING, FakeAnswer, FakeClock, fake_client
from testkit.waiter import ScriptedClient, scripted_waiter, wait


def test_timeout_reports_last_run_and_elapsed(clock):
    client, waiter, _unused, _unused = scripted_waiter({'a': ['pending', 'running']}, clock, wait_timeout=25)
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
    client, waiter, _unused, _unused = scripted_waiter({'a': ['running']}, clock, wait_timeout=7.5, poll_interval=5, max_poll_interval=60)
    start = clock()
    with pytest.raises(AltostratTimeoutError):
        wait(waiter, ['a'])
    # the last poll goes out LAST_POLL (1 s) before the deadline, and the wait ends at the deadline
    assert clock.sleeps == pytest.approx([5.0, 1.5, 1.0])
    assert clock() == pytest.approx(start + 7.5)
    assert client.patience[0] is None and client.patience[1:] == pytest.approx([5.0, 1.0])  # the last poll may wait for a slot until the deadline


def test_a_busy_budget_skips_polls_until_the_pause_reaches_the_free_slot(clock, tmp_path):
    """With the real budget: the window is full for a minute; each poll that would wait longer than its pause is
    skipped, without a request or a warning, until the pause (a tenth of the time waited) reaches the free slot."""
    budget = Budget('https://api.test', SENTINEL, per_minute=3, window=60, directory=str(tmp_path / 'budget'),
                    clock=clock, sleep=clock.sleep)
    start = clock()
    assert [budget.acquire() for n in range(3)] == [0.0] * 3  # three starts fill the window until start + 60
    client = fake_client([FakeAnswer(200, DONE)], clock=clock, budget=budget, deadline=Deadline(120, clock))
    runs, elapsed = wait(Waiter(client, poll_interval=1), ['fl_run_x'])
    assert runs == [DONE] and len(client.adapter.sent) == 1 and client.warnings == []
    assert 60 <= elapsed <= 61 and elapsed == clock() - start


def test_zero_timeout_polls_once(clock):
    client, waiter, _unused, _unused = scripted_waiter({'a': ['running']}, clock, wait_timeout=0)
    with pytest.raises(AltostratTimeoutError) as info:
        wait(waiter, ['a'])
    assert len(client.calls) == 1 and clock.sleeps == [] and info.value.elapsed == 0


def test_slow_polls_eat_into_the_deadline(clock):
    """Time spent inside a poll counts: the pause is cut to what is left."""
    class SlowClient(ScriptedClient):
        def get_run(self, run_id, retry=True, patience=None):
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


def test_budget_timeout_at_the_deadline_is_a_timeout(clock):
    script = {'a': ['running', BudgetTimeout('no request slot free in time')]}
    client, waiter, _unused, _unused = scripted_waiter(script, clock, wait_timeout=30)
    with pytest.raises(AltostratTimeoutError) as info:
        wait(waiter, ['a'])
    assert info.value.run['status'] == 'running' and 'no request slot free in time' in str(info.value)


def fake_answer(kind, request_timeout, cost_fraction, retry_after):
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
    answers = [fake_answer(kind, request_timeout, frac, ra) for kind, frac, ra in script]
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
