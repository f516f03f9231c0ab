"""The emulator's own tests; ``tests/conftest.py`` puts ``tests`` on ``sys.path`` and provides the emulator fixtures."""

import pytest
import requests

TOKEN = "test-token"


@pytest.fixture
def session():
    s = requests.Session()
    s.headers["Authorization"] = "Bearer " + TOKEN
    yield s
    s.close()
