"""Pure fleet logic (plugins/module_utils/_fleet.py): validation, merging, selection, results and totals."""

import re

import pytest

from ansible_collections.cicd.gitlab.plugins.module_utils import _fleet as fleet
from ansible_collections.cicd.gitlab.plugins.module_utils import _variables as variables_logic
from ansible_collections.cicd.gitlab.plugins.module_utils._errors import InputError


@pytest.mark.parametrize('base, extra, expected', [
    (None, None, None),
    (None, [{'key': 'A'}], [{'key': 'A'}]),
    ([{'key': 'A', 'value': '1'}], None, [{'key': 'A', 'value': '1'}]),
    ([{'key': 'A', 'value': '1'}, {'key': 'B'}], [{'key': 'A', 'value': '2'}], [{'key': 'B'}, {'key': 'A', 'value': '2'}]),
    ([{'key': 'A', 'environment_scope': 'prod'}], [{'key': 'A'}], [{'key': 'A', 'environment_scope': 'prod'}, {'key': 'A'}]),
    ([{'key': 'A'}], [{'key': 'A', 'environment_scope': '*'}], [{'key': 'A', 'environment_scope': '*'}]),
])
def test_merge_variables(base, extra, expected):
    assert fleet.merge_variables(base, extra) == expected


@pytest.mark.parametrize('base, extra, expected', [
    (None, None, []),
    ([{'description': 'a'}], [{'description': 'a', 'rotate': True}], [{'description': 'a', 'rotate': True}]),
    ([{'description': 'a'}], [{'description': 'b'}], [{'description': 'a'}, {'description': 'b'}]),
])
def test_merge_triggers(base, extra, expected):
    assert fleet.merge_triggers(base, extra) == expected


@pytest.mark.parametrize('pattern, expected', [
    (None, ['acme/a', 'acme/b/c', 'acme/d']),
    ('^acme/b/', ['acme/b/c']),
    ('c$|d$', ['acme/b/c', 'acme/d']),
])
def test_select_projects(pattern, expected):
    listed = [{'path_with_namespace': 'acme/d'}, {'path_with_namespace': 'acme/a'}, {'path_with_namespace': 'acme/b/c'},
              {'path_with_namespace': 'acme/a'}, {'id': 5}, 'junk']
    selection = {'regex': re.compile(pattern) if pattern else None}
    assert fleet.select_projects(listed, selection) == expected


@pytest.mark.parametrize('params, message', [
    ({'projects': 'acme/app'}, 'projects must be a list'),
    ({'projects': [{'project': True}]}, 'project is required'),
    ({'projects': [{'project': 'a/b', 'purge': 'yes'}]}, 'purge must be true or false'),
    ({'projects': [{'project': 'a/b', 'triggers': ['x']}]}, 'triggers[0] must be a dictionary'),
    ({'projects': [{'project': 'a/b', 'triggers': [{'description': 'x', 'state': 'gone'}]}]}, 'state must be one of'),
    ({'projects': [{'project': 'a/b', 'triggers': [{'description': 'x', 'expires_at': 'soon'}]}]}, 'expires_at must be'),
    ({'groups': [{'group': 'g', 'variables': [{'key': 'K', 'value': 5}]}]}, 'groups[0] (g)'),
    ({'select': {'group': 'g', 'archived': 'no'}}, 'archived must be true or false'),
    ({'select': {'group': 'g', 'extra': 1}}, 'unknown field extra'),
    ({'select': {'group': 'g'}, 'defaults': {'variables': [{'key': 'K', 'masked': True, 'value': 'short'}]}}, 'defaults'),
    ({'select': {'group': 'g'}, 'defaults': {'schedule': []}}, 'unknown field schedule '),
    ({'projects': [{'project': 'a/b'}], 'concurrency': 65}, 'concurrency must be between'),
])
def test_validate_refuses(params, message):
    with pytest.raises(InputError) as caught:
        fleet.validate(params)
    assert message in caught.value.message()


def test_validate_collects_every_problem_at_once():
    with pytest.raises(InputError) as caught:
        fleet.validate({'projects': [5, {'project': 'a/b', 'x': 1}], 'groups': [{}]})
    assert len(caught.value.errors) == 3


def test_owner_without_variables_or_purge_leaves_variables_alone():
    spec = fleet.validate({'projects': [{'project': 'a/b', 'triggers': [{'description': 't'}]},
                                        {'project': 'a/c', 'purge': True}]})
    first, second = spec['projects']
    assert first['manage_variables'] is False and first['triggers'][0]['project'] == 'a/b'
    assert second['manage_variables'] is True and second['purge'] is True and second['desired'] == []


