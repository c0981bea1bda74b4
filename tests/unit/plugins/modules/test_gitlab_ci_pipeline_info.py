"""gitlab_ci_pipeline_info run in-process, its real client against the fake GitLab, request by request.

Pins the requests per call (read from the fake's journal): one for pipeline_id and latest (two when
GitLab has no latest pipeline and the module checks that the token may read pipelines), ceil(n/100)
for a list of n, never more pages than ``limit`` needs; options refused before any request; check
mode the same as a normal run; no token in the result. Time is virtual (the fake's CI clock).
The same through ansible-playbook: tests/integration/test_info_pipeline_job_playbooks.py.
"""

from urllib.parse import quote

import pytest

from tests.conftest import DEFAULT_SEED, DEV_TOKEN, ROOT_TOKEN
from tests.unit.module_run import api, calls, queries, run_main

from ansible_collections.cicd.gitlab.plugins.modules import gitlab_ci_pipeline_info as module_under_test

SVC = 'acme/svc'
API = '/api/v4/projects/acme%2Fsvc'
READ_API_TOKEN = 'glpat-dev-readonly-00000'
GUEST_TOKEN = 'glpat-guest-00000000000'
REPORTER_TOKEN = 'glpat-reporter-00000000'


def start(fake, clock, project=SVC, ref='main', seconds=30, token=ROOT_TOKEN):
    pipeline = api(fake, 'POST', '/projects/%s/pipeline' % quote(project, safe=''), token=token, json={'ref': ref})
    clock.sleep(seconds)
    return pipeline


def run(capsys, fake, check=False, token=DEV_TOKEN, **args):
    """main() with these options; returns the result. The printed result must hold no token."""
    args = dict(dict(api_url=fake.url, api_token=token, project=SVC), **args)
    result, out = run_main(capsys, fake, module_under_test, dict((k, v) for k, v in args.items() if v is not None), check=check)
    for secret in (DEV_TOKEN, ROOT_TOKEN, READ_API_TOKEN, GUEST_TOKEN, REPORTER_TOKEN):
        assert secret not in out, 'a token reached the result'
    return result


# ---- one pipeline ------------------------------------------------------------------------------

def test_one_pipeline_by_id_is_one_request_with_every_field(capsys, fake, clock):
    started = start(fake, clock)
    result = run(capsys, fake, pipeline_id=started['id'])
    assert result['changed'] is False and 'failed' not in result
    assert calls(fake) == [('GET', API + '/pipelines/%d' % started['id'])]
    pipeline = result['pipeline']
    assert result['pipelines'] == [pipeline]
    assert pipeline['id'] == started['id'] and pipeline['status'] == 'success' and pipeline['source'] == 'api'
    assert pipeline['user'] == {'id': pipeline['user']['id'], 'username': 'root', 'name': 'Administrator'}
    assert pipeline['started_at'] and pipeline['finished_at'] and pipeline['duration'] is not None
    assert set(pipeline) == {'id', 'iid', 'project_id', 'status', 'ref', 'sha', 'source', 'name', 'web_url', 'created_at',
                             'updated_at', 'started_at', 'finished_at', 'duration', 'user'}


def test_a_pipeline_of_another_project_fails_naming_it(capsys, fake, clock):
    other = start(fake, clock, project='acme/app')
    result = run(capsys, fake, pipeline_id=other['id'])
    assert result['failed'] is True and result['status'] == 404
    assert result['msg'].startswith('pipeline %d was not found in project acme/svc' % other['id'])
    assert calls(fake) == [('GET', API + '/pipelines/%d' % other['id'])]


def test_one_pipeline_in_check_mode_reads_the_same(capsys, fake, clock):
    started = start(fake, clock)
    normal = run(capsys, fake, pipeline_id=started['id'])
    checked = run(capsys, fake, check=True, pipeline_id=started['id'])
    assert checked == normal
    assert [method for method, _path in calls(fake)] == ['GET']


# ---- latest ------------------------------------------------------------------------------------

def test_latest_is_one_request(capsys, fake, clock):
    start(fake, clock)
    newest = start(fake, clock)
    start(fake, clock, ref='feature/x')
    result = run(capsys, fake, latest=True, ref='main')
    assert calls(fake) == [('GET', API + '/pipelines/latest')] and queries(fake) == [{'ref': 'main'}]
    assert result['pipeline']['id'] == newest['id'] and result['pipelines'] == [result['pipeline']]
    assert 'msg' not in result


def test_latest_without_ref_is_the_default_branch(capsys, fake, clock):
    newest = start(fake, clock)
    result = run(capsys, fake, latest=True)
    assert result['pipeline']['id'] == newest['id'] and queries(fake) == [{}]


