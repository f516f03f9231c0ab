"""Redirects: one to another origin fails at once naming it; within the origin the client follows at most three hops,
each from the budget; a redirect's body is never read; a start is never redirected."""

import io

import pytest

from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratAPIError

from testkit import TOKEN
from testkit.fakes import scripted


RUN_PATH = '/workflows/runs/fl_run_completed'


class CountingBudget:
    enabled = True

    def __init__(self):
        self.acquired = 0

    def acquire(self, timeout=None, patience=None):
        self.acquired += 1
        return 0.0

    def sync(self, **kwargs):
        pass


def test_a_redirect_to_another_origin_fails_at_once_naming_it(emulator_factory, make_client):
    """The other origin serves a completed run: following the redirect would open a gate on it."""
    other = emulator_factory({'tokens': [TOKEN], 'runs': [{'id': 'fl_run_completed', 'workflow_id': 'fl_wf', 'finished': True}]})
    first = emulator_factory({'tokens': [TOKEN], 'faults': [
        {'kind': 'redirect', 'path': RUN_PATH, 'location': other.url + RUN_PATH, 'times': None}]})
    client = make_client(first)
    with pytest.raises(AltostratAPIError) as info:
        client.get_run('fl_run_completed')
    port = other.url.rsplit(':', 1)[1]
    assert str(info.value).startswith('GET %s failed: HTTP 302 redirect to http://127.0.0.1:%s, another origin than '
                                      'api_url' % (RUN_PATH, port)), str(info.value)
    assert info.value.status == 302 and not info.value.transient
    assert first.count() == 1 and other.requests == []  # not followed, not retried


def test_a_redirect_within_the_origin_is_followed_by_the_client_each_hop_from_the_budget(emulator, make_client):
    from ansible_collections.altostrat.cloud.plugins.module_utils._retry import MAX_REDIRECTS
    target = emulator.url + '/workflows/runs/fl_run_completed?x=1'
    emulator.add_fault(path=RUN_PATH, kind='redirect', location=target, times=MAX_REDIRECTS)
    budget = CountingBudget()
    client = make_client(emulator, budget=budget)
    assert client.get_run('fl_run_completed')['status'] == 'completed'
    assert emulator.count() == MAX_REDIRECTS + 1 and budget.acquired == MAX_REDIRECTS + 1


def test_a_redirect_loop_ends_after_three_hops(emulator, make_client):
    emulator.add_fault(path=RUN_PATH, kind='redirect', location=RUN_PATH, times=None)
    budget = CountingBudget()
    client = make_client(emulator, budget=budget)
    with pytest.raises(AltostratAPIError) as info:
        client.get_run('fl_run_completed')
    assert str(info.value) == ('GET %s failed: more than 3 redirects (the API does not redirect); check api_url.'
                               % RUN_PATH)
    assert emulator.count() == 4 and budget.acquired == 4


class Untouched(io.BytesIO):
    """A body that records whether anything read it."""
    touched = False

    def read(self, *args):
        self.touched = True
        return super().read(*args)

    def read1(self, *args):
        self.touched = True
        return super().read1(*args)

    def readinto(self, buffer):
        self.touched = True
        return super().readinto(buffer)


def test_a_redirect_body_is_never_read(make_client):
    client = make_client('http://api.test')
    huge = {'Location': '/workflows/runs/fl_run_a', 'Content-Length': str(10 ** 12)}
    body = Untouched(b'x' * 100)
    adapter = scripted(client, [(302, huge, body), (200, {}, b'{"id": "fl_run_a", "status": "completed"}')])
    assert client.get_run('fl_run_a')['status'] == 'completed' and len(adapter.sent) == 2
    assert not body.touched  # not by requests, not by the transport


def test_post_does_not_follow_redirects(emulator, make_client):
    emulator.add_fault(method='POST', kind='redirect', status=307, location=emulator.url + '/workflows/fl_wf_main/execute')
    with pytest.raises(AltostratAPIError) as info:
        make_client(emulator).start_run('fl_wf_main')
    assert info.value.status == 307 and emulator.count() == 1 and emulator.runs_created == 0
