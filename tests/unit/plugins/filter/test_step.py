"""The altostrat.cloud.step filter: one node's log entry, and one-line errors naming what is there."""

import pytest
from hypothesis import given, strategies as st
from jinja2 import StrictUndefined
from jinja2.exceptions import UndefinedError

from ansible.errors import AnsibleFilterError
from ansible.plugins.loader import filter_loader

from ansible_collections.altostrat.cloud.plugins.filter.step import FilterModule, step
from ansible_collections.altostrat.cloud.plugins.plugin_utils._steps import NODES_SHOWN
from ansible_collections.altostrat.cloud.plugins.module_utils._text import ID_LIMIT, one_id as one_line

RUN = {
    'id': 'fl_run_failed', 'status': 'failed', 'error_message': 'Webhook request failed: 503 Service Unavailable',
    'logs': [
        {'id': 'fl_log_0', 'node_id': 'n0', 'component_id': 'webhook', 'status': 'success',
         'output': {'status': 200, 'body': {'message': 'ok'}}, 'execution_id': 'ex_1'},
        {'id': 'fl_log_1', 'node_id': 'n1', 'component_id': 'webhook', 'status': 'success', 'output': {}},
        {'id': 'fl_log_2', 'node_id': 'n2', 'component_id': None, 'status': 'error',
         'output': {'status': 503, 'body': {'message': 'Service Unavailable'}}},
    ],
}


def error_of(value, node_id='n9'):
    with pytest.raises(AnsibleFilterError) as info:
        step(value, node_id)
    return str(info.value)


def assert_one_line(msg, limit=1000):
    assert len(msg.splitlines()) == 1, repr(msg)
    assert len(msg) <= limit, len(msg)


def test_the_plugin_loader_finds_it():
    assert FilterModule().filters() == {'step': step}
    plugin = filter_loader.get('altostrat.cloud.step')
    assert plugin is not None and plugin.j2_function is step


def test_returns_the_entry_of_the_node_as_is():
    entry = step(RUN, 'n0')
    assert entry is RUN['logs'][0]
    assert entry['execution_id'] == 'ex_1'  # fields unknown to the collection pass through
    assert step(RUN, 'n2')['output']['body'] == {'message': 'Service Unavailable'}


def test_a_node_that_ran_twice_gives_its_last_entry():
    run = dict(RUN, logs=RUN['logs'] + [{'id': 'fl_log_3', 'node_id': 'n1', 'status': 'error', 'output': {'try': 2}}])
    assert step(run, 'n1')['id'] == 'fl_log_3'


def test_a_logs_list_works_like_the_run():
    assert step(RUN['logs'], 'n1') is RUN['logs'][1]
    assert step(tuple(RUN['logs']), 'n2') is RUN['logs'][2]


def test_entries_that_are_not_dicts_are_skipped():
    assert step(['junk', None, {'node_id': 'n1', 'status': 'success'}], 'n1') == {'node_id': 'n1', 'status': 'success'}


def test_missing_node_names_the_node_the_run_and_the_nodes_present():
    assert error_of(RUN) == 'altostrat.cloud.step: no step of node n9 in run fl_run_failed; its logs have nodes n0, n1, n2.'


def test_missing_node_in_a_logs_list():
    assert error_of(RUN['logs'], 'n7') == 'altostrat.cloud.step: no step of node n7 in the logs given; they have nodes n0, n1, n2.'


def test_nodes_present_are_named_once_each_in_order():
    logs = [{'node_id': node, 'status': 'success'} for node in ('n1', 'n0', 'n1', 'n0')]
    assert error_of(logs).endswith('; they have nodes n1, n0.')


def test_a_run_without_logs_says_so():
    empty = dict(RUN, logs=[])
    assert error_of(empty) == ('altostrat.cloud.step: no step of node n9 in run fl_run_failed: its logs are empty '
                               '(it was read with logs: none, or no step has run yet).')
    listed = {'id': 'fl_run_listed', 'status': 'completed'}
    assert error_of(listed) == ('altostrat.cloud.step: no step of node n9 in run fl_run_listed: it carries no logs '
                                '(a run listed by workflow_id has none; read it by run_id).')
    assert error_of(dict(listed, logs=None)) == error_of(listed)
    assert error_of([]) == 'altostrat.cloud.step: no step of node n9 in the logs given: the list is empty.'
    assert error_of(['junk', 3]) == 'altostrat.cloud.step: no step of node n9 in the logs given: none of its 2 entries is a log entry (a dict).'


@pytest.mark.parametrize('value, kind', [
    ('fl_run_failed', 'a string'), (42, 'a number'), (1.5, 'a number'), (True, 'a boolean'), (None, 'null'),
    ({1, 2}, 'set'),
])
def test_wrong_input_type_is_one_clear_line(value, kind):
    assert error_of(value) == ('altostrat.cloud.step expects a run (a dict with logs, as the altostrat.cloud modules '
                               'and lookup return it) or its logs list, got %s.' % kind)


