# -*- coding: utf-8 -*-
# Copyright (c) 2026 Altostrat collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one rule for putting a server's string into a message: one line, bounded."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def one_line(text, limit=300):
    """``text`` as one line (every run of whitespace, line breaks included, becomes one space), at most ``limit`` characters."""
    text = ' '.join(('' if text is None else str(text)).split())
    return text if len(text) <= limit else text[:limit] + '...'
