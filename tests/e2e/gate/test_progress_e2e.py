"""Progress while waiting: a REAL ``ansible-playbook -v`` shows a module's long wait while it waits.

The long test runs three playbooks side by side (about 75 s in all), each against its own emulator, in a
pseudo-terminal as a person would (Ansible's output is line-buffered there), reading the output as it arrives:

* ``-v``, a run of 75 s, settings from ``module_defaults`` of the action group only: progress lines, naming
  the run, its status and its steps so far, arrive about every 30 s, well before the task's result;
* the same at verbosity 0: no progress line, and as many requests (within one) as with ``-v``: the lines come
  from the polls the waiter makes anyway;
* ``-v`` with ``no_log: true``: a line says the wait goes on, without its run; the token is in no output.

The short ones (``-vvv``, whose ``EXEC`` lines show the module's environment) check where the progress file is
given: on the controller only, never with ``async`` or on another connection.
"""

import json
import os
import pathlib
import pty
import re
import subprocess
import sys
import threading
import time

from e2e.checks import PLAYBOOKS
from testkit import SENTINEL, playbook


RUN = 'fl_run_progress_long'
QUIET_RUN = 'fl_run_progress_quiet'
PROGRESS = re.compile(r'^<localhost> altostrat\.cloud\.workflow_run_info: waited ([0-9]+) s on run %s: '
                      r'(pending|running), ([0-9]+) steps? so far$' % RUN)


def scenario():
    return {'tokens': [SENTINEL], 'rate_limit_per_minute': 60, 'runs': []}


def long_run(run_id, duration):
    return {'id': run_id, 'workflow_id': 'fl_wf_progress', 'pending_for': 2, 'duration': duration,
            'status': 'completed', 'steps': 7}


class LivePlaybook:
    """``ansible-playbook`` set up as ``testkit.playbook.run_playbook`` does, started in a pseudo-terminal;
    ``lines`` holds ``(seconds since start, line)`` as each line arrives."""

    def __init__(self, work, name, extra_vars, verbosity=0):
        work = pathlib.Path(str(work))
        self.out_dir, home = work / 'out', work / 'home'
        for path in (self.out_dir, home):
            path.mkdir(parents=True)
        cfg = work / 'ansible.cfg'
        playbook.write_cfg(str(cfg))
        environ = playbook.playbook_env(str(home))
        environ['ANSIBLE_CONFIG'] = str(cfg)
        all_vars = {'out_dir': str(self.out_dir), 'ansible_connection': 'local',
                    'ansible_python_interpreter': sys.executable}
        all_vars.update(extra_vars)
        (work / 'extra_vars.json').write_text(json.dumps(all_vars))
        command = [playbook.ANSIBLE_PLAYBOOK, '-i', 'localhost,', '-c', 'local', '-e', '@%s' % (work / 'extra_vars.json'),
                   os.path.join(PLAYBOOKS, name)] + (['-' + 'v' * verbosity] if verbosity else [])
        self.lines = []
        master, slave = pty.openpty()
        self.started = time.monotonic()
        self.proc = subprocess.Popen(command, env=environ, cwd=str(work), stdin=subprocess.DEVNULL,
                                     stdout=slave, stderr=slave, close_fds=True)
        os.close(slave)
        self.reader = threading.Thread(target=self._read, args=(master,), daemon=True)
        self.reader.start()

    def _read(self, master):
        pending = b''
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the playbook has ended and closed the terminal
                chunk = b''
            if not chunk:
                break
            pending += chunk
            *complete, pending = pending.split(b'\n')
            now = time.monotonic() - self.started
            self.lines.extend((now, line.decode('utf-8', 'replace').rstrip('\r')) for line in complete)
        if pending:
            self.lines.append((time.monotonic() - self.started, pending.decode('utf-8', 'replace')))
        os.close(master)

    def finish(self, timeout=240):
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        self.reader.join(10)
        self.output = '\n'.join(line for _unused, line in self.lines)
        with open(str(self.out_dir / 'result.json')) as handle:
            self.result = json.load(handle)
        return rc

    def first(self, predicate):
        """``(seconds, line)`` of the first line for which ``predicate(line)`` holds."""
        return next((seen, line) for seen, line in self.lines if predicate(line))


def start(emulator_factory, tmp_path, name, run_id, duration, verbosity, **extra):
    emu = emulator_factory(scenario())
    live = LivePlaybook(tmp_path / name, 'progress.yml', dict(extra, emu_url=emu.url, emu_token=SENTINEL, run_id=run_id,
                                                              start_runs=[long_run(run_id, duration)]), verbosity)
    return emu, live


