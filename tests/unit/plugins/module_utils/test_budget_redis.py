"""The request budget shared through Redis (``rate_limit_store``), against a real redis-server on loopback.

What one store promises (waits decided on the store's clock, first come first served, the API's word shared, keys
named by a hash and expiring) and what happens when it cannot be used (down, a wrong password, hung, no client
library): one warning naming the host and never the password, then the local budget, never a failed request.
"""

import functools
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from ansible_collections.altostrat.cloud.plugins.module_utils import _budget_redis
from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratInputError, BudgetBusy, BudgetTimeout

from testkit.budget import TOKEN, crowded, make, no_sleep, record_slots, run_processes, state_file, state_path
from testkit.collection import COLLECTIONS
from testkit.fakes import FakeClock
from testkit.redis_server import PASSWORD


def on(redis_server, tmp_path, name='a', clock=None, per_minute=3, url=None, **kwargs):
    """A budget of a machine of its own (its own directory) using the store; waits are not slept (``no_sleep``)."""
    kwargs.setdefault('sleep', no_sleep)
    return make(str(tmp_path / name), clock or FakeClock(), per_minute=per_minute, store=url or redis_server.url, **kwargs)


def keys(redis_server):
    return sorted(key.decode() for key in redis_server.client().keys('*'))


def test_machines_spend_from_one_budget(redis_server, tmp_path):
    first, second = on(redis_server, tmp_path, 'a'), on(redis_server, tmp_path, 'b')
    assert [first.acquire(timeout=0), second.acquire(timeout=0), first.acquire(timeout=0)] == [0.0] * 3
    with pytest.raises(BudgetTimeout) as info:
        second.acquire(timeout=30)
    assert 59 < info.value.wait <= 60
    assert state_file(first) is None and state_file(second) is None  # the store, not a file
    assert not os.path.exists(state_path(str(tmp_path / 'a')))


def test_waiters_queue_in_reservation_order_on_the_stores_clock(redis_server, tmp_path):
    """Waits come from the store's clock: budgets whose own clocks are hours apart queue as one."""
    waiters = [on(redis_server, tmp_path, str(n), clock=FakeClock(1e9 + 7200 * n)) for n in range(6)]
    reserved = [record_slots(waiter) for waiter in waiters]
    waits = [waiter.acquire() for waiter in waiters]
    assert waits[:3] == [0.0] * 3
    assert [round(wait) for wait in waits[3:]] == [60, 60, 60]
    slots = [each[-1] for each in reserved]
    assert slots == sorted(slots)  # first come, first served
    server_now = float('%d.%06d' % redis_server.client().time())
    assert abs(slots[0] - server_now) < 5  # the store's clock, not the budgets' (1e9 + ...)
    members = redis_server.client().zrange(waiters[0].stores[0].keys[0], 0, -1)
    assert [int(m) for m in members] == sorted(int(m) for m in members)  # later reservations, later slots


def test_timeout_reserves_nothing(redis_server, tmp_path):
    budget = on(redis_server, tmp_path)
    for n in range(3):
        budget.acquire(timeout=0)
    with pytest.raises(BudgetTimeout, match=r'is 60\.0s away|is 59\.9s away'):
        budget.acquire(timeout=10)
    assert redis_server.client().zcard(budget.stores[0].keys[0]) == 3


def test_the_apis_word_is_shared(redis_server, tmp_path):
    told, other = on(redis_server, tmp_path, 'a', per_minute=10), on(redis_server, tmp_path, 'b', per_minute=10)
    told.sync(limit=10, remaining=0)  # the API's window is full: every machine waits
    with pytest.raises(BudgetTimeout):
        other.acquire(timeout=30)
    redis_server.client().flushall()
    told.sync(limit=10, remaining=0, retry_after=5.0)  # a 429: the window ends in 5 s, for everyone
    assert 4 < other.acquire() <= 5
    assert [other.acquire(timeout=6) <= 5 for n in range(9)] == [True] * 9


def test_polls_are_paced_in_the_store_once_it_is_busy(redis_server, tmp_path):
    first, second = on(redis_server, tmp_path, 'a', per_minute=60), on(redis_server, tmp_path, 'b', per_minute=60)
    assert [budget.acquire(patience=10) for budget in (first, second) for n in range(10)] == [0.0] * 20
    waits = [first.acquire(patience=10), second.acquire(patience=10), first.acquire()]
    assert [round(wait) for wait in waits] == [1, 2, 2]  # polls a second apart; a read queues behind them, not paced
    with pytest.raises(BudgetBusy):  # a poll with a shorter pause than its wait for a slot is skipped
        second.acquire(patience=1.5)
    assert round(first.acquire(patience=10)) == 3  # it reserved nothing


