"""The three modules run in-process against in-memory clients, when a write's answer is lost or foreign.

Each case pins the requests sent (a lost POST is never sent again), the outcome (adopted and changed,
or a failure that says nothing was done, or that it cannot tell and how to check), and that no token
reaches the output. Real HTTP runs against the fake GitLab are in tests/integration/test_lost_answers_playbooks.py.
"""

import json
import time
from unittest import mock

import pytest

from tests.unit.module_args import patch_module_args

from ansible_collections.cicd.gitlab.plugins.module_utils import _lost as lost
from ansible_collections.cicd.gitlab.plugins.module_utils._errors import (
    GitLabError,
    GitLabServerError,
    GitLabTimeoutError,
    GitLabTransportError,
)
from ansible_collections.cicd.gitlab.plugins.modules import gitlab_ci_job, gitlab_ci_trigger, gitlab_ci_variable

TOKEN = 'glpat-unit-test-token-0000'
TRIGGER_TOKEN = 'glptt-' + 'a1' * 20
NEW_TOKEN = 'glptt-' + 'b2' * 20
OLD_TOKEN = 'glptt-' + 'c3' * 20
SECRET = 'S3cr3t-Value_0001'
SECRET2 = 'S3cr3t-Value_0002'
WEB = 'https://gitlab.example.com'


def cut(method='POST', path='/x'):
    """GitLab applied the request; the connection was cut before its answer."""
    return GitLabTransportError(method, path, detail='Connection broken: IncompleteRead')


def bad_gateway(method='POST', path='/x'):
    return GitLabServerError(method, path, status=502, gitlab_message='GitLab is not responding (502)')


def play(capsys, module, client, check=False, diff=False, secrets=(), **args):
    args = dict(dict(api_url=WEB, api_token=TOKEN), **args)
    args['_ansible_check_mode'] = check
    args['_ansible_diff'] = diff
    wall = getattr(client, 'wall', time.time)  # the managed host's clock, as the client's GitLab sees it
    with patch_module_args(args), mock.patch.object(module, 'build_client', return_value=client), \
            mock.patch.object(gitlab_ci_job, 'WALL', wall):
        with pytest.raises(SystemExit):
            module.main()
    out = capsys.readouterr().out
    for secret in (TOKEN, TRIGGER_TOKEN, NEW_TOKEN, OLD_TOKEN, SECRET, SECRET2) + tuple(secrets):
        assert secret not in out, 'a secret reached the output'
    return json.loads(out)


class Recorder:
    base_url = WEB
    retries = 2

    def __init__(self):
        self.calls = []
        self.pauses = []
        self.lose = {}    # method name -> exception raised AFTER applying (a lost answer), or a callable giving the answer

    def pause(self, attempt):
        self.pauses.append(attempt)

    def answer(self, name, value):
        """What the write ``name`` answers: ``value``, unless a loss is set up for it."""
        loss = self.lose.pop(name, None)
        if loss is None:
            return value
        if isinstance(loss, Exception):
            raise loss
        return loss(value)

    def writes(self):
        return [call for call in self.calls if call[0] in ('POST', 'PUT', 'DELETE')]


# ---- gitlab_ci_job --------------------------------------------------------------------------------

