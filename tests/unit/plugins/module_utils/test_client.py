"""The client's endpoints: its checks of api_url and the token, reruns and resumes, listing a workflow's runs page by
page (within the page cap and the deadline). Starts: test_client_starts.py; ids: test_client_ids.py; what an answer
must look like: test_client_answers.py."""

import json

import pytest

from ansible_collections.altostrat.cloud.plugins.module_utils import _client
from ansible_collections.altostrat.cloud.plugins.module_utils._client import Client
from ansible_collections.altostrat.cloud.plugins.module_utils._deadline import Deadline
from ansible_collections.altostrat.cloud.plugins.module_utils._errors import AltostratAPIError, AltostratInputError

from testkit import TOKEN
from testkit.fakes import DONE as RUN, FakeAnswer, FakeAdapter, scripted


def test_rerun_and_resume_return_new_run(emulator, make_client):
    client = make_client(emulator)
    new, key, replayed = client.rerun('fl_run_failed')
    assert new['id'].startswith('fl_run_') and new['id'] != 'fl_run_failed' and not replayed
    resumed, other_key, replayed = client.resume('fl_run_failed', 'n1')
    assert resumed['id'] not in ('fl_run_failed', new['id']) and not replayed
    assert key != other_key and emulator.idempotency_keys == [key, other_key]
    assert [r['path'] for r in emulator.requests] == [
        '/workflows/runs/fl_run_failed/rerun', '/workflows/runs/fl_run_failed/resume-from/n1']


def test_list_runs_follows_all_pages(emulator, make_client):
    runs = make_client(emulator).list_runs('fl_wf_paged')
    assert [r['id'] for r in runs] == ['fl_run_page_%03d' % i for i in range(39, -1, -1)]
    assert all('logs' not in r for r in runs)
    recs = [r for r in emulator.requests if r['path'] == '/workflows/fl_wf_paged/executions']
    assert [r['params'].get('page') for r in recs] == ['1', '2', '3']
    assert len(emulator.requests) == 3


def test_list_runs_statuses_filter(emulator, make_client):
    client = make_client(emulator)
    assert client.list_runs('fl_wf_paged', statuses=['failed']) == []
    assert emulator.count() == 3
    main = client.list_runs('fl_wf_main', statuses=['failed', 'awaiting_ui_interaction'])
    assert sorted(r['id'] for r in main) == ['fl_run_awaiting', 'fl_run_failed']


@pytest.mark.parametrize('limit, pages', [(5, 1), (15, 1), (16, 2), (40, 3), (100, 3)])
def test_list_runs_limit(limit, pages, emulator, make_client):
    runs = make_client(emulator).list_runs('fl_wf_paged', limit=limit)
    assert len(runs) == min(limit, 40)
    assert runs[0]['id'] == 'fl_run_page_039'
    assert emulator.count() == pages


@pytest.mark.parametrize('page, first, count', [(1, 39, 15), (2, 24, 15), (3, 9, 10)])
def test_runs_page_reads_one_page(page, first, count, emulator, make_client):
    runs, last_page = make_client(emulator).runs_page('fl_wf_paged', page)
    assert [r['id'] for r in runs] == ['fl_run_page_%03d' % i for i in range(first, first - count, -1)]
    assert last_page == 3 and emulator.count() == 1


def test_runs_page_without_meta_has_no_last_page(emulator, make_client):
    emulator.add_fault(method='GET', kind='wrong_shape', body={'data': [RUN]})
    assert make_client(emulator).runs_page('fl_wf_main') == ([RUN], None)


def test_list_runs_unknown_workflow(emulator, make_client):
    with pytest.raises(AltostratAPIError) as info:
        make_client(emulator).list_runs('fl_nope')
    assert info.value.status == 404 and 'Workflow fl_nope not found.' in str(info.value)


def test_a_listing_stops_at_the_page_cap_and_at_the_deadline(make_client, clock):
    """A server that says it has a billion pages, the budget off: 100 pages at most, and never past the deadline."""
    page = json.dumps({'data': [{'id': 'fl_run_p', 'status': 'completed'}], 'meta': {'last_page': 10 ** 9}}).encode()
    client = make_client('http://api.test', deadline=Deadline(3600, clock))
    adapter = scripted(client, [(200, {}, page)] * (_client.MAX_PAGES + 1))
    assert len(client.list_runs('fl_wf')) == _client.MAX_PAGES and len(adapter.sent) == _client.MAX_PAGES
    assert client.warnings == ['Workflow fl_wf has more than 100 pages of runs; only the first 100 were read (newest first).']
    slow = make_client('http://api.test', deadline=Deadline(3, clock))
    adapter = FakeAdapter([FakeAnswer(200, page, cost=1.0)], clock)
    slow.session.mount('http://', adapter)
    with pytest.raises(AltostratAPIError) as info:
        slow.list_runs('fl_wf')
    assert len(adapter.sent) <= 4 and slow.deadline.left() == 0
    assert "deadline (wait_timeout)" in str(info.value)


def test_client_checks_api_url_and_token():
    """Every check is _validate's (test_validate.py); the client applies them before anything else."""
    assert Client(TOKEN, api_url='http://127.0.0.1:1/base/').api_url == 'http://127.0.0.1:1/base'
    with pytest.raises(AltostratInputError, match='^api_url must not carry credentials') as info:
        Client(TOKEN, api_url='http://user:pw-secret@127.0.0.1:1')
    assert 'pw-secret' not in str(info.value)
    with pytest.raises(AltostratInputError, match='No API token'):
        Client('', api_url='http://127.0.0.1:1')
