# -*- coding: utf-8 -*-
# Copyright (c) 2026 Altostrat collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Every option of the collection, written once: its name, type, default, bounds, choices and where else it is read
from, and the checks every task makes of the values before any request.

The modules' argument specs, the lookup's option names, the EDA source's arguments and the client's defaults derive
from here. The documentation (``plugins/doc_fragments/``, the role's argument specs, the README's table) must stay
static text for ``ansible-doc``; ``tests/unit/plugins/module_utils/test_options_written_once.py`` holds it to these.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math

from ansible.module_utils.basic import env_fallback

from ansible_collections.altostrat.cloud.plugins.module_utils._budget import MAX_RATE_LIMIT
from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratInputError
from ansible_collections.altostrat.cloud.plugins.module_utils._validate import check_statuses

SHORTEST = 0.1  # seconds: the least any time option may be
HOUR = 3600.0
WEEK = 7 * 24 * HOUR
DEFAULT_API_URL = 'https://v1.api.altostrat.io'
DEFAULT_RATE_LIMIT = 60  # requests a minute: the API's own limit per token
LOG_MODES = ('all', 'errors', 'none')
ON_INTERACTION = ('stop', 'wait', 'fail')

# Where a connection option is also read from: the environment (modules, lookup, EDA source), and for the lookup
# Ansible variables and ansible.cfg (its doc fragment, ``connection.PLUGINS``, says so to Ansible).
ENV_PREFIX = 'ALTOSTRAT_'
VAR_PREFIX = 'altostrat_'
INI_SECTION = 'altostrat'
NOT_IN_INI = ('token',)  # a secret does not belong in ansible.cfg


def env_var(name):
    """The environment variable of the connection option ``name``: ``ALTOSTRAT_`` and its name in capitals."""
    return ENV_PREFIX + name.upper()


# name: (type, default, environment variable)
CONNECTION_OPTIONS = dict((name, (kind, default, env_var(name))) for name, kind, default in (
    ('api_url', 'str', DEFAULT_API_URL),
    ('token', 'str', None),
    ('validate_certs', 'bool', True),
    ('ca_path', 'path', None),
    ('request_timeout', 'float', 30.0),
    ('http_retries', 'int', 5),
    ('rate_limit', 'int', DEFAULT_RATE_LIMIT),
    ('rate_limit_store', 'str', None),
))
SECRET_OPTIONS = ('token', 'rate_limit_store')  # a store URL may hold a password

CONNECTION_ARGS = dict(
    (name, dict(type=kind, default=default, fallback=(env_fallback, [env]), no_log=name in SECRET_OPTIONS))
    for name, (kind, default, env) in CONNECTION_OPTIONS.items()
)

WAIT_ARGS = dict(
    wait=dict(type='bool', default=False),
    wait_timeout=dict(type='float', default=HOUR),  # the API's longest possible run
    poll_interval=dict(type='float', default=1.0),
    max_poll_interval=dict(type='float', default=15.0),
    on_interaction=dict(type='str', default='stop', choices=list(ON_INTERACTION)),
    expected_status=dict(type='list', elements='str'),
    logs=dict(type='str', default='all', choices=list(LOG_MODES)),
)

# name: default, for every option above
DEFAULTS = dict((name, spec.get('default')) for name, spec in dict(CONNECTION_ARGS, **WAIT_ARGS).items())

# name: (lowest, highest) a number option may be; floats must also be finite
BOUNDS = {
    'request_timeout': (SHORTEST, HOUR),
    'http_retries': (0, 100),
    'rate_limit': (0, MAX_RATE_LIMIT),
    'wait_timeout': (SHORTEST, WEEK),
    'poll_interval': (SHORTEST, HOUR),
    'max_poll_interval': (SHORTEST, HOUR),
}


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
