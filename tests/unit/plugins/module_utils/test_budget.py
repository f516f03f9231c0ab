"""The request budget's policy: the reservation window, the server's view, starved processes, its bounds.

Where the slots are kept: ``test_budget_local.py`` (a file on this machine), ``test_budget_redis.py`` (Redis).
"""

import json
import os

import pytest

from ansible_collections.altostrat.cloud.plugins.module_utils import _budget, _budget_local
from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratError, AltostratInputError, BudgetBusy, BudgetTimeout

from testkit.budget import T0, make, no_sleep, record_slots, state_path
from testkit.fakes import FakeClock


# ---- the reservation window ------------------------------------------------------------

def test_burst_then_next_window(directory, clock):
    budget = make(directory, clock)
    assert [budget.acquire() for n in range(3)] == [0.0, 0.0, 0.0]
    assert budget.acquire() == 60.0 and clock.now == T0 + 60
    assert [budget.acquire() for n in range(2)] == [0.0, 0.0]  # the burst's slots left the window at T0 + 60
    assert budget.acquire() == 60.0 and clock.sleeps == [60.0, 60.0]


def test_waiters_queue_first_come_first_served_one_per_free_slot(directory, clock):
    budget = make(directory, clock)
    for n in range(3):
        budget.acquire()
        clock.advance(10)  # slots at T0, T0 + 10, T0 + 20; now T0 + 30
    waiters = [make(directory, clock, sleep=no_sleep) for n in range(5)]
    assert [w.acquire() for w in waiters] == [30.0, 40.0, 50.0, 90.0, 100.0]
    with open(state_path(directory)) as f:
        state = json.load(f)
    assert state['slots'] == [T0 + s for s in (0, 10, 20, 60, 70, 80, 120, 130)]


def test_queue_deeper_than_a_window_is_kept(directory, clock):
    waiters = [make(directory, clock, per_minute=2, sleep=no_sleep) for n in range(9)]
    assert [w.acquire() for w in waiters] == [0.0, 0.0, 60.0, 60.0, 120.0, 120.0, 180.0, 180.0, 240.0]
    clock.advance(100)
    assert make(directory, clock, per_minute=2).acquire() == 140.0


def test_slot_frees_exactly_one_window_later(directory, clock):
    budget = make(directory, clock, per_minute=1)
    budget.acquire()
    clock.advance(59.5)
    assert budget.acquire() == pytest.approx(0.5)
    assert clock.now == T0 + 60


def test_timeout_raises_and_reserves_nothing(directory, clock):
    budget = make(directory, clock)
    for n in range(3):
        budget.acquire(timeout=0)
    with open(state_path(directory), 'rb') as f:
        before = f.read()
    with pytest.raises(BudgetTimeout) as info:
        budget.acquire(timeout=59.9)
    message = str(info.value)
    assert message == ('The next free request slot is 60.0s away (request budget: 3 requests a minute per API token), '
                       'beyond the timeout of 59.9s.')
    assert isinstance(info.value, AltostratError) and info.value.wait == 60.0 and info.value.timeout == 59.9
    assert clock.sleeps == []
    with open(state_path(directory), 'rb') as f:
        assert f.read() == before
    assert budget.acquire(timeout=60) == 60.0  # had the refused call reserved, this would be later


def test_timeout_names_a_window_other_than_a_minute(directory, clock):
    budget = make(directory, clock, per_minute=1, window=2.0)
    budget.acquire()
    with pytest.raises(BudgetTimeout, match=r'is 2\.0s away \(request budget: 1 requests per 2s per API token\)'):
        budget.acquire(timeout=1)


@pytest.mark.parametrize('per_minute', [0, None])
def test_disabled(directory, clock, per_minute):
    budget = make(directory, clock, per_minute=per_minute)
    assert budget.enabled is False
    assert [budget.acquire(timeout=0) for n in range(100)] == [0.0] * 100
    budget.sync(limit=60, remaining=0, retry_after=30.0)
    assert budget.acquire(timeout=0) == 0.0
    assert not os.path.exists(directory) and clock.sleeps == []


# ---- sync with the server's view ---------------------------------------------------------

def test_sync_adds_phantoms_for_requests_the_budget_did_not_see(directory, clock):
    budget = make(directory, clock, per_minute=10)
    budget.acquire()
    budget.acquire()
    budget.sync(limit=10, remaining=5)  # the server saw 5, this budget 2: 3 from elsewhere
    assert [budget.acquire() for n in range(5)] == [6.0] * 5  # others spend the token: paced, 60 s / 10 apart
    with pytest.raises(BudgetTimeout):
        budget.acquire(timeout=29)  # 10 in the window until T0 + 60 (now T0 + 30)


