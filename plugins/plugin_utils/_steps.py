# -*- coding: utf-8 -*-
# Copyright (c) 2026 Altostrat collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The steps of a run as the filters ``step`` and ``failed_steps`` take them: from a run or its ``logs`` list, with
one line naming what is wrong with their input.

Every server string that goes into a message is made one line and cut (``one_id``): node IDs and run IDs come from
the API and may hold line breaks or run long.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratInputError
from ansible_collections.altostrat.cloud.plugins.module_utils._text import one_id

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


def run_steps(value, name):
    """``(run_id, steps)`` of ``value``, a run (dict) or its ``logs`` list, for the filter ``name``.

    ``run_id`` is None for a ``logs`` list; ``steps`` is None for a run that carries none (a run listed by workflow,
    not read by run ID). Anything else raises AltostratInputError with one line.
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
    steps = value.get('logs')
    if steps is not None and not isinstance(steps, (list, tuple)):
        raise AltostratInputError('%s: the logs of %s are %s, not a list.' % (name, _run_name(value.get('id')), _kind(steps)))
    return value.get('id'), steps


def find_step(value, node_id, name='altostrat.cloud.step'):
    """The step of ``node_id`` in ``value`` (a run or its ``logs``), the last one if the node ran more than once.

    Raises AltostratInputError with one line naming the node, the run (when known) and the nodes present.
    """
    run_id, steps = run_steps(value, name)
    if not isinstance(node_id, str) or not node_id:
        raise AltostratInputError('%s needs a node ID, a non-empty string such as n2, got %s.'
                                  % (name, 'an empty string' if node_id == '' else _kind(node_id)))
    for entry in reversed(steps or ()):
        if isinstance(entry, dict) and entry.get('node_id') == node_id:
            return entry
    is_run = isinstance(value, dict)
    text = '%s: no step of node %s in %s' % (name, one_id(node_id), _run_name(run_id) if is_run else 'the logs given')
    nodes = []
    for entry in steps or ():
        if isinstance(entry, dict) and entry.get('node_id') not in nodes:
            nodes.append(entry.get('node_id'))
    if nodes:
        shown = ', '.join(one_id(node) for node in nodes[:NODES_SHOWN])
        if len(nodes) > NODES_SHOWN:
            shown += ' and %d more' % (len(nodes) - NODES_SHOWN)
        text += '; %s nodes %s.' % ('its logs have' if is_run else 'they have', shown)
    elif steps is None:
        text += ': it carries no logs (a run listed by workflow_id has none; read it by run_id).'
    elif steps:
        text += ': none of its %d entries is a log entry (a dict).' % len(steps)
    elif is_run:
        text += ': its logs are empty (it was read with logs: none, or no step has run yet).'
    else:
        text += ': the list is empty.'
    raise AltostratInputError(text)
