"""The Event-Driven Ansible source ``altostrat.cloud.workflow_runs`` as ansible-rulebook runs it, for the tests.

* ``SOURCE_PATH``: the source in the ``.build`` collection tree, where ``ansible-galaxy collection list`` finds it;
* ``load_source()``: its globals, the file run on its own as ansible-rulebook runs it (not imported as part of the
  collection). ansible-rulebook uses ``runpy.run_path``; in a test process Ansible's collection loader claims every
  path under ``ansible_collections`` as an import path, which ``run_path`` then refuses, so the file is executed as a
  module of its own from its path (``__file__`` the same); the tests that start a fresh Python use ``run_path`` itself;
* ``run_source(main, args, until=None, seconds=10)``: drive ``main(queue, args)`` with an ``asyncio.Queue`` until
  ``until(events)`` holds, ``main`` ends or ``seconds`` pass; returns ``(events, error)``, ``error`` being what ended
  ``main`` (None if it was still running, and then cancelled, or returned);
* ``shift(emu, run_id, seconds)``: move an emulator run ``seconds`` further into its life (pending, running, final),
  without waiting.
"""

import asyncio
import importlib.util
import os

from testkit.collection import COLLECTIONS

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
