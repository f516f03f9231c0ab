"""The benchmark harness: set-up, the emulator process, the process-tree sampler and ``Bench``.

Every measurement is a whole ``ansible-playbook`` process (playbooks in ``playbooks/``) run
against ONE emulator (``tests/emulator``) started on loopback, with the API's rate limit on
(``scenario.yml``).  Each measurement gets a token of its own (the emulator accepts a list, each
token with its own limit, and the collection's shared budget is keyed by token), so no measurement
spends another's budget; the harness reads runs with a second token of its own, not counted.
Per process ``Bench`` records:

* wall time of the process;
* CPU seconds (user + sys) of the whole ``ansible-playbook`` process tree (``RUSAGE_CHILDREN``
  deltas around the process: the emulator, also a child, has not been reaped yet, so it is
  not counted);
* peak memory: the highest sum of RSS over the process tree, sampled with psutil;
* requests the emulator received with the measurement's token (its ``/_emulator/stats``);
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

import yaml

from emulator.stats import most_within  # tests/ is on sys.path (run.py, pytest.ini)

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PLAYBOOKS = os.path.join(HERE, 'playbooks')
BUILD = os.path.join(REPO, '.build')
LINK = os.path.join(BUILD, 'ansible_collections', 'altostrat', 'cloud')
TOKENS = 400  # tokens made for the scenario: two per measurement (the play's, the harness's)

try:
    import psutil
except ImportError:  # pragma: no cover - psutil is in scripts/requirements-dev.txt
    psutil = None


# ---- set-up ------------------------------------------------------------------------------

def ahead_of_the_clients(pid=0):
    """Run process ``pid`` (0: this one, a child before it starts) ahead of the ansible processes the bench starts
    (nice -10), where allowed.

    The stand-in and the store are servers on other machines, whose clocks the clients' load does not delay. On
    these few cores a stand-in starved by a hundred starting ansible processes reads requests seconds after they
    were sent, in bunches, and its count of the most requests in any 60 s would then measure this machine, not the
    budget (the sliced fleet: 60 sent in any 60 s, 68 to 77 counted)."""
    try:
        os.setpriority(os.PRIO_PROCESS, pid, -10)
    except OSError:
        pass


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
    """The emulator as a subprocess (``python -m emulator``), with its control endpoints.

    Its scenario is ``scenario.yml`` plus ``TOKENS`` generated tokens, written to ``workdir``.
    """

    def __init__(self, workdir):
        self.workdir = workdir
        with open(os.path.join(HERE, 'scenario.yml')) as handle:
            scenario = yaml.safe_load(handle)
        self.tokens = ['bench-%03d' % i for i in range(TOKENS)]
        scenario['tokens'] = list(scenario.get('tokens') or []) + self.tokens
        self.rate_limit = scenario.get('rate_limit_per_minute', 60)
        self.templates = {wf['id']: wf.get('run_template') or {} for wf in scenario.get('workflows') or []}
        scenario_path = os.path.join(workdir, 'scenario.json')
        with open(scenario_path, 'w') as handle:
            json.dump(scenario, handle)
        self.probe = None  # the harness's own token for reads, set per measurement
        port_file = os.path.join(workdir, 'emulator.url')
        self.log = open(os.path.join(workdir, 'emulator.log'), 'w')
        self.proc = subprocess.Popen([sys.executable, '-m', 'emulator', '--port', '0', '--host', '127.0.0.1',
                                      '--scenario', scenario_path, '--port-file', port_file],
                                     stdout=self.log, stderr=subprocess.STDOUT, cwd=os.path.join(REPO, 'tests'),  # -m: from the cwd
                                     preexec_fn=ahead_of_the_clients)  # pylint: disable=subprocess-popen-preexec-fn
        deadline = time.time() + 30
        while not os.path.exists(port_file):
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError('emulator did not start; see %s' % self.log.name)
            time.sleep(0.05)
        with open(port_file) as handle:
            self.url = handle.read().strip()

    def token(self):
        """A token no measurement has used yet."""
        if not self.tokens:
            raise RuntimeError('out of tokens: raise TOKENS in harness.py')
        return self.tokens.pop(0)

    def call(self, method, path, body=None, auth=False):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            req.add_header('Content-Type', 'application/json')
        if auth:
            if self.probe is None:
                self.probe = self.token()
            req.add_header('Authorization', 'Bearer ' + self.probe)
        with urllib.request.urlopen(req, timeout=60) as resp:
            return json.loads(resp.read() or b'null')

    def add_runs(self, runs):
        self.call('POST', '/_emulator/runs', runs)
        return time.time()

    def add_faults(self, faults):
        """Add faults (timed ones count from now); returns the time they were added."""
        added = time.time()
        self.call('POST', '/_emulator/faults', faults)
        return added

    def clear_faults(self):
        self.call('DELETE', '/_emulator/faults')

    def reset(self):
        self.call('POST', '/_emulator/reset-stats', {})
        self.probe = None  # a fresh token for the harness's reads of each measurement

    def stats(self):
        return self.call('GET', '/_emulator/stats')

    def run(self, run_id):
        return self.call('GET', '/workflows/runs/%s' % run_id, auth=True)

    def workflow_runs(self, workflow_id, since=0.0):
        """The runs of a workflow started at or after ``since`` (epoch seconds), newest first."""
        runs, page = [], 1
        while True:
            body = self.call('GET', '/workflows/%s/executions?page=%d' % (workflow_id, page), auth=True)
            fresh = [run for run in body['data'] if epoch(run['started_at']) >= since]
            runs += fresh
            if len(fresh) < len(body['data']) or page >= body['meta']['last_page']:
                return runs
            page += 1

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def of_token(stats, token):
    """The API requests (under ``/workflows/``) of one token, from ``/_emulator/stats``."""
    auth = 'Bearer ' + token
    return [r for r in stats['requests'] if r['path'].startswith('/workflows/') and r.get('authorization') == auth]


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
        self.python = sys.executable
        self.counter = 0
        home = os.path.join(workdir, 'home')
        os.makedirs(os.path.join(workdir, 'tmp'), exist_ok=True)
        os.makedirs(home, exist_ok=True)
        cfg = os.path.join(workdir, 'ansible.cfg')
        with open(cfg, 'w') as handle:
            handle.write('[defaults]\ninterpreter_python = %s\nretry_files_enabled = False\n' % sys.executable)
        self.inventory = os.path.join(workdir, 'inventory.ini')
        with open(self.inventory, 'w') as handle:
            handle.write('localhost ansible_connection=local ansible_python_interpreter=%s\n' % sys.executable)
        env = {k: v for k, v in os.environ.items() if not k.startswith(('ALTOSTRAT_', 'ANSIBLE_')) and k != 'XDG_RUNTIME_DIR'}
        env.update({
            'HOME': home, 'ANSIBLE_CONFIG': cfg, 'ANSIBLE_HOME': os.path.join(home, '.ansible'),
            'ANSIBLE_LOCAL_TEMP': os.path.join(home, 'tmp'), 'ANSIBLE_REMOTE_TEMP': os.path.join(home, 'tmp-remote'),
            'ANSIBLE_ASYNC_DIR': os.path.join(home, 'async'),
            'ANSIBLE_COLLECTIONS_PATH': BUILD, 'ANSIBLE_NOCOLOR': '1', 'ANSIBLE_FORCE_COLOR': '0',
            'PYTHONDONTWRITEBYTECODE': '1',
            # the collection's shared request budget lives under TMPDIR (no XDG_RUNTIME_DIR): one per bench
            'TMPDIR': os.path.join(workdir, 'tmp'),
            'PATH': os.pathsep.join([os.path.dirname(sys.executable), env.get('PATH', '')]),
        })
        self.env = env

    def fleet_inventory(self, sites):
        """An inventory of ``sites`` hosts (group ``fleet``), local connection, the venv's python."""
        path = os.path.join(self.workdir, 'fleet%d.ini' % sites)
        with open(path, 'w') as handle:
            handle.write('localhost ansible_connection=local ansible_python_interpreter=%s\n[fleet]\n' % sys.executable)
            for i in range(sites):
                handle.write('site%03d ansible_connection=local ansible_python_interpreter=%s\n' % (i, sys.executable))
        return path

    def launch(self, name, extra_vars, token, inventory=None, forks=None, sample_interval=0.05, env=None):
        """Start one playbook with ``token`` (``env``: variables set on top of the bench's); ``finish`` waits for it."""
        self.counter += 1
        all_vars = {'emu_url': self.emu.url, 'emu_token': token}
        all_vars.update(extra_vars)
        vars_file = os.path.join(self.workdir, 'vars%d.json' % self.counter)
        with open(vars_file, 'w') as handle:
            json.dump(all_vars, handle)
        out_path = os.path.join(self.workdir, 'out%d.log' % self.counter)
        cmd = [self.playbook_bin, '-i', inventory or self.inventory, '-e', '@' + vars_file, os.path.join(PLAYBOOKS, name)]
        if forks:
            cmd += ['--forks', str(forks)]
        out = open(out_path, 'w')
        start = time.time()
        proc = subprocess.Popen(cmd, env=dict(self.env, **(env or {})), cwd=self.workdir, stdout=out, stderr=subprocess.STDOUT)
        sampler = None
        if psutil is not None:
            sampler = TreeSampler(proc.pid, sample_interval)
            sampler.start()
        return {'name': name, 'proc': proc, 'out': out, 'start': start, 'sampler': sampler}

    @staticmethod
    def finish(handle, failed_hosts_ok=False):
        """Wait for a launched playbook; a dict of measurements (times are epoch seconds).

        ``failed_hosts_ok``: exit status 2 (some hosts failed) is a result, not an error.
        """
        rc = handle['proc'].wait()
        end = time.time()
        handle['out'].close()
        sampler = handle['sampler']
        if sampler:
            sampler.halt.set()
            sampler.join()
        with open(handle['out'].name) as out:
            output = out.read()
        if rc != 0 and not (failed_hosts_ok and rc == 2):
            raise RuntimeError('%s failed (rc %d):\n%s' % (handle['name'], rc, output[-4000:]))
        marks = re.findall(r'BENCH_DONE (\d+\.\d+)', output)
        return {
            'start': handle['start'], 'end': end, 'wall': end - handle['start'],
            'rss': sampler.peak / 2 ** 20 if sampler else None,
            'returned': max(float(mark) for mark in marks) if marks else None,
            '_output': output,
        }

    def playbook(self, name, extra_vars, token, sample_interval=0.05, **kwargs):
        """Run one playbook alone, with the CPU seconds of its process tree."""
        failed_hosts_ok = kwargs.pop('failed_hosts_ok', False)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        result = self.finish(self.launch(name, extra_vars, token, sample_interval=sample_interval, **kwargs), failed_hosts_ok)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        result['cpu'] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return result

    def measured(self, name, extra_vars, run_ids=(), sample_interval=0.05, **kwargs):
        """A playbook plus the requests it sent (with its own token) and the completion of ``run_ids``."""
        self.emu.reset()
        token = self.emu.token()
        result = self.playbook(name, extra_vars, token, sample_interval, **kwargs)
        result.update(request_figures(of_token(self.emu.stats(), token)))
        if run_ids:
            self.add_lag(result, [self.emu.run(run_id) for run_id in run_ids])
        return result

    @staticmethod
    def add_lag(result, runs):
        """Lag of the process end (and of the BENCH_DONE mark) after the last of ``runs`` completed."""
        ended = [epoch(run['completed_at']) for run in runs if run.get('completed_at')]
        if not ended:
            return
        completed = max(ended)
        result['completed'] = completed
        result['lag'] = result['end'] - completed
        result['lag_in_play'] = result['returned'] - completed if result['returned'] else None


