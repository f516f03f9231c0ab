"""The matrix's end-to-end gate: ``playbooks/gate.yml`` run by this venv's ``ansible-playbook`` against the emulator.

``make matrix`` runs it once per ansible-core line (the controller is the venv's Python), and once more on
ansible-core 2.16 with the modules on the oldest Python that 2.16 and ``tests/config.yml`` admit: then
``MATRIX_TARGET_PYTHON`` names that interpreter (a venv holding only ``requests``). The interpreter is pinned
with ``ansible_python_interpreter``, and the playbook checks that the modules really ran on it.
"""

import os
import subprocess
import sys

from e2e.checks import gets
from testkit import TOKEN, playbook

PLAYBOOK = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'playbooks', 'gate.yml')
# Finishes ~2 s after the emulator starts it, right before the lookup: the lookup really waits.
SIDE_RUN = {'id': 'fl_run_matrix_side', 'workflow_id': 'fl_wf_main', 'pending_for': 0.2, 'duration': 1.8,
            'status': 'completed', 'steps': 2}


def target_python():
    path = os.environ.get('MATRIX_TARGET_PYTHON') or sys.executable
    version = subprocess.check_output([path, '-c', 'import sys; print("%d.%d" % sys.version_info[:2])'],
                                      universal_newlines=True).strip()
    return path, version


def test_gate(emulator, tmp_path):
    python, version = target_python()
    res = playbook.run_playbook(
        tmp_path, PLAYBOOK, timeout=240,
        env={'ALTOSTRAT_API_URL': emulator.url, 'ALTOSTRAT_TOKEN': TOKEN},
        extra_vars={'emu_url': emulator.url, 'side_run': SIDE_RUN,
                    'ansible_python_interpreter': python, 'target_python': python, 'target_python_version': version})
    assert res.rc == 0, res
    out = res['gate']
    run = out['run']['run']
    assert run['status'] == 'completed' and len(run['logs']) == 3, out['run']
    assert out['info']['run']['id'] == run['id'] and out['info']['run']['status'] == 'completed', out['info']
    assert [entry['node_id'] for entry in out['info']['run']['logs']] == [entry['node_id'] for entry in run['logs']]
    looked_up = out['looked_up']
    assert [r['id'] for r in looked_up] == [run['id'], SIDE_RUN['id']], looked_up
    assert [r['status'] for r in looked_up] == ['completed', 'completed'], looked_up
    assert len(looked_up[1]['logs']) == 2, looked_up[1]
    # The module waited (more than one GET of its run); the lookup waited on the side run too.
    assert gets(emulator, run['id']) >= 2
    assert gets(emulator, SIDE_RUN['id']) >= 2
    assert out['python'] == python, out['python']  # the modules ran on the pinned interpreter
    assert 'Traceback' not in res.output, res.output
