"""Pipeline trees: ``strategy: mirror``, downstream fields, cancel and retry across a tree, job routes in
downstream pipelines, and the pipeline-variables restriction.

GitLab: https://docs.gitlab.com/ci/pipelines/downstream_pipelines/, https://docs.gitlab.com/ci/yaml/#triggerstrategy
(app/models/ci/bridge.rb ``inherit_mirrored_status_from_downstream!``, app/models/ci/pipeline.rb
``reset_source_bridge!``, app/services/ci/cancel_pipeline_service.rb, app/services/ci/after_requeue_job_service.rb,
lib/api/entities/ci/pipeline.rb, lib/api/entities/ci/bridge.rb), https://docs.gitlab.com/ci/variables/#restrict-pipeline-variables
(lib/gitlab/ci/pipeline/chain/build/associations.rb, app/models/project_ci_cd_setting.rb, lib/api/entities/project.rb,
https://gitlab.com/gitlab-org/gitlab/-/issues/557381 for TRIGGER_PAYLOAD).  The fake's CI clock is driven by hand.
"""

import pytest

from tests.fake_gitlab import ci
from tests.fake_gitlab.state import SeedError
from tests.fidelity.cihelpers import driven, new_pipeline
from tests.fidelity.helpers import DEV, MAINT, OWNER, ROOT, Api

P = '/projects/g%2Fp'
OTHER = '/projects/g%2Fother'
DONE = 30
VARIABLES_REFUSED = {'message': {'base': ['Insufficient permissions to set pipeline variables']}}
# Entities::Ci::Pipeline + name (PipelineWithMetadata): no upstream / source_pipeline / downstream fields.
PIPELINE_FIELDS = {'id', 'iid', 'project_id', 'sha', 'ref', 'status', 'source', 'created_at', 'updated_at', 'web_url',
                   'before_sha', 'tag', 'yaml_errors', 'user', 'started_at', 'finished_at', 'committed_at', 'duration',
                   'queued_duration', 'coverage', 'detailed_status', 'archived', 'name'}
PIPELINE_BASIC = {'id', 'iid', 'project_id', 'sha', 'ref', 'status', 'source', 'created_at', 'updated_at', 'web_url'}


def seed(jobs, other_ci=None, **project):
    """root (admin), dev (Developer of g), maint (Maintainer of g), owner (Owner of g); g/p runs ``jobs``, g/other ``other_ci``."""
    main = {'path': 'g/p', 'ci': jobs, 'triggers': [{'description': 'deploy', 'owner': 'dev', 'token': 'glptt-' + 'a' * 40}]}
    main.update(project)
    return {'users': [{'username': 'root', 'token': ROOT, 'admin': True}, {'username': 'dev', 'token': DEV},
                      {'username': 'maint', 'token': MAINT}, {'username': 'owner', 'token': OWNER}],
            'groups': [{'path': 'g', 'members': {'dev': 'developer', 'maint': 'maintainer', 'owner': 'owner'}}],
            'projects': [main, {'path': 'g/other', 'ci': other_ci or [{'name': 'other-build', 'duration': 1}]}]}


def bridges(session, pipeline, project=P):
    response = session.get('%s/pipelines/%d/bridges' % (project, pipeline['id']))
    assert response.status_code == 200, response.text
    return {bridge['name']: bridge for bridge in response.json()}


def jobs(session, pipeline_id, project=P):
    response = session.get('%s/pipelines/%d/jobs' % (project, pipeline_id))
    assert response.status_code == 200, response.text
    return {job['name']: job for job in response.json()}


def status_of(session, pipeline_id, project=P):
    return session.get('%s/pipelines/%d' % (project, pipeline_id)).json()['status']


# ---- strategy: mirror -----------------------------------------------------------------------------------


