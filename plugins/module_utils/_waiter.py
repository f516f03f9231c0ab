# -*- coding: utf-8 -*-
# Copyright (c) 2026 Altostrat collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one waiter: polls runs until they end, under a single monotonic deadline.

* the deadline is ``clock() + wait_timeout``; no sleep goes past it, and the last poll
  happens at it, so a timed-out wait still reports the freshest state it could see;
* the pause between polls starts at ``poll_interval`` and grows by a tenth of it per poll,
  up to ``max_poll_interval``: short runs are seen finishing promptly, long ones do not burn
  the API's 60-requests-a-minute budget;
* several runs are one loop that polls only the runs not yet finished, a few at a time;
* transient API errors (connection errors, 429, 5xx, cut-off bodies) are ridden out up to
  ``MAX_POLL_FAILURES`` polls in a row per run; anything else ends the wait at once.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.altostrat.cloud.plugins.module_utils._errors import (
    AltostratAPIError, AltostratRunError, AltostratTimeoutError)
from ansible_collections.altostrat.cloud.plugins.module_utils._runs import AWAITING, KNOWN_STATUSES, TERMINAL, describe

MAX_POLL_FAILURES = 3
MAX_WORKERS = 4
PROGRESS_EVERY = 30.0


def poll_schedule(poll_interval, max_poll_interval):
    """Yield the pauses between polls: poll_interval, then a tenth of it more each time, capped."""
    step = 0
    while True:
        yield min(max_poll_interval, poll_interval * (1 + step / 10.0))
        step += 1


def fetch_runs(client, run_ids, deadline=None):
    """Fetch runs, a few at a time; returns ``{run_id: run or AltostratAPIError}``."""
    def one(run_id):
        try:
            return client.get_run(run_id, deadline=deadline)
        except AltostratAPIError as exc:
            return exc
    if len(run_ids) <= 1:
        return dict((run_id, one(run_id)) for run_id in run_ids)
    with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(run_ids))) as pool:
        return dict(zip(run_ids, pool.map(one, run_ids)))


def get_runs(client, run_ids):
    """Fetch runs once; raise the first error."""
    results = fetch_runs(client, list(dict.fromkeys(run_ids)))
    for run_id in run_ids:
        if isinstance(results[run_id], Exception):
            raise results[run_id]
    return [results[run_id] for run_id in run_ids]


class Waiter:
    """Wait for runs to end, under one deadline."""

    def __init__(self, client, wait_timeout=3600, poll_interval=1.0, max_poll_interval=15.0,
                 on_interaction='stop', warn=None, progress=None, clock=None, sleep=None):
        self.client = client
        self.wait_timeout = float(wait_timeout)
        self.poll_interval = max(float(poll_interval), 0.1)
        self.max_poll_interval = max(float(max_poll_interval), self.poll_interval)
        self.on_interaction = on_interaction
        self.warn = warn or (lambda message: None)
        self.progress = progress or (lambda message: None)
        self.clock = clock or client.clock
        self.sleep = sleep or client.sleep

    def wait(self, run_ids, known=None):
        """Poll ``run_ids`` until each has ended; return ``(runs, elapsed)`` in the order given.

        ``known`` may hold runs already fetched (for example a run just started).
        """
        order, run_ids = list(run_ids), list(dict.fromkeys(run_ids))
        start = self.clock()
        deadline = start + self.wait_timeout
        last = dict(known or {})
        failures = dict.fromkeys(run_ids, 0)
        errors = {}  # the last tolerated failure of each run, for the timeout message
        pending = [run_id for run_id in run_ids if not self._done(last.get(run_id))]
        pauses = poll_schedule(self.poll_interval, self.max_poll_interval)
        next_progress = start + PROGRESS_EVERY
        first = any(run_id not in last for run_id in pending)  # nothing to pause for before the first look
        while pending:
            if not first:
                pause = min(next(pauses), deadline - self.clock())
                if pause > 0:
                    self.sleep(pause)
            first = False
            for run_id, result in fetch_runs(self.client, pending, deadline).items():
                if isinstance(result, AltostratAPIError):
                    failures[run_id] += 1
                    if not result.transient or failures[run_id] > MAX_POLL_FAILURES:
                        result.runs = [last.get(r) for r in run_ids]
                        result.run = last.get(run_id)
                        result.elapsed = self.clock() - start
                        raise result
                    self.warn('Still waiting on run %s after a failed poll (%d of %d tolerated): %s'
                              % (run_id, failures[run_id], MAX_POLL_FAILURES, result))
                    errors[run_id] = result
                    continue
                failures[run_id] = 0
                errors.pop(run_id, None)
                self._note_unknown(last.get(run_id), result)
                last[run_id] = result
            pending = [run_id for run_id in pending if not self._done(last.get(run_id))]
            now = self.clock()
            if pending and now >= deadline:
                raise self._timed_out(run_ids, pending, last, errors, now - start)
            if pending and now >= next_progress:
                next_progress = now + PROGRESS_EVERY
                self.progress('Waited %ds on %d run(s): %s' % (now - start, len(pending), _states(pending, last)))
        return [last[run_id] for run_id in order], self.clock() - start

    def _done(self, run):
        if run is None:
            return False
        status = run.get('status')
        if status in TERMINAL:
            return True
        if status == AWAITING and self.on_interaction != 'wait':
            if self.on_interaction == 'fail':
                raise AltostratRunError('Stopped waiting (on_interaction=fail): %s.' % describe(run), run=run)
            return True
        return False

    def _note_unknown(self, before, run):
        status = run.get('status')
        if status not in KNOWN_STATUSES and (before is None or before.get('status') != status):
            self.warn('Run %s has status %r, which this collection does not know; treating it as still running.'
                      % (run.get('id'), status))

    def _timed_out(self, run_ids, pending, last, errors, elapsed):
        what = 'run %s' % pending[0] if len(run_ids) == 1 else '%d of %d runs' % (len(pending), len(run_ids))
        failed = [run_id for run_id in pending if run_id in errors]
        why = '; last poll of %s failed: %s' % (failed[0], errors[failed[0]]) if failed else ''
        return AltostratTimeoutError('Wait timed out after %.1f s (wait_timeout=%gs) on %s: %s%s'
                                     % (elapsed, self.wait_timeout, what, _states(pending, last), why.rstrip('.') + '.'),
                                     run=last.get(pending[0]), runs=[last.get(run_id) for run_id in run_ids], elapsed=elapsed)


def _states(run_ids, last):
    return ', '.join('%s %s' % (run_id, (last.get(run_id) or {}).get('status', 'not seen yet')) for run_id in run_ids)
