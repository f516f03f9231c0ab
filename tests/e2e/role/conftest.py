"""Role end-to-end tests: real ``ansible-playbook`` runs of altostrat.cloud.workflow_gate against the emulator.

``gate(extra_vars=None, env=True, verbosity=0, playbook='gate.yml', check=False)`` runs ``playbooks/<playbook>`` on
``localhost`` (local connection, this venv's Python) with ``ALTOSTRAT_API_URL``/``ALTOSTRAT_TOKEN`` pointing
at the emulator unless ``env=False``, custom stats shown (``testkit.playbook.run_playbook``: private HOME and
``ansible.cfg``), and returns its ``PlaybookResult`` (``rc``, ``output``, ...) with one more attribute,
``run`` — the ``workflow_gate_run`` fact the playbook wrote out (``None`` when it was never set) — and one more,
``failed_steps``, the ``workflow_gate_failed_steps`` fact (``None`` likewise).
"""

import os

import pytest

from testkit.playbook import run_playbook

HERE = os.path.dirname(os.path.abspath(__file__))
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
        {'id': 'fl_run_gate_carried_on', 'workflow_id': 'fl_gate_ok', 'finished': True, 'status': 'completed',
         'steps': 3, 'failed_steps': [1], 'error_message': 'Step n1 failed; the run carried on'},
    ],
}


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
        environ = {'ANSIBLE_SHOW_CUSTOM_STATS': '1'}
        if env:
            environ.update({'ALTOSTRAT_API_URL': gate_emulator.url, 'ALTOSTRAT_TOKEN': TOKEN})
        all_vars = {'gate_out': str(work / 'out' / 'workflow_gate_run.json'), 'emu_url': gate_emulator.url,
                    'emu_token': TOKEN, 'workflow_gate_poll_interval': 0.2}
        all_vars.update(extra_vars or {})
        result = run_playbook(work, os.path.join(HERE, 'playbooks', playbook), extra_vars=all_vars, env=environ,
                              check=check, verbosity=verbosity, timeout=120)
        result.run = result.results.get('workflow_gate_run')  # the fact the playbook wrote out, or None
        result.failed_steps = result.results.get('workflow_gate_failed_steps')
        return result

    return run
