# -*- coding: utf-8 -*-
# Copyright (c) 2026 Altostrat collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one waiter: polls runs until they end, under a single monotonic deadline.

* the deadline is the task's (``_deadline.py``); no sleep goes past it, and the last poll goes out
  ``LAST_POLL`` before it (half the time left, when less), so a timed-out wait still reports the
  freshest state it could see, read by the deadline;
* the pause before polling again is a tenth of the time waited so far, at least ``poll_interval``
  and at most ``max_poll_interval``: a run is seen ending within about 10 % of its age (1 s for
  the first 10 s), and a long one costs 4 requests a minute;
* several runs are one loop that sends at most one request per pause, whatever their number: it
  polls the run most likely to have ended (the one that started first; a run not seen yet is taken
  to have started with the run before it in the order given), and once that one has ended looks at
  the next at once. So waiting on N runs costs about one request per run plus one per pause;
* a poll waits for its request slot at most its pause (``Budget.acquire``): when the budget is busier
  than that (a fleet on one token), the poll is skipped, with no request and no warning, and the wait
  pauses again. The budget then goes to starts and reads first, and to the polls of the runs waited on
  longest (the longest pauses), not to polls of runs that have only just started. The last poll before
  the deadline is never skipped. The first look at a run the wait has not seen yet, made at once (the
  first run of a wait, or the next once the one before it has ended), is a read: it waits its turn for a
  slot, neither paced nor skipped, so that a wait on many runs reads those that have ended together;
* transient failures (connection errors, 429, 5xx, cut-off bodies) never end a wait before its
  deadline: each failed poll doubles the pause, up to ``max_poll_interval``, so an API that is down
  gets one request per ``max_poll_interval``; the client warns once when the trouble starts and once
  when it ends. Anything else (401, 403, 404, 422, a bad answer) ends the wait at once.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.altostrat.cloud.plugins.module_utils._errors import (
    AltostratAPIError, AltostratRunError, AltostratTimeoutError, BudgetBusy, BudgetTimeout)
from ansible_collections.altostrat.cloud.plugins.module_utils._options import DEFAULTS, SHORTEST
from ansible_collections.altostrat.cloud.plugins.module_utils._runs import AWAITING, KNOWN_STATUSES, TERMINAL, describe
from ansible_collections.altostrat.cloud.plugins.module_utils._text import one_id, one_line

MAX_WORKERS = 4
PROGRESS_EVERY = 30.0
PROGRESS_SHOWN = 3  # runs named in a progress line of a wait on several
LAST_POLL = 1.0  # seconds before the deadline at which a wait's last poll goes out, with that long to be answered


def next_pause(waited, poll_interval, max_poll_interval, failures=0, pending=1):
    """The pause before the next poll, after ``waited`` seconds, ``failures`` failed polls in a row, ``pending`` runs left.

    A tenth of the time waited, at least ``poll_interval`` per run still pending (while many runs are under way
    the first to end is found as soon, and the rest are read at once after it), at most ``max_poll_interval``;
    doubled by each failed poll, up to ``max_poll_interval``.
    """
    pause = min(max_poll_interval, max(poll_interval * max(1, pending), waited / 10.0))
    return min(max_poll_interval, pause * 2 ** failures) if failures else pause


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


def likely_first(pending, last):
    """The run of ``pending`` (in the order given) most likely to have ended: the one that started first."""
    best = best_key = None
    started = ''
    for index, run_id in enumerate(pending):
        seen = (last.get(run_id) or {}).get('started_at')
        if isinstance(seen, str) and seen:
            started = seen  # ISO 8601 times of one API compare as strings
        key = (started, index)
        if best_key is None or key < best_key:
            best, best_key = run_id, key
    return best


