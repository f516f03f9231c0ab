"""Issue 5 item 8 (and the unit half of item 3): response parsing is fuzzed; only the
collection's own typed errors (AltostratError subclasses) ever come out, and each is one line.
"""

import gzip
import json
import zlib

import pytest
from hypothesis import given, settings, strategies as st

from rel_helpers import RUN_OK
from testkit.fakes import SENTINEL, Answer, fake_client

from ansible_collections.altostrat.cloud.plugins.module_utils import _client
from ansible_collections.altostrat.cloud.plugins.module_utils._client import check_run, decode
from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratAPIError, AltostratError
from ansible_collections.altostrat.cloud.plugins.module_utils._runs import check_expected, describe, filter_logs

PATH = '/workflows/runs/fl_run_x'

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=30)

# Run-like objects: the real keys with values of any JSON type, so parsing goes deep.
RUNLIKE = st.fixed_dictionaries({}, optional={
    'id': st.one_of(st.just('fl_run_x'), JSON), 'status': st.one_of(st.sampled_from(
        ['pending', 'running', 'completed', 'failed', 'awaiting_ui_interaction', 'queued_v2']), JSON),
    'error_message': st.one_of(st.none(), st.text(max_size=40), JSON),
    'logs': st.one_of(st.none(), JSON, st.lists(st.one_of(JSON, st.fixed_dictionaries({}, optional={
        'node_id': JSON, 'component_id': JSON, 'status': st.sampled_from(['success', 'error', 'warning']),
        'output': JSON}))))})

BODIES = st.one_of(
    st.binary(max_size=300),
    JSON.map(lambda value: json.dumps(value).encode()),
    RUNLIKE.map(lambda value: json.dumps(value).encode()),
    st.text(max_size=200).map(lambda text: text.encode('utf-8')),
    st.sampled_from([b'<html><body>502 Bad Gateway</body></html>', b'{"id": "fl_run_x", "status": "run', b'',
                     b'null', b'[]', b'"text"', b'NaN', b'{"message": "nope", "code": 7}', b'\xff\xfe\x00']),
)
ASCII_HEADER = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40)
HEADERS = st.fixed_dictionaries({}, optional={
    'Content-Type': st.one_of(st.sampled_from(['application/json', 'text/html; charset=utf-8', 'text/plain', '']),
                              ASCII_HEADER),
    'Retry-After': st.one_of(st.integers(-5, 10 ** 12).map(str), ASCII_HEADER,
                             st.sampled_from(['Wed, 21 Oct 2015 07:28:00 GMT', 'Fri, 31 Dec 9999 23:59:59 GMT',
                                              'Mon, 01 Jan 0001 00:00:00 -0000', '1e9', '-1', ' 5 ']))})


def _one_line(exc):
    text = str(exc)
    assert text and '\n' not in text and 'Traceback' not in text
    assert SENTINEL not in text


@settings(max_examples=400)
@given(status=st.integers(0, 999), reason=st.one_of(st.none(), st.text(max_size=20)), headers=HEADERS, raw=BODIES)
def test_fuzz_decode_only_raises_our_errors(status, reason, headers, raw):
    try:
        decode(status, reason, headers, raw, 'GET', PATH)
    except AltostratAPIError as exc:
        _one_line(exc)
        assert 'GET %s' % PATH in str(exc)
        assert exc.retry_after is None or exc.retry_after >= 0
    else:
        assert 200 <= status < 300


@settings(max_examples=400)
@given(value=st.one_of(JSON, RUNLIKE))
def test_fuzz_check_run_only_raises_our_errors_and_runs_are_usable(value):
    try:
        run = check_run(value, 'GET', PATH)
    except AltostratAPIError as exc:
        _one_line(exc)
        assert 'GET %s' % PATH in str(exc)
        return
    # Whatever passed the check can be described, asserted and trimmed without a crash.
    describe(run, with_output=True)
    try:
        check_expected([run], ['completed'])
    except AltostratError as exc:
        _one_line(exc)
    for mode in ('errors', 'none', 'all'):
        filter_logs(json.loads(json.dumps(run)), mode)


def _encode(body, encoding):
    if encoding == 'gzip':
        return gzip.compress(body)
    if encoding == 'deflate':
        return zlib.compress(body)
    return body


ANSWERS = st.builds(
    lambda status, headers, body, encoding, length, damage: Answer(
        status, body if damage is None else _encode(body, encoding)[:damage] if encoding else body + b'x' * damage,
        dict(headers, **{k: v for k, v in (('Content-Encoding', encoding), ('Content-Length', length)) if v}),
        reason='Whatever'),
    st.integers(100, 599), HEADERS, BODIES, st.sampled_from([None, 'gzip', 'deflate', 'identity', 'br', 'x-bogus']),
    st.one_of(st.none(), st.integers(0, 10 ** 9).map(str), ASCII_HEADER), st.one_of(st.none(), st.integers(0, 50)))


