"""The workflow_run module: start, re-run or resume a run, then wait and assert; run in-process against the emulator."""

import pytest

from testkit import SENTINEL
from testkit.fakes import module_args


def posts(emu):
    return [r for r in emu.requests if r['method'] == 'POST']


def test_start_sends_context_and_returns_the_new_run(emulator, run_module):
    result = run_module(module_args(emulator, workflow_id='fl_wf_main', context={'site': 'ams1', 'change': 'CHG1'}))
    assert result['_rc'] == 0 and result['changed'] is True and 0 <= result['elapsed'] < 5  # the task's time, no wait
    run = result['run']
    assert run['id'].startswith('fl_run_') and run['status'] == 'pending'
    assert run['trigger_payload'] == {'site': 'ams1', 'change': 'CHG1'}
    assert emulator.runs_created == 1
    assert [r['path'] for r in posts(emulator)] == ['/workflows/fl_wf_main/execute']
    assert emulator.count(method='GET') == 0  # no wait asked: the POST's answer is the result


def test_start_waits_and_asserts(emulator, run_module):
    result = run_module(module_args(emulator, workflow_id='fl_wf_main', wait=True, expected_status=['completed'], poll_interval=0.2))
    assert result['_rc'] == 0 and result['changed'] is True
    assert result['run']['status'] == 'completed' and len(result['run']['logs']) == 3
    assert 1.0 <= result['elapsed'] < 10  # it waited: the start answered a pending run that completes after ~1.2 s
    # at least one poll after the start (on a starved machine one 0.2 s pause can outlast the whole run)
    assert emulator.runs_created == 1 and emulator.count(method='GET') >= 1


def test_started_run_that_fails_keeps_run_and_changed(emulator, run_module):
    result = run_module(module_args(emulator, workflow_id='fl_wf_fails', wait=True, expected_status=['completed'], poll_interval=0.2))
    assert result['_rc'] == 1 and result['failed'] is True
    assert result['changed'] is True  # a run was started, even though the gate failed
    assert result['run']['status'] == 'failed'
    assert 'Webhook request failed: 500 Internal Server Error' in result['msg'] and 'node n1' in result['msg']
    assert result['elapsed'] > 0


def test_rerun(emulator, run_module):
    result = run_module(module_args(emulator, rerun_run_id='fl_run_completed'))
    assert result['_rc'] == 0 and result['changed'] is True
    assert result['run']['id'] != 'fl_run_completed' and result['run']['trigger_payload'] == {'env': 'prod'}
    assert [r['path'] for r in posts(emulator)] == ['/workflows/runs/fl_run_completed/rerun']


def test_resume_from_a_node(emulator, run_module):
    result = run_module(module_args(emulator, resume_run_id='fl_run_failed', resume_node_id='n1'))
    assert result['_rc'] == 0 and result['changed'] is True
    assert [r['path'] for r in posts(emulator)] == ['/workflows/runs/fl_run_failed/resume-from/n1']


def test_resume_refused_by_the_api_is_one_line(emulator, run_module):
    result = run_module(module_args(emulator, resume_run_id='fl_run_completed', resume_node_id='n1'))
    assert result['_rc'] == 1 and result['changed'] is False and 'run' not in result
    assert result['msg'].startswith('POST /workflows/runs/fl_run_completed/resume-from/n1 failed: HTTP 422')
    assert '\n' not in result['msg']
    assert (result['http_status'], result['api_code']) == (422, 'run_not_failed')
    assert result['api_message'].startswith('Only failed workflow runs can be resumed')


def test_idempotency_key_is_sent_and_repeats_give_the_first_run(emulator, run_module):
    first = run_module(module_args(emulator, workflow_id='fl_wf_main', idempotency_key='job-42-preflight'))
    again = run_module(module_args(emulator, workflow_id='fl_wf_main', idempotency_key='job-42-preflight'))
    assert first['run']['id'] == again['run']['id']
    assert (first['changed'], first['replayed'], again['changed'], again['replayed']) == (True, False, False, True)
    assert first['idempotency_key'] == again['idempotency_key'] == 'job-42-preflight'
    assert emulator.runs_created == 1
    assert [r['idempotency_key'] for r in posts(emulator)] == ['job-42-preflight'] * 2


def test_check_mode_starts_nothing_but_checks_with_one_read(emulator, run_module):
    result = run_module(module_args(emulator, workflow_id='fl_wf_main', wait=True), check_mode=True)
    assert result['_rc'] == 0 and result['changed'] is True and 'run' not in result
    assert 'workflow fl_wf_main were checked with one read' in result['msg']
    assert [(r['method'], r['path']) for r in emulator.requests] == [('GET', '/workflows/fl_wf_main/executions')]
    assert emulator.runs_created == 0


