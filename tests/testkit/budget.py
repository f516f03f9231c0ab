"""Shared pieces of the request budget's tests (``tests/unit/plugins/module_utils/test_budget*.py``).

* ``T0``: where the fake clock starts; ``API``, ``TOKEN``: the budget's key;
* ``make(directory, clock, ...)``: a Budget on the fake clock;
* ``state_path(directory)``: where that budget's file is; ``no_sleep``: the sleep of another process;
* ``private_budget_state(monkeypatch, tmp_path)``: a test's budget state its own, and no ``ALTOSTRAT_*`` variable;
* ``state_file(budget)``: the file shared on this machine, if that is where ``budget`` is kept now (None: elsewhere);
* ``record_slots(budget)``: the slots its stores hand out, as they hand them out (seen from outside the budget);
* ``hammer(...)``: the body of one process of the cross-process tests (spawned: importable by name).
"""

import hashlib
import os
import time

from ansible_collections.altostrat.cloud.plugins.module_utils._budget import Budget

from testkit.fakes import FakeClock

T0 = FakeClock().now
API = 'https://v1.api.altostrat.io'
TOKEN = 'tok-budget-S3CRET-0123456789abcdef'


def make(directory, clock, per_minute=3, token=TOKEN, api_url=API, sleep=None, **kwargs):
    return Budget(api_url, token, per_minute=per_minute, directory=directory, clock=clock,
                  sleep=sleep or clock.sleep, **kwargs)


def state_path(directory, api_url=API, token=TOKEN):
    name = hashlib.sha256((api_url + '\n' + token).encode('utf-8')).hexdigest()[:32] + '.json'
    return os.path.join(directory, name)


def no_sleep(seconds):
    """The sleep of another process: it waits, our clock does not move."""


def private_budget_state(monkeypatch, tmp_path):
    """For one test: no ``ALTOSTRAT_*`` variable of the caller, the budget shared across processes kept under a private
    ``XDG_RUNTIME_DIR``, and no budget kept in this process (nor file refused) by an earlier test."""
    from ansible_collections.altostrat.cloud.plugins.module_utils import _budget_local
    for name in [name for name in os.environ if name.startswith('ALTOSTRAT_')]:
        monkeypatch.delenv(name)
    runtime = tmp_path / 'runtime'
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv('XDG_RUNTIME_DIR', str(runtime))
    monkeypatch.setattr(_budget_local, '_MEMORY', {})
    monkeypatch.setattr(_budget_local, '_REFUSED', {})


def state_file(budget):
    """The file shared on this machine, if that is where ``budget`` is kept now (None: elsewhere)."""
    return getattr(budget.stores[0], 'path', None) if budget.stores else None


def record_slots(budget):
    """A list that gets every slot ``budget``'s stores reserve, in order (the last one: the slot of the last acquire)."""
    slots = []
    for store in budget.stores:
        def reserve(*args, _reserve=store.reserve):
            wait, slot = _reserve(*args)
            if slot is not None:
                slots.append(slot)
            return wait, slot
        store.reserve = reserve
    return slots


def hammer(directory, out, barrier, each, per_window, window, store=None, stop_store_after=None):
    """Acquire ``each`` slots as fast as possible; write down each slot (as the budget reserved it), when acquire
    returned (``time.time()``), and the store then in use; the warnings go to ``out + '.warnings'``.

    ``stop_store_after`` (n, a callable run once by this process after its n-th slot): stops the store mid-way."""
    warnings = []
    budget = Budget(API, TOKEN, per_minute=per_window, window=window, directory=directory, store=store,
                    warn=warnings.append)
    slots = record_slots(budget)
    barrier.wait(30)
    lines = []
    for n in range(each):
        budget.acquire(timeout=120)
        returned = time.time()
        lines.append('%r %r %s\n' % (slots[-1], returned, type(budget.stores[0]).__name__))
        if stop_store_after and n + 1 == stop_store_after[0]:
            stop_store_after[1]()
    with open(out, 'w') as f:
        f.writelines(lines)
    with open(out + '.warnings', 'w') as f:
        f.writelines(line + '\n' for line in warnings)


def run_processes(tmp_path, directories, each, per_window, window, store=None, stop_store_after=None):
    """Run ``hammer`` in one spawned process per budget directory, at once; return each process's
    ``(lines, warnings)``: lines ``(slot, returned, store class name)``.

    Spawned, not forked: pytest-xdist's worker has threads of its own. A spawned process imports its target
    afresh, without Ansible's collection loader: the collection is found on ``sys.path`` (``COLLECTIONS``)."""
    import multiprocessing
    import sys

    from testkit.collection import COLLECTIONS
    context = multiprocessing.get_context('spawn')
    barrier = context.Barrier(len(directories))
    outs = [str(tmp_path / ('out-%d' % n)) for n in range(len(directories))]
    workers = [context.Process(target=hammer, args=(directory, out, barrier, each, per_window, window, store,
                                                    stop_store_after if n == 0 else None))
               for n, (directory, out) in enumerate(zip(directories, outs))]
    sys.path.insert(0, COLLECTIONS)
    try:
        for worker in workers:
            worker.start()
    finally:
        sys.path.remove(COLLECTIONS)
    for worker in workers:
        worker.join(120)
    assert [worker.exitcode for worker in workers] == [0] * len(workers)
    results = []
    for out in outs:
        with open(out) as f:
            lines = [(float(slot), float(returned), kind) for slot, returned, kind in (line.split() for line in f)]
        with open(out + '.warnings') as f:
            results.append((lines, f.read().splitlines()))
    return results


def crowded(slots, per_window, window, epsilon=0.005):
    """The windows of ``window`` seconds holding more than ``per_window`` of the ``slots`` (first few)."""
    slots = sorted(slots)
    return [(slots[i], slots[i + per_window]) for i in range(len(slots) - per_window)
            if slots[i + per_window] - slots[i] < window - epsilon][:3]
