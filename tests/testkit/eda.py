"""The Event-Driven Ansible source ``altostrat.cloud.workflow_runs`` as ansible-rulebook runs it, for the tests.

* ``SOURCE_PATH``: the source in the ``.build`` collection tree, where ``ansible-galaxy collection list`` finds it;
* ``load_source()``: its globals, the file run on its own as ansible-rulebook runs it (not imported as part of the
  collection). ansible-rulebook uses ``runpy.run_path``; in a test process Ansible's collection loader claims every
  path under ``ansible_collections`` as an import path, which ``run_path`` then refuses, so the file is executed as a
  module of its own from its path (``__file__`` the same); the tests that start a fresh Python use ``run_path`` itself;
* ``run_source(main, args, until=None, seconds=10)``: drive ``main(queue, args)`` with an ``asyncio.Queue`` until
  ``until(events)`` holds, ``main`` ends or ``seconds`` pass; returns ``(events, error)``, ``error`` being what ended
  ``main`` (None if it was still running, and then cancelled, or returned);
* ``start_rulebook(work, rulebook, variables, env=None)``: a REAL ``ansible-rulebook`` in the background;
* ``shift(emu, run_id, seconds)``: move an emulator run ``seconds`` further into its life (pending, running, final),
  without waiting.
"""

import asyncio
import importlib.util
import json
import os
import pathlib
import subprocess
import sys
import time

from testkit.collection import COLLECTIONS
from testkit.playbook import BIN, playbook_env

SOURCE_PATH = os.path.join(COLLECTIONS, 'ansible_collections', 'altostrat', 'cloud', 'extensions', 'eda', 'plugins',
                           'event_source', 'workflow_runs.py')


def load_source():
    spec = importlib.util.spec_from_file_location('altostrat_workflow_runs_source', SOURCE_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return vars(module)


def run_source(main, args, until=None, seconds=10.0):
    async def drive():
        loop = asyncio.get_running_loop()
        queue = asyncio.Queue()
        task = asyncio.create_task(main(queue, args))
        events, deadline = [], loop.time() + seconds
        while not task.done() and not (until and until(events)) and loop.time() < deadline:
            try:
                events.append(await asyncio.wait_for(queue.get(), 0.05))
            except asyncio.TimeoutError:
                pass
        while not queue.empty():
            events.append(queue.get_nowait())
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            return events, None
        return events, task.exception()

    return asyncio.run(drive())


def shift(emu, run_id, seconds):
    emu.run(run_id).created -= seconds


class RulebookRun:
    """A REAL ``ansible-rulebook`` started by ``start_rulebook``: ``.wait(timeout)`` -> ``(rc, output)``, ``.seconds``."""

    def __init__(self, proc, log, started):
        self.proc = proc
        self.log = log
        self.started = started
        self.seconds = None

    def wait(self, timeout=180):
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.seconds = time.monotonic() - self.started
        with open(self.log) as handle:
            return self.proc.returncode, handle.read()


def start_rulebook(work, rulebook, variables, env=None, verbosity=1):
    """Start ``ansible-rulebook`` (this venv's) on ``rulebook`` with ``variables`` (``--vars``) under ``work``, on an
    inventory of ``localhost`` (local connection, interpreter pinned), in the clean environment of ``run_playbook``
    (``testkit.playbook.playbook_env``) plus ``env``; Java is the machine's, found as ansible-rulebook finds it."""
    work = pathlib.Path(work)
    (work / 'home').mkdir(parents=True, exist_ok=True)
    inventory = work / 'inventory.yml'
    inventory.write_text(json.dumps({'all': {'hosts': {'localhost': {
        'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}}}}))
    vars_file = work / 'vars.yml'
    vars_file.write_text(json.dumps(variables))
    environ = playbook_env(str(work / 'home'), isolate_network=True)
    environ.update(env or {})
    log = work / 'rulebook.log'
    command = [os.path.join(BIN, 'ansible-rulebook'), '-r', str(rulebook), '-i', str(inventory), '--vars', str(vars_file)]
    command += ['-' + 'v' * verbosity] if verbosity else []
    with open(log, 'w') as out:
        proc = subprocess.Popen(command, env=environ, cwd=str(work), stdout=out, stderr=subprocess.STDOUT)
    return RulebookRun(proc, str(log), time.monotonic())
