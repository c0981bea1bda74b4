"""Jobs: statuses over time, lists, actions and logs; https://docs.gitlab.com/api/jobs/, lib/api/ci/jobs.rb.

Seeds/default.yml: acme/app runs build (1 s, artifacts) -> test (fails) -> deploy (manual, skipped);
acme/svc runs build (artifacts) -> test -> deploy (manual) and passes.  Most tests drive the fake's
clock by hand; ``test_states_move_in_real_time`` watches real time.
"""

import base64
import json

import gitlab
import pytest
import requests

from tests.fake_gitlab import ci
from tests.fidelity.cihelpers import APP, SVC, ci_seed, drive, driven, jobs_of, new_pipeline, statuses, wait_for
from tests.fidelity.helpers import DEV, GUEST, MAINT, REPORTER, ROOT, TIMEOUT, Api

FIELDS = ['id', 'status', 'stage', 'name', 'ref', 'tag', 'coverage', 'allow_failure', 'created_at', 'started_at', 'finished_at',
          'erased_at', 'duration', 'queued_duration', 'user', 'commit', 'pipeline', 'web_url', 'project', 'artifacts_file',
          'artifacts', 'runner', 'runner_manager', 'artifacts_expire_at', 'archived', 'tag_list']
NOT_FOUND = {'message': '404 Not found'}
FORBIDDEN = {'message': '403 Forbidden'}
UNPLAYABLE = {'message': '400 Bad request - Unplayable Job'}
NOT_RETRYABLE = {'message': '403 Forbidden - Job is not retryable'}
NOT_ERASABLE = {'message': '403 Forbidden - Job is not erasable!'}
DONE = 10          # seconds after which every seeded pipeline has settled


@pytest.fixture
def clock(fake):
    return drive(fake)


def expect(response, status, body):
    assert (response.status_code, response.json()) == (status, body)


def job_path(project, job):
    return '%s/jobs/%d' % (project, job['id'])


def finished(session, project=SVC, advance=None):
    """A pipeline of ``project`` created by the session's user, then ``advance`` moved past its end."""
    pipeline = new_pipeline(session, project)
    if advance is not None:
        advance.advance(DONE)
    return pipeline, jobs_of(session, pipeline, project)


# ---- statuses ------------------------------------------------------------------------------------------


def test_states_move_in_real_time(api):
    """No clock tricks: created -> pending -> running -> success, watched by polling."""
    dev = api(DEV)
    pipeline = new_pipeline(dev)
    assert pipeline['status'] == 'created'
    seen = []

    def test_job_done():
        status = jobs_of(dev, pipeline)['test']['status']
        if not seen or seen[-1] != status:
            seen.append(status)
        return status == 'success'

    wait_for(test_job_done, timeout=5, interval=0.01)
    assert seen == ['created', 'pending', 'running', 'success']
    wait_for(lambda: statuses(dev, pipeline) == {'build': 'success', 'test': 'success', 'deploy': 'manual', 'pipeline': 'success'})


def test_entity(fake, api, clock):
    dev = api(DEV)
    pipeline = new_pipeline(dev)
    clock.advance(DONE)
    build = jobs_of(dev, pipeline)['build']
    assert list(build) == FIELDS
    start = clock.now - DONE + ci.PROCESS_SECONDS + ci.PENDING_SECONDS
    assert (build['status'], build['stage'], build['ref'], build['tag'], build['allow_failure']) == ('success', 'build', 'main', False, False)
    assert (build['started_at'], build['finished_at']) == (ci.iso(start), ci.iso(start + 0.3))
    assert (build['duration'], build['queued_duration'], build['erased_at'], build['coverage']) == (0.3, 0.1, None, None)
    assert build['user']['username'] == 'dev' and build['commit']['id'] == pipeline['sha']
    assert list(build['pipeline']) == ['id', 'iid', 'project_id', 'sha', 'ref', 'status', 'source', 'created_at', 'updated_at', 'web_url']
    assert (build['pipeline']['id'], build['pipeline']['status'], build['pipeline']['source']) == (pipeline['id'], 'success', 'api')
    assert build['web_url'] == '%s/acme/svc/-/jobs/%d' % (fake.url, build['id'])
    assert build['project'] == {'ci_job_token_scope_enabled': False}
    assert build['artifacts_file']['filename'] == 'artifacts.zip'
    assert [(a['file_type'], a['filename'], a['file_format']) for a in build['artifacts']] == [
        ('archive', 'artifacts.zip', 'zip'), ('metadata', 'metadata.gz', 'gzip'), ('trace', 'job.log', None)]
    assert build['artifacts'][2]['size'] == len('compiling svc\nbuild ok\n')
    assert build['artifacts_expire_at'] == ci.iso(start + 0.3 + 3600)
    assert (build['runner'], build['runner_manager'], build['archived'], build['tag_list']) == (None, None, False, [])
    deploy = jobs_of(dev, pipeline)['deploy']
    assert 'artifacts_file' not in deploy and deploy['artifacts'] == [] and deploy['allow_failure'] is True
    assert 'failure_reason' not in build


