"""The emulated API: auth, runs, progression, pages, execute, rerun, resume."""

import time
import uuid

import requests


def test_auth_required(emulator):
    url = emulator.url + "/workflows/runs/fl_run_completed"
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "test-token"}):
        r = requests.get(url, headers=headers)
        assert r.status_code == 401
        assert r.json() == {"type": "invalid_request_error", "code": "unauthenticated",
                            "message": "Unauthenticated.",
                            "doc_url": "https://docs.altostrat.io/errors#unauthenticated"}
    rec = emulator.requests
    assert [r["auth_present"] for r in rec] == [False, True, True]
    assert not any(r["auth_ok"] for r in rec)
    assert "Authorization" not in rec[1]["headers"] and rec[1]["authorization"] == "Bearer nope"


def test_completed_run_shape(emulator, session):
    r = session.get(emulator.url + "/workflows/runs/fl_run_completed")
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/json"
    run = r.json()
    assert set(run) == {"id", "workflow_id", "status", "error_message", "started_at",
                        "completed_at", "duration_in_seconds", "logs", "trigger_payload"}
    assert run["status"] == "completed" and run["error_message"] is None
    assert run["trigger_payload"] == {"env": "prod"}
    assert run["started_at"].endswith("Z") and len(run["started_at"]) == 27
    assert isinstance(run["duration_in_seconds"], int)
    assert [e["node_id"] for e in run["logs"]] == ["n0", "n1", "n2"]
    assert [e["component_id"] for e in run["logs"]] == ["webhook", "webhook", None]
    assert all(e["id"].startswith("fl_log_") and e["status"] == "success" for e in run["logs"])


def test_failed_awaiting_and_warning_runs(emulator, session):
    failed = session.get(emulator.url + "/workflows/runs/fl_run_failed").json()
    assert failed["status"] == "failed"
    assert failed["error_message"] == "Webhook request failed: 503 Service Unavailable"
    assert [e["status"] for e in failed["logs"]] == ["success", "success", "error"]
    waiting = session.get(emulator.url + "/workflows/runs/fl_run_awaiting").json()
    assert waiting["status"] == "awaiting_ui_interaction"
    assert waiting["completed_at"] is None and waiting["duration_in_seconds"] is None
    warn = session.get(emulator.url + "/workflows/runs/fl_run_completed_warn").json()
    assert warn["status"] == "completed" and warn["error_message"]
    assert [e["status"] for e in warn["logs"]] == ["success", "warning", "success"]


def test_not_found_and_method_and_route(emulator, session):
    r = session.get(emulator.url + "/workflows/runs/fl_run_nope")
    assert r.status_code == 404
    assert r.json()["code"] == "resource_missing"
    assert r.json()["message"] == "Workflow run fl_run_nope not found."
    assert session.get(emulator.url + "/nothing/here").status_code == 404
    assert session.get(emulator.url + "/workflows/fl_nope/executions").status_code == 404
    assert session.post(emulator.url + "/workflows/fl_nope/execute").status_code == 404
    r = session.delete(emulator.url + "/workflows/runs/fl_run_completed")
    assert r.status_code == 405 and r.json()["code"] == "method_not_allowed"


def test_progression(emulator_factory, session):
    emu = emulator_factory({"runs": [{
        "id": "fl_run_p", "workflow_id": "fl_wf", "pending_for": 0.3, "duration": 0.9,
        "steps": 3, "status": "failed", "failed_steps": [2], "error_message": "boom"}]})
    url = emu.url + "/workflows/runs/fl_run_p"
    seen, log_counts = [], []
    deadline = time.time() + 5
    while time.time() < deadline:
        run = session.get(url).json()
        if not seen or seen[-1] != run["status"]:
            seen.append(run["status"])
        log_counts.append(len(run["logs"]))
        if run["status"] == "failed":
            break
        assert run["completed_at"] is None and run["error_message"] is None
        time.sleep(0.05)
    assert seen == ["pending", "running", "failed"]
    assert log_counts == sorted(log_counts) and 1 in log_counts and log_counts[-1] == 3
    assert run["error_message"] == "boom" and run["completed_at"] is not None
    assert run["duration_in_seconds"] == 1


def test_status_override_and_extra(emulator_factory, session):
    emu = emulator_factory({"runs": [
        {"id": "fl_run_odd", "workflow_id": "fl_wf", "status_override": "queued_v2",
         "status_override_for": 0.5, "pending_for": 0, "duration": 0.1,
         "log_extra": {"execution_id": "ex1"}, "extra": {"created_at": "x", "new": [1]}},
    ]})
    run = session.get(emu.url + "/workflows/runs/fl_run_odd").json()
    assert run["status"] == "queued_v2" and run["new"] == [1] and run["created_at"] == "x"
    time.sleep(0.6)
    run = session.get(emu.url + "/workflows/runs/fl_run_odd").json()
    assert run["status"] == "completed"
    assert all(e["execution_id"] == "ex1" for e in run["logs"])


def test_big_log_is_fast(emulator_factory, session):
    emu = emulator_factory({"runs": [{"id": "fl_run_big", "workflow_id": "fl_wf",
                                      "finished": True, "steps": 10000, "output_size": 480}]})
    url = emu.url + "/workflows/runs/fl_run_big"
    r = session.get(url)
    assert 5_500_000 < len(r.content) < 6_500_000 and len(r.json()["logs"]) == 10000
    t0 = time.time()
    for _unused in range(5):
        session.get(url).content
    assert time.time() - t0 < 2.0


