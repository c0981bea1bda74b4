"""Table-driven tests of the pure job and pipeline logic (plugins/module_utils/_jobs.py).

Rows cover: option validation (every bad input that can be decided without GitLab), the action
each state means for each job status, poll interval growth and cap, waiting with a fake clock,
fail_on, when a pipeline counts as finished, picking a job by name, artifact records, and
failure messages (status and log lines, never a secret).
"""

import itertools
import json

import pytest

from ansible_collections.cicd.gitlab.plugins.module_utils import _jobs as j
from ansible_collections.cicd.gitlab.plugins.module_utils._errors import InputError

SECRET = 'S3cr3t-Value_0001'
TOKEN = 'glptt-0123456789abcdef0123456789abcdef01234567'


def params(**kwargs):
    """Module params as AnsibleModule hands them over (unset options None, defaults applied)."""
    result = dict(project='acme/app', state='present', job_id=None, name=None, pipeline_id=None, ref=None,
                  latest_successful=False, trigger_token=None, variables=None, inputs=None, job_variables=None,
                  wait=False, wait_timeout=600, poll_interval=5.0, fail_on=['failed', 'canceled'],
                  keep_artifacts=False, artifacts_dest=None, artifact_path=None, artifacts_max_size=None,
                  force=False, log_dest=None, log_lines=None, poll_interval_max=10.0, follow_downstream=True, downstream=None)
    result.update(kwargs)
    return result


def isdir(path):
    """Only /srv and /srv/drop exist in these tests."""
    return path in ('/srv', '/srv/drop')


def job(status='success', **kwargs):
    result = dict(id=12, name='build', stage='test', status=status, ref='main', web_url='https://gl/acme/app/-/jobs/12',
                  pipeline={'id': 5, 'project_id': 3}, erased_at=None, artifacts_expire_at=None)
    result.update(kwargs)
    return result


# ---- validation ---------------------------------------------------------------------------

VALID = [
    dict(job_id=12),
    dict(name='build', pipeline_id=5),
    dict(name='build', ref='main'),
    dict(name='build', ref='main', latest_successful=True, artifacts_dest='/srv/app.zip', artifact_path='dist/app'),
    dict(state='run', ref='main'),
    dict(state='run', ref='main', trigger_token=TOKEN, variables={'A': SECRET}, inputs={'n': 3}),
    dict(state='run', ref='main', name='build', wait=True, artifacts_dest='/srv/drop', keep_artifacts=True),
    dict(state='run', ref='main', name='build', log_lines=10),
    dict(state='played', job_id=12, job_variables={'B': SECRET}),
    dict(state='retried', job_id=12, wait=True, fail_on=['failed', 'skipped']),
    dict(state='canceled', name='e2e', ref='main'),
    dict(state='erased', job_id=12),
    dict(job_id=12, log_dest='/srv/build.log', log_lines=0),
]


@pytest.mark.parametrize('kwargs', VALID)
def test_valid_options(kwargs):
    assert j.validate_params(params(**kwargs), isdir=isdir) == []


