"""TLS for real (a CA made at test time): a self-signed server fails clearly once, ca_path trusts it, validate_certs
off warns; the environment's proxies and CA bundle applied explicitly (the session does not trust the environment)."""

import pytest

from ansible_collections.altostrat.cloud.plugins.module_utils._client import Client
from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratAPIError

from testkit import TOKEN


@pytest.fixture
def tls_emulator(emulator_factory, tls_ca):
    return emulator_factory({'tokens': [TOKEN], 'runs': [{'id': 'fl_run_a', 'workflow_id': 'fl_wf', 'finished': True}]},
                            tls_cert=tls_ca['cert'], tls_key=tls_ca['key'])


def test_self_signed_server_fails_clearly_once(tls_emulator, make_client, clock):
    client = make_client(tls_emulator, http_retries=3)
    with pytest.raises(AltostratAPIError) as info:
        client.get_run('fl_run_a')
    assert str(info.value).startswith('GET /workflows/runs/fl_run_a failed: TLS error talking to https://127.0.0.1:')
    assert 'certificate verify failed' in str(info.value) and 'Set ca_path' in str(info.value)
    assert not info.value.transient and clock.sleeps == [] and client.warnings == [] and tls_emulator.count() == 0


def test_ca_path_trusts_the_server(tls_emulator, tls_ca, make_client):
    client = make_client(tls_emulator, ca_path=tls_ca['ca'])
    assert client.get_run('fl_run_a')['status'] == 'completed' and client.warnings == []


def test_validate_certs_false_succeeds_with_a_warning(tls_emulator, make_client):
    client = make_client(tls_emulator, validate_certs=False)
    assert client.get_run('fl_run_a')['status'] == 'completed'
    assert client.warnings == ['validate_certs is false: the TLS certificate of %s is not verified.' % tls_emulator.url]


def test_environment_proxy_applied(monkeypatch):
    for name in ('NO_PROXY', 'no_proxy', 'HTTPS_PROXY', 'https_proxy', 'ALL_PROXY', 'all_proxy'):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv('HTTPS_PROXY', 'http://proxy.invalid:3128')
    client = Client(TOKEN, api_url='https://v1.api.altostrat.io')
    assert client.session.proxies.get('https') == 'http://proxy.invalid:3128'
    monkeypatch.setenv('NO_PROXY', 'v1.api.altostrat.io')
    assert 'https' not in Client(TOKEN, api_url='https://v1.api.altostrat.io').session.proxies


def test_ca_bundle_from_environment(monkeypatch, tmp_path):
    monkeypatch.delenv('CURL_CA_BUNDLE', raising=False)
    monkeypatch.setenv('REQUESTS_CA_BUNDLE', str(tmp_path / 'env.pem'))
    assert Client(TOKEN, api_url='https://x.test').session.verify == str(tmp_path / 'env.pem')
    assert Client(TOKEN, api_url='https://x.test', ca_path='/p.pem').session.verify == '/p.pem'
    monkeypatch.delenv('REQUESTS_CA_BUNDLE')
    assert Client(TOKEN, api_url='https://x.test').session.verify is True
