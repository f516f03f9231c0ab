"""Issue 5 item 7: POST safety. A start without ``idempotency_key`` is sent exactly once whatever
happens, and the error says the run may or may not have started; with a key, a retried start
creates exactly one run (the emulator counts them).
"""

import pytest
import requests

from rel_helpers import RUN_OK, run_play, scenario, warnings_about
from testkit.fakes import Answer, fake_client

from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratAPIError

MAYBE = 'may or may not have started'
NEW_RUN = {'message': 'queued', 'new_run': RUN_OK}

FAILURES = {
    '503': Answer(503, {'message': 'busy'}, reason='Service Unavailable'),
    '502-html': Answer(502, b'<html>502</html>', {'Content-Type': 'text/html'}),
    'reset': Answer(exc=requests.exceptions.ConnectionError('Connection reset by peer')),
    'timeout': Answer(exc=requests.exceptions.ReadTimeout('read timed out')),
    'cut-off': Answer(200, b'{"id": "fl_run_x", "sta', {'Content-Type': 'application/json', 'Content-Length': '200'}),
}
STARTS = {
    'start': (lambda client, key: client.start_run('fl_wf', {'a': 1}, idempotency_key=key), RUN_OK),
    'rerun': (lambda client, key: client.rerun('fl_run_old', idempotency_key=key), NEW_RUN),
    'resume': (lambda client, key: client.resume('fl_run_old', 'n1', idempotency_key=key), NEW_RUN),
}


@pytest.mark.parametrize('failure', sorted(FAILURES))
@pytest.mark.parametrize('call', sorted(STARTS))
def test_start_without_key_is_sent_once(call, failure):
    start, ok = STARTS[call]
    client = fake_client([FAILURES[failure], Answer(201, ok)], http_retries=5)
    with pytest.raises(AltostratAPIError) as info:
        start(client, None)
    assert len(client.adapter.sent) == 1 and client.fake_clock.sleeps == [] and client.warnings == []
    assert MAYBE in str(info.value) and 'idempotency_key' in str(info.value)
    assert str(info.value).startswith('POST /workflows/')
    assert 'Idempotency-Key' not in client.adapter.sent[0].headers


@pytest.mark.parametrize('failure', sorted(FAILURES))
@pytest.mark.parametrize('call', sorted(STARTS))
def test_start_with_key_is_retried_with_the_same_key(call, failure):
    start, ok = STARTS[call]
    client = fake_client([FAILURES[failure], Answer(201, ok)], http_retries=5)
    assert start(client, 'job-42-preflight')['id'] == 'fl_run_x'
    assert [r.headers['Idempotency-Key'] for r in client.adapter.sent] == ['job-42-preflight'] * 2
    assert len(client.warnings) == 1 and 'retry 1 of 5' in client.warnings[0]


def test_post_is_never_redirected():
    client = fake_client([Answer(307, b'', {'Location': 'https://api.test/elsewhere'}), Answer(201, RUN_OK)])
    with pytest.raises(AltostratAPIError):
        client.start_run('fl_wf', idempotency_key='k')
    assert len(client.adapter.sent) == 1


# ---- end to end --------------------------------------------------------------------------------

E2E = [
    # name, fault, key, POSTs expected, runs expected
    ('nokey_503', {'kind': 'status', 'status': 503, 'process': True, 'times': None}, None, 1, 1),
    ('nokey_drop', {'kind': 'drop', 'times': None}, None, 1, 0),
    ('nokey_trunc', {'kind': 'truncated', 'times': None}, None, 1, 1),
    ('key_503', {'kind': 'status', 'status': 503, 'process': True, 'times': 1}, 'k-503', 2, 1),
    ('key_drop', {'kind': 'drop', 'times': 1}, 'k-drop', 2, 1),
]


@pytest.fixture(scope='module')
def started(module_emulators, tmp_path_factory):
    flows = [{'id': 'fl_wf_' + name, 'run_template': {'pending_for': 0, 'duration': 0.2, 'status': 'completed',
                                                      'steps': 1}} for name, *_rest in E2E]
    faults = [dict(fault, method='POST', path='/workflows/fl_wf_%s/execute' % name) for name, fault, *_rest in E2E]
    emu = module_emulators(scenario('fl_run_seed', faults=faults, workflows=flows))
    cases = []
    for name, _fault, key, _posts, _runs in E2E:
        args = {'workflow_id': 'fl_wf_' + name, 'context': {'case': name}, 'request_timeout': 2}
        if key:
            args['idempotency_key'] = key
        cases.append({'name': name, 'args': args})
    played = run_play(tmp_path_factory.mktemp('start'), 'start.yml', emu.url, extra_vars={'cases': cases})
    assert played.rc == 0, played
    played.by_name = {r['item']['name']: r for r in played['result']['module']}
    played.emu = emu
    return played


@pytest.mark.parametrize('name, fault, key, posts, runs', E2E, ids=[e[0] for e in E2E])
def test_e2e_start_post_count_and_runs_created(started, name, fault, key, posts, runs):
    emu, result = started.emu, started.by_name[name]
    assert emu.count(method='POST', path='/workflows/fl_wf_%s/execute' % name) == posts
    assert len(emu.store.workflow_runs('fl_wf_' + name)) == runs
    if key:
        assert not result.get('failed'), result
        assert result['changed'] and result['run']['id'].startswith('fl_run_')
        assert warnings_about(started.output, 'POST /workflows/fl_wf_%s/execute' % name)
    else:
        assert result['failed'] and MAYBE in result['msg'], result
        assert result['msg'].startswith('POST /workflows/fl_wf_%s/execute' % name) and '\n' not in result['msg']
