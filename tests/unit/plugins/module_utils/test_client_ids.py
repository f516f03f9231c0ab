"""Ids: a bad run, workflow or node id is refused before any request; any text at all goes out as one plain path
segment of the API's own shape, or not at all."""

import re
from urllib.parse import unquote, urlsplit

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.altostrat.cloud.plugins.module_utils import _client
from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratAPIError, AltostratInputError

from testkit import SENTINEL
from testkit.fakes import DONE as RUN, FakeAnswer, assert_one_clean_line, fake_client, scripted


BAD = ['', ' ', 'fl_run_', 'fl_run_a/b', 'fl_run_x/../../admin', '..', 'fl_run_..', 'fl_run_%2e%2e', 'fl_run_%2F',
       'fl_run_a?b=c', 'fl_run_a#frag', 'fl_run_a b', ' fl_run_a', 'fl_run_a ', 'fl_run_a\n', 'fl_run_a\t',
       'fl_run_a\r\nX-Injected: 1', 'fl_run_a\x00', 'fl_run_\u00e9', 'fl_run_\uff41', 'fl_run_a;b', 'fl_run_a.b',
       'fl_run_' + 'a' * 200, 'https://evil.test/x', '/workflows/runs/fl_run_a', 'fl_run_a\\b', None, 42,
       ['fl_run_a'], {'id': 'fl_run_a'}, b'fl_run_a']


BAD_NODES = ['', 'n/1', '../x', 'n0/../n1', '..', '%2e', 'n?1', 'n#1', 'n 1', 'n1\n', 'n' * 200, None, 0]


SHAPES = {
    'run': re.compile(r'/workflows/runs/(fl_run_[A-Za-z0-9_-]+)\Z'),
    'workflow': re.compile(r'/workflows/(fl_[A-Za-z0-9_-]+)/executions\Z'),
    'start': re.compile(r'/workflows/(fl_[A-Za-z0-9_-]+)/execute\Z'),
    'rerun': re.compile(r'/workflows/runs/(fl_run_[A-Za-z0-9_-]+)/rerun\Z'),
    'resume': re.compile(r'/workflows/runs/fl_run_ok/resume-from/([A-Za-z0-9_-]+)\Z'),
}


CALLS = {
    'run': lambda client, value: client.get_run(value),
    'workflow': lambda client, value: client.list_runs(value),
    'start': lambda client, value: client.start_run(value, {'a': 1}),
    'rerun': lambda client, value: client.rerun(value),
    'resume': lambda client, value: client.resume('fl_run_ok', value),
}


KIND = {'run': 'run', 'rerun': 'run', 'workflow': 'workflow', 'start': 'workflow', 'resume': 'node'}


def api_client(clock=None):
    """A client whose fake API answers every endpoint well."""
    def answer(request):
        path = urlsplit(request.url).path
        if path.endswith('/executions'):
            return FakeAnswer(200, {'data': [], 'meta': {'last_page': 1}})
        if path.endswith('/rerun') or '/resume-from/' in path:
            return FakeAnswer(202, {'message': 'queued', 'new_run': RUN})
        return FakeAnswer(200, RUN)
    return fake_client(answer, clock=clock)


@pytest.mark.parametrize('call', ['run', 'workflow', 'start', 'rerun'])
@pytest.mark.parametrize('value', BAD, ids=repr)
def test_bad_ids_refused_before_any_request(call, value, clock):
    client = api_client(clock)
    if call in ('workflow', 'start') and isinstance(value, str) and value.startswith('fl_run_'):
        value = value.replace('fl_run_', 'fl_', 1)
    with pytest.raises(AltostratInputError) as info:
        CALLS[call](client, value)
    assert client.adapter.sent == []
    assert str(info.value).startswith('Invalid %s id' % KIND[call]) and len(str(info.value)) < 250
    assert_one_clean_line(str(info.value))


@pytest.mark.parametrize('call, value', [('run', 'fl_wf_main'), ('rerun', 'fl_wf_main'), ('workflow', 'wf_main'),
                                         ('start', 'wf_main'), ('workflow', 'fl_'), ('start', 'FL_main')])
