"""Smoke test of ``make bench``: the benchmark script runs end to end on tiny sizes and prints its report.

Part of ``make test`` (the ``e2e`` target runs ``tests/e2e``).  Three runs of the
script with ``--quick`` (one repetition on small sizes, nothing written), which ``make e2e`` runs side by
side, each about a minute on a quiet machine: the gate, many, spread and logs scenarios; the fleet (the
collection's two ways) and the outage; and the sliced fleet (two slices, without and with a store).  So the script (``tests/benchmarks/run.py`` and its modules)
cannot rot.  And, without running anything: ``docs/performance.md`` is what the raw results in
``docs/performance.json`` render to (``report.check_doc``), and the template's prose types no
figures of its own.
"""

import os
import re
import shutil
import subprocess
import sys

import pytest

from testkit.collection import REPO

BENCH = os.path.join(REPO, 'tests', 'benchmarks')
SCRIPT = os.path.join(BENCH, 'run.py')
DOC = os.path.join(REPO, 'docs', 'performance.md')
RESULTS = os.path.join(REPO, 'docs', 'performance.json')

# One PASS/FAIL line per target each --quick run checks (the 12-request limit needs the 10 s gate).
TARGETS = (
    'module CPU above baseline',
    'module lag after completion',
    'faster than the uri loop, whole playbooks',
    'faster than the uri loop, net of ansible-playbook start-up',
    'for waiting on them in turn with the same schedule (computed)',
    'plus the first look); module tasks one by one',
    'while waiting, at most one request per second per run',
    '300-entry run: module (logs: all)',
    'a long run costs at most',
)
FLEET_TARGETS = (  # patterns, each matching one line
    r'fleet, per-host gate: \d+/10 gates passed',
    r'fleet, per-host gate: \d+ 429 answers',
    r'fleet, per-host gate: wall',
    r'fleet, one task for the fleet: \d+/10 gates passed',
    r'fleet, one task for the fleet: \d+ 429 answers',
    r'fleet, one task for the fleet: [\d.]+ requests a site',
    r'fleet, one task for the fleet: wall',
    r"outage: the module's gate (passed|failed) through the 10 s outage",
    r'outage: the module sent \d+ requests during the 10 s outage',
    r'a long run costs at most',
)


def run_quick(tmp_path, only):
    output = tmp_path / 'performance.md'
    proc = subprocess.run([sys.executable, SCRIPT, '--quick', '--no-write', '--only', only, '--output', str(output)],
                          check=False, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                          timeout=240, cwd=REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not output.exists()
    assert not output.with_suffix('.json').exists()
    return proc.stdout, re.findall(r'^(?:PASS|FAIL): .*$', proc.stdout, re.MULTILINE)


def test_bench_quick_prints_the_table(tmp_path):
    out, checks = run_quick(tmp_path, 'gate,many,spread,logs')
    for heading in ('### 1. Gate on one run', '### 2. 5 runs that finished long ago', '### 3. 3 runs completing',
                    '| 3 module wait: true tasks, in turn |', '### 4. One run with 300 log entries', '### 5. Polling schedules'):
        assert heading in out, out
    for row in ('| module wait: true |', '| uri + until, delay 1 |', '| uri loop over 5 ids |', '| module, logs: none |'):
        assert row in out, out
    for target in TARGETS:
        assert len([line for line in checks if target in line]) == 1, (target, checks)
    assert len(checks) == len(TARGETS), checks


def test_bench_quick_fleet_and_outage(tmp_path):
    out, checks = run_quick(tmp_path, 'fleet,outage')
    for heading in ('### 6. A fleet of 10 sites, one token, 60 requests a minute', '| budget floor: ',
                    '| per-host gate: workflow_run, wait: true | 10/10 |', '| one task for the fleet: ',
                    '### 7. One gate on a 20 s run through a 10 s outage', '| module: workflow_run_info, wait: true',
                    '| uri + until: retries 60, delay 5 |'):
        assert heading in out, out
    assert 'uri + until: POST' not in out, out  # --quick: only the collection's ways
    assert 'PASS: outage: the module\'s gate passed' in out, out
    for target in FLEET_TARGETS:
        assert len([line for line in checks if re.search(target, line)]) == 1, (target, checks)
    assert len(checks) == len(FLEET_TARGETS), checks


def test_the_doc_is_what_its_results_render_to(tmp_path):
    sys.path.insert(0, BENCH)
    try:
        from report import check_doc  # pylint: disable=import-outside-toplevel
    finally:
        sys.path.remove(BENCH)
    if not os.path.exists(RESULTS):
        pytest.fail('%s is missing: `make bench` writes it with the page' % RESULTS)
    ok, message = check_doc(DOC, RESULTS)
    assert ok, message
    changed = tmp_path / 'performance.md'
    shutil.copy(DOC, changed)
    text = changed.read_text()
    changed.write_text(text.replace('## Results', '## Results\n\nA figure typed by hand: 42.', 1))
    ok, message = check_doc(str(changed), RESULTS)
    assert not ok and 'differs' in message, message


def test_the_template_prose_types_no_figures():
    with open(os.path.join(BENCH, 'performance_template.md')) as handle:
        text = handle.read()
    prose = re.sub(r'`[^`]*`', '', re.sub(r'\{[a-z_0-9]+\}', '', text))  # placeholders and code may hold digits
    typed = [line for line in prose.splitlines() if re.search(r'\d', line)]
    assert not typed, typed


SLICED_TARGETS = (  # patterns, each matching one line
    r'sliced, no store: \d+/8 gates passed', r'sliced, no store: \d+ 429 answers', r'sliced, no store: wall',
    r'sliced, one store: \d+/8 gates passed', r'sliced, one store: \d+ 429 answers',
    r'sliced, one store: at most \d+ requests arriving in any 60 s', r'sliced, one store: wall',
    r'a long run costs at most',
)


def test_bench_quick_sliced_fleet_without_and_with_a_store(tmp_path):
    out, checks = run_quick(tmp_path, 'sliced')
    for heading in ('### 8. A fleet of 8 sites in 2 slices', '| budget floor: ', '| 2 slices, no store | 8/8 |',
                    '| 2 slices, one rate_limit_store (Redis) | 8/8 |'):
        assert heading in out, out
    for target in SLICED_TARGETS:
        assert len([line for line in checks if re.search(target, line)]) == 1, (target, checks)
    assert len(checks) == len(SLICED_TARGETS), checks
