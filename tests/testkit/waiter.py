"""The waiter's tests' fakes (``tests/unit/plugins/module_utils/test_waiter_*.py``).

* ``ScriptedClient``: a client whose ``get_run`` answers each run from a script, recording every call;
* ``scripted_waiter(scripts, clock, ...)``: a Waiter over a ScriptedClient on the fake clock, with its warnings and
  progress lines; ``wait(waiter, run_ids, known)``: ``(runs, elapsed)``;
* ``transient(run_id)``, ``fatal(run_id)``: the errors a poll may end in (a 503, a 404).
"""

import threading

from ansible_collections.altostrat.cloud.plugins.module_utils._deadline import Deadline
from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratAPIError
from ansible_collections.altostrat.cloud.plugins.module_utils._waiter import Waiter


def transient(run_id='x'):
    return AltostratAPIError('GET /workflows/runs/%s failed: HTTP 503 Service Unavailable: Server Error.' % run_id,
                             method='GET', status=503, transient=True)


def fatal(run_id='x'):
    return AltostratAPIError('GET /workflows/runs/%s failed: HTTP 404 Not Found: gone.' % run_id,
                             method='GET', status=404)


class ScriptedClient:
    """``get_run`` answers each run id with the next item of its script (the last one repeats).

    Items are a status string, a run dict, or an exception to raise. ``calls`` records
    ``(run_id, clock time, deadline)``, ``retries`` and ``patience`` what each call asked; the deadline is ``wait_timeout``
    from now.
    """

    def __init__(self, scripts, clock, wait_timeout=3600):
        self.scripts = dict((run_id, list(items)) for run_id, items in scripts.items())
        self.clock = clock
        self.deadline = Deadline(wait_timeout, clock)
        self.sleep = clock.sleep
        self.calls = []
        self.retries = []
        self.patience = []
        self.lock = threading.Lock()

    def get_run(self, run_id, retry=True, patience=None):
        with self.lock:
            self.calls.append((run_id, self.clock(), self.deadline.at))
            self.retries.append(retry)
            self.patience.append(patience)
            script = self.scripts[run_id]
            item = script.pop(0) if len(script) > 1 else script[0]
        if isinstance(item, Exception):
            raise item
        if isinstance(item, dict):
            return dict(item)
        return {'id': run_id, 'status': item, 'logs': []}

    def polled(self, run_id=None):
        return [c[0] for c in self.calls if run_id is None or c[0] == run_id]


def scripted_waiter(scripts, clock, wait_timeout=3600, **kwargs):
    client = ScriptedClient(scripts, clock, wait_timeout)
    warnings, progress = [], []
    kwargs.setdefault('poll_interval', 1.0)
    kwargs.setdefault('max_poll_interval', 15.0)
    waiter = Waiter(client, warn=warnings.append, progress=progress.append, sleep=clock.sleep, **kwargs)
    return client, waiter, warnings, progress


def wait(waiter, run_ids, known=None):
    """``(runs, elapsed)`` of ``waiter.wait(run_ids)``, with the runs of ``known`` seen already."""
    waiter.seen.update(known or {})
    return waiter.wait(run_ids), waiter.deadline.elapsed()
