# -*- coding: utf-8 -*-
# Copyright (c) 2026 Altostrat collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one rule for putting a server's string into a message: one line, bounded, whatever it holds.

* ``one_line`` for prose (an error message, a body excerpt): every run of whitespace, line breaks
  included, becomes one space;
* ``one_id`` for identifiers and statuses (run, node, status): line breaks and other control
  characters are escaped (``\\n``, ``\\x00``), so that the value stays recognisable.

Both escape any other control character and cut the text to ``limit`` characters, ``...`` included.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

ID_LIMIT = 60
_ESCAPES = {'\n': '\\n', '\r': '\\r', '\t': '\\t'}


def _escape(text):
    chars = []
    for char in text:
        code = ord(char)
        if char in _ESCAPES:
            chars.append(_ESCAPES[char])
        elif code < 0x20 or 0x7f <= code < 0xa0 or char in u'\u2028\u2029':
            chars.append('\\x%02x' % code if code < 0x100 else '\\u%04x' % code)
        else:
            chars.append(char)
    return ''.join(chars)


def _cut(text, limit):
    return text if len(text) <= limit else text[:max(0, limit - 3)] + '...'


def one_line(text, limit=300):
    """Prose from the server on one line: whitespace runs become one space, other control characters are escaped."""
    return _cut(_escape(' '.join(('' if text is None else str(text)).split())), limit)


def one_id(value, limit=ID_LIMIT):
    """An identifier (or status) from the server on one line: line breaks and control characters escaped."""
    return _cut(_escape(value if isinstance(value, str) else str(value)), limit)
