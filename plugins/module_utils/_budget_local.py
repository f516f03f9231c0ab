# -*- coding: utf-8 -*-
# Copyright (c) 2026 Altostrat collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The request budget's slots kept on this machine: in a file shared by this user's processes, or in this process.

The slots of one token live in a small JSON file in a private per-user directory; a process takes an
exclusive ``fcntl.flock`` on it just long enough to read the slots, reserve the earliest time at which
fewer than ``per_minute`` slots lie in the ``window`` before it, and write it back (``reserve``).

The file is trusted only while it is plainly ours: it is opened without following links and without
blocking, and on every open it must be a regular file owned by this user with one link, no bigger
than ``max_bytes(per_minute)``, holding exactly what this code writes. Anything else (another user's
file, a hard link, garbage, a file grown past the cap) is *refused*: ``LocalStore`` raises OSError
naming the problem, the caller warns once and keeps a budget in this process's memory for the rest of
the process (``refused``), and the file is left as it is. It is never silently reset: a file that
other processes share is not emptied because one of them cannot read it.

*Pacing*: a slot is at least ``window / per_minute`` after the slot before it (one second at 60 a
minute) when it is for a wait's poll (``paced``) while the window holds ``BUSY`` of the budget or more
(reserved slots included), and for every request while other machines spend the token, as the
server's count shows (more requests in the server's window than this machine sent in the last
minute, which holds that window: answers that arrive out of order never look like others; without a
store, other machines are known only that way). Paced polls queue behind the reads and starts before
them, so that a fleet's waits spread over the minute and each poll goes out as late as the queue makes
it, when its run is more likely to have ended; one-off reads and starts still go out together while
the budget allows. A poll queues at most its pause: further away, it is skipped (``_budget.Budget.acquire``).

A slot reserved before a 429's block came in is given up when its process wakes (``confirm``): it
takes the first slot after the block instead of sending into it.

The state stays small whatever the server's headers say: slots up to now beyond the last
``per_minute`` no longer decide anything and are dropped, phantom slots from the server's headers
are at most ``per_minute`` (at most ``_budget.MAX_RATE_LIMIT``), and at most ``MAX_WAITING``
reservations may queue ahead.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import bisect
import json
import math
import os
import stat
import threading

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: one budget per process
    fcntl = None

FORMAT = 2  # version 1 (before pacing) is read and upgraded
DIRECTORY_NAME = 'altostrat.cloud'
MAX_WAITING = 4096  # reservations queued ahead of now (one per waiting process); more: the next waiter is refused
SLOT_BYTES = 32  # the most one slot takes in the file ("1700000000.1234567," is 19)
BUSY = 1 / 3.0  # the share of per_minute in the window (reserved slots included) from which polls are paced
OTHERS = 1  # requests in the server's window that this machine did not send: others spend the token, pace
_MEMORY = {}  # state name -> state, for budgets kept in this process
_MEMORY_LOCK = threading.Lock()
_REFUSED = {}  # state file path -> the problem found with it: this process keeps its budget in memory


def max_bytes(per_minute):
    """The largest state file a budget of ``per_minute`` writes (with a margin): bigger is refused unread."""
    return 4096 + SLOT_BYTES * (int(per_minute) + MAX_WAITING)


def default_directory():
    """``$XDG_RUNTIME_DIR/altostrat.cloud`` if that is our own directory, else ``<TMPDIR or /tmp>/altostrat.cloud-<uid>``.

    Read from the environment, not ``tempfile.gettempdir()``: Ansible points that into a module's
    own temporary directory, and modules and lookups must find the same file.
    """
    runtime = os.environ.get('XDG_RUNTIME_DIR')
    if runtime and os.path.isabs(runtime):
        try:
            info = os.stat(runtime)
        except OSError:
            info = None
        if info is not None and stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid():
            return os.path.join(runtime, DIRECTORY_NAME)
    base = os.environ.get('TMPDIR')
    if not base or not os.path.isabs(base):
        base = '/tmp'
    return os.path.join(base, '%s-%d' % (DIRECTORY_NAME, os.getuid()))


def check_directory(path):
    """Create ``path`` (mode 0700) if missing; return None if it is safe to keep state in, else the problem."""
    try:
        os.mkdir(path, 0o700)
        os.chmod(path, 0o700)  # ours, just made: undo a umask that took the owner's bits
    except FileExistsError:
        pass
    except OSError as exc:
        return 'cannot be created (%s)' % (exc.strerror or exc)
    try:
        info = os.lstat(path)
    except OSError as exc:
        return 'cannot be read (%s)' % (exc.strerror or exc)
    if stat.S_ISLNK(info.st_mode):
        return 'is a symbolic link'
    if not stat.S_ISDIR(info.st_mode):
        return 'is not a directory'
    if info.st_uid != os.getuid():
        return 'belongs to uid %d, not to this user (uid %d)' % (info.st_uid, os.getuid())
    if info.st_mode & 0o077:
        return 'is open to group or others (mode %04o, needs 0700)' % stat.S_IMODE(info.st_mode)
    return None


