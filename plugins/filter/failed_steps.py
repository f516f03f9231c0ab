# -*- coding: utf-8 -*-
# Copyright (c) 2026 Altostrat collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: failed_steps
short_description: The log entries of the steps of an Altostrat workflow run that failed
version_added: 0.2.0
description:
  - Returns the log entries whose C(status) is V(error), in the order they ran, from a run as the altostrat.cloud
    modules and the lookup return it (their C(run)), or from the C(logs) list of a run; an empty list when none failed.
  - These are the steps the modules name in the message of a run that did not end with an expected status.
  - A run can fail without a failed step in its logs (an C(error_message) only), and a completed run can have one (a
    step failed but the run carried on); gate on the run's C(status) and use this list to say why.
  - A run that carries no logs (listed by O(altostrat.cloud.workflow_run_info#module:workflow_id), or read with
    O(altostrat.cloud.workflow_run_info#module:logs=none)) gives an empty list.
author:
  - Altostrat collection maintainers (@altostrat)
options:
  _input:
    description:
      - A run (a dictionary with C(logs)), or the C(logs) list of a run.
      - Not a registered task result itself, but its C(run), as in C(preflight.run).
    type: raw
    required: true
seealso:
  - plugin: altostrat.cloud.step
    plugin_type: filter
    description: The log entry of one node's step.
  - module: altostrat.cloud.workflow_run_info
    description: Read a run with its logs, and wait on it.
'''

EXAMPLES = r'''
- name: Wait for the pre-flight run, whatever its outcome
  altostrat.cloud.workflow_run_info:
    run_id: fl_run_01h3j4k5l6m7n8p9q0r1s2t3u4
    wait: true
    expected_status: [any]
  register: preflight

- name: Name the nodes whose steps failed
  ansible.builtin.debug:
    msg: "Failed nodes: {{ preflight.run | altostrat.cloud.failed_steps | map(attribute='node_id') | join(', ') }}"

- name: Report each failed step, with what it answered
  ansible.builtin.debug:
    msg: "{{ item.node_id }} ({{ item.component_id | default('no component', true) }}): {{ item.output | to_json }}"
  loop: "{{ preflight.run | altostrat.cloud.failed_steps }}"
'''

RETURN = r'''
_value:
  description:
    - The log entries whose C(status) is V(error), in order, as the API returned them; empty when none failed.
    - Keys include C(id), C(node_id), C(component_id) (may be null), C(status), C(output) and C(created_at).
  type: list
  elements: dict
'''

from ansible.errors import AnsibleFilterError
from jinja2 import Undefined

from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratError
from ansible_collections.altostrat.cloud.plugins.module_utils._runs import failed_steps as run_failed_steps
from ansible_collections.altostrat.cloud.plugins.plugin_utils._steps import run_steps


def failed_steps(run):
    """The steps of ``run`` (a run or its ``logs`` list) whose status is ``error``, in order."""
    if isinstance(run, Undefined):
        run._fail_with_undefined_error()  # ansible-core < 2.19 hands undefined input to filters
    try:
        steps = run_steps(run, 'altostrat.cloud.failed_steps')[1]
    except AltostratError as exc:
        raise AnsibleFilterError(str(exc))
    return run_failed_steps({'logs': steps})


class FilterModule(object):
    def filters(self):
        return {'failed_steps': failed_steps}
