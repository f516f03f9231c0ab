"""Fixtures of the reliability suite; the helpers live in ``rel_helpers.py`` (a unique module name, so that
``from rel_helpers import ...`` cannot pick up another directory's ``conftest``)."""

from rel_helpers import clock, module_emulators, play, tls_ca  # noqa: F401  pylint: disable=unused-import
