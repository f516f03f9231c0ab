"""Progress while waiting, module side: the writer that appends the waiter's lines to the action plugin's file,
and the lines the waiter makes (run, status, steps so far, time waited) from the polls it makes anyway."""

import os
import re
import threading

import pytest

from ansible_collections.altostrat.cloud.plugins.module_utils import _task
from ansible_collections.altostrat.cloud.plugins.module_utils._deadline import Deadline
from ansible_collections.altostrat.cloud.plugins.module_utils._progress import (
    LINE_LIMIT, PROGRESS_ENV, ProgressWriter, progress_writer)
from ansible_collections.altostrat.cloud.plugins.module_utils._waiter import PROGRESS_EVERY, Waiter, _progress_line
from testkit.fakes import FakeClock, task_options


@pytest.fixture
def progress_file(tmp_path):
    path = tmp_path / 'progress'
    path.write_bytes(b'')
    return path


# ---- the writer ---------------------------------------------------------------------------

def test_unset_gives_no_writer(monkeypatch):
    monkeypatch.delenv(PROGRESS_ENV, raising=False)
    assert progress_writer() is None
    assert progress_writer({}) is None and progress_writer({PROGRESS_ENV: ''}) is None


def test_appends_one_line_per_message(progress_file, monkeypatch):
    progress_file.write_bytes(b'earlier\n')
    monkeypatch.setenv(PROGRESS_ENV, str(progress_file))
    write = progress_writer()
    write('waited 30 s on run fl_run_a: running, 3 steps so far')
    write('second\nmessage\twith\r\nbreaks \x1b[31m and \u00e9')
    assert progress_file.read_text('utf-8').splitlines() == [
        'earlier',
        'waited 30 s on run fl_run_a: running, 3 steps so far',
        'second message with breaks \\x1b[31m and \u00e9',
    ]


def test_lines_are_bounded(progress_file):
    write = progress_writer({PROGRESS_ENV: str(progress_file)})
    write('x' * 10000)
    line = progress_file.read_text('utf-8')
    assert line.endswith('...\n') and len(line) == LINE_LIMIT + 1


def test_never_creates_the_file(tmp_path):
    """The action plugin's file only: once it is gone (the task is over), nothing is written anywhere."""
    path = tmp_path / 'gone'
    write = progress_writer({PROGRESS_ENV: str(path)})
    write('a line')
    assert not path.exists() and not write.enabled


@pytest.mark.parametrize('make_target', [
    lambda tmp: tmp,  # a directory
    lambda tmp: tmp / 'missing' / 'progress',
])
def test_an_io_error_disables_it_and_never_raises(tmp_path, make_target):
    write = progress_writer({PROGRESS_ENV: str(make_target(tmp_path))})
    write('a line')
    assert write.enabled is False
    write('another line')  # no second attempt, no exception


def test_off_after_the_first_error_even_if_the_file_comes_back(tmp_path):
    path = tmp_path / 'progress'
    write = progress_writer({PROGRESS_ENV: str(path)})
    write('lost')
    path.write_bytes(b'')
    write('not written')
    assert path.read_bytes() == b''


def test_a_message_that_cannot_be_made_text_disables_it(progress_file):
    class Unprintable:
        def __str__(self):
            raise RuntimeError('no')

    write = progress_writer({PROGRESS_ENV: str(progress_file)})
    write(Unprintable())
    assert write.enabled is False and progress_file.read_bytes() == b''


@pytest.mark.skipif(not hasattr(os, 'O_NOFOLLOW'), reason='no O_NOFOLLOW here')
def test_does_not_follow_a_symlink(tmp_path):
    target, link = tmp_path / 'target', tmp_path / 'link'
    target.write_bytes(b'')
    link.symlink_to(target)
    write = progress_writer({PROGRESS_ENV: str(link)})
    write('a line')
    assert target.read_bytes() == b'' and write.enabled is False


# ---- the lines of the waiter --------------------------------------------------------------

class Script:
    """``get_run`` answers from a list of (status, steps) per run; the fake clock moves only by the waiter's pauses."""

    def __init__(self, scripts, clock):
        self.scripts = {run_id: list(answers) for run_id, answers in scripts.items()}
        self.clock = clock
        self.sleep = clock.sleep
        self.deadline = Deadline(3600, clock)
        self.calls = 0

    def get_run(self, run_id, retry=True, patience=None):
        self.calls += 1
        answers = self.scripts[run_id]
        status, steps = answers.pop(0) if len(answers) > 1 else answers[0]
        return {'id': run_id, 'status': status, 'started_at': '2026-01-01T00:00:0%dZ' % sorted(self.scripts).index(run_id),
                'logs': [{'id': 'fl_log_%d' % i} for i in range(steps)]}


def wait(scripts, run_ids, **kwargs):
    clock = FakeClock(100.0)
    client = Script(scripts, clock)
    lines = []
    kwargs.setdefault('max_poll_interval', 5.0)
    Waiter(client, progress=lines.append, **kwargs).wait(run_ids)
    return lines, client, client.deadline.elapsed()


