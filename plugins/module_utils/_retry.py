# -*- coding: utf-8 -*-
# Copyright (c) 2026 Altostrat collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Retry policy: when a request is sent again, and how long to wait first.

* every attempt first takes a slot from the shared request budget (``_budget.py``), and every
  answer's ``X-RateLimit-*`` headers are handed back to it, so that the budget never spends what
  the server says is not there;
* a 429 is back-pressure, not a failure: the API did not process the request, so it is always
  sent again (GETs and POSTs alike), after ``Retry-After`` (or a backoff) plus jitter, and it
  never counts against ``http_retries``; only the caller's deadline ends that;
* connection errors, cut-off bodies and 5xx answers are retried up to ``http_retries`` times with
  jittered exponential backoff (honouring ``Retry-After``), never sleeping past the deadline,
  for requests that are safe to repeat (GETs, and starts, which always carry an idempotency key);
* trouble is told once: one warning when requests start failing, one when the API answers again.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import random

from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratAPIError
from ansible_collections.altostrat.cloud.plugins.module_utils._transport import header_int

MAX_BACKOFF = 30.0
MAX_RETRY_AFTER = 60.0


def backoff(attempt):
    """Jittered exponential backoff before retry number ``attempt`` (1, 2, ...): 0.5 s doubling, at most 30 s."""
    return min(MAX_BACKOFF, 0.5 * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)


def jitter(seconds):
    """``seconds`` stretched by up to a quarter (and half a second), so that processes told to wait alike wake apart."""
    return seconds * random.uniform(1.0, 1.25) + random.uniform(0.0, 0.5)


class Retrier:
    """Sends requests through ``transport``, spending from ``budget``, retrying as described above."""

    def __init__(self, transport, budget, http_retries=5, clock=None, sleep=None, warn=None):
        self.transport = transport
        self.budget = budget
        self.http_retries = int(http_retries)
        self.clock = clock
        self.sleep = sleep
        self.warn = warn or (lambda message: None)
        self.trouble = None  # (first failure time, failed attempts) while requests keep failing
        self.requests = 0  # requests sent (for results and benchmarks)
        self.resent = 0  # attempts of the last request that may have reached the server but got no good answer

    def request(self, method, path, params=None, json_body=None, headers=None, retry=True, deadline=None):
        """The ``Answer`` of a request; ``retry=False`` sends it once unless the API throttled it."""
        attempt = throttled = self.resent = 0
        while True:
            self.budget.acquire(timeout=None if deadline is None else max(0.0, deadline - self.clock()))
            self.requests += 1
            try:
                answer = self.transport.send(method, path, params, json_body, headers)
            except AltostratAPIError as exc:
                self._sync(exc.headers, exc.retry_after if exc.rate_limited else None)
                if exc.rate_limited:
                    throttled += 1
                    delay = jitter(min(exc.retry_after, MAX_RETRY_AFTER) if exc.retry_after is not None else backoff(throttled))
                    if deadline is None and throttled > self.http_retries:
                        raise
                elif exc.transient:
                    self._troubled(exc)
                    attempt = self.resent = attempt + 1
                    if not retry or attempt > self.http_retries:
                        raise _hint(exc, method, headers)
                    delay = min(exc.retry_after, MAX_RETRY_AFTER) if exc.retry_after is not None else backoff(attempt)
                else:
                    raise
                if deadline is not None and self.clock() + delay > deadline:
                    raise _hint(exc, method, headers)
                self.sleep(delay)
                continue
            self._sync(answer.headers)
            self._recovered()
            return answer

    def _sync(self, headers, retry_after=None):
        if headers is not None:
            self.budget.sync(limit=header_int(headers.get('X-RateLimit-Limit')),
                             remaining=header_int(headers.get('X-RateLimit-Remaining')), retry_after=retry_after)

    def _troubled(self, exc):
        if self.trouble is None:
            self.trouble = [self.clock(), 0]
            self.warn('The Altostrat API is failing (%s); retrying with backoff, this is said once.' % str(exc).rstrip('.'))
        self.trouble[1] += 1

    def _recovered(self):
        if self.trouble is not None:
            since, failed = self.trouble
            self.trouble = None
            self.warn('The Altostrat API answers again, after %.0f s and %d failed request(s).' % (self.clock() - since, failed))


def _hint(exc, method, headers):
    key = (headers or {}).get('Idempotency-Key')
    if method == 'POST' and key and exc.transient and 'idempotency_key' not in exc.message:
        exc.message += ' The run may or may not have started; its Idempotency-Key was %s.' % key
        exc.args = (exc.message,)
    return exc
