"""gitlab_ci_pipeline_info and gitlab_ci_job_info through real ansible-playbook against the fake GitLab.

Every selection of both modules, lists past one page of 100 and bounded by ``limit`` (requests read
from the fake's journal), a read_api token, check mode (the same answer, nothing written), bad
options refused with no request sent, and a job log holding the task's token that never shows it
(the harness scans every run's output for every token the fake knows). The pipelines run the
seeded ``ci:`` of the fake (tests/fake_gitlab/seeds/default.yml), so these tests are fake-only.
"""

import time
from urllib.parse import quote

import pytest
import requests
import yaml

from tests.conftest import DEFAULT_SEED, ROOT_TOKEN

pytestmark = pytest.mark.fake_only

PIPELINES = 'gitlab_ci_info/pipeline_info.yml'
JOBS = 'gitlab_ci_info/job_info.yml'
PIPELINES_TASK = 'Read the pipelines'
JOBS_TASK = 'Read the jobs'
SVC = 'acme/svc'
READ_API_TOKEN = 'glpat-dev-readonly-00000'


# ---- helpers --------------------------------------------------------------------------------------

def fast(gitlab):
    """Pipelines of the fake run 100 times faster (its time_scale setting)."""
    response = requests.post(gitlab.url + '/-/fake/settings', json={'time_scale': 0.01}, timeout=10)
    assert response.status_code == 200, response.text


def start(gitlab, project=SVC, ref='main'):
    response = gitlab.api('POST', 'projects/%s/pipeline' % quote(project, safe=''), json={'ref': ref})
    assert response.status_code == 201, response.text
    return response.json()


def settled(gitlab, pipeline, project=SVC):
    """Wait (real time, sped up) until the pipeline has no job left that runs by itself."""
    for _attempt in range(100):
        jobs = gitlab.api('GET', 'projects/%s/pipelines/%d/jobs' % (quote(project, safe=''), pipeline['id'])).json()
        if all(job['status'] in ('success', 'failed', 'canceled', 'skipped', 'manual') for job in jobs):
            return {job['name']: job for job in jobs}
        time.sleep(0.05)
    raise AssertionError('pipeline %s did not settle' % pipeline['id'])


def read(gitlab, playbook, task, extra, check=False):
    return gitlab.play(playbook, dict({'test_project': SVC}, **extra), check=check).assert_ok().task(task)


def pipelines(gitlab, extra, check=False):
    found = read(gitlab, PIPELINES, PIPELINES_TASK, extra, check)
    assert found['status'] == 'ok', found
    return found['result']


def jobs(gitlab, extra, check=False):
    found = read(gitlab, JOBS, JOBS_TASK, extra, check)
    assert found['status'] == 'ok', found
    return found['result']


def gets(gitlab, path_end):
    return [entry for entry in gitlab.journal() if entry['method'] == 'GET' and entry['path'].endswith(path_end)]


def api_gets(gitlab):
    return [entry for entry in gitlab.journal() if entry['path'].startswith('/api/v4/')]


# ---- gitlab_ci_pipeline_info ------------------------------------------------------------------------

def test_every_pipeline_selection_and_check_mode(gitlab):
    fast(gitlab)
    first = start(gitlab)
    feature = start(gitlab, ref='feature/x')
    newest = start(gitlab)
    settled(gitlab, newest)
    settled(gitlab, feature)

    gitlab.clear_journal()
    latest = pipelines(gitlab, {'test_latest': True, 'test_ref': 'main', 'test_jobs': True})
    assert latest['changed'] is False and latest['pipeline']['id'] == newest['id']
    assert {j['name']: j['status'] for j in latest['pipeline']['jobs']} == {'build': 'success', 'test': 'success', 'deploy': 'manual'}
    assert latest['pipeline']['bridges'] == []
    assert len(api_gets(gitlab)) == 3   # latest, its jobs, its bridges

    gitlab.clear_journal()
    one = pipelines(gitlab, {'test_pipeline_id': first['id']})
    assert one['pipeline']['id'] == first['id'] and one['pipeline']['user']['username'] == 'root'
    assert len(api_gets(gitlab)) == 1

    listed = pipelines(gitlab, {'test_ref': 'main', 'test_sort': 'asc'})
    assert [p['id'] for p in listed['pipelines']] == [first['id'], newest['id']] and 'pipeline' not in listed
    of_commit = pipelines(gitlab, {'test_sha': first['sha'], 'test_ref': 'main'})
    assert [p['id'] for p in of_commit['pipelines']] == [newest['id'], first['id']]
    since = pipelines(gitlab, {'test_updated_after': '2000-01-01', 'test_updated_before': '2999-12-31T23:59:59+01:00',
                               'test_order_by': 'id', 'test_limit': 2})
    assert [p['id'] for p in since['pipelines']] == [newest['id'], feature['id']]
    by_user = pipelines(gitlab, {'test_username': 'dev'})
    assert by_user['pipelines'] == []

    gitlab.clear_journal()
    checked = pipelines(gitlab, {'test_latest': True, 'test_ref': 'main', 'test_jobs': True}, check=True)
    assert checked['pipeline'] == latest['pipeline']
    assert gitlab.writes() == []


