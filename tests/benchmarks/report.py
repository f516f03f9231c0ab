"""The report: the results tables, the targets (PASS/FAIL checks), machine info and ``docs/performance.md``.

Everything here is a function of the raw results (``data``: what ``run.py`` measured, as stored in
``docs/performance.json``), so that the page can be made again from that file: ``render(data)``
gives the page, ``write_doc`` writes both files, ``check_doc`` says whether a page is what its
JSON file renders to.  The fleet and outage sections live in ``report_fleet.py``.
"""

import datetime
import json
import os
import platform
import string

from harness import HERE, fmt, psutil
from report_fleet import fleet_section, outage_section
from scenarios_sliced import sliced_section

FORMAT = 1  # of the JSON file


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


class Figures(dict):
    """Named figures for the template's prose; a figure that was not measured shows as a dash."""

    def __missing__(self, key):
        return '–'


def gate_section(rows, sizes, lines, check, figures):
    gate = dict(rows)
    base = gate['baseline: pause %gs' % sizes['gate_s']]
    mod, uri1 = gate['module wait: true'], gate['uri + until, delay 1']
    lines += ['### 1. Gate on one run that completes %g s after the start' % sizes['gate_s'], '',
              '| variant | wall s | CPU s | CPU above baseline s | lag after completion s (process end) '
              '| lag in play s (task returned) | requests | 429 answers | peak RSS MiB |',
              '|---|---:|---:|---:|---:|---:|---:|---:|---:|']
    for label, s in rows:
        above = s['cpu'] - base['cpu']
        lines.append('| %s | %s | %s | %s | %s | %s | %s | %s | %s |' % (
            label, fmt(s['wall']), fmt(s['cpu']), '–' if s is base else fmt(above), fmt(s.get('lag')),
            fmt(s.get('lag_in_play')), '–' if s is base else '%d' % s['requests'],
            '–' if s is base else '%d' % s['throttled'], fmt(s['rss'], '%.0f')))
    m_above, u_above = mod['cpu'] - base['cpu'], uri1['cpu'] - base['cpu']
    lines += ['', 'CPU above baseline, uri + until (delay 1) / module: **%s**; lag, uri delay 1 / module: %s; '
              'requests, uri delay 1 / module: %s.' % (ratio(u_above, m_above), ratio(uri1['lag'], mod['lag']),
                                                       ratio(uri1['requests'], mod['requests'])), '']
    check(m_above <= u_above / 5.0, 'module CPU above baseline %.2f s <= 1/5 of uri+until (delay 1) %.2f s (= %.2f s)'
          % (m_above, u_above, u_above / 5.0))
    check(mod['lag'] <= 1.5, 'module lag after completion %.2f s <= 1.5 s (in play: %s s)'
          % (mod['lag'], fmt(mod.get('lag_in_play'))))
    if sizes['gate_s'] >= 10:
        check(mod['requests'] <= 12, 'module sent %d requests for the %g s run (<= 12)' % (mod['requests'], sizes['gate_s']))
    figures.update(gate_mod_req=mod['requests'], gate_uri1_req=uri1['requests'], gate_cpu_ratio=ratio(u_above, m_above),
                   gate_mod_lag=fmt(mod['lag']), gate_uri1_lag=fmt(uri1['lag']), gate_base_cpu=fmt(base['cpu']),
                   gate_mod_above=fmt(m_above), gate_uri1_above=fmt(u_above))
    uri5 = gate.get('uri + until, delay 5')
    if uri5:
        figures.update(gate_uri5_req=uri5['requests'], gate_uri5_lag=fmt(uri5['lag']))


def many_section(rows, sizes, lines, check, figures):
    base, look, loop = (s for unused, s in rows)
    lines += ['### 2. %d runs that finished long ago' % sizes['many'], '',
              '| variant | wall s | wall above start-up s | CPU s | requests | 429 answers | peak RSS MiB |',
              '|---|---:|---:|---:|---:|---:|---:|']
    for label, s in rows:
        lines.append('| %s | %s | %s | %s | %s | %s | %s |' % (
            label, fmt(s['wall']), '–' if s is base else fmt(s['wall'] - base['wall']), fmt(s['cpu']),
            '–' if s is base else '%d' % s['requests'], '–' if s is base else '%d' % s['throttled'], fmt(s['rss'], '%.0f')))
    gross = loop['wall'] / look['wall']
    net = (loop['wall'] - base['wall']) / max(look['wall'] - base['wall'], 0.01)
    lines += ['', 'uri loop / lookup, whole playbooks: **%.1fx**; net of the start-up playbook: **%.1fx**.' % (gross, net), '']
    check(gross >= 20, '%d runs: one lookup %.1fx faster than the uri loop, whole playbooks (>= 20x)' % (sizes['many'], gross))
    check(net >= 20, '%d runs: one lookup %.1fx faster than the uri loop, net of ansible-playbook start-up (>= 20x)'
          % (sizes['many'], net))
    figures.update(many_gross='%.1fx' % gross, many_net='%.1fx' % net, many_startup=fmt(base['wall']),
                   many_lookup_above=fmt(look['wall'] - base['wall']))


