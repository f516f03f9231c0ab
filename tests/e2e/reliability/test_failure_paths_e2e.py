"""Failure paths end to end: ONE real ``ansible-playbook -vvvv`` run reads many runs with the module and the
lookup, each case hitting another failure path of the emulator (HTTP errors, bad bodies, a hung server, TLS, DNS,
a refused port, a cross-host redirect, bad ids, a token in api_url, a server echoing the token), with ``HOME``
holding a ``.netrc`` for the emulator's host. Then:

* every failure is one clear line naming method, path and status (module ``msg`` and lookup error);
* the sentinel token appears nowhere: results, warnings, messages, the whole -vvvv output;
* bad ids never reach the emulator; TLS fails clearly without retry unless trusted.
"""

import json
import socket

import pytest

from e2e.reliability.plays import count_connections, run_play, scenario
from testkit import SENTINEL

PATH = '/workflows/runs/'
BAD_IDS = {'bad_slash': 'fl_run_a/../b', 'bad_dots': '..', 'bad_pct': 'fl_run_%2e%2e', 'bad_query': 'fl_run_a?x=1',
           'bad_hash': 'fl_run_a#b', 'bad_space': 'fl_run_a b', 'bad_empty': '', 'bad_long': 'fl_run_' + 'a' * 300}
NO_RETRY = {'http_retries': 0}
URL_SECRET = 'UrLsEcReT-0b5e55ed-99'  # a token pasted into api_url (the test's own input is echoed by Ansible)
MODULE_TOO = ('bad_slash', 'bad_empty', 'bad_long', 'url_userinfo', 'url_query')


@pytest.fixture(scope='module')
def world(module_emulators, tls_ca, tmp_path_factory):
    other = module_emulators(scenario('fl_run_predirect'))
    faults = [
        {'kind': 'status', 'status': 401}, {'kind': 'status', 'status': 403}, {'kind': 'status', 'status': 500},
        {'kind': 'status', 'status': 503}, {'kind': 'html'}, {'kind': 'not_json'}, {'kind': 'truncated'},
        {'kind': 'big', 'size': 70 * 1024 * 1024},
        {'kind': 'wrong_shape', 'body': {'id': 'fl_run_pshape1', 'logs': []}},
        {'kind': 'wrong_shape', 'body': {'id': 'fl_run_pshape2', 'status': 'running', 'logs': 'nope'}},
        {'kind': 'hang'},
        {'kind': 'status', 'status': 401, 'body': {'type': 'invalid_request_error', 'code': 'unauthenticated',
                                                   'message': 'Invalid token Bearer %s' % SENTINEL}},
        # bytes: sent as they are (a str body would go out JSON-encoded, and the page would not be HTML)
        {'kind': 'html', 'body': ('<html><pre>Authorization: Bearer %s</pre>502</html>' % SENTINEL).encode()},
        {'kind': 'redirect', 'location': other.url + PATH + 'fl_run_predirect'},
    ]
    names = ['p401', 'p403', 'p500', 'p503', 'phtml', 'pnotjson', 'ptrunc', 'pbig', 'pshape1', 'pshape2',
             'ptimeout', 'p401echo', 'phtmlecho', 'predirect']
    for name, fault in zip(names, faults):
        fault.update(method='GET', path=PATH + 'fl_run_' + name, times=None)
    main = module_emulators(scenario('fl_run_ok', *['fl_run_' + n for n in names], faults=faults))
    secure = module_emulators(scenario('fl_run_tls'), tls_cert=tls_ca['cert'], tls_key=tls_ca['key'])
    handshakes = count_connections(secure)
    probe = socket.socket()
    probe.bind(('127.0.0.1', 0))
    closed = 'http://127.0.0.1:%d' % probe.getsockname()[1]
    probe.close()
    host_port = main.url.split('://', 1)[1]

    cases = [{'name': 'ok', 'run_id': 'fl_run_ok'}]
    cases += [{'name': n, 'run_id': 'fl_run_' + n, 'args': NO_RETRY} for n in names if n not in ('p500', 'p503', 'ptimeout')]
    cases += [{'name': n, 'run_id': 'fl_run_' + n, 'args': {'http_retries': 1}} for n in ('p500', 'p503')]
    cases += [
        {'name': 'p404', 'run_id': 'fl_run_p404', 'args': NO_RETRY},
        {'name': 'ptimeout', 'run_id': 'fl_run_ptimeout', 'args': {'http_retries': 0, 'request_timeout': 1}},
        {'name': 'dns', 'run_id': 'fl_run_ok', 'args': {'api_url': 'https://altostrat.invalid', 'http_retries': 1}},
        {'name': 'refused', 'run_id': 'fl_run_ok', 'args': {'api_url': closed, 'http_retries': 1}},
        {'name': 'tls_default', 'run_id': 'fl_run_tls', 'args': {'api_url': secure.url, 'http_retries': 3}},
        {'name': 'tls_ca', 'run_id': 'fl_run_tls', 'args': {'api_url': secure.url, 'ca_path': tls_ca['ca']}},
        {'name': 'tls_off', 'run_id': 'fl_run_tls', 'args': {'api_url': secure.url, 'validate_certs': False}},
        {'name': 'url_userinfo', 'run_id': 'fl_run_ok', 'args': {'api_url': 'http://u:%s@%s' % (URL_SECRET, host_port)}},
        {'name': 'url_user', 'run_id': 'fl_run_ok', 'args': {'api_url': 'http://%s@%s' % (URL_SECRET, host_port)}},
        {'name': 'url_query', 'run_id': 'fl_run_ok', 'args': {'api_url': '%s/?token=%s' % (main.url, URL_SECRET)}},
        {'name': 'url_fragment', 'run_id': 'fl_run_ok', 'args': {'api_url': '%s/#%s' % (main.url, URL_SECRET)}},
    ]
    cases += [{'name': name, 'run_id': value, 'args': NO_RETRY} for name, value in BAD_IDS.items()]
    for case in cases:
        if case['name'].startswith(('bad_', 'url_')) and case['name'] not in MODULE_TOO:
            case['module'] = False
    cases.append({'name': 'bad_among_good', 'run_id': 'fl_run_ok', 'module': False,
                  'ids': ['fl_run_ok', 'fl_run_a/../b']})
    netrc = 'machine 127.0.0.1\n  login netrc-user\n  password netrc-password\n' \
            'machine localhost\n  login netrc-user\n  password netrc-password\n'
    played = run_play(tmp_path_factory.mktemp('paths'), 'cases.yml', main.url, extra_vars={'cases': cases},
                      verbosity=4, home_files={'.netrc': netrc})
    assert played.rc == 0, played
    results = played['result']
    module = {r['item']['name']: r for r in results['module']}
    lookup = {r['item']['name']: r for r in results['lookup']}
    played.module, played.lookup = module, lookup
    played.main, played.other, played.secure, played.handshakes = main, other, secure, handshakes
    played.cases = cases
    played.raw_results = json.dumps(results)
    return played


