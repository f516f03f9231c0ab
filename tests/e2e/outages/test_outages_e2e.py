"""Outages: a gate rides out an API that fails until its deadline, and a start is never doubled.

Real ``ansible-playbook`` runs against the emulator (60 requests a minute, as the API), with timed faults.
"""

RUNS = '^/workflows/runs/'


def outage(from_s, for_s=None, status=503):
    fault = {'kind': 'status', 'status': status, 'method': 'GET', 'path_regex': RUNS, 'from_s': from_s, 'times': None}
    if for_s is not None:
        fault['for_s'] = for_s
    return fault


def test_two_minute_outage_inside_a_long_wait_the_gate_passes(run_playbook, emulator_factory):
    emu = emulator_factory({'rate_limit_per_minute': 60, 'runs': [
        {'id': 'fl_run_long', 'workflow_id': 'fl_wf', 'pending_for': 0, 'duration': 170, 'status': 'completed', 'steps': 2}],
        'faults': [outage(from_s=20, for_s=120)]})
    res = run_playbook('module_wait.yml', emu=emu, extra_vars={'run_id': 'fl_run_long', 'wait_timeout': 600,
                                                               'expected_status': ['completed']}, timeout=400)
    result = res['result']
    assert not result.get('failed'), result.get('msg')
    # it waited the run out: from its first poll until the run ended, however late ansible-playbook got going
    ends, first_poll = emu.run('fl_run_long').created + 170, emu.requests[0]['time']
    assert result['run']['status'] == 'completed' and result['elapsed'] >= ends - first_poll - 1, (result, first_poll)
    failed = [r for r in emu.requests if r['status'] == 503]
    assert len(failed) >= 5  # the outage was met
    assert len(failed) <= 120 / 15 + 6, len(failed)  # no hammering: about one request per max_poll_interval
    warnings = res.warnings()
    assert len(warnings) == 2, warnings  # trouble told once when it starts and once when it ends
    assert 'is failing' in warnings[0] and 'answers again' in warnings[1]


def test_api_down_for_good_fails_at_the_deadline_naming_the_error(run_playbook, emulator_factory):
    emu = emulator_factory({'rate_limit_per_minute': 60, 'runs': [
        {'id': 'fl_run_long', 'workflow_id': 'fl_wf', 'pending_for': 0, 'duration': 600, 'status': 'completed'}],
        'faults': [dict(outage(from_s=0), after=1)]})  # the first poll is answered, every later one fails
    res = run_playbook('module_wait.yml', emu=emu, extra_vars={'run_id': 'fl_run_long', 'wait_timeout': 20})
    result = res['result']
    assert result['failed'] and result['msg'].startswith('Wait timed out after 2')
    assert 'on run fl_run_long (running); the last poll failed: GET /workflows/runs/fl_run_long failed: HTTP 503' in result['msg']
    assert result['run']['status'] == 'running' and result['http_status'] == 503
    assert 19.5 <= result['elapsed'] <= 22


def test_start_whose_answer_is_lost_makes_exactly_one_run(run_playbook, emulator_factory):
    emu = emulator_factory({'rate_limit_per_minute': 60, 'workflows': [
        {'id': 'fl_wf_site', 'run_template': {'pending_for': 0.1, 'duration': 1, 'status': 'completed'}}],
        'faults': [{'kind': 'status', 'status': 503, 'method': 'POST', 'path': '/workflows/fl_wf_site/execute',
                    'process': True, 'times': 2}]})
    res = run_playbook('start_wait.yml', emu=emu, extra_vars={'workflow_id': 'fl_wf_site'}, expect_rc=0)
    result = res['result']
    assert not result.get('failed'), result.get('msg')
    assert emu.runs_created == 1 and result['run']['status'] == 'completed'
    assert emu.idempotency_keys == [result['idempotency_key']] * 3 and result['replayed'] is True
    assert result['changed'] is True  # the replayed run is the one this task's own first (lost) attempt started