def test_failed_stage_skips_later_stages(api, clock):
    dev = api(DEV)
    pipeline = new_pipeline(dev, APP)
    clock.advance(1.2)
    assert statuses(dev, pipeline, APP) == {'build': 'success', 'test': 'pending', 'deploy': 'created', 'pipeline': 'running'}
    clock.advance(DONE)
    jobs = jobs_of(dev, pipeline, APP)
    assert {name: job['status'] for name, job in jobs.items()} == {'build': 'success', 'test': 'failed', 'deploy': 'skipped'}
    assert jobs['test']['failure_reason'] == 'script_failure' and 'failure_reason' not in jobs['deploy']
    assert (jobs['deploy']['started_at'], jobs['deploy']['finished_at'], jobs['deploy']['duration']) == (None, None, None)


def test_manual_job_is_created_until_its_stage_then_manual(api, clock):
    dev = api(DEV)
    pipeline = new_pipeline(dev)
    deploy = jobs_of(dev, pipeline)['deploy']
    assert deploy['status'] == 'created'
    expect(dev.post(job_path(SVC, deploy) + '/play'), 400, UNPLAYABLE)       # the race users hit
    clock.advance(DONE)
    assert jobs_of(dev, pipeline)['deploy']['status'] == 'manual'
    played = api(MAINT).post(job_path(SVC, deploy) + '/play')
    assert (played.status_code, played.json()['status'], played.json()['user']['username']) == (200, 'pending', 'maint')
    assert statuses(dev, pipeline)['pipeline'] == 'running'       # success + pending composes to running
    clock.advance(DONE)
    assert statuses(dev, pipeline) == {'build': 'success', 'test': 'success', 'deploy': 'success', 'pipeline': 'success'}


def test_blocking_manual_job_holds_the_pipeline(make_fake):
    fake, clock, root = driven(make_fake, ci_seed([
        {'name': 'build', 'stage': 'build'},
        {'name': 'gate', 'stage': 'approve', 'when': 'manual', 'allow_failure': False},
        {'name': 'deploy', 'stage': 'deploy'}]))
    project = '/projects/g%2Fp'
    pipeline = new_pipeline(root, project)
    clock.advance(DONE)
    assert statuses(root, pipeline, project) == {'build': 'success', 'gate': 'manual', 'deploy': 'created', 'pipeline': 'manual'}
    gate = jobs_of(root, pipeline, project)['gate']
    assert gate['allow_failure'] is False
    assert Api(fake, DEV).post(job_path(project, gate) + '/play').status_code == 200
    clock.advance(DONE)
    assert statuses(root, pipeline, project) == {'build': 'success', 'gate': 'success', 'deploy': 'success', 'pipeline': 'success'}


