"""Triggering, creating and reading pipelines: https://docs.gitlab.com/api/pipeline_triggers/, https://docs.gitlab.com/api/pipelines/.

Seeds/default.yml: acme/app's pipelines fail (build, test fails, manual deploy); acme/svc's pass
(build, test, manual deploy) and it has branches main and feature/x; acme/platform/api has no
``ci:`` at all.  dev is Maintainer of acme/app and Developer of acme/svc, maint Maintainer of both.
"""

import datetime
import email.utils
import json

import gitlab
import pytest

from tests.fake_gitlab import ci
from tests.fidelity.cihelpers import APP, SVC, ci_seed, drive, driven, new_pipeline, statuses
from tests.fidelity.helpers import DEV, GUEST, MAINT, OUTSIDER, OWNER, REPORTER, ROOT, Api

API_PROJECT = '/projects/acme%2Fplatform%2Fapi'
FULL = ['id', 'iid', 'project_id', 'sha', 'ref', 'status', 'source', 'created_at', 'updated_at', 'web_url', 'before_sha', 'tag',
        'yaml_errors', 'user', 'started_at', 'finished_at', 'committed_at', 'duration', 'queued_duration', 'coverage',
        'detailed_status', 'archived']
BASIC = FULL[:10]
# lib/api/entities/ci/pipeline_with_metadata.rb and pipeline_basic_with_metadata.rb add ``name``.
SHOWN = FULL + ['name']
LISTED = BASIC + ['name']
NOT_FOUND = {'message': '404 Not Found'}
RECORD_NOT_FOUND = {'message': '404 Not found'}
NO_REF = {'message': {'base': ['Reference not found']}}


@pytest.fixture
def clock(fake):
    return drive(fake)


def expect(response, status, body):
    assert (response.status_code, response.json()) == (status, body)


def trigger_token(session, project=APP):
    """Create a trigger as the session's user; its full token."""
    response = session.post(project + '/triggers', json={'description': 'fidelity'})
    assert response.status_code == 201, response.text
    return response.json()['token']


def variables_of(fake, project, pipeline_id):
    return {v['key']: v for v in Api(fake, ROOT).get('%s/pipelines/%d/variables' % (project, pipeline_id)).json()}


# ---- trigger endpoint --------------------------------------------------------------------------------


@pytest.mark.usefixtures('clock')
def test_trigger_token_starts_a_pipeline_as_its_owner(fake, api):
    dev = api(DEV)
    token = trigger_token(dev)
    response = api(None).post(APP + '/trigger/pipeline', data={'token': token, 'ref': 'main', 'variables[DEPLOY_TO]': 'staging'})
    assert response.status_code == 201
    pipeline = response.json()
    assert list(pipeline) == FULL
    assert (pipeline['source'], pipeline['status'], pipeline['ref'], pipeline['user']['username']) == ('trigger', 'created', 'main', 'dev')
    assert pipeline['web_url'] == '%s/acme/app/-/pipelines/%d' % (fake.url, pipeline['id'])
    assert (pipeline['before_sha'], pipeline['tag'], pipeline['yaml_errors'], pipeline['archived']) == ('0' * 40, False, None, False)
    assert len(pipeline['sha']) == 40 and pipeline['started_at'] is None and pipeline['duration'] is None
    variables = variables_of(fake, APP, pipeline['id'])
    assert variables['DEPLOY_TO'] == {'variable_type': 'env_var', 'key': 'DEPLOY_TO', 'value': 'staging', 'raw': False}
    payload = variables['TRIGGER_PAYLOAD']
    assert payload['variable_type'] == 'file'
    assert payload['value'] == '{"ref":"main","variables":{"DEPLOY_TO":"staging"},"id":"acme/app"}'
    trigger = dev.get(APP + '/triggers').json()[-1]
    assert trigger['last_used'] == pipeline['created_at']


@pytest.mark.usefixtures('clock')
def test_trigger_payload_is_every_param_but_the_token(fake, api):
    token = trigger_token(api(DEV))
    response = api(None).post('/projects/1/trigger/pipeline', json={'ref': 'main', 'token': token, 'note': '<&>'})
    payload = variables_of(fake, APP, response.json()['id'])['TRIGGER_PAYLOAD']['value']
    assert payload == '{"ref":"main","note":"\\u003c\\u0026\\u003e","id":"1","variables":{}}'
    assert json.loads(payload) == {'ref': 'main', 'note': '<&>', 'id': '1', 'variables': {}}


