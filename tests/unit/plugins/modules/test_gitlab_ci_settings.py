"""gitlab_ci_settings run in-process, its real client against the fake GitLab (requests read from the journal).

Seed: group ``fleet`` with projects p00..p(N-1) (p03 archived), subgroup ``fleet/sub`` with one project, and
user ``ops`` (Maintainer of fleet, no access to fleet/locked, which root can see). The runs use ops's token.
"""

import json

import pytest
import requests

from tests.fake_gitlab import FakeGitLab
from tests.unit.module_run import calls, run_main, writes

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
        + [{'path': 'fleet/sub/s1'}, {'path': 'other/locked', 'variables': [{'key': 'KEEP', 'value': 'value-x-0001'}]},
           {'path': 'other/guest', 'members': {'ops': 'guest'}}],
    }


@pytest.fixture
def fake():
    with FakeGitLab(seed=seed()) as server:
        yield server


def run(capsys, fake, token=OPS, check=False, diff=False, **args):
    args = dict(dict(api_url=fake.url, api_token=token), **args)
    result, dummy = run_main(capsys, fake, module_under_test, args, check=check, diff=diff)
    rest = dict(result)
    rest.pop('trigger_tokens', None)
    text = json.dumps(rest)
    assert SECRET not in text and OPS not in text
    for project in fake.dump_state()['projects']:
        for trigger in project['triggers']:
            assert trigger['token'] not in text
    return result


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


# ---- schedules, job token scopes and pipeline settings per project (#16, #17) ------------------------

def kinds_fleet(count=3, **extra):
    projects = []
    for index in range(count):
        projects.append({
            'project': 'fleet/p%02d' % index,
            'schedules': [{'description': 'nightly', 'ref': 'main', 'cron': '0 1 * * *',
                           'variables': [{'key': 'SCHEDULE_TOKEN', 'value': SECRET}]}],
            'job_token_scope': {'enabled': True, 'allowlist': {'projects': ['fleet/p05'], 'groups': ['fleet/sub']}},
            'pipeline_settings': {'ci_default_git_depth': 30 + index, 'ci_delete_pipelines_in_seconds': '30d'},
        })
    return dict(dict(projects=projects), **extra)


