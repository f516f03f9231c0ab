"""Local stand-in ("emulator") of the Altostrat Workflows API, for tests.

Put ``<repo>/tests`` on ``sys.path`` (``PYTHONPATH=tests``), then::

    from emulator import Emulator
    with Emulator({"runs": [{"id": "fl_run_ok", "workflow_id": "fl_wf"}]}) as emu:
        requests.get(emu.url + "/workflows/runs/fl_run_ok",
                     headers={"Authorization": "Bearer test-token"})

or ``python -m emulator --port 0 --scenario tests/scenarios/demo.yml``.

Scenario schema (YAML or JSON; every key optional)::

    tokens: [test-token]          # accepted bearer tokens
    per_page: 15                  # page size of /workflows/{id}/executions
    rate_limit_per_minute: 60     # per token, Laravel's fixed 60 s window (api.py);
                                  # absent: 60; null or 0: no limit
    rate_limit_window: fixed      # fixed (Laravel's, from the first hit) | rolling (any 60 s)
    rate_limit_headers: true      # false: no X-RateLimit-* / Retry-After (a proxy strips them)
    runs:
      - id: fl_run_ok
        workflow_id: fl_deploy
        pending_for: 0.2          # s pending, counted from emulator start
        duration: 2               # s running, then the final status
        status: completed         # completed | failed | awaiting_ui_interaction
        error_message: null       # shown once the final status is reached
        steps: 3                  # log entries, appearing evenly while running
        failed_steps: []          # 0-based entry indexes with status "error"
        warning_steps: []         # ... with status "warning"
        output_size: 0            # pad each log output to about this many bytes
        finished: false           # true: created long ago (1 h + its duration)
        age: null                 # or: created this many seconds before start
        status_override: null     # raw status shown instead (e.g. "queued_v2") ...
        status_override_for: null # ... for this many seconds (null: forever)
        log_extra: {}             # extra fields added to every log entry
        extra: {}                 # extra run fields, verbatim (trigger_payload, ...)
        rerun_template: null      # template for reruns/resumes of this run
      - id_prefix: fl_run_bulk_   # generates fl_run_bulk_000 .. _049
        count: 50
        workflow_id: fl_bulk
        finished: true            # generated finished runs are 60 s apart
    workflows:                    # runs' workflows exist implicitly
      - id: fl_deploy
        run_template: {duration: 3, status: completed, steps: 3}
    faults: [...]                 # see faults.py

Log entry ``i`` has ``node_id`` ``"n<i>"``, ``component_id`` null when
``i % 3 == 2`` (else ``"webhook"``) and id ``fl_log_<run id suffix>_<i:04d>``.
See api.py for the choices made where the API reference is silent.
"""

from .app import Emulator
from .scenario import ScenarioError, load_scenario

__all__ = ["Emulator", "ScenarioError", "load_scenario"]