def test_a_polls_pause_does_not_shorten_the_stores_timeouts(redis_server, tmp_path):
    """The store's timeouts are bounded by the task's time left, not by a poll's pause: a 1 s pause on a busy machine
    must not make a slow answer from the store look like a store that is down (and every process fall back to its
    local budget)."""
    budget = on(redis_server, tmp_path, 'a', per_minute=60)
    store, bounds = budget.stores[0], []
    real = store._connection
    store._connection = lambda left: bounds.append(left) or real(left)
    budget.acquire(patience=0.5)
    budget.acquire(timeout=100.0, patience=0.5)
    assert bounds[0] is None and bounds[1] == pytest.approx(100.0, abs=1.0)


def test_a_block_over_a_reserved_slot_is_seen_when_its_process_wakes(redis_server, tmp_path):
    told = on(redis_server, tmp_path, 'a', per_minute=60)
    assert [told.acquire(timeout=0) for n in range(60)] == [0.0] * 60
    blocks = [lambda: told.sync(limit=60, remaining=0, retry_after=60.0)]  # a 429 while the other machine sleeps
    waiter = on(redis_server, tmp_path, 'b', per_minute=60, sleep=lambda seconds: blocks and blocks.pop()())
    assert 119 < waiter.acquire() <= 121  # its slot, a window after the first, lay in the block: the next after it


def test_keys_are_a_hash_and_expire(redis_server, tmp_path):
    budget = on(redis_server, tmp_path)
    client = redis_server.client()
    budget.acquire()
    names = keys(redis_server)
    assert len(names) == 2 and all(name.startswith('altostrat.cloud:budget:{') for name in names)
    assert all(0 < client.pttl(name) <= 60000 for name in names)  # a reservation alone sets the expiry
    budget.sync(limit=3, remaining=0, retry_after=30.0)
    for name in names:
        assert 60000 < client.pttl(name) <= 90000  # the block is kept as long as it lasts
        assert TOKEN.encode() not in client.dump(name)
    assert TOKEN not in ''.join(names)


def check_fell_back(budget, warnings, redis_server, tmp_path, secret=PASSWORD):
    assert [budget.acquire(timeout=0) for n in range(3)] == [0.0] * 3
    with pytest.raises(BudgetTimeout):
        budget.acquire(timeout=30)  # the local budget holds
    assert state_file(budget) == state_path(str(tmp_path / 'a'))  # this machine's file
    assert len(warnings) == 1, warnings
    (warning,) = warnings
    assert 'rate_limit_store redis://127.0.0.1:%d/0 cannot be used' % redis_server.port in warning, warning
    assert "carries on with the budget of this machine and the API's rate-limit headers" in warning
    assert secret not in warning and '\n' not in warning and TOKEN not in warning


def test_store_down_one_warning_then_the_local_budget(redis_server, tmp_path):
    warnings = []
    budget = on(redis_server, tmp_path, warn=warnings.append)
    budget.acquire(timeout=0)
    redis_server.stop()
    check_fell_back(budget, warnings, redis_server, tmp_path)


def test_wrong_password_one_warning_then_the_local_budget(redis_server, tmp_path):
    warnings = []
    wrong = 'not-the-Pa55word'
    budget = on(redis_server, tmp_path, url=redis_server.url_with(wrong), warn=warnings.append)
    check_fell_back(budget, warnings, redis_server, tmp_path, secret=wrong)
    assert 'AuthenticationError' in warnings[0] or 'WRONGPASS' in warnings[0]


def test_hung_store_waited_on_no_longer_than_the_time_left(redis_server, tmp_path, monkeypatch):
    """A store that accepts connections and never answers: each call's timeouts are the time the task has left."""
    hung = socket.socket()
    hung.bind(('127.0.0.1', 0))
    hung.listen(5)
    made = []
    real = _budget_redis.redis.Redis.from_url
    monkeypatch.setattr(_budget_redis.redis.Redis, 'from_url', lambda url, **kw: made.append(kw) or real(url, **kw))
    warnings = []
    url = 'redis://:%s@127.0.0.1:%d/0' % (PASSWORD, hung.getsockname()[1])
    budget = make(str(tmp_path / 'a'), FakeClock(), store=url, warn=warnings.append, sleep=no_sleep)
    started = time.monotonic()
    try:
        assert budget.acquire(timeout=0.3) == 0.0
    finally:
        hung.close()
    assert time.monotonic() - started < _budget_redis.STORE_TIMEOUT
    assert [(kw['socket_timeout'], kw['socket_connect_timeout']) for kw in made] == [(0.3, 0.3)]
    assert len(warnings) == 1 and 'TimeoutError' in warnings[0] and PASSWORD not in warnings[0]


