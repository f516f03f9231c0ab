# -*- coding: utf-8 -*-
# Copyright (c) 2026 Altostrat collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""One task's work with the API, for the modules and the lookup alike: the module with its options, options checked, a
deadline made once when the task starts, a client bound by it, runs read or waited on and asserted, and a failure
turned into a result.

``elapsed`` in every result, failed or not, is measured from the deadline's start; a failed task returns the last
state seen of each run (``seen``), whatever failed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.altostrat.cloud.plugins.module_utils._client import Client
from ansible_collections.altostrat.cloud.plugins.module_utils._deadline import Deadline
from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratAPIError
from ansible_collections.altostrat.cloud.plugins.module_utils._options import CONNECTION_ARGS, WAIT_ARGS, check_options
from ansible_collections.altostrat.cloud.plugins.module_utils._progress import progress_writer
from ansible_collections.altostrat.cloud.plugins.module_utils._runs import check_expected, trim_steps
from ansible_collections.altostrat.cloud.plugins.module_utils._transport import REQUESTS_IMPORT_ERROR
from ansible_collections.altostrat.cloud.plugins.module_utils._validate import ANY, check_id
from ansible_collections.altostrat.cloud.plugins.module_utils._waiter import Waiter, get_runs


def altostrat_module(argument_spec, **kwargs):
    """An AnsibleModule with the connection and wait options added, in check mode too; ends at once without requests."""
    spec = dict(CONNECTION_ARGS, **WAIT_ARGS)
    spec.update(argument_spec)
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True, **kwargs)
    if REQUESTS_IMPORT_ERROR:
        module.fail_json(msg=missing_required_lib('requests'), exception=REQUESTS_IMPORT_ERROR)
    return module


def expected_statuses(options):
    """The statuses a run must end with: ``expected_status``; after a wait ``[completed]`` by default; None: any."""
    expected = options['expected_status']
    if expected is None:
        return ['completed'] if options['wait'] else None
    return None if ANY in expected else expected


class Task:
    """The options of one task (module params or lookup options alike), its ``deadline``, ``client`` and ``seen`` runs.

    ``clock``, ``sleep`` and ``budget`` go to the ``Client``; ``started`` (a ``clock()`` value) is when the task
    started, by default now (a module counts from its own start: a controller busy starting processes must not
    leave a short wait no time for its first request).
    """

    def __init__(self, options, warn=None, clock=time.monotonic, started=None, **client_kwargs):
        check_options(options)
        self.options = options
        self.warn = warn
        self.deadline = Deadline(options['wait_timeout'], clock, started)
        self.client = Client(token=options['token'], api_url=options['api_url'], validate_certs=options['validate_certs'],
                             ca_path=options['ca_path'], request_timeout=options['request_timeout'],
                             http_retries=options['http_retries'], rate_limit=options['rate_limit'],
                             rate_limit_store=options.get('rate_limit_store'), warn=warn,
                             clock=clock, deadline=self.deadline, **client_kwargs)
        self.seen = {}  # run ID -> the last state seen of it

    def elapsed(self):
        return round(self.deadline.elapsed(), 3)

    def read_and_check(self, run_ids, progress=None, known=None):
        """The runs ``run_ids``: read (or, with ``wait``, waited on until they end), their steps trimmed as ``logs``
        says, and checked: AltostratRunError unless each status is one of ``expected_statuses``.

        Without ``progress`` (a module), progress lines go to the action plugin's file when it gave one.
        """
        options = self.options
        for run_id in run_ids:
            check_id(run_id, 'run')
        self.seen.update(known or {})
        if options['wait']:
            waiter = Waiter(self.client, options['poll_interval'], options['max_poll_interval'], options['on_interaction'],
                            warn=self.warn, progress=progress or progress_writer(), seen=self.seen)
            runs = waiter.wait(run_ids)
        else:
            runs = [known[run_id] for run_id in run_ids] if known else get_runs(self.client, run_ids)
            self.seen.update(zip(run_ids, runs))
        for run in self.seen.values():
            trim_steps(run, options['logs'])
        check_expected(runs, expected_statuses(options))
        return runs

    def failure(self, exc, run_ids=(), many=False, **extra):
        """What a task that failed with ``exc`` returns: ``msg``, the last runs seen, ``elapsed``, the API's answer."""
        for run in self.seen.values():
            trim_steps(run, self.options['logs'])
        result = dict(msg=str(exc), elapsed=self.elapsed(), **extra)
        result.update(failure_data(exc))
        runs = [self.seen.get(run_id) for run_id in run_ids]
        if many:
            result['runs'] = runs
        elif runs and runs[0] is not None:
            result['run'] = runs[0]
        return result


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
