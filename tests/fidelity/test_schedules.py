"""Pipeline schedules as GitLab answers them (tests/fake_gitlab/schedules.py).

GitLab: https://docs.gitlab.com/api/pipeline_schedules/, lib/api/ci/pipeline_schedules.rb,
app/policies/ci/pipeline_schedule_policy.rb, app/models/ci/pipeline_schedule.rb,
app/services/ci/pipeline_schedules/base_save_service.rb, app/validators/cron_validator.rb,
app/validators/cron_timezone_validator.rb, lib/gitlab/ci/cron_parser.rb,
lib/api/entities/ci/pipeline_schedule.rb, lib/api/entities/ci/pipeline_schedule_details.rb.
"""

import datetime

import pytest

from tests.fake_gitlab import schedules
from tests.fidelity.cihelpers import START, drive
from tests.fidelity.helpers import DEV, MAINT, REPORTER, ROOT, Api

P = '/projects/g%2Fp'
S = P + '/pipeline_schedules'
OTHER = 'glpat-other-dev-000000'
FORBIDDEN = {'message': '403 Forbidden'}
NOT_FOUND = {'message': '404 Pipeline Schedule Not Found'}
LIST_FIELDS = ['id', 'description', 'ref', 'cron', 'cron_timezone', 'next_run_at', 'active', 'created_at', 'updated_at',
               'owner', 'inputs']


def seed(**project):
    data = {'path': 'g/p', 'ci': [{'name': 'build', 'duration': 1}], 'branches': ['main', 'both'], 'tags': ['v1', 'both'],
            'schedules': [{'description': 'nightly', 'cron': '0 1 * * *', 'owner': 'dev',
                           'variables': [{'key': 'NIGHT', 'value': 's3cret'}]}]}
    data.update(project)
    return {'users': [{'username': 'root', 'token': ROOT, 'admin': True}, {'username': 'dev', 'token': DEV},
                      {'username': 'other', 'token': OTHER}, {'username': 'maint', 'token': MAINT},
                      {'username': 'rep', 'token': REPORTER}],
            'groups': [{'path': 'g', 'members': {'dev': 'developer', 'other': 'developer', 'maint': 'maintainer',
                                                 'rep': 'reporter'}}],
            'projects': [data]}


@pytest.fixture
def gl(make_fake):
    fake = make_fake(seed())
    drive(fake)
    return fake


def expect(response, status, body=None):
    assert response.status_code == status, response.text
    if body is not None:
        assert response.json() == body


def create(api, **body):
    body = dict(dict(description='weekly', ref='main', cron='0 2 * * 1'), **body)
    response = api.post(S, json=body)
    assert response.status_code == 201, response.text
    return response.json()


# ---- reading --------------------------------------------------------------------------------------


def test_list_shape_and_visibility(gl):
    listed = Api(gl, REPORTER).get(S)
    expect(listed, 200)
    item, = listed.json()
    assert list(item) == LIST_FIELDS
    assert item['ref'] == 'refs/heads/main' and item['owner']['username'] == 'dev' and item['inputs'] == []
    assert listed.headers['X-Total'] == '1'


def test_get_details_variables_for_owner_and_maintainers_only(gl):
    for token in (DEV, MAINT, ROOT):
        got = Api(gl, token).get(S + '/1').json()
        assert got['variables'] == [{'variable_type': 'env_var', 'key': 'NIGHT', 'value': 's3cret', 'raw': False}]
        assert got['last_pipeline'] is None
    for token in (OTHER, REPORTER):
        got = Api(gl, token).get(S + '/1').json()
        assert 'variables' not in got and 'last_pipeline' in got


def test_unknown_schedule_and_guest_are_404(gl, make_fake):
    expect(Api(gl, DEV).get(S + '/99'), 404, NOT_FOUND)
    expect(Api(gl, DEV).get(S + '/abc'), 400, {'error': 'pipeline_schedule_id is invalid'})


def test_scope_filter(gl):
    create(Api(gl, DEV), active=False)
    assert [s['description'] for s in Api(gl, DEV).get(S, params={'scope': 'inactive'}).json()] == ['weekly']
    assert [s['description'] for s in Api(gl, DEV).get(S, params={'scope': 'active'}).json()] == ['nightly']
    expect(Api(gl, DEV).get(S, params={'scope': 'x'}), 400, {'error': 'scope does not have a valid value'})


# ---- create and validation -----------------------------------------------------------------------------


def test_create_answers_details_without_variables(gl):
    made = create(Api(gl, OTHER), cron_timezone='Europe/Berlin')
    assert made['owner']['username'] == 'other' and made['active'] is True
    assert made['ref'] == 'refs/heads/main' and made['cron_timezone'] == 'Europe/Berlin'
    assert 'variables' not in made and made['last_pipeline'] is None
    assert made['id'] == 2


