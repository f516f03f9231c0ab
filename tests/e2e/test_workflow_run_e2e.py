"""End-to-end tests: real ``ansible-playbook`` runs of ``altostrat.cloud`` against the emulator.

Each test runs a small playbook from ``tests/e2e/playbooks/`` (see ``conftest.run_playbook``)
and asserts on the values the playbook saved as JSON, on the output, and on the requests the
emulator received.
"""

import copy

import pytest

from emulator.pytest_plugin import DEFAULT_SCENARIO
from testkit import SENTINEL

RUN_PATH = '/workflows/runs/%s'
# fl_run_slow restarted by the playbook right before it waits, and lasting 20 s (longer than in DEFAULT_SCENARIO):
# beside the fleet tests a module process can take several seconds to start, and the run must still be under way
# at its first poll.
SLOW = {'id': 'fl_run_slow', 'workflow_id': 'fl_wf_main', 'pending_for': 0.2, 'duration': 20,
        'status': 'completed', 'steps': 3}


def assert_one_line_error(msg, output):
    """A failure message is one line, and no Python traceback reaches the output."""
    assert isinstance(msg, str) and msg.strip()
    assert '\n' not in msg.strip(), msg
    assert 'Traceback' not in output, output
    assert 'File "' not in output, output


def gets(emu, run_id):
    return emu.count('GET', RUN_PATH % run_id)


# ---- module: waits, expected_status, timeouts --------------------------------------------

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


# ---- lookup ---------------------------------------------------------------------------------

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


# ---- settings: module_defaults, environment, variables, ansible.cfg ---------------------

def test_module_defaults_group_supplies_url_and_token(run_playbook, emulator):
    res = run_playbook('module_defaults.yml', expect_rc=0, connection_env=False)
    result = res['result']
    assert result['run']['id'] == 'fl_run_completed' and result['run']['status'] == 'completed'
    assert result['changed'] is False
    assert emulator.count() == 1
    assert emulator.requests[0]['auth_ok'] is True


def test_module_settings_from_environment(run_playbook, emulator):
    res = run_playbook('module_read.yml', expect_rc=0, extra_vars={'run_id': 'fl_run_completed'})
    assert res['result']['run']['status'] == 'completed'
    assert not res['result'].get('failed')
    assert emulator.count() == 1 and emulator.requests[0]['auth_ok'] is True


def test_module_without_any_settings_says_no_token(run_playbook, emulator):
    res = run_playbook('module_read.yml', expect_rc=0, connection_env=False, extra_vars={'run_id': 'fl_run_completed'})
    assert res['result']['failed'] is True
    assert 'No API token' in res['result']['msg']
    assert emulator.count() == 0


@pytest.mark.parametrize('source', ['env', 'vars', 'ini'])
def test_lookup_settings_sources(run_playbook, emulator, source):
    kwargs = {'extra_vars': {'run_id': 'fl_run_completed'}}
    if source == 'vars':
        kwargs['connection_env'] = False
        kwargs['extra_vars'].update(altostrat_api_url=emulator.url, altostrat_token='test-token')
    elif source == 'ini':
        kwargs['connection_env'] = False
        kwargs['cfg_sections'] = {'altostrat': {'api_url': emulator.url}}
        kwargs['extra_vars'].update(altostrat_token='test-token')
    res = run_playbook('lookup_one.yml', expect_rc=0, **kwargs)
    assert not res['result']['result'].get('failed'), res
    assert res['result']['run']['id'] == 'fl_run_completed'
    assert emulator.count() == 1 and emulator.requests[0]['auth_ok'] is True


def test_lookup_variables_win_over_environment(run_playbook, emulator):
    res = run_playbook('lookup_one.yml', expect_rc=0,
                       extra_env={'ALTOSTRAT_API_URL': 'http://127.0.0.1:9', 'ALTOSTRAT_TOKEN': 'wrong-token'},
                       extra_vars={'run_id': 'fl_run_completed', 'altostrat_api_url': emulator.url,
                                   'altostrat_token': 'test-token'})
    assert res['result']['run']['status'] == 'completed', res
    assert emulator.count() == 1 and emulator.requests[0]['auth_ok'] is True


# ---- check mode -----------------------------------------------------------------------------

def test_check_mode_gives_the_same_result(run_playbook, emulator):
    normal = run_playbook('module_read.yml', expect_rc=0, extra_vars={'run_id': 'fl_run_failed'})
    checked = run_playbook('module_read.yml', expect_rc=0, check=True, extra_vars={'run_id': 'fl_run_failed'})
    assert checked['result'] == normal['result']
    assert checked['result']['changed'] is False
    assert checked['result']['run']['status'] == 'failed'
    assert not checked['result'].get('skipped')
    assert emulator.count() == 2  # the module really ran in check mode


