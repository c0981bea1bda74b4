"""The gitlab_ci_job module run in-process, its real client against the fake GitLab.

These tests pin what the pure tests of _jobs.py cannot: the requests each run sends (read from the
fake's journal, tests/fake_gitlab/server.py), changed on a first run and not on a second, check
mode sending no write, files written on the first run and left alone on the second, and that no
token or secret value reaches the result.

Time is virtual: the fake's CI clock (``fake.state.clock``, tests/fake_gitlab/ci.py) and the
module's SLEEP and CLOCK are one Clock, so a wait costs no real time and a pipeline of the default
seed (tests/fake_gitlab/seeds/default.yml) runs to its end in the first few polls: acme/svc passes
(build with artifacts, test, a manual deploy), acme/app fails in its test stage.
The same runs through ansible-playbook are in tests/integration/test_job_playbooks.py.
"""

import hashlib
import io
import os
import time
import zipfile
from unittest import mock
from urllib.parse import quote

import pytest
import requests
import yaml

from tests.conftest import DEV_TOKEN, ROOT_TOKEN
from tests.unit.module_run import Clock, api, calls, run_main, writes

from ansible_collections.cicd.gitlab.plugins.modules import gitlab_ci_job as module_under_test

SVC = 'acme/svc'
API = '/api/v4/projects/acme%2Fsvc'
SECRET = 'run-secret-value-0001'
JOB_SECRET = 'play-secret-value-0002'
SVC_BUILD_LOG = b'compiling svc\nbuild ok\n'


@pytest.fixture
def clock(fake):
    found = Clock()
    fake.state.clock = found
    with mock.patch.object(module_under_test, 'SLEEP', found.sleep), mock.patch.object(module_under_test, 'CLOCK', found):
        yield found


def pipeline_jobs(fake, pipeline_id, project=SVC):
    """``{name: job}`` of the pipeline's latest jobs, as GitLab shows them now."""
    jobs = api(fake, 'GET', '/projects/%s/pipelines/%d/jobs' % (quote(project, safe=''), pipeline_id))
    return {job['name']: job for job in jobs}


def started(fake, clock, project=SVC, seconds=30):
    """A pipeline started through the API (not the module), ``seconds`` later: ``(pipeline_id, {name: job})``."""
    pipeline = api(fake, 'POST', '/projects/%s/pipeline' % quote(project, safe=''), json={'ref': 'main'})
    clock.sleep(seconds)
    return pipeline['id'], pipeline_jobs(fake, pipeline['id'], project)


def run(capsys, fake, check=False, secrets=(), **args):
    """main() with these options (dev's token unless api_token is given); returns the result.

    Clears the journal first; the printed result must hold no token and no secret value.
    """
    args = dict(dict(api_url=fake.url, api_token=DEV_TOKEN, project=SVC), **args)
    result, out = run_main(capsys, fake, module_under_test, dict((k, v) for k, v in args.items() if v is not None), check=check)
    for secret in (DEV_TOKEN, ROOT_TOKEN, SECRET, JOB_SECRET) + tuple(secrets):
        assert secret not in out, 'a secret reached the result'
    return result


# ---- state=run ----------------------------------------------------------------------------------


def test_run_waits_for_the_pipeline_and_each_run_starts_one(capsys, fake, clock):
    result = run(capsys, fake, state='run', ref='main', wait=True, poll_interval=0.1, poll_interval_max=0.1)
    assert result['changed'] is True and 'failed' not in result
    pipeline = result['pipeline']
    # A pipeline whose only job left is manual (and allowed to fail) has finished.
    assert pipeline['status'] == 'success' and pipeline['source'] == 'api' and pipeline['ref'] == 'main'
    assert {j['name']: j['status'] for j in pipeline['jobs']} == {'build': 'success', 'test': 'success', 'deploy': 'manual'}
    seen = calls(fake)
    one, jobs, bridges = (('GET', API + '/pipelines/%d%s' % (pipeline['id'], tail)) for tail in ('', '/jobs', '/bridges'))
    # Nothing is read before the start (a lost answer is looked for by GitLab's clock, _lost.py), nor right after
    # it: the answer is the pipeline. One request per poll, its jobs list (each
    # job embeds the pipeline's status); its trigger jobs once at the first poll (it has none); the pipeline itself
    # once at the end, for the fields the job list lacks (finished_at).
    assert seen[:3] == [('POST', API + '/pipeline'), jobs, bridges]
    polls = [call for call in seen[1:] if call == jobs]
    assert seen[3:] == polls[1:] + [one] and len(polls) >= 2
    assert pipeline['finished_at'] is not None
    assert writes(fake) == [('POST', API + '/pipeline')]
    assert result['actions'][0] == 'started pipeline %d on ref main with the API token' % pipeline['id']
    assert result['actions'][1].startswith('waited ') and result['actions'][1].endswith('for pipeline %d to finish (success)' % pipeline['id'])

    again = run(capsys, fake, state='run', ref='main')
    assert again['changed'] is True and again['pipeline']['id'] == pipeline['id'] + 1
    assert writes(fake) == [('POST', API + '/pipeline')]


def test_run_in_check_mode_sends_nothing(capsys, fake, clock):
    result = run(capsys, fake, check=True, state='run', ref='main', wait=True, name='build', log_lines=5)
    assert result['changed'] is True
    assert result['msg'] == 'check mode: would start a pipeline on ref main with the API token'
    assert calls(fake) == [] and 'pipeline' not in result and 'job' not in result


