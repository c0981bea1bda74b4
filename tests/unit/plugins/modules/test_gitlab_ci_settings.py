"""gitlab_ci_settings run in-process, its real client against the fake GitLab (requests read from the journal).

Seed: group ``fleet`` with projects p00..p(N-1) (p03 archived), subgroup ``fleet/sub`` with one project, and
user ``ops`` (Maintainer of fleet, no access to fleet/locked, which root can see). The runs use ops's token.
"""

import json

import pytest

from tests.fake_gitlab import FakeGitLab
from tests.unit.module_args import patch_module_args

from ansible_collections.cicd.gitlab.plugins.modules import gitlab_ci_settings as module_under_test

OPS = 'glpat-ops-00000000000000'
ROOT = 'glpat-root-000000000000'
SECRET = 'fleet-s3cr3t-value-0042'
COUNT = 12


def seed(count=COUNT):
    return {
        'users': [{'username': 'root', 'token': ROOT, 'admin': True}, {'username': 'ops', 'token': OPS}],
        'groups': [{'path': 'fleet', 'members': {'ops': 'maintainer'}}, {'path': 'fleet/sub'}, {'path': 'other'}],
        'projects': [{'path': 'fleet/p%02d' % index, 'archived': index == 3} for index in range(count)]
        + [{'path': 'fleet/sub/s1'}, {'path': 'other/locked', 'variables': [{'key': 'KEEP', 'value': 'value-x-0001'}]}],
    }


@pytest.fixture
def fake():
    with FakeGitLab(seed=seed()) as server:
        yield server


def run(capsys, fake, token=OPS, check=False, diff=False, **args):
    args = dict(dict(api_url=fake.url, api_token=token), **args)
    args['_ansible_check_mode'] = check
    args['_ansible_diff'] = diff
    fake.clear_journal()
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            module_under_test.main()
    result = json.loads(capsys.readouterr().out)
    rest = dict(result)
    rest.pop('trigger_tokens', None)
    text = json.dumps(rest)
    assert SECRET not in text and OPS not in text
    for project in fake.dump_state()['projects']:
        for trigger in project['triggers']:
            assert trigger['token'] not in text
    return result


def calls(fake):
    return [(e['method'], e['path']) for e in fake.journal]


def writes(fake):
    return [c for c in calls(fake) if c[0] != 'GET']


def variables(fake, path):
    return {v['key']: v for v in next(p for p in fake.dump_state()['projects'] if p['full_path'] == path)['variables']}


FLEET = dict(select={'group': 'fleet'},
             defaults={'variables': [{'key': 'REGION', 'value': 'value-eu-0001'}, {'key': 'TOKEN', 'value': SECRET, 'masked': True}],
                       'triggers': [{'description': 'deploy'}]})


def test_select_defaults_converge_then_rerun_is_two_requests_per_project(capsys, fake):
    first = run(capsys, fake, **FLEET)
    assert first['changed'] is True and first['totals']['failed'] == 0
    assert first['selected'] == ['fleet/p%02d' % i for i in range(COUNT) if i != 3]
    assert first['totals']['selected'] == COUNT - 1
    assert set(first['trigger_tokens']) == set(first['selected'])
    assert all(set(tokens) == {'deploy'} for tokens in first['trigger_tokens'].values())
    assert variables(fake, 'fleet/p00')['TOKEN']['value'] == SECRET and 'REGION' not in variables(fake, 'fleet/p03')
    owner = first['owners'][0]
    assert owner['status'] == 'changed' and owner['selected'] is True
    assert [v['key'] for v in owner['variables']['added']] == ['REGION', 'TOKEN']
    assert owner['triggers'][0]['action'] == 'create' and owner['triggers'][0]['token_available'] is True

    again = run(capsys, fake, **FLEET)
    assert again['changed'] is False and writes(fake) == []
    assert again['totals'] == dict(owners=COUNT - 1, changed=0, ok=COUNT - 1, failed=0, selected=COUNT - 1, requests=1 + 2 * (COUNT - 1))
    assert len(calls(fake)) == 1 + 2 * (COUNT - 1)   # one listing page, then one variables and one triggers page each
    # the owner of every trigger (ops) sees its full token: handed back again
    assert set(again['trigger_tokens']) == set(first['selected'])


def test_check_mode_writes_nothing_and_shows_the_selection_and_diff(capsys, fake):
    result = run(capsys, fake, check=True, diff=True, **FLEET)
    assert writes(fake) == [] and result['changed'] is True
    assert len(result['selected']) == COUNT - 1
    assert result['trigger_tokens'] == {}
    assert len(result['diff']) == 2 * (COUNT - 1)
    assert SECRET not in json.dumps(result['diff'])


def test_select_include_subgroups_pattern_and_archived(capsys, fake):
    result = run(capsys, fake, check=True, select={'group': 'fleet', 'include_subgroups': True, 'pattern': r'(s1|p0[0-2])$'},
                 defaults={'variables': [{'key': 'A', 'value': 'value-b-0001'}]})
    assert result['selected'] == ['fleet/p00', 'fleet/p01', 'fleet/p02', 'fleet/sub/s1']
    archived = run(capsys, fake, check=True, select={'group': 'fleet', 'archived': True}, defaults={'variables': []})
    assert archived['selected'] == ['fleet/p03']


