"""gitlab_ci_job through real ansible-playbook against the fake GitLab.

The fake's pipelines run the seeded ``ci:`` of each project (tests/fake_gitlab/seeds/default.yml):
acme/svc passes (build with artifacts, test, manual deploy), acme/app fails in its test stage.
These tests need the fake's seeded CI definitions, so they are fake-only; against a real GitLab the
variable and trigger suites run.
"""

import hashlib
import io
import os
import zipfile

import pytest
import requests
import yaml

from tests.conftest import DEFAULT_SEED

pytestmark = pytest.mark.fake_only

PLAYBOOK = 'gitlab_ci_job/job.yml'
TASK = 'Act on the job'
SVC = 'acme/svc'


# ---- helpers ------------------------------------------------------------------------------------


def act(gitlab, extra, check=False, **kwargs):
    return gitlab.play(PLAYBOOK, dict({'test_project': SVC}, **extra), check=check, **kwargs)


def ok(gitlab, extra, check=False):
    return act(gitlab, extra, check=check).assert_ok().task(TASK)


def failed(gitlab, extra, check=False):
    return act(gitlab, extra, check=check).assert_failed().failure()


def four_passes(gitlab, extra, verify=None):
    """check (changed, no writes) -> apply (changed) -> check (ok) -> apply (ok)."""
    gitlab.clear_journal()
    predicted = ok(gitlab, extra, check=True)
    assert predicted['status'] == 'changed', predicted
    assert gitlab.writes() == [], 'check mode wrote to GitLab'
    applied = ok(gitlab, extra)
    assert applied['status'] == 'changed', applied
    if verify:
        verify(applied['result'])
    writes = len(gitlab.writes())
    assert ok(gitlab, extra, check=True)['status'] == 'ok'
    assert ok(gitlab, extra)['status'] == 'ok'
    assert len(gitlab.writes()) == writes, 'an unchanged run wrote to GitLab'
    return applied['result']


