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
    ({'select': {'group': 'g'}, 'defaults': {'schedules': []}}, 'unknown field schedules'),
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
