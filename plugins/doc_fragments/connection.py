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
      - Modules also read it from the E(ALTOSTRAT_API_URL) environment variable.
      - Must not carry credentials or a query string; the token travels only in the C(Authorization) header.
    type: str
    default: https://v1.api.altostrat.io
  token:
    description:
      - API token, a team API key or a user-session JWT, sent in the C(Authorization) header as a bearer token.
      - Modules also read it from the E(ALTOSTRAT_TOKEN) environment variable, which is how the AWX credential type
        of this collection injects it.
      - Treated as a secret. It is never logged, never put in a URL, never sent to another host on a redirect,
        and a C(~/.netrc) entry never replaces it.
    type: str
  validate_certs:
    description:
      - Verify the API's TLS certificate.
      - Modules also read it from the E(ALTOSTRAT_VALIDATE_CERTS) environment variable.
      - Set to V(false) only on a trusted network; a warning is then shown.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of the certificate authorities to trust for the API, instead of the system bundle.
      - Modules also read it from the E(ALTOSTRAT_CA_PATH) environment variable.
      - Without it, E(REQUESTS_CA_BUNDLE) is honoured, then the bundle shipped with C(requests).
    type: path
  request_timeout:
    description:
      - Seconds allowed for one HTTP request, from connecting to the last byte of the answer.
      - Modules also read it from the E(ALTOSTRAT_REQUEST_TIMEOUT) environment variable.
    type: float
    default: 30
  http_retries:
    description:
      - How many times a GET is retried after a connection error, a cut-off answer, or HTTP 429, 502, 503 or 504,
        with jittered exponential backoff, honouring C(Retry-After).
      - A POST that starts a run is retried only when it carries an idempotency key.
      - Modules also read it from the E(ALTOSTRAT_HTTP_RETRIES) environment variable.
    type: int
    default: 5
notes:
  - Proxies are taken from the E(HTTPS_PROXY), E(HTTP_PROXY) and E(NO_PROXY) environment variables. C(~/.netrc) is ignored.
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
'''
