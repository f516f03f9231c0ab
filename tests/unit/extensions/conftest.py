"""The EDA source's unit tests run ``main()`` as ansible-rulebook would, with the request budget on: each test keeps
the budget's state in a private directory and sees no ``ALTOSTRAT_*`` variable of the caller."""

import os

import pytest


@pytest.fixture(autouse=True)
def private_budget(monkeypatch, tmp_path):
    from ansible_collections.altostrat.cloud.plugins.module_utils import _budget_local
    for name in [name for name in os.environ if name.startswith('ALTOSTRAT_')]:
        monkeypatch.delenv(name)
    (tmp_path / 'runtime').mkdir(mode=0o700)
    monkeypatch.setenv('XDG_RUNTIME_DIR', str(tmp_path / 'runtime'))
    monkeypatch.setattr(_budget_local, '_MEMORY', {})
    monkeypatch.setattr(_budget_local, '_REFUSED', {})
