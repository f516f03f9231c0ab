"""pytest plugin (``-p e2e.matrix.compat``): give ansible-core < 2.19 the two testing hooks ``tests/unit`` uses.

``tests/unit/plugins/conftest.py`` runs a module's ``main()`` in-process with
``ansible.module_utils.testing.patch_module_args`` (new in ansible-core 2.19) and sets
``ansible.module_utils._internal.is_controller`` (2.19 as well; 2.18 has the package without it,
2.16/2.17 have neither). ``make matrix`` loads this plugin for the older lines only, so the unit
tests themselves stay as they are:

* ``patch_module_args(args)``: the pre-2.19 way of handing a module its arguments, the JSON
  ``{"ANSIBLE_MODULE_ARGS": args}`` in ``ansible.module_utils.basic._ANSIBLE_ARGS``;
* ``_internal.is_controller``: a plain attribute, read by nothing before 2.19 (a module's warnings
  go to its result there whether or not controller code is loaded).

On 2.19 and later it does nothing.
"""

import contextlib
import json
import sys
import types
from unittest import mock

import ansible.module_utils
from ansible.module_utils import basic

try:
    from ansible.module_utils import testing as _testing  # noqa: F401  pylint: disable=unused-import
except ImportError:
    @contextlib.contextmanager
    def patch_module_args(args=None):
        if not isinstance(args, (dict, type(None))):
            raise TypeError('The `args` arg must be a dict or None.')
        payload = json.dumps({'ANSIBLE_MODULE_ARGS': args or {}}).encode()
        with mock.patch.object(basic, '_ANSIBLE_ARGS', payload):
            yield

    _testing = types.ModuleType('ansible.module_utils.testing', 'e2e.matrix.compat stand-in for ansible-core < 2.19')
    _testing.patch_module_args = patch_module_args
    sys.modules[_testing.__name__] = _testing
    ansible.module_utils.testing = _testing

try:
    from ansible.module_utils import _internal
except ImportError:
    _internal = types.ModuleType('ansible.module_utils._internal', 'e2e.matrix.compat stand-in for ansible-core < 2.18')
    sys.modules[_internal.__name__] = _internal
    ansible.module_utils._internal = _internal
if not hasattr(_internal, 'is_controller'):
    _internal.is_controller = False
