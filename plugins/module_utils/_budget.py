# -*- coding: utf-8 -*-
# Copyright (c) 2026 Altostrat collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A request budget per API token: on this machine, or shared by every machine through a store.

The API allows 60 requests a minute per token, for all forks, lookups, controllers and machines
together. A ``Budget`` hands out *slots*: times at which one request may go out. It reserves the
earliest time at which fewer than ``per_minute`` slots lie in the ``window`` before it, then sleeps
until its slot (no lock held). So waiters queue first come, first served, nobody polls, no crowd
wakes at once, and no window ever holds more than ``per_minute`` slots. ``sync`` folds in what the
server says (``X-RateLimit-Remaining``, ``Retry-After``), so that anything else spending from the
token slows this one down instead of breaking it.

Where the slots are kept, each behind the same two calls (``reserve``, ``sync``), tried in turn:

* ``_budget_redis.RedisStore`` -- with ``rate_limit_store`` set: one budget per token for every
  machine naming the same Redis, decided inside Redis on its clock;
* ``_budget_local.LocalStore`` -- a file shared by this user's processes on this machine, else the
  memory of this process.

A store that cannot be used (Redis down, refusing auth or timing out; a budget file that is not
plainly ours) is told once, in one line, and the next store takes over: a gate never fails for it.

``rate_limit`` is at most ``MAX_RATE_LIMIT`` (1000) a minute: far above the API's 60, and it keeps the
state small (one slot a request in the window), whatever the server's headers say.

Why not a library: pyrate-limiter's SQLite bucket (behind requests-ratelimiter) records only the
requests it let through; a caller that does not fit sleeps for ``waiting()`` and tries ``put``
again, so waiters poll, wake together and race, with no reservation and no FIFO order. Across
processes it needs the ``filelock`` extra besides ``sqlite3``, and it defaults to one database in
``gettempdir()`` for every user; its Redis bucket decides on the clients' clocks. ``filelock`` alone
is just a lock. The local budget is standard library only (nothing to install in execution
environments or on remote hosts); the Redis store needs only the ``redis`` client.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import math
import time

from ansible_collections.altostrat.cloud.plugins.module_utils import _budget_local
from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratInputError, BudgetBusy, BudgetTimeout

MAX_RATE_LIMIT = 1000  # requests a minute: rate_limit above this is refused before any request
LATE = 1.0  # seconds a request may go out after its slot; later, it takes the next slot (the slot stays spent)
LATE_TRIES = 3  # slots a starved process tries before it sends anyway
LOCAL_INSTEAD = "the budget of this machine and the API's rate-limit headers"  # what a task without its store uses


