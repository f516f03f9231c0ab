# -*- coding: utf-8 -*-
# Copyright (c) 2026 Altostrat collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one Altostrat Workflows API client, shared by every module and lookup: its endpoints.

The rooms it is built from, each in its own file:

* ``_transport.py`` -- one attempt of one request (session, auth, streaming read, decoding);
* ``_retry.py`` -- when a request is sent again (429 back-pressure, transient failures, backoff);
* ``_budget.py`` -- the request budget per token shared by every process on this machine, or by every machine
  through a ``rate_limit_store``.

This file knows the paths, what each answer must look like (``check_run``), and that every start
carries an ``Idempotency-Key`` (the caller's, or a fresh UUID reused by every retry of that start).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time
import uuid

from urllib.parse import quote

from ansible_collections.altostrat.cloud.plugins.module_utils._budget import Budget
from ansible_collections.altostrat.cloud.plugins.module_utils._deadline import Deadline
from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratAPIError
from ansible_collections.altostrat.cloud.plugins.module_utils._options import DEFAULT_API_URL, DEFAULTS
from ansible_collections.altostrat.cloud.plugins.module_utils._retry import Retrier
from ansible_collections.altostrat.cloud.plugins.module_utils._text import one_id
from ansible_collections.altostrat.cloud.plugins.module_utils._transport import Transport, check_token
from ansible_collections.altostrat.cloud.plugins.module_utils._validate import check_id, check_idempotency_key

MAX_PAGES = 100  # pages of a workflow's runs read by one listing, at most
# A little over a minute: the API counts requests as they arrive, in a window that opens with the first; under load a
# request sent a minute after another can arrive a moment sooner than that after it.
BUDGET_WINDOW = 62.0


def _segment(value, kind):
    """An id checked for its kind (AltostratInputError otherwise), quoted as one path segment."""
    return quote(check_id(value, kind), safe='')


class Client:
    """A connection to the Altostrat Workflows API.

    ``deadline`` (a ``Deadline`` on ``clock``; by default none) is the task's: every request, its rate-limit
    waits, retries, redirects, connects and reads end by it.
    """

    def __init__(self, token, api_url=DEFAULT_API_URL, validate_certs=DEFAULTS['validate_certs'], ca_path=None,
                 request_timeout=DEFAULTS['request_timeout'], http_retries=DEFAULTS['http_retries'],
                 rate_limit=DEFAULTS['rate_limit'], warn=None, clock=time.monotonic, sleep=time.sleep, budget=None,
                 deadline=None, rate_limit_store=None):
        self.warn = warn or (lambda message: None)
        self.clock = clock
        self.sleep = sleep
        self.deadline = deadline or Deadline(clock=clock)
        token = check_token(token)
        self.transport = Transport(token, api_url, validate_certs, ca_path, request_timeout, self.warn, clock)
        self.api_url = self.transport.api_url
        self.session = self.transport.session
        if budget is None:
            budget = Budget(self.api_url, token, per_minute=rate_limit, window=BUDGET_WINDOW, warn=self.warn, store=rate_limit_store)
        self.budget = budget
        self.retrier = Retrier(self.transport, budget, http_retries, clock, sleep, self.warn)

    def request(self, method, path, params=None, json_body=None, headers=None, retry=True, patience=None):
        """The ``Answer`` of one API request, by the task's deadline (see ``Retrier.request``)."""
        return self.retrier.request(method, path, params, json_body, headers, retry, self.deadline, patience)

    # ---- reads ---------------------------------------------------------------------------------

    def get_run(self, run_id, retry=True, patience=None):
        """One run, with its logs; an answer for another run is refused, naming both. ``patience``: a wait's poll
        (``Budget.acquire``)."""
        path = '/workflows/runs/%s' % _segment(run_id, 'run')
        answer = self.request('GET', path, retry=retry, patience=patience)
        run = check_run(answer.body, 'GET', path)
        if run['id'] != run_id:
            raise AltostratAPIError('GET %s: HTTP %d answer is for run %s, not for run %s: refused.'
                                    % (path, answer.status, one_id(run['id']), one_id(run_id)), method='GET', path=path,
                                    status=answer.status)
        return run

    def list_runs(self, workflow_id, statuses=None, limit=None, pages=MAX_PAGES):
        """The runs of a workflow, newest first, following the pages (at most ``pages``); no logs."""
        runs, page = [], 1
        while True:
            data, last_page = self.runs_page(workflow_id, page)
            for run in data:
                if not statuses or run['status'] in statuses:
                    runs.append(run)
                    if limit and len(runs) >= limit:
                        return runs
            if not data or last_page is None or page >= last_page:
                return runs
            if page >= pages:
                if pages > 1:
                    self.warn('Workflow %s has more than %d pages of runs; only the first %d were read (newest first).'
                              % (workflow_id, pages, pages))
                return runs
            page += 1

    def runs_page(self, workflow_id, page=1, retry=True):
        """One page of a workflow's runs, newest first, no logs: ``(runs, last_page)`` (None when the answer has none)."""
        path = '/workflows/%s/executions' % _segment(workflow_id, 'workflow')
        body = self.request('GET', path, params={'page': page}, retry=retry).body
        if not isinstance(body, dict) or not isinstance(body.get('data'), list):
            raise AltostratAPIError('GET %s?page=%d: HTTP 200 answer is not a page of runs (no "data" list).' % (path, page),
                                    method='GET', path=path, status=200)
        for run in body['data']:
            check_run(run, 'GET', path)  # a run inside an HTTP 200 page
        meta = body.get('meta') if isinstance(body.get('meta'), dict) else {}
        last_page = meta.get('last_page')
        return body['data'], last_page if isinstance(last_page, int) else None

    # ---- starts --------------------------------------------------------------------------------

    def start_run(self, workflow_id, context=None, idempotency_key=None):
        """Start a run of a workflow; returns ``(run, idempotency_key, replayed)``."""
        path = '/workflows/%s/execute' % _segment(workflow_id, 'workflow')
        answer, key = self._post(path, {} if context is None else {'context': context}, idempotency_key)
        return check_run(answer.body, 'POST', path, status=answer.status), key, _replayed(answer)

    def rerun(self, run_id, idempotency_key=None):
        """Start a new run with the trigger payload of ``run_id``; returns ``(run, idempotency_key, replayed)``."""
        path = '/workflows/runs/%s/rerun' % _segment(run_id, 'run')
        answer, key = self._post(path, None, idempotency_key)
        return _new_run(answer, path), key, _replayed(answer)

    def resume(self, run_id, node_id, idempotency_key=None):
        """Start a new run resuming failed run ``run_id`` from ``node_id``; returns ``(run, idempotency_key, replayed)``."""
        path = '/workflows/runs/%s/resume-from/%s' % (_segment(run_id, 'run'), _segment(node_id, 'node'))
        answer, key = self._post(path, None, idempotency_key)
        return _new_run(answer, path), key, _replayed(answer)

    @property
    def own_replay(self):
        """The last start was sent more than once: a replay may be of the run this task's own first attempt started."""
        return self.retrier.resent > 0

    def _post(self, path, body, idempotency_key):
        """The answer of a start and its key (the caller's, checked, or a fresh UUID); an error names the key."""
        key = str(uuid.uuid4()) if idempotency_key is None else check_idempotency_key(idempotency_key)
        return self.request('POST', path, json_body=body, headers={'Idempotency-Key': key}), key


def _replayed(answer):
    return (answer.headers.get('Idempotent-Replayed') or '').strip().lower() == 'true'


def _new_run(answer, path):
    if not isinstance(answer.body, dict) or not isinstance(answer.body.get('new_run'), dict):
        raise AltostratAPIError('POST %s: HTTP %d answer has no "new_run" object.' % (path, answer.status), method='POST',
                                path=path, status=answer.status)
    return check_run(answer.body['new_run'], 'POST', path, status=answer.status)


def check_run(run, method, path, status=200):
    """Make sure an answer looks like a run: an object with string ``id`` and ``status``, list ``logs``."""
    where = '%s %s' % (method, path)
    if not isinstance(run, dict):
        problem = 'is not a run object (got %s)' % type(run).__name__
    elif not isinstance(run.get('id'), str):
        problem = 'is not a run object (no "id")'
    elif not isinstance(run.get('status'), str):
        problem = 'has no "status" for run %s' % one_id(run['id'])
    elif 'logs' in run and run['logs'] is not None and not isinstance(run['logs'], list):
        problem = 'has "logs" that is not a list for run %s' % one_id(run['id'])
    else:
        return run
    answer = 'HTTP %d answer' % status if status else 'the answer'
    raise AltostratAPIError('%s: %s %s.' % (where, answer, problem), method=method, path=path, status=status)
