"""The measured scenarios (gate, many, spread, logs) and the polling-schedule figures.

Each ``bench_*`` function runs its variants ``reps`` times in turn through a ``harness.Bench``
and returns ``[(label, summary), ...]`` (or a dict holding them and scenario data); the report
turns them into tables and PASS/FAIL checks.  The fleet and outage scenarios are in
``scenarios_fleet.py``.
"""

import json
import random

from harness import fmt, progress, summarise


def bench_gate(bench, sizes, reps):
    """One run that completes ``gate_s`` seconds after the measurement starts."""
    gate = sizes['gate_s']
    variants = [
        ('baseline: pause %gs' % gate, 'sleep.yml', {'sleep_seconds': gate}, False),
        ('module wait: true', 'gate_module.yml', {}, True),
        ('uri + until, delay 1', 'gate_uri.yml', {'poll_delay': 1}, True),
        ('uri + until, delay 5', 'gate_uri.yml', {'poll_delay': 5}, True),
    ]
    if sizes.get('skip_slow'):
        variants = variants[:3]
    samples = {label: [] for label, *unused in variants}
    for rep in range(reps):
        for label, playbook, extra, needs_run in variants:
            run_ids = ()
            if needs_run:
                run_id = 'fl_run_bench_gate_%d_%d' % (rep, bench.counter)
                bench.emu.add_runs([{'id': run_id, 'workflow_id': 'fl_bench_gate', 'pending_for': 0.2,
                                     'duration': gate - 0.2, 'status': 'completed', 'steps': 5}])
                extra = dict(extra, run_id=run_id)
                run_ids = (run_id,)
            sample = bench.measured(playbook, extra, run_ids)
            samples[label].append(sample)
            progress('gate  rep %d  %-24s wall %5.2fs cpu %5.2fs req %3d lag %s' % (
                rep + 1, label, sample['wall'], sample['cpu'], sample['requests'], fmt(sample.get('lag'))))
    return [(label, summarise(samples[label])) for label, *unused in variants]


def bench_many(bench, sizes, reps):
    """N runs that finished long ago: one lookup vs a uri loop (and ansible-playbook start-up)."""
    ids = ['fl_run_bench_done_%03d' % i for i in range(sizes['many'])]
    variants = [
        ('baseline: start-up (1 debug task)', 'startup.yml', {}),
        ('lookup, %d ids in one query' % len(ids), 'many_lookup.yml', {'run_ids': ids}),
        ('uri loop over %d ids' % len(ids), 'many_uri.yml', {'run_ids': ids}),
    ]
    samples = {label: [] for label, *unused in variants}
    for rep in range(reps):
        for label, playbook, extra in variants:
            sample = bench.measured(playbook, extra)
            samples[label].append(sample)
            progress('many  rep %d  %-34s wall %5.2fs cpu %5.2fs req %3d' % (
                rep + 1, label, sample['wall'], sample['cpu'], sample['requests']))
    return [(label, summarise(samples[label])) for label, *unused in variants]


def bench_spread(bench, sizes, reps):
    """N runs completing at random times (fixed seed) within ``spread_s`` seconds."""
    count, within = sizes['spread'], sizes['spread_s']
    rng = random.Random(4)
    ends = sorted(round(rng.uniform(1.0, within), 2) for unused in range(count))
    ends[-1] = within  # the last one completes at exactly ``within``
    variants = [
        ('lookup wait=true, %d ids' % count, 'many_lookup.yml', {'wait_all': True}),
        ('%d uri + until (delay 1), in turn' % count, 'many_uri.yml', {'wait_all': True, 'poll_delay': 1}),
        ('%d module wait: true tasks, in turn' % count, 'many_module.yml', {}),
        ('async uri rounds + async_status', 'many_async.yml', {'poll_delay': 1}),
    ]
    samples = {label: [] for label, *unused in variants}
    for rep in range(reps):
        for label, playbook, extra in variants:
            prefix = 'fl_run_bench_spread_%d_%d_' % (rep, bench.counter)
            ids = ['%s%03d' % (prefix, i) for i in range(count)]
            bench.emu.add_runs([{'id': run_id, 'workflow_id': 'fl_bench_spread', 'pending_for': 0.2,
                                 'duration': end - 0.2, 'status': 'completed', 'steps': 3}
                                for run_id, end in zip(ids, ends)])
            sample = bench.measured(playbook, dict(extra, run_ids=ids), ids)
            samples[label].append(sample)
            progress('spread rep %d  %-34s wall %5.2fs cpu %5.2fs req %3d lag %s' % (
                rep + 1, label, sample['wall'], sample['cpu'], sample['requests'], fmt(sample.get('lag'))))
    rows = [(label, summarise(samples[label])) for label, *unused in variants]
    return {'rows': rows, 'ends': ends, 'computed': one_by_one_requests(ends, sizes['poll_interval'], sizes['max_poll_interval'])}


