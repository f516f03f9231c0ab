# -*- coding: utf-8 -*-
# Copyright (c) 2026 Altostrat collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Event-Driven Ansible source ``altostrat.cloud.workflow_runs``: an event each time a watched run changes status.

The async loop only: arguments, looks and back-off live in ``plugins/plugin_utils/_run_watch.py``, the requests in the
collection's one client (``plugins/module_utils/_client.py``), which is synchronous (``requests``): each look runs in a
thread (``asyncio.to_thread``), so the rulebook's other sources and rules go on meanwhile.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
short_description: React to the runs of Altostrat workflows as their status changes
description:
  - An ansible-rulebook event source that watches the runs of Altostrat workflows (O(workflow_ids)) and single runs
    (O(run_ids)), and puts one event on the rulebook's queue for each run and status it sees, in the order seen.
  - Each event has the keys C(workflow_id) (the watched workflow), C(run) (the run object as the API gives it, its
    C(status) the new status) and C(previous_status) (null for a run seen for the first time). A run never
    yields the same status twice. A change too quick to see between two looks is not invented; the event says what was
    seen. C(meta.uuid) is the same for a run ID and status on every machine and after a restart, so that
    C(ansible-rulebook --persistence-id) drops repeats.
  - At start the source takes a snapshot; runs already there yield nothing (unless O(emit_existing)), until they change.
  - Each look reads a workflow's executions pages newest first, past the new runs, and stops at a page whose runs have
    all ended or once every run it knows to be going was seen, at most 5 pages; a run still going that is no longer on
    those pages is read by its ID (at most 5 a look per workflow). A look with nothing new costs one request per
    workflow, plus one per run of O(run_ids) still going, plus one per ended run whose logs are read (O(logs)).
  - Every request spends from the collection's request budget per API token (O(rate_limit)), shared with the
    collection's modules and lookups on the same machine.
  - HTTP 429, 5xx answers, bad answers and connection errors never end the source; it looks again with jittered backoff
    up to O(interval) x 10, with one warning when the trouble starts and one when it ends. HTTP 401, 403, 404 (a watched
    workflow or run that does not exist) and other 4xx answers end it with one line. Bad arguments end it at start with
    one line naming the argument. The token never appears in an event, a log line or an error.
  - With only O(run_ids), the source ends once all of them have ended.
  - See the Event-Driven Ansible guide of the collection for rulebooks, decision environments and request costs.
options:
  workflow_ids:
    description:
      - The workflows whose runs to watch, by ID (C(fl_...)). Runs of other workflows never yield events.
      - A list, or a comma-separated string.
    type: list
    elements: str
  run_ids:
    description:
      - Runs to watch until they end, by ID (C(fl_run_...)), whatever their workflow.
      - An event of such a run carries the run's C(workflow_id) when the API gives one, else null.
      - At least one of O(workflow_ids) and O(run_ids) is needed.
    type: list
    elements: str
  interval:
    description:
      - Seconds between the end of one look and the start of the next. At least V(1).
    type: float
    default: 30
  emit_existing:
    description:
      - Also yield an event for each run seen in the snapshot at start (with C(previous_status) null).
    type: bool
    default: false
  logs:
    description:
      - Which runs are read once more when they end, so that their event carries their C(logs) (every step, with its
        C(output)); executions pages carry no logs.
      - V(errors) reads runs that ended C(failed); V(all) every run that ended; V(none) none, and no event carries logs.
    type: str
    choices: [errors, all, none]
    default: errors
  api_url:
    description:
      - As the modules' option of that name; also read from E(ALTOSTRAT_API_URL).
    type: str
    default: https://v1.api.altostrat.io
  token:
    description:
      - As the modules' option of that name (a secret, never logged); also read from E(ALTOSTRAT_TOKEN).
    type: str
  validate_certs:
    description:
      - As the modules' option of that name; also read from E(ALTOSTRAT_VALIDATE_CERTS).
    type: bool
    default: true
  ca_path:
    description:
      - As the modules' option of that name; also read from E(ALTOSTRAT_CA_PATH).
    type: path
  request_timeout:
    description:
      - As the modules' option of that name; also read from E(ALTOSTRAT_REQUEST_TIMEOUT).
    type: float
    default: 30
  rate_limit:
    description:
      - As the modules' option of that name (requests a minute from this machine with this token; V(0) turns the budget
        off); also read from E(ALTOSTRAT_RATE_LIMIT).
    type: int
    default: 60
  rate_limit_store:
    description:
      - As the modules' option of that name, where the collection has it (a store shared by several machines); also
        read from E(ALTOSTRAT_RATE_LIMIT_STORE). Ignored, with a warning, by a collection without it.
    type: str
