"""Shared pytest set-up for every test of the collection (``<repo>/tests`` is on ``sys.path``: ``pytest.ini``).

* makes ``ansible_collections.altostrat.cloud`` importable: the ``.build`` symlink tree and Ansible's collection
  loader on it (``testkit.collection``), before any test module imports the collection;
* exposes the emulator fixtures (``emulator``, ``emulator_factory``), the one fake clock (``clock``), ``tls_ca``
  (a CA made at test time with trustme, and a certificate it signed for 127.0.0.1/localhost, as files) and
  ``redis_server`` (a real redis-server on loopback with a password, ``testkit.redis_server``);
* loads the one hypothesis profile: derandomized and without an example database, so a property test passes
  or fails the same way on every machine and every run (a failure it finds is kept as an ``@example``);
  no per-example deadline and no too-slow health check: the property tests run beside playbooks on a
  busy machine, and time is not what they check.
"""

import pytest
from hypothesis import HealthCheck, settings

from testkit.collection import install_collection_loader, prepare_build_tree
from testkit.fakes import FakeClock

prepare_build_tree()
install_collection_loader()

settings.register_profile('altostrat', derandomize=True, database=None, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile('altostrat')

from emulator.pytest_plugin import emulator, emulator_factory  # noqa: E402,F401  pylint: disable=unused-import


@pytest.fixture
def clock():
    """A ``testkit.fakes.FakeClock``: it moves only when slept on (``clock.sleep``, every pause recorded in
    ``clock.sleeps``) or advanced."""
    return FakeClock()


@pytest.fixture(scope='session')
def tls_ca(tmp_path_factory):
    """``{'ca': path, 'cert': path, 'key': path}``: ``emulator_factory(..., tls_cert=..., tls_key=...)`` serves TLS."""
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


@pytest.fixture
def redis_server(tmp_path):
    """A started ``testkit.redis_server.RedisServer`` (password ``testkit.redis_server.PASSWORD``), stopped at teardown."""
    from testkit.redis_server import RedisServer
    server = RedisServer(tmp_path / 'redis').start()
    yield server
    server.stop()
