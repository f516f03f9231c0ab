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
from ansible_collections.altostrat.cloud.plugins.module_utils._answer import header_int

MAX_BACKOFF = 30.0
MAX_RETRY_AFTER = 60.0
MAX_REDIRECTS = 3


def backoff(attempt):
    """Jittered exponential backoff before retry number ``attempt`` (1, 2, ...): 0.5 s doubling, at most 30 s."""
    return min(MAX_BACKOFF, 0.5 * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)


def jitter(seconds):
    """``seconds`` stretched by up to a quarter (and half a second), so that processes told to wait alike wake apart."""
    return seconds * random.uniform(1.0, 1.25) + random.uniform(0.0, 0.5)


class _Tries:
    """The attempts of one request so far: those that failed, and those the rate limit refused (which do not count
    against ``http_retries``)."""

    def __init__(self):
        self.failed = self.throttled = 0


class Retrier:
    """Sends requests through ``transport``, spending from ``budget``, retrying as described above."""

    def __init__(self, transport, budget, http_retries, clock=None, sleep=None, warn=None):
        self.transport = transport
        self.budget = budget
        self.http_retries = int(http_retries)
        self.clock = clock
        self.sleep = sleep
        self.warn = warn or (lambda message: None)
        self.trouble = None  # (first failure time, failed attempts) while requests keep failing
        self.resent = 0  # attempts of the last request that may have reached the server but got no good answer

    def request(self, method, path, params=None, json_body=None, headers=None, retry=True, deadline=None, patience=None):
        """The ``Answer`` of a request, by ``deadline`` (a ``Deadline``); ``retry=False`` sends it once unless the API
        throttled it; ``patience``: a wait's poll (``Budget.acquire``). A redirect within the API's origin is followed, at
        most MAX_REDIRECTS times, each hop a request of its own (from the budget, within the deadline); the retries of
        all hops count together."""
        tries, url, hops = _Tries(), None, 0
        self.resent = 0
        while True:
            answer = self._send(method, path, params, json_body, headers, retry, deadline, url, tries, patience)
            if answer.location is None:
                return answer
            hops += 1
            if hops > MAX_REDIRECTS:
                raise AltostratAPIError('%s %s failed: more than %d redirects (the API does not redirect); check api_url.'
                                        % (method, path, MAX_REDIRECTS), method=method, path=path, status=answer.status)
            url, params = answer.location, None

    def _send(self, method, path, params, json_body, headers, retry, deadline, url, tries, patience):
        """The answer of one hop (to ``url``, else ``path``), sent again after each failure the policy rides out."""
        while True:
            self.budget.acquire(timeout=None if not deadline.bounded else deadline.left(), patience=patience)
            try:
                answer = self.transport.send(method, path, params, json_body, headers, deadline, url)
            except AltostratAPIError as exc:
                self._pause_after(exc, retry, deadline, tries)
                continue
            self._sync(answer.headers)
            self._recovered()
            return answer

    def _pause_after(self, exc, retry, deadline, tries):
        """Sleep before sending again after ``exc``; raise ``exc`` when it is not to be sent again, or not by the
        deadline."""
        delay = self._delay(exc, retry, deadline, tries.failed, tries.throttled)
        if exc.rate_limited:
            tries.throttled += 1
        else:
            tries.failed += 1
        self.resent = tries.failed
        if deadline.bounded and delay > deadline.left():
            raise exc
        self.sleep(delay)

    def _delay(self, exc, retry, deadline, attempt, throttled):
        """The pause before sending again after ``exc``; raises ``exc`` when it is not to be sent again."""
        self._sync(exc.headers, exc.retry_after if exc.rate_limited else None)
        if exc.rate_limited:
            if not deadline.bounded and throttled + 1 > self.http_retries:
                raise exc
            return jitter(min(exc.retry_after, MAX_RETRY_AFTER) if exc.retry_after is not None else backoff(throttled + 1))
        if not exc.transient:
            raise exc
        self._troubled(exc)
        if not retry or attempt + 1 > self.http_retries:
            raise exc
        return min(exc.retry_after, MAX_RETRY_AFTER) if exc.retry_after is not None else backoff(attempt + 1)

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
