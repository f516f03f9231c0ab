"""The Altostrat Workflows API itself: auth, rate limit, routing, endpoints.

``Api.handle(request)`` turns a parsed ``Request`` into a ``Response``; it knows
nothing about sockets (see server.py) or faults (see faults.py).

Choices where the API reference is silent (write-ups for the docs):
- execute answers ``201 Created`` with the run object (``trigger_payload`` =
  the posted ``context``, ``{}`` when absent); rerun/resume answer ``202``.
- ``Idempotency-Key`` is scoped per token, kept 24 h, and only successful (2xx)
  answers are stored.  A repeat returns the stored status and body verbatim plus
  ``Idempotent-Replayed: true``.  Reusing a key for a different request (other
  path or body) answers 422 ``idempotency_key_in_use``.
- rerun/resume copy the original's workflow and trigger payload; the new run
  follows the original run's ``rerun_template`` if declared, else the
  original's own timing/status parameters.
- resume-from: 422 ``run_not_failed`` unless the run's current status is
  ``failed``; 422 ``parameter_invalid`` unless the node appears in its logs with
  status ``success``.
- Rate limit (``rate_limit_per_minute``, 60 unless the scenario turns it off):
  Laravel's ``throttle`` middleware (``ThrottleRequests`` over
  ``Illuminate\\Cache\\RateLimiter``, decay 60 s), keyed by token.  A key's
  window is fixed: it opens at the first hit and ends 60 s later (Laravel: a
  counter and a timer in the cache, both with that TTL); the next hit after that
  opens a new one.  It is not a sliding window: ``limit`` requests at the end of
  one window and ``limit`` more at the start of the next all pass.  Order as in
  Laravel, where auth runs before the throttle and route middleware only once a
  route matched: a bad token answers 401 and a path or method no route has
  answers 404 ``route_not_found`` / 405, all three unthrottled (no hit, no
  headers).  Every other answer is throttled: a full window answers 429
  ``rate_limit_exceeded`` without processing the request or counting it as a
  hit, with ``X-RateLimit-Limit``, ``X-RateLimit-Remaining: 0``,
  ``Retry-After`` (whole seconds until the window ends, at least 1) and
  ``X-RateLimit-Reset`` (the first whole epoch second at or after the end);
  otherwise the request counts as a hit and its answer, whatever its status,
  carries ``X-RateLimit-Limit`` and ``X-RateLimit-Remaining`` (the limit minus
  the window's hits when the answer is made, as Laravel reads it after the
  handler).  Answers of injected faults are the faults' own (see faults.py);
  a fault that does not process the request does not count as a hit.
  Two options, off the API's path, for comparisons: ``rate_limit_window:
  rolling`` counts the hits of the last 60 s instead (a sliding window: never
  more than ``limit`` in any 60 s; ``Retry-After`` until the oldest leaves it),
  and ``rate_limit_headers: false`` strips every ``X-RateLimit-*`` and
  ``Retry-After`` header, as a proxy in front of the API may.
"""

import json
import math
import re
import threading
import time
from urllib.parse import quote

from .model import dumps

DOC_URL = "https://docs.altostrat.io/errors#"
WINDOWS = ("fixed", "rolling")


class Request:
    def __init__(self, method, path, query, headers, body=b"", base_url=""):
        self.method = method
        self.path = path
        self.query = query          # dict: name -> first value
        self.headers = headers      # email.message.Message (case-insensitive)
        self.body = body
        self.base_url = base_url    # scheme://host[:port] as the client sees it


class Response:
    def __init__(self, status, body=b"", headers=None, content_type="application/json"):
        self.status = status
        self.body = body if isinstance(body, bytes) else dumps(body)
        self.headers = dict(headers or {})
        self.content_type = content_type


def error(status, code, message, headers=None):
    kind = "api_error" if status >= 500 else "invalid_request_error"
    body = {"type": kind, "code": code, "message": message, "doc_url": DOC_URL + code}
    return Response(status, body, headers)