# ---- API errors ------------------------------------------------------------------------------

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
    warnings = [line for line in res.output.splitlines() if line.startswith('[WARNING]:')]
    if status == 429:  # back-pressure: waited out quietly, Retry-After honoured
        assert warnings == [], res.output
    else:  # trouble: told once when it starts, once when it ends
        assert len(warnings) == 2, res.output
        assert 'is failing (GET /workflows/runs/fl_run_completed' in warnings[0] and shown in warnings[0], warnings
        assert 'answers again' in warnings[1] and '2 failed request(s)' in warnings[1], warnings
    assert [r['status'] for r in emulator.requests] == [status, status, 200]
    assert gets(emulator, 'fl_run_completed') == 3
    assert 'Traceback' not in res.output


@pytest.mark.parametrize('fault, problem', [({'kind': 'html'}, 'not JSON'),
                                            ({'kind': 'truncated'}, 'cut off')], ids=['html', 'truncated'])
def test_bad_bodies_refused_in_one_line(run_playbook, emulator, fault, problem):
    emulator.add_faults([dict(fault, path=RUN_PATH % 'fl_run_completed', times=None)])
    res = run_playbook('errors.yml', expect_rc=0, extra_env={'ALTOSTRAT_HTTP_RETRIES': '0'},
                       extra_vars={'run_id': 'fl_run_completed'})
    for plugin in ('module', 'lookup'):
        result = res['result'][plugin]
        assert result['failed'] is True
        msg = result['msg']
        assert 'GET %s' % (RUN_PATH % 'fl_run_completed') in msg, msg
        assert problem in msg, msg
        assert_one_line_error(msg, res.output)
    assert gets(emulator, 'fl_run_completed') == 2  # http_retries=0: one request each


def test_bad_run_id_refused_before_any_request(run_playbook, emulator):
    res = run_playbook('errors.yml', expect_rc=0, extra_vars={'run_id': 'fl_run_x/../../admin'})
    for plugin in ('module', 'lookup'):
        result = res['result'][plugin]
        assert result['failed'] is True
        assert 'Invalid run id' in result['msg'] and 'fl_run_x/../../admin' in result['msg'], result['msg']
        assert_one_line_error(result['msg'], res.output)
    assert emulator.count() == 0
    assert emulator.requests == []


# ---- secrets ---------------------------------------------------------------------------------

@pytest.mark.parametrize('run_id, fails', [('fl_run_completed', False), ('fl_run_nope', True)],
                         ids=['success', 'not-found'])
def test_token_never_printed_at_vvvv(run_playbook, emulator_factory, run_id, fails):
    scenario = copy.deepcopy(DEFAULT_SCENARIO)
    scenario['tokens'] = [SENTINEL]
    emu = emulator_factory(scenario)
    res = run_playbook('token_paths.yml', expect_rc=0, verbosity=4, emu=emu,
                       extra_env={'ALTOSTRAT_TOKEN': SENTINEL}, extra_vars={'run_id': run_id})
    assert res['failed'] == {'env': fails, 'option': fails, 'lookup': fails}
    assert SENTINEL not in res.output and SENTINEL[:10] not in res.output  # not even in part
    assert 'ansible-playbook' in res.output  # -vvvv really printed its banner
    assert gets(emu, run_id) == 3
    assert all(r['auth_ok'] for r in emu.requests)


# ---- more: listing, lookup expected_status, elapsed on failure ---------------------------

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


def test_module_failed_expectation_after_wait_still_returns_elapsed(run_playbook, emulator):
    res = run_playbook('module_wait.yml', expect_rc=0,
                       extra_vars={'run_id': 'fl_run_failed', 'expected_status': ['completed']})
    result = res['result']
    assert result['failed'] is True and result['run']['status'] == 'failed'
    assert isinstance(result.get('elapsed'), (int, float)) and result['elapsed'] >= 0


def test_cut_off_body_reason_is_readable(run_playbook, emulator):
    emulator.add_faults([{'kind': 'truncated', 'path': RUN_PATH % 'fl_run_completed', 'times': None}])
    res = run_playbook('module_read.yml', expect_rc=0, extra_env={'ALTOSTRAT_HTTP_RETRIES': '0'},
                       extra_vars={'run_id': 'fl_run_completed'})
    msg = res['result']['msg']
    assert 'cut off' in msg, msg
    assert "(('" not in msg, msg
    assert msg.count('IncompleteRead') <= 1, msg