def test_one_run_status_steps_and_time_waited():
    script = {'fl_run_a': [('pending', 0)] * 3 + [('running', step // 4) for step in range(40)] + [('completed', 10)]}
    lines, _unused, elapsed = wait(script, ['fl_run_a'])
    assert re.match(r'^waited 3[0-5] s on run fl_run_a: running, [0-9]+ steps so far$', lines[0]), lines
    assert all(re.match(r'^waited [0-9]+ s on run fl_run_a: running, [0-9]+ steps so far$', line) for line in lines)
    assert [int(line.split()[1]) for line in lines] == sorted(int(line.split()[1]) for line in lines)
    assert len(lines) == int(elapsed // PROGRESS_EVERY)
    one_step = wait({'fl_run_a': [('running', 1)] * 40 + [('completed', 1)]}, ['fl_run_a'])[0]
    assert one_step[0].endswith(': running, 1 step so far')


def test_lines_come_from_the_polls_made_anyway():
    script = {'fl_run_a': [('running', 2)] * 30 + [('completed', 3)]}
    with_lines, client, _unused = wait(script, ['fl_run_a'])
    clock = FakeClock(100.0)
    silent = Script(script, clock)
    Waiter(silent, max_poll_interval=5.0).wait(['fl_run_a'])
    assert with_lines and client.calls == silent.calls


def test_several_runs_pending_count_and_the_first_few():
    long_run = [('running', 1)] * 30 + [('completed', 2)]
    script = {'fl_run_%d' % i: long_run for i in range(6)}
    script['fl_run_0'] = [('completed', 4)]
    lines, _unused, _unused = wait(script, sorted(script), poll_interval=1.0)
    first = lines[0]
    assert first.startswith('waited ') and ' s on 6 runs, 5 still pending: ' in first
    assert first.endswith(' and 2 more')
    assert 'fl_run_0' not in first  # ended: no longer pending
    shown = first.split(' still pending: ')[1]
    # one request per pause, to the run that started first: the others are not polled yet
    assert shown == 'fl_run_1 running (1 step), fl_run_2 not polled yet, fl_run_3 not polled yet and 2 more'


def test_runs_not_polled_yet_and_hostile_ids_stay_on_one_bounded_line():
    ids = ['fl_run_\n%s' % ('x' * 200), 'fl_run_b', 'fl_run_c', 'fl_run_d']
    line = _progress_line(61.7, ids, ids, {'fl_run_b': {'status': 'run\nning', 'logs': None}})
    assert '\n' not in line and len(line) <= 400
    assert line.startswith('waited 61 s on 4 runs, 4 still pending: fl_run_\\nxxx')
    assert 'fl_run_b run\\nning (0 steps)' in line and 'not polled yet' in line and line.endswith(' and 1 more')


# ---- the hook -----------------------------------------------------------------------------

def test_read_and_check_writes_to_the_file_for_a_module_and_leaves_an_explicit_callback_alone(progress_file, monkeypatch):
    monkeypatch.setenv(PROGRESS_ENV, str(progress_file))
    made = []
    monkeypatch.setattr(_task, 'Waiter', lambda *args, **kwargs: made.append(kwargs['progress']) or Done())
    task = _task.Task(task_options(wait=True, wait_timeout=60))
    task.read_and_check(['fl_run_a'])
    explicit = [].append
    task.read_and_check(['fl_run_a'], progress=explicit)
    made[0]('a line')
    assert progress_file.read_text() == 'a line\n' and made[1] is explicit


@pytest.mark.parametrize('kind', ['fifo', 'directory', 'symlink'])
def test_a_path_that_is_not_a_regular_file_never_blocks_nor_is_written(kind, tmp_path):
    """A FIFO without a reader would block a plain open for ever: the writer returns at once, off."""
    target, path = tmp_path / 'target', tmp_path / 'progress'
    target.write_text('')
    if kind == 'fifo':
        os.mkfifo(str(path))
    elif kind == 'directory':
        path.mkdir()
    else:
        path.symlink_to(target)
    writer = ProgressWriter(str(path))
    worker = threading.Thread(target=writer, args=('a line',), daemon=True)
    worker.start()
    worker.join(5)
    blocked = worker.is_alive()
    if blocked:  # let the blocked open through, so that the thread ends
        os.close(os.open(str(path), os.O_RDONLY | os.O_NONBLOCK))
    assert not blocked, 'the progress writer blocked on a %s' % kind
    assert writer.enabled is False and target.read_text() == ''


def test_a_fifo_someone_reads_is_not_written_either(tmp_path):
    """With a reader at the other end, a FIFO opens: only a regular file is written, so the reader gets nothing."""
    path = tmp_path / 'progress'
    os.mkfifo(str(path))
    reader = os.open(str(path), os.O_RDONLY | os.O_NONBLOCK)
    try:
        writer = ProgressWriter(str(path))
        writer('a line')
        try:
            got = os.read(reader, 100)
        except BlockingIOError:  # nothing in the pipe
            got = b''
    finally:
        os.close(reader)
    assert writer.enabled is False and got == b''


class Done:
    def wait(self, run_ids):
        return [{'id': run_id, 'status': 'completed', 'logs': []} for run_id in run_ids]
