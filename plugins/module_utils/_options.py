# -*- coding: utf-8 -*-
# Copyright (c) 2026 Altostrat collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Option specs shared by the modules and the lookup, and the checks every task makes of them before any request.

The documentation of these options lives once, in ``plugins/doc_fragments/``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.altostrat.cloud.plugins.module_utils._budget import MAX_RATE_LIMIT
from ansible_collections.altostrat.cloud.plugins.module_utils._client import DEFAULT_API_URL, DEFAULT_RATE_LIMIT
from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratInputError
from ansible_collections.altostrat.cloud.plugins.module_utils._runs import LOG_MODES, ON_INTERACTION
from ansible_collections.altostrat.cloud.plugins.module_utils._transport import REQUESTS_IMPORT_ERROR
from ansible_collections.altostrat.cloud.plugins.module_utils._validate import check_statuses

# name: (type, default, environment variable)
CONNECTION_OPTIONS = {
    'api_url': ('str', DEFAULT_API_URL, 'ALTOSTRAT_API_URL'),
    'token': ('str', None, 'ALTOSTRAT_TOKEN'),
    'validate_certs': ('bool', True, 'ALTOSTRAT_VALIDATE_CERTS'),
    'ca_path': ('path', None, 'ALTOSTRAT_CA_PATH'),
    'request_timeout': ('float', 30.0, 'ALTOSTRAT_REQUEST_TIMEOUT'),
    'http_retries': ('int', 5, 'ALTOSTRAT_HTTP_RETRIES'),
    'rate_limit': ('int', DEFAULT_RATE_LIMIT, 'ALTOSTRAT_RATE_LIMIT'),
    'rate_limit_store': ('str', None, 'ALTOSTRAT_RATE_LIMIT_STORE'),
}
SECRET_OPTIONS = ('token', 'rate_limit_store')  # a store URL may hold a password

CONNECTION_ARGS = dict(
    (name, dict(type=kind, default=default, fallback=(env_fallback, [env]), no_log=name in SECRET_OPTIONS))
    for name, (kind, default, env) in CONNECTION_OPTIONS.items()
)

# name: (lowest, highest) a number option may be; floats must also be finite
BOUNDS = {
    'request_timeout': (0.1, 3600.0),
    'http_retries': (0, 100),
    'rate_limit': (0, MAX_RATE_LIMIT),
    'wait_timeout': (0.1, 7 * 86400.0),
    'poll_interval': (0.1, 3600.0),
    'max_poll_interval': (0.1, 3600.0),
}

WAIT_ARGS = dict(
    wait=dict(type='bool', default=False),
    wait_timeout=dict(type='float', default=3600.0),
    poll_interval=dict(type='float', default=1.0),
    max_poll_interval=dict(type='float', default=15.0),
    on_interaction=dict(type='str', default='stop', choices=list(ON_INTERACTION)),
    expected_status=dict(type='list', elements='str'),
    logs=dict(type='str', default='all', choices=list(LOG_MODES)),
)


def altostrat_module(argument_spec, **kwargs):
    """An AnsibleModule with the connection and wait options added, in check mode too; ends at once without requests."""
    spec = dict(CONNECTION_ARGS, **WAIT_ARGS)
    spec.update(argument_spec)
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True, **kwargs)
    if REQUESTS_IMPORT_ERROR:
        module.fail_json(msg=missing_required_lib('requests'), exception=REQUESTS_IMPORT_ERROR)
    return module


def check_options(options):
    """AltostratInputError naming the first option out of its bounds (``BOUNDS``) or holding a misspelt status."""
    for name, (low, high) in BOUNDS.items():
        value = options.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise AltostratInputError('%s must be a finite number, got %r.' % (name, value))
        if not low <= value <= high:
            what = '0 (off) or a number of requests a minute up to %d' % high if name == 'rate_limit' else \
                'between %g and %g' % (low, high)
            raise AltostratInputError('%s must be %s, got %s.' % (name, what, value))
    check_statuses(options.get('expected_status'), 'expected_status', allow_any=True)
