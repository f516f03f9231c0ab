"""What the waiter makes of a run's status and of a failed poll: terminal statuses, a run awaiting a person, a status
it does not know, an error that ends the wait at once."""

import pytest

from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratAPIError, AltostratRunError

from testkit.waiter import fatal, scripted_waiter, wait


def test_failed_is_terminal(clock):
    client, waiter, _unused, _unused = scripted_waiter({'a': ['running', 'failed', 'completed']}, clock)
    runs, _unused = wait(waiter, ['a'])
    assert runs[0]['status'] == 'failed' and len(client.calls) == 2


@pytest.mark.parametrize('mode', ['stop', 'wait', 'fail'])
def test_on_interaction(mode, clock):
    client, waiter, _unused, _unused = scripted_waiter(
        {'a': ['running', 'awaiting_ui_interaction', 'awaiting_ui_interaction', 'completed']}, clock, on_interaction=mode)
    if mode == 'fail':
        with pytest.raises(AltostratRunError) as info:
            wait(waiter, ['a'])
        assert info.value.run['status'] == 'awaiting_ui_interaction'
        assert str(info.value) == ('Stopped waiting (on_interaction=fail): run a is awaiting_ui_interaction '
                                   '(it needs a person to answer in the Altostrat UI).')
        assert len(client.calls) == 2
    else:
        runs, _unused = wait(waiter, ['a'])
        expected = {'stop': ('awaiting_ui_interaction', 2), 'wait': ('completed', 4)}[mode]
        assert (runs[0]['status'], len(client.calls)) == expected


def test_unknown_status_warns_once_and_keeps_waiting(clock):
    client, waiter, warnings, _unused = scripted_waiter({'a': ['queued_v2', 'queued_v2', 'queued_v2', 'running', 'completed']}, clock)
    runs, _unused = wait(waiter, ['a'])
    assert runs[0]['status'] == 'completed' and len(client.calls) == 5
    assert warnings == ["Run a has status 'queued_v2', which this collection does not know; "
                        "treating it as still running."]


def test_non_transient_error_raised_at_once(clock):
    client, waiter, warnings, _unused = scripted_waiter({'a': ['running', fatal('a'), 'completed']}, clock)
    with pytest.raises(AltostratAPIError) as info:
        wait(waiter, ['a'])
    assert info.value.status == 404 and len(client.calls) == 2 and warnings == []
    assert waiter.seen['a']['status'] == 'running'  # the last state seen is kept, for the task's result


def test_error_on_first_poll_has_no_run(clock):
    client, waiter, _unused, _unused = scripted_waiter({'a': [fatal('a')]}, clock)
    with pytest.raises(AltostratAPIError):
        wait(waiter, ['a'])
    assert waiter.seen == {} and waiter.deadline.elapsed() == 0
