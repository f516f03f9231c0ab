"""What a run's status means, one-line descriptions, expected_status, log trimming."""

import copy

import pytest

from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratRunError
from ansible_collections.altostrat.cloud.plugins.module_utils._runs import (
    AWAITING, KNOWN_STATUSES, TERMINAL, check_expected, describe, failed_steps, trim_steps)

FAILED = {
    'id': 'fl_run_failed', 'status': 'failed',
    'error_message': 'Webhook request failed: 503 Service Unavailable',
    'logs': [
        {'id': 'fl_log_1', 'node_id': 'n0', 'component_id': 'webhook', 'status': 'success', 'output': {'ok': True}},
        {'id': 'fl_log_2', 'node_id': 'n1', 'component_id': None, 'status': 'warning', 'output': {}},
        {'id': 'fl_log_3', 'node_id': 'n2', 'component_id': 'webhook', 'status': 'error',
         'output': {'status': 503, 'body': 'down'}},
        {'id': 'fl_log_4', 'node_id': 'n3', 'component_id': None, 'status': 'error', 'output': None},
    ],
}
COMPLETED = {'id': 'fl_run_ok', 'status': 'completed', 'error_message': None,
             'logs': [{'node_id': 'n0', 'component_id': 'webhook', 'status': 'success', 'output': {}}]}


def test_status_sets():
    assert TERMINAL == {'completed', 'failed'}
    assert AWAITING == 'awaiting_ui_interaction' and AWAITING in KNOWN_STATUSES and AWAITING not in TERMINAL
    assert set(KNOWN_STATUSES) == {'pending', 'running', 'completed', 'failed', AWAITING}


def test_failed_steps():
    assert [e['node_id'] for e in failed_steps(FAILED)] == ['n2', 'n3']
    assert failed_steps({'id': 'x', 'status': 'running'}) == []
    assert failed_steps({'id': 'x', 'status': 'running', 'logs': None}) == []
    assert failed_steps({'logs': ['junk', {'status': 'error', 'node_id': 'n9'}]}) == [{'status': 'error', 'node_id': 'n9'}]


def test_describe_failed_run():
    assert describe(FAILED) == ('run fl_run_failed is failed: Webhook request failed: 503 Service Unavailable; '
                                'failed steps: node n2 (webhook); node n3')


def test_describe_makes_the_error_message_one_bounded_line():
    run = dict(FAILED, error_message='Webhook request failed:\n  503 Service Unavailable\r\n' + 'x' * 1000, logs=[])
    text = describe(run)
    assert text.startswith('run fl_run_failed is failed: Webhook request failed: 503 Service Unavailable xxx')
    assert '\n' not in text and '\r' not in text and text.endswith('...') and len(text) < 350


def test_describe_with_output():
    text = describe(FAILED, with_output=True)
    assert 'node n2 (webhook) output {"body":"down","status":503}' in text
    assert text.endswith('; node n3')  # no output: nothing added


def test_describe_long_output_cut():
    run = {'id': 'fl_run_x', 'status': 'failed', 'logs': [{'node_id': 'n0', 'status': 'error', 'output': {'big': 'y' * 1000}}]}
    text = describe(run, with_output=True)
    assert text.endswith('...') and len(text) < 300


def test_describe_completed_and_awaiting():
    assert describe(COMPLETED) == 'run fl_run_ok is completed'
    warn = dict(COMPLETED, error_message='Step n1 returned a warning')
    assert describe(warn) == 'run fl_run_ok is completed: Step n1 returned a warning'
    assert describe({'id': 'fl_run_w', 'status': AWAITING}) == (
        'run fl_run_w is awaiting_ui_interaction (it needs a person to answer in the Altostrat UI)')


def test_check_expected_passes():
    check_expected([COMPLETED], ['completed'])
    check_expected([COMPLETED, FAILED], ['completed', 'failed'])
    check_expected([FAILED], None)
    check_expected([FAILED], [])


def test_check_expected_names_every_bad_run():
    other = {'id': 'fl_run_r', 'status': 'running'}
    with pytest.raises(AltostratRunError) as info:
        check_expected([COMPLETED, FAILED, other], ['completed'])
    msg = str(info.value)
    assert msg.startswith('Expected status completed, but run fl_run_failed is failed: '
                          'Webhook request failed: 503 Service Unavailable; failed steps: node n2 (webhook) output ')
    assert msg.endswith(' | run fl_run_r is running.')
    assert 'fl_run_ok' not in msg
    assert info.value.run is FAILED and info.value.runs == [COMPLETED, FAILED, other]
    assert '\n' not in msg


def test_check_expected_several_statuses_named():
    with pytest.raises(AltostratRunError, match=r'^Expected status completed or awaiting_ui_interaction, but run fl_run_failed'):
        check_expected([FAILED], ['completed', AWAITING])


@pytest.mark.parametrize('mode, nodes', [('all', ['n0', 'n1', 'n2', 'n3']), ('errors', ['n1', 'n2', 'n3']), ('none', [])])
def test_trim_steps_in_place(mode, nodes):
    run = copy.deepcopy(FAILED)
    logs = run['logs']
    assert trim_steps(run, mode) is run
    assert run['logs'] is logs
    assert [e['node_id'] for e in logs] == nodes
    assert run['error_message'] == FAILED['error_message']


def test_trim_steps_without_logs():
    run = {'id': 'x', 'status': 'running'}
    assert trim_steps(run, 'none') == {'id': 'x', 'status': 'running'}
    run = {'id': 'x', 'status': 'running', 'logs': None}
    assert trim_steps(run, 'errors')['logs'] is None
    run = {'id': 'x', 'logs': ['not a dict', {'status': 'success'}]}
    assert trim_steps(run, 'errors')['logs'] == ['not a dict']


def test_describe_is_one_line_whatever_the_server_sends():
    """Regression: a node id with a line break once broke the one-line failure message."""
    run = {'id': 'fl_run_a\nb', 'status': 'fail\red', 'error_message': 'first line\nsecond line\r\n\tthird',
           'logs': [{'node_id': 'n1\nrm -rf /', 'component_id': 'web\nhook', 'status': 'error',
                     'output': {'text': 'a\nb' * 200}}] * 7}
    text = describe(run, with_output=True)
    assert '\n' not in text and '\r' not in text and '\t' not in text
    assert text.startswith('run fl_run_a\\nb is fail\\red: first line second line third; failed steps: node n1\\nrm -rf / (web\\nhook)')
    assert text.endswith(' and 2 more') and len(text) < 2000
