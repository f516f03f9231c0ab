"""The request budget: reservation window, server sync, shared state file, unsafe directories, real processes."""

import hashlib
import json
import multiprocessing
import os
import stat
import time

import pytest

from ansible_collections.altostrat.cloud.plugins.module_utils import _budget
from ansible_collections.altostrat.cloud.plugins.module_utils._budget import Budget, BudgetTimeout
from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratError

from testkit.collection import COLLECTIONS
from testkit.fakes import FakeClock

API = 'https://v1.api.altostrat.io'
TOKEN = 'tok-budget-S3CRET-0123456789abcdef'
T0 = FakeClock().now  # where the shared fake clock starts


@pytest.fixture
def directory(tmp_path):
    return str(tmp_path / 'budget')


def make(directory, clock, per_minute=3, token=TOKEN, api_url=API, sleep=None, **kwargs):
    return Budget(api_url, token, per_minute=per_minute, directory=directory, clock=clock,
                  sleep=sleep or clock.sleep, **kwargs)


def state_path(directory, api_url=API, token=TOKEN):
    name = hashlib.sha256((api_url + '\n' + token).encode('utf-8')).hexdigest()[:32] + '.json'
    return os.path.join(directory, name)


def no_sleep(seconds):
    """The sleep of another process: it waits, our clock does not move."""


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
    assert [budget.acquire(timeout=0) for n in range(5)] == [0.0] * 5
    with pytest.raises(BudgetTimeout):
        budget.acquire(timeout=59)


def test_sync_caps_at_the_smaller_limit(directory, clock):
    budget = make(directory, clock, per_minute=10)
    budget.sync(limit=120, remaining=115)  # 5 used of the server's 120: this budget's 10 are still free
    budget.sync(remaining=115)
    assert [budget.acquire(timeout=0) for n in range(10)] == [0.0] * 10
    other = make(directory, clock, per_minute=10, token='another-token')
    other.sync(limit=4, remaining=0)  # a smaller server limit, all used: 4 phantoms
    assert [other.acquire(timeout=0) for n in range(6)] == [0.0] * 6
    with pytest.raises(BudgetTimeout):
        other.acquire(timeout=59)


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
    assert [budget.acquire(timeout=0) for n in range(9)] == [0.0] * 9


def test_sync_retry_after_at_most_one_window(directory, clock):
    budget = make(directory, clock, per_minute=10)
    budget.sync(retry_after=3600.0)
    assert budget.acquire() == 60.0


def test_sync_leaves_the_file_alone_when_the_server_agrees(directory, clock):
    budget = make(directory, clock, per_minute=10)
    budget.acquire()
    budget.acquire()
    path = state_path(directory)
    os.utime(path, (1, 1))
    with open(path, 'rb') as f:
        before = f.read()
    for kwargs in ({'limit': 10, 'remaining': 8}, {'limit': 10, 'remaining': 9}, {'remaining': 10},
                   {'limit': None, 'remaining': None, 'retry_after': None}, {'retry_after': 0.0},
                   {'limit': 'x', 'remaining': True, 'retry_after': float('nan')}):
        budget.sync(**kwargs)
    assert os.stat(path).st_mtime == 1
    with open(path, 'rb') as f:
        assert f.read() == before


# ---- the shared state file ---------------------------------------------------------------

def test_file_and_directory_modes(tmp_path, clock):
    directory = str(tmp_path / 'budget')
    old = os.umask(0o077 ^ 0o777)  # a umask that would strip the owner's bits
    try:
        make(directory, clock).acquire()
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.lstat(directory).st_mode) == 0o700
    assert os.listdir(directory) == [os.path.basename(state_path(directory))]
    assert stat.S_IMODE(os.lstat(state_path(directory)).st_mode) == 0o600


def test_token_never_reaches_the_disk(directory, clock):
    budget = make(directory, clock)
    for n in range(4):
        budget.acquire()
    budget.sync(limit=60, remaining=0, retry_after=5.0)
    for name in os.listdir(directory):
        assert TOKEN not in name
        with open(os.path.join(directory, name), 'rb') as f:
            assert TOKEN.encode() not in f.read()


def test_same_key_shares_and_other_keys_do_not(directory, clock):
    first, second = make(directory, clock), make(directory, clock)
    first.acquire()
    first.acquire()
    second.acquire()
    with pytest.raises(BudgetTimeout):
        first.acquire(timeout=0)
    assert make(directory, clock, token=TOKEN + 'x').acquire(timeout=0) == 0.0
    assert make(directory, clock, api_url='http://127.0.0.1:8080').acquire(timeout=0) == 0.0
    assert len(os.listdir(directory)) == 3


