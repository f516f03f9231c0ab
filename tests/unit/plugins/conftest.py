"""Shared set-up for the unit tests of the collection's plugins.

* installs Ansible's collection loader on the ``.build`` tree made by ``tests/conftest.py``
  (before any ``ansible_collections`` import), so ``lookup_loader.get('altostrat.cloud.…')``
  and direct imports give the same modules;
* the ``clock`` fixture: a ``testkit.fakes.FakeClock``, whose ``sleep`` advances it and records every pause;
* helpers to build a Client against an emulator.
"""

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from plugin_helpers import TOKEN  # noqa: E402
from testkit.collection import install_collection_loader  # noqa: E402
from testkit.fakes import FakeClock  # noqa: E402

install_collection_loader()


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def make_client(clock):
    """``make_client(emu_or_url, token=TOKEN, **kwargs)``: a Client on the fake clock, warnings in ``.warnings``."""
    from ansible_collections.altostrat.cloud.plugins.module_utils._client import Client
    made = []

    def make(target, token=TOKEN, **kwargs):
        url = target if isinstance(target, str) else target.url
        warnings = []
        kwargs.setdefault('warn', warnings.append)
        kwargs.setdefault('clock', clock)
        kwargs.setdefault('sleep', clock.sleep)
        client = Client(token, api_url=url, **kwargs)
        client.warnings = warnings
        made.append(client)
        return client

    yield make
    for client in made:
        client.session.close()
