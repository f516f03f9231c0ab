"""What the end-to-end stories check alike (``from e2e.checks import ...``; the ``run_playbook`` fixture is in
``conftest.py``)."""

import os

from testkit.fakes import assert_one_clean_line

PLAYBOOKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'playbooks')  # every story's playbooks
RUN_PATH = '/workflows/runs/%s'
# fl_run_slow restarted by the playbook right before it waits, and lasting 20 s (longer than in DEFAULT_SCENARIO):
# beside the fleet tests a module process can take several seconds to start, and the run must still be under way
# at its first poll.
SLOW = {'id': 'fl_run_slow', 'workflow_id': 'fl_wf_main', 'pending_for': 0.2, 'duration': 20,
        'status': 'completed', 'steps': 3}


def assert_one_line_error(msg, output):
    """A failure message is one clean line (``testkit.fakes.assert_one_clean_line``), and no Python traceback reaches
    the output."""
    assert isinstance(msg, str)
    assert_one_clean_line(msg.strip())
    assert 'Traceback' not in output, output
    assert 'File "' not in output, output


def gets(emu, run_id):
    """The GETs of one run the emulator received."""
    return emu.count('GET', RUN_PATH % run_id)
