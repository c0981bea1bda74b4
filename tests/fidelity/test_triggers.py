"""Pipeline trigger token CRUD: https://docs.gitlab.com/api/pipeline_triggers/, lib/api/ci/triggers.rb.

Seeds/default.yml: acme/app has triggers 1 and 2 (owner dev, both ``shared-description``) and 3
(owner maint, ``maint-trigger``); acme/many-triggers has triggers 4-28 (owner root).  dev and maint
are Maintainers of acme/app; dev is only a Developer of acme/platform/api (through acme).
"""

import datetime
import re

import gitlab
import pytest
import requests

from tests.fidelity.helpers import DEV, MAINT, OUTSIDER, REPORTER, ROOT, TIMEOUT, Api

P = '/projects/acme%2Fapp/triggers'
MANY = '/projects/acme%2Fmany-triggers/triggers'
API = '/projects/acme%2Fplatform%2Fapi/triggers'
FIELDS = ['id', 'token', 'description', 'created_at', 'updated_at', 'last_used', 'expires_at', 'owner']
FULL_TOKEN = re.compile(r'^glptt-[0-9a-f]{40}$')
TIME = re.compile(r'^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$')
NOT_FOUND = {'message': '404 Not found'}
FORBIDDEN = {'message': '403 Forbidden'}
UPDATE_FORBIDDEN = {'message': '403 Forbidden - The current user is not authorized to update the pipeline trigger token'}
SEED_TIME = '2024-01-01T00:00:00.000Z'
LEGACY_TOKEN = '6d056f63e50fe6f8c5f8f4aa10edb7'


def tokens(fake, path='acme/app'):
    """Full tokens by trigger id, from the state dump (independent of the API)."""
    state = requests.get(fake.url + '/-/fake/state', timeout=TIMEOUT).json()
    return {t['id']: t['token'] for t in next(p for p in state['projects'] if p['full_path'] == path)['triggers']}


def owner(fake, user_id, username):
    return {'id': user_id, 'username': username, 'name': username, 'state': 'active', 'locked': False,
            'avatar_url': None, 'web_url': '%s/%s' % (fake.url, username)}


def in_days(days):
    return datetime.datetime.now(datetime.timezone.utc).date() + datetime.timedelta(days=days)


def expect(response, status, body):
    assert (response.status_code, response.json()) == (status, body)


# ---- token visibility, list, get ---------------------------------------------------------------------


def test_list_shows_full_tokens_to_their_owner_and_to_admins(api, fake):
    full = tokens(fake)
    assert all(FULL_TOKEN.match(token) for token in full.values())
    by_dev = api(DEV).get(P)
    assert by_dev.status_code == 200 and by_dev.headers['X-Total'] == '3'
    assert [t['token'] for t in by_dev.json()] == [full[1], full[2], full[3][6:10]]
    assert [t['token'] for t in api(MAINT).get(P).json()] == [full[1][6:10], full[2][6:10], full[3]]
    # Newest app/policies/ci/trigger_policy.rb: ``admin | is_owner`` enables admin_trigger.
    assert [t['token'] for t in api(ROOT).get(P).json()] == [full[1], full[2], full[3]]
    first = by_dev.json()[0]
    assert list(first) == FIELDS
    assert first == {'id': 1, 'token': full[1], 'description': 'shared-description', 'created_at': SEED_TIME,
                     'updated_at': SEED_TIME, 'last_used': None, 'expires_at': None, 'owner': owner(fake, 2, 'dev')}
    assert by_dev.json()[2]['owner']['username'] == 'maint'


def test_get_one_trigger(api, fake):
    full = tokens(fake)
    response = api(MAINT).get(P + '/3')
    assert response.status_code == 200 and response.headers['Content-Type'] == 'application/json'
    assert response.json() == dict(api(MAINT).get(P).json()[2], token=full[3])
    assert api(DEV).get(P + '/3').json()['token'] == full[3][6:10]


def test_25_triggers_paginate_with_counts(api):
    dev = api(DEV)
    first = dev.get(MANY)
    assert [t['description'] for t in first.json()] == ['trigger-%02d' % i for i in range(20)]
    assert {name: first.headers[name] for name in ('X-Total', 'X-Total-Pages', 'X-Per-Page', 'X-Page', 'X-Next-Page', 'X-Prev-Page')} == {
        'X-Total': '25', 'X-Total-Pages': '2', 'X-Per-Page': '20', 'X-Page': '1', 'X-Next-Page': '2', 'X-Prev-Page': ''}
    assert 'rel="last"' in first.headers['Link']
    second = dev.get(MANY, params={'page': 2})
    assert [t['id'] for t in second.json()] == list(range(24, 29)) and second.headers['X-Next-Page'] == ''
    whole = dev.get(MANY, params={'per_page': 100})
    assert [t['description'] for t in whole.json()] == ['trigger-%02d' % i for i in range(25)]
    assert all(len(t['token']) == 4 for t in whole.json())                       # root owns them
    expect(dev.get(MANY, params={'per_page': 0}), 400, {'error': 'per_page has a value not allowed'})


