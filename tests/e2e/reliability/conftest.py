"""Fixtures of the reliability suite: real ``ansible-playbook`` runs (``e2e.reliability.plays.run_play``, one play per test
module, many checks on it) against emulators misbehaving on purpose.

* ``module_emulators(scenario, **kwargs)``: emulators that live for the whole test module (one play, many checks);
  ``module_emulators(..., tls_cert=tls_ca['cert'], tls_key=tls_ca['key'])`` serves TLS (``tls_ca``: ``tests/conftest.py``);
* ``misbehaving``: ``(main, other)``, the misbehaving servers of ``e2e.reliability.misbehaving`` (main on 127.0.0.1, the
  other origin on 127.0.0.2, each on a free port) for the whole test module.
"""

import pytest

from emulator.pytest_plugin import emulator_pool
from e2e.reliability.misbehaving import misbehaving_servers


@pytest.fixture(scope='module')
def module_emulators():
    with emulator_pool() as make:
        yield make


@pytest.fixture(scope='module')
def misbehaving():
    with misbehaving_servers() as servers:
        yield servers
