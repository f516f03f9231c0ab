# -*- coding: utf-8 -*-
# Copyright (c) 2026 Altostrat collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The module side of "progress while waiting": the waiter's progress lines, appended to a file.

A module's output reaches the play only when it returns. So when a module runs on the controller, its
action plugin (``plugins/plugin_utils/_progress_action.py``) makes a private file, names it in
``ALTOSTRAT_PROGRESS_FILE`` for this one execution, and shows each line the module appends while the
module still runs. Anywhere else the variable is unset and ``progress_writer()`` gives ``None``.

The writer never gets in the way of the wait: it only appends to a regular file that exists (it never creates one,
so a file the action plugin has already removed stays removed; it never blocks on a FIFO or device put at the
path, nor follows a link), one line per message, made single-line and
bounded by ``_text.one_line``; the first error of any kind turns it off for the rest of the wait.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import stat

from ansible_collections.altostrat.cloud.plugins.module_utils._text import one_line

PROGRESS_ENV = 'ALTOSTRAT_PROGRESS_FILE'
LINE_LIMIT = 400
# never blocks (a FIFO put at the path would block a plain open), never follows a link, never creates
_FLAGS = os.O_WRONLY | os.O_APPEND | os.O_NONBLOCK | getattr(os, 'O_NOFOLLOW', 0) | getattr(os, 'O_CLOEXEC', 0)


class ProgressWriter:
    """Append each message as one line to ``path``; off (silently) after the first error."""

    def __init__(self, path):
        self.path = path
        self.enabled = True

    def __call__(self, message):
        if not self.enabled:
            return
        try:
            data = (one_line(message, LINE_LIMIT) + '\n').encode('utf-8', 'backslashreplace')
            handle = os.open(self.path, _FLAGS)  # no O_CREAT: only the file the action plugin made
            try:
                if not stat.S_ISREG(os.fstat(handle).st_mode):
                    raise OSError('not a regular file')
                while data:
                    data = data[os.write(handle, data):]
            finally:
                os.close(handle)
        except Exception:  # pylint: disable=broad-except  # a progress line must never end or slow the wait
            self.enabled = False


def progress_writer(environ=None):
    """A ``progress`` callback for the waiter when ``ALTOSTRAT_PROGRESS_FILE`` is set (in ``environ``, by default the
    process environment), else ``None``."""
    path = (os.environ if environ is None else environ).get(PROGRESS_ENV)
    return ProgressWriter(path) if path else None
