"""Shared set-up for the unit tests of the collection's plugins.

* installs Ansible's collection loader on the ``.build`` tree made by ``tests/conftest.py``
  (before any ``ansible_collections`` import), so ``lookup_loader.get('altostrat.cloud.…')``
  and direct imports give the same modules;
* a fake monotonic clock whose ``sleep`` advances it and records every pause;
* helpers to build a Client against an emulator.
"""

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from plugin_helpers import REPO, TOKEN, FakeClock  # noqa: E402

COLLECTIONS = os.path.join(REPO, '.build')


def _install_collection_loader():
    from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder
    if any(isinstance(finder, _AnsibleCollectionFinder) for finder in sys.meta_path):
        return
    # An 'ansible_collections' imported as a plain namespace package would shadow the loader.
    for name in [name for name in sys.modules if name == 'ansible_collections' or name.startswith('ansible_collections.')]:
        del sys.modules[name]
    _AnsibleCollectionFinder(paths=[COLLECTIONS])._install()


_install_collection_loader()


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


@pytest.fixture
def emulator_factory():
    """As tests/emulator/pytest_plugin.py's, but emulators are stopped in the background.

    ``Emulator.stop()`` waits out the server's poll interval; a test's emulator is no longer used once the test
    is over, so nothing needs to wait for that.
    """
    import threading
    from emulator import Emulator
    started = []

    def make(scenario=None, **kwargs):
        emu = Emulator(scenario, **kwargs).start()
        started.append(emu)
        return emu

    yield make
    for emu in started:
        threading.Thread(target=emu.stop, name='stop-emulator', daemon=True).start()
