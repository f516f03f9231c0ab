"""altostrat.cloud.workflow_gate, end to end: real ansible-playbook runs against the API emulator."""

import re

FATAL = re.compile(r'^fatal: .*$', re.M)


def fatal_lines(output):
    return FATAL.findall(output)


def test_start_mode_opens_the_gate(gate, gate_emulator):
    result = gate({'workflow_gate_workflow_id': 'fl_gate_ok',
                   'workflow_gate_context': {'change': 'CHG0042'},
                   'workflow_gate_idempotency_key': 'job-4711-preflight'})
    assert result.rc == 0, result
    assert gate_emulator.runs_created == 1
    assert gate_emulator.idempotency_keys == ['job-4711-preflight']
    run = result.run
    assert run['status'] == 'completed'
    assert run['trigger_payload'] == {'change': 'CHG0042'}
    assert [entry['node_id'] for entry in run['logs']] == ['n0', 'n1']
    assert 'Workflow gate open: run %s is completed.' % run['id'] in result.output
    assert 'Failed steps it carried on past' not in result.output
    assert result.failed_steps == []
    assert 'deploying after %s' % run['id'] in result.output
    # set_stats published the whole run, and its failed steps (ANSIBLE_SHOW_CUSTOM_STATS shows them at the end)
    custom = result.output.split('CUSTOM STATS:', 1)[1]
    assert 'workflow_gate_run' in custom and run['id'] in custom
    assert 'workflow_gate_failed_steps' in custom


def test_watch_mode_waits_and_starts_nothing(gate, gate_emulator):
    result = gate({'workflow_gate_run_id': 'fl_run_gate_soon'})
    assert result.rc == 0, result
    assert gate_emulator.runs_created == 0
    assert gate_emulator.count(method='POST') == 0
    assert result.run['id'] == 'fl_run_gate_soon'
    assert result.run['status'] == 'completed'
    assert len(result.run['logs']) == 3


def test_failed_run_ends_with_one_readable_message(gate, gate_emulator):
    result = gate({'workflow_gate_workflow_id': 'fl_gate_fails'})
    assert result.rc == 2, result
    assert gate_emulator.runs_created == 1
    run = result.run
    assert run['status'] == 'failed'
    assert [entry['node_id'] for entry in run['logs'] if entry['status'] == 'error'] == ['n1']
    fatal = fatal_lines(result.output)
    assert len(fatal) == 1, result
    # the message of the module (altostrat.cloud's one format, _runs.check_expected), after the gate's prefix
    assert ('Workflow gate closed: Expected status completed, but run %s is failed: '
            'Webhook request failed: 500 Internal Server Error; failed steps: node n1 (webhook) output {'
            % run['id']) in fatal[0]
    assert '"logs"' not in fatal[0] and 'fl_log_' not in fatal[0]
    assert 'deploying after' not in result.output
    # the facts and the stats are still there for whoever handles the failure
    assert result.failed_steps == [entry for entry in run['logs'] if entry['status'] == 'error']
    custom = result.output.split('CUSTOM STATS:', 1)[1]
    assert 'workflow_gate_run' in custom and 'workflow_gate_failed_steps' in custom


def test_completed_with_error_message_passes(gate):
    result = gate({'workflow_gate_run_id': 'fl_run_gate_warn'})
    assert result.rc == 0, result
    assert result.run['error_message'] == 'Step n1 returned a warning'
    assert result.failed_steps == []  # a warning step is not a failed one


def test_completed_past_a_failed_step_passes_and_names_it(gate):
    result = gate({'workflow_gate_run_id': 'fl_run_gate_carried_on'})
    assert result.rc == 0, result
    assert result.run['status'] == 'completed'
    assert [entry['node_id'] for entry in result.failed_steps] == ['n1']
    assert result.failed_steps[0]['status'] == 'error'
    assert 'Workflow gate open: run fl_run_gate_carried_on is completed. Failed steps it carried on past: n1.' in result.output


def test_expected_status_can_accept_a_failure(gate):
    result = gate({'workflow_gate_workflow_id': 'fl_gate_fails', 'workflow_gate_expected_status': ['completed', 'failed']})
    assert result.rc == 0, result
    assert result.run['status'] == 'failed'
    assert [entry['node_id'] for entry in result.failed_steps] == ['n1']