class JobClient(Recorder):
    """Pipelines and jobs of one project (acme/app, id 7) in memory."""

    def __init__(self, pipelines=(), jobs=()):
        super().__init__()
        self.pipelines = [dict(p) for p in pipelines]
        self.jobs = [dict(j) for j in jobs]
        self.next_id = 100
        self.now = NOW        # GitLab's clock: created_at of new pipelines, the Date of every answer
        self.date = NOW       # the Date of the last answer; None: GitLab's answers carry none
        self.date_off = 0     # seconds a front writing Date is off GitLab's clock
        self.wall_off = 0     # seconds the managed host's clock is off GitLab's

    def server_date(self):
        return None if self.date is None else int(self.now + self.date_off)

    def wall(self):
        """The managed host's clock: right, unless a test sets it off."""
        return self.now + self.wall_off

    def get_project(self, project):
        self.calls.append(('GET', 'project', project))
        return {'id': 7, 'path_with_namespace': 'acme/app'}

    def list_pipelines(self, project, params=None, limit=20):
        self.calls.append(('GET', 'pipelines', dict(params or {})))
        return sorted((p for p in self.pipelines if p['ref'] == (params or {}).get('ref')), key=lambda p: -p['id'])[:limit]

    def _start(self, ref, source):
        self.next_id += 1
        pipeline = dict(id=self.next_id, ref=ref, status='created', source=source, sha='abc', created_at=iso(self.now),
                        web_url='%s/acme/app/-/pipelines/%d' % (WEB, self.next_id))
        self.pipelines.append(pipeline)
        self.jobs.append(dict(id=self.next_id * 10, name='build', status='created', pipeline={'id': self.next_id}))
        return dict(pipeline)

    def create_pipeline(self, project, ref, variables=None, inputs=None):
        self.calls.append(('POST', 'pipeline', ref))
        return self.answer('create_pipeline', self._start(ref, 'api'))

    def trigger_pipeline(self, project, token, ref, variables=None, inputs=None):
        self.calls.append(('POST', 'trigger/pipeline', ref))
        return self.answer('trigger_pipeline', self._start(ref, 'trigger'))

    def get_pipeline(self, project, pipeline_id):
        self.calls.append(('GET', 'pipeline', pipeline_id))
        return dict(next(p for p in self.pipelines if p['id'] == pipeline_id))

    def list_pipeline_jobs(self, project, pipeline_id, include_retried=False):
        self.calls.append(('GET', 'jobs', pipeline_id))
        return [dict(j) for j in self.jobs if j['pipeline']['id'] == pipeline_id and (include_retried or not j.get('retried'))]

    def get_job(self, project, job_id):
        self.calls.append(('GET', 'job', job_id))
        return dict(next(j for j in self.jobs if j['id'] == job_id))

    def _job(self, job_id):
        return next(j for j in self.jobs if j['id'] == job_id)

    def cancel_job(self, project, job_id):
        self.calls.append(('POST', 'cancel', job_id))
        self._job(job_id)['status'] = 'canceled'
        return self.answer('cancel_job', dict(self._job(job_id)))

    def retry_job(self, project, job_id):
        self.calls.append(('POST', 'retry', job_id))
        old = self._job(job_id)
        old['retried'] = True
        self.next_id += 1
        new = dict(old, id=self.next_id, status='pending', retried=False)
        self.jobs.append(new)
        return self.answer('retry_job', dict(new))

    def play_job(self, project, job_id, job_variables=None):
        self.calls.append(('POST', 'play', job_id))
        self._job(job_id)['status'] = 'pending'
        return self.answer('play_job', dict(self._job(job_id)))

    def erase_job(self, project, job_id):
        self.calls.append(('POST', 'erase', job_id))
        self._job(job_id)['erased_at'] = '2026-12-01T00:00:00Z'
        return self.answer('erase_job', dict(self._job(job_id)))

    def keep_artifacts(self, project, job_id):
        self.calls.append(('POST', 'keep', job_id))
        self._job(job_id)['artifacts_expire_at'] = None
        return self.answer('keep_artifacts', dict(self._job(job_id)))


NOW = 1796256000.5  # 2026-12-03T00:00:00.500Z


def iso(moment):
    return time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(moment)) + '.%03dZ' % round((moment % 1) * 1000)


OLD_PIPELINE = dict(id=50, ref='main', status='success', source='push', sha='abc', created_at=iso(NOW - 3600),
                    web_url=WEB + '/acme/app/-/pipelines/50')
# Started through the API a minute before: not a candidate (created before the lost request, less the margin).
OLD_API_PIPELINE = dict(OLD_PIPELINE, id=60, source='api', created_at=iso(NOW - 60), web_url=WEB + '/acme/app/-/pipelines/60')


def run_args(**extra):
    return dict(dict(project='acme/app', state='run', ref='main'), **extra)


@pytest.mark.parametrize('loss', [cut(), bad_gateway(), lost.UnusableAnswer('POST', '/x', detail='empty'), 'empty', 'html'])
def test_run_whose_answer_is_lost_adopts_the_one_new_pipeline(capsys, loss):
    client = JobClient(pipelines=[OLD_PIPELINE, OLD_API_PIPELINE])
    client.lose['create_pipeline'] = {'empty': lambda value: None, 'html': lambda value: '<html>login</html>'}.get(loss, loss)
    result = play(capsys, gitlab_ci_job, client, **run_args())
    assert result['changed'] is True and not result.get('failed'), result
    assert result['pipeline']['id'] == 101
    assert "answer was lost" in result['msg']
    assert client.writes() == [('POST', 'pipeline', 'main')]  # never sent twice
    assert client.calls[0] == ('POST', 'pipeline', 'main')  # nothing is read before the start
    assert result['project_path'] == 'acme/app'


