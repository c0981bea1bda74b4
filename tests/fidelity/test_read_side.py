"""The read side of pipelines: latest, name, list filters, trigger jobs (bridges), job lists.

GitLab: https://docs.gitlab.com/api/pipelines/ (lib/api/ci/pipelines.rb, app/finders/ci/pipelines_finder.rb,
``Project#latest_pipeline`` in app/models/project.rb), https://docs.gitlab.com/api/jobs/#list-pipeline-trigger-jobs
(lib/api/entities/ci/bridge.rb, app/models/ci/bridge.rb, app/services/ci/create_downstream_pipeline_service.rb).
Every test drives the fake's CI clock by hand (tests/fidelity/cihelpers.py).
"""

import gitlab
import pytest

from tests.fake_gitlab import ci
from tests.fake_gitlab.state import SeedError
from tests.fidelity.cihelpers import SVC, Api, driven, drive, new_pipeline
from tests.fidelity.helpers import DEV, GUEST, REPORTER, ROOT

P = '/projects/g%2Fp'
OTHER = '/projects/g%2Fother'
FORBIDDEN = {'message': '403 Forbidden'}
NOT_FOUND = {'message': '404 Not found'}
DONE = 30
# Entities::Ci::JobBasic, then Entities::Ci::Bridge's downstream_pipeline (failure_reason only when failed).
BRIDGE_FIELDS = ['id', 'status', 'stage', 'name', 'ref', 'tag', 'coverage', 'allow_failure', 'created_at', 'started_at',
                 'finished_at', 'erased_at', 'duration', 'queued_duration', 'user', 'commit', 'pipeline', 'web_url', 'project',
                 'downstream_pipeline']
PIPELINE_BASIC = ['id', 'iid', 'project_id', 'sha', 'ref', 'status', 'source', 'created_at', 'updated_at', 'web_url']
CHILD = [{'name': 'child-build', 'stage': 'build', 'duration': 1}, {'name': 'child-test', 'stage': 'test', 'duration': 1}]


def seed(jobs, other_ci=None, other=None, **project):
    """root (admin), dev (Developer of group g), rep (Reporter of g); g/p with ``ci``, g/other with ``other_ci``."""
    main = {'path': 'g/p', 'ci': jobs, 'branches': ['main', 'feature']}
    main.update(project)
    second = {'path': 'g/other', 'ci': [{'name': 'other-build'}] if other_ci is None else other_ci}
    second.update(other or {})
    return {'users': [{'username': 'root', 'token': ROOT, 'admin': True}, {'username': 'dev', 'token': DEV},
                      {'username': 'rep', 'token': REPORTER}, {'username': 'guest', 'token': GUEST}],
            'groups': [{'path': 'g', 'members': {'dev': 'developer', 'rep': 'reporter', 'guest': 'guest'}},
                       {'path': 'h'}],
            'projects': [main, second, {'path': 'h/secret', 'ci': [{'name': 'x'}]},
                         {'path': 'h/open', 'visibility': 'public', 'ci': [{'name': 'x'}]}]}


def expect(response, status, body):
    assert (response.status_code, response.json()) == (status, body)


def bridges(session, pipeline, project=P, **params):
    response = session.get('%s/pipelines/%d/bridges' % (project, pipeline['id']), params=params)
    assert response.status_code == 200, response.text
    return {bridge['name']: bridge for bridge in response.json()}


def pipeline_of(session, project, pipeline_id):
    return session.get('%s/pipelines/%d' % (project, pipeline_id)).json()


# ---- GET /pipelines/latest -----------------------------------------------------------------------------