def _both(world, name):
    return [r for r in (world.module.get(name), world.lookup[name]) if r is not None]


def _no_traceback(result):
    assert 'module_stderr' not in result and 'Traceback (most recent' not in str(result.get('exception', ''))


# ---- bad responses ----------------------------------------------------------------------------

@pytest.mark.parametrize('name, status, what', [
    ('p401', 401, 'Check the token'), ('p403', 403, 'Injected fault 403'), ('p404', 404, 'not found'),
    ('p500', 500, 'Server Error'), ('p503', 503, 'Server Error'),
    ('phtml', 502, 'not JSON (text/html)'), ('pnotjson', 200, 'not JSON'), ('ptrunc', 200, 'cut off'),
    ('pbig', 200, 'larger than 16 MiB'),
])
def test_e2e_bad_response_is_one_clear_line(world, name, status, what):
    for result in _both(world, name):
        assert result['failed'], result
        msg = result['msg']
        # the module's msg is the line; the lookup's error is Ansible's words around the plugin's own line
        line = msg if result is world.module[name] else msg[msg.index('altostrat.cloud.workflow_run: GET '):]
        assert line.startswith(('GET /workflows/runs/fl_run_%s' % name, 'altostrat.cloud.workflow_run: GET /workflows/runs/fl_run_%s' % name)), msg
        assert 'HTTP %d' % status in line and what in line, msg
        assert '\n' not in line and 'Traceback' not in msg, msg
        assert "(('" not in line and line.count('IncompleteRead') <= 1, msg  # a readable reason, not a repr
        _no_traceback(result)


def test_e2e_lookup_error_is_the_same_line_as_the_module_msg(world):
    for name in ('p401', 'p403', 'p404', 'phtml', 'pnotjson', 'pbig', 'pshape1', 'pshape2'):
        module, lookup = _both(world, name)
        assert 'altostrat.cloud.workflow_run: ' + module['msg'] in lookup['msg'], (module['msg'], lookup['msg'])


@pytest.mark.parametrize('name, what', [('pshape1', 'no "status"'), ('pshape2', '"logs" that is not a list')])
def test_e2e_wrong_shape_names_what_is_wrong(world, name, what):
    for result in _both(world, name):
        assert result['failed'] and 'GET /workflows/runs/fl_run_%s' % name in result['msg'] and what in result['msg']


def test_e2e_hung_server_is_one_clear_line(world):
    for result in _both(world, 'ptimeout'):
        assert 'GET /workflows/runs/fl_run_ptimeout failed: no answer within request_timeout=1s' in result['msg']


def test_e2e_no_module_crashed(world):
    assert 'MODULE FAILURE' not in world.output
    for result in world.module.values():
        _no_traceback(result)


def test_e2e_trouble_is_warned_once(world):
    for name in ('p500', 'p503'):
        # told once when requests start failing (Ansible prints a warning text once per run, so module and
        # lookup may share one line); the API never answered again, so no second warning
        warned = world.warnings('GET /workflows/runs/fl_run_%s failed: HTTP' % name)
        assert 1 <= len(warned) <= 2 and all('The Altostrat API is failing' in line for line in warned), warned
        assert world.main.count(path=PATH + 'fl_run_' + name) == 4  # (1 + 1 retry) x (module, lookup)


