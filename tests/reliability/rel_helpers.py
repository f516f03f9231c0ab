"""Shared set-up of the reliability and security suite (issue 5).

* Ansible's collection loader on the ``.build`` tree made by ``tests/conftest.py``, so the
  plugins import as ``ansible_collections.altostrat.cloud...``;
* the ``clock`` fixture: a ``testkit.fakes.FakeClock`` (the fake client and clock are in ``testkit.fakes``);
* ``play(...)``/``run_play(...)``: run a REAL ``ansible-playbook`` from ``tests/reliability/playbooks`` against
  an emulator with ``testkit.playbook.run_playbook`` (private HOME/ansible.cfg, no proxy), returning rc,
  output and the JSON files it wrote;
* ``tls_ca``/``tls_emulator``: a trustme CA made at test time and an emulator serving TLS with it.
"""

import os

import pytest

from emulator.pytest_plugin import emulator_pool
from testkit.collection import install_collection_loader
from testkit.fakes import SENTINEL, FakeClock
from testkit.playbook import run_playbook

PLAYBOOKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'playbooks')
# what every reliability play runs with, on top of testkit.playbook's clean environment
PLAY_ENV = {'ANSIBLE_DEPRECATION_WARNINGS': '0', 'ANSIBLE_PIPELINING': '1'}

install_collection_loader()

RUN_OK = {'id': 'fl_run_x', 'status': 'completed', 'logs': []}
RUN_RUNNING = {'id': 'fl_run_x', 'status': 'running', 'logs': []}


@pytest.fixture
def clock():
    return FakeClock()


# ---- end to end ----------------------------------------------------------------------------


def run_play(root, playbook, url, token=SENTINEL, extra_vars=None, extra_env=None, verbosity=0, home_files=None):
    """Run ``playbooks/<playbook>`` in a subprocess under ``root`` (a fresh directory); return a PlaybookResult."""
    env = dict(PLAY_ENV)
    if url is not None:
        env['ALTOSTRAT_API_URL'] = url
    if token is not None:
        env['ALTOSTRAT_TOKEN'] = token
    env.update(extra_env or {})
    played = run_playbook(root, os.path.join(PLAYBOOKS, playbook), extra_vars=extra_vars, env=env, verbosity=verbosity,
                          home_files=home_files, isolate_network=True, timeout=170)
    if os.environ.get('REL_DEBUG'):
        with open(os.environ['REL_DEBUG'], 'a') as handle:
            handle.write('=== %s (%.1fs)\n%s\n' % (playbook, played.seconds, played.output))
    return played


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
    with emulator_pool() as make:
        yield make


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