def api(fake, path, token=ROOT):
    answer = requests.get('%s/api/v4/%s' % (fake.url, path), headers={'PRIVATE-TOKEN': token}, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def project_state(fake, path):
    """The project as GitLab's API shows it to root (CI/CD fields included), with its schedules as their owner ops sees them."""
    encoded = 'projects/' + path.replace('/', '%2F')
    found = api(fake, encoded)
    found['schedules'] = [api(fake, '%s/pipeline_schedules/%d' % (encoded, item['id']), OPS)
                          for item in api(fake, encoded + '/pipeline_schedules', OPS)]
    return found


def test_kinds_check_apply_check_apply_and_the_unchanged_cost(capsys, fake):
    check = run(capsys, fake, check=True, diff=True, **kinds_fleet())
    assert writes(fake) == [] and check['changed'] is True
    assert check['totals']['schedules'] == {'changed': 3, 'ok': 0} and check['totals']['job_token_scope'] == {'changed': 3, 'ok': 0}
    owner = check['owners'][0]
    assert owner['schedules'][0]['action'] == 'create' and owner['schedules'][0]['schedule']['variables'] == [
        {'key': 'SCHEDULE_TOKEN', 'variable_type': 'env_var'}]
    assert owner['job_token_scope']['added'] == {'projects': ['fleet/p05'], 'groups': ['fleet/sub']}
    assert owner['pipeline_settings']['changed_fields'] == ['ci_default_git_depth', 'ci_delete_pipelines_in_seconds']
    headers = [d['before_header'] for d in check['diff']]
    assert headers.count("pipeline schedule 'nightly' of project fleet/p00") == 1 and headers.count('fleet/p00') == 2

    first = run(capsys, fake, **kinds_fleet())
    assert first['changed'] is True and first['totals']['failed'] == 0 and first['totals']['changed'] == 3
    assert [m for m, _p in writes(fake)].count('PUT') == 3   # one settings PUT per project
    state = project_state(fake, 'fleet/p01')
    assert state['ci_default_git_depth'] == 31 and state['ci_delete_pipelines_in_seconds'] == 2592000
    schedule, = [s for s in state['schedules'] if s['description'] == 'nightly']
    assert [(v['key'], v['value']) for v in schedule['variables']] == [('SCHEDULE_TOKEN', SECRET)]
    assert first['schedules']['fleet/p01']['nightly']['owner'] == 'ops'

    again = run(capsys, fake, check=True, **kinds_fleet())
    assert again['changed'] is False and writes(fake) == []
    last = run(capsys, fake, **kinds_fleet())
    assert last['changed'] is False and writes(fake) == []
    assert last['totals']['schedules'] == {'changed': 0, 'ok': 3} and last['totals']['pipeline_settings'] == {'changed': 0, 'ok': 3}
    # per project: the schedule list, the schedule (variables), its owner's membership, the project (shared by the
    # scope and the settings), the scope and its two allowlists
    assert last['totals']['requests'] == len(calls(fake)) == 3 * 7


def test_only_the_differing_projects_and_fields_change(capsys, fake):
    run(capsys, fake, **kinds_fleet())
    changed = kinds_fleet()
    changed['projects'][1]['pipeline_settings']['ci_default_git_depth'] = 50
    changed['projects'][2]['schedules'][0]['cron'] = '0 4 * * *'
    result = run(capsys, fake, **changed)
    assert [o['status'] for o in result['owners']] == ['ok', 'changed', 'changed']
    sent = writes(fake)
    assert sorted(sent) == sorted([('PUT', '/api/v4/projects/%d' % project_state(fake, 'fleet/p01')['id']),
                                   ('PUT', '/api/v4/projects/fleet%%2Fp02/pipeline_schedules/%d' % result['owners'][2]['schedules'][0]['schedule']['id'])])
    assert result['owners'][1]['pipeline_settings']['changed_fields'] == ['ci_default_git_depth']
    assert result['owners'][2]['schedules'][0]['action'] == 'update'


def test_a_403_on_one_projects_schedules_fails_it_alone_and_writes_nothing_of_it(capsys, fake):
    args = kinds_fleet(2)
    args['projects'].append({'project': 'other/guest', 'pipeline_settings': {'ci_default_git_depth': 7},
                             'schedules': [{'description': 'nightly', 'ref': 'main', 'cron': '0 1 * * *'}]})
    result = run(capsys, fake, **args)
    assert result['failed'] is True and result['totals']['changed'] == 2 and result['totals']['failed'] == 1
    failed, = [o for o in result['owners'] if o['status'] == 'failed']
    assert failed['project'] == 'other/guest' and '403' in failed['msg'] and 'pipeline_schedules' in failed['msg']
    guest = api(fake, 'projects/other%2Fguest')
    assert not any('guest' in path or path.endswith('/%d' % guest['id']) for _m, path in writes(fake))
    assert guest['ci_default_git_depth'] != 7


def test_a_purge_to_empty_is_refused_for_its_project_while_the_others_converge(capsys, fake):
    run(capsys, fake, **kinds_fleet(2))
    args = kinds_fleet(2)
    args['projects'][0]['job_token_scope'] = {'allowlist': {'projects': [], 'groups': []}, 'purge': True}
    args['projects'][0]['pipeline_settings'] = {'ci_default_git_depth': 99}
    args['projects'][1]['pipeline_settings'] = {'ci_default_git_depth': 98}
    result = run(capsys, fake, **args)
    refused, other = result['owners']
    assert refused['status'] == 'failed' and 'leave the job token allowlist empty' in refused['msg'] and 'purge_all' in refused['msg']
    assert other['status'] == 'changed' and project_state(fake, 'fleet/p01')['ci_default_git_depth'] == 98
    assert project_state(fake, 'fleet/p00')['ci_default_git_depth'] == 30   # nothing of the refused project was written
    args['projects'][0]['job_token_scope']['purge_all'] = True
    allowed = run(capsys, fake, **args)
    assert allowed['owners'][0]['job_token_scope']['removed'] == {'projects': ['fleet/p05'], 'groups': ['fleet/sub']}


def test_schedules_of_the_defaults_for_selected_projects_and_ownership(capsys, fake):
    args = dict(select={'group': 'fleet', 'pattern': 'p0[01]$'},
                defaults={'schedules': [{'description': 'weekly', 'ref': 'main', 'cron': '@weekly'}]})
    first = run(capsys, fake, **args)
    assert sorted(first['schedules']) == ['fleet/p00', 'fleet/p01'] and first['totals']['schedules'] == {'changed': 2, 'ok': 0}
    # root takes p00's schedule over; ops editing it again is refused, naming the owner, unless take_ownership

    def p00(*schedules):
        return dict(args, projects=[{'project': 'fleet/p00', 'schedules': list(schedules)}])
    run(capsys, fake, token=ROOT, **p00({'description': 'weekly', 'take_ownership': True}))
    refused = run(capsys, fake, **p00({'description': 'weekly', 'cron': '@daily'}))
    assert refused['failed'] is True and "schedule 'weekly'" in refused['msg'] and 'owned by root' in refused['msg']
    taken = run(capsys, fake, **p00({'description': 'weekly', 'cron': '@daily', 'take_ownership': True}))
    entry = taken['owners'][0]['schedules'][0]
    assert entry['previous_owner'] == 'root' and entry['schedule']['owner'] == 'ops' and entry['schedule']['cron'] == '@daily'


@pytest.mark.parametrize('item, message', [
    ({'schedules': [{'description': 'n', 'ref': 'main', 'cron': '0 1 * * *', 'state': 'ran'}]}, 'state ran and wait are not offered'),
    ({'schedules': [{'description': 'n', 'ref': 'main', 'cron': '0 0 1 * * *'}]}, 'projects[0] (fleet/p00).schedules[0] (n): cron'),
    ({'job_token_scope': {'allowlist': {'groups': ['..']}}}, 'projects[0] (fleet/p00).job_token_scope: allowlist.groups'),
    ({'pipeline_settings': {'ci_delete_pipelines_in_seconds': '3650d'}}, 'projects[0] (fleet/p00).pipeline_settings: ci_delete_pipelines'),
    ({'pipeline_settings': {'build_timeout': '1h', 'bogus': 1}}, 'pipeline_settings: unknown field bogus'),
])
def test_bad_kinds_are_refused_before_any_request(capsys, fake, item, message):
    result = run(capsys, fake, projects=[dict(item, project='fleet/p00')])
    assert result['failed'] is True and message in result['msg'], result['msg']
    assert fake.journal == []
