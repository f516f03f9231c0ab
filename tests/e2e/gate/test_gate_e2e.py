"""Gate a deployment on a workflow run: start or find it, wait, assert how it ended, read its steps in a later task.

Real ``ansible-playbook`` runs of small playbooks (``tests/e2e/playbooks/``) against the emulator; the tests assert on what
the playbook saved as JSON, on its output and on the requests the emulator received.
"""

import pytest

from e2e.checks import SLOW, assert_one_line_error, gets


# ---- the module waits, asserts, times out --------------------------------------------------------

def test_module_waits_until_completed_and_later_task_reads_logs(run_playbook, emulator):
    res = run_playbook('module_wait_completed.yml', expect_rc=0, extra_vars={'start_runs': [SLOW]})
    out = res['result']
    result = out['result']
    assert result['changed'] is False
    assert result['run']['id'] == 'fl_run_slow'
    assert result['run']['status'] == 'completed'
    assert result['run']['completed_at'] and result['run']['duration_in_seconds'] is not None
    assert result['elapsed'] > 0
    assert out['step_nodes'] == ['n0', 'n1', 'n2']
    assert [entry['status'] for entry in result['run']['logs']] == ['success'] * 3
    assert 'failed=0' in res.output
    # It really polled: more than one GET of the run, and nothing else.
    assert gets(emulator, 'fl_run_slow') >= 2
    assert emulator.count() == gets(emulator, 'fl_run_slow')


def test_module_failed_run_fails_task_with_run_and_details(run_playbook, emulator):
    res = run_playbook('module_wait.yml', expect_rc=0,
                       extra_vars={'run_id': 'fl_run_failed', 'expected_status': ['completed']})
    result = res['result']
    assert result['failed'] is True
    assert result['run']['id'] == 'fl_run_failed'
    assert result['run']['status'] == 'failed'
    assert result['run']['trigger_payload'] == {'env': 'staging'}  # unknown fields passed through
    assert [entry['status'] for entry in result['run']['logs']] == ['success', 'success', 'error']
    msg = result['msg']
    for part in ('fl_run_failed', 'failed', 'Webhook request failed: 503 Service Unavailable', 'node n2', 'completed'):
        assert part in msg, msg
    assert_one_line_error(msg, res.output)
    assert 'fatal: [localhost]: FAILED!' in res.output and '...ignoring' in res.output
    assert isinstance(result['elapsed'], (int, float)) and result['elapsed'] >= 0  # elapsed kept on failure too
    assert gets(emulator, 'fl_run_failed') == 1


def test_module_wait_times_out(run_playbook, emulator):
    res = run_playbook('module_wait.yml', expect_rc=0, extra_vars={'run_id': 'fl_run_forever', 'wait_timeout': 2})
    result = res['result']
    assert result['failed'] is True
    assert 'timed out' in result['msg']
    assert 'fl_run_forever' in result['msg']
    assert result['run']['id'] == 'fl_run_forever'
    assert result['run']['status'] == 'running'
    assert 1.9 <= result['elapsed'] <= 3.5, result['elapsed']
    assert_one_line_error(result['msg'], res.output)
    assert 2 <= gets(emulator, 'fl_run_forever') <= 8


@pytest.mark.parametrize('choice', ['stop', 'wait', 'fail'])
def test_module_on_interaction(run_playbook, emulator, choice):
    extra = {'run_id': 'fl_run_awaiting', 'on_interaction': choice}
    if choice == 'wait':
        extra['wait_timeout'] = 1.5
    res = run_playbook('module_wait.yml', expect_rc=0, extra_vars=extra)
    result = res['result']
    assert result['run']['id'] == 'fl_run_awaiting'
    assert result['run']['status'] == 'awaiting_ui_interaction'
    if choice == 'stop':  # it stops at once, and the gate stays closed: the run needs a person
        assert result['failed'] is True and result['msg'].startswith(
            'Expected status completed, but run fl_run_awaiting is awaiting_ui_interaction (it needs a person')
        assert len(result['run']['logs']) == 2
        assert gets(emulator, 'fl_run_awaiting') == 1
    elif choice == 'wait':
        assert result['failed'] is True
        assert 'timed out' in result['msg']
        assert 1.4 <= result['elapsed'] <= 3.5, result['elapsed']
        assert gets(emulator, 'fl_run_awaiting') >= 2
        assert_one_line_error(result['msg'], res.output)
    else:
        assert result['failed'] is True
        assert 'on_interaction=fail' in result['msg']
        assert 'Altostrat UI' in result['msg'] and 'fl_run_awaiting' in result['msg']
        assert gets(emulator, 'fl_run_awaiting') == 1  # at once, no further polls
        assert_one_line_error(result['msg'], res.output)


