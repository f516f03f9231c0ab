"""Counters, control endpoints, scenario files, the CLI and TLS."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import requests
import yaml

from emulator import Emulator, ScenarioError, load_scenario
from emulator.pytest_plugin import DEFAULT_SCENARIO

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
RUN = "/workflows/runs/fl_run_completed"


def test_counters_and_keep_alive(emulator, session):
    for _unused in range(3):
        assert session.get(emulator.url + RUN).ok
    session.get(emulator.url + "/workflows/fl_wf_paged/executions", params={"page": 2})
    session.post(emulator.url + "/workflows/fl_wf_main/execute",
                 headers={"Idempotency-Key": "abc"})
    assert emulator.count() == 5
    assert emulator.count(path=RUN) == 3
    assert emulator.count(method="get") == 4
    assert emulator.count(method="POST", path_prefix="/workflows/fl_wf_main") == 1
    assert emulator.runs_created == 1 and emulator.idempotency_keys == ["abc"]
    assert emulator.requests[3]["params"] == {"page": "2"}
    assert emulator.requests[3]["query"] == "page=2"
    assert len({r["client_port"] for r in emulator.requests}) == 1  # one pooled connection
    stats = requests.get(emulator.url + "/_emulator/stats").json()
    assert stats["total"] == 5 and stats["runs_created"] == 1
    assert stats["counts"]["GET " + RUN] == 3 and len(stats["requests"]) == 5
    assert requests.post(emulator.url + "/_emulator/reset-stats").ok
    assert emulator.count() == 0 and emulator.runs_created == 0
    assert requests.get(emulator.url + "/_emulator/health").json()["status"] == "ok"
    assert emulator.count() == 0  # control calls are not counted


def test_add_runs(emulator, session):
    r = requests.post(emulator.url + "/_emulator/runs",
                      json=[{"id_prefix": "fl_run_more_", "count": 3, "workflow_id": "fl_new",
                             "finished": True, "status": "failed"}])
    assert r.status_code == 201 and r.json() == {"added": 3}
    listed = session.get(emulator.url + "/workflows/fl_new/executions").json()
    assert [x["id"] for x in listed["data"]] == ["fl_run_more_002", "fl_run_more_001",
                                                 "fl_run_more_000"]
    emulator.add_runs([{"id": "fl_run_py", "workflow_id": "fl_new", "pending_for": 5}])
    assert session.get(emulator.url + "/workflows/runs/fl_run_py").json()["status"] == "pending"
    bad = requests.post(emulator.url + "/_emulator/runs", json=[{"id": "x", "bogus": 1}])
    assert bad.status_code == 422


def test_scenario_files_and_validation(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"runs": [{"id": "fl_run_j", "workflow_id": "fl_w"}]}))
    with Emulator(path) as emu:
        r = requests.get(emu.url + "/workflows/runs/fl_run_j",
                         headers={"Authorization": "Bearer test-token"})
        assert r.json()["status"] == "pending"
    with pytest.raises(ScenarioError):
        Emulator({"runs": [{"id": "fl_run_x", "workflow_id": "w", "duraton": 3}]})
    with pytest.raises(ScenarioError):
        Emulator({"faults": [{"kind": "explode"}]})
    demo = Emulator(os.path.join(REPO, "tests", "scenarios", "demo.yml"))
    assert demo.run("fl_run_demo_completed").current_status() == "completed"
    assert demo.store.has_workflow("fl_deploy_preflight")


def test_default_scenario_slow_run_finishes(emulator, session):
    url = emulator.url + "/workflows/runs/fl_run_slow"
    first = session.get(url).json()
    assert first["status"] in ("pending", "running") and first["completed_at"] is None
    assert session.get(emulator.url + "/workflows/runs/fl_run_forever").json()["status"] == \
        "running"
    seen = [first["status"]]
    deadline = time.monotonic() + 10
    while seen[-1] != "completed" and time.monotonic() < deadline:
        time.sleep(0.25)  # ~12 polls: far below the default 60 a minute
        run = session.get(url).json()
        if run["status"] != seen[-1]:
            seen.append(run["status"])
    assert seen[-1] == "completed", seen
    assert seen in (["pending", "running", "completed"], ["running", "completed"])
    assert [e["status"] for e in run["logs"]] == ["success"] * 3
    assert run["duration_in_seconds"] == 3 and run["completed_at"] is not None
    assert run["error_message"] is None
    started = emulator.run("fl_run_slow").created
    assert 2.9 <= emulator.requests[-1]["time"] - started < 10
    # the default scenario also serves as a file (YAML) scenario unchanged
    assert load_scenario(yaml.safe_load(yaml.safe_dump(DEFAULT_SCENARIO))) == \
        load_scenario(DEFAULT_SCENARIO)


def _cli(*args):
    env = dict(os.environ, PYTHONPATH=os.path.join(REPO, "tests"))
    return subprocess.Popen([sys.executable, "-m", "emulator", *args], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_cli_port_file_and_sigterm(tmp_path):
    port_file = tmp_path / "url"
    proc = _cli("--port", "0", "--scenario", "tests/scenarios/demo.yml",
                "--port-file", str(port_file))
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("Altostrat API emulator listening on http://127.0.0.1:")
        url = port_file.read_text().strip()
        assert line.endswith(url)
        s = requests.Session()
        s.headers["Authorization"] = "Bearer test-token"
        run = s.post(url + "/workflows/fl_deploy_preflight/execute",
                     json={"context": {"k": "v"}}).json()
        assert run["status"] == "pending"
        # keep a pooled connection open: SIGTERM must still exit promptly
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(5) == 0
        assert not port_file.exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_tls(tmp_path):
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    cert_file, key_file, ca_file = (tmp_path / "c.pem", tmp_path / "k.pem", tmp_path / "ca.pem")
    cert.private_key_and_cert_chain_pem.write_to_path(str(cert_file))
    cert.private_key_pem.write_to_path(str(key_file))
    ca.cert_pem.write_to_path(str(ca_file))
    with Emulator(DEFAULT_SCENARIO, tls_cert=cert_file, tls_key=key_file) as emu:
        assert emu.url.startswith("https://127.0.0.1:")
        s = requests.Session()
        s.headers["Authorization"] = "Bearer test-token"
        r = s.get(emu.url + RUN, verify=str(ca_file))
        assert r.status_code == 200 and r.json()["status"] == "completed"
        base = emu.url + "/workflows/fl_wf_paged/executions"
        assert s.get(base, verify=str(ca_file)).json()["links"]["next"].startswith("https://")
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(emu.url + RUN, verify=True)
        # a plain-HTTP client against the TLS port must not wedge the server
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get(emu.url.replace("https", "http") + RUN, timeout=2)
        assert s.get(emu.url + RUN, verify=str(ca_file)).ok
