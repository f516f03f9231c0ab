"""End-to-end helpers: run a REAL ``ansible-playbook`` against the API emulator.

``run_playbook(playbook, extra_env=None, extra_vars=None, check=False, verbosity=0,
expect_rc=None, emu=None, connection_env=True, cfg_sections=None)`` runs
``tests/e2e/playbooks/<playbook>`` in a subprocess, from the same venv as pytest, on the
implicit-style ``localhost`` (``-i localhost,`` + local connection, interpreter pinned to
``sys.executable``), with a private ``ansible.cfg``/``HOME``/temp dirs, and returns a
``PlaybookResult``: ``rc``, ``output`` (stdout + stderr) and ``results`` — every
``<out_dir>/<name>.json`` the playbook wrote, parsed, keyed by ``<name>``.

By default ``ALTOSTRAT_API_URL``/``ALTOSTRAT_TOKEN`` point at the ``emulator`` fixture
(``connection_env=False`` leaves every ``ALTOSTRAT_*`` variable unset); the playbook also
gets ``emu_url`` and ``emu_token`` as extra vars, and ``out_dir``.
"""

import glob
import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PLAYBOOKS = os.path.join(HERE, 'playbooks')
REPO = os.path.dirname(os.path.dirname(HERE))
COLLECTIONS = os.path.join(REPO, '.build')
BIN = os.path.dirname(sys.executable)
ANSIBLE_PLAYBOOK = os.path.join(BIN, 'ansible-playbook')
TOKEN = 'test-token'


class PlaybookResult:
    def __init__(self, rc, output, results, command):
        self.rc = rc
        self.output = output
        self.results = results
        self.command = command

    def __getitem__(self, name):
        return self.results[name]

    def __repr__(self):
        return '<PlaybookResult rc=%s files=%s>\n%s' % (self.rc, sorted(self.results), self.output)


def _clean_path():
    parts = [p for p in os.environ.get('PATH', '').split(os.pathsep)
             if p and not p.rstrip('/').endswith(('pyenv/shims', 'pyenv-virtualenv/shims')) and p != BIN]
    return os.pathsep.join([BIN] + parts)


def _base_env(home):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(('ALTOSTRAT_', 'ANSIBLE_', 'PYENV')) and k not in ('PYTHONPATH',)}
    env.update({
        'PATH': _clean_path(),
        'HOME': home,
        'ANSIBLE_HOME': os.path.join(home, '.ansible'),
        'ANSIBLE_LOCAL_TEMP': os.path.join(home, 'tmp-local'),
        'ANSIBLE_REMOTE_TEMP': os.path.join(home, 'tmp-remote'),
        'ANSIBLE_COLLECTIONS_PATH': os.environ.get('ANSIBLE_COLLECTIONS_PATH') or COLLECTIONS,
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_FORCE_COLOR': '0',
        'ANSIBLE_RETRY_FILES_ENABLED': '0',
        'PYTHONDONTWRITEBYTECODE': '1',
    })
    return env


def _write_cfg(path, sections):
    lines = ['[defaults]', 'interpreter_python = %s' % sys.executable, '']
    for section, values in (sections or {}).items():
        lines.append('[%s]' % section)
        lines.extend('%s = %s' % (key, value) for key, value in values.items())
        lines.append('')
    with open(path, 'w') as handle:
        handle.write('\n'.join(lines))


@pytest.fixture
def run_playbook(emulator, tmp_path):
    counter = [0]

    def run(playbook, extra_env=None, extra_vars=None, check=False, verbosity=0, expect_rc=None,
            emu=None, connection_env=True, cfg_sections=None):
        emu = emu or emulator
        counter[0] += 1
        work = tmp_path / ('pb%d' % counter[0])
        out_dir = work / 'out'
        home = work / 'home'
        for path in (out_dir, home):
            path.mkdir(parents=True)
        cfg = work / 'ansible.cfg'
        _write_cfg(str(cfg), cfg_sections)

        env = _base_env(str(home))
        env['ANSIBLE_CONFIG'] = str(cfg)
        if connection_env:
            env['ALTOSTRAT_API_URL'] = emu.url
            env['ALTOSTRAT_TOKEN'] = TOKEN
        for key, value in (extra_env or {}).items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value

        all_vars = {'out_dir': str(out_dir), 'emu_url': emu.url, 'emu_token': TOKEN,
                    'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}
        all_vars.update(extra_vars or {})
        vars_file = work / 'extra_vars.json'
        vars_file.write_text(json.dumps(all_vars))

        command = [ANSIBLE_PLAYBOOK, '-i', 'localhost,', '-c', 'local', '-e', '@%s' % vars_file,
                   os.path.join(PLAYBOOKS, playbook)]
        if check:
            command.append('--check')
        if verbosity:
            command.append('-' + 'v' * verbosity)
        proc = subprocess.run(command, env=env, cwd=str(work), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              universal_newlines=True, timeout=180, check=False)
        results = {}
        for path in sorted(glob.glob(str(out_dir / '*.json'))):
            with open(path) as handle:
                results[os.path.splitext(os.path.basename(path))[0]] = json.load(handle)
        result = PlaybookResult(proc.returncode, proc.stdout, results, command)
        if expect_rc is not None:
            assert proc.returncode == expect_rc, 'rc %d != %d; output:\n%s' % (proc.returncode, expect_rc, proc.stdout)
        return result

    return run
