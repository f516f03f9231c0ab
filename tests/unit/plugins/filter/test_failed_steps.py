"""The altostrat.cloud.failed_steps filter: the entries whose status is error, through _runs.failed_steps."""

import pytest
from hypothesis import given, strategies as st
from jinja2 import StrictUndefined
from jinja2.exceptions import UndefinedError

from ansible.errors import AnsibleFilterError
from ansible.plugins.loader import filter_loader

from ansible_collections.altostrat.cloud.plugins.filter import failed_steps as plugin
from ansible_collections.altostrat.cloud.plugins.filter.failed_steps import FilterModule, failed_steps
from ansible_collections.altostrat.cloud.plugins.module_utils import _runs

LOGS = [
    {'id': 'fl_log_0', 'node_id': 'n0', 'component_id': 'webhook', 'status': 'success', 'output': {}},
    {'id': 'fl_log_1', 'node_id': 'n1', 'component_id': None, 'status': 'error', 'output': {'status': 503},
     'trigger_payload': {'env': 'staging'}},
    {'id': 'fl_log_2', 'node_id': 'n2', 'component_id': 'webhook', 'status': 'warning', 'output': {}},
    {'id': 'fl_log_3', 'node_id': 'n3', 'component_id': 'webhook', 'status': 'error', 'output': None},
]
RUN = {'id': 'fl_run_failed', 'status': 'failed', 'error_message': 'Webhook request failed', 'logs': LOGS}


def error_of(value):
    with pytest.raises(AnsibleFilterError) as info:
        failed_steps(value)
    return str(info.value)


def test_the_plugin_loader_finds_it():
    assert FilterModule().filters() == {'failed_steps': failed_steps}
    found = filter_loader.get('altostrat.cloud.failed_steps')
    assert found is not None and found.j2_function is failed_steps


def test_it_uses_the_one_definition_in_runs():
    assert plugin.run_failed_steps is _runs.failed_steps


def test_error_entries_in_order_as_they_are():
    steps = failed_steps(RUN)
    assert [entry['node_id'] for entry in steps] == ['n1', 'n3']
    assert steps[0] is LOGS[1] and steps[0]['trigger_payload'] == {'env': 'staging'}


def test_warnings_are_not_failures_and_none_failed_is_an_empty_list():
    assert failed_steps(dict(RUN, status='completed', logs=LOGS[:1] + LOGS[2:3])) == []


def test_a_logs_list_works_like_the_run():
    assert failed_steps(LOGS) == failed_steps(RUN)
    assert failed_steps(tuple(LOGS)) == failed_steps(RUN)
    assert failed_steps([]) == []


def test_a_run_without_logs_gives_an_empty_list():
    assert failed_steps(dict(RUN, logs=[])) == []
    assert failed_steps(dict(RUN, logs=None)) == []
    assert failed_steps({'id': 'fl_run_listed', 'status': 'failed'}) == []


def test_entries_that_are_not_dicts_are_skipped():
    assert failed_steps(['junk', None, 3, {'status': 'error', 'node_id': 'n9'}]) == [{'status': 'error', 'node_id': 'n9'}]


@pytest.mark.parametrize('value, kind', [('fl_run_failed', 'a string'), (3, 'a number'), (None, 'null'), (False, 'a boolean')])
def test_wrong_input_type_is_one_clear_line(value, kind):
    assert error_of(value) == ('altostrat.cloud.failed_steps expects a run (a dict with logs, as the altostrat.cloud '
                               'modules and lookup return it) or its logs list, got %s.' % kind)


def test_a_task_result_is_not_a_run():
    # Taking a registered result for the run would give [] whatever the run did: it fails instead.
    assert error_of({'changed': False, 'run': RUN}) == (
        'altostrat.cloud.failed_steps expects a run or its logs list, got a task result holding a run: give it the run, '
        'as in result.run | altostrat.cloud.failed_steps.')
    assert error_of({}) == 'altostrat.cloud.failed_steps expects a run or its logs list, got a dict with no logs, id or status.'


def test_logs_that_are_not_a_list_fail_rather_than_give_nothing():
    assert error_of(dict(RUN, logs='error')) == ('altostrat.cloud.failed_steps: the logs of run fl_run_failed are a string, '
                                                 'not a list.')
    msg = error_of(dict(RUN, id='fl_run_\n' + 'x' * 3000, logs={'n1': 'error'}))
    assert len(msg.splitlines()) == 1 and len(msg) < 200, msg


def test_undefined_input_raises_the_undefined_error():
    with pytest.raises(UndefinedError, match="'preflight' is undefined"):
        failed_steps(StrictUndefined(name='preflight'))


@given(st.lists(st.one_of(st.none(), st.text(), st.fixed_dictionaries(
    {'node_id': st.text(), 'status': st.sampled_from(['success', 'error', 'warning', 'unknown', None])}))))
def test_same_as_runs_failed_steps(logs):
    run = {'id': 'fl_run_x', 'status': 'failed', 'logs': logs}
    assert failed_steps(run) == _runs.failed_steps(run) == failed_steps(logs)
    assert all(entry['status'] == 'error' for entry in failed_steps(run))
