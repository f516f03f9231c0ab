#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 Altostrat collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: workflow_run
short_description: Start an Altostrat workflow run, then optionally wait on it and assert how it ended
version_added: 0.1.0
description:
  - Starts a run of an Altostrat workflow (O(workflow_id)), re-runs an earlier run with its original trigger payload
    (O(rerun_run_id)), or resumes a failed run from one of its completed nodes (O(resume_run_id) and O(resume_node_id)).
  - With O(wait=true) it then waits until the new run has ended, and fails the task unless it completed (or ended as
    O(expected_status) allows), naming the run, its error message and its failed steps.
  - Every start is retry-safe. It carries an C(Idempotency-Key), O(idempotency_key) or a UUID made for this task. A
    start whose answer was lost (a connection error, a 5xx answer) is sent again with the same key, and the API
    returns the first run instead of starting a second one. A start that the API refused for its rate limit (HTTP 429)
    was not processed; it is sent again once the limit allows, until O(wait_timeout).
author:
  - Altostrat collection maintainers (@altostrat)
options:
  workflow_id:
    description:
      - ID of the workflow to start, such as V(fl_01h3j4k5l6m7n8p9q0r1s2t3u4).
      - Exactly one of O(workflow_id), O(rerun_run_id) and O(resume_run_id) is required.
    type: str
  context:
    description:
      - Data handed to the workflow's trigger node, sent as the C(context) member of the request body. Only with
        O(workflow_id).
    type: dict
  rerun_run_id:
    description:
      - ID of an earlier run to run again, with its original trigger payload.
    type: str
  resume_run_id:
    description:
      - ID of a failed run to resume from O(resume_node_id); the steps before that node are not run again.
    type: str
  resume_node_id:
    description:
      - Node of O(resume_run_id) to resume from; it must have completed in that run. Required with O(resume_run_id).
    type: str
  idempotency_key:
    description:
      - Sent as the C(Idempotency-Key) header. A repeat of the same key within 24 hours returns the first run instead
        of starting another one (RV(replayed) is then V(true), and the task reports no change).
      - Without it the task makes a fresh UUID, which every retry of this start reuses; so a task that is run again
        starts a new run. Give a key to make running the whole task again safe too.
      - Use a value that is the same for every attempt of one intent and new for each new intent and each host, for
        example the AWX job ID (or a UUID made once per play), the host and a purpose, such as
        V(4711-ams1-preflight); see the examples. The API answers HTTP 422 C(idempotency_key_in_use) when a key is
        reused for a different request.
      - 1 to 255 printable ASCII characters, without spaces at either end; anything else is refused before any
        request.
    type: str
extends_documentation_fragment:
  - altostrat.cloud.connection
  - altostrat.cloud.wait
  - altostrat.cloud.attributes
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
attributes:
  check_mode:
    support: full
    details:
      - In check mode no run is started. One read proves what it can (the token, O(api_url), and that the workflow
        or the run to re-run or resume exists); the task then reports C(changed) and returns no run, or fails as the
        start would have.
notes:
  - The request budget (O(rate_limit)) is shared by the processes of one user on one machine. Run the module on the
    controller (with C(delegate_to) V(localhost)) so that every host of a fleet spends from one budget; a module that runs
    on a remote host has only that host's budget.
seealso:
  - module: altostrat.cloud.workflow_run_info
    description: Read, wait on and assert a run that is already under way, or list a workflow's runs.
  - plugin: altostrat.cloud.workflow_run
    plugin_type: lookup
    description: Read and wait on many runs at once from a template.
  - name: Altostrat Workflows API
    description: Reference of the API this module talks to.
    link: https://docs.altostrat.io/api-reference
'''

EXAMPLES = r'''
- name: Make one attempt id for the play, the AWX job id or a UUID (so that keys are new for each attempt)
  ansible.builtin.set_fact:
    preflight_attempt: "{{ tower_job_id | default(99999999 | random | to_uuid) }}"
  run_once: true

- name: Start the pre-flight workflow for this site, wait for it; the task fails unless the run completed
  altostrat.cloud.workflow_run:
    workflow_id: fl_01h3j4k5l6m7n8p9q0r1s2t3u4
    context:
      site: "{{ inventory_hostname }}"
      change: CHG0042
    idempotency_key: "{{ preflight_attempt }}-{{ inventory_hostname }}-preflight"
    wait: true
    wait_timeout: 1800
  register: preflight
  delegate_to: localhost

- name: Use what step n2 returned in a later task
  ansible.builtin.debug:
    msg: "{{ (preflight.run | altostrat.cloud.step('n2')).output }}"
  when: not ansible_check_mode

- name: Start a run and wait, accepting any ending, then decide in a later task
  altostrat.cloud.workflow_run:
    workflow_id: fl_01h3j4k5l6m7n8p9q0r1s2t3u4
    wait: true
    expected_status: [any]
  register: attempt
  delegate_to: localhost

- name: Report the steps that failed, if any
  ansible.builtin.debug:
    msg: "{{ attempt.run | altostrat.cloud.failed_steps | map(attribute='node_id') }}"
  when: not ansible_check_mode