def test_always_runs_after_a_failure(make_fake):
    _fake, clock, root = driven(make_fake, ci_seed([
        {'name': 'unit', 'stage': 'test', 'result': 'failed'},
        {'name': 'cleanup', 'stage': 'post', 'when': 'always'},
        {'name': 'deploy', 'stage': 'post'}]))
    project = '/projects/g%2Fp'
    pipeline = new_pipeline(root, project)
    clock.advance(DONE)
    assert statuses(root, pipeline, project) == {'unit': 'failed', 'cleanup': 'success', 'deploy': 'skipped', 'pipeline': 'failed'}
    root.post(job_path(project, jobs_of(root, pipeline, project)['unit']) + '/retry')
    assert statuses(root, pipeline, project) == {'unit': 'pending', 'cleanup': 'success', 'deploy': 'created', 'pipeline': 'running'}


def test_allowed_failure_passes_with_warnings(make_fake):
    _fake, clock, root = driven(make_fake, ci_seed([{'name': 'lint', 'result': 'failed', 'allow_failure': True}, {'name': 'unit'}]))
    pipeline = new_pipeline(root, '/projects/g%2Fp')
    clock.advance(DONE)
    shown = root.get('/projects/g%%2Fp/pipelines/%d' % pipeline['id']).json()
    assert (shown['status'], shown['detailed_status']['label'], shown['detailed_status']['group']) == (
        'success', 'passed with warnings', 'success-with-warnings')
    assert jobs_of(root, pipeline, '/projects/g%2Fp')['lint']['failure_reason'] == 'script_failure'


def test_time_scale_slows_everything(make_fake):
    seed = ci_seed([{'name': 'build', 'duration': 1}])
    seed['time_scale'] = 0.5
    _fake, clock, root = driven(make_fake, seed)
    pipeline = new_pipeline(root, '/projects/g%2Fp')
    clock.advance((ci.PROCESS_SECONDS + ci.PENDING_SECONDS + 0.4) * 0.5 + 0.01)
    assert jobs_of(root, pipeline, '/projects/g%2Fp')['build']['status'] == 'running'
    clock.advance(DONE)
    assert jobs_of(root, pipeline, '/projects/g%2Fp')['build']['duration'] == 0.5


# ---- lists -------------------------------------------------------------------------------------------


def test_project_jobs_list_without_counts_newest_first(api, clock):
    dev = api(DEV)
    first = new_pipeline(dev)
    second = new_pipeline(dev)
    clock.advance(DONE)
    response = dev.get(SVC + '/jobs', params={'per_page': 4})
    assert response.status_code == 200
    assert [job['id'] for job in response.json()] == [6, 5, 4, 3]
    headers = response.headers
    assert 'X-Total' not in headers and 'X-Total-Pages' not in headers and 'rel="last"' not in headers['Link']
    assert (headers['X-Per-Page'], headers['X-Page'], headers['X-Next-Page'], headers['X-Prev-Page']) == ('4', '1', '2', '')
    last = dev.get(SVC + '/jobs', params={'per_page': 4, 'page': 2})
    assert ([job['id'] for job in last.json()], last.headers['X-Next-Page']) == ([2, 1], '')
    assert {job['pipeline']['id'] for job in last.json()} == {first['id']}
    assert {job['pipeline']['id'] for job in response.json()[:3]} == {second['id']}


@pytest.mark.parametrize('params, names', [
    ({'scope': 'manual'}, ['deploy']),
    ({'scope[]': ['success', 'manual']}, ['deploy', 'test', 'build']),
    ({'scope[0]': 'success', 'scope[1]': 'manual'}, ['deploy', 'test', 'build']),     # a Hash: its values
    ({'scope': 'failed'}, []),
])
def test_project_jobs_scope(api, clock, params, names):
    new_pipeline(api(DEV))
    clock.advance(DONE)
    assert [job['name'] for job in api(DEV).get(SVC + '/jobs', params=params).json()] == names


@pytest.mark.parametrize('params', [{'scope': 'done'}, {'scope[]': ['success', 'nope']}])
def test_bad_scope_is_400(api, params):
    expect(api(DEV).get(SVC + '/jobs', params=params), 400, {'error': 'scope does not have a valid value'})
    pipeline = new_pipeline(api(DEV))
    expect(api(DEV).get('%s/pipelines/%d/jobs' % (SVC, pipeline['id']), params=params), 400,
           {'error': 'scope does not have a valid value'})


