#!/usr/bin/env python
"""Benchmarks of altostrat.cloud side by side with ``ansible.builtin.uri`` (``make bench``).

Every measurement is a whole ``ansible-playbook`` process (playbooks in ``playbooks/``) run
against ONE emulator (``tests/emulator``) that this script starts on loopback.  Per variant it
records, as medians of several repetitions:

* wall time of the process;
* CPU seconds (user + sys) of the whole ``ansible-playbook`` process tree (``RUSAGE_CHILDREN``
  deltas around the process: the emulator, also a child, has not been reaped yet, so it is
  not counted);
* peak memory: the highest sum of RSS over the process tree, sampled with psutil;
* requests the emulator received (its ``/_emulator/stats``);
* lag: process end (and, in the play, the time the waiting task returned) minus the time the
  awaited run(s) completed.

Usage (from the repository root, or anywhere)::

    python tests/benchmarks/run.py [--reps 3] [--quick] [--no-write] [--only gate,many,spread,logs]

``--quick`` is one repetition on small sizes (the smoke test uses it with ``--no-write``).
The table is printed and, unless ``--no-write``, written to ``docs/performance.md``.
Exit status 0 even when a target is missed (the PASS/FAIL lines say which); 2 on errors.
"""

import argparse
import datetime
import json
import os
import platform
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PLAYBOOKS = os.path.join(HERE, 'playbooks')
BUILD = os.path.join(REPO, '.build')
LINK = os.path.join(BUILD, 'ansible_collections', 'altostrat', 'cloud')
TOKEN = 'bench-token'
TERMINAL = ('completed', 'failed')

try:
    import psutil
except ImportError:  # pragma: no cover - psutil is in scripts/requirements-dev.txt
    psutil = None


# ---- set-up ------------------------------------------------------------------------------

def ensure_collection():
    if not os.path.exists(LINK):
        os.makedirs(os.path.dirname(LINK), exist_ok=True)
        os.symlink(REPO, LINK)
    if BUILD not in sys.path:
        sys.path.insert(0, BUILD)


def ansible_playbook():
    candidate = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
    if os.path.exists(candidate):
        return candidate
    found = shutil.which('ansible-playbook')
    if not found:
        sys.exit('ansible-playbook not found next to %s nor on PATH' % sys.executable)
    return found


class Emulator:
    """The emulator as a subprocess (``python -m emulator``), with its control endpoints."""

    def __init__(self, workdir):
        self.workdir = workdir
        port_file = os.path.join(workdir, 'emulator.url')
        env = dict(os.environ)
        env['PYTHONPATH'] = os.pathsep.join([os.path.join(REPO, 'tests')] + [p for p in env.get('PYTHONPATH', '').split(os.pathsep) if p])
        self.log = open(os.path.join(workdir, 'emulator.log'), 'w')
        self.proc = subprocess.Popen([sys.executable, '-m', 'emulator', '--port', '0', '--host', '127.0.0.1',
                                      '--scenario', os.path.join(HERE, 'scenario.yml'), '--port-file', port_file],
                                     env=env, stdout=self.log, stderr=subprocess.STDOUT, cwd=REPO)
        deadline = time.time() + 30
        while not os.path.exists(port_file):
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError('emulator did not start; see %s' % self.log.name)
            time.sleep(0.05)
        with open(port_file) as handle:
            self.url = handle.read().strip()

    def call(self, method, path, body=None, auth=False):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            req.add_header('Content-Type', 'application/json')
        if auth:
            req.add_header('Authorization', 'Bearer ' + TOKEN)
        with urllib.request.urlopen(req, timeout=60) as resp:
            return json.loads(resp.read() or b'null')

    def add_runs(self, runs):
        self.call('POST', '/_emulator/runs', runs)
        return time.time()

    def reset(self):
        self.call('POST', '/_emulator/reset-stats', {})

    def stats(self):
        return self.call('GET', '/_emulator/stats')

    def run(self, run_id):
        return self.call('GET', '/workflows/runs/%s' % run_id, auth=True)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def epoch(iso):
    return datetime.datetime.strptime(iso, '%Y-%m-%dT%H:%M:%S.%fZ').replace(tzinfo=datetime.timezone.utc).timestamp()


# ---- one measurement -------------------------------------------------------------------------