def test_without_the_redis_library_one_line_names_what_to_install(redis_server, tmp_path, monkeypatch):
    monkeypatch.setattr(_budget_redis, 'redis', None)
    warnings = []
    budget = on(redis_server, tmp_path, warn=warnings.append)
    assert budget.acquire(timeout=0) == 0.0 and state_file(budget) == state_path(str(tmp_path / 'a'))
    assert len(warnings) == 1
    assert 'the Python library redis is not installed for Python' in warnings[0]
    assert 'pip install "redis>=4.2"' in warnings[0] and '\n' not in warnings[0]
    assert keys(redis_server) == []


@pytest.mark.parametrize('url', ['http://:pw-SECRET@127.0.0.1:6379', 'redis://:pw-SECRET@', 'unix:///run/redis.sock',
                                 'redis://:pw-SECRET@host:99999', 'pw-SECRET', 42])
def test_a_store_that_is_not_a_redis_url_refused_without_showing_it(tmp_path, clock, url):
    with pytest.raises(AltostratInputError) as info:
        make(str(tmp_path / 'a'), clock, store=url)
    assert str(info.value).startswith('rate_limit_store must be a redis:// or rediss:// URL')
    assert 'SECRET' not in str(info.value)


def test_redis_is_imported_only_when_a_store_is_set(tmp_path):
    code = ('import sys; sys.path.insert(0, %r)\n'
            'from ansible_collections.altostrat.cloud.plugins.module_utils._budget import Budget\n'
            'Budget("https://api", "t", directory=%r).acquire()\n'
            'assert "redis" not in sys.modules, "redis imported"\n' % (COLLECTIONS, str(tmp_path / 'a')))
    subprocess.run([sys.executable, '-c', code], check=True)


# ---- across real processes, each with a budget directory of its own (as machines have) ---------------------

def test_processes_of_separate_machines_share_one_store(redis_server, tmp_path):
    """4 processes, 12 slots each, 10 a 2 s window, one store: no window holds more than 10, each process's slots
    come in the order it reserved them, and each waited for its slot."""
    each, per_window, window = 12, 10, 2.0
    directories = [str(tmp_path / ('machine-%d' % n)) for n in range(4)]
    results = run_processes(tmp_path, directories, each, per_window, window, store=redis_server.url)
    slots = []
    for lines, warnings in results:
        assert warnings == []
        mine = [slot for slot, returned, kind in lines]
        assert mine == sorted(mine) and len(set(mine)) == each
        for slot, returned, kind in lines:
            assert kind == 'RedisStore' and returned >= slot - 0.005
        slots += mine
    assert not crowded(slots, per_window, window)
    slots.sort()
    assert slots[-1] - slots[0] < (len(slots) - 1) // per_window * window + 1.5  # FIFO, no slot wasted
    assert all(not os.path.exists(state_path(directory)) for directory in directories)


def test_store_stopped_mid_way_no_failure_one_warning_each_then_local(redis_server, tmp_path):
    each = 8
    directories = [str(tmp_path / ('machine-%d' % n)) for n in range(3)]
    kill = functools.partial(os.kill, redis_server.proc.pid, signal.SIGKILL)
    results = run_processes(tmp_path, directories, each, 4, 2.0, store=redis_server.url, stop_store_after=(3, kill))
    assert results[0][0][-1][2] == 'LocalStore'  # the process that stopped the store went on without it
    for lines, warnings in results:
        assert len(lines) == each  # every request got a slot
        kinds = [kind for slot, returned, kind in lines]
        assert kinds == sorted(kinds, key=kinds.index)  # Redis, then (once it is gone) local to the end
        # one warning in a process that met the stopped store (a busy machine may let another finish before the stop)
        assert len(warnings) == (1 if kinds[-1] == 'LocalStore' else 0), warnings
        for warning in warnings:
            assert 'redis://127.0.0.1:%d/0 cannot be used' % redis_server.port in warning and PASSWORD not in warning
