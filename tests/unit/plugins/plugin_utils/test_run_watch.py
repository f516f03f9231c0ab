"""The watcher of the EDA source (``plugin_utils/_run_watch.py``): its arguments, and looks against the emulator.

Runs are moved through their lives with ``testkit.eda.shift`` (pending 1000 s, running 1000 s, then their final status),
so that each look sees exactly the status a test gives it.
"""

import uuid

import pytest

from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratInputError
from ansible_collections.altostrat.cloud.plugins.plugin_utils import _run_watch
from ansible_collections.altostrat.cloud.plugins.plugin_utils._run_watch import (
    EVENT_NAMESPACE, RunWatcher, Trouble, ends_source, source_client, source_options)

from testkit import SENTINEL, TOKEN
from testkit.budget import state_file
from testkit.eda import shift
from testkit.fakes import assert_one_clean_line

SCENARIO = {
    'tokens': [TOKEN, SENTINEL],
    'rate_limit_per_minute': None,
    'workflows': [{'id': 'fl_wf_a'}, {'id': 'fl_wf_b'}],
    'runs': [
        {'id_prefix': 'fl_run_old_', 'count': 20, 'workflow_id': 'fl_wf_a', 'finished': True, 'status': 'completed',
         'steps': 1},
        {'id': 'fl_run_b_done', 'workflow_id': 'fl_wf_b', 'finished': True, 'status': 'failed', 'failed_steps': [0]},
    ],
}
SLOW = {'pending_for': 1000, 'duration': 1000, 'steps': 2}  # pending, then running after 1000 s, ended after 2000 s


def options(**args):
    args.setdefault('token', TOKEN)
    return source_options(args, environ={})


@pytest.fixture
def emu(emulator_factory):
    return emulator_factory(SCENARIO)


@pytest.fixture
def watch(emu, make_client):
    """``watch(**args)``: a RunWatcher on the emulator (warnings in ``.warnings``), ``workflow_ids=[fl_wf_a]`` unless given."""
    def make(token=TOKEN, **args):
        args.setdefault('workflow_ids', [] if 'run_ids' in args else ['fl_wf_a'])
        client = make_client(emu, token=token)
        watcher = RunWatcher(client, options(api_url=emu.url, token=token, **args), client.warnings.append)
        watcher.warnings = client.warnings
        return watcher
    return make


def add(emu, run_id, workflow_id='fl_wf_a', **spec):
    emu.add_runs([dict(SLOW, id=run_id, workflow_id=workflow_id, **spec)])


def look(watcher):
    events, error = watcher.look()
    assert error is None, error
    return [(e['workflow_id'], e['run']['id'], e['previous_status'], e['run']['status']) for e in events]


# ---- arguments ---------------------------------------------------------------------------------------------------

def test_defaults_and_environment_fallbacks():
    got = source_options({'workflow_ids': 'fl_wf_a, fl_wf_b'},
                         environ={'ALTOSTRAT_TOKEN': SENTINEL, 'ALTOSTRAT_RATE_LIMIT': '30', 'ALTOSTRAT_API_URL': ''})
    assert got['workflow_ids'] == ['fl_wf_a', 'fl_wf_b'] and got['run_ids'] == []
    assert (got['token'], got['rate_limit'], got['interval'], got['emit_existing'], got['logs']) == (SENTINEL, 30, 30.0, False, 'errors')
    assert got['api_url'] == 'https://v1.api.altostrat.io' and 'http_retries' not in got and got['rate_limit_store'] is None


def test_the_arguments_are_the_modules_connection_options_and_the_watch_options():
    from ansible_collections.altostrat.cloud.plugins.module_utils._options import CONNECTION_OPTIONS
    names = set(_run_watch.source_option_specs())
    assert names == (set(CONNECTION_OPTIONS) - {'http_retries'}) | set(_run_watch.WATCH_OPTIONS)


