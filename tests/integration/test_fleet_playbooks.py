"""gitlab_ci_settings through real ansible-playbook against the fake: 50 projects (selected by group and listed)
in one task, the re-run ok with two requests per project, check mode, one owner failing alone, a purge
confined to its owner, and a tight rate limit (tests/fake_gitlab/ratelimit.py); schedules, job token scopes and
pipeline settings per project in four passes, a purge to an empty allowlist refused for one project, bad input."""

import pytest

from tests.fake_gitlab import FakeGitLab
from tests.integration.harness import Target

OPS = 'glpat-ops-00000000000000'
ROOT = 'glpat-root-000000000000'
SECRET = 'fleet-it-s3cr3t-000042'
COUNT = 50
TASK = 'Declare the fleet'

pytestmark = pytest.mark.fake_only


def seed():
    return {
        'users': [{'username': 'root', 'token': ROOT, 'admin': True}, {'username': 'ops', 'token': OPS}],
        'groups': [{'path': 'fleet', 'members': {'ops': 'maintainer'}}, {'path': 'fleet/team'}, {'path': 'other'}],
        'projects': [{'path': 'fleet/p%02d' % i} for i in range(COUNT - 5)]
        + [{'path': 'fleet/team/t%d' % i} for i in range(5)] + [{'path': 'other/locked'}],
    }


@pytest.fixture
def gitlab(tmp_path):
    with FakeGitLab(seed=seed()) as fake:
        target = Target(fake.url, OPS, 'fleet/p00', 'fleet', fake=fake, workdir=str(tmp_path))
        target.secret(SECRET)
        yield target


def fleet_task(**extra):
    args = {
        'select': {'group': 'fleet', 'include_subgroups': True, 'pattern': '^fleet/p'},
        'defaults': {'variables': [{'key': 'FLEET_REGION', 'value': 'region-eu-west-0001'},
                                   {'key': 'FLEET_TOKEN', 'value': SECRET, 'masked': True}],
                     'triggers': [{'description': 'fleet deploy'}]},
        'projects': [{'project': 'fleet/team/t%d' % i, 'variables': [{'key': 'TEAM', 'value': 'team-value-%04d' % i}]} for i in range(5)],
    }
    args.update(extra)
    return [{'name': TASK, 'cicd.gitlab.gitlab_ci_settings': args, 'register': 'fleet', 'no_log': True},
            {'name': 'Show the totals', 'ansible.builtin.debug': {'var': 'fleet.totals'}},
            {'name': 'Show the owners', 'ansible.builtin.debug': {'msg': '{{ fleet.owners | map(attribute="status") | list }}'}}]


def shown(run, name):
    result = run.task(name)['result']
    return result.get('fleet.totals', result.get('msg'))


def test_fifty_projects_converge_in_one_task_and_the_rerun_is_two_requests_each(gitlab):
    run = gitlab.play_tasks(fleet_task())
    run.assert_ok()
    totals = shown(run, 'Show the totals')
    assert totals['owners'] == COUNT and totals['changed'] == COUNT and totals['failed'] == 0 and totals['selected'] == COUNT - 5
    variables = {p['full_path']: {v['key'] for v in p['variables']} for p in gitlab.state()['projects']}
    assert variables['fleet/p07'] == {'FLEET_REGION', 'FLEET_TOKEN'} and variables['fleet/team/t3'] == {'TEAM'}

    gitlab.clear_journal()
    again = gitlab.play_tasks(fleet_task())
    again.assert_ok()
    assert [name for name, status in again.statuses() if status == 'changed'] == []
    journal = gitlab.journal()
    assert gitlab.writes() == []
    listing = [e for e in journal if e['path'].endswith('/projects')]
    assert len(listing) == 1
    # 45 selected projects: variables and triggers; 5 listed ones: variables only
    assert len(journal) - len(listing) == 2 * (COUNT - 5) + 5
    assert shown(again, 'Show the totals')['ok'] == COUNT


def test_check_mode_writes_nothing(gitlab):
    gitlab.clear_journal()
    run = gitlab.play_tasks(fleet_task(), check=True)
    run.assert_ok()
    assert gitlab.writes() == [] and shown(run, 'Show the totals')['changed'] == COUNT


