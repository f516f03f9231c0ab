# -*- coding: utf-8 -*-
# Copyright (c) 2026 Altostrat collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What a run's status means, and what the plugins make of a finished run."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratRunError

TERMINAL = frozenset(('completed', 'failed'))
AWAITING = 'awaiting_ui_interaction'
KNOWN_STATUSES = ('pending', 'running', 'completed', 'failed', AWAITING)
LOG_MODES = ('all', 'errors', 'none')
ON_INTERACTION = ('stop', 'wait', 'fail')


def failed_steps(run):
    """The log entries whose status is ``error``."""
    return [entry for entry in run.get('logs') or () if isinstance(entry, dict) and entry.get('status') == 'error']


def _step(entry, with_output):
    text = 'node %s' % entry.get('node_id')
    if entry.get('component_id'):
        text += ' (%s)' % entry['component_id']
    if with_output and entry.get('output') is not None:
        output = json.dumps(entry['output'], sort_keys=True, separators=(',', ':'))
        text += ' output %s' % (output if len(output) <= 200 else output[:200] + '...')
    return text


def describe(run, with_output=False):
    """One line: the run, its status, its error message and the steps that failed."""
    text = 'run %s is %s' % (run.get('id'), run.get('status'))
    if run.get('status') == AWAITING:
        text += ' (it needs a person to answer in the Altostrat UI)'
    if run.get('error_message'):
        text += ': %s' % ' '.join(str(run['error_message']).split())
    steps = failed_steps(run)
    if steps:
        text += '; failed steps: %s' % '; '.join(_step(entry, with_output) for entry in steps)
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
