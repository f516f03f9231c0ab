"""Fixtures of the reliability suite: real ``ansible-playbook`` runs against emulators misbehaving on purpose.

* ``play(playbook, url, token=SENTINEL, ...)``: ``reliability.plays.run_play`` under this test's ``tmp_path``;
* ``module_emulators(scenario, **kwargs)``: emulators that live for the whole test module (one play, many checks);
* ``tls_ca``: a trustme CA and a server certificate for 127.0.0.1/localhost, made at test time, as files
  (``module_emulators(..., tls_cert=tls_ca['cert'], tls_key=tls_ca['key'])`` serves TLS with it).
"""

import pytest

from emulator.pytest_plugin import emulator_pool
from reliability.plays import run_play


@pytest.fixture
def play(tmp_path):
    counter = [0]

    def run(*args, **kwargs):
        counter[0] += 1
        return run_play(tmp_path / ('play%d' % counter[0]), *args, **kwargs)

    return run


@pytest.fixture(scope='module')
def module_emulators():
    with emulator_pool() as make:
        yield make


@pytest.fixture(scope='session')
def tls_ca(tmp_path_factory):
    import trustme
    ca = trustme.CA()
    cert = ca.issue_cert('127.0.0.1', 'localhost')
    where = tmp_path_factory.mktemp('tls')
    paths = {'ca': where / 'ca.pem', 'cert': where / 'server.pem', 'key': where / 'server.key'}
    ca.cert_pem.write_to_path(str(paths['ca']))
    cert.private_key_pem.write_to_path(str(paths['key']))
    cert.cert_chain_pems[0].write_to_path(str(paths['cert']))
    for blob in cert.cert_chain_pems[1:]:
        blob.write_to_path(str(paths['cert']), append=True)
    return {name: str(path) for name, path in paths.items()}