def test_run_in_check_mode_with_a_project_id_reads_only_the_project(capsys, fake, clock):
    project_id = next(p['id'] for p in fake.dump_state()['projects'] if p['full_path'] == SVC)
    result = run(capsys, fake, check=True, project=str(project_id), state='run', ref='main')
    assert result['changed'] is True and result['project_path'] == SVC
    assert calls(fake) == [('GET', '/api/v4/projects/%d' % project_id)]


def new_trigger(fake):
    """A trigger of acme/svc owned by root; returns it with its token (and the token's secret forms)."""
    trigger = api(fake, 'POST', '/projects/acme%2Fsvc/triggers', token=ROOT_TOKEN, data={'description': 'unit'})
    return trigger, (trigger['token'], trigger['token'][len('glptt-'):])


def test_run_with_a_trigger_token_and_a_secret_variable(capsys, fake, clock):
    trigger, forms = new_trigger(fake)
    result = run(capsys, fake, secrets=forms, trigger_token=trigger['token'], state='run', ref='main', wait=True, poll_interval=1,
                 variables={'DEPLOY_ENV': {'value': SECRET, 'secret': True}, 'PLAIN': 'plain-value'})
    assert result['changed'] is True and 'failed' not in result
    assert result['pipeline']['source'] == 'trigger' and result['pipeline']['status'] == 'success'
    assert result['actions'][0] == 'started pipeline %d on ref main with the trigger token' % result['pipeline']['id']
    assert writes(fake) == [('POST', API + '/trigger/pipeline')]
    assert fake.journal[0]['user'] is None            # the start carries the trigger token, not api_token
    variables = api(fake, 'GET', '/projects/acme%%2Fsvc/pipelines/%d/variables' % result['pipeline']['id'], token=ROOT_TOKEN)
    values = {v['key']: v['value'] for v in variables}
    assert values['DEPLOY_ENV'] == SECRET and values['PLAIN'] == 'plain-value'    # and GitLab's TRIGGER_PAYLOAD


def test_run_with_only_a_trigger_token_reports_the_pipeline_it_started(capsys, fake, clock):
    trigger, forms = new_trigger(fake)
    result = run(capsys, fake, secrets=forms, api_token=None, trigger_token=trigger['token'], state='run', ref='main')
    assert writes(fake) == [('POST', API + '/trigger/pipeline')]
    assert result['changed'] is True
    assert 'failed' not in result, result['msg']
    assert result['pipeline']['id'] == 1 and result['pipeline']['source'] == 'trigger'


@pytest.mark.parametrize('extra', [dict(wait=True), dict(name='build'), dict(name='build', wait=True)])
def test_run_with_only_a_trigger_token_cannot_wait_or_pick_a_job(capsys, fake, clock, extra):
    trigger, forms = new_trigger(fake)
    result = run(capsys, fake, secrets=forms, api_token=None, trigger_token=trigger['token'], state='run', ref='main', **extra)
    assert result['failed'] is True and not result.get('changed')
    assert 'needs api_token (or GITLAB_TOKEN) besides trigger_token' in result['msg']
    assert calls(fake) == []


def test_run_of_a_failing_pipeline_fails_after_starting_it(capsys, fake, clock):
    result = run(capsys, fake, project='acme/app', state='run', ref='main', wait=True, poll_interval=1)
    assert result['failed'] is True and result['changed'] is True
    assert 'ended with status failed' in result['msg'] and 'test (' in result['msg']
    assert result['pipeline']['status'] == 'failed'
    assert writes(fake) == [('POST', '/api/v4/projects/acme%2Fapp/pipeline')]


def test_run_one_job_then_its_log_lines_and_artifacts(capsys, fake, clock, tmp_path):
    result = run(capsys, fake, state='run', ref='main', name='build', wait=True, poll_interval=1, log_lines=5,
                 artifacts_dest=str(tmp_path) + '/')
    assert result['changed'] is True and result['job']['name'] == 'build' and result['job']['status'] == 'success'
    assert result['log'] == {'lines': ['compiling svc', 'build ok']}
    target = str(tmp_path / 'artifacts.zip')
    assert result['artifacts']['path'] == target and result['artifacts']['changed'] is True
    with zipfile.ZipFile(target) as archive:
        assert archive.read('dist/VERSION') == b'2.0.0\n'
    job_id = result['job']['id']
    assert writes(fake) == [('POST', API + '/pipeline')]
    assert ('GET', API + '/jobs/%d/artifacts' % job_id) in calls(fake)
    assert ('GET', API + '/jobs/%d/trace' % job_id) in calls(fake)


# ---- artifacts and logs on the managed host -----------------------------------------------------


