"""gitlab_ci_job_info run in-process, its real client against the fake GitLab, request by request.

Pins the requests per call (the fake's journal): one for job_id (plus one per log), ceil(n/100) for a
pipeline's or the project's jobs (never more pages than ``limit`` needs), the commit's pipelines and
one job list per pipeline for ``sha``; options refused before any request; check mode the same; logs
cleaned and the task's token masked in them. Time is virtual (the fake's CI clock).
The same through ansible-playbook: tests/integration/test_info_pipeline_job_playbooks.py.
"""

from urllib.parse import quote

import pytest
import yaml

from tests.conftest import DEFAULT_SEED, DEV_TOKEN, ROOT_TOKEN
from tests.unit.module_run import api as shared_api, calls, queries, run_main

from ansible_collections.cicd.gitlab.plugins.modules import gitlab_ci_job_info as module_under_test

SVC = 'acme/svc'
API = '/api/v4/projects/acme%2Fsvc'
READ_API_TOKEN = 'glpat-dev-readonly-00000'


def api(fake, method, path, **kwargs):
    return shared_api(fake, method, path, token=ROOT_TOKEN, **kwargs)


def start(fake, clock, project=SVC, ref='main', seconds=30):
    """A finished pipeline: ``(pipeline, {name: job})``."""
    path = '/projects/%s' % quote(project, safe='')
    pipeline = api(fake, 'POST', path + '/pipeline', json={'ref': ref})
    clock.sleep(seconds)
    return pipeline, {job['name']: job for job in api(fake, 'GET', path + '/pipelines/%d/jobs' % pipeline['id'])}


def run(capsys, fake, check=False, token=DEV_TOKEN, **args):
    args = dict(dict(api_url=fake.url, api_token=token, project=SVC), **args)
    result, out = run_main(capsys, fake, module_under_test, dict((k, v) for k, v in args.items() if v is not None), check=check)
    for secret in (DEV_TOKEN, ROOT_TOKEN, READ_API_TOKEN):
        assert secret not in out, 'a token reached the result'
    result.pop('invocation', None)
    return result


# ---- one job -------------------------------------------------------------------------------------

def test_one_job_is_one_request(capsys, fake, clock):
    pipeline, jobs = start(fake, clock)
    result = run(capsys, fake, job_id=jobs['build']['id'])
    assert calls(fake) == [('GET', API + '/jobs/%d' % jobs['build']['id'])]
    assert result['changed'] is False and result['jobs'] == [result['job']]
    job = result['job']
    assert job['name'] == 'build' and job['status'] == 'success' and job['pipeline_id'] == pipeline['id']
    assert job['artifacts_file']['filename'] == 'artifacts.zip' and 'log' not in job


def test_one_job_with_its_log(capsys, fake, clock):
    _pipeline, jobs = start(fake, clock)
    result = run(capsys, fake, job_id=jobs['build']['id'], log_lines=1)
    assert result['job']['log'] == ['build ok']
    assert calls(fake) == [('GET', API + '/jobs/%d' % jobs['build']['id']), ('GET', API + '/jobs/%d/trace' % jobs['build']['id'])]
    none = run(capsys, fake, job_id=jobs['build']['id'], log_lines=0)
    assert none['job']['log'] == [] and len(calls(fake)) == 1


def test_a_job_of_another_project_fails_naming_it(capsys, fake, clock):
    _pipeline, jobs = start(fake, clock, project='acme/app')
    result = run(capsys, fake, job_id=jobs['build']['id'])
    assert result['failed'] is True and result['status'] == 404
    assert result['msg'].startswith('job %d was not found in project acme/svc' % jobs['build']['id'])


def test_one_job_whose_name_differs_gives_none(capsys, fake, clock):
    _pipeline, jobs = start(fake, clock)
    result = run(capsys, fake, job_id=jobs['build']['id'], name='test')
    assert result['jobs'] == [] and result['job'] is None


# ---- a pipeline's jobs ---------------------------------------------------------------------------

def test_the_jobs_of_a_pipeline_and_retried_ones(capsys, fake, clock):
    pipeline, jobs = start(fake, clock)
    api(fake, 'POST', '/projects/acme%%2Fsvc/jobs/%d/retry' % jobs['test']['id'])
    clock.sleep(30)
    result = run(capsys, fake, pipeline_id=pipeline['id'])
    assert calls(fake) == [('GET', API + '/pipelines/%d/jobs' % pipeline['id'])]
    assert sorted(j['name'] for j in result['jobs']) == ['build', 'deploy', 'test']
    assert 'job' not in result
    retried = run(capsys, fake, pipeline_id=pipeline['id'], include_retried=True, name='test')
    assert queries(fake) == [{'include_retried': 'true', 'per_page': '100'}]
    assert len(retried['jobs']) == 2 and {j['pipeline_id'] for j in retried['jobs']} == {pipeline['id']}


