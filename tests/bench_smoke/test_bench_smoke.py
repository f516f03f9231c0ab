"""Smoke test of ``make bench``: the benchmark script runs end to end on tiny sizes and prints its table.

Takes ~45 s (one repetition of every scenario with ``--quick``); not part of ``make test``'s unit
run (``tests/unit``) — run it with ``pytest tests/bench_smoke``.
"""

import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(REPO, 'tests', 'benchmarks', 'run.py')


def test_bench_quick_prints_the_table(tmp_path):
    output = tmp_path / 'performance.md'
    proc = subprocess.run([sys.executable, SCRIPT, '--quick', '--no-write', '--output', str(output)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=240, cwd=REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    for heading in ('### 1. Gate on one run', '### 2. 5 runs that finished long ago', '### 3. 3 runs completing', '| 3 module wait: true tasks, in turn |',
                    '### 4. One run with 300 log entries', '### 5. Polling schedules'):
        assert heading in out, out
    for row in ('| module wait: true |', '| uri + until, delay 1 |', '| uri loop over 5 ids |', '| module, logs: none |'):
        assert row in out, out
    assert 'PASS: ' in out or 'FAIL: ' in out
    assert not output.exists()
