# -*- coding: utf-8 -*-
# Copyright (c) 2026 Altostrat collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""HTTP transport: one attempt of one request, within the time it is given.

* one pooled ``requests.Session``; the token only ever travels as ``Authorization: Bearer``
  through an ``AuthBase`` that refuses to sign requests for any other origin, and the session
  ignores ``~/.netrc`` (``trust_env`` is off; proxies and CA bundle from the environment are
  applied explicitly instead);
* one attempt as a whole -- connect, status line, headers and body, however slowly they drip -- ends
  by ``request_timeout`` and by the task's deadline, whichever comes first: a socket timeout only
  bounds each read, so a watchdog shuts the attempt's socket down when its time is up;
* redirects are never followed by ``requests``: a redirect to another origin fails at once, naming
  it; one of a GET within the API's origin is handed back (``Answer.location``) for the retry
  policy to follow as a request of its own; no redirect body is read;
* what an answer means, and every error message, is ``_answer.py``'s business; whether and when to
  try again ``_retry.py``'s; which paths exist ``_client.py``'s.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import platform
import socket
import threading
import traceback

from urllib.parse import urljoin, urlsplit

try:
    import requests
    from requests.adapters import HTTPAdapter
    from requests.auth import AuthBase
    from requests.utils import get_environ_proxies
    import urllib3
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
    from urllib3.exceptions import HTTPError as Urllib3Error
    REQUESTS_IMPORT_ERROR = None
except ImportError:  # pragma: no cover - exercised by ansible-test's import sanity test
    requests = None
    AuthBase = HTTPAdapter = HTTPConnectionPool = HTTPSConnectionPool = object
    Urllib3Error = Exception
    REQUESTS_IMPORT_ERROR = traceback.format_exc()

from ansible_collections.altostrat.cloud.plugins.module_utils._answer import MAX_BODY_BYTES, Answer, Call, decode, header_int
from ansible_collections.altostrat.cloud.plugins.module_utils._deadline import Deadline
from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratAPIError, AltostratInputError
from ansible_collections.altostrat.cloud.plugins.module_utils._validate import check_api_url

COLLECTION_VERSION = '0.2.0'
REDIRECTS = (301, 302, 303, 307, 308)
_CHUNK = 256 * 1024
_CURRENT = threading.local()  # the watchdog of the attempt this thread is making


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

    def __repr__(self):
        return '<BearerAuth for %s://%s:%s>' % self._origin


def _origin_text(url):
    return '%s://%s:%s' % _origin(url)


def _origin(url):
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = -1
    return (parts.scheme, (parts.hostname or '').lower(), port or {'http': 80, 'https': 443}.get(parts.scheme))


def check_token(token):
    """The token, stripped; AltostratInputError if it is missing or cannot be a token."""
    token = (token or '').strip()
    if not token:
        raise AltostratInputError('No API token: set the token option or the ALTOSTRAT_TOKEN environment variable.')
    if not all('!' <= char <= '~' for char in token):
        raise AltostratInputError('The API token holds characters a token cannot have (spaces, line breaks or '
                                  'non-ASCII); check how it was read.')
    return token


class Watchdog:
    """Shuts the socket of this thread's attempt down once ``seconds`` have passed, until the attempt is over.

    The socket is found when the connection pool hands the attempt its connection (``_watched``); shutting it
    down ends any read blocked on it at once, whatever the server is dripping.
    """

    def __init__(self, seconds):
        self.seconds = seconds
        self.conn = None
        self.sock = None  # the attempt's socket, kept here: http.client forgets it on a "Connection: close" answer
        self.fired = False
        self.done = threading.Event()

    def __enter__(self):
        _CURRENT.watchdog = self
        thread = threading.Thread(target=self._watch, name='altostrat-watchdog')
        thread.daemon = True
        thread.start()
        return self

    def __exit__(self, *exc_info):
        self.done.set()
        _CURRENT.watchdog = None
        if self.fired and self.conn is not None:
            self.conn.close()  # never handed to another request

    def _watch(self):
        if self.done.wait(self.seconds):
            return
        self.fired = True
        while not self.done.is_set():
            sock = self.sock
            if sock is not None:
                try:
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)  # the plain socket's, under TLS too
                except (OSError, TypeError):
                    pass
            self.done.wait(0.05)


def _watched_connection(connection_class):
    class WatchedConnection(connection_class):
        def connect(self):
            super(WatchedConnection, self).connect()
            watchdog = getattr(_CURRENT, 'watchdog', None)
            if watchdog is not None:
                watchdog.sock = self.sock
    return WatchedConnection