def test_latest_is_the_newest_pipeline_of_the_default_branch_or_the_ref(make_fake):
    fake, clock, root = driven(make_fake, seed([{'name': 'build'}], workflow_name='Nightly'))
    first = new_pipeline(root, P)
    feature = new_pipeline(root, P, ref='feature')
    newest = new_pipeline(root, P)
    latest = root.get(P + '/pipelines/latest')
    assert latest.status_code == 200
    body = latest.json()
    assert (body['id'], body['ref'], body['name']) == (newest['id'], 'main', 'Nightly')
    # The same entity as GET one pipeline (Entities::Ci::PipelineWithMetadata).
    assert body == pipeline_of(root, P, newest['id'])
    assert root.get(P + '/pipelines/latest', params={'ref': 'feature'}).json()['id'] == feature['id']
    assert root.get(P + '/pipelines/latest', params={'ref': ''}).json()['id'] == newest['id']
    assert first['id'] < newest['id']


def test_latest_with_no_pipeline_is_403_as_gitlab_answers_it(make_fake):
    """``authorize! :read_pipeline, latest_pipeline`` with a nil pipeline: no policy allows nil -> 403."""
    fake, clock, root = driven(make_fake, seed([{'name': 'build'}]))
    expect(root.get(P + '/pipelines/latest'), 403, FORBIDDEN)
    new_pipeline(root, P)
    expect(root.get(P + '/pipelines/latest', params={'ref': 'feature'}), 403, FORBIDDEN)
    expect(root.get(P + '/pipelines/latest', params={'ref': 'no-such-branch'}), 403, FORBIDDEN)


def test_latest_is_routed_before_pipeline_id_and_checks_access(make_fake):
    fake, clock, root = driven(make_fake, seed([{'name': 'build'}]))
    new_pipeline(root, P)
    assert Api(fake, REPORTER).get(P + '/pipelines/latest').status_code == 200
    expect(Api(fake, GUEST).get(P + '/pipelines/latest'), 403, FORBIDDEN)
    expect(Api(fake, DEV).get('/projects/h%2Fsecret/pipelines/latest'), 404, {'message': '404 Project Not Found'})
    expect(root.get(P + '/pipelines/latest', params={'ref[]': 'main'}), 400, {'error': 'ref is invalid'})
    expect(root.get(P + '/pipelines/latests'), 400, {'error': 'pipeline_id is invalid'})


def test_latest_leaves_out_child_pipelines(make_fake):
    """``Project#ci_pipelines`` has no dangling sources: a newer child pipeline is never the latest."""
    fake, clock, root = driven(make_fake, seed([{'name': 'build'}, {'name': 'child', 'stage': 'deploy', 'trigger': {'include': CHILD}}]))
    parent = new_pipeline(root, P)
    clock.advance(DONE)
    child = bridges(root, parent)['child']['downstream_pipeline']
    assert child['id'] > parent['id'] and child['source'] == 'parent_pipeline'
    assert root.get(P + '/pipelines/latest').json()['id'] == parent['id']


def test_python_gitlab_latest(make_fake):
    fake, clock, root = driven(make_fake, seed([{'name': 'build'}]))
    project = gitlab.Gitlab(fake.url, private_token=ROOT).projects.get('g/p', lazy=True)
    with pytest.raises(gitlab.GitlabError) as info:
        project.pipelines.latest()
    assert info.value.response_code == 403
    new_pipeline(root, P)
    made = new_pipeline(root, P, ref='feature')
    assert project.pipelines.latest(ref='feature').id == made['id']
    assert project.pipelines.latest().ref == 'main'


# ---- the list ------------------------------------------------------------------------------------------


def test_list_leaves_out_child_pipelines_unless_asked_and_shows_name(make_fake):
    fake, clock, root = driven(make_fake, seed([{'name': 'build'}, {'name': 'child', 'stage': 'deploy', 'trigger': {'include': CHILD}}],
                                               workflow_name='Release'))
    parent = new_pipeline(root, P)
    clock.advance(DONE)
    child = bridges(root, parent)['child']['downstream_pipeline']
    listed = root.get(P + '/pipelines')
    assert [p['id'] for p in listed.json()] == [parent['id']] and listed.headers['X-Total'] == '1'
    assert listed.json()[0]['name'] == 'Release'
    assert [p['id'] for p in root.get(P + '/pipelines', params={'source': 'parent_pipeline'}).json()] == [child['id']]
    assert root.get(P + '/pipelines', params={'source': 'api'}).json()[0]['id'] == parent['id']
    # A child pipeline can still be read by id, like any pipeline of the project (all_pipelines.find).
    assert pipeline_of(root, P, child['id'])['source'] == 'parent_pipeline'


