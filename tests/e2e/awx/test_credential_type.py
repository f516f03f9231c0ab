"""The AWX credential type shipped in meta/awx_credential_type.yml."""

from e2e.awx.awx_helpers import credential_env, load_credential_type


def test_inputs():
    ctype = load_credential_type()
    assert ctype['kind'] == 'cloud'
    fields = {field['id']: field for field in ctype['inputs']['fields']}
    assert set(fields) == {'api_url', 'token', 'rate_limit_store'}
    assert fields['token']['secret'] is True and fields['rate_limit_store']['secret'] is True
    assert fields['token']['type'] == 'string'
    assert not fields['api_url'].get('secret')
    assert fields['api_url']['default'] == 'https://v1.api.altostrat.io'
    assert ctype['inputs']['required'] == ['token']
    for field in fields.values():
        assert field['label']


def test_injectors():
    assert set(load_credential_type()['injectors']) == {'env'}
    env = credential_env({'api_url': 'http://127.0.0.1:1234', 'token': 's3cret', 'rate_limit_store': 'rediss://:pw@redis:6380/0'})
    assert env == {'ALTOSTRAT_API_URL': 'http://127.0.0.1:1234', 'ALTOSTRAT_TOKEN': 's3cret',
                   'ALTOSTRAT_RATE_LIMIT_STORE': 'rediss://:pw@redis:6380/0'}


def test_no_store_injects_an_empty_store_which_means_none():
    for store in ('', None):
        assert credential_env({'token': 's3cret', 'rate_limit_store': store})['ALTOSTRAT_RATE_LIMIT_STORE'] == ''


def test_empty_url_falls_back_to_the_public_api():
    for url in ('', None):
        env = credential_env({'api_url': url, 'token': 's3cret'})
        assert env['ALTOSTRAT_API_URL'] == 'https://v1.api.altostrat.io'
