"""Part 4: bad input across the three modules and the two roles.

Each case must fail its task with a clear message naming the problem (the expected word is checked),
without a traceback, and nothing may be written to GitLab. The module cases reuse the tables of the
integration tests (tests/integration/test_*_playbooks.py, BAD_INPUT), translated to module options,
plus cases of their own (connection options, types); the role cases are new. The reduced run takes
every role case, every case of its own and every fourth table case; the full run takes them all.

All the cases of one kind run as the blocks of one generated playbook (a ``rescue`` records each
refusal), their options given as extra vars: ansible-core quotes the lines around a failed task in
its message, and literal values there would count as leaked secrets.
"""

import json

import pytest

from tests.integration.test_job_playbooks import BAD_INPUT as JOB_TABLE
from tests.integration.test_trigger_playbooks import BAD_INPUT as TRIGGER_TABLE
from tests.integration.test_variable_playbooks import BAD_INPUT as VARIABLE_TABLE
from tests.reliability.helpers import FULL, Stopwatch, in_parallel, report

pytestmark = pytest.mark.fake_only

VARIABLE = 'cicd.gitlab.gitlab_ci_variable'
TRIGGER = 'cicd.gitlab.gitlab_ci_trigger'
JOB = 'cicd.gitlab.gitlab_ci_job'
SECRETS = ('v-0001', 'Hidden-Value-0009', 'glptt-0000000000000000000000000000000000000000', 'bad-input-value-1', 'role-bad-value-1')

# The integration playbooks' extra vars (test_*) -> module options.
VARIABLE_OPTIONS = {'test_scope': 'environment_scope'}


def variable_case(extra):
    extra = dict(extra)
    args = {'project': 'acme/app'}
    if extra.pop('no_level', False):
        args = {}
    if extra.pop('both_levels', False):
        args['group'] = 'acme'
    if extra.pop('instance_scope', False):
        args = {'instance': True}
    for name, value in extra.items():
        args[VARIABLE_OPTIONS.get(name, name[len('test_'):])] = value
    return VARIABLE, args


def job_case(extra):
    args = {'project': 'acme/svc', 'poll_interval': 0.2}
    args.update((name[len('test_'):], value) for name, value in extra.items())
    return JOB, args


def trigger_case(extra):
    return TRIGGER, {name[len('test_'):]: ('acme/app' if name == 'test_project' and value is None else value) for name, value in extra.items()}


def table_cases():
    """(label, module, options, needle) of the integration tests' tables."""
    cases = []
    for table, build, label in ((VARIABLE_TABLE, variable_case, 'variable'), (JOB_TABLE, job_case, 'job'), (TRIGGER_TABLE, trigger_case, 'trigger')):
        for index, (extra, needle) in enumerate(table):
            module, args = build(extra)
            cases.append(('%s table case %02d' % (label, index), module, args, needle))
    return cases


OWN_MODULE_CASES = [
    ('validate_certs is not a boolean', VARIABLE, {'project': 'acme/app', 'key': 'A', 'value': 'v-0001', 'validate_certs': 'perhaps'}, 'validate_certs'),
    ('api_retries is not a number', VARIABLE, {'project': 'acme/app', 'key': 'A', 'value': 'v-0001', 'api_retries': 'many'}, 'api_retries'),
    ('timeout of 0', VARIABLE, {'project': 'acme/app', 'key': 'A', 'value': 'v-0001', 'timeout': 0}, 'timeout'),
    ('api_url without a scheme', TRIGGER, {'project': 'acme/app', 'description': 'x', 'api_url': 'gitlab.example.com'}, 'http'),
    ('unknown api_token_type', JOB, {'project': 'acme/svc', 'job_id': 1, 'api_token_type': 'basic'}, 'api_token_type'),
    ('variables is not a list of dicts', VARIABLE, {'project': 'acme/app', 'variables': ['KEY=value']}, 'variables'),
    ('unknown field in a variable', VARIABLE, {'project': 'acme/app', 'variables': [{'key': 'A', 'value': 'v-0001', 'protect': True}]}, 'protect'),
    ('job_variables is not a dict', JOB, {'project': 'acme/svc', 'job_id': 1, 'state': 'played', 'job_variables': ['A']}, 'job_variables'),
    ('fail_on with an unknown status', JOB, {'project': 'acme/svc', 'job_id': 1, 'wait': True, 'fail_on': ['exploded']}, 'fail_on'),
    ('played without a job', JOB, {'project': 'acme/svc', 'state': 'played'}, 'job_id'),
    ('trigger_id and rotate on absent', TRIGGER, {'project': 'acme/app', 'trigger_id': 1, 'state': 'absent', 'rotate': True}, 'rotate'),
    ('misspelt option', TRIGGER, {'project': 'acme/app', 'descripton': 'x'}, 'descripton'),
]

