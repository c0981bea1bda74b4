"""gitlab_ci_job_token_scope and gitlab_ci_pipeline_settings through real ansible-playbook, against the fake.

Four passes (check, apply, check, apply) for both modules; a CI/CD job token refused before and allowed
after its project is allowlisted (the refusal explained); a purge to empty refused, then allowed with
purge_all; settings applied to several projects with only the differing ones changed; bad inputs with
clear messages and no writes. GitLab's behaviour as the fake has it: tests/fake_gitlab/job_token_scope.py
and tests/fake_gitlab/core.py.
"""

import time

import pytest

from tests.conftest import ROOT_TOKEN
from tests.fake_gitlab import ci

SCOPE = 'gitlab_ci_access/scope.yml'
SETTINGS = 'gitlab_ci_access/settings.yml'
ARTIFACT = 'gitlab_ci_access/artifact.yml'
SCOPE_TASK = 'Manage the scope'
SETTINGS_TASK = 'Apply the settings'

pytestmark = pytest.mark.fake_only


def four_passes(gitlab, playbook, task, extra_vars):
    gitlab.clear_journal()
    predicted = gitlab.play(playbook, extra_vars, check=True, diff=True).assert_ok().task(task)
    assert predicted['status'] == 'changed', predicted
    assert gitlab.writes() == [], 'check mode wrote to GitLab'
    applied = gitlab.play(playbook, extra_vars, diff=True).assert_ok().task(task)
    assert applied['status'] == 'changed', applied
    count = len(gitlab.writes())
    assert gitlab.play(playbook, extra_vars, check=True, diff=True).assert_ok().task(task)['status'] == 'ok'
    assert gitlab.play(playbook, extra_vars).assert_ok().task(task)['status'] == 'ok'
    assert len(gitlab.writes()) == count, 'an unchanged run wrote to GitLab'
    return applied['result'], predicted['result']


def scope_of(gitlab, project):
    pid = gitlab.api('GET', 'projects/' + project.replace('/', '%2F')).json()['id']
    listed = gitlab.api('GET', 'projects/%d/job_token_scope/allowlist' % pid).json()
    groups = gitlab.api('GET', 'projects/%d/job_token_scope/groups_allowlist' % pid).json()
    return sorted(item['path_with_namespace'] for item in listed if item['id'] != pid), sorted(item['name'] for item in groups)


def test_job_token_scope_in_four_passes(gitlab):
    extra = {'test_project': 'acme/svc', 'test_enabled': True,
             'test_allowlist': {'projects': ['acme/app', 'other/tool'], 'groups': ['opensource']}}
    applied, predicted = four_passes(gitlab, SCOPE, SCOPE_TASK, extra)
    assert predicted['added'] == {'projects': ['acme/app', 'other/tool'], 'groups': ['opensource']}
    assert applied['scope'] == {'enabled': True, 'projects': ['acme/app', 'other/tool'], 'groups': ['opensource']}
    assert scope_of(gitlab, 'acme/svc') == (['acme/app', 'other/tool'], ['opensource'])


def test_purge_to_empty_refused_then_allowed_with_purge_all(gitlab):
    gitlab.play(SCOPE, {'test_project': 'acme/svc', 'test_allowlist': {'projects': ['acme/app']}}).assert_ok()
    gitlab.clear_journal()
    empty = {'test_project': 'acme/svc', 'test_allowlist': {'projects': [], 'groups': []}, 'test_purge': True}
    failure = gitlab.play(SCOPE, empty).assert_failed().failure()
    assert 'leave the job token allowlist empty' in failure['msg'] and 'acme/app' in failure['msg'] and 'purge_all' in failure['msg']
    assert gitlab.writes() == []
    assert scope_of(gitlab, 'acme/svc') == (['acme/app'], [])
    done = gitlab.play(SCOPE, dict(empty, test_purge_all=True), diff=True).assert_ok().task(SCOPE_TASK)
    assert done['status'] == 'changed' and done['result']['removed'] == {'projects': ['acme/app'], 'groups': []}
    assert scope_of(gitlab, 'acme/svc') == ([], [])


