# -*- coding: utf-8 -*-
# Copyright (c) 2026 Altostrat collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Typed errors shared by the client, the waiter and the plugins.

Private to the collection: the leading underscore means no compatibility promise.
Every error carries a one-line, token-free ``str()`` that plugins show as is.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class AltostratError(Exception):
    """Base class: anything the collection raises on purpose."""

    def __init__(self, message, run=None, runs=None, elapsed=None):
        super(AltostratError, self).__init__(message)
        self.message = message
        self.run = run
        self.runs = runs
        self.elapsed = elapsed

    def __str__(self):
        return self.message


class AltostratInputError(AltostratError):
    """Bad input found before any request was sent."""


class AltostratAPIError(AltostratError):
    """A request failed: an HTTP error status, a bad body, or no answer at all.

    ``status`` is the HTTP status (``None`` when no response arrived);
    ``api_message``/``api_code`` the API's own ``message`` and ``code`` (single-line, bounded).
    ``transient`` marks failures a poller may ride out (connection errors, 429, 5xx, cut-off bodies);
    ``retry_after`` is the server's ``Retry-After`` in seconds, when it sent one; ``headers`` the answer's
    headers (for the rate-limit budget), when there was an answer; ``idempotency_key`` the key a failed start was
    sent with.
    """

    def __init__(self, message, method=None, path=None, status=None, api_message=None, transient=False, retry_after=None,
                 api_code=None, headers=None, idempotency_key=None):
        super(AltostratAPIError, self).__init__(message)
        self.method = method
        self.path = path
        self.status = status
        self.api_message = api_message
        self.api_code = api_code
        self.transient = transient
        self.retry_after = retry_after
        self.headers = headers
        self.idempotency_key = idempotency_key

    @property
    def rate_limited(self):
        """The API refused the request for the rate limit: it did not process it."""
        return self.status == 429


class AltostratRunError(AltostratError):
    """A run ended outside ``expected_status`` (or needs a person, with ``on_interaction=fail``)."""


class AltostratTimeoutError(AltostratError):
    """A wait reached its deadline; ``run``/``runs`` hold the last state seen, ``error`` the last failed poll (or None)."""

    def __init__(self, message, run=None, runs=None, elapsed=None, error=None):
        super(AltostratTimeoutError, self).__init__(message, run=run, runs=runs, elapsed=elapsed)
        self.error = error


class BudgetTimeout(AltostratError):
    """The next free request slot of the request budget lies further away than the caller may wait."""

    def __init__(self, message, wait=None, timeout=None):
        super(BudgetTimeout, self).__init__(message)
        self.wait = wait
        self.timeout = timeout


class BudgetBusy(AltostratError):
    """A wait's poll would wait longer for its request slot than its pause: the wait skips it and pauses again."""

    def __init__(self, message, wait=None):
        super(BudgetBusy, self).__init__(message)
        self.wait = wait
