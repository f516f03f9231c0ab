#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 Altostrat collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: workflow_run_info
short_description: Read, wait on and assert Altostrat workflow runs
version_added: 0.1.0
description:
  - Fetches one Altostrat workflow run with its step logs (O(run_id)), several runs (O(run_ids)), or lists the runs of a
    workflow (O(workflow_id)).
  - With O(wait=true) it waits until the run has ended, under one deadline, polling gently, and fails the task unless
    it completed (or ended as O(expected_status) allows), naming the run, its error message and its failed steps.
    Without O(wait) it asserts nothing unless O(expected_status) is given.
  - Never changes anything, so it runs the same in check mode.
author:
  - Altostrat collection maintainers (@altostrat)
options:
  run_id:
    description:
      - ID of the run to fetch, such as V(fl_run_01h3j4k5l6m7n8p9q0r1s2t3u4).
      - It is checked before any request is sent; only C(fl_run_) followed by letters, digits, C(_) and C(-) is accepted.
      - Exactly one of O(run_id), O(run_ids) and O(workflow_id) is required.
    type: str
  run_ids:
    description:
      - IDs of several runs to fetch, or to wait on all at once with O(wait=true), in one loop under one deadline
        (see O(wait)); the result is RV(runs), in this order.
      - One task for a whole fleet costs about one request per run once the runs have ended, plus one per pause,
        however many runs there are. Each ID is checked before any request is sent.
    type: list
    elements: str
    version_added: 0.2.0
  workflow_id:
    description:
      - ID of a workflow whose runs to list, newest first, such as V(fl_01h3j4k5l6m7n8p9q0r1s2t3u4). Every page is followed.
      - Listed runs carry no C(logs); fetch a run by O(run_id) for those.
      - O(wait) and O(expected_status) apply to O(run_id) and O(run_ids) only.
    type: str
  status:
    description:
      - With O(workflow_id), return only the runs with one of these statuses.
    type: list
    elements: str
    choices: [pending, running, completed, failed, awaiting_ui_interaction]
  limit:
    description:
      - With O(workflow_id), stop after this many (matching) runs.
    type: int
extends_documentation_fragment:
  - altostrat.cloud.connection
  - altostrat.cloud.wait
  - altostrat.cloud.attributes
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  check_mode:
    support: full
    details: The module only reads; check mode gives the same result.
seealso:
  - module: altostrat.cloud.workflow_run
    description: Start a run (or re-run or resume one), then wait on it and assert how it ended.
  - plugin: altostrat.cloud.workflow_run
    plugin_type: lookup
    description: The same reads and waits, as a lookup that can wait on many runs at once.
  - name: Altostrat Workflows API
    description: Reference of the API this module talks to.
    link: https://docs.altostrat.io/api-reference
'''

EXAMPLES = r'''
- name: Wait for a run to finish and require that it completed
  altostrat.cloud.workflow_run_info:
    run_id: fl_run_01h3j4k5l6m7n8p9q0r1s2t3u4
    wait: true
    wait_timeout: 900
    expected_status: [completed]
  register: preflight

- name: Use the step logs in a later task
  ansible.builtin.debug:
    msg: "{{ item.node_id }}: {{ item.status }} {{ item.output }}"
  loop: "{{ preflight.run.logs }}"

- name: Branch on why a read failed
  altostrat.cloud.workflow_run_info:
    run_id: "{{ maybe_old_run_id }}"
  register: old_run
  failed_when: old_run is failed and old_run.http_status | default(0) != 404

- name: Gate a whole play on a run, with the settings set once for the collection's modules
  hosts: routers
  module_defaults:
    group/altostrat.cloud.workflows:
      api_url: https://v1.api.altostrat.io
      token: "{{ vault_altostrat_token }}"
  tasks:
    - name: Wait for the change ticket workflow, only returning the steps that did not succeed
      altostrat.cloud.workflow_run_info:
        run_id: "{{ change_run_id }}"
        wait: true
        expected_status: [completed]
        on_interaction: wait
        logs: errors
      delegate_to: localhost
      run_once: true

- name: Gate a fleet in one task - wait on the run each host started, from the controller
  altostrat.cloud.workflow_run_info:
    run_ids: "{{ ansible_play_hosts | map('extract', hostvars, ['preflight_start', 'run', 'id']) }}"
    wait: true
    wait_timeout: 1800
    expected_status: [completed]
  delegate_to: localhost
  run_once: true
  register: fleet

- name: List the failed runs of a workflow, ten at most
  altostrat.cloud.workflow_run_info:
    workflow_id: fl_01h3j4k5l6m7n8p9q0r1s2t3u4
    status: [failed]
    limit: 10
  register: failures