def test_artifacts_download_once_then_are_left_alone(capsys, fake, clock, tmp_path):
    dummy, jobs = started(fake, clock)
    build = jobs['build']['id']
    dest = str(tmp_path / 'svc.zip')
    predicted = run(capsys, fake, check=True, job_id=build, artifacts_dest=dest)
    assert predicted['changed'] is True and predicted['artifacts'] == {'path': dest, 'size': None, 'sha256': None, 'changed': True}
    assert calls(fake) == [('GET', API + '/jobs/%d' % build)]
    assert os.listdir(str(tmp_path)) == []

    first = run(capsys, fake, job_id=build, artifacts_dest=dest)
    assert first['changed'] is True
    assert calls(fake) == [('GET', API + '/jobs/%d' % build), ('GET', API + '/jobs/%d/artifacts' % build)]
    with open(dest, 'rb') as handle:
        content = handle.read()
    assert first['artifacts'] == {'path': dest, 'size': len(content), 'sha256': hashlib.sha256(content).hexdigest(), 'changed': True}
    assert zipfile.ZipFile(io.BytesIO(content)).read('dist/VERSION') == b'2.0.0\n'

    for check in (False, True):
        again = run(capsys, fake, check=check, job_id=build, artifacts_dest=dest)
        assert again['changed'] is False and again['artifacts'] == dict(first['artifacts'], changed=False)
        assert calls(fake) == [('GET', API + '/jobs/%d' % build)]
    assert sorted(os.listdir(str(tmp_path))) == ['.svc.zip.cicd-gitlab', 'svc.zip']


def test_one_artifact_file_downloads_once(capsys, fake, clock, tmp_path):
    dummy, jobs = started(fake, clock)
    build = jobs['build']['id']
    first = run(capsys, fake, job_id=build, artifacts_dest=str(tmp_path), artifact_path='dist/VERSION')
    assert first['changed'] is True and first['artifacts']['path'] == str(tmp_path / 'VERSION')
    assert (tmp_path / 'VERSION').read_bytes() == b'2.0.0\n'
    assert calls(fake)[-1] == ('GET', API + '/jobs/%d/artifacts/dist/VERSION' % build)
    again = run(capsys, fake, job_id=build, artifacts_dest=str(tmp_path), artifact_path='dist/VERSION')
    assert again['changed'] is False and calls(fake) == [('GET', API + '/jobs/%d' % build)]


def test_log_dest_is_written_once_and_log_lines_are_returned(capsys, fake, clock, tmp_path):
    dummy, jobs = started(fake, clock)
    build = jobs['build']['id']
    dest = str(tmp_path / 'build.log')
    predicted = run(capsys, fake, check=True, job_id=build, log_dest=dest)
    assert predicted['changed'] is True and not os.path.exists(dest) and writes(fake) == []

    first = run(capsys, fake, job_id=build, log_dest=dest, log_lines=1)
    assert first['changed'] is True
    assert (tmp_path / 'build.log').read_bytes() == SVC_BUILD_LOG
    assert first['log'] == {'path': dest, 'size': len(SVC_BUILD_LOG), 'sha256': hashlib.sha256(SVC_BUILD_LOG).hexdigest(),
                            'changed': True, 'lines': ['build ok']}
    for check in (False, True):
        again = run(capsys, fake, check=check, job_id=build, log_dest=dest)
        assert again['changed'] is False
        assert again['log'] == {'path': dest, 'size': len(SVC_BUILD_LOG), 'sha256': first['log']['sha256'], 'changed': False}
        # The log is read again to compare it (a running job's log grows), and nothing is written.
        assert calls(fake) == [('GET', API + '/jobs/%d' % build), ('GET', API + '/jobs/%d/trace' % build)]
    assert sorted(os.listdir(str(tmp_path))) == ['build.log']


def expire_build_artifacts(fake):
    """Run GitLab's expiry clean-up once (the fake's stand-in for its cron worker)."""
    response = requests.post(fake.url + '/-/fake/workers/expire_build_artifacts', timeout=10)
    assert response.status_code == 200, response.text
    return response.json()['destroyed']


def test_expired_artifacts_download_while_gitlab_serves_them(capsys, fake, clock, tmp_path):
    """Expired artifacts leave artifacts_file, but the archive still downloads (lib/api/ci/job_artifacts.rb)."""
    first_id, jobs = started(fake, clock)
    build = jobs['build']['id']
    started(fake, clock)                       # a newer successful pipeline unlocks the first one
    clock.sleep(3600)                          # the first build's artifacts expired
    assert 'artifacts_file' not in api(fake, 'GET', '/projects/acme%%2Fsvc/jobs/%d' % build)
    dest = str(tmp_path) + '/'
    got = run(capsys, fake, job_id=build, artifacts_dest=dest)
    assert got['changed'] is True and not got.get('failed'), got['msg']
    assert got['artifacts']['path'] == str(tmp_path / 'artifacts.zip')   # the name the artifacts list gives
    with zipfile.ZipFile(got['artifacts']['path']) as archive:
        assert archive.read('dist/VERSION') == b'2.0.0\n'

    one = run(capsys, fake, job_id=build, artifacts_dest=str(tmp_path / 'VERSION'), artifact_path='dist/VERSION')
    assert one['failed'] is True and 'expired at' in one['msg'] and 'without artifact_path' in one['msg']
    kept = run(capsys, fake, job_id=build, keep_artifacts=True)
    assert kept['failed'] is True and 'cannot be kept any more' in kept['msg'] and writes(fake) == []

    assert expire_build_artifacts(fake) == [build]
    gone = run(capsys, fake, job_id=build, artifacts_dest=str(tmp_path / 'again.zip'))
    assert gone['failed'] is True and 'has no artifacts' in gone['msg']
    assert sorted(os.listdir(str(tmp_path))) == ['.artifacts.zip.cicd-gitlab', 'artifacts.zip']