class TreeSampler(threading.Thread):
    """Samples the summed RSS of a process and its descendants until stopped."""

    def __init__(self, pid, interval):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak = 0
        self.halt = threading.Event()

    def run(self):
        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self.halt.is_set():
            try:
                procs = [root] + root.children(recursive=True)
            except psutil.Error:
                break
            total = 0
            for proc in procs:
                try:
                    total += proc.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            self.halt.wait(self.interval)


class Bench:
    def __init__(self, args, workdir, emu):
        self.args = args
        self.workdir = workdir
        self.emu = emu
        self.playbook_bin = ansible_playbook()
        self.counter = 0
        home = os.path.join(workdir, 'home')
        os.makedirs(home, exist_ok=True)
        cfg = os.path.join(workdir, 'ansible.cfg')
        with open(cfg, 'w') as handle:
            handle.write('[defaults]\ninterpreter_python = %s\nretry_files_enabled = False\n' % sys.executable)
        self.inventory = os.path.join(workdir, 'inventory.ini')
        with open(self.inventory, 'w') as handle:
            handle.write('localhost ansible_connection=local ansible_python_interpreter=%s\n' % sys.executable)
        env = {k: v for k, v in os.environ.items() if not k.startswith(('ALTOSTRAT_', 'ANSIBLE_'))}
        env.update({
            'HOME': home, 'ANSIBLE_CONFIG': cfg, 'ANSIBLE_HOME': os.path.join(home, '.ansible'),
            'ANSIBLE_LOCAL_TEMP': os.path.join(home, 'tmp'), 'ANSIBLE_REMOTE_TEMP': os.path.join(home, 'tmp-remote'),
            'ANSIBLE_ASYNC_DIR': os.path.join(home, 'async'),
            'ANSIBLE_COLLECTIONS_PATH': BUILD, 'ANSIBLE_NOCOLOR': '1', 'ANSIBLE_FORCE_COLOR': '0',
            'PYTHONDONTWRITEBYTECODE': '1',
            'PATH': os.pathsep.join([os.path.dirname(sys.executable), env.get('PATH', '')]),
        })
        self.env = env

    def playbook(self, name, extra_vars, sample_interval=0.05):
        """Run one playbook; return a dict of measurements (times are epoch seconds)."""
        self.counter += 1
        all_vars = {'emu_url': self.emu.url, 'emu_token': TOKEN}
        all_vars.update(extra_vars)
        vars_file = os.path.join(self.workdir, 'vars%d.json' % self.counter)
        with open(vars_file, 'w') as handle:
            json.dump(all_vars, handle)
        out_path = os.path.join(self.workdir, 'out%d.log' % self.counter)
        cmd = [self.playbook_bin, '-i', self.inventory, '-e', '@' + vars_file, os.path.join(PLAYBOOKS, name)]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        with open(out_path, 'w') as out:
            start = time.time()
            proc = subprocess.Popen(cmd, env=self.env, cwd=self.workdir, stdout=out, stderr=subprocess.STDOUT)
            sampler = None
            if psutil is not None:
                sampler = TreeSampler(proc.pid, sample_interval)
                sampler.start()
            rc = proc.wait()
            end = time.time()
        if sampler:
            sampler.halt.set()
            sampler.join()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        with open(out_path) as handle:
            output = handle.read()
        if rc != 0:
            raise RuntimeError('%s failed (rc %d):\n%s' % (name, rc, output[-4000:]))
        marks = re.findall(r'BENCH_DONE (\d+\.\d+)', output)
        return {
            'start': start, 'end': end, 'wall': end - start,
            'cpu': (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            'rss': sampler.peak / 2 ** 20 if sampler else None,
            'returned': float(marks[-1]) if marks else None,
        }

    def measured(self, name, extra_vars, run_ids=(), sample_interval=0.05):
        """A playbook plus the requests it sent and the completion of ``run_ids``."""
        self.emu.reset()
        result = self.playbook(name, extra_vars, sample_interval)
        stats = self.emu.stats()
        records = [r for r in stats['requests'] if r['path'].startswith('/workflows/')]
        result['requests'] = len(records)
        gaps = {}
        for rec in records:
            gaps.setdefault(rec['path'], []).append(rec['time'])
        result['min_gap'] = min([b - a for times in gaps.values() for a, b in zip(times, times[1:])] or [None],
                                key=lambda g: float('inf') if g is None else g)
        times = sorted(rec['time'] for rec in records)
        result['max_per_minute'] = max([sum(1 for u in times if t <= u < t + 60) for t in times] or [0])
        result['max_per_second'] = max([sum(1 for u in times if t <= u < t + 1) for t in times] or [0])
        if run_ids:
            completed = max(epoch(self.emu.run(run_id)['completed_at']) for run_id in run_ids)
            result['completed'] = completed
            result['lag'] = result['end'] - completed
            result['lag_in_play'] = result['returned'] - completed if result['returned'] else None
        return result


# ---- the scenarios ---------------------------------------------------------------------------

def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarise(samples):
    keys = set().union(*samples)
    out = {}
    for key in keys:
        values = [s.get(key) for s in samples]
        if key == 'min_gap':
            present = [v for v in values if v is not None]
            out[key] = min(present) if present else None
        elif key in ('max_per_minute', 'max_per_second'):
            out[key] = max(values)
        elif all(isinstance(v, (int, float)) or v is None for v in values):
            out[key] = median(values)
    out['n'] = len(samples)
    return out


def progress(message):
    print(message, file=sys.stderr, flush=True)


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
    samples = {label: [] for label, _, _, _ in variants}
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
                rep + 1, label, sample['wall'], sample['cpu'], sample['requests'], _fmt(sample.get('lag'))))
    return [(label, summarise(samples[label])) for label, _, _, _ in variants]