def test_project_items_add_to_and_override_the_defaults(capsys, fake):
    result = run(capsys, fake, select={'group': 'fleet', 'pattern': 'p0[01]$'},
                 defaults={'variables': [{'key': 'REGION', 'value': 'value-eu-0001'}]},
                 projects=[{'project': 'fleet/p01', 'variables': [{'key': 'REGION', 'value': 'value-us-0001'}, {'key': 'EXTRA', 'value': 'value-one-0001'}]},
                           {'project': 'fleet/p05', 'variables': [{'key': 'ALONE', 'value': 'value-one-0001'}]}])
    assert {k: v['value'] for k, v in variables(fake, 'fleet/p00').items()} == {'REGION': 'value-eu-0001'}
    assert {k: v['value'] for k, v in variables(fake, 'fleet/p01').items()} == {'REGION': 'value-us-0001', 'EXTRA': 'value-one-0001'}
    assert {k: v['value'] for k, v in variables(fake, 'fleet/p05').items()} == {'ALONE': 'value-one-0001'}   # listed, not selected
    assert [o['project'] for o in result['owners']] == ['fleet/p00', 'fleet/p01', 'fleet/p05']


def test_one_owner_without_permission_fails_alone(capsys, fake):
    projects = [{'project': 'fleet/p%02d' % i, 'variables': [{'key': 'V', 'value': 'value-x-0001'}]} for i in range(4)]
    projects.append({'project': 'other/locked', 'variables': [{'key': 'V', 'value': 'value-x-0001'}], 'purge': True})
    result = run(capsys, fake, projects=projects)
    assert result['failed'] is True
    failed = [o for o in result['owners'] if o['status'] == 'failed']
    assert [o['project'] for o in failed] == ['other/locked'] and '404' in failed[0]['msg']
    assert result['totals']['changed'] == 4 and result['totals']['failed'] == 1
    assert '1 of 5 owners failed' in result['msg'] and 'other/locked' in result['msg']
    assert all(variables(fake, 'fleet/p%02d' % i)['V']['value'] == 'value-x-0001' for i in range(4))
    assert set(variables(fake, 'other/locked')) == {'KEEP'}


def test_a_purge_on_one_owner_touches_no_other(capsys, fake):
    for index in (0, 1):
        both = [{'key': 'A', 'value': 'value-one-0001'}, {'key': 'B', 'value': 'value-two-0001'}]
        run(capsys, fake, projects=[{'project': 'fleet/p%02d' % index, 'variables': both}])
    result = run(capsys, fake, projects=[{'project': 'fleet/p00', 'variables': [{'key': 'A', 'value': 'value-one-0001'}], 'purge': True},
                                         {'project': 'fleet/p01', 'variables': [{'key': 'A', 'value': 'value-one-0001'}]}])
    assert set(variables(fake, 'fleet/p00')) == {'A'} and set(variables(fake, 'fleet/p01')) == {'A', 'B'}
    assert writes(fake) == [('DELETE', '/api/v4/projects/fleet%2Fp00/variables/B')]
    assert result['variables']['projects']['fleet/p00']['removed'] == [{'key': 'B', 'environment_scope': '*'}]


def test_groups_and_tight_rate_limit_converge(capsys, fake):
    fake.rate_limits.configure(limit=15, period=1)
    groups = [{'group': 'fleet', 'variables': [{'key': 'G', 'value': 'value-one-0001'}]}]
    result = run(capsys, fake, token=ROOT, concurrency=8, groups=groups, **FLEET)
    assert result['totals']['failed'] == 0 and result['totals']['owners'] == COUNT
    assert [e['status'] for e in fake.journal].count(429) <= 2
    assert result['variables']['groups']['fleet']['added'] == [{'key': 'G', 'environment_scope': '*'}]


@pytest.mark.parametrize('args, message', [
    (dict(projects=[5]), 'projects[0] must be a dictionary'),
    (dict(projects=[{'variables': []}]), 'projects[0]: project is required'),
    (dict(projects=[{'project': 'a/b', 'bogus': 1}]), 'unknown field bogus'),
    (dict(projects=[{'project': 'a/b'}, {'project': 'A/B'}]), 'listed twice'),
    (dict(projects=[{'project': 'a/b', 'variables': [{'key': 'bad key', 'value': 'value-x-0001'}]}]), 'projects[0] (a/b)'),
    (dict(projects=[{'project': 'a/b', 'triggers': [{'description': 'x'}, {'description': 'x'}]}]), 'listed twice'),
    (dict(projects=[{'project': 'a/../b'}]), 'project'),
    (dict(select={'group': 'fleet', 'pattern': '('}), 'not a valid regular expression'),
    (dict(select={'pattern': 'x'}), 'select: group is required'),
    (dict(defaults={'variables': []}), 'give select too'),
    (dict(projects=[{'project': 'a/b'}], concurrency=0), 'concurrency must be between 1 and 64'),
    (dict(projects=[{'project': 'a/b'}], max_requests_per_minute=0), 'max_requests_per_minute'),
    (dict(), 'nothing to do'),
    (dict(groups=[{'group': 'g', 'triggers': []}]), 'unknown field triggers'),
])
def test_bad_input_is_refused_before_any_request(capsys, fake, args, message):
    result = run(capsys, fake, **args)
    assert result['failed'] is True and message in result['msg'], result['msg']
    assert fake.journal == []