def test_scope_filters_a_pipelines_jobs(capsys, fake, clock):
    pipeline, _jobs = start(fake, clock)
    result = run(capsys, fake, pipeline_id=pipeline['id'], scope=['manual'])
    assert [j['name'] for j in result['jobs']] == ['deploy']
    assert queries(fake)[0]['scope[]'] in ('manual', ['manual'])


def test_a_missing_pipeline_fails_naming_it(capsys, fake):
    result = run(capsys, fake, pipeline_id=999)
    assert result['failed'] is True and result['msg'].startswith('pipeline 999 was not found in project acme/svc')
    assert len(calls(fake)) == 1


# ---- a commit's jobs -----------------------------------------------------------------------------

def test_the_jobs_of_a_commit_across_its_pipelines(capsys, fake, clock):
    first, _jobs = start(fake, clock)
    second, _jobs = start(fake, clock)
    assert first['sha'] == second['sha']
    result = run(capsys, fake, sha=first['sha'])
    assert calls(fake) == [('GET', API + '/pipelines'), ('GET', API + '/pipelines'), ('GET', API + '/pipelines/%d/jobs' % second['id']),
                           ('GET', API + '/pipelines/%d/jobs' % first['id'])]
    assert queries(fake)[:2] == [{'sha': first['sha'], 'per_page': '100'},
                                 {'sha': first['sha'], 'source': 'parent_pipeline', 'per_page': '100'}]
    assert [j['pipeline_id'] for j in result['jobs']] == [second['id']] * 3 + [first['id']] * 3
    builds = run(capsys, fake, sha=first['sha'], name='build', limit=1)
    assert [(j['name'], j['pipeline_id']) for j in builds['jobs']] == [('build', second['id'])]


def test_a_commit_without_pipelines(capsys, fake):
    result = run(capsys, fake, sha='0123456789abcdef0123456789abcdef01234567')
    assert result['jobs'] == [] and len(calls(fake)) == 2


def test_the_jobs_of_a_commit_include_its_child_pipelines(capsys, fake, clock):
    with open(DEFAULT_SEED, encoding='utf-8') as handle:
        seed = yaml.safe_load(handle)
    svc = next(p for p in seed['projects'] if p['path'] == SVC)
    svc['ci'] = [
        {'name': 'build', 'stage': 'build', 'duration': 0.1},
        {'name': 'child', 'stage': 'deploy', 'trigger': {'include': [{'name': 'child-job', 'duration': 0.1}], 'strategy': 'depend'}},
    ]
    fake.reset(seed)
    fake.state.clock = clock
    parent, _jobs = start(fake, clock)
    result = run(capsys, fake, sha=parent['sha'])
    owners = {job['name']: job['pipeline_id'] for job in result['jobs']}
    assert set(owners) == {'build', 'child-job'}
    assert owners['build'] == parent['id'] and owners['child-job'] != parent['id']
    child = api(fake, 'GET', '/projects/acme%%2Fsvc/pipelines/%d' % owners['child-job'])
    assert child['source'] == 'parent_pipeline' and child['sha'] == parent['sha']


# ---- the project's jobs --------------------------------------------------------------------------

@pytest.fixture
def many(fake, clock):
    """40 pipelines of acme/svc: 120 jobs (build, test success; deploy manual)."""
    for _attempt in range(40):
        start(fake, clock, seconds=1)
    clock.sleep(30)


@pytest.mark.parametrize('limit, requests_sent, per_page, count', [
    (None, 1, '20', 20), (5, 1, '5', 5), (100, 1, '100', 100), (110, 2, '100', 110), (500, 2, '100', 120),
])
def test_the_projects_jobs_read_no_more_pages_than_the_limit_needs(capsys, fake, many, limit, requests_sent, per_page, count):
    result = run(capsys, fake, limit=limit)
    assert len(calls(fake)) == requests_sent and set(calls(fake)) == {('GET', API + '/jobs')}
    assert queries(fake)[0]['per_page'] == per_page
    ids = [j['id'] for j in result['jobs']]
    assert len(ids) == count and ids == sorted(ids, reverse=True)


