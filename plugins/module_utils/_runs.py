# -*- coding: utf-8 -*-
# Copyright (c) 2026 Altostrat collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What a run's status means, and what the plugins make of a finished run.

A *step* is one entry of a run's ``logs`` (the API's name for the list): the record of one node that ran.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratRunError
from ansible_collections.altostrat.cloud.plugins.module_utils._text import one_id, one_line

TERMINAL = frozenset(('completed', 'failed'))
AWAITING = 'awaiting_ui_interaction'
KNOWN_STATUSES = ('pending', 'running', 'completed', 'failed', AWAITING)


def failed_steps(run):
    """The steps of ``run`` whose status is ``error``, in the order they ran."""
    return [entry for entry in run.get('logs') or () if isinstance(entry, dict) and entry.get('status') == 'error']


def _step_text(entry, with_output):
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
        text += '; failed steps: %s' % '; '.join(_step_text(entry, with_output) for entry in steps[:5])
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


def trim_steps(run, logs):
    """``run`` with its steps trimmed in place as the option ``logs`` says: all kept, only those that did not
    succeed (``errors``), or ``none``."""
    steps = run.get('logs')
    if logs == 'all' or not isinstance(steps, list):
        return run
    if logs == 'none':
        del steps[:]
    else:
        steps[:] = [entry for entry in steps if not (isinstance(entry, dict) and entry.get('status') == 'success')]
    return run
