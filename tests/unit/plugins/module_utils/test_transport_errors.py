"""Failed requests in one line: method, path, status and the API's message; HTML and non-JSON bodies; which failures
are transient; hints for the mistakes users make; any answer at all raises only the collection's errors."""

import gzip
import zlib

import pytest
import requests
from hypothesis import given, settings, strategies as st

from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratAPIError, AltostratError

from testkit.fakes import FakeAnswer, assert_one_clean_line, fake_client, scripted
from testkit.strategies import ASCII_HEADER, BODIES, HEADERS


RUN_PATH = '/workflows/runs/fl_run_completed'


PATH = '/workflows/runs/fl_run_x'


def test_error_names_method_path_status_and_api_message(emulator, make_client):
    with pytest.raises(AltostratAPIError) as info:
        make_client(emulator).get_run('fl_run_nope')
    exc = info.value
    assert str(exc) == ('GET /workflows/runs/fl_run_nope failed: HTTP 404 Not Found: '
                        'Workflow run fl_run_nope not found. (resource_missing)')
    assert (exc.method, exc.path, exc.status) == ('GET', '/workflows/runs/fl_run_nope', 404)
    assert exc.api_message == 'Workflow run fl_run_nope not found.'


def test_api_message_is_made_one_line(make_client):
    client = make_client('http://api.test', http_retries=0)
    body = b'{"message": "Step n1 failed:\\n  upstream said\\r\\n\\tno", "code": "step\\nfailed"}'
    scripted(client, [(422, {'Content-Type': 'application/json'}, body)])
    with pytest.raises(AltostratAPIError) as info:
        client.get_run('fl_run_a')
    assert info.value.api_message == 'Step n1 failed: upstream said no' and info.value.api_code == 'step failed'
    assert str(info.value).endswith(': Step n1 failed: upstream said no (step failed)')


def test_html_error_is_one_line_with_excerpt(emulator, make_client):
    emulator.add_fault(path=RUN_PATH, kind='html', status=502)
    with pytest.raises(AltostratAPIError) as info:
        make_client(emulator, http_retries=0).get_run('fl_run_completed')
    assert str(info.value) == ("GET %s failed: HTTP 502 Bad Gateway: a body that is not JSON (text/html): "
                               "'<html><body><h1>502 Bad Gateway</h1></body></html>'" % RUN_PATH)
    assert info.value.status == 502 and info.value.api_message is None


def test_multiline_html_error_collapsed_and_cut(make_client):
    client = make_client('http://api.test')
    page = b'<html>\n<body>\n<h1>403 Forbidden</h1>\n<p>' + b'x' * 5000 + b'</p></body></html>\n'
    scripted(client, [(403, {'Content-Type': 'text/html; charset=utf-8'}, page)])
    with pytest.raises(AltostratAPIError) as info:
        client.get_run('fl_run_a')
    msg = str(info.value)
    assert '\n' not in msg and len(msg) < 300
    assert "not JSON (text/html): '<html> <body> <h1>403 Forbidden</h1> <p>xxx" in msg
    assert msg.endswith("...'")


def test_2xx_not_json(emulator, make_client):
    emulator.add_fault(path=RUN_PATH, kind='not_json', times=None)
    with pytest.raises(AltostratAPIError) as info:
        make_client(emulator).get_run('fl_run_completed')
    msg = str(info.value)
    assert msg.startswith('GET %s: HTTP 200 answer has a body that is not JSON (application/json)' % RUN_PATH)
    assert 'upstream said <b>hello</b>' in msg
    assert not info.value.transient and emulator.count() == 1


def test_truncated_body_is_transient_error(emulator, make_client):
    emulator.add_fault(path=RUN_PATH, kind='truncated', times=None)
    with pytest.raises(AltostratAPIError) as info:
        make_client(emulator, http_retries=0).get_run('fl_run_completed')
    assert info.value.transient and info.value.status == 200
    assert 'cut off' in str(info.value) and '\n' not in str(info.value)


def test_timeout_exception_is_transient_and_retried(make_client, clock, no_jitter):
    client = make_client('http://api.test')
    ok = b'{"id": "fl_run_a", "status": "completed"}'
    adapter = scripted(client, [(0, {}, requests.exceptions.ReadTimeout('read timed out')), (200, {}, ok)])
    assert client.get_run('fl_run_a')['status'] == 'completed'
    assert len(adapter.sent) == 2 and clock.sleeps == [0.5]
    assert 'no answer within request_timeout=30s' in client.warnings[0]


def test_ssl_error_not_retried_and_explained(make_client, clock):
    client = make_client('http://api.test')
    adapter = scripted(client, [(0, {}, requests.exceptions.SSLError('certificate verify failed'))] * 3)
    with pytest.raises(AltostratAPIError) as info:
        client.get_run('fl_run_a')
    assert len(adapter.sent) == 1 and 'ca_path' in str(info.value) and not info.value.transient


def test_host_that_does_not_resolve_is_named_once_not_retried(make_client, clock):
    client = make_client('https://api.does-not-exist.invalid')
    with pytest.raises(AltostratAPIError) as info:
        client.get_run('fl_run_a')
    assert not info.value.transient and clock.sleeps == [] and client.warnings == []
    assert 'the host of api_url api.does-not-exist.invalid does not resolve' in str(info.value)


def test_api_url_with_a_path_gets_a_hint_on_a_route_404(emulator, make_client):
    with pytest.raises(AltostratAPIError) as info:
        make_client(emulator.url + '/v1').get_run('fl_run_completed')
    assert info.value.status == 404 and "api_url ends in the path /v1, but the API's routes start at its root" in str(info.value)
    with pytest.raises(AltostratAPIError) as info:
        make_client(emulator).get_run('fl_run_nope')  # a missing run, at the right root: no hint
    assert 'api_url ends in' not in str(info.value)


def _encode(body, encoding):
    return {'gzip': gzip.compress, 'deflate': zlib.compress}.get(encoding, lambda raw: raw)(body)


ANSWERS = st.builds(
    lambda status, headers, body, encoding, length, damage: FakeAnswer(
        status, body if damage is None else _encode(body, encoding)[:damage] if encoding else body + b'x' * damage,
        dict(headers, **{k: v for k, v in (('Content-Encoding', encoding), ('Content-Length', length)) if v}),
        reason='Whatever'),
    st.integers(100, 599), HEADERS, BODIES, st.sampled_from([None, 'gzip', 'deflate', 'identity', 'br', 'x-bogus']),
    st.one_of(st.none(), st.integers(0, 10 ** 9).map(str), ASCII_HEADER), st.one_of(st.none(), st.integers(0, 50)))


@settings(max_examples=250)
@given(answers=st.lists(ANSWERS, min_size=1, max_size=4), http_retries=st.integers(0, 3))
def test_fuzz_get_run_over_a_fake_transport_only_raises_our_errors(answers, http_retries):
    """Statuses, headers and bodies of any kind (compressed and damaged too), through transport, retries and checks."""
    client = fake_client(answers, http_retries=http_retries)
    try:
        run = client.get_run('fl_run_x')
    except AltostratError as exc:
        assert_one_clean_line(str(exc))
        assert str(exc).startswith('GET %s' % PATH)
    else:
        assert isinstance(run, dict) and isinstance(run['id'], str) and isinstance(run['status'], str)
    for warning in client.warnings:
        assert_one_clean_line(warning)
