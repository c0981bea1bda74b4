"""Values through real ansible-playbook against the fake GitLab: pipeline and job variables, typed
values, values that become part of a URL, and job log lines.

Pipeline ``variables`` and ``job_variables`` are run parameters: plain options whose values are
visible, except those marked ``secret: true``, which are masked everywhere. A short plain value
such as ``"1"`` must never corrupt the result (ids, sizes, sha256), as it did when every value was
a no_log value.
"""

import hashlib
import json

import pytest
import yaml

from tests.conftest import DEFAULT_SEED

pytestmark = pytest.mark.fake_only

PLAYBOOK = 'gitlab_ci_job/job.yml'
TASK = 'Act on the job'
SVC = 'acme/svc'
MASKS = ('VALUE_SPECIFIED_IN_NO_LOG_PARAMETER', '********')


def act(gitlab, extra, **kwargs):
    return gitlab.play(PLAYBOOK, dict({'test_project': SVC}, **extra), **kwargs)


def ok(gitlab, extra, **kwargs):
    return act(gitlab, extra, **kwargs).assert_ok().task(TASK)['result']


def failed(gitlab, extra, **kwargs):
    return act(gitlab, extra, **kwargs).assert_failed().failure()


def pipeline_variables(gitlab, pipeline_id):
    response = gitlab.api('GET', 'projects/acme%%2Fsvc/pipelines/%d/variables' % pipeline_id)
    assert response.status_code == 200, response.text
    return {v['key']: v for v in response.json()}


def with_project(gitlab, **project):
    """Reload the fake with the default seed plus one project."""
    with open(DEFAULT_SEED, encoding='utf-8') as handle:
        seed = yaml.safe_load(handle)
    seed['projects'].append(dict({'members': {}, 'branches': ['main']}, **project))
    gitlab.fake.reset(seed)


# ---- a short plain value never corrupts the result ---------------------------------------------


@pytest.mark.parametrize('value', ['1', '0', 'a', 'true'])
def test_a_short_plain_variable_value_leaves_ids_sizes_and_sha256_intact(gitlab, tmp_path, value):
    dest = tmp_path / 'build.zip'
    result = ok(gitlab, {'test_state': 'run', 'test_ref': 'main', 'test_name': 'build', 'test_wait': True,
                         'test_variables': {'DEBUG': value}, 'test_artifacts_dest': str(dest), 'test_log_lines': 5})
    text = json.dumps(dict((k, v) for k, v in result.items() if k != 'invocation'))   # api_token is masked there
    for mask in MASKS:
        assert mask not in text, text
    assert isinstance(result['job']['id'], int) and isinstance(result['pipeline']['id'], int)
    assert all(isinstance(job['id'], int) for job in result['pipeline']['jobs'])
    assert result['artifacts']['sha256'] == hashlib.sha256(dest.read_bytes()).hexdigest()
    assert result['artifacts']['size'] == dest.stat().st_size
    assert result['log']['lines'] == ['compiling svc', 'build ok']
    # the value is a plain run parameter: visible in the invocation, and sent to GitLab
    assert result['invocation']['module_args']['variables'] == {'DEBUG': value}
    assert pipeline_variables(gitlab, result['pipeline']['id'])['DEBUG']['value'] == value


def test_a_value_marked_secret_is_masked_and_sent(gitlab):
    secret = 'deploy-secret-value-0042'
    gitlab.secret(secret)   # the harness fails the test if it shows up anywhere, at -vvv too
    run = act(gitlab, {'test_state': 'run', 'test_ref': 'main', 'test_variables': {
        'PLAIN': '1', 'DEPLOY_TOKEN': {'value': secret, 'secret': True}}}, verbose=3)
    result = run.assert_ok().task(TASK)['result']
    assert result['invocation']['module_args']['variables']['PLAIN'] == '1'
    variables = pipeline_variables(gitlab, result['pipeline']['id'])
    assert variables['DEPLOY_TOKEN']['value'] == secret and variables['PLAIN']['value'] == '1'
    assert variables['DEPLOY_TOKEN']['variable_type'] == 'env_var'


