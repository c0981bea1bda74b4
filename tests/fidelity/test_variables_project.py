"""Project CI/CD variables: https://docs.gitlab.com/api/project_level_variables/, lib/api/ci/variables.rb."""

import pytest

from tests.fidelity.helpers import DEV, GUEST, MAINT, OUTSIDER, REPORTER, ROOT, Api, state_variables

P = '/projects/acme%2Fapp/variables'
FIELDS = ['variable_type', 'key', 'value', 'hidden', 'protected', 'masked', 'raw', 'environment_scope', 'description']
MULTIPLE = {'message': "There are multiple variables with provided parameters. Please use 'filter[environment_scope]'"}
NOT_FOUND = {'message': '404 Variable Not Found'}
INVALID_VALUE = {'message': {'value': ['is invalid']}}


def entity(key, value, **changes):
    data = dict(zip(FIELDS, ['env_var', key, value, False, False, False, False, '*', None]))
    data.update(changes)
    return data


@pytest.fixture
def root(api):
    return api(ROOT)


@pytest.fixture
def two_scopes(root):
    for scope in ('production', 'staging'):
        assert root.post(P, json={'key': 'DB', 'value': scope, 'environment_scope': scope}).status_code == 201


# ---- status codes and entity -------------------------------------------------------------------


def test_create_201_update_200_delete_204_with_empty_body(root, fake):
    created = root.post(P, json={'key': 'A', 'value': 'x'})
    assert created.status_code == 201
    assert created.json() == entity('A', 'x')
    assert list(created.json()) == FIELDS
    assert created.headers['Content-Type'] == 'application/json'
    updated = root.put(P + '/A', json={'value': 'y'})
    assert (updated.status_code, updated.json()) == (200, entity('A', 'y'))
    deleted = root.delete(P + '/A')
    assert (deleted.status_code, deleted.content) == (204, b'')
    assert state_variables(fake, 'project', 'acme/app') == []


def test_all_fields_round_trip(root):
    body = {'key': 'CONF', 'value': 'a=b', 'variable_type': 'file', 'protected': True, 'masked': False, 'raw': True,
            'environment_scope': 'review/*', 'description': 'config file'}
    created = root.post(P, json=body)
    assert created.json() == entity('CONF', 'a=b', variable_type='file', protected=True, raw=True,
                                    environment_scope='review/*', description='config file')
    assert root.get(P + '/CONF').json() == created.json()


def test_form_encoded_and_query_params_work(root):
    assert root.post(P, data={'key': 'F', 'value': 'form', 'protected': 'true'}).json()['protected'] is True
    assert root.post(P, params={'key': 'Q', 'value': 'query'}).status_code == 201
    assert root.put(P + '/F', data={'value': 'v2', 'filter[environment_scope]': '*'}).json()['value'] == 'v2'


# ---- lookup -------------------------------------------------------------------------------------


@pytest.mark.parametrize('method', ['GET', 'PUT', 'DELETE'])
@pytest.mark.usefixtures('two_scopes')
def test_two_scopes_without_filter_is_409(root, method):
    response = root.request(method, P + '/DB', json={'value': 'new'} if method == 'PUT' else None)
    assert (response.status_code, response.json()) == (409, MULTIPLE)


@pytest.mark.parametrize('method', ['GET', 'PUT', 'DELETE'])
def test_filter_without_match_is_404_even_if_the_key_exists_elsewhere(root, method):
    root.post(P, json={'key': 'ONLY', 'value': 'v', 'environment_scope': 'production'})
    response = root.request(method, P + '/ONLY', params={'filter[environment_scope]': 'staging'})
    assert (response.status_code, response.json()) == (404, NOT_FOUND)


def test_unknown_key_is_404(root):
    response = root.get(P + '/NOPE')
    assert (response.status_code, response.json()) == (404, NOT_FOUND)


def test_one_match_in_any_scope_needs_no_filter(root):
    root.post(P, json={'key': 'ONLY', 'value': 'v', 'environment_scope': 'production'})
    assert root.get(P + '/ONLY').json()['environment_scope'] == 'production'