def test_a_project_without_permission_fails_alone_and_a_purge_stays_on_its_owner(gitlab):
    gitlab.play_tasks(fleet_task()).assert_ok()
    gitlab.clear_journal()
    extra = {'projects': [{'project': 'other/locked', 'variables': [{'key': 'X', 'value': 'locked-value-0001'}]},
                          {'project': 'fleet/team/t0', 'variables': [], 'purge': True}]}
    run = gitlab.play_tasks(fleet_task(**extra))
    failed = [t for t in run.tasks if t['status'] == 'failed']
    assert len(failed) == 1 and failed[0]['task'] == TASK
    assert [(e['method'], e['path']) for e in gitlab.writes()] == [('DELETE', '/api/v4/projects/fleet%2Fteam%2Ft0/variables/TEAM')]
    variables = {p['full_path']: {v['key'] for v in p['variables']} for p in gitlab.state()['projects']}
    assert variables['fleet/team/t0'] == set() and variables['fleet/team/t1'] == {'TEAM'} and variables['other/locked'] == set()


def test_a_tight_rate_limit_converges_with_no_failed_owner(gitlab):
    gitlab.fake.rate_limits.configure(limit=40, period=1)
    run = gitlab.play_tasks(fleet_task())
    run.assert_ok()
    totals = shown(run, 'Show the totals')
    assert totals['failed'] == 0 and totals['changed'] == COUNT
    assert totals['requests'] >= 1 + 3 * (COUNT - 5)   # lists, variable creates and trigger creates


# ---- schedules, job token scopes and pipeline settings per project (#16, #17) ------------------------

KINDS_TASK = 'Declare schedules, job token scopes and pipeline settings'


def kinds_projects(count=4, depth=30):
    return [{'project': 'fleet/p%02d' % i,
             'schedules': [{'description': 'fleet nightly', 'ref': 'main', 'cron': '0 1 * * *', 'cron_timezone': 'Europe/Berlin',
                            'variables': [{'key': 'NIGHTLY_TOKEN', 'value': SECRET}]}],
             'job_token_scope': {'enabled': True, 'allowlist': {'projects': ['fleet/p40'], 'groups': ['fleet/team']}},
             'pipeline_settings': {'ci_default_git_depth': depth + i, 'build_timeout': '1h',
                                   'ci_pipeline_variables_minimum_override_role': 'maintainer'}}
            for i in range(count)]


def kinds_task(projects, no_log=True):
    return [{'name': KINDS_TASK, 'cicd.gitlab.gitlab_ci_settings': {'projects': projects}, 'register': 'fleet', 'no_log': no_log},
            {'name': 'Show the totals', 'ansible.builtin.debug': {'var': 'fleet.totals'}},
            {'name': 'Show the owners', 'ansible.builtin.debug': {'msg': '{{ fleet.owners | map(attribute="status") | list }}'}}]


def api(gitlab, path):
    response = gitlab.api('GET', path)
    assert response.status_code == 200, response.text
    return response.json()


def test_schedules_scopes_and_settings_four_passes_then_only_the_differing_ones_change(gitlab):
    projects = kinds_projects()
    gitlab.clear_journal()
    check = gitlab.play_tasks(kinds_task(projects), check=True, diff=True)
    check.assert_ok()
    assert gitlab.writes() == []
    assert shown(check, 'Show the totals')['changed'] == 4 and shown(check, 'Show the owners') == ['changed'] * 4

    apply = gitlab.play_tasks(kinds_task(projects))
    apply.assert_ok()
    totals = shown(apply, 'Show the totals')
    assert totals['schedules'] == {'changed': 4, 'ok': 0} and totals['job_token_scope'] == {'changed': 4, 'ok': 0}
    assert totals['pipeline_settings'] == {'changed': 4, 'ok': 0}
    p02 = api(gitlab, 'projects/fleet%2Fp02')
    assert p02['ci_default_git_depth'] == 32 and p02['build_timeout'] == 3600
    assert p02['ci_pipeline_variables_minimum_override_role'] == 'maintainer'
    listed, = api(gitlab, 'projects/fleet%2Fp02/pipeline_schedules')
    assert listed['description'] == 'fleet nightly' and listed['cron_timezone'] == 'Europe/Berlin'
    allowed = sorted(p['path_with_namespace'] for p in api(gitlab, 'projects/%d/job_token_scope/allowlist' % p02['id']))
    assert allowed == ['fleet/p02', 'fleet/p40']   # GitLab lists the project itself too

    gitlab.clear_journal()
    again = gitlab.play_tasks(kinds_task(projects), check=True)
    again.assert_ok()
    assert gitlab.writes() == [] and shown(again, 'Show the owners') == ['ok'] * 4

    gitlab.clear_journal()
    last = gitlab.play_tasks(kinds_task(projects))
    last.assert_ok()
    assert [name for name, status in last.statuses() if status == 'changed'] == []
    assert gitlab.writes() == []
    # per project: schedule list, schedule (its variables), the owner's membership, project, scope, two allowlists
    assert len(gitlab.journal()) == 4 * 7 == shown(last, 'Show the totals')['requests']

    # one project's setting and another's schedule differ: only those two writes
    changed = kinds_projects()
    changed[1]['pipeline_settings']['ci_default_git_depth'] = 77
    changed[3]['schedules'][0]['cron'] = '30 2 * * *'
    gitlab.clear_journal()
    run = gitlab.play_tasks(kinds_task(changed))
    run.assert_ok()
    assert shown(run, 'Show the owners') == ['ok', 'changed', 'ok', 'changed']
    writes = [(e['method'], e['path']) for e in gitlab.writes()]
    assert sorted(method for method, _path in writes) == ['PUT', 'PUT']
    assert ('PUT', '/api/v4/projects/%d' % api(gitlab, 'projects/fleet%2Fp01')['id']) in writes


