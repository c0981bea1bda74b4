"""Group CI/CD variables: https://docs.gitlab.com/api/group_level_variables/, lib/api/group_variables.rb."""

import email.utils
import time

import pytest

from tests.fidelity.helpers import DEV, GUEST, MAINT, OUTSIDER, OWNER, ROOT, Api, state_variables

G = '/groups/acme/variables'
NOT_FOUND = {'message': '404 GroupVariable Not Found'}
MULTIPLE = {'message': "There are multiple variables with provided parameters. Please use 'filter[environment_scope]'"}


@pytest.fixture
def owner(api):
    return api(OWNER)


@pytest.fixture
def two_scopes(owner):
    for scope in ('production', 'staging'):
        assert owner.post(G, json={'key': 'DB', 'value': scope, 'environment_scope': scope}).status_code == 201


def test_crud_and_entity(owner, fake):
    created = owner.post(G, json={'key': 'G', 'value': 'v', 'description': 'd'})
    assert (created.status_code, created.json()) == (201, {
        'variable_type': 'env_var', 'key': 'G', 'value': 'v', 'hidden': False, 'protected': False, 'masked': False,
        'raw': False, 'environment_scope': '*', 'description': 'd'})
    assert owner.put(G + '/G', json={'value': 'w'}).status_code == 200
    assert state_variables(fake, 'group', 'acme')[0]['value'] == 'w'
    deleted = owner.delete(G + '/G')
    assert (deleted.status_code, deleted.content) == (204, b'')


@pytest.mark.parametrize('token, status, body', [
    (OWNER, 200, None),
    (ROOT, 200, None),
    (MAINT, 403, {'message': '403 Forbidden'}),            # GroupPolicy: admin_cicd_variables is Owner-only
    (DEV, 403, {'message': '403 Forbidden'}),
    (GUEST, 403, {'message': '403 Forbidden'}),
    (OUTSIDER, 404, {'message': '404 Group Not Found'}),
    (None, 401, {'message': '401 Unauthorized'}),
])
def test_owner_only(api, token, status, body):
    response = api(token).get(G)
    assert response.status_code == status
    if body:
        assert response.json() == body


def test_nested_group_inherits_ownership(api):
    assert api(OWNER).get('/groups/acme%2Fplatform/variables').status_code == 200
    assert api(OWNER).get('/groups/4/variables').status_code == 200


def test_404_text(owner):
    for method in ('GET', 'PUT', 'DELETE'):
        response = owner.request(method, G + '/NOPE', json={'value': 'x'} if method == 'PUT' else None)
        assert (response.status_code, response.json()) == (404, NOT_FOUND)


@pytest.mark.parametrize('method', ['GET', 'DELETE'])
@pytest.mark.usefixtures('two_scopes')
def test_get_and_delete_are_409_when_ambiguous(owner, method):
    response = owner.request(method, G + '/DB')
    assert (response.status_code, response.json()) == (409, MULTIPLE)


@pytest.mark.usefixtures('two_scopes')
def test_put_without_filter_updates_one_of_them(owner, fake):
    response = owner.put(G + '/DB', json={'value': 'changed'})
    assert response.status_code == 200
    assert response.json()['environment_scope'] == 'production'      # the first one
    assert [v['value'] for v in state_variables(fake, 'group', 'acme')] == ['changed', 'staging']


@pytest.mark.usefixtures('two_scopes')
def test_put_with_filter(owner, fake):
    response = owner.put(G + '/DB', json={'value': 's2'}, params={'filter[environment_scope]': 'staging'})
    assert response.json()['environment_scope'] == 'staging'
    assert [v['value'] for v in state_variables(fake, 'group', 'acme')] == ['production', 's2']
    blank_filter = owner.put(G + '/DB', json={'value': 'x'}, params={'filter[environment_scope]': ''})
    assert (blank_filter.status_code, blank_filter.json()) == (409, MULTIPLE)


def test_put_with_unmatched_filter_falls_back_to_the_key(owner, fake):
    """ChangeVariableService: ``params[:variable] || find_by!(key:)`` - another scope gets updated."""
    owner.post(G, json={'key': 'ONLY', 'value': 'v', 'environment_scope': 'production'})
    response = owner.put(G + '/ONLY', json={'value': 'w'}, params={'filter[environment_scope]': 'staging'})
    assert (response.status_code, response.json()['environment_scope']) == (200, 'production')
    assert state_variables(fake, 'group', 'acme')[0]['value'] == 'w'
    missing = owner.put(G + '/NOPE', json={'value': 'w'}, params={'filter[environment_scope]': 'staging'})
    assert (missing.status_code, missing.json()) == (404, NOT_FOUND)


def test_get_filter_without_match_is_404(owner):
    owner.post(G, json={'key': 'ONLY', 'value': 'v', 'environment_scope': 'production'})
    response = owner.get(G + '/ONLY', params={'filter[environment_scope]': 'staging'})
    assert (response.status_code, response.json()) == (404, NOT_FOUND)


