# -*- coding: utf-8 -*-
# Copyright (c) 2026 Altostrat collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Watching runs for the Event-Driven Ansible source ``altostrat.cloud.workflow_runs``: its arguments, one look, faults.

The source (``extensions/eda/plugins/event_source/workflow_runs.py``) is the thin async loop; this room is synchronous
(the collection's one ``Client`` is ``requests``), so the source calls ``RunWatcher.look`` from a thread.

* ``source_options(args)``: the arguments checked and typed, the connection options by the modules' names (from
  ``_options.CONNECTION_OPTIONS``, with their environment variables), one ``AltostratInputError`` line naming the first
  bad one;
* ``RunWatcher.look()``: reads what changed since the last look and returns the events, in the order seen. A
  workflow's first look is its snapshot (it reads pages until one whose runs have all ended). Each later look reads a
  workflow's executions pages newest first: the runs above the first one it knows are new; it stops at a page past
  that one whose runs have all ended, or once every run it knows to be going has been seen; at most ``MAX_PAGES``
  pages. (A run it does not know below one it knows was there before the start, beyond the snapshot's last page: it is
  taken in as the snapshot would have, without an event.) A run it knows to be going that is not on those pages
  is read by its id, at most ``MAX_BY_ID`` a look per workflow (the longest unread first). A workflow's events are kept
  only when all of its reads succeeded: a look that fails is made again whole;
* ``Trouble``: the back-off while looks fail (429s the client gave up on, 5xx, connection errors, bad answers), with
  one warning when the trouble starts and one when it ends (for 5xx and connection errors the client says both).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import uuid

from ansible.module_utils.common.parameters import DEFAULT_TYPE_VALIDATORS

from ansible_collections.altostrat.cloud.plugins.module_utils._client import Client
from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratAPIError, AltostratError, AltostratInputError
from ansible_collections.altostrat.cloud.plugins.module_utils._options import CONNECTION_OPTIONS, LOG_MODES, check_options
from ansible_collections.altostrat.cloud.plugins.module_utils._retry import jitter
from ansible_collections.altostrat.cloud.plugins.module_utils._runs import KNOWN_STATUSES, TERMINAL
from ansible_collections.altostrat.cloud.plugins.module_utils._text import one_id, one_line
from ansible_collections.altostrat.cloud.plugins.module_utils._validate import check_id, closest

SOURCE = 'altostrat.cloud.workflow_runs'
MAX_PAGES = 5  # executions pages read per workflow and look (15 runs each)
MAX_BY_ID = 5  # going runs no longer on the pages read, read by id per workflow and look
BACKOFF_TIMES = 10  # a failing look is tried again after at most interval x this
LOG_CHOICES = ('errors',) + tuple(mode for mode in LOG_MODES if mode != 'errors')  # its default first
# meta.uuid of an event is uuid5(EVENT_NAMESPACE, '<run id>/<status>'): the same on every machine and after a restart.
EVENT_NAMESPACE = uuid.UUID('5b0e6a8e-2f61-5c1f-9a53-7a1d7c0f6e21')

# Connection options the source leaves out: it rides out failing requests itself (``Trouble``), look after look.
NOT_FOR_SOURCE = ('http_retries',)
WATCH_OPTIONS = {
    'workflow_ids': ('list', None, None),
    'run_ids': ('list', None, None),
    'interval': ('float', 30.0, None),
    'emit_existing': ('bool', False, None),
    'logs': ('str', 'errors', None),
}
_KINDS = {'str': 'string', 'path': 'path (a string)', 'bool': 'boolean', 'int': 'whole number', 'float': 'number',
          'list': 'list'}


def source_option_specs():
    """``{name: (type, default, environment variable or None)}`` of every argument of the source."""
    specs = dict((name, spec) for name, spec in CONNECTION_OPTIONS.items() if name not in NOT_FOR_SOURCE)
    specs.update(WATCH_OPTIONS)
    return specs


def _bad(name, problem):
    return AltostratInputError('%s: argument %s %s.' % (SOURCE, name, problem))