@pytest.mark.parametrize('args, named', [
    ({}, 'workflow_ids'),
    ({'workflow_ids': ['wf_a']}, 'argument workflow_ids holds a bad id'),
    ({'run_ids': ['fl_run_a', 'fl_run a']}, 'argument run_ids holds a bad id'),
    ({'workflow_ids': ['fl_a'], 'interval': 0.5}, 'argument interval must be at least 1'),
    ({'workflow_ids': ['fl_a'], 'interval': 'often'}, 'argument interval must be a number'),
    ({'workflow_ids': ['fl_a'], 'emit_existing': 'perhaps'}, 'argument emit_existing must be a boolean'),
    ({'workflow_ids': ['fl_a'], 'logs': 'error'}, "argument logs must be one of errors, all, none, got 'error' (did you mean 'errors'?)"),
    ({'workflow_ids': ['fl_a'], 'rate_limit': -1}, 'argument rate_limit must be 0 (off)'),
    ({'workflow_ids': ['fl_a'], 'rate_limit': 5000}, 'argument rate_limit must be 0 (off) or a number of requests a minute up to 1000'),
    ({'workflow_ids': ['fl_a'], 'request_timeout': 0}, 'argument request_timeout must be between 0.1 and 3600'),
    ({'workflow_ids': ['fl_a'], 'request_timeout': float('nan')}, 'argument request_timeout must be a finite number'),
    ({'workflow_ids': ['fl_a'], 'intervall': 5}, "argument intervall is not an argument of this source (did you mean 'interval'?)"),
    ({'workflow_ids': ['fl_a'], 'validate_certs': 'maybe'}, 'argument validate_certs must be a boolean'),
])
def test_bad_arguments_are_one_line_naming_the_argument(args, named):
    with pytest.raises(AltostratInputError) as info:
        options(**args)
    assert named in str(info.value) and str(info.value).startswith('altostrat.cloud.workflow_runs: ')
    assert_one_clean_line(str(info.value))


def test_a_bad_token_value_is_never_shown():
    with pytest.raises(AltostratInputError) as info:
        source_options({'workflow_ids': ['fl_a'], 'token': [SENTINEL]}, environ={})
    assert 'argument token must be a string.' in str(info.value)
    assert_one_clean_line(str(info.value))


def test_rulebook_keys_are_left_alone():
    assert options(workflow_ids=['fl_a'], eda_feedback_queue=object())['workflow_ids'] == ['fl_a']


def test_rate_limit_store_goes_to_the_client(redis_server):
    got = options(workflow_ids=['fl_a'], rate_limit_store=redis_server.url, rate_limit=60)
    client = source_client(got)
    assert state_file(client.budget) is None  # the shared store's budget, not this machine's file


# ---- looks -------------------------------------------------------------------------------------------------------

def test_snapshot_yields_nothing_then_each_change_once_in_order(emu, watch):
    add(emu, 'fl_run_going', status='failed', failed_steps=[1])
    watcher = watch()
    assert look(watcher) == []
    assert emu.count() == 2  # page 1 holds a run still going: page 2 (all ended) ends the snapshot
    add(emu, 'fl_run_new', status='completed', pending_for=0, duration=0)
    shift(emu, 'fl_run_going', 1500)
    assert look(watcher) == [('fl_wf_a', 'fl_run_going', 'pending', 'running'), ('fl_wf_a', 'fl_run_new', None, 'completed')]
    assert look(watcher) == []
    shift(emu, 'fl_run_going', 1000)
    events, error = watcher.look()
    assert error is None and [e['run']['status'] for e in events] == ['failed']
    assert events[0]['previous_status'] == 'running' and [s['status'] for s in events[0]['run']['logs']] == ['success', 'error']


def test_a_look_with_nothing_new_costs_one_page_per_workflow(emu, watch):
    add(emu, 'fl_run_going')
    watcher = watch(workflow_ids=['fl_wf_a', 'fl_wf_b'])
    look(watcher)
    emu.reset_stats()
    assert look(watcher) == [] and emu.count() == 2
    assert sorted(r['path'] for r in emu.requests) == ['/workflows/fl_wf_a/executions', '/workflows/fl_wf_b/executions']


def test_emit_existing_yields_the_snapshot(emu, watch):
    events, error = watch(workflow_ids=['fl_wf_b'], emit_existing=True).look()
    assert error is None and [(e['run']['id'], e['previous_status']) for e in events] == [('fl_run_b_done', None)]
    assert events[0]['run']['logs'][0]['status'] == 'error'  # failed: read once more for its logs


def test_new_runs_beyond_the_first_page_are_read_on_the_next_pages(emu, watch):
    watcher = watch()
    look(watcher)
    emu.add_runs([{'id_prefix': 'fl_run_burst_', 'count': 17, 'workflow_id': 'fl_wf_a', 'pending_for': 0, 'duration': 0,
                   'age': 10}])
    emu.reset_stats()
    seen = look(watcher)
    assert sorted(run_id for _wf, run_id, _prev, _status in seen) == ['fl_run_burst_%03d' % i for i in range(17)]
    assert [r['params']['page'] for r in emu.requests] == ['1', '2']  # page 2 ends with runs known and ended