def check_rate_limit(value):
    """``rate_limit`` as an int from 0 (off) to MAX_RATE_LIMIT; AltostratInputError naming it otherwise."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_RATE_LIMIT:
        raise AltostratInputError('rate_limit must be 0 (off) or a number of requests a minute up to %d, got %s.'
                                  % (MAX_RATE_LIMIT, _shown(value)))
    return value


def _shown(value):
    text = repr(value)
    return text if len(text) <= 40 else text[:40] + '...'


def _number(value):
    """``value`` if it is a finite int or float (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class Budget:
    """The request budget of one API token (and API URL): for every process of this user on this machine, or, with
    ``store`` (a ``rate_limit_store`` URL), for every process on every machine using that store."""

    def __init__(self, api_url, token, per_minute=60, window=60.0, directory=None, clock=time.time, sleep=time.sleep,
                 warn=None, store=None):
        self.per_minute = check_rate_limit(per_minute)
        self.window = float(window)
        self.clock = clock
        self.sleep = sleep
        self.warn = warn or (lambda message: None)
        digest = hashlib.sha256(((api_url or '') + '\n' + (token or '')).encode('utf-8')).hexdigest()
        name = digest[:32]  # the token itself never reaches the disk or the store
        self.stores = []  # the stores still to try, the one in use first
        self._bound = None  # (clock() when the last acquire started, its timeout): sync's store calls end by then too
        if not self.enabled:
            return
        if store:
            self._add_shared(store, name)
        self._add_file(directory, name + '.json')
        self.stores.append(_budget_local.LocalStore(name + '.json', None, clock))

    @property
    def enabled(self):
        return self.per_minute > 0

    def _add_shared(self, url, name):
        from ansible_collections.altostrat.cloud.plugins.module_utils._budget_redis import RedisStore, check_store_url
        check_store_url(url)  # AltostratInputError: the URL is refused before any request
        try:
            self.stores.append(RedisStore(url, name, _budget_local.MAX_WAITING))
        except OSError as exc:  # the client library is missing
            self._tell(exc.args[0], LOCAL_INSTEAD)

    def _add_file(self, directory, name):
        if _budget_local.fcntl is None:
            return
        directory = directory or _budget_local.default_directory()
        problem = _budget_local.check_directory(directory)
        if problem:
            self._tell('%s %s' % (directory, problem))
            return
        path = _budget_local.os.path.join(directory, name)
        if path not in _budget_local._REFUSED:  # else this process was told already: it keeps its own budget
            self.stores.append(_budget_local.LocalStore(name, path, self.clock))

    def _tell(self, problem, instead=None):
        if instead is None:
            self.warn('Altostrat request budget: %s; this process keeps its own budget instead of sharing one with the other '
                      'processes using the token.' % problem)
        else:
            self.warn('Altostrat request budget: %s; this task carries on with %s.' % (problem, instead))

    def _use(self, method, *args):
        """``method`` of the first store that works; one that fails is told once and not tried again."""
        while True:
            store = self.stores[0]
            try:
                return getattr(store, method)(self.per_minute, self.window, *args)
            except OSError as exc:
                self.stores.pop(0)
                if not self.stores:  # pragma: no cover - the last store, in this process's memory, does not fail
                    raise
                if hasattr(store, 'url'):
                    self._tell('the rate_limit_store %s cannot be used (%s)' % (store.where, exc.args[0]), LOCAL_INSTEAD)
                else:
                    self._tell(exc.args[0])

    def _left(self):
        if self._bound is None or self._bound[1] is None:
            return None
        return max(0.0, self._bound[1] - (self.clock() - self._bound[0]))

    def acquire(self, timeout=None, patience=None):
        """Reserve the next free slot for one request and sleep until it; return seconds slept.

        Raise BudgetTimeout (without reserving) if that slot lies more than ``timeout`` seconds away (None: no bound).
        ``patience`` (None: the request is not a wait's poll): the request is a wait's poll, whose slot is paced
        (``_budget_local``) and which would rather be skipped than wait longer than ``patience`` seconds (its pause)
        for it: BudgetBusy (without reserving), the wait pauses again. So a busy budget goes to the starts and reads
        first, and to the polls of the runs that have waited longest (their pauses are the longest), not to polls of
        runs that have only just started.

        A process that wakes more than ``LATE`` seconds after its slot (a busy machine) does not send in it: the
        slot stays spent and it takes the next one, so that every request goes out within ``LATE`` of its slot and
        no minute of arrivals at the API holds more than the budget (the window is ``LATE`` and more over a minute).
        A process whose slot a 429's block has covered while it slept takes the first slot after the block.
        """
        if not self.enabled:
            return 0.0
        slept, late = 0.0, 0
        self._bound = (self.clock(), timeout)
        while True:
            left = self._left()
            patient = None if patience is None else max(0.0, patience - slept)
            bound = left if patient is None else patient if left is None else min(left, patient)
            wait, slot = self._use('reserve', bound, patience is not None, left)
            if wait is None:
                raise BudgetTimeout('%d requests already wait for the request budget (%s per API token): no more may queue.'
                                    % (_budget_local.MAX_WAITING, self._rate()), timeout=left)
            if slot is None and patient is not None and (left is None or wait <= left):
                raise BudgetBusy('The next free request slot is %.1fs away, beyond the pause of %.1fs of this poll.'
                                 % (wait, patient), wait=wait)
            if slot is None:
                raise BudgetTimeout('The next free request slot is %.1fs away (request budget: %s per API token), beyond the '
                                    'timeout of %.1fs.' % (wait, self._rate(), left), wait=wait, timeout=left)
            reserved = self.clock()
            if wait > 0:
                self.sleep(wait)
                slept += wait
                if not self._use('confirm', slot, self._left()):
                    continue  # a 429's block came in over the slot: take the first one after it
            late += 1
            if late == LATE_TRIES or self.clock() - reserved - wait <= LATE:
                return slept

    def sync(self, limit=None, remaining=None, retry_after=None):
        """Take the server's view into account, from an answer's X-RateLimit-Limit / X-RateLimit-Remaining
        (ints or None) and, on a 429, its Retry-After / X-RateLimit-Reset converted to seconds (float or None).

        The server has seen ``cap - remaining`` requests in its window (``cap``: the smaller of its
        limit and ``per_minute``; whatever the headers say, between 0 and ``cap``); as many of those as
        the budget does not know of become phantom slots. Until ``retry_after`` (at most one window) has
        passed nothing is handed out. With a store, every machine sees it.
        """
        limit, remaining, retry_after = _number(limit), _number(remaining), _number(retry_after)
        cap = self.per_minute if limit is None else max(0, min(int(limit), self.per_minute))
        used = cap - min(cap, max(0, int(remaining))) if remaining is not None else 0
        block = min(retry_after, self.window) if retry_after is not None else 0.0
        if not self.enabled or (used <= 0 and block <= 0):
            return
        self._use('sync', max(0, used), max(0.0, block), self._left())

    def _rate(self):
        if self.window == 60:
            return '%d requests a minute' % self.per_minute
        return '%d requests per %gs' % (self.per_minute, self.window)
