"""Where the collection lives, and how the tests import it.

``prepare_build_tree()`` makes the symlink tree ``<repo>/.build/ansible_collections/altostrat/cloud`` (the same
one ``make collection`` creates) and names ``<repo>/.build`` in ``ANSIBLE_COLLECTIONS_PATH``, for the
``ansible-playbook`` processes the tests start. ``install_collection_loader()`` installs Ansible's collection
loader on that tree, so ``import ansible_collections.altostrat.cloud...``, ``lookup_loader.get('altostrat.cloud.…')``
and ``filter_loader.get(...)`` in the test process give the same modules. ``tests/conftest.py`` does both, once.
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
    os.environ['ANSIBLE_COLLECTIONS_PATH'] = COLLECTIONS


def install_collection_loader():
    from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder
    if any(isinstance(finder, _AnsibleCollectionFinder) for finder in sys.meta_path):
        return
    # An 'ansible_collections' imported as a plain namespace package would shadow the loader.
    for name in [name for name in sys.modules if name == 'ansible_collections' or name.startswith('ansible_collections.')]:
        del sys.modules[name]
    _AnsibleCollectionFinder(paths=[COLLECTIONS])._install()
