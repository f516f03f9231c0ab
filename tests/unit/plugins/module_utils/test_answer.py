"""What an answer means (``_answer.py``): JSON checked before it decides anything (repeated keys, depth, size), the
token masked before any cut, one-line errors with their hints, and fuzzing of the decoding."""

import json
import tracemalloc

import pytest
from hypothesis import example, given, settings, strategies as st

from ansible_collections.altostrat.cloud.plugins.module_utils._answer import (
    MAX_BODY_BYTES, MAX_DEPTH, MAX_JSON_VALUES, MEMORY_BOUND, Call, decode)
from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratAPIError

from testkit import SENTINEL
from testkit.fakes import assert_one_clean_line
from testkit.strategies import BODIES, HEADERS

PATH = '/workflows/runs/fl_run_x'


def _decode(raw, status=200, secret=None, reason='OK', headers=None):
    return decode(status, reason, headers or {'Content-Type': 'application/json'}, raw, Call('GET', PATH, secret=secret))


# ---- repeated keys, values, memory ---------------------------------------------------------------

@pytest.mark.parametrize('raw', [
    b'{"id": "fl_run_x", "status": "failed", "logs": [], "status": "completed"}',
    b'{"id": "fl_run_x", "status": "running", "logs": [{"node_id": "n1", "node_id": "n2"}]}',
    b'{"id": "fl_run_x", "id": "fl_run_x", "status": "completed"}',
], ids=['status', 'nested', 'same-value'])
def test_a_repeated_key_is_refused_as_ambiguous(raw):
    with pytest.raises(AltostratAPIError) as info:
        _decode(raw)
    assert 'HTTP 200 answer has a JSON body that is ambiguous: the key "' in str(info.value)
    assert 'appears twice in one object' in str(info.value) and not info.value.transient
    assert_one_clean_line(str(info.value))


def test_too_many_values_refused_before_parsing():
    raw = b'[' + b','.join([b'{}'] * (MAX_JSON_VALUES + 1)) + b']'
    with pytest.raises(AltostratAPIError, match='holds more than %d JSON values' % MAX_JSON_VALUES):
        _decode(raw)