@pytest.mark.parametrize('method', ['GET', 'PUT', 'DELETE'])
@pytest.mark.parametrize('trigger_id', ['4', '999', '-5'])
def test_unknown_or_other_projects_trigger_is_404_lower_case(api, method, trigger_id):
    expect(api(DEV).request(method, P + '/' + trigger_id, json={'description': 'x'}), 404, NOT_FOUND)


def test_bad_trigger_id_is_a_param_error(api):
    expect(api(DEV).get(P + '/abc'), 400, {'error': 'trigger_id is invalid'})


def test_project_lookup_and_roles(api):
    for token, path in ((DEV, '/projects/acme%2Fnope/triggers'), (OUTSIDER, P), (ROOT, '/projects/app/triggers')):
        expect(api(token).get(path), 404, {'message': '404 Project Not Found'})
    expect(api(None).get(P), 401, {'message': '401 Unauthorized'})
    expect(api(REPORTER).get(P), 403, FORBIDDEN)
    expect(api(REPORTER).get(P + '/1'), 403, FORBIDDEN)


def test_developer_is_refused(api):
    created = api(ROOT).post(API, json={'description': 'root-only'}).json()
    dev = api(DEV)
    expect(dev.get(API), 403, FORBIDDEN)
    expect(dev.get(API + '/%d' % created['id']), 403, FORBIDDEN)
    expect(dev.post(API, json={'description': 'mine'}), 403, FORBIDDEN)
    expect(dev.delete(API + '/%d' % created['id']), 403, FORBIDDEN)
    # PUT has no role check in the route: UpdateService refuses with its own message.
    expect(dev.put(API + '/%d' % created['id'], json={'description': 'x'}), 403, UPDATE_FORBIDDEN)
    # Grape validates parameters before the handler looks at the project or the role.
    expect(dev.post(API, json={}), 400, {'error': 'description is missing'})


# ---- create ----------------------------------------------------------------------------------------------


def test_create_returns_the_full_token_to_its_owner(api, fake):
    response = api(MAINT).post(P, json={'description': 'deploy'})
    assert response.status_code == 201
    body = response.json()
    assert list(body) == FIELDS and FULL_TOKEN.match(body['token'])
    assert (body['id'], body['description'], body['owner'], body['last_used'], body['expires_at']) == (
        29, 'deploy', owner(fake, 4, 'maint'), None, None)
    assert TIME.match(body['created_at']) and body['updated_at'] == body['created_at']
    assert tokens(fake)[29] == body['token']
    assert fake.state.find_trigger_by_token(body['token'])[1].id == 29
    assert api(DEV).get(P + '/29').json()['token'] == body['token'][6:10]
    assert api(ROOT).post(P, data={'description': 'form'}).json()['owner']['username'] == 'root'


def test_description_missing_blank_or_null(api):
    maint = api(MAINT)
    expect(maint.post(P, json={}), 400, {'error': 'description is missing'})
    expect(maint.post(P, json={'description': ['a']}), 400, {'error': 'description is invalid'})
    # Ci::Trigger has no validation on description: blank and null are stored as given.
    assert [maint.post(P, json={'description': value}).json()['description'] for value in ('', None)] == ['', None]


def test_expires_at_is_normalised_to_utc_milliseconds(api):
    maint = api(MAINT)
    day = in_days(30).isoformat()
    created = maint.post(P, json={'description': 'expiring', 'expires_at': day + 'T10:20:30.4567+02:00'})
    assert (created.status_code, created.json()['expires_at']) == (201, day + 'T08:20:30.456Z')
    assert maint.post(P, data={'description': 'date only', 'expires_at': day}).json()['expires_at'] == day + 'T00:00:00.000Z'
    assert maint.post(P, json={'description': 'empty', 'expires_at': ''}).json()['expires_at'] is None
    assert maint.get(P + '/%d' % created.json()['id']).json()['expires_at'] == day + 'T08:20:30.456Z'


@pytest.mark.parametrize('value', ['abc', '2025-13-01', 'tomorrow', 5, True])
def test_invalid_expires_at_is_a_param_error(api, value):
    expect(api(MAINT).post(P, json={'description': 'x', 'expires_at': value}), 400, {'error': 'expires_at is invalid'})


