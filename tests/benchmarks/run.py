#!/usr/bin/env python
"""Benchmarks of altostrat.cloud side by side with ``ansible.builtin.uri`` (``make bench``).

Every measurement is a whole ``ansible-playbook`` process (playbooks in ``playbooks/``) run
against ONE emulator (``tests/emulator``) that this script starts on loopback; the tables show
medians of several repetitions of wall time, CPU seconds and peak memory of the process tree,
requests the emulator received and the lag after the awaited runs completed.

Modules (all in this folder, which the script puts on ``sys.path``):

* ``harness.py``: set-up, the emulator process, the process-tree sampler and ``Bench``;
* ``scenarios.py``: the four measured scenarios and the polling-schedule figures;
* ``report.py``: the tables, the targets (PASS/FAIL checks), machine info and writing the doc;
* ``run.py`` (this file): arguments and ``main``.

Usage (from the repository root, or anywhere)::

    python tests/benchmarks/run.py [--reps 3] [--quick] [--no-write] [--only gate,many,spread,logs]

``--quick`` is one repetition on small sizes (the smoke test uses it with ``--no-write``).
The table is printed and, unless ``--no-write``, written to ``docs/performance.md`` (from
``performance_template.md``).  Exit status 0 even when a target is missed (the PASS/FAIL lines
say which); 2 on errors.
"""

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import REPO, Bench, Emulator, ensure_collection  # noqa: E402  pylint: disable=wrong-import-position
from report import build_report, machine, write_doc  # noqa: E402  pylint: disable=wrong-import-position
from scenarios import bench_gate, bench_logs, bench_many, bench_spread  # noqa: E402  pylint: disable=wrong-import-position

FULL = {'gate_s': 10.0, 'many': 50, 'spread': 20, 'spread_s': 15.0, 'log_entries': 10000}
QUICK = {'gate_s': 2.0, 'many': 5, 'spread': 3, 'spread_s': 2.0, 'log_entries': 300, 'skip_slow': True}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--reps', type=int, help='repetitions (default 3; 1 with --quick)')
    parser.add_argument('--quick', action='store_true', help='one repetition, small sizes (smoke test)')
    parser.add_argument('--no-write', action='store_true', help='do not write docs/performance.md')
    parser.add_argument('--only', default='gate,many,spread,logs', help='comma-separated scenarios to run')
    parser.add_argument('--output', default=os.path.join(REPO, 'docs', 'performance.md'))
    args = parser.parse_args(argv)
    reps = args.reps or (1 if args.quick else 3)
    sizes = QUICK if args.quick else FULL
    only = set(args.only.split(','))
    ensure_collection()
    started = time.time()
    load_start = os.getloadavg()[0]
    results = {}
    with tempfile.TemporaryDirectory(prefix='altostrat-bench-') as workdir:
        emu = Emulator(workdir)
        try:
            bench = Bench(args, workdir, emu)
            if 'gate' in only:
                results['gate'] = bench_gate(bench, sizes, reps)
            if 'many' in only:
                results['many'] = bench_many(bench, sizes, reps)
            if 'spread' in only:
                results['spread'] = bench_spread(bench, sizes, reps)
            if 'logs' in only:
                results['logs'] = bench_logs(bench, sizes, reps)
        except RuntimeError as exc:
            print('benchmark failed: %s' % exc, file=sys.stderr)
            return 2
        finally:
            emu.stop()
    table, checks = build_report(results, sizes, reps, args.quick, time.time() - started,
                                 (load_start, os.getloadavg()[0]))
    print('\n'.join(table))
    print('\n'.join(checks))
    if not args.no_write:
        write_doc(args.output, table, checks, machine(), sizes, reps)
        print('written to %s' % os.path.relpath(args.output, os.getcwd()))
    return 0


if __name__ == '__main__':
    sys.exit(main())