def test_a_task_result_is_not_a_run_and_the_message_says_what_to_do():
    result = {'changed': False, 'run': RUN, 'elapsed': 1.2}
    assert error_of(result) == ('altostrat.cloud.step expects a run or its logs list, got a task result holding a run: '
                                'give it the run, as in result.run | altostrat.cloud.step.')


def test_a_dict_that_is_no_run():
    assert error_of({}) == 'altostrat.cloud.step expects a run or its logs list, got a dict with no logs, id or status.'
    assert error_of({'node_id': 'n9'}).endswith('got a dict with no logs, id or status.')


def test_logs_that_are_not_a_list():
    assert error_of(dict(RUN, logs='n0,n1')) == 'altostrat.cloud.step: the logs of run fl_run_failed are a string, not a list.'
    assert error_of(dict(RUN, logs={'n0': {}})) == 'altostrat.cloud.step: the logs of run fl_run_failed are a dict, not a list.'


@pytest.mark.parametrize('node_id, kind', [(2, 'a number'), (None, 'null'), ('', 'an empty string'), (['n1'], 'a list')])
def test_the_node_id_must_be_a_non_empty_string(node_id, kind):
    assert error_of(RUN, node_id) == 'altostrat.cloud.step needs a node ID, a non-empty string such as n2, got %s.' % kind


def test_undefined_input_raises_the_undefined_error():
    # ansible-core before 2.19 hands an undefined value to the filter: its own error names what is undefined.
    with pytest.raises(UndefinedError, match="'preflight' is undefined"):
        step(StrictUndefined(name='preflight'), 'n1')


# ---- one line, bounded, whatever the server sends ------------------------------------------------------------------

def test_node_ids_with_line_breaks_are_escaped_onto_one_line():
    logs = [{'node_id': 'n0\nrm -rf /', 'status': 'success'}, {'node_id': 'n1\r\n\tx', 'status': 'success'},
            {'node_id': u'n2\u2028n3\x85\x00', 'status': 'error'}]
    msg = error_of(dict(RUN, id='fl_run_\nevil', logs=logs), 'n9\nasked')
    assert_one_line(msg)
    assert msg == ('altostrat.cloud.step: no step of node n9\\nasked in run fl_run_\\nevil; its logs have nodes '
                   'n0\\nrm -rf /, n1\\r\\n\\tx, n2\\u2028n3\\x85\\x00.')


def test_long_ids_are_cut():
    long_node, long_run = 'n' * 5000, 'fl_run_' + 'x' * 5000
    msg = error_of(dict(RUN, id=long_run, logs=[{'node_id': long_node, 'status': 'success'}]), 'q' * 5000)
    assert_one_line(msg, 400)
    assert 'node %s...' % ('q' * (ID_LIMIT - 3)) in msg
    assert 'run %s...;' % long_run[:ID_LIMIT - 3] in msg
    assert msg.endswith('nodes %s....' % ('n' * (ID_LIMIT - 3)))


def test_many_nodes_are_counted_not_listed():
    logs = [{'node_id': 'node-%03d' % i, 'status': 'success'} for i in range(500)]
    msg = error_of(logs)
    assert_one_line(msg, 400)
    shown = ', '.join('node-%03d' % i for i in range(NODES_SHOWN))
    assert msg.endswith('they have nodes %s and %d more.' % (shown, 500 - NODES_SHOWN))


def test_node_ids_that_are_not_strings_are_shown_too():
    assert error_of([{'node_id': None}, {'node_id': 7}]).endswith('they have nodes None, 7.')


@given(run_id=st.one_of(st.none(), st.text()), node_id=st.text(min_size=1),
       present=st.lists(st.one_of(st.text(), st.integers(), st.none()), max_size=30))
def test_every_message_is_one_bounded_line(run_id, node_id, present):
    logs = [{'node_id': node, 'status': 'success'} for node in present if node != node_id]
    for value in ({'id': run_id, 'logs': logs}, {'id': run_id}, logs):
        msg = error_of(value, node_id)
        assert_one_line(msg, 1000)
        assert msg.startswith('altostrat.cloud.step: no step of node ')


@given(st.text())
def test_one_line(text):
    shown = one_line(text)
    assert len(shown.splitlines()) <= 1 and len(shown) <= ID_LIMIT
    assert one_line(text, limit=10 ** 6) == one_line(text, limit=10 ** 6 + 1)  # nothing cut under the limit


def test_a_run_without_id_is_the_run():
    assert error_of({'status': 'failed', 'logs': [{'node_id': 'n0'}]}) == (
        'altostrat.cloud.step: no step of node n9 in the run; its logs have nodes n0.')
    assert error_of({'id': None, 'logs': []}).startswith('altostrat.cloud.step: no step of node n9 in the run: its logs are empty')
    assert error_of({'status': 'failed', 'logs': 'x'}) == 'altostrat.cloud.step: the logs of the run are a string, not a list.'