CI_SETTINGS = 'cicd.gitlab.ci_settings'
PIPELINE = 'cicd.gitlab.pipeline'
ROLE_CASES = [
    # (label, role, role vars, needle)
    ('ci_settings: a project entry without project', CI_SETTINGS, {'ci_settings_projects': [{'variables': [{'key': 'A', 'value': 'b'}]}]}, 'project'),
    ('ci_settings: bad variable_type', CI_SETTINGS,
     {'ci_settings_projects': [{'project': 'acme/app', 'variables': [{'key': 'A', 'value': 'b', 'variable_type': 'yaml'}]}]}, 'variable_type'),
    ('ci_settings: bad trigger state', CI_SETTINGS, {'ci_settings_projects': [{'project': 'acme/app', 'triggers': [{'description': 'x', 'state': 'gone'}]}]},
     'state'),
    ('ci_settings: a variable without key', CI_SETTINGS, {'ci_settings_projects': [{'project': 'acme/app', 'variables': [{'value': 'b'}]}]}, 'key'),
    ('ci_settings: a group entry without group', CI_SETTINGS, {'ci_settings_groups': [{'purge': True}]}, 'group'),
    ('ci_settings: masked is not a boolean', CI_SETTINGS,
     {'ci_settings_projects': [{'project': 'acme/app', 'variables': [{'key': 'A', 'value': 'role-bad-value-1', 'masked': 'sometimes'}]}]}, 'masked'),
    ('ci_settings: purge is not a boolean', CI_SETTINGS, {'ci_settings_projects': [{'project': 'acme/app', 'purge': 'maybe'}]}, 'purge'),
    ('ci_settings: misspelt option of a project', CI_SETTINGS, {'ci_settings_projects': [{'projekt': 'acme/app'}]}, 'projekt'),
    ('ci_settings: validate_certs is not a boolean', CI_SETTINGS, {'ci_settings_validate_certs': 'perhaps'}, 'ci_settings_validate_certs'),
    ('ci_settings: a trigger without description', CI_SETTINGS, {'ci_settings_projects': [{'project': 'acme/app', 'triggers': [{'rotate': True}]}]},
     'description'),
    ('ci_settings: projects is not a list of dicts', CI_SETTINGS, {'ci_settings_projects': ['acme/app']}, 'ci_settings_projects'),
    ('ci_settings: a key GitLab refuses', CI_SETTINGS,
     {'ci_settings_projects': [{'project': 'acme/app', 'variables': [{'key': 'BAD-KEY', 'value': 'role-bad-value-1'}]}]}, 'BAD-KEY'),
    ('ci_settings: a value that cannot be masked', CI_SETTINGS,
     {'ci_settings_projects': [{'project': 'acme/app', 'variables': [{'key': 'A', 'value': 'short', 'masked': True}]}]}, 'mask'),
    ('ci_settings: a project that does not exist', CI_SETTINGS,
     {'ci_settings_projects': [{'project': 'acme/nope', 'variables': [{'key': 'A', 'value': 'role-bad-value-1'}]}]}, 'acme'),
    ('pipeline: artifacts without a directory', PIPELINE, {'pipeline_project': 'acme/svc', 'pipeline_ref': 'main',
                                                           'pipeline_artifacts': [{'job': 'build'}]}, 'pipeline_artifacts_dir'),
    ('pipeline: an artifact without job', PIPELINE, {'pipeline_project': 'acme/svc', 'pipeline_ref': 'main', 'pipeline_artifacts_dir': '/tmp',
                                                     'pipeline_artifacts': [{'artifact_path': 'dist/VERSION'}]}, 'job'),
    ('pipeline: job variables are not a dict', PIPELINE, {'pipeline_project': 'acme/svc', 'pipeline_ref': 'main',
                                                          'pipeline_play_jobs': [{'name': 'deploy', 'variables': 'not-a-dict'}]}, 'variables'),
    ('pipeline: no project', PIPELINE, {'pipeline_ref': 'main'}, 'pipeline_project'),
    ('pipeline: no ref', PIPELINE, {'pipeline_project': 'acme/svc'}, 'pipeline_ref'),
    ('pipeline: fail_on with an unknown status', PIPELINE, {'pipeline_project': 'acme/svc', 'pipeline_ref': 'main', 'pipeline_fail_on': ['exploded']},
     'pipeline_fail_on'),
    ('pipeline: wait_timeout is not a number', PIPELINE, {'pipeline_project': 'acme/svc', 'pipeline_ref': 'main', 'pipeline_wait_timeout': 'soon'},
     'pipeline_wait_timeout'),
    ('pipeline: variables are a list', PIPELINE, {'pipeline_project': 'acme/svc', 'pipeline_ref': 'main', 'pipeline_variables': ['A=1']},
     'pipeline_variables'),
    ('pipeline: a job to play without name', PIPELINE, {'pipeline_project': 'acme/svc', 'pipeline_ref': 'main',
                                                        'pipeline_play_jobs': [{'variables': {'A': 'role-bad-value-1'}}]}, 'name'),
    ('pipeline: misspelt option of an artifact', PIPELINE, {'pipeline_project': 'acme/svc', 'pipeline_ref': 'main', 'pipeline_artifacts_dir': '/tmp',
                                                            'pipeline_artifacts': [{'jobb': 'build'}]}, 'jobb'),
    ('pipeline: a ref that does not exist', PIPELINE, {'pipeline_project': 'acme/svc', 'pipeline_ref': 'no-such-branch'}, 'reference not found'),
    ('pipeline: a trigger token that is not valid', PIPELINE, {'pipeline_project': 'acme/svc', 'pipeline_ref': 'main',
                                                               'pipeline_trigger_token': 'glptt-0000000000000000000000000000000000000000'},
     'trigger token'),
]