def test_a_manual_job_is_played_with_a_secret_and_a_plain_job_variable(gitlab):
    secret = 'job-secret-value-0043'
    gitlab.secret(secret)
    pipeline = ok(gitlab, {'test_state': 'run', 'test_ref': 'main', 'test_wait': True, 'test_fail_on': []})['pipeline']
    result = ok(gitlab, {'test_state': 'played', 'test_pipeline_id': pipeline['id'], 'test_name': 'deploy', 'test_wait': True,
                         'test_job_variables': {'RELEASE': '1', 'PASSWORD': {'value': secret, 'secret': True}}})
    assert result['changed'] and isinstance(result['job']['id'], int)
    for mask in MASKS:
        assert mask not in json.dumps(result['job'])


# ---- bad values are refused before any request --------------------------------------------------

BAD_VALUES = [
    ({'test_state': 'run', 'test_ref': 'main', 'test_variables': {'REPLICAS': 3}}, ['REPLICAS', 'quote']),
    ({'test_state': 'run', 'test_ref': 'main', 'test_variables': {'DEBUG': True}}, ['DEBUG', 'quote', 'boolean']),
    ({'test_state': 'run', 'test_ref': 'main', 'test_variables': {'VERSION': 1.10}}, ['VERSION', 'quote']),
    ({'test_state': 'run', 'test_ref': 'main', 'test_variables': {'EMPTY': None}}, ['EMPTY', 'quote']),
    ({'test_state': 'run', 'test_ref': 'main', 'test_variables': {'LIST': ['a']}}, ['LIST', 'quote']),
    ({'test_state': 'run', 'test_ref': 'main', 'test_variables': {'X': {'value': 1, 'secret': True}}}, ['X', 'quote']),
    ({'test_state': 'run', 'test_ref': 'main', 'test_variables': {'X': {'secret': True}}}, ['X', 'value is required']),
    ({'test_state': 'run', 'test_ref': 'main', 'test_variables': {'X': {'value': 'v', 'sekret': True}}}, ['X', 'sekret']),
    ({'test_state': 'run', 'test_ref': 'main', 'test_variables': {'BAD-KEY': 'v'}}, ['BAD-KEY', 'letters']),
    ({'test_state': 'run', 'test_ref': 'main', 'test_variables': ['KEY=value']}, ['variables', 'dictionary']),
    ({'test_state': 'run', 'test_ref': 'main', 'test_trigger_token': 'glptt-0000000000000000000000000000000000000000',
      'test_variables': {'CFG': {'value': 'x', 'variable_type': 'file'}}}, ['CFG', 'file', 'trigger']),
    ({'test_state': 'played', 'test_job_id': 1, 'test_job_variables': {'CFG': {'value': 'x', 'variable_type': 'file'}}},
     ['CFG', 'file']),
    ({'test_job_id': 1, 'test_artifacts_dest': '/tmp/x', 'test_artifact_path': '../../variables'}, ['artifact_path', '".." segment']),
    ({'test_job_id': 1, 'test_artifacts_dest': '/tmp/x', 'test_artifact_path': 'dist/../../../../user'}, ['artifact_path', '".." segment']),
    ({'test_job_id': 1, 'test_artifacts_dest': '/tmp/x', 'test_artifact_path': '/etc/passwd'}, ['artifact_path', 'starts with "/"']),
    ({'test_job_id': 1, 'test_artifacts_dest': '/tmp/x', 'test_artifact_path': 'dist%2F..%2F..%2Fuser'}, ['artifact_path', 'percent']),
    ({'test_job_id': 1, 'test_artifacts_dest': '/tmp/x', 'test_artifact_path': 'dist\\..\\x'}, ['artifact_path']),
    ({'test_job_id': 1, 'test_artifacts_dest': '/tmp/x', 'test_artifact_path': './dist/app'}, ['artifact_path', '"." or ".." segment']),
    ({'test_project': 'acme/../other', 'test_job_id': 1}, ['project', '".." segment']),
    ({'test_project': 'acme/svc/', 'test_job_id': 1}, ['project', 'cannot start or end with "/"']),
    ({'test_name': 'build\nx', 'test_ref': 'main'}, ['name', 'control character']),
    ({'test_name': 'build', 'test_ref': 'main\r\n'}, ['ref', 'control character']),
]


