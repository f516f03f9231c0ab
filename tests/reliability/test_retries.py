"""Issue 5 item 1: transient faults are retried for GETs, with jittered backoff, and survived.

Unit tests drive ``Client`` through a fake transport on a fake clock (no real sleeping);
end-to-end tests run ``ansible-playbook`` against the emulator with faults injected.
"""

import socket

import pytest
import requests

from rel_helpers import RUN_OK, scenario, warnings_about
from testkit.fakes import SENTINEL, Answer, FakeClock, fake_client

from ansible_collections.altostrat.cloud.plugins.module_utils import _client
from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratAPIError
from ansible_collections.altostrat.cloud.plugins.module_utils._waiter import Waiter

PATH = '/workflows/runs/fl_run_x'


def _error(status, headers=None):
    merged = {'Content-Type': 'application/json'}
    merged.update(headers or {})
    return Answer(status, {'type': 'api_error', 'code': 'x', 'message': 'Injected %d.' % status}, merged, reason='Err')


# ---- unit: what is retried, how often, how loudly -----------------------------------------

@pytest.mark.parametrize('status', [429, 502, 503, 504])
def test_transient_status_is_retried_and_survived(status):
    client = fake_client([_error(status), _error(status), Answer(200, RUN_OK)])
    assert client.get_run('fl_run_x') == RUN_OK
    assert len(client.adapter.sent) == 3
    assert len(client.warnings) == 2, client.warnings
    for number, warning in enumerate(client.warnings, 1):
        assert 'GET %s' % PATH in warning and 'HTTP %d' % status in warning
        assert 'retry %d of 5' % number in warning


@pytest.mark.parametrize('exc', [requests.exceptions.ConnectionError('Connection reset by peer'),
                                 requests.exceptions.ConnectionError('[Errno 111] Connection refused'),
                                 requests.exceptions.ReadTimeout('read timed out'),
                                 requests.exceptions.ChunkedEncodingError('cut off')],
                         ids=['reset', 'refused', 'timeout', 'cut-off'])
def test_connection_failure_is_retried_and_survived(exc):
    client = fake_client([Answer(exc=exc), Answer(200, RUN_OK)])
    assert client.get_run('fl_run_x') == RUN_OK
    assert len(client.adapter.sent) == 2
    assert len(client.warnings) == 1 and 'retry 1 of 5' in client.warnings[0]
    assert 'GET %s' % PATH in client.warnings[0]


@pytest.mark.parametrize('status', [400, 401, 403, 404, 409, 422])
def test_client_errors_are_not_retried(status):
    client = fake_client([_error(status), Answer(200, RUN_OK)])
    with pytest.raises(AltostratAPIError) as info:
        client.get_run('fl_run_x')
    assert info.value.status == status and not info.value.transient
    assert len(client.adapter.sent) == 1 and client.warnings == [] and client.fake_clock.sleeps == []


def test_backoff_is_exponential_jittered_and_bounded_by_http_retries():
    client = fake_client([_error(503)], http_retries=5)
    with pytest.raises(AltostratAPIError) as info:
        client.get_run('fl_run_x')
    assert len(client.adapter.sent) == 6, 'one try plus http_retries=5 retries'
    assert len(client.warnings) == 5
    sleeps = client.fake_clock.sleeps
    for attempt, delay in enumerate(sleeps, 1):
        base = 0.5 * 2 ** (attempt - 1)
        assert base * 0.5 <= delay <= base, (attempt, delay)
    assert '503' in str(info.value) and '\n' not in str(info.value)


def test_backoff_is_jittered_between_clients():
    """Two clients failing together do not retry in lock step."""
    firsts = set()
    for _attempt in range(12):
        client = fake_client([_error(503), Answer(200, RUN_OK)])
        client.get_run('fl_run_x')
        firsts.add(round(client.fake_clock.sleeps[0], 6))
    assert len(firsts) > 6, firsts


def test_backoff_is_capped():
    client = fake_client([_error(503)], http_retries=12)
    with pytest.raises(AltostratAPIError):
        client.get_run('fl_run_x')
    assert max(client.fake_clock.sleeps) <= _client.MAX_BACKOFF


def test_429_retry_after_is_honoured():
    client = fake_client([_error(429, {'Retry-After': '7'}), Answer(200, RUN_OK)])
    assert client.get_run('fl_run_x') == RUN_OK
    assert client.fake_clock.sleeps == [7.0]
    assert 'in 7.0 s' in client.warnings[0]


def test_429_without_retry_after_backs_off():
    client = fake_client([_error(429), Answer(200, RUN_OK)])
    assert client.get_run('fl_run_x') == RUN_OK
    assert 0.25 <= client.fake_clock.sleeps[0] <= 0.5


def test_absurd_retry_after_is_capped_without_a_deadline():
    client = fake_client([_error(429, {'Retry-After': '86400'}), Answer(200, RUN_OK)])
    assert client.get_run('fl_run_x') == RUN_OK
    assert client.fake_clock.sleeps == [_client.MAX_RETRY_AFTER]