def selected_cases():
    tables = table_cases()
    modules = list(OWN_MODULE_CASES) + (tables if FULL else tables[::4])
    return modules, list(ROLE_CASES)


def build_play(cases, kind):
    """Tasks and extra vars: one block per case, its options templated from ``case_NN``."""
    tasks, extra = [], {}
    for index, (label, target, args, dummy_needle) in enumerate(cases):
        var = 'case_%02d' % index
        extra[var] = args
        if kind == 'module':
            call = {'name': 'case %02d: %s' % (index, label), target: {name: '{{ %s[%r] }}' % (var, name) for name in args}}
        else:
            call = {'name': 'case %02d: %s' % (index, label), 'ansible.builtin.include_role': {'name': target},
                    'vars': {name: '{{ %s[%r] }}' % (var, name) for name in args}}
        tasks.append({'name': 'case %02d' % index, 'block': [call],
                      'rescue': [{'name': 'case %02d refused' % index, 'ansible.builtin.debug': {'msg': 'refused'}}]})
    return tasks, extra


def failures_by_case(run):
    """``{case index: the failed task's result}``, pairing each 'refused' marker with the failure before it."""
    found, last_failure = {}, None
    for task in run.tasks:
        if task['status'] == 'failed':
            last_failure = task
        elif task['task'].startswith('case ') and task['task'].endswith(' refused'):
            found[int(task['task'].split()[1])] = last_failure
            last_failure = None
    return found


def shown_errors(stdout, index):
    """The ``[ERROR]: ...`` lines ansible-playbook printed for case ``index`` (shown even when a role hides results with no_log)."""
    start = stdout.find('TASK [case %02d: ' % index)
    end = stdout.find('TASK [case %02d refused]' % index, start)
    if start < 0 or end < 0:
        return ''
    return ' '.join(line for line in stdout[start:end].splitlines() if line.startswith('[ERROR]: '))


def judge(cases, run):
    failures = failures_by_case(run)
    outcomes = []
    for index, (label, target, dummy_args, needle) in enumerate(cases):
        failed = failures.get(index)
        result = (failed or {}).get('result') or {}
        shown = shown_errors(run.stdout, index)
        text = ' '.join((result.get('msg') or '', json.dumps(result.get('argument_errors') or ''), shown))
        problem = None
        if failed is None:
            problem = 'not refused'
        elif 'Traceback' in json.dumps(result) or 'module_stderr' in result:
            problem = 'traceback'
        elif needle.lower() not in text.lower():
            problem = 'the message does not name %r' % needle
        outcomes.append({'case': label, 'target': target, 'failed_task': (failed or {}).get('task'), 'msg': (result.get('msg') or shown)[:300],
                         'problem': problem})
    return outcomes


def run_kind(new_target, kind, cases):
    target = new_target('bad-input-' + kind)
    target.secret(*SECRETS)
    tasks, extra = build_play(cases, kind)
    target.clear_journal()
    run = target.play_tasks(tasks, extra_vars=extra)
    writes = target.writes()
    return {'kind': kind, 'outcomes': judge(cases, run), 'attempted_writes': len(writes),
            'accepted_writes': [e for e in writes if 0 < e['status'] < 400]}


def test_bad_input_is_refused_clearly_without_writes(new_target):
    module_cases, role_cases = selected_cases()
    with Stopwatch() as watch:
        results = in_parallel(lambda item: run_kind(new_target, *item), [('module', module_cases), ('role', role_cases)], workers=2)
    outcomes = [o for result in results for o in result['outcomes']]
    accepted = [w for result in results for w in result['accepted_writes']]
    bad = [o for o in outcomes if o['problem']]
    report('4. bad input', 'refused clearly, no writes', cases=len(outcomes), module_cases=len(module_cases), role_cases=len(role_cases),
           table_cases_available=len(table_cases()), clear=len(outcomes) - len(bad), accepted_writes=len(accepted),
           attempted_writes=sum(r['attempted_writes'] for r in results), seconds=watch.seconds, outcomes=outcomes)
    assert len(outcomes) >= 40
    assert not accepted, 'bad input was written to GitLab: %s' % accepted
    assert not bad, '\n'.join('%(case)s (%(target)s): %(problem)s; failed task %(failed_task)r: %(msg)s' % o for o in bad)
