"""The request budget kept on this machine: the shared state file, what makes it refused, real processes."""

import json
import os
import stat

import pytest

from ansible_collections.altostrat.cloud.plugins.module_utils import _budget_local
from ansible_collections.altostrat.cloud.plugins.module_utils._errors import BudgetTimeout

from testkit.budget import T0, TOKEN, crowded, make, run_processes, state_file, state_path


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


def test_slots_after_a_gap_longer_than_the_window_are_dropped(directory, clock):
    os.mkdir(directory, 0o700)
    with open(state_path(directory), 'w') as f:
        json.dump({'v': 1, 'slots': [T0 - 70, T0 - 10, T0 + 50, T0 + 100, T0 + 200, T0 + 210, T0 + 220], 'blocked_until': T0 + 61}, f)
    budget = make(directory, clock)
    assert budget.acquire() == 100.0  # T0 - 70 has expired; from T0 + 200 on, slots sit past a gap
    with open(state_path(directory)) as f:
        assert json.load(f) == dict(_budget_local.new_state(), slots=[T0 - 10, T0 + 50, T0 + 100, T0 + 100])  # upgraded


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
    assert state_file(budget) is None and len(warnings) == 1
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
    monkeypatch.setattr(_budget_local.os, 'getuid', lambda: uid + 1)
    check_falls_back(directory, clock, 'belongs to uid %d, not to this user (uid %d)' % (uid, uid + 1))


def test_directory_that_cannot_be_created(tmp_path, clock):
    check_falls_back(str(tmp_path / 'missing' / 'budget'), clock, 'cannot be created')


def test_symlinked_state_file_refused(directory, clock, tmp_path):
    os.mkdir(directory, 0o700)
    target = tmp_path / 'target'
    target.write_text('keep')
    os.symlink(str(target), state_path(directory))
    check_falls_back(directory, clock, '%s is a symbolic link' % state_path(directory))
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
    monkeypatch.setattr(_budget_local, "fcntl", None)
    budget = make(directory, clock)
    assert [budget.acquire() for n in range(4)] == [0.0, 0.0, 0.0, 60.0]
    assert state_file(budget) is None and not os.path.exists(directory)


def test_default_directory(tmp_path, monkeypatch):
    runtime = tmp_path / 'run'
    runtime.mkdir()
    monkeypatch.setenv('XDG_RUNTIME_DIR', str(runtime))
    monkeypatch.setenv('TMPDIR', str(tmp_path / 'tmp'))
    assert _budget_local.default_directory() == str(runtime / 'altostrat.cloud')
    uid = os.getuid()
    monkeypatch.setattr(_budget_local.os, 'getuid', lambda: uid + 1)  # XDG_RUNTIME_DIR of someone else
    assert _budget_local.default_directory() == str(tmp_path / 'tmp' / ('altostrat.cloud-%d' % (uid + 1)))
    monkeypatch.setenv('XDG_RUNTIME_DIR', str(tmp_path / 'nowhere'))
    monkeypatch.delenv('TMPDIR')
    assert _budget_local.default_directory() == '/tmp/altostrat.cloud-%d' % (uid + 1)


# ---- a state file that is not plainly ours: one warning, this process's own budget, the file left alone ----

def spend_one_then(directory, clock, tamper):
    """A budget that used the file once, ``tamper()`` run, then used again: ``(budget, warnings, file bytes before)``."""
    warnings = []
    budget = make(directory, clock, warn=warnings.append)
    budget.acquire()
    assert state_file(budget) == state_path(directory) and warnings == []
    tamper()
    with open(state_path(directory), 'rb') as f:
        before = f.read()
    return budget, warnings, before


def check_refused(directory, clock, budget, warnings, before, problem):
    """Refused on the next open: one warning naming the file and the problem, a budget of this process's own from
    then on (for every budget of the process, without another warning), and the file not rewritten."""
    assert [budget.acquire(timeout=0) for n in range(3)] == [0.0] * 3  # the process's own budget starts empty
    with pytest.raises(BudgetTimeout):
        budget.acquire(timeout=59)  # ... and holds
    assert state_file(budget) is None and len(warnings) == 1
    (warning,) = warnings
    assert state_path(directory) in warning and problem in warning, warning
    assert 'keeps its own budget' in warning and '\n' not in warning and TOKEN not in warning
    later, told = make(directory, clock, warn=warnings.append), len(warnings)
    with pytest.raises(BudgetTimeout):
        later.acquire(timeout=59)  # the same process's budget, in memory
    assert state_file(later) is None and len(warnings) == told
    with open(state_path(directory), 'rb') as f:
        assert f.read() == before  # never reset


@pytest.mark.parametrize('content', [
    b'{', b'\xff\xfe garbage', b'[]', b'null', b'{"slots": [1700000000.0]}', b'{"v": 0, "slots": []}',
    b'{"v": 1, "slots": "many", "blocked_until": 0}', b'{"v": 1, "slots": [1, 2], "blocked_until": 0, "x": 1}',
    b'{"v": 1, "slots": ["x", null, true, NaN, Infinity], "blocked_until": "soon"}',
    b'{"v": 1, "slots": [1%s, -1e400], "blocked_until": 1e400}' % (b'0' * 400), b'[' * 100000,
])
def test_corrupt_state_file_refused_never_reset(directory, clock, content):
    def tamper():
        with open(state_path(directory), 'wb') as f:
            f.write(content)
    check_refused(directory, clock, *spend_one_then(directory, clock, tamper), problem='remove it to share the budget again')