def test_the_projects_jobs_by_scope_and_name(capsys, fake, many):
    result = run(capsys, fake, scope=['success', 'failed'], limit=30)
    assert queries(fake)[0]['scope[]'] == ['success', 'failed']
    assert {j['status'] for j in result['jobs']} == {'success'} and len(result['jobs']) == 30
    named = run(capsys, fake, name='deploy', limit=30)
    assert {j['name'] for j in named['jobs']} == {'deploy'} and len(named['jobs']) == 10   # 10 of the 30 newest jobs


def test_the_projects_jobs_with_the_read_api_token_and_in_check_mode(capsys, fake, clock):
    start(fake, clock)
    normal = run(capsys, fake, token=READ_API_TOKEN)
    checked = run(capsys, fake, token=READ_API_TOKEN, check=True)
    assert len(normal['jobs']) == 3 and checked == normal
    assert {method for method, _path in calls(fake)} == {'GET'}


# ---- logs ------------------------------------------------------------------------------------------

def seed_with_a_noisy_log():
    with open(DEFAULT_SEED, encoding='utf-8') as handle:
        seed = yaml.safe_load(handle)
    svc = next(p for p in seed['projects'] if p['path'] == SVC)
    svc['ci'] = [{'name': 'build', 'stage': 'build', 'duration': 0.2,
                  'log': 'section_start:1700000000:fetch\r\x1b[0K\x1b[32;1mFetching\x1b[0m\n'
                         'using token %s here\nsection_end:1700000000:fetch\r\x1b[0K\nok\n' % DEV_TOKEN}]
    return seed


def test_logs_are_cleaned_and_the_token_never_shows(capsys, fake, clock):
    fake.reset(seed_with_a_noisy_log())
    fake.state.clock = clock
    pipeline, _jobs = start(fake, clock)
    result = run(capsys, fake, pipeline_id=pipeline['id'], log_lines=10)
    log = result['jobs'][0]['log']
    assert log[0] == 'Fetching' and log[-1] == 'ok'
    assert any(line.startswith('using token ') and line.endswith(' here') for line in log)
    assert all(DEV_TOKEN not in line for line in log)


def test_a_job_that_has_not_run_has_an_empty_log(capsys, fake, clock):
    pipeline, jobs = start(fake, clock)
    result = run(capsys, fake, job_id=jobs['deploy']['id'], log_lines=5)
    assert result['job']['status'] == 'manual' and result['job']['log'] == []
    assert pipeline['id'] == result['job']['pipeline_id']


# ---- bad options: nothing is sent -----------------------------------------------------------------

@pytest.mark.parametrize('args, expected', [
    ({'job_id': 1, 'pipeline_id': 2}, 'job_id, pipeline_id are mutually exclusive'),
    ({'job_id': 1, 'limit': 2}, 'limit cannot be used with job_id'),
    ({'include_retried': True}, 'include_retried needs pipeline_id or sha'),
    ({'limit': 0}, 'limit must be between 1 and 10000'),
    ({'log_lines': 10001}, 'log_lines must be between 0 and 10000'),
    ({'sha': 'HEAD'}, 'sha must be a commit id'),
    ({'scope': ['done']}, 'scope'),
])
def test_bad_options_send_nothing(capsys, fake, args, expected):
    result = run(capsys, fake, **args)
    assert result['failed'] is True and expected in result['msg']
    assert calls(fake) == []


def test_a_bridge_id_is_not_a_job(capsys, fake, clock):
    with open(DEFAULT_SEED, encoding='utf-8') as handle:
        seed = yaml.safe_load(handle)
    svc = next(p for p in seed['projects'] if p['path'] == SVC)
    svc['ci'] = [{'name': 'build', 'stage': 'build', 'duration': 0.2},
                 {'name': 'downstream', 'stage': 'deploy', 'trigger': {'project': 'acme/app', 'branch': 'main'}}]
    fake.reset(seed)
    fake.state.clock = clock
    pipeline, jobs = start(fake, clock)
    assert list(jobs) == ['build']
    bridge = api(fake, 'GET', '/projects/acme%%2Fsvc/pipelines/%d/bridges' % pipeline['id'])[0]
    result = run(capsys, fake, job_id=bridge['id'])
    assert result['failed'] is True and 'a trigger job (bridge) is not a job here' in result['msg']
    listed = run(capsys, fake, pipeline_id=pipeline['id'])
    assert [j['name'] for j in listed['jobs']] == ['build']