def test_param_errors_are_joined_in_declaration_order(api):
    expect(api(MAINT).post(P, json={'expires_at': 'abc'}), 400, {'error': 'description is missing, expires_at is invalid'})


def test_expires_at_beyond_a_year_is_a_model_error_as_a_json_string(api, fake):
    limit = in_days(365).isoformat()
    response = api(MAINT).post(P, json={'description': 'x', 'expires_at': limit})
    expect(response, 400, {'message': '400 Bad request - {"expires_at":["must be before %s"]}' % limit})
    assert len(tokens(fake)) == 3
    assert api(MAINT).post(P, json={'description': 'x', 'expires_at': in_days(364).isoformat() + 'T23:59:59Z'}).status_code == 201


def test_past_expires_at_is_accepted_and_the_trigger_is_hidden(api, fake):
    """No validation rejects a past date; ``Project#triggers`` is ``not_expired`` (app/models/project.rb)."""
    maint = api(MAINT)
    created = maint.post(P, json={'description': 'gone', 'expires_at': '2020-01-01'})
    assert (created.status_code, created.json()['expires_at']) == (201, '2020-01-01T00:00:00.000Z')
    expect(maint.get(P + '/29'), 404, NOT_FOUND)
    assert [t['id'] for t in maint.get(P).json()] == [1, 2, 3]
    assert 29 in tokens(fake)


def test_expiration_flag_off_ignores_expires_at(make_fake):
    seed = {'users': [{'username': 'm', 'token': 'glpat-m'}], 'feature_flags': {'trigger_token_expiration': False},
            'projects': [{'path': 'm/p', 'triggers': [{'description': 'old', 'owner': 'm', 'expires_at': '2020-01-01'}]}]}
    maint = Api(make_fake(seed), 'glpat-m')
    assert maint.get('/projects/m%2Fp/triggers').json()[0]['expires_at'] == '2020-01-01T00:00:00.000Z'
    created = maint.post('/projects/m%2Fp/triggers', json={'description': 'x', 'expires_at': '2099-01-01'})
    assert (created.status_code, created.json()['expires_at']) == (201, None)
    expect(maint.post('/projects/m%2Fp/triggers', json={'description': 'x', 'expires_at': 'abc'}), 400, {'error': 'expires_at is invalid'})


def test_plan_limit(make_fake):
    seed = {'users': [{'username': 'm', 'token': 'glpat-m'}], 'limits': {'pipeline_triggers': 1},
            'projects': [{'path': 'm/p', 'triggers': [{'description': 'one', 'owner': 'm'}]}]}
    response = Api(make_fake(seed), 'glpat-m').post('/projects/m%2Fp/triggers', json={'description': 'two'})
    expect(response, 400, {'message': '400 Bad request - {"base":["Maximum number of pipeline triggers (1) exceeded"]}'})


# ---- update and delete ---------------------------------------------------------------------------------


def test_update_by_owner(api, fake):
    response = api(DEV).put(P + '/1', json={'description': 'renamed'})
    assert response.status_code == 200
    body = response.json()
    assert (body['description'], body['token'], body['created_at']) == ('renamed', tokens(fake)[1], SEED_TIME)
    assert TIME.match(body['updated_at']) and body['updated_at'] > SEED_TIME
    unchanged = api(DEV).put(P + '/2', json={'description': 'shared-description'}).json()
    assert unchanged['updated_at'] == SEED_TIME                                   # no change, no touch
    # PUT passes description even when absent: it is cleared.
    assert api(DEV).put(P + '/1').json()['description'] is None


@pytest.mark.parametrize('token', [MAINT, REPORTER])
def test_update_by_anyone_else_is_403_with_the_service_message(api, token):
    expect(api(token).put(P + '/1', json={'description': 'taken'}), 403, UPDATE_FORBIDDEN)
    assert api(DEV).get(P + '/1').json()['description'] == 'shared-description'


def test_an_admin_may_update_any_trigger_and_sees_its_token(api, fake):
    """admin_trigger is ``admin | is_owner`` (app/policies/ci/trigger_policy.rb); older GitLab: owner only."""
    root = api(ROOT)
    assert root.get(P + '/3').json()['token'] == tokens(fake)[3]
    response = root.put(P + '/3', json={'description': 'renamed by root'})
    assert response.status_code == 200
    body = response.json()
    assert (body['description'], body['token'], body['owner']['username']) == ('renamed by root', tokens(fake)[3], 'maint')
    assert api(DEV).get(P + '/3').json()['token'] == tokens(fake)[3][6:10]    # still maint's: dev sees 4 characters


