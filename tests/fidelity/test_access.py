"""The CI/CD job token scope and the project's CI/CD settings, held to GitLab.

Sources: https://docs.gitlab.com/api/project_job_token_scopes/ (lib/api/project_job_token_scope.rb,
app/services/ci/job_token_scope/*, app/models/ci/job_token/*, lib/api/helpers.rb
``handle_job_token_failure!``) and https://docs.gitlab.com/api/projects/#edit-a-project
(lib/api/helpers/projects_helpers.rb, app/models/project.rb, app/models/project_ci_cd_setting.rb).
python-gitlab's own functional tests of the job token scope (tests/functional/api/test_project_job_token_scope.py)
are replayed at the end against seeded projects (the fake cannot create projects).
"""

import gitlab
import pytest
import requests

from tests.fake_gitlab import ci
from tests.fidelity.cihelpers import APP, SVC, ci_seed, drive, driven, jobs_of, new_pipeline
from tests.fidelity.helpers import DEV, MAINT, REPORTER, ROOT, TIMEOUT, Api

SCOPE = '/projects/%d/job_token_scope'
FORBIDDEN = {'message': '403 Forbidden'}


def project_id(api, path):
    return api().get('/projects/' + path.replace('/', '%2F')).json()['id']


def group_id(api, path):
    return api().get('/groups/' + path.replace('/', '%2F')).json()['id']


def expect(response, status, body=None):
    assert response.status_code == status, response.text
    if body is not None:
        assert response.json() == body


# ---- the scope itself -----------------------------------------------------------------------------


def test_get_and_patch_the_inbound_flag(api):
    svc = project_id(api, 'acme/svc')
    expect(api().get(SCOPE % svc), 200, {'inbound_enabled': True, 'outbound_enabled': False})
    patched = api().request('PATCH', SCOPE % svc, json={'enabled': False})
    assert (patched.status_code, patched.content) == (204, b'')
    expect(api().get(SCOPE % svc), 200, {'inbound_enabled': False, 'outbound_enabled': False})
    assert api().get('/projects/%d' % svc).json()['ci_job_token_scope_enabled'] is False


def test_patch_needs_a_boolean_enabled(api):
    svc = project_id(api, 'acme/svc')
    expect(api().request('PATCH', SCOPE % svc, json={}), 400, {'error': 'enabled is missing'})
    expect(api().request('PATCH', SCOPE % svc, json={'enabled': 'maybe'}), 400, {'error': 'enabled is invalid'})


def test_maintainer_only(api):
    app = project_id(api, 'acme/app')     # dev is Maintainer there, reporter a Reporter
    expect(api(DEV).get(SCOPE % app), 200)
    expect(api(REPORTER).get(SCOPE % app), 403, FORBIDDEN)
    expect(api(REPORTER).get(SCOPE % app + '/allowlist'), 403, FORBIDDEN)
    expect(api(REPORTER).request('PATCH', SCOPE % app, json={'enabled': False}), 403, FORBIDDEN)


def test_allowlist_lists_the_project_itself_first(api):
    svc, app = project_id(api, 'acme/svc'), project_id(api, 'acme/app')
    listed = api().get(SCOPE % svc + '/allowlist')
    assert [item['id'] for item in listed.json()] == [svc]
    assert listed.headers['X-Total'] == '1'
    expect(api().post(SCOPE % svc + '/allowlist', json={'target_project_id': app}), 201,
           {'source_project_id': svc, 'target_project_id': app})
    body = api().get(SCOPE % svc + '/allowlist').json()
    assert [item['path_with_namespace'] for item in body] == ['acme/svc', 'acme/app']
    assert 'ci_config_path' not in body[1]


def test_add_project_errors(api):
    svc, app = project_id(api, 'acme/svc'), project_id(api, 'acme/app')
    path = SCOPE % svc + '/allowlist'
    expect(api().post(path, json={'target_project_id': 9999}), 404, {'message': '404 target_project_id not found Not Found'})
    expect(api().post(path, json={}), 400, {'error': 'target_project_id is missing'})
    expect(api().post(path, json={'target_project_id': svc}), 400,
           {'message': "400 Bad request - Validation failed: Target project can't be the same as the source project"})
    api().post(path, json={'target_project_id': app})
    expect(api().post(path, json={'target_project_id': app}), 400,
           {'message': '400 Bad request - Target project is already in the job token scope'})
    # the POST declares requires :id, type: Integer
    expect(api().post('/projects/acme%2Fsvc/job_token_scope/allowlist', json={'target_project_id': app}), 400,
           {'error': 'id is invalid'})


