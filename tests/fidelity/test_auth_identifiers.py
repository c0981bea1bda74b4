"""Authentication, identifiers and error families: lib/api/api_guard.rb, lib/api/helpers.rb."""

import pytest
import requests

from tests.fake_gitlab.errors import ApiError
from tests.fake_gitlab.request import Response
from tests.fidelity.helpers import DEV, DEV_EXPIRED, DEV_READONLY, DEV_REVOKED, ROOT, TIMEOUT, Api

UNAUTHORIZED = {'message': '401 Unauthorized'}
EXPIRED = {'error': 'invalid_token', 'error_description': 'Token is expired. You can either do re-authorization or token refresh.'}
REVOKED = {'error': 'invalid_token', 'error_description': 'Token was revoked. You have to re-authorize from the user.'}
ROUTE_404 = {'error': '404 Not Found'}
PROJECT_404 = {'message': '404 Project Not Found'}


def get(fake, path, **kwargs):
    return requests.get(fake.url + '/api/v4' + path, timeout=TIMEOUT, **kwargs)


# ---- token transports --------------------------------------------------------------------------------


@pytest.mark.parametrize('how', ['header', 'bearer', 'private_token', 'access_token'])
def test_every_token_transport(fake, how):
    kwargs = {
        'header': {'headers': {'PRIVATE-TOKEN': DEV}},
        'bearer': {'headers': {'Authorization': 'Bearer ' + DEV}},
        'private_token': {'params': {'private_token': DEV}},
        'access_token': {'params': {'access_token': DEV}},
    }[how]
    response = get(fake, '/user', **kwargs)
    assert (response.status_code, response.json()['username']) == (200, 'dev')
    assert 'is_admin' not in response.json()


def test_admin_sees_is_admin(api):
    assert api(ROOT).get('/user').json()['is_admin'] is True


@pytest.mark.parametrize('headers, body', [
    ({}, UNAUTHORIZED),
    ({'PRIVATE-TOKEN': 'glpat-unknown'}, UNAUTHORIZED),
    ({'Authorization': 'Bearer nope'}, UNAUTHORIZED),
    ({'PRIVATE-TOKEN': DEV_EXPIRED}, EXPIRED),
    ({'PRIVATE-TOKEN': DEV_REVOKED}, REVOKED),
    ({'JOB-TOKEN': 'some-job-token'}, UNAUTHORIZED),     # job tokens are not accepted on these routes
])
def test_401_bodies(fake, headers, body):
    for path in ('/version', '/projects/acme%2Fapp/variables'):
        response = get(fake, path, headers=headers)
        assert (response.status_code, response.json()) == (401, body)


def test_expired_by_date(make_fake):
    server = make_fake({'users': [{'username': 'u', 'tokens': [{'token': 'glpat-dated', 'expires_at': '2020-01-01'}]}]})
    response = requests.get(server.url + '/api/v4/version', headers={'PRIVATE-TOKEN': 'glpat-dated'}, timeout=TIMEOUT)
    assert (response.status_code, response.json()) == (401, EXPIRED)


def test_read_api_scope(api):
    readonly = api(DEV_READONLY)
    assert readonly.get('/projects/acme%2Fapp/variables').status_code == 200
    response = readonly.post('/projects/acme%2Fapp/variables', json={'key': 'A', 'value': 'v'})
    assert (response.status_code, response.json()) == (403, {
        'error': 'insufficient_scope',
        'error_description': 'The request requires higher privileges than provided by the access token.',
        'scope': 'api'})


def test_bad_token_is_401_even_where_anonymous_is_fine(fake):
    assert get(fake, '/projects/opensource%2Flib').status_code == 200
    response = get(fake, '/projects/opensource%2Flib', headers={'PRIVATE-TOKEN': 'wrong'})
    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)


# ---- identifiers and visibility ------------------------------------------------------------------------------


@pytest.mark.parametrize('ref, status', [
    ('1', 200), ('acme%2Fapp', 200), ('ACME%2FApp', 200), ('acme%2Fplatform%2Fapi', 200),
    ('app', 404), ('999', 404), ('-1', 404), ('acme%2Fnope', 404),
])
def test_project_identifiers(api, ref, status):
    response = api(ROOT).get('/projects/' + ref)
    assert response.status_code == status
    if status == 200:
        assert response.json()['path_with_namespace'] in ('acme/app', 'acme/platform/api')
    else:
        assert response.json() == PROJECT_404


def test_raw_slash_is_the_catch_all_404(api):
    for path in ('/projects/acme/app', '/projects/acme/app/variables', '/groups/acme/platform/variables'):
        response = api(ROOT).get(path)
        assert (response.status_code, response.json()) == (404, ROUTE_404)


