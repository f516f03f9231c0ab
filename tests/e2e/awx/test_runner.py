"""Run the workflow_gate role under ansible-runner the way AWX runs a job template.

The credential of the shipped AWX credential type (meta/awx_credential_type.yml) is rendered as AWX
renders it and written to ``env/envvars`` of the private data dir; the role then finds the API URL and
token in the environment only. The emulator accepts only a sentinel token, so a passing job proves the
token came through, and the artifacts are searched for that sentinel afterwards.
"""

import json
import os
import uuid

import pytest

ansible_runner = pytest.importorskip('ansible_runner')

from e2e.awx.awx_helpers import private_data_dir  # noqa: E402

PLAYBOOK = '''\
- name: Gate the deployment on a workflow run
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Run the gate
      ansible.builtin.include_role:
        name: altostrat.cloud.workflow_gate

    - name: Deploy
      ansible.builtin.debug:
        msg: "deploying after {{ workflow_gate_run.id }}"
'''


def scenario(token):
    return {
        'tokens': [token],
        'workflows': [
            {'id': 'fl_awx_ok',
             'run_template': {'pending_for': 0.1, 'duration': 0.8, 'status': 'completed', 'steps': 2}},
            {'id': 'fl_awx_fails',
             'run_template': {'pending_for': 0.1, 'duration': 0.8, 'status': 'failed', 'steps': 3,
                              'failed_steps': [1], 'error_message': 'Webhook request failed: 500 Internal Server Error'}},
        ],
    }


@pytest.fixture
def awx_job(emulator_factory, tmp_path, monkeypatch):
    """``run(extravars) -> (runner, emu, token, private_data_dir)``, AWX style."""
    for name in list(os.environ):
        if name.startswith(('ALTOSTRAT_', 'ANSIBLE_')):
            monkeypatch.delenv(name)
    token = 'altostrat-sentinel-%s' % uuid.uuid4().hex
    emu = emulator_factory(scenario(token))

    def run(extravars):
        pdd = private_data_dir(tmp_path, PLAYBOOK, {'api_url': emu.url, 'token': token}, extravars)
        runner = ansible_runner.run(private_data_dir=str(pdd), playbook='gate.yml', quiet=True, timeout=120)
        return runner, emu, token, pdd

    return run


def stats_data(runner):
    stats = [event for event in runner.events if event['event'] == 'playbook_on_stats']
    assert len(stats) == 1
    return stats[0]['event_data'].get('artifact_data')


def assert_token_in_no_artifact(pdd, token):
    """The token is in no file the job wrote under artifacts/.

    ansible-runner's own ``command`` file echoes the environment the job was started with (the input,
    like env/envvars); there, and only as that input, it may appear.
    """
    seen = []
    for root, _dirs, files in os.walk(str(pdd / 'artifacts')):
        for name in files:
            path = os.path.join(root, name)
            with open(path, 'rb') as handle:
                data = handle.read()
            if name == 'command' and os.path.dirname(root) == str(pdd / 'artifacts'):
                echo = json.loads(data.decode('utf-8'))
                assert echo['env'].pop('ALTOSTRAT_TOKEN') == token
                data = json.dumps(echo).encode('utf-8')
            seen.append(path)
            assert token.encode('utf-8') not in data, 'token found in %s' % path
    assert any(path.endswith('stdout') for path in seen) and any('job_events' in path for path in seen)


def test_gate_passes_under_ansible_runner(awx_job):
    runner, emu, token, pdd = awx_job({'workflow_gate_workflow_id': 'fl_awx_ok',
                                       'workflow_gate_context': {'change': 'CHG0042'},
                                       'workflow_gate_poll_interval': 0.2})
    stdout = runner.stdout.read()
    assert runner.status == 'successful', stdout
    assert runner.rc == 0
    assert emu.runs_created == 1

    published = stats_data(runner)
    run = published['workflow_gate_run']
    assert run['status'] == 'completed'
    assert run['id'].startswith('fl_run_')
    assert [entry['status'] for entry in run['logs']] == ['success', 'success']
    assert 'deploying after %s' % run['id'] in stdout

    assert_token_in_no_artifact(pdd, token)


def test_failed_run_fails_the_job_with_one_message(awx_job):
    runner, emu, token, pdd = awx_job({'workflow_gate_workflow_id': 'fl_awx_fails',
                                       'workflow_gate_poll_interval': 0.2})
    stdout = runner.stdout.read()
    assert runner.status == 'failed', stdout
    assert emu.runs_created == 1
    run = stats_data(runner)['workflow_gate_run']
    assert run['status'] == 'failed'

    failures = [event for event in runner.events if event['event'] == 'runner_on_failed']
    assert len(failures) == 1, failures
    msg = failures[0]['event_data']['res']['msg']
    assert msg.startswith('Workflow gate closed: Expected status completed, but run %s is failed: ' % run['id'])
    assert 'Webhook request failed: 500 Internal Server Error' in msg
    assert '; failed steps: node n1 (webhook) output {' in msg
    assert '\n' not in msg
    assert msg in stdout.replace('\\"', '"') or msg.split(' output ')[0] in stdout
    assert 'deploying after' not in stdout

    assert_token_in_no_artifact(pdd, token)
