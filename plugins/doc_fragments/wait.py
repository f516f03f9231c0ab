# -*- coding: utf-8 -*-
# Copyright (c) 2026 Altostrat collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Waiting on runs, asserting their status and trimming their logs: shared by modules and lookups.
    DOCUMENTATION = r'''
options:
  wait:
    description:
      - Wait until each run has ended (status V(completed) or V(failed)), or needs a person (see O(on_interaction)).
      - Several runs are waited on in one loop that, while they are all still going, sends one request per pause,
        whatever their number. It polls the run most likely to have ended (the one that started first) and, once that
        one has ended, looks at the next at once; so waiting on N runs costs about one request per run plus one per
        pause.
      - Failing polls (connection errors, HTTP 5xx answers, cut-off answers) never end a wait before
        O(wait_timeout); the pause doubles with each failed poll, up to O(max_poll_interval), and one warning tells
        when the trouble starts and one when it ends. An HTTP 429 answer is not a failed poll but back-pressure; the
        poll is sent again after the API's C(Retry-After) (plus a little jitter), without a warning, until the
        deadline. Other errors (HTTP 401, 403, 404, 422) end the wait at once.
      - At C(-v) and above a long wait shows a progress line every 30 seconds, naming each run, its status, its
        steps so far and the time waited, from the polls it makes anyway. Modules show it when they run on the
        controller (with C(delegate_to) V(localhost) or a local connection), in a terminal and in AWX jobs alike.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds the task may take in total, from its start, measured on a monotonic clock; this covers the start of a
        run, waits for the request budget (O(rate_limit)) and for HTTP 429 answers, retries, every connect and read
        (however slowly a server answers), and the wait itself. Nothing outlasts it by more than about a second. The
        default is the API's longest possible run.
      - It bounds the task without O(wait) too (a start, a read, a listing), and the result's C(elapsed) is measured
        from the same start, failed or not.
      - When it runs out the task fails with C(timed out) in its message, naming each run still going, its last state
        and the last failed poll, if any.
      - From 0.1 to 604800 (a week).
    type: float
    default: 3600
  poll_interval:
    description:
      - Shortest pause between two polls of a run. The pause is a tenth of the time waited so far, at least this
        and at most O(max_poll_interval), so that a run is seen ending within about a tenth of its age (within 1 s
        during the first 10 s) while a long wait polls less and less often.
      - A wait on several runs pauses at least this times the number of runs still going (and at most
        O(max_poll_interval)); the loop polls one run per pause, so a fleet's wait stays within the request budget.
      - The last pause is cut short so that the last poll goes out a second before the deadline (half the time left,
        when less), with that long to be answered; a wait that runs out ends at the deadline.
      - From 0.1 to 3600.
    type: float
    default: 1
  max_poll_interval:
    description:
      - Longest pause between two polls of a run, reached after 150 s of waiting. With the default of 15 s a long
        run costs 4 requests a minute, well within the API's limit of 60 a minute per token.
      - From 0.1 to 3600.
    type: float
    default: 15
  on_interaction:
    description:
      - What to do when a run is V(awaiting_ui_interaction), paused until a person answers in the Altostrat UI
        (no API call can answer it).
      - V(stop) stops waiting at once; the task then fails unless O(expected_status) admits
        V(awaiting_ui_interaction) (or is V([any])), and returns the run as it is.
      - V(wait) keeps waiting, until the person answers or O(wait_timeout) runs out.
      - V(fail) fails the task at once.
      - Only used with O(wait=true).
    type: str
    choices: [stop, wait, fail]
    default: stop
  expected_status:
    description:
      - Statuses the run must have for the task to succeed, for example V([completed, failed]).
      - With O(wait=true) it defaults to V([completed]), so a gate fails closed. A run that V(failed), or that stops
        for a person (V(awaiting_ui_interaction) with O(on_interaction=stop)), fails the task with a message naming
        the run, its status, its C(error_message) and the steps whose log status is V(error); the run is still
        returned. Without O(wait) nothing is asserted unless this is given.
      - V([any]) accepts any ending, to wait and then decide in a later task.
      - Each value is checked before any request is sent; the statuses are V(pending), V(running), V(completed),
        V(failed) and V(awaiting_ui_interaction).
      - A run that completed may still carry an C(error_message) (a step failed but the run carried on); it passes.
    type: list
    elements: str
  logs:
    description:
      - Which log entries to return, V(all), V(errors) (entries whose status is not V(success)) or V(none)
        (an empty list). The failure message of O(expected_status) always sees every entry.
    type: str
    choices: [all, errors, none]
    default: all
'''
