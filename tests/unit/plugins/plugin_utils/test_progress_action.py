"""The progress of a module's wait (``plugin_utils/_progress_action.py``), as the modules' action plugins use it:
when they tail the module's progress file, and that they change nothing else.

``_execute_module`` is faked by a "module" that reads the environment the action plugin would give it
(``_compute_environment_string``), appends progress lines with the real writer and returns a result.
"""

import os
import threading
import time

from pathlib import Path

import pytest
import yaml

from ansible.errors import AnsibleError
from ansible.plugins.shell.sh import ShellModule

from ansible_collections.altostrat.cloud.plugins.action import workflow_run
from ansible_collections.altostrat.cloud.plugins.module_utils._progress import PROGRESS_ENV, progress_writer
from ansible_collections.altostrat.cloud.plugins.plugin_utils import _progress_action
from ansible_collections.altostrat.cloud.plugins.plugin_utils._progress_action import ProgressTail, runs_on_controller
from testkit import SENTINEL

RESULT = {'changed': False, 'elapsed': 61.2, 'run': {'id': 'fl_run_a', 'status': 'completed', 'logs': [{'id': 'l1'}]}}


class FakeTask:
    check_mode = False

    def __init__(self, action='altostrat.cloud.workflow_run_info', async_val=0, no_log=False, environment=None):
        self.action = self.resolved_action = action
        self.args = {'run_id': 'fl_run_a', 'wait': True, 'token': SENTINEL}
        self.async_val = async_val
        self.no_log = no_log
        self.environment = environment if environment is not None else []


class FakeConnection:
    has_native_async = False

    def __init__(self, transport='local'):
        self.transport = transport
        self._shell = ShellModule()
        self._shell.tmpdir = None


class FakeTemplar:
    @staticmethod
    def template(value):
        return value


class FakeDisplay:
    def __init__(self, verbosity=1):
        self.verbosity = verbosity
        self.shown = []  # (message, host, thread)
        self.first = threading.Event()

    def v(self, msg, host=None):
        self.shown.append((msg, host, threading.current_thread()))
        self.first.set()


@pytest.fixture
def fake_display(monkeypatch):
    shown = FakeDisplay()
    monkeypatch.setattr(_progress_action, 'display', shown)
    return shown


def make(transport='local', lines=(), wait_shown=None, error=None, **task):
    """The action plugin, its ``_execute_module`` a fake module; ``.calls`` records what it was given."""
    action = workflow_run.ActionModule(FakeTask(**task), FakeConnection(transport), None, None, FakeTemplar(), None)
    action.calls = []

    def execute(**kwargs):
        environment = {}
        action._compute_environment_string(environment)
        action.calls.append(dict(kwargs, environment=environment, thread=threading.current_thread(),
                                 file=environment.get(PROGRESS_ENV), args=action._task.args))
        write = progress_writer(environment) or (lambda line: None)
        for line in lines:
            write(line)
            if wait_shown is not None and environment.get(PROGRESS_ENV):  # the line is shown while the module still runs
                assert wait_shown.wait(5), 'the progress line was not shown while the module ran'
        if error is not None:
            raise error
        return dict(RESULT)

    action._execute_module = execute
    return action


# ---- the decision -------------------------------------------------------------------------

@pytest.mark.parametrize('transport, here', [('local', True), ('ssh', False), ('paramiko', False), ('winrm', False),
                                             ('ansible.netcommon.network_cli', False), (None, False)])
def test_runs_on_controller_is_the_local_connection(transport, here):
    assert runs_on_controller(FakeConnection(transport)) is here
    assert runs_on_controller(object()) is False


@pytest.mark.parametrize('transport, async_val, verbosity, tails', [
    ('local', 0, 1, True),
    ('local', 0, 4, True),
    ('ssh', 0, 1, False),  # the module runs on another host (a bastion): the file would be there
    ('local', 30, 1, False),  # async: Ansible's own async handling, as before
    ('local', 0, 0, False),  # nothing would be shown
])
def test_when_it_tails(fake_display, transport, async_val, verbosity, tails):
    fake_display.verbosity = verbosity
    action = make(transport=transport, async_val=async_val, lines=['waited 30 s on run fl_run_a: running, 2 steps so far'])
    result = action.run(task_vars={'inventory_hostname': 'router1'})
    assert result == RESULT
    call, = action.calls
    assert (call['file'] is not None) is tails
    assert (call['thread'] is not threading.main_thread()) is tails
    assert call['wrap_async'] == bool(async_val)
    assert len(fake_display.shown) == (1 if tails else 0)


def test_both_modules_have_the_one_action_plugin_which_names_the_task_s_module():
    routing = yaml.safe_load((Path(workflow_run.__file__).parents[2] / 'meta/runtime.yml').read_text())['plugin_routing']
    assert routing['modules'] == {'workflow_run_info': {'action_plugin': 'altostrat.cloud.workflow_run'}}
    assert issubclass(workflow_run.ActionModule, _progress_action.ProgressActionBase)
    for module in ('altostrat.cloud.workflow_run', 'altostrat.cloud.workflow_run_info'):
        assert make(action=module).module == module


