"""gitlab_ci_schedule through real ansible-playbook, against the fake (or a real GitLab).

Four passes (check, apply, check, apply) for a create and for an update of fields and of one
variable; the update sends only what changed; ownership refused, then taken; duplicate
descriptions refused; an invalid cron refused with no write; ``state: ran`` with ``wait``;
``absent`` twice; bad inputs with clear messages and no writes. Every run's output is scanned for
the variable values (registered as secrets) and every token.
GitLab's behaviour as the fake has it: tests/fake_gitlab/schedules.py.
"""

import pytest

PLAYBOOK = 'gitlab_ci_schedule/schedule.yml'
TASK = 'Manage the schedule'
SECRET = 'schedule-it-secret-0001'
CHANGED_SECRET = 'schedule-it-secret-0002'
MAINT_TOKEN = 'glpat-maint-00000000000'


def path(gitlab, project=None):
    return 'projects/%s/pipeline_schedules' % (project or gitlab.project).replace('/', '%2F')


def server_schedules(gitlab, description, project=None):
    """The schedules with this description as GitLab shows them to the test's (admin) token, with variables."""
    listed = gitlab.api('GET', path(gitlab, project), params={'per_page': 100}).json()
    return [gitlab.api('GET', '%s/%d' % (path(gitlab, project), item['id'])).json() for item in listed
            if item['description'] == description]


def writes(gitlab):
    return [(entry['method'], entry['path'].split('/pipeline_schedules', 1)[-1]) for entry in gitlab.writes()]


def four_passes(gitlab, extra_vars, verify=None):
    """check -> apply -> check -> apply; returns the applied result."""
    if gitlab.is_fake:
        gitlab.clear_journal()
    predicted = gitlab.play(PLAYBOOK, extra_vars, check=True, diff=True).assert_ok().task(TASK)
    assert predicted['status'] == 'changed', predicted
    if gitlab.is_fake:
        assert gitlab.writes() == [], 'check mode wrote to GitLab'
    applied = gitlab.play(PLAYBOOK, extra_vars, diff=True).assert_ok().task(TASK)
    assert applied['status'] == 'changed', applied
    if verify:
        verify(applied['result'])
    if gitlab.is_fake:
        count = len(gitlab.writes())
    assert gitlab.play(PLAYBOOK, extra_vars, check=True, diff=True).assert_ok().task(TASK)['status'] == 'ok'
    assert gitlab.play(PLAYBOOK, extra_vars).assert_ok().task(TASK)['status'] == 'ok'
    if gitlab.is_fake:
        assert len(gitlab.writes()) == count, 'an unchanged run wrote to GitLab'
    return applied['result']


def nightly(gitlab, **extra):
    base = {'test_project': gitlab.project, 'test_description': 'cicd-it-nightly', 'test_ref': 'main', 'test_cron': '0 1 * * *',
            'test_cron_timezone': 'Europe/Berlin',
            'test_variables': [{'key': 'MODE', 'value': 'full'}, {'key': 'KEY', 'value': SECRET, 'variable_type': 'file'}]}
    base.update(extra)
    return base


def test_create_then_update_in_four_passes(gitlab):
    gitlab.secret(SECRET, CHANGED_SECRET)

    def created(result):
        server, = server_schedules(gitlab, 'cicd-it-nightly')
        assert result['schedule']['id'] == server['id'] and server['ref'] == 'refs/heads/main'
        assert sorted((v['key'], v['value'], v['variable_type']) for v in server['variables']) == [
            ('KEY', SECRET, 'file'), ('MODE', 'full', 'env_var')]
        assert result['schedule']['variables'] == [{'key': 'KEY', 'variable_type': 'file'}, {'key': 'MODE', 'variable_type': 'env_var'}]
        assert result['schedule']['next_run_at']
        if gitlab.is_fake:
            assert writes(gitlab) == [('POST', ''), ('POST', '/%d/variables' % server['id']), ('POST', '/%d/variables' % server['id'])]

    schedule_id = four_passes(gitlab, nightly(gitlab), created)['schedule']['id']

    update = nightly(gitlab, test_cron='30 2 * * *',
                     test_variables=[{'key': 'MODE', 'value': CHANGED_SECRET}, {'key': 'KEY', 'value': SECRET, 'variable_type': 'file'}])

    def updated(result):
        server, = server_schedules(gitlab, 'cicd-it-nightly')
        assert server['id'] == schedule_id and server['cron'] == '30 2 * * *'
        assert dict((v['key'], v['value']) for v in server['variables']) == {'MODE': CHANGED_SECRET, 'KEY': SECRET}
        if gitlab.is_fake:
            # one PUT for the fields, one for the one variable that changed; nothing deleted or re-created
            assert writes(gitlab) == [('PUT', '/%d' % schedule_id), ('PUT', '/%d/variables/MODE' % schedule_id)]

    four_passes(gitlab, update, updated)


