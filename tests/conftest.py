"""Shared pytest set-up for every test of the collection.

* makes ``ansible_collections.altostrat.cloud`` importable (a symlink tree under ``<repo>/.build``,
  the same one ``make`` creates) and ``emulator``/``testkit`` importable (``<repo>/tests`` on ``sys.path``):
  see ``testkit.collection.prepare_build_tree``;
* exposes the emulator fixtures (``emulator``, ``emulator_factory``) to every test;
* loads a hypothesis profile without per-example deadlines or the too-slow health check: the
  property tests run beside playbooks on a busy machine, and time is not what they check.
"""

import os
import sys

_TESTS = os.path.dirname(os.path.abspath(__file__))
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)

from hypothesis import HealthCheck, settings  # noqa: E402
from testkit.collection import prepare_build_tree  # noqa: E402

prepare_build_tree()
settings.register_profile('altostrat', deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile('altostrat')

from emulator.pytest_plugin import emulator, emulator_factory  # noqa: E402,F401  pylint: disable=unused-import


def pytest_configure(config):
    config.addinivalue_line('markers', 'timing: bounds wall-clock time end to end; `make reliability` runs these '
                                       'alone, after the other tests, so that no parallel test skews the clock')
