"""Shared set-up for the unit tests of the collection's plugins.

* installs Ansible's collection loader on the ``.build`` tree made by ``tests/conftest.py``
  (before any ``ansible_collections`` import), so ``lookup_loader.get('altostrat.cloud.…')``
  and direct imports give the same modules;
* the ``clock`` fixture: a ``testkit.fakes.FakeClock``, whose ``sleep`` advances it and records every pause;
* helpers to build a Client against an emulator (its shared request budget off: it runs on real time).
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
        kwargs.setdefault('rate_limit', 0)  # no real-time budget under the fake clock; test_budget.py tests it
        client = Client(token, api_url=url, **kwargs)
        client.warnings = warnings
        made.append(client)
        return client

    yield make
    for client in made:
        client.session.close()


@pytest.fixture
def module_runner(capsys, monkeypatch):
    """``module_runner(module)(args, check_mode=False)``: run a module's ``main()`` in-process as Ansible's unit
    tests do; returns its JSON result with ``_rc`` (exit code) and ``_stdout`` added. ``ALTOSTRAT_*`` settings
    are cleared from the environment first, and Ansible's global warnings and deprecations."""
    import json
    from ansible.module_utils import _internal
    from ansible.module_utils.testing import patch_module_args
    # Once ansible's controller code is imported (the lookup tests load plugins), module warnings go to the
    # controller's Display instead of the result: run the module as a module.
    monkeypatch.setattr(_internal, 'is_controller', False)
    for name in [name for name in os.environ if name.startswith('ALTOSTRAT_')]:
        monkeypatch.delenv(name, raising=False)
    # Ansible keeps a module's warnings and deprecations in globals: start each run with none.
    from ansible.module_utils.common import warnings as ansible_warnings
    for name in ('_global_warnings', '_global_deprecations'):
        monkeypatch.setattr(ansible_warnings, name, type(getattr(ansible_warnings, name))())

    def runner(module):
        def run(args, check_mode=False):
            args = dict(args)
            if check_mode:
                args['_ansible_check_mode'] = True
            with patch_module_args(args):
                with pytest.raises(SystemExit) as info:
                    module.main()
            out = capsys.readouterr().out
            result = json.loads(out)
            result['_rc'] = info.value.code
            result['_stdout'] = out
            return result
        return run
    return runner