def test_keep_artifacts_once(capsys, fake, clock):
    dummy, jobs = started(fake, clock)
    build = jobs['build']['id']
    predicted = run(capsys, fake, check=True, job_id=build, keep_artifacts=True)
    assert predicted['changed'] is True and writes(fake) == []
    kept = run(capsys, fake, job_id=build, keep_artifacts=True)
    assert kept['changed'] is True and kept['job']['artifacts_expire_at'] is None
    assert writes(fake) == [('POST', API + '/jobs/%d/artifacts/keep' % build)]
    again = run(capsys, fake, job_id=build, keep_artifacts=True)
    assert again['changed'] is False and writes(fake) == []


# ---- actions on a job ---------------------------------------------------------------------------


def test_present_finds_a_job_by_name_and_ref_without_writing(capsys, fake, clock):
    pipeline_id, jobs = started(fake, clock)
    result = run(capsys, fake, name='test', ref='main')
    assert result['changed'] is False and result['msg'] == 'job %d (test) is success' % jobs['test']['id']
    assert result['job']['id'] == jobs['test']['id'] and result['pipeline']['id'] == pipeline_id
    # The name is looked up in the whole tree: the pipeline's trigger jobs are read too (it has none).
    assert calls(fake) == [('GET', API + '/pipelines'), ('GET', API + '/pipelines/%d/jobs' % pipeline_id),
                           ('GET', API + '/pipelines/%d/bridges' % pipeline_id)]
    assert result['pipeline']['downstream'] == []
    alone = run(capsys, fake, name='test', ref='main', follow_downstream=False)
    assert alone['job']['id'] == jobs['test']['id'] and 'downstream' not in alone['pipeline']
    assert calls(fake) == [('GET', API + '/pipelines'), ('GET', API + '/pipelines/%d/jobs' % pipeline_id)]


def test_retried_sends_one_retry_and_returns_the_new_job(capsys, fake, clock):
    pipeline_id, jobs = started(fake, clock)
    old = jobs['test']['id']
    predicted = run(capsys, fake, check=True, job_id=old, state='retried')
    assert predicted['changed'] is True and writes(fake) == [] and predicted['msg'].startswith('check mode: would retry')

    result = run(capsys, fake, job_id=old, state='retried', wait=True, poll_interval=1)
    assert result['changed'] is True
    assert writes(fake) == [('POST', API + '/jobs/%d/retry' % old)]
    assert result['previous_job'] == {'id': old, 'status': 'success'}
    assert result['job']['id'] != old and result['job']['name'] == 'test' and result['job']['status'] == 'success'
    assert pipeline_jobs(fake, pipeline_id)['test']['id'] == result['job']['id']


def test_canceled_cancels_once(capsys, fake, clock):
    pipeline_id, jobs = started(fake, clock, seconds=0.2)
    build = jobs['build']
    assert build['status'] in ('pending', 'running')
    predicted = run(capsys, fake, check=True, name='build', pipeline_id=pipeline_id, state='canceled')
    assert predicted['changed'] is True and writes(fake) == []

    result = run(capsys, fake, name='build', pipeline_id=pipeline_id, state='canceled')
    assert result['changed'] is True and result['job']['status'] in ('canceling', 'canceled')
    assert writes(fake) == [('POST', API + '/jobs/%d/cancel' % build['id'])]

    clock.sleep(1)
    for check in (True, False):
        again = run(capsys, fake, check=check, job_id=build['id'], state='canceled')
        assert again['changed'] is False and writes(fake) == []
        assert again['job']['status'] == 'canceled'


def test_played_plays_once_with_a_secret_job_variable(capsys, fake, clock):
    pipeline_id, jobs = started(fake, clock)
    deploy = jobs['deploy']
    assert deploy['status'] == 'manual'
    job_variables = {'TARGET': {'value': JOB_SECRET, 'secret': True}}
    predicted = run(capsys, fake, check=True, name='deploy', pipeline_id=pipeline_id, state='played', job_variables=job_variables)
    assert predicted['changed'] is True and writes(fake) == []

    result = run(capsys, fake, name='deploy', pipeline_id=pipeline_id, state='played', job_variables=job_variables,
                 wait=True, poll_interval=1, log_lines=3)
    assert result['changed'] is True and result['job']['status'] == 'success'
    assert writes(fake) == [('POST', API + '/jobs/%d/play' % deploy['id'])]
    assert result['log']['lines'] == ['deployed']

    again = run(capsys, fake, name='deploy', pipeline_id=pipeline_id, state='played', job_variables=job_variables)
    assert again['changed'] is False and writes(fake) == []


def test_erased_erases_once_and_refuses_an_unfinished_job(capsys, fake, clock):
    pipeline_id, jobs = started(fake, clock)
    build = jobs['build']['id']
    predicted = run(capsys, fake, check=True, job_id=build, state='erased')
    assert predicted['changed'] is True and writes(fake) == []

    result = run(capsys, fake, job_id=build, state='erased')
    assert result['changed'] is True and result['job']['erased_at']
    assert writes(fake) == [('POST', API + '/jobs/%d/erase' % build)]
    for check in (True, False):
        again = run(capsys, fake, check=check, job_id=build, state='erased')
        assert again['changed'] is False and writes(fake) == []

    dummy, fresh = started(fake, clock, seconds=0.2)
    refused = run(capsys, fake, job_id=fresh['build']['id'], state='erased')
    assert refused['failed'] is True and refused['changed'] is False and writes(fake) == []


