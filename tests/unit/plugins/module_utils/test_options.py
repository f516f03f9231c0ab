"""Shared option specs, make_client and settle (fetch or wait, expected_status, log trimming)."""

import pytest

from ansible_collections.altostrat.cloud.plugins.module_utils._client import DEFAULT_API_URL
from ansible_collections.altostrat.cloud.plugins.module_utils._errors import (
    AltostratAPIError, AltostratInputError, AltostratRunError, AltostratTimeoutError)
from ansible_collections.altostrat.cloud.plugins.module_utils._options import (
    CONNECTION_ARGS, CONNECTION_OPTIONS, WAIT_ARGS, expected_statuses, make_client, settle)

from testkit import TOKEN
from testkit.fakes import Answer, fake_client


def options(emu=None, **overrides):
    """The options of a task with every default; the shared request budget off (it runs on real time)."""
    opts = dict((name, spec.get('default')) for name, spec in dict(CONNECTION_ARGS, **WAIT_ARGS).items())
    opts.update(token=TOKEN, api_url=emu.url if emu else DEFAULT_API_URL, rate_limit=0)
    opts.update(overrides)
    return opts


@pytest.fixture
def client_for(clock):
    """``client_for(opts)``: ``make_client(opts)`` on the fake clock: no test here waits in real time."""
    return lambda opts: make_client(opts, clock=clock, sleep=clock.sleep)


def test_connection_args_env_fallback_and_no_log():
    assert CONNECTION_ARGS['token']['no_log'] is True and CONNECTION_ARGS['rate_limit_store']['no_log'] is True
    assert not any(spec['no_log'] for name, spec in CONNECTION_ARGS.items() if name not in ('token', 'rate_limit_store'))
    assert CONNECTION_ARGS['api_url']['default'] == 'https://v1.api.altostrat.io'
    envs = dict((name, spec['fallback'][1][0]) for name, spec in CONNECTION_ARGS.items())
    assert envs == {'api_url': 'ALTOSTRAT_API_URL', 'token': 'ALTOSTRAT_TOKEN', 'validate_certs': 'ALTOSTRAT_VALIDATE_CERTS',
                    'ca_path': 'ALTOSTRAT_CA_PATH', 'request_timeout': 'ALTOSTRAT_REQUEST_TIMEOUT',
                    'http_retries': 'ALTOSTRAT_HTTP_RETRIES', 'rate_limit': 'ALTOSTRAT_RATE_LIMIT',
                    'rate_limit_store': 'ALTOSTRAT_RATE_LIMIT_STORE'}
    assert set(CONNECTION_OPTIONS) == set(CONNECTION_ARGS)


def test_wait_args_defaults():
    assert WAIT_ARGS['wait']['default'] is False
    assert WAIT_ARGS['wait_timeout']['default'] == 3600.0
    assert WAIT_ARGS['on_interaction']['choices'] == ['stop', 'wait', 'fail']
    assert WAIT_ARGS['logs']['choices'] == ['all', 'errors', 'none'] and WAIT_ARGS['logs']['default'] == 'all'


def test_make_client_maps_options(tmp_path):
    warnings = []
    ca = tmp_path / 'ca.pem'
    ca.write_text('x')
    client = make_client(options(api_url='http://127.0.0.1:1/', request_timeout=7.5, http_retries=2, ca_path=str(ca),
                                 rate_limit=30, wait_timeout=100), warn=warnings.append)
    assert client.api_url == 'http://127.0.0.1:1'
    assert client.transport.request_timeout == 7.5 and client.retrier.http_retries == 2
    assert client.budget.per_minute == 30
    assert 99 < client.deadline - client.clock() <= 100
    assert client.session.verify == str(ca)
    assert warnings == []
    client = make_client(options(api_url='http://127.0.0.1:1', validate_certs=False), warn=warnings.append)
    assert client.session.verify is False
    assert warnings == ['validate_certs is false: the TLS certificate of http://127.0.0.1:1 is not verified.']


def test_negative_rate_limit_refused():
    with pytest.raises(AltostratInputError, match='rate_limit must be 0 .off. or a number of requests a minute, got -1'):
        make_client(options(rate_limit=-1))


def test_make_client_without_token():
    with pytest.raises(AltostratInputError, match='No API token: set the token option or the ALTOSTRAT_TOKEN'):
        make_client(options(token=None))


def test_settle_fetch_trims_logs(emulator, client_for):
    client = client_for(options(emulator))
    runs, elapsed = settle(client, ['fl_run_failed', 'fl_run_completed'], options(emulator, logs='errors'))
    assert elapsed == 0.0
    assert [r['id'] for r in runs] == ['fl_run_failed', 'fl_run_completed']
    assert [e['node_id'] for e in runs[0]['logs']] == ['n2'] and runs[1]['logs'] == []
    assert runs[0]['trigger_payload'] == {'env': 'staging'}


def test_settle_known_runs_not_fetched(emulator, client_for):
    client = client_for(options(emulator))
    known = {'fl_run_x': {'id': 'fl_run_x', 'status': 'pending', 'logs': [{'status': 'success'}]}}
    runs, _unused = settle(client, ['fl_run_x'], options(emulator, logs='none'), known=known)
    assert runs == [{'id': 'fl_run_x', 'status': 'pending', 'logs': []}]
    assert emulator.count() == 0


