# -*- coding: utf-8 -*-
# Copyright (c) 2026 Altostrat collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The modules' action plugin: the module as ``normal`` runs it, and on the controller its wait's progress.

A module's output reaches the play only when it returns; the action plugin runs in the worker process, whose
``Display`` reaches the play while the task runs. So, on the controller at ``-v`` and without ``async``
(``shows_progress``), it names a private file in the module's environment (``ALTOSTRAT_PROGRESS_FILE``), runs
``normal`` in a background thread and shows the lines the module appends, in the main thread. Everywhere else it is
``normal``, exactly. Why this design and not another: ``docs/design.md``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextvars
import os
import tempfile
import threading
import time

from ansible import constants as C
from ansible.plugins.action.normal import ActionModule as NormalAction
from ansible.utils.display import Display

from ansible_collections.altostrat.cloud.plugins.module_utils._progress import LINE_LIMIT, PROGRESS_ENV
from ansible_collections.altostrat.cloud.plugins.module_utils._text import one_line

display = Display()

TICK = 0.5  # s between looks at the file while the module runs
READ_LIMIT = 64 * 1024  # bytes read at one look, at most


def runs_on_controller(connection):
    """Whether a module run through ``connection`` runs on the controller, as ansible-core itself tells (2.16-2.20)."""
    return getattr(connection, 'transport', None) == 'local'


class ProgressTail:
    """The complete lines appended to an open binary file since the last look."""

    def __init__(self, handle):
        self.handle = handle
        self.partial = b''

    def lines(self, final=False):
        data = self.partial + (self.handle.read(READ_LIMIT) or b'')
        *complete, self.partial = data.split(b'\n')
        if self.partial and (final or len(self.partial) > READ_LIMIT):  # a line never ended: shown as it is
            complete, self.partial = complete + [self.partial], b''
        return [line.decode('utf-8', 'replace') for line in complete if line.strip()]


class ProgressActionBase(NormalAction):
    """``normal``, and on the controller at ``-v`` the progress lines of the module's wait while it runs."""

    _progress_file = None

    @property
    def module(self):
        """The FQCN of the task's module, which starts each line shown."""
        return getattr(self._task, 'resolved_action', None) or self._task.action

    def shows_progress(self):
        """On the controller (elsewhere the file would be on another host), at ``-v`` (below, nothing would be shown),
        without ``async`` (Ansible's own async handling runs the module then)."""
        verbose = display.verbosity >= 1 or getattr(display, 'log_verbosity', 0) >= 1
        return verbose and not self._task.async_val and runs_on_controller(self._connection)

    def run(self, tmp=None, task_vars=None):
        if not self.shows_progress():
            return super(ProgressActionBase, self).run(tmp, task_vars)
        try:
            handle, path = tempfile.mkstemp(prefix='altostrat-progress-', dir=C.DEFAULT_LOCAL_TMP)
            os.close(handle)
        except Exception:  # pylint: disable=broad-except  # no progress is better than no task
            return super(ProgressActionBase, self).run(tmp, task_vars)
        try:
            return self._run_tailing(super(ProgressActionBase, self).run, path, tmp, task_vars)
        finally:
            try:
                os.remove(path)
            except OSError:
                pass

    def _run_tailing(self, run, path, tmp, task_vars):
        outcome = {}
        context = contextvars.copy_context()  # ansible-core 2.19+ keeps the task's context there

        def work():
            try:
                outcome['result'] = context.run(run, tmp, task_vars)
            except BaseException as exc:  # pylint: disable=broad-except  # raised again in the main thread
                outcome['error'] = exc

        try:
            handle = open(path, 'rb')
        except OSError:
            return run(tmp, task_vars)
        self._progress_file = path
        # Only the worker touches the task, connection and module; this thread reads its own file and calls Display.
        worker = threading.Thread(target=work, name='altostrat-module')
        worker.daemon = True  # an interrupted task does not keep its worker process alive
        host = (task_vars or {}).get('inventory_hostname')
        started = time.monotonic()
        with handle:
            tail = ProgressTail(handle)
            worker.start()
            while worker.is_alive():
                worker.join(TICK)
                tail = self._show(tail, host, started)
            self._show(tail, host, started, final=True)
        if 'error' in outcome:
            raise outcome['error']
        return outcome['result']

    def _show(self, tail, host, started, final=False):
        """Show the new lines of ``tail``; returns it, or ``None`` once the file cannot be read (no more lines)."""
        if tail is None:
            return None
        try:
            lines = tail.lines(final)
        except Exception:  # pylint: disable=broad-except  # a progress line must never end the task
            return None
        for line in lines:
            if self._task.no_log:
                line = 'still waiting after %d s (details hidden: no_log)' % (time.monotonic() - started)
            display.v(one_line('%s: %s' % (self.module, line), LINE_LIMIT + 100), host=host)
        return tail

    def _compute_environment_string(self, raw_environment_out=None):
        extra = {}
        if self._progress_file is not None:
            extra[PROGRESS_ENV] = self._progress_file
        if not extra:
            return super(ProgressActionBase, self)._compute_environment_string(raw_environment_out)
        environment = {}
        super(ProgressActionBase, self)._compute_environment_string(environment)
        environment.update(extra)
        if isinstance(raw_environment_out, dict):
            raw_environment_out.clear()
            raw_environment_out.update(environment)
        return self._connection._shell.env_prefix(**environment)
