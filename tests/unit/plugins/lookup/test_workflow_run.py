"""The workflow_run lookup, loaded through Ansible's plugin loader."""

import sys

import pytest

from ansible.errors import AnsibleLookupError
from ansible.plugins.loader import lookup_loader

from testkit import SENTINEL, TOKEN


class RecordingDisplay:
    def __init__(self):
        self.warnings, self.verbose = [], []

    def warning(self, msg, *args, **kwargs):
        self.warnings.append(msg)

    def v(self, msg, *args, **kwargs):
        self.verbose.append(msg)

    vvv = v


@pytest.fixture
def lookup(monkeypatch):
    plugin = lookup_loader.get('altostrat.cloud.workflow_run')
    assert plugin is not None, 'the collection loader did not find altostrat.cloud.workflow_run'
    display = RecordingDisplay()
    monkeypatch.setattr(sys.modules[type(plugin).__module__], 'display', display)
    plugin.display_recorder = display
    return plugin


def test_loaded_by_fqcn(lookup):
    assert lookup.ansible_name == 'altostrat.cloud.workflow_run'
    assert type(lookup).__module__ == 'ansible_collections.altostrat.cloud.plugins.lookup.workflow_run'


def test_options_from_kwargs(emulator, lookup):
    runs = lookup.run(['fl_run_failed', 'fl_run_completed', 'fl_run_failed'], {}, api_url=emulator.url, token=TOKEN)
    assert [r['id'] for r in runs] == ['fl_run_failed', 'fl_run_completed', 'fl_run_failed']
    assert runs[0]['error_message'] == 'Webhook request failed: 503 Service Unavailable'
    assert [e['status'] for e in runs[0]['logs']] == ['success', 'success', 'error']
    assert runs[1]['trigger_payload'] == {'env': 'prod'}
    assert emulator.count() == 2  # the duplicate is fetched once
    assert {r['authorization'] for r in emulator.requests} == {'Bearer ' + TOKEN}


def test_options_from_variables(emulator, lookup):
    runs = lookup.run(['fl_run_completed'], {'altostrat_api_url': emulator.url, 'altostrat_token': TOKEN,
                                             'altostrat_http_retries': 0})
    assert runs[0]['status'] == 'completed'
    assert lookup.get_option('http_retries') == 0


def test_options_from_env(emulator, lookup, monkeypatch):
    monkeypatch.setenv('ALTOSTRAT_API_URL', emulator.url)
    monkeypatch.setenv('ALTOSTRAT_TOKEN', TOKEN)
    monkeypatch.setenv('ALTOSTRAT_REQUEST_TIMEOUT', '12.5')
    runs = lookup.run(['fl_run_completed'], {})
    assert runs[0]['id'] == 'fl_run_completed'
    assert lookup.get_option('request_timeout') == 12.5


@pytest.mark.parametrize('where', ['variable', 'env'])
def test_rate_limit_store_from_a_variable_or_the_env(emulator, lookup, monkeypatch, redis_server, where):
    variables = {'altostrat_api_url': emulator.url, 'altostrat_token': TOKEN}
    if where == 'env':
        monkeypatch.setenv('ALTOSTRAT_RATE_LIMIT_STORE', redis_server.url)
    else:
        variables['altostrat_rate_limit_store'] = redis_server.url
    assert lookup.run(['fl_run_completed', 'fl_run_failed'], variables)[0]['status'] == 'completed'
    (slots,) = [key for key in redis_server.client().keys('*') if key.endswith(b':slots')]
    assert redis_server.client().zcard(slots) == 2
    assert lookup.display_recorder.warnings == []


def test_precedence_kwargs_then_variables_then_env(emulator, lookup, monkeypatch):
    monkeypatch.setenv('ALTOSTRAT_API_URL', 'http://127.0.0.1:9')
    monkeypatch.setenv('ALTOSTRAT_TOKEN', 'env-token')
    variables = {'altostrat_api_url': emulator.url, 'altostrat_token': 'var-token'}
    runs = lookup.run(['fl_run_completed'], variables, token=TOKEN)
    assert runs[0]['status'] == 'completed'
    assert [r['authorization'] for r in emulator.requests] == ['Bearer ' + TOKEN]


