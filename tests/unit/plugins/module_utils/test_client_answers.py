"""What an answer must look like (``check_run``): a run object with string id and status and list logs, a page with
a data list, a new_run for a rerun, the run asked for; whatever passes can be described, asserted and trimmed."""

import json

import pytest
from hypothesis import example, given, settings, strategies as st

from ansible_collections.altostrat.cloud.plugins.module_utils._client import check_run
from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratAPIError, AltostratError
from ansible_collections.altostrat.cloud.plugins.module_utils._runs import check_expected, describe, trim_steps

from testkit.fakes import assert_one_clean_line, scripted
from testkit.strategies import JSON


RUN_PATH = '/workflows/runs/fl_run_completed'


def test_rerun_answer_without_new_run(emulator, make_client):
    emulator.add_fault(method='POST', kind='wrong_shape', body={'message': 'ok'})
    with pytest.raises(AltostratAPIError, match='no "new_run" object'):
        make_client(emulator).rerun('fl_run_failed')


def test_an_answer_for_another_run_is_refused_naming_both(make_client):
    client = make_client('http://api.test')
    scripted(client, [(200, {}, b'{"id": "fl_run_ok", "status": "completed", "logs": []}')])
    with pytest.raises(AltostratAPIError) as info:
        client.get_run('fl_run_asked')
    assert str(info.value) == ('GET /workflows/runs/fl_run_asked: HTTP 200 answer is for run fl_run_ok, not for run '
                               'fl_run_asked: refused.')
    assert not info.value.transient


RUNLIKE = st.fixed_dictionaries({}, optional={
    'id': st.one_of(st.just('fl_run_x'), JSON), 'status': st.one_of(st.sampled_from(
        ['pending', 'running', 'completed', 'failed', 'awaiting_ui_interaction', 'queued_v2']), JSON),
    'error_message': st.one_of(st.none(), st.text(max_size=40), JSON),
    'logs': st.one_of(st.none(), JSON, st.lists(st.one_of(JSON, st.fixed_dictionaries({}, optional={
        'node_id': JSON, 'component_id': JSON, 'status': st.sampled_from(['success', 'error', 'warning']),
        'output': JSON}))))})


@settings(max_examples=400)
@given(value=st.one_of(JSON, RUNLIKE))
@example(value={'id': 'fl_run_x', 'status': 'failed', 'error_message': 'Webhook failed:\n503', 'logs': []})
def test_fuzz_check_run_only_raises_our_errors_and_runs_are_usable(value):
    try:
        run = check_run(value, 'GET', '/workflows/runs/fl_run_x')
    except AltostratAPIError as exc:
        assert_one_clean_line(str(exc))
        assert str(exc).startswith('GET /workflows/runs/fl_run_x: HTTP 200 answer ')
        return
    assert run is value and isinstance(run['id'], str) and isinstance(run['status'], str)
    # Whatever passed the check can be described, asserted and trimmed without a crash, in one line.
    assert_one_clean_line(describe(run, with_output=True))
    if run['status'] == 'completed':
        check_expected([run], ['completed'])
    else:
        with pytest.raises(AltostratError) as info:
            check_expected([run], ['completed'])
        assert_one_clean_line(str(info.value))
    for mode in ('errors', 'none', 'all'):
        trim_steps(json.loads(json.dumps(run)), mode)


@pytest.mark.parametrize('body, problem', [
    ({'id': 'fl_run_completed', 'logs': []}, 'has no "status" for run fl_run_completed'),
    ({'id': 'fl_run_completed', 'status': 'running', 'logs': 'nope'}, 'has "logs" that is not a list for run fl_run_completed'),
    ({'status': 'running'}, 'is not a run object (no "id")'),
    ([1, 2], 'is not a run object (got list)'),
])
def test_wrong_shape_run(body, problem, emulator, make_client):
    emulator.add_fault(path=RUN_PATH, kind='wrong_shape', body=body)
    with pytest.raises(AltostratAPIError) as info:
        make_client(emulator).get_run('fl_run_completed')
    assert str(info.value) == 'GET %s: HTTP 200 answer %s.' % (RUN_PATH, problem)


def test_check_run_passes_unknown_fields_and_null_logs():
    run = {'id': 'fl_run_a', 'status': 'queued_v2', 'logs': None, 'trigger_payload': {'x': 1}}
    assert check_run(run, 'GET', '/p') is run


def test_wrong_shape_page(emulator, make_client):
    emulator.add_fault(path='/workflows/fl_wf_paged/executions', kind='wrong_shape')
    with pytest.raises(AltostratAPIError, match=r'page=1: HTTP 200 answer is not a page of runs'):
        make_client(emulator).list_runs('fl_wf_paged')


def test_empty_2xx_body_is_not_a_run(make_client):
    client = make_client('http://api.test')
    scripted(client, [(200, {}, b'')])
    with pytest.raises(AltostratAPIError, match=r'is not a run object \(got NoneType\)'):
        client.get_run('fl_run_a')