def test_fleet_owners_merge_defaults_into_selected_and_keep_listed_ones_alone():
    spec = fleet.validate({
        'select': {'group': 'acme'},
        'defaults': {'variables': [{'key': 'A', 'value': 'default-a'}], 'triggers': [{'description': 'deploy'}], 'purge': True},
        'projects': [{'project': 'acme/x', 'variables': [{'key': 'A', 'value': 'own-a'}], 'purge': False},
                     {'project': 'other/y', 'variables': [{'key': 'B', 'value': 'own-b'}]}],
        'groups': [{'group': 'acme', 'variables': []}],
    })
    owners = fleet.fleet_owners(spec, ['acme/w', 'acme/x'])
    assert [(o['level'], o['name']) for o in owners] == [('group', 'acme'), ('project', 'acme/w'), ('project', 'acme/x'), ('project', 'other/y')]
    w, x, y = owners[1:]
    assert [(d['key'], d['value']) for d in x['desired']] == [('A', 'own-a')] and x['purge'] is False
    assert w['purge'] is True and [t['description'] for t in w['triggers']] == ['deploy'] and w['selected']
    assert 'selected' not in y and [d['key'] for d in y['desired']] == ['B']


def test_owner_result_totals_and_failure_message():
    spec = fleet.validate({'projects': [{'project': 'a/b', 'variables': [{'key': 'A', 'value': 'value-a-0001'}]},
                                        {'project': 'a/c', 'variables': []}]})
    b, c = spec['projects']
    current = variables_logic.normalize_current([], 'project')
    plan_b = variables_logic.plan(current, b['desired'], 'project')
    ok = fleet.owner_result(c, variables_logic.plan(current, [], 'project'))
    changed = fleet.owner_result(b, plan_b)
    failed = fleet.owner_result(b, error='GET /api/v4/projects/a/b/variables: 403 Forbidden')
    assert ok['status'] == 'ok' and changed['status'] == 'changed' and failed['status'] == 'failed'
    assert changed['variables']['added'] == [{'key': 'A', 'environment_scope': '*'}]
    assert 'value-a-0001' not in repr(changed) + repr(fleet.owner_diff(b, plan_b))
    assert fleet.totals([ok, changed, failed]) == {'owners': 3, 'changed': 1, 'ok': 1, 'failed': 1, 'selected': 0}
    assert fleet.failure_message([ok, failed]).startswith('1 of 2 owners failed')
    assert fleet.variables_summary([ok, changed]) == {'groups': {}, 'projects': {'a/c': ok['variables'], 'a/b': changed['variables']}}


def test_value_secrets_of_every_owner_and_the_defaults():
    params = {'projects': [{'project': 'a', 'variables': [{'key': 'K', 'value': 'p-secret'}]}],
              'groups': [{'group': 'g', 'variables': [{'key': 'K', 'value': 'g-secret'}]}],
              'defaults': {'variables': [{'key': 'K', 'value': 'd-secret'}]}}
    assert set(fleet.value_secrets(params)) == {'p-secret', 'g-secret', 'd-secret'}


# ---- schedules, job token scope and pipeline settings per project (#16, #17) ------------------------

NIGHTLY = {'description': 'nightly', 'ref': 'main', 'cron': '0 1 * * *'}


