"""The retry policy: transient failures, 429 back-pressure, Retry-After, deadlines, the budget, trouble told once."""

import socket

import pytest

from ansible_collections.altostrat.cloud.plugins.module_utils import _answer, _retry
from ansible_collections.altostrat.cloud.plugins.module_utils._deadline import Deadline
from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratAPIError

from testkit import TOKEN
from testkit.fakes import scripted

RUN_PATH = '/workflows/runs/fl_run_completed'
OK = b'{"id": "fl_run_a", "status": "completed"}'


class RecordingBudget:
    """A budget that never waits, and records what it was told."""

    enabled = True

    def __init__(self):
        self.acquired, self.synced = [], []

    def acquire(self, timeout=None, patience=None):
        self.acquired.append(timeout)
        return 0.0

    def sync(self, limit=None, remaining=None, retry_after=None):
        self.synced.append((limit, remaining, retry_after))


# ---- transient failures ---------------------------------------------------------------------------

@pytest.mark.parametrize('spec', [
    {'kind': 'status', 'status': 500},
    {'kind': 'status', 'status': 502},
    {'kind': 'status', 'status': 503},
    {'kind': 'status', 'status': 504},
    {'kind': 'drop'},
    {'kind': 'html', 'status': 502},
    {'kind': 'truncated'},
])
def test_get_retried_on_transient_and_trouble_told_once(spec, emulator, make_client, clock, no_jitter):
    emulator.add_fault(path=RUN_PATH, times=2, **spec)
    client = make_client(emulator)
    assert client.get_run('fl_run_completed')['status'] == 'completed'
    assert emulator.count('GET', RUN_PATH) == 3
    assert clock.sleeps == [0.5, 1.0]
    assert len(client.warnings) == 2, client.warnings
    assert client.warnings[0].startswith('The Altostrat API is failing (GET %s failed' % RUN_PATH)
    assert client.warnings[1] == 'The Altostrat API answers again, after 2 s and 2 failed request(s).'


def test_backoff_grows_jittered_and_capped(monkeypatch):
    monkeypatch.setattr(_retry.random, 'uniform', lambda a, b: b)
    assert [_retry.backoff(n) for n in (1, 2, 3, 4, 5, 6, 7, 20)] == [0.5, 1, 2, 4, 8, 16, 30, 30]
    monkeypatch.setattr(_retry.random, 'uniform', lambda a, b: a)
    assert [_retry.backoff(n) for n in (1, 2, 3)] == [0.25, 0.5, 1.0]


def test_jitter_spreads_waits(monkeypatch):
    monkeypatch.setattr(_retry.random, 'uniform', lambda a, b: a)
    assert _retry.jitter(8.0) == 8.0
    monkeypatch.setattr(_retry.random, 'uniform', lambda a, b: b)
    assert _retry.jitter(8.0) == 10.5


def test_retries_exhausted_raise_last_error(emulator, make_client, clock, no_jitter):
    emulator.add_fault(path=RUN_PATH, kind='status', status=503, times=None)
    client = make_client(emulator, http_retries=3)
    with pytest.raises(AltostratAPIError) as info:
        client.get_run('fl_run_completed')
    assert emulator.count('GET', RUN_PATH) == 4
    assert clock.sleeps == [0.5, 1.0, 2.0]
    assert len(client.warnings) == 1
    assert info.value.status == 503 and info.value.transient


def test_retry_false_sends_once(emulator, make_client, clock):
    emulator.add_fault(path=RUN_PATH, kind='status', status=503, times=None)
    client = make_client(emulator)
    with pytest.raises(AltostratAPIError):
        client.get_run('fl_run_completed', retry=False)
    assert emulator.count() == 1 and clock.sleeps == []


def test_retry_after_honoured_on_5xx(emulator, make_client, clock):
    emulator.add_fault(path=RUN_PATH, kind='status', status=503, retry_after=7, times=2)
    client = make_client(emulator)
    assert client.get_run('fl_run_completed')['id'] == 'fl_run_completed'
    assert clock.sleeps == [7.0, 7.0] and emulator.count() == 3


@pytest.mark.parametrize('status', [429, 503])
def test_retry_after_capped(status, emulator, make_client, clock, no_jitter):
    emulator.add_fault(path=RUN_PATH, kind='status', status=status, retry_after=3600, times=1)
    make_client(emulator).get_run('fl_run_completed')
    assert clock.sleeps == [_retry.MAX_RETRY_AFTER] and _retry.MAX_RETRY_AFTER == 60.0


def test_retry_after_http_date_and_reset():
    assert _answer.retry_after({'Retry-After': 'Wed, 21 Oct 2015 07:28:00 GMT'}) == 0.0  # in the past
    assert _answer.retry_after({'Retry-After': 'Wed, 21 Oct 2015 07:28:20 GMT'}, now=1445412480.0) == 20.0
    assert _answer.retry_after({'Retry-After': '12'}) == 12.0
    assert _answer.retry_after({'Retry-After': 'soon'}) is None
    assert _answer.retry_after({}) is None
    assert _answer.retry_after({'X-RateLimit-Reset': '2000000030'}, now=2000000000.0) == 30.0


def test_backoff_stops_before_deadline(emulator, make_client, clock, no_jitter):
    emulator.add_fault(path=RUN_PATH, kind='status', status=503, times=None)
    client = make_client(emulator, deadline=Deadline(1.6, clock))
    with pytest.raises(AltostratAPIError):
        client.get_run('fl_run_completed')
    assert clock.sleeps == [0.5, 1.0]  # the third pause (2.0 s) would pass the deadline
    assert clock() <= client.deadline.at and emulator.count() == 3


