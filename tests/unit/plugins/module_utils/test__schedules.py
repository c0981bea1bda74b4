"""Table-driven tests of the pure pipeline schedule logic (plugins/module_utils/_schedules.py).

Rows cover: cron syntax (accepted and refused, each with what the message says), time zones, option
checks, matching by description, the plan (create, update only what differs, variables key by key,
purge, delete, nothing), the returned schedule (no values), the diff (values redacted) and the
owner warnings. GitLab's shapes follow lib/api/entities/ci/pipeline_schedule*.rb
(https://docs.gitlab.com/api/pipeline_schedules/).
"""

import json

import pytest

from ansible_collections.cicd.gitlab.plugins.module_utils import _schedules as s

SECRET = 'very-secret-value-0001'


def params(**given):
    base = dict(project='acme/app', description='nightly', state='present', ref=None, cron=None, cron_timezone=None, active=None,
                variables=None, purge_variables=False, take_ownership=False, wait=False, wait_timeout=600, poll_interval=5)
    base.update(given)
    return base


def current(**given):
    base = {'id': 7, 'description': 'nightly', 'ref': 'refs/heads/main', 'cron': '0 1 * * *', 'cron_timezone': 'UTC',
            'active': True, 'next_run_at': '2026-12-03T01:03:00.000Z', 'owner': {'id': 2, 'username': 'dev', 'state': 'active'},
            'last_pipeline': None, 'variables': [{'key': 'A', 'value': 'a', 'variable_type': 'env_var'},
                                                 {'key': 'B', 'value': SECRET, 'variable_type': 'file'}]}
    base.update(given)
    return base


@pytest.mark.parametrize('cron', ['* * * * *', '0 1 * * *', '*/15 0-6 1,15 * mon-fri', '0 0 * JAN,jul sun', '0 0 * * 7',
                                  '@daily', '@HOURLY', ' 0 1 * * * ', '5-10/2 * * * *', '0 0 31 12 *'])
def test_cron_accepted(cron):
    assert s.cron_problem(cron) is None


@pytest.mark.parametrize('cron,words', [
    ('', 'must not be empty'), ('   ', 'must not be empty'), (None, 'must not be empty'),
    ('* * * *', 'has 4 fields'), ('* * * * * *', 'has 6 fields'), ('60 * * * *', 'minute: 60 is out of range 0-59'),
    ('0 24 * * *', 'hour: 24 is out of range 0-23'), ('0 0 0 * *', 'day of month: 0 is out of range 1-31'),
    ('0 0 * 13 *', 'month: 13 is out of range 1-12'), ('0 0 * * 8', 'day of week: 8 is out of range 0-7'),
    ('0 0 * * funday', "day of week: 'funday' is not a number or a name (SUN"), ('*/0 * * * *', "the step '0'"),
    ('1,,2 * * * *', 'an empty item'), ('9-3 * * * *', 'the range 9-3 runs backwards'), ('@often', 'unknown shortcut'),
    ('0 L * * *', "'L' is not a number"),
])
def test_cron_refused(cron, words):
    assert words in s.cron_problem(cron)


@pytest.mark.parametrize('zone,ok', [('UTC', True), ('Europe/Berlin', True), ('Pacific Time (US & Canada)', True),
                                     ('Mars/Base', False), ('', False), ('Europe/../etc', False)])
def test_timezones(zone, ok):
    assert (s.timezone_problem(zone) is None) is ok


@pytest.mark.parametrize('given,words', [
    (dict(project=''), 'project must be'),
    (dict(description=' '), 'description must not be empty'),
    (dict(description='x' * 256), 'longer than 255'),
    (dict(ref=''), 'ref must be'),
    (dict(variables={'A': 'b'}), 'variables must be a list'),
    (dict(variables=[{'key': 'A', 'value': True}]), 'value is required and must be a string'),
    (dict(variables=[{'key': 'K' * 256, 'value': 'x'}]), 'longer than 255'),
    (dict(state='absent', variables=[]), 'variables cannot be used'),
    (dict(state='absent', take_ownership=True), 'take_ownership cannot be used'),
    (dict(poll_interval=0), 'poll_interval must be more than 0'),
])
def test_validate_problems(given, words):
    dummy, problems = s.validate(params(**given))
    assert any(words in problem for problem in problems), problems


def test_validate_never_quotes_a_value():
    dummy, problems = s.validate(params(variables=[{'key': 'A-', 'value': SECRET, 'variable_type': 'x'}, {'key': 'A-', 'value': SECRET}]))
    assert problems and SECRET not in json.dumps(problems)
    assert s.value_secrets(params(variables=[{'key': 'A', 'value': SECRET}, {'key': 'B', 'value': 5}, 'x'])) == [SECRET, '5']


def test_validate_normalises():
    wanted, problems = s.validate(params(cron=' 0 1 * * * ', variables=[{'key': 'A', 'value': 3}]))
    assert problems == [] and wanted['cron'] == '0 1 * * *'
    assert wanted['variables'] == [{'key': 'A', 'value': '3', 'variable_type': 'env_var'}]


def wanted(**given):
    found, problems = s.validate(params(**given))
    assert problems == []
    return found


