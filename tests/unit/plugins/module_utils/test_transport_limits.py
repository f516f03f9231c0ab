"""What one attempt may cost: a body over the size cap is refused, with or without Content-Length; a slow body, a
dripping status line or body is cut off at request_timeout in total or at the task's deadline (real sockets)."""

import types

import pytest

from ansible_collections.altostrat.cloud.plugins.module_utils import _transport
from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratAPIError

from testkit import TOKEN
from testkit.fakes import FakeAnswer, fake_client, scripted


RUN_PATH = '/workflows/runs/fl_run_completed'


def test_body_over_cap_by_content_length(emulator, make_client, monkeypatch):
    monkeypatch.setattr(_transport, 'MAX_BODY_BYTES', 4096)
    emulator.add_fault(path=RUN_PATH, kind='big', size=50000)
    with pytest.raises(AltostratAPIError) as info:
        make_client(emulator).get_run('fl_run_completed')
    assert 'larger than' in str(info.value) and '(50000 bytes)' in str(info.value)
    assert not info.value.transient and emulator.count() == 1


def test_body_under_cap_read_whole(emulator, make_client, monkeypatch):
    monkeypatch.setattr(_transport, 'MAX_BODY_BYTES', 60000)
    emulator.add_fault(path=RUN_PATH, kind='big', size=50000)
    run = make_client(emulator).request('GET', RUN_PATH).body
    assert run['id'] == 'fl_run_big' and len(run['padding']) > 49000


def test_body_over_cap_without_content_length(make_client, monkeypatch):
    monkeypatch.setattr(_transport, 'MAX_BODY_BYTES', 1000)
    monkeypatch.setattr(_transport, '_CHUNK', 100)
    client = make_client('http://api.test')
    adapter = scripted(client, [(200, {'Content-Type': 'application/json'}, b'{"id": "' + b'x' * 5000 + b'"}')])
    with pytest.raises(AltostratAPIError) as info:
        client.get_run('fl_run_a')
    assert 'larger than' in str(info.value)
    assert len(adapter.sent) == 1


def test_non_ascii_digit_content_length_is_ignored(clock):
    run = {'id': 'fl_run_x', 'status': 'completed', 'logs': []}
    client = fake_client([FakeAnswer(200, run, {'Content-Type': 'application/json', 'Content-Length': '\xb2'})], clock=clock)
    assert client.get_run('fl_run_x') == run


class RecordingSocket:
    """Stands for the socket under an answer: records every timeout set on it."""

    def __init__(self):
        self.timeouts = []

    def settimeout(self, seconds):
        self.timeouts.append(seconds)


def test_slow_body_is_bounded_by_request_timeout_in_total(make_client, monkeypatch):
    """A body dripped slowly: the socket's timeout follows the time left, and the read ends at request_timeout."""
    monkeypatch.setattr(_transport, '_CHUNK', 10)
    client = make_client('http://api.test', request_timeout=5, http_retries=0)
    body = b'{"id": "fl_run_a", "status": "running", "pad": "' + b'x' * 200 + b'"}'
    adapter = scripted(client, [(200, {}, body)])
    sock, send = RecordingSocket(), adapter.send

    def send_over_a_socket(request, **kwargs):
        response = send(request, **kwargs)
        response.raw._connection = types.SimpleNamespace(sock=sock, close=lambda: None)
        return response

    adapter.send = send_over_a_socket
    real_clock = client.transport.clock
    ticks = iter(range(0, 1000, 1))
    client.transport.clock = lambda: real_clock() + next(ticks)  # one second per chunk
    with pytest.raises(AltostratAPIError) as info:
        client.get_run('fl_run_a')
    assert 'still incomplete: no whole answer within request_timeout=5s (40 bytes so far)' in str(info.value)
    assert info.value.transient
    assert sock.timeouts == [4, 3, 2, 1]  # each read may block only for what is left of request_timeout


def _timed_get(url, **kwargs):
    import time
    from ansible_collections.altostrat.cloud.plugins.module_utils._client import Client
    client = Client(TOKEN, api_url=url, rate_limit=0, http_retries=0, **kwargs)
    started = time.monotonic()
    with pytest.raises(AltostratAPIError) as info:
        client.get_run('fl_run_a', retry=False)
    return info.value, time.monotonic() - started


def test_a_dripping_status_line_is_cut_off_at_the_time_left():
    """A byte every 0.4 s never trips a 3 s read timeout; the watchdog ends the attempt at the deadline."""
    from testkit.dripping import Dripping
    from ansible_collections.altostrat.cloud.plugins.module_utils._deadline import Deadline
    with Dripping(b'HTTP/1.1 200 OK\r\nX-Slow: ' + b'x' * 200, pace=0.4) as server:
        exc, seconds = _timed_get(server.url, request_timeout=3, deadline=Deadline(1.5))
    assert 1.4 < seconds < 2.5, seconds
    assert exc.transient and str(exc) == ("GET /workflows/runs/fl_run_a failed: no answer before the task's deadline "
                                          "(wait_timeout) ran out.")


def test_a_dripping_status_line_is_cut_off_at_request_timeout_in_total():
    from testkit.dripping import Dripping
    with Dripping(b'HTTP/1.1 200 OK\r\nX-Slow: ' + b'x' * 200, pace=0.3) as server:
        exc, seconds = _timed_get(server.url, request_timeout=1.0)
    assert 0.9 < seconds < 2.0, seconds
    assert str(exc) == 'GET /workflows/runs/fl_run_a failed: no answer within request_timeout=1s.'


def test_a_dripping_body_is_cut_off_at_the_deadline_not_at_request_timeout():
    from testkit.dripping import Dripping
    from ansible_collections.altostrat.cloud.plugins.module_utils._deadline import Deadline
    head = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n'
    with Dripping(b'{"id": "fl_run_a", "status": "completed", "pad": "' + b'x' * 400, pace=0.2, then=head) as server:
        exc, seconds = _timed_get(server.url, request_timeout=10, deadline=Deadline(1.5))
    assert 1.4 < seconds < 2.5, seconds
    assert exc.transient and exc.status == 200
    assert str(exc).startswith("GET /workflows/runs/fl_run_a failed: HTTP 200 answer still incomplete: no whole answer "
                               "before the task's deadline (wait_timeout) ran out ("), str(exc)