INVALID = [
    (dict(job_id=12, name='build', pipeline_id=5), 'job_id and name are mutually exclusive'),
    (dict(name='build'), 'name needs pipeline_id or ref'),
    (dict(), 'needs a job: give job_id, or name with pipeline_id or ref'),
    (dict(state='canceled'), 'state=canceled needs a job'),
    (dict(state='run'), 'state=run needs ref'),
    (dict(state='run', ref='main', job_id=12), 'job_id cannot be used with state=run'),
    (dict(state='run', ref='main', pipeline_id=5), 'pipeline_id cannot be used with state=run'),
    (dict(state='run', ref='main', latest_successful=True), 'latest_successful cannot be used with state=run'),
    (dict(job_id=12, artifact_path='dist/app'), 'artifact_path needs artifacts_dest'),
    (dict(job_id=12, log_lines=-1), 'log_lines must be 0 or more'),
    (dict(job_id=12, wait_timeout=0), 'wait_timeout must be greater than 0'),
    (dict(job_id=12, wait_timeout=-5), 'wait_timeout must be greater than 0'),
    (dict(job_id=12, poll_interval=0), 'poll_interval must be greater than 0'),
    (dict(job_id=12, poll_interval=-1.5), 'poll_interval must be greater than 0'),
    (dict(job_id=12, poll_interval_max=0), 'poll_interval_max must be greater than 0'),
    (dict(job_id=12, downstream=['child']), 'downstream needs name'),
    (dict(pipeline_id=3, name='x', downstream=['child', '']), 'downstream must be a list of trigger job names'),
    (dict(pipeline_id=3, name='x', downstream=['child'], follow_downstream=False), 'downstream cannot be used with follow_downstream=false'),
    (dict(job_id=12, artifacts_dest='/nowhere/app.zip'), 'artifacts_dest: the directory /nowhere does not exist'),
    (dict(job_id=12, log_dest='/nowhere/job.log'), 'log_dest: the directory /nowhere does not exist'),
    (dict(job_id=12, log_dest='/srv/drop'), 'log_dest must be a file'),
    (dict(job_id=12, trigger_token=TOKEN), 'trigger_token can only be used with state=run'),
    (dict(state='played', job_id=12, trigger_token=TOKEN), 'trigger_token can only be used with state=run'),
    (dict(job_id=12, variables={'A': 'x'}), 'variables can only be used with state=run'),
    (dict(job_id=12, inputs={'a': 'x'}), 'inputs can only be used with state=run'),
    (dict(state='retried', job_id=12, job_variables={'A': 'x'}), 'job_variables can only be used with state=played'),
    (dict(state='run', ref='main', job_variables={'A': 'x'}), 'job_variables can only be used with state=played'),
    (dict(state='run', ref='main', variables={'REPLICAS': 3}), 'the value of REPLICAS must be a string'),
    (dict(state='run', ref='main', variables={'DEBUG': True}), 'got a boolean'),
    (dict(state='played', job_id=12, job_variables={'N': 1.5}), 'the value of N must be a string'),
    (dict(state='played', job_id=12, job_variables={'': 'x'}), 'every name must be a non-empty string'),
    (dict(state='run', ref='main', variables=['A=1']), 'variables must be a dictionary'),
    (dict(job_id=0), 'job_id must be a positive number'),
    (dict(name='build', pipeline_id=-1), 'pipeline_id must be a positive number'),
    (dict(name='build', pipeline_id=5, ref='main'), 'pipeline_id and ref are mutually exclusive'),
    (dict(job_id=12, ref='main'), 'job_id cannot be combined with pipeline_id or ref'),
    (dict(job_id=12, latest_successful=True), 'latest_successful only applies to name with ref'),
    (dict(name='build', pipeline_id=5, latest_successful=True), 'latest_successful only applies to name with ref'),
    (dict(name='  ', ref='main'), 'name cannot be empty'),
    (dict(state='run', ref='main', artifacts_dest='/srv/a.zip'), 'need a job: with state=run give name'),
    (dict(state='run', ref='main', name='build', artifacts_dest='/srv/a.zip'), 'need wait=true'),
    (dict(state='erased', job_id=12, artifacts_dest='/srv/a.zip'), 'cannot be used with state=erased'),
    (dict(state='erased', job_id=12, keep_artifacts=True), 'cannot be used with state=erased'),
    (dict(job_id=12, artifacts_dest='/srv/a.zip', artifacts_max_size=0), 'artifacts_max_size must be greater than 0'),
    (dict(job_id=12, artifacts_dest='/srv/a', log_dest='/srv/a'), 'artifacts_dest and log_dest must be different'),
    (dict(job_id=12, fail_on=['failed', 'broken']), 'fail_on may contain only'),
    (dict(job_id=12, state='absent'), 'state must be one of'),
]