def test_a_going_run_pushed_off_the_pages_read_is_read_by_id(emu, watch, monkeypatch):
    monkeypatch.setattr(_run_watch, 'MAX_PAGES', 1)
    add(emu, 'fl_run_going', status='completed', age=100)
    watcher = watch()
    look(watcher)
    emu.add_runs([{'id_prefix': 'fl_run_burst_', 'count': 15, 'workflow_id': 'fl_wf_a', 'pending_for': 0, 'duration': 0}])
    shift(emu, 'fl_run_going', 2500)
    emu.reset_stats()
    seen = look(watcher)
    assert seen[-1] == ('fl_wf_a', 'fl_run_going', 'pending', 'completed') and len(seen) == 16
    assert [r['path'] for r in emu.requests] == ['/workflows/fl_wf_a/executions', '/workflows/runs/fl_run_going']


def test_runs_below_the_snapshots_last_page_are_taken_in_silently(emu, watch, monkeypatch):
    monkeypatch.setattr(_run_watch, 'MAX_PAGES', 1)
    add(emu, 'fl_run_g', age=100)
    add(emu, 'fl_run_h', age=101)
    watcher = watch()
    assert look(watcher) == []  # page 1 only (the cap), though it holds runs still going
    monkeypatch.setattr(_run_watch, 'MAX_PAGES', 5)
    del emu.store.runs['fl_run_g']  # a going run no longer listed: the pages are read on, past the snapshot's last
    emu.reset_stats()
    assert look(watcher) == []  # fl_run_old_000..006 were there before the start: no event
    assert [(r['path'], r['params'].get('page')) for r in emu.requests] == [
        ('/workflows/fl_wf_a/executions', '1'), ('/workflows/fl_wf_a/executions', '2'), ('/workflows/runs/fl_run_g', None)]
    emu.add_runs([dict(id='fl_run_n', workflow_id='fl_wf_a', pending_for=0, duration=0)])
    assert look(watcher) == [('fl_wf_a', 'fl_run_n', None, 'completed')]


def test_by_id_reads_are_capped_per_look_longest_unread_first(emu, watch, monkeypatch):
    monkeypatch.setattr(_run_watch, 'MAX_PAGES', 1)
    monkeypatch.setattr(_run_watch, 'MAX_BY_ID', 2)
    for index in range(3):
        add(emu, 'fl_run_going_%d' % index, age=100 + index)
    watcher = watch()
    look(watcher)
    emu.add_runs([{'id_prefix': 'fl_run_burst_', 'count': 15, 'workflow_id': 'fl_wf_a', 'pending_for': 0, 'duration': 0}])
    look(watcher)
    for index in range(3):
        shift(emu, 'fl_run_going_%d' % index, 1500)
    reads = []
    for _look in range(2):
        emu.reset_stats()
        look(watcher)
        reads.append(sorted(r['path'].rsplit('/', 1)[1] for r in emu.requests if '/runs/' in r['path']))
    assert len(reads[0]) == len(reads[1]) == 2 and set(reads[0] + reads[1]) == {'fl_run_going_0', 'fl_run_going_1', 'fl_run_going_2'}


def test_a_run_never_yields_a_status_twice_and_meta_uuid_is_stable(emu, watch):
    add(emu, 'fl_run_x', pending_for=0, duration=1000, status='awaiting_ui_interaction')
    watcher = watch()
    look(watcher)
    emu.add_runs([{'id': 'fl_run_flip', 'workflow_id': 'fl_wf_a', 'status_override': 'running', 'pending_for': 0,
                   'duration': 0, 'status': 'awaiting_ui_interaction', 'status_override_for': 1000}])
    first, _error = watcher.look()
    shift(emu, 'fl_run_flip', 1500)
    second, _error = watcher.look()
    restarted, _error = watch(emit_existing=True).look()  # another watcher (a restart) names the same event alike
    emu.run('fl_run_flip').params['status_override_for'] = 3000  # back to running: seen, but said once only
    third, _error = watcher.look()
    assert [(e['run']['id'], e['run']['status']) for e in first + second + third] == [
        ('fl_run_flip', 'running'), ('fl_run_flip', 'awaiting_ui_interaction')]
    assert second[0]['meta']['uuid'] == str(uuid.uuid5(EVENT_NAMESPACE, 'fl_run_flip/awaiting_ui_interaction'))
    assert second[0]['meta']['uuid'] == [e for e in restarted if e['run']['id'] == 'fl_run_flip'][0]['meta']['uuid']


@pytest.mark.parametrize('logs, read', [('errors', ['fl_run_f']), ('all', ['fl_run_c', 'fl_run_f']), ('none', [])])
def test_logs_says_which_ended_runs_are_read_for_their_logs(logs, read, emu, watch):
    watcher = watch(logs=logs)
    look(watcher)
    emu.add_runs([dict(id='fl_run_f', workflow_id='fl_wf_a', status='failed', failed_steps=[0], pending_for=0, duration=0),
                  dict(id='fl_run_c', workflow_id='fl_wf_a', status='completed', pending_for=0, duration=0)])
    emu.reset_stats()
    events, _error = watcher.look()
    assert sorted(r['path'].rsplit('/', 1)[1] for r in emu.requests if '/runs/' in r['path']) == read
    assert sorted(e['run']['id'] for e in events if 'logs' in e['run']) == read


