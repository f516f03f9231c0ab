"""Shared set-up of the reliability and security suite (issue 5).

* Ansible's collection loader on the ``.build`` tree made by ``tests/conftest.py``, so the
  plugins import as ``ansible_collections.altostrat.cloud...``;
* ``FakeClock``: a monotonic clock that only moves when slept on (or advanced);
* ``FakeAdapter``: a ``requests`` transport adapter that answers from a script, captures every
  prepared request and can move the fake clock, so the client is exercised without a socket;
* ``SENTINEL``: the token every secret test looks for;
* ``play(...)``: run a REAL ``ansible-playbook`` from ``tests/reliability/playbooks`` against an
  emulator, with a private HOME/ansible.cfg, returning rc, output and the JSON files it wrote;
* ``tls_ca``/``tls_emulator``: a trustme CA made at test time and an emulator serving TLS with it.
"""

import glob
import io
import json
import os
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
COLLECTIONS = os.path.join(REPO, '.build')
PLAYBOOKS = os.path.join(HERE, 'playbooks')
BIN = os.path.dirname(sys.executable)
ANSIBLE_PLAYBOOK = os.path.join(BIN, 'ansible-playbook')

SENTINEL = 'SeNtInEl-c0ffee-5ecret-TOKEN-42'


def _install_collection_loader():
    from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder
    if any(isinstance(finder, _AnsibleCollectionFinder) for finder in sys.meta_path):
        return
    for name in [n for n in sys.modules if n == 'ansible_collections' or n.startswith('ansible_collections.')]:
        del sys.modules[name]
    _AnsibleCollectionFinder(paths=[COLLECTIONS])._install()


_install_collection_loader()

import requests  # noqa: E402
import urllib3  # noqa: E402
from requests.adapters import BaseAdapter  # noqa: E402
from requests.structures import CaseInsensitiveDict  # noqa: E402


class FakeClock:
    """A monotonic clock that only moves when ``sleep`` is called (or ``advance``)."""

    def __init__(self, now=1000.0):
        self.now = float(now)
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        assert seconds >= 0, 'negative sleep %r' % seconds
        self.sleeps.append(seconds)
        self.now += seconds

    def advance(self, seconds):
        self.now += seconds


class Answer:
    """One scripted answer of ``FakeAdapter``: a status/body/headers, or an exception to raise.

    ``cost`` seconds are added to the fake clock when the answer is given (time on the wire).
    """

    def __init__(self, status=200, body=b'', headers=None, exc=None, cost=0.0, reason='OK'):
        self.status = status
        self.body = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.headers = headers or {'Content-Type': 'application/json'}
        self.exc = exc
        self.cost = cost
        self.reason = reason


class FakeAdapter(BaseAdapter):
    """Answer requests from ``script`` (a list of Answer, or a callable(prepared) -> Answer)."""

    def __init__(self, script, clock=None):
        super().__init__()
        self.script = script
        self.clock = clock
        self.sent = []

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        self.sent.append(request)
        if callable(self.script):
            answer = self.script(request)
        else:
            answer = self.script[min(len(self.sent), len(self.script)) - 1]
        if self.clock is not None and answer.cost:
            self.clock.advance(answer.cost)
        if answer.exc is not None:
            raise answer.exc
        raw = urllib3.HTTPResponse(body=io.BytesIO(answer.body), headers=answer.headers, status=answer.status,
                                   preload_content=False, decode_content=False, reason=answer.reason)
        response = requests.Response()
        response.status_code = answer.status
        response.headers = CaseInsensitiveDict(answer.headers)
        response.raw = raw
        response.reason = answer.reason
        response.url = request.url
        response.request = request
        response.encoding = None
        return response

    def close(self):
        pass


def fake_client(script, token=SENTINEL, api_url='https://api.test', clock=None, **kwargs):
    """A Client on a fake clock whose session is served by a FakeAdapter; warnings in ``.warnings``."""
    from ansible_collections.altostrat.cloud.plugins.module_utils._client import Client
    clock = clock or FakeClock()
    warnings = []
    kwargs.setdefault('warn', warnings.append)
    client = Client(token, api_url=api_url, clock=clock, sleep=clock.sleep, **kwargs)
    adapter = FakeAdapter(script, clock)
    client.session.mount('https://', adapter)
    client.session.mount('http://', adapter)
    client.adapter, client.fake_clock, client.warnings = adapter, clock, warnings
    return client


RUN_OK = {'id': 'fl_run_x', 'status': 'completed', 'logs': []}
RUN_RUNNING = {'id': 'fl_run_x', 'status': 'running', 'logs': []}


@pytest.fixture
def clock():
    return FakeClock()


# ---- end to end ----------------------------------------------------------------------------


class Played:
    def __init__(self, rc, output, results, seconds):
        self.rc, self.output, self.results, self.seconds = rc, output, results, seconds

    def __getitem__(self, name):
        return self.results[name]

    def __repr__(self):
        return '<Played rc=%s files=%s in %.1fs>\n%s' % (self.rc, sorted(self.results), self.seconds, self.output)