@pytest.mark.parametrize('item, message', [
    ({'schedules': 'nightly'}, 'projects[0] (a/b).schedules must be a list'),
    ({'schedules': ['nightly']}, 'schedules[0] must be a dictionary'),
    ({'schedules': [dict(NIGHTLY, state='ran')]}, 'state ran and wait are not offered in gitlab_ci_settings'),
    ({'schedules': [dict(NIGHTLY, wait=True)]}, 'play a schedule with cicd.gitlab.gitlab_ci_schedule'),
    ({'schedules': [dict(NIGHTLY, state='gone')]}, 'state must be one of present, absent'),
    ({'schedules': [dict(NIGHTLY, cron='61 * * * *')]}, 'schedules[0] (nightly): cron'),
    ({'schedules': [dict(NIGHTLY, cron_timezone='Mars/Base')]}, 'cron_timezone'),
    ({'schedules': [dict(NIGHTLY, active='yes')]}, 'active must be true or false'),
    ({'schedules': [dict(NIGHTLY, bogus=1)]}, 'schedules[0] (nightly): unknown field bogus'),
    ({'schedules': [NIGHTLY, NIGHTLY]}, 'schedules[1] (nightly): the description is listed twice'),
    ({'schedules': [dict(NIGHTLY, variables=[{'key': 'bad key', 'value': 'v'}])]}, 'variables[0] (bad key)'),
    ({'schedules': [{'description': 'old', 'state': 'absent', 'cron': '0 1 * * *'}]}, 'state=absent deletes the schedule'),
    ({'schedules': [{'ref': 'main'}]}, 'description must not be empty'),
    ({'job_token_scope': ['a/b']}, 'projects[0] (a/b).job_token_scope must be a dictionary'),
    ({'job_token_scope': {'enabled': 'yes'}}, 'job_token_scope: enabled must be true or false'),
    ({'job_token_scope': {'allow': {}}}, 'job_token_scope: unknown field allow'),
    ({'job_token_scope': {'allowlist': {'projects': ['..']}}}, 'job_token_scope: allowlist.projects'),
    ({'job_token_scope': {'allowlist': {'projects': ['x/y', 'X/Y']}}}, 'listed twice'),
    ({'job_token_scope': {'allowlist': {'projects': ['p/%d' % i for i in range(201)]}}}, "GitLab's limit of 200"),
    ({'job_token_scope': {'purge_all': True, 'allowlist': {'projects': []}}}, 'purge_all needs purge'),
    ({'job_token_scope': {}}, 'nothing to manage'),
    ({'pipeline_settings': 'strict'}, 'pipeline_settings must be a dictionary'),
    ({'pipeline_settings': {'ci_default_git_depth': 5000}}, "pipeline_settings: ci_default_git_depth: 5000 is outside GitLab's range"),
    ({'pipeline_settings': {'build_timeout': '2fortnights'}}, 'pipeline_settings: build_timeout'),
    ({'pipeline_settings': {'keep_latest_artifact': 'no'}}, 'keep_latest_artifact: ' + repr('no') + ' is not true or false'),
    ({'pipeline_settings': {'ci_pipeline_variables_minimum_override_role': 'anyone'}}, 'is not one of'),
    ({'pipeline_settings': {'ci_timeout': 5}}, 'pipeline_settings: unknown field ci_timeout'),
    ({'pipeline_settings': {}}, 'pipeline_settings: nothing to manage'),
])
def test_validate_refuses_bad_kinds_naming_the_project_and_field(item, message):
    with pytest.raises(InputError) as caught:
        fleet.validate({'projects': [dict(item, project='a/b')]})
    assert message in caught.value.message(), caught.value.message()


def test_validate_refuses_bad_kinds_in_the_defaults_too():
    with pytest.raises(InputError) as caught:
        fleet.validate({'select': {'group': 'g'},
                        'defaults': {'schedules': [dict(NIGHTLY, state='ran')], 'pipeline_settings': {'build_timeout': 1}}})
    text = caught.value.message()
    assert 'defaults.schedules[0]' in text and 'defaults.pipeline_settings: build_timeout' in text


def test_kinds_are_normalized_as_the_single_modules_normalize_them():
    spec = fleet.validate({'projects': [{'project': 'a/b', 'schedules': [dict(NIGHTLY, variables=[{'key': 'K', 'value': 5}])],
                                         'job_token_scope': {'allowlist': {'groups': ['acme']}, 'purge': True},
                                         'pipeline_settings': {'ci_delete_pipelines_in_seconds': '30d', 'build_timeout': '1h'}}]})
    owner, = spec['projects']
    schedule, = owner['schedules']
    assert schedule['project'] == 'a/b' and schedule['state'] == 'present' and schedule['variables'] == [
        {'key': 'K', 'value': '5', 'variable_type': 'env_var'}]
    assert owner['job_token_scope'] == {'enabled': None, 'allowlist': {'groups': ['acme']}, 'purge': True, 'purge_all': False}
    assert owner['pipeline_settings'] == {'ci_delete_pipelines_in_seconds': 2592000, 'build_timeout': 3600}


@pytest.mark.parametrize('base, extra, expected', [
    (None, None, None),
    ({'enabled': True}, None, {'enabled': True}),
    (None, {'purge': True}, {'purge': True}),
    ({'enabled': True, 'purge': True}, {'purge': False}, {'enabled': True, 'purge': False}),
    ({'allowlist': {'groups': ['acme']}}, {'allowlist': {'projects': ['x/y']}}, {'allowlist': {'groups': ['acme'], 'projects': ['x/y']}}),
    ({'allowlist': {'projects': ['a/b', 7]}}, {'allowlist': {'projects': ['A/B', 'c/d', '7']}}, {'allowlist': {'projects': ['a/b', 7, 'c/d']}}),
    ({'allowlist': {'projects': ['a/b']}}, {'allowlist': {'projects': []}}, {'allowlist': {'projects': ['a/b']}}),
    ({'enabled': True}, {'allowlist': {'groups': []}}, {'enabled': True, 'allowlist': {'groups': []}}),
    ({'enabled': True}, 'junk', 'junk'),
])
def test_merge_job_token_scope(base, extra, expected):
    assert fleet.merge_job_token_scope(base, extra) == expected


