#!/usr/bin/env python
"""Mutation check: apply small bugs to the core files one at a time and report which the tests catch.

Not part of ``make test``: run it by hand before resolving a test issue (about 20 s a mutation), through make,
which sets the environment (PYTHONPATH, ANSIBLE_COLLECTIONS_PATH)::

    make mutate [ARGS='--tests tests/unit --only 3,7 --markdown']

Each mutation replaces one exact piece of text in one file (it must occur exactly once), runs the
tests, and restores the file, whatever happens. A mutation is *caught* when the tests fail.
Exit status: 0 when every mutation was caught, 1 otherwise, 2 when a mutation no longer applies.
"""

import argparse
import os
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MU = 'plugins/module_utils/'
PATIENCE = "patience = None if fresh else deadline.left() if final else pause"  # the waiter's line that the mutations of a poll's patience change

# (file, text, replacement, what the bug is)
MUTATIONS = [
    # the one deadline (issue 14)
    (MU + '_transport.py', "        with Watchdog(seconds) as watchdog:", "        with Watchdog(3600) as watchdog:",
     "deadline not handed to a read (no watchdog)"),
    (MU + '_transport.py', "seconds = min(self.request_timeout, deadline.left())", "seconds = self.request_timeout",
     "an attempt gets request_timeout, not the time left"),
    (MU + '_retry.py', "            self.budget.acquire(timeout=None if not deadline.bounded else deadline.left(), patience=patience)\n",
     "            self.budget.acquire(timeout=None, patience=patience)\n", "a budget wait past the deadline"),
    (MU + '_waiter.py', "                if left <= 0 or final:", "                if left <= -5:", "a wait overruns its deadline"),
    (MU + '_task.py', "result = dict(msg=str(exc), elapsed=self.elapsed(), **extra)", "result = dict(msg=str(exc), **extra)",
     "a failed task returns no elapsed"),
    # redirects
    (MU + '_transport.py', "        if _origin(target) != self.origin:", "        if False:",
     "redirect to another origin followed"),
    (MU + '_retry.py', "            if hops > MAX_REDIRECTS:", "            if False:", "redirect loop followed for ever"),
    (MU + '_transport.py', "    def get_redirect_target(self, resp):\n        return None",
     "    def get_redirect_target(self, resp):\n        return requests.Session.get_redirect_target(self, resp)",
     "requests looks at redirects itself (and reads their bodies)"),
    # answers checked
    (MU + '_client.py', "        if run['id'] != run_id:", "        if False:", "id not compared (another run opens the gate)"),
    (MU + '_answer.py', "        if key in seen:", "        if False:", "repeated keys accepted"),
    (MU + '_answer.py', "        if depth > MAX_DEPTH:", "        if False:", "no bound on nesting"),
    (MU + '_answer.py', "    if values > MAX_JSON_VALUES:", "    if False:", "no bound on the number of values"),
    (MU + '_answer.py', "                if secret and secret in item:", "                if False:",
     "token echoed in a run's strings not masked"),
    (MU + '_answer.py', "return one_line(self.mask('' if value is None else str(value)), limit)",
     "return self.mask(one_line('' if value is None else str(value), limit))", "token masked after the cut"),
    # numbers and keys
    (MU + '_options.py', "not math.isfinite(value)", "False", "nan and inf accepted"),
    (MU + '_options.py', "        if not low <= value <= high:", "        if False:", "options out of bounds accepted"),
    (MU + '_client.py', "            if page >= pages:", "            if False:", "no page cap on a listing"),
    (MU + '_validate.py', "    if not all(' ' <= char <= '~' for char in value) or value != value.strip():", "    if False:",
     "an idempotency_key with a line break accepted"),
    # local files
    (MU + '_progress.py', "_FLAGS = os.O_WRONLY | os.O_APPEND | os.O_NONBLOCK |", "_FLAGS = os.O_WRONLY | os.O_APPEND |",
     "a FIFO at the progress path blocks the module"),
    (MU + '_progress.py', "                if not stat.S_ISREG(os.fstat(handle).st_mode):", "                if False:",
     "the progress file need not be a regular file"),
    # earlier guarantees
    (MU + '_transport.py', "if _origin(request.url) == self._origin:", "if True:", "token signed for any origin"),
    (MU + '_transport.py', "sock.settimeout(left)", "pass", "no socket timeout while reading a body"),
    (MU + '_answer.py', "transient=status == 429 or status >= 500", "transient=status in (429, 502, 503, 504)",
     "HTTP 500 not transient"),
    (MU + '_transport.py', "                if size > MAX_BODY_BYTES:", "                if False:", "no cap on a streamed body"),
    (MU + '_answer.py', "api_message = detail = call.text(body['message'], 300)", "api_message = detail = body['message']",
     "API message not made one line"),
    (MU + '_transport.py', "if any(hint in str(exc) for hint in _DNS_HINTS):", "if False:", "DNS failure retried"),
    (MU + '_transport.py', "self.session.trust_env = False", "self.session.trust_env = True", "~/.netrc honoured"),
    (MU + '_answer.py', "if reset is not None and reset > 1000000000:", "if False:", "X-RateLimit-Reset ignored"),
    (MU + '_answer.py', "if status == 404 and call.base_path not in ('', '/')", "if False and status == 404",
     "no hint for an api_url with a path"),
    (MU + '_retry.py', "if not deadline.bounded and throttled + 1 > self.http_retries:", "if throttled + 1 > self.http_retries:",
     "429 counted against http_retries"),
    (MU + '_retry.py', "return seconds * random.uniform(1.0, 1.25) + random.uniform(0.0, 0.5)", "return seconds",
     "429 waits not jittered"),
    (MU + '_retry.py', "            self.budget.acquire(timeout=None if not deadline.bounded else deadline.left(), patience=patience)\n",
     "", "requests do not spend from the budget"),
    # pacing
    (MU + '_budget_local.py', "    if slots and (paced and len(slots) >= per_minute * BUSY or state['others'] > now - window):",
     "    if False:", "no pacing (polls, or others spending the token)"),
    (MU + '_budget_local.py', "        state['others'] = now", "        pass", "other machines' requests not noticed"),
    (MU + '_budget.py', "                if not self._use('confirm', slot, self._left()):", "                if False:",
     "a slot a 429 covered while its process slept is sent into the block"),
    (MU + '_waiter.py', PATIENCE, "patience = None",
     "a wait's polls not paced"),
    (MU + '_waiter.py', PATIENCE, "patience = None if fresh else deadline.left()",
     "a poll waits for its slot however far it is (never skipped)"),
    (MU + '_waiter.py', PATIENCE, "patience = None if fresh else pause",
     "the last poll before the deadline may be skipped"),
    (MU + '_waiter.py', PATIENCE, "patience = deadline.left() if final else pause",
     "the first look at a run is paced as a poll (a fleet's ended runs read a second apart)"),
    (MU + '_waiter.py', "            except BudgetBusy:  # the budget is busy beyond that: skip this poll, pause again (see Budget.acquire)\n"
     "                continue\n", "            except BudgetBusy as exc:\n                failures, error = failures + 1, exc\n"
     "                continue\n", "a skipped poll counted as a failure (longer pauses)"),
    (MU + '_budget.py', "            if slot is None and patient is not None and (left is None or wait <= left):",
     "            if slot is None and patient is not None:", "a poll skipped although its slot is past the deadline"),
    (MU + '_budget.py', "            wait, slot = self._use('reserve', bound, patience is not None, left)",
     "            wait, slot = self._use('reserve', bound, patience is not None, bound)",
     "a poll's pause bounds the store's timeouts"),
    (MU + '_budget_redis.py', "  if paced and total >= per_minute", "  if false and total >= per_minute", "no pacing in the store"),
    (MU + '_retry.py', "            self._sync(answer.headers)\n", "", "budget not synced from good answers"),
    (MU + '_retry.py', "        if self.trouble is None:", "        if True:", "trouble warned on every retry"),
    (MU + '_retry.py', "        if deadline.bounded and delay > deadline.left():", "        if False:",
     "retries sleep past the deadline"),
    (MU + '_retry.py', "if not retry or attempt + 1 > self.http_retries:", "if attempt + 1 > self.http_retries:",
     "retry=False still retries (waiter polls hammer)"),
    (MU + '_client.py', "key = str(uuid.uuid4()) if idempotency_key is None else", "key = idempotency_key if True else",
     "a start without a key"),
    (MU + '_client.py', "return (answer.headers.get('Idempotent-Replayed') or '').strip().lower() == 'true'",
     "return False", "replays not reported"),
    (MU + '_client.py', "elif not isinstance(run.get('status'), str):", "elif False:", "a run without status accepted"),
    (MU + '_client.py', "if not data or last_page is None or page >= last_page:", "if True:", "only the first page listed"),
    (MU + '_waiter.py', "                if not exc.transient:", "                if True:", "a transient failure ends a wait"),
    (MU + '_waiter.py', "return min(max_poll_interval, pause * 2 ** failures) if failures else pause", "return pause",
     "no backoff while the API fails"),
    (MU + '_waiter.py', "(status == AWAITING and self.on_interaction != 'wait')", "False",
     "on_interaction=stop waits on"),
    (MU + '_waiter.py', "max(poll_interval * max(1, pending), waited / 10.0)", "max(poll_interval, waited / 10.0)",
     "many runs polled as often as one"),
    (MU + '_waiter.py', "        if best_key is None or key < best_key:", "        if best_key is None:",
     "the run that started first is not polled first"),
    (MU + "_budget_local.py", "fcntl.flock(fd, fcntl.LOCK_EX)", "pass", "budget file not locked"),
    (MU + '_budget_local.py', "if info.st_nlink != 1:", "if False:", "a hard-linked budget file used"),
    (MU + '_budget_local.py', "            if info.st_uid != os.getuid():", "            if False:", "another user's budget file used"),
    (MU + '_budget_local.py', "if data is None or len(data) > cap:", "if False:", "budget file read without a cap"),
    (MU + '_budget_local.py', "raise OSError('%s: remove it to share the budget again' % exc)", "state = new_state()",
     "a corrupt budget file silently reset"),
    (MU + '_budget_local.py', "del times[:past - per_minute]", "pass", "past slots kept beyond per_minute"),
    (MU + '_budget.py', "cap - min(cap, max(0, int(remaining)))", "cap - int(remaining)",
     "a weird X-RateLimit-Remaining grows the budget state"),
    (MU + '_budget.py', "not 0 <= value <= MAX_RATE_LIMIT", "not 0 <= value", "rate_limit without an upper bound"),
    (MU + '_budget.py', "if path not in _budget_local._REFUSED:", "if True:", "a refused budget file told again"),
    (MU + '_budget_redis.py', "if within >= 0 and wait > within then", "if false then", "a store slot reserved past the deadline"),
    (MU + '_budget_redis.py', "if used > held then", "if false then", "the API's word not shared through the store"),
    (MU + '_budget_redis.py', "keep(slot)", "", "store keys that never expire"),
    (MU + '_budget_redis.py', "if left is not None and left < STORE_TIMEOUT:", "if False:",
     "a store call waits past the time left"),
    (MU + '_task.py', "return ['completed'] if options['wait'] else None", "return None", "a wait does not fail closed"),
    (MU + '_options.py', "    check_statuses(options.get('expected_status'), 'expected_status', allow_any=True)\n", "",
     "a misspelt expected_status accepted"),
    (MU + '_runs.py', "text += ': %s' % one_line(run['error_message'], 300)", "text += ': %s' % run['error_message']",
     "an error message with line breaks breaks the one-line message"),
    (MU + '_runs.py', "entry.get('status') == 'success')]", "entry.get('status') == 'nothing')]", "logs=errors keeps successes"),
    (MU + '_validate.py', "'run': re.compile(r'fl_run_[A-Za-z0-9_-]+\\Z'),", "'run': re.compile(r'fl_run_.+\\Z'),",
     "run ids with / or ? accepted"),
    ('plugins/modules/workflow_run_info.py', "if params['limit'] is not None and params['limit'] < 1:",
     "if params['limit'] is not None and params['limit'] < 0:", "limit 0 accepted"),
    ('plugins/lookup/workflow_run.py', "            if name not in names:", "            if False:",
     "unknown lookup keywords ignored"),
]


