"""The altostrat.cloud.step and altostrat.cloud.failed_steps filters in a real ansible-playbook run: on runs the
module waited on, in later tasks, and the one-line failure of a node the run does not have."""

from e2e.checks import assert_one_line_error

MISSING = 'altostrat.cloud.step: no step of node n9 in run fl_run_failed; its logs have nodes n0, n1, n2.'


def test_filters_read_the_steps_of_runs_the_module_waited_on(run_playbook, emulator):
    res = run_playbook('filters.yml', expect_rc=0)
    out = res['filters']

    assert out['n0']['node_id'] == 'n0' and out['n0']['status'] == 'success'
    assert out['n0']['id'].startswith('fl_log_')  # the entry as the API returned it
    assert out['n2_body'] == {'message': 'Service Unavailable'}
    assert out['webhook_answer'] == {'status': 503, 'body': {'message': 'Service Unavailable'}}

    assert [entry['node_id'] for entry in out['failed']] == ['n2']
    assert out['failed'][0]['status'] == 'error'
    assert out['failed_from_logs'] == out['failed']
    assert out['failed_nodes'] == 'Failed nodes: n2'
    assert out['failed_loop'] == ['n2 (no component): {"status": 503, "body": {"message": "Service Unavailable"}}']
    assert out['completed_failed'] == []
    assert out['completed_n2']['node_id'] == 'n2' and out['completed_n2']['status'] == 'success'

    # A node the run does not have: the task fails with the filter's one line (ansible-core 2.19 puts its own
    # "Task failed: ..." context before it, on the same line), no traceback.
    missing = out['missing']
    assert missing['failed'] is True
    assert MISSING in missing['msg'], missing['msg']
    assert_one_line_error(missing['msg'], res.output)
    assert '...ignoring' in res.output
    assert 'failed=0' in res.output
    assert emulator.count(method='POST') == 0