@pytest.mark.parametrize('params, error', [
    ({'order_by': 'created_at'}, 'order_by does not have a valid value'),
    ({'sort': 'up'}, 'sort does not have a valid value'),
    ({'scope': 'failed'}, 'scope does not have a valid value'),
    ({'status': 'done'}, 'status does not have a valid value'),
    ({'source': 'cron'}, 'source does not have a valid value'),
    ({'order_by': 'name', 'sort': 'x'}, 'order_by does not have a valid value, sort does not have a valid value'),
    ({'updated_after': 'yesterday'}, 'updated_after is invalid'),
])
def test_list_parameter_errors(fake, params, error):
    expect(Api(fake, DEV).get(SVC + '/pipelines', params=params), 400, {'error': error})


def test_list_orders_and_filters(make_fake):
    fake, clock, root = driven(make_fake, seed([{'name': 'build'}]))
    ids = [new_pipeline(root, P, ref=ref)['id'] for ref in ('main', 'feature', 'main')]
    clock.advance(DONE)

    def listed(**params):
        return [p['id'] for p in root.get(P + '/pipelines', params=params).json()]
    assert listed() == ids[::-1]
    assert listed(sort='asc') == ids
    assert listed(order_by='ref', sort='asc') == [ids[1], ids[0], ids[2]]
    assert listed(ref='feature') == [ids[1]]
    assert listed(status='success', username='root') == ids[::-1]
    assert listed(username='nobody') == []
    assert listed(scope='branches') == [ids[2], ids[1]]


# ---- bridges -------------------------------------------------------------------------------------------


def test_child_pipeline_with_depend_mirrors_the_child(make_fake):
    jobs = [{'name': 'build', 'stage': 'build', 'duration': 1},
            {'name': 'deploy-child', 'stage': 'deploy', 'trigger': {'include': CHILD, 'strategy': 'depend'}},
            {'name': 'after', 'stage': 'post', 'duration': 1}]
    fake, clock, root = driven(make_fake, seed(jobs))
    parent = new_pipeline(root, P)
    bridge = bridges(root, parent)['deploy-child']
    assert list(bridge) == BRIDGE_FIELDS
    assert (bridge['status'], bridge['downstream_pipeline'], bridge['stage']) == ('created', None, 'deploy')
    clock.advance(1.5)      # build done, the bridge's stage processed: the child exists and runs
    bridge = bridges(root, parent)['deploy-child']
    child = bridge['downstream_pipeline']
    assert bridge['status'] == 'running' and bridge['started_at'] is not None and bridge['finished_at'] is None
    assert list(child) == PIPELINE_BASIC
    assert (child['project_id'], child['ref'], child['sha'], child['source']) == (parent['project_id'], 'main', parent['sha'],
                                                                                  'parent_pipeline')
    assert child['web_url'].endswith('/g/p/-/pipelines/%d' % child['id'])
    assert pipeline_of(root, P, parent['id'])['status'] == 'running'
    names = [job['name'] for job in root.get('%s/pipelines/%d/jobs' % (P, child['id'])).json()]
    assert names == ['child-test', 'child-build']
    clock.advance(DONE)
    bridge = bridges(root, parent)['deploy-child']
    assert (bridge['status'], bridge['downstream_pipeline']['status']) == ('success', 'success')
    assert bridge['finished_at'] is not None and 'failure_reason' not in bridge
    assert pipeline_of(root, P, parent['id'])['status'] == 'success'
    assert [job['status'] for job in root.get('%s/pipelines/%d/jobs' % (P, parent['id'])).json()] == ['success', 'success']