def run_tests(tests):
    command = [sys.executable, '-m', 'pytest', '-p', 'no:cacheprovider', '-x', '-q', '-n', '2', '--timeout', '60'] + tests
    proc = subprocess.run(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, check=False)
    lines = [line for line in proc.stdout.splitlines() if line.startswith('FAILED')]
    return proc.returncode, lines[0][len('FAILED '):] if lines else ''


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--tests', action='append', help='test paths (default tests/unit)')
    parser.add_argument('--only', help='comma-separated mutation numbers (1-based)')
    parser.add_argument('--markdown', action='store_true', help='print the table as Markdown')
    args = parser.parse_args(argv)
    tests = args.tests or ['tests/unit']
    chosen = [int(n) for n in args.only.split(',')] if args.only else range(1, len(MUTATIONS) + 1)
    rows, status = [], 0
    for number in chosen:
        path, text, replacement, what = MUTATIONS[number - 1]
        full = os.path.join(REPO, path)
        with open(full) as handle:
            original = handle.read()
        if original.count(text) != 1:
            print('mutation %d no longer applies: %r occurs %d times in %s' % (number, text, original.count(text), path))
            return 2
        started = time.time()
        try:
            with open(full, 'w') as handle:
                handle.write(original.replace(text, replacement))
            rc, first = run_tests(tests)
        finally:
            with open(full, 'w') as handle:
                handle.write(original)
        caught = rc != 0
        status = status or (0 if caught else 1)
        rows.append((number, os.path.basename(path), what, 'caught' if caught else 'SURVIVED', first, time.time() - started))
        print('%2d %-22s %-55s %-8s %5.1fs %s' % (number, os.path.basename(path), what, rows[-1][3], rows[-1][5], first),
              flush=True)
    caught = sum(1 for row in rows if row[3] == 'caught')
    print('\n%d of %d mutations caught' % (caught, len(rows)))
    if args.markdown:
        print('\n| # | file | bug | result | first failing test |\n|---|---|---|---|---|')
        for number, name, what, result, first, _unused in rows:
            print('| %d | %s | %s | %s | %s |' % (number, name, what, result, first.split(' - ')[0]))
    return status


if __name__ == '__main__':
    sys.exit(main())