def test_trigger_jobs_with_their_downstream_pipelines(gitlab):
    with open(DEFAULT_SEED, encoding='utf-8') as handle:
        seed = yaml.safe_load(handle)
    svc = next(p for p in seed['projects'] if p['path'] == SVC)
    svc['ci'] = [
        {'name': 'build', 'stage': 'build', 'duration': 0.1},
        {'name': 'deploy-child', 'stage': 'deploy',
         'trigger': {'include': [{'name': 'child-job', 'stage': 'test', 'duration': 0.1}], 'strategy': 'depend'}},
        {'name': 'downstream', 'stage': 'deploy', 'trigger': {'project': 'acme/app', 'branch': 'main', 'strategy': 'depend'}},
    ]
    gitlab.fake.reset(seed)
    fast(gitlab)
    pipeline = start(gitlab)
    for _attempt in range(100):
        result = pipelines(gitlab, {'test_pipeline_id': pipeline['id'], 'test_jobs': True})['pipeline']
        if result['status'] not in ('created', 'pending', 'running'):
            break
        time.sleep(0.1)
    # acme/app's own ci fails in its test stage, so the depend bridge into it fails, and so does the pipeline.
    bridges = {b['name']: b for b in result['bridges']}
    assert bridges['deploy-child']['status'] == 'success'
    assert bridges['deploy-child']['downstream_pipeline']['source'] == 'parent_pipeline'
    assert bridges['downstream']['downstream_pipeline']['status'] == 'failed'
    assert bridges['downstream']['downstream_pipeline']['project_id'] != result['project_id']
    assert bridges['downstream']['status'] == 'failed' and result['status'] == 'failed'
    assert [j['name'] for j in result['jobs']] == ['build']


def test_no_latest_pipeline_is_not_a_failure(gitlab):
    gitlab.clear_journal()
    result = pipelines(gitlab, {'test_latest': True, 'test_ref': 'feature/x'})
    assert result['pipeline'] is None and result['pipelines'] == []
    assert 'has no pipeline' in result['msg']
    assert len(api_gets(gitlab)) == 2


def test_a_list_past_one_page_and_bounded_by_limit(gitlab):
    made = [start(gitlab) for _attempt in range(120)]
    ids = sorted((p['id'] for p in made), reverse=True)
    gitlab.clear_journal()
    everything = pipelines(gitlab, {'test_limit': 1000})
    assert [p['id'] for p in everything['pipelines']] == ids
    assert len(gets(gitlab, '/pipelines')) == 2
    gitlab.clear_journal()
    bounded = pipelines(gitlab, {'test_limit': 101})
    assert [p['id'] for p in bounded['pipelines']] == ids[:101] and len(gets(gitlab, '/pipelines')) == 2
    gitlab.clear_journal()
    default = pipelines(gitlab, {})
    assert [p['id'] for p in default['pipelines']] == ids[:20] and len(gets(gitlab, '/pipelines')) == 1


def test_pipelines_with_a_read_api_token(gitlab):
    made = start(gitlab, project='acme/app')
    result = pipelines(gitlab, {'test_project': 'acme/app', 'test_api_token': READ_API_TOKEN, 'test_jobs': True})
    assert [p['id'] for p in result['pipelines']] == [made['id']]
    assert {j['name'] for j in result['pipelines'][0]['jobs']} == {'build', 'test', 'deploy'}


def test_a_pipeline_of_another_project_fails_naming_it(gitlab):
    other = start(gitlab, project='acme/app')
    failure = gitlab.play(PIPELINES, {'test_project': SVC, 'test_pipeline_id': other['id']}).assert_failed().failure()
    assert failure['msg'].startswith('pipeline %d was not found in project acme/svc' % other['id'])


@pytest.mark.parametrize('extra, expected', [
    ({'test_pipeline_id': 1, 'test_latest': True}, 'pipeline_id and latest are mutually exclusive'),
    ({'test_latest': True, 'test_limit': 3}, 'limit cannot be used with latest=true'),
    ({'test_limit': 0}, 'limit must be between 1 and 10000, got 0'),
    ({'test_updated_after': 'last tuesday'}, 'updated_after must be an ISO 8601 date'),
    ({'test_sort': 'up'}, 'sort'),
])
def test_bad_pipeline_options_send_nothing(gitlab, extra, expected):
    gitlab.clear_journal()
    failure = gitlab.play(PIPELINES, dict({'test_project': SVC}, **extra)).assert_failed().failure()
    assert expected in failure['msg']
    assert api_gets(gitlab) == []


# ---- gitlab_ci_job_info --------------------------------------------------------------------------------