def test_no_latest_pipeline_is_not_a_failure_and_costs_two_requests(capsys, fake, clock):
    result = run(capsys, fake, latest=True, ref='main')
    assert 'failed' not in result and result['pipeline'] is None and result['pipelines'] == []
    assert result['msg'] == 'the newest commit of ref main of project acme/svc has no pipeline (older commits of the ref may have)'
    # GitLab answers 403 when there is no latest pipeline; one list page tells it from a token that may not read.
    assert calls(fake) == [('GET', API + '/pipelines/latest'), ('GET', API + '/pipelines')]
    assert queries(fake)[1] == {'ref': 'main', 'per_page': '1'}


def test_latest_with_a_token_that_cannot_read_pipelines_fails_with_gitlabs_answer(capsys, fake, clock):
    start(fake, clock)
    result = run(capsys, fake, token=GUEST_TOKEN, latest=True, ref='main')
    assert result['failed'] is True and result['status'] == 403
    assert 'GET /api/v4/projects/acme/svc/pipelines/latest' in result['msg'] and '403' in result['msg']


def test_latest_of_a_missing_project_fails(capsys, fake, clock):
    result = run(capsys, fake, project='acme/nope', latest=True)
    assert result['failed'] is True and result['status'] == 404
    assert len(calls(fake)) == 1


# ---- lists -------------------------------------------------------------------------------------

@pytest.fixture
def many(fake, clock):
    """130 pipelines of acme/svc (ids ascending), 10 of them on feature/x."""
    made = []
    for index in range(130):
        made.append(start(fake, clock, ref='feature/x' if index % 13 == 0 else 'main', seconds=1))
    clock.sleep(30)
    return made


@pytest.mark.parametrize('limit, requests_sent, per_page, count', [
    (None, 1, '20', 20), (1, 1, '1', 1), (100, 1, '100', 100), (101, 2, '100', 101), (150, 2, '100', 130), (10000, 2, '100', 130),
])
def test_a_list_reads_no_more_pages_than_the_limit_needs(capsys, fake, many, limit, requests_sent, per_page, count):
    result = run(capsys, fake, limit=limit)
    assert len(calls(fake)) == requests_sent and set(calls(fake)) == {('GET', API + '/pipelines')}
    assert queries(fake)[0]['per_page'] == per_page
    ids = [p['id'] for p in result['pipelines']]
    assert ids == sorted((p['id'] for p in many), reverse=True)[:count]
    assert 'pipeline' not in result
    listed = result['pipelines'][0]
    assert listed['user'] is None and listed['started_at'] is None   # not in GitLab's list entity


def test_details_reads_each_listed_pipeline_in_full(capsys, fake, clock):
    first = start(fake, clock)
    second = start(fake, clock)
    result = run(capsys, fake, details=True, limit=2)
    assert calls(fake) == [('GET', API + '/pipelines'), ('GET', API + '/pipelines/%d' % second['id']),
                           ('GET', API + '/pipelines/%d' % first['id'])]
    for listed in result['pipelines']:
        assert listed['user']['username'] == 'root'
        assert listed['started_at'] and listed['finished_at'] and listed['duration'] is not None


def test_filters_and_order_reach_gitlab(capsys, fake, many):
    result = run(capsys, fake, ref='feature/x', order_by='id', sort='asc', status='success', limit=5,
                 updated_after='2000-01-01T02:00:00+02:00')
    assert queries(fake) == [{'ref': 'feature/x', 'order_by': 'id', 'sort': 'asc', 'status': 'success', 'per_page': '5',
                              'updated_after': '2000-01-01T00:00:00Z'}]
    feature = [p['id'] for p in many if p['ref'] == 'feature/x']
    assert [p['id'] for p in result['pipelines']] == feature[:5]
    assert {p['ref'] for p in result['pipelines']} == {'feature/x'}


def test_a_list_of_one_commit(capsys, fake, clock):
    first = start(fake, clock)
    second = start(fake, clock)
    assert first['sha'] == second['sha']
    result = run(capsys, fake, sha=first['sha'])
    assert [p['id'] for p in result['pipelines']] == [second['id'], first['id']]


def test_a_list_with_the_read_api_token(capsys, fake, clock):
    started = start(fake, clock)
    result = run(capsys, fake, token=READ_API_TOKEN)
    assert [p['id'] for p in result['pipelines']] == [started['id']]


def test_an_empty_list(capsys, fake, clock):
    result = run(capsys, fake, status='running')
    result.pop('invocation', None)
    assert result == {'changed': False, 'pipelines': []}


# ---- jobs ----------------------------------------------------------------------------------------

def test_jobs_adds_jobs_and_bridges_per_pipeline(capsys, fake, clock):
    started = start(fake, clock)
    result = run(capsys, fake, pipeline_id=started['id'], jobs=True)
    assert calls(fake) == [('GET', API + '/pipelines/%d' % started['id']), ('GET', API + '/pipelines/%d/jobs' % started['id']),
                           ('GET', API + '/pipelines/%d/bridges' % started['id'])]
    pipeline = result['pipeline']
    assert {j['name']: j['status'] for j in pipeline['jobs']} == {'build': 'success', 'test': 'success', 'deploy': 'manual'}
    assert all(j['pipeline_id'] == started['id'] for j in pipeline['jobs'])
    assert pipeline['bridges'] == []


