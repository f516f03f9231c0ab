"""Every start carries an idempotency key (the caller's, or a fresh UUID): a start whose answer is lost is sent again
with the same key and starts one run; a start refused with a 4xx is sent once; a key reused gets a hint."""

import uuid

import pytest
import requests

from ansible_collections.altostrat.cloud.plugins.module_utils._deadline import Deadline
from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratAPIError

from testkit.fakes import DONE as RUN, FakeAnswer, fake_client


EXECUTE = '/workflows/fl_wf_main/execute'


def test_start_without_key_sends_a_fresh_uuid(emulator, make_client):
    client = make_client(emulator)
    first, key, replayed = client.start_run('fl_wf_main', context={'a': 1})
    second, other, _unused = client.start_run('fl_wf_main', context={'a': 1})
    assert str(uuid.UUID(key)) == key and key != other and not replayed
    assert emulator.idempotency_keys == [key, other] and first['id'] != second['id']
    assert emulator.runs_created == 2


def test_start_with_key_replayed(emulator, make_client):
    client = make_client(emulator)
    first, key, replayed = client.start_run('fl_wf_main', context={'a': 1}, idempotency_key='k-1')
    again, key2, replayed2 = client.start_run('fl_wf_main', context={'a': 1}, idempotency_key='k-1')
    assert (key, key2, replayed, replayed2) == ('k-1', 'k-1', False, True)
    assert again['id'] == first['id'] and emulator.runs_created == 1


@pytest.mark.parametrize('spec', [{'kind': 'status', 'status': 503}, {'kind': 'status', 'status': 500}, {'kind': 'drop'},
                                  {'kind': 'truncated'}])
def test_lost_start_answer_retried_with_the_same_key_one_run(spec, emulator, make_client, clock):
    process = {'process': True} if spec['kind'] == 'status' else {}  # the run was created, its answer lost
    emulator.add_fault(method='POST', path=EXECUTE, times=1, **dict(spec, **process))
    client = make_client(emulator)
    run, key, replayed = client.start_run('fl_wf_main', context={'a': 1})
    assert emulator.count('POST', EXECUTE) == 2 and emulator.idempotency_keys == [key, key]
    assert emulator.runs_created == 1 and replayed is (spec['kind'] != 'drop')
    assert emulator.run(run['id']) is not None


def test_start_refused_by_the_rate_limit_is_sent_again(emulator, make_client, clock):
    emulator.add_fault(method='POST', path=EXECUTE, kind='status', status=429, retry_after=2, times=8)
    client = make_client(emulator, http_retries=1, deadline=Deadline(600, clock))
    run, key, replayed = client.start_run('fl_wf_main')
    assert emulator.count('POST', EXECUTE) == 9 and emulator.runs_created == 1 and not replayed
    assert len(clock.sleeps) == 8 and all(2.0 <= s <= 3.0 for s in clock.sleeps)
    assert client.warnings == []  # back-pressure is not trouble


def test_start_client_error_not_retried_and_says_nothing_about_starting(emulator, make_client):
    with pytest.raises(AltostratAPIError) as info:
        make_client(emulator).resume('fl_run_completed', 'n0')
    assert info.value.status == 422 and info.value.api_code == 'run_not_failed'
    assert 'may or may not' not in str(info.value) and emulator.count() == 1


def test_start_failing_for_good_names_its_key(emulator, make_client, clock):
    emulator.add_fault(method='POST', path=EXECUTE, kind='status', status=503, times=None)
    with pytest.raises(AltostratAPIError) as info:
        make_client(emulator, http_retries=2).start_run('fl_wf_main', idempotency_key='k-9')
    assert emulator.count('POST', EXECUTE) == 3 and emulator.runs_created == 0
    assert str(info.value).endswith('The run may or may not have started; its Idempotency-Key was k-9.')


def test_key_reused_for_another_request_gets_a_hint(emulator, make_client):
    client = make_client(emulator)
    client.start_run('fl_wf_main', context={'site': 'ams1'}, idempotency_key='4711-preflight')
    with pytest.raises(AltostratAPIError) as info:
        client.start_run('fl_wf_main', context={'site': 'fra1'}, idempotency_key='4711-preflight')
    msg = str(info.value)
    assert info.value.status == 422 and info.value.api_code == 'idempotency_key_in_use' and '\n' not in msg
    assert 'The idempotency_key 4711-preflight was used within the last 24 hours for a different request' in msg
    assert 'unique per host and per attempt' in msg and emulator.runs_created == 1


LOST = {
    '503': FakeAnswer(503, {'message': 'busy'}, reason='Service Unavailable'),
    '502-html': FakeAnswer(502, b'<html>502</html>', {'Content-Type': 'text/html'}),
    'reset': FakeAnswer(exc=requests.exceptions.ConnectionError('Connection reset by peer')),
    'timeout': FakeAnswer(exc=requests.exceptions.ReadTimeout('read timed out')),
    'cut-off': FakeAnswer(200, b'{"id": "fl_run_x", "sta', {'Content-Type': 'application/json', 'Content-Length': '200'}),
}


STARTS = {
    'start': (lambda client, key: client.start_run('fl_wf', {'a': 1}, idempotency_key=key), RUN),
    'rerun': (lambda client, key: client.rerun('fl_run_old', idempotency_key=key), {'message': 'queued', 'new_run': RUN}),
    'resume': (lambda client, key: client.resume('fl_run_old', 'n1', idempotency_key=key),
               {'message': 'queued', 'new_run': RUN}),
}


@pytest.mark.parametrize('key', [None, 'job-42-preflight'], ids=['fresh-key', 'given-key'])
@pytest.mark.parametrize('failure', sorted(LOST))
@pytest.mark.parametrize('call', sorted(STARTS))
def test_start_whose_answer_is_lost_is_retried_with_the_same_key(call, failure, key, clock):
    start, answer = STARTS[call]
    replayed_headers = {'Content-Type': 'application/json', 'Idempotent-Replayed': 'true'}
    client = fake_client([LOST[failure], FakeAnswer(201, answer, replayed_headers)], clock=clock)
    run, sent_key, replayed = start(client, key)
    assert run == RUN and replayed is True and client.own_replay
    keys = [request.headers['Idempotency-Key'] for request in client.adapter.sent]
    assert keys == [sent_key, sent_key] and sent_key == (key or str(uuid.UUID(sent_key)))
    assert len(client.warnings) == 2 and 'is failing (POST /workflows/' in client.warnings[0]


@pytest.mark.parametrize('status', [400, 401, 403, 404, 409, 422])
@pytest.mark.parametrize('call', sorted(STARTS))
def test_start_refused_with_a_4xx_is_sent_once(call, status, clock):
    start, answer = STARTS[call]
    client = fake_client([FakeAnswer(status, {'message': 'No.', 'code': 'refused'}, reason='Refused'), FakeAnswer(201, answer)],
                         clock=clock, http_retries=5)
    with pytest.raises(AltostratAPIError) as info:
        start(client, None)
    assert info.value.status == status and not info.value.transient
    assert len(client.adapter.sent) == 1 and clock.sleeps == [] and client.warnings == []
    assert 'may or may not' not in str(info.value) and str(info.value).startswith('POST /workflows/')
