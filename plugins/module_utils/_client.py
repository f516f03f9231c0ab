# -*- coding: utf-8 -*-
# Copyright (c) 2026 Altostrat collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one Altostrat Workflows API client, shared by every module and lookup.

* one pooled ``requests.Session``; the token only ever travels as ``Authorization: Bearer``
  through an ``AuthBase`` that refuses to sign requests for any other origin, and the session
  ignores ``~/.netrc`` (``trust_env`` is off; proxies and CA bundle from the environment are
  applied explicitly instead);
* GETs are retried on connection errors, 429, 502, 503 and 504 with jittered exponential
  backoff, honouring ``Retry-After`` and never sleeping past the caller's deadline; a POST is
  retried only when it carries an ``Idempotency-Key``;
* every body is read with a total time budget (``request_timeout``) and a size cap, so neither
  a slow-drip nor a huge answer can hold a task;
* every failure is an ``AltostratAPIError`` whose message is one line naming the method, path,
  HTTP status and the API's message, and never the token.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import platform
import random
import time
import traceback

from urllib.parse import quote, urlsplit

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
from ansible_collections.altostrat.cloud.plugins.module_utils._validate import check_api_url, check_id

COLLECTION_VERSION = '0.1.0'
DEFAULT_API_URL = 'https://v1.api.altostrat.io'
MAX_BODY_BYTES = 64 * 1024 * 1024
RETRY_STATUSES = frozenset((429, 502, 503, 504))
MAX_BACKOFF = 30.0
MAX_RETRY_AFTER = 60.0
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


def _segment(value, kind):
    """An id checked for its kind (AltostratInputError otherwise), quoted as one path segment."""
    return quote(check_id(value, kind), safe='')


def _origin(url):
    parts = urlsplit(url)
    default = {'http': 80, 'https': 443}.get(parts.scheme)
    return (parts.scheme, (parts.hostname or '').lower(), parts.port or default)


def _excerpt(text, limit=120):
    text = ' '.join(text.split())
    return text if len(text) <= limit else text[:limit] + '...'