# ---- on the controller ------------------------------------------------------------------

def test_lines_are_shown_while_the_module_runs_in_the_main_thread_only(fake_display):
    lines = ['waited 30 s on run fl_run_a: running, 2 steps so far', 'waited 60 s on run fl_run_a: running, 5 steps so far']
    action = make(lines=lines, wait_shown=fake_display.first)
    assert action.run(task_vars={'inventory_hostname': 'router1'}) == RESULT
    assert [shown[0] for shown in fake_display.shown] == ['altostrat.cloud.workflow_run_info: ' + line for line in lines]
    assert all(host == 'router1' and thread is threading.main_thread() for _unused, host, thread in fake_display.shown)


def test_the_module_result_is_returned_unchanged_and_the_args_are_untouched(fake_display):
    action = make(action='altostrat.cloud.workflow_run', lines=['waited 30 s on 2 runs, 1 still pending: fl_run_b running (0 steps)'])
    args = action._task.args
    before = dict(args)
    result = action.run(task_vars={})
    assert result == RESULT
    call, = action.calls
    assert 'module_args' not in call and 'module_name' not in call  # the task's own module, with the task's args
    assert call['args'] is args and args == before
    assert fake_display.shown[0][0].startswith('altostrat.cloud.workflow_run: waited 30 s on 2 runs')
    assert all(SENTINEL not in shown[0] for shown in fake_display.shown)


def test_the_variable_is_added_for_this_execution_only(fake_display):
    environment = [{'HTTPS_PROXY': 'http://proxy:3128'}]
    action = make(environment=environment)
    action.run(task_vars={})
    call, = action.calls
    assert call['environment'] == {'HTTPS_PROXY': 'http://proxy:3128', PROGRESS_ENV: call['file']}
    assert environment == [{'HTTPS_PROXY': 'http://proxy:3128'}]  # the task's environment is not changed
    prefix = action._compute_environment_string()
    assert PROGRESS_ENV in prefix and 'HTTPS_PROXY=' in prefix


def test_the_file_is_private_and_removed_afterwards(fake_display):
    seen = {}
    action = make()
    fake = action._execute_module

    def execute(**kwargs):
        result = fake(**kwargs)
        path = action.calls[-1]['file']
        seen['mode'] = os.stat(path).st_mode & 0o777
        return result

    action._execute_module = execute
    action.run(task_vars={})
    path = action.calls[0]['file']
    assert seen['mode'] == 0o600 and not os.path.exists(path)


def test_an_error_of_the_module_run_is_raised_unchanged_and_the_file_removed(fake_display):
    error = AnsibleError('the connection broke')
    action = make(lines=['waited 30 s on run fl_run_a: running, 0 steps so far'], error=error)
    with pytest.raises(AnsibleError) as info:
        action.run(task_vars={})
    assert info.value is error
    assert not os.path.exists(action.calls[0]['file'])
    assert len(fake_display.shown) == 1  # what the module wrote before is still shown


def test_no_log_shows_only_that_the_wait_goes_on(fake_display):
    action = make(no_log=True, lines=['waited 30 s on run fl_run_secret: running, 2 steps so far'])
    action.run(task_vars={})
    (message, _unused, _unused), = fake_display.shown
    assert 'fl_run_secret' not in message and 'steps' not in message
    assert message.startswith('altostrat.cloud.workflow_run_info: still waiting after ')
    assert message.endswith(' s (details hidden: no_log)')


def test_no_temp_file_means_the_module_runs_as_without_progress(fake_display, monkeypatch):
    def broken(**kwargs):
        raise OSError('read-only file system')

    monkeypatch.setattr(_progress_action.tempfile, 'mkstemp', broken)
    action = make(lines=['waited 30 s'])
    assert action.run(task_vars={}) == RESULT
    assert action.calls[0]['file'] is None and action.calls[0]['thread'] is threading.main_thread()


def test_a_line_written_just_before_the_module_returns_is_shown(fake_display, monkeypatch):
    monkeypatch.setattr(_progress_action, 'TICK', 5.0)  # the last look comes after the module has returned
    action = make(lines=['waited 90 s on run fl_run_a: running, 9 steps so far'])
    started = time.monotonic()
    action.run(task_vars={})
    assert time.monotonic() - started < 4
    assert len(fake_display.shown) == 1


# ---- reading the file ---------------------------------------------------------------------

def test_tail_returns_complete_lines_and_keeps_the_rest(tmp_path):
    path = tmp_path / 'progress'
    path.write_bytes(b'')
    with open(str(path), 'rb') as handle, open(str(path), 'ab', buffering=0) as writer:
        tail = ProgressTail(handle)
        assert tail.lines() == []
        writer.write(b'one\ntw')
        assert tail.lines() == ['one']
        writer.write(b'o\n\n\xff three')
        assert tail.lines() == ['two']
        assert tail.lines(final=True) == ['\ufffd three']
