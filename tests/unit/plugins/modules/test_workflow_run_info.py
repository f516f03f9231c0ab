"""The workflow_run_info module, run in-process the way Ansible runs modules in unit tests."""

import pytest

from testkit import SENTINEL, TOKEN
from testkit.fakes import module_args


def test_run_fetched(emulator, run_module):
    result = run_module(module_args(emulator, run_id='fl_run_completed'))
    assert result['_rc'] == 0 and not result.get('failed')
    assert result['changed'] is False
    assert 0 <= result['elapsed'] < 5  # the time the read took
    run = result['run']
    assert run['id'] == 'fl_run_completed' and run['status'] == 'completed'
    assert [e['node_id'] for e in run['logs']] == ['n0', 'n1', 'n2']
    assert run['trigger_payload'] == {'env': 'prod'}  # unknown fields passed through
    assert 'runs' not in result
    assert emulator.count() == 1


def test_logs_trimmed(emulator, run_module):
    result = run_module(module_args(emulator, run_id='fl_run_completed_warn', logs='errors'))
    assert [(e['node_id'], e['status']) for e in result['run']['logs']] == [('n1', 'warning')]
    result = run_module(module_args(emulator, run_id='fl_run_completed_warn', logs='none'))
    assert result['run']['logs'] == [] and result['run']['error_message'] == 'Step n1 returned a warning'


def test_expected_status_failure_keeps_run(emulator, run_module):
    result = run_module(module_args(emulator, run_id='fl_run_failed', expected_status=['completed']))
    assert result['_rc'] == 1 and result['failed'] is True and result['changed'] is False
    assert result['msg'].startswith('Expected status completed, but run fl_run_failed is failed: '
                                    'Webhook request failed: 503 Service Unavailable; failed steps: node n2')
    assert result['run']['id'] == 'fl_run_failed'
    assert [e['status'] for e in result['run']['logs']] == ['success', 'success', 'error']


def test_expected_status_met(emulator, run_module):
    result = run_module(module_args(emulator, run_id='fl_run_failed', expected_status=['failed', 'completed']))
    assert result['_rc'] == 0 and result['run']['status'] == 'failed'


def test_wait_until_done(emulator, run_module):
    emulator.add_runs([{'id': 'fl_run_quick', 'workflow_id': 'fl_wf_main', 'pending_for': 0.05, 'duration': 0.2,
                        'status': 'completed', 'steps': 2}])
    result = run_module(module_args(emulator, run_id='fl_run_quick', wait=True, poll_interval=0.1, max_poll_interval=0.1,
                                    expected_status=['completed']))
    assert result['_rc'] == 0, result['msg']
    assert result['run']['status'] == 'completed' and len(result['run']['logs']) == 2
    assert 0.1 < result['elapsed'] < 5
    assert emulator.count() >= 2


def test_wait_timeout_returns_last_run(emulator, run_module):
    result = run_module(module_args(emulator, run_id='fl_run_forever', wait=True, wait_timeout=0.3, poll_interval=0.1,
                                    logs='none'))
    assert result['failed'] is True
    assert result['msg'].startswith('Wait timed out after 0.') and result['msg'].endswith('on run fl_run_forever (running).')
    assert result['run']['status'] == 'running' and result['run']['logs'] == []
    assert 0.3 - 1.0 <= result['elapsed'] < 3  # the last poll goes out up to a second before the deadline


def test_workflow_listing(emulator, run_module):
    result = run_module(module_args(emulator, workflow_id='fl_wf_paged'))
    assert result['_rc'] == 0 and 0 <= result['elapsed'] < 5
    assert [r['id'] for r in result['runs']] == ['fl_run_page_%03d' % i for i in range(39, -1, -1)]
    assert 'run' not in result
    assert emulator.count() == 3