class Client:
    """A connection to the Altostrat Workflows API."""

    def __init__(self, token, api_url=DEFAULT_API_URL, validate_certs=True, ca_path=None,
                 request_timeout=30, http_retries=5, warn=None, clock=time.monotonic, sleep=time.sleep):
        if requests is None:
            raise AltostratAPIError('The Python library "requests" is required (pip install requests).')
        token = (token or '').strip()
        if not token:
            raise AltostratInputError('No API token: set the token option or the ALTOSTRAT_TOKEN environment variable.')
        if not all('!' <= char <= '~' for char in token):
            raise AltostratInputError('The API token holds characters a token cannot have (spaces, line breaks or '
                                      'non-ASCII); check how it was read.')
        self.api_url = check_api_url(api_url)
        self.request_timeout = float(request_timeout)
        self.http_retries = int(http_retries)
        self.warn = warn or (lambda message: None)
        self.clock = clock
        self.sleep = sleep
        self.session = requests.Session()
        self.session.trust_env = False  # no ~/.netrc; proxies and CA bundle are applied below
        self.session.auth = BearerAuth(token, _origin(self.api_url))
        self.session.proxies.update(get_environ_proxies(self.api_url))
        if not validate_certs:
            self.session.verify = False
            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
            self.warn('validate_certs is false: the TLS certificate of %s is not verified.' % self.api_url)
        else:
            self.session.verify = ca_path or os.environ.get('REQUESTS_CA_BUNDLE') or os.environ.get('CURL_CA_BUNDLE') or True
        self.session.headers.update({
            'Accept': 'application/json',
            'User-Agent': 'altostrat.cloud/%s (Ansible collection; python-requests/%s; Python %s)' % (
                COLLECTION_VERSION, requests.__version__, platform.python_version()),
        })

    # ---- API calls -------------------------------------------------------------------------

    def get_run(self, run_id, deadline=None):
        """One run, with its logs."""
        path = '/workflows/runs/%s' % _segment(run_id, 'run')
        return check_run(self.request('GET', path, deadline=deadline), 'GET', path)

    def list_runs(self, workflow_id, statuses=None, limit=None):
        """The runs of a workflow, newest first, following every page (no logs)."""
        path = '/workflows/%s/executions' % _segment(workflow_id, 'workflow')
        runs, page = [], 1
        while True:
            body = self.request('GET', path, params={'page': page})
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
            if not body['data'] or not isinstance(last_page, int) or page >= last_page:
                return runs
            page += 1

    def start_run(self, workflow_id, context=None, idempotency_key=None):
        """Start a run of a workflow; returns the new run."""
        path = '/workflows/%s/execute' % _segment(workflow_id, 'workflow')
        body = {} if context is None else {'context': context}
        return check_run(self._post(path, body, idempotency_key), 'POST', path, status=None)

    def rerun(self, run_id, idempotency_key=None):
        """Start a new run with the trigger payload of ``run_id``; returns the new run."""
        path = '/workflows/runs/%s/rerun' % _segment(run_id, 'run')
        return self._new_run(self._post(path, None, idempotency_key), path)

    def resume(self, run_id, node_id, idempotency_key=None):
        """Start a new run resuming failed run ``run_id`` from ``node_id``; returns the new run."""
        path = '/workflows/runs/%s/resume-from/%s' % (_segment(run_id, 'run'), _segment(node_id, 'node'))
        return self._new_run(self._post(path, None, idempotency_key), path)

    def _post(self, path, body, idempotency_key):
        headers = {'Idempotency-Key': idempotency_key} if idempotency_key else None
        return self.request('POST', path, json_body=body, headers=headers, retry=bool(idempotency_key))

    @staticmethod
    def _new_run(body, path):
        if not isinstance(body, dict) or not isinstance(body.get('new_run'), dict):
            raise AltostratAPIError('POST %s: the answer has no "new_run" object.' % path, method='POST', path=path)
        return check_run(body['new_run'], 'POST', path, status=None)

    # ---- transport -------------------------------------------------------------------------

    def request(self, method, path, params=None, json_body=None, headers=None, retry=None, deadline=None):
        """Send one API request and return its decoded JSON body.

        ``retry`` defaults to True for GET; ``deadline`` (a ``clock()`` value) bounds retries.
        """
        retry = method == 'GET' if retry is None else retry
        attempt = 0
        while True:
            try:
                return self._attempt(method, path, params, json_body, headers)
            except AltostratAPIError as exc:
                self._redact(exc)
                if not (retry and exc.transient) or attempt >= self.http_retries:
                    if method != 'GET' and exc.transient and not retry:
                        exc.message += (' The run may or may not have started: look it up before trying again,'
                                        ' or set idempotency_key so that retries are safe.')
                    raise
                attempt += 1
                delay = self._backoff(attempt, exc)
                if deadline is not None and self.clock() + delay > deadline:
                    raise
                self.warn('%s; retry %d of %d in %.1f s.' % (exc.message.rstrip('.'), attempt, self.http_retries, delay))
                self.sleep(delay)

    def _redact(self, exc):
        """Mask the token where a server or proxy echoed it back into an answer we quote."""
        redact = self.session.auth.redact
        exc.message = redact(exc.message)
        exc.api_message = exc.api_message and redact(exc.api_message)
        exc.args = (exc.message,)

    @staticmethod
    def _backoff(attempt, exc):
        if exc.retry_after is not None:
            return min(exc.retry_after, MAX_RETRY_AFTER)
        return min(MAX_BACKOFF, 0.5 * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)

    def _attempt(self, method, path, params, json_body, headers):
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
        except requests.exceptions.RequestException as exc:
            raise _transient('%s failed: could not reach %s: %s.' % (where, self.api_url, _reason(exc)), method, path)
        except (ValueError, UnicodeError) as exc:  # a header value http.client refuses; its text may quote the header
            raise AltostratAPIError('%s failed: the request could not be built (%s).' % (where, type(exc).__name__),
                                    method=method, path=path)
        with response:
            raw = self._read(response, method, path, started)
        return decode(response.status_code, response.reason, response.headers, raw, method, path)

    def _read(self, response, method, path, started):
        """The whole body, within request_timeout in total and MAX_BODY_BYTES in size."""
        where, status = '%s %s' % (method, path), response.status_code
        length = _header_int(response.headers.get('Content-Length'))
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
    return _excerpt(str(reason), 200) or type(exc).__name__


