"""Set-up shared by the tests of ``plugins/module_utils`` (the rest is in ``tests/unit/plugins/conftest.py``)."""

import pytest


@pytest.fixture
def directory(tmp_path):
    """A directory for a request budget's state file, not made yet."""
    return str(tmp_path / 'budget')
