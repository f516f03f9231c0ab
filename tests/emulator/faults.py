"""Injected faults: which request they hit, and what goes on the wire instead.

Faults are matched in declaration order against the method and the path (no
query string).  Each fault counts its matching requests: the first ``after``
ones pass untouched, the next ``times`` ones (default 1; null = all) get the
fault.

Timed faults (outages): ``from_s`` (default 0) and ``for_s`` (default: until
removed), float seconds counted from when the fault was added (emulator start
for scenario faults, the call for ``add_faults`` / ``POST /_emulator/faults``).
The fault matches only requests arriving in ``[added + from_s, added + from_s +
for_s)``; ``after``/``times`` count only those.  Arrival is when the request
has been read (monotonic clock).  A two-minute outage 20 s in::

    {kind: status, status: 503, path_regex: "^/workflows/runs/",
     from_s: 20, for_s: 120, times: null}

Kinds:

``status``      error JSON with ``status`` (default 503) [+ ``Retry-After``]
``html``        proxy page ``502 Bad Gateway`` as text/html (``status`` default 502)
``not_json``    ``status`` (default 200), Content-Type JSON, body not JSON
``wrong_shape`` 200 JSON that is not what the endpoint returns (``body`` to override)
``redirect``    302 (or ``status``) to ``location``
``big``         a JSON body of ``size`` bytes, streamed
``truncated``   the real answer, Content-Length claims more than is sent, then close
``slow``        sleep ``delay`` s, then the real answer
``drip``        the real answer, body one byte every ``delay`` s
``hang``        never answer (until the client closes or the emulator stops)
``drop``        close the connection without answering (RST)

``status``/``html``/``not_json``/``wrong_shape``/``redirect``/``big`` replace the
answer: the request is not processed unless the fault sets ``process: true``
(the server did the work, the answer got lost on the way back).
``truncated``/``slow``/``drip`` always process the request.  A request that is
processed goes through the API's rate limit like any other (and counts as a
hit); one that is not (also ``hang``, ``drop``) does not.  With ``process: true``
the API's own answer, idempotency record included, is kept and the fault's is
sent: a retry with the same ``Idempotency-Key`` gets the replay.
"""

import re
import socket
import struct
import threading
import time

from .api import Response, error

REPLACING = {"status", "html", "not_json", "wrong_shape", "redirect", "big"}
HTML_502 = b"<html><body><h1>502 Bad Gateway</h1></body></html>"


def _bytes(body):
    """A fault's raw body as sent: a scenario may give it as text or bytes."""
    return body.encode() if isinstance(body, str) else body


class Fault:
    def __init__(self, spec, added=None):
        self.spec = spec
        self.added = time.monotonic() if added is None else added
        self.from_s = float(spec.get("from_s") or 0)
        self.for_s = None if spec.get("for_s") is None else float(spec["for_s"])
        self.kind = spec["kind"]
        self.method = (spec.get("method") or "").upper() or None
        self.path = spec.get("path")
        self.regex = re.compile(spec["path_regex"]) if spec.get("path_regex") else None
        self.times = spec.get("times", 1)
        self.after = int(spec.get("after") or 0)
        self.delay = float(spec.get("delay", 1.0))
        self.seen = 0
        self.fired = 0

    def matches(self, method, path):
        if self.method and self.method != method:
            return False
        if self.path is not None and self.path != path:
            return False
        if self.regex is not None and not self.regex.search(path):
            return False
        return True

    def active(self, now):
        """Whether a request arriving at ``now`` (monotonic) falls in the window."""
        start = self.added + self.from_s
        return now >= start and (self.for_s is None or now < start + self.for_s)

    def response(self):
        """The answer of a replacing fault (not ``big``, which is streamed)."""
        spec, kind = self.spec, self.kind
        headers = dict(spec.get("headers") or {})
        if kind == "status":
            status = int(spec.get("status", 503))
            if spec.get("retry_after") is not None:
                headers["Retry-After"] = str(spec["retry_after"])
            if "body" in spec:
                return Response(status, spec["body"], headers)
            if status == 429:
                return error(429, "rate_limit_exceeded", "Too Many Attempts.", headers)
            if status >= 500:
                return error(status, "server_error", "Server Error.", headers)
            return error(status, "injected_fault", "Injected fault %d." % status, headers)
        if kind == "html":
            return Response(int(spec.get("status", 502)), _bytes(spec.get("body", HTML_502)), headers,
                            content_type="text/html")
        if kind == "not_json":
            body = spec.get("body", "Internal error: upstream said <b>hello</b>")
            return Response(int(spec.get("status", 200)), _bytes(body), headers)
        if kind == "wrong_shape":
            return Response(int(spec.get("status", 200)), spec.get("body", {"data": "nope"}),
                            headers)
        if kind == "redirect":
            headers["Location"] = spec["location"]
            return Response(int(spec.get("status", 302)), b"", headers)
        raise ValueError("fault kind %s has no canned response" % kind)


