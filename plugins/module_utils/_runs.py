# -*- coding: utf-8 -*-
# Copyright (c) 2026 Altostrat collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What a run's status means, and what the plugins make of a finished run."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratInputError, AltostratRunError
from ansible_collections.altostrat.cloud.plugins.module_utils._text import one_id, one_line

TERMINAL = frozenset(('completed', 'failed'))
AWAITING = 'awaiting_ui_interaction'
KNOWN_STATUSES = ('pending', 'running', 'completed', 'failed', AWAITING)
LOG_MODES = ('all', 'errors', 'none')
ON_INTERACTION = ('stop', 'wait', 'fail')


def failed_steps(run):
    """The log entries whose status is ``error``."""
    return [entry for entry in run.get('logs') or () if isinstance(entry, dict) and entry.get('status') == 'error']


def _step(entry, with_output):
    text = 'node %s' % one_id(entry.get('node_id'))
    if entry.get('component_id'):
        text += ' (%s)' % one_id(entry['component_id'])
    if with_output and entry.get('output') is not None:
        text += ' output %s' % one_line(json.dumps(entry['output'], sort_keys=True, separators=(',', ':')), 200)
    return text


def describe(run, with_output=False):
    """One line, whatever the server sent: the run, its status, its error message and the steps that failed."""
    text = 'run %s is %s' % (one_id(run.get('id')), one_id(run.get('status')))
    if run.get('status') == AWAITING:
        text += ' (it needs a person to answer in the Altostrat UI)'
    if run.get('error_message'):
        text += ': %s' % one_line(run['error_message'], 300)
    steps = failed_steps(run)
    if steps:
        text += '; failed steps: %s' % '; '.join(_step(entry, with_output) for entry in steps[:5])
        if len(steps) > 5:
            text += ' and %d more' % (len(steps) - 5)
    return text


def check_expected(runs, expected_status):
    """Raise AltostratRunError naming every run whose status is not in ``expected_status``."""
    if not expected_status:
        return
    bad = [run for run in runs if run.get('status') not in expected_status]
    if bad:
        details = ' | '.join(describe(run, with_output=True) for run in bad)
        raise AltostratRunError('Expected status %s, but %s.' % (' or '.join(expected_status), details),
                                run=bad[0], runs=runs)


def filter_logs(run, mode):
    """Keep all logs, only the entries that are not ``success``, or none, in place."""
    logs = run.get('logs')
    if mode == 'all' or not isinstance(logs, list):
        return run
    if mode == 'none':
        del logs[:]
    else:
        logs[:] = [entry for entry in logs if not (isinstance(entry, dict) and entry.get('status') == 'success')]
    return run


# ---- Step entries, for the filters --------------------------------------------------------------------------------
# Every server string that goes into a message is made one line and cut (``one_line``): node IDs and run IDs come
# from the API and may hold line breaks or run long.

NODES_SHOWN = 10


def _kind(value):
    if value is None:
        return 'null'
    for types, name in ((bool, 'a boolean'), (str, 'a string'), ((int, float), 'a number'), (dict, 'a dict'),
                        ((list, tuple), 'a list')):
        if isinstance(value, types):
            return name
    return one_id(type(value).__name__)


def _run_name(run_id):
    return 'the run' if run_id is None else 'run %s' % one_id(run_id)


def run_logs(value, name):
    """``(run_id, logs)`` of ``value``, a run (dict) or its logs (list), for the filter ``name``.

    ``run_id`` is None for a logs list; ``logs`` is None for a run that carries none (a run listed by workflow, not
    read by run ID). Anything else raises AltostratInputError with one line.
    """
    if isinstance(value, (list, tuple)):
        return None, value
    if not isinstance(value, dict):
        raise AltostratInputError('%s expects a run (a dict with logs, as the altostrat.cloud modules and lookup return '
                                  'it) or its logs list, got %s.' % (name, _kind(value)))
    if 'logs' not in value and isinstance(value.get('run'), dict):
        raise AltostratInputError('%s expects a run or its logs list, got a task result holding a run: give it the '
                                  'run, as in result.run | %s.' % (name, name))
    if 'logs' not in value and 'id' not in value and 'status' not in value:
        raise AltostratInputError('%s expects a run or its logs list, got a dict with no logs, id or status.' % name)
    logs = value.get('logs')
    if logs is not None and not isinstance(logs, (list, tuple)):
        raise AltostratInputError('%s: the logs of %s are %s, not a list.' % (name, _run_name(value.get('id')), _kind(logs)))
    return value.get('id'), logs


def find_step(value, node_id, name='altostrat.cloud.step'):
    """The log entry of ``node_id`` in ``value`` (a run or its logs), the last one if the node ran more than once.

    Raises AltostratInputError with one line naming the node, the run (when known) and the nodes present.
    """
    run_id, logs = run_logs(value, name)
    if not isinstance(node_id, str) or not node_id:
        raise AltostratInputError('%s needs a node ID, a non-empty string such as n2, got %s.'
                                  % (name, 'an empty string' if node_id == '' else _kind(node_id)))
    for entry in reversed(logs or ()):
        if isinstance(entry, dict) and entry.get('node_id') == node_id:
            return entry
    is_run = isinstance(value, dict)
    text = '%s: no step of node %s in %s' % (name, one_id(node_id), _run_name(run_id) if is_run else 'the logs given')
    nodes = []
    for entry in logs or ():
        if isinstance(entry, dict) and entry.get('node_id') not in nodes:
            nodes.append(entry.get('node_id'))
    if nodes:
        shown = ', '.join(one_id(node) for node in nodes[:NODES_SHOWN])
        if len(nodes) > NODES_SHOWN:
            shown += ' and %d more' % (len(nodes) - NODES_SHOWN)
        text += '; %s nodes %s.' % ('its logs have' if is_run else 'they have', shown)
    elif logs is None:
        text += ': it carries no logs (a run listed by workflow_id has none; read it by run_id).'
    elif logs:
        text += ': none of its %d entries is a log entry (a dict).' % len(logs)
    elif is_run:
        text += ': its logs are empty (it was read with logs: none, or no step has run yet).'
    else:
        text += ': the list is empty.'
    raise AltostratInputError(text)
