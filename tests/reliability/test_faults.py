"""Part 1: transient faults (429 with Retry-After, 502, 503, connection reset) on 20 % of requests.

* a 200-variable declaration with purge, started from a project holding other and stale variables,
  converges to exactly the declared set, run after run (full: 20 runs; reduced: 3 runs of 40
  variables), each on its own fake with its own fault seed;
* ``gitlab_ci_job state=run`` never starts two pipelines for one task, whatever happens to its POST
  (refused, answered 502 after being applied, cut after being applied ...);
* failures that outlast the retry budget (``api_retries: 1``, every request faulted) fail the task
  with a message naming the status or the cause, and no traceback.
"""

import json

import pytest

from tests.reliability.helpers import (
    FULL,
    Stopwatch,
    add_fault_mix,
    clear_faults,
    count,
    fault_hits,
    in_parallel,
    pipelines_on_server,
    report,
    variables_on_server,
)

pytestmark = pytest.mark.fake_only

PROJECT = 'acme/app'
CONVERGE_TASK = 'Converge the declared variables'


# ---- 200 variables with purge, converging under faults ----------------------------------------------


def declared_set(total, tag):
    """``total`` variables with a spread of attributes; values differ per run (``tag``)."""
    declared = []
    for index in range(total):
        variable = {'key': 'REL_%03d' % index, 'value': 'rel-%s-value-%03d' % (tag, index)}
        kind = index % 10
        if kind == 1:
            variable.update(value='Masked-%s-%03d' % (tag, index), masked=True)
        elif kind == 2:
            variable['protected'] = True
        elif kind == 3:
            variable['variable_type'] = 'file'
        elif kind == 4:
            variable['environment_scope'] = 'staging'
        elif kind == 5:
            variable['description'] = 'reliability variable %03d' % index
        declared.append(variable)
    return declared


def preset(target):
    """Start from a project holding unrelated variables, stale values of declared ones and an unlisted scope."""
    path = 'projects/%s/variables' % PROJECT.replace('/', '%2F')
    for index in range(10):
        assert target.api('POST', path, json={'key': 'OTHER_%02d' % index, 'value': 'other-value-%02d' % index}).status_code == 201
    for index in (0, 2, 3, 5, 7):
        assert target.api('POST', path, json={'key': 'REL_%03d' % index, 'value': 'stale-value'}).status_code == 201
    assert target.api('POST', path, json={'key': 'REL_004', 'value': 'unlisted-scope'}).status_code == 201


def mismatches(declared, server):
    """What differs between the declared set and the server's variables (empty when exact)."""
    wanted = {(v['key'], v.get('environment_scope', '*')): v for v in declared}
    problems = ['missing %s/%s' % ident for ident in sorted(set(wanted) - set(server))]
    problems += ['unexpected %s/%s' % ident for ident in sorted(set(server) - set(wanted))]
    for ident in sorted(set(wanted) & set(server)):
        expected = dict({'masked': False, 'protected': False, 'variable_type': 'env_var', 'description': None}, **wanted[ident])
        for field, value in expected.items():
            if field != 'environment_scope' and server[ident].get(field) != value:
                problems.append('%s/%s: %s differs' % (ident[0], ident[1], field))
    return problems


def converge(target, declared):
    """One run of the declaration (values go in as extra vars, never literally into the play)."""
    task = {'name': CONVERGE_TASK, 'cicd.gitlab.gitlab_ci_variable': {
        'project': PROJECT, 'variables': '{{ test_variables }}', 'purge': True, 'api_retries': 10}}
    return target.play_tasks([task], extra_vars={'test_variables': declared})


def converge_once(new_target, index, total, creates_spared):
    target = new_target('converge-%02d' % index)
    preset(target)
    declared = declared_set(total, 'run%02d' % index)
    target.secret(*(v['value'] for v in declared if v.get('masked')))
    if creates_spared:
        for offset, method in enumerate(('GET', 'PUT', 'DELETE')):
            add_fault_mix(target, seed=(index + 1) * 10 + offset, method=method)
    else:
        add_fault_mix(target, seed=index + 1)
    target.clear_journal()
    with Stopwatch() as watch:
        run = converge(target, declared)
    hits = fault_hits(target)
    requests_sent = len(target.journal())
    clear_faults(target)
    result = run.task(CONVERGE_TASK)
    problems = mismatches(declared, variables_on_server(target, PROJECT))
    outcome = {'run': index, 'status': result['status'], 'seconds': watch.seconds, 'requests': requests_sent,
               'faults': hits, 'faulted': sum(hits.values()), 'problems': problems[:5],
               'msg': (result['result'].get('msg') or '')[:300]}
    # Converged: the task succeeded and the server holds exactly the declared set.
    outcome['converged'] = result['status'] in ('changed', 'ok') and not problems
    if outcome['converged']:
        target.clear_journal()
        again = converge(target, declared).task(CONVERGE_TASK)
        outcome['rerun_status'] = again['status']
        outcome['rerun_writes'] = len(target.writes())
    return outcome


