# -*- coding: utf-8 -*-
# Copyright (c) 2026 Altostrat collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""HTTP transport: one attempt of one request, and what its answer means.

* one pooled ``requests.Session``; the token only ever travels as ``Authorization: Bearer``
  through an ``AuthBase`` that refuses to sign requests for any other origin, and the session
  ignores ``~/.netrc`` (``trust_env`` is off; proxies and CA bundle from the environment are
  applied explicitly instead);
* every body is read with a total time budget (``request_timeout``) and a size cap, so neither
  a slow drip nor a huge answer can hold a task;
* every failure is an ``AltostratAPIError`` whose message is one line naming the method, path,
  HTTP status and the API's message, and never the token. Whether and when to try again is
  ``_retry.py``'s business; which paths exist is ``_client.py``'s.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import platform
import traceback

from urllib.parse import urlsplit

try:
    import requests
    from requests.auth import AuthBase
    from requests.utils import get_environ_proxies
    import urllib3
    from urllib3.exceptions import HTTPError as Urllib3Error
    REQUESTS_IMPORT_ERROR = None
except ImportError:  # pragma: no cover - exercised by ansible-test's import sanity test
    requests = None
    AuthBase = object
    Urllib3Error = Exception
    REQUESTS_IMPORT_ERROR = traceback.format_exc()

from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratAPIError, AltostratInputError
from ansible_collections.altostrat.cloud.plugins.module_utils._text import one_line
from ansible_collections.altostrat.cloud.plugins.module_utils._validate import check_api_url

COLLECTION_VERSION = '0.2.0'
DEFAULT_API_ROOT = 'https://v1.api.altostrat.io'
MAX_BODY_BYTES = 64 * 1024 * 1024
_CHUNK = 256 * 1024


class BearerAuth(AuthBase):
    """Sign requests with the token, for the API's own origin only."""

    def __init__(self, token, origin):
        self._token = token
        self._origin = origin

    def __call__(self, request):
        if _origin(request.url) == self._origin:
            request.headers['Authorization'] = 'Bearer ' + self._token
        else:
            request.headers.pop('Authorization', None)
        return request

    def redact(self, text):
        """``text`` with the token masked."""
        return text.replace(self._token, '********')

    def __repr__(self):
        return '<BearerAuth for %s://%s:%s>' % self._origin


def _origin(url):
    parts = urlsplit(url)
    default = {'http': 80, 'https': 443}.get(parts.scheme)
    return (parts.scheme, (parts.hostname or '').lower(), parts.port or default)


class Answer:
    """A successful answer: HTTP ``status``, ``headers`` (case-insensitive) and the decoded JSON ``body``."""

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body


def check_token(token):
    """The token, stripped; AltostratInputError if it is missing or cannot be a token."""
    token = (token or '').strip()
    if not token:
        raise AltostratInputError('No API token: set the token option or the ALTOSTRAT_TOKEN environment variable.')
    if not all('!' <= char <= '~' for char in token):
        raise AltostratInputError('The API token holds characters a token cannot have (spaces, line breaks or '
                                  'non-ASCII); check how it was read.')
    return token


