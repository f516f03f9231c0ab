# -*- coding: utf-8 -*-
# Copyright (c) 2026 Altostrat collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What an HTTP answer means: its JSON, checked before it decides anything, or one clear error.

* a body is parsed only within bounds: at most ``MAX_BODY_BYTES``, at most ``MAX_JSON_VALUES`` values (counted
  before parsing, so that parsing an answer at the cap stays within ``MEMORY_BOUND``) and at most
  ``MAX_DEPTH`` levels of nesting; an object with a repeated key is refused as ambiguous (which of
  ``"status": "failed"`` and ``"status": "completed"`` would count?);
* the token is masked wherever a server or proxy echoed it: in the body (every string of the JSON, which
  is what later messages, warnings and results quote), in the reason phrase, in excerpts -- always before a
  text is cut, so that no fragment of it survives a cut;
* every error is built once, here, with its hints: ``Call.error``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import time

from email.utils import parsedate_to_datetime

from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratAPIError
from ansible_collections.altostrat.cloud.plugins.module_utils._options import DEFAULT_API_URL
from ansible_collections.altostrat.cloud.plugins.module_utils._text import one_line

MAX_BODY_BYTES = 16 * 1024 * 1024
MAX_JSON_VALUES = 500000
MAX_DEPTH = 64
MEMORY_BOUND = 128 * 1024 * 1024  # bytes at most that an answer within the bounds above takes, raw and parsed (75 MiB measured)
MASK = '********'


class Answer:
    """A successful answer: HTTP ``status``, ``headers`` (case-insensitive) and the decoded JSON ``body``; for a
    redirect that may be followed, ``location``, the absolute URL it points to (and no body)."""

    def __init__(self, status, headers, body, location=None):
        self.status = status
        self.headers = headers
        self.body = body
        self.location = location


class Call:
    """One request as messages name it: ``method``, ``path``, the ``Idempotency-Key`` it carries, the path part of
    ``api_url`` and the ``secret`` to mask in whatever the server sends back."""

    def __init__(self, method, path, key=None, base_path='', secret=None):
        self.method = method
        self.path = path
        self.key = key
        self.base_path = base_path
        self.secret = secret
        self.where = '%s %s' % (method, path)

    def mask(self, text):
        """``text`` (str or bytes) with the secret masked."""
        if not self.secret:
            return text
        if isinstance(text, bytes):
            return text.replace(self.secret.encode('utf-8'), MASK.encode('ascii'))
        return text.replace(self.secret, MASK)

    def text(self, value, limit=300):
        """A server's words on one line: masked first, then cut."""
        return one_line(self.mask('' if value is None else str(value)), limit)

    def error(self, message, status=None, transient=False, api_message=None, api_code=None, retry_after=None, headers=None):
        """The AltostratAPIError of this call: ``message`` and every hint that applies, built once."""
        message += _hints(self, status, transient, api_code)
        return AltostratAPIError(message, method=self.method, path=self.path, status=status, api_message=api_message,
                                 api_code=api_code, transient=transient, retry_after=retry_after, headers=headers,
                                 idempotency_key=self.key)


def _hints(call, status, transient, api_code):
    hints = ''
    if status == 401:
        hints += ' Check the token (the token option or ALTOSTRAT_TOKEN).'
    if status == 404 and call.base_path not in ('', '/') and api_code != 'resource_missing':
        hints += (' api_url ends in the path %s, but the API\'s routes start at its root (such as %s): check api_url.'
                  % (one_line(call.base_path, 60), DEFAULT_API_URL))
    if api_code == 'idempotency_key_in_use':
        hints += (' The idempotency_key %s was used within the last 24 hours for a different request (another workflow,'
                  ' context or host): build keys that are unique per host and per attempt, such as the AWX job id,'
                  ' inventory_hostname and a purpose.' % one_line(call.key, 80))
    elif transient and call.method == 'POST' and call.key:
        hints += ' The run may or may not have started; its Idempotency-Key was %s.' % one_line(call.key, 80)
    return hints