def _watched(pool_class):
    class WatchedPool(pool_class):
        ConnectionCls = _watched_connection(pool_class.ConnectionCls)

        def _get_conn(self, *args, **kwargs):
            conn = super(WatchedPool, self)._get_conn(*args, **kwargs)
            watchdog = getattr(_CURRENT, 'watchdog', None)
            if watchdog is not None:
                watchdog.conn, watchdog.sock = conn, getattr(conn, 'sock', None)  # a kept-alive connection's
            return conn
    return WatchedPool


class NoRedirectSession(requests.Session if requests else object):
    """A session that never looks at a redirect itself: ``requests`` reads a redirect's whole body to follow it, even
    with ``allow_redirects=False``; here the transport decides, without reading it."""

    def get_redirect_target(self, resp):
        return None


_POOLS = {'http': _watched(HTTPConnectionPool), 'https': _watched(HTTPSConnectionPool)} if requests else {}


class WatchedAdapter(HTTPAdapter):
    """requests' adapter, whose connection pools tell the attempt's ``Watchdog`` which connection it uses."""

    def init_poolmanager(self, *args, **kwargs):
        super(WatchedAdapter, self).init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_POOLS)

    def proxy_manager_for(self, *args, **kwargs):
        manager = super(WatchedAdapter, self).proxy_manager_for(*args, **kwargs)
        if getattr(manager, 'pool_classes_by_scheme', None) is not None:  # not a SOCKS proxy's manager
            manager.pool_classes_by_scheme = dict(_POOLS)
        return manager