def test_workflow_listing_status_and_limit(emulator, run_module):
    result = run_module(module_args(emulator, workflow_id='fl_wf_main', status=['failed', 'awaiting_ui_interaction']))
    assert sorted(r['id'] for r in result['runs']) == ['fl_run_awaiting', 'fl_run_failed']
    result = run_module(module_args(emulator, workflow_id='fl_wf_paged', limit=3))
    assert [r['id'] for r in result['runs']] == ['fl_run_page_039', 'fl_run_page_038', 'fl_run_page_037']


@pytest.mark.parametrize('args, words', [
    ({'run_id': 'fl_run_completed', 'workflow_id': 'fl_wf_main'}, 'mutually exclusive: run_id|run_ids|workflow_id'),
    ({'run_id': 'fl_run_completed', 'status': ['failed']}, 'mutually exclusive: run_id|status'),
    ({'run_id': 'fl_run_completed', 'limit': 3}, 'mutually exclusive: run_id|limit'),
    ({'workflow_id': 'fl_wf_main', 'expected_status': ['completed']}, 'mutually exclusive: workflow_id|expected_status'),
    ({}, 'one of the following is required: run_id, run_ids, workflow_id'),
    ({'workflow_id': 'fl_wf_main', 'status': ['queued']}, 'value of status must be one or more of'),
    ({'run_id': 'fl_run_completed', 'logs': 'some'}, 'value of logs must be one of'),
    ({'workflow_id': 'fl_wf_main', 'wait': True}, 'wait needs run_id'),
])
def test_bad_option_combinations(args, words, emulator, run_module):
    result = run_module(module_args(emulator, **args))
    assert result['failed'] is True
    assert words in result['msg']
    assert emulator.count() == 0


@pytest.mark.parametrize('run_id', ['fl_run_x/../../admin', 'fl_run_%2e', 'fl_run_a?b', 'fl_run_a#b', 'fl_run_a b', ''])
def test_bad_run_id_no_request(run_id, emulator, run_module):
    result = run_module(module_args(emulator, run_id=run_id))
    assert result['failed'] is True and result['msg'].startswith('Invalid run id')
    assert 'run' not in result
    assert emulator.count() == 0


def test_check_mode_same_output(emulator, run_module):
    for args in ({'run_id': 'fl_run_completed'}, {'workflow_id': 'fl_wf_paged', 'limit': 4},
                 {'run_id': 'fl_run_failed', 'expected_status': ['completed']}):
        normal = run_module(module_args(emulator, **args))
        checked = run_module(module_args(emulator, **args), check_mode=True)
        for result in (normal, checked):
            result.pop('_stdout')
            result.pop('invocation', None)
            assert 0 <= result.pop('elapsed') < 5
        assert checked == normal
        assert checked.get('run') or checked.get('runs')
    assert emulator.count('GET') == emulator.count() == 2 * 3  # each case: one GET, twice


def test_env_fallback(emulator, run_module, monkeypatch):
    monkeypatch.setenv('ALTOSTRAT_API_URL', emulator.url)
    monkeypatch.setenv('ALTOSTRAT_TOKEN', TOKEN)
    result = run_module({'run_id': 'fl_run_completed'})
    assert result['_rc'] == 0 and result['run']['id'] == 'fl_run_completed'
    assert emulator.requests[0]['authorization'] == 'Bearer ' + TOKEN


def test_options_beat_env(emulator, run_module, monkeypatch):
    monkeypatch.setenv('ALTOSTRAT_API_URL', 'http://127.0.0.1:9')
    monkeypatch.setenv('ALTOSTRAT_TOKEN', 'wrong-token')
    result = run_module(module_args(emulator, run_id='fl_run_completed'))
    assert result['_rc'] == 0 and result['run']['status'] == 'completed'


def test_no_token(emulator, run_module):
    result = run_module({'api_url': emulator.url, 'run_id': 'fl_run_completed'})
    assert result['failed'] is True
    assert result['msg'] == 'No API token: set the token option or the ALTOSTRAT_TOKEN environment variable.'


def test_token_hidden_on_auth_failure(emulator, run_module):
    result = run_module(dict(api_url=emulator.url, token=SENTINEL, run_id='fl_run_completed'))
    assert result['failed'] is True
    assert 'HTTP 401' in result['msg'] and 'Check the token' in result['msg']
    assert SENTINEL not in result['_stdout']
    assert emulator.count() == 1