@pytest.mark.parametrize('status', [400, 401, 403, 404, 405, 409, 422])
def test_client_errors_not_retried(status, emulator, make_client, clock):
    emulator.add_fault(path=RUN_PATH, kind='status', status=status, times=None)
    client = make_client(emulator)
    with pytest.raises(AltostratAPIError) as info:
        client.get_run('fl_run_completed')
    assert emulator.count() == 1
    assert clock.sleeps == [] and client.warnings == []
    assert info.value.status == status and not info.value.transient
    assert 'HTTP %d' % status in str(info.value)


def test_refused_until_the_api_comes_up_is_ridden_out(emulator_factory, make_client, clock):
    """A real refused connection (nothing listens on the port), then the API comes up there: the GET gets through."""
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        port = probe.getsockname()[1]
    started = []

    def sleep(seconds):
        clock.sleep(seconds)
        if len(clock.sleeps) == 2:
            scenario = {'tokens': [TOKEN], 'runs': [{'id': 'fl_run_x', 'workflow_id': 'fl_wf', 'finished': True}]}
            started.append(emulator_factory(scenario, port=port))

    client = make_client('http://127.0.0.1:%d' % port, sleep=sleep)
    assert client.get_run('fl_run_x')['status'] == 'completed'
    assert len(clock.sleeps) == 2 and started[0].count(method='GET') == 1
    assert len(client.warnings) == 2, client.warnings
    assert client.warnings[0].startswith('The Altostrat API is failing (GET /workflows/runs/fl_run_x failed: could not reach')
    assert client.warnings[1].endswith('and 2 failed request(s).')


def test_http_retries_zero_means_one_try(emulator, make_client):
    emulator.add_fault(path=RUN_PATH, kind='status', status=503, times=None)
    with pytest.raises(AltostratAPIError):
        make_client(emulator, http_retries=0).get_run('fl_run_completed')
    assert emulator.count() == 1


# ---- 429: back-pressure ---------------------------------------------------------------------------

def test_429_retried_beyond_http_retries_until_the_deadline(emulator, make_client, clock, no_jitter):
    emulator.add_fault(path=RUN_PATH, kind='status', status=429, retry_after=7, times=10)
    client = make_client(emulator, http_retries=2, deadline=Deadline(3600, clock))
    assert client.get_run('fl_run_completed', retry=False)['status'] == 'completed'
    assert clock.sleeps == [7.0] * 10 and emulator.count() == 11
    assert client.warnings == []


def test_429_is_jittered(emulator, make_client, clock, monkeypatch):
    monkeypatch.setattr(_retry.random, 'uniform', lambda a, b: b)
    emulator.add_fault(path=RUN_PATH, kind='status', status=429, retry_after=4, times=1)
    make_client(emulator, deadline=Deadline(60, clock)).get_run('fl_run_completed')
    assert clock.sleeps == [4 * 1.25 + 0.5]


def test_429_without_retry_after_backs_off(emulator, make_client, clock, no_jitter):
    emulator.add_fault(path=RUN_PATH, kind='status', status=429, times=3, headers={})
    make_client(emulator, deadline=Deadline(60, clock)).get_run('fl_run_completed')
    assert clock.sleeps == [0.5, 1.0, 2.0]


def test_429_past_deadline_not_slept(emulator, make_client, clock, no_jitter):
    # a few 429s, not endless ones: a client that slept past the deadline would get through (and fail here) at once
    emulator.add_fault(path=RUN_PATH, kind='status', status=429, retry_after=7, times=3)
    client = make_client(emulator, deadline=Deadline(5, clock))
    with pytest.raises(AltostratAPIError) as info:
        client.get_run('fl_run_completed')
    assert info.value.status == 429 and info.value.rate_limited
    assert clock.sleeps == [] and client.warnings == [] and emulator.count() == 1


def test_429_without_any_deadline_is_bounded_by_http_retries(emulator, make_client, clock, no_jitter):
    emulator.add_fault(path=RUN_PATH, kind='status', status=429, retry_after=1, times=None)
    with pytest.raises(AltostratAPIError):
        make_client(emulator, http_retries=2).get_run('fl_run_completed')
    assert emulator.count() == 3


# ---- the budget --------------------------------------------------------------------------------------

def test_every_attempt_spends_from_the_budget_and_syncs_headers(make_client, clock, no_jitter):
    budget = RecordingBudget()
    client = make_client('http://api.test', budget=budget, deadline=Deadline(100, clock))
    limited = {'X-RateLimit-Limit': '60', 'X-RateLimit-Remaining': '0', 'Retry-After': '9', 'Content-Type': 'application/json'}
    fine = {'X-RateLimit-Limit': '60', 'X-RateLimit-Remaining': '41', 'Content-Type': 'application/json'}
    scripted(client, [(429, limited, b'{"message": "Too Many Attempts."}'), (503, {}, b''), (200, fine, OK)])
    client.get_run('fl_run_a')
    assert budget.acquired == [100.0, 91.0, 90.5]  # one slot per attempt, each bounded by the time left
    assert budget.synced == [(60, 0, 9.0), (None, None, None), (60, 41, None)]


def test_budget_timeout_propagates_without_a_request(make_client, clock):
    from ansible_collections.altostrat.cloud.plugins.module_utils._errors import BudgetTimeout

    class FullBudget(RecordingBudget):
        def acquire(self, timeout=None, patience=None):
            raise BudgetTimeout('no request slot free within %s s' % timeout)

    client = make_client('http://api.test', budget=FullBudget(), deadline=Deadline(5, clock))
    adapter = scripted(client, [(200, {}, OK)])
    with pytest.raises(BudgetTimeout):
        client.get_run('fl_run_a')
    assert adapter.sent == []