def test_a_retried_job_cannot_be_retried_again(capsys, fake, clock):
    dummy, jobs = started(fake, clock)
    old = jobs['test']['id']
    run(capsys, fake, job_id=old, state='retried')
    again = run(capsys, fake, job_id=old, state='retried')
    assert again['failed'] is True and again['changed'] is False
    assert 'retry the newest one' in again['msg'] and 'Job is not retryable' in again['msg']
    assert writes(fake) == [('POST', API + '/jobs/%d/retry' % old)]      # GitLab refused it: 403


def test_played_waits_for_a_created_job_to_become_manual(capsys, fake, clock):
    pipeline_id, jobs = started(fake, clock, seconds=0)
    deploy = jobs['deploy']['id']
    assert jobs['deploy']['status'] == 'created'
    predicted = run(capsys, fake, check=True, name='deploy', pipeline_id=pipeline_id, state='played')
    assert predicted['changed'] is True and writes(fake) == []
    assert predicted['msg'] == 'check mode: would wait until job %d (deploy) becomes playable, then play it' % deploy

    result = run(capsys, fake, name='deploy', pipeline_id=pipeline_id, state='played', poll_interval=1)
    assert result['changed'] is True
    assert result['actions'][0].startswith('waited ') and result['actions'][0].endswith('to become playable (manual)')
    assert writes(fake) == [('POST', API + '/jobs/%d/play' % deploy)]


def test_a_wait_that_runs_out_fails_with_the_status_seen_last(capsys, fake, clock):
    dummy, jobs = started(fake, clock, project='acme/app', seconds=0)      # acme/app's build runs 1 s
    build = jobs['build']['id']
    result = run(capsys, fake, project='acme/app', job_id=build, wait=True, wait_timeout=1, poll_interval=0.2)
    assert result['failed'] is True and result['changed'] is False
    assert 'timed out after 1.0 s (wait_timeout=1)' in result['msg'] and result['job']['status'] == 'running'
    assert writes(fake) == []


def test_a_job_that_failed_fails_the_task_after_waiting(capsys, fake, clock):
    pipeline_id, dummy = started(fake, clock, project='acme/app')
    result = run(capsys, fake, project='acme/app', name='test', pipeline_id=pipeline_id, wait=True, log_lines=3)
    assert result['failed'] is True and result['changed'] is False
    assert 'ended with status failed' in result['msg'] and 'script_failure' in result['msg']
    assert 'log' not in result
    passed = run(capsys, fake, project='acme/app', name='test', pipeline_id=pipeline_id, wait=True, fail_on=['canceled'])
    assert 'failed' not in passed and passed['job']['status'] == 'failed'


def test_an_erased_job_has_no_artifacts_to_download(capsys, fake, clock, tmp_path):
    dummy, jobs = started(fake, clock)
    build = jobs['build']['id']
    run(capsys, fake, job_id=build, state='erased')
    result = run(capsys, fake, job_id=build, artifacts_dest=str(tmp_path / 'a.zip'), log_lines=0)
    assert result['failed'] is True and 'no artifacts to download (they were erased at' in result['msg']
    assert calls(fake) == [('GET', API + '/jobs/%d' % build)]
    assert os.listdir(str(tmp_path)) == []


def test_log_lines_zero_reads_no_log(capsys, fake, clock):
    dummy, jobs = started(fake, clock)
    result = run(capsys, fake, job_id=jobs['build']['id'], log_lines=0)
    assert result['log'] == {'lines': []} and calls(fake) == [('GET', API + '/jobs/%d' % jobs['build']['id'])]


# ---- refused before any request -----------------------------------------------------------------


@pytest.mark.parametrize('args, expected', [
    (dict(state='run'), 'state=run needs ref'),
    (dict(state='run', ref='main', job_id=1), 'job_id cannot be used with state=run'),
    (dict(job_id=1, name='build'), 'job_id and name are mutually exclusive'),
    (dict(name='build'), 'name needs pipeline_id or ref'),
    (dict(job_id=1, wait=True, poll_interval=0), 'poll_interval must be greater than 0'),
    (dict(state='run', ref='main', variables={'REPLICAS': 3}), 'REPLICAS'),
    (dict(state='run', ref='main', trigger_token='glptt-' + 'a1' * 20, variables={'CONF': {'value': 'conf-text', 'variable_type': 'file'}}),
     'file'),
    (dict(job_id=1, artifacts_dest='/tmp/x.zip', artifact_path='../../etc/passwd'), 'artifact_path'),
    (dict(job_id=1, state='erased', log_lines=3), 'cannot be used with state=erased'),
    (dict(job_id=1, job_variables={'A': 'b'}), 'job_variables can only be used with state=played'),
])
def test_bad_input_is_refused_before_any_request(capsys, fake, clock, args, expected):
    result = run(capsys, fake, **args)
    assert result['failed'] is True and expected in result['msg'], result['msg']
    assert calls(fake) == []


def test_a_log_dest_that_is_a_directory_is_refused_before_any_request(capsys, fake, clock, tmp_path):
    result = run(capsys, fake, job_id=1, log_dest=str(tmp_path))
    assert result['failed'] is True and 'log_dest' in result['msg']
    assert calls(fake) == []


# ---- pipeline trees (tests/integration/targets/gitlab_ci_tree/files/tree-seed.yml) -----------------

TREE_SEED = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'integration', 'targets', 'gitlab_ci_tree', 'files',
                         'tree-seed.yml')
MONO = 'mono/app'


@pytest.fixture
def tree_fake():
    from tests.fake_gitlab import FakeGitLab
    with FakeGitLab(seed=os.path.normpath(TREE_SEED)) as server:
        yield server