class Transport:
    """Sends one request to the API and returns its ``Answer``, or raises one clear AltostratAPIError."""

    def __init__(self, token, api_url, validate_certs=True, ca_path=None, request_timeout=30, warn=None, clock=None):
        if requests is None:
            raise AltostratAPIError('The Python library "requests" is required (pip install requests).')
        self.api_url = check_api_url(api_url)
        self.request_timeout = float(request_timeout)
        self.clock = clock
        self.session = requests.Session()
        self.session.trust_env = False  # no ~/.netrc; proxies and CA bundle are applied below
        self.session.auth = BearerAuth(check_token(token), _origin(self.api_url))
        self.session.proxies.update(get_environ_proxies(self.api_url))
        if not validate_certs:
            self.session.verify = False
            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
            (warn or (lambda message: None))('validate_certs is false: the TLS certificate of %s is not verified.' % self.api_url)
        else:
            self.session.verify = ca_path or os.environ.get('REQUESTS_CA_BUNDLE') or os.environ.get('CURL_CA_BUNDLE') or True
        self.session.headers.update({
            'Accept': 'application/json',
            'User-Agent': 'altostrat.cloud/%s (Ansible collection; python-requests/%s; Python %s)' % (
                COLLECTION_VERSION, requests.__version__, platform.python_version()),
        })

    def redact(self, exc):
        """Mask the token where a server or proxy echoed it back into an answer we quote."""
        redact = self.session.auth.redact
        exc.message = redact(exc.message)
        exc.api_message = exc.api_message and redact(exc.api_message)
        exc.args = (exc.message,)
        return exc

    def send(self, method, path, params=None, json_body=None, headers=None):
        """One attempt: the ``Answer`` of a 2xx, else an AltostratAPIError (token masked)."""
        try:
            return self._send(method, path, params, json_body, headers)
        except AltostratAPIError as exc:
            raise self.redact(exc)

    def _send(self, method, path, params, json_body, headers):
        where = '%s %s' % (method, path)
        started = self.clock()
        try:
            response = self.session.request(method, self.api_url + path, params=params, json=json_body,
                                            headers=headers, timeout=self.request_timeout, stream=True,
                                            allow_redirects=method == 'GET')
        except requests.exceptions.SSLError as exc:
            raise AltostratAPIError('%s failed: TLS error talking to %s: %s. Set ca_path to the CA bundle that signed '
                                    'the server certificate (or validate_certs=false on a trusted network).'
                                    % (where, self.api_url, _reason(exc)), method=method, path=path)
        except requests.exceptions.Timeout as exc:
            raise _transient('%s failed: no answer within request_timeout=%gs (%s).' % (where, self.request_timeout, _reason(exc)),
                             method, path)
        except requests.exceptions.ConnectionError as exc:
            raise _unreachable(where, self.api_url, exc, method, path)
        except requests.exceptions.RequestException as exc:
            raise _transient('%s failed: could not reach %s: %s.' % (where, self.api_url, _reason(exc)), method, path)
        except (ValueError, UnicodeError) as exc:  # a header value http.client refuses; its text may quote the header
            raise AltostratAPIError('%s failed: the request could not be built (%s).' % (where, type(exc).__name__),
                                    method=method, path=path)
        with response:
            raw = self._read(response, method, path, started)
        try:
            body = decode(response.status_code, response.reason, response.headers, raw, method, path)
        except AltostratAPIError as exc:
            raise self._hint_path(exc)
        return Answer(response.status_code, response.headers, body)

    def _hint_path(self, exc):
        """A 404 for a route (not for a missing run) when api_url ends in a path: the routes start at the API's root."""
        base = urlsplit(self.api_url).path
        if exc.status == 404 and base not in ('', '/') and exc.api_code != 'resource_missing':
            exc.message += (' api_url ends in the path %s, but the API\'s routes start at its root (such as %s): check'
                            ' api_url.' % (one_line(base, 60), DEFAULT_API_ROOT))
            exc.args = (exc.message,)
        return exc

    def _read(self, response, method, path, started):
        """The whole body, within request_timeout in total and MAX_BODY_BYTES in size."""
        where, status = '%s %s' % (method, path), response.status_code
        length = header_int(response.headers.get('Content-Length'))
        if length is not None and length > MAX_BODY_BYTES:
            raise _too_big(method, path, status, length)
        reader = getattr(response.raw, 'read1', None) or response.raw.read
        sock = getattr(getattr(response.raw, '_connection', None), 'sock', None)
        chunks, size = [], 0
        try:
            while True:
                left = self.request_timeout - (self.clock() - started)
                if left <= 0:
                    raise _transient('%s failed: HTTP %d answer still incomplete after request_timeout=%gs (%d bytes so far).'
                                     % (where, status, self.request_timeout, size), method, path, status)
                if sock is not None:
                    sock.settimeout(left)  # a slow drip must not stretch one request past request_timeout
                chunk = reader(_CHUNK, decode_content=True)
                if not chunk:
                    break
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise _too_big(method, path, status, size)
                chunks.append(chunk)
        except (requests.exceptions.RequestException, Urllib3Error, IOError) as exc:
            raise _transient('%s failed: HTTP %d answer was cut off after %d bytes (%s).'
                             % (where, status, size, _reason(exc)), method, path, status)
        return b''.join(chunks)