def _seed_with_jobs():
    return {
        'users': [{'username': 'root', 'token': ROOT_TOKEN, 'admin': True}],
        'groups': [{'path': 'g'}, {'path': 'h'}],
        'projects': [
            {'path': 'g/lib', 'ci': [{'name': 'build', 'duration': 0.1, 'artifacts': [{'path': 'dist/VERSION', 'content': '3.1.4\n'}]}]},
            {'path': 'h/consumer', 'ci': [{'name': 'use', 'duration': 600}]},
        ],
    }


def _pipeline(gitlab, project):
    answer = gitlab.api('POST', 'projects/%s/pipeline' % project.replace('/', '%2F'), json={'ref': 'main'})
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_job_token_refused_before_and_allowed_after_allowlisting(gitlab):
    gitlab.fake.reset(_seed_with_jobs())
    lib = _pipeline(gitlab, 'g/lib')
    deadline = time.time() + 10
    while gitlab.api('GET', 'projects/g%%2Flib/pipelines/%d' % lib['id']).json()['status'] != 'success':
        assert time.time() < deadline, 'the g/lib pipeline did not finish'
        time.sleep(0.05)
    consumer = _pipeline(gitlab, 'h/consumer')
    store = ci.store(gitlab.fake.state)
    job = next(job for job in store.jobs.values() if job.pipeline.id == consumer['id'])
    deadline = time.time() + 10
    while not job.running:
        assert time.time() < deadline, 'the consumer job did not start'
        time.sleep(0.05)
    token = job.token
    gitlab.secret(token)
    extra = {'test_project': 'g/lib', 'test_job_token': token}
    refused = gitlab.play(ARTIFACT, extra).assert_failed().failure()
    assert 'HTTP 403' in refused['msg']
    assert 'comes from project consumer, which is not on the job token allowlist of project lib' in refused['msg']
    gitlab.play(SCOPE, {'test_project': 'g/lib', 'test_allowlist': {'projects': ['h/consumer']}}).assert_ok()
    allowed = gitlab.play(ARTIFACT, extra).assert_ok()
    assert '3.1.4' in allowed.stdout + str(allowed.tasks)


def _project_fields(gitlab, project, *names):
    body = gitlab.api('GET', 'projects/' + project.replace('/', '%2F')).json()
    return {name: body[name] for name in names}


def test_pipeline_settings_in_four_passes_on_several_projects(gitlab):
    # acme/svc already has the values: only acme/app and acme/many-triggers change
    preset = {'build_timeout': 5400, 'ci_delete_pipelines_in_seconds': 2592000, 'ci_pipeline_variables_minimum_override_role': 'maintainer'}
    gitlab.api('PUT', 'projects/acme%2Fsvc', json=preset)
    extra = {'test_projects': ['acme/app', 'acme/svc', 'acme/many-triggers'], 'test_build_timeout': '90m',
             'test_delete_after': '30d', 'test_role': 'maintainer'}
    applied, _predicted = four_passes(gitlab, SETTINGS, SETTINGS_TASK, extra)
    changed = {item['item']: item['changed'] for item in applied['results']}
    assert changed == {'acme/app': True, 'acme/svc': False, 'acme/many-triggers': True}
    first = applied['results'][0]
    assert first['diff']['before'] == {'build_timeout': 3600, 'ci_delete_pipelines_in_seconds': None,
                                       'ci_pipeline_variables_minimum_override_role': 'developer'}
    assert first['diff']['after']['ci_delete_pipelines_in_seconds'] == 2592000
    for project in extra['test_projects']:
        assert _project_fields(gitlab, project, 'build_timeout', 'ci_delete_pipelines_in_seconds') == {
            'build_timeout': 5400, 'ci_delete_pipelines_in_seconds': 2592000}


def test_a_field_the_instance_lacks_is_a_warning(gitlab):
    seed = dict(gitlab.fake.state.seed, absent_project_fields=['ci_push_repository_for_job_token_allowed'])
    gitlab.fake.reset(seed)
    run = gitlab.play(SETTINGS, {'test_projects': ['acme/app'], 'test_push': True, 'test_git_depth': 10}).assert_ok()
    assert 'ci_push_repository_for_job_token_allowed is not known to this GitLab' in run.output
    result = run.task(SETTINGS_TASK)['result']['results'][0]
    assert result['changed_fields'] == ['ci_default_git_depth'] and result['unknown_fields'] == ['ci_push_repository_for_job_token_allowed']


