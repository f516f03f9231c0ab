"""Point the collection at the API: ``module_defaults``, environment, variables, ``ansible.cfg``; the token never
shows, at any verbosity."""

import copy

import pytest

from e2e.checks import gets
from emulator.pytest_plugin import DEFAULT_SCENARIO
from testkit import SENTINEL, TOKEN


def test_module_defaults_group_supplies_url_and_token(run_playbook, emulator):
    res = run_playbook('module_defaults.yml', expect_rc=0, connection_env=False)
    result = res['result']
    assert result['run']['id'] == 'fl_run_completed' and result['run']['status'] == 'completed'
    assert result['changed'] is False
    assert emulator.count() == 1
    assert emulator.requests[0]['auth_ok'] is True


def test_module_settings_from_environment(run_playbook, emulator):
    res = run_playbook('module_read.yml', expect_rc=0, extra_vars={'run_id': 'fl_run_completed'})
    assert res['result']['run']['status'] == 'completed'
    assert not res['result'].get('failed')
    assert emulator.count() == 1 and emulator.requests[0]['auth_ok'] is True


def test_module_without_any_settings_says_no_token(run_playbook, emulator):
    res = run_playbook('module_read.yml', expect_rc=0, connection_env=False, extra_vars={'run_id': 'fl_run_completed'})
    assert res['result']['failed'] is True
    assert 'No API token' in res['result']['msg']
    assert emulator.count() == 0


@pytest.mark.parametrize('source', ['env', 'vars', 'ini'])
def test_lookup_settings_sources(run_playbook, emulator, source):
    kwargs = {'extra_vars': {'run_id': 'fl_run_completed'}}
    if source == 'vars':
        kwargs['connection_env'] = False
        kwargs['extra_vars'].update(altostrat_api_url=emulator.url, altostrat_token=TOKEN)
    elif source == 'ini':
        kwargs['connection_env'] = False
        kwargs['cfg_sections'] = {'altostrat': {'api_url': emulator.url}}
        kwargs['extra_vars'].update(altostrat_token=TOKEN)
    res = run_playbook('lookup_one.yml', expect_rc=0, **kwargs)
    assert not res['result']['result'].get('failed'), res
    assert res['result']['run']['id'] == 'fl_run_completed'
    assert emulator.count() == 1 and emulator.requests[0]['auth_ok'] is True


def test_lookup_variables_win_over_environment(run_playbook, emulator):
    res = run_playbook('lookup_one.yml', expect_rc=0,
                       extra_env={'ALTOSTRAT_API_URL': 'http://127.0.0.1:9', 'ALTOSTRAT_TOKEN': 'wrong-token'},
                       extra_vars={'run_id': 'fl_run_completed', 'altostrat_api_url': emulator.url,
                                   'altostrat_token': TOKEN})
    assert res['result']['run']['status'] == 'completed', res
    assert emulator.count() == 1 and emulator.requests[0]['auth_ok'] is True


@pytest.mark.parametrize('run_id, fails', [('fl_run_completed', False), ('fl_run_nope', True)],
                         ids=['success', 'not-found'])
def test_token_never_printed_at_vvvv(run_playbook, emulator_factory, run_id, fails):
    scenario = copy.deepcopy(DEFAULT_SCENARIO)
    scenario['tokens'] = [SENTINEL]
    emu = emulator_factory(scenario)
    res = run_playbook('token_paths.yml', expect_rc=0, verbosity=4, emu=emu,
                       extra_env={'ALTOSTRAT_TOKEN': SENTINEL}, extra_vars={'run_id': run_id})
    assert res['failed'] == {'env': fails, 'option': fails, 'lookup': fails}
    assert SENTINEL not in res.output and SENTINEL[:10] not in res.output  # not even in part
    assert 'ansible-playbook' in res.output  # -vvvv really printed its banner
    assert gets(emu, run_id) == 3
    assert all(r['auth_ok'] for r in emu.requests)