def _reason(exc):
    """A short, single-line reason for a requests/urllib3 exception."""
    inner = exc
    while getattr(inner, 'args', None) and isinstance(inner.args[0], Exception):
        inner = inner.args[0]
    reason = getattr(inner, 'reason', None) or (inner.args[0] if inner.args and isinstance(inner.args[0], str) else inner)
    return one_line(str(reason), 200) or type(exc).__name__


_DNS_HINTS = ('Name or service not known', 'nodename nor servname', 'getaddrinfo failed', 'Temporary failure in name resolution',
              'No address associated with hostname', 'NameResolutionError', 'Failed to resolve')


def _unreachable(where, api_url, exc, method, path):
    """A connection error; a host name that does not resolve is a typo until proven otherwise: not retried."""
    reason = _reason(exc)
    if any(hint in str(exc) for hint in _DNS_HINTS):
        return AltostratAPIError('%s failed: the host of api_url %s does not resolve (%s); check api_url.'
                                 % (where, urlsplit(api_url).hostname, reason), method=method, path=path)
    return _transient('%s failed: could not reach %s: %s.' % (where, api_url, reason), method, path)


def _transient(message, method, path, status=None, api_message=None):
    return AltostratAPIError(message, method=method, path=path, status=status, api_message=api_message, transient=True)


def _too_big(method, path, status, size):
    return AltostratAPIError('%s %s: HTTP %d answer is larger than %d MiB (%d bytes); refusing to read it.'
                             % (method, path, status, MAX_BODY_BYTES // (1024 * 1024), size), method=method, path=path, status=status)


def decode(status, reason, headers, raw, method, path):
    """Turn a raw HTTP answer into JSON, or into one clear AltostratAPIError (which keeps the ``headers``)."""
    where = '%s %s' % (method, path)
    content_type = one_line((headers.get('Content-Type') or '').split(';')[0], 60) or 'no content type'
    try:
        body = json.loads(raw.decode('utf-8')) if raw.strip() else None
    except (ValueError, RecursionError):
        body = None
        problem = 'a body that is not JSON (%s): %r' % (content_type, one_line(raw.decode('utf-8', 'replace'), 120))
    else:
        problem = None
    if 200 <= status < 300:
        if problem:
            raise AltostratAPIError('%s: HTTP %d answer has %s.' % (where, status, problem), method=method, path=path, status=status)
        return body
    api_message = api_code = None
    if isinstance(body, dict) and isinstance(body.get('message'), str):
        api_message = one_line(body['message'], 300)
        detail = api_message
        if isinstance(body.get('code'), str):
            api_code = one_line(body['code'], 60)
            detail = '%s (%s)' % (detail, api_code)
    else:
        detail = problem or 'no error message in the answer'
    reason = one_line(reason or '', 60)
    message = '%s failed: HTTP %d%s: %s' % (where, status, ' ' + reason if reason else '', detail)
    if status == 401:
        message += ' Check the token (the token option or ALTOSTRAT_TOKEN).'
    raise AltostratAPIError(message, method=method, path=path, status=status, api_message=api_message, api_code=api_code,
                            transient=status == 429 or status >= 500, retry_after=retry_after(headers), headers=headers)


def header_int(value):
    """A header's non-negative integer (ASCII digits only), else None."""
    value = (value or '').strip()
    return int(value) if value.isascii() and value.isdigit() else None


def retry_after(headers, now=None):
    """Seconds to wait from ``Retry-After`` (seconds or an HTTP date) or ``X-RateLimit-Reset`` (epoch seconds), else None."""
    import time
    now = time.time() if now is None else now
    value = headers.get('Retry-After')
    seconds = header_int(value)
    if seconds is not None:
        return float(seconds)
    if value:
        try:
            from email.utils import parsedate_to_datetime
            return max(0.0, parsedate_to_datetime(value.strip()).timestamp() - now)
        except (TypeError, ValueError, IndexError, OverflowError):
            pass
    reset = header_int(headers.get('X-RateLimit-Reset'))
    if reset is not None and reset > 1000000000:  # epoch seconds, as Laravel sends them
        return max(0.0, reset - now)
    return None
