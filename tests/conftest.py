"""Shared pytest set-up for every test of the collection.

* makes ``ansible_collections.altostrat.cloud`` importable (a symlink tree under ``<repo>/.build``,
  the same one ``make`` creates) and ``emulator`` importable (``<repo>/tests`` on ``sys.path``);
* exposes the emulator fixtures (``emulator``, ``emulator_factory``) to every test.
"""

import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(REPO, '.build')
_LINK = os.path.join(COLLECTIONS, 'ansible_collections', 'altostrat', 'cloud')

if not os.path.exists(_LINK):
    os.makedirs(os.path.dirname(_LINK), exist_ok=True)
    os.symlink(REPO, _LINK)
for path in (COLLECTIONS, os.path.join(REPO, 'tests')):
    if path not in sys.path:
        sys.path.insert(0, path)
os.environ['ANSIBLE_COLLECTIONS_PATH'] = COLLECTIONS

from emulator.pytest_plugin import emulator, emulator_factory  # noqa: E402,F401  pylint: disable=unused-import