def test_pipeline_jobs_hash_scope_is_invalid(api):
    pipeline = new_pipeline(api(DEV))
    expect(api(DEV).get('%s/pipelines/%d/jobs' % (SVC, pipeline['id']), params={'scope[a]': 'created'}), 400,
           {'error': 'scope does not have a valid value'})


def test_keyset_pagination(fake, api, clock):
    dev = api(DEV)
    for _n in range(3):
        new_pipeline(dev)
    clock.advance(DONE)
    url = fake.url + '/api/v4' + SVC + '/jobs?pagination=keyset&per_page=4&order_by=id&sort=desc'
    seen, links = [], []
    while url:
        response = requests.get(url, headers={'PRIVATE-TOKEN': DEV}, timeout=TIMEOUT)
        assert response.status_code == 200 and 'X-Total' not in response.headers
        seen += [job['id'] for job in response.json()]
        link = response.headers.get('Link')
        links.append(link)
        url = link[1:link.index('>')] if link else None
    assert seen == list(range(9, 0, -1))
    assert links[-1] is None and all('rel="next"' in link and 'cursor=' in link for link in links[:-1])
    cursor = links[0].split('cursor=')[1].split('&')[0]
    assert json.loads(base64.urlsafe_b64decode(cursor + '==')) == {'id': '6', '_kd': 'n'}
    expect(dev.get(SVC + '/jobs', params={'pagination': 'keyset', 'cursor': '!!'}), 400, {'message': '400 Bad request'})


def test_pipeline_jobs_hide_retried_and_count(api, clock):
    dev = api(DEV)
    pipeline, jobs = finished(dev, APP, clock)
    retried = dev.post(job_path(APP, jobs['test']) + '/retry').json()
    path = '%s/pipelines/%d/jobs' % (APP, pipeline['id'])
    latest = dev.get(path)
    assert [job['id'] for job in latest.json()] == [retried['id'], jobs['deploy']['id'], jobs['build']['id']]
    assert (latest.headers['X-Total'], latest.headers['X-Total-Pages']) == ('3', '1') and 'rel="last"' in latest.headers['Link']
    every = dev.get(path, params={'include_retried': 'true'}).json()
    assert [job['id'] for job in every] == [retried['id'], jobs['deploy']['id'], jobs['test']['id'], jobs['build']['id']]
    assert len(dev.get(APP + '/jobs').json()) == 4                          # the project list keeps retried jobs
    assert [job['name'] for job in dev.get(path, params={'scope': 'created'}).json()] == ['deploy']  # reset from skipped
    expect(dev.get(APP + '/pipelines/999/jobs'), 404, NOT_FOUND)
    expect(dev.get(path, params={'include_retried': 'maybe'}), 400, {'error': 'include_retried is invalid'})


# ---- one job ---------------------------------------------------------------------------------------------


def test_get_job_errors_and_roles(api, clock):
    pipeline, jobs = finished(api(DEV), SVC, clock)
    path = job_path(SVC, jobs['build'])
    assert api(REPORTER).get(path).json()['id'] == jobs['build']['id']
    expect(api(DEV).get(SVC + '/jobs/999'), 404, NOT_FOUND)
    expect(api(DEV).get(job_path(APP, jobs['build'])), 404, NOT_FOUND)              # another project's job
    expect(api(DEV).get(SVC + '/jobs/build'), 400, {'error': 'job_id is invalid'})
    expect(api(GUEST).get(path), 403, FORBIDDEN)
    expect(api(GUEST).get(SVC + '/jobs'), 403, FORBIDDEN)
    expect(api(None).get(path), 401, {'message': '401 Unauthorized'})
    assert pipeline['id'] == jobs['build']['pipeline']['id']


# ---- actions -------------------------------------------------------------------------------------------


