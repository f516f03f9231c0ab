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
from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratAPIError
from ansible_collections.altostrat.cloud.plugins.module_utils._retry import Retrier
from ansible_collections.altostrat.cloud.plugins.module_utils._text import one_id, one_line
from ansible_collections.altostrat.cloud.plugins.module_utils._transport import DEFAULT_API_ROOT as DEFAULT_API_URL, Transport, check_token
from ansible_collections.altostrat.cloud.plugins.module_utils._validate import check_id

DEFAULT_RATE_LIMIT = 60
# A little over a minute: the API counts requests as they arrive, in a window that opens with the first; under load a
# request sent a minute after another can arrive a moment sooner than that after it.
BUDGET_WINDOW = 62.0


def _segment(value, kind):
    """An id checked for its kind (AltostratInputError otherwise), quoted as one path segment."""
    return quote(check_id(value, kind), safe='')


class Client:
    """A connection to the Altostrat Workflows API.

    ``deadline`` (a ``clock()`` value) bounds every request made without a deadline of its own:
    rate-limit waits and retries never go past it.
    """

    def __init__(self, token, api_url=DEFAULT_API_URL, validate_certs=True, ca_path=None, request_timeout=30, http_retries=5,
                 rate_limit=DEFAULT_RATE_LIMIT, warn=None, clock=time.monotonic, sleep=time.sleep, budget=None, deadline=None,
                 rate_limit_store=None):
        self.warn = warn or (lambda message: None)
        self.clock = clock
        self.sleep = sleep
        self.deadline = deadline
        token = check_token(token)
        self.transport = Transport(token, api_url, validate_certs, ca_path, request_timeout, self.warn, clock)
        self.api_url = self.transport.api_url
        self.session = self.transport.session
        if budget is None:
            budget = Budget(self.api_url, token, per_minute=rate_limit, window=BUDGET_WINDOW, warn=self.warn, store=rate_limit_store)
        self.budget = budget
        self.retrier = Retrier(self.transport, budget, http_retries, clock, sleep, self.warn)

    @property
    def requests_sent(self):
        return self.retrier.requests

    def request(self, method, path, params=None, json_body=None, headers=None, retry=True, deadline=None):
        """The ``Answer`` of one API request (see ``Retrier.request``)."""
        return self.retrier.request(method, path, params, json_body, headers, retry,
                                    self.deadline if deadline is None else deadline)

    # ---- reads ---------------------------------------------------------------------------------

    def get_run(self, run_id, deadline=None, retry=True):
        """One run, with its logs."""
        path = '/workflows/runs/%s' % _segment(run_id, 'run')
        return check_run(self.request('GET', path, deadline=deadline, retry=retry).body, 'GET', path)

    def list_runs(self, workflow_id, statuses=None, limit=None, pages=None):
        """The runs of a workflow, newest first, following every page (or the first ``pages``); no logs."""
        path = '/workflows/%s/executions' % _segment(workflow_id, 'workflow')
        runs, page = [], 1
        while True:
            body = self.request('GET', path, params={'page': page}).body
            if not isinstance(body, dict) or not isinstance(body.get('data'), list):
                raise AltostratAPIError('GET %s?page=%d: HTTP 200 answer is not a page of runs (no "data" list).' % (path, page),
                                        method='GET', path=path, status=200)
            for run in body['data']:
                check_run(run, 'GET', path)  # a run inside an HTTP 200 page
                if not statuses or run['status'] in statuses:
                    runs.append(run)
                    if limit and len(runs) >= limit:
                        return runs
            meta = body.get('meta') if isinstance(body.get('meta'), dict) else {}
            last_page = meta.get('last_page')
            if not body['data'] or not isinstance(last_page, int) or page >= last_page or page == pages:
                return runs
            page += 1

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
        key = idempotency_key or str(uuid.uuid4())
        try:
            return self.request('POST', path, json_body=body, headers={'Idempotency-Key': key}), key
        except AltostratAPIError as exc:
            exc.idempotency_key = key  # a start that failed still names the key it was sent with
            if exc.api_code == 'idempotency_key_in_use':
                exc.message += (' The idempotency_key %s was used within the last 24 hours for a different request (another'
                                ' workflow, context or host): build keys that are unique per host and per attempt, such as'
                                ' the AWX job id, inventory_hostname and a purpose.' % one_line(key, 80))
                exc.args = (exc.message,)
            raise


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
