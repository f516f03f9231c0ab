"""The ``Emulator`` object: a scenario, a store, faults, a recorder, a server."""

import os
import ssl
import threading
import time

from .api import Api
from .faults import FaultSet
from .model import Store
from .scenario import check_faults, creation_time, expand_runs, load_scenario
from .server import Server, serve_in_thread
from .stats import Recorder


class Emulator:
    """A local stand-in of the Altostrat Workflows API.

    ``Emulator(scenario, port=0, host="127.0.0.1", tls_cert=None, tls_key=None)``;
    ``scenario`` is a dict, a path to a .yml/.yaml/.json file, or None.
    ``start()`` serves in a background thread and returns self; ``stop()`` ends
    it (also closing open keep-alive and hanging connections).  Usable as a
    context manager.
    """

    def __init__(self, scenario=None, port=0, host="127.0.0.1", tls_cert=None, tls_key=None,
                 verbose=False):
        self.scenario = load_scenario(scenario)
        self.host = host
        self.port = port
        self.tls_cert = os.fspath(tls_cert) if tls_cert else None
        self.tls_key = os.fspath(tls_key) if tls_key else None
        self.verbose = verbose
        self.scheme = "https" if self.tls_cert else "http"
        self.stop_event = threading.Event()
        self.store = Store()
        self.recorder = Recorder()
        self.faults = FaultSet(self.scenario["faults"])
        self.api = Api(self.store, self.scenario["tokens"], self.scenario["per_page"],
                       self.scenario["rate_limit_per_minute"], self.scenario["rate_limit_window"],
                       self.scenario["rate_limit_headers"])
        for wf in self.scenario["workflows"]:
            self.store.add_workflow(wf["id"], wf["run_template"])
        self._add_run_specs(self.scenario["runs"])
        self._server = None
        self._thread = None

    # -- lifecycle ------------------------------------------------------------
    def start(self):
        if self._server is not None:
            return self
        ctx = None
        if self.tls_cert:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(self.tls_cert, self.tls_key)
        self.stop_event.clear()
        self._server = Server((self.host, self.port), self, ctx)
        self.port = self._server.server_address[1]
        # Scenario runs progress, and scenario faults are timed, from emulator start.
        self.faults.start()
        now = time.time()
        for spec in self.scenario["runs"]:
            run = self.store.get_run(spec["id"])
            if run is not None and spec.get("age") is None and not spec.get("finished"):
                run.created = now
        self._thread = serve_in_thread(self._server)
        return self

    def stop(self):
        server, self._server = self._server, None
        if server is None:
            return
        self.stop_event.set()
        server.shutdown()
        server.close_all_connections()
        server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def url(self):
        host = self.host if ":" not in self.host else "[%s]" % self.host
        return "%s://%s:%d" % (self.scheme, host, self.port)

    # -- scenario changes at run time -------------------------------------------
    def _add_run_specs(self, specs):
        now = time.time()
        for spec in specs:
            self.store.add_run(spec, creation_time(spec, now))
        return len(specs)

    def add_runs(self, specs):
        """Add runs (scenario schema, bulk entries allowed); they start now."""
        return self._add_run_specs(expand_runs(specs))

    def add_faults(self, specs):
        """Add faults (faults.py); timed ones count from this call."""
        specs = check_faults(specs)
        self.faults.add(specs)
        return len(specs)

    def add_fault(self, **spec):
        """Add one fault, given as keywords (``add_fault(path=..., kind='status', status=503)``)."""
        return self.add_faults([spec])

    def clear_faults(self):
        self.faults.clear()

    def run(self, run_id):
        """The ``model.Run`` with that id, or None."""
        return self.store.get_run(run_id)

    # -- counting ---------------------------------------------------------------
    @property
    def requests(self):
        """Recorded API requests (see stats.py for the record fields)."""
        return self.recorder.snapshot()

    def count(self, method=None, path=None, path_prefix=None, status=None):
        """Recorded requests matching every filter given (``status``: the answer's)."""
        return self.recorder.count(method, path, path_prefix, status)

    def max_in_window(self, seconds=60.0, method=None, path_prefix=None):
        """The most recorded requests (matching the filters) that arrived within
        any half-open window of ``seconds``: e.g. ``<= 60`` for 60 a minute."""
        return self.recorder.max_in_window(seconds, method, path_prefix)

    @property
    def runs_created(self):
        return self.store.runs_created

    @property
    def idempotency_keys(self):
        """Idempotency-Key header values seen, in order (repeats included)."""
        return [r["idempotency_key"] for r in self.requests if r["idempotency_key"]]

    def reset_stats(self):
        self.recorder.reset()
        with self.store.lock:
            self.store.runs_created = 0

    def stats(self):
        reqs = self.requests
        return {"counts": self.recorder.counts(), "total": len(reqs),
                "runs_created": self.runs_created,
                "requests": [dict(r, headers=dict(r["headers"])) for r in reqs]}
