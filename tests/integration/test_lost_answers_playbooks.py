"""Writes whose answer is lost, and owners given by id, through real ansible-playbook against the fake GitLab.

The fake's fault rules apply a request and then cut its answer (``drop: after``), answer an error after
applying it (``status`` with ``apply: true``, also a 2xx: an empty or foreign answer), or refuse it
unapplied. Each case asserts the task's message, GitLab's state (the fake's API, state and journal), and
(through the harness) that no token appears in any output.
"""

import re
import time

import pytest
import yaml

from ansible_collections.cicd.gitlab.plugins.module_utils._client import GitLabClient
from tests.conftest import DEFAULT_SEED

pytestmark = pytest.mark.fake_only

JOB = 'gitlab_ci_job/job.yml'
JOB_TASK = 'Act on the job'
TRIGGER = 'gitlab_ci_trigger/trigger.yml'
TRIGGER_TASK = 'Manage the trigger'
SVC = 'acme/svc'


def api_json(gitlab, path, **params):
    response = gitlab.api('GET', path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def posts(gitlab, suffix):
    return [e for e in gitlab.journal() if e['method'] == 'POST' and e['path'].endswith(suffix)]


def start(gitlab, **extra):
    return gitlab.play(JOB, dict({'test_project': SVC, 'test_state': 'run', 'test_ref': 'main'}, **extra))


# ---- starting a pipeline ----------------------------------------------------------------------------

@pytest.mark.parametrize('fault', [
    dict(drop='after'),
    dict(status=502, apply=True),
    dict(status=201, apply=True),                                       # an empty 201
    dict(status=200, apply=True, body='<html><head><title>Sign in</title></head></html>', content_type='text/html'),
])
def test_a_started_pipeline_whose_answer_is_lost_is_adopted_once(gitlab, fault):
    gitlab.add_fault(method='POST', path='/pipeline$', **fault)
    task = start(gitlab).assert_ok().task(JOB_TASK)
    assert task['status'] == 'changed'
    result = task['result']
    assert "GitLab's answer was lost" in result['msg'] and 'found among the pipelines of the ref' in result['msg']
    pipelines = api_json(gitlab, 'projects/acme%2Fsvc/pipelines')
    assert len(pipelines) == 1 and result['pipeline']['id'] == pipelines[0]['id']
    assert result['pipeline']['source'] == 'api' and result['pipeline']['jobs']
    assert len(posts(gitlab, '/pipeline')) == 1  # never sent twice
    assert result['project_path'] == SVC


def test_a_pipeline_start_that_never_reached_gitlab_says_so(gitlab):
    gitlab.add_fault(method='POST', path='/pipeline$', drop='before')
    failure = start(gitlab).assert_failed().failure()
    assert 'none was started and the request can be sent again safely' in failure['msg']
    assert '/acme/svc/-/pipelines?ref=main' in failure['msg']
    assert failure['changed'] is False
    assert api_json(gitlab, 'projects/acme%2Fsvc/pipelines') == []
    # The next run starts the one pipeline.
    assert start(gitlab).assert_ok().task(JOB_TASK)['status'] == 'changed'
    assert len(api_json(gitlab, 'projects/acme%2Fsvc/pipelines')) == 1


def earlier_pipeline(gitlab, seconds):
    """A pipeline of acme/svc's main started through the API ``seconds`` ago (on GitLab's clock)."""
    gitlab.fake.state.clock = lambda: time.time() - seconds
    try:
        earlier = gitlab.api('POST', 'projects/acme%2Fsvc/pipeline', json={'ref': 'main'})
    finally:
        del gitlab.fake.state.clock
    assert earlier.status_code == 201, earlier.text
    return earlier.json()


def test_a_lost_start_seconds_after_another_of_the_ref_adopts_the_new_one(gitlab):
    # A loop starting one ref twice: the pipeline from 5 s before was created before the request was sent.
    earlier = earlier_pipeline(gitlab, 5)
    gitlab.add_fault(method='POST', path='/pipeline$', drop='after')
    result = start(gitlab).assert_ok().task(JOB_TASK)['result']
    assert "GitLab's answer was lost" in result['msg']
    pipelines = api_json(gitlab, 'projects/acme%2Fsvc/pipelines')
    assert len(pipelines) == 2 and result['pipeline']['id'] == max(p['id'] for p in pipelines) != earlier['id']
    assert len(posts(gitlab, '/pipeline')) == 2  # the test's own start and the module's one, never re-sent


def test_a_start_refused_seconds_after_another_of_the_ref_never_adopts_that_one(gitlab):
    # The proxy answered 502 without passing the request on: the pipeline from 5 s before is not the task's,
    # and it cannot be ruled out either (it is within the 30 s margin), so neither "started" nor "none".
    earlier = earlier_pipeline(gitlab, 5)
    gitlab.add_fault(method='POST', path='/pipeline$', status=502, count=1)
    failure = start(gitlab).assert_failed().failure()
    assert 'a pipeline may have been started' in failure['msg'] and 'none was started' not in failure['msg']
    assert 'could be it: %d (' % earlier['id'] in failure['msg']
    assert len(api_json(gitlab, 'projects/acme%2Fsvc/pipelines')) == 1


def test_a_lost_start_with_gitlab_an_hour_off_this_host_never_says_none_was_started(gitlab):
    # GitLab's clock (its Date and created_at) an hour ahead of the managed host: one of the two clocks is wrong,
    # so the task cannot tell a new pipeline from older ones, and says so rather than "none was started".
    gitlab.fake.state.clock = lambda: time.time() + 3600
    gitlab.add_fault(method='POST', path='/pipeline$', drop='after')
    failure = start(gitlab).assert_failed().failure()
    assert 'a pipeline may have been started' in failure['msg'] and 'none was started' not in failure['msg']
    assert 'clock of this host' in failure['msg'] and re.search(r'differ by 3(599|600) seconds', failure['msg'])
    assert len(api_json(gitlab, 'projects/acme%2Fsvc/pipelines')) == 1 and len(posts(gitlab, '/pipeline')) == 1


def test_a_triggered_pipeline_whose_answer_is_lost_is_adopted(gitlab):
    created = gitlab.api('POST', 'projects/acme%2Fsvc/triggers', json={'description': 'cicd-it-lost'})
    assert created.status_code == 201, created.text
    token = created.json()['token']
    gitlab.secret(token)
    gitlab.add_fault(method='POST', path='/trigger/pipeline$', drop='after')
    task = start(gitlab, test_trigger_token=token).assert_ok().task(JOB_TASK)
    assert task['status'] == 'changed' and "answer was lost" in task['result']['msg']
    pipelines = api_json(gitlab, 'projects/acme%2Fsvc/pipelines')
    assert [p['source'] for p in pipelines] == ['trigger'] and task['result']['pipeline']['id'] == pipelines[0]['id']


def test_a_project_id_is_named_by_its_full_path(gitlab):
    project_id = api_json(gitlab, 'projects/acme%2Fsvc')['id']
    task = gitlab.play(JOB, {'test_project': str(project_id), 'test_state': 'run', 'test_ref': 'main'}, check=True).assert_ok().task(JOB_TASK)
    assert task['status'] == 'changed' and task['result']['project_path'] == SVC


# ---- job actions ------------------------------------------------------------------------------------

def test_a_retry_whose_answer_is_lost_finds_the_new_job(gitlab):
    pipeline = start(gitlab, test_wait=True, test_fail_on=[]).assert_ok().task(JOB_TASK)['result']['pipeline']
    build = next(j for j in pipeline['jobs'] if j['name'] == 'build')
    gitlab.add_fault(method='POST', path='/jobs/%d/retry$' % build['id'], drop='after')
    task = gitlab.play(JOB, {'test_project': SVC, 'test_state': 'retried', 'test_job_id': build['id']}).assert_ok().task(JOB_TASK)
    assert task['status'] == 'changed'
    result = task['result']
    assert 'answer to retrying job %d (build) was lost' % build['id'] in result['msg']
    assert result['previous_job']['id'] == build['id'] and result['job']['id'] != build['id']
    listed = api_json(gitlab, 'projects/acme%%2Fsvc/pipelines/%d/jobs' % pipeline['id'])
    assert [j['id'] for j in listed if j['name'] == 'build'] == [result['job']['id']]
    assert len(posts(gitlab, '/retry')) == 1


@pytest.mark.skipif(not hasattr(GitLabClient, 'set_deadline'), reason='needs the client with deadlines (set_deadline)')
def test_a_slow_answer_while_waiting_cannot_outlast_wait_timeout(gitlab):
    with open(DEFAULT_SEED, encoding='utf-8') as handle:
        seed = yaml.safe_load(handle)
    seed['projects'].append({'path': 'acme/slow', 'members': {}, 'branches': ['main'],
                             'ci': [{'name': 'slow', 'stage': 'build', 'duration': 300}]})
    gitlab.fake.reset(seed)
    job = start(gitlab, test_project='acme/slow', test_name='slow').assert_ok().task(JOB_TASK)['result']['job']
    # Found by name in its pipeline (a list), so the first GET of the job is the wait's, and it is slow.
    gitlab.add_fault(method='GET', path='/jobs/%d$' % job['id'], delay=30, count=1)
    began = time.monotonic()
    failure = gitlab.play(JOB, {'test_project': 'acme/slow', 'test_pipeline_id': job['pipeline_id'], 'test_name': 'slow',
                                'test_wait': True, 'test_wait_timeout': 3}).assert_failed().failure()
    assert time.monotonic() - began < 25, 'the slow answer outlasted wait_timeout'
    assert failure['msg'].startswith('timed out after ') and '(wait_timeout=3) waiting for job %d (slow) to finish' % job['id'] in failure['msg']


# ---- trigger tokens ---------------------------------------------------------------------------------

def triggers(gitlab, description):
    project = next(p for p in gitlab.state()['projects'] if p['full_path'] == gitlab.project)
    return [t for t in project.get('triggers', []) if t['description'] == description]


def manage(gitlab, **extra):
    return gitlab.play(TRIGGER, dict({'test_project': gitlab.project}, **extra), diff=True, secrets_allowed_in=(TRIGGER_TASK,))


def test_a_trigger_create_whose_answer_is_lost_is_adopted_and_not_duplicated(gitlab):
    gitlab.add_fault(method='POST', path='/triggers$', drop='after')
    task = manage(gitlab, test_description='cicd-it-lost').assert_ok().task(TRIGGER_TASK)
    assert task['status'] == 'changed'
    server = triggers(gitlab, 'cicd-it-lost')
    assert len(server) == 1
    result = task['result']
    assert result['trigger']['id'] == server[0]['id'] and result['token_available'] is True and result['token'] == server[0]['token']
    assert 'was lost' in str(result.get('warnings'))
    again = manage(gitlab, test_description='cicd-it-lost').assert_ok().task(TRIGGER_TASK)
    assert again['status'] == 'ok' and len(triggers(gitlab, 'cicd-it-lost')) == 1
    assert len(posts(gitlab, '/triggers')) == 1


def test_a_rotation_whose_create_answer_is_lost_replaces_the_trigger_once(gitlab):
    first = manage(gitlab, test_description='cicd-it-rotate').assert_ok().task(TRIGGER_TASK)['result']['trigger']['id']
    gitlab.add_fault(method='POST', path='/triggers$', drop='after')
    task = manage(gitlab, test_description='cicd-it-rotate', test_rotate=True).assert_ok().task(TRIGGER_TASK)
    assert task['status'] == 'changed'
    server = triggers(gitlab, 'cicd-it-rotate')
    assert len(server) == 1 and server[0]['id'] != first and task['result']['trigger']['id'] == server[0]['id']
    assert [e['method'] for e in gitlab.writes()][-2:] == ['POST', 'DELETE']


def test_a_rotation_whose_create_never_reached_gitlab_keeps_the_old_trigger(gitlab):
    first = manage(gitlab, test_description='cicd-it-keep').assert_ok().task(TRIGGER_TASK)['result']['trigger']['id']
    gitlab.add_fault(method='POST', path='/triggers$', status=502)
    failure = manage(gitlab, test_description='cicd-it-keep', test_rotate=True).assert_failed().failure()
    assert 'none was created; the old trigger %d was not deleted and its token is still valid' % first in failure['msg']
    assert [t['id'] for t in triggers(gitlab, 'cicd-it-keep')] == [first]
    assert not [e for e in gitlab.writes() if e['method'] == 'DELETE']


# ---- variables: an owner by id ----------------------------------------------------------------------

def test_a_purge_on_a_project_id_in_check_mode_names_the_full_path(gitlab):
    gitlab.api('POST', 'projects/acme%2Fapp/variables', data={'key': 'CICD_IT_OLD', 'value': 'old-value-0001'})
    gitlab.secret('old-value-0001', 'new-value-0002')
    project_id = api_json(gitlab, 'projects/acme%2Fapp')['id']
    gitlab.clear_journal()
    extra = {'test_project': str(project_id), 'test_purge': True, 'test_variables': [{'key': 'CICD_IT_NEW', 'value': 'new-value-0002'}]}
    run = gitlab.play('gitlab_ci_variable/declare.yml', extra, check=True, diff=True)
    task = run.assert_ok().task('Declare variables')
    assert task['status'] == 'changed'
    assert task['result']['project_path'] == 'acme/app'
    assert {'key': 'CICD_IT_OLD', 'environment_scope': '*'} in task['result']['variables']['removed']
    assert 'CI/CD variables of project acme/app' in run.stdout
    assert gitlab.writes() == []
    assert [e['path'] for e in gitlab.journal()][:1] == ['/api/v4/projects/%d' % project_id]
