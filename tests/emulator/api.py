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
- 429 carries ``Retry-After`` (whole seconds) and ``X-RateLimit-*`` headers.
"""

import collections
import json
import math
import re
import threading
import time
from urllib.parse import quote

from .model import dumps

DOC_URL = "https://docs.altostrat.io/errors#"


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
    """Sliding one-minute window per token."""

    def __init__(self, per_minute):
        self.per_minute = per_minute
        self.lock = threading.Lock()
        self.hits = collections.defaultdict(collections.deque)

    def check(self, token):
        """Return (allowed, headers)."""
        if not self.per_minute:
            return True, {}
        now = time.monotonic()
        with self.lock:
            hits = self.hits[token]
            while hits and now - hits[0] >= 60:
                hits.popleft()
            if len(hits) >= self.per_minute:
                wait = max(1, math.ceil(60 - (now - hits[0])))
                return False, {"Retry-After": str(wait),
                               "X-RateLimit-Limit": str(self.per_minute),
                               "X-RateLimit-Remaining": "0"}
            hits.append(now)
            return True, {"X-RateLimit-Limit": str(self.per_minute),
                          "X-RateLimit-Remaining": str(self.per_minute - len(hits))}


class Api:
    def __init__(self, store, tokens, per_page=15, rate_limit_per_minute=None):
        self.store = store
        self.tokens = set(tokens)
        self.per_page = per_page
        self.limiter = RateLimiter(rate_limit_per_minute)
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
        allowed, rl_headers = self.limiter.check(token)
        if not allowed:
            return error(429, "rate_limit_exceeded", "Too Many Attempts.", rl_headers)
        resp = self.route(req, token)
        for name, value in rl_headers.items():
            resp.headers.setdefault(name, value)
        return resp

    def route(self, req, token):
        path = req.path.rstrip("/") or "/"
        for pattern, methods in self.routes:
            m = pattern.fullmatch(path)
            if not m:
                continue
            handler = methods.get(req.method)
            if handler is None:
                return error(405, "method_not_allowed",
                             "The %s method is not supported for route %s. Supported "
                             "methods: %s." % (req.method, path, ", ".join(methods)),
                             {"Allow": ", ".join(methods)})
            return handler(req, token, **m.groupdict())
        return error(404, "route_not_found", "The route %s could not be found." % path)

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