@pytest.fixture
def tree_clock(tree_fake):
    found = Clock()
    tree_fake.state.clock = found
    with mock.patch.object(module_under_test, 'SLEEP', found.sleep), mock.patch.object(module_under_test, 'CLOCK', found):
        yield found


def project_id(fake, path):
    return next(p['id'] for p in fake.dump_state()['projects'] if p['full_path'] == path)


def flatten(node, depth=0):
    """``[(depth, pipeline)]`` of a result's pipeline and its downstream pipelines, in tree order."""
    found = [(depth, node)]
    for child in node.get('downstream', ()):
        found.extend(flatten(child, depth + 1))
    return found


def test_run_and_wait_follows_the_whole_tree(capsys, tree_fake, tree_clock):
    result = run(capsys, tree_fake, project=MONO, state='run', ref='main', wait=True, poll_interval=1)
    assert 'failed' not in result, result['msg']
    tree = flatten(result['pipeline'])
    assert [(depth, node.get('bridge', {}).get('name'), node.get('project')) for depth, node in tree] == [
        (0, None, None), (1, 'child', MONO), (2, 'grand', MONO), (1, 'multi', 'mono/lib')]
    # Every pipeline of the tree had finished when the task returned, the child's manual job left waiting.
    assert [node['status'] for depth, node in tree] == ['success', 'success', 'success', 'success']
    child_jobs = {job['name']: job['status'] for job in tree[1][1]['jobs']}
    assert child_jobs == {'unit': 'success', 'approve': 'manual'}
    assert {job['name']: job['status'] for job in tree[3][1]['jobs']} == {'lib-build': 'success', 'unit': 'success', 'ship': 'manual'}
    assert tree[3][1]['project_id'] == project_id(tree_fake, 'mono/lib') and tree[3][1]['bridge']['status'] == 'success'
    assert result['pipeline']['tree_status'] == 'success'
    assert 'the tree of pipeline %d (4 pipelines) to finish (success)' % result['pipeline']['id'] in result['msg']
    # Requests of the downstream pipelines go to their own project.
    lib = '/api/v4/projects/%d' % project_id(tree_fake, 'mono/lib')
    assert ('GET', lib + '/pipelines/%d/jobs' % tree[3][1]['id']) in calls(tree_fake)


def read_pipeline_ids(polled):
    """The pipeline ids a poll's requests read (``GET .../pipelines/:id``, ``/jobs``, ``/bridges``)."""
    found = set()
    for method, path in polled:
        parts = path.split('/')
        if method == 'GET' and 'pipelines' in parts and parts.index('pipelines') + 1 < len(parts):
            found.add(int(parts[parts.index('pipelines') + 1]))
    return found


def test_each_poll_reads_only_the_pipelines_still_running(capsys, tree_fake, tree_clock):
    polls, ended = [], []

    def sleep(seconds):
        """The end of a poll: its requests, then (apart) the pipelines that have ended by now."""
        polls.append(calls(tree_fake))
        statuses = {}
        for project in (MONO, 'mono/lib'):
            for item in api(tree_fake, 'GET', '/projects/%s/pipelines' % quote(project, safe='')):
                statuses[item['id']] = item['status']
        ended.append(set(pid for pid, status in statuses.items() if status in ('success', 'failed', 'canceled', 'skipped', 'manual')))
        tree_fake.clear_journal()
        tree_clock.sleep(seconds)

    with mock.patch.object(module_under_test, 'SLEEP', sleep):
        result = run(capsys, tree_fake, project=MONO, state='run', ref='main', wait=True, poll_interval=0.5, poll_interval_max=0.5)
    polls.append(calls(tree_fake))
    ids = dict((node['id'], node) for depth, node in flatten(result['pipeline']))
    assert len(polls) >= 5 and set().union(*(read_pipeline_ids(polled) for polled in polls)) == set(ids)
    # A pipeline is read no more after a poll saw its end, except the root pipeline itself, once at the very end
    # (the job list that showed its end lacks finished_at); a downstream pipeline is read when it is found.
    seen = set()
    for index, polled in enumerate(polls[1:], 1):
        fresh = read_pipeline_ids(polled) - seen
        again = read_pipeline_ids(polled) & seen & ended[index - 1]
        if index == len(polls) - 1:
            assert polled[-1] == ('GET', '/api/v4/projects/mono%%2Fapp/pipelines/%d' % result['pipeline']['id'])
            again = read_pipeline_ids(polled[:-1]) & seen & ended[index - 1]
        assert not again, (index, polled)
        seen |= fresh | read_pipeline_ids(polled)
        # One request per running pipeline: its jobs list, and no GET of the pipeline besides.
        assert not [call for call in polled[:-1] if call[1].rsplit('/', 2)[-2] == 'pipelines'], polled


def test_follow_downstream_false_waits_on_the_parent_alone(capsys, tree_fake, tree_clock):
    result = run(capsys, tree_fake, project=MONO, state='run', ref='main', wait=True, poll_interval=1, follow_downstream=False)
    assert 'failed' not in result and 'downstream' not in result['pipeline'] and 'tree_status' not in result['pipeline']
    assert not [path for method, path in calls(tree_fake) if path.endswith('/bridges')]


