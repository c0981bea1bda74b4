"""Table tests of the pure pipeline-tree logic (plugins/module_utils/_tree.py): no HTTP.

Shapes follow GitLab's API: a pipeline (Entities::Ci::Pipeline), jobs (Entities::Ci::Job), bridges
(Entities::Ci::Bridge with ``downstream_pipeline``, Entities::Ci::PipelineBasic);
https://docs.gitlab.com/api/jobs/#list-pipeline-trigger-jobs.
"""

import pytest

from ansible_collections.cicd.gitlab.plugins.module_utils import _tree as t

URL = 'https://gitlab.example.com'


def pipeline(pid, status='running', project='acme/app', project_id=1):
    return {'id': pid, 'status': status, 'ref': 'main', 'project_id': project_id,
            'web_url': '%s/%s/-/pipelines/%d' % (URL, project, pid)}


def job(jid, name, status='success', **extra):
    return dict({'id': jid, 'name': name, 'stage': 'test', 'status': status}, **extra)


def bridge(bid, name, downstream=None, status='success', **extra):
    return dict({'id': bid, 'name': name, 'stage': 'deploy', 'status': status, 'downstream_pipeline': downstream}, **extra)


def tree_of(root_status='success', child_status='success', child_jobs=None, multi_status='success', multi_jobs=None, follow=True,
            child_bridge=None, multi_bridge=None):
    """acme/app pipeline 1: build, trigger jobs child (-> 2, same project) and multi (-> 3 in acme/lib)."""
    tree = t.Tree(pipeline(1, root_status), 'acme/app', 'acme/app', follow=follow)
    tree.set_jobs(1, [job(10, 'build')], [bridge(11, 'child', pipeline(2, child_status), **(child_bridge or {})),
                                          bridge(12, 'multi', pipeline(3, multi_status, 'acme/lib', 7), **(multi_bridge or {}))])
    if follow:
        tree.set_jobs(2, child_jobs if child_jobs is not None else [job(20, 'unit')], [])
        tree.set_jobs(3, multi_jobs if multi_jobs is not None else [job(30, 'unit'), job(31, 'lib')], [])
    return tree


@pytest.mark.parametrize('url, prefix, expected', [
    ('https://h/acme/app/-/pipelines/5', '', 'acme/app'),
    ('https://h/gitlab/acme/app/-/pipelines/5', '/gitlab', 'acme/app'),
    ('https://h/gitlab/acme/app/-/pipelines/5', '/gitlab/', 'acme/app'),
    ('https://h:8443/a/b/c/-/pipelines/5', '', 'a/b/c'),
    ('https://h/acme/app/pipelines/5', '', None),
    (None, '', None),
])
def test_project_of_url(url, prefix, expected):
    assert t.project_of_url(url, prefix) == expected


def test_downstream_nodes_take_their_project_and_path():
    tree = tree_of()
    child, multi = tree.node(2), tree.node(3)
    assert (child['project'], child['project_path'], child['path']) == ('acme/app', 'acme/app', ('child',))
    assert (multi['project'], multi['project_path'], multi['path']) == (7, 'acme/lib', ('multi',))
    assert child['bridge']['name'] == 'child' and multi['parent'] == 1


@pytest.mark.parametrize('root, child, multi, child_jobs, expected', [
    ('success', 'success', 'success', None, True),
    ('success', 'running', 'success', None, False),                               # without strategy the parent ends first
    ('running', 'success', 'success', None, False),
    ('success', 'manual', 'success', [job(20, 'unit'), job(21, 'gate', 'manual')], True),   # a manual child does not hang
    ('success', 'running', 'success', [job(20, 'unit'), job(21, 'gate', 'manual')], True),  # blocked only on manual jobs
    ('success', 'canceling', 'success', [job(20, 'unit', 'canceled')], False),
    ('failed', 'failed', 'success', [job(20, 'unit', 'failed')], True),
])
def test_tree_finished(root, child, multi, child_jobs, expected):
    assert tree_of(root, child, child_jobs, multi).finished() is expected


def test_a_depend_parent_running_on_a_manual_child_counts_as_finished():
    tree = t.Tree(pipeline(1, 'running'), 'acme/app', 'acme/app')
    tree.set_jobs(1, [job(10, 'build')], [bridge(11, 'child', pipeline(2, 'manual'), status='running')])
    tree.set_jobs(2, [job(20, 'gate', 'manual')], [])
    assert tree.finished() and tree.status() == 'manual'
    # While the parent's own jobs run, it has not.
    tree.set_jobs(1, [job(10, 'build', 'running')], [bridge(11, 'child', pipeline(2, 'manual'), status='running')])
    assert not tree.finished()
    # Polled again with an unchanged status, its jobs are read again (they may have finished meanwhile).
    assert tree.update_pipeline(1, pipeline(1, 'running')) is False and tree.stale() == [1]


