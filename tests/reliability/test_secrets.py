"""Part 3: no secret in any output, at -vvv and in diff mode.

A representative set of playbooks runs with ``-vvv --diff``: variables with masked, hidden and file
values (check mode and applied), trigger tokens created and rotated with ``no_log`` on the
registration, pipelines started with a trigger token and variables, a manual job played with job
variables, both roles, and failures (a bad API token, an invalid masked value, a failed job with its
log tail, a revoked trigger token). The harness scans each run's stdout, stderr and recorded results
for every registered secret and every token the fake knows; at the end every byte of every run is
scanned again for all the secrets seen during the test (tokens that a later run rotated away and the
masked and hidden values stored on the server included). The full run (tools/reliability.sh) also runs
the whole integration suite with ANSIBLE_VERBOSITY=3 and ANSIBLE_DIFF_ALWAYS=1.
"""

import os

import pytest

from tests.conftest import DEV_TOKEN
from tests.reliability.helpers import PLAYBOOKS, Stopwatch, in_parallel, report

pytestmark = pytest.mark.fake_only

MASKED = 'Masked-Secret-Value-0001'
HIDDEN = 'Hidden-Secret-Value-0002'
FILE_VALUE = 'file-secret-value-0003\nsecond line'
PIPELINE_VALUE = 'pipeline-secret-value-0004'
JOB_VALUE = 'job-secret-value-0005'
BAD_MASKED = 'bad$masked!value-0006'
BAD_TOKEN = 'glpat-not-a-real-token-0007'
ROLE_VALUE = 'role-secret-value-0008'
FAILING_VALUE = 'failing-secret-value-0009'


def marked(value):
    """A pipeline or job variable marked secret (plain ones are run parameters, logged like any option)."""
    return {'value': value, 'secret': True}


ALL_VALUES = (MASKED, HIDDEN, FILE_VALUE, PIPELINE_VALUE, JOB_VALUE, BAD_MASKED, BAD_TOKEN, ROLE_VALUE, FAILING_VALUE)


def stored_secrets(target):
    """Every token and every masked or hidden variable value the server holds now."""
    found = set()

    def walk(node, key=None):
        if isinstance(node, dict):
            if (node.get('masked') or node.get('hidden')) and isinstance(node.get('value'), str):
                found.add(node['value'])
            for name, value in node.items():
                walk(value, name)
        elif isinstance(node, list):
            for item in node:
                walk(item, key)
        elif key == 'token' and isinstance(node, str) and len(node) >= 20:
            found.add(node)
    walk(target.state())
    return found


class Scanner:
    """Runs playbooks at -vvv with --diff on one target and remembers every secret seen meanwhile."""

    def __init__(self, target):
        self.target = target
        self.target.secret(*ALL_VALUES)
        self.seen = stored_secrets(target)
        self.names = []

    def play(self, name, playbook, extra_vars, expect_ok=True, **kwargs):
        run = self.target.play(playbook, extra_vars, verbose=3, diff=True, **kwargs)
        assert 'ESTABLISH LOCAL CONNECTION' in run.stdout, 'the run was not at -vvv'
        if expect_ok:
            run.assert_ok()
        else:
            assert [t for t in run.tasks if t['status'] in ('failed', 'ignored')], '%s: expected a failure' % name
        self.seen |= stored_secrets(self.target)
        self.names.append(name)
        return run

    def leaks(self):
        secrets = self.seen | set(self.target.secrets)
        return sorted({s for run in self.target.runs for s in secrets if s and s in run.stdout + run.stderr})


def variables_and_failures(target):
    scanner = Scanner(target)
    variables = [{'key': 'SEC_MASKED', 'value': MASKED, 'masked': True, 'protected': True},
                 {'key': 'SEC_HIDDEN', 'value': HIDDEN, 'hidden': True},
                 {'key': 'SEC_FILE', 'value': FILE_VALUE, 'variable_type': 'file'}]
    base = {'test_project': 'acme/app', 'test_variables': variables}
    scanner.play('variables, check mode', 'gitlab_ci_variable/declare.yml', base, check=True)
    scanner.play('variables, applied', 'gitlab_ci_variable/declare.yml', base)
    changed = [dict(v, value=v['value'] + '-changed') if v['key'] == 'SEC_FILE' else v for v in variables]
    target.secret(FILE_VALUE + '-changed')
    scanner.play('variables, updated with purge', 'gitlab_ci_variable/declare.yml', dict(base, test_variables=changed, test_purge=True))
    scanner.play('invalid masked value', 'gitlab_ci_variable/declare.yml',
                 {'test_project': 'acme/app', 'test_variables': [{'key': 'SEC_BAD', 'value': BAD_MASKED, 'masked': True}]}, expect_ok=False)
    scanner.play('bad API token', 'gitlab_ci_variable/declare.yml',
                 {'test_project': 'acme/app', 'test_key': 'SEC_X', 'test_value': MASKED, 'test_api_token': BAD_TOKEN}, expect_ok=False)
    target.secret(DEV_TOKEN)
    scanner.play('refused by GitLab (403)', 'gitlab_ci_variable/declare.yml',
                 {'test_group': 'acme', 'test_key': 'SEC_X', 'test_value': MASKED, 'test_api_token': DEV_TOKEN}, expect_ok=False)
    return scanner