def test_depend_bridge_fails_with_its_failed_downstream(make_fake):
    jobs = [{'name': 'child', 'trigger': {'include': [{'name': 'broken', 'result': 'failed'}], 'strategy': 'depend'}},
            {'name': 'after', 'stage': 'post'}]
    fake, clock, root = driven(make_fake, seed(jobs))
    parent = new_pipeline(root, P)
    clock.advance(DONE)
    bridge = bridges(root, parent)['child']
    assert (bridge['status'], bridge['failure_reason'], bridge['downstream_pipeline']['status']) == ('failed', 'unknown_failure', 'failed')
    assert {job['name']: job['status'] for job in root.get('%s/pipelines/%d/jobs' % (P, parent['id'])).json()} == {'after': 'skipped'}
    assert pipeline_of(root, P, parent['id'])['status'] == 'failed'


def test_bridge_without_strategy_succeeds_once_the_downstream_exists(make_fake):
    jobs = [{'name': 'downstream', 'stage': 'deploy', 'trigger': {'project': 'g/other', 'branch': 'main'}}]
    fake, clock, root = driven(make_fake, seed(jobs, other_ci=[{'name': 'other-build', 'duration': 5}], workflow_name=None))
    parent = new_pipeline(root, P)
    clock.advance(0.2)
    bridge = bridges(root, parent)['downstream']
    down = bridge['downstream_pipeline']
    assert (bridge['status'], down['status']) == ('success', 'running')      # the downstream goes on alone
    assert (down['project_id'], down['source'], down['ref']) == (2, 'pipeline', 'main')
    assert down['web_url'].endswith('/g/other/-/pipelines/%d' % down['id'])
    assert pipeline_of(root, P, parent['id'])['status'] == 'success'
    # The multi-project pipeline is an ordinary pipeline of g/other: listed there, and its latest.
    assert [p['id'] for p in root.get(OTHER + '/pipelines').json()] == [down['id']]
    assert root.get(OTHER + '/pipelines/latest').json()['id'] == down['id']
    assert [job['name'] for job in root.get('%s/pipelines/%d/jobs' % (OTHER, down['id'])).json()] == ['other-build']


def test_multi_project_depend_waits_for_the_downstream(make_fake):
    jobs = [{'name': 'downstream', 'trigger': {'project': 'g/other', 'strategy': 'depend'}}]
    fake, clock, root = driven(make_fake, seed(jobs, other_ci=[{'name': 'other-build', 'duration': 2}]))
    parent = new_pipeline(root, P)
    clock.advance(0.5)
    assert bridges(root, parent)['downstream']['status'] == 'running'
    clock.advance(DONE)
    bridge = bridges(root, parent)['downstream']
    assert (bridge['status'], bridge['downstream_pipeline']['status']) == ('success', 'success')


@pytest.mark.parametrize('trigger, other, token, reason', [
    ({'project': 'g/nothing'}, None, DEV, 'downstream_bridge_project_not_found'),
    ({'project': 'h/secret'}, None, DEV, 'downstream_bridge_project_not_found'),       # exists, not readable by dev
    ('g/p', None, DEV, 'invalid_bridge_trigger'),                                       # its own project, not a child
    ({'project': 'h/open'}, None, DEV, 'insufficient_bridge_permissions'),             # readable, not Developer
    ({'project': 'g/other', 'branch': 'nope'}, None, DEV, 'downstream_pipeline_creation_failed'),
])
def test_bridge_failure_reasons(make_fake, trigger, other, token, reason):
    """Checks of Ci::CreateDownstreamPipelineService#ensure_preconditions! in its order, as the pipeline's user."""
    fake, clock, root = driven(make_fake, seed([{'name': 'bridge', 'trigger': trigger}], other=other))
    parent = new_pipeline(Api(fake, token), P)
    clock.advance(DONE)
    bridge = bridges(root, parent)['bridge']
    assert (bridge['status'], bridge['failure_reason'], bridge['downstream_pipeline']) == ('failed', reason, None)
    assert bridge['started_at'] is None and bridge['finished_at'] is not None
    assert pipeline_of(root, P, parent['id'])['status'] == 'failed'


