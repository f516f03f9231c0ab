"""Deadlines, for real: a wait never takes longer than ``wait_timeout`` plus about a second, whatever the server does
(hang, drip its body, fail for ever, ask for a day's pause), however long ``request_timeout`` is; real
``ansible-playbook`` tasks, timed. ``request_timeout`` is longer than ``wait_timeout`` here: a request that got its
own ``request_timeout`` instead of the time left would overrun the bound.

The misbehaving server of ``test_misbehaving_e2e.py`` (dripping status line and headers, redirects, bad answers)
holds the same bound.
"""

import pytest

from e2e.checks import assert_one_line_error
from e2e.reliability.plays import run_play, scenario

# Marked ``timing``: `make reliability` runs them on their own after the rest, so the times they
# bound are not those of a machine also busy with the other tests.
pytestmark = pytest.mark.timing

WAIT_TIMEOUT, REQUEST_TIMEOUT = 2.0, 5.0
WAIT_ARGS = {'wait': True, 'wait_timeout': WAIT_TIMEOUT, 'request_timeout': REQUEST_TIMEOUT, 'poll_interval': 0.5}
BOUND = WAIT_TIMEOUT + 1.0  # issue 14: never more than about a second past wait_timeout
SLACK_INSIDE = 0.35   # the module's own elapsed (measured by the waiter)
SLACK_TASK = 1.5      # a whole task, beyond what a task that does not wait costs in the same play
BASELINE_MAX = 10.0   # what a task that does not wait may cost on a loaded machine


@pytest.fixture(scope='module')
def timed(module_emulators, tmp_path_factory):
    faults = [
        {'kind': 'hang', 'method': 'GET', 'path_regex': '^/workflows/runs/fl_run_hang', 'times': None},
        {'kind': 'drip', 'delay': 0.9, 'method': 'GET', 'path_regex': '^/workflows/runs/fl_run_drip', 'times': None},
        {'kind': 'status', 'status': 503, 'method': 'GET', 'path_regex': '^/workflows/runs/fl_run_down', 'times': None},
        {'kind': 'status', 'status': 429, 'retry_after': 86400, 'method': 'GET', 'path': '/workflows/runs/fl_run_abs',
         'times': 1},
    ]
    runs = ['fl_run_hang', 'fl_run_drip', 'fl_run_down', 'fl_run_abs', 'fl_run_done',
            {'id': 'fl_run_long', 'workflow_id': 'fl_wf_rel', 'pending_for': 0, 'duration': 3600,
             'status': 'completed', 'steps': 2}]
    emu = module_emulators(scenario(*runs, faults=faults))
    # The same task on a finished run, first and last: what a task costs in this play, at this
    # machine's load, without any waiting. The bounds below are on the time beyond that.
    baseline = [{'name': name, 'run_id': 'fl_run_done'} for name in ('base_first', 'base_last')]
    cases = [{'name': name, 'run_id': 'fl_run_' + name, 'args': WAIT_ARGS, 'lookup': name == 'hang'}
             for name in ('hang', 'drip', 'down', 'long')]
    # Last, after the baseline: its Retry-After pauses the shared request budget (up to 60 s) for every later task.
    absurd = {'name': 'abs', 'run_id': 'fl_run_abs', 'lookup': False,
              'args': {'wait': True, 'wait_timeout': 3, 'poll_interval': 0.5}}
    played = run_play(tmp_path_factory.mktemp('timed'), 'timed.yml', emu.url,
                      extra_vars={'cases': baseline[:1] + cases + baseline[1:] + [absurd]})
    assert played.rc == 0, played
    played.emu = emu
    played.overhead = {kind: max(played['result'][base['name']][kind + '_seconds'] for base in baseline)
                       for kind in ('module', 'lookup')}
    # A baseline that waited (for a budget slot, say) would hide any overrun: it must be a task's cost, no more.
    assert all(played['result'][base['name']]['module']['elapsed'] < BASELINE_MAX for base in baseline), played.overhead
    return played


def beyond_a_task(timed, case, kind):
    """The seconds a timed task took beyond the same task without waiting."""
    return case[kind + '_seconds'] - timed.overhead[kind]


@pytest.mark.parametrize('name', ['hang', 'down', 'long'])
def test_e2e_wait_is_bounded_by_wait_timeout_plus_a_second(timed, name):
    case = timed['result'][name]
    module = case['module']
    assert module['failed'], module
    assert_one_line_error(module['msg'], timed.output)
    assert module['elapsed'] <= BOUND + SLACK_INSIDE, module
    assert beyond_a_task(timed, case, 'module') <= BOUND + SLACK_TASK, (timed.overhead, case)
    assert module['msg'].startswith('Wait timed out after'), module['msg']
    if name == 'down':
        assert 'the last poll failed: GET /workflows/runs/fl_run_down failed: HTTP 503' in module['msg']
    if name == 'hang':
        assert case['lookup']['failed'], case
        assert beyond_a_task(timed, case, 'lookup') <= BOUND + SLACK_TASK, (timed.overhead, case)
        assert 'Wait timed out' in case['lookup']['msg']


def test_e2e_hung_server_message_names_the_deadline(timed):
    """The request was cut by the task's deadline (its request_timeout of 5 s was longer than the time left)."""
    msg = timed['result']['hang']['module']['msg']
    assert 'GET /workflows/runs/fl_run_hang' in msg and "deadline" in msg, msg


def test_e2e_long_run_times_out_with_its_last_state(timed):
    module = timed['result']['long']['module']
    assert 'Wait timed out' in module['msg'] and module['run']['status'] == 'running'


def test_e2e_slow_drip_is_bounded_by_wait_timeout_plus_a_second(timed):
    """A body dripped a byte at a time cannot stretch a request: it is cut when the time left runs out."""
    case = timed['result']['drip']
    assert case['module']['failed'] and 'fl_run_drip' in case['module']['msg'], case
    assert case['module']['elapsed'] <= BOUND + SLACK_INSIDE, case['module']
    assert beyond_a_task(timed, case, 'module') <= BOUND + SLACK_TASK, (timed.overhead, case)


def test_e2e_absurd_retry_after_never_stretches_the_wait(timed):
    """``Retry-After: 86400`` on a wait of 3 s: the request budget keeps it (no request goes out into it), and the
    wait still ends within its deadline, quietly (back-pressure is not trouble), naming the 429."""
    module = timed['result']['abs']['module']
    assert module['failed'] and module['msg'].startswith('Wait timed out after'), module
    assert 'HTTP 429' in module['msg'] and module['http_status'] == 429, module['msg']
    assert module['elapsed'] <= 3 + SLACK_INSIDE, module
    assert beyond_a_task(timed, timed['result']['abs'], 'module') < 3 + SLACK_TASK, (timed.overhead, module)
    assert not timed.warnings('fl_run_abs')
    assert timed.emu.count(path='/workflows/runs/fl_run_abs') == 1
