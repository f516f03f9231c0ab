"""Shared set-up for the unit tests of the collection's plugins (one test file per plugin file, as in ``plugins/``).

* every test starts with Ansible's global state as new: no module warnings or deprecations left by an earlier
  test, no warning the controller's ``Display`` would swallow as already shown, no plugin cached by the lookup
  and filter loaders, no in-process request budget nor refused budget file, and a private directory for the shared request budget;
  so the tests pass in any order and split over any number of workers (``make units`` shuffles them);
* ``make_client``: a Client against an emulator (or a URL served by ``testkit.fakes.scripted``) on the fake
  ``clock`` of ``tests/conftest.py``; ``no_jitter``: retry pauses without randomness;
* ``module_runner``: a module's ``main()`` run in-process.
"""

import json
import sys

import pytest

from testkit import TOKEN
from testkit.budget import private_budget_state


@pytest.fixture(autouse=True)
def fresh_ansible_state(monkeypatch, tmp_path):
    from ansible.module_utils.common import warnings as ansible_warnings
    for name in ('_global_warnings', '_global_deprecations'):
        monkeypatch.setattr(ansible_warnings, name, type(getattr(ansible_warnings, name))())
    private_budget_state(monkeypatch, tmp_path)
    _reset_controller()
    yield
    _reset_controller()


def _reset_controller():
    """Forget what the controller's Display has shown and what the plugin loaders cached, if they were loaded."""
    display = sys.modules.get('ansible.utils.display')
    if display is not None:
        shown = display.Display()
        for name in ('_warns', '_deprecations', '_errors'):
            getattr(shown, name).clear()
    loader = sys.modules.get('ansible.plugins.loader')
    if loader is not None:
        for plugins in (loader.lookup_loader, loader.filter_loader):
            plugins._clear_caches()


@pytest.fixture
def no_jitter(monkeypatch):
    """Retry pauses without randomness: the longest backoff (``uniform(a, b) -> b``), 429 waits not stretched."""
    from ansible_collections.altostrat.cloud.plugins.module_utils import _retry
    monkeypatch.setattr(_retry.random, 'uniform', lambda a, b: b)
    monkeypatch.setattr(_retry, 'jitter', lambda seconds: seconds)


@pytest.fixture
def make_client(clock):
    """``make_client(emu_or_url, token=TOKEN, **kwargs)``: a Client on the fake clock, warnings in ``.warnings``.

    Its shared request budget is off (``rate_limit=0``: the budget runs on real time; ``test_budget.py`` tests it).
    """
    from ansible_collections.altostrat.cloud.plugins.module_utils._client import Client
    made = []

    def make(target, token=TOKEN, **kwargs):
        url = target if isinstance(target, str) else target.url
        warnings = []
        kwargs.setdefault('warn', warnings.append)
        kwargs.setdefault('clock', clock)
        kwargs.setdefault('sleep', clock.sleep)
        kwargs.setdefault('rate_limit', 0)
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
    tests do; returns its JSON result with ``_rc`` (exit code) and ``_stdout`` added."""
    from ansible.module_utils import _internal
    from ansible.module_utils.testing import patch_module_args
    # Once ansible's controller code is imported (the lookup tests load plugins), module warnings go to the
    # controller's Display instead of the result: run the module as a module.
    monkeypatch.setattr(_internal, 'is_controller', False)

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
