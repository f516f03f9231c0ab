"""What the reliability plays share (``from e2e.reliability.plays import ...``; fixtures in ``conftest.py``).

* ``run_play(root, playbook, url, ...)``: run ``playbooks/<playbook>`` with ``testkit.playbook.run_playbook`` (private
  HOME and ``ansible.cfg``, no proxy of the caller) against an emulator at ``url``, with the token
  ``testkit.SENTINEL``; set ``REL_DEBUG=<file>`` to append every play's output to that file;
* ``scenario(*runs, ...)``: a small emulator scenario of finished runs, faults and workflows;
* ``count_connections(emu)``: the TCP connections an emulator accepts (a failed TLS handshake sends no request).
"""

import os

from testkit import SENTINEL
from testkit.playbook import run_playbook

PLAYBOOKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'playbooks')
# what every reliability play runs with, on top of testkit.playbook's clean environment
PLAY_ENV = {'ANSIBLE_DEPRECATION_WARNINGS': '0', 'ANSIBLE_PIPELINING': '1'}


def run_play(root, playbook, url, token=SENTINEL, extra_vars=None, extra_env=None, verbosity=0, home_files=None,
             timeout=170):
    """Run ``playbooks/<playbook>`` in a subprocess under ``root`` (a fresh directory), killed after ``timeout``
    seconds; return a PlaybookResult."""
    env = dict(PLAY_ENV)
    if url is not None:
        env['ALTOSTRAT_API_URL'] = url
    if token is not None:
        env['ALTOSTRAT_TOKEN'] = token
    env.update(extra_env or {})
    played = run_playbook(root, os.path.join(PLAYBOOKS, playbook), extra_vars=extra_vars, env=env, verbosity=verbosity,
                          home_files=home_files, isolate_network=True, timeout=timeout)
    if os.environ.get('REL_DEBUG'):
        with open(os.environ['REL_DEBUG'], 'a') as handle:
            handle.write('=== %s (%.1fs)\n%s\n' % (playbook, played.seconds, played.output))
    return played


def scenario(*runs, tokens=(SENTINEL,), faults=(), workflows=()):
    """A small emulator scenario: finished completed runs with the given ids (or run specs), plus extra specs.

    Workflow ``fl_wf_rel`` is always there; the API's rate limit is on (60 a minute), as on the real API.
    """
    specs = []
    for run in runs:
        spec = {'id': run, 'workflow_id': 'fl_wf_rel', 'finished': True, 'status': 'completed', 'steps': 2} \
            if isinstance(run, str) else run
        specs.append(spec)
    flows = [{'id': 'fl_wf_rel', 'run_template': {'pending_for': 0, 'duration': 0.2, 'status': 'completed', 'steps': 1}}]
    flows.extend(workflows)
    return {'tokens': list(tokens), 'runs': specs, 'workflows': flows, 'faults': list(faults)}


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