@pytest.mark.parametrize('playbook, extra, needle', [
    (SCOPE, {'test_project': 'acme/svc', 'test_allowlist': {'projects': 'acme/app'}}, 'allowlist.projects must be a list'),
    (SCOPE, {'test_project': 'acme/svc', 'test_allowlist': {'project': ['acme/app']}}, 'unknown key(s) project'),
    (SCOPE, {'test_project': 'acme/svc', 'test_allowlist': {'projects': ['acme/app', 'acme/App']}}, 'listed twice'),
    (SCOPE, {'test_project': 'acme/svc', 'test_allowlist': {'projects': ['acme/../x']}}, 'allowlist.projects entry'),
    (SCOPE, {'test_project': 'acme/svc', 'test_allowlist': {'projects': ['g/p%d' % n for n in range(201)]}}, 'allowlist the group'),
    (SCOPE, {'test_project': 'acme/svc', 'test_purge': True}, 'purge needs allowlist'),
    (SCOPE, {'test_project': 'acme/svc', 'test_allowlist': {}, 'test_purge_all': True}, 'purge_all needs purge'),
    (SCOPE, {'test_project': 'acme/svc'}, 'nothing to manage'),
    (SETTINGS, {'test_projects': ['acme/app'], 'test_delete_after': '12h'}, '1 day to 1 year'),
    (SETTINGS, {'test_projects': ['acme/app'], 'test_delete_after': 'monthly'}, 'not a number of seconds'),
    (SETTINGS, {'test_projects': ['acme/app'], 'test_build_timeout': 300}, '10 minutes'),
    (SETTINGS, {'test_projects': ['acme/app'], 'test_git_depth': 5000}, '0..1000'),
    (SETTINGS, {'test_projects': ['acme/app'], 'test_config_path': '../ci.yml'}, 'directory traversal'),
    (SETTINGS, {'test_projects': ['acme/app'], 'test_role': 'guest'}, 'ci_pipeline_variables_minimum_override_role'),
    (SETTINGS, {'test_projects': ['acme/app']}, 'nothing to manage'),
])
def test_bad_input_is_refused_before_any_request(gitlab, playbook, extra, needle):
    gitlab.clear_journal()
    run = gitlab.play(playbook, extra).assert_failed()
    failed = [t for t in run.tasks if t['status'] == 'failed']
    result = failed[0]['result']
    text = result.get('msg', '') + ' '.join(item.get('msg', '') for item in result.get('results', []))
    assert needle in text, text
    assert gitlab.journal() == [], 'a bad input reached GitLab'


# ---- import_from_log: the job token authentication log (GraphQL), tests/fake_gitlab/graphql.py -----------------

IMPORT_TASK = 'Import the authentication log'


def _scope_task(**options):
    return [{'name': IMPORT_TASK, 'cicd.gitlab.gitlab_ci_job_token_scope': dict({'project': 'g/lib'}, **options)}]


def _until(check, what):
    deadline = time.time() + 10
    while not check():
        assert time.time() < deadline, what
        time.sleep(0.05)


def _running_consumer_token(gitlab):
    """A running h/consumer job's token, once g/lib has a successful pipeline with its artifact."""
    lib = _pipeline(gitlab, 'g/lib')
    _until(lambda: gitlab.api('GET', 'projects/g%%2Flib/pipelines/%d' % lib['id']).json()['status'] == 'success', 'g/lib did not pass')
    consumer = _pipeline(gitlab, 'h/consumer')
    job = next(job for job in ci.store(gitlab.fake.state).jobs.values() if job.pipeline.id == consumer['id'])
    _until(lambda: job.running, 'the consumer job did not start')
    gitlab.secret(job.token)
    return job.token