@pytest.mark.parametrize('faulted', ['every request', 'all but creates'])
def test_200_variables_with_purge_converge_under_faults(new_target, faulted):
    """``all but creates`` (full run only) tells faults on creates (POST) apart from the rest."""
    creates_spared = faulted == 'all but creates'
    if creates_spared and not FULL:
        pytest.skip('a diagnostic variant, in the full run only')
    # The reduced run (make test) declares 40 variables, not 200: each create that meets a 502, 503
    # or reset costs a pause and a re-read, and three runs of 200 take over 80 s on 2 cores.
    runs, total = count(3, 20), count(40, 200)
    with Stopwatch() as watch:
        outcomes = in_parallel(lambda index: converge_once(new_target, index, total, creates_spared), range(runs), workers=count(3, 4))
    converged = [o for o in outcomes if o['converged'] and o.get('rerun_status') == 'ok' and o.get('rerun_writes') == 0]
    report('1. faults', 'variables converge', faulted=faulted, runs=runs, variables=total, fault_rate=0.2, converged=len(converged),
           seconds=watch.seconds, outcomes=outcomes)
    failed = [o for o in outcomes if o not in converged]
    assert not failed, 'runs that did not converge (%d of %d):\n%s' % (len(failed), runs, '\n'.join(
        'run %(run)s: %(status)s after %(faulted)s faults %(faults)s; %(problems)s; %(msg)s' % o for o in failed))


# ---- state=run never starts two pipelines for one task --------------------------------------------------

SVC = 'acme/svc'
RUN_TASK = 'Start a pipeline'
# (label, fault on POST .../pipeline or None, pipelines the task may leave, whether the task succeeds)
POST_FAULTS = [
    ('429 (refused, then retried)', {'status': 429, 'retry_after': '0'}, 1, True),
    ('502 (not applied)', {'status': 502}, 0, False),
    ('503 (not applied)', {'status': 503, 'retry_after': '0'}, 0, False),
    # Applied, answer lost: the module finds the one new pipeline of the ref and reports it.
    ('502 after applying', {'status': 502, 'apply': True}, 1, True),
    ('connection reset before applying', {'drop': 'before'}, 0, False),
    ('answer cut after applying', {'drop': 'after'}, 1, True),
    ('no fault on the POST', None, 1, True),
]
# Words a failure message must hold for each fault: the status, or the transport cause.
CAUSES = {'502': ['HTTP 502'], '503': ['HTTP 503'], 'reset': ['connection', 'Connection'], 'cut': ['connection', 'Connection', 'answer']}


def run_pipelines(new_target, case, rounds):
    label, fault, expected, succeeds = case
    target = new_target('pipelines-%d' % POST_FAULTS.index(case))
    # Background: 20 % of the other requests (reads) fail transiently too.
    add_fault_mix(target, seed=POST_FAULTS.index(case) + 101, method='GET')
    seen = []
    for dummy in range(rounds):
        if fault:
            target.add_fault(method='POST', path='/pipeline$', **fault)
        before = pipelines_on_server(target, SVC)
        target.clear_journal()
        run = target.play_tasks([{'name': RUN_TASK, 'cicd.gitlab.gitlab_ci_job': {
            'project': SVC, 'state': 'run', 'ref': 'main', 'api_retries': 6}}])
        created = pipelines_on_server(target, SVC) - before
        posts = [e for e in target.journal() if e['method'] == 'POST']
        result = run.task(RUN_TASK)
        seen.append({'status': result['status'], 'created': created, 'posts': len(posts),
                     'msg': (result['result'].get('msg') or '')[:400], 'pipeline': (result['result'].get('pipeline') or {}).get('id')})
    return {'fault': label, 'expected_pipelines': expected, 'succeeds': succeeds, 'tasks': seen}


