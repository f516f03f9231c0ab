# -*- coding: utf-8 -*-
# Copyright (c) 2026 Altostrat collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The connection options, shared by every module and lookup of the collection.
    DOCUMENTATION = r'''
options:
  api_url:
    description:
      - Base URL of the Altostrat Workflows API.
      - Also read from the E(ALTOSTRAT_API_URL) environment variable.
      - Must not carry credentials or a query string; the token travels only in the C(Authorization) header.
      - The API does not redirect. A redirect to another origin (scheme, host or port) fails the task at once, naming
        that origin; a redirect of a read within this origin is followed by the collection itself, at most 3 times,
        each hop a request of its own (from the request budget, within O(wait_timeout)); a start is never redirected.
    type: str
    default: https://v1.api.altostrat.io
  token:
    description:
      - API token, a team API key or a user-session JWT, sent in the C(Authorization) header as a bearer token.
      - Also read from the E(ALTOSTRAT_TOKEN) environment variable, which is how the AWX credential type
        of this collection injects it.
      - Treated as a secret. It is never logged, never put in a URL, never sent to another origin, and a C(~/.netrc)
        entry never replaces it. Where a server or proxy echoes it back, it is masked as C(********) in every string
        of the answer (the run, its logs, the API's message) before anything is shown or returned.
    type: str
  validate_certs:
    description:
      - Verify the API's TLS certificate.
      - Also read from the E(ALTOSTRAT_VALIDATE_CERTS) environment variable.
      - Set to V(false) only on a trusted network; a warning is then shown.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of the certificate authorities to trust for the API, instead of the system bundle.
      - Also read from the E(ALTOSTRAT_CA_PATH) environment variable.
      - Without it, E(REQUESTS_CA_BUNDLE) is honoured, else E(CURL_CA_BUNDLE) (as C(requests) does), then the bundle
        shipped with C(requests).
    type: path
  request_timeout:
    description:
      - Seconds allowed for one HTTP request as a whole, from connecting to the last byte of the answer, however
        slowly its headers or body drip; never more than what is left of O(wait_timeout).
      - From 0.1 to 3600.
      - Also read from the E(ALTOSTRAT_REQUEST_TIMEOUT) environment variable.
    type: float
    default: 30
  http_retries:
    description:
      - How many times a request is retried after a connection error, a cut-off answer or a 5xx answer, with jittered
        exponential backoff, honouring C(Retry-After). Starts are retried too, since each carries an idempotency key.
      - HTTP 429 answers do not count; they are retried until O(wait_timeout). A wait rides out failing polls until
        its deadline whatever this is; it bounds the retries of each single request.
      - From 0 to 100.
      - Also read from the E(ALTOSTRAT_HTTP_RETRIES) environment variable.
    type: int
    default: 5
  rate_limit:
    description:
      - Requests a minute that this machine may send with this token, in all; every fork, every module process that
        runs here and every lookup spend from one shared budget per API URL and token, so that a fleet of hosts
        never meets the API's limit (60 a minute per token). V(0) turns the budget off.
      - At most V(1000) a minute; a larger value is refused before any request. The budget's state holds one time
        per request in the last minute (and per request waiting), so it stays a few kilobytes whatever the API's
        headers say.
      - Starts, reads, list pages and retries all spend from it. The budget also follows the API's
        C(X-RateLimit-Remaining) and C(Retry-After) answers, so another controller or AWX job on the same token slows
        this one down instead of breaking it.
      - Its state lives in a private per-user directory (C($XDG_RUNTIME_DIR/altostrat.cloud), else
        C(${TMPDIR:-/tmp}/altostrat.cloud-<uid>)), one file per API URL and token, named by a hash; the token itself
        is never written to disk.
      - From 0 to 1000.
      - The state file is used only while it is plainly this user's own (a regular file, not a link, owned by this
        user, with a single hard link, no bigger than a budget can be, holding only what the budget writes), checked
        on every use. Otherwise the task warns once, naming the file and the problem, and keeps a budget of its own
        process for the rest of that process; the file is left as it is (remove it to share the budget again).
      - Also read from the E(ALTOSTRAT_RATE_LIMIT) environment variable.
    type: int
    default: 60
    version_added: 0.2.0
  rate_limit_store:
    description:
      - A Redis that keeps the request budget (O(rate_limit)) for every machine naming it, as a V(redis://) or
        V(rediss://) (TLS) URL, such as V(rediss://:PASSWORD@redis.example.com:6379/0). Every process on every
        machine (AWX job slices, execution nodes, container groups, CI runners, other controllers) that names the same
        store spends from one budget per API URL and token, with the same guarantees as the local budget.
      - The decisions are made atomically inside Redis, by a server-side script, on the Redis server's clock. The key
        is named by a hash of the API URL and token (the token never reaches Redis) and expires a minute after its
        last request. The API's C(Retry-After), C(X-RateLimit-Reset) and C(X-RateLimit-Remaining) seen by any machine
        hold every machine back.
      - A store that is down, refuses the password or times out never fails a task; the task warns once, naming the
        store's host (never its password), and carries on with the budget of its machine and the API's headers. Each
        call to the store waits at most 2 seconds, and never past O(wait_timeout).
      - Needs the Python library C(redis) (4.2 or later) where the module or lookup runs; without it the task warns
        once, naming what to install, and keeps the local budget.
      - For TLS options, add them to the URL as redis-py reads them, such as
        V(rediss://:PASSWORD@redis.example.com:6380/0?ssl_ca_certs=/etc/pki/redis-ca.pem).
      - Also read from the E(ALTOSTRAT_RATE_LIMIT_STORE) environment variable, which the AWX credential type of this
        collection injects. Treated as a secret (it may hold a password). Unset or empty, the budget is the local one.
    type: str
    version_added: 0.2.0
notes:
  - Proxies are taken from the E(HTTPS_PROXY), E(HTTP_PROXY) and E(NO_PROXY) environment variables. C(~/.netrc) is ignored.
  - The request budget (O(rate_limit)) is shared by the processes of one user on one machine, or, with
    O(rate_limit_store), by every machine using that store. Without a store, a module that runs on a remote host (not
    delegated to the controller) has only that host's budget, and the budget cannot see other controllers or job
    slices on the same token until the API's answers tell it; see the fleet guide.
  - A HTTP 429 answer is back-pressure, not a failure; the request was not processed, and it is sent again once the
    limit allows, until O(wait_timeout) from the start of the task.
  - Every answer is checked before it decides anything. A body over 16 MiB, with more than 500,000 JSON values or
    nested deeper than 64 levels, JSON with a key repeated in one object (which of two C(status) values would count?),
    or a run read by ID whose C(id) is another run's fails the task with one line; the last state seen of each run is
    still returned.
requirements:
  - requests (python library)
'''

    # Extra sources for the same options, for lookup plugins (which read ansible.cfg and variables).
    PLUGINS = r'''
options:
  api_url:
    env:
      - name: ALTOSTRAT_API_URL
    ini:
      - section: altostrat
        key: api_url
    vars:
      - name: altostrat_api_url
  token:
    env:
      - name: ALTOSTRAT_TOKEN
    vars:
      - name: altostrat_token
  validate_certs:
    env:
      - name: ALTOSTRAT_VALIDATE_CERTS
    ini:
      - section: altostrat
        key: validate_certs
    vars:
      - name: altostrat_validate_certs
  ca_path:
    env:
      - name: ALTOSTRAT_CA_PATH
    ini:
      - section: altostrat
        key: ca_path
    vars:
      - name: altostrat_ca_path
  request_timeout:
    env:
      - name: ALTOSTRAT_REQUEST_TIMEOUT
    ini:
      - section: altostrat
        key: request_timeout
    vars:
      - name: altostrat_request_timeout
  http_retries:
    env:
      - name: ALTOSTRAT_HTTP_RETRIES
    ini:
      - section: altostrat
        key: http_retries
    vars:
      - name: altostrat_http_retries
  rate_limit:
    env:
      - name: ALTOSTRAT_RATE_LIMIT
    ini:
      - section: altostrat
        key: rate_limit
    vars:
      - name: altostrat_rate_limit
  rate_limit_store:
    env:
      - name: ALTOSTRAT_RATE_LIMIT_STORE
    ini:
      - section: altostrat
        key: rate_limit_store
    vars:
      - name: altostrat_rate_limit_store
'''
