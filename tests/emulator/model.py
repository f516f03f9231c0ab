"""Runs, workflows and their progression in real (wall-clock) time.

A run is created at ``created`` (epoch seconds).  It is ``pending`` for
``pending_for`` seconds, ``running`` for ``duration`` seconds, then shows its
final ``status``.  Log entries appear one by one while it runs: entry ``i`` (of
``steps``) appears at ``pending_for + duration * (i + 1) / steps``.
``started_at`` is the creation time; ``completed_at``/``duration_in_seconds``
stay null until the final status is reached (and forever for
``awaiting_ui_interaction``, which is not a finished state).
"""

import json
import threading
import time
import uuid
from datetime import datetime, timezone

FINISHED_STATUSES = ("completed", "failed")
FINAL_STATUSES = ("completed", "failed", "awaiting_ui_interaction")

# Keys a run spec / run template may carry, with their defaults.
RUN_DEFAULTS = {
    "pending_for": 0.2,
    "duration": 2.0,
    "status": "completed",
    "error_message": None,
    "steps": 3,
    "failed_steps": [],
    "warning_steps": [],
    "output_size": 0,
    "status_override": None,
    "status_override_for": None,
    "log_extra": {},
}
TEMPLATE_KEYS = set(RUN_DEFAULTS)
RUN_KEYS = TEMPLATE_KEYS | {
    "id", "workflow_id", "finished", "age", "extra", "rerun_template",
}
DEFAULT_TEMPLATE = {"pending_for": 0.2, "duration": 1.0, "status": "completed", "steps": 3}


def iso(ts):
    """Epoch seconds -> ``2025-10-31T12:00:00.000000Z``."""
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def dumps(obj):
    return json.dumps(obj, separators=(",", ":")).encode("utf-8")


def new_id(prefix):
    return prefix + uuid.uuid4().hex[:26]


class Run:
    """One workflow run.  Thread-safe for reads; immutable after creation."""

    def __init__(self, spec, created, seq):
        params = dict(RUN_DEFAULTS)
        params.update({k: v for k, v in spec.items() if k in TEMPLATE_KEYS})
        self.id = spec["id"]
        self.workflow_id = spec["workflow_id"]
        self.created = created
        self.seq = seq
        self.params = params
        self.extra = dict(spec.get("extra") or {})
        self.rerun_template = spec.get("rerun_template")
        self.pending_for = float(params["pending_for"])
        self.duration = float(params["duration"])
        self.final_status = params["status"]
        self.steps = int(params["steps"])
        self._entries = None
        self._cache = {}
        self._lock = threading.Lock()

    # -- timing -------------------------------------------------------
    @property
    def end_offset(self):
        return self.pending_for + self.duration

    def step_offset(self, i):
        return self.pending_for + self.duration * (i + 1) / self.steps

    def state(self, now):
        """Return (status, n_visible_logs, finished, settled) at ``now``."""
        elapsed = now - self.created
        if elapsed < self.pending_for:
            status, n = "pending", 0
        elif elapsed < self.end_offset:
            status = "running"
            n = sum(1 for i in range(self.steps) if self.step_offset(i) <= elapsed)
        else:
            status, n = self.final_status, self.steps
        finished = elapsed >= self.end_offset and status in FINISHED_STATUSES
        settled = elapsed >= self.end_offset
        override = self.params["status_override"]
        if override is not None:
            until = self.params["status_override_for"]
            if until is None or elapsed < float(until):
                status, finished = override, False
                settled = until is None and elapsed >= self.end_offset
        return status, n, finished, settled

    def current_status(self, now=None):
        return self.state(time.time() if now is None else now)[0]

    # -- logs ------------------------------------------------------------
    def _entry_status(self, i):
        if i in self.params["failed_steps"]:
            return "error"
        if i in self.params["warning_steps"]:
            return "warning"
        return "success"

    def entries(self):
        with self._lock:
            if self._entries is None:
                self._entries = [self._make_entry(i) for i in range(self.steps)]
            return self._entries

    def _make_entry(self, i):
        status = self._entry_status(i)
        if status == "error":
            output = {"status": 503, "body": {"message": "Service Unavailable"}}
        elif status == "warning":
            output = {"status": 200, "body": {"message": "ok"}, "warning": "slow response"}
        else:
            output = {"status": 200, "body": {"message": "ok"}}
        size = int(self.params["output_size"] or 0)
        if size:
            base = len(dumps(output)) + len(',"padding":""')
            output["padding"] = "x" * max(0, size - base)
        suffix = self.id[len("fl_run_"):] if self.id.startswith("fl_run_") else self.id
        entry = {
            "id": "fl_log_%s_%04d" % (suffix, i),
            "node_id": "n%d" % i,
            "component_id": None if i % 3 == 2 else "webhook",
            "status": status,
            "output": output,
            "created_at": iso(self.created + self.step_offset(i)),
        }
        entry.update(self.params["log_extra"] or {})
        return entry

    # -- serialisation ---------------------------------------------------
    def to_dict(self, now, logs=True):
        status, n, finished, settled = self.state(now)
        final = settled and status == self.final_status
        out = {
            "id": self.id,
            "workflow_id": self.workflow_id,
            "status": status,
            "error_message": self.params["error_message"] if final else None,
            "started_at": iso(self.created),
            "completed_at": iso(self.created + self.end_offset) if finished else None,
            "duration_in_seconds": int(round(self.end_offset)) if finished else None,
        }
        if logs:
            out["logs"] = self.entries()[:n]
        out.update(self.extra)
        return out

    def to_json(self, now=None, logs=True):
        """Serialized run; cached once the run no longer changes."""
        now = time.time() if now is None else now
        key = "logs" if logs else "nologs"
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        body = dumps(self.to_dict(now, logs=logs))
        if self.state(now)[3]:
            self._cache[key] = body
        return body

    def template(self):
        """The template new runs derived from this one (rerun/resume) follow."""
        if self.rerun_template is not None:
            return dict(self.rerun_template)
        return dict(self.params)

    def node_succeeded(self, node_id, now):
        _unused, n, _unused, _unused = self.state(now)
        return any(e["node_id"] == node_id and e["status"] == "success"
                   for e in self.entries()[:n])