def test_a_purge_to_empty_is_refused_for_one_project_while_the_others_converge(gitlab):
    gitlab.play_tasks(kinds_task(kinds_projects(3))).assert_ok()
    projects = kinds_projects(3, depth=60)
    projects[0]['job_token_scope'] = {'allowlist': {'projects': [], 'groups': []}, 'purge': True}
    gitlab.clear_journal()
    run = gitlab.play_tasks(kinds_task(projects, no_log=False))   # the values are still masked (the harness checks)
    failed = [t for t in run.tasks if t['status'] == 'failed']
    assert len(failed) == 1 and failed[0]['task'] == KINDS_TASK
    msg = failed[0]['result']['msg']
    assert msg.startswith('1 of 3 owners failed') and 'project fleet/p00' in msg and 'leave the job token allowlist empty' in msg
    assert api(gitlab, 'projects/fleet%2Fp00')['ci_default_git_depth'] == 30   # nothing of the refused project
    assert [api(gitlab, 'projects/fleet%%2Fp%02d' % i)['ci_default_git_depth'] for i in (1, 2)] == [61, 62]
    p00 = api(gitlab, 'projects/fleet%2Fp00')['id']
    assert not [e for e in gitlab.writes() if '/projects/%d' % p00 in e['path'] or 'fleet%2Fp00' in e['path']]


@pytest.mark.parametrize('item, needle', [
    ({'schedules': [{'description': 'n', 'ref': 'main', 'cron': '0 1 * * *', 'state': 'ran', 'wait': True}]}, 'state ran and wait'),
    ({'schedules': [{'description': 'n', 'ref': 'main', 'cron': '1 2 3'}]}, 'schedules[0] (n): cron'),
    ({'schedules': [{'description': 'n', 'ref': 'main', 'cron': '0 1 * * *', 'cron_timezone': 'Mars/Base'}]}, 'cron_timezone'),
    ({'job_token_scope': {'allowlist': {'projects': 'fleet/p01'}}}, 'job_token_scope: allowlist.projects must be a list'),
    ({'job_token_scope': {'purge_all': True, 'purge': False, 'allowlist': {'groups': []}}}, 'purge_all needs purge'),
    ({'pipeline_settings': {'build_timeout': '5m'}}, 'pipeline_settings: build_timeout'),
    ({'pipeline_settings': {'ci_restrict_pipeline_cancellation_role': 'anyone'}}, 'ci_restrict_pipeline_cancellation_role'),
    ({'pipeline_settings': {'ci_config_pth': 'x.yml'}}, 'unknown field ci_config_pth'),
], ids=['ran', 'cron', 'timezone', 'allowlist-type', 'purge-all', 'build-timeout', 'cancel-role', 'settings-typo'])
def test_bad_kinds_are_refused_before_any_request(gitlab, item, needle):
    gitlab.clear_journal()
    run = gitlab.play_tasks([{'name': KINDS_TASK, 'cicd.gitlab.gitlab_ci_settings': {'projects': [dict(item, project='fleet/p01')]}}])
    run.assert_failed()
    msg = run.task(KINDS_TASK)['result']['msg']
    assert needle in msg and 'projects[0] (fleet/p01)' in msg, msg
    assert gitlab.journal() == []