def test_import_from_log_allowlists_the_projects_whose_job_tokens_reached_the_project(gitlab):
    gitlab.fake.reset(_seed_with_jobs())
    reader = {'test_project': 'g/lib', 'test_job_token': _running_consumer_token(gitlab)}
    assert 'not on the job token allowlist of project lib' in gitlab.play(ARTIFACT, reader).assert_failed().failure()['msg']
    # refused: nothing logged, so nothing to import
    nothing = gitlab.play_tasks(_scope_task(import_from_log=True), check=True).assert_ok().task(IMPORT_TASK)
    assert nothing['result']['imported'] == [] and nothing['result']['added'] == {'projects': [], 'groups': []}
    # the permissive scope lets the token through, and GitLab logs it
    gitlab.play(SCOPE, {'test_project': 'g/lib', 'test_enabled': False}).assert_ok()
    gitlab.play(ARTIFACT, reader).assert_ok()
    gitlab.clear_journal()
    task = _scope_task(import_from_log=True, enabled=True)
    predicted = gitlab.play_tasks(task, check=True, diff=True).assert_ok().task(IMPORT_TASK)
    assert predicted['status'] == 'changed' and gitlab.writes() == [], 'check mode wrote to GitLab'
    assert [(item['project'], item['outcome']) for item in predicted['result']['imported']] == [('h/consumer', 'added')]
    assert predicted['result']['imported'][0]['last_authorized_at']
    assert predicted['result']['added'] == {'projects': ['h/consumer'], 'groups': []}
    assert predicted['result']['diff']['after'] == {'enabled': True, 'projects': ['h/consumer'], 'groups': []}
    applied = gitlab.play_tasks(task, diff=True).assert_ok().task(IMPORT_TASK)
    assert applied['status'] == 'changed' and applied['result']['scope'] == {'enabled': True, 'projects': ['h/consumer'], 'groups': []}
    assert scope_of(gitlab, 'g/lib') == (['h/consumer'], [])
    count = len(gitlab.writes())
    again = gitlab.play_tasks(task).assert_ok().task(IMPORT_TASK)
    assert again['status'] == 'ok' and [item['outcome'] for item in again['result']['imported']] == ['listed']
    assert len(gitlab.writes()) == count, 'an unchanged run wrote to GitLab'
    # enforced now, and the imported project's job token is allowed
    assert '3.1.4' in str(gitlab.play(ARTIFACT, reader).assert_ok().tasks)


def test_a_covering_group_adds_nothing_and_a_purge_keeps_the_imported_projects(gitlab):
    gitlab.fake.reset(dict(_seed_with_jobs(), projects=[
        {'path': 'g/lib', 'ci_job_token_scope_enabled': False, 'ci_job_token_allowlist': ['g/lib2'],
         'ci_job_token_groups_allowlist': ['h'],
         'ci_job_token_auth_log': [{'project': 'h/consumer', 'last_authorized_at': '2025-06-02T10:00:00Z'}]},
        {'path': 'g/lib2'}, {'path': 'h/consumer'}]))
    covered = gitlab.play_tasks(_scope_task(import_from_log=True, enabled=False)).assert_ok().task(IMPORT_TASK)
    assert covered['status'] == 'ok' and covered['result']['imported'] == [
        {'project': 'h/consumer', 'id': 3, 'last_authorized_at': '2025-06-02T10:00:00Z', 'outcome': 'covered', 'group': 'h'}]
    # the purge takes the group away, so the log's project is added and kept
    purged = gitlab.play_tasks(_scope_task(import_from_log=True, allowlist={'projects': [], 'groups': []}, purge=True),
                               diff=True).assert_ok().task(IMPORT_TASK)
    assert purged['result']['removed'] == {'projects': ['g/lib2'], 'groups': ['h']}
    assert purged['result']['added'] == {'projects': ['h/consumer'], 'groups': []}
    assert scope_of(gitlab, 'g/lib') == (['h/consumer'], [])


@pytest.mark.parametrize('options, needle', [
    ({'import_from_log': True, 'purge': True}, 'purge needs allowlist'),
    ({'import_from_log': 'sometimes', 'enabled': True}, 'import_from_log'),
])
def test_bad_import_from_log_input_is_refused_before_any_request(gitlab, options, needle):
    gitlab.clear_journal()
    failure = gitlab.play_tasks(_scope_task(**options)).assert_failed().failure()
    assert needle in failure['msg'], failure['msg']
    assert gitlab.journal() == [], 'a bad input reached GitLab'