def source_options(args, environ=None):
    """The source's arguments, typed, with environment fallbacks and defaults; AltostratInputError naming the first bad one.

    Keys ansible-rulebook adds itself (``eda_...``) are left alone; a value of the token is never shown.
    """
    environ = os.environ if environ is None else environ
    specs = source_option_specs()
    if not isinstance(args, dict):
        raise AltostratInputError('%s: its arguments must be a mapping.' % SOURCE)
    for name in args:
        if name not in specs and not str(name).startswith('eda_'):
            raise _bad(one_id(name), 'is not an argument of this source%s; it takes %s'
                       % (closest(name, specs), ', '.join(sorted(specs))))
    options = {}
    for name, (kind, default, env) in specs.items():
        value = args.get(name)
        if value is None and env and environ.get(env, '') != '':
            value = environ[env]
        if value is None:
            options[name] = default
            continue
        try:
            if kind in ('str', 'path') and not isinstance(value, str):
                raise TypeError('not a string')  # Ansible would make one of anything
            options[name] = DEFAULT_TYPE_VALIDATORS[kind](value)
        except (TypeError, ValueError):
            shown = '' if name == 'token' else ', got %s' % one_line(repr(value), 80)
            raise _bad(name, 'must be a %s%s' % (_KINDS.get(kind, kind), shown))
    for name, kind in (('workflow_ids', 'workflow'), ('run_ids', 'run')):
        try:
            ids = [value.strip() if isinstance(value, str) else value for value in options[name] or ()]
            options[name] = [check_id(value, kind) for value in dict.fromkeys(ids)]
        except AltostratInputError as exc:
            raise _bad(name, 'holds a bad id: %s' % str(exc).rstrip('.'))
    if not options['workflow_ids'] and not options['run_ids']:
        raise AltostratInputError('%s: give workflow_ids (the workflows to watch), run_ids (runs to watch until they end) '
                                  'or both.' % SOURCE)
    if not options['interval'] >= 1:
        raise _bad('interval', 'must be at least 1 (seconds between looks), got %g' % options['interval'])
    if options['logs'] not in LOG_CHOICES:
        shown = one_line(repr(options['logs']), 40) + closest(options['logs'], LOG_CHOICES)
        raise _bad('logs', 'must be one of %s, got %s' % (', '.join(LOG_CHOICES), shown))
    try:
        check_options(options)  # the bounds of the connection options, as for every task
    except AltostratInputError as exc:
        raise AltostratInputError('%s: argument %s' % (SOURCE, exc))
    return options


def source_client(options, warn=None):
    """The collection's one Client from the source's connection options (its deadline: none, the source runs on)."""
    kwargs = dict((name, options[name]) for name in source_option_specs()
                  if name not in WATCH_OPTIONS and options[name] is not None)
    return Client(warn=warn, **kwargs)


def ends_source(exc):
    """An error that looking again will not fix: bad input, or a 4xx answer other than 408 and 429 (401, 403, 404...)."""
    if isinstance(exc, AltostratInputError):
        return True
    status = getattr(exc, 'status', None)
    return isinstance(status, int) and 400 <= status < 500 and status not in (408, 429)


def _workflow_of(run):
    """The workflow id a run names, when the API says it (``workflow_id``, or an embedded ``workflow``), else None."""
    if isinstance(run.get('workflow_id'), str):
        return run['workflow_id']
    workflow = run.get('workflow')
    return workflow.get('id') if isinstance(workflow, dict) and isinstance(workflow.get('id'), str) else None


