"""Fakes for exercising the API client without a socket or real time.

* ``RUNNING``, ``DONE``: the answers of a run ``fl_run_x``, running and completed;
* ``FakeClock``: a monotonic clock that only moves when slept on (or advanced);
* ``FakeAnswer``/``FakeAdapter``: a ``requests`` transport adapter that answers from a script, captures every
  prepared request (``.sent``) and can move the fake clock (an answer that costs more than the timeout it was
  given is a read timeout at that timeout);
* ``scripted(client, answers)``: serve a client's requests from a list of (status, headers, body);
* ``fake_client(script, ...)``: a Client on a fake clock whose session is served by a ``FakeAdapter``, with the
  token ``testkit.SENTINEL``;
* ``assert_one_clean_line(text)``: what every message the collection shows must be;
* ``task_options(emu, ...)``: every option of a task, with its default; ``module_args(emu, ...)``: a module's arguments.
"""

import io
import json

import requests
import urllib3
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from testkit import SENTINEL

RUNNING = {'id': 'fl_run_x', 'status': 'running', 'logs': []}
DONE = {'id': 'fl_run_x', 'status': 'completed', 'logs': []}


class FakeClock:
    """A clock that only moves when ``sleep`` is called (or ``advance``).

    It starts at a plausible ``time.time()`` (2023-11-14), so that it serves as a monotonic clock and as a
    wall clock (the request budget keeps wall-clock times) alike.
    """

    def __init__(self, now=1700000000.0):
        self.now = float(now)
        self.sleeps = []  # every pause, in seconds
        self.spans = []  # every pause as (when it began, seconds)

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        assert seconds >= 0, 'negative sleep %r' % seconds
        self.sleeps.append(seconds)
        self.spans.append((self.now, seconds))
        self.now += seconds

    def advance(self, seconds):
        self.now += seconds


class FakeAnswer:
    """One scripted answer of ``FakeAdapter``: a status/body/headers, or an exception to raise.

    A body that is not bytes is sent as JSON; no (or empty) headers mean ``Content-Type: application/json``.
    ``cost`` seconds are added to the fake clock when the answer is given (time on the wire).
    """

    def __init__(self, status=200, body=b'', headers=None, exc=None, cost=0.0, reason='OK'):
        self.status = status
        self.body = body if isinstance(body, bytes) or hasattr(body, 'read') else json.dumps(body).encode()  # a stream as it is
        self.headers = headers or {'Content-Type': 'application/json'}
        self.exc = exc
        self.cost = cost
        self.reason = reason

    @classmethod
    def raw(cls, status, headers, body):
        """Exactly these ``headers`` (no default Content-Type) and bytes; an exception as ``body`` is raised.

        The reason is ``OK`` for 200, else ``Error``.
        """
        if isinstance(body, Exception):
            return cls(status, exc=body)
        answer = cls(status, body, reason='OK' if status == 200 else 'Error')
        answer.headers = headers
        return answer


class FakeAdapter(BaseAdapter):
    """Answer requests from ``script`` (a list of FakeAnswer, or a callable(prepared) -> FakeAnswer).

    Once a list is used up, its last answer is repeated; with ``repeat_last=False`` a further request raises
    ``IndexError`` instead.
    """

    def __init__(self, script, clock=None, repeat_last=True):
        super().__init__()
        self.script = script
        self.clock = clock
        self.repeat_last = repeat_last
        self.sent = []

    def _next_answer(self, request):
        if callable(self.script):
            return self.script(request)
        if not self.repeat_last:
            return self.script[len(self.sent) - 1]
        return self.script[min(len(self.sent), len(self.script)) - 1]

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        self.sent.append(request)
        answer = self._next_answer(request)
        limit = timeout[1] if isinstance(timeout, tuple) else timeout
        if self.clock is not None and answer.cost:
            # an answer slower than the time the transport gave it is cut off then, as a real socket's would be
            self.clock.advance(answer.cost if limit is None else min(answer.cost, limit))
            if limit is not None and answer.cost > limit:
                raise requests.exceptions.ReadTimeout('read timed out (fake: the answer costs %gs)' % answer.cost)
        if answer.exc is not None:
            raise answer.exc
        body = answer.body if hasattr(answer.body, 'read') else io.BytesIO(answer.body)
        raw = urllib3.HTTPResponse(body=body, headers=answer.headers, status=answer.status,
                                   preload_content=False, decode_content=False, reason=answer.reason)
        response = requests.Response()
        response.status_code = answer.status
        response.headers = CaseInsensitiveDict(answer.headers)
        response.raw = raw
        response.reason = answer.reason
        response.url = request.url
        response.request = request
        response.encoding = None
        return response

    def close(self):
        pass


def scripted(client, answers):
    """Serve ``client``'s ``http://`` requests from a script of (status, headers, body) answers, one per request.

    Returns the ``FakeAdapter`` (its ``.sent`` records every request).
    """
    adapter = FakeAdapter([FakeAnswer.raw(*answer) for answer in answers], repeat_last=False)
    client.session.mount('http://', adapter)
    return adapter


def fake_client(script, token=SENTINEL, api_url='https://api.test', clock=None, **kwargs):
    """A Client on a fake clock whose session is served by a FakeAdapter; warnings in ``.warnings``.

    The adapter is ``.adapter``, the clock ``.fake_clock``. Needs the collection loader installed.
    """
    from ansible_collections.altostrat.cloud.plugins.module_utils._client import Client
    clock = clock or FakeClock()
    warnings = []
    kwargs.setdefault('warn', warnings.append)
    kwargs.setdefault('rate_limit', 0)  # the shared budget runs on real time; the fake clock does not reach it
    client = Client(token, api_url=api_url, clock=clock, sleep=clock.sleep, **kwargs)
    adapter = FakeAdapter(script, clock)
    client.session.mount('https://', adapter)
    client.session.mount('http://', adapter)
    client.adapter, client.fake_clock, client.warnings = adapter, clock, warnings
    return client


def assert_one_clean_line(text):
    """``text`` (an error message or warning) is one non-empty line, without a traceback or the sentinel token."""
    assert text and '\n' not in text and '\r' not in text and 'Traceback' not in text, repr(text)
    assert SENTINEL not in text, text


def task_options(emu=None, **overrides):
    """The options of a task with every default (as a module or the lookup has them), the token ``testkit.TOKEN``
    and the shared request budget off (it runs on real time); ``overrides`` on top."""
    from testkit import TOKEN
    from ansible_collections.altostrat.cloud.plugins.module_utils._client import DEFAULT_API_URL
    from ansible_collections.altostrat.cloud.plugins.module_utils._options import CONNECTION_ARGS, WAIT_ARGS
    opts = dict((name, spec.get('default')) for name, spec in dict(CONNECTION_ARGS, **WAIT_ARGS).items())
    opts.update(token=TOKEN, api_url=emu.url if emu else DEFAULT_API_URL, rate_limit=0)
    opts.update(overrides)
    return opts


def module_args(emu, **more):
    """A module's arguments for ``emu`` with the token ``testkit.TOKEN``; ``more`` on top. A wait in a unit test lasts
    seconds, so a wait that does not end fails in 30 s, not 3600."""
    from testkit import TOKEN
    more.setdefault('wait_timeout', 30)
    return dict(api_url=emu.url, token=TOKEN, **more)
