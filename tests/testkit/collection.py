"""Where the collection lives, and how the tests import it.

``prepare_build_tree()`` makes ``ansible_collections.altostrat.cloud`` importable: a symlink tree under
``<repo>/.build`` (the same one ``make`` creates), put on ``sys.path`` together with ``<repo>/tests``, and named
in ``ANSIBLE_COLLECTIONS_PATH``. ``install_collection_loader()`` installs Ansible's collection loader on that tree
(before any ``ansible_collections`` import), so ``lookup_loader.get('altostrat.cloud.…')`` and direct imports give
the same modules.
"""

import os
import sys

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(TESTS)
COLLECTIONS = os.path.join(REPO, '.build')
_LINK = os.path.join(COLLECTIONS, 'ansible_collections', 'altostrat', 'cloud')


def prepare_build_tree():
    if not os.path.exists(_LINK):
        os.makedirs(os.path.dirname(_LINK), exist_ok=True)
        os.symlink(REPO, _LINK)
    for path in (COLLECTIONS, TESTS):
        if path not in sys.path:
            sys.path.insert(0, path)
    os.environ['ANSIBLE_COLLECTIONS_PATH'] = COLLECTIONS


def install_collection_loader():
    from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder
    if any(isinstance(finder, _AnsibleCollectionFinder) for finder in sys.meta_path):
        return
    # An 'ansible_collections' imported as a plain namespace package would shadow the loader.
    for name in [name for name in sys.modules if name == 'ansible_collections' or name.startswith('ansible_collections.')]:
        del sys.modules[name]
    _AnsibleCollectionFinder(paths=[COLLECTIONS])._install()
