"""Timed faults (outages) and lost answers to a start."""

import time

import pytest
import requests

from emulator import Emulator, ScenarioError

RUN = "/workflows/runs/fl_run_completed"
EXECUTE = "/workflows/fl_wf_main/execute"


def sleep_until(t):
    time.sleep(max(0.0, t - time.monotonic()))


def in_window(fault, rec):
    start = fault.added + fault.from_s
    return start <= rec["arrived"] and (fault.for_s is None or rec["arrived"] < start + fault.for_s)


def test_outage_applies_only_inside_its_window(emulator, session):
    emulator.add_faults([{"kind": "status", "status": 503, "path_regex": "^/workflows/runs/",
                          "from_s": 0.5, "for_s": 1.0, "times": None}])
    fault = emulator.faults.faults[-1]
    got = [session.get(emulator.url + RUN).status_code]            # ~0 s: before
    sleep_until(fault.added + 0.75)
    got += [session.get(emulator.url + RUN).status_code for _unused in range(3)]  # during
    got.append(session.get(emulator.url + "/workflows/fl_wf_paged/executions").status_code)
    sleep_until(fault.added + 1.75)
    got.append(session.get(emulator.url + RUN).status_code)        # after
    # decided by arrival time, whatever the machine's load did to the sleeps
    expected = [503 if in_window(fault, r) and r["path"].startswith("/workflows/runs/") else 200
                for r in emulator.requests]
    assert got == expected
    assert got == [200, 503, 503, 503, 200, 200]  # with these margins, the usual timing


def test_after_and_times_count_only_requests_inside_the_window(emulator, session):
    emulator.add_faults([{"path": RUN, "kind": "status", "status": 500, "from_s": 0.5,
                          "after": 1, "times": 1}])
    fault = emulator.faults.faults[-1]
    early = [session.get(emulator.url + RUN).status_code for _unused in range(2)]
    assert early == [200, 200] and fault.seen == 0
    sleep_until(fault.added + 0.6)
    assert [session.get(emulator.url + RUN).status_code for _unused in range(3)] == \
        [200, 500, 200]
    assert fault.seen == 3 and fault.fired == 1


def test_scenario_faults_are_timed_from_start(session):
    emu = Emulator({"runs": [{"id": "fl_run_completed", "workflow_id": "fl_wf",
                              "finished": True}],
                    "faults": [{"path": RUN, "kind": "status", "status": 503,
                                "from_s": 0.4, "for_s": 0.4, "times": None}]})
    time.sleep(0.5)  # built, not started: the window must not have begun yet
    before = time.monotonic()
    with emu:
        fault = emu.faults.faults[0]
        assert fault.added >= before
        first = session.get(emu.url + RUN).status_code
        sleep_until(fault.added + 0.6)
        second = session.get(emu.url + RUN).status_code
        sleep_until(fault.added + 0.9)
        third = session.get(emu.url + RUN).status_code
    assert [first, second, third] == [200, 503, 200]


def test_timed_fault_via_control_endpoint_counts_from_the_call(emulator, session):
    time.sleep(0.3)
    r = requests.post(emulator.url + "/_emulator/faults",
                      json={"path": RUN, "kind": "status", "status": 502, "for_s": 0.3,
                            "times": None})
    assert r.status_code == 201
    fault = emulator.faults.faults[-1]
    assert session.get(emulator.url + RUN).status_code == 502
    sleep_until(fault.added + 0.4)
    assert session.get(emulator.url + RUN).status_code == 200
    bad = requests.post(emulator.url + "/_emulator/faults",
                        json={"path": RUN, "kind": "status", "from_s": -1})
    assert bad.status_code == 422 and "from_s" in bad.json()["message"]


@pytest.mark.parametrize("key,value", [("from_s", -0.1), ("for_s", -1), ("from_s", "20"),
                                       ("for_s", True), ("from_s", float("nan"))])
def test_bad_timings_are_rejected(key, value):
    with pytest.raises(ScenarioError, match=key):
        Emulator({"faults": [{"kind": "status", key: value}]})


def test_good_timings_are_accepted():
    emu = Emulator({"faults": [{"kind": "status", "from_s": 20, "for_s": 120.5},
                               {"kind": "status", "from_s": None, "for_s": None},
                               {"kind": "status", "from_s": 0, "for_s": 0}]})
    a, b, c = emu.faults.faults
    assert (a.from_s, a.for_s, b.from_s, b.for_s) == (20.0, 120.5, 0.0, None)
    assert not c.active(c.added) and b.active(b.added) and not a.active(a.added + 19.99)
    assert a.active(a.added + 20) and not a.active(a.added + 140.5)


def test_lost_answer_to_a_start_is_replayed_on_retry(emulator, session):
    emulator.add_faults([{"method": "POST", "path_regex": "/execute$", "kind": "status",
                          "status": 503, "process": True}])
    key = "5f0c6a2e-8d1b-4c3a-9e7f-1a2b3c4d5e6f"
    listing = emulator.url + "/workflows/fl_wf_main/executions"
    before = {r["id"] for r in session.get(listing).json()["data"]}
    lost = session.post(emulator.url + EXECUTE, json={"context": {"site": "a"}},
                        headers={"Idempotency-Key": key})
    assert lost.status_code == 503 and lost.json()["type"] == "api_error"
    assert emulator.runs_created == 1  # the server did the work
    stored = emulator.store.idem_get(("test-token", key))
    assert stored is not None and stored["status"] == 201
    retry = session.post(emulator.url + EXECUTE, json={"context": {"site": "a"}},
                         headers={"Idempotency-Key": key})
    assert retry.status_code == 201 and retry.headers["Idempotent-Replayed"] == "true"
    assert emulator.runs_created == 1
    after = session.get(listing).json()["data"]
    assert [r["id"] for r in after if r["id"] not in before] == [retry.json()["id"]]
    assert retry.json()["trigger_payload"] == {"site": "a"}
    assert "Idempotent-Replayed" not in lost.headers