def api_json(gitlab, path, **params):
    response = gitlab.api('GET', path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def finished_pipeline(gitlab, project=SVC):
    """Run a pipeline through the module and wait for it; returns the module's pipeline."""
    result = ok(gitlab, {'test_project': project, 'test_state': 'run', 'test_ref': 'main', 'test_wait': True,
                         'test_fail_on': []})
    return result['result']['pipeline']


def job_of(pipeline, name):
    return next(j for j in pipeline['jobs'] if j['name'] == name)


def with_project(gitlab, **project):
    """Reload the fake with the default seed plus one project."""
    with open(DEFAULT_SEED, encoding='utf-8') as handle:
        seed = yaml.safe_load(handle)
    seed['projects'].append(dict({'members': {}, 'branches': ['main']}, **project))
    gitlab.fake.reset(seed)


@pytest.fixture
def dest_dir(tmp_path):
    """An empty folder for downloads (tmp_path itself holds the harness's files)."""
    folder = tmp_path / 'dest'
    folder.mkdir()
    return folder


def no_temp_files(directory):
    return [name for name in os.listdir(directory) if name.endswith('.part')]


# ---- run ------------------------------------------------------------------------------------------


# Values marked secret (pipeline variables are plain run parameters otherwise; see test_values_playbooks.py).
DEPLOY_ENV = {'value': 'run-variable-value-01', 'secret': True}


def test_run_with_the_api_token_and_variables_waits_for_the_pipeline(gitlab):
    gitlab.secret('run-variable-value-01')
    predicted = ok(gitlab, {'test_state': 'run', 'test_ref': 'main', 'test_variables': {'DEPLOY_ENV': DEPLOY_ENV}},
                   check=True)
    assert predicted['status'] == 'changed'
    assert gitlab.writes() == []
    result = ok(gitlab, {'test_state': 'run', 'test_ref': 'main', 'test_wait': True,
                         'test_variables': {'DEPLOY_ENV': DEPLOY_ENV}})
    assert result['status'] == 'changed'
    pipeline = result['result']['pipeline']
    # A pipeline blocked only on its manual deploy job counts as finished.
    assert pipeline['status'] in ('success', 'manual')
    assert {j['name']: j['status'] for j in pipeline['jobs']} == {'build': 'success', 'test': 'success', 'deploy': 'manual'}
    assert pipeline['ref'] == 'main' and pipeline['sha'] and pipeline['web_url']
    server = api_json(gitlab, 'projects/acme%%2Fsvc/pipelines/%d' % pipeline['id'])
    assert server['source'] == 'api'
    variables = api_json(gitlab, 'projects/acme%%2Fsvc/pipelines/%d/variables' % pipeline['id'])
    assert {v['key']: v['value'] for v in variables}['DEPLOY_ENV'] == 'run-variable-value-01'
    posts = [e for e in gitlab.writes() if e['method'] == 'POST']
    assert [e['path'] for e in posts] == ['/api/v4/projects/acme%2Fsvc/pipeline']


def test_run_and_wait_costs_one_request_per_poll(gitlab):
    gitlab.clear_journal()
    result = ok(gitlab, {'test_state': 'run', 'test_ref': 'main', 'test_wait': True})
    pipeline = result['result']['pipeline']
    assert result['status'] == 'changed' and pipeline['finished_at']
    base = '/api/v4/projects/acme%2Fsvc'
    seen = [(e['method'], e['path']) for e in gitlab.journal()]
    one = base + '/pipelines/%d' % pipeline['id']
    # The POST first (nothing is read before it: a lost answer is looked for by GitLab's clock); then each poll is
    # ONE request, the job list (its jobs carry the pipeline's status); the trigger jobs once (there are none); the
    # pipeline itself at the end.
    assert seen[0] == ('POST', base + '/pipeline'), seen
    assert seen[-1] == ('GET', one), seen
    polls = seen[1:-1]
    assert polls.count(('GET', one + '/bridges')) == 1, seen
    assert [call for call in polls if call != ('GET', one + '/bridges')] == [('GET', one + '/jobs')] * (len(polls) - 1), seen
    assert len(polls) >= 2


def test_run_through_a_trigger_token(gitlab):
    gitlab.secret('trigger-variable-value-02')
    run = gitlab.play('gitlab_ci_job/trigger_and_run.yml', {'gitlab_project': SVC, 'test_description': 'cicd-it-run',
                                                            'test_variables': {'FROM_TRIGGER': {'value': 'trigger-variable-value-02', 'secret': True}}})
    pipeline = run.assert_ok().task('Run the pipeline with the trigger token')['result']['pipeline']
    server = api_json(gitlab, 'projects/acme%%2Fsvc/pipelines/%d' % pipeline['id'])
    assert server['source'] == 'trigger'
    variables = {v['key']: v for v in api_json(gitlab, 'projects/acme%%2Fsvc/pipelines/%d/variables' % pipeline['id'])}
    assert variables['FROM_TRIGGER']['value'] == 'trigger-variable-value-02'
    assert 'TRIGGER_PAYLOAD' in variables
    assert [e['path'] for e in gitlab.writes() if e['method'] == 'POST'][-1] == '/api/v4/projects/acme%2Fsvc/trigger/pipeline'


def test_run_never_starts_two_pipelines_when_the_answer_is_lost(gitlab):
    """A POST whose answer is lost is not re-sent: one task, one pipeline, found again and reported as started."""
    gitlab.add_fault(method='POST', path='/pipeline$', status=502, apply=True)
    result = ok(gitlab, {'test_state': 'run', 'test_ref': 'main'})
    assert result['status'] == 'changed'
    assert 'HTTP 502' in result['result']['msg'] and 'answer was lost' in result['result']['msg']
    pipelines = api_json(gitlab, 'projects/acme%2Fsvc/pipelines')
    assert len(pipelines) == 1
    assert result['result']['pipeline']['id'] == pipelines[0]['id']


def test_run_with_name_acts_on_that_job(gitlab):
    result = ok(gitlab, {'test_state': 'run', 'test_ref': 'main', 'test_name': 'build', 'test_wait': True})
    assert result['result']['job']['name'] == 'build'
    assert result['result']['job']['status'] == 'success'
    assert result['result']['job']['pipeline_id'] == result['result']['pipeline']['id']


# ---- waiting --------------------------------------------------------------------------------------


def test_wait_on_a_failed_job_fails_with_its_log_tail(gitlab):
    failure = failed(gitlab, {'test_project': 'acme/app', 'test_state': 'run', 'test_ref': 'main', 'test_name': 'test',
                              'test_wait': True})
    assert 'failed' in failure['msg']
    assert failure['job']['status'] == 'failed'


def test_wait_on_a_failed_pipeline_names_the_job_and_its_log(gitlab):
    compile_job = {'name': 'compile', 'stage': 'build', 'duration': 0.2, 'result': 'failed', 'log': 'step 1\nerror: the widget is broken\n'}
    with_project(gitlab, path='acme/broken', ci=[compile_job])
    failure = failed(gitlab, {'test_project': 'acme/broken', 'test_state': 'run', 'test_ref': 'main', 'test_wait': True})
    assert 'compile' in failure['msg'] and 'error: the widget is broken' in failure['msg']


def test_wait_timeout_fails_with_what_was_last_seen(gitlab):
    with_project(gitlab, path='acme/slow', ci=[{'name': 'slow', 'stage': 'build', 'duration': 60}])
    failure = failed(gitlab, {'test_project': 'acme/slow', 'test_state': 'run', 'test_ref': 'main', 'test_name': 'slow',
                              'test_wait': True, 'test_wait_timeout': 1})
    assert 'running' in failure['msg'] or 'pending' in failure['msg']
    assert 'timeout' in failure['msg'].lower() or 'timed out' in failure['msg'].lower()


def test_pipeline_blocked_by_a_manual_job_counts_as_finished(gitlab):
    with_project(gitlab, path='acme/gated', ci=[{'name': 'build', 'stage': 'build', 'duration': 0.2},
                                                {'name': 'approve', 'stage': 'deploy', 'when': 'manual', 'allow_failure': False}])
    result = ok(gitlab, {'test_project': 'acme/gated', 'test_state': 'run', 'test_ref': 'main', 'test_wait': True,
                         'test_wait_timeout': 30})
    assert result['result']['pipeline']['status'] == 'manual'


def test_canceled_is_configurable(gitlab):
    with_project(gitlab, path='acme/slow', ci=[{'name': 'slow', 'stage': 'build', 'duration': 60}])
    started = ok(gitlab, {'test_project': 'acme/slow', 'test_state': 'run', 'test_ref': 'main', 'test_name': 'slow'})
    job_id = started['result']['job']['id']
    ok(gitlab, {'test_project': 'acme/slow', 'test_state': 'canceled', 'test_job_id': job_id})
    failure = failed(gitlab, {'test_project': 'acme/slow', 'test_job_id': job_id, 'test_wait': True})
    assert 'canceled' in failure['msg']
    result = ok(gitlab, {'test_project': 'acme/slow', 'test_job_id': job_id, 'test_wait': True, 'test_fail_on': ['failed']})
    assert result['result']['job']['status'] == 'canceled'


# ---- job actions, four passes ---------------------------------------------------------------------


def test_play_a_manual_job_with_job_variables_in_four_passes(gitlab):
    gitlab.secret('job-variable-value-03')
    pipeline = finished_pipeline(gitlab)
    extra = {'test_state': 'played', 'test_pipeline_id': pipeline['id'], 'test_name': 'deploy',
             'test_job_variables': {'RELEASE': {'value': 'job-variable-value-03', 'secret': True}}}

    def played(result):
        job = api_json(gitlab, 'projects/acme%%2Fsvc/jobs/%d' % result['job']['id'])
        assert job['status'] != 'manual'

    four_passes(gitlab, extra, played)


def test_play_right_after_the_pipeline_starts_waits_until_playable(gitlab):
    started = ok(gitlab, {'test_state': 'run', 'test_ref': 'main'})
    pipeline_id = started['result']['pipeline']['id']
    deploy = job_of(started['result']['pipeline'], 'deploy')
    assert deploy['status'] == 'created'
    result = ok(gitlab, {'test_state': 'played', 'test_pipeline_id': pipeline_id, 'test_name': 'deploy', 'test_wait': True,
                         'test_wait_timeout': 60})
    assert result['status'] == 'changed'
    assert result['result']['job']['status'] == 'success'


def test_retry_returns_the_new_job(gitlab):
    pipeline = finished_pipeline(gitlab)
    build = job_of(pipeline, 'build')
    predicted = ok(gitlab, {'test_state': 'retried', 'test_job_id': build['id']}, check=True)
    assert predicted['status'] == 'changed'
    result = ok(gitlab, {'test_state': 'retried', 'test_job_id': build['id'], 'test_wait': True})
    assert result['status'] == 'changed'
    assert result['result']['previous_job']['id'] == build['id']
    assert result['result']['job']['id'] != build['id']
    assert result['result']['job']['status'] == 'success'
    listed = api_json(gitlab, 'projects/acme%%2Fsvc/pipelines/%d/jobs' % pipeline['id'])
    assert result['result']['job']['id'] in [j['id'] for j in listed]
    assert build['id'] not in [j['id'] for j in listed]


def test_cancel_a_running_job_in_four_passes(gitlab):
    with_project(gitlab, path='acme/slow', ci=[{'name': 'slow', 'stage': 'build', 'duration': 60}])
    started = ok(gitlab, {'test_project': 'acme/slow', 'test_state': 'run', 'test_ref': 'main', 'test_name': 'slow'})
    extra = {'test_project': 'acme/slow', 'test_state': 'canceled', 'test_job_id': started['result']['job']['id']}
    four_passes(gitlab, extra, lambda result: result['job']['status'] == 'canceled')
    assert api_json(gitlab, 'projects/acme%%2Fslow/jobs/%d' % started['result']['job']['id'])['status'] == 'canceled'


def test_erase_a_finished_job_in_four_passes(gitlab):
    build = job_of(finished_pipeline(gitlab), 'build')
    four_passes(gitlab, {'test_state': 'erased', 'test_job_id': build['id']})
    job = api_json(gitlab, 'projects/acme%%2Fsvc/jobs/%d' % build['id'])
    assert job['erased_at'] and 'artifacts_file' not in job


def test_erase_a_running_job_fails_clearly(gitlab):
    with_project(gitlab, path='acme/slow', ci=[{'name': 'slow', 'stage': 'build', 'duration': 60}])
    started = ok(gitlab, {'test_project': 'acme/slow', 'test_state': 'run', 'test_ref': 'main', 'test_name': 'slow'})
    gitlab.clear_journal()
    failure = failed(gitlab, {'test_project': 'acme/slow', 'test_state': 'erased', 'test_job_id': started['result']['job']['id']})
    assert 'running' in failure['msg'] or 'pending' in failure['msg']
    assert gitlab.writes() == []


def test_keep_artifacts_in_four_passes(gitlab):
    build = job_of(finished_pipeline(gitlab), 'build')
    four_passes(gitlab, {'test_job_id': build['id'], 'test_keep_artifacts': True})
    assert api_json(gitlab, 'projects/acme%%2Fsvc/jobs/%d' % build['id'])['artifacts_expire_at'] is None


# ---- artifacts onto the host ----------------------------------------------------------------------


def _archive_bytes(gitlab, job_id):
    response = gitlab.api('GET', 'projects/acme%%2Fsvc/jobs/%d/artifacts' % job_id)
    assert response.status_code == 200
    return response.content


def test_archive_by_job_id_in_four_passes(gitlab, dest_dir):
    build = job_of(finished_pipeline(gitlab), 'build')
    dest = dest_dir / 'svc.zip'
    expected = _archive_bytes(gitlab, build['id'])

    def downloaded(result):
        assert dest.read_bytes() == expected
        assert result['artifacts']['sha256'] == hashlib.sha256(expected).hexdigest()
        assert result['artifacts']['size'] == len(expected)

    gitlab.clear_journal()
    predicted = ok(gitlab, {'test_job_id': build['id'], 'test_artifacts_dest': str(dest)}, check=True)
    assert predicted['status'] == 'changed' and not dest.exists()
    four_passes(gitlab, {'test_job_id': build['id'], 'test_artifacts_dest': str(dest), 'test_mode': '0640'}, downloaded)
    assert oct(dest.stat().st_mode & 0o777) == '0o640'
    # The second run downloaded nothing.
    gitlab.clear_journal()
    ok(gitlab, {'test_job_id': build['id'], 'test_artifacts_dest': str(dest), 'test_mode': '0640'})
    assert not [e for e in gitlab.journal() if e['path'].endswith('/artifacts')]
    assert zipfile.ZipFile(io.BytesIO(dest.read_bytes())).read('dist/VERSION') == b'2.0.0\n'
    assert no_temp_files(dest_dir) == []


def test_single_file_by_job_id(gitlab, dest_dir):
    build = job_of(finished_pipeline(gitlab), 'build')
    dest = dest_dir / 'VERSION'
    result = ok(gitlab, {'test_job_id': build['id'], 'test_artifacts_dest': str(dest), 'test_artifact_path': 'dist/VERSION'})
    assert result['status'] == 'changed' and dest.read_bytes() == b'2.0.0\n'
    assert ok(gitlab, {'test_job_id': build['id'], 'test_artifacts_dest': str(dest), 'test_artifact_path': 'dist/VERSION'})['status'] == 'ok'


def test_by_ref_uses_the_latest_successful_pipeline(gitlab, dest_dir):
    good = finished_pipeline(gitlab)
    dest = dest_dir / 'VERSION'
    result = ok(gitlab, {'test_ref': 'main', 'test_name': 'build', 'test_latest_successful': True,
                         'test_artifacts_dest': str(dest), 'test_artifact_path': 'dist/VERSION'})
    assert result['result']['job']['id'] == job_of(good, 'build')['id']
    assert dest.read_bytes() == b'2.0.0\n'


def test_job_without_artifacts_is_a_clear_error(gitlab, dest_dir):
    test_job = job_of(finished_pipeline(gitlab), 'test')
    gitlab.clear_journal()
    failure = failed(gitlab, {'test_job_id': test_job['id'], 'test_artifacts_dest': str(dest_dir / 'x.zip')})
    assert 'artifacts' in failure['msg'] and str(test_job['id']) in failure['msg']
    assert gitlab.writes() == []
    assert os.listdir(dest_dir) == []


def test_cut_download_keeps_the_old_destination(gitlab, dest_dir):
    build = job_of(finished_pipeline(gitlab), 'build')
    dest = dest_dir / 'svc.zip'
    dest.write_bytes(b'previous content')
    gitlab.add_fault(method='GET', path='/jobs/%d/artifacts$' % build['id'], drop='after', count=10)
    failure = failed(gitlab, {'test_job_id': build['id'], 'test_artifacts_dest': str(dest), 'test_force': True, 'test_api_retries': 1})
    assert 'cut' in failure['msg'] and 'gave up after 1 retries' in failure['msg']
    assert dest.read_bytes() == b'previous content'
    assert no_temp_files(dest_dir) == []


def test_download_cut_once_is_fetched_again(gitlab, dest_dir):
    build = job_of(finished_pipeline(gitlab), 'build')
    expected = _archive_bytes(gitlab, build['id'])
    dest = dest_dir / 'svc.zip'
    dest.write_bytes(b'previous content')
    gitlab.add_fault(method='GET', path='/jobs/%d/artifacts$' % build['id'], drop='after', drop_at=0.5, count=1)
    gitlab.clear_journal()
    task = ok(gitlab, {'test_job_id': build['id'], 'test_artifacts_dest': str(dest), 'test_force': True})
    assert task['status'] == 'changed', task
    assert dest.read_bytes() == expected
    assert task['result']['artifacts']['sha256'] == hashlib.sha256(expected).hexdigest()
    downloads = [e for e in gitlab.journal() if e['path'].endswith('/jobs/%d/artifacts' % build['id'])]
    assert len(downloads) == 2
    assert no_temp_files(dest_dir) == []


def test_redirect_to_object_storage_carries_no_credentials(gitlab, dest_dir):
    build = job_of(finished_pipeline(gitlab), 'build')
    expected = _archive_bytes(gitlab, build['id'])
    response = requests.post(gitlab.url + '/-/fake/settings', json={'artifacts_redirect': True}, timeout=10)
    assert response.status_code < 300, response.text
    dest = dest_dir / 'svc.zip'
    ok(gitlab, {'test_job_id': build['id'], 'test_artifacts_dest': str(dest)})
    assert dest.read_bytes() == expected
    received = requests.get(gitlab.url + '/-/fake/storage/journal', timeout=10).json()
    assert received, 'the download did not go through object storage'
    assert all(entry['auth_headers'] == [] for entry in received)


def test_large_archive_streams_with_flat_memory(gitlab, dest_dir):
    """A 200 MiB archive; the module's peak memory is recorded (the target is asserted in make bench)."""
    with_project(gitlab, path='acme/big', ci=[{'name': 'build', 'stage': 'build', 'duration': 0.1,
                                               'artifacts': [{'path': 'big.bin', 'size': 200 * 1024 * 1024}]}])
    build = ok(gitlab, {'test_project': 'acme/big', 'test_state': 'run', 'test_ref': 'main', 'test_name': 'build',
                        'test_wait': True})['result']['job']
    dest = dest_dir / 'big.zip'
    result = ok(gitlab, {'test_project': 'acme/big', 'test_job_id': build['id'], 'test_artifacts_dest': str(dest)})
    assert result['result']['artifacts']['size'] == dest.stat().st_size > 200 * 1024 * 1024
    assert no_temp_files(dest_dir) == []


# ---- logs -----------------------------------------------------------------------------------------


def test_log_dest_and_log_lines(gitlab, dest_dir):
    build = job_of(finished_pipeline(gitlab), 'build')
    dest = dest_dir / 'build.log'
    result = four_passes(gitlab, {'test_job_id': build['id'], 'test_log_dest': str(dest), 'test_log_lines': 1},
                         lambda r: dest.read_text() == 'compiling svc\nbuild ok\n')
    assert result['log']['lines'] == ['build ok']


# ---- bad input: a clear message, no traceback, no writes ------------------------------------------

BAD_INPUT = [
    ({'test_job_id': 1, 'test_name': 'build', 'test_pipeline_id': 1}, 'job_id'),
    ({'test_name': 'build'}, 'pipeline_id'),
    ({'test_state': 'run'}, 'ref'),
    ({'test_state': 'run', 'test_ref': 'main', 'test_job_id': 1}, 'job_id'),
    ({'test_job_id': 999999}, '999999'),
    ({'test_pipeline_id': 999999, 'test_name': 'build'}, '999999'),
    ({'test_state': 'run', 'test_ref': 'no-such-branch'}, 'pipeline on ref no-such-branch of project acme/svc'),
    ({'test_state': 'run', 'test_ref': 'no-such-branch'}, 'Reference not found'),
    ({'test_job_id': 1, 'test_artifact_path': 'dist/VERSION'}, 'artifacts_dest'),
    ({'test_job_id': 1, 'test_log_lines': -1}, 'log_lines'),
    ({'test_job_id': 1, 'test_wait': True, 'test_wait_timeout': 0}, 'wait_timeout'),
    ({'test_job_id': 1, 'test_wait': True, 'test_poll_interval': 0}, 'poll_interval'),
    ({'test_job_id': 1, 'test_artifacts_dest': '/nonexistent-dir/x.zip'}, 'nonexistent-dir'),
    ({'test_job_id': 1, 'test_state': 'canceled', 'test_trigger_token': 'glptt-0000000000000000000000000000000000000000'}, 'trigger_token'),
    ({'test_job_id': 1, 'test_state': 'canceled', 'test_variables': {'CICD_A': {'value': 'bad-input-value-1', 'secret': True}}}, 'variables'),
    ({'test_job_id': 1, 'test_state': 'canceled', 'test_job_variables': {'CICD_A': {'value': 'bad-input-value-1', 'secret': True}}}, 'job_variables'),
    ({'test_state': 'run', 'test_ref': 'main', 'test_variables': {'CICD_A': {'value': ['bad-input-value-1'], 'secret': True}}}, 'CICD_A'),
    ({'test_state': 'exploded', 'test_job_id': 1}, 'state'),
    ({'test_project': 'acme/nope', 'test_job_id': 1}, 'acme/nope'),
    ({'test_state': 'run', 'test_ref': 'main', 'test_trigger_token': 'glptt-0000000000000000000000000000000000000000'}, '404'),
]


@pytest.mark.parametrize('extra, needle', BAD_INPUT, ids=['case%02d' % i for i in range(len(BAD_INPUT))])
def test_bad_input_is_refused_before_any_write(gitlab, extra, needle):
    gitlab.secret('glptt-0000000000000000000000000000000000000000', 'bad-input-value-1')
    gitlab.clear_journal()
    failure = failed(gitlab, extra)
    assert needle.lower() in failure['msg'].lower(), failure['msg']
    assert [e for e in gitlab.writes() if e['status'] < 400] == []


def test_played_on_a_job_that_is_not_manual_is_refused(gitlab):
    """GitLab's job JSON does not say whether a job is manual; a job still `created` that becomes
    `pending` instead of `manual` when its stage is reached is not one, and play says so.

    build runs 12 s of real time so that test is still `created` when the second playbook starts, even
    on a loaded machine (a finished job cannot be told from a manual job played before)."""
    with_project(gitlab, path='acme/stages', ci=[{'name': 'build', 'stage': 'build', 'duration': 12},
                                                 {'name': 'test', 'stage': 'test', 'duration': 0.2}])
    pipeline = ok(gitlab, {'test_project': 'acme/stages', 'test_state': 'run', 'test_ref': 'main'})['result']['pipeline']
    assert job_of(pipeline, 'test')['status'] == 'created'
    failure = failed(gitlab, {'test_project': 'acme/stages', 'test_state': 'played', 'test_pipeline_id': pipeline['id'],
                              'test_name': 'test', 'test_wait_timeout': 30})
    assert 'manual' in failure['msg'].lower() or 'unplayable' in failure['msg'].lower()


def test_artifacts_of_an_unknown_ref_job(gitlab, dest_dir):
    failure = failed(gitlab, {'test_ref': 'main', 'test_name': 'build', 'test_latest_successful': True,
                              'test_artifacts_dest': str(dest_dir / 'x.zip')})
    assert 'main' in failure['msg']