def test_a_failing_grandchild_job_fails_the_task_with_its_log_tail(capsys, tree_fake, tree_clock):
    result = run(capsys, tree_fake, project='mono/fail', state='run', ref='main', wait=True, poll_interval=1)
    assert result['failed'] is True and result['changed'] is True
    msg = result['msg']
    assert msg.startswith('the tree of pipeline %d on ref main ended with status failed' % result['pipeline']['id']), msg
    assert 'deep (' in msg and 'of mono/fail (trigger jobs child -> grand)' in msg
    assert msg.endswith('last 3 lines of its log:\nstep 1\nstep 2\nERROR: deep broke')
    # The parent itself succeeded: without strategy a trigger job succeeds once its downstream exists.
    assert result['pipeline']['status'] == 'success' and result['pipeline']['tree_status'] == 'failed'


def test_a_manual_job_in_a_child_does_not_hang(capsys, tree_fake, tree_clock):
    result = run(capsys, tree_fake, project='mono/manual', state='run', ref='main', wait=True, poll_interval=1, wait_timeout=120)
    assert 'failed' not in result, result['msg']
    child = result['pipeline']['downstream'][0]
    assert child['status'] == 'manual' and result['pipeline']['tree_status'] == 'manual'
    assert tree_clock.now - time.time() < 60


def test_a_depend_child_started_while_the_parent_stays_running_is_found(capsys, tree_fake, tree_clock):
    # The parent is running through its build and then through its depend trigger job, whose child waits on a
    # manual job: the parent's status never changes, the end of the build is what tells that the child exists.
    with open(os.path.normpath(TREE_SEED), encoding='utf-8') as handle:
        seed = yaml.safe_load(handle)
    seed['projects'].append({'path': 'mono/slowgate', 'ci': [
        {'name': 'build', 'stage': 'build', 'duration': 6},
        {'name': 'child', 'stage': 'deploy', 'trigger': {'strategy': 'depend', 'include': [
            {'name': 'gate', 'stage': 'test', 'when': 'manual', 'allow_failure': False}, {'name': 'after', 'stage': 'deploy'}]}}]})
    tree_fake.reset(seed)
    tree_fake.state.clock = tree_clock
    result = run(capsys, tree_fake, project='mono/slowgate', state='run', ref='main', wait=True, poll_interval=1,
                 poll_interval_max=1, wait_timeout=120)
    assert 'failed' not in result, result['msg']
    assert result['pipeline']['status'] == 'running' and result['pipeline']['downstream'][0]['status'] == 'manual'
    assert result['pipeline']['tree_status'] == 'manual'
    bridges = [path for method, path in calls(tree_fake) if path.endswith('/bridges')]
    # Read at the first poll, when the build ended, and for the child; not at every poll.
    assert len(bridges) <= 4, bridges


def test_a_pipeline_of_more_than_100_jobs_reads_its_other_pages_only_on_a_change_or_at_the_end(capsys, tree_fake, tree_clock):
    many = [{'name': 'unit-%03d' % number, 'stage': 'test', 'duration': 1} for number in range(104)]
    with open(os.path.normpath(TREE_SEED), encoding='utf-8') as handle:
        seed = yaml.safe_load(handle)
    seed['projects'].append({'path': 'mono/big', 'ci': [{'name': 'build', 'stage': 'build', 'duration': 4}] + many})
    tree_fake.reset(seed)
    tree_fake.state.clock = tree_clock
    result = run(capsys, tree_fake, project='mono/big', state='run', ref='main', wait=True, poll_interval=1, poll_interval_max=1)
    assert 'failed' not in result, result['msg']
    assert len(result['pipeline']['jobs']) == 105 and {job['status'] for job in result['pipeline']['jobs']} == {'success'}
    lists = [entry['query'] for entry in tree_fake.journal if entry['path'].endswith('/jobs')]
    first = [query for query in lists if str(query.get('page', '1')) == '1']
    rest = [query for query in lists if str(query.get('page', '1')) != '1']
    # One first page (100 jobs) per poll; the rest when the status changed (created -> running, then the end).
    assert len(first) >= 5 and all(str(query.get('per_page')) == '100' for query in first)
    assert 1 <= len(rest) <= 3 and len(rest) < len(first), lists


def test_a_downstream_that_cannot_be_created_fails_in_words(capsys, tree_fake, tree_clock):
    result = run(capsys, tree_fake, project='mono/denied', state='run', ref='main', wait=True, poll_interval=1)
    assert result['failed'] is True
    assert 'trigger job downstream' in result['msg'] and 'failure_reason: insufficient_bridge_permissions' in result['msg']
    assert 'may not run pipelines in the downstream project' in result['msg']


def test_an_ambiguous_name_lists_the_candidates_and_downstream_picks(capsys, tree_fake, tree_clock):
    first = run(capsys, tree_fake, project=MONO, state='run', ref='main', wait=True, poll_interval=1)
    pipeline_id = first['pipeline']['id']
    child, multi = first['pipeline']['downstream'][0], first['pipeline']['downstream'][1]
    result = run(capsys, tree_fake, project=MONO, pipeline_id=pipeline_id, name='unit')
    assert result['failed'] is True
    assert 'matches jobs in 2 pipelines' in result['msg']
    assert "in pipeline %d of mono/app, downstream: ['child']" % child['id'] in result['msg']
    assert "in pipeline %d of mono/lib, downstream: ['multi']" % multi['id'] in result['msg']
    picked = run(capsys, tree_fake, project=MONO, pipeline_id=pipeline_id, name='unit', downstream=['multi'])
    assert 'failed' not in picked and picked['job']['pipeline_id'] == multi['id']
    unique = run(capsys, tree_fake, project=MONO, pipeline_id=pipeline_id, name='e2e')
    assert unique['job']['pipeline_id'] == child['downstream'][0]['id']
    nowhere = run(capsys, tree_fake, project=MONO, pipeline_id=pipeline_id, name='unit', downstream=['nope'])
    assert nowhere['failed'] is True and 'no pipeline at downstream' in nowhere['msg']
    assert run(capsys, tree_fake, project=MONO, pipeline_id=pipeline_id, name='unit', downstream=[])['failed'] is True


