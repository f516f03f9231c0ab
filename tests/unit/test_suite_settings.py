"""The settings every test runs under (``pytest.ini``, ``tests/conftest.py``): if one goes, this fails."""

import pytest
from hypothesis import settings


def test_property_tests_are_deterministic_and_keep_no_database():
    current = settings()
    assert current.derandomize is True and current.database is None and current.deadline is None


def test_every_test_is_bounded_in_time(pytestconfig):
    pytest.importorskip('pytest_timeout')
    assert float(pytestconfig.getini('timeout')) == 300
    assert 0 < float(pytestconfig.getoption('timeout') or pytestconfig.getini('timeout')) <= 300