@pytest.mark.usefixtures('two_scopes')
def test_filter_selects_exactly_and_star_is_literal(root):
    assert root.get(P + '/DB', params={'filter[environment_scope]': 'staging'}).json()['value'] == 'staging'
    assert root.get(P + '/DB', params={'filter[environment_scope]': '*'}).status_code == 404
    assert root.put(P + '/DB', json={'value': 'p2', 'filter': {'environment_scope': 'production'}}).json()['value'] == 'p2'
    assert root.delete(P + '/DB', params={'filter[environment_scope]': 'staging'}).status_code == 204
    assert root.get(P + '/DB').json()['environment_scope'] == 'production'


def test_key_match_is_case_sensitive(root):
    root.post(P, json={'key': 'foo', 'value': '1'})
    assert root.post(P, json={'key': 'FOO', 'value': '2'}).status_code == 201
    assert root.get(P + '/foo').json()['value'] == '1'


# ---- duplicates -----------------------------------------------------------------------------------


def test_duplicate_key_and_scope_is_400_new_scope_is_201(root):
    assert root.post(P, json={'key': 'DUP', 'value': '1'}).status_code == 201
    response = root.post(P, json={'key': 'DUP', 'value': '2'})
    assert (response.status_code, response.json()) == (400, {'message': {'key': ['(DUP) has already been taken']}})
    assert root.post(P, json={'key': 'DUP', 'value': '3', 'environment_scope': 'production'}).status_code == 201


@pytest.mark.usefixtures('two_scopes')
def test_put_moves_the_variable_and_cannot_collide(root):
    moved = root.put(P + '/DB', json={'environment_scope': 'review/x'}, params={'filter[environment_scope]': 'staging'})
    assert moved.json()['environment_scope'] == 'review/x'
    assert moved.json()['value'] == 'staging'        # no value: the old one is kept
    clash = root.put(P + '/DB', json={'environment_scope': 'production'}, params={'filter[environment_scope]': 'review/x'})
    assert (clash.status_code, clash.json()) == (400, {'message': {'key': ['(DB) has already been taken']}})


def test_put_cannot_rename(root, fake):
    root.post(P, json={'key': 'OLD', 'value': 'v'})
    assert root.put(P + '/OLD', json={'key': 'NEW', 'value': 'w'}).json()['key'] == 'OLD'
    assert [v['key'] for v in state_variables(fake, 'project', 'acme/app')] == ['OLD']


# ---- hidden ---------------------------------------------------------------------------------------------


def test_hidden_value_is_null_everywhere_but_stored(root, fake):
    created = root.post(P, json={'key': 'SECRET', 'value': 'hunter2-hunter2', 'masked_and_hidden': True, 'masked': False})
    assert created.status_code == 201
    assert created.json() == entity('SECRET', None, hidden=True, masked=True)
    assert root.get(P + '/SECRET').json()['value'] is None
    assert root.get(P).json()[0]['value'] is None
    updated = root.put(P + '/SECRET', json={'value': 'changed-changed'})
    assert (updated.status_code, updated.json()['value']) == (200, None)
    assert state_variables(fake, 'project', 'acme/app')[0]['value'] == 'changed-changed'


def test_hidden_forces_masking_rules(root):
    response = root.post(P, json={'key': 'SECRET', 'value': 'short', 'masked_and_hidden': True})
    assert (response.status_code, response.json()) == (400, INVALID_VALUE)


def test_hidden_cannot_be_unmasked_or_changed_by_put(root):
    root.post(P, json={'key': 'SECRET', 'value': 'hunter2-hunter2', 'masked_and_hidden': True})
    response = root.put(P + '/SECRET', json={'masked': False})
    assert (response.status_code, response.json()) == (
        400, {'message': {'base': ['The visibility setting cannot be changed for masked and hidden variables.']}})
    assert root.put(P + '/SECRET', json={'masked': True}).status_code == 200
    assert root.put(P + '/SECRET', json={'masked_and_hidden': False, 'hidden': False}).json()['hidden'] is True


def test_existing_variable_cannot_be_hidden_by_put(root):
    root.post(P, json={'key': 'PLAIN', 'value': 'hunter2-hunter2'})
    assert root.put(P + '/PLAIN', json={'masked_and_hidden': True}).json()['hidden'] is False
    assert root.put(P + '/PLAIN', json={'masked': True}).json()['masked'] is True      # not hidden: free to switch