def test_mirror_and_depend_on_a_child_blocked_on_a_manual_job(make_fake):
    """``depend`` leaves the bridge running while the child waits on a manual job (the long-standing
    complaint, gitlab-org/gitlab#371008); ``mirror`` takes ``manual`` at once (MIRRORED_STATUS), so the
    parent is ``manual`` too, and follows the child again once the job is played."""
    child = [{'name': 'child-build', 'duration': 1}, {'name': 'approve', 'stage': 'gate', 'when': 'manual', 'allow_failure': False},
             {'name': 'child-deploy', 'stage': 'deploy', 'duration': 1}]
    for strategy, bridge_status, parent_status in (('mirror', 'manual', 'manual'), ('depend', 'running', 'running')):
        fake, clock, root = driven(make_fake, seed([{'name': 'to-child', 'trigger': {'include': child, 'strategy': strategy}}]))
        parent = new_pipeline(root, P)
        clock.advance(0.5)
        bridge = bridges(root, parent)['to-child']
        assert bridge['status'] == 'running'
        child_id = bridge['downstream_pipeline']['id']
        clock.advance(DONE)
        assert status_of(root, child_id) == 'manual'
        assert (bridges(root, parent)['to-child']['status'], status_of(root, parent['id'])) == (bridge_status, parent_status)
        approve = jobs(root, child_id)['approve']
        assert root.post('%s/jobs/%d/play' % (P, approve['id'])).status_code == 200
        assert bridges(root, parent)['to-child']['status'] == 'running'
        clock.advance(DONE)
        assert (bridges(root, parent)['to-child']['status'], status_of(root, parent['id'])) == ('success', 'success')


@pytest.mark.parametrize('result, when, expected', [('failed', 'on_success', 'failed'), ('success', 'manual', 'manual')])
def test_mirror_takes_the_downstream_status_of_a_multi_project_pipeline(make_fake, result, when, expected):
    """A multi-project downstream: mirror takes failed as failed (depend too) and manual as manual."""
    other = [{'name': 'other-build', 'duration': 1, 'result': result},
             {'name': 'other-gate', 'stage': 'gate', 'when': when, 'allow_failure': False}]
    fake, clock, root = driven(make_fake, seed([{'name': 'to-other', 'trigger': {'project': 'g/other', 'strategy': 'mirror'}}],
                                               other_ci=other))
    parent = new_pipeline(root, P)
    clock.advance(DONE)
    bridge = bridges(root, parent)['to-other']
    assert bridge['status'] == expected
    assert status_of(root, parent['id']) == expected
    assert status_of(root, bridge['downstream_pipeline']['id'], OTHER) == expected
    if expected == 'failed':
        assert bridge['failure_reason'] == 'unknown_failure'


def test_strategy_seed_values():
    assert ci.JobSpec({'name': 'b', 'trigger': {'project': 'g/other', 'strategy': 'mirror'}}, 'ci').trigger.mirrored
    with pytest.raises(SeedError):
        ci.JobSpec({'name': 'b', 'trigger': {'project': 'g/other', 'strategy': 'wait'}}, 'ci')


# ---- downstream fields ------------------------------------------------------------------------------------


def test_pipelines_show_no_upstream_field_bridges_show_the_downstream(make_fake):
    """lib/api/entities/ci/pipeline.rb has no upstream or downstream field: the tree is read through
    ``GET .../bridges`` (``downstream_pipeline``, PipelineBasic with the downstream's own ``project_id``)
    and ``GET /pipelines?source=parent_pipeline`` for children; the child's ``source`` tells its kind."""
    fake, clock, root = driven(make_fake, seed([{'name': 'to-child', 'trigger': {'include': [{'name': 'c'}]}},
                                                {'name': 'to-other', 'trigger': {'project': 'g/other'}}]))
    parent = new_pipeline(root, P)
    clock.advance(DONE)
    found = bridges(root, parent)
    child, other = found['to-child']['downstream_pipeline'], found['to-other']['downstream_pipeline']
    assert set(child) == set(other) == PIPELINE_BASIC
    assert (child['project_id'], child['source']) == (parent['project_id'], 'parent_pipeline')
    assert other['source'] == 'pipeline' and other['project_id'] != parent['project_id']
    for project, pipeline_id in ((P, parent['id']), (P, child['id']), (OTHER, other['id'])):
        assert set(root.get('%s/pipelines/%d' % (project, pipeline_id)).json()) == PIPELINE_FIELDS
    listed = root.get(P + '/pipelines', params={'source': 'parent_pipeline'}).json()
    assert [item['id'] for item in listed] == [child['id']]
    # A downstream pipeline belongs to its own project only.
    assert root.get('%s/pipelines/%d' % (P, other['id'])).status_code == 404


# ---- cancel and retry across the tree ---------------------------------------------------------------------