def test_settle_expected_status_error_keeps_trimmed_run(emulator, client_for):
    client = client_for(options(emulator))
    with pytest.raises(AltostratRunError) as info:
        settle(client, ['fl_run_failed'], options(emulator, expected_status=['completed'], logs='errors'))
    exc = info.value
    assert exc.run['id'] == 'fl_run_failed'
    assert [e['node_id'] for e in exc.run['logs']] == ['n2']
    assert 'Webhook request failed: 503 Service Unavailable' in str(exc)
    assert str(exc).endswith('; failed steps: node n2 output {"body":{"message":"Service Unavailable"},"status":503}.')


def test_settle_wait_uses_waiter(emulator, client_for, clock):
    opts = options(emulator, wait=True, wait_timeout=3, poll_interval=1, logs='none')
    client = client_for(opts)
    with pytest.raises(AltostratTimeoutError) as info:
        settle(client, ['fl_run_forever'], opts)
    assert info.value.run['status'] == 'running' and info.value.run['logs'] == []
    assert clock.sleeps == pytest.approx([1.0, 1.0, 1.0])
    assert emulator.count() == 4


def test_settle_wait_on_interaction(emulator, client_for):
    client = client_for(options(emulator))
    runs, _unused = settle(client, ['fl_run_awaiting'], options(emulator, wait=True, expected_status=['any']))
    assert runs[0]['status'] == 'awaiting_ui_interaction'
    with pytest.raises(AltostratRunError, match='^Expected status completed, but run fl_run_awaiting is awaiting_ui'):
        settle(client, ['fl_run_awaiting'], options(emulator, wait=True))  # stopped for a person: closed by default
    with pytest.raises(AltostratRunError, match='on_interaction=fail'):
        settle(client, ['fl_run_awaiting'], options(emulator, wait=True, on_interaction='fail'))
    with pytest.raises(AltostratRunError, match='^Expected status completed, but run fl_run_awaiting'):
        settle(client, ['fl_run_awaiting'], options(emulator, wait=True, expected_status=['completed']))


def test_settle_api_error_without_run_propagates(emulator, client_for):
    client = client_for(options(emulator))
    with pytest.raises(AltostratAPIError) as info:
        settle(client, ['fl_run_nope'], options(emulator, logs='errors'))
    assert info.value.status == 404 and info.value.run is None


@pytest.mark.parametrize('wait', [False, True])
@pytest.mark.parametrize('bad', ['fl_run_a/../b', 'fl_run_%2e', {'id': 'fl_run_a'}], ids=repr)
def test_one_bad_id_among_good_ones_sends_nothing(bad, wait, clock):
    """query(..., good_id, bad_id): refused before any request, not even one for the good id."""
    client = fake_client([Answer(200, {'id': 'fl_run_good', 'status': 'completed', 'logs': []})], clock=clock)
    with pytest.raises(AltostratInputError, match='^Invalid run id'):
        settle(client, ['fl_run_good', bad], options(wait=wait))
    assert client.adapter.sent == []


@pytest.mark.parametrize('wait, given, expected', [
    (True, None, ['completed']), (False, None, None), (True, ['any'], None), (False, ['failed'], ['failed']),
    (True, ['completed', 'failed'], ['completed', 'failed']),
])
def test_expected_statuses_fail_closed_after_a_wait(wait, given, expected):
    assert expected_statuses(options(wait=wait, expected_status=given)) == expected


@pytest.mark.parametrize('given, words', [
    (['complete'], "holds 'complete', which is not a run status (did you mean 'completed'?)"),
    (['completed', 'sucess'], "holds 'sucess', which is not a run status; use pending"),
    ([], 'must be a list of run statuses'),
])
def test_expected_status_typos_refused_before_the_client_exists(given, words):
    with pytest.raises(AltostratInputError) as info:
        make_client(options(expected_status=given))
    assert words in str(info.value) and '\n' not in str(info.value)


def test_rate_limit_above_the_bound_refused_before_any_request(emulator):
    with pytest.raises(AltostratInputError, match=r'^rate_limit must be 0 \(off\) or a number of requests a minute up to 1000, got 3000000\.$'):
        make_client(options(emulator, rate_limit=3000000))
    assert emulator.count() == 0


def test_rate_limit_store_makes_the_budget_shared_through_it(emulator, redis_server):
    client = make_client(options(emulator, rate_limit=60, rate_limit_store=redis_server.url))
    client.get_run('fl_run_completed')
    (slots,) = [key for key in redis_server.client().keys('*') if key.endswith(b':slots')]
    assert redis_server.client().zcard(slots) == 1
    assert client.budget.path is None  # not this machine's file


def test_rate_limit_store_not_a_redis_url_refused_before_any_request(emulator):
    with pytest.raises(AltostratInputError, match=r'^rate_limit_store must be a redis:// or rediss:// URL'):
        make_client(options(emulator, rate_limit=60, rate_limit_store='https://:pw@cache:6379'))
    assert emulator.count() == 0