def test_pages(emulator, session):
    base = emulator.url + "/workflows/fl_wf_paged/executions"
    p1 = session.get(base).json()
    assert [r["id"] for r in p1["data"]][:2] == ["fl_run_page_039", "fl_run_page_038"]
    assert all("logs" not in r for r in p1["data"])
    assert p1["meta"] == {"current_page": 1, "from": 1, "last_page": 3, "path": base,
                          "per_page": 15, "to": 15, "total": 40}
    assert p1["links"] == {"first": base + "?page=1", "last": base + "?page=3",
                           "prev": None, "next": base + "?page=2"}
    p3 = session.get(p1["links"]["last"]).json()
    assert len(p3["data"]) == 10 and p3["data"][-1]["id"] == "fl_run_page_000"
    assert p3["links"]["next"] is None and p3["links"]["prev"] == base + "?page=2"
    assert (p3["meta"]["from"], p3["meta"]["to"]) == (31, 40)
    p9 = session.get(base, params={"page": 9}).json()
    assert p9["data"] == [] and p9["meta"]["from"] is None


def test_execute_and_idempotency(emulator, session):
    url = emulator.url + "/workflows/fl_wf_main/execute"
    key = str(uuid.uuid4())
    r1 = session.post(url, json={"context": {"x": 1}}, headers={"Idempotency-Key": key})
    assert r1.status_code == 201
    run = r1.json()
    assert run["id"].startswith("fl_run_") and run["status"] == "pending"
    assert run["trigger_payload"] == {"x": 1} and run["logs"] == []
    r2 = session.post(url, json={"context": {"x": 1}}, headers={"Idempotency-Key": key})
    assert r2.status_code == 201 and r2.json()["id"] == run["id"]
    assert r2.headers["Idempotent-Replayed"] == "true"
    assert emulator.runs_created == 1
    r3 = session.post(url, json={"context": {"x": 2}}, headers={"Idempotency-Key": key})
    assert r3.status_code == 422
    r4 = session.post(url)
    assert r4.status_code == 201 and r4.json()["trigger_payload"] == {}
    assert emulator.runs_created == 2
    assert emulator.idempotency_keys == [key, key, key]
    listed = session.get(emulator.url + "/workflows/fl_wf_main/executions").json()["data"]
    assert listed[0]["id"] == r4.json()["id"] and listed[1]["id"] == run["id"]
    time.sleep(1.3)
    done = session.get(emulator.url + "/workflows/runs/" + run["id"]).json()
    assert done["status"] == "completed" and len(done["logs"]) == 3


def test_execute_bad_bodies(emulator, session):
    url = emulator.url + "/workflows/fl_wf_main/execute"
    r = session.post(url, data="{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["type"] == "invalid_request_error"
    r = session.post(url, json={"context": [1, 2]})
    assert r.status_code == 422 and r.json()["code"] == "parameter_invalid"
    assert emulator.runs_created == 0


def test_rerun(emulator, session):
    url = emulator.url + "/workflows/runs/fl_run_completed/rerun"
    r = session.post(url, headers={"Idempotency-Key": "k1"})
    assert r.status_code == 202
    body = r.json()
    assert body["message"] == "Workflow run has been queued for re-execution."
    new = body["new_run"]
    assert new["workflow_id"] == "fl_wf_main" and new["trigger_payload"] == {"env": "prod"}
    assert new["id"] != "fl_run_completed"
    again = session.post(url, headers={"Idempotency-Key": "k1"})
    assert again.status_code == 202 and again.json()["new_run"]["id"] == new["id"]
    assert emulator.runs_created == 1
    assert session.post(emulator.url + "/workflows/runs/fl_run_x/rerun").status_code == 404


def test_resume_from_rules(emulator, session):
    base = emulator.url + "/workflows/runs/"
    r = session.post(base + "fl_run_failed/resume-from/n1", headers={"Idempotency-Key": "r"})
    assert r.status_code == 202 and r.json()["new_run"]["trigger_payload"] == {"env": "staging"}
    assert "n1" in r.json()["message"]
    again = session.post(base + "fl_run_failed/resume-from/n1", headers={"Idempotency-Key": "r"})
    assert again.json()["new_run"]["id"] == r.json()["new_run"]["id"]
    for path in ("fl_run_failed/resume-from/n2",       # the failed node
                 "fl_run_failed/resume-from/n7",       # not in the logs
                 "fl_run_completed/resume-from/n0",    # run did not fail
                 "fl_run_awaiting/resume-from/n0"):
        r = session.post(base + path)
        assert r.status_code == 422, path
        assert r.json()["type"] == "invalid_request_error"
    assert session.post(base + "fl_run_nope/resume-from/n0").status_code == 404
    assert emulator.runs_created == 1


def test_rate_limit(emulator_factory, session):
    emu = emulator_factory({"rate_limit_per_minute": 3, "tokens": ["test-token", "other"],
                            "runs": [{"id": "fl_run_a", "workflow_id": "fl_wf"}]})
    url = emu.url + "/workflows/runs/fl_run_a"
    assert [session.get(url).status_code for _unused in range(3)] == [200, 200, 200]
    r = session.get(url)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    assert r.json()["code"] == "rate_limit_exceeded"
    assert requests.get(url, headers={"Authorization": "Bearer other"}).status_code == 200