def request_figures(records):
    """Requests, 429 answers, the shortest gap between two requests for one path and the most in a minute / second."""
    gaps = {}
    for rec in records:
        gaps.setdefault(rec['path'], []).append(rec['time'])
    times = sorted(rec['time'] for rec in records)
    return {
        'requests': len(records),
        'throttled': sum(1 for rec in records if rec['status'] == 429),
        'min_gap': min([b - a for values in gaps.values() for a, b in zip(values, values[1:])] or [None],
                       key=lambda g: float('inf') if g is None else g),
        'max_per_minute': most_within(times, 60),
        'max_per_second': most_within(times, 1),
    }


# ---- summaries and output --------------------------------------------------------------------

def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarise(samples):
    keys = {key for key in set().union(*samples) if not key.startswith('_')}
    out = {}
    for key in keys:
        values = [s.get(key) for s in samples]
        if key == 'min_gap':
            present = [v for v in values if v is not None]
            out[key] = min(present) if present else None
        elif key in ('max_per_minute', 'max_per_second', 'throttled'):
            out[key] = max(values)
        elif all(isinstance(v, (int, float)) or v is None for v in values):
            out[key] = median(values)
    out['n'] = len(samples)
    return out


def progress(message):
    print(message, file=sys.stderr, flush=True)


def fmt(value, spec='%.2f'):
    return '–' if value is None else spec % value
