# -*- coding: utf-8 -*-
# Copyright (c) 2026 Altostrat collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Option specs shared by the modules, and the one place options become a client and a wait.

The documentation of these options lives once, in ``plugins/doc_fragments/``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.altostrat.cloud.plugins.module_utils._client import DEFAULT_API_URL, DEFAULT_RATE_LIMIT, Client
from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratAPIError, AltostratError, AltostratInputError
from ansible_collections.altostrat.cloud.plugins.module_utils._progress import progress_writer
from ansible_collections.altostrat.cloud.plugins.module_utils._runs import LOG_MODES, ON_INTERACTION, check_expected, filter_logs
from ansible_collections.altostrat.cloud.plugins.module_utils._transport import REQUESTS_IMPORT_ERROR
from ansible_collections.altostrat.cloud.plugins.module_utils._validate import ANY, check_id, check_statuses
from ansible_collections.altostrat.cloud.plugins.module_utils._waiter import Waiter, get_runs

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


def make_client(options, warn=None, **kwargs):
    """A Client from plugin options (module params or lookup options alike).

    ``kwargs`` go to ``Client`` (``clock``, ``sleep``, ``budget``). Its deadline is ``wait_timeout`` from
    now: rate-limit waits and retries of every request of the task (a start included) and the wait itself
    all end by then.
    """
    check_statuses(options['expected_status'], 'expected_status', allow_any=True)
    if options['rate_limit'] is not None and options['rate_limit'] < 0:
        raise AltostratInputError('rate_limit must be 0 (off) or a number of requests a minute, got %d.' % options['rate_limit'])
    client = Client(token=options['token'], api_url=options['api_url'], validate_certs=options['validate_certs'],
                    ca_path=options['ca_path'], request_timeout=options['request_timeout'],
                    http_retries=options['http_retries'], rate_limit=options['rate_limit'],
                    rate_limit_store=options.get('rate_limit_store'), warn=warn, **kwargs)
    client.deadline = client.clock() + float(options['wait_timeout'])
    return client


def expected_statuses(options):
    """The statuses a run must end with: ``expected_status``; after a wait ``[completed]`` by default; None: any."""
    expected = options['expected_status']
    if expected is None:
        return ['completed'] if options['wait'] else None
    return None if ANY in expected else expected


def settle(client, run_ids, options, warn=None, progress=None, known=None):
    """Fetch or wait on runs, check their status (``expected_statuses``), trim logs; return ``(runs, elapsed)``.

    Errors carry the last runs seen (logs trimmed the same way) in ``run``/``runs``. Without ``progress`` (a module),
    progress lines go to the action plugin's file when it gave one (``_progress.progress_writer``).
    """
    if progress is None:
        progress = progress_writer()
    for run_id in run_ids:
        check_id(run_id, 'run')
    started = client.clock()
    try:
        if options['wait']:
            runs, elapsed = Waiter(client, options['wait_timeout'], options['poll_interval'], options['max_poll_interval'],
                                   options['on_interaction'], warn=warn, progress=progress,
                                   deadline=client.deadline).wait(run_ids, known=known)
        else:
            runs = [known[run_id] for run_id in run_ids] if known else get_runs(client, run_ids)
            elapsed = 0.0
        check_expected(runs, expected_statuses(options))
    except AltostratError as exc:
        for run in exc.runs or [exc.run]:
            if run:
                filter_logs(run, options['logs'])
        if exc.elapsed is None:
            exc.elapsed = client.clock() - started if options['wait'] else 0.0
        raise
    for run in runs:
        filter_logs(run, options['logs'])
    return runs, elapsed


def failure_data(exc):
    """What a failed task returns besides ``msg``: the API answer that caused it, for ``failed_when``/``rescue``, and
    the ``idempotency_key`` of a start that failed (sending it again gets the run, if the start made one)."""
    cause = exc if isinstance(exc, AltostratAPIError) else getattr(exc, 'error', None)
    if not isinstance(cause, AltostratAPIError):
        return {}
    data = dict(http_status=cause.status, api_code=cause.api_code, api_message=cause.api_message)
    if cause.idempotency_key is not None:
        data['idempotency_key'] = cause.idempotency_key
    return data


def fail_from(module, exc, changed=False, many=False, **extra):
    """End a module with the one-line message of an AltostratError, the last run(s) it saw and the API's answer."""
    result = dict(changed=changed, msg=str(exc), **extra)
    result.update(failure_data(exc))
    if many and exc.runs is not None:
        result['runs'] = exc.runs
    elif exc.run is not None:
        result['run'] = exc.run
    if exc.elapsed is not None:
        result['elapsed'] = round(exc.elapsed, 3)
    module.fail_json(**result)
