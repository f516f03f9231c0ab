"""Event-Driven Ansible end to end: a REAL ``ansible-rulebook`` (with drools-jpy on the machine's Java 17) runs
``rulebooks/react.yml`` with the source ``altostrat.cloud.workflow_runs`` against the emulator, rate limit on.

Runs appear and change while it watches: one fails (a rule runs ``tests/e2e/playbooks/record.yml``, which receives the run with
its logs and reads its failed step's output with ``altostrat.cloud.failed_steps``), one stops for a person (another
rule), one completes last (a ``shutdown`` rule ends the rulebook). Runs that had ended (or paused) before the start, and
runs of a workflow not watched, fire nothing.
"""

import glob
import json
import os
import time

from e2e.checks import PLAYBOOKS
from testkit import TOKEN
from testkit.eda import start_rulebook

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIO = {
    'tokens': [TOKEN],
    'rate_limit_per_minute': 60,
    'workflows': [{'id': 'fl_wf_e2e'}, {'id': 'fl_wf_other'}],
    'runs': [
        {'id_prefix': 'fl_run_e2e_old_', 'count': 20, 'workflow_id': 'fl_wf_e2e', 'finished': True, 'status': 'failed',
         'failed_steps': [0], 'steps': 1},
        {'id': 'fl_run_e2e_paused_before', 'workflow_id': 'fl_wf_e2e', 'pending_for': 0, 'duration': 0, 'age': 30,
         'status': 'awaiting_ui_interaction'},
    ],
}
LATER = [  # added once the source has taken its snapshot
    {'id': 'fl_run_e2e_fail', 'workflow_id': 'fl_wf_e2e', 'pending_for': 1, 'duration': 2, 'status': 'failed',
     'steps': 3, 'failed_steps': [1], 'error_message': 'Webhook request failed: 503 Service Unavailable'},
    {'id': 'fl_run_e2e_wait', 'workflow_id': 'fl_wf_e2e', 'pending_for': 1, 'duration': 2,
     'status': 'awaiting_ui_interaction'},
    {'id': 'fl_run_other_fail', 'workflow_id': 'fl_wf_other', 'pending_for': 0, 'duration': 1, 'status': 'failed'},
    {'id': 'fl_run_e2e_last', 'workflow_id': 'fl_wf_e2e', 'pending_for': 1, 'duration': 14, 'status': 'completed'},
]


def test_a_rulebook_reacts_to_runs_as_they_change(emulator_factory, tmp_path):
    emu = emulator_factory(SCENARIO)
    out_dir = tmp_path / 'fired'
    out_dir.mkdir()
    rulebook = start_rulebook(tmp_path, os.path.join(HERE, 'rulebooks', 'react.yml'),
                              {'playbooks': PLAYBOOKS, 'out_dir': str(out_dir)},
                              env={'ALTOSTRAT_API_URL': emu.url, 'ALTOSTRAT_TOKEN': TOKEN})
    try:
        deadline = time.monotonic() + 120  # ansible-rulebook starts (Java, drools) and the source takes its snapshot
        while not emu.count(path_prefix='/workflows/fl_wf_e2e/') and rulebook.proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        emu.add_runs(LATER)
    finally:
        rc, output = rulebook.wait(timeout=180)
    assert rc == 0, output
    fired = {}
    for path in glob.glob(str(out_dir / '*.json')):
        with open(path) as handle:
            record = json.load(handle)
        fired.setdefault((record['run']['id'], record['run']['status']), []).append(record)
    assert sorted(fired) == [('fl_run_e2e_fail', 'failed'), ('fl_run_e2e_wait', 'awaiting_ui_interaction')], output
    assert all(len(records) == 1 for records in fired.values()), fired  # each final status fired exactly once
    failed = fired[('fl_run_e2e_fail', 'failed')][0]
    assert [step['status'] for step in failed['run']['logs']] == ['success', 'error', 'success']
    assert failed['failed_output'] == {'status': 503, 'body': {'message': 'Service Unavailable'}}
    assert 'the last run completed' in output and TOKEN not in output
    assert emu.max_in_window(60.0) <= 60 and emu.count(status=429) == 0
    print('ansible-rulebook ran %.1f s, %d requests' % (rulebook.seconds, emu.count()))


def test_a_wrong_token_ends_the_rulebook_with_one_line(emulator_factory, tmp_path):
    emu = emulator_factory(SCENARIO)
    wrong = 'SeNtInEl-wrong-token-42'
    rc, output = start_rulebook(tmp_path, os.path.join(HERE, 'rulebooks', 'react.yml'), {'playbooks': HERE, 'out_dir': HERE},
                                env={'ALTOSTRAT_API_URL': emu.url, 'ALTOSTRAT_TOKEN': wrong}).wait(timeout=120)
    assert rc == 1 and 'Traceback' not in output and wrong not in output, output
    assert ("Source plugin failed with error message: 'altostrat.cloud.workflow_runs: GET /workflows/fl_wf_e2e/executions "
            "failed: HTTP 401 Unauthorized") in output, output