def bench_many(bench, sizes, reps):
    """N runs that finished long ago: one lookup vs a uri loop (and ansible-playbook start-up)."""
    ids = ['fl_run_bench_done_%03d' % i for i in range(sizes['many'])]
    variants = [
        ('baseline: start-up (1 debug task)', 'startup.yml', {}),
        ('lookup, %d ids in one query' % len(ids), 'many_lookup.yml', {'run_ids': ids}),
        ('uri loop over %d ids' % len(ids), 'many_uri.yml', {'run_ids': ids}),
    ]
    samples = {label: [] for label, _, _ in variants}
    for rep in range(reps):
        for label, playbook, extra in variants:
            sample = bench.measured(playbook, extra)
            samples[label].append(sample)
            progress('many  rep %d  %-34s wall %5.2fs cpu %5.2fs req %3d' % (
                rep + 1, label, sample['wall'], sample['cpu'], sample['requests']))
    return [(label, summarise(samples[label])) for label, _, _ in variants]


def bench_spread(bench, sizes, reps):
    """N runs completing at random times (fixed seed) within ``spread_s`` seconds."""
    count, within = sizes['spread'], sizes['spread_s']
    rng = random.Random(4)
    ends = sorted(round(rng.uniform(1.0, within), 2) for _ in range(count))
    ends[-1] = within  # the last one completes at exactly ``within``
    variants = [
        ('lookup wait=true, %d ids' % count, 'many_lookup.yml', {'wait_all': True}),
        ('%d uri + until (delay 1), in turn' % count, 'many_uri.yml', {'wait_all': True, 'poll_delay': 1}),
        ('%d module wait: true tasks, in turn' % count, 'many_module.yml', {}),
        ('async uri rounds + async_status', 'many_async.yml', {'poll_delay': 1}),
    ]
    samples = {label: [] for label, _, _ in variants}
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
                rep + 1, label, sample['wall'], sample['cpu'], sample['requests'], _fmt(sample.get('lag'))))
    return [(label, summarise(samples[label])) for label, _, _ in variants], ends


def bench_logs(bench, sizes, reps):
    """One finished run with many log entries (output_size 600: ~600 bytes each)."""
    run_id = 'fl_run_bench_biglog_%d' % sizes['log_entries']
    bench.emu.add_runs([{'id': run_id, 'workflow_id': 'fl_bench_logs', 'finished': True, 'status': 'completed',
                         'steps': sizes['log_entries'], 'output_size': 600, 'failed_steps': [7, 4242],
                         'warning_steps': [11]}])
    size = len(json.dumps(bench.emu.run(run_id)))  # also warms the emulator's cache
    variants = [
        ('uri', 'logs_uri.yml', {}),
        ('module, logs: all', 'gate_module.yml', {'logs_mode': 'all'}),
        ('module, logs: errors', 'gate_module.yml', {'logs_mode': 'errors'}),
        ('module, logs: none', 'gate_module.yml', {'logs_mode': 'none'}),
    ]
    samples = {label: [] for label, _, _ in variants}
    for rep in range(reps):
        for label, playbook, extra in variants:
            sample = bench.measured(playbook, dict(extra, run_id=run_id), sample_interval=0.02)
            samples[label].append(sample)
            progress('logs  rep %d  %-24s wall %5.2fs cpu %5.2fs rss %s MiB' % (
                rep + 1, label, sample['wall'], sample['cpu'], _fmt(sample['rss'], '%.0f')))
    return [(label, summarise(samples[label])) for label, _, _ in variants], size