@pytest.mark.parametrize('extra, needles', BAD_VALUES, ids=['case%02d' % i for i in range(len(BAD_VALUES))])
def test_bad_values_are_refused_before_any_request(gitlab, extra, needles):
    gitlab.secret('glptt-0000000000000000000000000000000000000000')
    gitlab.clear_journal()
    failure = failed(gitlab, extra)
    for needle in needles:
        assert needle.lower() in failure['msg'].lower(), failure['msg']
    assert 'Nothing was done' in failure['msg'], failure['msg']
    assert "<class '" not in failure['msg']
    assert gitlab.journal() == [], 'a request was sent'


# ---- log lines -------------------------------------------------------------------------------------

COLOUR_LOG = ('\x1b[0Ksection_start:1700000000:build_step[collapsed=true]\r\x1b[0K\x1b[32;1mBuilding the app\x1b[0;m\n'
              '\x1b]8;;https://example.com\x07link\x1b]8;;\x07 text\n'
              '\x1b[31mERROR: it broke\x1b[0m\n'
              + 'x' * 3000 + '\n'
              'Downloading  10%\rDownloading  50%\rDownloading 100%\r\n'
              '\x1b[0Ksection_end:1700000000:build_step\r\x1b[0K\n'
              'last line\n')


def test_log_lines_are_cleaned_of_colours_section_markers_and_long_lines(gitlab):
    with_project(gitlab, path='acme/colours', ci=[{'name': 'build', 'stage': 'build', 'duration': 0.2, 'log': COLOUR_LOG}])
    pipeline = ok(gitlab, {'test_project': 'acme/colours', 'test_state': 'run', 'test_ref': 'main', 'test_wait': True})['pipeline']
    job_id = pipeline['jobs'][0]['id']
    lines = ok(gitlab, {'test_project': 'acme/colours', 'test_job_id': job_id, 'test_log_lines': 20})['log']['lines']
    assert lines[0] == 'Building the app'
    assert lines[1] == 'link text'
    assert lines[2] == 'ERROR: it broke'
    assert lines[3].startswith('x' * 1000 + ' [... 2000 more characters]')
    assert lines[4] == 'Downloading 100%'   # carriage-return progress: what the terminal shows
    assert lines[-1] == 'last line' and len(lines) == 6
    text = json.dumps(lines)
    assert '\\u001b' not in text and 'section_' not in text and '\\r' not in text


# ---- gitlab_ci_variable: typed values, malformed items, GitLab Free group purge ------------------

VARIABLES = 'gitlab_ci_variable/declare.yml'
DECLARE = 'Declare variables'

TYPED = [
    ({'test_key': 'VERSION', 'test_value': 1.10}, ['VERSION', 'float', 'quote the value']),
    ({'test_key': 'ENABLED', 'test_value': True}, ['ENABLED', 'boolean', 'quote the value']),
    ({'test_key': 'MODE', 'test_value': 493}, ['MODE', 'integer', 'quote the value']),
    ({'test_variables': [{'key': 'A', 'value': 'typed-values-ok-1'}, {'key': 'B', 'value': 1.1}]},
     ['variables[1]', 'B', 'float', 'quote the value']),
    ({'test_variables': ['KEY=value']}, ['variables[0] must be a dictionary', 'NAME=VALUE string is not supported']),
    ({'test_variables': [5, 'KEY=value']}, ['variables[0] must be a dictionary', 'integer', 'variables[1]']),
    ({'test_variables': [{'value': 'typed-values-ok-1'}]}, ['variables[0]: key is required']),
    ({'test_variables': [{'key': 'A', 'valeu': 'typed-values-ok-1'}]}, ['variables[0] (key A): unknown field(s) valeu']),
]


