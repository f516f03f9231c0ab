import os
import sys

import pytest
import requests

TESTS_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
if TESTS_DIR not in sys.path:
    sys.path.insert(0, TESTS_DIR)

# pytest_plugins is only honoured in the root conftest; import the fixtures instead.
from emulator.pytest_plugin import emulator, emulator_factory  # noqa: E402,F401  pylint: disable=unused-import

TOKEN = "test-token"


@pytest.fixture
def session():
    s = requests.Session()
    s.headers["Authorization"] = "Bearer " + TOKEN
    yield s
    s.close()