def test_defaults(lookup, emulator):
    lookup.run(['fl_run_completed'], {}, api_url=emulator.url, token=TOKEN)
    assert lookup.get_option('wait') is False
    assert lookup.get_option('logs') == 'all'
    assert lookup.get_option('http_retries') == 5
    assert lookup.get_option('validate_certs') is True


def test_logs_and_expected_status(emulator, lookup):
    runs = lookup.run(['fl_run_completed_warn', 'fl_run_failed'], {}, api_url=emulator.url, token=TOKEN, logs='errors',
                      expected_status=['completed', 'failed'])
    assert [[e['node_id'] for e in r['logs']] for r in runs] == [['n1'], ['n2']]


def test_wait_on_several_runs(emulator, lookup):
    emulator.add_runs([{'id': 'fl_run_q1', 'workflow_id': 'fl_wf_main', 'pending_for': 0.05, 'duration': 0.2},
                       {'id': 'fl_run_q2', 'workflow_id': 'fl_wf_main', 'pending_for': 0.05, 'duration': 0.3,
                        'status': 'failed', 'failed_steps': [0], 'steps': 1}])
    runs = lookup.run(['fl_run_q1', 'fl_run_q2', 'fl_run_completed'], {}, api_url=emulator.url, token=TOKEN,
                      wait=True, poll_interval=0.1, max_poll_interval=0.1, wait_timeout=10, expected_status=['any'])
    assert [r['status'] for r in runs] == ['completed', 'failed', 'completed']
    assert emulator.count(path='/workflows/runs/fl_run_completed') == 1
    assert lookup.display_recorder.verbose[-1].startswith('altostrat.cloud.workflow_run: 3 run(s) in ')


def test_error_is_lookup_error_one_line_no_token(emulator_factory, lookup):
    emu = emulator_factory({'tokens': ['someone-else'], 'runs': [{'id': 'fl_run_a', 'workflow_id': 'fl_wf', 'finished': True}]})
    with pytest.raises(AnsibleLookupError) as info:
        lookup.run(['fl_run_a'], {}, api_url=emu.url, token=SENTINEL)
    msg = str(info.value)
    assert msg.startswith('altostrat.cloud.workflow_run: GET /workflows/runs/fl_run_a failed: HTTP 401 Unauthorized')
    assert '\n' not in msg and SENTINEL not in msg
    assert info.value.__cause__ is None and info.value.__suppress_context__ is True
    assert emu.count() == 1


def test_expected_status_error(emulator, lookup):
    with pytest.raises(AnsibleLookupError) as info:
        lookup.run(['fl_run_completed', 'fl_run_failed'], {}, api_url=emulator.url, token=TOKEN,
                   expected_status=['completed'])
    assert str(info.value).startswith('altostrat.cloud.workflow_run: Expected status completed, but run fl_run_failed is failed: '
                                      'Webhook request failed: 503 Service Unavailable')
    assert 'fl_run_completed' not in str(info.value)


BAD_TERMS = ['fl_run_x/../../admin', 'fl_run_%2e', 'fl_run_a?b', 'fl_run_a#b', 'fl_run_a b', '', 'x' * 500, 7]


@pytest.mark.parametrize('term', BAD_TERMS)
def test_bad_id_no_request(term, emulator, lookup):
    with pytest.raises(AnsibleLookupError) as info:
        lookup.run([term], {}, api_url=emulator.url, token=TOKEN)
    assert str(info.value).startswith('altostrat.cloud.workflow_run: Invalid run id')
    assert emulator.count() == 0


@pytest.mark.parametrize('wait', [False, True])
def test_bad_id_among_good_ones_no_request(wait, emulator, lookup):
    with pytest.raises(AnsibleLookupError) as info:
        lookup.run(['fl_run_completed', 'fl_run_x/../../admin'], {}, api_url=emulator.url, token=TOKEN, wait=wait)
    assert str(info.value).startswith('altostrat.cloud.workflow_run: Invalid run id')
    assert emulator.count() == 0


def test_timeout_error(emulator, lookup):
    with pytest.raises(AnsibleLookupError) as info:
        lookup.run(['fl_run_forever'], {}, api_url=emulator.url, token=TOKEN, wait=True, wait_timeout=0.2,
                   poll_interval=0.1)
    assert 'Wait timed out after' in str(info.value) and 'on run fl_run_forever (running).' in str(info.value)