def test_a_new_tree_and_a_changed_status_make_jobs_stale():
    tree = t.Tree(pipeline(1, 'running'), 'acme/app', 'acme/app')
    assert tree.stale() == [1] and tree.to_poll() == [] and not tree.finished()
    tree.set_jobs(1, [job(10, 'build', 'running')], [bridge(11, 'child', None, 'pending')])
    assert tree.stale() == [] and tree.to_poll() == [1]
    assert tree.update_pipeline(1, pipeline(1, 'running')) is False and tree.stale() == []
    assert tree.update_pipeline(1, pipeline(1, 'success')) is True and tree.stale() == [1]
    added = tree.set_jobs(1, [job(10, 'build')], [bridge(11, 'child', pipeline(2, 'running'))])
    assert [node['id'] for node in added] == [2] and tree.stale() == [2] and tree.to_poll() == []
    tree.set_jobs(2, [job(20, 'unit', 'running')], [])
    assert tree.to_poll() == [2]


def test_a_bridge_that_has_not_created_its_downstream_keeps_the_tree_running():
    tree = t.Tree(pipeline(1, 'success'), 'acme/app', 'acme/app')
    tree.set_jobs(1, [job(10, 'build')], [bridge(11, 'child', None, 'pending')])
    assert not tree.finished()
    tree.set_jobs(1, [job(10, 'build')], [bridge(11, 'child', None, 'manual')])
    assert tree.finished()


def test_follow_false_is_the_parent_alone():
    tree = tree_of(child_status='running', follow=False)
    assert list(tree.nodes) == [1] and tree.finished() and 'downstream' not in tree.public()


@pytest.mark.parametrize('kwargs, fail_on, status, blamed', [
    ({}, ['failed', 'canceled'], None, []),
    (dict(child_status='failed', child_jobs=[job(20, 'unit', 'failed')]), ['failed'], 'failed', [20]),
    (dict(child_status='success', child_jobs=[job(20, 'unit', 'failed', allow_failure=True)]), ['failed'], None, []),
    (dict(child_status='failed', child_jobs=[job(20, 'unit', 'failed')], child_bridge={'allow_failure': True}), ['failed'], None, []),
    (dict(multi_status='canceled', multi_jobs=[job(30, 'unit', 'canceled')]), ['failed', 'canceled'], 'canceled', [30]),
    (dict(multi_status='canceled', multi_jobs=[job(30, 'unit', 'canceled')]), ['failed'], None, []),
    (dict(multi_status='skipped', multi_jobs=[job(30, 'unit', 'skipped')]), ['skipped'], 'skipped', [30]),
])
def test_outcome_of_the_whole_tree(kwargs, fail_on, status, blamed):
    found, jobs, broken = tree_of(**kwargs).outcome(fail_on)
    assert found == status and [j['id'] for node, j in jobs] == blamed and broken == []


@pytest.mark.parametrize('reason', sorted(t.BRIDGE_REASONS))
def test_a_bridge_that_could_not_create_its_downstream(reason):
    tree = t.Tree(pipeline(1, 'failed'), 'acme/app', 'acme/app')
    tree.set_jobs(1, [job(10, 'build')], [bridge(11, 'deploy', None, 'failed', failure_reason=reason, web_url='%s/acme/app/-/jobs/11' % URL)])
    status, blamed, broken = tree.outcome(['failed'])
    assert status == 'failed' and blamed == [] and [b['id'] for node, b in broken] == [11]
    text = t.bridge_message(*broken[0])
    assert text.startswith('trigger job deploy (11) of pipeline 1 of acme/app failed: ') and '(failure_reason: %s)' % reason in text
    assert t.BRIDGE_REASONS[reason] in text and text.endswith('/acme/app/-/jobs/11')


def test_a_depend_bridge_failed_by_its_downstream_blames_the_downstream_job():
    tree = tree_of('failed', 'failed', [job(20, 'unit', 'failed')],
                   child_bridge={'status': 'failed', 'failure_reason': 'unknown_failure'})
    status, blamed, broken = tree.outcome(['failed'])
    assert status == 'failed' and [j['id'] for n, j in blamed] == [20] and broken == []