@pytest.mark.parametrize('body, status, answer', [
    ({'ref': 'main'}, 400, {'error': 'token is missing'}),
    ({'token': 'x'}, 400, {'error': 'ref is missing'}),
    ({}, 400, {'error': 'ref is missing, token is missing'}),
    ({'token': 'x', 'ref': ''}, 400, {'error': 'ref is empty'}),
    ({'token': 'x', 'ref': 'main', 'variables': 'A=1'}, 400, {'error': 'variables is invalid'}),
    ({'token': 'x', 'ref': 'main', 'variables': ['A']}, 400, {'error': 'variables is invalid'}),
    ({'token': 'x', 'ref': 'main', 'variables': {'A': 1}}, 400, {'message': 'variables needs to be a map of key-valued strings'}),
    ({'token': 'glptt-0000000000000000000000000000000000000000', 'ref': 'main'}, 404, NOT_FOUND),
])
def test_trigger_errors(api, body, status, answer):
    expect(api(None).post(APP + '/trigger/pipeline', json=body), status, answer)


def test_trigger_token_of_another_project_or_unknown_project_is_404(api):
    token = trigger_token(api(DEV))
    expect(api(None).post(SVC + '/trigger/pipeline', json={'token': token, 'ref': 'main'}), 404, NOT_FOUND)
    expect(api(None).post('/projects/acme%2Fnope/trigger/pipeline', json={'token': token, 'ref': 'main'}), 404, NOT_FOUND)
    expect(api(None).post('/projects/999/trigger/pipeline', json={'token': token, 'ref': 'main'}), 404, NOT_FOUND)


def test_trigger_bad_ref_hook_loop_and_duplicate_payload(api):
    token = trigger_token(api(DEV))
    anonymous = api(None)
    expect(anonymous.post(APP + '/trigger/pipeline', json={'token': token, 'ref': 'nope'}), 400, NO_REF)
    hook = anonymous.post(APP + '/trigger/pipeline', json={'token': token, 'ref': 'main'}, headers={'X-Gitlab-Event': 'Pipeline Hook'})
    expect(hook, 403, {'message': '403 Forbidden'})
    duplicate = anonymous.post(APP + '/trigger/pipeline', json={'token': token, 'ref': 'main', 'variables': {'TRIGGER_PAYLOAD': 'x'}})
    expect(duplicate, 400, {'message': {'base': ['Duplicate variable name: TRIGGER_PAYLOAD']}})
    assert api(ROOT).get(APP + '/pipelines').json() == []


@pytest.mark.usefixtures('clock')
def test_ref_in_the_url_wins_and_may_hold_slashes(api):
    token = trigger_token(api(MAINT), SVC)
    response = api(None).post(SVC + '/ref/feature%2Fx/trigger/pipeline', json={'token': token, 'ref': 'main'})
    assert (response.status_code, response.json()['ref']) == (201, 'feature/x')
    raw = api(None).post(SVC + '/ref/feature/x/trigger/pipeline', data={'token': token})
    assert (raw.status_code, raw.json()['ref']) == (201, 'feature/x')


def test_missing_ci_config(api):
    """A trigger persists the failed pipeline and answers 422; the user API saves nothing (400)."""
    token = trigger_token(api(MAINT), API_PROJECT)
    missing = {'message': {'base': ['Missing CI config file']}}
    expect(api(None).post(API_PROJECT + '/trigger/pipeline', json={'token': token, 'ref': 'main'}), 422, missing)
    listed = api(ROOT).get(API_PROJECT + '/pipelines').json()
    assert [(p['status'], p['source']) for p in listed] == [('failed', 'trigger')]
    expect(api(ROOT).post(API_PROJECT + '/pipeline', json={'ref': 'main'}), 400, missing)
    assert len(api(ROOT).get(API_PROJECT + '/pipelines').json()) == 1


def test_expired_trigger_is_unknown(make_fake):
    old = {'description': 'old', 'owner': 'dev', 'token': 'expired0000', 'expires_at': '2020-01-01'}
    server = make_fake(ci_seed([{'name': 'build'}], triggers=[old]))
    expect(Api(server, None).post('/projects/g%2Fp/trigger/pipeline', json={'token': 'expired0000', 'ref': 'main'}), 404, NOT_FOUND)