def _number(value):
    """``value`` if it is a finite int or float (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or isinstance(value, float) and not math.isfinite(value):
        return None
    return value


_TIMES = ('blocked_until', 'seen', 'window_start', 'others')  # besides 'v', 'slots' and 'seen_used' (a count)


def new_state():
    """No slot; ``seen``/``seen_used``: when the server last said how many
    requests its window holds, and that count; ``window_start``: when the server's window began, as far as is known;
    ``others``: when the server's count last showed requests from elsewhere (0.0: never)."""
    return dict({'v': FORMAT, 'slots': [], 'seen_used': 0}, **{name: 0.0 for name in _TIMES})


def parse(data):
    """The state in ``data`` (bytes; empty: a new state); ValueError naming the problem if it is not what we write."""
    if not data:
        return new_state()
    try:
        raw = json.loads(data.decode('utf-8'))
    except (ValueError, RecursionError):
        raise ValueError('is not JSON')
    if isinstance(raw, dict) and raw.get('v') == 1 and set(raw) == {'v', 'slots', 'blocked_until'}:
        raw = dict(new_state(), slots=raw['slots'], blocked_until=raw['blocked_until'])  # before pacing
    if not isinstance(raw, dict) or raw.get('v') != FORMAT or set(raw) != set(new_state()):
        raise ValueError('is not a request budget (format %d)' % FORMAT)
    slots = raw['slots']
    if not isinstance(slots, list) or any(_number(value) is None for value in slots + [raw[name] for name in _TIMES + ('seen_used',)]):
        raise ValueError('holds something other than times')
    return dict(raw, slots=sorted(slots))


def clean(state, now, window, per_minute):
    """Drop from ``state`` (in place) what no longer counts at ``now``; return it.

    Slots up to ``now - window`` have expired, and of the slots up to now only the last ``per_minute``
    decide anything. Reserved slots may lie many windows ahead (a queue of waiters), but each at most
    one window after the one before it (or after now): a longer gap only comes from a wall clock that
    jumped back, so that slot goes, and all later ones with it; so does a block further than a window.
    """
    times = [slot for slot in state['slots'] if slot > now - window]
    past = bisect.bisect_right(times, now)
    if past > per_minute:
        del times[:past - per_minute]
    slots, last = [], now
    for slot in times:
        if slot > last + window:
            break
        slots.append(slot)
        last = max(last, slot)
    blocked = state['blocked_until']
    state['slots'] = slots
    state['blocked_until'] = blocked if now < blocked <= now + window else 0.0
    for name in _TIMES[1:]:  # times from a clock that jumped back are forgotten
        if state[name] > now:
            state[name] = 0.0
    return state


def reserve(state, now, per_minute, window, left, paced=False):
    """The slot policy: ``(wait, slot)`` of the earliest free slot, reserved (appended to ``state``) if it is at most
    ``left`` seconds away (None: any); ``(wait, None)`` if not; ``(None, None)`` if MAX_WAITING wait already.
    ``paced``: for a wait's poll (see above)."""
    slots = state['slots']
    if len(slots) - bisect.bisect_right(slots, now) >= MAX_WAITING:
        return None, None
    slot = max(now, state['blocked_until'], slots[-1] if slots else now)
    if len(slots) >= per_minute:
        slot = max(slot, slots[-per_minute] + window)
    if slots and (paced and len(slots) >= per_minute * BUSY or state['others'] > now - window):
        slot = max(slot, slots[-1] + window / per_minute)
    wait = slot - now
    if left is not None and wait > left:
        return wait, None
    slots.append(slot)
    return wait, slot


def confirm(state, slot):
    """Whether ``slot`` may still be used: False if a block (a 429) has come in over it since it was reserved."""
    return not state['blocked_until'] > slot


