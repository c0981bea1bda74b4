"""The hostile suite (issue #11): misbehaving answers, hostile values and a hostile host, against real playbooks.

All the cases (tests/hostile/cases.py) run once, as the blocks of generated playbooks at -vvv (two halves
in parallel, each against its own fake GitLab behind its own proxy; within a half, one playbook per
distinct process environment: GITLAB_TOKEN cases get their own), and each case is then one test
here: ``test_case[cred-01]``. What every case asserts is listed in tests/hostile/runner.py. With
``CICD_RELIABILITY_REPORT`` set, the outcomes go to the reliability report (reliability/RESULTS.md,
section 7).
"""

import json
import os
import types

import pytest

from tests.conftest import DEFAULT_SEED, ROOT_TOKEN
from tests.fake_gitlab import FakeGitLab
from tests.hostile.cases import build_cases
from tests.hostile.proxy import HostileProxy
from tests.hostile.runner import run_cases
from tests.integration.harness import Target
from tests.reliability.helpers import Stopwatch, finished_pipeline, in_parallel, report

pytestmark = pytest.mark.fake_only

GLOBAL_SECRETS = (ROOT_TOKEN,)


def context(proxy_url='http://127.0.0.1:1', other_url='http://127.0.0.2:1', other=None, workdir='/nonexistent', **ids):
    """What the cases need to know about the run (dummy values for collection)."""
    ctx = types.SimpleNamespace(proxy=proxy_url, other=other_url, workdir=workdir, job=1, size=1, pipeline=1, deploy=[2, 3], failed_job=4,
                                trigger_token='glptt-0000000000000000000000000000000000000000', rotate_trigger=5)
    ctx.other_log = (lambda: other.log) if other is not None else list
    for name, value in ids.items():
        setattr(ctx, name, value)
    return ctx


CASES = build_cases(context())


def prepare(fake):
    """Pipelines and a trigger token on the fake, made through the API (not the modules)."""
    target = Target(fake.url, ROOT_TOKEN, 'acme/app', 'acme', fake=fake)
    first, jobs = finished_pipeline(target, 'acme/svc')
    deploys = [finished_pipeline(target, 'acme/svc')[1]['deploy']['id'] for dummy in range(2)]
    dummy_pipeline, app_jobs = finished_pipeline(target, 'acme/app')
    del dummy_pipeline
    job = target.api('GET', 'projects/acme%%2Fsvc/jobs/%d' % jobs['build']['id']).json()
    trigger = target.api('POST', 'projects/acme%2Fsvc/triggers', json={'description': 'hostile-suite'}).json()
    to_rotate = target.api('POST', 'projects/acme%2Fsvc/triggers', json={'description': 'hostile-rotate'}).json()
    fake.clear_journal()
    return {'job': job['id'], 'size': job['artifacts_file']['size'], 'pipeline': first['id'], 'deploy': deploys,
            'failed_job': app_jobs['test']['id'], 'trigger_token': trigger['token'], 'rotate_trigger': to_rotate['id']}


def run_half(cases, workdir):
    os.makedirs(workdir)
    with FakeGitLab(seed=DEFAULT_SEED) as fake, HostileProxy(fake.url) as proxy, HostileProxy(fake.url, host='127.0.0.2') as other:
        ctx = context(proxy.url, other.url, other, workdir, **prepare(fake))
        wanted = {case.id for case in cases}
        built = [case for case in build_cases(ctx) if case.id in wanted]
        groups = {}
        for case in built:
            groups.setdefault(json.dumps(case.env or {}, sort_keys=True), []).append(case)
        found, runs = [], []
        for key, group in sorted(groups.items(), key=lambda item: -len(item[1])):
            env = {'GITLAB_URL': proxy.url, 'GITLAB_TOKEN': None, 'CI_SERVER_URL': None, 'CI_JOB_TOKEN': None}
            env.update(json.loads(key))
            outcomes, run = run_cases(group, proxy, fake, os.path.join(workdir, 'run-%d' % len(runs)), env, GLOBAL_SECRETS)
            found += outcomes
            runs.append(run)
        return found, runs


@pytest.fixture(scope='module')
def outcomes(tmp_path_factory):
    base = str(tmp_path_factory.mktemp('hostile'))
    halves = [CASES[0::2], CASES[1::2]]
    with Stopwatch() as watch:
        results = in_parallel(lambda item: run_half(item[1], os.path.join(base, 'half-%d' % item[0])), list(enumerate(halves)), workers=2)
    found = {o['id']: o for result in results for o in result[0]}
    runs = [run for result in results for run in result[1]]
    classes = {}
    for outcome in found.values():
        counts = classes.setdefault(outcome['class'], {'passed': 0, 'total': 0})
        counts['total'] += 1
        counts['passed'] += outcome['passed']
    report('7. hostile', 'hostile cases', cases=len(found), passed=sum(o['passed'] for o in found.values()), classes=classes,
           seconds=watch.seconds, playbook_seconds=[r['seconds'] for r in runs], outcomes=[found[c.id] for c in CASES if c.id in found])
    return found, runs


def test_enough_cases_in_every_class():
    classes = {}
    for case in CASES:
        classes[case.cls] = classes.get(case.cls, 0) + 1
    assert len(CASES) >= 60 and len({case.id for case in CASES}) == len(CASES)
    assert set(classes) == {'credentials', 'url', 'answers', 'lost', 'files', 'values', 'options', 'messages', 'reads'}
    assert min(classes.values()) >= 5, classes


@pytest.mark.parametrize('case', CASES, ids=[case.id for case in CASES])
def test_case(outcomes, case):
    found, runs = outcomes
    outcome = found.get(case.id)
    assert outcome is not None, 'case %s did not run; runs: %s' % (case.id, runs)
    assert outcome['passed'], '%s (%s): %s\n%s' % (case.id, case.title, '; '.join(outcome['problems']), outcome['msg'])