def test_sync_caps_at_the_smaller_limit(directory, clock):
    budget = make(directory, clock, per_minute=10)
    budget.sync(limit=120, remaining=115)  # 5 used of the server's 120: this budget's 10 are still free
    budget.sync(remaining=115)
    assert [budget.acquire(timeout=0) for n in range(10)] == [0.0] * 10
    other = make(directory, clock, per_minute=10, token='another-token')
    other.sync(limit=4, remaining=0)  # a smaller server limit, all used: 4 phantoms (and others spend the token)
    assert [other.acquire() for n in range(6)] == [6.0] * 6
    with pytest.raises(BudgetTimeout):
        other.acquire(timeout=23)  # 10 in the window until T0 + 60 (now T0 + 36)


def test_sync_retry_after_blocks_everyone(directory, clock):
    budget = make(directory, clock, per_minute=10)
    budget.sync(retry_after=30.0)
    budget.sync(retry_after=10.0)  # does not shorten the block
    assert make(directory, clock, per_minute=10).acquire() == 30.0
    assert budget.acquire() == 0.0


def test_sync_429_phantoms_expire_when_the_servers_window_ends(directory, clock):
    budget = make(directory, clock, per_minute=10)
    budget.sync(limit=10, remaining=0, retry_after=5.0)  # another controller used the whole window; it ends in 5 s
    assert budget.acquire() == 5.0  # not a whole window later
    assert [budget.acquire() for n in range(9)] == [6.0] * 9  # others spend the token: paced over the window


def test_sync_retry_after_at_most_one_window(directory, clock):
    budget = make(directory, clock, per_minute=10)
    budget.sync(retry_after=3600.0)
    assert budget.acquire() == 60.0


def test_a_server_that_agrees_adds_no_slot_and_no_pacing(directory, clock):
    budget = make(directory, clock, per_minute=10)
    budget.acquire()
    budget.acquire()
    for kwargs in ({'limit': 10, 'remaining': 8}, {'limit': 10, 'remaining': 9}, {'remaining': 10},
                   {'limit': None, 'remaining': None, 'retry_after': None}, {'retry_after': 0.0},
                   {'limit': 'x', 'remaining': True, 'retry_after': float('nan')}):
        budget.sync(**kwargs)
    assert stored_slots(directory) == [T0, T0]
    assert [budget.acquire(timeout=0) for n in range(8)] == [0.0] * 8  # a machine alone is never paced


# ---- pacing -------------------------------------------------------------------------------

def test_polls_are_paced_once_the_window_holds_a_third_of_the_budget(directory, clock):
    budget = make(directory, clock, per_minute=60, sleep=no_sleep)  # the clock stays at T0
    assert [budget.acquire(patience=10) for n in range(20)] == [0.0] * 20  # a wait alone polls as it likes
    assert [budget.acquire(patience=10) for n in range(3)] == [1.0, 2.0, 3.0]  # then a second apart (60 s / 60)
    assert budget.acquire() == 3.0  # a read is not paced, but queues behind them: first come, first served
    assert budget.acquire(patience=10) == 4.0


def test_a_poll_is_skipped_rather_than_wait_longer_than_its_pause(directory, clock):
    """A busy budget goes to starts and reads, and to the polls with the longest pauses (of the runs waited on longest):
    a poll whose slot is further away than its pause is told so (BudgetBusy) and reserves nothing."""
    budget = make(directory, clock, per_minute=6, sleep=no_sleep)  # the clock stays at T0
    assert [budget.acquire() for n in range(6)] == [0.0] * 6  # the window is full until T0 + 60
    slots = record_slots(budget)
    with pytest.raises(BudgetBusy) as caught:
        budget.acquire(patience=59.0)
    assert caught.value.wait == 60.0 and slots == []
    assert 'slot is 60.0s away, beyond the pause of 59.0s of this poll' in str(caught.value)
    assert budget.acquire(patience=60.0) == 60.0  # the poll of a run waited on longer takes it
    assert budget.acquire() == 60.0  # a start is never skipped: it queues
    assert slots == [T0 + 60, T0 + 60]


def test_the_deadline_decides_before_a_polls_pause(directory, clock):
    budget = make(directory, clock, per_minute=2, sleep=no_sleep)
    budget.acquire(), budget.acquire()
    with pytest.raises(BudgetTimeout):  # the slot is past the deadline: the wait times out, it does not skip
        budget.acquire(timeout=30.0, patience=45.0)
    with pytest.raises(BudgetTimeout):
        budget.acquire(timeout=30.0, patience=20.0)


def test_a_slot_covered_by_a_block_while_its_process_slept_is_given_up(directory):
    """A 429 that comes in while a process sleeps until its slot: it does not send into the block, but takes the first
    slot after it."""
    other = None

    class Blocked(FakeClock):
        def sleep(self, seconds):
            if self.sleeps:
                return FakeClock.sleep(self, seconds)
            FakeClock.sleep(self, 45.0)
            other.sync(limit=60, remaining=0, retry_after=30.0)  # at T0 + 45: no request before T0 + 75
            self.now += seconds - 45.0

    clock = Blocked(T0)
    budget, other = make(directory, clock, per_minute=60), make(directory, clock, per_minute=60)
    assert [budget.acquire(timeout=0) for n in range(60)] == [0.0] * 60
    assert budget.acquire() == 75.0 and clock.now == T0 + 75  # its slot at T0 + 60 lay in the block