class Transport:
    """Sends one request to the API and returns its ``Answer``, or raises one clear AltostratAPIError."""

    def __init__(self, token, api_url, validate_certs=True, ca_path=None, request_timeout=30, warn=None, clock=None):
        if requests is None:
            raise AltostratAPIError('The Python library "requests" is required (pip install requests).')
        self.api_url = check_api_url(api_url)
        self.origin = _origin(self.api_url)
        self.request_timeout = float(request_timeout)
        self.clock = clock
        self.token = check_token(token)
        self.session = NoRedirectSession()
        self.session.trust_env = False  # no ~/.netrc; proxies and CA bundle are applied below
        for prefix in ('https://', 'http://'):
            self.session.mount(prefix, WatchedAdapter())
        self.session.auth = BearerAuth(self.token, self.origin)
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

    def send(self, method, path, params=None, json_body=None, headers=None, deadline=None, url=None):
        """One attempt at ``url`` (by default the API's ``path``): the ``Answer`` of a 2xx or of a redirect to follow,
        else an AltostratAPIError; it ends by ``request_timeout`` and by ``deadline`` (a ``Deadline``)."""
        call = Call(method, path, (headers or {}).get('Idempotency-Key'), urlsplit(self.api_url).path, self.token)
        url = url or self.api_url + path
        deadline = deadline or Deadline(clock=self.clock)
        seconds = min(self.request_timeout, deadline.left())
        by_deadline = deadline.left() < self.request_timeout
        if seconds <= 0:
            raise call.error('%s failed: the task\'s deadline (wait_timeout) was reached before it was sent.' % call.where,
                             transient=True)
        cut_at = self.clock() + seconds
        with Watchdog(seconds) as watchdog:
            try:
                response = self.session.request(method, url, params=params, json=json_body, headers=headers,
                                                timeout=seconds, stream=True, allow_redirects=False)
            except Exception as exc:  # pylint: disable=broad-except  # every way of failing is told in one line
                raise self._failed(call, exc, watchdog, by_deadline, seconds)
            with response:
                if response.status_code in REDIRECTS:
                    return self._redirect(call, url, response)
                raw = self._read(call, response, watchdog, cut_at, by_deadline, seconds)
        body = decode(response.status_code, response.reason, response.headers, raw, call)
        return Answer(response.status_code, response.headers, body)

    def _failed(self, call, exc, watchdog, by_deadline, seconds):
        if watchdog.fired or isinstance(exc, requests.exceptions.Timeout):
            return call.error('%s failed: %s.' % (call.where, _out_of_time(by_deadline, seconds, 'no answer')), transient=True)
        if isinstance(exc, requests.exceptions.SSLError):
            return call.error('%s failed: TLS error talking to %s: %s. Set ca_path to the CA bundle that signed the server '
                              'certificate (or validate_certs=false on a trusted network).'
                              % (call.where, self.api_url, call.text(_reason(exc), 200)))
        if isinstance(exc, requests.exceptions.ConnectionError):
            reason = call.text(_reason(exc), 200)
            if any(hint in str(exc) for hint in _DNS_HINTS):  # a host that does not resolve is a typo: not retried
                return call.error('%s failed: the host of api_url %s does not resolve (%s); check api_url.'
                                  % (call.where, urlsplit(self.api_url).hostname, reason))
            return call.error('%s failed: could not reach %s: %s.' % (call.where, self.api_url, reason), transient=True)
        if isinstance(exc, requests.exceptions.RequestException):
            return call.error('%s failed: could not reach %s: %s.' % (call.where, self.api_url, call.text(_reason(exc), 200)),
                              transient=True)
        if isinstance(exc, (ValueError, UnicodeError)):  # a header value http.client refuses; its text may quote it
            return call.error('%s failed: the request could not be built (%s).' % (call.where, type(exc).__name__))
        raise exc

    def _redirect(self, call, url, response):
        """A redirect: fail at once unless it is a GET's within the API's origin; its body is never read."""
        status = response.status_code
        location = (response.headers.get('Location') or '').strip()
        target = urljoin(url, location) if location else None
        if target is None:
            raise call.error('%s failed: HTTP %d redirect without a Location header: not followed (the API does not '
                             'redirect); check api_url.' % (call.where, status), status=status)
        if _origin(target) != self.origin:
            raise call.error('%s failed: HTTP %d redirect to %s, another origin than api_url %s: not followed (the API '
                             'does not redirect); check api_url.' % (call.where, status, call.text(_origin_text(target), 120),
                                                                     _origin_text(self.api_url)), status=status)
        if call.method != 'GET':
            raise call.error('%s failed: HTTP %d redirect to %s: not followed (a %s is never sent again elsewhere).'
                             % (call.where, status, call.text(urlsplit(target).path, 120), call.method), status=status)
        return Answer(status, response.headers, None, location=target)

    def _read(self, call, response, watchdog, cut_at, by_deadline, seconds):
        """The whole body, before ``cut_at`` and within MAX_BODY_BYTES."""
        status = response.status_code
        length = header_int(response.headers.get('Content-Length'))
        if length is not None and length > MAX_BODY_BYTES:
            raise _too_big(call, status, length)
        reader = getattr(response.raw, 'read1', None) or response.raw.read
        sock = watchdog.sock or getattr(getattr(response.raw, '_connection', None), 'sock', None)
        chunks, size = [], 0
        try:
            while True:
                left = cut_at - self.clock()
                if left <= 0 or watchdog.fired:
                    break
                if sock is not None:
                    try:
                        sock.settimeout(left)
                    except OSError:  # http.client closed its socket object (Connection: close): the watchdog still cuts
                        sock = None
                chunk = reader(_CHUNK, decode_content=True)
                if not chunk:
                    if not watchdog.fired:
                        return b''.join(chunks)
                    break
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise _too_big(call, status, size)
                chunks.append(chunk)
        except (requests.exceptions.RequestException, Urllib3Error, IOError) as exc:
            if not watchdog.fired and not self.clock() >= cut_at:
                raise call.error('%s failed: HTTP %d answer was cut off after %d bytes (%s).'
                                 % (call.where, status, size, call.text(_reason(exc), 200)), status=status, transient=True)
        raise call.error('%s failed: HTTP %d answer still incomplete: %s (%d bytes so far).'
                         % (call.where, status, _out_of_time(by_deadline, seconds, 'no whole answer'), size),
                         status=status, transient=True)


def _out_of_time(by_deadline, seconds, what):
    if by_deadline:
        return '%s before the task\'s deadline (wait_timeout) ran out' % what
    return '%s within request_timeout=%gs' % (what, seconds)


def _reason(exc):
    """A short reason for a requests/urllib3 exception (to be masked and made one line by the caller)."""
    inner = exc
    while getattr(inner, 'args', None) and isinstance(inner.args[0], Exception):
        inner = inner.args[0]
    reason = getattr(inner, 'reason', None) or (inner.args[0] if inner.args and isinstance(inner.args[0], str) else inner)
    return str(reason) or type(exc).__name__


_DNS_HINTS = ('Name or service not known', 'nodename nor servname', 'getaddrinfo failed', 'Temporary failure in name resolution',
              'No address associated with hostname', 'NameResolutionError', 'Failed to resolve')


def _too_big(call, status, size):
    return call.error('%s: HTTP %d answer is larger than %d MiB (%d bytes); refusing to read it.'
                      % (call.where, status, MAX_BODY_BYTES // (1024 * 1024), size), status=status)