@settings(max_examples=250)
@given(answers=st.lists(ANSWERS, min_size=1, max_size=4), http_retries=st.integers(0, 3))
def test_fuzz_get_run_over_a_fake_transport_only_raises_our_errors(answers, http_retries):
    client = fake_client(answers, http_retries=http_retries)
    try:
        run = client.get_run('fl_run_x')
    except AltostratError as exc:
        _one_line(exc)
    else:
        assert isinstance(run, dict) and isinstance(run['status'], str)
    for warning in client.warnings:
        _one_line(warning)


# ---- known crashes found by fuzzing (F1, F2): kept as exact cases ------------------------------

def test_deeply_nested_json_is_our_error():
    with pytest.raises(AltostratAPIError):
        decode(200, 'OK', {'Content-Type': 'application/json'}, b'[' * 100000 + b']' * 100000, 'GET', PATH)


def test_non_ascii_digit_retry_after_is_our_error():
    with pytest.raises(AltostratAPIError):
        decode(503, 'Unavailable', {'Retry-After': '\xb2'}, b'{}', 'GET', PATH)


def test_non_ascii_digit_content_length_is_survived():
    client = fake_client([Answer(200, RUN_OK, {'Content-Type': 'application/json', 'Content-Length': '\xb2'})])
    try:
        client.get_run('fl_run_x')
    except AltostratError:
        pass


# ---- item 3, unit: each bad answer is one clear line with method, path, status and what was wrong ----

def _fail(answer, **kwargs):
    client = fake_client([answer], http_retries=0, **kwargs)
    with pytest.raises(AltostratAPIError) as info:
        client.get_run('fl_run_x')
    _one_line(info.value)
    return str(info.value)


def test_html_error_page_is_one_clear_line():
    msg = _fail(Answer(502, b'<html><body><h1>502 Bad Gateway</h1></body></html>', {'Content-Type': 'text/html'},
                       reason='Bad Gateway'))
    assert msg.startswith('GET %s failed: HTTP 502' % PATH) and 'not JSON (text/html)' in msg and '502 Bad Gateway' in msg


def test_2xx_not_json_is_one_clear_line():
    msg = _fail(Answer(200, b'Internal error: <b>hello</b>', {'Content-Type': 'application/json'}))
    assert msg.startswith('GET %s: HTTP 200' % PATH) and 'not JSON' in msg


def test_truncated_body_is_one_clear_line():
    body = json.dumps(RUN_OK).encode()
    msg = _fail(Answer(200, body[:10], {'Content-Type': 'application/json', 'Content-Length': str(len(body))}))
    assert 'GET %s' % PATH in msg and 'HTTP 200' in msg and 'cut off after 10 bytes' in msg


def test_oversized_body_is_refused_by_content_length():
    msg = _fail(Answer(200, b'{}', {'Content-Type': 'application/json', 'Content-Length': str(70 * 1024 * 1024)}))
    assert 'GET %s: HTTP 200' % PATH in msg and 'larger than 64 MiB' in msg


def test_oversized_body_is_refused_while_streaming(monkeypatch):
    monkeypatch.setattr(_client, 'MAX_BODY_BYTES', 1024)
    monkeypatch.setattr(_client, '_CHUNK', 256)
    body = json.dumps(dict(RUN_OK, padding='x' * 5000)).encode()
    msg = _fail(Answer(200, body, {'Content-Type': 'application/json'}))  # no Content-Length: counted as read
    assert 'GET %s: HTTP 200' % PATH in msg and 'larger than' in msg and 'refusing to read it' in msg


@pytest.mark.parametrize('body, what', [
    ({'id': 'fl_run_x', 'logs': []}, 'no "status"'),
    ({'id': 'fl_run_x', 'status': 'running', 'logs': 'nope'}, '"logs" that is not a list'),
    ({'data': 'nope'}, 'no "id"'),
    ([RUN_OK], 'not a run object'),
])
def test_wrong_shape_names_what_is_wrong(body, what):
    msg = _fail_shape(body)
    assert msg.startswith('GET %s' % PATH) and what in msg


def _fail_shape(body):
    client = fake_client([Answer(200, body)], http_retries=0)
    with pytest.raises(AltostratAPIError) as info:
        client.get_run('fl_run_x')
    _one_line(info.value)
    return str(info.value)


@pytest.mark.parametrize('body', [{'id': 'fl_run_x', 'logs': []}, {'id': 'fl_run_x', 'status': 'x', 'logs': 'no'}])
def test_wrong_shape_names_the_status(body):
    assert 'HTTP 200' in _fail_shape(body)