def test_create_needs_developer(gl):
    expect(Api(gl, REPORTER).post(S, json={'description': 'x', 'ref': 'main', 'cron': '* * * * *'}), 403, FORBIDDEN)


def test_create_missing_params(gl):
    expect(Api(gl, DEV).post(S, json={}), 400, {'error': 'description is missing, ref is missing, cron is missing'})


@pytest.mark.parametrize('cron', ['* * * *', '61 * * * *', '0 25 * * *', '*/0 * * * *', '0 0 32 * *', 'every day', '5-1 * * * *'])
def test_invalid_cron(gl, cron):
    expect(Api(gl, DEV).post(S, json={'description': 'x', 'ref': 'main', 'cron': cron}), 400,
           {'message': {'cron': [' is invalid syntax']}})


def test_invalid_timezone_and_blank_description(gl):
    expect(Api(gl, DEV).post(S, json={'description': ' ', 'ref': 'main', 'cron': '* * * * *', 'cron_timezone': 'Mars/Olympus'}),
           400, {'message': {'cron_timezone': [' is invalid syntax'], 'description': ["can't be blank"]}})


@pytest.mark.parametrize('ref,status,stored', [
    ('main', 201, 'refs/heads/main'), ('v1', 201, 'refs/tags/v1'), ('refs/heads/nope', 201, 'refs/heads/nope'),
    ('both', 400, None), ('nope', 400, None)])
def test_ref_expansion(gl, ref, status, stored):
    response = Api(gl, DEV).post(S, json={'description': 'x', 'ref': ref, 'cron': '* * * * *'})
    if status == 201:
        expect(response, 201)
        assert response.json()['ref'] == stored
    else:
        expect(response, 400, {'message': {'ref': ['is ambiguous']}})


def test_schedule_limit(make_fake):
    data = seed()
    data['limits'] = {'ci_pipeline_schedules': 1}
    fake = make_fake(data)
    expect(Api(fake, DEV).post(S, json={'description': 'x', 'ref': 'main', 'cron': '* * * * *'}), 400,
           {'message': {'base': ['Maximum number of ci pipeline schedules (1) exceeded']}})


# ---- next_run_at --------------------------------------------------------------------------------------


def test_next_run_at_follows_cron_and_zone(gl):
    # START is 2025-06-15T15:06:40Z, a Sunday.
    assert Api(gl, DEV).get(S + '/1').json()['next_run_at'] == '2025-06-16T01:03:00.000Z'    # worker tick 3-59/10
    made = create(Api(gl, DEV), cron='30 9 * * *', cron_timezone='Asia/Tokyo')
    assert made['next_run_at'] == '2025-06-16T00:33:00.000Z'


def test_next_time_pure():
    utc = datetime.timezone.utc
    start = datetime.datetime.fromtimestamp(START, utc)
    assert schedules.next_time(schedules.parse_cron('0 0 * * mon'), utc, start).isoformat() == '2025-06-16T00:00:00+00:00'
    assert schedules.next_time(schedules.parse_cron('@monthly'), utc, start).isoformat() == '2025-07-01T00:00:00+00:00'
    # both day fields restricted: either matches - the 17th (a Tuesday) comes before the next Friday (the 20th)
    assert schedules.next_time(schedules.parse_cron('0 0 17 * 5'), utc, start).isoformat() == '2025-06-17T00:00:00+00:00'
    assert schedules.next_time(schedules.parse_cron('0 0 29 2 *'), utc, start).isoformat() == '2028-02-29T00:00:00+00:00'
    berlin = schedules.find_zone('Europe/Berlin')
    assert schedules.next_time(schedules.parse_cron('0 3 * * *'), berlin, start).isoformat() == '2025-06-16T01:00:00+00:00'
    assert schedules.find_zone('Pacific Time (US & Canada)') is not None


# ---- edit and ownership ------------------------------------------------------------------------------


def test_only_the_owner_edits(gl):
    for token in (OTHER, MAINT):
        expect(Api(gl, token).put(S + '/1', json={'cron': '0 3 * * *'}), 403, FORBIDDEN)
    changed = Api(gl, DEV).put(S + '/1', json={'cron': '0 3 * * *', 'active': False})
    expect(changed, 200)
    assert changed.json()['cron'] == '0 3 * * *' and changed.json()['active'] is False and 'variables' not in changed.json()
    expect(Api(gl, ROOT).put(S + '/1', json={'description': 'by admin'}), 200)


def test_update_validation(gl):
    expect(Api(gl, DEV).put(S + '/1', json={'cron': '0 0 * *'}), 400, {'message': {'cron': [' is invalid syntax']}})
    assert Api(gl, DEV).get(S + '/1').json()['cron'] == '0 1 * * *'