class Store:
    """All runs and workflows, plus idempotency records."""

    IDEMPOTENCY_TTL = 24 * 3600

    def __init__(self):
        self.lock = threading.RLock()
        self.runs = {}
        self.workflows = {}
        self.runs_created = 0
        self._seq = 0
        self._idem = {}

    def add_workflow(self, wf_id, template=None):
        with self.lock:
            if template is not None or wf_id not in self.workflows:
                self.workflows[wf_id] = template

    def add_run(self, spec, created):
        with self.lock:
            self._seq += 1
            run = Run(spec, created, self._seq)
            self.runs[run.id] = run
            self.add_workflow(run.workflow_id)
            return run

    def get_run(self, run_id):
        with self.lock:
            return self.runs.get(run_id)

    def has_workflow(self, wf_id):
        with self.lock:
            return wf_id in self.workflows

    def workflow_runs(self, wf_id):
        """Runs of a workflow, newest first."""
        with self.lock:
            runs = [r for r in self.runs.values() if r.workflow_id == wf_id]
        return sorted(runs, key=lambda r: (r.created, r.seq), reverse=True)

    def workflow_template(self, wf_id):
        with self.lock:
            return dict(self.workflows.get(wf_id) or DEFAULT_TEMPLATE)

    def create_run(self, wf_id, template, trigger_payload):
        """A new run (execute / rerun / resume) starting now."""
        spec = {k: v for k, v in template.items() if k in TEMPLATE_KEYS}
        spec.update(id=new_id("fl_run_"), workflow_id=wf_id,
                    extra={"trigger_payload": trigger_payload})
        with self.lock:
            run = self.add_run(spec, time.time())
            self.runs_created += 1
            return run

    # -- idempotency -----------------------------------------------------
    def idem_get(self, scope):
        with self.lock:
            rec = self._idem.get(scope)
            if rec and time.time() - rec["time"] > self.IDEMPOTENCY_TTL:
                del self._idem[scope]
                return None
            return rec

    def idem_put(self, scope, request_key, status, body):
        with self.lock:
            self._idem[scope] = {"request": request_key, "status": status,
                                 "body": body, "time": time.time()}