def test_every_job_selection(gitlab):
    fast(gitlab)
    first = start(gitlab)
    second = start(gitlab)
    first_jobs = settled(gitlab, first)
    settled(gitlab, second)

    gitlab.clear_journal()
    one = jobs(gitlab, {'test_job_id': first_jobs['build']['id'], 'test_log_lines': 2})
    assert one['job']['name'] == 'build' and one['job']['pipeline_id'] == first['id']
    assert one['job']['log'] == ['compiling svc', 'build ok']
    assert len(api_gets(gitlab)) == 2   # the job and its log

    of_pipeline = jobs(gitlab, {'test_pipeline_id': first['id']})
    assert sorted(j['name'] for j in of_pipeline['jobs']) == ['build', 'deploy', 'test']

    gitlab.clear_journal()
    of_commit = jobs(gitlab, {'test_sha': first['sha']})
    assert [j['pipeline_id'] for j in of_commit['jobs']] == [second['id']] * 3 + [first['id']] * 3
    assert len(api_gets(gitlab)) == 4   # the commit's pipelines and child pipelines, then the jobs of each
    tests = jobs(gitlab, {'test_sha': first['sha'], 'test_name': 'test'})
    assert [(j['name'], j['pipeline_id']) for j in tests['jobs']] == [('test', second['id']), ('test', first['id'])]

    manual = jobs(gitlab, {'test_scope': ['manual'], 'test_limit': 5})
    assert [j['pipeline_id'] for j in manual['jobs']] == [second['id'], first['id']]
    assert {j['status'] for j in manual['jobs']} == {'manual'}

    checked = jobs(gitlab, {'test_sha': first['sha']}, check=True)
    assert checked['jobs'] == of_commit['jobs']


def test_the_jobs_of_a_pipeline_with_retried_ones(gitlab):
    fast(gitlab)
    pipeline = start(gitlab)
    built = settled(gitlab, pipeline)
    assert gitlab.api('POST', 'projects/acme%%2Fsvc/jobs/%d/retry' % built['test']['id']).status_code == 201
    settled(gitlab, pipeline)
    plain = jobs(gitlab, {'test_pipeline_id': pipeline['id'], 'test_name': 'test'})
    retried = jobs(gitlab, {'test_pipeline_id': pipeline['id'], 'test_name': 'test', 'test_include_retried': True})
    assert len(plain['jobs']) == 1 and len(retried['jobs']) == 2


def test_the_projects_jobs_past_one_page(gitlab):
    for _attempt in range(40):   # 120 jobs
        start(gitlab)
    gitlab.clear_journal()
    result = jobs(gitlab, {'test_limit': 110})
    ids = [j['id'] for j in result['jobs']]
    assert len(ids) == 110 and ids == sorted(ids, reverse=True)
    assert len(gets(gitlab, '/jobs')) == 2
    gitlab.clear_journal()
    default = jobs(gitlab, {'test_api_token': READ_API_TOKEN, 'test_project': 'acme/app'})
    assert default['jobs'] == [] and len(gets(gitlab, '/jobs')) == 1


def test_a_log_holding_the_token_never_shows_it(gitlab):
    with open(DEFAULT_SEED, encoding='utf-8') as handle:
        seed = yaml.safe_load(handle)
    svc = next(p for p in seed['projects'] if p['path'] == SVC)
    svc['ci'] = [{'name': 'leaky', 'stage': 'build', 'duration': 0.1,
                  'log': '\x1b[32mstart\x1b[0m\ncurl -H "PRIVATE-TOKEN: %s" https://example.com\ndone\n' % ROOT_TOKEN}]
    gitlab.fake.reset(seed)
    fast(gitlab)
    pipeline = start(gitlab)
    settled(gitlab, pipeline)
    result = jobs(gitlab, {'test_pipeline_id': pipeline['id'], 'test_log_lines': 10})
    log = result['jobs'][0]['log']
    assert log[0] == 'start' and log[-1] == 'done' and len(log) == 3
    assert ROOT_TOKEN not in log[1]
    # The harness has scanned stdout, stderr and every recorded result for every token the fake knows.


def test_report_the_latest_pipeline_and_its_job(gitlab):
    fast(gitlab)
    pipeline = start(gitlab, project='acme/app')
    settled(gitlab, pipeline, project='acme/app')
    extra = {'test_project': 'acme/app', 'test_ref': 'main', 'test_job': 'test', 'test_expected_status': 'failed'}
    run = gitlab.play('gitlab_ci_info/report.yml', extra).assert_ok()
    assert run.task('Say whether it passed')['status'] == 'ok'
    assert run.task('Read the job\'s last log lines')['result']['jobs'][0]['pipeline_id'] == pipeline['id']


@pytest.mark.parametrize('extra, expected', [
    ({'test_job_id': 1, 'test_sha': 'abcdef12'}, 'job_id, sha are mutually exclusive'),
    ({'test_include_retried': True}, 'include_retried needs pipeline_id or sha'),
    ({'test_log_lines': -5}, 'log_lines must be between 0 and 10000'),
    ({'test_scope': ['finished']}, 'scope'),
    ({'test_job_id': 1, 'test_limit': 3}, 'limit cannot be used with job_id'),
])
def test_bad_job_options_send_nothing(gitlab, extra, expected):
    gitlab.clear_journal()
    failure = gitlab.play(JOBS, dict({'test_project': SVC}, **extra)).assert_failed().failure()
    assert expected in failure['msg']
    assert api_gets(gitlab) == []
