# -*- coding: utf-8 -*-
# Copyright (c) 2026 Altostrat collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A request budget per API token, shared by every process of this user on this machine.

The API allows 60 requests a minute per token, for all forks, lookups and controllers together.
Each ``Budget`` hands out *slots*: wall-clock times at which one request may go out. The slots
of one token live in a small JSON file in a private per-user directory; a process takes an
exclusive ``fcntl.flock`` on it just long enough to read the slots, reserve the earliest time at
which fewer than ``per_minute`` slots lie in the ``window`` before it, and write it back. It
then sleeps, without the lock, until its slot. So waiters queue first come, first served, nobody
polls, no crowd wakes at once, and no window ever holds more than ``per_minute`` slots.
``sync`` folds in what the server says (``X-RateLimit-Remaining``, ``Retry-After``), so other
controllers or AWX job slices on the same token slow this one down instead of breaking it.
Without a safe directory (or without ``fcntl``) the budget is kept per process instead.

Why not a library: pyrate-limiter's SQLite bucket (behind requests-ratelimiter) records only the
requests it let through; a caller that does not fit sleeps for ``waiting()`` and tries ``put``
again, so waiters poll, wake together and race, with no reservation and no FIFO order. Across
processes it needs the ``filelock`` extra besides ``sqlite3``, and it defaults to one database in
``gettempdir()`` for every user. ``filelock`` alone is just a lock. This file is standard library
only (nothing to install in execution environments or on remote hosts), one file per token.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import bisect
import hashlib
import json
import math
import os
import stat
import threading
import time

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: one budget per process
    fcntl = None

from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratError

FORMAT = 1
LATE = 1.0  # seconds a request may go out after its slot; later, it takes the next slot (the slot stays spent)
LATE_TRIES = 3  # slots a starved process tries before it sends anyway
DIRECTORY_NAME = 'altostrat.cloud'
_MEMORY = {}  # state file name -> state, for budgets that cannot share a file
_MEMORY_LOCK = threading.Lock()


class BudgetTimeout(AltostratError):
    """The next free request slot lies further away than the caller may wait."""

    def __init__(self, message, wait=None, timeout=None):
        super(BudgetTimeout, self).__init__(message)
        self.wait = wait
        self.timeout = timeout


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


def _clean(raw, now, window):
    """A state ``{'slots': sorted times, 'blocked_until': time}`` from what was stored (anything: bad data is no data).

    Drops slots up to ``now - window``: they no longer count. Reserved slots may lie many windows
    ahead (a queue of waiters), but each at most one window after the one before it (or after
    now): a longer gap only comes from a wall clock that jumped back, so that slot goes, and all
    later ones with it.
    """
    if not isinstance(raw, dict) or raw.get('v') != FORMAT or not isinstance(raw.get('slots'), list):
        raw = {}
    times = sorted(slot for slot in (_number(value) for value in raw.get('slots', ())) if slot is not None and slot > now - window)
    slots, last = [], now
    for slot in times:
        if slot > last + window:
            break
        slots.append(slot)
        last = max(last, slot)
    blocked = _number(raw.get('blocked_until'))
    if blocked is None or not now < blocked <= now + window:
        blocked = 0.0
    return {'v': FORMAT, 'slots': slots, 'blocked_until': blocked}


def _read_all(fd):
    chunks = []
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            return b''.join(chunks)
        chunks.append(chunk)


def _write_all(fd, data):
    os.lseek(fd, 0, os.SEEK_SET)
    os.ftruncate(fd, 0)
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