class RateLimiter:
    """Laravel's throttle: per key, a fixed window that opens at the first hit
    (``window="rolling"``: the hits of the last ``decay`` seconds instead).

    ``decay`` (seconds), ``clock`` (monotonic, for the windows) and ``wall``
    (epoch, for ``X-RateLimit-Reset``) exist so that tests can drive it.
    ``per_minute`` None or 0: no limit, no headers.
    """

    def __init__(self, per_minute, decay=60.0, clock=time.monotonic, wall=time.time, window="fixed"):
        if window not in WINDOWS:
            raise ValueError("window must be one of %s, got %r" % (", ".join(WINDOWS), window))
        self.limit = int(per_minute or 0)
        self.decay = float(decay)
        self.clock = clock
        self.wall = wall
        self.rolling = window == "rolling"
        self.lock = threading.Lock()
        self.windows = {}  # key -> [end (clock time), hits]; rolling: key -> [hit times]

    def _window(self, key, now):
        win = self.windows.get(key)
        if self.rolling:  # [when the oldest hit leaves the window, hits in it]
            if win is not None:
                win[:] = [t for t in win if t > now - self.decay]
            return [win[0] + self.decay if win else now + self.decay, len(win or ())]
        if win is not None and now >= win[0]:
            del self.windows[key]
            win = None
        return win

    def hit(self, key):
        """Count a hit unless the key's window is full: (allowed, 429 headers or None)."""
        if not self.limit:
            return True, None
        now = self.clock()
        with self.lock:
            if self.rolling:
                self.windows.setdefault(key, [])
            win = self._window(key, now)
            if win is None:
                win = self.windows[key] = [now + self.decay, 0]
            if win[1] >= self.limit:
                left = round(win[0] - now, 6)  # no 61 s from float noise
                return False, {"X-RateLimit-Limit": str(self.limit),
                               "X-RateLimit-Remaining": "0",
                               "Retry-After": str(max(1, math.ceil(left))),
                               "X-RateLimit-Reset": str(math.ceil(self.wall() + left))}
            if self.rolling:
                self.windows[key].append(now)
            else:
                win[1] += 1
            return True, None

    def headers(self, key):
        """The headers of a throttled, answered request (empty without a limit)."""
        if not self.limit:
            return {}
        with self.lock:
            win = self._window(key, self.clock())
            hits = win[1] if win is not None else 0
        return {"X-RateLimit-Limit": str(self.limit),
                "X-RateLimit-Remaining": str(max(0, self.limit - hits))}