def test_delete_by_a_maintainer_who_does_not_own_it(api, fake):
    maint = api(MAINT)
    response = maint.delete(P + '/1')
    assert (response.status_code, response.content) == (204, b'')
    expect(maint.get(P + '/1'), 404, NOT_FOUND)
    expect(maint.delete(P + '/1'), 404, NOT_FOUND)
    assert sorted(tokens(fake)) == [2, 3]
    expect(api(REPORTER).delete(P + '/2'), 403, FORBIDDEN)


def test_delete_honours_if_unmodified_since(api):
    maint = api(MAINT)
    expect(maint.delete(P + '/1', headers={'If-Unmodified-Since': 'Sun, 31 Dec 2023 00:00:00 GMT'}), 412,
           {'message': '412 Precondition Failed'})
    assert maint.delete(P + '/1', headers={'If-Unmodified-Since': 'Tue, 02 Jan 2024 00:00:00 GMT'}).status_code == 204


# ---- legacy ownerless triggers ---------------------------------------------------------------------------


def test_legacy_ownerless_trigger_is_an_admins_only(make_fake):
    """Newest trigger_policy.rb has no ``legacy``/``unowned`` rule: nobody owns the trigger, so only an admin
    has admin_trigger (older GitLab gave an ownerless trigger to every Maintainer)."""
    seed = {'users': [{'username': 'a', 'token': 'glpat-a'}, {'username': 'b', 'token': 'glpat-b'},
                      {'username': 'd', 'token': 'glpat-d'}, {'username': 'r', 'token': 'glpat-r', 'admin': True}],
            'groups': [{'path': 'g', 'members': {'a': 'maintainer', 'b': 'owner', 'd': 'developer'}}],
            'projects': [{'path': 'g/p', 'triggers': [{'description': 'legacy', 'owner': None, 'token': LEGACY_TOKEN},
                                                      {'description': 'mine', 'owner': 'a', 'created_at': '2023-05-01'}]}]}
    server = make_fake(seed)
    path = '/projects/g%2Fp/triggers'
    for token in ('glpat-a', 'glpat-b'):
        legacy, mine = Api(server, token).get(path).json()
        assert (legacy['id'], legacy['token'], legacy['owner']) == (1, LEGACY_TOKEN[:4], None)
        assert mine['created_at'] == '2023-05-01T00:00:00.000Z'
        assert len(mine['token']) == (46 if token == 'glpat-a' else 4)
    expect(Api(server, 'glpat-b').put(path + '/1', json={'description': 'renamed'}), 403, UPDATE_FORBIDDEN)
    expect(Api(server, 'glpat-b').put(path + '/2', json={'description': 'x'}), 403, UPDATE_FORBIDDEN)
    expect(Api(server, 'glpat-d').put(path + '/1', json={'description': 'x'}), 403, UPDATE_FORBIDDEN)   # needs admin_build
    assert Api(server, 'glpat-r').put(path + '/1', json={'description': 'renamed'}).json()['token'] == LEGACY_TOKEN
    assert server.state.find_trigger_by_token(LEGACY_TOKEN)[0].full_path == 'g/p'
    assert server.state.find_trigger_by_token('glptt-nope') == (None, None)


# ---- python-gitlab as a second opinion ---------------------------------------------------------------------


def test_python_gitlab_crud(fake):
    project = gitlab.Gitlab(fake.url, private_token=DEV).projects.get('acme/app', lazy=True)
    assert [t.description for t in project.triggers.list(get_all=True)] == ['shared-description'] * 2 + ['maint-trigger']
    many = gitlab.Gitlab(fake.url, private_token=DEV).projects.get('acme/many-triggers', lazy=True)
    assert len(many.triggers.list(get_all=True)) == 25
    created = project.triggers.create({'description': 'from python-gitlab'})
    assert FULL_TOKEN.match(created.token) and created.owner['username'] == 'dev'
    fetched = project.triggers.get(created.id)
    fetched.description = 'edited'
    fetched.save()
    assert project.triggers.get(created.id).description == 'edited'
    foreign = project.triggers.get(3)
    assert len(foreign.token) == 4
    foreign.description = 'taken over'
    with pytest.raises(gitlab.GitlabUpdateError) as info:
        foreign.save()
    assert (info.value.response_code, info.value.error_message) == (403, UPDATE_FORBIDDEN['message'])
    foreign.delete()                                               # any Maintainer may delete
    with pytest.raises(gitlab.GitlabGetError) as info:
        project.triggers.get(3)
    assert (info.value.response_code, info.value.error_message) == (404, '404 Not found')
    with pytest.raises(gitlab.GitlabCreateError) as info:
        project.triggers.create({'description': 'x', 'expires_at': 'soon'})
    assert (info.value.response_code, info.value.error_message) == (400, 'expires_at is invalid')