def test_a_process_that_wakes_late_takes_the_next_slot(directory):
    """On a busy machine a process may wake long after its slot: it does not send then (the slot stays spent) but
    takes the next, so that every request goes out within LATE of its slot and no minute of arrivals at the API
    holds more than the budget."""
    class Starved(FakeClock):
        oversleep = 0.0

        def sleep(self, seconds):
            FakeClock.sleep(self, seconds + self.oversleep)

    clock = Starved(T0)
    budget = make(directory, clock, per_minute=2)
    assert [budget.acquire(), budget.acquire()] == [0.0, 0.0]
    clock.oversleep = 5.0  # the next wake-up comes 5 s after the slot at T0 + 60, the one after on time
    slots = record_slots(budget)
    budget.acquire()
    assert slots == [T0 + 60, T0 + 65] and clock.now == T0 + 65  # the late slot given up, the next one taken
    with open(state_path(directory)) as f:
        kept = json.load(f)['slots']
    assert kept == [T0 + 60, T0 + 65]  # the late slot stays spent


def test_a_process_starved_every_time_sends_after_a_few_tries(directory):
    class Starved(FakeClock):
        def sleep(self, seconds):
            FakeClock.sleep(self, seconds + 5.0)

    clock = Starved(T0)
    budget = make(directory, clock, per_minute=1)
    budget.acquire()
    budget.acquire()
    assert 2 <= len(clock.sleeps) <= _budget.LATE_TRIES  # it tried again, but not for ever


# ---- bounds: rate_limit, and a state that stays small whatever the server says ----------------

@pytest.mark.parametrize('value', [_budget.MAX_RATE_LIMIT + 1, 3000000, 10 ** 12, -1, True, 1.5, 'many'])
def test_rate_limit_out_of_bounds_refused_by_name(directory, clock, value):
    with pytest.raises(AltostratInputError) as info:
        make(directory, clock, per_minute=value)
    assert str(info.value).startswith('rate_limit must be 0 (off) or a number of requests a minute up to 1000, got ')
    assert not os.path.exists(directory)  # refused before anything was made


def test_rate_limit_at_the_bound_accepted(directory, clock):
    budget = make(directory, clock, per_minute=_budget.MAX_RATE_LIMIT)
    assert [budget.acquire(timeout=0) for n in range(_budget.MAX_RATE_LIMIT)] == [0.0] * _budget.MAX_RATE_LIMIT
    with pytest.raises(BudgetTimeout):
        budget.acquire(timeout=59)


def stored_slots(directory):
    with open(state_path(directory)) as f:
        return json.load(f)['slots']


@pytest.mark.parametrize('headers', [
    {'limit': 3000000, 'remaining': 0}, {'limit': 10 ** 12, 'remaining': -(10 ** 5)}, {'remaining': -5000},
    {'limit': -7, 'remaining': -7}, {'limit': 10 ** 9, 'remaining': 10 ** 9 - 5000}, {'remaining': 1e300},
])
def test_state_stays_small_whatever_the_headers_say(directory, clock, headers):
    """A server's X-RateLimit-* headers (huge, negative, weird) never put more than per_minute slots in the state."""
    budget = make(directory, clock, per_minute=100)
    for n in range(50):
        budget.sync(**headers)
        budget.sync(retry_after=1e9, **headers)
        clock.advance(1)
    assert len(stored_slots(directory)) <= 100
    assert os.path.getsize(state_path(directory)) <= _budget_local.max_bytes(100)


def test_a_full_window_of_the_servers_requests_is_per_minute_phantoms(directory, clock):
    budget = make(directory, clock, per_minute=100)
    budget.sync(limit=60, remaining=-3)  # below 0: as 0, all of the server's 60 are spent
    assert len(stored_slots(directory)) == 60


def test_past_slots_beyond_per_minute_are_forgotten(directory, clock):
    """Only the last per_minute slots up to now decide the next one: more (left by a process with a larger rate_limit)
    are not kept."""
    budget = make(directory, clock, per_minute=500)
    for n in range(500):
        budget.acquire(timeout=0)
        clock.advance(0.01)
    budget = make(directory, clock, per_minute=3)
    assert budget.acquire() == pytest.approx(60 - 5.0 + 0.01 * 497)  # the 3rd last of the 500 leaves the window
    assert len(stored_slots(directory)) == 4


def test_at_most_max_waiting_reservations_queue(directory, clock, monkeypatch):
    monkeypatch.setattr(_budget_local, 'MAX_WAITING', 5)
    waiters = [make(directory, clock, per_minute=1, sleep=no_sleep) for n in range(7)]
    assert [w.acquire() for w in waiters[:6]] == [0.0, 60.0, 120.0, 180.0, 240.0, 300.0]  # 1 now, 5 waiting
    with pytest.raises(BudgetTimeout, match=r'^5 requests already wait for the request budget \(1 requests a minute per'):
        waiters[6].acquire()
    assert len(stored_slots(directory)) == 6
