"""The sliced fleet (``run.py --only sliced``): one token, a fleet split over machines, without and with a store.

``sliced_sites`` sites in ``slices`` slices, as AWX job slicing runs them: each slice a separate
``ansible-playbook`` process with a home, temp dirs and so a budget directory of its own (as a slice
on another execution node has), all started at once, each gating its sites per host
(``fleet_module.yml``, as many forks as sites) on runs lasting the ``sliced_workflow``'s duration
(``scenario.yml``), one token, the emulator's limit on (Laravel's fixed window and headers). Two
ways: **without a store** (each slice its own budget; only the API's answers keep them in step) and
**with a store** (``ALTOSTRAT_RATE_LIMIT_STORE``: a real ``redis-server`` on loopback, which the
bench starts; ``scripts/install_redis_server.sh`` installs it). The floor is that of one controller:
a start and a final read a site at the token's limit, however many machines.
"""

import os
import uuid

from harness import ahead_of_the_clients, fmt, of_token, progress, request_figures
from scenarios_fleet import passed_gates


def slice_inventory(bench, first, count):
    path = os.path.join(bench.workdir, 'slice-%d-%d.ini' % (first, count))
    with open(path, 'w') as handle:
        handle.write('localhost ansible_connection=local ansible_python_interpreter=%s\n[fleet]\n' % bench.python)
        for i in range(first, first + count):
            handle.write('site%03d ansible_connection=local ansible_python_interpreter=%s\n' % (i, bench.python))
    return path


def machine_env(bench, name, store):
    """The environment of one slice: a machine of its own (HOME, Ansible's dirs, TMPDIR: its budget directory)."""
    base = os.path.join(bench.workdir, name)
    home = os.path.join(base, 'home')
    for path in (home, os.path.join(base, 'tmp')):
        os.makedirs(path, exist_ok=True)
    env = {'HOME': home, 'ANSIBLE_HOME': os.path.join(home, '.ansible'), 'ANSIBLE_LOCAL_TEMP': os.path.join(home, 'tmp'),
           'ANSIBLE_REMOTE_TEMP': os.path.join(home, 'tmp-remote'), 'ANSIBLE_ASYNC_DIR': os.path.join(home, 'async'),
           'TMPDIR': os.path.join(base, 'tmp')}
    if store:
        env['ALTOSTRAT_RATE_LIMIT_STORE'] = store
    return env


def measure_slices(bench, sizes, label, store):
    sites, slices, workflow = sizes['sliced_sites'], sizes['slices'], sizes['sliced_workflow']
    per_slice = sites // slices
    bench.emu.reset()
    token = bench.emu.token()
    key = str(uuid.uuid4())
    launched = []
    try:
        for n in range(slices):
            inventory = slice_inventory(bench, n * per_slice, per_slice)
            launched.append(bench.launch('fleet_module.yml', {'workflow_id': workflow, 'bench_key': key}, token,
                                         inventory=inventory, forks=per_slice, sample_interval=1.0,
                                         env=machine_env(bench, 'machine-%s-%d' % (key[:8], n), store)))
        finished = [bench.finish(handle, failed_hosts_ok=True) for handle in launched]
    finally:
        for handle in launched:
            if handle['proc'].poll() is None:
                handle['proc'].kill()
    records = of_token(bench.emu.stats(), token)
    sample = request_figures(records)
    sample['passed'] = sum(passed_gates(one.pop('_output')) for one in finished)
    sample['start'] = min(one['start'] for one in finished)
    sample['end'] = max(one['end'] for one in finished)
    sample['wall'] = sample['end'] - sample['start']
    sample['slowest_slice'] = max(one['wall'] for one in finished)
    sample['rss'] = max(one['rss'] or 0 for one in finished) or None
    sample['per_site'] = sample['requests'] / float(sites)
    sample['throttled_share'] = sample['throttled'] / float(sample['requests'] or 1)
    floor = 2 * sites * 60.0 / bench.emu.rate_limit
    sample['floor_ratio'] = sample['wall'] / floor
    progress('sliced %-48s passed %3d/%d 429s %4d req %4d most in 60 s %3d wall %6.1fs (%.2fx the floor)' % (
        label, sample['passed'], sites, sample['throttled'], sample['requests'], sample['max_per_minute'],
        sample['wall'], sample['floor_ratio']))
    return label, sample


