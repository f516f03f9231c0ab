"""The rate limit (Laravel's fixed-window throttle) and the counting that checks clients."""

import time

import pytest
import requests

from emulator import Emulator, ScenarioError
from emulator.api import RateLimiter
from emulator.pytest_plugin import DEFAULT_SCENARIO
from emulator.stats import Recorder

RUN = "/workflows/runs/fl_run_a"
SCENARIO = {"rate_limit_per_minute": 3, "tokens": ["test-token", "other"],
            "workflows": [{"id": "fl_wf"}],
            "runs": [{"id": "fl_run_a", "workflow_id": "fl_wf", "finished": True}]}


def limits(resp):
    return {k: v for k, v in resp.headers.items()
            if k.lower().startswith("x-ratelimit") or k.lower() == "retry-after"}


class Clock:
    def __init__(self, now=0.0):
        self.now = now

    def __call__(self):
        return self.now


def limiter(per_minute=3, start=0.0):
    clock = Clock(start)
    return RateLimiter(per_minute, clock=clock, wall=lambda: 1000.25 + clock.now), clock


# -- the window, on a fake clock -------------------------------------------------

def test_window_is_fixed_from_the_first_hit_not_sliding():
    lim, clock = limiter(3, start=17.3)
    assert lim.hit("t") == (True, None)
    clock.now = 47.0
    assert lim.hit("t") == (True, None)
    clock.now = 77.2
    assert lim.hit("t") == (True, None)
    assert lim.headers("t") == {"X-RateLimit-Limit": "3", "X-RateLimit-Remaining": "0"}
    allowed, headers = lim.hit("t")
    assert not allowed
    assert headers == {"X-RateLimit-Limit": "3", "X-RateLimit-Remaining": "0",
                       "Retry-After": "1",                  # ceil(0.1), the window ends at 77.3
                       "X-RateLimit-Reset": "1078"}         # ceil(1000.25 + 77.3)
    clock.now = 77.3  # a new window: all three again, though two hits are < 60 s old
    assert [lim.hit("t")[0] for _unused in range(4)] == [True, True, True, False]
    assert lim.hit("t")[1]["Retry-After"] == "60"


def test_refused_requests_are_not_hits():
    lim, clock = limiter(2)
    assert lim.hit("t")[0] and lim.hit("t")[0]
    for step in range(50):
        clock.now = step
        assert not lim.hit("t")[0]
    clock.now = 59.99
    _unused, headers = lim.hit("t")
    assert headers["Retry-After"] == "1" and headers["X-RateLimit-Remaining"] == "0"
    assert lim.windows["t"][1] == 2  # the counter, as Laravel's cache holds it
    clock.now = 60.0
    assert lim.hit("t") == (True, None)
    assert lim.headers("t")["X-RateLimit-Remaining"] == "1"


def test_retry_after_and_reset_round_up_and_keys_are_separate():
    lim, clock = limiter(1)
    assert lim.hit("a")[0]
    clock.now = 0.5
    _unused, headers = lim.hit("a")
    assert headers["Retry-After"] == "60" and headers["X-RateLimit-Reset"] == "1061"
    assert lim.hit("b") == (True, None)
    assert lim.headers("c") == {"X-RateLimit-Limit": "1", "X-RateLimit-Remaining": "1"}
    clock.now = 61
    assert lim.headers("a")["X-RateLimit-Remaining"] == "1"  # window over, nothing counted


def test_rolling_window_counts_any_60_s_when_asked():
    clock = Clock(17.0)
    lim = RateLimiter(3, clock=clock, wall=lambda: 1000.25 + clock.now, window="rolling")
    assert lim.hit("t") == (True, None)
    clock.now = 47.0
    assert lim.hit("t")[0] and lim.hit("t")[0]
    assert lim.headers("t") == {"X-RateLimit-Limit": "3", "X-RateLimit-Remaining": "0"}
    clock.now = 77.0  # the first hit (17.0) has just left the last 60 s
    allowed, headers = lim.hit("t")
    assert allowed and headers is None
    allowed, headers = lim.hit("t")
    assert not allowed  # the hits of 47.0 are still in the last 60 s
    assert headers["Retry-After"] == "30" and headers["X-RateLimit-Reset"] == "1108"  # until 107.0
    clock.now = 107.0
    assert [lim.hit("t")[0] for _unused in range(3)] == [True, True, False]
    with pytest.raises(ValueError):
        RateLimiter(3, window="sliding")


