"""Run a REAL ``ansible-playbook`` against the API emulator, in a private, clean environment.

``run_playbook(work, playbook, ...)`` runs ``playbook`` (a path) in a subprocess, from the same venv as pytest,
on the implicit-style ``localhost`` (``-i localhost,`` + local connection, interpreter pinned to
``sys.executable``), under ``work`` (a fresh directory): a private ``HOME``/``ansible.cfg``/temp dirs, no
``ALTOSTRAT_*``/``ANSIBLE_*``/``PYENV*`` variable or ``PYTHONPATH`` of the caller, no pyenv shims on ``PATH``.
The playbook gets ``out_dir`` as an extra var, and the result holds every ``<out_dir>/<name>.json`` it wrote,
parsed, keyed by ``<name>`` (``result[name]``), its output (``result.output``, with ``result.warnings(about)``),
``rc`` and ``seconds``.
"""

import glob
import json
import os
import pathlib
import subprocess
import sys
import time

from testkit.collection import COLLECTIONS

BIN = os.path.dirname(sys.executable)
ANSIBLE_PLAYBOOK = os.path.join(BIN, 'ansible-playbook')

_SCRUBBED_PREFIXES = ('ALTOSTRAT_', 'ANSIBLE_', 'PYENV')
_SCRUBBED_NAMES = ('PYTHONPATH',)
# with isolate_network: no proxy, no CA bundle of the caller
_NETWORK_PREFIXES = ('REQUESTS_', 'CURL_')
_NETWORK_NAMES = ('HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy')


class PlaybookResult:
    def __init__(self, rc, output, results, command, seconds):
        self.rc = rc
        self.output = output
        self.results = results
        self.command = command
        self.seconds = seconds

    def __getitem__(self, name):
        return self.results[name]

    def warnings(self, about=''):
        """The ``[WARNING]:`` lines of the output that mention ``about``."""
        return [line for line in self.output.splitlines() if line.startswith('[WARNING]:') and about in line]

    def __repr__(self):
        return '<PlaybookResult rc=%s files=%s in %.1fs>\n%s' % (self.rc, sorted(self.results), self.seconds, self.output)


def clean_path():
    """``PATH`` with this venv's ``bin`` first and without pyenv shims."""
    parts = [p for p in os.environ.get('PATH', '').split(os.pathsep)
             if p and not p.rstrip('/').endswith(('pyenv/shims', 'pyenv-virtualenv/shims')) and p != BIN]
    return os.pathsep.join([BIN] + parts)


def playbook_env(home, isolate_network=False):
    """The environment of a playbook run with ``home`` as its private HOME."""
    prefixes, names = _SCRUBBED_PREFIXES, _SCRUBBED_NAMES
    if isolate_network:
        prefixes, names = prefixes + _NETWORK_PREFIXES, names + _NETWORK_NAMES
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes) and k not in names}
    env.update({
        'PATH': clean_path(),
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
    if isolate_network:
        env['NO_PROXY'] = '*'
    return env


def write_cfg(path, sections=None):
    """An ``ansible.cfg`` pinning the interpreter to ``sys.executable``, plus ``sections`` ({section: {key: value}})."""
    sections = dict(sections or {})
    defaults = dict({'interpreter_python': sys.executable}, **sections.pop('defaults', {}))
    lines = ['[defaults]'] + ['%s = %s' % item for item in defaults.items()] + ['']
    for section, values in sections.items():
        lines.append('[%s]' % section)
        lines.extend('%s = %s' % (key, value) for key, value in values.items())
        lines.append('')
    with open(path, 'w') as handle:
        handle.write('\n'.join(lines))


def read_results(out_dir):
    results = {}
    for path in sorted(glob.glob(os.path.join(str(out_dir), '*.json'))):
        with open(path) as handle:
            results[os.path.splitext(os.path.basename(path))[0]] = json.load(handle)
    return results


def run_playbook(work, playbook, extra_vars=None, env=None, check=False, verbosity=0, cfg_sections=None,
                 home_files=None, isolate_network=False, timeout=180, expect_rc=None):
    """Run ``playbook`` under ``work`` (a fresh directory); return a ``PlaybookResult``.

    ``extra_vars`` are added to ``out_dir`` and the connection vars; ``env`` is applied last (a ``None`` value
    removes the variable); ``home_files`` ({name: text}) are written to the private HOME, mode 0600;
    ``cfg_sections`` go to the private ``ansible.cfg``; ``isolate_network`` also drops the caller's proxy and
    CA-bundle variables and sets ``NO_PROXY=*``; ``expect_rc`` asserts the return code.
    """
    work = pathlib.Path(work)
    out_dir, home = work / 'out', work / 'home'
    for path in (out_dir, home):
        path.mkdir(parents=True)
    for name, text in (home_files or {}).items():
        (home / name).write_text(text)
        os.chmod(str(home / name), 0o600)
    cfg = work / 'ansible.cfg'
    write_cfg(str(cfg), cfg_sections)

    environ = playbook_env(str(home), isolate_network)
    environ['ANSIBLE_CONFIG'] = str(cfg)
    for key, value in (env or {}).items():
        if value is None:
            environ.pop(key, None)
        else:
            environ[key] = value

    all_vars = {'out_dir': str(out_dir), 'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}
    all_vars.update(extra_vars or {})
    vars_file = work / 'extra_vars.json'
    vars_file.write_text(json.dumps(all_vars))

    command = [ANSIBLE_PLAYBOOK, '-i', 'localhost,', '-c', 'local', '-e', '@%s' % vars_file, str(playbook)]
    if check:
        command.append('--check')
    if verbosity:
        command.append('-' + 'v' * verbosity)
    started = time.monotonic()
    proc = subprocess.run(command, env=environ, cwd=str(work), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=timeout, check=False)
    result = PlaybookResult(proc.returncode, proc.stdout, read_results(out_dir), command, time.monotonic() - started)
    if expect_rc is not None:
        assert proc.returncode == expect_rc, 'rc %d != %d; output:\n%s' % (proc.returncode, expect_rc, proc.stdout)
    return result