def merge(state, now, window, used, block):
    """Fold in the server's view: ``used`` requests in its window (at most per_minute), no request for ``block`` s.

    As many of ``used`` as the state does not hold up to now become phantom slots, at the start of the
    server's window (now if not known), so that they expire with it. ``OTHERS`` or more requests in the
    server's window that the state does not hold mean that others spend the token: pacing (see above).
    Return True: the state always changes (the server's count is kept).
    """
    slots = state['slots']
    if block > 0:  # the server's window ends when the block does (Retry-After is whole seconds: up to 1 s later)
        state['window_start'] = now + block - window - 1.0
    elif state['seen'] and used < state['seen_used']:
        state['window_start'] = state['seen']  # the count fell: a new window began since the last answer
    state['seen'], state['seen_used'] = now, used
    start = state['window_start'] if state['window_start'] > now - window else None
    held = bisect.bisect_right(slots, now)  # the slots up to now (all are later than now - window)
    if used - held >= OTHERS:  # the server's window lies within the last minute: more than this machine sent there
        state['others'] = now
    if used > held:
        at = max(start, now - window) if start is not None else now
        where = bisect.bisect_right(slots, at)
        slots[where:where] = [at] * (used - held)
    if block > 0 and now + block > state['blocked_until']:
        state['blocked_until'] = now + block
    return True


def _read_capped(fd, cap):
    chunks, size = [], 0
    while size <= cap:
        chunk = os.read(fd, min(65536, cap + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b''.join(chunks)


def _write_all(fd, data):
    os.lseek(fd, 0, os.SEEK_SET)
    os.ftruncate(fd, 0)
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


class LocalStore:
    """The slots of one token on this machine: in the file ``path`` (locked while used), or in this process (None).

    ``reserve``, ``sync`` and ``confirm`` are the store interface ``_budget.Budget`` uses (``_budget_redis.RedisStore``
    has the same; ``within``: how far away a slot may be, None: any; ``left``: the task's time left, which bounds a
    store's own timeouts); they raise OSError naming the problem when the file cannot be used (the memory store never fails).
    """

    def __init__(self, name, path, clock):
        self.name = name
        self.path = path
        self.clock = clock
        self.where = path or 'this process'

    def reserve(self, per_minute, window, within, paced=False, left=None):
        return self._update(per_minute, window, lambda state, now: (reserve(state, now, per_minute, window, within, paced), None))

    def sync(self, per_minute, window, used, block, left=None):
        self._update(per_minute, window, lambda state, now: (None, merge(state, now, window, used, block)))

    def confirm(self, per_minute, window, slot, left=None):
        return self._update(per_minute, window, lambda state, now: (confirm(state, slot), False))

    def _update(self, per_minute, window, change):
        """Run ``change(state, now) -> (result, changed)`` on the clean state, locked; store it if changed.

        ``changed`` None: store it if the result reserved a slot."""
        if self.path is None:
            with _MEMORY_LOCK:
                now = self.clock()
                state = clean(_MEMORY.get(self.name) or new_state(), now, window, per_minute)
                result, changed = change(state, now)
                _MEMORY[self.name] = state
                return result
        if self.path in _REFUSED:
            raise OSError('%s %s' % (self.path, _REFUSED[self.path]))
        try:
            return self._update_file(per_minute, window, change)
        except OSError as exc:
            _REFUSED[self.path] = exc.args[0] if exc.args and isinstance(exc.args[0], str) else (exc.strerror or str(exc))
            raise OSError('%s %s' % (self.path, _REFUSED[self.path]))

    def _update_file(self, per_minute, window, change):
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, 'O_CLOEXEC', 0)
        try:
            fd = os.open(self.path, flags, 0o600)
        except OSError as exc:
            if os.path.islink(self.path):
                raise OSError('is a symbolic link')
            raise OSError('cannot be opened (%s)' % (exc.strerror or exc))
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # released by close; never held while sleeping
            info = os.fstat(fd)
            cap = max_bytes(per_minute)
            if not stat.S_ISREG(info.st_mode):
                raise OSError('is not a regular file')
            if info.st_uid != os.getuid():
                raise OSError('belongs to uid %d, not to this user (uid %d)' % (info.st_uid, os.getuid()))
            if info.st_nlink != 1:
                raise OSError('has %d links (a hard link to it exists)' % info.st_nlink)
            data = _read_capped(fd, cap) if info.st_size <= cap else None
            if data is None or len(data) > cap:
                raise OSError('is bigger than a request budget can be (%d bytes at most)' % cap)
            try:
                state = parse(data)
            except ValueError as exc:
                raise OSError('%s: remove it to share the budget again' % exc)
            if stat.S_IMODE(info.st_mode) != 0o600:
                os.fchmod(fd, 0o600)
            now = self.clock()
            state = clean(state, now, window, per_minute)
            result, changed = change(state, now)
            if changed or changed is None and result[1] is not None:
                _write_all(fd, json.dumps(state, separators=(',', ':')).encode('utf-8'))
            return result
        finally:
            os.close(fd)