def test_cancel(api, clock):
    dev = api(DEV)
    pipeline, jobs = finished(dev, SVC, clock)
    done = dev.post(job_path(SVC, jobs['build']) + '/cancel')
    assert (done.status_code, done.json()['status']) == (201, 'success')        # finished -> unchanged
    pipeline = new_pipeline(dev)
    clock.advance(0.2)
    build = jobs_of(dev, pipeline)['build']
    assert build['status'] == 'running'
    canceled = dev.post(job_path(SVC, build) + '/cancel')
    assert (canceled.status_code, canceled.json()['status']) == (201, 'canceled')
    assert canceled.json()['finished_at'] == ci.iso(clock.now) and canceled.json()['duration'] == pytest.approx(0.05)
    assert statuses(dev, pipeline) == {'build': 'canceled', 'test': 'skipped', 'deploy': 'skipped', 'pipeline': 'canceled'}
    expect(api(REPORTER).post(job_path(SVC, build) + '/cancel'), 403, FORBIDDEN)
    expect(api(REPORTER).post(SVC + '/jobs/999/cancel'), 403, FORBIDDEN)      # the role check comes first


def test_retry(api, clock):
    dev = api(DEV)
    pipeline, jobs = finished(dev, APP, clock)
    response = dev.post(job_path(APP, jobs['test']) + '/retry')
    assert response.status_code == 201
    new = response.json()
    assert new['id'] > jobs['deploy']['id'] and (new['name'], new['stage'], new['status']) == ('test', 'test', 'pending')
    expect(dev.post(job_path(APP, jobs['test']) + '/retry'), 403, NOT_RETRYABLE)      # already retried
    expect(dev.post(job_path(APP, jobs['deploy']) + '/retry'), 403, NOT_RETRYABLE)    # created again
    clock.advance(DONE)
    assert statuses(dev, pipeline, APP) == {'build': 'success', 'test': 'failed', 'deploy': 'skipped', 'pipeline': 'failed'}
    expect(api(REPORTER).post(job_path(APP, new) + '/retry'), 403, FORBIDDEN)
    expect(api(REPORTER).post(APP + '/jobs/999/retry'), 403, FORBIDDEN)               # authorize_update_builds! comes first


def test_erase(api, clock):
    dev = api(DEV)
    pipeline = new_pipeline(dev)
    clock.advance(0.2)
    build = jobs_of(dev, pipeline)['build']
    expect(dev.post(job_path(SVC, build) + '/erase'), 403, NOT_ERASABLE)              # running
    clock.advance(DONE)
    erased = dev.post(job_path(SVC, build) + '/erase')
    assert erased.status_code == 201
    body = erased.json()
    assert (body['erased_at'], body['artifacts'], body['artifacts_expire_at']) == (ci.iso(clock.now), [], None)
    assert 'artifacts_file' not in body
    log = dev.get(job_path(SVC, build) + '/trace')
    assert (log.status_code, log.content) == (200, b'')
    assert dev.get(job_path(SVC, build) + '/artifacts').status_code == 404
    expect(dev.post(job_path(SVC, build) + '/erase'), 403, NOT_ERASABLE)              # nothing left to erase
    expect(dev.post(job_path(SVC, jobs_of(dev, pipeline)['deploy']) + '/erase'), 403, NOT_ERASABLE)   # manual


def test_erase_someone_elses_job_needs_a_maintainer(api, clock):
    _pipeline, jobs = finished(api(ROOT), SVC, clock)
    expect(api(DEV).post(job_path(SVC, jobs['test']) + '/erase'), 403, FORBIDDEN)     # dev is a Developer of acme/svc
    assert api(MAINT).post(job_path(SVC, jobs['test']) + '/erase').status_code == 201


def test_play_with_variables(fake, api, clock):
    dev = api(DEV)
    pipeline, jobs = finished(dev, SVC, clock)
    path = job_path(SVC, jobs['deploy']) + '/play'
    expect(dev.post(path, json={'job_variables_attributes': [{'value': 'x'}]}), 400,
           {'error': 'job_variables_attributes[0][key] is missing'})
    expect(dev.post(path, json={'job_variables_attributes': [{'key': 'A'}]}), 400,
           {'error': 'job_variables_attributes[0][value] is missing'})
    expect(api(REPORTER).post(path), 403, FORBIDDEN)
    assert jobs_of(dev, pipeline)['deploy']['status'] == 'manual'
    played = dev.post(path, data={'job_variables_attributes[][key]': 'TARGET', 'job_variables_attributes[][value]': 'eu'})
    assert (played.status_code, played.json()['status']) == (200, 'pending')
    assert ci.store(fake.state).jobs[jobs['deploy']['id']].variables == [{'key': 'TARGET', 'value': 'eu'}]
    expect(dev.post(path), 400, UNPLAYABLE)                    # pending: neither manual nor retryable
    expect(dev.post(job_path(SVC, jobs['build']) + '/play'), 400, UNPLAYABLE)          # not a manual job