class _Refused(ValueError):
    """JSON that parses but must not be used; ``str()`` says why."""


def _unique_keys(pairs):
    seen = set()
    for key, _value in pairs:
        if key in seen:
            raise _Refused('is ambiguous: the key %s appears twice in one object' % one_line(json.dumps(key), 60))
        seen.add(key)
    return dict(pairs)


def _checked(body, call):
    """``body`` with the secret masked in every string (keys too); _Refused if it nests deeper than MAX_DEPTH."""
    secret = call.secret
    stack = [(body, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise _Refused('nests deeper than %d levels' % MAX_DEPTH)
        if isinstance(value, dict):
            if secret and any(secret in key for key in value):
                masked = [(call.mask(key), item) for key, item in value.items()]
                value.clear()
                value.update(masked)
            items = value.items()
        elif isinstance(value, list):
            items = enumerate(value)
        else:
            continue
        for key, item in list(items):
            if isinstance(item, str):
                if secret and secret in item:
                    value[key] = call.mask(item)
            elif isinstance(item, (dict, list)):
                stack.append((item, depth + 1))
    return body


def parse(raw, call):
    """The JSON of ``raw`` (None if empty), checked and masked; _Refused or ValueError if it cannot be used."""
    if not raw.strip():
        return None
    values = raw.count(b',') + raw.count(b':') + raw.count(b'[') + raw.count(b'{')
    if values > MAX_JSON_VALUES:
        raise _Refused('holds more than %d JSON values' % MAX_JSON_VALUES)
    try:
        body = json.loads(raw.decode('utf-8'), object_pairs_hook=_unique_keys)
    except RecursionError:
        raise _Refused('nests deeper than %d levels' % MAX_DEPTH)
    return _checked(body, call)


def decode(status, reason, headers, raw, call):
    """Turn a raw HTTP answer into JSON, or into one clear AltostratAPIError (which keeps the ``headers``)."""
    content_type = call.text((headers.get('Content-Type') or '').split(';')[0], 60) or 'no content type'
    try:
        body, problem = parse(raw, call), None
    except _Refused as exc:
        body, problem = None, 'a JSON body that %s' % exc
    except ValueError:
        body = None
        problem = 'a body that is not JSON (%s): %r' % (content_type, call.text(raw.decode('utf-8', 'replace'), 120))
    if 200 <= status < 300:
        if problem:
            raise call.error('%s: HTTP %d answer has %s.' % (call.where, status, problem), status=status)
        return body
    api_message = api_code = None
    if isinstance(body, dict) and isinstance(body.get('message'), str):
        api_message = detail = call.text(body['message'], 300)
        if isinstance(body.get('code'), str):
            api_code = call.text(body['code'], 60)
            detail = '%s (%s)' % (detail, api_code)
    else:
        detail = problem or 'no error message in the answer'
    reason = call.text(reason, 60)
    raise call.error('%s failed: HTTP %d%s: %s' % (call.where, status, ' ' + reason if reason else '', detail),
                     status=status, api_message=api_message, api_code=api_code, transient=status == 429 or status >= 500,
                     retry_after=retry_after(headers), headers=headers)


def header_int(value):
    """A header's non-negative integer (ASCII digits only, at most 12 of them), else None."""
    value = (value or '').strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 12 else None


def retry_after(headers, now=None):
    """Seconds to wait from ``Retry-After`` (seconds or an HTTP date) or ``X-RateLimit-Reset`` (epoch seconds), else None."""
    now = time.time() if now is None else now
    value = headers.get('Retry-After')
    seconds = header_int(value)
    if seconds is not None:
        return float(seconds)
    if value:
        try:
            return max(0.0, parsedate_to_datetime(value.strip()).timestamp() - now)
        except (TypeError, ValueError, IndexError, OverflowError):
            pass
    reset = header_int(headers.get('X-RateLimit-Reset'))
    if reset is not None and reset > 1000000000:  # epoch seconds, as Laravel sends them
        return max(0.0, reset - now)
    return None