@pytest.mark.fake_only
def test_ownership_refused_then_taken(gitlab):
    made = gitlab.api('POST', path(gitlab), token=MAINT_TOKEN, json={'description': 'cicd-it-maint', 'ref': 'main', 'cron': '0 4 * * *'})
    assert made.status_code == 201, made.text
    args = {'test_project': gitlab.project, 'test_description': 'cicd-it-maint', 'test_cron': '0 5 * * *',
            'test_api_token': 'glpat-dev-0000000000000'}
    gitlab.clear_journal()
    failure = gitlab.play(PLAYBOOK, args).assert_failed().failure()
    assert 'owned by maint' in failure['msg'] and 'take_ownership' in failure['msg']
    assert gitlab.writes() == []
    args.pop('test_api_token')     # root (the test token) takes it
    taken = gitlab.play(PLAYBOOK, dict(args, test_take_ownership=True)).assert_ok().task(TASK)
    assert taken['status'] == 'changed'
    assert taken['result']['previous_owner'] == 'maint' and taken['result']['schedule']['owner'] == 'root'
    assert writes(gitlab) == [('POST', '/%d/take_ownership' % made.json()['id']), ('PUT', '/%d' % made.json()['id'])]
    again = gitlab.play(PLAYBOOK, dict(args, test_take_ownership=True)).assert_ok().task(TASK)
    assert again['status'] == 'ok' and 'previous_owner' not in again['result']


def test_duplicates_are_refused(gitlab):
    for dummy in range(2):
        made = gitlab.api('POST', path(gitlab), json={'description': 'cicd-it-twice', 'ref': 'main', 'cron': '0 4 * * *'})
        assert made.status_code == 201, made.text
    ids = [item['id'] for item in server_schedules(gitlab, 'cicd-it-twice')]
    if gitlab.is_fake:
        gitlab.clear_journal()
    failure = gitlab.play(PLAYBOOK, {'test_project': gitlab.project, 'test_description': 'cicd-it-twice',
                                     'test_cron': '0 6 * * *'}).assert_failed().failure()
    assert 'ids %d, %d' % tuple(ids) in failure['msg']
    if gitlab.is_fake:
        assert gitlab.writes() == []


def test_invalid_cron_is_refused_without_a_write(gitlab):
    if gitlab.is_fake:
        gitlab.clear_journal()
    failure = gitlab.play(PLAYBOOK, nightly(gitlab, test_cron='0 1 * * 8')).assert_failed().failure()
    assert failure['msg'].startswith('Nothing was done') and 'day of week: 8 is out of range 0-7' in failure['msg']
    if gitlab.is_fake:
        assert gitlab.journal() == []
    assert server_schedules(gitlab, 'cicd-it-nightly') == []


@pytest.mark.fake_only
def test_ran_with_wait(gitlab):
    args = {'test_project': 'acme/svc', 'test_description': 'cicd-it-run', 'test_ref': 'main', 'test_cron': '0 1 * * *',
            'test_variables': [{'key': 'MODE', 'value': SECRET}]}
    gitlab.secret(SECRET)
    gitlab.play(PLAYBOOK, args).assert_ok()
    ran = gitlab.play(PLAYBOOK, dict(args, test_state='ran', test_wait=True, test_poll_interval=0.2)).assert_ok().task(TASK)
    assert ran['status'] == 'changed'
    pipeline = ran['result']['pipeline']
    assert pipeline['source'] == 'schedule' and pipeline['status'] in ('success', 'manual')
    assert [job['name'] for job in pipeline['jobs']] == ['build', 'test', 'deploy']
    assert ran['result']['schedule']['last_pipeline']['id'] == pipeline['id']
    failing = dict(args, test_description='cicd-it-fails', test_variables=[{'key': 'FAIL_TEST', 'value': '1'}])
    gitlab.play(PLAYBOOK, failing).assert_ok()
    failure = gitlab.play(PLAYBOOK, dict(failing, test_state='ran', test_wait=True, test_poll_interval=0.2)).assert_failed().failure()
    assert 'ended with status failed' in failure['msg'] and 'test' in failure['msg']