def test_absurd_retry_after_never_sleeps_past_the_deadline():
    clock = FakeClock()
    client = fake_client([_error(429, {'Retry-After': '3600'}), Answer(200, RUN_OK)], clock=clock)
    deadline = clock() + 5
    try:
        client.get_run('fl_run_x', deadline=deadline)
    except AltostratAPIError as exc:
        assert exc.transient
    assert clock() <= deadline


def test_absurd_retry_after_is_clipped_to_the_wait_and_the_wait_survives():
    """A waiter facing ``Retry-After: 3600`` polls again within its deadline and returns the run."""
    clock = FakeClock()
    client = fake_client([_error(429, {'Retry-After': '3600'}), Answer(200, RUN_OK)], clock=clock)
    start = clock()
    runs, elapsed = Waiter(client, wait_timeout=10, poll_interval=1, warn=client.warnings.append).wait(['fl_run_x'])
    assert runs == [RUN_OK]
    assert clock() - start <= 10 and all(pause <= 10 for pause in clock.sleeps)
    assert any('429' in warning for warning in client.warnings), client.warnings


def test_retry_after_http_date_is_understood():
    from email.utils import format_datetime
    import datetime
    when = format_datetime(datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=20), usegmt=True)
    client = fake_client([_error(503, {'Retry-After': when}), Answer(200, RUN_OK)])
    client.get_run('fl_run_x')
    assert 15 <= client.fake_clock.sleeps[0] <= 21


def test_waiter_rides_out_transient_poll_failures_within_the_deadline():
    clock = FakeClock()
    running = dict(RUN_OK, status='running')
    client = fake_client([Answer(200, running), _error(503), _error(503), _error(503), Answer(200, RUN_OK)],
                         clock=clock, http_retries=0)
    runs, _unused = Waiter(client, wait_timeout=60, poll_interval=1, warn=client.warnings.append).wait(['fl_run_x'])
    assert runs == [RUN_OK] and len(client.adapter.sent) == 5
    assert sum('failed poll' in w for w in client.warnings) == 3


def test_refused_then_listening_is_survived(emulator_factory):
    """A real refused connection (nothing listening), then the API comes up: the GET gets through."""
    probe = socket.socket()
    probe.bind(('127.0.0.1', 0))
    port = probe.getsockname()[1]
    probe.close()
    from ansible_collections.altostrat.cloud.plugins.module_utils._client import Client
    warnings, sleeps, started = [], [], []

    def sleep(seconds):
        sleeps.append(seconds)
        if len(sleeps) == 2:
            started.append(emulator_factory(scenario('fl_run_x'), port=port))

    client = Client(SENTINEL, api_url='http://127.0.0.1:%d' % port, warn=warnings.append, sleep=sleep)
    run = client.get_run('fl_run_x')
    assert run['id'] == 'fl_run_x' and run['status'] == 'completed'
    assert len(sleeps) == 2 and len(warnings) == 2
    assert all('could not reach' in w and 'GET /workflows/runs/fl_run_x' in w for w in warnings)
    assert started[0].count(method='GET') == 1


# ---- end to end ------------------------------------------------------------------------------

FAULTS = [
    ('t429', {'kind': 'status', 'status': 429}, 1),
    ('t429ra', {'kind': 'status', 'status': 429, 'retry_after': 1}, 1),
    ('t502', {'kind': 'status', 'status': 502}, 2),
    ('t503', {'kind': 'status', 'status': 503}, 1),
    ('t504', {'kind': 'status', 'status': 504}, 1),
    ('thtml', {'kind': 'html'}, 1),
    ('tdrop', {'kind': 'drop'}, 2),
]


def test_e2e_transient_faults_are_survived_by_module_and_lookup(play, emulator_factory):
    runs, faults, cases = [], [], []
    for name, fault, times in FAULTS:
        for plugin in ('m', 'l'):
            run_id = 'fl_run_%s_%s' % (name, plugin)
            runs.append(run_id)
            faults.append(dict(fault, method='GET', path='/workflows/runs/' + run_id, times=times))
            cases.append({'name': run_id, 'run_id': run_id, 'module': plugin == 'm', 'lookup': plugin == 'l'})
    emu = emulator_factory(scenario(*runs, faults=faults))
    played = play('cases.yml', emu.url, extra_vars={'cases': cases})
    assert played.rc == 0, played
    results = played['result']
    for (name, _fault, times), module_result, lookup_result in zip(FAULTS, results['module'], results['lookup']):
        assert not module_result.get('failed'), module_result
        assert module_result['run']['status'] == 'completed'
        retries = warnings_about(played.output, 'GET /workflows/runs/fl_run_%s_m failed' % name)
        assert len(retries) == times, (name, retries)
        assert ['retry %d of 5' % n in w for n, w in enumerate(retries, 1)] == [True] * times
        assert emu.count(path='/workflows/runs/fl_run_%s_m' % name) == times + 1
        assert not lookup_result.get('failed'), lookup_result
        assert lookup_result['ansible_facts']['lookup_run']['status'] == 'completed'
        assert emu.count(path='/workflows/runs/fl_run_%s_l' % name) == times + 1
        assert len(warnings_about(played.output, 'GET /workflows/runs/fl_run_%s_l failed' % name)) == times