@pytest.mark.parametrize('content', [
    b'', b'{', b'\xff\xfe garbage', b'[]', b'null', b'{"slots": [1700000000.0]}', b'{"v": 0, "slots": []}',
    b'{"v": 1, "slots": "many"}', b'{"v": 1, "slots": ["x", null, true, NaN, Infinity], "blocked_until": "soon"}',
    b'{"v": 1, "slots": [1%s, -1e400], "blocked_until": 1e400}' % (b'0' * 400), b'[' * 100000,
])
def test_bad_state_file_counts_as_empty_and_is_rewritten(directory, clock, content):
    budget = make(directory, clock)
    budget.acquire()
    with open(state_path(directory), 'wb') as f:
        f.write(content)
    assert [budget.acquire(timeout=0) for n in range(3)] == [0.0] * 3
    with open(state_path(directory)) as f:
        assert json.load(f) == {'v': 1, 'slots': [T0] * 3, 'blocked_until': 0.0}


def test_slots_after_a_gap_longer_than_the_window_are_dropped(directory, clock):
    os.mkdir(directory, 0o700)
    with open(state_path(directory), 'w') as f:
        json.dump({'v': 1, 'slots': [T0 - 70, T0 - 10, T0 + 50, T0 + 100, T0 + 200, T0 + 210, T0 + 220], 'blocked_until': T0 + 61}, f)
    budget = make(directory, clock)
    assert budget.acquire() == 100.0  # T0 - 70 has expired; from T0 + 200 on, slots sit past a gap
    with open(state_path(directory)) as f:
        assert json.load(f) == {'v': 1, 'slots': [T0 - 10, T0 + 50, T0 + 100, T0 + 100], 'blocked_until': 0.0}


def test_clock_jumped_back_drops_slots_and_blocks_from_the_future(directory, clock):
    budget = make(directory, clock)
    for n in range(3):
        budget.acquire()
    budget.sync(retry_after=50.0)
    clock.now = T0 - 3600  # the wall clock went back an hour
    assert [budget.acquire(timeout=0) for n in range(3)] == [0.0] * 3


# ---- unsafe places: one warning, then a budget for this process only -----------------------

def check_falls_back(directory, clock, problem):
    warnings = []
    budget = make(directory, clock, warn=warnings.append)
    budget.acquire()
    budget.acquire()
    budget.sync(limit=3, remaining=0)
    with pytest.raises(BudgetTimeout):
        budget.acquire(timeout=59)
    assert budget.path is None and len(warnings) == 1
    (warning,) = warnings
    assert directory in warning and problem in warning and '\n' not in warning and TOKEN not in warning
    return budget


def test_symlinked_directory_refused(tmp_path, clock):
    real = tmp_path / 'real'
    real.mkdir(mode=0o700)
    link = tmp_path / 'link'
    link.symlink_to(real)
    check_falls_back(str(link), clock, 'is a symbolic link')
    assert os.listdir(str(real)) == []


def test_directory_open_to_others_refused_and_left_alone(tmp_path, clock):
    shared = tmp_path / 'shared'
    shared.mkdir()
    shared.chmod(0o755)
    check_falls_back(str(shared), clock, 'is open to group or others (mode 0755, needs 0700)')
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755 and os.listdir(str(shared)) == []


def test_directory_of_another_user_refused(directory, clock, monkeypatch):
    os.mkdir(directory, 0o700)
    uid = os.getuid()
    monkeypatch.setattr(_budget.os, 'getuid', lambda: uid + 1)
    check_falls_back(directory, clock, 'belongs to uid %d, not to this user (uid %d)' % (uid, uid + 1))


def test_directory_that_cannot_be_created(tmp_path, clock):
    check_falls_back(str(tmp_path / 'missing' / 'budget'), clock, 'cannot be created')


def test_symlinked_state_file_refused(directory, clock, tmp_path):
    os.mkdir(directory, 0o700)
    target = tmp_path / 'target'
    target.write_text('keep')
    os.symlink(str(target), state_path(directory))
    check_falls_back(directory, clock, 'cannot use %s' % state_path(directory))
    assert target.read_text() == 'keep'