def test_a_long_wait_shows_progress_while_it_waits(emulator_factory, tmp_path):
    verbose_emu, verbose = start(emulator_factory, tmp_path, 'verbose', RUN, 75, 1)
    quiet_emu, quiet = start(emulator_factory, tmp_path, 'quiet', RUN, 75, 0)
    hidden_emu, hidden = start(emulator_factory, tmp_path, 'no_log', QUIET_RUN, 40, 1, task_no_log=True)
    for live in (verbose, quiet, hidden):
        assert live.finish() == 0, live.output

    # -v: lines about every 30 s, each naming the run, its status and steps so far, before the task's result
    progress = [(seen, PROGRESS.match(line)) for seen, line in verbose.lines if PROGRESS.match(line)]
    result_at, _unused = verbose.first(lambda line: line.startswith('ok: [localhost] => {"changed": false, "elapsed"'))
    task_at, _unused = verbose.first(lambda line: line.startswith('TASK [Wait on the run]'))
    timings = {'task_started': round(task_at, 1), 'progress': [round(seen, 1) for seen, _unused in progress],
               'waited': [int(match.group(1)) for _unused, match in progress], 'result': round(result_at, 1),
               'requests': {'-v': verbose_emu.count(), 'verbosity 0': quiet_emu.count()}}
    print('measured: %s' % timings)
    assert len(progress) == 2, (timings, verbose.output)
    assert [int(match.group(1)) // 30 for _unused, match in progress] == [1, 2], timings
    assert all(task_at < seen < result_at for seen, _unused in progress)
    assert result_at - progress[0][0] > 25, timings  # shown as it came, not with the result
    assert 25 < progress[0][0] - task_at < 50, timings
    steps = [int(match.group(3)) for _unused, match in progress]
    assert steps[0] >= 1 and steps[1] > steps[0] and all(m.group(2) == 'running' for _unused, m in progress)
    run = verbose.result['run']
    assert run['id'] == RUN and run['status'] == 'completed' and len(run['logs']) == 7

    # module_defaults of the group gave api_url and token: no ALTOSTRAT_* variable reached the playbook
    assert verbose_emu.count() == verbose_emu.count(path='/workflows/runs/%s' % RUN) > 0
    assert all(record['auth_ok'] for record in verbose_emu.requests)

    # no extra request: the same wait at verbosity 0 shows nothing and polls as often
    assert not any('altostrat.cloud.workflow_run_info:' in line for _unused, line in quiet.lines)
    assert quiet.result['run']['status'] == 'completed'
    assert abs(verbose_emu.count() - quiet_emu.count()) <= 1, (verbose_emu.count(), quiet_emu.count())

    # no_log: the wait is alive, its run is not named; the token is in no output
    shown = [line for _unused, line in hidden.lines if 'altostrat.cloud.workflow_run_info:' in line]
    assert len(shown) == 1 and re.match(r'^<localhost> altostrat\.cloud\.workflow_run_info: still waiting after '
                                        r'[0-9]+ s \(details hidden: no_log\)$', shown[0]), hidden.output
    assert not any(QUIET_RUN in line for line in sections(hidden.output)['Wait on the run'])
    assert 'censored' in hidden.output
    assert hidden_emu.count(path='/workflows/runs/%s' % QUIET_RUN) > 0
    for live in (verbose, quiet, hidden):
        assert SENTINEL not in live.output


# ---- where the progress file is given ----------------------------------------------------

STUB_CONNECTION = '''
DOCUMENTATION = """
    name: altostrat_stub
    short_description: runs commands here, but is not the local connection (tests only)
    description: [The local connection under another name, standing in for a connection to a bastion host.]
    author: altostrat.cloud tests
    extends_documentation_fragment:
        - connection_pipelining
"""

from ansible.plugins.connection.local import Connection as LocalConnection


class Connection(LocalConnection):
    transport = 'altostrat_stub'
'''


def sections(output):
    """Output split at each task header: {task name: its lines}."""
    found, name = {}, None
    for line in output.splitlines():
        header = re.match(r'^TASK \[(.*)\]', line)
        if header:
            name = header.group(1)
        elif name:
            found.setdefault(name, []).append(line)
    return found


def exec_lines(lines):
    """The -vvv ``EXEC`` lines that start the module (directly or through async_wrapper)."""
    return [line for line in lines if 'EXEC ' in line and '%s ' % sys.executable in line
            and 'AnsiballZ_workflow_run_info.py' in line and 'chmod ' not in line]


def test_the_file_is_given_on_the_controller_only(run_playbook, tmp_path):
    # an absolute async dir: async_status would look for '~' of the real HOME (as the benchmarks do it)
    res = run_playbook('progress_paths.yml', verbosity=3, expect_rc=0, extra_env={'ANSIBLE_ASYNC_DIR': str(tmp_path / 'async')})
    found = sections(res.output)
    plain, with_async = exec_lines(found['Read the run']), exec_lines(found['Read the run with async'])
    assert plain and all('ALTOSTRAT_PROGRESS_FILE=' in line for line in plain), res.output
    assert with_async and not any('ALTOSTRAT_PROGRESS_FILE' in line for line in with_async), res.output
    assert res['result']['plain']['run']['status'] == 'completed'
    assert res['result']['with_async']['run']['status'] == 'completed' and res['result']['with_async']['finished'] == 1


def test_another_connection_runs_the_module_as_before(run_playbook, tmp_path):
    plugins = tmp_path / 'connection_plugins'
    plugins.mkdir()
    (plugins / 'altostrat_stub.py').write_text(STUB_CONNECTION)
    env = {'ANSIBLE_CONNECTION_PLUGINS': str(plugins), 'ANSIBLE_ASYNC_DIR': str(tmp_path / 'async')}
    res = run_playbook('progress_paths.yml', verbosity=3, expect_rc=0, extra_env=env, extra_vars={'ansible_connection': 'altostrat_stub'})
    found = sections(res.output)
    lines = exec_lines(found['Read the run']) + exec_lines(found['Read the run with async'])
    assert lines and not any('ALTOSTRAT_PROGRESS_FILE' in line for line in lines), res.output
    assert 'ESTABLISH LOCAL CONNECTION' in res.output  # the stub is the local connection under another name
    assert res['result']['plain']['run']['status'] == 'completed'
    assert res['result']['with_async']['run']['status'] == 'completed'
