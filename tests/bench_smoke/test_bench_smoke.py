"""Smoke test of ``make bench``: the benchmark script runs end to end on tiny sizes and prints its report.

Part of ``make test`` (the ``e2e`` target runs ``tests/bench_smoke`` with ``-n 2``); ~45 s: one
repetition of every scenario with ``--quick``, nothing written (``--no-write``), so the script
(``tests/benchmarks/run.py`` and its ``harness``/``scenarios``/``report`` modules) cannot rot.
"""

import os
import re
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(REPO, 'tests', 'benchmarks', 'run.py')

# One PASS/FAIL line per target the --quick run checks (the 12-request limit needs the 10 s gate).
TARGETS = (
    'module CPU above baseline',
    'module lag after completion',
    'faster than the uri loop, whole playbooks',
    'faster than the uri loop, net of ansible-playbook start-up',
    'for waiting on them in turn with the same schedule (computed)',
    'waiting on them one by one with module tasks',
    'while waiting, at most one request per second per run',
    '300-entry run: module (logs: all)',
    'a long run costs at most',
)


def test_bench_quick_prints_the_table(tmp_path):
    output = tmp_path / 'performance.md'
    proc = subprocess.run([sys.executable, SCRIPT, '--quick', '--no-write', '--output', str(output)], check=False,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=240, cwd=REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    for heading in ('### 1. Gate on one run', '### 2. 5 runs that finished long ago', '### 3. 3 runs completing',
                    '| 3 module wait: true tasks, in turn |', '### 4. One run with 300 log entries', '### 5. Polling schedules'):
        assert heading in out, out
    for row in ('| module wait: true |', '| uri + until, delay 1 |', '| uri loop over 5 ids |', '| module, logs: none |'):
        assert row in out, out
    assert 'PASS: ' in out or 'FAIL: ' in out
    checks = re.findall(r'^(?:PASS|FAIL): .*$', out, re.MULTILINE)
    for target in TARGETS:
        assert len([line for line in checks if target in line]) == 1, (target, checks)
    assert len(checks) == len(TARGETS), checks
    assert not output.exists()