@pytest.mark.parametrize('unit', [b'{}', b'{"a":1}', b'"ab"', b'12345678901234567890'])  # the worst ones measured
def test_parsing_an_answer_at_the_bounds_stays_within_the_memory_bound(unit):
    """The worst bodies the bounds let through (as many values as allowed, or as many bytes), parsed: Python's
    allocations stay under MEMORY_BOUND (the documented figure), the raw body included."""
    count = min(MAX_JSON_VALUES // max(1, unit.count(b':') + unit.count(b'{') + unit.count(b'[') + 1),
                (MAX_BODY_BYTES - 2) // (len(unit) + 1))
    raw = b'[' + b','.join([unit] * count) + b']'
    assert len(raw) <= MAX_BODY_BYTES
    tracemalloc.start()
    try:
        body = _decode(raw)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(body) == count
    assert peak + len(raw) < MEMORY_BOUND, '%d MiB' % ((peak + len(raw)) // 2 ** 20)


def test_one_long_string_at_the_byte_cap_stays_within_the_memory_bound():
    raw = b'"' + '€'.encode('utf-8') * ((MAX_BODY_BYTES - 2) // 3) + b'"'
    tracemalloc.start()
    try:
        _decode(raw)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak + len(raw) < MEMORY_BOUND


# ---- the token, masked before any cut --------------------------------------------------------------

@pytest.mark.parametrize('where', ['error_message', 'status', 'logs'])
def test_the_token_is_masked_in_every_string_of_an_answer(where):
    echoed = 'x' * 290 + SENTINEL  # near the 300-character cut of a message
    run = {'id': 'fl_run_x', 'status': 'failed', 'error_message': 'ok', 'logs': []}
    if where == 'logs':
        run['logs'] = [{'node_id': 'n1', 'output': {'deep': [echoed]}}]
    else:
        run[where] = echoed
    body = _decode(json.dumps(run).encode(), secret=SENTINEL)
    assert SENTINEL not in json.dumps(body) and '********' in json.dumps(body)


def test_a_token_hidden_behind_json_escapes_is_masked_too():
    escaped = ''.join('\\u%04x' % ord(char) for char in SENTINEL)
    raw = ('{"id": "fl_run_x", "status": "failed", "error_message": "%s"}' % escaped).encode()
    assert _decode(raw, secret=SENTINEL)['error_message'] == '********'


def test_a_401_echoing_the_token_at_the_cut_shows_no_fragment_of_it():
    message = 'y' * (300 - len(SENTINEL) // 2) + SENTINEL
    raw = json.dumps({'message': message, 'code': 'unauthenticated'}).encode()
    with pytest.raises(AltostratAPIError) as info:
        _decode(raw, status=401, secret=SENTINEL, reason='Unauthorized ' + SENTINEL)
    for text in (str(info.value), info.value.api_message):
        assert not any(SENTINEL[:n] in text for n in range(6, len(SENTINEL) + 1)), text
    assert_one_clean_line(str(info.value))


def test_a_non_json_body_echoing_the_token_is_masked_before_the_excerpt_is_cut():
    raw = b'<html>' + b'z' * 100 + SENTINEL.encode() + b'</html>'
    with pytest.raises(AltostratAPIError) as info:
        _decode(raw, status=502, secret=SENTINEL, headers={'Content-Type': 'text/html'})
    assert not any(SENTINEL[:n] in str(info.value) for n in range(6, len(SENTINEL) + 1))


# ---- fuzzing the decoding: only our own errors, each one line --------------------------------------

@settings(max_examples=400)
@given(status=st.integers(0, 999), reason=st.one_of(st.none(), st.text(max_size=20)), headers=HEADERS, raw=BODIES)
@example(status=200, reason='OK', headers={}, raw=b'[' * 100000 + b']' * 100000)  # found: RecursionError escaped
@example(status=503, reason='Unavailable', headers={'Retry-After': '\xb2'}, raw=b'{}')  # found: int('\xb2') escaped
@example(status=400, reason='Bad\nRequest', headers={}, raw=b'{"message": "a\\nb", "code": "c\\rd"}')
def test_fuzz_decode_only_raises_our_errors(status, reason, headers, raw):
    try:
        body = decode(status, reason, headers, raw, Call('GET', PATH))
    except AltostratAPIError as exc:
        assert_one_clean_line(str(exc))
        assert str(exc).startswith('GET %s' % PATH)
        assert exc.status == status and exc.transient == (status == 429 or status >= 500)
        assert exc.retry_after is None or exc.retry_after >= 0
    else:
        assert 200 <= status < 300
        assert json.dumps(body) == json.dumps(json.loads(raw.decode('utf-8')) if raw.strip() else None)


@pytest.mark.parametrize('depth', [MAX_DEPTH + 1, 500, 100000])
def test_nesting_deeper_than_the_bound_is_one_line(depth):
    raw = b'{"id": "fl_run_x", "status": "running", "logs": [{"output": ' + b'[' * depth + b']' * depth + b'}]}'
    with pytest.raises(AltostratAPIError) as info:
        decode(200, 'OK', {'Content-Type': 'application/json'}, raw, Call('GET', PATH))
    assert str(info.value) == ('GET /workflows/runs/fl_run_x: HTTP 200 answer has a JSON body that nests deeper than %d '
                               'levels.' % MAX_DEPTH)


def test_nesting_at_the_bound_is_accepted():
    raw = b'[' * MAX_DEPTH + b']' * MAX_DEPTH
    assert decode(200, 'OK', {}, raw, Call('GET', PATH)) is not None


def test_non_ascii_digit_retry_after_is_ignored():
    with pytest.raises(AltostratAPIError) as info:
        decode(503, 'Unavailable', {'Retry-After': '\xb2'}, b'{}', Call('GET', PATH))
    assert info.value.transient and info.value.retry_after is None