class RunWatcher:
    """What the source has seen of the runs it watches, and one look at them."""

    def __init__(self, client, options, warn=None):
        self.client = client
        self.workflow_ids = list(options['workflow_ids'])
        self.run_ids = list(options['run_ids'])
        self.logs = options['logs']
        self.emit_existing = options['emit_existing']
        self.warn = warn or (lambda message: None)
        self.known = {}  # run id -> {'status', 'workflow_id', 'emitted': set(), 'read': look of its last read}
        self.snapshotted = set()  # workflows whose first look is done
        self.looks = 0
        self.strange = set()  # statuses this collection does not know, warned about once

    @property
    def done(self):
        """Nothing left to watch: no workflow, and every run of run_ids has ended (or is gone)."""
        return not self.workflow_ids and all(self._ended(run_id) for run_id in self.run_ids)

    def look(self):
        """``(events, error)``: the events of what changed, in the order seen, and the error that cut the look short."""
        self.looks += 1
        events = []
        try:
            for workflow_id in self.workflow_ids:
                events.extend(self._commit(self._look_workflow(workflow_id)))
                self.snapshotted.add(workflow_id)
            changes = []
            for run_id in self.run_ids:
                first = run_id not in self.known
                if first or not self._ended(run_id):
                    run = self._read(run_id, first)
                    if run is not None:
                        changes.append((_workflow_of(run), run, first))
            events.extend(self._commit(changes))
        except AltostratError as exc:
            return events, exc
        return events, None

    # ---- reading ---------------------------------------------------------------------------------------------------

    def _look_workflow(self, workflow_id):
        first = workflow_id not in self.snapshotted
        going = set(run_id for run_id, state in self.known.items()
                    if state['workflow_id'] == workflow_id and not self._ended(run_id))
        found, older, page = [], False, 1
        while True:
            runs, last_page = self.client.runs_page(workflow_id, page, retry=False)
            for run in runs:
                # Newest first: runs above the first one known are new; one below it that is not known was there
                # before the snapshot (on a page it did not read), and is taken in as the snapshot would have.
                older = older or run['id'] in self.known
                found.append((run, first or older))
            seen = set(run['id'] for run, _snapshot in found)
            ended = all(run['status'] in TERMINAL for run in runs)
            if not runs or last_page is None or page >= last_page or page >= MAX_PAGES:
                break
            if ended if first else older and (ended or going <= seen):
                break
            page += 1
        changes = [(workflow_id, run, snapshot) for run, snapshot in reversed(found)]  # oldest first
        missing = sorted((run_id for run_id in going if run_id not in seen), key=lambda run_id: self.known[run_id]['read'])
        for run_id in missing[:MAX_BY_ID]:
            run = self._read(run_id)
            if run is not None:
                changes.append((workflow_id, run, False))
        return changes

    def _read(self, run_id, first=False):
        """A run by id (logs included); None if it is gone (404) after it was seen, which forgets it."""
        try:
            run = self.client.get_run(run_id, retry=False)
        except AltostratAPIError as exc:
            if exc.status != 404 or first:
                raise
            self.warn('%s: run %s can no longer be read (HTTP 404); no longer watching it.' % (SOURCE, one_id(run_id)))
            self.known[run_id]['gone'] = True
            return None
        if run_id in self.known:
            self.known[run_id]['read'] = self.looks
        return run

    def _ended(self, run_id):
        state = self.known.get(run_id)
        return state is not None and (state['status'] in TERMINAL or state.get('gone'))

    # ---- events ----------------------------------------------------------------------------------------------------

    def _commit(self, changes):
        """Events of ``changes`` ((workflow id, run, seen in a snapshot) in the order seen), once every read they need
        (the logs of a run that ended) has succeeded. A run first seen in a snapshot yields nothing (unless
        ``emit_existing``); a run never yields a status twice."""
        pending = []
        for owner, run, snapshot in changes:
            state = self.known.get(run['id'])
            status = run['status']
            if state is not None and state['status'] == status:
                continue
            emit = (state is not None or not snapshot or self.emit_existing) and status not in (state or {}).get('emitted', ())
            owner = owner or (state or {}).get('workflow_id')
            if emit and 'logs' not in run and status in self._with_logs():
                run = self.client.get_run(run['id'], retry=False)
            pending.append((owner, run, state, emit))
        events = []
        for owner, run, state, emit in pending:
            if state is None:
                state = self.known[run['id']] = {'workflow_id': owner, 'emitted': set(), 'read': self.looks, 'status': None}
            previous, state['status'] = state['status'], run['status']
            self._note_strange(run)
            if emit:
                state['emitted'].add(run['status'])
                events.append(self._event(owner, run, previous))
        return events

    def _with_logs(self):
        return {'errors': ('failed',), 'all': tuple(TERMINAL), 'none': ()}[self.logs]

    def _event(self, workflow_id, run, previous):
        run = dict(run)  # the token is already masked in every string of every answer (_answer.py)
        if self.logs == 'none':
            run.pop('logs', None)
        key = '%s/%s' % (run['id'], run['status'])
        return {'workflow_id': workflow_id, 'run': run, 'previous_status': previous,
                'meta': {'uuid': str(uuid.uuid5(EVENT_NAMESPACE, key))}}

    def _note_strange(self, run):
        status = run['status']
        if status not in KNOWN_STATUSES and status not in self.strange:
            self.strange.add(status)
            self.warn('%s: run %s has status %s, which this collection does not know; taking it as still going.'
                      % (SOURCE, one_id(run['id']), one_id(status)))


class Trouble:
    """Looks that keep failing: the pause before the next, and one warning when the trouble starts and one when it ends."""

    def __init__(self, interval, warn=None, clock=None):
        self.interval = float(interval)
        self.warn = warn or (lambda message: None)
        self.clock = clock
        self.failures = 0
        self.since = None
        self.said = False  # this warned that the trouble started (the client says so itself for 5xx and connection errors)

    def failed(self, exc):
        """The pause before the next look after the failed look ``exc``: doubling from ``interval``, jittered, at most
        ``interval`` x ``BACKOFF_TIMES``."""
        self.failures += 1
        if self.since is None:
            self.since = self.clock()
        told_by_client = isinstance(exc, AltostratAPIError) and exc.transient and not exc.rate_limited
        if not told_by_client and not self.said:
            self.said = True
            self.warn('%s: reading the runs failed (%s); looking again with backoff, up to every %g s; said once until '
                      'it works again.' % (SOURCE, str(exc).rstrip('.'), self.interval * BACKOFF_TIMES))
        most = self.interval * BACKOFF_TIMES
        return min(most, jitter(min(most, self.interval * 2 ** (self.failures - 1))))

    def recovered(self):
        if self.said:
            self.warn('%s: the runs can be read again, after %.0f s and %d failed look(s).'
                      % (SOURCE, self.clock() - self.since, self.failures))
        self.failures, self.since, self.said = 0, None, False
