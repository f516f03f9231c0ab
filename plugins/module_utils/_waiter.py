# -*- coding: utf-8 -*-
# Copyright (c) 2026 Altostrat collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one waiter: polls runs until they end, under a single monotonic deadline.

* the deadline is ``clock() + wait_timeout``; no sleep goes past it, and the last poll
  happens at it, so a timed-out wait still reports the freshest state it could see;
* the pause before polling a run again is a tenth of the time waited so far, at least
  ``poll_interval`` and at most ``max_poll_interval``: a run is seen ending within about 10 %
  of its age (1 s for the first 10 s), and a long one costs 4 requests a minute, well within
  the API's budget of 60 a minute per token;
* several runs are one loop that polls them one by one, as a careful user would: only the
  first run not yet ended is polled again; once it has ended the next is looked at at once.
  So waiting on N runs never sends more requests than polling each in turn, and never more
  than one request per pause, whatever N is;
* transient API errors (connection errors, 429, 5xx, cut-off bodies) are ridden out up to
  ``MAX_POLL_FAILURES`` polls in a row per run; anything else ends the wait at once.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.altostrat.cloud.plugins.module_utils._errors import (
    AltostratAPIError, AltostratRunError, AltostratTimeoutError)
from ansible_collections.altostrat.cloud.plugins.module_utils._runs import AWAITING, KNOWN_STATUSES, TERMINAL, describe

MAX_POLL_FAILURES = 3
MAX_WORKERS = 4
PROGRESS_EVERY = 30.0


def next_pause(waited, poll_interval, max_poll_interval):
    """The pause before the next poll, after ``waited`` seconds: a tenth of it, within the bounds."""
    return min(max_poll_interval, max(poll_interval, waited / 10.0))


def get_runs(client, run_ids):
    """Fetch runs once, a few at a time; raise the first error, in the order given."""
    unique = list(dict.fromkeys(run_ids))
    if len(unique) <= 1:
        fetched = [client.get_run(run_id) for run_id in unique]
    else:
        from concurrent.futures import ThreadPoolExecutor  # only reads of several runs need threads
        with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(unique))) as pool:
            fetched = list(pool.map(client.get_run, unique))
    by_id = dict(zip(unique, fetched))
    return [by_id[run_id] for run_id in run_ids]


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

        ``known`` may hold runs already fetched (for example a run just started): they are
        not fetched again before a pause.
        """
        order, run_ids = list(run_ids), list(dict.fromkeys(run_ids))
        start = self.clock()
        deadline = start + self.wait_timeout
        last = dict(known or {})
        looked = set(last)  # runs polled (or given) at least once: the next poll of one waits a pause
        failures = dict.fromkeys(run_ids, 0)
        errors = {}  # the last tolerated failure of each run, for the timeout message
        pending = [run_id for run_id in run_ids if not self._done(last.get(run_id))]
        next_progress = start + PROGRESS_EVERY
        while pending:
            run_id = pending[0]
            now = self.clock()
            if run_id in looked:
                if now >= deadline:
                    raise self._timed_out(run_ids, pending, last, errors, now - start)
                if now >= next_progress:
                    next_progress = now + PROGRESS_EVERY
                    self.progress('Waited %ds on %d run(s): %s' % (now - start, len(pending), _states(pending, last)))
                self.sleep(min(next_pause(now - start, self.poll_interval, self.max_poll_interval), deadline - now))
            looked.add(run_id)
            try:
                run = self.client.get_run(run_id, deadline=deadline)
            except AltostratAPIError as exc:
                failures[run_id] += 1
                if not exc.transient or failures[run_id] > MAX_POLL_FAILURES:
                    exc.runs, exc.run = [last.get(r) for r in run_ids], last.get(run_id)
                    exc.elapsed = self.clock() - start
                    raise
                self.warn('Still waiting on run %s after a failed poll (%d of %d tolerated): %s'
                          % (run_id, failures[run_id], MAX_POLL_FAILURES, exc))
                errors[run_id] = exc
                continue
            failures[run_id] = 0
            errors.pop(run_id, None)
            self._note_unknown(last.get(run_id), run)
            last[run_id] = run
            if self._done(run):
                pending.pop(0)
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
    return ', '.join('%s %s' % (run_id, (last.get(run_id) or {}).get('status', 'not polled yet')) for run_id in run_ids)