def test_group_identifiers(api):
    assert api(ROOT).get('/groups/acme').json()['full_path'] == 'acme'
    assert api(ROOT).get('/groups/1').json()['full_path'] == 'acme'
    assert api(ROOT).get('/groups/acme%2Fplatform').json()['full_name'] == 'ACME / Platform'
    for ref in ('platform', '999', 'nope'):
        response = api(ROOT).get('/groups/' + ref)
        assert (response.status_code, response.json()) == (404, {'message': '404 Group Not Found'})


def test_project_entity(api, fake):
    project = api(DEV).get('/projects/acme%2Fapp').json()
    assert project['id'] == 1
    assert project['web_url'] == fake.url + '/acme/app'
    assert project['namespace'] == {'id': 1, 'name': 'ACME', 'path': 'acme', 'kind': 'group', 'full_path': 'acme',
                                    'parent_id': None, 'avatar_url': None, 'web_url': fake.url + '/groups/acme'}
    assert project['default_branch'] == 'main'
    assert project['permissions'] == {'project_access': {'access_level': 40, 'notification_level': 3},
                                      'group_access': {'access_level': 30, 'notification_level': 3}}


def test_invisible_is_404_not_403(api):
    assert api(DEV).get('/projects/root%2Fvault').json() == PROJECT_404
    assert api(DEV).get('/projects/root%2Fvault/variables').json() == PROJECT_404
    assert api(ROOT).get('/projects/root%2Fvault').status_code == 200
    assert api(None).get('/projects/acme%2Fapp').json() == PROJECT_404
    assert api(DEV).get('/groups/other').json() == {'message': '404 Group Not Found'}


def test_group_visible_to_members_of_projects_below(make_fake):
    server = make_fake({'users': [{'username': 'u', 'token': 'glpat-u'}], 'groups': [{'path': 'g'}],
                        'projects': [{'path': 'g/p', 'members': {'u': 'guest'}}]})
    assert Api(server, 'glpat-u').get('/groups/g').status_code == 200


def test_moved_project(api, fake):
    moved = api(ROOT).get('/projects/acme%2Fold-app/variables', params={'page': '1'}, allow_redirects=False)
    location = fake.url + '/api/v4/projects/acme%2Fapp/variables?page=1'
    assert moved.status_code == 301
    assert moved.headers['Location'] == location
    assert moved.text == 'This resource has been moved permanently to ' + location
    posted = api(ROOT).post('/projects/acme%2Fold-app/variables', json={'key': 'A', 'value': 'v'})
    assert (posted.status_code, posted.json()) == (405, {'message': 'Non GET methods are not allowed for moved projects'})
    assert api(DEV).get('/projects/acme%2Fold-app').json()['path_with_namespace'] == 'acme/app'    # requests follows


# ---- error families -----------------------------------------------------------------------------------------------


def test_unknown_route_and_wrong_method(api):
    for method, path in (('GET', '/nope'), ('GET', '/projects/1/nothing'), ('PATCH', '/projects/1/variables'),
                         ('POST', '/version'), ('DELETE', '/projects/1/variables')):
        response = api(ROOT).request(method, path)
        assert (response.status_code, response.json()) == (404, ROUTE_404)


def test_three_error_families_stay_distinct(api):
    root = api(ROOT)
    root.post('/projects/1/variables', json={'key': 'A', 'value': 'v'})
    assert root.get('/projects/1/variables/B').json() == {'message': '404 Variable Not Found'}
    assert root.post('/projects/1/variables', json={'key': 'A', 'value': 'v'}).json() == {
        'message': {'key': ['(A) has already been taken']}}
    assert root.post('/projects/1/variables', json={'key': 'A'}).json() == {'error': 'value is missing'}


def test_unparsable_json_is_a_grape_error(api):
    response = api(ROOT).post('/projects/1/variables', data='{"key": ', headers={'Content-Type': 'application/json'})
    assert response.status_code == 400
    assert list(response.json()) == ['error']


def test_handler_crash_is_gitlab_500(fake, api, capfd):
    def boom(call):
        raise RuntimeError('boom')

    def teapot(call):
        raise ApiError(418, {'message': "418 I'm a teapot"})

    fake.router.add('GET', '/api/v4/boom', boom)
    fake.router.add('GET', '/api/v4/teapot', teapot)
    fake.router.add('GET', '/api/v4/fine', lambda call: Response.json(200, {}))
    response = api(ROOT).get('/boom')
    assert (response.status_code, response.json()) == (500, {'message': '500 Internal Server Error'})
    assert 'RuntimeError: boom' in capfd.readouterr().err
    assert api(ROOT).get('/teapot').status_code == 418
    assert api(ROOT).get('/fine').json() == {}      # the server keeps working