def triggers_and_pipelines(target):
    scanner = Scanner(target)
    run = scanner.play('trigger created (no_log), pipeline run with its token and variables', 'gitlab_ci_job/trigger_and_run.yml',
                       {'gitlab_project': 'acme/svc', 'test_description': 'secrets run', 'test_variables': {'SEC_PIPELINE': marked(PIPELINE_VALUE)}})
    pipeline_id = run.task('Run the pipeline with the trigger token')['result']['pipeline']['id']
    scanner.play('manual job played with job variables', 'gitlab_ci_job/job.yml',
                 {'test_project': 'acme/svc', 'test_state': 'played', 'test_pipeline_id': pipeline_id, 'test_name': 'deploy',
                  'test_wait': True, 'test_job_variables': {'SEC_JOB': marked(JOB_VALUE)}})
    scanner.play('trigger rotated (no_log), run, play, revoked token refused', os.path.join(PLAYBOOKS, 'rotate_and_run.yml'),
                 {'gitlab_project': 'acme/svc', 'test_description': 'secrets rotate', 'test_variables': {'SEC_PIPELINE': marked(PIPELINE_VALUE)},
                  'test_job_variables': {'SEC_JOB': marked(JOB_VALUE)}})
    scanner.play('failed job with its log tail', 'gitlab_ci_job/job.yml',
                 {'test_project': 'acme/svc', 'test_state': 'run', 'test_ref': 'main', 'test_wait': True, 'test_name': 'test',
                  'test_variables': {'FAIL_TEST': marked(FAILING_VALUE)}}, expect_ok=False)
    scanner.play('trigger token used through ansible.builtin.uri (no_log)', 'gitlab_ci_trigger/use_token.yml',
                 {'test_description': 'secrets uri'})
    return scanner


def roles(target, tmp_path):
    scanner = Scanner(target)
    scanner.play('ci_settings role: variables and triggers', 'roles/ci_settings.yml', {
        'test_tokens_file': str(tmp_path / 'tokens.json'),
        'test_projects': [{'project': 'acme/svc', 'purge': False, 'triggers': [{'description': 'secrets role'}],
                           'variables': [{'key': 'SEC_ROLE', 'value': ROLE_VALUE, 'masked': True},
                                         {'key': 'SEC_ROLE_HIDDEN', 'value': HIDDEN, 'hidden': True}]}]})
    scanner.play('pipeline role: trigger, variables, job variables, artifacts', 'roles/pipeline.yml', {
        'test_project': 'acme/svc', 'test_trigger': 'secrets pipeline role', 'test_variables': {'SEC_PIPELINE': marked(PIPELINE_VALUE)},
        'test_play_jobs': [{'name': 'deploy', 'variables': {'SEC_JOB': marked(JOB_VALUE)}}],
        'test_artifacts': [{'job': 'build', 'artifact_path': 'dist/VERSION'}], 'test_dir': str(tmp_path / 'artifacts')})
    scanner.play('pipeline role: a failing pipeline shows its log tail', 'roles/pipeline.yml', {
        'test_project': 'acme/svc', 'test_variables': {'FAIL_TEST': marked(FAILING_VALUE)}}, expect_ok=False)
    return scanner


def test_no_secret_in_any_output_at_vvv_with_diff(new_target, tmp_path):
    groups = [('variables', variables_and_failures), ('triggers', triggers_and_pipelines), ('roles', lambda t: roles(t, tmp_path))]
    with Stopwatch() as watch:
        scanners = in_parallel(lambda group: group[1](new_target(group[0])), groups, workers=3)
    runs = [run for scanner in scanners for run in scanner.target.runs]
    scanned = sum(len(run.stdout) + len(run.stderr) for run in runs)
    leaks = [leak for scanner in scanners for leak in scanner.leaks()]
    secrets = set().union(*(scanner.seen | scanner.target.secrets for scanner in scanners))
    report('3. secrets', 'playbooks at -vvv with --diff', runs=len(runs), playbooks=[n for s in scanners for n in s.names],
           bytes_scanned=scanned, secrets=len(secrets), hits=len(leaks), seconds=watch.seconds)
    assert not leaks, '%d secret(s) found in the output' % len(leaks)