class FaultSet:
    """The faults in force.  Those given to the constructor (the scenario's) are
    timed from ``start()``; those given to ``add`` from that call."""

    def __init__(self, specs=()):
        self.lock = threading.Lock()
        self.faults = []
        self.initial = self.add(specs)

    def add(self, specs):
        now = time.monotonic()
        with self.lock:
            added = [Fault(s, now) for s in specs]
            self.faults.extend(added)
        return added

    def start(self, now=None):
        """Time the scenario's faults from ``now`` (the emulator's start)."""
        now = time.monotonic() if now is None else now
        with self.lock:
            for fault in self.initial:
                fault.added = now

    def clear(self):
        with self.lock:
            self.faults = []
            self.initial = []

    def pick(self, method, path, now=None):
        """The fault to apply to this request (arrived at monotonic ``now``), or None."""
        now = time.monotonic() if now is None else now
        with self.lock:
            for fault in self.faults:
                if not fault.matches(method, path) or not fault.active(now):
                    continue
                fault.seen += 1
                if fault.seen <= fault.after:
                    continue
                if fault.times is not None and fault.seen > fault.after + int(fault.times):
                    continue
                fault.fired += 1
                return fault
        return None


# -- wire-level behaviours (need the request handler) ---------------------------

def drop(handler):
    """Close the connection with an RST, without answering."""
    sock = handler.connection
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    handler.close_connection = True
    handler.abort_connection()


def hang(handler, stop_event, limit=600.0):
    """Keep the connection open and silent until the client goes or we stop."""
    sock = handler.connection
    import select
    waited = 0.0
    while not stop_event.is_set() and waited < limit:
        readable, _unused, _unused = select.select([sock], [], [], 0.1)
        waited += 0.1
        if readable:
            try:
                if not sock.recv(1):
                    break
            except (OSError, ValueError):
                break
    handler.close_connection = True
    handler.abort_connection()


def write_truncated(handler, resp):
    body = resp.body or b"{}"
    handler.send_head(resp, length=len(body) * 2 + 100)
    handler.wfile.write(body[: max(1, len(body) // 2)])
    handler.wfile.flush()
    handler.close_connection = True
    handler.abort_connection()


def write_drip(handler, resp, delay, stop_event):
    handler.send_head(resp)
    handler.wfile.flush()
    for i in range(len(resp.body)):
        if stop_event.wait(delay):
            break
        handler.wfile.write(resp.body[i:i + 1])
        handler.wfile.flush()
    else:
        return
    handler.close_connection = True


def write_big(handler, fault):
    size = int(fault.spec.get("size", 70_000_000))
    head = b'{"id":"fl_run_big","status":"running","padding":"'
    tail = b'"}'
    pad = max(0, size - len(head) - len(tail))
    resp = Response(int(fault.spec.get("status", 200)), b"", fault.spec.get("headers"))
    handler.send_head(resp, length=len(head) + pad + len(tail))
    handler.wfile.write(head)
    chunk = b"x" * 65536
    while pad > 0:
        n = min(pad, len(chunk))
        handler.wfile.write(chunk[:n])
        pad -= n
    handler.wfile.write(tail)
    handler.wfile.flush()
