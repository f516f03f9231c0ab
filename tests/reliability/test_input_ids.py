"""Issue 5 item 4: bad run, workflow and node ids are refused before any request is sent.

A fake transport captures every prepared request; hypothesis proves that for ANY text the
request path is the API's own shape with one quoted segment, or the id is refused.
"""

import re
from urllib.parse import unquote, urlsplit

import pytest
from hypothesis import given, settings, strategies as st

from rel_helpers import RUN_OK
from testkit.fakes import SENTINEL, Answer, fake_client

from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratError, AltostratInputError
from ansible_collections.altostrat.cloud.plugins.module_utils._options import settle

BAD = ['', ' ', 'fl_run_', 'fl_run_a/b', 'fl_run_../x', '..', 'fl_run_..', 'fl_run_%2e%2e', 'fl_run_%2F',
       'fl_run_a?b=c', 'fl_run_a#frag', 'fl_run_a b', ' fl_run_a', 'fl_run_a ', 'fl_run_a\n', 'fl_run_a\t',
       'fl_run_a\r\nX-Injected: 1', 'fl_run_a\x00', 'fl_run_\u00e9', 'fl_run_\uff41', 'fl_run_a;b', 'fl_run_a.b',
       'fl_run_' + 'a' * 200, 'https://evil.test/x', '/workflows/runs/fl_run_a', 'fl_run_a\\b', None, 42,
       ['fl_run_a'], {'id': 'fl_run_a'}]
BAD_NODES = ['', 'n/1', '..', '%2e', 'n?1', 'n#1', 'n 1', 'n1\n', 'n' * 200, None]

SHAPES = {
    'run': re.compile(r'/workflows/runs/(fl_run_[A-Za-z0-9_-]+)\Z'),
    'workflow': re.compile(r'/workflows/(fl_[A-Za-z0-9_-]+)/executions\Z'),
    'start': re.compile(r'/workflows/(fl_[A-Za-z0-9_-]+)/execute\Z'),
    'rerun': re.compile(r'/workflows/runs/(fl_run_[A-Za-z0-9_-]+)/rerun\Z'),
    'resume': re.compile(r'/workflows/runs/fl_run_ok/resume-from/([A-Za-z0-9_-]+)\Z'),
}
PAGE = {'data': [], 'meta': {'last_page': 1}}
NEW_RUN = {'message': 'queued', 'new_run': RUN_OK}


def _client():
    def answer(request):
        path = urlsplit(request.url).path
        if path.endswith('/executions'):
            return Answer(200, PAGE)
        if path.endswith('/rerun') or '/resume-from/' in path:
            return Answer(202, NEW_RUN)
        return Answer(200, RUN_OK)
    return fake_client(answer)


CALLS = {
    'run': lambda client, value: client.get_run(value),
    'workflow': lambda client, value: client.list_runs(value),
    'start': lambda client, value: client.start_run(value, {'a': 1}),
    'rerun': lambda client, value: client.rerun(value),
    'resume': lambda client, value: client.resume('fl_run_ok', value),
}


@pytest.mark.parametrize('call', ['run', 'workflow', 'start', 'rerun'])
@pytest.mark.parametrize('value', BAD, ids=repr)
def test_bad_ids_are_refused_before_any_request(call, value):
    client = _client()
    if call in ('workflow', 'start') and isinstance(value, str):
        value = value.replace('fl_run_', 'fl_', 1) if value.startswith('fl_run_') else value
    with pytest.raises(AltostratInputError) as info:
        CALLS[call](client, value)
    assert client.adapter.sent == []
    assert '\n' not in str(info.value) and len(str(info.value)) < 300


@pytest.mark.parametrize('value', BAD_NODES, ids=repr)
def test_bad_node_ids_are_refused_before_any_request(value):
    client = _client()
    with pytest.raises(AltostratInputError):
        client.resume('fl_run_ok', value)
    assert client.adapter.sent == []


@pytest.mark.parametrize('bad', ['fl_run_a/../b', 'fl_run_%2e'])
def test_bad_id_among_many_is_refused_before_any_request(bad):
    """query(..., good_id, bad_id): nothing is sent, not even for the good one."""
    client = _client()
    options = dict(wait=False, expected_status=None, logs='all')
    with pytest.raises(AltostratInputError):
        settle(client, ['fl_run_good', bad], options)
    assert client.adapter.sent == []


# A mix of texts that are near misses of the API shape, and arbitrary text.
NEAR = st.builds(lambda prefix, body, tail: prefix + body + tail,
                 st.sampled_from(['fl_run_', 'fl_', 'fl_run', '', 'FL_RUN_', 'fl_run_fl_run_']),
                 st.text(alphabet=st.sampled_from('aZ09_-./%?#&=;: \t\n\\\u00e9\u0000\u202e'), max_size=20),
                 st.sampled_from(['', '/', '%2e', '..', ' ', '\n', 'x' * 130]))
ANY_TEXT = st.one_of(st.text(max_size=200), NEAR, st.from_regex(r'\Afl_run_[A-Za-z0-9_-]{1,140}\Z'))


def _check_property(call, value):
    client = _client()
    try:
        CALLS[call](client, value)
    except AltostratInputError:
        assert client.adapter.sent == [], 'refused, yet a request was sent'
        return
    sent = client.adapter.sent
    assert sent, 'accepted, yet no request was sent'
    for request in sent:
        parts = urlsplit(request.url)
        assert parts.scheme == 'https' and parts.netloc == 'api.test'
        assert not parts.fragment
        match = SHAPES[call].match(parts.path)
        assert match, 'path %r is not the API shape for %s' % (parts.path, call)
        segment = match.group(1)
        assert unquote(segment) == value == segment, 'the id went out other than as one plain segment'
        assert len(value) <= 128
        assert call == 'workflow' or not parts.query
        assert SENTINEL not in request.url


@settings(max_examples=300)
@given(value=ANY_TEXT)
def test_property_run_id_path_is_api_shape_or_refused(value):
    _check_property('run', value)
    _check_property('rerun', value)


@settings(max_examples=200)
@given(value=st.one_of(ANY_TEXT, st.from_regex(r'\Afl_[A-Za-z0-9_-]{1,100}\Z')))
def test_property_workflow_id_path_is_api_shape_or_refused(value):
    _check_property('workflow', value)
    _check_property('start', value)


@settings(max_examples=200)
@given(value=st.one_of(ANY_TEXT, st.from_regex(r'\A[A-Za-z0-9_-]{1,130}\Z')))
def test_property_node_id_path_is_api_shape_or_refused(value):
    _check_property('resume', value)


def test_lookup_term_that_is_not_a_string_is_an_input_error():
    client = _client()
    options = dict(wait=False, expected_status=None, logs='all')
    with pytest.raises(AltostratError):
        settle(client, [{'id': 'fl_run_a'}], options)
    assert client.adapter.sent == []
