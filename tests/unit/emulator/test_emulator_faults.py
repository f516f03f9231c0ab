"""Injected faults, one kind at a time."""

import threading
import time

import pytest
import requests

RUN = "/workflows/runs/fl_run_completed"


def test_status_times_and_retry_after(emulator, session):
    emulator.add_faults([{"path": RUN, "kind": "status", "status": 503, "times": 2,
                          "retry_after": 1}])
    first = session.get(emulator.url + RUN)
    assert first.status_code == 503 and first.headers["Retry-After"] == "1"
    assert first.json()["type"] == "api_error"
    assert session.get(emulator.url + RUN).status_code == 503
    assert session.get(emulator.url + RUN).status_code == 200
    assert [r["fault"] for r in emulator.requests] == ["status", "status", None]
    assert [r["status"] for r in emulator.requests] == [503, 503, 200]


def test_after_method_and_regex(emulator, session):
    emulator.add_faults([
        {"method": "POST", "path_regex": r"^/workflows/[^/]+/execute$", "kind": "status",
         "status": 500, "after": 1, "times": None},
    ])
    url = emulator.url + "/workflows/fl_wf_main/execute"
    assert session.post(url).status_code == 201
    assert session.post(url).status_code == 500
    assert session.post(url).status_code == 500
    assert session.get(emulator.url + RUN).status_code == 200
    assert emulator.runs_created == 1  # replacing faults do not process the request


def test_status_with_process_creates_the_run(emulator, session):
    emulator.add_faults([{"path": "/workflows/fl_wf_main/execute", "kind": "status",
                          "status": 502, "process": True}])
    r = session.post(emulator.url + "/workflows/fl_wf_main/execute")
    assert r.status_code == 502 and emulator.runs_created == 1


def test_html(emulator, session):
    emulator.add_faults([{"path": RUN, "kind": "html"}])
    r = session.get(emulator.url + RUN)
    assert r.status_code == 502 and r.headers["Content-Type"].startswith("text/html")
    assert "502 Bad Gateway" in r.text


def test_not_json_and_wrong_shape(emulator, session):
    emulator.add_faults([{"path": RUN, "kind": "not_json"},
                         {"path": RUN, "kind": "wrong_shape"}])
    r = session.get(emulator.url + RUN)
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/json"
    with pytest.raises(ValueError):
        r.json()
    r = session.get(emulator.url + RUN)
    assert r.status_code == 200 and r.json() == {"data": "nope"}
    assert session.get(emulator.url + RUN).json()["status"] == "completed"


def test_truncated_then_idempotent_retry(emulator, session):
    url = emulator.url + "/workflows/fl_wf_main/execute"
    emulator.add_faults([{"method": "POST", "path": "/workflows/fl_wf_main/execute",
                          "kind": "truncated"}])
    with pytest.raises(requests.exceptions.RequestException):
        session.post(url, json={"context": {}}, headers={"Idempotency-Key": "same"})
    assert emulator.runs_created == 1  # the server did the work; the answer got lost
    r = session.post(url, json={"context": {}}, headers={"Idempotency-Key": "same"})
    assert r.status_code == 201 and emulator.runs_created == 1
    assert session.get(emulator.url + "/workflows/runs/" + r.json()["id"]).ok


def test_slow(emulator, session):
    emulator.add_faults([{"path": RUN, "kind": "slow", "delay": 0.4, "times": 2}])
    t0 = time.time()
    assert session.get(emulator.url + RUN).status_code == 200
    assert time.time() - t0 >= 0.4
    with pytest.raises(requests.exceptions.ReadTimeout):
        session.get(emulator.url + RUN, timeout=(1, 0.1))


def test_drip(emulator, session):
    emulator.add_faults([{"path": RUN, "kind": "drip", "delay": 0.03}])
    t0 = time.time()
    with session.get(emulator.url + RUN, stream=True, timeout=2) as r:
        assert r.status_code == 200
        # The status is recorded before the first byte goes out, not when the
        # answer is done: a client that has read it finds it in the log.
        assert emulator.requests[-1]["status"] == 200
        assert emulator.requests[-1]["elapsed"] is None
        got = b"".join(r.raw.read(1) for _unused in range(8))
    assert got == b'{"id":"f' and time.time() - t0 >= 0.2


def test_hang_and_stop_releases_it(emulator, emulator_factory, session):
    emulator.add_faults([{"path": RUN, "kind": "hang"}])
    with pytest.raises(requests.exceptions.ReadTimeout):
        session.get(emulator.url + RUN, timeout=(1, 0.3))
    assert emulator.requests[-1]["status"] is None
    assert emulator.requests[-1]["fault"] == "hang"
    other = emulator_factory({"faults": [{"path": RUN, "kind": "hang"}]})
    errors = []

    def call():
        try:
            requests.get(other.url + RUN, headers={"Authorization": "Bearer test-token"},
                         timeout=30)
        except requests.exceptions.RequestException as exc:
            errors.append(exc)

    t = threading.Thread(target=call)
    t.start()
    time.sleep(0.3)
    t0 = time.time()
    other.stop()
    t.join(5)
    assert not t.is_alive() and errors and time.time() - t0 < 3


def test_drop(emulator, session):
    emulator.add_faults([{"path": RUN, "kind": "drop"}])
    with pytest.raises(requests.exceptions.ConnectionError):
        session.get(emulator.url + RUN)
    assert session.get(emulator.url + RUN).status_code == 200  # the pool recovers


def test_redirect_to_another_host_strips_token(emulator, emulator_factory, session):
    target = emulator_factory({"runs": [{"id": "fl_run_completed", "workflow_id": "fl_wf"}]})
    emulator.add_faults([{"path": RUN, "kind": "redirect", "location": target.url + RUN}])
    r = session.get(emulator.url + RUN)
    assert r.history[0].status_code == 302 and r.status_code == 401
    assert target.requests[0]["authorization"] is None
    assert emulator.requests[0]["authorization"] == "Bearer test-token"


def test_big(emulator, session):
    size = 5_000_000
    emulator.add_faults([{"path": RUN, "kind": "big", "size": size}])
    with session.get(emulator.url + RUN, stream=True) as r:
        assert int(r.headers["Content-Length"]) == size
        total = sum(len(c) for c in r.iter_content(65536))
    assert total == size


def test_faults_via_control_endpoint(emulator, session):
    r = requests.post(emulator.url + "/_emulator/faults",
                      json=[{"path": RUN, "kind": "status", "status": 429, "retry_after": 2}])
    assert r.status_code == 201 and r.json() == {"added": 1}
    r = session.get(emulator.url + RUN)
    assert r.status_code == 429 and r.headers["Retry-After"] == "2"
    bad = requests.post(emulator.url + "/_emulator/faults", json=[{"kind": "nonsense"}])
    assert bad.status_code == 422
    assert requests.delete(emulator.url + "/_emulator/faults").ok
