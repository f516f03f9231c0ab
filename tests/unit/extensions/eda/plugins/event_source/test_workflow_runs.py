"""The EDA source ``altostrat.cloud.workflow_runs``: ``main(queue, args)`` loaded as ansible-rulebook loads it
(``runpy``) and driven with an ``asyncio.Queue`` against the emulator, its rate limit on (60 a minute).

The looks themselves are tested in ``tests/unit/plugins/plugin_utils/test_run_watch.py``; here: what the loop adds
(starting, events on the queue, riding out faults, ending), and that the source loads on its own.
"""

import logging
import os
import shutil
import subprocess
import sys

import pytest

from ansible_collections.altostrat.cloud.plugins.module_utils import _budget
from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratAPIError, AltostratInputError

from testkit import SENTINEL, TOKEN
from testkit.eda import SOURCE_PATH, load_source, run_source
from testkit.fakes import assert_one_clean_line

LOGGER = 'altostrat.cloud.workflow_runs'
SCENARIO = {
    'tokens': [TOKEN, SENTINEL],
    'workflows': [{'id': 'fl_wf_a'}, {'id': 'fl_wf_b'}],
    'runs': [
        {'id': 'fl_run_done', 'workflow_id': 'fl_wf_a', 'finished': True, 'status': 'failed', 'failed_steps': [0]},
        {'id': 'fl_run_ok', 'workflow_id': 'fl_wf_b', 'finished': True, 'status': 'completed'},
    ],
}


@pytest.fixture(scope='module')
def main():
    return load_source()['main']


@pytest.fixture
def emu(emulator_factory):
    return emulator_factory(SCENARIO)


def args(emu, **more):
    return dict({'api_url': emu.url, 'token': TOKEN, 'workflow_ids': ['fl_wf_a', 'fl_wf_b'], 'interval': 1}, **more)


def statuses(events):
    return [(e['run']['id'], e['previous_status'], e['run']['status']) for e in events]


def ended(run_id):
    return lambda events: any(e['run']['id'] == run_id and e['run']['status'] in ('completed', 'failed') for e in events)


def warnings(caplog):
    return [record.getMessage() for record in caplog.records if record.name == LOGGER and record.levelno == logging.WARNING]


def new_run(emu, run_id, workflow_id='fl_wf_a', **spec):
    emu.add_runs([dict({'id': run_id, 'workflow_id': workflow_id, 'pending_for': 0.3, 'duration': 1.2, 'steps': 2}, **spec)])


def test_a_run_in_the_snapshot_yields_its_changes_in_order(emu, main):
    new_run(emu, 'fl_run_f', status='failed', failed_steps=[1], pending_for=1.5)
    events, error = run_source(main, args(emu), until=ended('fl_run_f'))
    assert error is None
    assert statuses(events) == [('fl_run_f', 'pending', 'running'), ('fl_run_f', 'running', 'failed')], statuses(events)
    assert events[-1]['workflow_id'] == 'fl_wf_a' and events[-1]['run']['logs'][1]['status'] == 'error'
    assert len(set(e['meta']['uuid'] for e in events)) == 2


def test_a_run_that_starts_later_yields_each_status_seen_and_ended_runs_nothing(emu, main):
    added = []

    def until(events):
        if not added and emu.count() >= 2:  # the snapshot is taken
            added.append(new_run(emu, 'fl_run_late', workflow_id='fl_wf_b'))
        return ended('fl_run_late')(events)

    events, error = run_source(main, args(emu), until=until, seconds=15)
    seen = statuses(events)
    assert error is None and set(run_id for run_id, _previous, _status in seen) == {'fl_run_late'}, seen
    assert seen[0][1] is None and seen[-1][2] == 'completed' and events[0]['workflow_id'] == 'fl_wf_b'
    assert all(seen[i][2] == seen[i + 1][1] for i in range(len(seen) - 1))


def test_every_request_spends_from_the_budget(emu, main, monkeypatch):
    spent = []
    real = _budget.Budget.acquire
    monkeypatch.setattr(_budget.Budget, 'acquire', lambda self, timeout=None, patience=None: spent.append(self.per_minute) or real(self, timeout, patience))
    new_run(emu, 'fl_run_c')
    events, error = run_source(main, args(emu, rate_limit=40), until=ended('fl_run_c'))
    assert error is None and events and len(spent) == emu.count() and set(spent) == {40}


def test_an_outage_is_ridden_out_with_one_warning_when_it_starts_and_one_when_it_ends(emu, main, caplog):
    caplog.set_level(logging.WARNING, LOGGER)
    emu.add_faults([{'kind': 'status', 'status': 503, 'path_regex': '^/workflows/', 'from_s': 0.5, 'for_s': 2.5,
                     'times': None}])
    new_run(emu, 'fl_run_c', pending_for=1, duration=1)
    events, error = run_source(main, args(emu), until=ended('fl_run_c'), seconds=30)
    assert error is None and statuses(events)[-1][2] == 'completed'
    said = warnings(caplog)
    assert len([w for w in said if 'is failing' in w]) == 1 and len([w for w in said if 'answers again' in w]) == 1, said
    assert emu.count(status=503) >= 2