def test_no_token(emulator, lookup):
    with pytest.raises(AnsibleLookupError, match='No API token'):
        lookup.run(['fl_run_completed'], {}, api_url=emulator.url)


def test_retry_warnings_go_to_display(emulator, lookup):
    emulator.add_faults([{'kind': 'status', 'status': 503, 'retry_after': 0, 'path': '/workflows/runs/fl_run_completed'}])
    runs = lookup.run(['fl_run_completed'], {}, api_url=emulator.url, token=TOKEN)
    assert runs[0]['status'] == 'completed'
    warnings = lookup.display_recorder.warnings
    assert len(warnings) == 2 and 'HTTP 503' in warnings[0] and 'answers again' in warnings[1]


def test_bad_api_url_no_secret(lookup):
    with pytest.raises(AnsibleLookupError) as info:
        lookup.run(['fl_run_completed'], {}, api_url='https://u:s3cr3t@example.invalid', token=TOKEN)
    assert 'must not carry credentials' in str(info.value) and 's3cr3t' not in str(info.value)


def test_no_terms_gives_empty_list(emulator, lookup):
    assert lookup.run([], {}, api_url=emulator.url, token=TOKEN) == []
    assert emulator.count() == 0


def test_no_terms_with_wait_gives_empty_list(emulator, lookup):
    assert lookup.run([], {}, api_url=emulator.url, token=TOKEN, wait=True, wait_timeout=30) == []
    assert emulator.count() == 0


def test_token_with_newline_echoed_by_the_server_is_not_shown(emulator_factory, lookup):
    """The token as read from a file (with its line break), and an API that echoes it back in its message."""
    echo = {'kind': 'status', 'status': 401, 'path': '/workflows/runs/fl_run_a', 'times': None,
            'body': {'type': 'invalid_request_error', 'code': 'unauthenticated', 'message': 'Invalid token %s\n' % SENTINEL}}
    emu = emulator_factory({'tokens': ['someone-else'], 'runs': [{'id': 'fl_run_a', 'workflow_id': 'fl_wf', 'finished': True}],
                            'faults': [echo]})
    with pytest.raises(AnsibleLookupError) as info:
        lookup.run(['fl_run_a'], {}, api_url=emu.url, token=SENTINEL + '\n')
    msg = str(info.value)
    assert emu.requests[0]['authorization'] == 'Bearer ' + SENTINEL and emu.requests[0]['fault'] == 'status'
    assert 'HTTP 401' in msg and 'Invalid token ******** (unauthenticated)' in msg, msg
    assert SENTINEL not in msg and '\n' not in msg


# ---- fail closed: a failed run, a misspelt option or status never opens a gate ------------------------

def test_wait_fails_closed_on_a_failed_run_by_default(emulator, lookup):
    with pytest.raises(AnsibleLookupError) as info:
        lookup.run(['fl_run_failed'], {}, api_url=emulator.url, token=TOKEN, wait=True, wait_timeout=30)
    assert str(info.value).startswith('altostrat.cloud.workflow_run: Expected status completed, but run fl_run_failed is failed')


def test_read_without_wait_asserts_nothing(emulator, lookup):
    assert lookup.run(['fl_run_failed'], {}, api_url=emulator.url, token=TOKEN)[0]['status'] == 'failed'


@pytest.mark.parametrize('name, hint', [('expected_staus', 'expected_status'), ('wiat', 'wait'), ('tokne', 'token'),
                                        ('zzz', None)])
def test_unknown_keyword_refused_naming_the_closest(name, hint, emulator, lookup):
    with pytest.raises(AnsibleLookupError) as info:
        lookup.run(['fl_run_failed'], {}, api_url=emulator.url, token=TOKEN, **{name: True})
    msg = str(info.value)
    assert msg.startswith("altostrat.cloud.workflow_run: unknown option '%s'" % name) and '\n' not in msg
    assert ("did you mean '%s'?" % hint in msg) if hint else 'did you mean' not in msg
    assert emulator.count() == 0


def test_misspelt_status_refused_before_any_request(emulator, lookup):
    with pytest.raises(AnsibleLookupError) as info:
        lookup.run(['fl_run_failed'], {}, api_url=emulator.url, token=TOKEN, wait=True, wait_timeout=30,
                   expected_status=['complete'])
    assert "expected_status holds 'complete', which is not a run status (did you mean 'completed'?)" in str(info.value)
    assert emulator.count() == 0
