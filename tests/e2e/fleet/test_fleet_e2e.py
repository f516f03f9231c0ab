"""A fleet under one token, against the emulator with the API's limit of 60 requests a minute on.

Every host is its own fork (its own module process); they all spend from the one request budget of
the controller, so every gate passes and the API never has to answer 429. Two machines (two
``ansible-playbook`` processes with homes and temp dirs of their own) do the same when they name one
``rate_limit_store`` (a real redis-server); without one, the API's answers keep them in step.
"""

import os

import pytest

from e2e.checks import PLAYBOOKS
from testkit import TOKEN


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


def run_machines(emu, tmp_path, sites, store=None):
    """Two ``ansible-playbook`` processes as two machines (each its own HOME, TMPDIR and XDG_RUNTIME_DIR, so its own
    budget directory), at once, each gating ``sites`` sites per host on one token; ``store``: a rate_limit_store."""
    import threading
    from testkit import playbook
    results = {}

    def machine(name):
        runtime = tmp_path / ('runtime-' + name)
        (tmp_path / ('tmp-' + name)).mkdir()
        runtime.mkdir(mode=0o700)
        env = {'ALTOSTRAT_API_URL': emu.url, 'ALTOSTRAT_TOKEN': TOKEN, 'TMPDIR': str(tmp_path / ('tmp-' + name)),
               'XDG_RUNTIME_DIR': str(runtime), 'ALTOSTRAT_RATE_LIMIT_STORE': store}
        results[name] = playbook.run_playbook(tmp_path / name, os.path.join(PLAYBOOKS, 'fleet_gate.yml'),
                                              extra_vars={'sites': sites, 'mode': 'per_host'}, env=env,
                                              cfg_sections={'defaults': {'forks': sites}}, timeout=400)

    threads = [threading.Thread(target=machine, args=(name,)) for name in ('a', 'b')]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for name, res in sorted(results.items()):
        assert res.rc == 0, res.output
        assert all(res['site%03d' % i]['gate']['run']['status'] == 'completed' for i in range(sites))
    return results


def test_two_controllers_on_one_token_slow_each_other_down_instead_of_breaking(emulator_factory, tmp_path):
    """Two controllers (two budget directories), no store: the API's answers keep both in step."""
    emu = emulator_factory(SCENARIO)
    run_machines(emu, tmp_path, 15)
    assert emu.runs_created == 30
    # each budget learnt of the other controller's requests from X-RateLimit-Remaining and Retry-After: a few 429s
    # may come, and every one is waited out; none fails a gate
    assert emu.count(status=429) <= 30, emu.count(status=429)


def test_two_machines_one_store_every_gate_passes_without_a_429(emulator_factory, redis_server, tmp_path):
    """Two machines naming one rate_limit_store spend from one budget: the API's 60 a minute is never exceeded."""
    emu = emulator_factory(SCENARIO)
    results = run_machines(emu, tmp_path, 15, store=redis_server.url)
    assert emu.runs_created == 30
    assert emu.count(status=429) == 0, emu.count(status=429)
    assert emu.max_in_window(60.0) <= 60
    for name, res in results.items():
        assert res.warnings('budget') == [] and redis_server.password not in res.output
        budgets = os.path.join(str(tmp_path / ('runtime-' + name)), 'altostrat.cloud')
        assert not os.path.isdir(budgets) or os.listdir(budgets) == []  # the store kept the budget, not the machine
    assert any(key.endswith(b':slots') for key in redis_server.client().keys('*'))