def test_downstream_project_without_ci_config(make_fake):
    """A missing config is persisted as a failed downstream pipeline; the bridge is dropped [INFERRED link]."""
    fake, clock, root = driven(make_fake, seed([{'name': 'bridge', 'trigger': {'project': 'g/other'}}], other_ci=[]))
    parent = new_pipeline(root, P)
    clock.advance(DONE)
    bridge = bridges(root, parent)['bridge']
    assert (bridge['status'], bridge['failure_reason']) == ('failed', 'downstream_pipeline_creation_failed')
    assert bridge['downstream_pipeline']['status'] == 'failed'


def test_bridges_are_not_jobs(make_fake):
    jobs = [{'name': 'build'}, {'name': 'child', 'stage': 'deploy', 'trigger': {'include': CHILD}},
            {'name': 'multi', 'stage': 'deploy', 'trigger': {'project': 'g/other'}}]
    fake, clock, root = driven(make_fake, seed(jobs))
    parent = new_pipeline(root, P)
    clock.advance(DONE)
    found = bridges(root, parent)
    assert sorted(found) == ['child', 'multi']
    assert [job['name'] for job in root.get('%s/pipelines/%d/jobs' % (P, parent['id'])).json()] == ['build']
    # The project's jobs: every build, of the child pipeline too, never a bridge.
    assert [job['name'] for job in root.get(P + '/jobs').json()] == ['child-test', 'child-build', 'build']
    for bridge in found.values():
        expect(root.get('%s/jobs/%d' % (P, bridge['id'])), 404, NOT_FOUND)
        expect(root.get('%s/jobs/%d/trace' % (P, bridge['id'])), 404, NOT_FOUND)
    # Bridge ids come from the builds' sequence (one table).
    ids = sorted([b['id'] for b in found.values()] + [j['id'] for j in root.get(P + '/jobs').json()])
    assert len(set(ids)) == len(ids)


def test_bridges_list_scope_pages_order_and_errors(make_fake):
    jobs = [{'name': 'b%d' % number, 'trigger': {'project': 'g/other' if number % 2 else 'g/nothing'}} for number in range(5)]
    fake, clock, root = driven(make_fake, seed(jobs))
    parent = new_pipeline(root, P)
    clock.advance(DONE)
    path = '%s/pipelines/%d/bridges' % (P, parent['id'])
    response = root.get(path, params={'per_page': 2})
    assert [b['name'] for b in response.json()] == ['b4', 'b3']
    assert (response.headers['X-Total'], response.headers['X-Next-Page']) == ('5', '2')
    assert sorted(b['name'] for b in root.get(path, params={'scope[]': ['failed']}).json()) == ['b0', 'b2', 'b4']
    assert sorted(b['name'] for b in root.get(path, params={'scope': 'success'}).json()) == ['b1', 'b3']
    assert root.get(path, params={'scope[]': ['failed', 'success']}).headers['X-Total'] == '5'
    expect(root.get(path, params={'scope': 'done'}), 400, {'error': 'scope does not have a valid value'})
    expect(root.get('%s/pipelines/999/bridges' % P), 404, NOT_FOUND)
    expect(root.get('%s/pipelines/%d/bridges' % (OTHER, parent['id'])), 404, NOT_FOUND)
    expect(Api(fake, GUEST).get(path), 403, FORBIDDEN)
    expect(Api(fake, GUEST).get('%s/pipelines/999/bridges' % P), 403, FORBIDDEN)     # read_build before the lookup
    assert Api(fake, REPORTER).get(path).status_code == 200


def test_retried_bridges_and_jobs(make_fake):
    """A pipeline retry retries a failed bridge (a new downstream); lists show latest tries unless asked."""
    jobs = [{'name': 'build', 'result': 'failed'}, {'name': 'multi', 'trigger': {'project': 'g/other', 'branch': 'nope'}}]
    fake, clock, root = driven(make_fake, seed(jobs))
    parent = new_pipeline(root, P)
    clock.advance(DONE)
    assert root.post('%s/pipelines/%d/retry' % (P, parent['id'])).status_code == 201
    clock.advance(DONE)
    jobs = '%s/pipelines/%d/jobs' % (P, parent['id'])
    assert len(root.get(jobs).json()) == 1
    assert [job['name'] for job in root.get(jobs, params={'include_retried': True}).json()] == ['build', 'build']
    path = '%s/pipelines/%d/bridges' % (P, parent['id'])
    assert len(root.get(path).json()) == 1
    assert len(root.get(path, params={'include_retried': 'true'}).json()) == 2


