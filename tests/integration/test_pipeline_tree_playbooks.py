"""gitlab_ci_job on pipeline trees, through real ansible-playbook against the fake GitLab.

The fake's seed (tests/integration/targets/gitlab_ci_tree/files/tree-seed.yml, run 5 times faster
here) has a parent with a child (and a grandchild) and a multi-project downstream, trees with
``strategy: depend`` and ``mirror``, a failing grandchild, a manual job in a child, a downstream
the user may not run, and a project that restricts pipeline variables. The pipelines run as dev
(a Developer), so GitLab's permission checks apply. In-process versions, request by request, are in
tests/unit/plugins/modules/test_gitlab_ci_job.py.
"""

import os
import time
import zipfile

import pytest
import yaml

from tests.conftest import DEV_TOKEN

pytestmark = pytest.mark.fake_only

PLAYBOOK = 'gitlab_ci_tree/tree.yml'
TASK = 'Act on the tree'
SEED = os.path.join(os.path.dirname(__file__), 'targets', 'gitlab_ci_tree', 'files', 'tree-seed.yml')
AS_DEV = {'GITLAB_TOKEN': DEV_TOKEN}


def reseed(gitlab, time_scale, projects=()):
    with open(SEED, encoding='utf-8') as handle:
        seed = yaml.safe_load(handle)
    seed['time_scale'] = time_scale
    seed['projects'].extend(projects)
    gitlab.fake.reset(seed)
    return gitlab


@pytest.fixture
def trees(gitlab):
    return reseed(gitlab, 0.2)


def play(gitlab, **extra):
    return gitlab.play(PLAYBOOK, dict(('test_' + key, value) for key, value in extra.items()), env=AS_DEV)


def ok(gitlab, **extra):
    return play(gitlab, **extra).assert_ok().task(TASK)['result']


def failed(gitlab, **extra):
    return play(gitlab, **extra).assert_failed().failure()


def flatten(node):
    found = [node]
    for child in node.get('downstream', ()):
        found.extend(flatten(child))
    return found


def api(gitlab, path):
    response = gitlab.api('GET', path)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize('project, names', [
    ('mono/app', [None, 'child', 'grand', 'multi']),     # no strategy on the child, depend on the multi-project one
    ('mono/mirror', [None, 'child']),                    # strategy: mirror
])
def test_wait_returns_only_when_the_tree_is_done(trees, project, names):
    result = ok(trees, project=project, state='run', ref='main', wait=True)
    nodes = flatten(result['pipeline'])
    assert [node.get('bridge', {}).get('name') for node in nodes] == names
    for node in nodes:
        # Read back from GitLab after the task: every pipeline had finished (or waits on a manual job).
        where = node.get('project') or project
        now = api(trees, '/projects/%s/pipelines/%d' % (where.replace('/', '%2F'), node['id']))
        assert now['status'] in ('success', 'manual'), (node, now)
        assert node['status'] == now['status']
    assert result['pipeline']['tree_status'] == 'success'


def test_follow_downstream_false_returns_with_the_parent(trees):
    slow = {'name': 'child', 'stage': 'deploy', 'trigger': {'include': [{'name': 'slow', 'duration': 60}]}}
    reseed(trees, 1, [{'path': 'mono/long', 'ci': [{'name': 'build'}, slow]}])
    start = time.monotonic()
    result = ok(trees, project='mono/long', state='run', ref='main', wait=True, follow_downstream=False)
    assert time.monotonic() - start < 30 and 'downstream' not in result['pipeline']
    bridges = api(trees, '/projects/mono%%2Flong/pipelines/%d/bridges' % result['pipeline']['id'])
    child = bridges[0]['downstream_pipeline']
    # The parent ended as soon as its trigger job created the child: the child still runs.
    assert api(trees, '/projects/mono%%2Flong/pipelines/%d' % child['id'])['status'] in ('created', 'pending', 'running')


def test_a_failing_grandchild_job_fails_the_task_with_its_log_tail(trees):
    failure = failed(trees, project='mono/fail', state='run', ref='main', wait=True)
    msg = failure['msg']
    assert 'ended with status failed' in msg and 'deep (' in msg and '(trigger jobs child -> grand)' in msg, msg
    assert msg.endswith('ERROR: deep broke'), msg


def test_a_manual_job_in_a_child_does_not_hang(trees):
    start = time.monotonic()
    result = ok(trees, project='mono/manual', state='run', ref='main', wait=True, wait_timeout=60)
    assert time.monotonic() - start < 45
    assert result['pipeline']['downstream'][0]['status'] == 'manual' and result['pipeline']['tree_status'] == 'manual'


def test_a_downstream_without_permission_fails_clearly(trees):
    msg = failed(trees, project='mono/denied', state='run', ref='main', wait=True)['msg']
    assert 'trigger job downstream' in msg and 'insufficient_bridge_permissions' in msg and 'Developer or higher' in msg, msg


def test_an_ambiguous_name_lists_candidates(trees):
    tree = ok(trees, project='mono/app', state='run', ref='main', wait=True)
    msg = failed(trees, project='mono/app', pipeline_id=tree['pipeline']['id'], name='unit')['msg']
    assert 'matches jobs in 2 pipelines' in msg and "downstream: ['child']" in msg and "downstream: ['multi']" in msg, msg
    assert 'of mono/lib' in msg


def test_play_retry_and_artifacts_of_jobs_in_a_child_and_a_downstream_project(trees, tmp_path):
    tree = ok(trees, project='mono/app', state='run', ref='main', wait=True)
    pid = tree['pipeline']['id']
    played = ok(trees, project='mono/app', pipeline_id=pid, name='ship', state='played', wait=True)
    assert played['changed'] and played['job']['status'] == 'success'
    assert played['job']['pipeline_id'] == tree['pipeline']['downstream'][1]['id']
    approved = ok(trees, project='mono/app', pipeline_id=pid, name='approve', state='played')
    assert approved['changed'] and approved['job']['pipeline_id'] == tree['pipeline']['downstream'][0]['id']
    retried = ok(trees, project='mono/app', pipeline_id=pid, name='e2e', state='retried', wait=True)
    assert retried['changed'] and retried['job']['status'] == 'success' and retried['previous_job']['id'] != retried['job']['id']
    retried_lib = ok(trees, project='mono/app', pipeline_id=pid, name='unit', downstream=['multi'], state='retried', wait=True)
    assert retried_lib['job']['status'] == 'success'
    dest = str(tmp_path / 'lib.zip')
    got = ok(trees, project='mono/app', pipeline_id=pid, name='lib-build', artifacts_dest=dest)
    assert got['artifacts']['changed'] is True
    with zipfile.ZipFile(dest) as archive:
        assert archive.read('lib.so') == b'ELF\n'
    report = str(tmp_path / 'report.txt')
    child = ok(trees, project='mono/app', pipeline_id=pid, name='unit', downstream=['child'], artifact_path='report.txt',
               artifacts_dest=report, log_lines=2)
    assert child['log']['lines'] == ['unit ok']
    with open(report, 'rb') as handle:
        assert handle.read() == b'child report\n'


def test_the_pipeline_variables_restriction_names_the_setting(trees):
    msg = failed(trees, project='mono/locked', state='run', ref='main', variables={'A': 'x'})['msg']
    assert 'ci_pipeline_variables_minimum_override_role' in msg and 'inputs' in msg, msg
