"""pytest fixtures for the Altostrat API emulator.

Load with ``pytest_plugins = ["emulator.pytest_plugin"]`` from a conftest that
has put ``<repo>/tests`` on ``sys.path``.

``emulator_factory(scenario=None, **kwargs)`` -> a started ``Emulator`` (kwargs
as for ``Emulator``); every one is stopped at test teardown, in the background:
``Emulator.stop()`` waits up to the server's poll interval, and an emulator is no
longer used once its test is over, so nothing needs to wait for that.

``emulator`` -> a started ``Emulator`` on ``DEFAULT_SCENARIO`` (token
``test-token``, 15 runs a page, 60 requests a minute as the real API).  Run ids:

``fl_run_completed``      fl_wf_main, finished long ago, completed, 3 success steps
``fl_run_failed``         fl_wf_main, finished, failed, error_message
                          "Webhook request failed: 503 Service Unavailable";
                          logs n0, n1 success, n2 error (resume-from n0/n1 allowed)
``fl_run_completed_warn`` fl_wf_main, finished, completed *with* error_message
                          "Step n1 returned a warning"; n1 is a warning step
``fl_run_awaiting``       fl_wf_main, awaiting_ui_interaction (forever), 2 steps
``fl_run_slow``           fl_wf_main, pending 0.2 s, running 2.8 s, then completed
                          (3 steps appearing while it runs): finishes ~3 s after start
``fl_run_forever``        fl_wf_main, running for an hour (for timeouts)
``fl_run_page_000`` .. ``fl_run_page_039``
                          fl_wf_paged, 40 finished completed runs, newest first =
                          highest index: 3 pages of 15/15/10

Workflows: ``fl_wf_main`` (new runs: 0.2 s pending, 1 s running, 3 steps,
completed, trigger_payload = posted context), ``fl_wf_fails`` (new runs fail
after 1 s at step n1 with an error_message), ``fl_wf_paged``.
"""

import contextlib
import threading

import pytest

from .app import Emulator

DEFAULT_SCENARIO = {
    "tokens": ["test-token"],
    "per_page": 15,
    "rate_limit_per_minute": 60,
    "workflows": [
        {"id": "fl_wf_main",
         "run_template": {"pending_for": 0.2, "duration": 1, "status": "completed", "steps": 3}},
        {"id": "fl_wf_fails",
         "run_template": {"pending_for": 0.2, "duration": 1, "status": "failed", "steps": 2,
                          "failed_steps": [1],
                          "error_message": "Webhook request failed: 500 Internal Server Error"}},
        {"id": "fl_wf_paged"},
    ],
    "runs": [
        {"id": "fl_run_completed", "workflow_id": "fl_wf_main", "finished": True,
         "status": "completed", "steps": 3, "extra": {"trigger_payload": {"env": "prod"}}},
        {"id": "fl_run_failed", "workflow_id": "fl_wf_main", "finished": True,
         "status": "failed", "steps": 3, "failed_steps": [2],
         "error_message": "Webhook request failed: 503 Service Unavailable",
         "extra": {"trigger_payload": {"env": "staging"}}},
        {"id": "fl_run_completed_warn", "workflow_id": "fl_wf_main", "finished": True,
         "status": "completed", "steps": 3, "warning_steps": [1],
         "error_message": "Step n1 returned a warning"},
        {"id": "fl_run_awaiting", "workflow_id": "fl_wf_main", "pending_for": 0, "duration": 0,
         "status": "awaiting_ui_interaction", "steps": 2},
        {"id": "fl_run_slow", "workflow_id": "fl_wf_main", "pending_for": 0.2, "duration": 2.8,
         "status": "completed", "steps": 3},
        {"id": "fl_run_forever", "workflow_id": "fl_wf_main", "pending_for": 0,
         "duration": 3600, "status": "completed", "steps": 3},
        {"id_prefix": "fl_run_page_", "count": 40, "workflow_id": "fl_wf_paged",
         "finished": True, "status": "completed", "steps": 1, "duration": 1},
    ],
}


@contextlib.contextmanager
def emulator_pool(background=False):
    """``make(scenario=None, **kwargs)`` -> a started ``Emulator``; all are stopped on exit (``background``: in threads)."""
    started = []

    def make(scenario=None, **kwargs):
        emu = Emulator(scenario, **kwargs).start()
        started.append(emu)
        return emu

    try:
        yield make
    finally:
        for emu in started:
            if background:
                threading.Thread(target=emu.stop, name='stop-emulator', daemon=True).start()
            else:
                emu.stop()


@pytest.fixture
def emulator_factory():
    with emulator_pool(background=True) as make:
        yield make


@pytest.fixture
def emulator(emulator_factory):
    return emulator_factory(DEFAULT_SCENARIO)
