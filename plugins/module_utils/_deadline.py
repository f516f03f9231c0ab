# -*- coding: utf-8 -*-
# Copyright (c) 2026 Altostrat collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one deadline of a task: made once, when the task starts, and handed to everything that may take time.

Every budget wait, retry pause, poll pause, connect and read asks it for the time left; ``elapsed`` in every
result is measured from its start. A ``Deadline`` without seconds never ends (a client with no task around it).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math
import time


class Deadline:
    """``seconds`` from ``started`` (a ``clock()`` value, by default now) on ``clock``; None: no end."""

    def __init__(self, seconds=None, clock=time.monotonic, started=None):
        self.clock = clock
        self.seconds = None if seconds is None else float(seconds)
        self.start = clock() if started is None else started
        self.at = math.inf if seconds is None else self.start + self.seconds

    def left(self):
        """Seconds until the deadline (0 once it has passed; ``inf`` without one)."""
        return max(0.0, self.at - self.clock())

    def elapsed(self):
        """Seconds since the task started."""
        return self.clock() - self.start

    @property
    def bounded(self):
        return self.at != math.inf
