"""A fleet under one token, against the emulator with the API's limit of 60 requests a minute on.

Every host is its own fork (its own module process); they all spend from the one request budget of
the controller, so every gate passes and the API never has to answer 429.
"""

import os

import pytest

from testkit import TOKEN

PLAYBOOKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'playbooks')

SITES = 30
SCENARIO = {
    'tokens': [TOKEN],
    'rate_limit_per_minute': 60,
    'workflows': [{'id': 'fl_wf_site', 'run_template': {'pending_for': 0.2, 'duration': 5, 'status': 'completed',
                                                        'steps': 2}}],
}


@pytest.mark.parametrize('mode', ['per_host', 'one_task'])
def test_fleet_of_30_every_gate_passes_without_a_429(mode, run_playbook, emulator_factory):
    emu = emulator_factory(SCENARIO)
    res = run_playbook('fleet_gate.yml', emu=emu, extra_vars={'sites': SITES, 'mode': mode},
                       cfg_sections={'defaults': {'forks': SITES}}, expect_rc=0)
    sites = ['site%03d' % i for i in range(SITES)]
    gates = [res[site]['gate'] for site in sites]
    assert 'failed=0' in res.output and res.output.count('ok=') >= SITES
    assert emu.count(status=429) == 0, emu.count(status=429)
    assert emu.max_in_window(60.0) <= 60
    assert emu.runs_created == SITES  # one run a site, whatever was retried
    run_ids = [gate['run']['id'] for gate in gates]
    assert len(set(run_ids)) == SITES
    keys = [gate['idempotency_key'] for gate in gates]
    assert len(set(keys)) == SITES and all(key.endswith('-' + site) for key, site in zip(keys, sites))
    if mode == 'per_host':
        assert all(gate['run']['status'] == 'completed' and gate['changed'] for gate in gates)
    else:
        fleet = res['site000']['fleet']
        assert [run['id'] for run in fleet['runs']] == run_ids
        assert all(run['status'] == 'completed' and len(run['logs']) == 2 for run in fleet['runs'])
        reads = emu.count(method='GET')
        assert reads <= SITES * 1.5, reads  # about one read a site once the runs have ended


def test_two_controllers_on_one_token_slow_each_other_down_instead_of_breaking(emulator_factory, tmp_path):
    """Two controllers (two budget directories) share the token's 60 a minute: the API's answers keep both in step."""
    import threading
    from testkit import playbook
    emu = emulator_factory(SCENARIO)
    results = {}

    def controller(name):
        state = tmp_path / ('state-' + name)
        state.mkdir()
        env = {'ALTOSTRAT_API_URL': emu.url, 'ALTOSTRAT_TOKEN': TOKEN, 'TMPDIR': str(state), 'XDG_RUNTIME_DIR': None}
        results[name] = playbook.run_playbook(tmp_path / name, os.path.join(PLAYBOOKS, 'fleet_gate.yml'),
                                              extra_vars={'sites': 15, 'mode': 'per_host'}, env=env,
                                              cfg_sections={'defaults': {'forks': 15}}, timeout=400)

    threads = [threading.Thread(target=controller, args=(name,)) for name in ('a', 'b')]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for name, res in sorted(results.items()):
        assert res.rc == 0, res.output
        assert all(res['site%03d' % i]['gate']['run']['status'] == 'completed' for i in range(15))
    assert emu.runs_created == 30
    # each budget learnt of the other controller's requests from X-RateLimit-Remaining and Retry-After: a few 429s
    # may come, and every one is waited out; none fails a gate
    assert emu.count(status=429) <= 30, emu.count(status=429)