def test_add_a_project_the_caller_cannot_read(api):
    app = project_id(api, 'acme/app')
    vault = project_id(api, 'root/vault')
    expect(api(DEV).post(SCOPE % app + '/allowlist', json={'target_project_id': vault}), 400,
           {'message': "400 Bad request - The target_project that you are attempting to access does not exist or you "
                       "don't have permission to perform this action"})


def test_remove_project_errors(api):
    svc, app, tool = project_id(api, 'acme/svc'), project_id(api, 'acme/app'), project_id(api, 'other/tool')
    path = SCOPE % svc + '/allowlist/%d'
    expect(api().delete(path % tool), 400, {'message': '400 Bad request - Target project is not in the job token scope'})
    expect(api().delete(path % svc), 400, {'message': '400 Bad request - Source project cannot be removed from the job token scope'})
    expect(api().delete(path % 9999), 404, {'message': '404 Project Not Found'})
    api().post(SCOPE % svc + '/allowlist', json={'target_project_id': app})
    expect(api(REPORTER).delete(path % app), 403, {'message': '403 Forbidden - Insufficient permissions to modify the job token scope'})
    assert api().delete(path % app).status_code == 204
    assert [item['id'] for item in api().get(SCOPE % svc + '/allowlist').json()] == [svc]


def test_groups_allowlist_crud_and_errors(api):
    svc, acme = project_id(api, 'acme/svc'), group_id(api, 'acme')
    path = SCOPE % svc + '/groups_allowlist'
    expect(api().get(path), 200, [])
    expect(api().post(path, json={'target_group_id': acme}), 201, {'source_project_id': svc, 'target_group_id': acme})
    expect(api().post(path, json={'target_group_id': acme}), 400,
           {'message': '400 Bad request - This group is already in the job token allowlist.'})
    expect(api().post(path, json={'target_group_id': 9999}), 404, {'message': '404 target_group_id not found Not Found'})
    listed = api().get(path).json()
    assert [(item['id'], item['name']) for item in listed] == [(acme, 'ACME')]
    assert sorted(listed[0]) == ['id', 'name', 'web_url']
    expect(api().delete(path + '/%d' % group_id(api, 'other')), 400,
           {'message': '400 Bad request - Target group is not in the job token scope'})
    expect(api().delete(path + '/9999'), 404, {'message': '404 target_group_id not found Not Found'})
    assert api().delete(path + '/%d' % acme).status_code == 204
    expect(api().get(path), 200, [])


def test_link_limits(make_fake):
    seed = {'users': [{'username': 'root', 'token': ROOT, 'admin': True}],
            'limits': {'ci_job_token_project_links': 1, 'ci_job_token_group_links': 1},
            'groups': [{'path': 'g'}, {'path': 'h'}],
            'projects': [{'path': 'g/a'}, {'path': 'g/b'}, {'path': 'g/c'}]}
    fake = make_fake(seed)
    base = fake.url + '/api/v4' + SCOPE % 1
    headers = {'PRIVATE-TOKEN': ROOT}
    assert requests.post(base + '/allowlist', json={'target_project_id': 2}, headers=headers, timeout=TIMEOUT).status_code == 201
    over = requests.post(base + '/allowlist', json={'target_project_id': 3}, headers=headers, timeout=TIMEOUT)
    assert over.json() == {'message': '400 Bad request - Validation failed: Source project exceeds the allowable number of '
                                      'project links in this direction'}
    assert requests.post(base + '/groups_allowlist', json={'target_group_id': 1}, headers=headers, timeout=TIMEOUT).status_code == 201
    over = requests.post(base + '/groups_allowlist', json={'target_group_id': 2}, headers=headers, timeout=TIMEOUT)
    assert over.json() == {'message': '400 Bad request - Validation failed: Source project exceeds the allowable number of group links'}


# ---- enforcement ------------------------------------------------------------------------------------


@pytest.fixture
def foreign_token(fake, api):
    """A running acme/app job's token, and the URL of a finished acme/svc build's artifacts."""
    clock = drive(fake)
    dev = api(DEV)
    done = new_pipeline(dev)
    clock.advance(10)
    build = jobs_of(dev, done)['build']
    other = new_pipeline(dev, APP)
    clock.advance(0.2)
    token = ci.store(fake.state).jobs[jobs_of(dev, other, APP)['build']['id']].token
    return token, fake.url + '/api/v4' + SVC + '/jobs/%d/artifacts' % build['id']