def test_run_whose_answer_is_lost_and_nothing_was_started_says_it_can_run_again(capsys):
    client = JobClient(pipelines=[OLD_PIPELINE])

    def refused(project, ref, variables=None, inputs=None):
        client.calls.append(('POST', 'pipeline', ref))
        raise bad_gateway()  # the proxy failed before GitLab saw it: nothing created
    client.create_pipeline = refused
    result = play(capsys, gitlab_ci_job, client, **run_args())
    assert result['failed'] is True and result['changed'] is False
    assert 'none was started' in result['msg'] and 'can be sent again safely' in result['msg']
    assert WEB + '/acme/app/-/pipelines?ref=main' in result['msg']
    # A 502 may mean GitLab is still working on it: looked three times, with two pauses.
    assert len([c for c in client.calls if c[1] == 'pipelines']) == 3 and client.pauses == [0, 1]


def test_run_with_two_new_pipelines_fails_with_the_candidates(capsys):
    client = JobClient(pipelines=[OLD_PIPELINE])

    def also_another(value):
        client._start('main', 'api')  # somebody else started one meanwhile
        raise cut()
    client.lose['create_pipeline'] = also_another
    result = play(capsys, gitlab_ci_job, client, **run_args())
    assert result['failed'] is True
    assert 'may have been started' in result['msg']
    assert '101 (%s/acme/app/-/pipelines/101)' % WEB in result['msg'] and '102 (' in result['msg']
    assert len(client.writes()) == 1


def test_run_a_few_seconds_after_another_of_the_ref_adopts_the_new_one(capsys):
    # A pipeline of the ref started the same way 10 s before (a loop starting one ref twice): created before the
    # request was sent on both clocks, so it is told apart from the one the lost request started.
    client = JobClient(pipelines=[OLD_PIPELINE, dict(OLD_API_PIPELINE, id=99, created_at=iso(NOW - 10))])
    client.lose['create_pipeline'] = cut()
    result = play(capsys, gitlab_ci_job, client, **run_args())
    assert result['changed'] is True and result['pipeline']['id'] == 101, result
    assert len(client.writes()) == 1


def test_run_not_applied_a_few_seconds_after_another_never_adopts_that_one(capsys):
    # The same, but GitLab never saw the request (a 502 from the proxy): the pipeline from 10 s before is the
    # only one near, and it is not ours. Neither adopted nor "none was started": it cannot be ruled out.
    client = JobClient(pipelines=[OLD_PIPELINE, dict(OLD_API_PIPELINE, id=99, created_at=iso(NOW - 10))])

    def refused(project, ref, variables=None, inputs=None):
        client.calls.append(('POST', 'pipeline', ref))
        raise bad_gateway()
    client.create_pipeline = refused
    result = play(capsys, gitlab_ci_job, client, **run_args())
    assert result['failed'] is True and 'may have been started' in result['msg'] and 'none was started' not in result['msg']
    assert 'could be it: 99 (' in result['msg']
    assert 'pipeline' not in result


def test_run_whose_lost_answer_took_long_still_finds_the_pipeline(capsys):
    # The request reached GitLab at once; its answer was lost only after 100 s (a read timeout behind a
    # proxy). The Date of the answer that lists the pipelines is 100 s later than the pipeline's
    # created_at: the time elapsed since sending is taken off, so the pipeline is still found.
    client = JobClient(pipelines=[OLD_PIPELINE])
    local = [5000.0]

    def slow_loss(value):
        local[0] += 100
        client.now += 100
        raise cut()
    client.lose['create_pipeline'] = slow_loss
    with mock.patch.object(gitlab_ci_job, 'CLOCK', lambda: local[0]):
        result = play(capsys, gitlab_ci_job, client, **run_args())
    assert result['changed'] is True and result['pipeline']['id'] == 101, result