def test_cancel_cascades_to_child_pipelines_but_not_to_multi_project_ones(make_fake):
    """Ci::CancelPipelineService with ``cascade_to_children``: bridges, then ``all_child_pipelines``
    (grandchildren included); a multi-project downstream keeps running, only its bridge is canceled."""
    grandchild = [{'name': 'gc-job', 'duration': 60}]
    child = [{'name': 'c-job', 'duration': 60}, {'name': 'to-grandchild', 'trigger': {'include': grandchild}}]
    other = [{'name': 'other-build', 'duration': 60}]
    fake, clock, root = driven(make_fake, seed([{'name': 'p-job', 'duration': 60},
                                                {'name': 'to-child', 'trigger': {'include': child, 'strategy': 'depend'}},
                                                {'name': 'to-other', 'trigger': {'project': 'g/other', 'strategy': 'depend'}}],
                                               other_ci=other))
    parent = new_pipeline(root, P)
    clock.advance(1)
    found = bridges(root, parent)
    child_id, other_id = found['to-child']['downstream_pipeline']['id'], found['to-other']['downstream_pipeline']['id']
    grandchild_id = bridges(root, {'id': child_id})['to-grandchild']['downstream_pipeline']['id']
    response = root.post('%s/pipelines/%d/cancel' % (P, parent['id']))
    assert (response.status_code, response.json()['status']) == (200, 'canceled')
    assert status_of(root, child_id) == status_of(root, grandchild_id) == 'canceled'
    assert {b['status'] for b in bridges(root, parent).values()} == {'canceled'}
    assert status_of(root, other_id, OTHER) == 'running'
    clock.advance(DONE * 3)
    assert status_of(root, other_id, OTHER) == 'success'
    assert bridges(root, parent)['to-other']['status'] == 'canceled'


def test_cancel_of_a_finished_parent_leaves_a_running_child(make_fake):
    """``force_execute`` returns early when the pipeline is not cancelable: nothing cascades."""
    fake, clock, root = driven(make_fake, seed([{'name': 'p-job'}, {'name': 'to-child', 'trigger': {'include': [{'name': 'c', 'duration': 60}]}}]))
    parent = new_pipeline(root, P)
    clock.advance(2)
    assert status_of(root, parent['id']) == 'success'
    child_id = bridges(root, parent)['to-child']['downstream_pipeline']['id']
    root.post('%s/pipelines/%d/cancel' % (P, parent['id']))
    assert status_of(root, child_id) == 'running'


@pytest.mark.parametrize('strategy', ['depend', 'mirror'])
def test_retrying_a_child_job_resets_the_bridge_and_reopens_skipped_jobs(make_fake, strategy):
    """RetryJobService -> AfterRequeueJobService -> ``reset_source_bridge!``: the failed bridge waits again,
    the parent's skipped later jobs are processed again, and the bridge takes the child's new status."""
    child = [{'name': 'flaky', 'duration': 1, 'fail_if_variable': 'NEVER', 'result': 'failed'}]
    fake, clock, root = driven(make_fake, seed([{'name': 'to-child', 'trigger': {'include': child, 'strategy': strategy}},
                                                {'name': 'after', 'stage': 'deploy', 'duration': 1}]))
    parent = new_pipeline(root, P)
    clock.advance(DONE)
    assert status_of(root, parent['id']) == 'failed'
    assert jobs(root, parent['id'])['after']['status'] == 'skipped'
    child_id = bridges(root, parent)['to-child']['downstream_pipeline']['id']
    flaky = jobs(root, child_id)['flaky']
    # The retried job fails again (same spec): the bridge still goes back to waiting first.
    response = root.post('%s/jobs/%d/retry' % (P, flaky['id']))
    assert response.status_code == 201
    assert bridges(root, parent)['to-child']['status'] == 'running'
    assert status_of(root, parent['id']) == 'running'
    assert jobs(root, parent['id'])['after']['status'] == 'created'
    clock.advance(DONE)
    assert bridges(root, parent)['to-child']['status'] == 'failed'
    assert jobs(root, parent['id'])['after']['status'] == 'skipped'