@pytest.mark.parametrize('base, extra, expected', [
    (None, None, None),
    ({'build_timeout': '1h'}, None, {'build_timeout': '1h'}),
    ({'build_timeout': '1h', 'keep_latest_artifact': True}, {'build_timeout': '2h'}, {'build_timeout': '2h', 'keep_latest_artifact': True}),
])
def test_merge_pipeline_settings(base, extra, expected):
    assert fleet.merge_pipeline_settings(base, extra) == expected


def test_selected_projects_merge_the_kinds_of_the_defaults_and_their_item():
    spec = fleet.validate({
        'select': {'group': 'acme'},
        'defaults': {'schedules': [NIGHTLY, dict(NIGHTLY, description='weekly', cron='@weekly')],
                     'job_token_scope': {'enabled': True, 'allowlist': {'groups': ['acme/platform']}},
                     'pipeline_settings': {'build_timeout': '1h', 'ci_default_git_depth': 20}},
        'projects': [{'project': 'acme/x', 'schedules': [dict(NIGHTLY, cron='0 3 * * *')],
                      'job_token_scope': {'allowlist': {'projects': ['acme/deployer']}},
                      'pipeline_settings': {'build_timeout': '2h'}}],
    })
    w, x = fleet.fleet_owners(spec, ['acme/w', 'acme/x'])
    assert [(s['description'], s['cron'], s['project']) for s in w['schedules']] == [
        ('nightly', '0 1 * * *', 'acme/w'), ('weekly', '@weekly', 'acme/w')]
    assert [(s['description'], s['cron']) for s in x['schedules']] == [('weekly', '@weekly'), ('nightly', '0 3 * * *')]
    assert x['job_token_scope']['enabled'] is True
    assert x['job_token_scope']['allowlist'] == {'groups': ['acme/platform'], 'projects': ['acme/deployer']}
    assert w['pipeline_settings'] == {'build_timeout': 3600, 'ci_default_git_depth': 20}
    assert x['pipeline_settings'] == {'build_timeout': 7200, 'ci_default_git_depth': 20}


def test_results_and_totals_count_the_kinds_and_the_schedules_summary():
    spec = fleet.validate({'projects': [{'project': 'a/b', 'schedules': [NIGHTLY]}, {'project': 'a/c', 'variables': []}]})
    b, c = spec['projects']
    entry = fleet.schedule_entry(b['schedules'][0], {'changed': True, 'schedule': {'id': 4}, 'previous_owner': 'alice'}, 'update')
    assert entry == {'description': 'nightly', 'action': 'update', 'changed': True, 'schedule': {'id': 4}, 'previous_owner': 'alice'}
    ok_entry = fleet.schedule_entry(b['schedules'][0], {'changed': False, 'schedule': {'id': 4}}, 'none')
    changed = fleet.owner_result(b, kinds={'schedules': [entry], 'pipeline_settings': {'changed': False, 'settings': {}}})
    ok = fleet.owner_result(b, kinds={'schedules': [ok_entry], 'job_token_scope': {'changed': False}})
    plain = fleet.owner_result(c, variables_logic.plan(variables_logic.normalize_current([], 'project'), [], 'project'))
    assert changed['status'] == 'changed' and ok['status'] == 'ok' and 'schedules' not in plain
    assert fleet.totals([changed, ok, plain]) == {
        'owners': 3, 'changed': 1, 'ok': 2, 'failed': 0, 'selected': 0, 'schedules': {'changed': 1, 'ok': 1},
        'pipeline_settings': {'changed': 0, 'ok': 1}, 'job_token_scope': {'changed': 0, 'ok': 1}}
    assert fleet.schedules_summary([changed, plain]) == {'a/b': {'nightly': {'id': 4}}}


def test_value_secrets_include_the_schedule_variables():
    params = {'projects': [{'project': 'a', 'schedules': [dict(NIGHTLY, variables=[{'key': 'K', 'value': 's-secret'}])]}],
              'defaults': {'schedules': [dict(NIGHTLY, variables=[{'key': 'K', 'value': 'd-schedule-secret'}])]}}
    assert set(fleet.value_secrets(params)) == {'s-secret', 'd-schedule-secret'}