def test_actions_on_jobs_of_a_child_and_of_a_downstream_project(capsys, tree_fake, tree_clock, tmp_path):
    first = run(capsys, tree_fake, project=MONO, state='run', ref='main', wait=True, poll_interval=1)
    pipeline_id = first['pipeline']['id']
    lib = '/api/v4/projects/%d' % project_id(tree_fake, 'mono/lib')
    app = '/api/v4/projects/mono%2Fapp'
    # Play the manual job of the multi-project downstream, in that project.
    played = run(capsys, tree_fake, project=MONO, pipeline_id=pipeline_id, name='ship', state='played', wait=True, poll_interval=1)
    assert played['changed'] is True and played['job']['status'] == 'success', played['msg']
    assert writes(tree_fake) == [('POST', lib + '/jobs/%d/play' % played['job']['id'])]
    # Retry a job of the child pipeline, in the parent's project.
    retried = run(capsys, tree_fake, project=MONO, pipeline_id=pipeline_id, name='unit', downstream=['child'], state='retried',
                  wait=True, poll_interval=1)
    assert retried['changed'] is True and retried['previous_job']['status'] == 'success', retried['msg']
    assert writes(tree_fake) == [('POST', app + '/jobs/%d/retry' % retried['previous_job']['id'])]
    # Artifacts and the log of jobs of both.
    got = run(capsys, tree_fake, project=MONO, pipeline_id=pipeline_id, name='lib-build', artifacts_dest=str(tmp_path / 'lib.zip'),
              log_lines=5)
    assert got['artifacts']['changed'] is True and got['log']['lines'] == ['lib built']
    assert ('GET', lib + '/jobs/%d/artifacts' % got['job']['id']) in calls(tree_fake)
    with zipfile.ZipFile(str(tmp_path / 'lib.zip')) as archive:
        assert archive.read('lib.so') == b'ELF\n'
    one = run(capsys, tree_fake, project=MONO, pipeline_id=pipeline_id, name='unit', downstream=['child'], artifact_path='report.txt',
              artifacts_dest=str(tmp_path) + '/')
    assert (tmp_path / 'report.txt').read_bytes() == b'child report\n' and one['changed'] is True
    again = run(capsys, tree_fake, project=MONO, pipeline_id=pipeline_id, name='lib-build', artifacts_dest=str(tmp_path / 'lib.zip'))
    assert again['changed'] is False


def test_run_finds_a_named_job_of_a_child_pipeline_once_it_exists(capsys, tree_fake, tree_clock):
    result = run(capsys, tree_fake, project=MONO, state='run', ref='main', name='e2e', wait=True, poll_interval=1, log_lines=3)
    assert 'failed' not in result, result['msg']
    assert result['job']['name'] == 'e2e' and result['job']['status'] == 'success'
    assert result['log']['lines'] == ['e2e ok']
    assert any(action.startswith('found job %d (e2e) in pipeline' % result['job']['id']) for action in result['actions'])


def test_poll_interval_max_caps_the_interval(capsys, fake, clock):
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        clock.sleep(seconds)

    with mock.patch.object(module_under_test, 'SLEEP', sleep):
        result = run(capsys, fake, state='run', ref='main', wait=True, poll_interval=0.1, poll_interval_max=0.2)
    assert 'failed' not in result and sleeps and max(sleeps) <= 0.2
    assert all(later <= earlier * 1.25 + 1e-9 for earlier, later in zip(sleeps, sleeps[1:]))


@pytest.mark.parametrize('token, words', [
    (DEV_TOKEN, 'could not be read with this token'),
    ('glpat-maint-00000000000', 'is owner: the Owner role is needed, and the user of the token does not have it'),
])
def test_the_pipeline_variables_restriction_is_explained(capsys, tree_fake, tree_clock, token, words):
    result = run(capsys, tree_fake, project='mono/locked', api_token=token, state='run', ref='main', variables={'A': 'x'})
    assert result['failed'] is True and result['changed'] is False
    msg = result['msg']
    assert 'ci_pipeline_variables_minimum_override_role' in msg and words in msg and 'inputs' in msg, msg
    assert writes(tree_fake) == [('POST', '/api/v4/projects/mono%2Flocked/pipeline')]
    # Without variables the same user starts it.
    assert run(capsys, tree_fake, project='mono/locked', api_token=token, state='run', ref='main')['changed'] is True


@pytest.mark.parametrize('project', ['mono/manual', 'mono/mirror'])
def test_trees_with_a_strategy_end_with_their_child(capsys, tree_fake, tree_clock, project):
    result = run(capsys, tree_fake, project=project, state='run', ref='main', wait=True, poll_interval=1)
    assert 'failed' not in result, result['msg']
    child = result['pipeline']['downstream'][0]
    assert child['status'] in ('success', 'manual') and child['bridge']['name'] == 'child'
    assert result['pipeline']['tree_status'] == child['status']
