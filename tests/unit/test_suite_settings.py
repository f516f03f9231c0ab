"""What the suite itself promises: the settings every test runs under (``pytest.ini``, ``tests/conftest.py``), and
that the reliability and security guides' promises name tests that exist."""

import ast
import os
import re

import pytest
from hypothesis import settings

from testkit.collection import REPO, TESTS


def test_property_tests_are_deterministic_and_keep_no_database():
    current = settings()
    assert current.derandomize is True and current.database is None and current.deadline is None


def test_every_test_is_bounded_in_time(pytestconfig):
    pytest.importorskip('pytest_timeout')
    assert float(pytestconfig.getini('timeout')) == 300
    assert 0 < float(pytestconfig.getoption('timeout') or pytestconfig.getini('timeout')) <= 300


@pytest.mark.parametrize('guide, least', [('guide_reliability.rst', 50), ('guide_security.rst', 20)])
def test_the_guides_name_tests_that_exist(guide, least):
    """Each promise of the guide names its tests (``path::name`` under ``tests/``)."""
    with open(os.path.join(REPO, 'docs', 'docsite', 'rst', guide)) as handle:
        named = set(re.findall(r'``([\w/]+\.py)::(\w+)``', handle.read()))
    assert len(named) > least
    missing = []
    for path, name in sorted(named):
        full = os.path.join(TESTS, path)
        defined = set()
        if os.path.exists(full):
            with open(full) as handle:
                defined = {node.name for node in ast.walk(ast.parse(handle.read())) if isinstance(node, ast.FunctionDef)}
        if name not in defined:
            missing.append('%s::%s' % (path, name))
    assert not missing, missing