@pytest.mark.parametrize('kwargs, expected', INVALID)
def test_invalid_options(kwargs, expected):
    problems = j.validate_params(params(**kwargs), isdir=isdir)
    assert any(expected in problem for problem in problems), problems
    assert SECRET not in json.dumps(problems)


def test_every_problem_is_reported_at_once():
    problems = j.validate_params(params(job_id=12, name='build', log_lines=-1, wait_timeout=0, trigger_token=TOKEN,
                                        variables={'A': 1}), isdir=isdir)
    assert len(problems) >= 5
    assert 'Nothing was done; %d problems' % len(problems) in InputError(problems).message()


def test_messages_name_variables_never_values():
    problems = j.validate_params(params(state='run', ref='main', variables={'PASSWORD': 123456789, 'OK': SECRET}), isdir=isdir)
    assert problems == ['variables: the value of PASSWORD must be a string (quote it in YAML); got a number']
    assert '123456789' not in problems[0]


# ---- action_for -----------------------------------------------------------------------------

ACTIONS = [
    # state, status, extra job fields, expected action
    ('present', 'running', {}, 'none'),
    ('present', 'failed', {}, 'none'),
    ('canceled', 'running', {}, 'cancel'),
    ('canceled', 'pending', {}, 'cancel'),
    ('canceled', 'created', {}, 'cancel'),
    ('canceled', 'manual', {}, 'cancel'),
    ('canceled', 'scheduled', {}, 'cancel'),
    ('canceled', 'waiting_for_resource', {}, 'cancel'),
    ('canceled', 'canceling', {}, 'none'),
    ('canceled', 'success', {}, 'none'),
    ('canceled', 'failed', {}, 'none'),
    ('canceled', 'canceled', {}, 'none'),
    ('canceled', 'skipped', {}, 'none'),
    ('played', 'manual', {}, 'play'),
    ('played', 'scheduled', {}, 'play'),
    ('played', 'created', {}, 'wait_playable'),
    ('played', 'pending', {}, 'none'),
    ('played', 'running', {}, 'none'),
    ('played', 'success', {}, 'none'),
    ('played', 'failed', {}, 'none'),
    ('played', 'skipped', {}, 'error'),
    ('erased', 'success', {}, 'erase'),
    ('erased', 'failed', {}, 'erase'),
    ('erased', 'canceled', {}, 'erase'),
    ('erased', 'success', {'erased_at': '2025-01-31T10:00:00Z'}, 'none'),
    ('erased', 'running', {}, 'error'),
    ('erased', 'pending', {}, 'error'),
    ('erased', 'manual', {}, 'error'),
    ('erased', 'canceling', {}, 'error'),
    ('retried', 'success', {}, 'retry'),
    ('retried', 'failed', {}, 'retry'),
    ('retried', 'canceled', {}, 'retry'),
    ('retried', 'canceling', {}, 'retry'),
    ('retried', 'running', {}, 'error'),
    ('retried', 'manual', {}, 'error'),
    ('retried', 'skipped', {}, 'error'),
    ('retried', 'created', {}, 'error'),
]


@pytest.mark.parametrize('state, status, extra, expected', ACTIONS)
def test_action_for(state, status, extra, expected):
    action, reason = j.action_for(state, job(status, **extra))
    assert action == expected, reason
    assert 'job 12 (build)' in reason


def test_erasing_a_running_job_names_its_status():
    action, reason = j.action_for('erased', job('running'))
    assert action == 'error'
    assert 'is running' in reason and 'only a finished job' in reason


@pytest.mark.parametrize('status, expected', [
    ('manual', 'play'),
    ('scheduled', 'play'),
    ('created', 'wait_playable'),
    ('pending', 'error'),
    ('skipped', 'error'),
    ('success', 'error'),
])
def test_play_after_waiting_for_created(status, expected):
    action, reason = j.action_for('played', job(status), after_wait=True)
    assert action == expected
    if expected == 'error':
        assert 'not a manual job' in reason and status in reason


