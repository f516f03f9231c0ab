"""The fleet and outage scenarios (``run.py --only fleet,outage``): the rate limit and outages.

``bench_fleet``: ``sites`` hosts (forks: as many), one token, each site's run lasting the fleet
workflow's ``duration`` (``scenario.yml``), gated three ways (per-host ``workflow_run`` with wait;
per-host starts then ONE ``workflow_run_info`` on all ``run_ids``; ``uri`` + ``until``), one
repetition each (a full-size variant takes minutes).  The budget floor: each site costs at least a
start and a final read, ``2 * sites`` requests at the emulator's limit.

``bench_outage``: one run lasting ``outage_run_s``; from ``(outage_run_s - outage_s) / 2`` after
the measurement starts the emulator answers 503 to every run read for ``outage_s`` seconds (a
timed fault added as the measurement starts).  The module's gate and a ``uri`` + ``until`` gate
run side by side, at the same time, each on its own run (same timing) with its own token, through
the very same outage.
"""

import math
import re
import uuid

from harness import fmt, of_token, progress, request_figures

GATE_LINE = re.compile(r'BENCH_GATE (\S+) passed')


def passed_gates(output):
    return len(set(GATE_LINE.findall(output)))


def window_edges(records, window=60.0):
    """For each 429 answer, how long before the end of the API's window it arrived.

    The windows are the emulator's (Laravel's fixed window), rebuilt from the arrivals: one opens
    at the first request after the last one has ended.
    """
    end, edges = None, []
    for rec in sorted(records, key=lambda r: r['arrived']):
        if end is None or rec['arrived'] >= end:
            end = rec['arrived'] + window
        if rec['status'] == 429:
            edges.append(end - rec['arrived'])
    return edges


def bench_fleet(bench, sizes):
    """``sites`` hosts gated on their own run each, three ways (two with ``--quick``)."""
    sites, workflow = sizes['fleet'], sizes['fleet_workflow']
    rate = bench.emu.rate_limit
    run_s = float(bench.emu.templates[workflow]['duration'])
    floor = 2 * sites * 60.0 / rate
    # uri: polls spaced so that the fleet polls within the limit on average (sites * 60 / rate s),
    # starts retried every start_delay s, each with enough retries for several times the run.
    uri = {'poll_delay': math.ceil(sites * 60.0 / rate), 'start_delay': 10}
    uri['poll_retries'] = math.ceil(5 * (run_s + floor) / uri['poll_delay'])
    uri['start_retries'] = math.ceil(3 * floor / uri['start_delay'])
    variants = [
        ('per-host gate: workflow_run, wait: true', 'fleet_module.yml', {}),
        ('one task for the fleet: starts, then one workflow_run_info on run_ids', 'fleet_one.yml', {}),
        ('uri + until: POST (Idempotency-Key) retried, then GET until ended', 'fleet_uri.yml', dict(uri)),
    ]
    if sizes.get('skip_slow'):
        variants = variants[:2]
    inventory = bench.fleet_inventory(sites)
    rows = []
    for label, playbook, extra in variants:
        bench.emu.reset()
        token = bench.emu.token()
        extra = dict(extra, workflow_id=workflow, bench_key=str(uuid.uuid4()))
        sample = bench.playbook(playbook, extra, token, sample_interval=1.0, inventory=inventory, forks=sites,
                                failed_hosts_ok=True)
        records = of_token(bench.emu.stats(), token)
        sample.update(request_figures(records))
        sample['passed'] = passed_gates(sample.pop('_output'))
        sample['starts'] = sum(1 for rec in records if rec['method'] == 'POST')
        started = [rec['time'] for rec in records if rec['method'] == 'POST' and rec['status'] == 201]
        sample['last_start'] = max(started) - sample['start'] if started else None
        edges = window_edges(records)
        sample['throttled_at_edge'] = sum(1 for edge in edges if edge <= 1.0)
        sample['edge_max'] = max([edge for edge in edges if edge <= 1.0] or [None], key=lambda e: e or 0.0)
        sample['reads'] = sum(1 for rec in records if rec['method'] == 'GET')
        runs = bench.emu.workflow_runs(workflow, since=sample['start'] - 1)
        sample['runs'] = len(runs)
        bench.add_lag(sample, runs)
        sample['per_site'] = sample['requests'] / float(sites)
        sample['floor_ratio'] = sample['wall'] / floor
        rows.append((label, sample))
        progress('fleet %-70s passed %3d/%d 429s %4d req %4d (%.2f a site) wall %6.1fs (%.2fx the floor) lag %s' % (
            label, sample['passed'], sites, sample['throttled'], sample['requests'], sample['per_site'],
            sample['wall'], sample['floor_ratio'], fmt(sample.get('lag'))))
    return {'sites': sites, 'run_s': run_s, 'rate': rate, 'floor_s': floor, 'uri': uri, 'rows': rows}