def test_no_limit_no_headers():
    for off in (None, 0):
        lim, _clock = limiter(off)
        assert all(lim.hit("t") == (True, None) for _unused in range(100))
        assert lim.headers("t") == {}


# -- over HTTP ---------------------------------------------------------------------

def test_headers_on_every_throttled_answer(emulator_factory, session):
    emu = emulator_factory(SCENARIO)
    r = session.get(emu.url + RUN)
    assert r.status_code == 200
    assert limits(r) == {"X-RateLimit-Limit": "3", "X-RateLimit-Remaining": "2"}
    # not throttled (Laravel: auth before the throttle, no route no route middleware)
    bad = requests.get(emu.url + RUN, headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and limits(bad) == {}
    assert session.get(emu.url + "/nothing").status_code == 404
    assert limits(session.get(emu.url + "/nothing")) == {}
    assert limits(session.delete(emu.url + RUN)) == {}
    # errors from a route behind the throttle count and carry the headers
    r = session.get(emu.url + "/workflows/runs/fl_run_missing")
    assert r.status_code == 404 and r.json()["code"] == "resource_missing"
    assert limits(r) == {"X-RateLimit-Limit": "3", "X-RateLimit-Remaining": "1"}
    r = session.post(emu.url + "/workflows/fl_wf/execute", json={"context": [1]})
    assert r.status_code == 422
    assert limits(r) == {"X-RateLimit-Limit": "3", "X-RateLimit-Remaining": "0"}
    assert emu.runs_created == 0
    before = time.time()
    r = session.post(emu.url + "/workflows/fl_wf/execute")
    assert r.status_code == 429 and r.json()["code"] == "rate_limit_exceeded"
    assert emu.runs_created == 0  # a throttled request is not processed
    got = limits(r)
    assert set(got) == {"X-RateLimit-Limit", "X-RateLimit-Remaining", "Retry-After",
                        "X-RateLimit-Reset"}
    assert got["X-RateLimit-Limit"] == "3" and got["X-RateLimit-Remaining"] == "0"
    retry = int(got["Retry-After"])
    assert 55 <= retry <= 60
    assert before + retry - 2 <= int(got["X-RateLimit-Reset"]) <= time.time() + retry + 1
    other = requests.get(emu.url + RUN, headers={"Authorization": "Bearer other"})
    assert other.status_code == 200 and other.headers["X-RateLimit-Remaining"] == "2"


def test_limit_is_60_unless_turned_off(emulator_factory, session):
    assert Emulator({}).scenario["rate_limit_per_minute"] == 60
    assert DEFAULT_SCENARIO["rate_limit_per_minute"] == 60
    runs = [{"id": "fl_run_a", "workflow_id": "fl_wf", "finished": True}]
    r = session.get(emulator_factory({"runs": runs}).url + RUN)
    assert limits(r) == {"X-RateLimit-Limit": "60", "X-RateLimit-Remaining": "59"}
    for off in (None, 0):
        emu = emulator_factory({"runs": runs, "rate_limit_per_minute": off})
        answers = [session.get(emu.url + RUN) for _unused in range(65)]
        assert all(a.status_code == 200 and not limits(a) for a in answers)
    for bad in ("60", -1, 1.5, True):
        with pytest.raises(ScenarioError):
            Emulator({"rate_limit_per_minute": bad})


def test_laravel_by_default_rolling_and_stripped_headers_by_choice(emulator_factory, session):
    assert Emulator({}).scenario["rate_limit_window"] == "fixed" and Emulator({}).scenario["rate_limit_headers"] is True
    emu = emulator_factory(dict(SCENARIO, rate_limit_headers=False, rate_limit_window="rolling"))
    answers = [session.get(emu.url + RUN) for _unused in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert all(limits(a) == {} for a in answers)  # as behind a proxy that strips them
    for key, bad in (("rate_limit_window", "sliding"), ("rate_limit_headers", "no")):
        with pytest.raises(ScenarioError, match=key):
            Emulator({key: bad})


def test_full_window_answers_429_until_it_ends(emulator_factory, session):
    emu = emulator_factory(dict(SCENARIO, rate_limit_per_minute=60))
    statuses = [session.get(emu.url + RUN).status_code for _unused in range(63)]
    assert statuses == [200] * 60 + [429] * 3
    assert emu.count(status=429) == 3 and emu.count(status=200) == 60


def test_only_faults_that_process_the_request_are_hits(emulator_factory, session):
    emu = emulator_factory(dict(SCENARIO, faults=[{"path": RUN, "kind": "status", "times": 2}]))
    lost = [session.get(emu.url + RUN) for _unused in range(2)]
    assert [r.status_code for r in lost] == [503, 503] and not any(map(limits, lost))
    assert session.get(emu.url + RUN).headers["X-RateLimit-Remaining"] == "2"
    emu.add_faults([{"path": RUN, "kind": "status", "process": True},
                    {"path": RUN, "kind": "slow", "delay": 0.01}])
    assert session.get(emu.url + RUN).status_code == 503          # processed: a hit
    slow = session.get(emu.url + RUN)                              # processed: a hit
    assert slow.status_code == 200 and slow.headers["X-RateLimit-Remaining"] == "0"
    assert session.get(emu.url + RUN).status_code == 429


# -- counting ------------------------------------------------------------------------

def recorder_at(*times, path="/workflows/runs/x", method="GET"):
    rec = Recorder()
    for t in times:
        rec.record(method, path, "", {}, {}, True)["arrived"] = t
    return rec


def test_max_in_window_is_half_open():
    assert recorder_at().max_in_window(60) == 0
    assert recorder_at(0, 60).max_in_window(60) == 1
    assert recorder_at(0, 59.999).max_in_window(60) == 2
    assert recorder_at(61, 0, 10, 59.9, 60, 200).max_in_window(60) == 4  # [10, 70)
    assert recorder_at(0, 10, 59.9, 60, 61, 200).max_in_window(1.5) == 3  # 59.9, 60, 61
    assert recorder_at(0, 10, 59.9, 60, 61, 200).max_in_window(1.1) == 2
    assert recorder_at(5, 5, 5).max_in_window(0.001) == 3


def test_max_in_window_filters():
    rec = recorder_at(0, 1, 2)
    for t in (3, 4):
        rec.record("POST", "/workflows/fl_wf/execute", "", {}, {}, True)["arrived"] = t
    assert rec.max_in_window(60) == 5
    assert rec.max_in_window(60, method="post") == 2
    assert rec.max_in_window(60, path_prefix="/workflows/runs/") == 3
    assert rec.max_in_window(60, method="GET", path_prefix="/workflows/fl_wf") == 0


def test_count_by_status_and_max_in_window_over_http(emulator_factory, session):
    emu = emulator_factory(SCENARIO)
    statuses = [session.get(emu.url + RUN).status_code for _unused in range(5)]
    session.get(emu.url + "/workflows/runs/fl_run_missing")
    assert statuses == [200, 200, 200, 429, 429]
    assert emu.count(status=429) == 3 and emu.count(status=200) == 3
    assert emu.count(status=404) == 0  # the window was full: the missing run got a 429 too
    assert emu.count(path=RUN, status=429) == 2
    assert emu.max_in_window() == 6 and emu.max_in_window(path_prefix=RUN) == 5
    arrived = [r["arrived"] for r in emu.requests]
    assert arrived == sorted(arrived) and arrived[-1] <= time.monotonic()
    assert emu.max_in_window(seconds=1e-9) == 1
