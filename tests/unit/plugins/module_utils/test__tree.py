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
    # While the parent's own jobs run, it has not; its status unchanged, the next poll reads its jobs again.
    tree.set_jobs(1, [job(10, 'build', 'running')], [bridge(11, 'child', pipeline(2, 'manual'), status='running')])
    assert not tree.finished() and tree.needs_jobs(1) and tree.to_read() == [1]
    tree.read_jobs(1, [listed(10, 'build', 'success', 1, 'running')])
    # A job ended: its trigger jobs are read in the same poll before the tree counts as finished.
    assert tree.needs_bridges(1) and not tree.finished()
    tree.set_bridges(1, [bridge(11, 'child', pipeline(2, 'manual'), status='running')])
    assert tree.finished() and tree.to_read() == []


def listed(jid, name, status, pid, pipeline_status, **extra):
    """A job as GET /pipelines/:id/jobs lists it: it embeds its pipeline (Entities::Ci::PipelineBasic)."""
    return job(jid, name, status, pipeline={'id': pid, 'status': pipeline_status, 'project_id': 1, 'updated_at': 'now'}, **extra)


def test_a_poll_reads_a_new_or_running_pipeline_and_the_new_downstream_ones():
    tree = t.Tree(pipeline(1, 'created'), 'acme/app', 'acme/app')
    assert tree.to_read() == [1] and tree.unread() == [1] and tree.needs_jobs(1) and tree.needs_bridges(1) and not tree.finished()
    assert tree.read_jobs(1, [listed(10, 'build', 'running', 1, 'running')]) is True
    assert tree.node(1)['pipeline']['status'] == 'running' and tree.unread() == []
    assert tree.set_bridges(1, [bridge(11, 'child', None, 'created')]) == []
    assert tree.to_read() == [1] and not tree.needs_bridges(1)
    assert tree.read_jobs(1, [listed(10, 'build', 'running', 1, 'running')]) is False and not tree.needs_bridges(1)
    # The build ended: the trigger job's stage begins, its downstream pipeline appears.
    tree.read_jobs(1, [listed(10, 'build', 'success', 1, 'running')])
    assert tree.needs_bridges(1)
    added = tree.set_bridges(1, [bridge(11, 'child', pipeline(2, 'created'), 'running')])
    assert [node['id'] for node in added] == [2] and tree.unread() == [2] and tree.to_read() == [1, 2]
    tree.read_jobs(2, [listed(20, 'unit', 'running', 2, 'running')])
    tree.set_bridges(2, [])
    assert tree.unread() == [] and tree.to_read() == [1, 2] and not tree.finished()
    tree.read_jobs(2, [listed(20, 'unit', 'success', 2, 'success')])
    assert tree.to_read() == [1] and not tree.needs_jobs(2) and not tree.needs_bridges(2)


@pytest.mark.parametrize('before, after, bridges, expected', [
    # no trigger jobs: never read again
    ([job(10, 'build', 'running')], [listed(10, 'build', 'success', 1, 'success')], [], False),
    # a job merely started, or nothing changed: not read
    ([job(10, 'build', 'pending')], [listed(10, 'build', 'running', 1, 'running')], [bridge(11, 'child', None, 'created')], False),
    ([job(10, 'build', 'running')], [listed(10, 'build', 'running', 1, 'running')], [bridge(11, 'child', pipeline(2), 'running')], False),
    # a job finished (a stage ended), or one waits on a person: read
    ([job(10, 'build', 'running')], [listed(10, 'build', 'success', 1, 'running')], [bridge(11, 'child', None, 'created')], True),
    ([job(9, 'lint', 'running'), job(10, 'gate', 'created')],
     [listed(9, 'lint', 'running', 1, 'running'), listed(10, 'gate', 'manual', 1, 'running')], [bridge(11, 'child', None, 'created')], True),
    # the pipeline ended (a depend trigger job ends with its downstream): read
    ([job(10, 'build')], [listed(10, 'build', 'success', 1, 'success')], [bridge(11, 'child', pipeline(2), 'running')], True),
    # a trigger job started but has no downstream pipeline yet: read at every poll
    ([job(10, 'build', 'running')], [listed(10, 'build', 'running', 1, 'running')], [bridge(11, 'child', None, 'pending')], True),
    # a trigger job created while no job runs: it waits on other trigger jobs, read at every poll
    ([job(10, 'build')], [listed(10, 'build', 'success', 1, 'running')],
     [bridge(11, 'a', pipeline(2), 'running'), bridge(12, 'b', None, 'created')], True),
    # manual or finished trigger jobs without downstream create none by themselves
    ([job(10, 'build', 'running')], [listed(10, 'build', 'running', 1, 'running')], [bridge(11, 'child', None, 'manual')], False),
])
def test_when_a_poll_reads_the_trigger_jobs_again(before, after, bridges, expected):
    tree = t.Tree(pipeline(1, 'running'), 'acme/app', 'acme/app')
    tree.set_jobs(1, before, bridges)
    tree.read_jobs(1, after)
    assert tree.needs_bridges(1) is expected