def test_no_expected_status_keeps_the_gate_closed(gate, gate_emulator):
    result = gate({'workflow_gate_workflow_id': 'fl_gate_ok', 'workflow_gate_expected_status': []})
    assert result.rc == 2, result
    assert 'needs at least one status in workflow_gate_expected_status' in result.output
    assert gate_emulator.count() == 0


def test_awaiting_interaction_stops_and_names_the_reason(gate):
    result = gate({'workflow_gate_run_id': 'fl_run_gate_awaiting'})
    assert result.rc == 2, result
    fatal = fatal_lines(result.output)
    assert len(fatal) == 1, result
    assert ('Workflow gate closed: Expected status completed, but run fl_run_gate_awaiting is awaiting_ui_interaction '
            '(it needs a person to answer in the Altostrat UI).') in fatal[0]
    assert result.run['status'] == 'awaiting_ui_interaction'


def test_timeout_fails_with_the_last_state_seen(gate):
    result = gate({'workflow_gate_run_id': 'fl_run_gate_forever', 'workflow_gate_timeout': 1})
    assert result.rc == 2, result
    fatal = fatal_lines(result.output)
    assert len(fatal) == 1, result
    assert 'Workflow gate closed: Wait timed out after' in fatal[0]
    assert result.run['id'] == 'fl_run_gate_forever'
    assert result.run['status'] == 'running'


def test_set_stats_off(gate):
    result = gate({'workflow_gate_workflow_id': 'fl_gate_ok', 'workflow_gate_set_stats': False})
    assert result.rc == 0, result
    assert result.run['status'] == 'completed'
    assert 'CUSTOM STATS:' not in result.output or 'workflow_gate_run' not in result.output.split('CUSTOM STATS:', 1)[1]
    assert re.search(r'Publish the run for the next jobs\] \*+\nskipping: ', result.output), result


def test_connection_from_role_variables_and_token_never_shown(gate, gate_emulator, gate_token):
    result = gate({'workflow_gate_workflow_id': 'fl_gate_ok', 'workflow_gate_api_url': gate_emulator.url,
                   'workflow_gate_token': gate_token}, env=False, verbosity=3)
    assert result.rc == 0, result
    assert gate_emulator.runs_created == 1
    assert gate_token not in result.output


def test_the_plays_module_defaults_for_the_group_reach_the_role(gate, gate_emulator):
    """A setting the role has no variable for comes from the play's module_defaults for group/altostrat.cloud.workflows:
    here a store nobody listens on, which the task warns about once and goes on without."""
    result = gate({'workflow_gate_workflow_id': 'fl_gate_ok', 'store_url': 'redis://127.0.0.1:9/0'},
                  playbook='gate_module_defaults.yml')
    assert result.rc == 0, result.output
    assert result.run['status'] == 'completed'
    assert 'Altostrat request budget:' in result.output, result.output


def test_exactly_one_of_workflow_and_run(gate, gate_emulator):
    for extra in ({}, {'workflow_gate_workflow_id': 'fl_gate_ok', 'workflow_gate_run_id': 'fl_run_gate_soon'},
                  {'workflow_gate_run_id': 'fl_run_gate_soon', 'workflow_gate_context': {'a': 1}}):
        result = gate(extra)
        assert result.rc == 2, result
        assert 'needs exactly one of workflow_gate_workflow_id' in result.output
        assert result.run is None
    assert gate_emulator.runs_created == 0
    assert gate_emulator.count() == 0


def test_argument_spec_is_enforced(gate, gate_emulator):
    result = gate({'workflow_gate_workflow_id': 'fl_gate_ok', 'workflow_gate_on_interaction': 'sometimes'})
    assert result.rc == 2, result
    assert 'workflow_gate_on_interaction' in result.output
    assert gate_emulator.count() == 0


def test_check_mode_starts_nothing(gate, gate_emulator):
    result = gate({'workflow_gate_workflow_id': 'fl_gate_ok'}, check=True)
    assert result.rc == 0, result
    assert gate_emulator.count(method='POST') == 0
    assert result.run == {}
    assert 'Check mode: no run was started.' in result.output
