"""`make demo` end to end: scripts/demo.sh (with this venv as DEMO_VENV, so no venv is made) builds and installs the
collection, runs docs/examples/gate.yml with --check and for real against the emulator, and says so without a warning;
and the example's idempotency keys are unique per host and per attempt, made without facts."""

import json
import os
import re
import subprocess
import sys

import yaml

from testkit import TOKEN, playbook
from testkit.collection import REPO

DEMO = os.path.join(REPO, 'scripts', 'demo.sh')
GATE = os.path.join(REPO, 'docs', 'examples', 'gate.yml')
SCENARIO = os.path.join(REPO, 'tests', 'scenarios', 'demo.yml')
INSTALLED = os.path.join(REPO, '.build', 'demo', 'collections', 'ansible_collections', 'altostrat', 'cloud')
RUN_ID = r'fl_run_[0-9a-f]+'
UUID = r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'


def test_demo_shows_a_dry_run_a_passing_gate_and_a_failing_gate_without_warnings(tmp_path):
    home = tmp_path / 'home'
    home.mkdir()
    env = playbook.playbook_env(str(home), isolate_network=True)
    env['DEMO_VENV'] = sys.prefix
    proc = subprocess.run([DEMO], env=env, cwd=str(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=120, check=False)
    out = proc.stdout
    assert proc.returncode == 0, out
    assert '[WARNING]' not in out and '[DEPRECATION WARNING]' not in out, out
    assert os.path.isfile(os.path.join(INSTALLED, 'MANIFEST.json'))  # installed from the tarball, as a user would

    dry, real = out.split('demo: 2/2 ')
    # --check: both gates report a change, no run is started, nothing reads a run
    assert 'demo: runs started by the dry run: 0\n' in dry
    assert re.search(r'localhost +: ok=3 +changed=2 +unreachable=0 +failed=0 +skipped=2 +rescued=0', dry), dry
    assert 'Gate open' not in dry and 'FAILED!' not in dry

    # the passing gate, and the answer of its step n1 used by the next task
    assert re.search(r'"Gate open: pre-flight run %s completed in \d+ s; its step n1 answered \\"ok\\". ' % RUN_ID, real)

    # the failing gate: one line naming the run, its status, its error message and its failed steps; `run` is kept
    fatal = json.loads(re.search(r'^fatal: \[localhost\]: FAILED! => (\{.*\})$', real, re.M).group(1))
    smoke = fatal['run']['id']
    assert re.fullmatch(RUN_ID, smoke) and fatal['run']['status'] == 'failed'
    assert fatal['msg'] == ('Expected status completed, but run %s is failed: Webhook request failed: 503 Service '
                            'Unavailable; failed steps: node n2 output {"body":{"message":"Service Unavailable"},'
                            '"status":503}.' % smoke)
    assert re.fullmatch(r'%s-localhost-smoke-test' % UUID, fatal['idempotency_key'])
    assert '[ERROR]: Task failed: Module failed: %s\n' % fatal['msg'] in real  # the same one line

    # the rescue read the logs with altostrat.cloud.failed_steps and altostrat.cloud.step, and says why it goes on
    assert ('"msg": "Run %s: step n2 (no component) failed with {\\"status\\": 503, \\"body\\": {\\"message\\": '
            '\\"Service Unavailable\\"}}"' % smoke) in real
    assert '"msg": "Run %s: step n1 was success with {\\"status\\": 200, \\"body\\": {\\"message\\": \\"ok\\"}}"' % smoke \
        in real
    assert "This failure is the demo's point" in real
    assert re.search(r'localhost +: ok=6 +changed=1 +unreachable=0 +failed=0 +skipped=1 +rescued=1', real), real
    assert 'demo: runs started: 2. Done' in real


def test_gate_keys_are_unique_per_host_and_attempt_with_one_attempt_for_all_hosts(emulator_factory, tmp_path):
    with open(SCENARIO) as handle:
        scenario = yaml.safe_load(handle)
    for workflow in scenario['workflows']:  # the same outcomes, faster
        workflow['run_template'].update(pending_for=0.1, duration=0.4)
    emu = emulator_factory(scenario)
    home = tmp_path / 'home'
    home.mkdir()
    inventory = tmp_path / 'inventory.ini'
    inventory.write_text('[fleet]\nams1\nfra1\n[fleet:vars]\nansible_connection=local\n'
                         'ansible_python_interpreter="{{ ansible_playbook_python }}"\n')
    env = playbook.playbook_env(str(home), isolate_network=True)
    env.update(ALTOSTRAT_API_URL=emu.url, ALTOSTRAT_TOKEN=TOKEN)
    keys = []
    for attempt in range(2):
        proc = subprocess.run([playbook.ANSIBLE_PLAYBOOK, '-i', str(inventory), GATE,
                               '-e', '{"gate_smoke_test_failure_expected": true}'],
                              env=env, cwd=str(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              universal_newlines=True, timeout=120, check=False)
        assert proc.returncode == 0, proc.stdout
        assert '[WARNING]' not in proc.stdout, proc.stdout
        for host in ('ams1', 'fra1'):
            assert re.search(r'%s +: .*failed=0 .*rescued=1' % host, proc.stdout), proc.stdout
        keys.append(sorted(emu.idempotency_keys[4 * attempt:]))

    prefixes = set()
    for attempt_keys in keys:
        # one attempt (a run_once set_fact, seen by both hosts), one key per host and purpose
        attempt = attempt_keys[0].split('-ams1-')[0]
        assert re.fullmatch(UUID, attempt)
        assert attempt_keys == sorted('%s-%s-%s' % (attempt, host, purpose)
                                      for host in ('ams1', 'fra1') for purpose in ('preflight', 'smoke-test'))
        prefixes.add(attempt)
    assert len(prefixes) == 2  # a new attempt, new keys: new runs
    assert emu.runs_created == 8