def _transient(message, method, path, status=None, api_message=None):
    return AltostratAPIError(message, method=method, path=path, status=status, api_message=api_message, transient=True)


def _too_big(method, path, status, size):
    return AltostratAPIError('%s %s: HTTP %d answer is larger than %d MiB (%d bytes); refusing to read it.'
                             % (method, path, status, MAX_BODY_BYTES // (1024 * 1024), size), method=method, path=path, status=status)


def decode(status, reason, headers, raw, method, path):
    """Turn a raw HTTP answer into JSON, or into one clear AltostratAPIError."""
    where = '%s %s' % (method, path)
    content_type = (headers.get('Content-Type') or '').split(';')[0].strip() or 'no content type'
    try:
        body = json.loads(raw.decode('utf-8')) if raw.strip() else None
    except (ValueError, RecursionError):
        body = None
        excerpt = _excerpt(raw.decode('utf-8', 'replace'))
        problem = 'a body that is not JSON (%s): %r' % (content_type, excerpt)
    else:
        problem = None
    if 200 <= status < 300:
        if problem:
            raise AltostratAPIError('%s: HTTP %d answer has %s.' % (where, status, problem), method=method, path=path, status=status)
        return body
    api_message = None
    if isinstance(body, dict) and isinstance(body.get('message'), str):
        api_message = _excerpt(body['message'], 300)
        detail = api_message
        if isinstance(body.get('code'), str):
            detail = '%s (%s)' % (detail, body['code'])
    else:
        detail = problem or 'no error message in the answer'
    reason = _excerpt(reason or '', 60)
    message = '%s failed: HTTP %d%s: %s' % (where, status, ' ' + reason if reason else '', detail)
    if status == 401:
        message += ' Check the token (the token option or ALTOSTRAT_TOKEN).'
    raise AltostratAPIError(message, method=method, path=path, status=status, api_message=api_message,
                            transient=status in RETRY_STATUSES or status >= 500,
                            retry_after=_retry_after(headers.get('Retry-After')))


def _header_int(value):
    """A header's non-negative integer (ASCII digits only), else None."""
    value = (value or '').strip()
    return int(value) if value.isascii() and value.isdigit() else None


def _retry_after(value):
    """Seconds to wait from a Retry-After header (seconds or an HTTP date), else None."""
    seconds = _header_int(value)
    if seconds is not None:
        return float(seconds)
    if not value:
        return None
    try:
        from email.utils import parsedate_to_datetime
        import datetime
        when = parsedate_to_datetime(value.strip())
        now = datetime.datetime.now(when.tzinfo or datetime.timezone.utc)
        return max(0.0, (when - now).total_seconds())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def check_run(run, method, path, status=200):
    """Make sure an answer looks like a run: an object with string ``id`` and ``status``, list ``logs``."""
    where = '%s %s' % (method, path)
    if not isinstance(run, dict):
        problem = 'is not a run object (got %s)' % type(run).__name__
    elif not isinstance(run.get('id'), str):
        problem = 'is not a run object (no "id")'
    elif not isinstance(run.get('status'), str):
        problem = 'has no "status" for run %s' % run['id']
    elif 'logs' in run and run['logs'] is not None and not isinstance(run['logs'], list):
        problem = 'has "logs" that is not a list for run %s' % run['id']
    else:
        return run
    answer = 'HTTP %d answer' % status if status else 'the answer'
    raise AltostratAPIError('%s: %s %s.' % (where, answer, problem), method=method, path=path, status=status)
