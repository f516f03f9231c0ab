"""The benchmark harness: set-up, the emulator process, the process-tree sampler and ``Bench``.

Every measurement is a whole ``ansible-playbook`` process (playbooks in ``playbooks/``) run
against ONE emulator (``tests/emulator``) started on loopback.  Per process ``Bench`` records:

* wall time of the process;
* CPU seconds (user + sys) of the whole ``ansible-playbook`` process tree (``RUSAGE_CHILDREN``
  deltas around the process: the emulator, also a child, has not been reaped yet, so it is
  not counted);
* peak memory: the highest sum of RSS over the process tree, sampled with psutil;
* requests the emulator received (its ``/_emulator/stats``);
* lag: process end (and, in the play, the time the waiting task returned) minus the time the
  awaited run(s) completed.
"""

import datetime
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PLAYBOOKS = os.path.join(HERE, 'playbooks')
BUILD = os.path.join(REPO, '.build')
LINK = os.path.join(BUILD, 'ansible_collections', 'altostrat', 'cloud')
TOKEN = 'bench-token'

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


# ---- summaries and output --------------------------------------------------------------------

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


def fmt(value, spec='%.2f'):
    return '–' if value is None else spec % value