def test_run_never_starts_two_pipelines(new_target):
    rounds = count(1, 5)
    with Stopwatch() as watch:
        cases = in_parallel(lambda case: run_pipelines(new_target, case, rounds), POST_FAULTS, workers=3)
    tasks = [task for case in cases for task in case['tasks']]
    report('1. faults', 'one pipeline per task', tasks=len(tasks), rounds=rounds, seconds=watch.seconds,
           most_pipelines_per_task=max(t['created'] for t in tasks), cases=cases)
    problems = []
    for case in cases:
        for task in case['tasks']:
            where = '%s: %s' % (case['fault'], task)
            if task['created'] > 1:
                problems.append('two pipelines for one task: ' + where)
            if task['created'] != case['expected_pipelines']:
                problems.append('unexpected pipeline count: ' + where)
            if (task['status'] != 'failed') != case['succeeds']:
                problems.append('unexpected outcome: ' + where)
            if task['status'] != 'failed' and task['pipeline'] is None:
                problems.append('no pipeline returned: ' + where)
            resent = task['posts'] - (1 if case['fault'].startswith('429') else 0)
            if resent != 1:
                problems.append('the POST was sent %d times: %s' % (task['posts'], where))
            if task['status'] == 'failed' and 'POST /api/v4/projects/acme/svc/pipeline' not in task['msg']:
                problems.append('the message does not name the request: ' + where)
            if task['status'] == 'failed' and 'no new pipeline' not in task['msg'] and 'may exist' not in task['msg']:
                problems.append('the failure does not say whether a pipeline was started: ' + where)
            if task['status'] != 'failed' and case['fault'].endswith('after applying') and 'answer was lost' not in task['msg']:
                problems.append('an adopted pipeline is not reported as such: ' + where)
    assert not problems, '\n'.join(problems)


# ---- the retry budget runs out: a clear failure --------------------------------------------------------

EXHAUSTED = [
    # (task name, module, arguments, fault rule, words the message must hold)
    ('429 on every read of the variables', 'gitlab_ci_variable', {'project': 'acme/app', 'key': 'REL_X', 'value': 'rel-value-x'},
     {'method': 'GET', 'path': 'acme%2Fapp/variables', 'status': 429, 'retry_after': '0'}, ['HTTP 429', 'gave up after 1 retries']),
    ('502 on every read of the variables', 'gitlab_ci_variable', {'project': 'acme/svc', 'key': 'REL_X', 'value': 'rel-value-x'},
     {'method': 'GET', 'path': 'acme%2Fsvc/variables', 'status': 502}, ['HTTP 502', 'gave up after 1 retries']),
    ('connection reset on every read of the variables', 'gitlab_ci_variable',
     {'project': 'acme/platform/api', 'key': 'REL_X', 'value': 'rel-value-x'},
     {'method': 'GET', 'path': 'api/variables', 'drop': 'before'}, ['onnection', 'gave up after 1 retries']),
    ('503 on every read of the triggers', 'gitlab_ci_trigger', {'project': 'acme/app', 'description': 'reliability'},
     {'method': 'GET', 'path': 'acme%2Fapp/triggers', 'status': 503, 'retry_after': '0'}, ['HTTP 503', 'gave up after 1 retries']),
    ('429 on every pipeline start', 'gitlab_ci_job', {'project': 'acme/svc', 'state': 'run', 'ref': 'main'},
     {'method': 'POST', 'path': 'acme%2Fsvc/pipeline$', 'status': 429, 'retry_after': '0'}, ['HTTP 429', 'gave up after 1 retries']),
    ('502 on every read of a job', 'gitlab_ci_job', {'project': 'acme/app', 'job_id': 1},
     {'method': 'GET', 'path': 'acme%2Fapp/jobs/1$', 'status': 502}, ['HTTP 502', 'gave up after 1 retries']),
]


def test_failures_beyond_the_retry_budget_are_clear(gitlab):
    for index, case in enumerate(EXHAUSTED):
        gitlab.add_fault(rate=1.0, seed=index, **case[3])
    tasks = [{'name': name, 'cicd.gitlab.' + module: dict(args, api_retries=1), 'ignore_errors': True}
             for name, module, args, dummy_rule, dummy_words in EXHAUSTED]
    gitlab.clear_journal()
    with Stopwatch() as watch:
        run = gitlab.play_tasks(tasks)
    problems, outcomes = [], []
    for name, dummy_module, dummy_args, dummy_rule, words in EXHAUSTED:
        task = run.task(name)
        msg = task['result'].get('msg') or ''
        outcomes.append({'case': name, 'status': task['status'], 'msg': msg[:300]})
        if task['status'] != 'ignored':
            problems.append('%s: did not fail (%s)' % (name, task['status']))
        missing = [w for w in words if w not in msg]
        # ansible-core adds "exception": "(traceback unavailable)" to every failure; a real one shows a Traceback.
        if missing or 'Traceback' in json.dumps(task['result']) or 'module_stderr' in task['result']:
            problems.append('%s: unclear failure (missing %s): %s' % (name, missing, task['result']))
    created = [e for e in gitlab.writes() if 0 < e['status'] < 400]
    report('1. faults', 'retry budget exhausted', cases=len(EXHAUSTED), clear=len(EXHAUSTED) - len(problems),
           seconds=watch.seconds, outcomes=outcomes, full=FULL)
    assert not problems, '\n'.join(problems)
    assert created == [], created