class Api:
    def __init__(self, store, tokens, per_page=15, rate_limit_per_minute=None, rate_limit_window="fixed",
                 rate_limit_headers=True):
        self.store = store
        self.tokens = set(tokens)
        self.per_page = per_page
        self.limiter = RateLimiter(rate_limit_per_minute, window=rate_limit_window)
        self.limit_headers = rate_limit_headers
        rid = r"(?P<run>[^/]+)"
        wid = r"(?P<wf>[^/]+)"
        self.routes = [
            (re.compile(r"/workflows/runs/%s/rerun" % rid), {"POST": self.rerun}),
            (re.compile(r"/workflows/runs/%s/resume-from/(?P<node>[^/]+)" % rid),
             {"POST": self.resume}),
            (re.compile(r"/workflows/runs/%s" % rid), {"GET": self.get_run}),
            (re.compile(r"/workflows/%s/executions" % wid), {"GET": self.list_runs}),
            (re.compile(r"/workflows/%s/execute" % wid), {"POST": self.execute}),
        ]

    # -- entry point --------------------------------------------------------
    def token_of(self, req):
        auth = req.headers.get("Authorization") or ""
        scheme, _unused, token = auth.partition(" ")
        if scheme.lower() != "bearer" or token.strip() not in self.tokens:
            return None
        return token.strip()

    def handle(self, req):
        token = self.token_of(req)
        if token is None:
            return error(401, "unauthenticated", "Unauthenticated.")
        handler, args = self.route(req)
        if handler is None:
            return args  # no route: answered before the throttle
        allowed, limited = self.limiter.hit(token)
        if not allowed:
            return error(429, "rate_limit_exceeded", "Too Many Attempts.", limited if self.limit_headers else None)
        resp = handler(req, token, **args)
        if self.limit_headers:
            for name, value in self.limiter.headers(token).items():
                resp.headers.setdefault(name, value)
        return resp

    def route(self, req):
        """(handler, path arguments), or (None, the 404/405 answer)."""
        path = req.path.rstrip("/") or "/"
        for pattern, methods in self.routes:
            m = pattern.fullmatch(path)
            if not m:
                continue
            handler = methods.get(req.method)
            if handler is None:
                return None, error(405, "method_not_allowed",
                                   "The %s method is not supported for route %s. Supported "
                                   "methods: %s." % (req.method, path, ", ".join(methods)),
                                   {"Allow": ", ".join(methods)})
            return handler, m.groupdict()
        return None, error(404, "route_not_found", "The route %s could not be found." % path)

    # -- helpers ------------------------------------------------------------
    def _run_or_404(self, run_id):
        run = self.store.get_run(run_id)
        if run is None:
            return None, error(404, "resource_missing", "Workflow run %s not found." % run_id)
        return run, None

    def _idempotent(self, req, token, body_key, create):
        """Run ``create()`` (-> Response) at most once per Idempotency-Key."""
        key = req.headers.get("Idempotency-Key")
        if not key:
            return create()
        scope = (token, key)
        request_key = (req.method, req.path, body_key)
        with self.store.lock:
            rec = self.store.idem_get(scope)
            if rec is not None:
                if rec["request"] != request_key:
                    return error(422, "idempotency_key_in_use",
                                 "Keys for idempotent requests can only be used with the "
                                 "same parameters they were first used with.")
                return Response(rec["status"], rec["body"], {"Idempotent-Replayed": "true"})
            resp = create()
            if 200 <= resp.status < 300:
                self.store.idem_put(scope, request_key, resp.status, resp.body)
            return resp

    # -- endpoints ----------------------------------------------------------
    def get_run(self, req, token, run):
        found, err = self._run_or_404(run)
        return err or Response(200, found.to_json())

    def list_runs(self, req, token, wf):
        if not self.store.has_workflow(wf):
            return error(404, "resource_missing", "Workflow %s not found." % wf)
        try:
            page = max(1, int(req.query.get("page", "1")))
        except ValueError:
            page = 1
        runs = self.store.workflow_runs(wf)
        total, per = len(runs), self.per_page
        last = max(1, math.ceil(total / per))
        chunk = runs[(page - 1) * per: page * per]
        now = time.time()
        base = "%s/workflows/%s/executions" % (req.base_url, quote(wf, safe=""))

        def url(n):
            return "%s?page=%d" % (base, n)

        start = (page - 1) * per + 1
        body = {
            "data": [r.to_dict(now, logs=False) for r in chunk],
            "links": {"first": url(1), "last": url(last),
                      "prev": url(page - 1) if page > 1 else None,
                      "next": url(page + 1) if page < last else None},
            "meta": {"current_page": page, "from": start if chunk else None,
                     "last_page": last, "path": base, "per_page": per,
                     "to": start + len(chunk) - 1 if chunk else None, "total": total},
        }
        return Response(200, body)

    def execute(self, req, token, wf):
        if not self.store.has_workflow(wf):
            return error(404, "resource_missing", "Workflow %s not found." % wf)
        context = {}
        if req.body.strip():
            try:
                payload = json.loads(req.body)
            except ValueError:
                return error(422, "body_invalid", "The request body is not valid JSON.")
            if not isinstance(payload, dict):
                return error(422, "parameter_invalid", "The request body must be an object.")
            context = payload.get("context")
            if context is None:
                context = {}
            elif not isinstance(context, dict):
                return error(422, "parameter_invalid", "The context field must be an object.")
        body_key = json.dumps(context, sort_keys=True)

        def create():
            run = self.store.create_run(wf, self.store.workflow_template(wf), context)
            return Response(201, run.to_json())

        return self._idempotent(req, token, body_key, create)

    def rerun(self, req, token, run):
        original, err = self._run_or_404(run)
        if err:
            return err

        def create():
            new = self._derive(original)
            return Response(202, {"message": "Workflow run has been queued for re-execution.",
                                  "new_run": json.loads(new.to_json())})

        return self._idempotent(req, token, "", create)

    def resume(self, req, token, run, node):
        original, err = self._run_or_404(run)
        if err:
            return err
        now = time.time()
        if original.current_status(now) != "failed":
            return error(422, "run_not_failed",
                         "Only failed workflow runs can be resumed; run %s is %s."
                         % (run, original.current_status(now)))
        if not original.node_succeeded(node, now):
            return error(422, "parameter_invalid",
                         "Node %s did not complete successfully in run %s." % (node, run))

        def create():
            new = self._derive(original)
            return Response(202, {"message": "Workflow run has been queued to resume from "
                                             "node %s." % node,
                                  "new_run": json.loads(new.to_json())})

        return self._idempotent(req, token, node, create)

    def _derive(self, original):
        payload = original.extra.get("trigger_payload", {})
        return self.store.create_run(original.workflow_id, original.template(), payload)