@pytest.mark.parametrize('args, token, status', [
    ({'workflow_id': 'fl_wf_nope'}, None, 404),
    ({'workflow_id': 'fl_wf_main'}, 'wrong-token', 401),
    ({'rerun_run_id': 'fl_run_nope'}, None, 404),
])
def test_check_mode_fails_as_the_start_would(emulator, run_module, args, token, status):
    params = module_args(emulator, **args)
    if token:
        params['token'] = token
    result = run_module(params, check_mode=True)
    assert result['_rc'] == 1 and result['http_status'] == status and result['changed'] is False
    assert emulator.count() == 1 and emulator.runs_created == 0


def test_wait_fails_closed_on_a_failed_run_by_default(emulator, run_module):
    result = run_module(module_args(emulator, workflow_id='fl_wf_fails', wait=True, poll_interval=0.2))
    assert result['_rc'] == 1 and result['changed'] is True
    assert result['msg'].startswith('Expected status completed, but run %s is failed' % result['run']['id'])
    assert result['run']['status'] == 'failed' and 'failed steps: node n1' in result['msg']


def test_expected_status_typo_starts_nothing(emulator, run_module):
    result = run_module(module_args(emulator, workflow_id='fl_wf_main', wait=True, expected_status=['complete']))
    assert result['_rc'] == 1 and "did you mean 'completed'?" in result['msg'] and emulator.count() == 0


@pytest.mark.parametrize('args, words', [
    ({}, 'one of the following is required: workflow_id, rerun_run_id, resume_run_id'),
    ({'workflow_id': 'fl_wf_main', 'rerun_run_id': 'fl_run_completed'}, 'mutually exclusive'),
    ({'rerun_run_id': 'fl_run_completed', 'context': {'a': 1}}, 'mutually exclusive'),
    ({'resume_run_id': 'fl_run_failed'}, 'parameters are required together: resume_run_id, resume_node_id'),
    ({'workflow_id': 'fl_wf/../x'}, "Invalid workflow id 'fl_wf/../x'"),
    ({'resume_run_id': 'fl_run_failed', 'resume_node_id': 'n1/../../x'}, "Invalid node id 'n1/../../x'"),
])
def test_bad_arguments_refused_before_any_request(emulator, run_module, args, words):
    result = run_module(module_args(emulator, **args))
    assert result['_rc'] == 1 and words in result['msg'], result['msg']
    assert emulator.count() == 0


def test_start_without_key_gets_one_and_is_retried_safely(emulator_factory, run_module):
    emu = emulator_factory({'tokens': [SENTINEL], 'workflows': [{'id': 'fl_wf_x'}],
                            'faults': [{'method': 'POST', 'path': '/workflows/fl_wf_x/execute', 'kind': 'status',
                                        'status': 503, 'process': True}]})
    result = run_module(dict(api_url=emu.url, token=SENTINEL, workflow_id='fl_wf_x', http_retries=1))
    assert result['_rc'] == 0 and result['replayed'] is True
    assert result['changed'] is True  # the replayed run is the one this task's own first, lost attempt started
    keys = [r['idempotency_key'] for r in posts(emu)]
    assert len(keys) == 2 and keys[0] == keys[1] == result['idempotency_key'] and emu.runs_created == 1
    assert SENTINEL not in result['_stdout']


def test_start_failing_for_good_says_it_may_have_started(emulator_factory, run_module):
    emu = emulator_factory({'tokens': [SENTINEL], 'workflows': [{'id': 'fl_wf_x'}],
                            'faults': [{'method': 'POST', 'path': '/workflows/fl_wf_x/execute', 'kind': 'status',
                                        'status': 503, 'times': None}]})
    result = run_module(dict(api_url=emu.url, token=SENTINEL, workflow_id='fl_wf_x', http_retries=0))
    assert result['_rc'] == 1 and result['changed'] is False and result['http_status'] == 503
    assert 'HTTP 503' in result['msg'] and 'may or may not have started' in result['msg']
    assert SENTINEL not in result['_stdout'] and len(posts(emu)) == 1
    # the key it was sent with is returned: a later task can send it again and get that run, if it exists
    assert result['idempotency_key'] == posts(emu)[0]['idempotency_key'] and len(result['idempotency_key']) == 36


def test_start_refused_returns_the_key_it_was_sent_with(emulator, run_module):
    first = run_module(module_args(emulator, workflow_id='fl_wf_main', idempotency_key='job-7-ams1'))
    other = run_module(module_args(emulator, workflow_id='fl_wf_main', idempotency_key='job-7-ams1', context={'site': 'other'}))
    assert first['_rc'] == 0 and other['_rc'] == 1 and other['api_code'] == 'idempotency_key_in_use'
    assert other['idempotency_key'] == 'job-7-ams1' and 'run' not in other