def spread_section(spread, sizes, lines, check, figures):
    rows, ends, computed = spread['rows'], spread['ends'], spread['computed']
    look, seq, one_by_one = (s for unused, s in rows[:3])
    lines += ['### 3. %d runs completing at random times within %g s (seed 4)' % (sizes['spread'], sizes['spread_s']), '',
              'Completion times (s after creation): %s.' % ', '.join('%g' % e for e in ends), '',
              '| variant | wall s | CPU s | lag after last completion s (process end) | lag in play s | requests '
              '| 429 answers | most requests in 1 s | shortest gap between polls of one run s |',
              '|---|---:|---:|---:|---:|---:|---:|---:|---:|']
    for label, s in rows:
        lines.append('| %s | %s | %s | %s | %s | %d | %d | %d | %s |' % (
            label, fmt(s['wall']), fmt(s['cpu']), fmt(s.get('lag')), fmt(s.get('lag_in_play')),
            s['requests'], s['throttled'], s['max_per_second'], fmt(s.get('min_gap'))))
    lines += ['', 'Waiting on them in turn with the same schedule and no per-task cost would send %d requests (computed '
              'from the completion times, the waiter\'s `next_pause` and no request latency).' % computed, '']
    check(look['requests'] <= computed,
          'waiting on %d runs with one lookup sent %d requests <= %d for waiting on them in turn with the same schedule '
          '(computed)' % (sizes['spread'], look['requests'], computed))
    # The least any waiter can send is one read of each run after it has ended; one lookup adds its first look
    # (which, for runs that have already ended, is what makes it return at once). Module tasks in turn may get
    # by with fewer: each idles before its first poll, while later runs end.
    check(look['requests'] <= sizes['spread'] + 1,
          'waiting on %d runs with one lookup sent %d requests <= %d (one read of each run after it ended, plus the '
          'first look); module tasks one by one: %d, uri + until in turn: %d'
          % (sizes['spread'], look['requests'], sizes['spread'] + 1, one_by_one['requests'], seq['requests']))
    figures.update(spread_lookup_req=look['requests'], spread_module_req=one_by_one['requests'],
                   spread_uri_req=seq['requests'], spread_computed=computed, spread_max_per_second=look['max_per_second'])


def logs_section(logs, sizes, lines, check, figures):
    rows, size = logs['rows'], logs['size']
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
    figures.update(log_mb='%.1f' % (size / 1e6))


def schedule_section(schedules, lines, check, figures):
    short, hours = schedules[0]['run_s'], schedules[0]['long_s'] / 3600.0
    lines += ['### 5. Polling schedules, computed (the waiter\'s own `next_pause`; no request latency)', '',
              '| schedule | polls for a %g s run | pause spanning t = %g s (worst lag) | requests in minute 1 / 5 / 10 / 20 / 60 '
              '| pause reaches the cap at | requests for a %g-hour run | most in any minute |' % (short, short, hours),
              '|---|---:|---:|---:|---:|---:|---:|']
    for f in schedules:
        lines.append('| %s | %d | %.1f s | %s | %s | %d | %d |' % (
            f['label'], f['short_polls'], f['worst_lag_at_short'], ' / '.join(str(f['per_minute'][m]) for m in (0, 4, 9, 19, 59)),
            '%.0f s' % f['cap_reached_at'] if f['cap_reached_at'] is not None else '–', f['long_total'], f['max_per_minute']))
    lines += ['']
    default = schedules[0]
    check(default['max_per_minute'] <= 60, 'a long run costs at most %d requests a minute with the default schedule (budget 60; '
          '%d at the cap)' % (default['max_per_minute'], default['per_minute'][-1]))
    figures.update(sched_short_s='%g' % short, sched_long_h='%g' % hours)
    for key, f in zip(('sched', 'sched_slow', 'sched_cap', 'sched_first'), schedules):
        figures.update({key + '_short_polls': f['short_polls'], key + '_worst_lag': '%.1f' % f['worst_lag_at_short'],
                        key + '_cap_at': '%.0f' % f['cap_reached_at'] if f['cap_reached_at'] is not None else '–',
                        key + '_cap_min': '%.0f' % (f['cap_reached_at'] / 60) if f['cap_reached_at'] is not None else '–',
                        key + '_long_total': f['long_total'], key + '_max_minute': f['max_per_minute'],
                        key + '_per_minute_capped': f['per_minute'][-1]})


