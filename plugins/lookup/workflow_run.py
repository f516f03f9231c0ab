# -*- coding: utf-8 -*-
# Copyright (c) 2026 Altostrat collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: workflow_run
short_description: Read, wait on and assert Altostrat workflow runs, many at once
version_added: 0.1.0
description:
  - Returns one Altostrat workflow run, with its step logs, for each run ID given.
  - With O(wait=true) it waits on all of them in one loop under one deadline, polling first the run that started
    first, about one request per run plus one per pause; and it fails unless every run completed (or ended as
    O(expected_status) allows).
  - Unknown keyword arguments and misspelt statuses are refused before any request, naming the closest option or
    status, so that a typo never opens a gate.
  - C(lookup) of one ID gives the run itself; C(query) always gives a list of runs, in the order of the IDs.
  - Settings come from keyword arguments first, then Ansible variables (C(altostrat_api_url), C(altostrat_token), ...),
    then environment variables (E(ALTOSTRAT_API_URL), E(ALTOSTRAT_TOKEN), ...), then the C([altostrat]) section of
    C(ansible.cfg).
  - Runs on the controller. At C(-v) and above it prints a progress line every 30 seconds of a long wait.
author:
  - Altostrat collection maintainers (@altostrat)
options:
  _terms:
    description: Run IDs, such as V(fl_run_01h3j4k5l6m7n8p9q0r1s2t3u4). Each is checked before any request is sent.
    type: list
    elements: str
    required: true
extends_documentation_fragment:
  - altostrat.cloud.connection
  - altostrat.cloud.connection.plugins
  - altostrat.cloud.wait
seealso:
  - module: altostrat.cloud.workflow_run_info
    description: The same reads and waits as a module, with check mode and C(module_defaults).
  - module: altostrat.cloud.workflow_run
    description: Start a run (or re-run or resume one), then wait on it and assert how it ended.
'''

EXAMPLES = r'''
- name: Read one run and show how it ended
  ansible.builtin.debug:
    msg: "{{ run.status }}: {{ run.error_message }}"
  vars:
    run: "{{ lookup('altostrat.cloud.workflow_run', 'fl_run_01h3j4k5l6m7n8p9q0r1s2t3u4') }}"

- name: Wait on three runs at once and require that all completed
  ansible.builtin.set_fact:
    preflight_runs: "{{ query('altostrat.cloud.workflow_run', *preflight_run_ids, wait=true, wait_timeout=1200,
                              expected_status=['completed'], logs='errors') }}"
  vars:
    preflight_run_ids: [fl_run_aaa, fl_run_bbb, fl_run_ccc]

- name: The same settings for every lookup of a play, from variables
  ansible.builtin.debug:
    msg: "{{ query('altostrat.cloud.workflow_run', 'fl_run_aaa') | map(attribute='status') }}"
  vars:
    altostrat_api_url: https://v1.api.altostrat.io
    altostrat_token: "{{ vault_altostrat_token }}"
'''

RETURN = r'''
_raw:
  description:
    - One run per ID, as the API returned it (fields unknown to this plugin included), logs trimmed by O(logs).
    - Keys include C(id), C(status), C(error_message), C(started_at), C(completed_at), C(duration_in_seconds) and
      C(logs), a list of step entries with C(id), C(node_id), C(component_id), C(status), C(output), C(created_at).
  type: list
  elements: dict
'''

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible.utils.display import Display

from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratError
from ansible_collections.altostrat.cloud.plugins.module_utils._options import CONNECTION_OPTIONS, WAIT_ARGS
from ansible_collections.altostrat.cloud.plugins.module_utils._task import Task
from ansible_collections.altostrat.cloud.plugins.module_utils._text import one_id
from ansible_collections.altostrat.cloud.plugins.module_utils._validate import closest

display = Display()


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        names = list(CONNECTION_OPTIONS) + list(WAIT_ARGS)
        for name in kwargs:
            if name not in names:  # a misspelt option must never open a gate
                raise AnsibleLookupError('altostrat.cloud.workflow_run: unknown option %r%s; the options are %s.'
                                         % (one_id(name), closest(name, names), ', '.join(sorted(names))))
        self.set_options(var_options=variables, direct=kwargs)
        options = dict((name, self.get_option(name)) for name in names)
        try:
            task = Task(options, warn=display.warning)
            runs = task.read_and_check(list(terms), progress=lambda line: display.v('altostrat.cloud.workflow_run: %s' % line))
        except AltostratError as exc:
            raise AnsibleLookupError('altostrat.cloud.workflow_run: %s' % exc) from None
        display.vvv('altostrat.cloud.workflow_run: %d run(s) in %.1f s' % (len(runs), task.elapsed()))
        return runs