def bench_sliced(bench, sizes):
    """The sliced fleet, without a store, then with one (a redis-server started here, stopped after)."""
    from testkit.redis_server import RedisServer  # tests/ is on sys.path (run.py)
    sites, slices = sizes['sliced_sites'], sizes['slices']
    rows = [measure_slices(bench, sizes, '%d slices, no store' % slices, None)]
    server = RedisServer(os.path.join(bench.workdir, 'redis')).start()
    ahead_of_the_clients(server.proc.pid)
    try:
        rows.append(measure_slices(bench, sizes, '%d slices, one rate_limit_store (Redis)' % slices, server.url))
    finally:
        server.stop()
    rate = bench.emu.rate_limit
    return {'sites': sites, 'slices': slices, 'rate': rate, 'floor_s': 2 * sites * 60.0 / rate,
            'run_s': float(bench.emu.templates[sizes['sliced_workflow']]['duration']), 'rows': rows}


NO_STORE, STORE = 0, 1  # the rows of bench_sliced, in order


def sliced_section(sliced, lines, check, figures):
    sites, slices, rate, floor = sliced['sites'], sliced['slices'], sliced['rate'], sliced['floor_s']
    lines += ['### 8. A fleet of %d sites in %d slices (AWX job slicing: %d processes, each a machine with a budget '
              'directory of its own), one token, %d requests a minute, runs of %g s'
              % (sites, slices, slices, rate, sliced['run_s']), '',
              '| way | gates passed | 429 answers (share of requests) | requests | requests a site '
              '| most arriving in any 60 s | wall s | wall / floor | slowest slice s | peak RSS of a slice MiB |',
              '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
              '| budget floor: a start and a final read a site at %d a minute | – | – | %d | 2.00 | %d | %.0f | 1.00x | – | – |'
              % (rate, 2 * sites, rate, floor)]
    for label, s in sliced['rows']:
        lines.append('| %s | %d/%d | %d (%.0f%%) | %d | %.2f | %d | %.0f | %.2fx | %.0f | %s |' % (
            label, s['passed'], sites, s['throttled'], 100 * s['throttled_share'], s['requests'], s['per_site'],
            s['max_per_minute'], s['wall'], s['floor_ratio'], s['slowest_slice'], fmt(s.get('rss'), '%.0f')))
    lines += ['']
    none, store = sliced['rows'][NO_STORE][1], sliced['rows'][STORE][1]
    check(none['passed'] == sites, 'sliced, no store: %d/%d gates passed' % (none['passed'], sites))
    check(none['throttled_share'] <= 0.10, 'sliced, no store: %d 429 answers, %.0f%% of the requests (<= 10%%)'
          % (none['throttled'], 100 * none['throttled_share']))
    check(none['floor_ratio'] <= 1.8, 'sliced, no store: wall %.0f s = %.2fx the budget floor of %.0f s (<= 1.8x)'
          % (none['wall'], none['floor_ratio'], floor))
    check(store['passed'] == sites, 'sliced, one store: %d/%d gates passed' % (store['passed'], sites))
    check(store['throttled'] == 0, 'sliced, one store: %d 429 answers (0 allowed)' % store['throttled'])
    check(store['max_per_minute'] <= rate, 'sliced, one store: at most %d requests arriving in any 60 s (<= %d)'
          % (store['max_per_minute'], rate))
    check(store['floor_ratio'] <= 1.3, 'sliced, one store: wall %.0f s = %.2fx the budget floor of %.0f s (<= 1.3x)'
          % (store['wall'], store['floor_ratio'], floor))
    for name, (unused, s) in zip(('none', 'store'), sliced['rows']):
        figures.update({'sliced_%s_%s' % (name, key): value for key, value in (
            ('passed', s['passed']), ('throttled', s['throttled']), ('requests', s['requests']),
            ('max_minute', s['max_per_minute']), ('wall', '%.0f' % s['wall']), ('ratio', '%.2fx' % s['floor_ratio']))})
