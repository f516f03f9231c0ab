"""The emulator's own tests; ``tests/conftest.py`` provides the emulator fixtures (``pytest.ini`` puts ``tests`` on
``sys.path``); ``session`` is a ``requests`` session with the default scenario's token."""

import pytest
import requests

from testkit import TOKEN


@pytest.fixture
def session():
    s = requests.Session()
    s.headers["Authorization"] = "Bearer " + TOKEN
    yield s
    s.close()
