#!/usr/bin/env python
"""Benchmarks of altostrat.cloud side by side with ``ansible.builtin.uri`` (``make bench``).

Every measurement is a whole ``ansible-playbook`` process (playbooks in ``playbooks/``) run
against ONE emulator (``tests/emulator``, the API's rate limit on) that this script starts on
loopback, each measurement with a token of its own; the tables show medians of several
repetitions of wall time, CPU seconds and peak memory of the process tree, requests the emulator
received and the lag after the awaited runs completed (the fleet and outage scenarios: one
repetition each, they take minutes).

Modules (all in this folder, which the script puts on ``sys.path``, with ``tests/`` for the emulator's helpers):

* ``harness.py``: set-up, the emulator process, the process-tree sampler and ``Bench``;
* ``scenarios.py``: the gate, many, spread and logs scenarios and the polling-schedule figures;
* ``scenarios_fleet.py``: the fleet and outage scenarios;
* ``scenarios_sliced.py``: the sliced fleet (several machines, one token), without and with a store, and its section;
* ``report.py`` (with ``report_fleet.py``): the tables, the targets (PASS/FAIL checks), machine
  info, writing the doc and ``check_doc``;
* ``run.py`` (this file): arguments and ``main``.

Usage (from the repository root, or anywhere)::

    python tests/benchmarks/run.py [--reps 3] [--quick] [--no-write] [--only gate,many,spread,logs,fleet,outage,sliced]

``--quick`` is one repetition on small sizes (the smoke test uses it with ``--no-write``).
The table is printed and, unless ``--no-write``, the raw results are written to
``docs/performance.json`` and the page made from them to ``docs/performance.md`` (from
``performance_template.md``); a run of only some scenarios (``--only``) or a ``--quick`` one
writes nothing unless ``--output`` names another page.  Exit status 0 even when a target is
missed (the PASS/FAIL lines say which); 2 on errors.
"""

import argparse
import os
import sys
import tempfile
import time

sys.path[:0] = [os.path.dirname(os.path.abspath(__file__)), os.path.dirname(os.path.dirname(os.path.abspath(__file__)))]  # this folder, tests/

from harness import REPO, Bench, Emulator, ensure_collection  # noqa: E402  pylint: disable=wrong-import-position
from report import build_report, machine, write_doc  # noqa: E402  pylint: disable=wrong-import-position
from scenarios import bench_gate, bench_logs, bench_many, bench_spread, schedules  # noqa: E402  pylint: disable=wrong-import-position
from scenarios_fleet import bench_fleet, bench_outage  # noqa: E402  pylint: disable=wrong-import-position
from scenarios_sliced import bench_sliced  # noqa: E402  pylint: disable=wrong-import-position

ALL = ('gate', 'many', 'spread', 'logs', 'fleet', 'outage', 'sliced')
COMMON = {'log_output_size': 600, 'poll_interval': 1.0, 'max_poll_interval': 15.0,  # the collection's defaults
          'outage_wait_timeout': 600, 'outage_uri_retries': 60}
FULL = dict(COMMON, gate_s=10.0, many=50, spread=20, spread_s=15.0, log_entries=10000,
            fleet=100, fleet_workflow='fl_bench_fleet', outage_run_s=300, outage_s=120, outage_uri_delay=10,
            sliced_sites=100, slices=4, sliced_workflow='fl_bench_slice')
QUICK = dict(COMMON, gate_s=2.0, many=5, spread=3, spread_s=2.0, log_entries=300, skip_slow=True,
             fleet=10, fleet_workflow='fl_bench_fleet_quick', outage_run_s=20, outage_s=10, outage_uri_delay=5,
             sliced_sites=8, slices=2, sliced_workflow='fl_bench_fleet_quick')
DEFAULT_OUTPUT = os.path.join(REPO, 'docs', 'performance.md')


def measure(bench, only, sizes, reps):
    results = {}
    if 'gate' in only:
        results['gate'] = bench_gate(bench, sizes, reps)
    if 'many' in only:
        results['many'] = bench_many(bench, sizes, reps)
    if 'spread' in only:
        results['spread'] = bench_spread(bench, sizes, reps)
    if 'logs' in only:
        results['logs'] = bench_logs(bench, sizes, reps)
    results['schedules'] = schedules()
    if 'fleet' in only:
        results['fleet'] = bench_fleet(bench, sizes)
    if 'outage' in only:
        results['outage'] = bench_outage(bench, sizes)
    if 'sliced' in only:
        results['sliced'] = bench_sliced(bench, sizes)
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--reps', type=int, help='repetitions (default 3; 1 with --quick)')
    parser.add_argument('--quick', action='store_true', help='one repetition, small sizes (smoke test)')
    parser.add_argument('--no-write', action='store_true', help='do not write docs/performance.md and .json')
    parser.add_argument('--only', default=','.join(ALL), help='comma-separated scenarios to run')
    parser.add_argument('--output', default=DEFAULT_OUTPUT, help='the page; the raw results go next to it (.json)')
    args = parser.parse_args(argv)
    reps = args.reps or (1 if args.quick else 3)
    sizes = dict(QUICK if args.quick else FULL)
    only = set(args.only.split(','))
    unknown = only - set(ALL)
    if unknown:
        parser.error('unknown scenario(s): %s (known: %s)' % (', '.join(sorted(unknown)), ', '.join(ALL)))
    ensure_collection()
    started = time.time()
    load_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix='altostrat-bench-') as workdir:
        emu = Emulator(workdir)
        sizes['rate_limit'] = emu.rate_limit
        try:
            results = measure(Bench(args, workdir, emu), only, sizes, reps)
        except RuntimeError as exc:
            print('benchmark failed: %s' % exc, file=sys.stderr)
            return 2
        finally:
            emu.stop()
    data = {'results': results, 'sizes': sizes, 'reps': reps, 'quick': args.quick, 'elapsed': time.time() - started,
            'load': [load_start, os.getloadavg()[0]], 'machine': machine(), 'only': sorted(only)}
    table, checks, unused = build_report(data)
    print('\n'.join(table))
    print('\n'.join(checks))
    partial = only != set(ALL) or args.quick
    if args.no_write or (partial and os.path.abspath(args.output) == DEFAULT_OUTPUT):
        if not args.no_write:
            print('not written: %s run (give --output to write it elsewhere)' % ('a --quick' if args.quick else 'a partial'))
        return 0
    json_path = os.path.splitext(args.output)[0] + '.json'
    write_doc(args.output, json_path, data)
    print('written to %s and %s' % (os.path.relpath(args.output, os.getcwd()), os.path.relpath(json_path, os.getcwd())))
    return 0


if __name__ == '__main__':
    sys.exit(main())
