# -*- coding: utf-8 -*-
# Copyright (c) 2026 Altostrat collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Action plugin of the module altostrat.cloud.workflow_run_info: the module as ``normal`` runs it, and, when it runs on the
controller, the progress lines of its wait at ``-v`` while it waits. Why and how: ``plugin_utils/_progress_action.py``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.altostrat.cloud.plugins.plugin_utils._progress_action import ProgressActionBase


class ActionModule(ProgressActionBase):
    """altostrat.cloud.workflow_run_info, with the progress of its wait on the controller."""

    MODULE = 'altostrat.cloud.workflow_run_info'