def test_in_process_budget_shared_within_the_process(tmp_path, clock):
    shared = tmp_path / 'shared'
    shared.mkdir()
    shared.chmod(0o755)
    first, second = make(str(shared), clock), make(str(shared), clock)
    first.acquire()
    first.acquire()
    second.acquire()
    with pytest.raises(BudgetTimeout):
        second.acquire(timeout=0)
    assert make(str(shared), clock, token='another').acquire(timeout=0) == 0.0


def test_without_fcntl_no_file_one_budget_per_process(directory, clock, monkeypatch):
    monkeypatch.setattr(_budget, 'fcntl', None)
    budget = make(directory, clock)
    assert [budget.acquire() for n in range(4)] == [0.0, 0.0, 0.0, 60.0]
    assert budget.path is None and not os.path.exists(directory)


def test_default_directory(tmp_path, monkeypatch):
    runtime = tmp_path / 'run'
    runtime.mkdir()
    monkeypatch.setenv('XDG_RUNTIME_DIR', str(runtime))
    monkeypatch.setenv('TMPDIR', str(tmp_path / 'tmp'))
    assert _budget.default_directory() == str(runtime / 'altostrat.cloud')
    uid = os.getuid()
    monkeypatch.setattr(_budget.os, 'getuid', lambda: uid + 1)  # XDG_RUNTIME_DIR of someone else
    assert _budget.default_directory() == str(tmp_path / 'tmp' / ('altostrat.cloud-%d' % (uid + 1)))
    monkeypatch.setenv('XDG_RUNTIME_DIR', str(tmp_path / 'nowhere'))
    monkeypatch.delenv('TMPDIR')
    assert _budget.default_directory() == '/tmp/altostrat.cloud-%d' % (uid + 1)


# ---- across real processes ---------------------------------------------------------------

PROCESSES, EACH, PER_WINDOW, WINDOW, EPSILON = 4, 12, 10, 2.0, 0.005


def _worker(directory, out, barrier):
    """Acquire EACH slots as fast as possible; write down each slot (as the budget reserved it) and when acquire returned."""
    budget = Budget(API, TOKEN, per_minute=PER_WINDOW, window=WINDOW, directory=directory)
    barrier.wait(30)
    lines = []
    for n in range(EACH):
        budget.acquire()
        returned = time.time()
        lines.append('%r %r\n' % (budget.last_slot, returned))
    with open(out, 'w') as f:
        f.writelines(lines)


def test_processes_share_one_budget(tmp_path, monkeypatch):
    directory = str(tmp_path / 'budget')
    # spawn, not fork: pytest-xdist's worker has threads of its own. A spawned process imports this module
    # afresh, without Ansible's collection loader: the collection is found on sys.path, which it inherits.
    monkeypatch.syspath_prepend(COLLECTIONS)
    context = multiprocessing.get_context('spawn')
    barrier = context.Barrier(PROCESSES)
    outs = [str(tmp_path / ('out-%d' % n)) for n in range(PROCESSES)]
    workers = [context.Process(target=_worker, args=(directory, out, barrier)) for out in outs]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert [worker.exitcode for worker in workers] == [0] * PROCESSES
    slots = []
    for out in outs:
        with open(out) as f:
            for line in f:
                slot, returned = (float(field) for field in line.split())
                assert returned >= slot - EPSILON  # it waited for its slot
                slots.append(slot)
    slots.sort()
    assert len(slots) == PROCESSES * EACH
    crowded = [(slots[i], slots[i + PER_WINDOW]) for i in range(len(slots) - PER_WINDOW)
               if slots[i + PER_WINDOW] - slots[i] < WINDOW - EPSILON]
    assert not crowded, '%d slots within %gs: %r' % (PER_WINDOW + 1, WINDOW, crowded[:3])
    # 48 slots, 10 a window: windows start at 0, 2, 4, 6, 8 s; slack for a busy machine
    assert slots[-1] - slots[0] < (len(slots) - 1) // PER_WINDOW * WINDOW + 1.5


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
    budget.acquire()
    assert budget.last_slot == T0 + 65 and clock.now == T0 + 65
    with open(state_path(directory)) as f:
        slots = json.load(f)['slots']
    assert slots == [T0 + 60, T0 + 65]  # the late slot stays spent


def test_a_process_starved_every_time_sends_after_a_few_tries(directory):
    class Starved(FakeClock):
        def sleep(self, seconds):
            FakeClock.sleep(self, seconds + 5.0)

    clock = Starved(T0)
    budget = make(directory, clock, per_minute=1)
    budget.acquire()
    budget.acquire()
    assert 2 <= len(clock.sleeps) <= _budget.LATE_TRIES  # it tried again, but not for ever