class Waiter:
    """Wait for runs to end, by the client's deadline (the task's); ``seen`` (a dict the caller may keep) holds the
    last state seen of each run, also after a failed wait."""

    def __init__(self, client, poll_interval=DEFAULTS['poll_interval'], max_poll_interval=DEFAULTS['max_poll_interval'],
                 on_interaction=DEFAULTS['on_interaction'], warn=None, progress=None, sleep=None, seen=None):
        self.client = client
        self.deadline = client.deadline
        self.poll_interval = max(float(poll_interval), SHORTEST)
        self.max_poll_interval = max(float(max_poll_interval), self.poll_interval)
        self.on_interaction = on_interaction
        self.warn = warn or (lambda message: None)
        self.progress = progress or (lambda message: None)
        self.sleep = sleep or client.sleep
        self.seen = {} if seen is None else seen

    def wait(self, run_ids):
        """Poll ``run_ids`` until each has ended; return the runs in the order given.

        Runs already in ``seen`` (for example a run just started) are not fetched again before a pause.
        """
        order, run_ids = list(run_ids), list(dict.fromkeys(run_ids))
        deadline, last = self.deadline, self.seen
        looked = set(run_id for run_id in run_ids if run_id in last)  # the next poll of one of these waits a pause
        failures, error = 0, None  # failed polls in a row, and the last one
        for run_id in run_ids:
            self._fail_if_it_needs_a_person(last.get(run_id))
        pending = [run_id for run_id in run_ids if not self._wait_over(last.get(run_id))]
        next_progress, final = PROGRESS_EVERY, False
        while pending:
            run_id = likely_first(pending, last)
            pause = next_pause(deadline.elapsed(), self.poll_interval, self.max_poll_interval, failures, len(pending))
            fresh = run_id not in looked and not failures  # a first look, at once: a read, not a poll
            if not fresh:
                waited, left = deadline.elapsed(), deadline.left()
                if left <= 0 or final:  # a wait that ran out ends at its deadline, not before it
                    if left > 0:
                        self.sleep(left)
                    raise self._timed_out(run_ids, pending, last, error, deadline.elapsed())
                if waited >= next_progress:
                    next_progress = waited + PROGRESS_EVERY
                    self.progress(_progress_line(waited, run_ids, pending, last))
                reserve = min(LAST_POLL, left / 2)
                if pause >= left - reserve:  # the last poll the deadline leaves room for, with time to be answered
                    pause, final = left - reserve, True
                self.sleep(pause)
            looked.add(run_id)
            patience = None if fresh else deadline.left() if final else pause
            try:  # a poll waits for its request slot at most its pause (the last one: until the deadline)
                run = self.client.get_run(run_id, retry=False, patience=patience)
            except BudgetBusy:  # the budget is busy beyond that: skip this poll, pause again (see Budget.acquire)
                continue
            except BudgetTimeout as exc:  # no request slot before the deadline: the wait still ends at it, not before
                self.sleep(deadline.left())
                raise self._timed_out(run_ids, pending, last, error or exc, deadline.elapsed())
            except AltostratAPIError as exc:
                if not exc.transient:
                    raise
                failures, error = failures + 1, exc
                continue
            failures, error = 0, None
            self._note_unknown(last.get(run_id), run)
            last[run_id] = run
            self._fail_if_it_needs_a_person(run)
            if self._wait_over(run):
                pending.remove(run_id)
        return [last[run_id] for run_id in order]

    def _wait_over(self, run):
        """Whether the wait on ``run`` (None: not seen yet) is over: it ended, or it needs a person and
        ``on_interaction`` is not ``wait``."""
        status = (run or {}).get('status')
        return status in TERMINAL or (status == AWAITING and self.on_interaction != 'wait')

    def _fail_if_it_needs_a_person(self, run):
        """With ``on_interaction=fail``, AltostratRunError when ``run`` needs a person to answer in the UI."""
        if run is not None and run.get('status') == AWAITING and self.on_interaction == 'fail':
            raise AltostratRunError('Stopped waiting (on_interaction=fail): %s.' % describe(run), run=run)

    def _note_unknown(self, before, run):
        status = run.get('status')
        if status not in KNOWN_STATUSES and (before is None or before.get('status') != status):
            self.warn('Run %s has status %r, which this collection does not know; treating it as still running.'
                      % (one_id(run.get('id')), one_id(status)))

    def _timed_out(self, run_ids, pending, last, error, elapsed):
        if len(run_ids) == 1:
            what = 'run %s (%s)' % (one_id(pending[0]), _status(last.get(pending[0])))
        else:
            what = '%d of %d runs: %s' % (len(pending), len(run_ids), _states(pending, last))
        why = '; the last poll failed: %s' % str(error).rstrip('.') if error is not None else ''
        limit = ' (wait_timeout=%gs)' % self.deadline.seconds if self.deadline.bounded else ''
        return AltostratTimeoutError('Wait timed out after %.1f s%s on %s%s.' % (elapsed, limit, what, why),
                                     run=last.get(pending[0]), runs=[last.get(run_id) for run_id in run_ids], elapsed=elapsed,
                                     error=error)


def _status(run):
    return one_id((run or {}).get('status', 'not polled yet'))


def _states(run_ids, last, limit=10):
    shown = ', '.join('%s %s' % (one_id(run_id), _status(last.get(run_id))) for run_id in run_ids[:limit])
    return shown + (' and %d more' % (len(run_ids) - limit) if len(run_ids) > limit else '')


def _progress_line(waited, run_ids, pending, last):
    """One bounded line on a wait still under way, from the polls made so far (no request of its own)."""
    if len(run_ids) == 1:
        line = 'waited %d s on run %s: %s' % (waited, one_id(run_ids[0]), _progress_state(last.get(run_ids[0]), '%s, %s so far'))
    else:
        shown = ', '.join('%s %s' % (one_id(run_id), _progress_state(last.get(run_id), '%s (%s)'))
                          for run_id in pending[:PROGRESS_SHOWN])
        more = ' and %d more' % (len(pending) - PROGRESS_SHOWN) if len(pending) > PROGRESS_SHOWN else ''
        line = 'waited %d s on %d runs, %d still pending: %s%s' % (waited, len(run_ids), len(pending), shown, more)
    return one_line(line, 400)


def _progress_state(run, template):
    """A run's status and number of steps in ``template``, or ``not polled yet``."""
    if run is None:
        return 'not polled yet'
    steps = run.get('logs')
    count = len(steps) if isinstance(steps, list) else 0
    return template % (_status(run), '%d step%s' % (count, '' if count == 1 else 's'))
