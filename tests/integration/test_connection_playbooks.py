"""The shared connection options and environment, through real ansible-playbook runs."""

import pytest
import yaml

from tests.conftest import DEFAULT_SEED

PLAYBOOK = 'gitlab_ci_variable/declare.yml'
TASK = 'Declare variables'


def _one_variable(gitlab, **extra):
    args = {'test_project': gitlab.project, 'test_key': 'CICD_CONN', 'test_value': 'conn-value-0001'}
    args.update(extra)
    gitlab.secret('conn-value-0001')
    return args


@pytest.mark.fake_only
def test_missing_requests_fails_with_missing_required_lib(gitlab, tmp_path):
    """A managed host without requests gets Ansible's standard message, not a traceback."""
    shadow = tmp_path / 'shadow' / 'requests'
    shadow.mkdir(parents=True)
    (shadow / '__init__.py').write_text("raise ImportError('No module named requests (test shadow)')\n")
    gitlab.clear_journal()
    run = gitlab.play(PLAYBOOK, _one_variable(gitlab), env={'PYTHONPATH': str(tmp_path / 'shadow')})
    failure = run.assert_failed().failure()
    assert 'Failed to import the required Python library (requests)' in failure['msg']
    assert gitlab.journal() == []


@pytest.mark.fake_only
def test_ci_server_url_is_the_second_url_fallback(gitlab):
    run = gitlab.play(PLAYBOOK, _one_variable(gitlab), env={'GITLAB_URL': None, 'CI_SERVER_URL': gitlab.url})
    assert run.assert_ok().task(TASK)['status'] == 'changed'


@pytest.mark.fake_only
def test_missing_url_is_a_clear_error(gitlab):
    failure = gitlab.play(PLAYBOOK, _one_variable(gitlab), env={'GITLAB_URL': None, 'CI_SERVER_URL': None}).assert_failed().failure()
    assert 'api_url' in failure['msg']


@pytest.mark.fake_only
def test_job_token_type_falls_back_to_ci_job_token(gitlab):
    """A job token is sent as JOB-TOKEN; GitLab refuses it on the variables API (401), said clearly."""
    gitlab.secret('glcbt-fake-job-token-00000000')
    run = gitlab.play_tasks([{
        'name': 'Use a job token',
        'cicd.gitlab.gitlab_ci_variable': {'project': gitlab.project, 'key': 'CICD_X', 'value': 'conn-value-0001',
                                           'api_token_type': 'job'},
    }], env={'GITLAB_TOKEN': None, 'CI_JOB_TOKEN': 'glcbt-fake-job-token-00000000'})
    failure = run.assert_failed().failure()
    assert 'HTTP 401' in failure['msg']
    assert gitlab.journal()[-1]['user'] is None


@pytest.mark.fake_only
@pytest.mark.parametrize('options, needle', [
    ({'timeout': 0}, 'timeout'),
    ({'api_retries': -1}, 'api_retries'),
    ({'api_url': 'gitlab.example.com'}, 'http'),
    ({'api_token_type': 'basic'}, 'api_token_type'),
])
def test_bad_connection_options(gitlab, options, needle):
    task = {'project': gitlab.project, 'key': 'CICD_X', 'value': 'conn-value-0001'}
    task.update(options)
    gitlab.clear_journal()
    failure = gitlab.play_tasks([{'name': 'Bad connection', 'cicd.gitlab.gitlab_ci_variable': task}]).assert_failed().failure()
    assert needle in failure['msg']
    assert gitlab.journal() == []


@pytest.mark.fake_only
def test_transient_failures_are_retried_by_the_module(gitlab):
    gitlab.add_fault(method='GET', path='/variables$', status=503, count=1)
    gitlab.add_fault(method='POST', path='/variables$', status=429, retry_after='0', count=1)
    run = gitlab.play(PLAYBOOK, _one_variable(gitlab))
    assert run.assert_ok().task(TASK)['status'] == 'changed'
    assert [e['status'] for e in gitlab.journal()] == [503, 200, 429, 201]


@pytest.mark.fake_only
def test_group_scope_dropped_on_free_tier_is_reported(gitlab):
    with open(DEFAULT_SEED, encoding='utf-8') as handle:
        seed = yaml.safe_load(handle)
    seed['license'] = 'free'
    gitlab.fake.reset(seed)
    run = gitlab.play(PLAYBOOK, {'test_group': 'acme', 'test_variables': [
        {'key': 'CICD_SCOPED', 'value': 'conn-value-0001', 'environment_scope': 'staging'}]})
    gitlab.secret('conn-value-0001')
    result = run.assert_ok().task(TASK)['result']
    warnings = ' '.join(result.get('warnings', []))
    assert 'CICD_SCOPED' in warnings and 'staging' in warnings
    assert 'conn-value-0001' not in warnings
