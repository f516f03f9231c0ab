"""Starts are never doubled: every start sends an ``Idempotency-Key`` (the task's ``idempotency_key``, else a fresh
UUID); a start whose answer is lost is sent again with the same key, the API replays the first result, and exactly
one run exists; an API that keeps failing ends the task naming the key; a 4xx is not sent again.

One real ``ansible-playbook`` run starts every case with ``altostrat.cloud.workflow_run``; the emulator counts
the POSTs, the keys they carried and the runs it created. (Every kind of start and every kind of lost answer, on a
fake transport: ``tests/unit/plugins/module_utils/test_client_starts.py``.)
"""

import uuid

import pytest

from e2e.reliability.plays import run_play, scenario

MAYBE = 'may or may not have started'

E2E = [
    # name, fault on POST .../execute, idempotency_key, POSTs expected, runs expected, task fails
    ('nokey_503', {'kind': 'status', 'status': 503, 'process': True, 'times': 1}, None, 2, 1, False),
    ('nokey_drop', {'kind': 'drop', 'times': 1}, None, 2, 1, False),
    ('nokey_trunc', {'kind': 'truncated', 'times': 1}, None, 2, 1, False),
    ('key_503', {'kind': 'status', 'status': 503, 'process': True, 'times': 1}, 'k-503', 2, 1, False),
    ('key_drop', {'kind': 'drop', 'times': 1}, 'k-drop', 2, 1, False),
    ('down_503', {'kind': 'status', 'status': 503, 'process': True, 'times': None}, None, 2, 1, True),
    ('refused_422', {'kind': 'status', 'status': 422, 'times': None}, None, 1, 0, True),
]


@pytest.fixture(scope='module')
def started(module_emulators, tmp_path_factory):
    flows = [{'id': 'fl_wf_' + name, 'run_template': {'pending_for': 0, 'duration': 0.2, 'status': 'completed',
                                                      'steps': 1}} for name, *_rest in E2E]
    faults = [dict(fault, method='POST', path='/workflows/fl_wf_%s/execute' % name) for name, fault, *_rest in E2E]
    emu = module_emulators(scenario('fl_run_seed', faults=faults, workflows=flows))
    cases = []
    for name, _fault, key, *_rest in E2E:
        args = {'workflow_id': 'fl_wf_' + name, 'context': {'case': name}, 'request_timeout': 2, 'http_retries': 1}
        if key:
            args['idempotency_key'] = key
        cases.append({'name': name, 'args': args})
    played = run_play(tmp_path_factory.mktemp('start'), 'start.yml', emu.url, extra_vars={'cases': cases})
    assert played.rc == 0, played
    played.by_name = {r['item']['name']: r for r in played['result']['module']}
    played.emu = emu
    return played


@pytest.mark.parametrize('name, fault, key, posts, runs, fails', E2E, ids=[e[0] for e in E2E])
def test_e2e_start_post_count_keys_and_runs_created(started, name, fault, key, posts, runs, fails):
    emu, result = started.emu, started.by_name[name]
    path = '/workflows/fl_wf_%s/execute' % name
    sent = [r['headers'].get('Idempotency-Key') for r in emu.requests if r['method'] == 'POST' and r['path'] == path]
    assert len(sent) == posts and len(set(sent)) == 1, sent  # every attempt of one start carries one key
    assert sent[0] == (key or str(uuid.UUID(sent[0])))  # the task's key, else a fresh UUID
    assert len(emu.store.workflow_runs('fl_wf_' + name)) == runs
    if not fails:
        assert not result.get('failed'), result
        assert result['changed'] and result['run']['id'].startswith('fl_run_')
        assert result['idempotency_key'] == sent[0]
        assert result['replayed'] is (fault['kind'] != 'drop')  # a lost answer of a processed start is replayed
        assert len(started.warnings('POST %s failed' % path)) == 1  # trouble told once
    else:
        assert result['failed'] and result['msg'].startswith('POST %s failed: HTTP %d' % (path, fault['status']))
        assert '\n' not in result['msg'] and result['http_status'] == fault['status']
    if name == 'down_503':
        assert result['msg'].endswith('%s; its Idempotency-Key was %s.' % (MAYBE, sent[0])), result['msg']
    if name == 'refused_422':
        assert MAYBE not in result['msg'] and not started.warnings(path)