# ---- polling schedule (no waiting: the waiter's own next_pause) ----------------------------

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
        'short_polls': short_polls,
        'worst_lag_at_short': next(v - u for u, v in zip(times, times[1:]) if v >= run_s),
        'per_minute': per_minute, 'max_per_minute': max(per_minute), 'long_total': sum(per_minute),
        'cap_reached_at': cap_at,
    }


SCHEDULES = [
    ('default: pause = waited / 10, min 1, cap 15', default_schedule(1.0, 15.0)),
    ('pause = waited / 10, min 2, cap 15', default_schedule(2.0, 15.0)),
    ('pause = waited / 10, min 1, cap 5', default_schedule(1.0, 5.0)),
    ('first version: 1 s, +0.1 s per poll, cap 15', linear_schedule(1.0, 15.0)),
]


# ---- report ----------------------------------------------------------------------------------

def _fmt(value, spec='%.2f'):
    return '–' if value is None else spec % value


def _ratio(a, b):
    if a is None or b is None or b <= 0:
        return '–'
    return '%.1fx' % (a / b)


def machine():
    model = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as handle:
            for line in handle:
                if line.startswith('model name'):
                    model = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    ram = None
    if psutil is not None:
        ram = psutil.virtual_memory().total / 2 ** 30
    versions = {'python': platform.python_version()}
    for name in ('ansible', 'requests'):
        try:
            from importlib.metadata import version
            versions[name] = version('ansible-core' if name == 'ansible' else name)
        except Exception:  # pylint: disable=broad-except
            versions[name] = '?'
    return {'cpu': model, 'cores': os.cpu_count(), 'ram_gib': ram, 'versions': versions,
            'os': platform.platform(), 'date': datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}