def test_run_whose_answers_carry_no_date_cannot_tell_new_from_old(capsys):
    client = JobClient(pipelines=[OLD_PIPELINE])
    client.date = None
    client.lose['create_pipeline'] = cut()
    result = play(capsys, gitlab_ci_job, client, **run_args())
    assert result['failed'] is True and 'may have been started' in result['msg']
    assert 'no Date header' in result['msg'] and WEB + '/acme/app/-/pipelines?ref=main' in result['msg']
    assert len(client.writes()) == 1


@pytest.mark.parametrize('date_off, wall_off, outcome', [
    (20, 0, 'adopt'),            # a front 20 s ahead: within the margin, the pipeline is still found
    (-25, -25, 'adopt'),
    (3600, 0, 'disagree'),       # a front an hour ahead would make the new pipeline look old: never "none was started"
    (-86400 * 365, 0, 'disagree'),
    (0, 600, 'disagree'),        # the managed host off by 10 min: which clock is wrong cannot be told
])
def test_run_whose_lost_answer_came_with_a_wrong_date(capsys, date_off, wall_off, outcome):
    client = JobClient(pipelines=[OLD_PIPELINE])
    client.date_off, client.wall_off = date_off, wall_off
    client.lose['create_pipeline'] = cut()
    result = play(capsys, gitlab_ci_job, client, **run_args())
    if outcome == 'adopt':
        assert result['changed'] is True and result['pipeline']['id'] == 101, result
        return
    assert result['failed'] is True and 'may have been started' in result['msg'] and 'none was started' not in result['msg']
    assert 'clock of this host' in result['msg'] and 'differ by' in result['msg']
    assert len(client.writes()) == 1


def test_run_through_a_trigger_token_matches_the_trigger_source_only(capsys):
    client = JobClient(pipelines=[OLD_PIPELINE])

    def api_one_too(value):
        client._start('main', 'api')  # an API pipeline is not the one the trigger started
        raise cut()
    client.lose['trigger_pipeline'] = api_one_too
    result = play(capsys, gitlab_ci_job, client, **run_args(trigger_token=TRIGGER_TOKEN))
    assert result['changed'] is True and result['pipeline']['id'] == 101 and result['pipeline']['source'] == 'trigger'


def test_run_with_a_project_id_names_its_path(capsys):
    client = JobClient(pipelines=[OLD_PIPELINE])
    result = play(capsys, gitlab_ci_job, client, check=True, project='7', state='run', ref='main')
    assert result['project_path'] == 'acme/app' and result['changed'] is True
    assert client.calls == [('GET', 'project', '7')]
    client = JobClient(pipelines=[OLD_PIPELINE])
    play(capsys, gitlab_ci_job, client, check=True, **run_args())
    assert client.calls == []  # a path costs nothing


def finished_job(**extra):
    return dict(dict(id=10, name='test', status='failed', pipeline={'id': 50}, web_url=WEB + '/acme/app/-/jobs/10'), **extra)


def test_retry_whose_answer_is_lost_finds_the_new_job(capsys):
    client = JobClient(jobs=[finished_job(), dict(finished_job(id=9, name='build', status='success'))])
    client.lose['retry_job'] = cut()
    result = play(capsys, gitlab_ci_job, client, project='acme/app', state='retried', job_id=10)
    assert result['changed'] is True and not result.get('failed'), result
    assert result['job']['id'] == 101 and result['previous_job'] == {'id': 10, 'status': 'failed'}
    assert 'answer to retrying job 10 (test) was lost' in result['msg'] and 'the new job is 101' in result['msg']
    assert len(client.writes()) == 1


def test_retry_whose_answer_is_lost_and_that_was_not_applied(capsys):
    client = JobClient(jobs=[finished_job()])

    def refused(project, job_id):
        client.calls.append(('POST', 'retry', job_id))
        raise bad_gateway()
    client.retry_job = refused
    result = play(capsys, gitlab_ci_job, client, project='acme/app', state='retried', job_id=10)
    assert result['failed'] is True and result['changed'] is False
    assert 'was not applied' in result['msg'] and 'can be run again' in result['msg']


@pytest.mark.parametrize('state, method, before, after_key, after_value', [
    ('canceled', 'cancel_job', dict(status='running'), 'status', 'canceled'),
    ('played', 'play_job', dict(status='manual'), 'status', 'pending'),
    ('erased', 'erase_job', dict(status='success'), 'erased_at', '2026-12-01T00:00:00Z'),
])
def test_job_action_whose_answer_is_lost_reads_the_job_again(capsys, state, method, before, after_key, after_value):
    client = JobClient(jobs=[finished_job(**before)])
    client.lose[method] = cut()
    result = play(capsys, gitlab_ci_job, client, project='acme/app', state=state, job_id=10)
    assert result['changed'] is True and not result.get('failed'), result
    assert result['job'][after_key] == after_value
    assert 'was lost' in result['msg'] and 'shows the' in result['msg']
    assert len(client.writes()) == 1