@pytest.mark.parametrize('name, downstream, node, problem', [
    ('build', None, 1, None),
    ('lib', None, 3, None),
    ('unit', None, None, 'matches jobs in 2 pipelines'),
    ('unit', ['multi'], 3, None),
    ('unit', ['child'], 2, None),
    ('unit', [], None, None),
    ('build', [], 1, None),
    ('unit', ['nope'], None, 'no pipeline at downstream'),
    ('nothing', None, None, None),
])
def test_pick_a_job_in_the_tree(name, downstream, node, problem):
    found, job_found, text = tree_of().pick(name, downstream)
    assert (found['id'] if found else None) == node
    assert (problem is None and text is None) or problem in text


def test_ambiguous_names_list_every_candidate():
    text = tree_of().pick('unit')[2]
    assert "job 20 (unit) in pipeline 2 of acme/app, downstream: ['child']" in text
    assert "job 30 (unit) in pipeline 3 of acme/lib, downstream: ['multi']" in text


def test_status_of_the_tree():
    assert tree_of(child_status='running').status() == 'running'
    assert tree_of(child_status='failed', child_jobs=[job(20, 'unit', 'failed')]).status() == 'failed'
    assert tree_of(child_status='manual', child_jobs=[job(20, 'gate', 'manual')]).status() == 'manual'
    assert tree_of().status() == 'success'


def test_public_tree_keeps_the_pipeline_shape_and_adds_downstream():
    result = tree_of().public()
    assert result['id'] == 1 and result['jobs'] == [{'id': 10, 'name': 'build', 'stage': 'test', 'status': 'success'}]
    child, multi = result['downstream']
    assert (child['id'], child['project'], child['bridge']['name'], child['downstream']) == (2, 'acme/app', 'child', [])
    assert (multi['id'], multi['project'], multi['project_id']) == (3, 'acme/lib', 7)
    assert 'bridge' not in result and 'project' not in result


def test_timeout_status_names_what_still_runs():
    tree = tree_of(child_status='running', child_jobs=[job(20, 'unit', 'running')])
    assert t.timeout_status(tree) == 'pipeline 2 of acme/app (trigger job child) running'


@pytest.mark.parametrize('role, trigger, words', [
    ('no_one_allowed', False, 'is no_one_allowed: no one may pass pipeline variables, and the user of the token'),
    ('maintainer', True, 'is maintainer: the Maintainer role or higher is needed, and the owner of the trigger token'),
    ('developer', False, 'the Developer role or higher'),
    ('owner', False, 'the Owner role is needed'),
    (None, False, 'could not be read with this token'),
])
def test_variables_message(role, trigger, words):
    text = t.variables_message('acme/app', role, trigger)
    assert 'ci_pipeline_variables_minimum_override_role' in text and words in text and 'inputs' in text


@pytest.mark.parametrize('message, expected', [
    ('{"base"=>["Insufficient permissions to set pipeline variables"]}', True),
    ('base: Insufficient permissions to set pipeline variables', True),
    ('Reference not found', False),
    (None, False),
])
def test_variables_denied(message, expected):
    assert t.variables_denied(message) is expected


@pytest.mark.parametrize('bridges, status, stale', [
    ([], 'pending', False),          # no trigger jobs: an intermediate status change reads nothing more
    ([], 'running', False),
    ([], 'success', True),           # a status that may be its end: its jobs are read
    ([], 'manual', True),
    ([], 'failed', True),
    ([bridge(11, 'child', None, 'created')], 'running', True),    # trigger jobs: read on every change
])
def test_which_status_changes_read_the_jobs_again(bridges, status, stale):
    tree = t.Tree(pipeline(1, 'created'), 'acme/app', 'acme/app')
    tree.set_jobs(1, [job(10, 'build', 'created')], bridges)
    assert tree.update_pipeline(1, pipeline(1, status)) is True
    assert (tree.stale() == [1]) is stale


def test_trigger_jobs_are_read_once_when_there_are_none():
    tree = t.Tree(pipeline(1, 'created'), 'acme/app', 'acme/app')
    assert tree.needs_bridges(1)
    tree.set_jobs(1, [job(10, 'build', 'created')], [])
    assert not tree.needs_bridges(1)
    tree.set_jobs(1, [job(10, 'build')])           # jobs alone keep what was known
    assert tree.node(1)['bridges'] == [] and tree.finished() is False
    tree.update_pipeline(1, pipeline(1, 'success'))
    tree.set_jobs(1, [job(10, 'build')])
    assert tree.finished() and not t.Tree(pipeline(2), 'a', 'a', follow=False).needs_bridges(2)