def test_every_state_has_a_decision_for_every_status():
    for state, status in itertools.product(j.STATES, sorted(j.ALL_STATUSES)):
        action, reason = j.action_for(state, job(status))
        assert action in ('cancel', 'play', 'wait_playable', 'erase', 'retry', 'none', 'error')
        assert reason


def test_status_classes_partition_gitlab_statuses():
    assert j.FINISHED | j.ACTIVE | j.BLOCKED | {'created', 'canceling'} == j.ALL_STATUSES
    assert len(j.ALL_STATUSES) == 13


# ---- polling ----------------------------------------------------------------------------------

@pytest.mark.parametrize('initial, cap, expected', [
    (2, 10, [2, 2.5, 3.125, 3.90625, 4.8828125, 6.103515625, 7.62939453125, 9.5367431640625, 10, 10]),
    (5, 10, [5, 6.25, 7.8125, 9.765625, 10, 10]),
    (1, 4, [1, 1.25, 1.5625, 1.953125, 2.44140625, 3.0517578125, 3.814697265625, 4, 4]),
    (50, 10, [10, 10, 10]),
    (2, 30, [2, 2.5, 3.125]),
])
def test_poll_intervals_grow_by_a_quarter_and_stop_at_the_cap(initial, cap, expected):
    assert list(itertools.islice(j.poll_intervals(initial, cap), len(expected))) == pytest.approx(expected)


def test_poll_intervals_never_grow_more_than_a_quarter():
    got = list(itertools.islice(j.poll_intervals(0.1, 10), 60))
    assert all(later <= earlier * 1.25 + 1e-9 for earlier, later in zip(got, got[1:])) and got[-1] == 10


@pytest.mark.parametrize('timeout, maximum, cap', [(600, None, 10), (5, None, 5), (45, None, 10), (0.5, None, 0.5),
                                                   (600, 30, 30), (600, 2.5, 2.5), (20, 30, 20)])
def test_interval_cap_is_poll_interval_max_or_the_timeout(timeout, maximum, cap):
    assert j.interval_cap(timeout, maximum) == cap