def test_cancel_whose_answer_is_lost_and_the_job_still_runs(capsys):
    client = JobClient(jobs=[finished_job(status='running')])

    def refused(project, job_id):
        raise GitLabTimeoutError('POST', '/x', detail='Read timed out')
    client.cancel_job = refused
    result = play(capsys, gitlab_ci_job, client, project='acme/app', state='canceled', job_id=10)
    assert result['failed'] is True and 'was not applied' in result['msg'] and 'job 10 (test) is running' in result['msg']


def test_keep_whose_answer_is_foreign_reads_the_job_again(capsys):
    job = finished_job(status='success', artifacts_expire_at='2027-01-01T00:00:00Z', artifacts_file={'filename': 'a.zip', 'size': 3})
    client = JobClient(jobs=[job])
    client.lose['keep_artifacts'] = lambda value: {'message': 'ok'}
    result = play(capsys, gitlab_ci_job, client, project='acme/app', job_id=10, keep_artifacts=True)
    assert result['changed'] is True and result['job']['artifacts_expire_at'] is None


class DeadlineClient(JobClient):
    """A client with the deadline interface (set_deadline/clear_deadline/deadline/deadline_reason)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.deadline = None
        self.deadline_reason = None
        self.deadlines = []

    def set_deadline(self, seconds, reason):
        self.deadlines.append(reason)
        self.deadline, self.deadline_reason = 1e12, reason

    def clear_deadline(self):
        self.deadline, self.deadline_reason = None, None


def test_wait_bounds_the_client_by_wait_timeout_and_a_passed_deadline_is_the_usual_timeout(capsys):
    deadline_error = lost.DEADLINE_ERROR
    client = DeadlineClient(jobs=[finished_job(status='running')])
    answers = iter([dict(finished_job(status='running'))])

    def slow(project, job_id):
        client.calls.append(('GET', 'job', job_id))
        for value in answers:
            return value
        raise deadline_error('GET', '/api/v4/projects/acme/app/jobs/10', detail='the deadline wait_timeout=30 passed')
    client.get_job = slow
    with mock.patch.object(lost, 'DEADLINE_ERROR', deadline_error), mock.patch.object(gitlab_ci_job, 'SLEEP', lambda s: None):
        result = play(capsys, gitlab_ci_job, client, project='acme/app', job_id=10, wait=True, wait_timeout=30, poll_interval=0.01)
    assert result['failed'] is True
    assert result['msg'].startswith('timed out after ') and '(wait_timeout=30) waiting for job 10 (test) to finish' in result['msg']
    assert result['msg'].endswith('last seen status: running')
    assert 'GET /api' not in result['msg']  # the usual timeout message, not the client's error
    assert client.deadlines == ['wait_timeout=30'] and client.deadline is None  # put back afterwards


def test_a_task_deadline_is_not_lengthened_by_the_wait(capsys):
    client = DeadlineClient(jobs=[finished_job(status='success')])
    client.deadline, client.deadline_reason = 0.0, 'task_timeout=5'  # already nearer than wait_timeout
    with mock.patch.object(gitlab_ci_job, 'SLEEP', lambda s: None):
        play(capsys, gitlab_ci_job, client, project='acme/app', job_id=10, wait=True)
    assert client.deadlines == [] and client.deadline_reason == 'task_timeout=5'


# ---- gitlab_ci_trigger ------------------------------------------------------------------------------

class TriggerClient(Recorder):
    def __init__(self, triggers=()):
        super().__init__()
        self.triggers = [dict(t) for t in triggers]
        self.next_id = 20

    def get_project(self, project):
        self.calls.append(('GET', 'project', project))
        return {'id': 7, 'path_with_namespace': 'acme/app'}

    def current_user(self):
        self.calls.append(('GET', 'user'))
        return {'username': 'root'}

    def list_triggers(self, project):
        self.calls.append(('GET', 'triggers'))
        return [dict(t) for t in self.triggers]

    def create_trigger(self, project, description, expires_at=None):
        self.calls.append(('POST', 'triggers', description))
        self.next_id += 1
        new = dict(id=self.next_id, description=description, token=NEW_TOKEN, owner={'username': 'root'}, expires_at=None)
        self.triggers.append(new)
        return self.answer('create_trigger', dict(new))

    def update_trigger(self, project, trigger_id, description):
        self.calls.append(('PUT', 'triggers', trigger_id))
        found = next(t for t in self.triggers if t['id'] == trigger_id)
        found['description'] = description
        return self.answer('update_trigger', dict(found))

    def delete_trigger(self, project, trigger_id):
        self.calls.append(('DELETE', 'triggers', trigger_id))
        self.triggers = [t for t in self.triggers if t['id'] != trigger_id]


OLD_TRIGGER = dict(id=3, description='deploy', token=OLD_TOKEN, owner={'username': 'root'}, expires_at=None)


@pytest.mark.parametrize('loss', [cut(), bad_gateway(), 'empty', 'no token'])
def test_trigger_create_whose_answer_is_lost_adopts_the_new_trigger(capsys, loss):
    client = TriggerClient()
    client.lose['create_trigger'] = {'empty': lambda value: None, 'no token': lambda value: {'id': value['id']}}.get(loss, loss)
    # The result holds the token (the task created it); run without the token check, then check the output by hand.
    args = dict(api_url=WEB, api_token=TOKEN, project='acme/app', description='deploy', _ansible_check_mode=False, _ansible_diff=True)
    with patch_module_args(args), mock.patch.object(gitlab_ci_trigger, 'build_client', return_value=client):
        with pytest.raises(SystemExit):
            gitlab_ci_trigger.main()
    out = capsys.readouterr().out
    result = json.loads(out)
    assert result['changed'] is True and not result.get('failed'), result
    assert result['trigger']['id'] == 21 and result['token'] == NEW_TOKEN and result['token_available'] is True
    # ansible-core 2.19 returns warnings as structured summaries; older versions as strings.
    assert 'was lost' in json.dumps(result['warnings'])
    assert out.count(NEW_TOKEN) == 1  # only RV(token)
    assert len(client.writes()) == 1 and len(client.triggers) == 1
    assert result['diff']['before_header'] == 'triggers of project acme/app'


def test_trigger_create_whose_answer_is_lost_and_nothing_was_created(capsys):
    client = TriggerClient()

    def refused(project, description, expires_at=None):
        client.calls.append(('POST', 'triggers', description))
        raise bad_gateway()
    client.create_trigger = refused
    result = play(capsys, gitlab_ci_trigger, client, project='acme/app', description='deploy')
    assert result['failed'] is True and result['changed'] is False
    assert 'none was created' in result['msg'] and 'can be run again' in result['msg']


def test_rotate_whose_create_answer_is_lost_never_deletes_the_old_trigger_unless_the_new_one_is_found(capsys):
    client = TriggerClient(triggers=[OLD_TRIGGER])

    def refused(project, description, expires_at=None):
        client.calls.append(('POST', 'triggers', description))
        raise cut()
    client.create_trigger = refused
    result = play(capsys, gitlab_ci_trigger, client, project='acme/app', description='deploy', rotate=True)
    assert result['failed'] is True
    assert 'old trigger 3 was not deleted' in result['msg']
    assert [c[0] for c in client.writes()] == ['POST']  # no DELETE
    assert client.triggers == [OLD_TRIGGER]


def test_rotate_whose_create_answer_is_lost_deletes_the_old_one_once_the_new_is_found(capsys):
    client = TriggerClient(triggers=[OLD_TRIGGER])
    client.lose['create_trigger'] = cut()
    args = dict(api_url=WEB, api_token=TOKEN, project='acme/app', description='deploy', rotate=True)
    with patch_module_args(args), mock.patch.object(gitlab_ci_trigger, 'build_client', return_value=client):
        with pytest.raises(SystemExit):
            gitlab_ci_trigger.main()
    result = json.loads(capsys.readouterr().out)
    assert result['changed'] is True and result['trigger']['id'] == 21
    assert [c[0] for c in client.writes()] == ['POST', 'DELETE'] and [t['id'] for t in client.triggers] == [21]


def test_trigger_create_with_two_new_ones_cannot_tell(capsys):
    client = TriggerClient()

    def twice(value):
        client.triggers.append(dict(value, id=99, token='abcd', owner={'username': 'alice'}))
        raise cut()
    client.lose['create_trigger'] = twice
    result = play(capsys, gitlab_ci_trigger, client, project='acme/app', description='deploy')
    assert result['failed'] is True and 'may have been created' in result['msg']
    assert '21 (yours), 99 (owned by alice)' in result['msg']


def test_an_admin_never_adopts_another_users_trigger_after_a_lost_create(capsys):
    """An administrator sees every full token (app/policies/ci/trigger_policy.rb): ownership decides."""
    client = TriggerClient()

    def not_applied_but_alice_made_one(value):
        client.triggers = [dict(value, id=99, token=OLD_TOKEN, owner={'username': 'alice'})]
        raise cut()
    client.lose['create_trigger'] = not_applied_but_alice_made_one
    result = play(capsys, gitlab_ci_trigger, client, project='acme/app', description='deploy')
    assert result['failed'] is True and 'token' not in result
    assert 'owned by alice' in result['msg'] and '(yours)' not in result['msg']
    assert ('GET', 'user') in client.calls


def test_trigger_project_id_is_named_in_check_mode(capsys):
    client = TriggerClient(triggers=[OLD_TRIGGER])
    result = play(capsys, gitlab_ci_trigger, client, check=True, diff=True, project='7', trigger_id=3, state='absent',
                  secrets=(OLD_TOKEN,))
    assert result['project_path'] == 'acme/app' and result['diff']['before_header'] == 'triggers of project acme/app'
    assert client.calls == [('GET', 'project', '7'), ('GET', 'triggers')]


# ---- gitlab_ci_variable ------------------------------------------------------------------------------

class VariableClient(Recorder):
    def __init__(self, variables=()):
        super().__init__()
        self.vars = [dict(v) for v in variables]

    def get_project(self, project):
        self.calls.append(('GET', 'project', project))
        return {'id': 7, 'path_with_namespace': 'acme/app'}

    def get_group(self, group):
        self.calls.append(('GET', 'group', group))
        return {'id': 3, 'full_path': 'acme/platform'}

    def list_variables(self, level, owner):
        self.calls.append(('GET', 'variables', level, owner))
        return [dict(v) for v in self.vars]

    def create_variable(self, level, owner, attrs):
        self.calls.append(('POST', attrs['key']))
        new = var(attrs['key'], attrs.get('value'), attrs.get('environment_scope', '*'))
        self.vars.append(new)
        return self.answer('create_variable', dict(new))

    def update_variable(self, level, owner, key, attrs, environment_scope=None):
        self.calls.append(('PUT', key))
        found = next(v for v in self.vars if v['key'] == key and v['environment_scope'] == environment_scope)
        found.update(attrs)
        return self.answer('update_variable', dict(found))

    def delete_variable(self, level, owner, key, environment_scope=None):
        self.calls.append(('DELETE', key))
        self.vars = [v for v in self.vars if not (v['key'] == key and v['environment_scope'] == environment_scope)]
        self.answer('delete_variable', None)


def var(key, value=SECRET, scope='*', **kwargs):
    result = dict(variable_type='env_var', key=key, value=value, hidden=False, protected=False, masked=False,
                  raw=False, environment_scope=scope, description=None)
    result.update(kwargs)
    return result


@pytest.mark.parametrize('loss', ['empty', 'html', lost.UnusableAnswer('POST', '/x', detail='an empty answer')])
def test_variable_create_with_a_foreign_answer_is_checked_not_sent_again(capsys, loss):
    client = VariableClient()
    client.lose['create_variable'] = {'empty': lambda value: None, 'html': lambda value: '<html>'}.get(loss, loss)
    result = play(capsys, gitlab_ci_variable, client, project='acme/app', key='A', value=SECRET)
    assert result['changed'] is True and result['variables']['added'] == [{'key': 'A', 'environment_scope': '*'}]
    assert client.writes() == [('POST', 'A')] and len(client.vars) == 1


def test_variable_update_with_a_foreign_answer_is_checked_by_reading_again(capsys):
    client = VariableClient(variables=[var('A', value=SECRET2)])
    client.lose['update_variable'] = lambda value: {'message': '200 OK'}
    result = play(capsys, gitlab_ci_variable, client, project='acme/app', key='A', value=SECRET, value_update='always')
    assert result['changed'] is True and not result.get('failed'), result
    assert result['variables']['updated'] == [{'key': 'A', 'environment_scope': '*'}]
    assert [c[0] for c in client.calls] == ['GET', 'PUT', 'GET']


def test_variable_update_with_a_foreign_answer_that_was_not_applied_fails(capsys):
    client = VariableClient(variables=[var('A', value=SECRET2)])

    def not_applied(level, owner, key, attrs, environment_scope=None):
        client.calls.append(('PUT', key))
        return '<html><title>Sign in</title></html>'
    client.update_variable = not_applied
    result = play(capsys, gitlab_ci_variable, client, project='acme/app', key='A', value=SECRET, value_update='always')
    assert result['failed'] is True and 'expected a JSON object with key' in result['msg']
    assert result['project_path'] == 'acme/app'


def test_variable_delete_whose_answer_is_lost_counts_when_the_variable_is_gone(capsys):
    client = VariableClient(variables=[var('A'), var('OLD')])
    client.lose['delete_variable'] = GitLabServerError('DELETE', '/x', status=503)
    result = play(capsys, gitlab_ci_variable, client, project='acme/app', purge=True, variables=[dict(key='A', value=SECRET)])
    assert result['changed'] is True and result['variables']['removed'] == [{'key': 'OLD', 'environment_scope': '*'}]


@pytest.mark.parametrize('owner_option, owner, expected_calls, name, path', [
    ('project', 'acme/app', [('GET', 'variables', 'project', 'acme/app')], 'project_path', 'acme/app'),
    ('project', '7', [('GET', 'project', '7'), ('GET', 'variables', 'project', '7')], 'project_path', 'acme/app'),
    ('group', 'acme/platform', [('GET', 'variables', 'group', 'acme/platform')], 'group_path', 'acme/platform'),
    ('group', '3', [('GET', 'group', '3'), ('GET', 'variables', 'group', '3')], 'group_path', 'acme/platform'),
])
def test_an_unchanged_run_costs_one_more_request_only_for_an_id(capsys, owner_option, owner, expected_calls, name, path):
    client = VariableClient(variables=[var('A')])
    result = play(capsys, gitlab_ci_variable, client, diff=True, key='A', value=SECRET, **{owner_option: owner})
    assert result['changed'] is False
    assert client.calls == expected_calls
    assert result[name] == path


def test_a_purge_on_an_id_in_check_mode_names_the_full_path(capsys):
    client = VariableClient(variables=[var('A'), var('OLD')])
    result = play(capsys, gitlab_ci_variable, client, check=True, diff=True, project='7', purge=True, variables=[dict(key='A', value=SECRET)])
    assert result['changed'] is True and result['variables']['removed'] == [{'key': 'OLD', 'environment_scope': '*'}]
    assert result['project_path'] == 'acme/app'
    assert result['diff']['before_header'] == 'CI/CD variables of project acme/app'
    assert client.writes() == []


def test_an_unknown_id_fails_before_listing(capsys):
    client = VariableClient()

    def missing(project):
        client.calls.append(('GET', 'project', project))
        raise GitLabError('GET', '/api/v4/projects/99', status=404, gitlab_message='404 Project Not Found')
    client.get_project = missing
    result = play(capsys, gitlab_ci_variable, client, project='99', key='A', value=SECRET)
    assert result['failed'] is True and '404 Project Not Found' in result['msg']
    assert client.calls == [('GET', 'project', '99')]


@pytest.mark.parametrize('module, client_class, args', [
    (gitlab_ci_variable, VariableClient, dict(project='7', key='A', value=SECRET)),
    (gitlab_ci_trigger, TriggerClient, dict(project='7', description='deploy')),
    (gitlab_ci_job, JobClient, dict(project='7', state='run', ref='main')),
])
def test_an_id_answered_with_a_foreign_body_fails_clearly_before_anything_else(capsys, module, client_class, args):
    client = client_class()

    def login_page(project):
        client.calls.append(('GET', 'project', project))
        return '<html><title>Sign in</title></html>'
    client.get_project = login_page
    result = play(capsys, module, client, **args)
    assert result['failed'] is True
    assert 'GET /api/v4/projects/7 failed (expected a JSON object with path_with_namespace, got a JSON str)' in result['msg']
    assert client.calls == [('GET', 'project', '7')]