def bench_logs(bench, sizes, reps):
    """One finished run with many log entries (``log_output_size`` bytes of output each)."""
    run_id = 'fl_run_bench_biglog_%d' % sizes['log_entries']
    bench.emu.add_runs([{'id': run_id, 'workflow_id': 'fl_bench_logs', 'finished': True, 'status': 'completed',
                         'steps': sizes['log_entries'], 'output_size': sizes['log_output_size'], 'failed_steps': [7, 4242],
                         'warning_steps': [11]}])
    size = len(json.dumps(bench.emu.run(run_id)))  # also warms the emulator's cache
    variants = [
        ('uri', 'logs_uri.yml', {}),
        ('module, logs: all', 'gate_module.yml', {'logs_mode': 'all'}),
        ('module, logs: errors', 'gate_module.yml', {'logs_mode': 'errors'}),
        ('module, logs: none', 'gate_module.yml', {'logs_mode': 'none'}),
    ]
    samples = {label: [] for label, *unused in variants}
    for rep in range(reps):
        for label, playbook, extra in variants:
            sample = bench.measured(playbook, dict(extra, run_id=run_id), sample_interval=0.02)
            samples[label].append(sample)
            progress('logs  rep %d  %-24s wall %5.2fs cpu %5.2fs rss %s MiB' % (
                rep + 1, label, sample['wall'], sample['cpu'], fmt(sample['rss'], '%.0f')))
    return {'rows': [(label, summarise(samples[label])) for label, *unused in variants], 'size': size}


# ---- polling schedule (no waiting: the waiter's own next_pause) ----------------------------

def one_by_one_requests(ends, poll_interval=1.0, max_poll_interval=15.0):
    """Requests of waiting on runs in turn with the waiter's own schedule and no per-task cost (computed).

    Each run is polled until it has ended (``ends``: seconds after the wait starts), then the next
    one at once, its own wait starting afresh, as separate ``wait: true`` tasks would do with no
    time lost between them.
    """
    from ansible_collections.altostrat.cloud.plugins.module_utils._waiter import next_pause
    now, requests = 0.0, 0
    for end in ends:
        started = now
        requests += 1
        while now < end:
            now += next_pause(now - started, poll_interval, max_poll_interval)
            requests += 1
    return requests


def default_schedule(poll_interval, max_poll_interval):
    """The waiter's own schedule (imported when used: ensure_collection() puts it on sys.path)."""
    def pauses():
        from ansible_collections.altostrat.cloud.plugins.module_utils._waiter import next_pause
        waited = 0.0
        while True:
            pause = next_pause(waited, poll_interval, max_poll_interval)
            waited += pause
            yield pause
    return pauses


def linear_schedule(poll_interval, max_poll_interval):
    """The schedule of the first version, for comparison: poll_interval, then a tenth of it more per poll, capped."""
    def pauses():
        step = 0
        while True:
            yield min(max_poll_interval, poll_interval * (1 + step / 10.0))
            step += 1
    return pauses


def schedule_figures(pauses, max_poll_interval=15.0, run_s=10.0, long_s=3600.0):
    """Poll times of one wait (no request latency) and what they cost."""
    times, t = [0.0], 0.0
    for pause in pauses():
        t += pause
        if t > long_s + max_poll_interval:
            break
        times.append(t)
    short_polls = next(i + 1 for i, u in enumerate(times) if u >= run_s)
    per_minute = [sum(1 for u in times if m * 60 <= u < (m + 1) * 60) for m in range(int(long_s // 60))]
    cap_at = next((u for u, v in zip(times, times[1:]) if v - u >= max_poll_interval - 1e-6), None)
    return {
        'run_s': run_s, 'long_s': long_s, 'short_polls': short_polls,
        'worst_lag_at_short': next(v - u for u, v in zip(times, times[1:]) if v >= run_s),
        'per_minute': per_minute, 'max_per_minute': max(per_minute), 'long_total': sum(per_minute),
        'cap_reached_at': cap_at,
    }


def schedules():
    """The figures of every schedule in ``SCHEDULES``, for the report."""
    return [dict(schedule_figures(pauses), label=label) for label, pauses in SCHEDULES]


SCHEDULES = [
    ('default: pause = waited / 10, min 1, cap 15', default_schedule(1.0, 15.0)),
    ('pause = waited / 10, min 2, cap 15', default_schedule(2.0, 15.0)),
    ('pause = waited / 10, min 1, cap 5', default_schedule(1.0, 5.0)),
    ('first version: 1 s, +0.1 s per poll, cap 15', linear_schedule(1.0, 15.0)),
]
