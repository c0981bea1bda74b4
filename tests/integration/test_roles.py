"""The roles cicd.gitlab.ci_settings and cicd.gitlab.pipeline through real ansible-playbook.

ci_settings runs against the fake or a real GitLab (GITLAB_TEST_PROJECT, GITLAB_TEST_GROUP); the
pipeline role needs the fake's seeded CI definitions (acme/svc passes: build with artifacts, test,
manual deploy; acme/app fails in test), so those tests are fake-only.
Playbooks: tests/integration/targets/roles/.
"""

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import COLLECTIONS_PATH, DEV_TOKEN, ROOT

CI_SETTINGS = 'roles/ci_settings.yml'
PIPELINE = 'roles/pipeline.yml'
FLEET_TASK = 'Declare the CI/CD settings of every group and project'   # gitlab_ci_settings: variables, triggers, schedules, access
ROLE_TASKS = {
    FLEET_TASK,
}
SECRET = 'role-s3cr3t-value-0001'


# ---- helpers ------------------------------------------------------------------------------------


def api_json(gitlab, path, **params):
    response = gitlab.api('GET', path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def project_path(project):
    return 'projects/' + str(project).replace('/', '%2F')


def variables_of(gitlab, owner_path):
    return {(v['key'], v['environment_scope']): v for v in api_json(gitlab, owner_path + '/variables', per_page=100)}


def changed_tasks(run):
    return [name for name, status in run.statuses() if status == 'changed']


def settings(gitlab, tmp_path, projects=(), groups=(), **kwargs):
    """Run the ci_settings playbook; it stores the handed-back trigger tokens in tmp_path/tokens.json."""
    return gitlab.play(CI_SETTINGS, {'test_projects': list(projects), 'test_groups': list(groups),
                                     'test_tokens_file': str(tmp_path / 'tokens.json')}, **kwargs)


def read_tokens(tmp_path):
    with open(tmp_path / 'tokens.json', encoding='utf-8') as handle:
        return json.load(handle)


# ---- ci_settings ----------------------------------------------------------------------------------


def test_ci_settings_declares_variables_and_triggers_and_a_second_run_changes_nothing(gitlab, tmp_path):
    gitlab.secret(SECRET)
    trigger = 'ci-settings deploy'
    projects = [{
        'project': gitlab.project,
        'variables': [
            {'key': 'ROLE_APP_ENV', 'value': 'staging', 'description': 'set by the ci_settings role'},
            {'key': 'ROLE_DEPLOY_TOKEN', 'value': SECRET, 'masked': True, 'protected': True},
            {'key': 'ROLE_URL', 'value': 'https://prod.example.com', 'environment_scope': 'production'},
        ],
        'triggers': [{'description': trigger}],
    }]
    groups = [{'group': gitlab.group, 'variables': [{'key': 'ROLE_GROUP_VAR', 'value': 'g1'}]}] if gitlab.group else []

    # check mode predicts the changes and writes nothing
    if gitlab.is_fake:
        gitlab.clear_journal()
    run = settings(gitlab, tmp_path, projects, groups, check=True)
    run.assert_ok()
    assert FLEET_TASK in changed_tasks(run)
    if gitlab.is_fake:
        assert gitlab.writes() == []

    # apply
    run = settings(gitlab, tmp_path, projects, groups, verbose=2)
    run.assert_ok()
    assert set(changed_tasks(run)) >= {FLEET_TASK,
                                       'Store the trigger tokens the role handed back'}
    for name in ROLE_TASKS & {task['task'] for task in run.tasks}:   # no_log is on by default
        assert 'censored' in run.task(name)['result'], run.task(name)
    summary = run.task('Show what changed')['result']['ci_settings_variables']
    assert sorted((v['key'], v['environment_scope']) for v in summary['projects'][gitlab.project]['added']) == [
        ('ROLE_APP_ENV', '*'), ('ROLE_DEPLOY_TOKEN', '*'), ('ROLE_URL', 'production')]
    if groups:
        assert [v['key'] for v in summary['groups'][gitlab.group]['added']] == ['ROLE_GROUP_VAR']

    # GitLab's own view
    server = variables_of(gitlab, project_path(gitlab.project))
    assert server[('ROLE_DEPLOY_TOKEN', '*')]['value'] == SECRET
    assert server[('ROLE_DEPLOY_TOKEN', '*')]['masked'] and server[('ROLE_DEPLOY_TOKEN', '*')]['protected']
    assert server[('ROLE_URL', 'production')]['value'] == 'https://prod.example.com'
    triggers = [t for t in api_json(gitlab, project_path(gitlab.project) + '/triggers') if t['description'] == trigger]
    assert len(triggers) == 1
    tokens = read_tokens(tmp_path)
    # only the trigger this run created is handed back; triggers other users own are not
    assert tokens == {gitlab.project: {trigger: triggers[0]['token']}}
    gitlab.secret(triggers[0]['token'])

    # a second run changes nothing and hands back the same token (the run's user owns the trigger)
    if gitlab.is_fake:
        gitlab.clear_journal()
    run = settings(gitlab, tmp_path, projects, groups)
    run.assert_ok()
    assert changed_tasks(run) == [], run.statuses()
    if gitlab.is_fake:
        assert gitlab.writes() == []
    assert read_tokens(tmp_path) == tokens


@pytest.mark.fake_only
def test_ci_settings_hands_back_only_the_tokens_it_can_see_in_full(gitlab, tmp_path):
    # acme/app's maint-trigger belongs to maint: dev (a Maintainer of acme/app, not an administrator,
    # who would see every token: app/policies/ci/trigger_policy.rb) sees only its first characters
    projects = [{'project': 'acme/app', 'triggers': [{'description': 'maint-trigger'}, {'description': 'dev-trigger'}]}]
    run = settings(gitlab, tmp_path, projects, env={'GITLAB_TOKEN': DEV_TOKEN})
    run.assert_ok()
    tokens = read_tokens(tmp_path)
    assert list(tokens) == ['acme/app'] and list(tokens['acme/app']) == ['dev-trigger']


@pytest.mark.fake_only
def test_ci_settings_purges_per_project_and_group(gitlab, tmp_path):
    gitlab.secret('s3cr3t-t0ken-value')
    projects = [{'project': 'acme/platform/api', 'purge': True, 'variables': [{'key': 'KEEP', 'value': 'kept'}]},
                {'project': 'acme/app', 'variables': [{'key': 'UNTOUCHED', 'value': 'x'}]}]
    groups = [{'group': 'acme/platform', 'purge': True}]   # purge without variables: remove them all
    gitlab.api('POST', 'groups/acme%2Fplatform/variables', data={'key': 'GONE', 'value': 'x'})
    run = settings(gitlab, tmp_path, projects, groups)
    run.assert_ok()
    assert list(variables_of(gitlab, 'projects/acme%2Fplatform%2Fapi')) == [('KEEP', '*')]
    assert variables_of(gitlab, 'groups/acme%2Fplatform') == {}
    summary = run.task('Show what changed')['result']['ci_settings_variables']
    assert sorted((v['key'], v['environment_scope']) for v in summary['projects']['acme/platform/api']['removed']) == [
        ('API_TOKEN', '*'), ('DATABASE_URL', 'production'), ('DATABASE_URL', 'staging')]
    assert [v['key'] for v in summary['groups']['acme/platform']['removed']] == ['GONE']
    run = settings(gitlab, tmp_path, projects, groups)
    run.assert_ok()
    assert changed_tasks(run) == []


@pytest.mark.fake_only
@pytest.mark.parametrize('projects, message', [
    ([{'variables': [{'key': 'A', 'value': 'b'}]}], 'project'),
    ([{'project': 'acme/app', 'variables': [{'key': 'A', 'value': 'b', 'variable_type': 'yaml'}]}], 'variable_type'),
    ([{'project': 'acme/app', 'triggers': [{'description': 'x', 'state': 'gone'}]}], 'state'),
], ids=['no-project', 'bad-variable-type', 'bad-trigger-state'])
def test_ci_settings_validates_its_inputs_before_any_change(gitlab, tmp_path, projects, message):
    gitlab.clear_journal()
    run = settings(gitlab, tmp_path, projects)
    failure = run.assert_failed().failure()
    assert 'Validation of arguments failed' in failure['msg'], failure
    assert message in json.dumps(failure.get('argument_errors', failure['msg']))
    assert gitlab.writes() == []


def test_ci_settings_declares_schedules_in_place(gitlab, tmp_path):
    gitlab.secret(SECRET)
    schedule = {'description': 'ci-settings nightly', 'ref': 'main', 'cron': '0 1 * * *',
                'variables': [{'key': 'ROLE_SCHEDULE_TOKEN', 'value': SECRET}]}
    projects = [{'project': gitlab.project, 'schedules': [schedule]}]
    if gitlab.is_fake:
        gitlab.clear_journal()
    run = settings(gitlab, tmp_path, projects, check=True)
    run.assert_ok()
    assert FLEET_TASK in changed_tasks(run)
    if gitlab.is_fake:
        assert gitlab.writes() == []
    run = settings(gitlab, tmp_path, projects)
    run.assert_ok()
    assert FLEET_TASK in changed_tasks(run)
    assert 'censored' in run.task(FLEET_TASK)['result']
    listed = [s for s in api_json(gitlab, project_path(gitlab.project) + '/pipeline_schedules') if s['description'] == schedule['description']]
    assert len(listed) == 1
    server = api_json(gitlab, project_path(gitlab.project) + '/pipeline_schedules/%d' % listed[0]['id'])
    assert server['cron'] == '0 1 * * *' and [(v['key'], v['value']) for v in server['variables']] == [('ROLE_SCHEDULE_TOKEN', SECRET)]
    # a changed cron is updated in place (same id); a second run changes nothing
    projects[0]['schedules'][0] = dict(schedule, cron='0 2 * * *')
    run = settings(gitlab, tmp_path, projects)
    run.assert_ok()
    again = api_json(gitlab, project_path(gitlab.project) + '/pipeline_schedules/%d' % listed[0]['id'])
    assert again['cron'] == '0 2 * * *'
    if gitlab.is_fake:
        gitlab.clear_journal()
    run = settings(gitlab, tmp_path, projects)
    run.assert_ok()
    assert changed_tasks(run) == [], run.statuses()
    if gitlab.is_fake:
        assert gitlab.writes() == []


# ---- pipeline ---------------------------------------------------------------------------------------


def facts(run):
    return run.task('Show the pipeline')['result']['msg']


@pytest.mark.fake_only
def test_pipeline_with_a_trigger_token_plays_deploy_and_unpacks_the_build_artifacts(gitlab, tmp_path):
    gitlab.secret('pipeline-s3cr3t-0001', 'deploy-s3cr3t-0002')
    dest = tmp_path / 'artifacts'
    extra = {
        'test_project': 'acme/svc',
        'test_trigger': 'pipeline role',
        # marked secret: pipeline and job variables are plain run parameters otherwise
        'test_variables': {'DEPLOY_ENV': {'value': 'pipeline-s3cr3t-0001', 'secret': True}},
        'test_play_jobs': [{'name': 'deploy', 'variables': {'DEPLOY_PASSWORD': {'value': 'deploy-s3cr3t-0002', 'secret': True}}}],
        'test_artifacts': [{'job': 'build', 'unpack': True},
                           {'job': 'build', 'artifact_path': 'dist/VERSION', 'dest': str(tmp_path / 'VERSION')}],
        'test_dir': str(dest),
    }
    run = gitlab.play(PIPELINE, extra, verbose=2)
    run.assert_ok()
    result = facts(run)
    pipeline, jobs = result['result'], result['jobs']
    assert pipeline['status'] == 'success'
    assert {name: job['status'] for name, job in jobs.items()} == {'build': 'success', 'test': 'success', 'deploy': 'success'}
    assert jobs['deploy']['web_url'] and jobs['deploy']['stage'] == 'deploy'   # the played job in full

    # GitLab's view: started through the trigger, with the variables; deploy played with its own
    server = api_json(gitlab, 'projects/acme%%2Fsvc/pipelines/%d' % pipeline['id'])
    assert server['source'] == 'trigger' and server['status'] == 'success'
    variables = api_json(gitlab, 'projects/acme%%2Fsvc/pipelines/%d/variables' % pipeline['id'])
    assert {v['key']: v['value'] for v in variables}['DEPLOY_ENV'] == 'pipeline-s3cr3t-0001'

    # the archive, unpacked beside it, and the one file
    downloads = result['downloads']
    assert [d['job'] for d in downloads] == ['build', 'build']
    assert downloads[0]['path'] == str(dest / 'build.zip') and downloads[0]['changed']
    assert (dest / 'build' / 'dist' / 'VERSION').read_text() == '2.0.0\n'
    assert (dest / 'build' / 'dist' / 'svc.bin').stat().st_size == 65536
    assert (tmp_path / 'VERSION').read_text() == '2.0.0\n'
    assert downloads[1]['path'] == str(tmp_path / 'VERSION') and downloads[1]['size'] == 6
    assert run.task('Unpack the artifacts archives on the managed host')['status'] == 'changed'


@pytest.mark.fake_only
def test_pipeline_plays_and_downloads_jobs_of_a_child_pipeline(gitlab, tmp_path):
    import yaml  # pylint: disable=import-outside-toplevel
    with open(os.path.join(ROOT, 'tests', 'fake_gitlab', 'seeds', 'default.yml'), encoding='utf-8') as handle:
        seed = yaml.safe_load(handle)
    svc = next(p for p in seed['projects'] if p['path'] == 'acme/svc')
    svc['ci'] = [
        {'name': 'build', 'stage': 'build', 'duration': 0.1},
        {'name': 'deploy', 'stage': 'deploy', 'when': 'manual', 'duration': 0.1},
        {'name': 'apps', 'stage': 'deploy', 'trigger': {'strategy': 'depend', 'include': [
            {'name': 'package', 'stage': 'build', 'duration': 0.1, 'artifacts': [{'path': 'dist/APP', 'content': 'child\n'}]},
            {'name': 'deploy', 'stage': 'deploy', 'when': 'manual', 'duration': 0.1}]}},
    ]
    gitlab.fake.reset(seed)
    dest = tmp_path / 'artifacts'
    extra = {
        'test_project': 'acme/svc',
        'test_trigger': 'pipeline role',
        'test_play_jobs': [{'name': 'deploy', 'downstream': ['apps']}],
        'test_artifacts': [{'job': 'package', 'artifact_path': 'dist/APP', 'dest': str(tmp_path / 'APP')}],
        'test_dir': str(dest),
    }
    run = gitlab.play(PIPELINE, extra)
    run.assert_ok()
    assert (tmp_path / 'APP').read_text() == 'child\n'
    pipeline = facts(run)['result']
    child = pipeline['downstream'][0]
    assert child['bridge']['name'] == 'apps'
    played = api_json(gitlab, 'projects/acme%%2Fsvc/pipelines/%d/jobs' % child['id'])
    assert {job['name']: job['status'] for job in played} == {'package': 'success', 'deploy': 'success'}
    parent = api_json(gitlab, 'projects/acme%%2Fsvc/pipelines/%d/jobs' % pipeline['id'])
    assert {job['name']: job['status'] for job in parent}['deploy'] == 'manual'   # the parent's own deploy left alone


@pytest.mark.fake_only
def test_pipeline_that_fails_fails_the_play_naming_the_failed_job(gitlab, tmp_path):
    # acme/app's test job fails (with an empty log); nothing after the run is done
    run = gitlab.play(PIPELINE, {'test_project': 'acme/app', 'test_play_jobs': [{'name': 'deploy'}],
                                 'test_artifacts': [{'job': 'build'}], 'test_dir': str(tmp_path / 'out')})
    failure = run.assert_failed().failure()
    assert run.statuses()[-1] == ('Run the pipeline and wait for it', 'failed')
    assert 'ended with status failed' in failure['msg'] and 'test' in failure['msg'], failure['msg']
    assert not (tmp_path / 'out').exists()


@pytest.mark.fake_only
def test_pipeline_that_fails_shows_the_log_tail_of_the_failed_job(gitlab):
    # the task is not hidden (no_log), so the message reaches the output
    run = gitlab.play(PIPELINE, {'test_project': 'acme/svc', 'test_variables': {'FAIL_TEST': 'make-it-fail'}})
    failure = run.assert_failed().failure()
    assert 'lines of its log' in failure['msg'] and '12 tests passed' in failure['msg'], failure['msg']
    assert '12 tests passed' in run.stdout


@pytest.mark.fake_only
def test_pipeline_in_check_mode_starts_nothing(gitlab, tmp_path):
    gitlab.clear_journal()
    run = gitlab.play(PIPELINE, {'test_project': 'acme/svc', 'test_play_jobs': [{'name': 'deploy'}],
                                 'test_artifacts': [{'job': 'build'}], 'test_dir': str(tmp_path / 'out')}, check=True)
    run.assert_ok()
    assert run.task('Run the pipeline and wait for it')['status'] == 'changed'
    assert gitlab.writes() == []
    assert facts(run) == {'result': None, 'jobs': None, 'downloads': None}
    assert not (tmp_path / 'out').exists()


@pytest.mark.fake_only
@pytest.mark.parametrize('extra, message', [
    ({'test_artifacts': [{'job': 'build'}]}, 'pipeline_artifacts_dir'),
    ({'test_artifacts': [{'artifact_path': 'dist/VERSION'}], 'test_dir': '/tmp'}, 'job'),
    ({'test_play_jobs': [{'name': 'deploy', 'variables': 'not-a-dict'}]}, 'variables'),
], ids=['no-artifacts-dir', 'artifact-without-job', 'bad-job-variables'])
def test_pipeline_checks_its_inputs_before_starting_anything(gitlab, extra, message):
    gitlab.clear_journal()
    run = gitlab.play(PIPELINE, dict({'test_project': 'acme/svc'}, **extra))
    failure = run.assert_failed().failure()
    assert message in json.dumps(failure), failure
    assert gitlab.writes() == []


# ---- documentation ----------------------------------------------------------------------------------


@pytest.mark.parametrize('role', ['ci_settings', 'pipeline'])
def test_role_documentation_renders(role):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_PATH, ANSIBLE_NOCOLOR='1')
    doc = os.path.join(os.path.dirname(sys.executable), 'ansible-doc')
    proc = subprocess.run([doc, '-t', 'role', '--json', 'cicd.gitlab.' + role], capture_output=True, text=True,
                          env=env, check=False, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    entry = json.loads(proc.stdout)['cicd.gitlab.' + role]['entry_points']['main']
    assert entry['short_description'] and entry['description']
    undocumented = []

    def walk(options, prefix):
        for name, spec in options.items():
            if not spec.get('description'):
                undocumented.append(prefix + name)
            walk(spec.get('options') or {}, prefix + name + '.')
    walk(entry['options'], '')
    assert undocumented == []
    assert all(name.startswith(role + '_') for name in entry['options'])