def test_check_mode_gives_the_same_result(run_playbook, emulator):
    normal = run_playbook('module_read.yml', expect_rc=0, extra_vars={'run_id': 'fl_run_failed'})
    checked = run_playbook('module_read.yml', expect_rc=0, check=True, extra_vars={'run_id': 'fl_run_failed'})
    for played in (normal, checked):
        assert 0 <= played['result'].pop('elapsed') < 10  # the time each read took: the one thing that differs
    assert checked['result'] == normal['result']
    assert checked['result']['changed'] is False
    assert checked['result']['run']['status'] == 'failed'
    assert not checked['result'].get('skipped')
    assert emulator.count() == 2  # the module really ran in check mode


def test_module_lists_workflow_runs_across_pages(run_playbook, emulator):
    res = run_playbook('module_list.yml', expect_rc=0, extra_vars={'workflow_id': 'fl_wf_paged'})
    every = res['result']['all']['runs']
    assert [run['id'] for run in every] == ['fl_run_page_%03d' % i for i in range(39, -1, -1)]
    assert all('logs' not in run for run in every)
    assert [run['id'] for run in res['result']['some']['runs']] == ['fl_run_page_039', 'fl_run_page_038']
    assert res['result']['all']['changed'] is False
    listing = [r for r in emulator.requests if r['path'] == '/workflows/fl_wf_paged/executions']
    # three pages for all 40 runs, then page 1 was enough for two
    assert [r['params'].get('page') for r in listing] == ['1', '2', '3', '1']


# ---- the lookup: many runs in one template -------------------------------------------------------

def test_lookup_query_three_runs_in_order(run_playbook, emulator):
    ids = ['fl_run_slow', 'fl_run_completed', 'fl_run_failed']
    res = run_playbook('lookup_query.yml', expect_rc=0, extra_vars={'run_ids': ids, 'start_runs': [SLOW]})
    runs = res['runs']
    assert [run['id'] for run in runs] == ids
    assert [run['status'] for run in runs] == ['completed', 'completed', 'failed']
    assert all(len(run['logs']) == 3 for run in runs)
    # One loop polls only the unfinished run: the finished ones are fetched once.
    assert gets(emulator, 'fl_run_completed') == 1
    assert gets(emulator, 'fl_run_failed') == 1
    assert gets(emulator, 'fl_run_slow') >= 2


def test_lookup_one_id_returns_the_run_dict(run_playbook, emulator):
    res = run_playbook('lookup_one.yml', expect_rc=0, extra_vars={'run_id': 'fl_run_completed'})
    out = res['result']
    assert out['type'] == 'dict'
    assert out['run']['id'] == 'fl_run_completed'
    assert out['run']['status'] == 'completed'
    assert out['run']['trigger_payload'] == {'env': 'prod'}
    assert [entry['node_id'] for entry in out['run']['logs']] == ['n0', 'n1', 'n2']
    assert gets(emulator, 'fl_run_completed') == 1


def test_lookup_waits_on_a_run_finishing_later(run_playbook, emulator):
    later = {'id': 'fl_run_later', 'workflow_id': 'fl_wf_main', 'pending_for': 0.5, 'duration': 2.5,
             'status': 'completed', 'steps': 2}
    res = run_playbook('lookup_one.yml', expect_rc=0,
                       extra_vars={'run_id': 'fl_run_later', 'lookup_wait': True, 'start_runs': [later]})
    run = res['result']['run']
    assert res['result']['type'] == 'dict'
    assert run['id'] == 'fl_run_later' and run['status'] == 'completed'
    assert len(run['logs']) == 2
    assert gets(emulator, 'fl_run_later') >= 2


def test_lookup_expected_status_fails_naming_the_run(run_playbook, emulator):
    res = run_playbook('lookup_expected.yml', expect_rc=0,
                       extra_vars={'run_ids': ['fl_run_completed', 'fl_run_failed', 'fl_run_completed_warn']})
    result = res['result']
    assert result['failed'] is True
    msg = result['msg']
    assert 'fl_run_failed' in msg and 'Webhook request failed: 503 Service Unavailable' in msg and 'node n2' in msg
    # completed with an error_message still passes, and is not named
    assert 'fl_run_completed_warn' not in msg and 'run fl_run_completed ' not in msg
    assert_one_line_error(msg, res.output)