'''

RETURN = r'''
run:
  description:
    - The run as the API returned it, fields unknown to this module included (for example C(trigger_payload)).
    - Also returned when the task fails because of O(expected_status), O(on_interaction=fail) or a timed-out wait,
      holding the last state seen.
  returned: when O(run_id) is given and the run could be read
  type: dict
  contains:
    id:
      description: Run ID.
      type: str
      sample: fl_run_01h3j4k5l6m7n8p9q0r1s2t3u4
    status:
      description: V(pending), V(running), V(completed), V(failed) or V(awaiting_ui_interaction).
      type: str
      sample: completed
    error_message:
      description: Why the run failed; may also be set on a completed run whose step failed.
      type: str
      sample: "Webhook request failed: 503 Service Unavailable"
    started_at:
      description: When the run started (ISO 8601).
      type: str
      sample: "2025-10-31T12:00:00.000000Z"
    completed_at:
      description: When the run ended; null until then.
      type: str
      sample: "2025-10-31T12:00:05.000000Z"
    duration_in_seconds:
      description: How long the run took; null until it ends.
      type: int
      sample: 5
    logs:
      description: One entry per executed step, in order, trimmed by O(logs).
      type: list
      elements: dict
      sample:
        - id: fl_log_01h3j4k5l6m7n8p9q0r1s2t3u4
          node_id: n2
          component_id: webhook
          status: success
          output: {status: 200, body: {message: ok}}
          created_at: "2025-10-31T12:00:02.000000Z"
runs:
  description:
    - With O(run_ids), the runs in the order of the IDs, with their logs (trimmed by O(logs)); also returned when the
      task fails (O(expected_status), a timed-out wait), each holding the last state seen (V(null) if never read).
    - With O(workflow_id), its runs, newest first, without logs.
  returned: when O(run_ids) or O(workflow_id) is given
  type: list
  elements: dict
  sample:
    - id: fl_run_01h3j4k5l6m7n8p9q0r1s2t3u4
      status: failed
      error_message: "Webhook request failed: 503 Service Unavailable"
elapsed:
  description: Seconds the task took, from its start (its one deadline's), with or without O(wait), failed or not.
  returned: always, but when an option was refused before any request
  type: float
  sample: 12.4
http_status:
  description: The HTTP status of the API answer that failed the task (V(null) when no answer arrived).
  returned: on failure, when an API request caused it
  type: int
  sample: 404
api_code:
  description: The C(code) of the API's error answer, for example V(resource_missing).
  returned: on failure, when an API answer caused it
  type: str
  sample: resource_missing
api_message:
  description: The C(message) of the API's error answer, on one line.
  returned: on failure, when an API answer caused it
  type: str
  sample: Workflow run fl_run_01h3j4k5l6m7n8p9q0r1s2t3u4 not found.
'''

from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratError
from ansible_collections.altostrat.cloud.plugins.module_utils._task import Task, altostrat_module
from ansible_collections.altostrat.cloud.plugins.module_utils._runs import KNOWN_STATUSES


def main():
    module = altostrat_module(
        dict(
            run_id=dict(type='str'),
            run_ids=dict(type='list', elements='str'),
            workflow_id=dict(type='str'),
            status=dict(type='list', elements='str', choices=list(KNOWN_STATUSES)),
            limit=dict(type='int'),
        ),
        required_one_of=[('run_id', 'run_ids', 'workflow_id')],
        mutually_exclusive=[('run_id', 'run_ids', 'workflow_id'), ('run_id', 'status'), ('run_id', 'limit'),
                            ('run_ids', 'status'), ('run_ids', 'limit'), ('workflow_id', 'expected_status')],
    )
    params = module.params
    if params['workflow_id'] and params['wait']:
        module.fail_json(msg='wait needs run_id or run_ids: the runs listed for a workflow_id are not waited on.')
    if params['limit'] is not None and params['limit'] < 1:
        module.fail_json(msg='limit must be 1 or more, got %d.' % params['limit'])
    if params['run_ids'] is not None and not params['run_ids']:
        module.fail_json(msg='run_ids is empty: give at least one run ID.')
    many = params['run_ids'] is not None
    run_ids = params['run_ids'] if many else [params['run_id']]
    try:
        task = Task(params, warn=module.warn)
    except AltostratError as exc:
        module.fail_json(msg=str(exc))
    try:
        if params['workflow_id']:
            runs = task.client.list_runs(params['workflow_id'], statuses=params['status'], limit=params['limit'])
            module.exit_json(changed=False, runs=runs, elapsed=task.elapsed())
        runs = task.read_and_check(run_ids)
    except AltostratError as exc:
        module.fail_json(changed=False, **task.failure(exc, run_ids, many=many))
    if many:
        module.exit_json(changed=False, runs=runs, elapsed=task.elapsed())
    module.exit_json(changed=False, run=runs[0], elapsed=task.elapsed())


if __name__ == '__main__':
    main()