def test_replaying_a_finished_manual_job_answers_with_the_original(api, clock):
    dev = api(DEV)
    pipeline, jobs = finished(dev, SVC, clock)
    deploy = jobs['deploy']
    dev.post(job_path(SVC, deploy) + '/play')
    clock.advance(DONE)
    again = dev.post(job_path(SVC, deploy) + '/play')
    assert (again.status_code, again.json()['id'], again.json()['status']) == (200, deploy['id'], 'success')
    every = dev.get('%s/pipelines/%d/jobs' % (SVC, pipeline['id']), params={'include_retried': True}).json()
    deploys = [job for job in every if job['name'] == 'deploy']
    assert [(job['id'] == deploy['id'], job['status']) for job in deploys] == [(False, 'pending'), (True, 'success')]


def test_play_variables_need_the_minimum_role(make_fake):
    fake, clock, root = driven(make_fake, ci_seed([{'name': 'deploy', 'when': 'manual'}], pipeline_variables_minimum_override_role='owner'))
    pipeline = new_pipeline(root, '/projects/g%2Fp')
    clock.advance(DONE)
    path = job_path('/projects/g%2Fp', jobs_of(root, pipeline, '/projects/g%2Fp')['deploy']) + '/play'
    expect(Api(fake, DEV).post(path, json={'job_variables_attributes': [{'key': 'A', 'value': '1'}]}), 403, FORBIDDEN)
    assert Api(fake, DEV).post(path).status_code == 200


# ---- logs --------------------------------------------------------------------------------------------


def test_log_is_plain_text_whole_and_ignores_range(api, clock):
    dev = api(DEV)
    _pipeline, jobs = finished(dev, SVC, clock)
    response = dev.get(job_path(SVC, jobs['build']) + '/trace', headers={'Range': 'bytes=0-3'})
    assert response.status_code == 200
    assert response.headers['Content-Type'] == 'text/plain'
    assert response.headers['Content-Disposition'] == 'infile; filename="%d.log"' % jobs['build']['id']
    assert response.content == b'compiling svc\nbuild ok\n'
    assert 'Content-Range' not in response.headers and 'Accept-Ranges' not in response.headers


def test_empty_log_is_200(api):
    pipeline = new_pipeline(api(DEV))
    response = api(DEV).get(job_path(SVC, jobs_of(api(DEV), pipeline)['deploy']) + '/trace')
    assert (response.status_code, response.content, response.headers['Content-Length']) == (200, b'', '0')