def test_trigger_owner_needs_developer_access(make_fake):
    triggers = [{'description': 'r', 'owner': 'reporter', 'token': 'legacy0000'},
                {'description': 'legacy', 'owner': None, 'token': 'legacy0001'}]
    seed = ci_seed([{'name': 'build'}], triggers=triggers)
    seed['users'].append({'username': 'reporter'})
    seed['groups'][0]['members']['reporter'] = 'reporter'
    server = make_fake(seed)
    anonymous = Api(server, None)
    expect(anonymous.post('/projects/g%2Fp/trigger/pipeline', json={'token': 'legacy0000', 'ref': 'main'}), 400,
           {'message': {'base': ['Insufficient permissions to create a new pipeline']}})
    legacy = anonymous.post('/projects/g%2Fp/trigger/pipeline', json={'token': 'legacy0001', 'ref': 'main'})
    expect(legacy, 400, {'message': {'base': ['Insufficient permissions to create a new pipeline']}})   # runs as nobody


def test_a_running_jobs_token_triggers_a_pipeline_until_the_job_ends(fake, api):
    clock = drive(fake)
    parent = new_pipeline(api(DEV))
    clock.advance(0.2)                                 # build is running
    build = next(job for job in ci.store(fake.state).jobs.values() if job.pipeline.id == parent['id'] and job.name == 'build')
    response = api(None).post(SVC + '/trigger/pipeline', json={'token': build.token, 'ref': 'main'})
    assert (response.status_code, response.json()['source'], response.json()['user']['username']) == (201, 'pipeline', 'dev')
    clock.advance(10)
    expect(api(None).post(SVC + '/trigger/pipeline', json={'token': build.token, 'ref': 'main'}), 401, {'message': 'Job is not running'})


@pytest.mark.usefixtures('clock')
def test_python_gitlab_triggers_with_a_token(fake):
    token = trigger_token(Api(fake, DEV))
    project = gitlab.Gitlab(fake.url, private_token=DEV).projects.get('acme/app', lazy=True)
    pipeline = project.trigger_pipeline('main', token, variables={'A': '1'})
    assert (pipeline.source, pipeline.ref, pipeline.status) == ('trigger', 'main', 'created')
    found = {v.key: v.value for v in project.pipelines.get(pipeline.id).variables.list(get_all=True)}
    assert found['A'] == '1' and json.loads(found['TRIGGER_PAYLOAD'])['variables'] == {'A': '1'}
    with pytest.raises(gitlab.GitlabCreateError) as info:
        project.trigger_pipeline('nope', token)
    assert (info.value.response_code, info.value.error_message) == (400, {'base': ['Reference not found']})


# ---- POST /projects/:id/pipeline ---------------------------------------------------------------------


@pytest.mark.usefixtures('clock')
def test_create_with_typed_variables_and_inputs(fake, api):
    body = {'ref': 'feature/x', 'variables': [{'key': 'A', 'value': '1'}, {'key': 'CONF', 'value': 'x=y', 'variable_type': 'file'}],
            'inputs': {'environment': 'staging'}}
    response = api(DEV).post(SVC + '/pipeline', json=body)
    assert response.status_code == 201
    pipeline = response.json()
    assert list(pipeline) == FULL
    assert (pipeline['source'], pipeline['ref'], pipeline['user']['username'], pipeline['iid']) == ('api', 'feature/x', 'dev', 1)
    assert variables_of(fake, SVC, pipeline['id']) == {
        'A': {'variable_type': 'env_var', 'key': 'A', 'value': '1', 'raw': False},
        'CONF': {'variable_type': 'file', 'key': 'CONF', 'value': 'x=y', 'raw': False}}


@pytest.mark.usefixtures('clock')
def test_create_with_form_variables(fake, api):
    form = {'ref': 'main', 'variables[0][key]': 'A', 'variables[0][value]': '1', 'variables[1][key]': 'B', 'variables[1][value]': '2'}
    response = api(DEV).post(SVC + '/pipeline', data=form)
    assert response.status_code == 201
    assert sorted(variables_of(fake, SVC, response.json()['id'])) == ['A', 'B']