def test_duplicate_and_new_scope(owner):
    owner.post(G, json={'key': 'DUP', 'value': '1'})
    response = owner.post(G, json={'key': 'DUP', 'value': '2'})
    assert (response.status_code, response.json()) == (400, {'message': {'key': ['(DUP) has already been taken']}})
    assert owner.post(G, json={'key': 'DUP', 'value': '3', 'environment_scope': 'dev'}).status_code == 201


@pytest.mark.parametrize('sent, stored', [
    ('false', False), ('0', False), ('f', False), ('off', False), ('FALSE', False), ('no', False), ('N', False), (0, False),
    ('true', True), ('1', True), ('yes', True), ('On', True), (1, True), (True, True), (False, False),
])
def test_flags_are_grape_booleans(owner, sent, stored):
    """lib/api/group_variables.rb declares protected/masked/raw ``type: Boolean`` (dry-types Params::Bool)."""
    response = owner.post(G, json={'key': 'C', 'value': 'v', 'protected': sent})
    assert (response.status_code, response.json()['protected']) == (201, stored)


@pytest.mark.parametrize('field', ['protected', 'masked', 'raw'])
def test_unknown_flag_word_is_400(owner, fake, field):
    """Older GitLab (``type: String``, cast by Rails) stored ``maybe`` as true; Grape Boolean rejects it."""
    response = owner.post(G, json={'key': 'C', 'value': 'hunter2-hunter2', field: 'maybe'})
    assert (response.status_code, response.json()) == (400, {'error': '%s is invalid' % field})
    assert owner.post(G, json={'key': 'C', 'value': 'v'}).status_code == 201
    update = owner.put(G + '/C', json={field: 'maybe'})
    assert (update.status_code, update.json()) == (400, {'error': '%s is invalid' % field})
    assert state_variables(fake, 'group', 'acme')[0][field] is False


def test_masked_no_means_not_masked(owner):
    """``masked=no`` is false for Grape, so a value that cannot be masked is accepted."""
    response = owner.post(G, json={'key': 'C', 'value': 'no mask', 'masked': 'no'})
    assert (response.status_code, response.json()['masked']) == (201, False)


def test_flag_errors_in_declaration_order(owner):
    response = owner.post(G, json={'value': 'v', 'raw': 'sure', 'protected': 'maybe', 'masked_and_hidden': [1]})
    assert (response.status_code, response.json()) == (
        400, {'error': 'key is missing, protected is invalid, masked_and_hidden is invalid, raw is invalid'})


def test_masked_and_hidden_is_a_grape_boolean(owner):
    response = owner.post(G, json={'key': 'H', 'value': 'hunter2-hunter2', 'masked_and_hidden': 'maybe'})
    assert (response.status_code, response.json()) == (400, {'error': 'masked_and_hidden is invalid'})
    hidden = owner.post(G, json={'key': 'H', 'value': 'hunter2-hunter2', 'masked_and_hidden': 'true'})
    assert (hidden.json()['hidden'], hidden.json()['masked'], hidden.json()['value']) == (True, True, None)
    unmask = owner.put(G + '/H', json={'masked': 'false'})
    assert unmask.json() == {'message': {'base': ['The visibility setting cannot be changed for masked and hidden variables.']}}


def test_variable_type_values(owner):
    response = owner.post(G, json={'key': 'T', 'value': 'v', 'variable_type': 'secret'})
    assert (response.status_code, response.json()) == (400, {'error': 'variable_type does not have a valid value'})


def test_free_licence_drops_environment_scope(make_fake):
    server = make_fake({'license': 'free', 'users': [{'username': 'root', 'token': ROOT, 'admin': True}], 'groups': [{'path': 'g'}]})
    api = Api(server)
    created = api.post('/groups/g/variables', json={'key': 'A', 'value': 'v', 'environment_scope': 'production'})
    assert (created.status_code, created.json()['environment_scope']) == (201, '*')
    assert api.post('/groups/g/variables', json={'key': 'A', 'value': 'w', 'environment_scope': 'staging'}).status_code == 400
    assert api.put('/groups/g/variables/A', json={'environment_scope': 'production'}).json()['environment_scope'] == '*'


def test_delete_honours_if_unmodified_since(owner):
    owner.post(G, json={'key': 'A', 'value': 'v'})
    past = email.utils.formatdate(time.time() - 3600, usegmt=True)
    response = owner.delete(G + '/A', headers={'If-Unmodified-Since': past})
    assert (response.status_code, response.json()) == (412, {'message': '412 Precondition Failed'})
    future = email.utils.formatdate(time.time() + 3600, usegmt=True)
    assert owner.delete(G + '/A', headers={'If-Unmodified-Since': future}).status_code == 204


def test_plan_limit_message(make_fake):
    server = make_fake({'users': [{'username': 'root', 'token': ROOT, 'admin': True}], 'groups': [{'path': 'g'}],
                        'limits': {'group_ci_variables': 1}})
    api = Api(server)
    api.post('/groups/g/variables', json={'key': 'A', 'value': 'v'})
    response = api.post('/groups/g/variables', json={'key': 'B', 'value': 'v'})
    assert response.json() == {'message': {'base': ['Maximum number of group ci variables (1) exceeded']}}