def test_hard_linked_state_file_refused(directory, clock, tmp_path):
    spent = spend_one_then(directory, clock, lambda: os.link(state_path(directory), str(tmp_path / 'elsewhere')))
    check_refused(directory, clock, *spent, problem='has 2 links (a hard link to it exists)')


def test_state_file_of_another_user_refused(directory, clock, monkeypatch):
    uid = os.getuid()
    real_fstat = os.fstat

    def fstat(fd):
        info = list(real_fstat(fd))
        info[stat.ST_UID] = uid + 1
        return os.stat_result(info)
    spent = spend_one_then(directory, clock, lambda: monkeypatch.setattr(_budget_local.os, 'fstat', fstat))
    check_refused(directory, clock, *spent, problem='belongs to uid %d, not to this user (uid %d)' % (uid + 1, uid))


def test_state_file_too_big_refused_unread(directory, clock, monkeypatch):
    def tamper():
        with open(state_path(directory), 'r+b') as f:
            data = f.read()
            f.seek(0)
            f.write(data + b' ' * _budget_local.max_bytes(3))  # still valid JSON, but bigger than any budget
    reads = []
    real_read = os.read
    monkeypatch.setattr(_budget_local.os, 'read', lambda fd, n: reads.append(n) or real_read(fd, n))
    check_refused(directory, clock, *spend_one_then(directory, clock, tamper), problem='is bigger than a request budget')
    assert sum(reads) <= _budget_local.max_bytes(3) + 1


def test_fifo_at_the_state_file_refused_without_blocking(directory, clock):
    def tamper():
        os.unlink(state_path(directory))
        os.mkfifo(state_path(directory), 0o600)
    budget, warnings, unused = spend_one_then(directory, clock, lambda: None)
    tamper()
    assert budget.acquire(timeout=0) == 0.0
    assert state_file(budget) is None and len(warnings) == 1 and 'is not a regular file' in warnings[0]


def stored(directory):
    with open(state_path(directory)) as f:
        return json.load(f)['slots']


def test_a_full_budget_fits_the_cap(directory, clock):
    """The cap is not too tight: the most a budget writes (MAX_RATE_LIMIT slots, waiters queued) is read back."""
    per_minute = 1000
    budget = make(directory, clock, per_minute=per_minute)
    clock.now += 0.123456789  # slots with all their digits
    waiters = [make(directory, clock, per_minute=per_minute, sleep=lambda s: None) for n in range(3)]
    for n in range(per_minute):
        budget.acquire(timeout=0)
    for waiter in waiters * 300:
        waiter.acquire()
    size = os.path.getsize(state_path(directory))
    assert len(stored(directory)) == per_minute + 900 and size < _budget_local.max_bytes(per_minute)
    assert state_file(budget) == state_path(directory)


# ---- across real processes ---------------------------------------------------------------

def test_processes_share_one_budget(tmp_path):
    """4 processes, 12 slots each, 10 a 2 s window: no window holds more than 10, each process waited for its slot."""
    each, per_window, window = 12, 10, 2.0
    results = run_processes(tmp_path, [str(tmp_path / 'budget')] * 4, each, per_window, window)
    slots = []
    for lines, warnings in results:
        assert warnings == []
        for slot, returned, kind in lines:
            assert returned >= slot - 0.005 and kind == 'LocalStore'  # it waited for its slot
            slots.append(slot)
    assert len(slots) == 4 * each
    assert not crowded(slots, per_window, window)
    slots.sort()
    # 48 slots, 10 a window: windows start at 0, 2, 4, 6, 8 s; slack for a busy machine
    assert slots[-1] - slots[0] < (len(slots) - 1) // per_window * window + 1.5


def test_the_servers_window_starts_where_its_count_fell_or_its_block_ends():
    state = _budget_local.new_state()
    _budget_local.merge(state, T0, 60.0, 10, 0.0)
    assert state['window_start'] == 0.0  # not known yet
    _budget_local.merge(state, T0 + 20, 60.0, 30, 0.0)
    _budget_local.merge(state, T0 + 25, 60.0, 2, 0.0)  # the count fell: a window began after T0 + 20
    assert state['window_start'] == T0 + 20
    _budget_local.merge(state, T0 + 70, 60.0, 60, 12.0)  # a 429: the window ends in 12 s (whole seconds: 1 s margin)
    assert state['window_start'] == T0 + 70 + 12 - 60 - 1


def test_others_are_seen_only_from_requests_this_machine_did_not_send():
    state = _budget_local.new_state()
    assert _budget_local.reserve(state, T0, 60, 60.0, None) == (0.0, T0)
    _budget_local.merge(state, T0, 60.0, 1, 0.0)
    assert state['others'] == 0.0  # the server counts the one request this machine sent
    _budget_local.merge(state, T0 + 1, 60.0, 2, 0.0)
    assert state['others'] == T0 + 1  # one it did not send
    assert _budget_local.reserve(state, T0 + 1, 60, 60.0, None) == (1.0, T0 + 2)  # every request paced now


def test_answers_that_arrive_out_of_order_are_not_taken_for_others():
    """Four requests of one machine at once: their answers' counts arrive in any order (4, 2, 3, 1), and the count
    falling looks like a new window; none of it is a request from elsewhere, so nothing is paced."""
    state = _budget_local.new_state()
    for n in range(4):
        _budget_local.reserve(state, T0, 60, 60.0, None)
    for used in (4, 2, 3, 1):
        _budget_local.merge(state, T0 + 0.1, 60.0, used, 0.0)
    assert state['others'] == 0.0
    assert _budget_local.reserve(state, T0 + 0.1, 60, 60.0, None) == (0.0, T0 + 0.1)