# ---- bad ids never reach the API ---------------------------------------------------------------

@pytest.mark.parametrize('name', sorted(BAD_IDS))
def test_e2e_bad_id_is_refused_before_any_request(world, name):
    for result in _both(world, name):
        assert result['failed'] and 'Invalid run id' in result['msg'], result
        assert BAD_IDS[name][:40] in result['msg'] or not BAD_IDS[name].strip(), result['msg']  # it names the id
    good = {PATH + case['run_id'] for case in world.cases if case['run_id'] not in BAD_IDS.values()}
    assert {r['path'] for r in world.main.requests} <= good


def test_e2e_bad_id_among_good_ones_is_refused_before_any_request(world):
    assert world.lookup['bad_among_good']['failed']
    seen = [(r['path'], r['time']) for r in world.main.requests if r['path'] == PATH + 'fl_run_ok']
    assert len(seen) == 2, 'only the ok case (module, lookup) may read fl_run_ok: %r' % seen


# ---- secrets ------------------------------------------------------------------------------------

def test_e2e_sentinel_token_never_printed_or_returned(world):
    """On every failure path, the two where the server itself echoes the token included, at -vvvv."""
    assert 'ansible-playbook' in world.output and SENTINEL not in world.output  # -vvvv really printed its banner
    for name, result in list(world.module.items()) + list(world.lookup.items()):
        assert SENTINEL not in json.dumps(result), name


def test_e2e_token_pasted_into_api_url_is_never_echoed_by_the_collection(world):
    for name in ('url_userinfo', 'url_user', 'url_query', 'url_fragment'):
        for result in _both(world, name):
            assert URL_SECRET not in result['msg'], result['msg']
    assert not world.warnings(URL_SECRET)


def test_e2e_netrc_never_replaces_the_bearer_token(world):
    seen = {r['authorization'] for r in world.main.requests}
    assert seen == {'Bearer ' + SENTINEL}, seen


def test_e2e_redirect_to_another_host_is_not_followed(world):
    assert world.main.count(path=PATH + 'fl_run_predirect') == 2  # one request a task: not retried either
    assert world.other.requests == []  # the other origin never hears of the token, nor of the request
    for result in _both(world, 'predirect'):
        assert result['failed'] and 'HTTP 302 redirect to http://127.0.0.1:' in result['msg'], result['msg']
        assert 'another origin than api_url' in result['msg']


@pytest.mark.parametrize('name', ['url_userinfo', 'url_user', 'url_query', 'url_fragment'])
def test_e2e_token_in_api_url_is_refused(world, name):
    for result in _both(world, name):
        assert result['failed'] and 'api_url must not carry' in result['msg'], result


def test_e2e_token_echoed_by_the_server_is_not_shown(world):
    """A proxy or API that echoes the Authorization header back: masked, by the lookup too."""
    for name in ('p401echo', 'phtmlecho'):
        for result in _both(world, name):
            assert result['failed'] and '********' in result['msg'] and SENTINEL not in result['msg'], result['msg']


# ---- TLS, DNS, refused ---------------------------------------------------------------------------

def test_e2e_self_signed_certificate_fails_clearly_without_retry(world):
    for result in _both(world, 'tls_default'):
        assert result['failed'] and 'TLS error' in result['msg'] and 'ca_path' in result['msg'], result
        assert 'CERTIFICATE_VERIFY_FAILED' in result['msg'] or 'certificate verify failed' in result['msg']
    assert not world.warnings('TLS error'), 'a certificate error is never retried'


def test_e2e_ca_path_trusts_the_emulator(world):
    for result in _both(world, 'tls_ca'):
        assert not result.get('failed'), result
    assert world.module['tls_ca']['run']['status'] == 'completed'


def test_e2e_validate_certs_false_succeeds_with_a_warning(world):
    for result in _both(world, 'tls_off'):
        assert not result.get('failed'), result
    assert world.warnings('validate_certs is false')


def test_e2e_tls_attempts_are_counted(world):
    # tls_default: one handshake each for module and lookup (no retry, although http_retries=3);
    # tls_ca and tls_off: one connection each for module and lookup.
    assert len(world.handshakes) == 2 + 2 + 2, world.handshakes
    assert world.secure.count() == 4


def test_e2e_dns_and_refused_are_clear(world):
    for result in _both(world, 'dns'):  # a typo until proven otherwise: named, and not retried
        assert result['failed'] and 'GET /workflows/runs/fl_run_ok failed: the host of api_url altostrat.invalid ' \
            'does not resolve' in result['msg'] and result['msg'].endswith('; check api_url.'), result['msg']
    assert not world.warnings('altostrat.invalid')
    for result in _both(world, 'refused'):  # retried (http_retries=1), then named
        assert result['failed'] and 'GET /workflows/runs/fl_run_ok failed: could not reach http://127.0.0.1:' in result['msg']
