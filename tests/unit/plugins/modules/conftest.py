"""The modules' tests: ``run_module(args, check_mode=False)`` runs the module the test file is named for
(``test_<module>.py``) in-process (``module_runner`` in ``tests/unit/plugins/conftest.py``)."""

import importlib

import pytest


@pytest.fixture
def run_module(request, module_runner):
    name = request.module.__name__.rsplit('.', 1)[-1][len('test_'):]
    return module_runner(importlib.import_module('ansible_collections.altostrat.cloud.plugins.modules.' + name))