def test_429s_beyond_the_clients_patience_are_ridden_out_and_said_twice(emu, main, caplog):
    caplog.set_level(logging.WARNING, LOGGER)
    emu.add_faults([{'kind': 'status', 'status': 429, 'retry_after': 0, 'path_regex': '^/workflows/', 'after': 2,
                     'times': 8}])
    new_run(emu, 'fl_run_c', pending_for=1, duration=1)
    events, error = run_source(main, args(emu), until=ended('fl_run_c'), seconds=30)
    assert error is None and events[-1]['run']['status'] == 'completed'
    said = warnings(caplog)
    assert len([w for w in said if 'HTTP 429' in w and 'said once' in w]) == 1, said
    assert len([w for w in said if 'can be read again' in w]) == 1, said


@pytest.mark.parametrize('fault, status', [({'kind': 'status', 'status': 401}, 401), ({'kind': 'status', 'status': 403}, 403),
                                           (None, 404)])
def test_401_403_404_end_the_source_with_one_line(fault, status, emu, main):
    if fault:
        emu.add_faults([dict(fault, times=None)])
    given = args(emu, token=SENTINEL, workflow_ids=['fl_wf_a', 'fl_wf_missing' if status == 404 else 'fl_wf_b'])
    events, error = run_source(main, given, seconds=10)
    assert events == [] and isinstance(error, AltostratAPIError) and 'HTTP %d' % status in str(error)
    assert str(error).startswith('altostrat.cloud.workflow_runs: GET /workflows/')
    assert_one_clean_line(str(error))


def test_a_wrong_token_ends_it_at_the_first_look(emu, main, caplog):
    events, error = run_source(main, args(emu, token=SENTINEL + 'x'), seconds=10)
    assert 'HTTP 401' in str(error) and 'Check the token' in str(error) and emu.count() == 1  # ended at the first request
    assert_one_clean_line(str(error)) and SENTINEL not in caplog.text


@pytest.mark.parametrize('given, named', [
    ({'workflow_ids': None}, 'give workflow_ids'),
    ({'interval': 0}, 'argument interval must be at least 1'),
    ({'logs': 'everything'}, 'argument logs must be one of'),
    ({'api_url': 'ftp://example.com'}, 'api_url must start with https://'),
    ({'token': ''}, 'No API token'),
])
def test_bad_arguments_end_it_at_start_with_one_line_and_no_request(given, named, emu, main):
    events, error = run_source(main, args(emu, **given), seconds=5)
    assert events == [] and isinstance(error, AltostratInputError) and named in str(error) and emu.count() == 0
    assert_one_clean_line(str(error))


def test_the_token_appears_nowhere(emu, main, caplog):
    caplog.set_level(logging.DEBUG)
    new_run(emu, 'fl_run_echo', status='failed', failed_steps=[0], error_message='token %s refused' % SENTINEL,
            extra={'trigger_payload': {'token': SENTINEL}})
    events, error = run_source(main, args(emu, token=SENTINEL, logs='all'), until=ended('fl_run_echo'))
    assert error is None and events and SENTINEL not in repr(events) and SENTINEL not in caplog.text


def test_with_only_run_ids_it_ends_once_they_have_ended(emu, main):
    new_run(emu, 'fl_run_c', workflow_id='fl_wf_b')
    events, error = run_source(main, args(emu, workflow_ids=[], run_ids=['fl_run_c', 'fl_run_ok']), seconds=20)
    assert error is None and statuses(events)[-1] == ('fl_run_c', 'running', 'completed')
    assert all(e['run']['id'] == 'fl_run_c' and e['workflow_id'] == 'fl_wf_b' for e in events)


# ---- loading as ansible-rulebook does ----------------------------------------------------------------------------

def _load_alone(path):
    """Load ``path`` with runpy in a fresh Python that has no collection loader and no PYTHONPATH."""
    code = ('import asyncio, runpy, sys\n'
            'm = runpy.run_path(sys.argv[1])\n'
            'print(m["IMPORT_ERROR"])\n'
            'try:\n'
            '    asyncio.run(m["main"](None, {}))\n'
            'except Exception as exc:\n'
            '    print(type(exc).__name__, exc)\n')
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH' and not k.startswith('ANSIBLE_')}
    return subprocess.run([sys.executable, '-c', code, path], env=env, cwd='/', capture_output=True, text=True,
                          timeout=60, check=True).stdout.splitlines()


def test_it_finds_its_own_collection_from_its_path():
    lines = _load_alone(SOURCE_PATH)
    assert lines == ['None', 'AltostratInputError altostrat.cloud.workflow_runs: give workflow_ids (the workflows to '
                     'watch), run_ids (runs to watch until they end) or both.'], lines


def test_outside_a_collection_it_says_so_in_one_line(tmp_path):
    copy = tmp_path / 'workflow_runs.py'
    shutil.copy(SOURCE_PATH, copy)
    lines = _load_alone(str(copy))
    assert len(lines) == 2 and lines[1].startswith('ImportError altostrat.cloud.workflow_runs: cannot import the '
                                                   'altostrat.cloud collection'), lines


def test_its_documentation_lists_every_argument_with_its_type_and_default():
    import yaml
    from ansible_collections.altostrat.cloud.plugins.plugin_utils._run_watch import source_option_specs
    source = load_source()
    doc = yaml.safe_load(source['DOCUMENTATION'])
    assert yaml.safe_load(source['EXAMPLES']) and doc['short_description']
    specs = source_option_specs()
    assert sorted(doc['options']) == sorted(specs)
    for name, (kind, default, env) in specs.items():
        assert doc['options'][name]['type'] == kind and doc['options'][name].get('default') == default, name
        assert env is None or 'E(%s)' % env in ' '.join(doc['options'][name]['description']), name
