"""Role end-to-end tests: real ``ansible-playbook`` runs of altostrat.cloud.workflow_gate against the emulator.

``gate(extra_vars=None, env=True, verbosity=0, playbook='gate.yml', check=False)`` runs ``playbooks/<playbook>`` on
``localhost`` (local connection, this venv's Python) with ``ALTOSTRAT_API_URL``/``ALTOSTRAT_TOKEN`` pointing
at the emulator unless ``env=False``, custom stats shown, and returns a ``GateResult``: ``rc``, ``output``
and ``run`` — the ``workflow_gate_run`` fact the playbook wrote out (``None`` when it was never set).
"""

import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
COLLECTIONS = os.path.join(REPO, '.build')
BIN = os.path.dirname(sys.executable)
TOKEN = 'role-test-token'

SCENARIO = {
    'tokens': [TOKEN],
    'workflows': [
        {'id': 'fl_gate_ok',
         'run_template': {'pending_for': 0.1, 'duration': 0.6, 'status': 'completed', 'steps': 2}},
        {'id': 'fl_gate_fails',
         'run_template': {'pending_for': 0.1, 'duration': 0.6, 'status': 'failed', 'steps': 3, 'failed_steps': [1],
                          'error_message': 'Webhook request failed: 500 Internal Server Error'}},
    ],
    'runs': [
        {'id': 'fl_run_gate_soon', 'workflow_id': 'fl_gate_ok', 'pending_for': 0.1, 'duration': 1.0,
         'status': 'completed', 'steps': 3},
        {'id': 'fl_run_gate_awaiting', 'workflow_id': 'fl_gate_ok', 'pending_for': 0, 'duration': 0,
         'status': 'awaiting_ui_interaction', 'steps': 1},
        {'id': 'fl_run_gate_forever', 'workflow_id': 'fl_gate_ok', 'pending_for': 0, 'duration': 3600,
         'status': 'completed', 'steps': 2},
        {'id': 'fl_run_gate_warn', 'workflow_id': 'fl_gate_ok', 'finished': True, 'status': 'completed',
         'steps': 2, 'warning_steps': [1], 'error_message': 'Step n1 returned a warning'},
    ],
}


class GateResult:
    def __init__(self, rc, output, run):
        self.rc = rc
        self.output = output
        self.run = run

    def __repr__(self):
        return '<GateResult rc=%s>\n%s' % (self.rc, self.output)


@pytest.fixture
def gate_token():
    return TOKEN


@pytest.fixture
def gate_emulator(emulator_factory):
    return emulator_factory(SCENARIO)


@pytest.fixture
def gate(gate_emulator, tmp_path):
    counter = [0]

    def run(extra_vars=None, env=True, verbosity=0, playbook='gate.yml', check=False):
        counter[0] += 1
        work = tmp_path / ('run%d' % counter[0])
        home = work / 'home'
        home.mkdir(parents=True)
        out = work / 'workflow_gate_run.json'
        environ = {key: value for key, value in os.environ.items()
                   if not key.startswith(('ALTOSTRAT_', 'ANSIBLE_', 'PYENV')) and key != 'PYTHONPATH'}
        environ.update({
            'PATH': os.pathsep.join([BIN, os.environ.get('PATH', '')]),
            'HOME': str(home),
            'ANSIBLE_HOME': str(home / '.ansible'),
            'ANSIBLE_LOCAL_TEMP': str(home / 'tmp'),
            'ANSIBLE_COLLECTIONS_PATH': COLLECTIONS,
            'ANSIBLE_NOCOLOR': '1',
            'ANSIBLE_SHOW_CUSTOM_STATS': '1',
            'ANSIBLE_RETRY_FILES_ENABLED': '0',
            'ANSIBLE_PYTHON_INTERPRETER': sys.executable,
        })
        if env:
            environ.update({'ALTOSTRAT_API_URL': gate_emulator.url, 'ALTOSTRAT_TOKEN': TOKEN})
        all_vars = {'gate_out': str(out), 'emu_url': gate_emulator.url, 'emu_token': TOKEN,
                    'workflow_gate_poll_interval': 0.2}
        all_vars.update(extra_vars or {})
        vars_file = work / 'vars.json'
        vars_file.write_text(json.dumps(all_vars))
        command = [os.path.join(BIN, 'ansible-playbook'), '-i', 'localhost,', '-c', 'local',
                   '-e', '@%s' % vars_file, os.path.join(HERE, 'playbooks', playbook)]
        if verbosity:
            command.append('-' + 'v' * verbosity)
        if check:
            command.append('--check')
        proc = subprocess.run(command, env=environ, cwd=str(work), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              universal_newlines=True, timeout=120, check=False)
        fact = json.loads(out.read_text()) if out.exists() else None
        return GateResult(proc.returncode, proc.stdout, fact)

    return run