def _clean_env(home):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(('ALTOSTRAT_', 'ANSIBLE_', 'PYENV', 'REQUESTS_', 'CURL_'))
           and k not in ('PYTHONPATH', 'HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy')}
    env.update({
        'PATH': os.pathsep.join([BIN, os.environ.get('PATH', '')]),
        'HOME': home,
        'ANSIBLE_HOME': os.path.join(home, '.ansible'),
        'ANSIBLE_LOCAL_TEMP': os.path.join(home, 'tmp-local'),
        'ANSIBLE_REMOTE_TEMP': os.path.join(home, 'tmp-remote'),
        'ANSIBLE_COLLECTIONS_PATH': os.environ.get('ANSIBLE_COLLECTIONS_PATH') or COLLECTIONS,
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_FORCE_COLOR': '0',
        'ANSIBLE_RETRY_FILES_ENABLED': '0',
        'ANSIBLE_DEPRECATION_WARNINGS': '0',
        'ANSIBLE_PIPELINING': '1',
        'PYTHONDONTWRITEBYTECODE': '1',
        'NO_PROXY': '*',
    })
    return env


def run_play(root, playbook, url, token=SENTINEL, extra_vars=None, extra_env=None, verbosity=0, home_files=None):
    """Run ``playbooks/<playbook>`` in a subprocess under ``root`` (a fresh directory); return a Played."""
    work = root
    out_dir, home = work / 'out', work / 'home'
    out_dir.mkdir(parents=True)
    home.mkdir(parents=True)
    for name, text in (home_files or {}).items():
        (home / name).write_text(text)
        os.chmod(str(home / name), 0o600)
    cfg = work / 'ansible.cfg'
    cfg.write_text('[defaults]\ninterpreter_python = %s\n' % sys.executable)
    env = _clean_env(str(home))
    env['ANSIBLE_CONFIG'] = str(cfg)
    if url is not None:
        env['ALTOSTRAT_API_URL'] = url
    if token is not None:
        env['ALTOSTRAT_TOKEN'] = token
    env.update(extra_env or {})
    all_vars = {'out_dir': str(out_dir), 'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}
    all_vars.update(extra_vars or {})
    (work / 'vars.json').write_text(json.dumps(all_vars))
    command = [ANSIBLE_PLAYBOOK, '-i', 'localhost,', '-c', 'local', '-e', '@%s' % (work / 'vars.json'),
               os.path.join(PLAYBOOKS, playbook)]
    if verbosity:
        command.append('-' + 'v' * verbosity)
    started = time.monotonic()
    proc = subprocess.run(command, env=env, cwd=str(work), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=170)
    seconds = time.monotonic() - started
    results = {}
    for path in sorted(glob.glob(str(out_dir / '*.json'))):
        with open(path) as handle:
            results[os.path.splitext(os.path.basename(path))[0]] = json.load(handle)
    if os.environ.get('REL_DEBUG'):
        with open(os.environ['REL_DEBUG'], 'a') as handle:
            handle.write('=== %s (%.1fs)\n%s\n' % (playbook, seconds, proc.stdout))
    return Played(proc.returncode, proc.stdout, results, seconds)


@pytest.fixture
def play(tmp_path):
    """``play(playbook, url, token=SENTINEL, extra_vars=None, extra_env=None, verbosity=0, home_files=None)``."""
    counter = [0]

    def run(*args, **kwargs):
        counter[0] += 1
        return run_play(tmp_path / ('play%d' % counter[0]), *args, **kwargs)

    return run


@pytest.fixture(scope='module')
def module_emulators():
    """``make(scenario, **kwargs)``: emulators that live for the whole test module."""
    from emulator import Emulator
    started = []

    def make(spec, **kwargs):
        emu = Emulator(spec, **kwargs).start()
        started.append(emu)
        return emu

    yield make
    for emu in started:
        emu.stop()


def warnings_about(output, text):
    """The ``[WARNING]:`` lines of an ansible-playbook output that mention ``text``."""
    return [line for line in output.splitlines() if line.startswith('[WARNING]:') and text in line]


def scenario(*runs, tokens=(SENTINEL,), faults=(), workflows=()):
    """A small emulator scenario: finished completed runs with the given ids, plus extra specs."""
    specs = []
    for run in runs:
        spec = {'id': run, 'workflow_id': 'fl_wf_rel', 'finished': True, 'status': 'completed', 'steps': 2} \
            if isinstance(run, str) else run
        specs.append(spec)
    flows = [{'id': 'fl_wf_rel', 'run_template': {'pending_for': 0, 'duration': 0.2, 'status': 'completed', 'steps': 1}}]
    flows.extend(workflows)
    return {'tokens': list(tokens), 'runs': specs, 'workflows': flows, 'faults': list(faults)}


@pytest.fixture(scope='session')
def tls_ca(tmp_path_factory):
    """A trustme CA and a server certificate for 127.0.0.1/localhost, as files."""
    import trustme
    ca = trustme.CA()
    cert = ca.issue_cert('127.0.0.1', 'localhost')
    where = tmp_path_factory.mktemp('tls')
    paths = {'ca': where / 'ca.pem', 'cert': where / 'server.pem', 'key': where / 'server.key'}
    ca.cert_pem.write_to_path(str(paths['ca']))
    cert.private_key_pem.write_to_path(str(paths['key']))
    cert.cert_chain_pems[0].write_to_path(str(paths['cert']))
    for blob in cert.cert_chain_pems[1:]:
        blob.write_to_path(str(paths['cert']), append=True)
    return {name: str(path) for name, path in paths.items()}


def count_connections(emu):
    """Count the TCP connections the emulator accepts (a failed TLS handshake sends no HTTP request)."""
    server = emu._server
    accepted = []
    original = server.get_request

    def get_request():
        sock, addr = original()
        accepted.append(addr)
        return sock, addr

    server.get_request = get_request
    return accepted
