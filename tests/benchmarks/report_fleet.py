"""The fleet and outage sections of the report: tables, targets (PASS/FAIL checks) and figures for the prose."""

from harness import fmt

HOST, ONE, URI = 0, 1, 2  # the fleet's ways, in the order scenarios_fleet.bench_fleet measures them


def fleet_section(fleet, lines, check, figures):
    sites, rate, floor, run_s = fleet['sites'], fleet['rate'], fleet['floor_s'], fleet['run_s']
    rows = fleet['rows']
    lines += ['### 6. A fleet of %d sites, one token, %d requests a minute: each site gated on its own %g s run'
              % (sites, rate, run_s), '',
              '| way | gates passed | 429 answers (within 1 s of the end of the API\'s window) | requests '
              '| starts / reads | requests a site | most arriving in any 60 s | last start s | wall s | wall / floor '
              '| lag after the last run completed s | CPU s | peak RSS MiB |',
              '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
              '| budget floor: a start and a final read a site, %d requests at %d a minute | – | – | %d | %d / %d | 2.00 '
              '| %d | – | %.0f | 1.00x | – | – | – |' % (2 * sites, rate, 2 * sites, sites, sites, rate, floor)]
    for label, s in rows:
        lines.append('| %s | %d/%d | %d (%d) | %d | %d / %d | %.2f | %d | %s | %.0f | %.2fx | %s | %s | %s |' % (
            label, s['passed'], sites, s['throttled'], s['throttled_at_edge'], s['requests'], s['starts'], s['reads'],
            s['per_site'], s['max_per_minute'], fmt(s.get('last_start'), '%.0f'), s['wall'], s['floor_ratio'],
            fmt(s.get('lag'), '%.1f'), fmt(s.get('cpu'), '%.1f'), fmt(s.get('rss'), '%.0f')))
    lines += ['']
    host = rows[HOST][1]
    check(host['passed'] == sites, 'fleet, per-host gate: %d/%d gates passed' % (host['passed'], sites))
    check(host['throttled'] == 0, 'fleet, per-host gate: %d 429 answers (0 allowed)' % host['throttled'])
    check(host['floor_ratio'] <= 1.5, 'fleet, per-host gate: wall %.0f s = %.2fx the budget floor of %.0f s (<= 1.5x)'
          % (host['wall'], host['floor_ratio'], floor))
    one = rows[ONE][1]
    check(one['passed'] == sites, 'fleet, one task for the fleet: %d/%d gates passed' % (one['passed'], sites))
    check(one['throttled'] == 0, 'fleet, one task for the fleet: %d 429 answers (0 allowed)' % one['throttled'])
    check(one['per_site'] <= 2.3, 'fleet, one task for the fleet: %.2f requests a site (<= 2.3)' % one['per_site'])
    check(one['floor_ratio'] <= 1.2, 'fleet, one task for the fleet: wall %.0f s = %.2fx the budget floor of %.0f s (<= 1.2x)'
          % (one['wall'], one['floor_ratio'], floor))
    uri = fleet['uri']
    figures.update(fleet_sites=sites, fleet_run_s='%g' % run_s, fleet_floor='%.0f' % floor, fleet_requests_floor=2 * sites,
                   fleet_uri_delay=uri['poll_delay'], fleet_uri_retries=uri['poll_retries'],
                   fleet_uri_start_delay=uri['start_delay'], fleet_uri_start_retries=uri['start_retries'])
    for name, (unused, s) in zip(('host', 'one', 'uri'), rows):
        figures.update({'fleet_%s_%s' % (name, key): value for key, value in (
            ('passed', s['passed']), ('throttled', s['throttled']), ('requests', s['requests']),
            ('reads', s['reads']), ('per_site', '%.2f' % s['per_site']), ('wall', '%.0f' % s['wall']),
            ('ratio', '%.2fx' % s['floor_ratio']), ('lag', fmt(s.get('lag'), '%.0f')),
            ('max_minute', s['max_per_minute']), ('cpu', fmt(s.get('cpu'), '%.0f')),
            ('edge', s['throttled_at_edge']), ('edge_max', fmt(s.get('edge_max'), '%.2f')),
            ('last_start', fmt(s.get('last_start'), '%.0f')), ('rss', fmt(s.get('rss'), '%.0f')))})


def outage_bound(outage):
    """Requests the module may send during the outage: one per ``max_poll_interval``, plus five for the backoff ramp."""
    return int(outage['outage_s'] // outage['max_poll_interval']) + 5


def outage_section(outage, lines, check, figures):
    run_s, outage_s, from_s = outage['run_s'], outage['outage_s'], outage['from_s']
    rows = outage['rows']
    bound = outage_bound(outage)
    lines += ['### 7. One gate on a %g s run through a %g s outage (503 to every run read from %g s to %g s)'
              % (run_s, outage_s, from_s, from_s + outage_s), '',
              '| way | gate passed | requests | requests during the outage (503 answers) | requests after it '
              '| lag after the run completed s (process end) | lag in play s | wall s |',
              '|---|---|---:|---:|---:|---:|---:|---:|']
    for label, s in rows:
        lines.append('| %s | %s | %d | %d | %d | %s | %s | %s |' % (
            label, 'yes' if s['passed'] else 'no', s['requests'], s['during'], s['after'], fmt(s.get('lag')),
            fmt(s.get('lag_in_play')), fmt(s['wall'])))
    lines += ['']
    mod, uri = rows[0][1], rows[1][1]
    check(mod['passed'], 'outage: the module\'s gate %s through the %g s outage (uri + until: %s)'
          % ('passed' if mod['passed'] else 'failed', outage_s, 'passed' if uri['passed'] else 'failed'))
    check(mod['during'] <= bound, 'outage: the module sent %d requests during the %g s outage (<= %d: one per '
          'max_poll_interval of %g s, plus 5 for the backoff ramp)' % (mod['during'], outage_s, bound, outage['max_poll_interval']))
    figures.update(outage_run_s='%g' % run_s, outage_s='%g' % outage_s, outage_from='%g' % from_s,
                   outage_to='%g' % (from_s + outage_s), outage_bound=bound, outage_wait_timeout=outage['wait_timeout'],
                   outage_uri_retries=outage['uri']['poll_retries'], outage_uri_delay=outage['uri']['poll_delay'],
                   outage_mod_passed='passed' if mod['passed'] else 'failed',
                   outage_uri_passed='passed' if uri['passed'] else 'failed',
                   outage_mod_during=mod['during'], outage_uri_during=uri['during'],
                   outage_mod_requests=mod['requests'], outage_uri_requests=uri['requests'],
                   outage_mod_lag=fmt(mod.get('lag'), '%.1f'), outage_uri_lag=fmt(uri.get('lag'), '%.1f'))