def test_absent_twice(gitlab):
    gitlab.secret(SECRET)
    gitlab.play(PLAYBOOK, nightly(gitlab)).assert_ok()
    args = {'test_project': gitlab.project, 'test_description': 'cicd-it-nightly', 'test_state': 'absent'}
    first = gitlab.play(PLAYBOOK, args).assert_ok().task(TASK)
    assert first['status'] == 'changed' and server_schedules(gitlab, 'cicd-it-nightly') == []
    if gitlab.is_fake:
        gitlab.clear_journal()
    second = gitlab.play(PLAYBOOK, args).assert_ok().task(TASK)
    assert second['status'] == 'ok' and second['result']['schedule'] is None
    if gitlab.is_fake:
        assert gitlab.writes() == []


# The value comes from an extra var: ansible-core 2.19+ prints the failing task's source lines, which
# would show a literal value (that is the playbook's text, not the module's output).
VALUE = '{{ it_secret }}'
BAD = [
    ({'test_description': ''}, 'description must not be empty'),
    ({'test_cron': '* * * *'}, 'has 4 fields'),
    ({'test_cron': '61 * * * *'}, 'minute: 61 is out of range 0-59'),
    ({'test_cron': '0 0 * jan-foo *'}, "month: 'foo' is not a number"),
    ({'test_cron': '*/0 * * * *'}, 'the step'),
    ({'test_cron': '@sometimes'}, 'unknown shortcut'),
    ({'test_cron_timezone': 'Mars/Base'}, 'is not a time zone name'),
    ({'test_variables': [{'key': 'BAD-KEY', 'value': VALUE}]}, 'only letters, digits and _'),
    ({'test_variables': [{'key': 'A', 'value': VALUE}, {'key': 'A', 'value': 'x'}]}, 'given twice'),
    ({'test_variables': [{'key': 'A', 'value': VALUE, 'variable_type': 'secret'}]}, 'env_var or file'),
    ({'test_variables': [{'key': 'A', 'value': VALUE, 'protected': True}]}, 'unknown field(s) protected'),
    ({'test_variables': [{'key': 'A'}]}, 'value is required'),
    ({'test_state': 'absent'}, 'cannot be used with it'),
    ({'test_wait': True}, 'wait needs state=ran'),
    ({'test_state': 'ran', 'test_wait': True, 'test_wait_timeout': 0}, 'wait_timeout must be more than 0'),
    ({'test_ref': 'has space'}, 'ref must be a branch or tag name'),
]


def test_bad_inputs_fail_clearly_without_a_request(gitlab):
    gitlab.secret(SECRET)
    tasks = []
    for index, (extra, dummy) in enumerate(BAD):
        options = {'project': gitlab.project, 'description': 'cicd-it-bad', 'ref': 'main', 'cron': '0 1 * * *'}
        for name, value in extra.items():
            options[name[len('test_'):]] = value
        if extra.get('test_state') == 'absent':
            options.pop('ref')
        tasks.append({'name': 'bad %d' % index, 'cicd.gitlab.gitlab_ci_schedule': options, 'ignore_errors': True})
    if gitlab.is_fake:
        gitlab.clear_journal()
    run = gitlab.play_tasks(tasks, extra_vars={'it_secret': SECRET})
    results = dict((task['task'], task) for task in run.tasks)
    for index, (dummy, words) in enumerate(BAD):
        task = results['bad %d' % index]
        assert task['status'] in ('failed', 'ignored'), task
        assert task['result']['msg'].startswith('Nothing was done') and words in task['result']['msg'], task['result']['msg']
    if gitlab.is_fake:
        assert gitlab.journal() == []