def test_job_token_refused_then_allowed_by_project_link(api, foreign_token):
    token, url = foreign_token
    refused = requests.get(url, headers={'JOB-TOKEN': token}, timeout=TIMEOUT)
    assert (refused.status_code, refused.json()) == (
        403, {'message': '403 Forbidden - Authentication by CI/CD job token not allowed from app to svc.'})
    svc, app = project_id(api, 'acme/svc'), project_id(api, 'acme/app')
    api().post(SCOPE % svc + '/allowlist', json={'target_project_id': app})
    assert requests.get(url, headers={'JOB-TOKEN': token}, timeout=TIMEOUT).status_code == 200


def test_job_token_allowed_by_an_ancestor_group(api, foreign_token):
    token, url = foreign_token
    svc = project_id(api, 'acme/svc')
    api().post(SCOPE % svc + '/groups_allowlist', json={'target_group_id': group_id(api, 'acme')})
    assert requests.get(url, headers={'JOB-TOKEN': token}, timeout=TIMEOUT).status_code == 200


def test_job_token_allowed_when_the_scope_is_disabled(api, foreign_token):
    token, url = foreign_token
    api().request('PATCH', SCOPE % project_id(api, 'acme/svc'), json={'enabled': False})
    assert requests.get(url, headers={'JOB-TOKEN': token}, timeout=TIMEOUT).status_code == 200


# ---- project CI/CD settings -------------------------------------------------------------------------


def test_ci_fields_shown_to_maintainers_only(api):
    shown = api(DEV).get(APP).json()
    assert shown['build_timeout'] == 3600 and shown['ci_default_git_depth'] == 20
    assert shown['auto_cancel_pending_pipelines'] == 'enabled' and shown['keep_latest_artifact'] is True
    assert shown['ci_delete_pipelines_in_seconds'] is None and shown['ci_restrict_pipeline_cancellation_role'] == 'developer'
    hidden = api(REPORTER).get(APP).json()
    assert 'build_timeout' not in hidden and 'ci_config_path' in hidden


def test_put_changes_only_the_given_fields(api):
    answer = api(MAINT).put(APP, json={'build_timeout': 7200, 'ci_delete_pipelines_in_seconds': 86400 * 30,
                                       'ci_pipeline_variables_minimum_override_role': 'maintainer', 'unknown_field': 1})
    expect(answer, 200)
    body = api(MAINT).get(APP).json()
    assert (body['build_timeout'], body['ci_delete_pipelines_in_seconds']) == (7200, 2592000)
    assert body['ci_pipeline_variables_minimum_override_role'] == 'maintainer'
    assert body['ci_default_git_depth'] == 20


@pytest.mark.parametrize('data, status, body', [
    ({'build_timeout': 599}, 400, {'message': {'build_timeout': ['needs to be between 10 minutes and 1 month']}}),
    ({'build_timeout': 2629746}, 400, {'message': {'build_timeout': ['needs to be between 10 minutes and 1 month']}}),
    ({'build_timeout': 'soon'}, 400, {'error': 'build_timeout is invalid'}),
    ({'ci_default_git_depth': 1001}, 400, {'message': {'ci_cd_settings.default_git_depth': ['must be less than or equal to 1000']}}),
    ({'ci_delete_pipelines_in_seconds': 3600}, 400,
     {'message': {'ci_cd_settings.delete_pipelines_in_seconds': ['must be between 1 day and 1 year']}}),
    ({'ci_config_path': '../x.yml'}, 400, {'message': {'ci_config_path': ['cannot include leading slash or directory traversal.']}}),
    ({'auto_cancel_pending_pipelines': 'on'}, 400, {'error': 'auto_cancel_pending_pipelines does not have a valid value'}),
    ({'ci_pipeline_variables_minimum_override_role': 'guest'}, 400,
     {'error': 'ci_pipeline_variables_minimum_override_role does not have a valid value'}),
])
def test_put_validation(api, data, status, body):
    before = api().get(APP).json()
    expect(api().put(APP, json=data), status, body)
    assert api().get(APP).json() == before