def test_pipeline_retry_of_a_child_updates_the_bridge_when_the_child_finishes(make_fake):
    """RetryPipelineService also calls ``reset_source_bridge!``; a child that passes on retry passes the bridge."""
    child = [{'name': 'c-job', 'duration': 1, 'fail_if_variable': 'CI_NEVER'},
             {'name': 'c-manual-fail', 'stage': 'b', 'when': 'manual', 'allow_failure': True}]
    fake, clock, root = driven(make_fake, seed([{'name': 'to-child', 'trigger': {'include': child, 'strategy': 'depend'}},
                                                {'name': 'after', 'stage': 'deploy', 'duration': 1}]))
    parent = new_pipeline(root, P)
    clock.advance(0.5)
    child_id = bridges(root, parent)['to-child']['downstream_pipeline']['id']
    # Cancel the child itself: the depend bridge takes ``canceled``, the parent's later job is skipped.
    root.post('%s/pipelines/%d/cancel' % (P, child_id))
    clock.advance(DONE)
    assert bridges(root, parent)['to-child']['status'] == 'canceled'
    assert jobs(root, parent['id'])['after']['status'] == 'skipped'
    assert root.post('%s/pipelines/%d/retry' % (P, child_id)).status_code == 201
    assert bridges(root, parent)['to-child']['status'] == 'running'
    clock.advance(DONE)
    assert status_of(root, child_id) == 'success'
    assert bridges(root, parent)['to-child']['status'] == 'success'
    assert jobs(root, parent['id'])['after']['status'] == 'success'
    assert status_of(root, parent['id']) == 'success'


def test_a_bridge_keeps_its_status_while_a_user_without_access_upstream_retries(make_fake):
    """``reset_source_bridge!`` needs ``update_pipeline`` on the upstream pipeline: without it the bridge
    keeps ``failed`` while the downstream re-runs, and takes the new status once it completes."""
    other = [{'name': 'other-build', 'duration': 1, 'fail_if_variable': 'NEVER', 'result': 'failed'}]
    data = seed([{'name': 'to-other', 'trigger': {'project': 'g/other', 'strategy': 'depend'}}], other_ci=other)
    data['users'].append({'username': 'outside', 'token': 'glpat-outside-000000000'})
    data['projects'][1]['members'] = {'outside': 'developer'}
    fake, clock, root = driven(make_fake, data)
    parent = new_pipeline(root, P)
    clock.advance(DONE)
    other_id = bridges(root, parent)['to-other']['downstream_pipeline']['id']
    failed = jobs(root, other_id, OTHER)['other-build']
    outsider = Api(fake, 'glpat-outside-000000000')
    assert outsider.post('%s/jobs/%d/retry' % (OTHER, failed['id'])).status_code == 201
    assert status_of(root, other_id, OTHER) == 'pending'
    assert (bridges(root, parent)['to-other']['status'], status_of(root, parent['id'])) == ('failed', 'failed')
    clock.advance(0.5)
    assert status_of(root, other_id, OTHER) == 'running'
    assert bridges(root, parent)['to-other']['status'] == 'failed'
    clock.advance(DONE)
    assert bridges(root, parent)['to-other']['status'] == 'failed'


# ---- job routes inside downstream pipelines ----------------------------------------------------------------


@pytest.mark.parametrize('where', ['child', 'multi-project'])
def test_every_job_route_works_on_a_downstream_job_in_its_own_project(make_fake, where):
    """A job of a child (same project) or multi-project downstream (its project) answers play, retry, cancel,
    erase, artifacts and trace under its own project, and 404 under any other."""
    down = [{'name': 'build', 'duration': 1, 'log': 'built\n', 'artifacts': [{'path': 'out.txt', 'content': 'hi'}]},
            {'name': 'slow', 'duration': 600},
            {'name': 'gate', 'when': 'manual'}]
    trigger = {'include': down} if where == 'child' else {'project': 'g/other'}
    fake, clock, root = driven(make_fake, seed([{'name': 'down', 'trigger': trigger}], other_ci=down))
    project, foreign = (P, OTHER) if where == 'child' else (OTHER, P)
    parent = new_pipeline(root, P)
    clock.advance(5)
    down_id = bridges(root, parent)['down']['downstream_pipeline']['id']
    found = jobs(root, down_id, project)
    build, slow, gate = found['build'], found['slow'], found['gate']
    assert build['status'] == 'success' and slow['status'] == 'running'
    url = '%s/jobs/%d' % (project, build['id'])
    assert root.get(url).json()['pipeline']['id'] == down_id
    assert root.get(url + '/trace').text == 'built\n'
    artifacts = root.get(url + '/artifacts')
    assert artifacts.status_code == 200 and artifacts.content[:2] == b'PK'
    assert root.get(url + '/artifacts/out.txt').content == b'hi'
    assert root.post('%s/jobs/%d/cancel' % (project, slow['id'])).json()['status'] == 'canceled'
    assert root.post('%s/jobs/%d/play' % (project, gate['id'])).status_code == 200
    retried = root.post(url + '/retry')
    assert retried.status_code == 201 and retried.json()['pipeline']['id'] == down_id
    assert root.post(url + '/erase').status_code == 201
    for route in ('', '/trace', '/artifacts'):
        assert root.get('%s/jobs/%d%s' % (foreign, build['id'], route)).status_code == 404
    assert root.post('%s/jobs/%d/retry' % (foreign, build['id'])).status_code == 404