def test_ids_of_another_shape_refused_before_any_request(call, value, clock):
    client = api_client(clock)
    with pytest.raises(AltostratInputError, match='^Invalid %s id' % KIND[call]):
        CALLS[call](client, value)
    assert client.adapter.sent == []


@pytest.mark.parametrize('value', BAD_NODES, ids=repr)
def test_bad_node_ids_refused_before_any_request(value, clock):
    client = api_client(clock)
    with pytest.raises(AltostratInputError, match='^Invalid node id'):
        client.resume('fl_run_ok', value)
    assert client.adapter.sent == []


NEAR = st.builds(lambda prefix, body, tail: prefix + body + tail,
                 st.sampled_from(['fl_run_', 'fl_', 'fl_run', '', 'FL_RUN_', 'fl_run_fl_run_']),
                 st.text(alphabet=st.sampled_from('aZ09_-./%?#&=;: \t\n\\\u00e9\u0000\u202e'), max_size=20),
                 st.sampled_from(['', '/', '%2e', '..', ' ', '\n', 'x' * 130]))


ANY_TEXT = st.one_of(st.text(max_size=200), NEAR, st.from_regex(r'\Afl_run_[A-Za-z0-9_-]{1,140}\Z'))


def _check_path(call, value):
    """For any text: the request path is the API's own shape with the id as one plain segment, or nothing is sent."""
    client = api_client()
    try:
        CALLS[call](client, value)
    except AltostratInputError:
        assert client.adapter.sent == [], 'refused, yet a request was sent'
        return
    except AltostratAPIError:  # the fake answers another run: sent, then refused
        pass
    assert client.adapter.sent, 'accepted, yet no request was sent'
    for request in client.adapter.sent:
        parts = urlsplit(request.url)
        assert (parts.scheme, parts.netloc, parts.fragment) == ('https', 'api.test', '')
        match = SHAPES[call].match(parts.path)
        assert match, 'path %r is not the API shape for %s' % (parts.path, call)
        assert unquote(match.group(1)) == value == match.group(1), 'the id went out other than as one plain segment'
        assert len(value) <= 128 and (call == 'workflow' or not parts.query)
        assert SENTINEL not in request.url


@settings(max_examples=300)
@given(value=ANY_TEXT)
def test_property_run_id_path_is_api_shape_or_refused(value):
    _check_path('run', value)
    _check_path('rerun', value)


@settings(max_examples=200)
@given(value=st.one_of(ANY_TEXT, st.from_regex(r'\Afl_[A-Za-z0-9_-]{1,100}\Z')))
def test_property_workflow_id_path_is_api_shape_or_refused(value):
    _check_path('workflow', value)
    _check_path('start', value)


@settings(max_examples=200)
@given(value=st.one_of(ANY_TEXT, st.from_regex(r'\A[A-Za-z0-9_-]{1,130}\Z')))
def test_property_node_id_path_is_api_shape_or_refused(value):
    _check_path('resume', value)


def test_ids_are_path_quoted(make_client, monkeypatch):
    """Even if an id got past validation, it would stay one path segment."""
    monkeypatch.setattr(_client, 'check_id', lambda value, kind='run': value)
    client = make_client('http://api.test')
    ok = b'{"id": "fl_run_a", "status": "completed"}'
    new = b'{"new_run": {"id": "fl_run_b", "status": "pending"}}'
    page = b'{"data": [], "meta": {"last_page": 1}}'
    adapter = scripted(client, [(200, {}, ok), (202, {}, new), (200, {}, page)])
    client.request('GET', '/workflows/runs/%s' % _client._segment('fl_run_x/../admin?a=1#f', 'run'))
    assert client.resume('fl_run_a b', '../n0')[0]['id'] == 'fl_run_b'
    assert client.list_runs('fl_a/b') == []
    urls = [r.url for r in adapter.sent]
    assert urls == ['http://api.test/workflows/runs/fl_run_x%2F..%2Fadmin%3Fa%3D1%23f',
                    'http://api.test/workflows/runs/fl_run_a%20b/resume-from/..%2Fn0',
                    'http://api.test/workflows/fl_a%2Fb/executions?page=1']