def test_api_error_message(emulator, run_module):
    result = run_module(module_args(emulator, run_id='fl_run_nope'))
    assert result['failed'] is True
    assert result['msg'] == ('GET /workflows/runs/fl_run_nope failed: HTTP 404 Not Found: '
                             'Workflow run fl_run_nope not found. (resource_missing)')
    assert 'run' not in result


def test_retry_warnings_reported(emulator, run_module):
    emulator.add_faults([{'kind': 'status', 'status': 503, 'retry_after': 0, 'times': 2,
                          'path': '/workflows/runs/fl_run_completed'}])
    result = run_module(module_args(emulator, run_id='fl_run_completed'))
    assert result['_rc'] == 0 and result['run']['status'] == 'completed'
    warnings = [w if isinstance(w, str) else w['event']['msg'] for w in result.get('warnings', [])]  # 2.19: WarningSummary
    assert len(warnings) == 2, warnings
    assert 'HTTP 503' in warnings[0] and 'said once' in warnings[0] and 'answers again' in warnings[1]
    assert emulator.count() == 3


def test_on_interaction_fail_keeps_run(emulator, run_module):
    result = run_module(module_args(emulator, run_id='fl_run_awaiting', wait=True, on_interaction='fail'))
    assert result['failed'] is True and 'on_interaction=fail' in result['msg']
    assert result['run']['status'] == 'awaiting_ui_interaction'


@pytest.mark.parametrize('limit', [0, -1, -5])
def test_limit_below_one_refused(limit, emulator, run_module):
    result = run_module(module_args(emulator, workflow_id='fl_wf_paged', limit=limit))
    assert result.get('failed') is True and 'limit' in result['msg']
    assert emulator.count() == 0


# ---- run_ids: one task for a fleet ------------------------------------------------------------------

def test_run_ids_wait_returns_runs_in_order(emulator, run_module):
    result = run_module(module_args(emulator, run_ids=['fl_run_slow', 'fl_run_completed', 'fl_run_slow'], wait=True,
                                    poll_interval=0.2))
    assert result['_rc'] == 0 and 'run' not in result
    assert [(r['id'], r['status']) for r in result['runs']] == [
        ('fl_run_slow', 'completed'), ('fl_run_completed', 'completed'), ('fl_run_slow', 'completed')]
    assert len(result['runs'][0]['logs']) == 3 and result['elapsed'] > 0


def test_run_ids_failure_returns_every_runs_last_state(emulator, run_module):
    result = run_module(module_args(emulator, run_ids=['fl_run_completed', 'fl_run_forever'], wait=True, wait_timeout=0.5,
                                    poll_interval=0.1))
    assert result['_rc'] == 1 and 'timed out' in result['msg'] and 'run' not in result
    assert [(r['id'], r['status']) for r in result['runs']] == [('fl_run_completed', 'completed'), ('fl_run_forever', 'running')]


def test_run_ids_not_found_is_data(emulator, run_module):
    result = run_module(module_args(emulator, run_ids=['fl_run_completed', 'fl_run_nope']))
    assert result['_rc'] == 1 and (result['http_status'], result['api_code']) == (404, 'resource_missing')
    assert result['api_message'] == 'Workflow run fl_run_nope not found.'


@pytest.mark.parametrize('args, words', [
    ({'run_ids': []}, 'run_ids is empty'),
    ({'run_ids': ['fl_run_completed'], 'run_id': 'fl_run_completed'}, 'mutually exclusive: run_id|run_ids|workflow_id'),
    ({'run_ids': ['fl_run_completed', 'fl_run_x/../y']}, "Invalid run id 'fl_run_x/../y'"),
])
def test_run_ids_bad_arguments_send_nothing(emulator, run_module, args, words):
    result = run_module(module_args(emulator, **args))
    assert result['_rc'] == 1 and words in result['msg'], result['msg']
    assert emulator.count() == 0