def test_jobs_with_include_retried(capsys, fake, clock):
    started = start(fake, clock)
    jobs = api(fake, 'GET', '/projects/acme%%2Fsvc/pipelines/%d/jobs' % started['id'])
    build = next(j for j in jobs if j['name'] == 'build')
    api(fake, 'POST', '/projects/acme%%2Fsvc/jobs/%d/retry' % build['id'])
    clock.sleep(30)
    plain = run(capsys, fake, pipeline_id=started['id'], jobs=True)['pipeline']['jobs']
    retried = run(capsys, fake, pipeline_id=started['id'], jobs=True, include_retried=True)['pipeline']['jobs']
    assert queries(fake)[1] == {'include_retried': 'true', 'per_page': '100'}
    assert [j['name'] for j in plain].count('build') == 1
    assert [j['name'] for j in retried].count('build') == 2


def seed_with_bridges():
    """The default seed with trigger jobs in acme/svc: a child pipeline and a multi-project one into acme/app."""
    import yaml  # pylint: disable=import-outside-toplevel
    with open(DEFAULT_SEED, encoding='utf-8') as handle:
        seed = yaml.safe_load(handle)
    svc = next(p for p in seed['projects'] if p['path'] == SVC)
    svc['ci'] = [
        {'name': 'build', 'stage': 'build', 'duration': 0.2},
        {'name': 'deploy-child', 'stage': 'deploy',
         'trigger': {'include': [{'name': 'child-job', 'stage': 'test', 'duration': 0.2}], 'strategy': 'depend'}},
        {'name': 'downstream', 'stage': 'deploy', 'trigger': {'project': 'acme/app', 'branch': 'main'}},
        {'name': 'broken', 'stage': 'deploy', 'trigger': {'project': 'acme/nope', 'branch': 'main'}},
    ]
    return seed


def test_bridges_name_their_downstream_pipelines(capsys, fake, clock):
    fake.reset(seed_with_bridges())
    fake.state.clock = clock
    started = start(fake, clock, seconds=60)
    result = run(capsys, fake, pipeline_id=started['id'], jobs=True)
    pipeline = result['pipeline']
    assert [j['name'] for j in pipeline['jobs']] == ['build']   # bridges are in no job list
    bridges = {b['name']: b for b in pipeline['bridges']}
    assert set(bridges) == {'deploy-child', 'downstream', 'broken'}
    assert bridges['broken']['status'] == 'failed' and bridges['broken']['downstream_pipeline'] is None
    assert bridges['broken']['failure_reason'] == 'downstream_bridge_project_not_found'
    assert bridges['deploy-child']['status'] == 'success'   # strategy depend: the child's status
    child = bridges['deploy-child']['downstream_pipeline']
    assert child['source'] == 'parent_pipeline' and child['project_id'] == pipeline['project_id']
    other = bridges['downstream']['downstream_pipeline']
    assert other['source'] == 'pipeline' and other['project_id'] != pipeline['project_id']
    assert set(child) == {'id', 'iid', 'project_id', 'ref', 'sha', 'status', 'source', 'web_url'}
    # The child pipeline is left out of the list unless asked for by source.
    listed = run(capsys, fake)
    assert child['id'] not in [p['id'] for p in listed['pipelines']]
    children = run(capsys, fake, source='parent_pipeline')
    assert [p['id'] for p in children['pipelines']] == [child['id']]
    # The child pipeline's own jobs, by its id.
    inner = run(capsys, fake, pipeline_id=child['id'], jobs=True)['pipeline']
    assert inner['source'] == 'parent_pipeline' and [j['name'] for j in inner['jobs']] == ['child-job']


# ---- bad options: nothing is sent -----------------------------------------------------------------

@pytest.mark.parametrize('args, expected', [
    ({'pipeline_id': 3, 'latest': True}, 'pipeline_id and latest are mutually exclusive'),
    ({'latest': True, 'status': 'failed'}, 'status cannot be used with latest=true'),
    ({'limit': 0}, 'limit must be between 1 and 10000, got 0'),
    ({'updated_before': 'tomorrow'}, 'updated_before must be an ISO 8601 date'),
    ({'include_retried': True}, 'include_retried needs jobs=true'),
    ({'sha': 'main'}, 'sha must be a commit id'),
    ({'latest': True, 'details': True}, 'details is for a list'),
])
def test_bad_options_send_nothing(capsys, fake, args, expected):
    result = run(capsys, fake, **args)
    assert result['failed'] is True and expected in result['msg']
    assert calls(fake) == []


def test_an_unknown_status_is_refused_by_ansible(capsys, fake):
    result = run(capsys, fake, status='green')
    assert result['failed'] is True and 'status' in result['msg'] and calls(fake) == []
