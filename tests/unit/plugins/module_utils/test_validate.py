"""Input checks made before any request leaves the machine."""

import pytest

from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratInputError
from ansible_collections.altostrat.cloud.plugins.module_utils._validate import MAX_ID_LENGTH, check_api_url, check_id

from testkit import SENTINEL


@pytest.mark.parametrize('kind, value', [
    ('run', 'fl_run_01h3j4k5l6m7n8p9q0r1s2t3u4'), ('run', 'fl_run_a-B_9'),
    ('workflow', 'fl_01h3j4k5'), ('workflow', 'fl_wf_main'), ('node', 'n2'), ('node', 'node_A-1'),
    ('run', 'fl_run_' + 'a' * (MAX_ID_LENGTH - 7)),
])
def test_good_ids(kind, value):
    assert check_id(value, kind) == value


BAD_IDS = {
    ('run', "expected 'fl_run_'"): ['fl_run_x/../../admin', 'fl_run_%2e%2e', 'fl_run_a?x=1', 'fl_run_a#x', 'fl_run_a b',
                                    'fl_run_a\n', 'fl_run_\u00e9', '', 'fl_run_', 'fl_abc', 'FL_RUN_abc'],
    ('run', 'longer than %d characters' % MAX_ID_LENGTH): ['fl_run_' + 'a' * (MAX_ID_LENGTH - 6)],
    ('run', 'expected a string, got NoneType'): [None],
    ('run', 'expected a string, got int'): [5],
    ('run', 'expected a string, got bytes'): [b'fl_run_a'],
    ('workflow', "expected 'fl_'"): ['fl_', 'wf_main', 'fl_a/b'],
    ('node', 'expected letters'): ['../n0', '', 'n.1'],
}


@pytest.mark.parametrize('kind, value, hint', [(kind, value, hint) for (kind, hint), values in BAD_IDS.items()
                                               for value in values])
def test_bad_ids(kind, value, hint):
    with pytest.raises(AltostratInputError) as info:
        check_id(value, kind)
    assert str(info.value).startswith('Invalid %s id ' % kind)
    assert hint in str(info.value)


def test_long_id_message_is_short():
    with pytest.raises(AltostratInputError) as info:
        check_id('fl_run_' + 'z' * 10000)
    assert len(str(info.value)) < 150


@pytest.mark.parametrize('value, expected', [
    ('https://v1.api.altostrat.io', 'https://v1.api.altostrat.io'),
    ('https://v1.api.altostrat.io/', 'https://v1.api.altostrat.io'),
    ('  http://127.0.0.1:8080/base/ ', 'http://127.0.0.1:8080/base'),
    ('http://[::1]:9000', 'http://[::1]:9000'),
])
def test_good_api_url(value, expected):
    assert check_api_url(value) == expected


@pytest.mark.parametrize('value, words, secret', [
    ('https://user:hunter2@v1.api.altostrat.io', 'must not carry credentials', 'hunter2'),
    ('https://tok3n@v1.api.altostrat.io', 'must not carry credentials', 'tok3n'),
    ('https://v1.api.altostrat.io/?token=abc123', 'query string or fragment', 'abc123'),
    ('https://v1.api.altostrat.io/#abc123', 'query string or fragment', 'abc123'),
    ('v1.api.altostrat.io', 'must start with https://', None),
    ('ftp://v1.api.altostrat.io', 'must start with https://', None),
    ('ftp://u:s3cr3t@v1.api.altostrat.io', 'must start with https://', 's3cr3t'),
    ('https://u:s3cr3t@v1.api.altostrat.io:notaport', 'not a valid URL', 's3cr3t'),
    ('https://', 'must start with https://', None),
    ('https://host:99999', 'not a valid URL', None),
    ('', 'non-empty URL', None),
    ('   ', 'non-empty URL', None),
    (None, 'non-empty URL', None),
])
def test_bad_api_url(value, words, secret):
    with pytest.raises(AltostratInputError) as info:
        check_api_url(value)
    assert words in str(info.value)
    if secret:
        assert secret not in str(info.value)


@pytest.mark.parametrize('template', [
    'https://%s@v1.api.altostrat.io', 'https://user:%s@v1.api.altostrat.io', 'https://v1.api.altostrat.io/?token=%s',
    'https://v1.api.altostrat.io?%s', 'https://v1.api.altostrat.io/#%s', 'ftp://%s@v1.api.altostrat.io', '%s',
    'https://v1.api.altostrat.io/api?access_token=%s&x=1', 'https://v1.api.altostrat.io:%s/'])
def test_token_pasted_into_api_url_is_refused_unechoed(template):
    with pytest.raises(AltostratInputError) as info:
        check_api_url(template % SENTINEL)
    assert str(info.value).startswith('api_url') and SENTINEL not in str(info.value)


# ---- properties ----------------------------------------------------------------------------------

from urllib.parse import quote  # noqa: E402

from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=200)
@given(secret=st.text(alphabet='abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~', min_size=12,
                      max_size=40),
       where=st.sampled_from(['user', 'password', 'query', 'fragment']))
def test_property_secret_in_userinfo_query_or_fragment_is_refused_unechoed(secret, where):
    url = {'user': 'https://%s@api.test', 'password': 'https://u:%s@api.test',
           'query': 'https://api.test/?t=%s', 'fragment': 'https://api.test/#%s'}[where] % secret
    with pytest.raises(AltostratInputError) as info:
        check_api_url(url)
    assert secret not in str(info.value)


@settings(max_examples=150)
@given(st.text(max_size=200))
def test_any_accepted_run_id_is_one_safe_path_segment(suffix):
    value = 'fl_run_' + suffix
    try:
        check_id(value, 'run')
    except AltostratInputError as exc:
        assert str(exc).startswith('Invalid run id') and '\n' not in str(exc).replace('\\n', '')
    else:
        assert quote(value, safe='') == value
        assert len(value) <= MAX_ID_LENGTH and value not in ('.', '..')


@pytest.mark.parametrize('key, words', [
    ('a\nb', 'holds characters a header cannot carry'), ('k\r\nX-Injected: 1', 'holds characters a header cannot carry'),
    (' k', 'spaces at either end'), ('\u00e9', 'non-ASCII'), ('k' * 256, 'longer than 255 characters (256)'),
    ('', 'must be a non-empty string'),
])
def test_idempotency_key_checked_before_any_request(key, words, clock):
    from testkit.fakes import FakeAnswer, fake_client
    client = fake_client([FakeAnswer(200, {'id': 'fl_run_a', 'status': 'pending'})], clock=clock)
    with pytest.raises(AltostratInputError) as info:
        client.start_run('fl_wf_main', idempotency_key=key)
    assert words in str(info.value) and client.adapter.sent == []
    assert '\n' not in str(info.value) and key not in str(info.value) or key == ''


def test_a_good_idempotency_key_is_sent_as_it_is(clock):
    from testkit.fakes import FakeAnswer, fake_client
    client = fake_client([FakeAnswer(200, {'id': 'fl_run_a', 'status': 'pending'})], clock=clock)
    assert client.start_run('fl_wf_main', idempotency_key='4711-ams1 preflight_~')[1] == '4711-ams1 preflight_~'
    assert client.adapter.sent[0].headers['Idempotency-Key'] == '4711-ams1 preflight_~'
