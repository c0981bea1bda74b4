"""gitlab_ci_settings through real ansible-playbook against the fake: 50 projects (selected by group and listed)
in one task, the re-run ok with two requests per project, check mode, one owner failing alone, a purge
confined to its owner, and a tight rate limit (tests/fake_gitlab/ratelimit.py)."""

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