# ---- masked values --------------------------------------------------------------------------------------


@pytest.mark.parametrize('value, expanded_ok, raw_ok', [
    ('hello\\rworld', False, True),          # literal backslash
    ('HelloWorld%#^', False, True),
    ('Hello+World_123/@:-~.', True, True),
    ('1234567', False, False),               # too short
    ('12345678', True, True),
    ('has space inside', False, False),
    ('abcdefgh\n', False, False),            # a trailing newline fails \z
    ('$DOLLAR$sign', False, True),
])
def test_masked_value_regexes(root, value, expanded_ok, raw_ok):
    expanded = root.post(P, json={'key': 'M1', 'value': value, 'masked': True})
    raw = root.post(P, json={'key': 'M2', 'value': value, 'masked': True, 'raw': True})
    assert (expanded.status_code, raw.status_code) == (201 if expanded_ok else 400, 201 if raw_ok else 400)
    for response in (expanded, raw):
        if response.status_code == 400:
            assert response.json() == INVALID_VALUE


def test_masking_is_checked_on_update_too(root):
    root.post(P, json={'key': 'M', 'value': 'not masked!'})
    response = root.put(P + '/M', json={'masked': True})
    assert (response.status_code, response.json()) == (400, INVALID_VALUE)


# ---- key, scope, description --------------------------------------------------------------------------------


@pytest.mark.parametrize('key, messages', [
    ('BAD-KEY', ["can contain only letters, digits and '_'."]),
    ('K' * 256, ['is too long (maximum is 255 characters)']),
    ('', ["can't be blank", "can contain only letters, digits and '_'."]),
    ('  ', ["can't be blank", "can contain only letters, digits and '_'."]),
])
def test_key_validation(root, key, messages):
    response = root.post(P, json={'key': key, 'value': 'v'})
    assert (response.status_code, response.json()) == (400, {'message': {'key': messages}})


def test_key_255_is_fine_and_whitespace_is_stripped(root):
    assert root.post(P, json={'key': 'K' * 255, 'value': 'v'}).status_code == 201
    created = root.post(P, json={'key': '  PADDED\t', 'value': 'v', 'environment_scope': ' production '})
    assert (created.json()['key'], created.json()['environment_scope']) == ('PADDED', 'production')


def test_environment_scope_rules(root):
    assert root.post(P, json={'key': 'S1', 'value': 'v'}).json()['environment_scope'] == '*'
    assert root.post(P, json={'key': 'S2', 'value': 'v', 'environment_scope': 'review/${CI_X} a.b-c*'}).status_code == 201
    response = root.post(P, json={'key': 'S3', 'value': 'v', 'environment_scope': 'prod!'})
    assert (response.status_code, response.json()) == (400, {'message': {'environment_scope': [
        "can contain only letters, digits, '-', '_', '/', '$', '{', '}', '.', '*' and spaces"]}})
    blank = root.post(P, json={'key': 'S4', 'value': 'v', 'environment_scope': ' '})
    assert blank.json()['message']['environment_scope'][0] == "can't be blank"


def test_description_limit(root):
    assert root.post(P, json={'key': 'D1', 'value': 'v', 'description': 'd' * 255}).status_code == 201
    response = root.post(P, json={'key': 'D2', 'value': 'v', 'description': 'd' * 256})
    assert (response.status_code, response.json()) == (400, {'message': {'description': ['is too long (maximum is 255 characters)']}})


def test_several_model_errors_come_together(root):
    response = root.post(P, json={'key': 'BAD KEY', 'value': 'x', 'masked': True, 'environment_scope': 'a!'})
    assert response.json() == {'message': {
        'key': ["can contain only letters, digits and '_'."],
        'value': ['is invalid'],
        'environment_scope': ["can contain only letters, digits, '-', '_', '/', '$', '{', '}', '.', '*' and spaces"]}}


# ---- Grape parameter errors (lib/api/ci/variables.rb) -----------------------------------------------------------------------


