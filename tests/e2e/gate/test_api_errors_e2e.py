"""When the API says no, or fails for a while: one line naming what failed, 4xx not retried, transient faults ridden
out with one warning each way (429s quietly). Every other failure path, in one play: ``tests/e2e/reliability/
test_failure_paths_e2e.py``."""

import pytest

from e2e.checks import RUN_PATH, assert_one_line_error, gets


@pytest.mark.parametrize('case', ['401', '404'])
def test_api_error_messages_are_one_line(run_playbook, emulator, case):
    run_id = 'fl_run_completed' if case == '401' else 'fl_run_nope'
    extra_env = {'ALTOSTRAT_TOKEN': 'wrong-token'} if case == '401' else None
    res = run_playbook('errors.yml', expect_rc=0, extra_env=extra_env, extra_vars={'run_id': run_id})
    api_message = 'Unauthenticated.' if case == '401' else 'Workflow run fl_run_nope not found.'
    for plugin in ('module', 'lookup'):
        result = res['result'][plugin]
        assert result['failed'] is True
        msg = result['msg']
        assert 'GET %s' % (RUN_PATH % run_id) in msg, msg
        assert 'HTTP %s' % case in msg, msg
        assert api_message in msg, msg
        if case == '401':
            assert 'token' in msg and 'wrong-token' not in msg
        assert_one_line_error(msg, res.output)
    assert 'wrong-token' not in res.output
    assert gets(emulator, run_id) == 2  # not retried: one request each


@pytest.mark.parametrize('plugin', ['module', 'lookup'])
@pytest.mark.parametrize('fault, shown, status', [
    ({'kind': 'status', 'status': 503}, 'HTTP 503 Service Unavailable: Server Error.', 503),
    ({'kind': 'status', 'status': 429, 'retry_after': 1}, 'HTTP 429 Too Many Requests: Too Many Attempts.', 429),
    ({'kind': 'drop'}, 'could not reach', None),
], ids=['503', '429', 'drop'])
def test_transient_faults_are_ridden_out(run_playbook, emulator, plugin, fault, shown, status):
    emulator.add_faults([dict(fault, path=RUN_PATH % 'fl_run_completed', times=2)])
    playbook = 'module_read.yml' if plugin == 'module' else 'lookup_one.yml'
    res = run_playbook(playbook, expect_rc=0, extra_vars={'run_id': 'fl_run_completed'})
    run = res['result']['run']
    assert run['id'] == 'fl_run_completed' and run['status'] == 'completed'
    assert not res['result'].get('failed') and not res['result'].get('result', {}).get('failed')
    warnings = res.warnings()
    if status == 429:  # back-pressure: waited out quietly, Retry-After honoured
        assert warnings == [], res.output
    else:  # trouble: told once when it starts, once when it ends
        assert len(warnings) == 2, res.output
        assert 'is failing (GET /workflows/runs/fl_run_completed' in warnings[0] and shown in warnings[0], warnings
        assert 'answers again' in warnings[1] and '2 failed request(s)' in warnings[1], warnings
    assert [r['status'] for r in emulator.requests] == [status, status, 200]
    assert gets(emulator, 'fl_run_completed') == 3
    assert 'Traceback' not in res.output
