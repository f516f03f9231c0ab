# -*- coding: utf-8 -*-
# Copyright (c) 2026 Altostrat collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: step
short_description: The log entry of one step of an Altostrat workflow run
version_added: 0.2.0
description:
  - Returns the log entry of the step that ran node O(node_id) in a run, as the altostrat.cloud modules and the lookup
    return it (their C(run)), or in the C(logs) list of a run.
  - When the node ran more than once (a loop in the workflow), returns the B(last) entry.
  - Fails, with one line naming the node asked for, the run and the nodes its logs have, when no step ran that node.
    That includes a run that carries no logs (listed by O(altostrat.cloud.workflow_run_info#module:workflow_id), or
    read with O(altostrat.cloud.workflow_run_info#module:logs=none)), and a node that succeeded in logs trimmed with
    O(altostrat.cloud.workflow_run_info#module:logs=errors). IDs from the API are shown on one line, and cut when long.
author:
  - Altostrat collection maintainers (@altostrat)
positional: node_id
options:
  _input:
    description:
      - A run (a dictionary with C(logs)), or the C(logs) list of a run.
      - Not a registered task result itself, but its C(run), as in C(preflight.run).
    type: raw
    required: true
  node_id:
    description:
      - ID of the workflow node whose step to return, such as V(n2).
    type: str
    required: true
seealso:
  - plugin: altostrat.cloud.failed_steps
    plugin_type: filter
    description: The log entries of the steps that failed.
  - module: altostrat.cloud.workflow_run_info
    description: Read a run with its logs, and wait on it.
'''

EXAMPLES = r'''
- name: Wait for the pre-flight run
  altostrat.cloud.workflow_run_info:
    run_id: fl_run_01h3j4k5l6m7n8p9q0r1s2t3u4
    wait: true
    expected_status: [completed]
  register: preflight

- name: Use what the webhook step n2 answered
  ansible.builtin.debug:
    msg: "{{ (preflight.run | altostrat.cloud.step('n2')).output.body }}"

- name: Go on only if step n1 succeeded, even when the run as a whole carried on after a failure
  ansible.builtin.assert:
    that: (preflight.run | altostrat.cloud.step('n1')).status == 'success'

- name: The same from the logs list of a run
  ansible.builtin.set_fact:
    webhook_answer: "{{ (preflight.run.logs | altostrat.cloud.step('n2')).output }}"
'''

RETURN = r'''
_value:
  description:
    - The log entry as the API returned it, fields unknown to this collection included.
    - Keys include C(id), C(node_id), C(component_id) (may be null), C(status) (V(success), V(error) or V(warning)),
      C(output) (any JSON object) and C(created_at).
  type: dict
'''

from ansible.errors import AnsibleFilterError
from jinja2 import Undefined

from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratError
from ansible_collections.altostrat.cloud.plugins.plugin_utils._steps import find_step


def step(run, node_id):
    """The step of ``node_id`` in ``run`` (a run or its ``logs`` list); the last one if the node ran more than once."""
    if isinstance(run, Undefined):
        run._fail_with_undefined_error()  # ansible-core < 2.19 hands undefined input to filters
    try:
        return find_step(run, node_id, 'altostrat.cloud.step')
    except AltostratError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule(object):
    def filters(self):
        return {'step': step}