@pytest.mark.parametrize('given,fields', [
    (dict(), {}),
    (dict(ref='main', cron='0 1 * * *', cron_timezone='UTC', active=True), {}),
    (dict(ref='refs/heads/main'), {}),
    (dict(ref='release'), {'ref': 'release'}),
    (dict(cron='0 2 * * *'), {'cron': '0 2 * * *'}),
    (dict(cron_timezone='Europe/Berlin'), {'cron_timezone': 'Europe/Berlin'}),
    (dict(active=False), {'active': False}),
    (dict(cron='0 2 * * *', active=False), {'cron': '0 2 * * *', 'active': False}),
])
def test_plan_fields(given, fields):
    the_plan = s.plan(current(), wanted(**given))
    assert the_plan.fields == fields
    assert the_plan.action == ('update' if fields else 'none')


@pytest.mark.parametrize('variables,purge,ops', [
    (None, False, []),
    ([], False, []),
    ([], True, [('delete', 'A', {}), ('delete', 'B', {})]),
    ([{'key': 'A', 'value': 'a'}], False, []),
    ([{'key': 'A', 'value': 'z'}], False, [('update', 'A', {'value': 'z'})]),
    ([{'key': 'A', 'value': 'a', 'variable_type': 'file'}], False, [('update', 'A', {'variable_type': 'file'})]),
    ([{'key': 'C', 'value': 'c'}], False, [('create', 'C', {'key': 'C', 'value': 'c', 'variable_type': 'env_var'})]),
    ([{'key': 'B', 'value': SECRET, 'variable_type': 'file'}], True, [('delete', 'A', {})]),
])
def test_plan_variables_key_by_key(variables, purge, ops):
    the_plan = s.plan(current(), wanted(variables=variables, purge_variables=purge))
    assert the_plan.variable_ops == ops
    assert the_plan.changed is bool(ops)


def test_an_omitted_time_zone_keeps_the_schedules_and_a_new_schedule_gets_utc():
    berlin = dict(current(), cron_timezone='Europe/Berlin')
    assert s.plan(berlin, wanted(cron='0 1 * * *')).fields == {}
    assert s.plan(berlin, wanted(cron_timezone='UTC')).fields == {'cron_timezone': 'UTC'}
    assert s.plan(None, wanted(ref='main', cron='0 1 * * *')).creation['cron_timezone'] == 'UTC'


def test_plan_create_and_delete():
    the_plan = s.plan(None, wanted(ref='main', cron='0 1 * * *', variables=[{'key': 'A', 'value': 'x'}]))
    assert the_plan.action == 'create' and the_plan.creation == {
        'description': 'nightly', 'ref': 'main', 'cron': '0 1 * * *', 'cron_timezone': 'UTC', 'active': True}
    assert [op[0] for op in the_plan.variable_ops] == ['create']
    assert s.plan(current(), wanted(state='absent')).action == 'delete'
    assert s.plan(None, wanted(state='absent')).action == 'none'
    assert s.creation_problems(wanted(cron='0 1 * * *')) == [
        "ref is required to create the schedule 'nightly' (no schedule of project acme/app has this description)"]


def test_matches_and_duplicates():
    items = [{'id': 3, 'description': 'nightly'}, {'id': 1, 'description': 'nightly'}, {'id': 2, 'description': 'Nightly'}]
    assert [item['id'] for item in s.find_matches(items, 'nightly')] == [1, 3]
    assert 'ids 1, 3' in s.duplicates_message('acme/app', 'nightly', s.find_matches(items, 'nightly'))


def test_public_schedule_has_no_values():
    shown = s.public_schedule(current(last_pipeline={'id': 9, 'status': 'success', 'ref': 'main', 'sha': 'x'}))
    assert shown['variables'] == [{'key': 'A', 'variable_type': 'env_var'}, {'key': 'B', 'variable_type': 'file'}]
    assert shown['owner'] == 'dev' and shown['last_pipeline']['id'] == 9 and 'sha' not in shown['last_pipeline']
    assert SECRET not in json.dumps(shown)
    assert s.public_schedule(current(variables=None))['variables'] is None
    assert s.public_schedule(None) is None


def test_diff_redacts_values():
    the_plan = s.plan(current(), wanted(variables=[{'key': 'B', 'value': 'new-secret', 'variable_type': 'file'}]))
    after = s.predicted(the_plan, wanted())
    diff = s.build_diff('acme/app', current(), after, the_plan)
    text = json.dumps(diff)
    assert SECRET not in text and 'new-secret' not in text
    assert diff['after']['variables']['B']['value'] == '******** (changed)'
    assert diff['before']['variables']['B']['value'] == '********'


@pytest.mark.parametrize('owner,member,words', [
    ({'id': 2, 'username': 'dev', 'state': 'active'}, {'access_level': 30}, None),
    ({'id': 2, 'username': 'dev', 'state': 'active'}, False, None),
    ({'id': 2, 'username': 'dev', 'state': 'blocked'}, {'access_level': 40}, 'dev is blocked'),
    ({'id': 2, 'username': 'dev', 'state': 'active'}, {'access_level': 20}, 'below Developer'),
    ({'id': 2, 'username': 'dev', 'state': 'active'}, None, 'no member'),
    (None, None, 'has no owner'),
])
def test_owner_warnings(owner, member, words):
    warning = s.owner_run_warning('acme/app', current(owner=owner), member)
    if words is None:
        assert warning is None
    else:
        assert words in warning and 'will not run' in warning
