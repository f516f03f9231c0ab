"""Recording of every API request (control requests under /_emulator/ excluded).

Each record is a dict::

    {"method", "path", "query" (raw string), "params" (dict), "headers" (dict,
     Authorization removed), "auth_present", "auth_ok", "authorization" (raw
     header value or None, to check that redirects do not leak it),
     "idempotency_key", "status" (int, or None while unanswered / for drop and
     hang), "fault" (kind or None), "time" (epoch seconds), "arrived"
     (``time.monotonic()`` when the request had been read), "elapsed" (s, by
     the monotonic clock), "client_port" (the client's source port: one per
     pooled connection)}

``count`` filters by method, path, path prefix and status; ``max_in_window``
is the most requests that arrived within any ``seconds``-long span (a
half-open window ``[t, t + seconds)``), to check a client against a limit such
as 60 a minute.
"""

import threading
import time


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.records = []

    def record(self, method, path, query, params, headers, auth_ok, client=None):
        auth = headers.get("Authorization")
        rec = {
            "method": method,
            "path": path,
            "query": query,
            "params": params,
            "headers": {k: v for k, v in headers.items() if k.lower() != "authorization"},
            "auth_present": auth is not None,
            "auth_ok": auth_ok,
            "authorization": auth,
            "idempotency_key": headers.get("Idempotency-Key"),
            "status": None,
            "fault": None,
            "time": time.time(),
            "arrived": time.monotonic(),
            "elapsed": None,
            "client_port": client[1] if client else None,
        }
        with self.lock:
            self.records.append(rec)
        return rec

    @staticmethod
    def finish(rec):
        rec["elapsed"] = round(time.monotonic() - rec["arrived"], 6)

    def snapshot(self):
        with self.lock:
            return list(self.records)

    def reset(self):
        with self.lock:
            self.records = []

    def select(self, method=None, path=None, path_prefix=None, status=None):
        """The records that match every filter given."""
        method = method.upper() if method else None
        return [
            r for r in self.snapshot()
            if (method is None or r["method"] == method)
            and (path is None or r["path"] == path)
            and (path_prefix is None or r["path"].startswith(path_prefix))
            and (status is None or r["status"] == status)
        ]

    def count(self, method=None, path=None, path_prefix=None, status=None):
        return len(self.select(method, path, path_prefix, status))

    def max_in_window(self, seconds=60.0, method=None, path_prefix=None):
        """The largest number of matching requests arriving in any half-open
        window ``[t, t + seconds)``."""
        return most_within(sorted(r["arrived"] for r in self.select(method, None, path_prefix)), seconds)

    def counts(self):
        out = {}
        for r in self.snapshot():
            key = "%s %s" % (r["method"], r["path"])
            out[key] = out.get(key, 0) + 1
        return out


def most_within(times, seconds):
    """The most of the sorted ``times`` in any half-open window ``[t, t + seconds)``."""
    best, first = 0, 0
    for last, t in enumerate(times):
        while t - times[first] >= seconds:
            first += 1
        best = max(best, last - first + 1)
    return best