def test_the_pipeline_variables_gate_follows_the_put(make_fake):
    # app/models/project_ci_cd_setting.rb pipeline_variables_minimum_override_role; https://docs.gitlab.com/ci/variables/#restrict-pipeline-variables
    server, _clock, root = driven(make_fake, ci_seed([{'name': 'build'}]))
    dev = Api(server, DEV)
    with_variables = {'ref': 'main', 'variables': [{'key': 'A', 'value': '1'}]}
    assert dev.post('/projects/g%2Fp/pipeline', json=with_variables).status_code == 201
    expect(root.put('/projects/g%2Fp', json={'ci_pipeline_variables_minimum_override_role': 'maintainer'}), 200)
    expect(dev.post('/projects/g%2Fp/pipeline', json=with_variables), 400,
           {'message': {'base': ['Insufficient permissions to set pipeline variables']}})
    assert root.get('/projects/g%2Fp').json()['restrict_user_defined_variables'] is True
    expect(root.put('/projects/g%2Fp', json={'ci_pipeline_variables_minimum_override_role': 'developer'}), 200)
    assert dev.post('/projects/g%2Fp/pipeline', json=with_variables).status_code == 201


def test_put_needs_a_known_field_and_maintainer(api):
    answer = api().put(APP, json={'name_unknown': 'x'})
    assert answer.status_code == 400 and 'at least one parameter must be provided' in answer.json()['error']
    expect(api(REPORTER).put(APP, json={'build_timeout': 7200}), 403, FORBIDDEN)


def test_free_license_and_absent_fields(make_fake):
    seed = {'license': 'free', 'absent_project_fields': ['ci_push_repository_for_job_token_allowed'],
            'users': [{'username': 'root', 'token': ROOT, 'admin': True}], 'groups': [{'path': 'g'}], 'projects': [{'path': 'g/p'}]}
    fake = make_fake(seed)
    body = requests.get(fake.url + '/api/v4/projects/1', headers={'PRIVATE-TOKEN': ROOT}, timeout=TIMEOUT).json()
    assert 'ci_restrict_pipeline_cancellation_role' not in body and 'ci_push_repository_for_job_token_allowed' not in body
    ignored = requests.put(fake.url + '/api/v4/projects/1', json={'ci_restrict_pipeline_cancellation_role': 'no_one', 'build_timeout': 900},
                           headers={'PRIVATE-TOKEN': ROOT}, timeout=TIMEOUT)
    assert ignored.status_code == 200 and 'ci_restrict_pipeline_cancellation_role' not in ignored.json()


# ---- python-gitlab's functional tests ---------------------------------------------------------------


@pytest.fixture
def gl(fake):
    return gitlab.Gitlab(fake.url, private_token=ROOT)


def test_python_gitlab_enable_and_disable(gl):
    project = gl.projects.get('acme/svc')
    scope = project.job_token_scope.get()
    scope.enabled = False
    scope.save()
    scope.refresh()
    assert not scope.inbound_enabled
    scope.enabled = True
    scope.save()
    scope.refresh()
    assert scope.inbound_enabled


def test_python_gitlab_project_allowlist(gl):
    project = gl.projects.get('acme/svc')
    to_add = gl.projects.get('acme/app')
    scope = project.job_token_scope.get()
    resp = scope.allowlist.create({'target_project_id': to_add.id})
    assert (resp.source_project_id, resp.target_project_id) == (project.id, to_add.id)
    scope.refresh()
    assert any(allowed.name == 'app' for allowed in scope.allowlist.list())
    scope.allowlist.delete(to_add.id)
    scope.refresh()
    assert not any(allowed.id == to_add.id for allowed in scope.allowlist.list())


def test_python_gitlab_groups_allowlist(gl):
    project = gl.projects.get('acme/svc')
    group = gl.groups.get('other')
    scope = project.job_token_scope.get()
    resp = scope.groups_allowlist.create({'target_group_id': group.id})
    assert (resp.source_project_id, resp.target_group_id) == (project.id, group.id)
    scope.refresh()
    assert any(allowed.name == group.name for allowed in scope.groups_allowlist.list())
    scope.groups_allowlist.delete(group.id)
    scope.refresh()
    assert not any(allowed.name == group.name for allowed in scope.groups_allowlist.list())


def test_python_gitlab_error_class(gl):
    scope = gl.projects.get('acme/svc').job_token_scope.get()
    with pytest.raises(gitlab.exceptions.GitlabCreateError) as caught:
        scope.allowlist.create({'target_project_id': 9999})
    assert caught.value.response_code == 404
