"""End-to-end helpers: run a REAL ``ansible-playbook`` against the API emulator.

``run_playbook(playbook, extra_env=None, extra_vars=None, check=False, verbosity=0,
expect_rc=None, emu=None, connection_env=True, cfg_sections=None, timeout=180)`` runs
``tests/e2e/playbooks/<playbook>`` with ``testkit.playbook.run_playbook`` (a private
``ansible.cfg``/``HOME``/temp dirs, interpreter pinned to ``sys.executable``) and returns a
``PlaybookResult``: ``rc``, ``output`` (stdout + stderr) and ``results`` — every
``<out_dir>/<name>.json`` the playbook wrote, parsed, keyed by ``<name>``.

By default ``ALTOSTRAT_API_URL``/``ALTOSTRAT_TOKEN`` point at the ``emulator`` fixture
(``connection_env=False`` leaves every ``ALTOSTRAT_*`` variable unset), with ``testkit.TOKEN``;
the playbook also gets ``emu_url`` and ``emu_token`` as extra vars, and ``out_dir``.
"""

import os

import pytest

from e2e.checks import PLAYBOOKS
from testkit import TOKEN, playbook


@pytest.fixture
def run_playbook(emulator, tmp_path):
    counter = [0]

    def run(name, extra_env=None, extra_vars=None, check=False, verbosity=0, expect_rc=None,
            emu=None, connection_env=True, cfg_sections=None, timeout=180):
        emu = emu or emulator
        counter[0] += 1
        env = {'ALTOSTRAT_API_URL': emu.url, 'ALTOSTRAT_TOKEN': TOKEN} if connection_env else {}
        env.update(extra_env or {})
        all_vars = {'emu_url': emu.url, 'emu_token': TOKEN}
        all_vars.update(extra_vars or {})
        return playbook.run_playbook(tmp_path / ('pb%d' % counter[0]), os.path.join(PLAYBOOKS, name),
                                     extra_vars=all_vars, env=env, check=check, verbosity=verbosity,
                                     cfg_sections=cfg_sections, timeout=timeout, expect_rc=expect_rc)

    return run
