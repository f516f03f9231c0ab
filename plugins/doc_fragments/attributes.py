# -*- coding: utf-8 -*-
# Copyright (c) 2026 Altostrat collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The attributes every module of the collection shares; each module adds its own check_mode entry and
    # extends ansible.builtin.action_common_attributes and its actiongroups part for their descriptions.
    DOCUMENTATION = r'''
attributes:
  diff_mode:
    support: none
  platform:
    platforms: all
  action_group:
    support: full
    membership:
      - altostrat.cloud.workflows
'''