class FakeTime:
    """A clock that moves only when slept on; fetch may add request time."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        assert seconds > 0
        self.sleeps.append(seconds)
        self.now += seconds


def test_wait_for_returns_as_soon_as_done():
    clock = FakeTime()
    statuses = iter(['pending', 'running', 'running', 'success'])
    value, elapsed, finished = j.wait_for(lambda: next(statuses), lambda s: s == 'success', 600,
                                          j.poll_intervals(2, 30), sleep=clock.sleep, clock=clock.clock)
    assert (value, finished) == ('success', True)
    assert clock.sleeps == [2, 2.5, 3.125]
    assert elapsed == pytest.approx(7.625)


def test_wait_for_never_sleeps_past_the_deadline_and_polls_at_it():
    clock = FakeTime()
    calls = []

    def fetch():
        calls.append(clock.now)
        return 'running'

    value, elapsed, finished = j.wait_for(fetch, lambda s: s == 'success', 20, j.poll_intervals(5, 30),
                                          sleep=clock.sleep, clock=clock.clock)
    assert (value, finished) == ('running', False)
    assert clock.sleeps == [5, 6.25, 7.8125, 0.9375]
    assert calls[-1] == pytest.approx(1020.0)
    assert elapsed == pytest.approx(20)


def test_wait_for_sees_a_finish_within_one_interval():
    clock = FakeTime()
    finish_at = 1000.0 + 13.0

    value, elapsed, finished = j.wait_for(lambda: 'success' if clock.now >= finish_at else 'running',
                                          lambda s: s == 'success', 600, j.poll_intervals(2, 30),
                                          sleep=clock.sleep, clock=clock.clock)
    assert finished
    # The finish was seen by the first poll after it, at most one (current) interval later.
    assert 0 <= (1000.0 + elapsed) - finish_at <= clock.sleeps[-1]


def test_wait_for_with_a_value_just_read_polls_one_interval_later():
    clock = FakeTime()
    calls = []

    def fetch():
        calls.append(clock.now)
        return 'success' if len(calls) > 1 else 'running'

    value, elapsed, finished = j.wait_for(fetch, lambda s: s == 'success', 600, j.poll_intervals(2, 10),
                                          sleep=clock.sleep, clock=clock.clock, initial='running')
    assert (value, finished) == ('success', True) and calls == [1002.0, 1004.5]
    done = j.wait_for(fetch, lambda s: s == 'success', 600, j.poll_intervals(2, 10), sleep=clock.sleep, clock=clock.clock,
                      initial='success')
    assert done[0] == 'success' and len(calls) == 2


def test_wait_for_with_no_time_left_polls_once():
    clock = FakeTime()
    value, elapsed, finished = j.wait_for(lambda: 'running', lambda s: False, 0, j.poll_intervals(5, 30),
                                          sleep=clock.sleep, clock=clock.clock)
    assert (finished, clock.sleeps) == (False, [])


# ---- outcomes -------------------------------------------------------------------------------

@pytest.mark.parametrize('status, fail_on, expected', [
    ('success', ['failed', 'canceled'], None),
    ('failed', ['failed', 'canceled'], 'failed'),
    ('canceled', ['failed', 'canceled'], 'canceled'),
    ('canceled', ['failed'], None),
    ('skipped', ['failed', 'canceled'], None),
    ('skipped', ['failed', 'canceled', 'skipped'], 'skipped'),
    ('failed', [], None),
    ('manual', ['failed', 'canceled', 'skipped'], None),
])
def test_job_outcome(status, fail_on, expected):
    assert j.job_outcome(job(status), fail_on) == expected


@pytest.mark.parametrize('status, finished', [
    ('success', True), ('failed', True), ('canceled', True), ('skipped', True), ('manual', True),
    ('scheduled', False), ('canceling', False), ('running', False), ('created', False), ('pending', False),
])
def test_job_finished(status, finished):
    assert j.job_finished(job(status)) is finished


def jobs_of(*statuses):
    return [dict(id=index + 1, name='job%d' % index, stage='s', status=status) for index, status in enumerate(statuses)]


@pytest.mark.parametrize('status, jobs, finished', [
    ('success', jobs_of('success', 'success'), True),
    ('success', jobs_of('success', 'manual'), True),
    ('manual', jobs_of('success', 'manual'), True),
    ('failed', jobs_of('failed', 'created'), True),
    ('canceled', jobs_of('canceled'), True),
    ('canceling', jobs_of('canceling', 'canceled'), False),
    ('canceling', jobs_of('manual'), False),
    ('running', jobs_of('success', 'running'), False),
    ('running', jobs_of('success', 'manual'), True),
    ('running', jobs_of('success', 'success'), False),
    ('created', [], False),
    ('pending', jobs_of('created', 'manual'), False),
])
def test_pipeline_finished(status, jobs, finished):
    assert j.pipeline_finished({'id': 5, 'status': status}, jobs) is finished


def test_pipeline_outcome_blames_failing_jobs_not_allowed_to_fail():
    jobs = [dict(id=3, name='lint', status='failed', allow_failure=True), dict(id=4, name='test', status='failed', allow_failure=False)]
    assert j.pipeline_outcome({'status': 'failed'}, jobs, ['failed']) == ('failed', [jobs[1]])
    assert j.pipeline_outcome({'status': 'success'}, jobs[:1], ['failed']) == (None, [])
    assert j.pipeline_outcome({'status': 'manual'}, jobs, ['failed'])[0] == 'failed'
    assert j.pipeline_outcome({'status': 'canceled'}, [], ['failed']) == (None, [])


# ---- picking jobs -------------------------------------------------------------------------------

@pytest.mark.parametrize('jobs, name, expected', [
    ([dict(id=3, name='build'), dict(id=9, name='build'), dict(id=5, name='test')], 'build', 9),
    ([dict(id=9, name='build', retried=True), dict(id=4, name='build')], 'build', 4),
    ([dict(id=3, name='build')], 'deploy', None),
    ([], 'build', None),
    ([dict(id=3, name='Build')], 'build', None),
])
def test_pick_job(jobs, name, expected):
    picked = j.pick_job(jobs, name)
    assert (picked and picked['id']) == expected or (picked is None and expected is None)


# ---- results --------------------------------------------------------------------------------------

def test_public_job_and_pipeline_shapes():
    full = job('success', artifacts_file={'filename': 'artifacts.zip', 'size': 10}, runner={'id': 1}, user={'name': 'x'},
               artifacts=[{'file_type': 'archive', 'filename': 'artifacts.zip', 'size': 10, 'file_format': 'zip', 'extra': 1}])
    public = j.public_job(full)
    assert public['pipeline_id'] == 5 and public['artifacts_file'] == {'filename': 'artifacts.zip', 'size': 10}
    assert 'runner' not in public and 'user' not in public
    assert public['artifacts'] == [{'file_type': 'archive', 'filename': 'artifacts.zip', 'size': 10, 'file_format': 'zip'}]
    assert j.public_job(job('running'))['artifacts_file'] is None
    pipeline = j.public_pipeline({'id': 5, 'status': 'running', 'ref': 'main', 'sha': 'abc', 'web_url': 'u', 'user': {}},
                                 [dict(id=9, name='b', stage='s', status='pending', x=1), dict(id=7, name='a', stage='s', status='success')])
    assert [item['id'] for item in pipeline['jobs']] == [7, 9]
    assert set(pipeline['jobs'][0]) == {'id', 'name', 'stage', 'status'}
    assert 'user' not in pipeline


@pytest.mark.parametrize('lines, expect', [
    (['$ make test', 'FAIL: test_x', 'ERROR: Job failed: exit code 1'], 'last 3 lines of its log:\n$ make test\nFAIL: test_x'),
    ([], 'its log is empty'),
])
def test_tail_message_has_status_and_lines(lines, expect):
    text = j.tail_message(job('failed', failure_reason='script_failure'), lines)
    assert 'job 12 (build) ended with status failed' in text
    assert 'failure_reason: script_failure' in text
    assert expect in text


def test_tail_message_never_shows_a_secret():
    lines = ['echo %s' % SECRET, 'token=%s' % TOKEN]
    text = j.tail_message(job('failed'), lines, secrets=[SECRET, TOKEN, '', None])
    assert SECRET not in text and TOKEN not in text
    assert text.count(j.REDACTED) == 2


def test_timeout_message_says_what_was_seen_last():
    text = j.timeout_message('job 12 (build) to finish', 'running', 600.2, 600)
    assert 'timed out after 600.2 s' in text and 'last seen status: running' in text


# ---- the identity of a job's artifacts (its record is _files' business) ---------------------------

def test_expected_record_names_project_job_and_file():
    assert j.expected_record(3, '12', None) == {'project': '3', 'job_id': 12, 'artifact_path': None}
    assert j.expected_record('acme/app', 12, 'dist/app') == {'project': 'acme/app', 'job_id': 12, 'artifact_path': 'dist/app'}


# ---- pipeline and job variables: plain values, a dict form, secrets only where marked ----------------

VARIABLE_ROWS = [
    (dict(state='run', ref='main', variables={'A': {'value': 'x'}}), None),
    (dict(state='run', ref='main', variables={'A': {'value': 'x', 'secret': True, 'variable_type': 'file'}}), None),
    (dict(state='run', ref='main', variables={'A': {'value': 'x', 'variable_type': 'env_var'}}, trigger_token=TOKEN), None),
    (dict(state='run', ref='main', variables={'A': {'value': 'x', 'variable_type': 'file'}}, trigger_token=TOKEN),
     'variables A: variable_type file is not supported here'),
    (dict(state='played', job_id=12, job_variables={'A': {'value': 'x', 'variable_type': 'file'}}),
     'job_variables A: variable_type file is not supported here'),
    (dict(state='run', ref='main', variables={'A': {'value': 'x', 'variable_type': 'yaml'}}), 'variable_type must be one of env_var, file'),
    (dict(state='run', ref='main', variables={'A': {'value': 'x', 'secret': 'yes'}}), 'secret must be true or false'),
    (dict(state='run', ref='main', variables={'A': {'value': 'x', 'masked': True}}), 'unknown field(s) masked'),
    (dict(state='run', ref='main', variables={'A': {'secret': True}}), 'value is required in the dictionary form'),
    (dict(state='run', ref='main', variables={'A': {'value': 10}}), 'the value of A must be a string (quote it in YAML); got a number'),
    (dict(state='run', ref='main', variables={'A': None}), 'got a null'),
    (dict(state='run', ref='main', variables={'A': ['x']}), 'got a list'),
    (dict(state='run', ref='main', variables={'A-B': 'x'}), "the name A-B may contain only ASCII letters, digits and '_'"),
    (dict(state='run', ref='main', variables={'K' * 256: 'x'}), 'is longer than 255 characters'),
    (dict(state='run', ref='main', variables='A=1'), 'variables must be a dictionary of names to values'),
    (dict(state='played', job_id=12, job_variables=['A=1']), 'job_variables must be a dictionary of names to values'),
]


@pytest.mark.parametrize('kwargs, expected', VARIABLE_ROWS)
def test_variable_values(kwargs, expected):
    problems = j.validate_params(params(**kwargs), isdir=isdir)
    if expected is None:
        assert problems == []
    else:
        assert any(expected in problem for problem in problems), problems
        assert "<class" not in json.dumps(problems)


def test_run_variables_normalise_to_the_client_list_sorted_by_key():
    assert j.run_variables(None) is None
    assert j.run_variables({}) is None
    assert j.run_variables({'B': 'v', 'A': {'value': 'x', 'secret': True, 'variable_type': 'file'}, 'C': {'value': ''}}) == [
        {'key': 'A', 'value': 'x', 'variable_type': 'file'},
        {'key': 'B', 'value': 'v', 'variable_type': 'env_var'},
        {'key': 'C', 'value': '', 'variable_type': 'env_var'},
    ]


def test_only_values_marked_secret_are_secrets():
    p = params(variables={'DEBUG': '1', 'TOKEN': {'value': SECRET, 'secret': True}, 'NOT': {'value': 'plain', 'secret': False}},
               job_variables={'PW': {'value': 'pw-123456', 'secret': True}, 'E': {'value': '', 'secret': True}})
    assert sorted(j.secret_values(p)) == sorted([SECRET, 'pw-123456'])
    assert j.secret_values(params(variables='not-a-dict')) == []


# ---- values that become part of a URL ----------------------------------------------------------------

URL_ROWS = [
    # the messages are the client's (path_segment_problem, artifact_path_problem): the same check before any request
    (dict(job_id=12, artifacts_dest='/srv/a', artifact_path='../../variables'), 'artifact_path "../../variables" has a "." or ".." segment'),
    (dict(job_id=12, artifacts_dest='/srv/a', artifact_path='dist/../../x'), 'has a "." or ".." segment'),
    (dict(job_id=12, artifacts_dest='/srv/a', artifact_path='./dist'), 'has a "." or ".." segment'),
    (dict(job_id=12, artifacts_dest='/srv/a', artifact_path='/etc/passwd'), 'starts with "/"'),
    (dict(job_id=12, artifacts_dest='/srv/a', artifact_path='dist%2F..%2Fx'), 'percent-encoded'),
    (dict(job_id=12, artifacts_dest='/srv/a', artifact_path='dist%2e%2e'), 'percent-encoded'),
    (dict(job_id=12, artifacts_dest='/srv/a', artifact_path='dist\\..\\x'), 'backslash'),
    (dict(job_id=12, artifacts_dest='/srv/a', artifact_path='dist//app'), 'empty segment'),
    (dict(job_id=12, artifacts_dest='/srv/a', artifact_path='dist/app\n'), 'control character'),
    (dict(project='acme/../x', job_id=12), 'project "acme/../x" has a "." or ".." segment'),
    (dict(project='/acme/app', job_id=12), 'cannot start or end with "/"'),
    (dict(project='acme//app', job_id=12), 'project "acme//app" has an empty segment'),
    (dict(project='acme/app\n', job_id=12), 'project contains a control character'),
    (dict(name='build\r', ref='main'), 'name contains a line break or control character'),
    (dict(name='build', ref='main\x00'), 'ref contains a line break or control character'),
    (dict(name='build', ref='..'), 'ref cannot be ".."'),
]


@pytest.mark.parametrize('kwargs, expected', URL_ROWS)
def test_values_that_become_part_of_a_url(kwargs, expected):
    problems = j.validate_params(params(**kwargs), isdir=isdir)
    assert any(expected in problem for problem in problems), problems


@pytest.mark.parametrize('kwargs', [
    dict(job_id=12, artifacts_dest='/srv/a', artifact_path='dist/app.tar.gz'),
    dict(job_id=12, artifacts_dest='/srv/a', artifact_path='reports/junit 1.xml'),
    dict(job_id=12, artifacts_dest='/srv/a', artifact_path='a..b/c.d'),
    dict(project='42', job_id=12),
    dict(project='acme/sub.group/app', job_id=12),
    dict(name='build: linux [1/2]', ref='release/1.4'),
])
def test_ordinary_url_values_pass(kwargs):
    assert j.validate_params(params(**kwargs), isdir=isdir) == []


# ---- log text -----------------------------------------------------------------------------------------

LOG_ROWS = [
    ('plain text', 'plain text'),
    ('', ''),
    ('\x1b[32;1mgreen\x1b[0;m', 'green'),
    ('\x1b[0K\x1b[36;1mSection header\x1b[0;m', 'Section header'),
    ('\x1b[1A\x1b[2Kredrawn', 'redrawn'),
    ('\x1b]8;;https://example.com\x07link\x1b]8;;\x07 text', 'link text'),
    ('\x1b]0;title\x1b\\after', 'after'),
    ('\x1b(Bcharset', 'charset'),
    ('\x1b[0Ksection_start:1700000000:build_step\r\x1b[0KBuilding', 'Building'),
    ('\x1b[0Ksection_start:1700000000:build_step[collapsed=true]\r\x1b[0KBuilding', 'Building'),
    ('section_start:1700000000:step_script\r\x1b[0K\x1b[0K\x1b[36;1mExecuting "step_script" stage\x1b[0;m',
     'Executing "step_script" stage'),
    ('\x1b[0Ksection_end:1700000000:build_step\r\x1b[0K', None),
    ('section_end:1700000000:build_step', None),
    ('Downloading 10%\rDownloading 50%\rDownloading 100%', 'Downloading 100%'),
    ('progress 99%\r', 'progress 99%'),
    ('done\r\n', 'done'),
    ('tab\tkept\x07bell\x00gone', 'tab\tkeptbellgone'),
    (b'bytes \xff line', 'bytes \ufffd line'),
    ('y' * 1000, 'y' * 1000),
    ('z' * 1001, 'z' * 1000 + ' [... 1 more characters]'),
]


@pytest.mark.parametrize('line, expected', LOG_ROWS)
def test_clean_log_line(line, expected):
    assert j.clean_log_line(line) == expected


def test_clean_log_lines_drops_marker_only_lines_and_caps_length():
    lines = ['\x1b[0Ksection_start:1:s\r\x1b[0KHeader', 'body', '\x1b[0Ksection_end:1:s\r\x1b[0K', '', 'w' * 20]
    assert j.clean_log_lines(lines, max_line=10) == ['Header', 'body', '', 'w' * 10 + ' [... 10 more characters]']
    assert j.clean_log_lines(None) is None
    assert j.clean_log_lines([]) == []