@pytest.mark.parametrize('body, answer', [
    ({}, {'error': 'ref is missing'}),
    ({'ref': 'main', 'variables': [{'key': 'A', 'value': '1', 'variable_type': 'secret'}]},
     {'error': 'variables[0][variable_type] does not have a valid value'}),
    ({'ref': 'main', 'variables': 'A=1'}, {'error': 'variables is invalid'}),
    ({'ref': 'main', 'inputs': 'x'}, {'error': 'inputs is invalid'}),
    ({'ref': 'nope'}, NO_REF),
    ({'ref': 'main', 'variables': [{'key': 'A', 'value': '1'}, {'key': 'A', 'value': '2'}]},
     {'message': {'base': ['Duplicate variable name: A']}}),
    ({'ref': 'main', 'variables': [{'key': 'A', 'value': '1'}, {'key': 'B', 'value': '2'}, {'key': 'B', 'value': '3'},
                                   {'key': 'A', 'value': '4'}]},
     {'message': {'base': ['Duplicate variable names: A, B']}}),
])
def test_create_errors(api, body, answer):
    expect(api(DEV).post(SVC + '/pipeline', json=body), 400, answer)
    assert api(ROOT).get(SVC + '/pipelines').json() == []


@pytest.mark.parametrize('token, status, answer', [
    (None, 401, {'message': '401 Unauthorized'}),
    (REPORTER, 403, {'message': '403 Forbidden'}),
    (GUEST, 403, {'message': '403 Forbidden'}),
    (OUTSIDER, 404, {'message': '404 Project Not Found'}),
])
def test_create_permissions(api, token, status, answer):
    expect(api(token).post(SVC + '/pipeline', json={'ref': 'main'}), status, answer)


def test_minimum_role_to_set_pipeline_variables(make_fake):
    server, _clock, root = driven(make_fake, ci_seed([{'name': 'build'}], pipeline_variables_minimum_override_role='maintainer'))
    dev = Api(server, DEV)
    assert dev.post('/projects/g%2Fp/pipeline', json={'ref': 'main'}).status_code == 201
    refused = dev.post('/projects/g%2Fp/pipeline', json={'ref': 'main', 'variables': [{'key': 'A', 'value': '1'}]})
    expect(refused, 400, {'message': {'base': ['Insufficient permissions to set pipeline variables']}})
    assert root.post('/projects/g%2Fp/pipeline', json={'ref': 'main', 'variables': [{'key': 'A', 'value': '1'}]}).status_code == 201


@pytest.mark.usefixtures('clock')
def test_python_gitlab_creates_pipelines(fake):
    project = gitlab.Gitlab(fake.url, private_token=DEV).projects.get('acme/svc', lazy=True)
    pipeline = project.pipelines.create({'ref': 'main', 'variables': [{'key': 'A', 'value': '1'}]})
    assert (pipeline.source, pipeline.status, pipeline.ref) == ('api', 'created', 'main')
    assert [v.key for v in pipeline.variables.list(get_all=True)] == ['A']
    with pytest.raises(gitlab.GitlabCreateError) as info:
        project.pipelines.create({'ref': 'nope'})
    assert info.value.response_code == 400


# ---- status over time ----------------------------------------------------------------------------------


def test_pipeline_status_follows_its_jobs(fake, api):
    clock = drive(fake)
    dev = api(DEV)
    pipeline = new_pipeline(dev)
    assert statuses(dev, pipeline) == {'build': 'created', 'test': 'created', 'deploy': 'created', 'pipeline': 'created'}
    clock.advance(ci.PROCESS_SECONDS)
    assert statuses(dev, pipeline) == {'build': 'pending', 'test': 'created', 'deploy': 'created', 'pipeline': 'pending'}
    clock.advance(ci.PENDING_SECONDS)
    assert statuses(dev, pipeline) == {'build': 'running', 'test': 'created', 'deploy': 'created', 'pipeline': 'running'}
    clock.advance(10)
    shown = dev.get('%s/pipelines/%d' % (SVC, pipeline['id'])).json()
    assert statuses(dev, pipeline) == {'build': 'success', 'test': 'success', 'deploy': 'manual', 'pipeline': 'success'}
    assert shown['detailed_status'] == {
        'icon': 'status_success', 'text': 'Passed', 'label': 'passed', 'group': 'success', 'tooltip': 'passed', 'has_details': True,
        'details_path': '/acme/svc/-/pipelines/%d' % pipeline['id'], 'illustration': None,
        'favicon': '/assets/ci_favicons/favicon_status_success.png'}
    start = clock.now - 10 - ci.PENDING_SECONDS - ci.PROCESS_SECONDS
    assert (shown['created_at'], shown['started_at']) == (ci.iso(start), ci.iso(start + ci.PROCESS_SECONDS + ci.PENDING_SECONDS))
    assert shown['updated_at'] == shown['finished_at'] and shown['duration'] == 1 and shown['queued_duration'] == 0