def build_report(results, sizes, reps, quick, elapsed, load):
    lines, checks = [], []

    def check(ok, text):
        checks.append(('PASS' if ok else 'FAIL') + ': ' + text)

    gate = dict(results.get('gate') or [])
    if gate:
        base = gate['baseline: pause %gs' % sizes['gate_s']]
        mod, uri1 = gate['module wait: true'], gate['uri + until, delay 1']
        lines += ['### 1. Gate on one run that completes %g s after the start' % sizes['gate_s'], '',
                  '| variant | wall s | CPU s | CPU above baseline s | lag after completion s (process end) '
                  '| lag in play s (task returned) | requests | peak RSS MiB |',
                  '|---|---:|---:|---:|---:|---:|---:|---:|']
        for label, s in results['gate']:
            above = s['cpu'] - base['cpu']
            lines.append('| %s | %s | %s | %s | %s | %s | %s | %s |' % (
                label, _fmt(s['wall']), _fmt(s['cpu']), '–' if s is base else _fmt(above),
                _fmt(s.get('lag')), _fmt(s.get('lag_in_play')), '–' if s is base else '%d' % s['requests'],
                _fmt(s['rss'], '%.0f')))
        m_above, u_above = mod['cpu'] - base['cpu'], uri1['cpu'] - base['cpu']
        lines += ['', 'CPU above baseline, uri + until (delay 1) / module: **%s**; lag, uri delay 1 / module: %s; '
                  'requests, uri delay 1 / module: %s.' % (_ratio(u_above, m_above), _ratio(uri1['lag'], mod['lag']),
                                                           _ratio(uri1['requests'], mod['requests'])), '']
        check(m_above <= u_above / 5.0, 'module CPU above baseline %.2f s <= 1/5 of uri+until (delay 1) %.2f s (= %.2f s)'
              % (m_above, u_above, u_above / 5.0))
        check(mod['lag'] <= 1.5, 'module lag after completion %.2f s <= 1.5 s (in play: %s s)'
              % (mod['lag'], _fmt(mod.get('lag_in_play'))))
        limit = 12 if sizes['gate_s'] >= 10 else None
        if limit:
            check(mod['requests'] <= limit, 'module sent %d requests for the %g s run (<= %d)'
                  % (mod['requests'], sizes['gate_s'], limit))

    many = dict(results.get('many') or [])
    if many:
        labels = [label for label, _ in results['many']]
        base, look, loop = (many[label] for label in labels)
        lines += ['### 2. %d runs that finished long ago' % sizes['many'], '',
                  '| variant | wall s | wall above start-up s | CPU s | requests | peak RSS MiB |',
                  '|---|---:|---:|---:|---:|---:|']
        for label, s in results['many']:
            lines.append('| %s | %s | %s | %s | %s | %s |' % (
                label, _fmt(s['wall']), '–' if s is base else _fmt(s['wall'] - base['wall']), _fmt(s['cpu']),
                '–' if s is base else '%d' % s['requests'], _fmt(s['rss'], '%.0f')))
        gross = loop['wall'] / look['wall']
        net_look = max(look['wall'] - base['wall'], 0.01)
        net = (loop['wall'] - base['wall']) / net_look
        lines += ['', 'uri loop / lookup, whole playbooks: **%.1fx**; net of the start-up playbook: **%.1fx**.' % (gross, net), '']
        check(gross >= 20, '%d runs: one lookup %.1fx faster than the uri loop, whole playbooks (>= 20x)' % (sizes['many'], gross))
        check(net >= 20, '%d runs: one lookup %.1fx faster than the uri loop, net of ansible-playbook start-up (>= 20x)'
              % (sizes['many'], net))

    spread = results.get('spread')
    if spread:
        rows, ends = spread
        byl = dict(rows)
        labels = [label for label, _ in rows]
        look, seq, one_by_one = byl[labels[0]], byl[labels[1]], byl[labels[2]]
        lines += ['### 3. %d runs completing at random times within %g s (seed 4)' % (sizes['spread'], sizes['spread_s']), '',
                  'Completion times (s after creation): %s.' % ', '.join('%g' % e for e in ends), '',
                  '| variant | wall s | CPU s | lag after last completion s (process end) | lag in play s | requests '
                  '| most requests in 1 s | shortest gap between polls of one run s |',
                  '|---|---:|---:|---:|---:|---:|---:|---:|']
        for label, s in rows:
            lines.append('| %s | %s | %s | %s | %s | %d | %d | %s |' % (
                label, _fmt(s['wall']), _fmt(s['cpu']), _fmt(s.get('lag')), _fmt(s.get('lag_in_play')),
                s['requests'], s['max_per_second'], _fmt(s.get('min_gap'))))
        lines += ['']
        check(look['requests'] <= one_by_one['requests'],
              'waiting on %d runs with one lookup sent %d requests <= %d waiting on them one by one with the module '
              '(same schedule); uri + until in turn: %d' % (sizes['spread'], look['requests'], one_by_one['requests'], seq['requests']))

    if gate or spread:
        gaps = []
        if gate:
            gaps.append(('module, 1 run', gate['module wait: true'].get('min_gap')))
        if spread:
            gaps.append(('lookup, %d runs' % sizes['spread'], dict(spread[0])[spread[0][0][0]].get('min_gap')))
        worst = min((g for _, g in gaps if g is not None), default=None)
        check(worst is None or worst >= 0.95, 'while waiting, at most one request per second per run: shortest gap '
              'between two polls of one run %s' % ', '.join('%s %s s' % (w, _fmt(g)) for w, g in gaps))

    logs = results.get('logs')
    if logs:
        rows, size = logs
        byl = dict(rows)
        uri = byl['uri']
        lines += ['### 4. One run with %d log entries (%.1f MB of JSON)' % (sizes['log_entries'], size / 1e6), '',
                  '| variant | wall s | CPU s | peak RSS of the process tree MiB | wall vs uri |',
                  '|---|---:|---:|---:|---:|']
        for label, s in rows:
            lines.append('| %s | %s | %s | %s | %s |' % (label, _fmt(s['wall']), _fmt(s['cpu']), _fmt(s['rss'], '%.0f'),
                                                        _ratio(s['wall'], uri['wall'])))
        lines += ['']
        mod = byl['module, logs: all']
        check(mod['wall'] <= uri['wall'] * 1.05, '%d-entry run: module (logs: all) %.2f s not slower than uri %.2f s (5%% noise allowance)'
              % (sizes['log_entries'], mod['wall'], uri['wall']))

    sched = schedule_figures(SCHEDULES[0][1])
    lines += ['### 5. Polling schedules, computed (the waiter\'s own `next_pause`; no request latency)', '',
              '| schedule | polls for a 10 s run | pause spanning t = 10 s (worst lag) | requests in minute 1 / 5 / 10 / 20 / 60 '
              '| pause reaches the cap at | requests for a 1-hour run | most in any minute |',
              '|---|---:|---:|---:|---:|---:|---:|']
    for label, pauses in SCHEDULES:
        f = schedule_figures(pauses)
        lines.append('| %s | %d | %.1f s | %s | %s | %d | %d |' % (
            label, f['short_polls'], f['worst_lag_at_short'], ' / '.join(str(f['per_minute'][m]) for m in (0, 4, 9, 19, 59)),
            '%.0f s' % f['cap_reached_at'] if f['cap_reached_at'] is not None else '–', f['long_total'], f['max_per_minute']))
    lines += ['']
    check(sched['max_per_minute'] <= 60, 'a long run costs at most %d requests a minute with the default schedule (budget 60; '
          '%d at the cap)' % (sched['max_per_minute'], sched['per_minute'][-1]))

    head = ['Medians of %d repetition(s)%s; whole `ansible-playbook` processes against one local emulator; '
            'benchmark took %.0f s; load average (1 min) %.1f at the start, %.1f at the end.'
            % (reps, ' (--quick: small sizes)' if quick else '', elapsed, load[0], load[1]), '']
    return head + lines, checks


