"""Instance CI/CD variables: https://docs.gitlab.com/api/instance_level_ci_variables/, lib/api/admin/ci/variables.rb."""

import pytest

from tests.fidelity.helpers import DEV, OWNER, ROOT, Api, state_variables

BASE = '/admin/ci/variables'
FIELDS = ['variable_type', 'key', 'value', 'protected', 'masked', 'raw', 'description']


@pytest.fixture
def root(api):
    return api(ROOT)


def test_crud_and_field_set(root, fake):
    created = root.post(BASE, json={'key': 'I', 'value': 'v', 'environment_scope': 'production', 'masked_and_hidden': True})
    assert created.status_code == 201
    assert created.json() == {'variable_type': 'env_var', 'key': 'I', 'value': 'v', 'protected': False, 'masked': False,
                              'raw': False, 'description': None}
    assert list(created.json()) == FIELDS        # no environment_scope, no hidden
    assert list(root.get(BASE + '/I').json()) == FIELDS
    assert root.put(BASE + '/I', json={'value': 'w', 'protected': 'true'}).json()['protected'] is True
    assert state_variables(fake, 'instance') == [{'variable_type': 'env_var', 'key': 'I', 'value': 'w', 'protected': True,
                                                  'masked': False, 'raw': False, 'description': None}]
    deleted = root.delete(BASE + '/I')
    assert (deleted.status_code, deleted.content) == (204, b'')


@pytest.mark.parametrize('method', ['GET', 'PUT', 'DELETE'])
def test_404_text(root, method):
    response = root.request(method, BASE + '/NOPE', json={'value': 'x'} if method == 'PUT' else None)
    assert (response.status_code, response.json()) == (404, {'message': '404 InstanceVariable Not Found'})


@pytest.mark.parametrize('token, status, body', [
    (DEV, 403, {'message': '403 Forbidden'}),
    (OWNER, 403, {'message': '403 Forbidden'}),
    (None, 401, {'message': '401 Unauthorized'}),
])
def test_admin_only(api, token, status, body):
    for method, path in (('GET', BASE), ('POST', BASE), ('GET', BASE + '/X')):
        response = api(token).request(method, path, json={'key': 'X', 'value': 'v'} if method == 'POST' else None)
        assert (response.status_code, response.json()) == (status, body)


def test_key_is_globally_unique(root):
    root.post(BASE, json={'key': 'U', 'value': '1'})
    response = root.post(BASE, json={'key': 'U', 'value': '2', 'environment_scope': 'other'})
    assert (response.status_code, response.json()) == (400, {'message': {'key': ['(U) has already been taken']}})


def test_value_limit_10000(root):
    assert root.post(BASE, json={'key': 'OK', 'value': 'x' * 10000}).status_code == 201
    response = root.post(BASE, json={'key': 'BIG', 'value': 'x' * 10001})
    assert (response.status_code, response.json()) == (
        400, {'message': {'value': ['The value of the provided variable exceeds the 10000 character limit']}})


def test_masking_and_boolean_flags(root):
    assert root.post(BASE, json={'key': 'M', 'value': 'bad value', 'masked': 'yes'}).json() == {'message': {'value': ['is invalid']}}
    assert root.post(BASE, json={'key': 'M', 'value': 'bad value', 'masked': 'off'}).json()['masked'] is False
    assert root.post(BASE, json={'key': 'N', 'value': 'bad value', 'masked': 'no'}).json()['masked'] is False
    assert root.post(BASE, json={'key': 'R', 'value': 'p@$$w0rd!', 'masked': True, 'raw': True}).status_code == 201


@pytest.mark.parametrize('field', ['protected', 'masked', 'raw'])
def test_unknown_flag_word_is_400(root, fake, field):
    """lib/api/admin/ci/variables.rb declares the flags ``type: Boolean``; older GitLab (String) took ``maybe`` as true."""
    response = root.post(BASE, json={'key': 'B', 'value': 'hunter2-hunter2', field: 'maybe'})
    assert (response.status_code, response.json()) == (400, {'error': '%s is invalid' % field})
    assert root.post(BASE, json={'key': 'B', 'value': 'v'}).status_code == 201
    update = root.put(BASE + '/B', json={field: 'maybe'})
    assert (update.status_code, update.json()) == (400, {'error': '%s is invalid' % field})
    assert state_variables(fake, 'instance')[0][field] is False


def test_errors_in_declaration_order(root):
    response = root.post(BASE, json={'description': ['x'], 'masked': 'maybe'})
    assert (response.status_code, response.json()) == (400, {'error': 'key is missing, description is invalid, value is missing, masked is invalid'})


def test_missing_params(root):
    response = root.post(BASE, json={})
    assert (response.status_code, response.json()) == (400, {'error': 'key is missing, value is missing'})


def test_seeded_instance_variables(make_fake):
    server = make_fake({'users': [{'username': 'root', 'token': ROOT, 'admin': True}],
                        'instance_variables': [{'key': 'COMPANY', 'value': 'example', 'protected': True}]})
    assert Api(server).get(BASE).json() == [{'variable_type': 'env_var', 'key': 'COMPANY', 'value': 'example', 'protected': True,
                                             'masked': False, 'raw': False, 'description': None}]