def bench_outage(bench, sizes):
    """One gate through an outage of the run reads, the module's and uri's side by side."""
    run_s, outage_s = float(sizes['outage_run_s']), float(sizes['outage_s'])
    from_s = (run_s - outage_s) / 2.0
    uri = {'poll_retries': sizes['outage_uri_retries'], 'poll_delay': sizes['outage_uri_delay']}
    variants = [
        ('module: workflow_run_info, wait: true, wait_timeout: %d' % sizes['outage_wait_timeout'], 'outage_module.yml',
         {'wait_timeout': sizes['outage_wait_timeout']}),
        ('uri + until: retries %d, delay %d' % (uri['poll_retries'], uri['poll_delay']), 'outage_uri.yml', dict(uri)),
    ]
    bench.emu.reset()
    ids = ['fl_run_bench_outage_%d_%d' % (i, bench.counter) for i in range(len(variants))]
    bench.emu.add_runs([{'id': run_id, 'workflow_id': 'fl_bench_outage', 'pending_for': 0.2, 'duration': run_s - 0.2,
                         'status': 'completed', 'steps': 3} for run_id in ids])
    fault = {'kind': 'status', 'status': 503, 'path_regex': '^/workflows/runs/', 'from_s': from_s, 'for_s': outage_s,
             'times': None}
    added = bench.emu.add_faults([fault])
    launched = []
    for (label, playbook, extra), run_id in zip(variants, ids):
        token = bench.emu.token()
        launched.append((label, token, run_id, bench.launch(playbook, dict(extra, run_id=run_id), token, sample_interval=0.5)))
    finished = []
    try:
        for launch in launched:
            finished.append(bench.finish(launch[3], failed_hosts_ok=True))
    finally:
        for launch in launched:
            if launch[3]['proc'].poll() is None:
                launch[3]['proc'].kill()
        bench.emu.clear_faults()
    stats = bench.emu.stats()
    rows = []
    for (label, token, run_id, unused), sample in zip(launched, finished):
        sample['passed'] = passed_gates(sample.pop('_output')) == 1
        records = of_token(stats, token)
        sample.update(request_figures(records))
        sample['during'] = sum(1 for rec in records if rec['fault'])
        sample['after'] = sum(1 for rec in records if rec['time'] >= added + from_s + outage_s)
        bench.add_lag(sample, [bench.emu.run(run_id)])
        rows.append((label, sample))
        progress('outage %-52s passed %-5s req %3d during the outage %3d wall %6.1fs lag %s' % (
            label, sample['passed'], sample['requests'], sample['during'], sample['wall'], fmt(sample.get('lag'))))
    return {'run_s': run_s, 'outage_s': outage_s, 'from_s': from_s, 'max_poll_interval': sizes['max_poll_interval'],
            'wait_timeout': sizes['outage_wait_timeout'], 'uri': uri, 'rows': rows}