def write_doc(path, table, checks, info, sizes, reps):
    with open(os.path.join(HERE, 'performance_template.md')) as handle:
        template = handle.read()
    versions = info['versions']
    text = template.format(
        date=info['date'], cpu=info['cpu'], cores=info['cores'],
        ram='%.0f GiB' % info['ram_gib'] if info['ram_gib'] else '?', os=info['os'],
        python=versions['python'], ansible=versions['ansible'], requests=versions['requests'],
        table='\n'.join(table), checks='\n'.join('- ' + c for c in checks), reps=reps)
    with open(path, 'w') as handle:
        handle.write(text)


FULL = {'gate_s': 10.0, 'many': 50, 'spread': 20, 'spread_s': 15.0, 'log_entries': 10000}
QUICK = {'gate_s': 2.0, 'many': 5, 'spread': 3, 'spread_s': 2.0, 'log_entries': 300, 'skip_slow': True}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--reps', type=int, help='repetitions (default 3; 1 with --quick)')
    parser.add_argument('--quick', action='store_true', help='one repetition, small sizes (smoke test)')
    parser.add_argument('--no-write', action='store_true', help='do not write docs/performance.md')
    parser.add_argument('--only', default='gate,many,spread,logs', help='comma-separated scenarios to run')
    parser.add_argument('--output', default=os.path.join(REPO, 'docs', 'performance.md'))
    args = parser.parse_args(argv)
    reps = args.reps or (1 if args.quick else 3)
    sizes = QUICK if args.quick else FULL
    only = set(args.only.split(','))
    ensure_collection()
    started = time.time()
    load_start = os.getloadavg()[0]
    results = {}
    with tempfile.TemporaryDirectory(prefix='altostrat-bench-') as workdir:
        emu = Emulator(workdir)
        try:
            bench = Bench(args, workdir, emu)
            if 'gate' in only:
                results['gate'] = bench_gate(bench, sizes, reps)
            if 'many' in only:
                results['many'] = bench_many(bench, sizes, reps)
            if 'spread' in only:
                results['spread'] = bench_spread(bench, sizes, reps)
            if 'logs' in only:
                results['logs'] = bench_logs(bench, sizes, reps)
        except RuntimeError as exc:
            print('benchmark failed: %s' % exc, file=sys.stderr)
            return 2
        finally:
            emu.stop()
    table, checks = build_report(results, sizes, reps, args.quick, time.time() - started,
                                 (load_start, os.getloadavg()[0]))
    print('\n'.join(table))
    print('\n'.join(checks))
    if not args.no_write:
        write_doc(args.output, table, checks, machine(), sizes, reps)
        print('written to %s' % os.path.relpath(args.output, os.getcwd()))
    return 0


if __name__ == '__main__':
    sys.exit(main())