def test_project_jobs_with_several_scopes_newest_first_and_paged(fake):
    clock = drive(fake)
    dev = Api(fake, DEV)
    for _number in range(2):
        new_pipeline(dev, SVC)
    clock.advance(DONE)
    response = dev.get(SVC + '/jobs', params={'scope[]': ['failed', 'success'], 'per_page': 3})
    ids = [job['id'] for job in response.json()]
    assert ids == sorted(ids, reverse=True) and len(ids) == 3
    assert {job['status'] for job in response.json()} <= {'success', 'failed'}
    assert response.headers['X-Next-Page'] == '2' and 'rel="next"' in response.headers['Link']
    assert 'X-Total' not in response.headers
    keyset = dev.get(SVC + '/jobs', params={'scope[]': ['success'], 'per_page': 3, 'pagination': 'keyset', 'order_by': 'id', 'sort': 'desc'})
    assert keyset.status_code == 200 and 'rel="next"' in keyset.headers['Link']


def test_python_gitlab_bridges(make_fake):
    jobs = [{'name': 'build'}, {'name': 'deploy-child', 'stage': 'deploy', 'trigger': {'include': CHILD, 'strategy': 'depend'}},
            {'name': 'downstream', 'stage': 'deploy', 'trigger': {'project': 'g/other', 'branch': 'main', 'strategy': 'depend'}}]
    fake, clock, root = driven(make_fake, seed(jobs))
    parent = new_pipeline(root, P)
    clock.advance(DONE)
    project = gitlab.Gitlab(fake.url, private_token=DEV).projects.get('g/p')
    pipeline = project.pipelines.get(parent['id'])
    found = {bridge.name: bridge for bridge in pipeline.bridges.list(get_all=True)}
    assert sorted(found) == ['deploy-child', 'downstream']
    assert found['deploy-child'].downstream_pipeline['source'] == 'parent_pipeline'
    assert found['downstream'].downstream_pipeline['project_id'] == 2
    assert all(bridge.status == 'success' for bridge in found.values())
    assert [job.name for job in pipeline.jobs.list(get_all=True)] == ['build']
    assert [b.name for b in pipeline.bridges.list(scope='failed', get_all=True)] == []


@pytest.mark.parametrize('trigger', [{'include': CHILD, 'project': 'g/other'}, {'strategy': 'depend'}, {'include': []},
                                     {'project': 'g/other', 'strategy': 'wait'}, {'include': [{'stage': 'x'}]}, 7])
def test_seed_errors_for_triggers(trigger):
    with pytest.raises(SeedError):
        ci.JobSpec({'name': 'bridge', 'trigger': trigger}, 'projects: g/p: ci')


def test_artifact_by_ref_is_found_in_a_child_pipeline(make_fake):
    """``build_with_artifacts_in_self_and_project_descendants``: the ref's newest successful pipeline and its children."""
    child = [{'name': 'package', 'artifacts': [{'path': 'dist/VERSION', 'content': '3.0.0\n'}]}]
    jobs = [{'name': 'child', 'trigger': {'include': child, 'strategy': 'depend'}}]
    fake, clock, root = driven(make_fake, seed(jobs))
    new_pipeline(root, P)
    clock.advance(DONE)
    found = root.get(P + '/jobs/artifacts/main/raw/dist/VERSION', params={'job': 'package'})
    assert (found.status_code, found.content) == (200, b'3.0.0\n')
    expect(root.get(P + '/jobs/artifacts/main/raw/dist/VERSION', params={'job': 'child'}), 404, NOT_FOUND)
