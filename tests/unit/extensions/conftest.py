"""The EDA source's unit tests run ``main()`` as ansible-rulebook would, with the request budget on: each test keeps
the budget's state in a private directory and sees no ``ALTOSTRAT_*`` variable of the caller."""

import pytest

from testkit.budget import private_budget_state


@pytest.fixture(autouse=True)
def private_budget(monkeypatch, tmp_path):
    private_budget_state(monkeypatch, tmp_path)