def build_report(data):
    """``(table lines, check lines, figures for the prose)`` from the raw results."""
    results, sizes = data['results'], data['sizes']
    lines, checks = [], []
    figures = Figures(reps=data['reps'], rate=sizes['rate_limit'], gate_s='%g' % sizes['gate_s'], many=sizes['many'],
                      spread=sizes['spread'], spread_s='%g' % sizes['spread_s'], log_entries=sizes['log_entries'],
                      log_output=sizes['log_output_size'], poll_interval='%g' % sizes['poll_interval'],
                      max_poll_interval='%g' % sizes['max_poll_interval'], http_ok=200, http_throttled=429, http_outage=503)

    def check(ok, text):
        checks.append(('PASS' if ok else 'FAIL') + ': ' + text)

    if results.get('gate'):
        gate_section(results['gate'], sizes, lines, check, figures)
    if results.get('many'):
        many_section(results['many'], sizes, lines, check, figures)
    if results.get('spread'):
        spread_section(results['spread'], sizes, lines, check, figures)
    gaps = []
    if results.get('gate'):
        gaps.append(('module, 1 run', dict(results['gate'])['module wait: true'].get('min_gap')))
    if results.get('spread'):
        gaps.append(('lookup, %d runs' % sizes['spread'], results['spread']['rows'][0][1].get('min_gap')))
    if gaps:
        worst = min((g for unused, g in gaps if g is not None), default=None)
        check(worst is None or worst >= 0.95, 'while waiting, at most one request per second per run: shortest gap '
              'between two polls of one run %s' % ', '.join('%s %s s' % (w, fmt(g)) for w, g in gaps))
    if results.get('logs'):
        logs_section(results['logs'], sizes, lines, check, figures)
    if results.get('schedules'):
        schedule_section(results['schedules'], lines, check, figures)
    if results.get('fleet'):
        fleet_section(results['fleet'], lines, check, figures)
    if results.get('outage'):
        outage_section(results['outage'], lines, check, figures)
    if results.get('sliced'):
        sliced_section(results['sliced'], lines, check, figures)
    head = ['Medians of %d repetition(s)%s (the fleet and outage scenarios: one each); whole `ansible-playbook` processes '
            'against one local emulator; benchmark took %.0f s; load average (1 min) %.1f at the start, %.1f at the end.'
            % (data['reps'], ' (--quick: small sizes)' if data['quick'] else '', data['elapsed'], data['load'][0],
               data['load'][1]), '']
    return head + lines, checks, figures


def render(data):
    """The page ``docs/performance.md`` for the raw results ``data``."""
    table, checks, figures = build_report(data)
    with open(os.path.join(HERE, 'performance_template.md')) as handle:
        template = handle.read()
    info = data['machine']
    versions = info['versions']
    figures.update(
        date=info['date'], cpu=info['cpu'], cores=info['cores'],
        ram='%.0f GiB' % info['ram_gib'] if info['ram_gib'] else '?', os=info['os'],
        python=versions['python'], ansible=versions['ansible'], requests=versions['requests'],
        table='\n'.join(table), checks='\n'.join('- ' + c for c in checks))
    return string.Formatter().vformat(template, (), figures)


def write_doc(doc_path, json_path, data):
    """Write the raw results to ``json_path`` and the page rendered from them to ``doc_path``."""
    data = dict(data, format=FORMAT)
    with open(json_path, 'w') as handle:
        json.dump(data, handle, indent=1, sort_keys=True)
        handle.write('\n')
    with open(json_path) as handle:
        text = render(json.load(handle))  # from what was written, as check_doc will
    with open(doc_path, 'w') as handle:
        handle.write(text)


def check_doc(doc_path, json_path):
    """``(ok, message)``: whether ``doc_path`` is exactly what the results in ``json_path`` render to."""
    with open(json_path) as handle:
        data = json.load(handle)
    if data.get('format') != FORMAT:
        return False, '%s: format %r, expected %d' % (json_path, data.get('format'), FORMAT)
    expected = render(data)
    with open(doc_path) as handle:
        actual = handle.read()
    if actual == expected:
        return True, '%s matches %s' % (doc_path, json_path)
    want, got = expected.splitlines(), actual.splitlines()
    line = next((i for i, (a, b) in enumerate(zip(want, got)) if a != b), min(len(want), len(got)))
    return False, '%s differs from what %s renders to, first at line %d' % (doc_path, json_path, line + 1)
