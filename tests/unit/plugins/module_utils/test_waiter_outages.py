"""Outages are ridden out: failed polls back off to max_poll_interval, a long outage does not end a wait, an API down
for good ends it at the deadline naming the error; the real client tells an outage once each way."""

import pytest

from ansible_collections.altostrat.cloud.plugins.module_utils._deadline import Deadline
from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratTimeoutError
from ansible_collections.altostrat.cloud.plugins.module_utils._waiter import Waiter

from testkit.fakes import DONE, RUNNING, FakeAnswer, fake_client
from testkit.waiter import scripted_waiter, transient, wait


def test_transient_errors_ridden_out_with_backoff_to_max_poll_interval(clock):
    script = ['running'] + [transient('a')] * 5 + ['running', 'completed']
    client, waiter, warnings, _unused = scripted_waiter({'a': script}, clock, max_poll_interval=15)
    runs, _unused = wait(waiter, ['a'])
    assert runs[0]['status'] == 'completed' and len(client.calls) == len(script)
    # each failed poll doubles the pause, up to max_poll_interval; the first good poll goes back to the schedule
    # (a tenth of the 45 s waited)
    assert clock.sleeps == pytest.approx([1.0, 2.0, 4.0, 8.0, 15.0, 15.0, 4.5])
    assert set(client.retries) == {False}  # the waiter paces its own retries: one request per pause
    assert warnings == []  # the client tells trouble once, not the waiter per poll


def test_api_down_for_good_times_out_at_the_deadline_naming_the_error(clock):
    error = transient('a')
    client, waiter, _unused, _unused = scripted_waiter({'a': ['running'] + [error]}, clock, wait_timeout=600, max_poll_interval=15)
    start = clock()
    with pytest.raises(AltostratTimeoutError) as info:
        wait(waiter, ['a'])
    exc = info.value
    assert clock() == pytest.approx(start + 600) and client.calls[-1][1] == pytest.approx(start + 599)
    assert len(client.calls) <= 600 / 15 + 6  # no hammering: about one request per max_poll_interval
    assert exc.run == {'id': 'a', 'status': 'running', 'logs': []} and exc.error is error
    assert str(exc) == ('Wait timed out after 600.0 s (wait_timeout=600s) on run a (running); the last poll failed: '
                        'GET /workflows/runs/a failed: HTTP 503 Service Unavailable: Server Error.')


def test_outage_inside_a_long_wait_does_not_end_it(clock):
    script = ['running'] * 5 + [transient('a')] * 40 + ['running'] * 3 + ['completed']
    client, waiter, _unused, _unused = scripted_waiter({'a': script}, clock, wait_timeout=3600)
    runs, elapsed = wait(waiter, ['a'])
    assert runs[0]['status'] == 'completed' and elapsed > 40 * 10


def test_outage_of_the_real_client_is_told_once_when_it_starts_and_once_when_it_ends(clock):
    busy = FakeAnswer(503, {'message': 'Server Error.'}, reason='Service Unavailable')
    client = fake_client([FakeAnswer(200, RUNNING), busy, busy, busy, FakeAnswer(200, DONE)], clock=clock,
                         deadline=Deadline(60, clock))
    runs, _unused = wait(Waiter(client, poll_interval=1), ['fl_run_x'])
    assert runs == [DONE] and len(client.adapter.sent) == 5  # one request per pause: the waiter paces the retries
    assert clock.sleeps == [1.0, 2.0, 4.0, 8.0]  # each failed poll doubles the pause
    assert client.warnings == [
        'The Altostrat API is failing (GET /workflows/runs/fl_run_x failed: HTTP 503 Service Unavailable: Server Error); '
        'retrying with backoff, this is said once.',
        'The Altostrat API answers again, after 14 s and 3 failed request(s).']