def test_the_status_comes_from_the_job_list_else_from_the_pipeline():
    tree = t.Tree(dict(pipeline(1, 'created'), finished_at=None, sha='abc'), 'acme/app', 'acme/app')
    assert not tree.needs_full(1)
    tree.read_jobs(1, [listed(10, 'build', 'success', 1, 'success')])
    node = tree.node(1)
    # PipelineBasic's fields are taken, the rest kept: the pipeline itself is worth one read at the end.
    assert node['pipeline']['status'] == 'success' and node['pipeline']['updated_at'] == 'now' and node['pipeline']['sha'] == 'abc'
    assert tree.needs_full(1)
    tree.set_pipeline(1, dict(pipeline(1, 'success'), finished_at='then'))
    assert not tree.needs_full(1) and node['pipeline']['finished_at'] == 'then'
    # An empty job list (trigger jobs only) says nothing: the pipeline read with it does.
    other = t.Tree(pipeline(5, 'running'), 'acme/app', 'acme/app')
    assert other.read_jobs(5, [], pipeline(5, 'success')) is True and other.node(5)['pipeline']['status'] == 'success'
    assert not other.needs_full(5)
    # A downstream pipeline starts from its trigger job's PipelineBasic.
    child = tree_of().node(2)
    assert child['full'] is False


@pytest.mark.parametrize('status_now, all_pages, expected', [
    ('running', False, False),        # unchanged and running: the first page is enough
    ('success', False, True),         # the end: every page
    ('failed', False, True),
    ('running', True, True),          # a name to find: every page
])
def test_pages_after_the_first_are_read_on_a_change_or_at_the_end(status_now, all_pages, expected):
    tree = t.Tree(pipeline(1, 'running'), 'acme/app', 'acme/app', all_pages=all_pages)
    first = [listed(500 - n, 'job-%d' % n, 'running', 1, 'running') for n in range(t.PAGE)]
    tree.read_jobs(1, first)
    assert tree.needs_pages(1)               # never read before
    tree.add_pages(1, [job(300, 'old', 'success'), job(500, 'job-0', 'running')])
    assert len(tree.node(1)['jobs']) == t.PAGE + 1 and not tree.needs_pages(1)
    tree.read_jobs(1, [listed(500 - n, 'job-%d' % n, 'success' if status_now != 'running' else 'running', 1, status_now)
                       for n in range(t.PAGE)])
    assert tree.needs_pages(1) is expected
    # The older jobs are kept between two full reads.
    assert [j['name'] for j in tree.node(1)['jobs']][-1] == 'old'
    small = t.Tree(pipeline(2, 'running'), 'acme/app', 'acme/app', all_pages=all_pages)
    small.read_jobs(2, first[:3])
    assert not small.needs_pages(2)
    # A list read page after page in one go leaves nothing to read.
    whole = t.Tree(pipeline(3, 'running'), 'acme/app', 'acme/app', all_pages=all_pages)
    whole.read_jobs(3, first + [job(300, 'old', 'success')], every_page=True)
    assert not whole.needs_pages(3) and len(whole.node(3)['jobs']) == t.PAGE + 1


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


def test_trigger_jobs_are_read_once_when_there_are_none():
    tree = t.Tree(pipeline(1, 'created'), 'acme/app', 'acme/app')
    assert tree.needs_bridges(1)
    tree.read_jobs(1, [listed(10, 'build', 'created', 1, 'created')])
    tree.set_bridges(1, [])
    assert not tree.needs_bridges(1)
    tree.read_jobs(1, [listed(10, 'build', 'success', 1, 'success')])
    assert not tree.needs_bridges(1) and tree.node(1)['bridges'] == [] and tree.finished()
    tree.set_jobs(1, [job(10, 'build')])           # jobs alone keep what was known
    assert tree.node(1)['bridges'] == [] and tree.finished()
    assert not t.Tree(pipeline(2), 'a', 'a', follow=False).needs_bridges(2)