def test_run_ids_are_watched_until_they_end_then_the_watch_is_done(emu, watch):
    add(emu, 'fl_run_other', workflow_id='fl_wf_other', extra={'workflow': {'id': 'fl_wf_other', 'name': 'Other'}})
    emu.run('fl_run_other').extra.pop('workflow_id', None)
    watcher = watch(run_ids=['fl_run_other'])
    assert look(watcher) == [] and not watcher.done
    shift(emu, 'fl_run_other', 2500)
    assert look(watcher) == [('fl_wf_other', 'fl_run_other', 'pending', 'completed')] and watcher.done


def test_unknown_status_is_an_event_and_warned_once(emu, watch):
    watcher = watch()
    look(watcher)
    emu.add_runs([{'id': 'fl_run_q', 'workflow_id': 'fl_wf_a', 'status_override': 'queued_v2', 'pending_for': 0, 'duration': 1000}])
    assert look(watcher) == [('fl_wf_a', 'fl_run_q', None, 'queued_v2')]
    assert len([w for w in watcher.warnings if 'queued_v2' in w]) == 1


def test_a_watched_run_that_disappears_is_forgotten_with_a_warning(emu, watch):
    add(emu, 'fl_run_gone')
    watcher = watch(run_ids=['fl_run_gone'])
    look(watcher)
    del emu.store.runs['fl_run_gone']
    assert look(watcher) == [] and watcher.done and 'fl_run_gone can no longer be read (HTTP 404)' in watcher.warnings[-1]


def test_the_token_never_appears_in_an_event(emu, watch):
    watcher = watch(token=SENTINEL, emit_existing=True)
    emu.add_runs([{'id': 'fl_run_echo', 'workflow_id': 'fl_wf_a', 'pending_for': 0, 'duration': 0, 'status': 'failed',
                   'error_message': 'bad token ' + SENTINEL, 'extra': {'trigger_payload': {SENTINEL: [SENTINEL]}}}])
    events, error = watcher.look()
    assert error is None and events and SENTINEL not in repr(events) and '********' in repr(events)


@pytest.mark.parametrize('status, ends', [(401, True), (403, True), (404, True), (422, True), (408, False), (429, False),
                                          (500, False), (503, False), (None, False)])
def test_which_failures_end_the_source(status, ends, emu, watch):
    emu.add_faults([{'kind': 'status', 'status': status or 503, 'times': None, 'retry_after': 0} if status else
                    {'kind': 'drop', 'times': None}])
    events, error = watch().look()
    assert events == [] and error is not None and ends_source(error) is ends
    assert_one_clean_line(str(error))


def test_a_failed_look_is_made_again_whole(emu, watch):
    watcher = watch(workflow_ids=['fl_wf_a', 'fl_wf_b'])
    look(watcher)
    emu.add_runs([dict(id='fl_run_a1', workflow_id='fl_wf_a', pending_for=0, duration=0),
                  dict(id='fl_run_b1', workflow_id='fl_wf_b', pending_for=0, duration=0)])
    emu.add_faults([{'kind': 'status', 'status': 503, 'path': '/workflows/fl_wf_b/executions'}])
    events, error = watcher.look()
    assert [e['run']['id'] for e in events] == ['fl_run_a1'] and error.status == 503
    assert look(watcher) == [('fl_wf_b', 'fl_run_b1', None, 'completed')]


# ---- trouble -----------------------------------------------------------------------------------------------------

def test_trouble_backs_off_up_to_ten_intervals_and_speaks_twice(clock):
    from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratAPIError
    said = []
    trouble = Trouble(2, said.append, clock)
    throttled = AltostratAPIError('GET /x failed: HTTP 429: Too Many Attempts.', status=429, transient=True)
    pauses = [trouble.failed(throttled) for _attempt in range(8)]
    assert all(2 <= pause <= 20 for pause in pauses) and pauses[-1] == 20 and pauses[0] <= 3
    clock.advance(100)
    trouble.recovered()
    trouble.recovered()
    assert len(said) == 2 and 'HTTP 429' in said[0] and 'after 100 s and 8 failed look(s)' in said[1]
    trouble.failed(AltostratAPIError('GET /x failed: HTTP 503', status=503, transient=True))
    trouble.recovered()
    assert len(said) == 2  # the client itself says when 5xx or connection trouble starts and ends