class Budget:
    """The request budget of one API token (and API URL) for every process of this user on this machine."""

    def __init__(self, api_url, token, per_minute=60, window=60.0, directory=None, clock=time.time, sleep=time.sleep, warn=None):
        self.per_minute = int(per_minute or 0)
        self.window = float(window)
        self.clock = clock
        self.sleep = sleep
        self.warn = warn or (lambda message: None)
        digest = hashlib.sha256(((api_url or '') + '\n' + (token or '')).encode('utf-8')).hexdigest()
        self._name = digest[:32] + '.json'  # the token itself never reaches the disk
        self.path = None  # the shared state file; None: a budget for this process only
        self.last_slot = None  # the slot of the last acquire (for tests and diagnostics)
        if not self.enabled or fcntl is None:
            return
        directory = directory or default_directory()
        problem = check_directory(directory)
        if problem:
            self._fall_back('%s %s' % (directory, problem))
        else:
            self.path = os.path.join(directory, self._name)

    @property
    def enabled(self):
        return self.per_minute > 0

    def acquire(self, timeout=None):
        """Reserve the next free slot for one request and sleep until it; return seconds slept.

        Raise BudgetTimeout (without reserving) if that slot lies more than ``timeout`` seconds away (None: no bound).
        A process that wakes more than ``LATE`` seconds after its slot (a busy machine) does not send in it: the
        slot stays spent and it takes the next one, so that every request goes out within ``LATE`` of its slot and
        no minute of arrivals at the API holds more than the budget (the window is ``LATE`` and more over a minute).
        """
        if not self.enabled:
            return 0.0
        started, slept = self.clock(), 0.0
        for attempt in range(1, LATE_TRIES + 1):
            left = None if timeout is None else max(0.0, timeout - (self.clock() - started))

            def reserve(state, now):
                slots = state['slots']
                slot = max(now, state['blocked_until'], slots[-1] if slots else now)
                if len(slots) >= self.per_minute:
                    slot = max(slot, slots[-self.per_minute] + self.window)
                wait = slot - now
                if left is not None and wait > left:
                    raise BudgetTimeout('The next free request slot is %.1fs away (request budget: %s per API token), beyond the timeout of %.1fs.'
                                        % (wait, self._rate(), left), wait=wait, timeout=left)
                slots.append(slot)
                return (wait, slot), True

            wait, slot = self._update(reserve)
            self.last_slot = slot
            if wait > 0:
                self.sleep(wait)
                slept += wait
            if attempt == LATE_TRIES or self.clock() - slot <= LATE:
                return slept
        return slept  # pragma: no cover - the loop returns

    def sync(self, limit=None, remaining=None, retry_after=None):
        """Take the server's view into account, from an answer's X-RateLimit-Limit / X-RateLimit-Remaining
        (ints or None) and, on a 429, its Retry-After / X-RateLimit-Reset converted to seconds (float or None).

        The server has seen ``cap - remaining`` requests in its window (``cap``: the smaller of its
        limit and ``per_minute``); as many of those as this budget does not know of become phantom
        slots: at now, or with a ``retry_after`` one window before the server's window ends, so that
        they expire with it. Until ``retry_after`` (at most one window) has passed nothing is handed out.
        """
        limit, remaining, retry_after = _number(limit), _number(remaining), _number(retry_after)
        cap = self.per_minute if limit is None else min(int(limit), self.per_minute)
        used = cap - int(remaining) if remaining is not None else 0
        block = min(retry_after, self.window) if retry_after is not None else 0.0
        if not self.enabled or (used <= 0 and block <= 0):
            return

        def merge(state, now):
            slots, changed = state['slots'], False
            held = bisect.bisect_right(slots, now)  # the slots up to now (all are later than now - window)
            if used > held:
                at = now + block - self.window if block > 0 else now
                where = bisect.bisect_right(slots, at)
                slots[where:where] = [at] * (used - held)
                changed = True
            if block > 0 and now + block > state['blocked_until']:
                state['blocked_until'] = now + block
                changed = True
            return None, changed

        self._update(merge)

    def _rate(self):
        if self.window == 60:
            return '%d requests a minute' % self.per_minute
        return '%d requests per %gs' % (self.per_minute, self.window)

    def _fall_back(self, problem):
        self.path = None
        self.warn('Altostrat request budget: %s; this process keeps its own budget instead of sharing one with the '
                  'other processes using the token.' % problem)

    def _update(self, change):
        """Run ``change(state, now) -> (result, changed)`` on the state, locked; store it if changed; return result."""
        if self.path is not None:
            try:
                return self._update_file(change)
            except OSError as exc:
                self._fall_back('cannot use %s (%s)' % (self.path, exc.strerror or exc))
        with _MEMORY_LOCK:
            now = self.clock()
            state = _clean(_MEMORY.get(self._name), now, self.window)
            result, changed = change(state, now)
            if changed:
                _MEMORY[self._name] = state
            return result

    def _update_file(self, change):
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, 'O_CLOEXEC', 0)
        fd = os.open(self.path, flags, 0o600)
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise OSError('not a regular file')
            if stat.S_IMODE(info.st_mode) != 0o600:
                os.fchmod(fd, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)  # released by close; never held while sleeping
            now = self.clock()
            try:
                raw = json.loads(_read_all(fd).decode('utf-8'))
            except (ValueError, RecursionError):
                raw = None
            state = _clean(raw, now, self.window)
            result, changed = change(state, now)
            if changed:
                _write_all(fd, json.dumps(state, separators=(',', ':')).encode('utf-8'))
            return result
        finally:
            os.close(fd)
