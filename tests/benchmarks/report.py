"""The report: the results tables, the targets (PASS/FAIL checks), machine info and ``docs/performance.md``."""

import datetime
import os
import platform

from harness import HERE, fmt, psutil
from scenarios import SCHEDULES, one_by_one_requests, schedule_figures


def ratio(a, b):
    if a is None or b is None or b <= 0:
        return '–'
    return '%.1fx' % (a / b)


def machine():
    model = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as handle:
            for line in handle:
                if line.startswith('model name'):
                    model = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    ram = None
    if psutil is not None:
        ram = psutil.virtual_memory().total / 2 ** 30
    versions = {'python': platform.python_version()}
    for name in ('ansible', 'requests'):
        try:
            from importlib.metadata import version
            versions[name] = version('ansible-core' if name == 'ansible' else name)
        except Exception:  # pylint: disable=broad-except
            versions[name] = '?'
    return {'cpu': model, 'cores': os.cpu_count(), 'ram_gib': ram, 'versions': versions,
            'os': platform.platform(), 'date': datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}


def build_report(results, sizes, reps, quick, elapsed, load):
    lines, checks = [], []

    def check(ok, text):
        checks.append(('PASS' if ok else 'FAIL') + ': ' + text)

    gate = dict(results.get('gate') or [])
    if gate:
        base = gate['baseline: pause %gs' % sizes['gate_s']]
        mod, uri1 = gate['module wait: true'], gate['uri + until, delay 1']
        lines += ['### 1. Gate on one run that completes %g s after the start' % sizes['gate_s'], '',
                  '| variant | wall s | CPU s | CPU above baseline s | lag after completion s (process end) '
                  '| lag in play s (task returned) | requests | peak RSS MiB |',
                  '|---|---:|---:|---:|---:|---:|---:|---:|']
        for label, s in results['gate']:
            above = s['cpu'] - base['cpu']
            lines.append('| %s | %s | %s | %s | %s | %s | %s | %s |' % (
                label, fmt(s['wall']), fmt(s['cpu']), '–' if s is base else fmt(above),
                fmt(s.get('lag')), fmt(s.get('lag_in_play')), '–' if s is base else '%d' % s['requests'],
                fmt(s['rss'], '%.0f')))
        m_above, u_above = mod['cpu'] - base['cpu'], uri1['cpu'] - base['cpu']
        lines += ['', 'CPU above baseline, uri + until (delay 1) / module: **%s**; lag, uri delay 1 / module: %s; '
                  'requests, uri delay 1 / module: %s.' % (ratio(u_above, m_above), ratio(uri1['lag'], mod['lag']),
                                                           ratio(uri1['requests'], mod['requests'])), '']
        check(m_above <= u_above / 5.0, 'module CPU above baseline %.2f s <= 1/5 of uri+until (delay 1) %.2f s (= %.2f s)'
              % (m_above, u_above, u_above / 5.0))
        check(mod['lag'] <= 1.5, 'module lag after completion %.2f s <= 1.5 s (in play: %s s)'
              % (mod['lag'], fmt(mod.get('lag_in_play'))))
        limit = 12 if sizes['gate_s'] >= 10 else None
        if limit:
            check(mod['requests'] <= limit, 'module sent %d requests for the %g s run (<= %d)'
                  % (mod['requests'], sizes['gate_s'], limit))

    many = dict(results.get('many') or [])
    if many:
        labels = [label for label, unused in results['many']]
        base, look, loop = (many[label] for label in labels)
        lines += ['### 2. %d runs that finished long ago' % sizes['many'], '',
                  '| variant | wall s | wall above start-up s | CPU s | requests | peak RSS MiB |',
                  '|---|---:|---:|---:|---:|---:|']
        for label, s in results['many']:
            lines.append('| %s | %s | %s | %s | %s | %s |' % (
                label, fmt(s['wall']), '–' if s is base else fmt(s['wall'] - base['wall']), fmt(s['cpu']),
                '–' if s is base else '%d' % s['requests'], fmt(s['rss'], '%.0f')))
        gross = loop['wall'] / look['wall']
        net_look = max(look['wall'] - base['wall'], 0.01)
        net = (loop['wall'] - base['wall']) / net_look
        lines += ['', 'uri loop / lookup, whole playbooks: **%.1fx**; net of the start-up playbook: **%.1fx**.' % (gross, net), '']
        check(gross >= 20, '%d runs: one lookup %.1fx faster than the uri loop, whole playbooks (>= 20x)' % (sizes['many'], gross))
        check(net >= 20, '%d runs: one lookup %.1fx faster than the uri loop, net of ansible-playbook start-up (>= 20x)'
              % (sizes['many'], net))

    spread = results.get('spread')
    if spread:
        rows, ends = spread
        byl = dict(rows)
        labels = [label for label, unused in rows]
        look, seq, one_by_one = byl[labels[0]], byl[labels[1]], byl[labels[2]]
        lines += ['### 3. %d runs completing at random times within %g s (seed 4)' % (sizes['spread'], sizes['spread_s']), '',
                  'Completion times (s after creation): %s.' % ', '.join('%g' % e for e in ends), '',
                  '| variant | wall s | CPU s | lag after last completion s (process end) | lag in play s | requests '
                  '| most requests in 1 s | shortest gap between polls of one run s |',
                  '|---|---:|---:|---:|---:|---:|---:|---:|']
        for label, s in rows:
            lines.append('| %s | %s | %s | %s | %s | %d | %d | %s |' % (
                label, fmt(s['wall']), fmt(s['cpu']), fmt(s.get('lag')), fmt(s.get('lag_in_play')),
                s['requests'], s['max_per_second'], fmt(s.get('min_gap'))))
        lines += ['']
        computed = one_by_one_requests(ends)
        lines += ['Waiting on them in turn with the same schedule and no per-task cost would send %d requests (computed '
                  'from the completion times, the waiter\'s `next_pause` and no request latency).' % computed, '']
        check(look['requests'] <= computed,
              'waiting on %d runs with one lookup sent %d requests <= %d for waiting on them in turn with the same schedule '
              '(computed)' % (sizes['spread'], look['requests'], computed))
        check(look['requests'] <= one_by_one['requests'],
              'waiting on %d runs with one lookup sent %d requests <= %d waiting on them one by one with module tasks '
              '(which idle ~0.4 s per task before polling); uri + until in turn: %d'
              % (sizes['spread'], look['requests'], one_by_one['requests'], seq['requests']))

    if gate or spread:
        gaps = []
        if gate:
            gaps.append(('module, 1 run', gate['module wait: true'].get('min_gap')))
        if spread:
            gaps.append(('lookup, %d runs' % sizes['spread'], dict(spread[0])[spread[0][0][0]].get('min_gap')))
        worst = min((g for unused, g in gaps if g is not None), default=None)
        check(worst is None or worst >= 0.95, 'while waiting, at most one request per second per run: shortest gap '
              'between two polls of one run %s' % ', '.join('%s %s s' % (w, fmt(g)) for w, g in gaps))

    logs = results.get('logs')
    if logs:
        rows, size = logs
        byl = dict(rows)
        uri = byl['uri']
        lines += ['### 4. One run with %d log entries (%.1f MB of JSON)' % (sizes['log_entries'], size / 1e6), '',
                  '| variant | wall s | CPU s | peak RSS of the process tree MiB | wall vs uri |',
                  '|---|---:|---:|---:|---:|']
        for label, s in rows:
            lines.append('| %s | %s | %s | %s | %s |' % (label, fmt(s['wall']), fmt(s['cpu']), fmt(s['rss'], '%.0f'),
                                                         ratio(s['wall'], uri['wall'])))
        lines += ['']
        mod = byl['module, logs: all']
        check(mod['wall'] <= uri['wall'] * 1.05, '%d-entry run: module (logs: all) %.2f s not slower than uri %.2f s (5%% noise allowance)'
              % (sizes['log_entries'], mod['wall'], uri['wall']))

    sched = schedule_figures(SCHEDULES[0][1])
    lines += ['### 5. Polling schedules, computed (the waiter\'s own `next_pause`; no request latency)', '',
              '| schedule | polls for a 10 s run | pause spanning t = 10 s (worst lag) | requests in minute 1 / 5 / 10 / 20 / 60 '
              '| pause reaches the cap at | requests for a 1-hour run | most in any minute |',
              '|---|---:|---:|---:|---:|---:|---:|']
    for label, pauses in SCHEDULES:
        f = schedule_figures(pauses)
        lines.append('| %s | %d | %.1f s | %s | %s | %d | %d |' % (
            label, f['short_polls'], f['worst_lag_at_short'], ' / '.join(str(f['per_minute'][m]) for m in (0, 4, 9, 19, 59)),
            '%.0f s' % f['cap_reached_at'] if f['cap_reached_at'] is not None else '–', f['long_total'], f['max_per_minute']))
    lines += ['']
    check(sched['max_per_minute'] <= 60, 'a long run costs at most %d requests a minute with the default schedule (budget 60; '
          '%d at the cap)' % (sched['max_per_minute'], sched['per_minute'][-1]))

    head = ['Medians of %d repetition(s)%s; whole `ansible-playbook` processes against one local emulator; '
            'benchmark took %.0f s; load average (1 min) %.1f at the start, %.1f at the end.'
            % (reps, ' (--quick: small sizes)' if quick else '', elapsed, load[0], load[1]), '']
    return head + lines, checks


def write_doc(path, table, checks, info, sizes, reps):
    with open(os.path.join(HERE, 'performance_template.md')) as handle:
        template = handle.read()
    versions = info['versions']
    text = template.format(
        date=info['date'], cpu=info['cpu'], cores=info['cores'],
        ram='%.0f GiB' % info['ram_gib'] if info['ram_gib'] else '?', os=info['os'],
        python=versions['python'], ansible=versions['ansible'], requests=versions['requests'],
        table='\n'.join(table), checks='\n'.join('- ' + c for c in checks), reps=reps)
    with open(path, 'w') as handle:
        handle.write(text)