def test_running_job_shows_the_log_so_far_and_big_logs_stream(make_fake):
    size = 5 * 1024 * 1024
    fake, clock, root = driven(make_fake, ci_seed([{'name': 'build', 'duration': 1, 'log': 'start\n', 'log_size': size}]))
    pipeline = new_pipeline(root, '/projects/g%2Fp')
    path = job_path('/projects/g%2Fp', jobs_of(root, pipeline, '/projects/g%2Fp')['build']) + '/trace'
    clock.advance(ci.PROCESS_SECONDS + ci.PENDING_SECONDS + 0.25)
    partial = root.get(path).content
    assert abs(len(partial) - size // 4) <= 2 and partial.startswith(b'start\n0000000 ')
    clock.advance(DONE)
    with requests.get(fake.url + '/api/v4' + path, headers={'PRIVATE-TOKEN': ROOT}, stream=True, timeout=TIMEOUT) as response:
        assert response.headers['Content-Length'] == str(size) and 'Transfer-Encoding' not in response.headers
        total, tail = 0, b''
        for chunk in response.iter_content(256 * 1024):
            total += len(chunk)
            tail = (tail + chunk)[-200:]
    assert total == size
    last = tail.split(b'\n')[-2]
    assert len(last) == 79 and last[:8].decode().strip().isdigit()


# ---- job tokens -----------------------------------------------------------------------------------------


def test_job_token_works_only_while_the_job_runs_and_only_where_allowed(fake, api, clock):
    pipeline = new_pipeline(api(DEV))
    clock.advance(0.2)
    build = ci.store(fake.state).jobs[jobs_of(api(DEV), pipeline)['build']['id']]
    own = requests.get(fake.url + '/api/v4/job', headers={'JOB-TOKEN': build.token}, timeout=TIMEOUT)
    assert (own.status_code, own.json()['id'], own.json()['status']) == (200, build.id, 'running')
    by_param = requests.get(fake.url + '/api/v4/job', params={'job_token': build.token}, timeout=TIMEOUT)
    assert by_param.status_code == 200
    assert fake.journal[-1]['query'] == {'job_token': '[FILTERED]'}
    elsewhere = requests.get(fake.url + '/api/v4' + SVC + '/jobs', headers={'JOB-TOKEN': build.token}, timeout=TIMEOUT)
    assert elsewhere.status_code == 401
    expect(api(DEV).get('/job'), 404, {'message': '404 Job Not Found'})
    expect(api(None).get('/job'), 401, {'message': '401 Unauthorized'})
    clock.advance(DONE)
    gone = requests.get(fake.url + '/api/v4/job', headers={'JOB-TOKEN': build.token}, timeout=TIMEOUT)
    assert (gone.status_code, gone.json()) == (401, {'message': '401 Unauthorized'})


# ---- python-gitlab as a second opinion ---------------------------------------------------------------


def test_python_gitlab_job_actions(fake, clock):
    project = gitlab.Gitlab(fake.url, private_token=DEV).projects.get('acme/app', lazy=True)
    pipeline = project.pipelines.create({'ref': 'main'})
    clock.advance(DONE)
    jobs = {job.name: job for job in pipeline.jobs.list(get_all=True)}
    assert {name: job.status for name, job in jobs.items()} == {'build': 'success', 'test': 'failed', 'deploy': 'skipped'}
    test = project.jobs.get(jobs['test'].id)
    new = test.retry()
    assert new['id'] != test.id and new['status'] == 'pending'
    assert len(pipeline.jobs.list(get_all=True, include_retried=True)) == 4
    with pytest.raises(gitlab.GitlabJobRetryError) as info:
        test.retry()
    assert info.value.response_code == 403
    build = project.jobs.get(jobs['build'].id)
    assert build.trace() == b'compiling\ndone\n'
    build.keep_artifacts()
    assert project.jobs.get(build.id).artifacts_expire_at is None
    build.cancel()
    assert project.jobs.get(build.id).status == 'success'
    build.erase()
    assert project.jobs.get(build.id).erased_at is not None
    with pytest.raises(gitlab.GitlabJobEraseError):
        build.erase()
    with pytest.raises(gitlab.GitlabJobPlayError) as info:
        project.jobs.get(jobs['deploy'].id).play()
    assert (info.value.response_code, info.value.error_message) == (400, '400 Bad request - Unplayable Job')


@pytest.mark.parametrize('action', ['retry', 'erase', 'cancel'])
def test_project_permission_is_checked_before_the_job_lookup(api, action):
    """lib/api/ci/jobs.rb: ``authorize_update_builds!`` comes before ``find_build!``: a Reporter gets 403 even
    for a job that does not exist; a Developer gets the lookup's 404."""
    response = api(REPORTER).post('%s/jobs/999999/%s' % (SVC, action))
    assert (response.status_code, response.json()) == (403, {'message': '403 Forbidden'})
    response = api(DEV).post('%s/jobs/999999/%s' % (SVC, action))
    assert (response.status_code, response.json()) == (404, {'message': '404 Not found'})