- name: Run an earlier run again, with its original trigger payload
  altostrat.cloud.workflow_run:
    rerun_run_id: fl_run_01h3j4k5l6m7n8p9q0r1s2t3u4

- name: Resume a failed run from node n3, and wait until it completed
  altostrat.cloud.workflow_run:
    resume_run_id: fl_run_01h3j4k5l6m7n8p9q0r1s2t3u4
    resume_node_id: n3
    wait: true
'''

RETURN = r'''
run:
  description:
    - The new run as the API returned it, after waiting when O(wait=true); the same keys as RV(altostrat.cloud.workflow_run_info#module:run).
    - Also returned when the task fails after the run was started (O(expected_status), a timed-out wait), holding
      the last state seen.
  returned: when a run was started (not in check mode)
  type: dict
  sample:
    id: fl_run_01h3j4k5l6m7n8p9q0r1s2t3u4
    status: completed
    error_message: null
    started_at: "2025-10-31T12:00:00.000000Z"
    completed_at: "2025-10-31T12:00:05.000000Z"
    duration_in_seconds: 5
    logs:
      - id: fl_log_01h3j4k5l6m7n8p9q0r1s2t3u4
        node_id: n2
        component_id: webhook
        status: success
        output: {status: 200}
        created_at: "2025-10-31T12:00:02.000000Z"
elapsed:
  description: Seconds the task took, from its start (its one deadline's), with or without O(wait), failed or not.
  returned: when a run was started or its start failed
  type: float
  sample: 12.4
idempotency_key:
  description: The C(Idempotency-Key) the start was sent with, O(idempotency_key) or the UUID made for this task.
  returned: when a start was sent (not in check mode), also when it failed
  type: str
  sample: 4711-ams1-preflight
replayed:
  description:
    - V(true) when the API answered with the run an earlier request with the same key had started, instead of
      starting a new one; the task then reports no change.
  returned: when a run was started
  type: bool
  sample: false
http_status:
  description: The HTTP status of the API answer that failed the task (V(null) when no answer arrived).
  returned: on failure, when an API request caused it
  type: int
  sample: 422
api_code:
  description: The C(code) of the API's error answer, for example V(idempotency_key_in_use).
  returned: on failure, when an API answer caused it
  type: str
  sample: idempotency_key_in_use
api_message:
  description: The C(message) of the API's error answer, on one line.
  returned: on failure, when an API answer caused it
  type: str
  sample: Keys for idempotent requests can only be used with the same parameters they were first used with.
'''

from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratError
from ansible_collections.altostrat.cloud.plugins.module_utils._task import Task, altostrat_module

STARTS = ('workflow_id', 'rerun_run_id', 'resume_run_id')


def start(client, params):
    """Send the POST that starts a run (retried with its one key); returns ``(run, idempotency_key, replayed)``."""
    key = params['idempotency_key']
    if params['workflow_id']:
        return client.start_run(params['workflow_id'], params['context'], idempotency_key=key)
    if params['rerun_run_id']:
        return client.rerun(params['rerun_run_id'], idempotency_key=key)
    return client.resume(params['resume_run_id'], params['resume_node_id'], idempotency_key=key)


def probe(client, params):
    """Check mode: one read that proves the token, api_url and what would be started; says what it checked."""
    if params['workflow_id']:
        client.list_runs(params['workflow_id'], limit=1, pages=1)
        return 'the token, api_url and workflow %s were checked with one read' % params['workflow_id']
    run_id = params['rerun_run_id'] or params['resume_run_id']
    client.get_run(run_id)
    return 'the token, api_url and run %s were checked with one read' % run_id


def main():
    module = altostrat_module(
        dict(
            workflow_id=dict(type='str'),
            context=dict(type='dict'),
            rerun_run_id=dict(type='str'),
            resume_run_id=dict(type='str'),
            resume_node_id=dict(type='str'),
            idempotency_key=dict(type='str', no_log=False),
        ),
        required_one_of=[STARTS],
        mutually_exclusive=[STARTS, ('context', 'rerun_run_id'), ('context', 'resume_run_id')],
        required_together=[('resume_run_id', 'resume_node_id')],
    )
    params = module.params
    started, run_ids = dict(changed=False), []
    try:
        task = Task(params, warn=module.warn)
    except AltostratError as exc:
        module.fail_json(msg=str(exc))
    try:
        if module.check_mode:
            module.exit_json(changed=True, msg='Check mode: no run was started; %s.' % probe(task.client, params))
        run, key, replayed = start(task.client, params)
        # a replay of a run an earlier task started changes nothing; one of this task's own lost first attempt does
        started = dict(idempotency_key=key, replayed=replayed, changed=not replayed or task.client.own_replay)
        run_ids = [run['id']]
        runs = task.read_and_check(run_ids, known={run['id']: run})
    except AltostratError as exc:
        module.fail_json(**task.failure(exc, run_ids, **started))
    module.exit_json(run=runs[0], elapsed=task.elapsed(), **started)


if __name__ == '__main__':
    main()