@pytest.mark.parametrize('extra, needles', TYPED, ids=['typed%02d' % i for i in range(len(TYPED))])
def test_variable_values_and_items_are_checked_before_any_request(gitlab, extra, needles):
    gitlab.secret('typed-values-ok-1')
    gitlab.clear_journal()
    run = gitlab.play(VARIABLES, dict({'test_project': 'acme/app'}, **extra), verbose=3)
    failure = run.assert_failed().failure()
    for needle in needles:
        assert needle in failure['msg'], failure['msg']
    assert "<class '" not in failure['msg']
    assert gitlab.journal() == []


def test_item_values_stay_hidden_when_another_option_is_refused(gitlab):
    gitlab.secret('hidden-on-refusal-0001')
    run = gitlab.play(VARIABLES, {'test_project': 'acme/app', 'test_state': 'bogus',
                                  'test_variables': [{'key': 'A', 'value': 'hidden-on-refusal-0001'}]}, verbose=3)
    assert 'state' in run.assert_failed().failure()['msg']


def test_quoted_values_are_stored_as_written(gitlab):
    run = gitlab.play(VARIABLES, {'test_project': 'acme/app', 'test_variables': [
        {'key': 'VERSION', 'value': '1.10'}, {'key': 'MODE', 'value': '0755'}, {'key': 'ENABLED', 'value': 'yes'}]})
    run.assert_ok()
    response = gitlab.api('GET', 'projects/acme%2Fapp/variables', params={'per_page': 100})
    stored = {v['key']: v['value'] for v in response.json()}
    assert (stored['VERSION'], stored['MODE'], stored['ENABLED']) == ('1.10', '0755', 'yes')


def test_free_group_purge_never_deletes_and_recreates(gitlab):
    with open(DEFAULT_SEED, encoding='utf-8') as handle:
        seed = yaml.safe_load(handle)
    seed['license'] = 'free'
    gitlab.fake.reset(seed)
    gitlab.secret('free-tier-value-0001')
    extra = {'test_group': 'acme/platform', 'test_purge': True,
             'test_variables': [{'key': 'DEPLOY_TARGET', 'value': 'free-tier-value-0001', 'environment_scope': 'production'}]}
    first = gitlab.play(VARIABLES, extra).assert_ok().task(DECLARE)
    assert first['status'] == 'changed'
    for dummy in range(2):
        gitlab.clear_journal()
        again = gitlab.play(VARIABLES, extra).assert_ok().task(DECLARE)
        assert again['status'] == 'ok', again
        assert not [e for e in gitlab.writes() if e['method'] == 'DELETE'], gitlab.writes()
        assert [e for e in gitlab.writes() if e['status'] < 400] == []
        assert again['result']['variables']['unchanged'] == [{'key': 'DEPLOY_TARGET', 'environment_scope': '*'}]
    response = gitlab.api('GET', 'groups/acme%2Fplatform/variables')
    assert [(v['key'], v['environment_scope']) for v in response.json()] == [('DEPLOY_TARGET', '*')]


def test_a_file_variable_reaches_the_pipeline_as_a_file(gitlab):
    result = ok(gitlab, {'test_state': 'run', 'test_ref': 'main', 'test_variables': {
        'CONFIG': {'value': '{"replicas": 3}', 'variable_type': 'file'}, 'PLAIN': 'x'}})
    variables = pipeline_variables(gitlab, result['pipeline']['id'])
    assert variables['CONFIG']['variable_type'] == 'file' and variables['CONFIG']['value'] == '{"replicas": 3}'
    assert variables['PLAIN']['variable_type'] == 'env_var'