def test_failed_pipeline(fake, api):
    clock = drive(fake)
    pipeline = new_pipeline(api(DEV), APP)
    clock.advance(10)
    assert statuses(api(DEV), pipeline, APP) == {'build': 'success', 'test': 'failed', 'deploy': 'skipped', 'pipeline': 'failed'}


# ---- reading ---------------------------------------------------------------------------------------------


def test_list_filters_sorts_and_counts(fake, api):
    clock = drive(fake)
    dev = api(DEV)
    ids = [new_pipeline(dev, ref='main' if n % 2 else 'feature/x')['id'] for n in range(25)]
    clock.advance(10)
    fresh = new_pipeline(dev)         # still created
    listed = dev.get(SVC + '/pipelines', params={'per_page': 10})
    assert listed.status_code == 200 and listed.headers['X-Total'] == '26' and listed.headers['X-Total-Pages'] == '3'
    assert list(listed.json()[0]) == LISTED
    assert [p['id'] for p in listed.json()] == ([fresh['id']] + ids[::-1])[:10]
    ascending = dev.get(SVC + '/pipelines', params={'sort': 'asc', 'per_page': 100}).json()
    assert [p['id'] for p in ascending] == ids + [fresh['id']]
    latest = dev.get(SVC + '/pipelines', params={'ref': 'main', 'status': 'success', 'order_by': 'id', 'sort': 'desc', 'per_page': 1})
    assert [p['id'] for p in latest.json()] == [ids[-2]]
    assert len(dev.get(SVC + '/pipelines', params={'ref': 'feature/x', 'per_page': 100}).json()) == 13
    assert [p['id'] for p in dev.get(SVC + '/pipelines', params={'status': 'created'}).json()] == [fresh['id']]
    assert dev.get(SVC + '/pipelines', params={'source': 'trigger'}).json() == []
    assert len(dev.get(SVC + '/pipelines', params={'scope': 'finished', 'per_page': 100}).json()) == 25
    assert [p['ref'] for p in dev.get(SVC + '/pipelines', params={'scope': 'branches'}).json()] == ['main', 'feature/x']
    assert len(dev.get(SVC + '/pipelines', params={'username': 'dev', 'per_page': 100}).json()) == 26
    expect(dev.get(SVC + '/pipelines', params={'status': 'done'}), 400, {'error': 'status does not have a valid value'})
    expect(dev.get(SVC + '/pipelines', params={'order_by': 'name'}), 400, {'error': 'order_by does not have a valid value'})


@pytest.mark.usefixtures('clock')
def test_get_one_and_its_errors(api):
    dev = api(DEV)
    pipeline = new_pipeline(dev)
    shown = dev.get('%s/pipelines/%d' % (SVC, pipeline['id']))
    assert (shown.status_code, list(shown.json())) == (200, SHOWN)
    assert shown.json()['name'] is None                      # no workflow:name
    expect(dev.get(SVC + '/pipelines/999'), 404, RECORD_NOT_FOUND)
    expect(dev.get('%s/pipelines/%d' % (APP, pipeline['id'])), 404, RECORD_NOT_FOUND)      # another project's
    expect(dev.get(SVC + '/pipelines/abc'), 400, {'error': 'pipeline_id is invalid'})
    expect(api(GUEST).get('%s/pipelines/%d' % (SVC, pipeline['id'])), 403, {'message': '403 Forbidden'})
    expect(api(GUEST).get(SVC + '/pipelines'), 403, {'message': '403 Forbidden'})
    expect(api(None).get(SVC + '/pipelines'), 404, {'message': '404 Project Not Found'})
    assert api(REPORTER).get('%s/pipelines/%d' % (SVC, pipeline['id'])).status_code == 200
    expect(api(REPORTER).get('%s/pipelines/%d/variables' % (SVC, pipeline['id'])), 403, {'message': '403 Forbidden'})


def test_public_project_pipelines_are_readable_anonymously(make_fake):
    server, _clock, root = driven(make_fake, ci_seed([{'name': 'build'}], visibility='public'))
    created = root.post('/projects/g%2Fp/pipeline', json={'ref': 'main'}).json()
    assert Api(server, None).get('/projects/g%%2Fp/pipelines/%d' % created['id']).status_code == 200
    expect(Api(server, None).post('/projects/g%2Fp/pipeline', json={'ref': 'main'}), 401, {'message': '401 Unauthorized'})


