# -*- coding: utf-8 -*-
# Copyright (c) 2026 Altostrat collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Input checks made before any request leaves the machine."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib
import re

from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratInputError
from ansible_collections.altostrat.cloud.plugins.module_utils._runs import KNOWN_STATUSES

from urllib.parse import urlsplit

MAX_ID_LENGTH = 128

# What the API's ids look like: a type prefix, then letters, digits, "_" and "-".
_ID_SHAPES = {
    'run': re.compile(r'fl_run_[A-Za-z0-9_-]+\Z'),
    'workflow': re.compile(r'fl_[A-Za-z0-9_-]+\Z'),
    'node': re.compile(r'[A-Za-z0-9_-]+\Z'),
}
_ID_HINTS = {
    'run': "'fl_run_' followed by letters, digits, '_' or '-'",
    'workflow': "'fl_' followed by letters, digits, '_' or '-'",
    'node': "letters, digits, '_' or '-'",
}


def check_id(value, kind='run'):
    """Return ``value`` if it is a well-formed id of ``kind``, else raise AltostratInputError."""
    if not isinstance(value, str):
        raise AltostratInputError('Invalid %s id %r: expected a string, got %s.' % (kind, value, type(value).__name__))
    if len(value) > MAX_ID_LENGTH:
        raise AltostratInputError('Invalid %s id %r...: longer than %d characters.' % (kind, value[:40], MAX_ID_LENGTH))
    if not _ID_SHAPES[kind].match(value):
        raise AltostratInputError('Invalid %s id %r: expected %s.' % (kind, value, _ID_HINTS[kind]))
    return value


MAX_KEY_LENGTH = 255


def check_idempotency_key(value):
    """``value`` if it can be an ``Idempotency-Key`` header: 1 to 255 printable ASCII characters, else AltostratInputError."""
    if not isinstance(value, str) or not value:
        raise AltostratInputError('idempotency_key must be a non-empty string.')
    if len(value) > MAX_KEY_LENGTH:
        raise AltostratInputError('idempotency_key is longer than %d characters (%d).' % (MAX_KEY_LENGTH, len(value)))
    if not all(' ' <= char <= '~' for char in value) or value != value.strip():
        raise AltostratInputError('idempotency_key holds characters a header cannot carry (line breaks, control or '
                                  'non-ASCII characters, or spaces at either end); use letters, digits, "-" and "_".')
    return value


def check_api_url(value):
    """Return the API base URL without a trailing slash; refuse credentials or a query in it."""
    if not isinstance(value, str) or not value.strip():
        raise AltostratInputError('api_url must be a non-empty URL such as https://v1.api.altostrat.io.')
    try:
        parts = urlsplit(value.strip())
        parts.port  # pylint: disable=pointless-statement  # raises ValueError on a bad port
    except ValueError:  # its text may quote the URL, and so whatever was put in it
        raise AltostratInputError('api_url is not a valid URL (check its host and port).')
    if parts.scheme not in ('http', 'https') or not parts.hostname:
        raise AltostratInputError('api_url must start with https:// (or http://) and name a host, got %r.' % _redact_url(parts))
    if parts.username is not None or parts.password is not None:
        raise AltostratInputError('api_url must not carry credentials (user:password@); pass the token with the token option.')
    if parts.query or parts.fragment:
        raise AltostratInputError('api_url must not carry a query string or fragment; pass the token with the token option.')
    return value.strip().rstrip('/')


def _redact_url(parts):
    return '%s://%s%s' % (parts.scheme, parts.hostname or '', parts.path) if parts.scheme else '<not a URL>'


ANY = 'any'


def closest(value, choices):
    """`` (did you mean 'x'?)`` for the choice closest to ``value``, or ``''``."""
    match = difflib.get_close_matches(str(value), [str(choice) for choice in choices], n=1, cutoff=0.6)
    return " (did you mean '%s'?)" % match[0] if match else ''


def check_statuses(values, option, allow_any=False):
    """``values`` (a list of run statuses, or None) if every one is a status; AltostratInputError naming the first that is not."""
    if values is None:
        return None
    choices = KNOWN_STATUSES + ((ANY,) if allow_any else ())
    if not isinstance(values, (list, tuple)) or not values:
        raise AltostratInputError('%s must be a list of run statuses (%s).' % (option, ', '.join(choices)))
    for value in values:
        if value not in choices:
            raise AltostratInputError('%s holds %r, which is not a run status%s; use %s.'
                                      % (option, value, closest(value, choices), ', '.join(choices)))
    return list(values)
