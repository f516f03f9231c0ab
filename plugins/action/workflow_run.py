# -*- coding: utf-8 -*-
# Copyright (c) 2026 Altostrat collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Action plugin of both modules, altostrat.cloud.workflow_run and workflow_run_info (``meta/runtime.yml`` routes the
second here): the module as ``normal`` runs it, and, when it runs on the controller, the progress lines of its wait at
``-v`` while it waits. How and why: ``plugin_utils/_progress_action.py`` and ``docs/design.md``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.altostrat.cloud.plugins.plugin_utils._progress_action import ProgressActionBase


class ActionModule(ProgressActionBase):
    """The task's module, with the progress of its wait on the controller."""
