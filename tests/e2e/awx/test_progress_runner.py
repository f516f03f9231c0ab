"""Progress while waiting, in an AWX job: under ``ansible-runner`` at verbosity 1, the progress lines of a long
module wait are job events (and stdout) of their own, made while the task still runs, before its result event.

The credential of the shipped AWX credential type is rendered into ``env/envvars`` as AWX does (see
``test_runner.py``); the module runs on the controller (``ansible_connection=local``), as in an AWX job that
delegates the gate to ``localhost``. One run of about 50 s: one progress line, at about 30 s of the wait, some
seconds before the run ends even when a loaded machine starts the module 10 s after the run was created.
"""

import datetime
import os
import re
import uuid

import pytest

ansible_runner = pytest.importorskip('ansible_runner')

from e2e.awx.awx_helpers import private_data_dir  # noqa: E402

RUN = 'fl_run_awx_progress'
TASK = 'Wait on the run'
PLAYBOOK = '''\
- name: Gate on a long run
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Start the run now (emulator control endpoint, not an API call)
      ansible.builtin.uri:
        url: "{{ emu_url }}/_emulator/runs"
        method: POST
        body_format: json
        body: "{{ start_runs }}"
        status_code: 201
        use_proxy: false

    - name: %s
      altostrat.cloud.workflow_run_info:
        run_id: %s
        wait: true
        expected_status: [completed]
''' % (TASK, RUN)


def progress_line(text):
    return 'altostrat.cloud.workflow_run_info: waited ' in (text or '')


def test_progress_lines_are_job_events_before_the_task_result(emulator_factory, tmp_path, monkeypatch):
    for name in list(os.environ):
        if name.startswith(('ALTOSTRAT_', 'ANSIBLE_')):
            monkeypatch.delenv(name)
    token = 'altostrat-sentinel-%s' % uuid.uuid4().hex
    emu = emulator_factory({'tokens': [token], 'runs': []})
    run = {'id': RUN, 'workflow_id': 'fl_wf_awx', 'pending_for': 1, 'duration': 50, 'status': 'completed', 'steps': 4}
    pdd = private_data_dir(tmp_path, PLAYBOOK, {'api_url': emu.url, 'token': token}, {'emu_url': emu.url, 'start_runs': [run]})

    runner = ansible_runner.run(private_data_dir=str(pdd), playbook='gate.yml', quiet=True, timeout=180, verbosity=1)
    stdout = runner.stdout.read()
    assert runner.status == 'successful', stdout

    events = sorted(runner.events, key=lambda event: event['counter'])
    progress = [event for event in events if progress_line(event.get('stdout'))]
    result, = [event for event in events if event['event'] == 'runner_on_ok' and event['event_data'].get('task') == TASK]
    assert len(progress) == 1, [event.get('stdout') for event in events]
    event = progress[0]
    assert event['event'] == 'verbose'
    assert re.match(r'^<localhost> altostrat\.cloud\.workflow_run_info: waited 3[0-9] s on run %s: running, '
                    r'[0-4] steps? so far$' % RUN, event['stdout']), event['stdout']
    assert event['counter'] < result['counter']
    created = [datetime.datetime.fromisoformat(item['created']) for item in (event, result)]
    print('measured: progress event %r at %s, result event at %s' % (event['stdout'], created[0], created[1]))
    assert (created[1] - created[0]).total_seconds() > 2  # made while the task ran (looked at every 0.5 s), not with its result
    assert stdout.index('altostrat.cloud.workflow_run_info: waited ') < stdout.index('ok: [localhost] => {"changed": false, "elapsed"')
    assert result['event_data']['res']['run']['status'] == 'completed'

    assert token not in stdout
    for root, _dirs, files in os.walk(str(pdd / 'artifacts')):
        for name in files:
            if 'job_events' in root or name == 'stdout':
                with open(os.path.join(root, name), 'rb') as handle:
                    assert token.encode('utf-8') not in handle.read(), name