# ---- cancel, retry, delete --------------------------------------------------------------------------------


def test_cancel_and_retry_a_pipeline(fake, api):
    clock = drive(fake)
    dev = api(DEV)
    pipeline = new_pipeline(dev)
    clock.advance(0.2)
    path = '%s/pipelines/%d' % (SVC, pipeline['id'])
    canceled = dev.post(path + '/cancel')
    assert (canceled.status_code, canceled.json()['status']) == (200, 'canceled')
    assert statuses(dev, pipeline) == {'build': 'canceled', 'test': 'canceled', 'deploy': 'canceled', 'pipeline': 'canceled'}
    assert dev.post(path + '/cancel').status_code == 200
    retried = dev.post(path + '/retry')
    assert (retried.status_code, retried.json()['status']) == (201, 'pending')
    assert statuses(dev, pipeline) == {'build': 'pending', 'test': 'created', 'deploy': 'created', 'pipeline': 'pending'}
    clock.advance(10)
    assert statuses(dev, pipeline) == {'build': 'success', 'test': 'success', 'deploy': 'manual', 'pipeline': 'success'}
    assert len(dev.get(path + '/jobs', params={'include_retried': True}).json()) == 6
    expect(api(REPORTER).post(path + '/cancel'), 403, {'message': '403 Forbidden'})


@pytest.mark.usefixtures('clock')
def test_delete_needs_the_owner(api):
    pipeline = new_pipeline(api(DEV))
    path = '%s/pipelines/%d' % (SVC, pipeline['id'])
    expect(api(MAINT).delete(path), 403, {'message': '403 Forbidden'})
    deleted = api(OWNER).delete(path)
    assert (deleted.status_code, deleted.content) == (204, b'')
    expect(api(DEV).get(path), 404, RECORD_NOT_FOUND)
    assert api(DEV).get(SVC + '/jobs').json() == []


def test_pipeline_name_from_workflow_name(make_fake):
    """``name`` is the workflow:name (Ci::PipelineMetadata) in GET one and the list, filterable with ``name``;
    the create answer (Entities::Ci::Pipeline) and a job's ``pipeline`` (PipelineBasic) have none."""
    _fake, clock, root = driven(make_fake, ci_seed([{'name': 'build'}], workflow_name='Nightly build'))
    created = new_pipeline(root, '/projects/g%2Fp')
    assert 'name' not in created and list(created) == FULL
    shown = root.get('/projects/g%%2Fp/pipelines/%d' % created['id']).json()
    assert shown['name'] == 'Nightly build'
    listed = root.get('/projects/g%2Fp/pipelines').json()
    assert [(p['id'], p['name']) for p in listed] == [(created['id'], 'Nightly build')]
    assert root.get('/projects/g%2Fp/pipelines', params={'name': 'Nightly build'}).json()[0]['id'] == created['id']
    assert root.get('/projects/g%2Fp/pipelines', params={'name': 'nightly'}).json() == []
    clock.advance(10)
    job = root.get('/projects/g%%2Fp/pipelines/%d/jobs' % created['id']).json()[0]
    assert 'name' not in job['pipeline']


def test_the_date_header_and_created_at_come_from_one_clock(fake, api, clock):
    # GitLab stamps created_at (ActiveRecord timestamps, Time.current) and nginx/Puma write Date from the
    # same server clock: a client may compare them (gitlab_ci_job does after a lost answer). Date is an
    # HTTP date (RFC 9110 5.6.7), whole seconds, GMT.
    clock.advance(3600.25)
    root = api()
    created = root.post(APP + '/pipeline', json={'ref': 'main'})
    assert created.status_code == 201
    date = email.utils.parsedate_to_datetime(created.headers['Date']).timestamp()
    assert date == int(clock.now)
    moment = datetime.datetime.strptime(created.json()['created_at'], '%Y-%m-%dT%H:%M:%S.%fZ')
    assert moment.replace(tzinfo=datetime.timezone.utc).timestamp() == pytest.approx(clock.now, abs=0.001)
    clock.advance(10)
    listed = root.get(APP + '/pipelines', params={'ref': 'main'})
    assert email.utils.parsedate_to_datetime(listed.headers['Date']).timestamp() == int(clock.now)
    assert created.headers['Date'].endswith(' GMT')