# ---- the pipeline-variables restriction --------------------------------------------------------------------


VARS = [{'key': 'DEPLOY_TO', 'value': 'prod'}]


@pytest.mark.parametrize('role, allowed', [
    ('developer', {'dev', 'maint', 'owner', 'root'}),
    ('maintainer', {'maint', 'owner', 'root'}),
    ('owner', {'owner', 'root'}),
    ('no_one_allowed', set()),
])
def test_creating_with_variables_needs_the_minimum_role(make_fake, role, allowed):
    """Build::Associations#apply_permissions: variables given and no ``set_pipeline_variables`` -> 400 with
    the chain's ``base`` error; ``no_one_allowed`` refuses everyone (``override_pipeline_variables_allowed?``);
    without variables the restriction does not apply."""
    fake, clock, root = driven(make_fake, seed([{'name': 'build'}], pipeline_variables_minimum_override_role=role))
    for name, token in (('dev', DEV), ('maint', MAINT), ('owner', OWNER), ('root', ROOT)):
        session = Api(fake, token)
        response = session.post(P + '/pipeline', json={'ref': 'main', 'variables': VARS})
        if name in allowed:
            assert response.status_code == 201, (name, response.text)
        else:
            assert (response.status_code, response.json()) == (400, VARIABLES_REFUSED), name
        assert session.post(P + '/pipeline', json={'ref': 'main'}).status_code == 201


@pytest.mark.parametrize('role', ['maintainer', 'no_one_allowed'])
def test_trigger_token_variables_are_restricted_but_trigger_payload_is_not(make_fake, role):
    """The trigger token impersonates its owner (dev, a Developer): with variables the 400, without them
    the pipeline starts although GitLab adds TRIGGER_PAYLOAD (gitlab-org/gitlab#557381's fix)."""
    fake, clock, root = driven(make_fake, seed([{'name': 'build'}], pipeline_variables_minimum_override_role=role))
    token = 'glptt-' + 'a' * 40
    plain = root.post(P + '/trigger/pipeline', json={'token': token, 'ref': 'main'})
    assert plain.status_code == 201, plain.text
    keys = [v['key'] for v in root.get('%s/pipelines/%d/variables' % (P, plain.json()['id'])).json()]
    assert keys == ['TRIGGER_PAYLOAD']
    refused = root.post(P + '/trigger/pipeline', json={'token': token, 'ref': 'main', 'variables': {'DEPLOY_TO': 'prod'}})
    assert (refused.status_code, refused.json()) == (400, VARIABLES_REFUSED)


def test_developer_level_default_lets_trigger_variables_through(make_fake):
    fake, clock, root = driven(make_fake, seed([{'name': 'build'}]))
    response = root.post(P + '/trigger/pipeline', json={'token': 'glptt-' + 'a' * 40, 'ref': 'main', 'variables': {'A': 'b'}})
    assert response.status_code == 201


@pytest.mark.parametrize('seeded, restrict, role', [({}, False, 'developer'),
                                                    ({'pipeline_variables_minimum_override_role': 'no_one_allowed'}, True, 'no_one_allowed'),
                                                    ({'restrict_user_defined_variables': True}, True, 'developer')])
def test_project_shows_the_setting_to_maintainers_only(make_fake, seeded, restrict, role):
    """lib/api/entities/project.rb: the CI/CD settings block is ``if: admin_project`` (Maintainer+)."""
    fake, clock, root = driven(make_fake, seed([{'name': 'build'}], **seeded))
    for token in (MAINT, OWNER, ROOT):
        body = Api(fake, token).get(P).json()
        assert (body['restrict_user_defined_variables'], body['ci_pipeline_variables_minimum_override_role']) == (restrict, role)
    body = Api(fake, DEV).get(P).json()
    assert 'ci_pipeline_variables_minimum_override_role' not in body and 'restrict_user_defined_variables' not in body
