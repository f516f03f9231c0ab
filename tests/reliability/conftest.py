"""Fixtures of the reliability suite: real ``ansible-playbook`` runs (``reliability.plays.run_play``, one play per test
module, many checks on it) against emulators misbehaving on purpose.

* ``module_emulators(scenario, **kwargs)``: emulators that live for the whole test module (one play, many checks);
  ``module_emulators(..., tls_cert=tls_ca['cert'], tls_key=tls_ca['key'])`` serves TLS (``tls_ca``: ``tests/conftest.py``).
"""

import pytest

from emulator.pytest_plugin import emulator_pool


@pytest.fixture(scope='module')
def module_emulators():
    with emulator_pool() as make:
        yield make