requirements:
  - ansible-rulebook
  - ansible-core (the source imports the collection's client, and ansible-rulebook finds collections with ansible-galaxy)
  - requests (python library)
notes:
  - ansible-rulebook loads a source with C(runpy), not as a module of its collection, so the source puts the directory
    that holds its C(ansible_collections) on C(sys.path) before it imports the collection's client; it finds it from its
    own path, so it always uses the copy of the collection it belongs to.
"""

EXAMPLES = r"""
- name: Remediate failed runs, page someone for runs awaiting a person
  hosts: localhost
  sources:
    - altostrat.cloud.workflow_runs:
        workflow_ids: [fl_01h3j4k5l6m7n8p9q0r1s2t3u4]
        interval: 30
        token: "{{ altostrat_token }}"
  rules:
    - name: A run failed
      condition: event.run.status == "failed"
      action:
        run_playbook:
          name: remediate.yml
          extra_vars:
            failed_run: "{{ event.run }}"
    - name: A run waits for a person in the Altostrat UI
      condition: event.run.status == "awaiting_ui_interaction"
      action:
        debug:
          msg: "Run {{ event.run.id }} needs a person"

- name: Watch two runs until they end, with their logs whatever their ending
  hosts: localhost
  sources:
    - altostrat.cloud.workflow_runs:
        run_ids: [fl_run_01h3j4k5l6m7n8p9q0r1s2t3u4, fl_run_01h3j4k5l6m7n8p9q0r1s2t3u5]
        interval: 10
        logs: all
  rules:
    - name: Report each ending
      condition: event.run.status in ["completed", "failed"]
      action:
        print_event:
"""

import asyncio
import logging
import os
import sys


def _collections_root(path):
    """The directory holding ``ansible_collections`` when ``path`` is this file in an installed collection, else None."""
    parts = os.path.dirname(os.path.abspath(path)).split(os.sep)
    # <root>/ansible_collections/altostrat/cloud/extensions/eda/plugins/event_source
    if len(parts) > 7 and parts[-7] == 'ansible_collections':
        return os.sep.join(parts[:-7]) or os.sep
    return None


# ansible-rulebook runs this file with runpy.run_path: it is not imported as part of its collection, and no collection
# loader is installed, so ``ansible_collections.altostrat.cloud`` is importable only if the directory above this
# collection's ``ansible_collections`` is on sys.path. Put it first, so that the client is the one of this same copy.
_ROOT = _collections_root(__file__)
if _ROOT and _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

try:
    from ansible_collections.altostrat.cloud.plugins.plugin_utils._run_watch import (
        SOURCE, RunWatcher, Trouble, ends_source, source_client, source_options)
    IMPORT_ERROR = None
except ImportError as exc:  # not installed as a collection, or ansible-core missing: said when the source starts
    IMPORT_ERROR = ('altostrat.cloud.workflow_runs: cannot import the altostrat.cloud collection (%s); install it with '
                    'ansible-galaxy where ansible-rulebook runs, with ansible-core and requests.' % exc)


async def main(queue, args):
    """Watch runs and put an event on ``queue`` for each run and status seen, until a fatal error (or, with only
    ``run_ids``, until they have all ended)."""
    if IMPORT_ERROR:
        raise ImportError(IMPORT_ERROR)
    log = logging.getLogger(SOURCE)
    options = source_options(args)
    client = source_client(options, log.warning)
    watcher = RunWatcher(client, options, log.warning)
    trouble = Trouble(options['interval'], log.warning, client.clock)
    while True:
        events, error = await asyncio.to_thread(watcher.look)
        for event in events:
            await queue.put(event)
        if error is None:
            trouble.recovered()
            if watcher.done:
                return
            pause = options['interval']
        elif ends_source(error):
            raise type(error)(error.message if error.message.startswith(SOURCE) else '%s: %s' % (SOURCE, error.message))
        else:
            pause = trouble.failed(error)
        await asyncio.sleep(pause)
