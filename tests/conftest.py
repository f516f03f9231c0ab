"""Shared pytest set-up for every test of the collection (``<repo>/tests`` is on ``sys.path``: ``pytest.ini``).

* makes ``ansible_collections.altostrat.cloud`` importable: the ``.build`` symlink tree and Ansible's collection
  loader on it (``testkit.collection``), before any test module imports the collection;
* exposes the emulator fixtures (``emulator``, ``emulator_factory``) and the one fake clock (``clock``);
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