def test_take_ownership(gl):
    expect(Api(gl, OTHER).post(S + '/1/take_ownership'), 403, FORBIDDEN)     # a Developer who does not own it
    taken = Api(gl, MAINT).post(S + '/1/take_ownership')
    expect(taken, 201)
    assert taken.json()['owner']['username'] == 'maint'
    expect(Api(gl, MAINT).post(S + '/1/take_ownership'), 200)
    expect(Api(gl, DEV).put(S + '/1', json={'cron': '0 3 * * *'}), 403, FORBIDDEN)
    expect(Api(gl, MAINT).put(S + '/1', json={'cron': '0 3 * * *'}), 200)


def test_delete(gl):
    expect(Api(gl, OTHER).delete(S + '/1'), 403, FORBIDDEN)
    expect(Api(gl, MAINT).delete(S + '/1'), 204)
    expect(Api(gl, MAINT).delete(S + '/1'), 404, NOT_FOUND)


# ---- variables ----------------------------------------------------------------------------------------


def test_variables_create_update_delete(gl):
    api = Api(gl, DEV)
    made = api.post(S + '/1/variables', json={'key': 'B', 'value': 'x', 'variable_type': 'file'})
    expect(made, 201, {'variable_type': 'file', 'key': 'B', 'value': 'x', 'raw': False})
    expect(api.post(S + '/1/variables', json={'key': 'B', 'value': 'y'}), 400, {'message': {'key': ['has already been taken']}})
    expect(api.post(S + '/1/variables', json={'key': 'B-1', 'value': 'y'}), 400,
           {'message': {'key': ["can contain only letters, digits and '_'."]}})
    expect(api.post(S + '/1/variables', json={'key': 'C', 'value': 'y', 'variable_type': 'x'}), 400,
           {'error': 'variable_type does not have a valid value'})
    expect(api.put(S + '/1/variables/B', json={'value': 'z'}), 200, {'variable_type': 'file', 'key': 'B', 'value': 'z', 'raw': False})
    expect(api.put(S + '/1/variables/NOPE', json={'value': 'z'}), 404, {'message': '404 Pipeline Schedule Variable Not Found'})
    expect(api.get(S + '/1/variables/B'), 200)
    expect(api.delete(S + '/1/variables/B'), 202, {'variable_type': 'file', 'key': 'B', 'value': 'z', 'raw': False})
    assert [v['key'] for v in api.get(S + '/1').json()['variables']] == ['NIGHT']


def test_variables_need_owner_and_variable_role(gl, make_fake):
    expect(Api(gl, OTHER).post(S + '/1/variables', json={'key': 'B', 'value': 'x'}), 403, FORBIDDEN)
    expect(Api(gl, MAINT).put(S + '/1/variables/NIGHT', json={'value': 'x'}), 403, FORBIDDEN)     # not the owner
    expect(Api(gl, OTHER).get(S + '/1/variables/NIGHT'), 403, FORBIDDEN)
    strict = make_fake(seed(pipeline_variables_minimum_override_role='maintainer'))
    expect(Api(strict, DEV).post(S + '/1/variables', json={'key': 'B', 'value': 'x'}), 403, FORBIDDEN)


# ---- play -----------------------------------------------------------------------------------------------


def test_play_starts_a_schedule_pipeline_with_its_variables(gl):
    api = Api(gl, OTHER)
    expect(api.post(S + '/1/play'), 201, {'message': '201 Created'})
    last = api.get(S + '/1').json()['last_pipeline']
    assert last['source'] == 'schedule' and last['ref'] == 'main'
    pipeline = Api(gl, ROOT).get(P + '/pipelines/%d' % last['id']).json()
    assert pipeline['user']['username'] == 'other'     # the caller who played it
    variables = Api(gl, ROOT).get(P + '/pipelines/%d/variables' % last['id']).json()
    assert [(v['key'], v['value']) for v in variables] == [('NIGHT', 's3cret')]
    listed = api.get(S + '/1/pipelines').json()
    assert [p['id'] for p in listed] == [last['id']]
    assert api.get(S + '/1').json()['next_run_at'] == '2025-06-16T01:03:00.000Z'     # a play does not move it
    expect(Api(gl, REPORTER).post(S + '/1/play'), 403, FORBIDDEN)


def test_member_lookup(gl):
    api = Api(gl, REPORTER)
    got = api.get(P + '/members/all/2')
    expect(got, 200)
    assert got.json()['access_level'] == 30 and got.json()['username'] == 'dev'
    expect(api.get(P + '/members/all/1'), 404, {'message': '404 Not found'})    # root is no member