@pytest.mark.parametrize('body, message', [
    ({}, 'key is missing, value is missing'),
    ({'key': 'A'}, 'value is missing'),
    ({'value': 'v'}, 'key is missing'),
    ({'key': 'A', 'value': 'v', 'variable_type': 'secret'}, 'variable_type does not have a valid value'),
    ({'key': 'A', 'value': 'v', 'protected': 'maybe'}, 'protected is invalid'),
    ({'key': 'A', 'value': 'v', 'masked': [True]}, 'masked is invalid'),
    ({'key': ['A'], 'value': 'v'}, 'key is invalid'),
    ({'value': 'v', 'raw': 'sure'}, 'key is missing, raw is invalid'),
])
def test_grape_parameter_errors(root, body, message):
    response = root.post(P, json=body)
    assert (response.status_code, response.json()) == (400, {'error': message})


def test_put_filter_must_be_a_hash(root):
    root.post(P, json={'key': 'A', 'value': 'v'})
    response = root.put(P + '/A', data={'value': 'w', 'filter': 'production'})
    assert (response.status_code, response.json()) == (400, {'error': 'filter is invalid'})


@pytest.mark.parametrize('sent, stored', [
    (True, True), (False, False), ('true', True), ('false', False), ('1', True), ('0', False),
    # Grape Boolean is dry-types Params::Bool: yes/no/on/off/t/f are booleans too.
    ('yes', True), ('off', False),
])
def test_project_booleans_are_grape_booleans(root, sent, stored):
    assert root.post(P, json={'key': 'B', 'value': 'v', 'protected': sent}).json()['protected'] is stored


def test_undeclared_params_are_ignored(root):
    created = root.post(P, json={'key': 'U', 'value': 'v', 'hidden': True, 'id': 99, 'colour': 'red'})
    assert created.json() == entity('U', 'v')


# ---- permissions (app/policies/project_policy.rb) ------------------------------------------------------------------------------------


@pytest.mark.parametrize('token, status, body', [
    (MAINT, 200, None),                                    # Maintainer through the acme group
    (DEV, 200, None),                                      # Maintainer of acme/app itself
    (REPORTER, 403, {'message': '403 Forbidden'}),
    (GUEST, 403, {'message': '403 Forbidden'}),
    (OUTSIDER, 404, {'message': '404 Project Not Found'}),
    (None, 401, {'message': '401 Unauthorized'}),
])
def test_maintainer_or_above(api, token, status, body):
    response = api(token).get(P)
    assert response.status_code == status
    if body:
        assert response.json() == body


def test_developer_gets_403(api):
    response = api(DEV).get('/projects/acme%2Fplatform%2Fapi/variables')     # dev is Developer via acme
    assert (response.status_code, response.json()) == (403, {'message': '403 Forbidden'})


def test_auth_and_visibility_come_before_parameter_errors(api):
    assert api(None).post(P, json={}).status_code == 401
    assert api(OUTSIDER).post(P, json={}).json() == {'message': '404 Project Not Found'}
    assert api(GUEST).post(P, json={}).json() == {'message': '403 Forbidden'}
    assert api(ROOT).post(P, json={}).json() == {'error': 'key is missing, value is missing'}


# ---- list, order, limit ------------------------------------------------------------------------------------------


def test_list_keeps_creation_order_and_seeded_values(api):
    listed = api(ROOT).get('/projects/acme%2Fplatform%2Fapi/variables')
    assert [(v['key'], v['environment_scope']) for v in listed.json()] == [
        ('DATABASE_URL', 'production'), ('DATABASE_URL', 'staging'), ('API_TOKEN', '*')]
    assert listed.json()[2]['value'] is None
    assert listed.headers['X-Total'] == '3'


def test_plan_limit(make_fake):
    server = make_fake({'users': [{'username': 'root', 'token': ROOT, 'admin': True}], 'groups': [{'path': 'g'}],
                        'projects': [{'path': 'g/p'}], 'limits': {'project_ci_variables': 2}})
    api = Api(server)
    for key in ('A', 'B'):
        assert api.post('/projects/g%2Fp/variables', json={'key': key, 'value': 'v'}).status_code == 201
    response = api.post('/projects/g%2Fp/variables', json={'key': 'C', 'value': 'v'})
    assert (response.status_code, response.json()) == (400, {'message': {'base': ['Maximum number of project ci variables (2) exceeded']}})
    assert api.put('/projects/g%2Fp/variables/A', json={'value': 'w'}).status_code == 200
