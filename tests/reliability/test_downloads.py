"""Part 2: interrupted downloads leave the destination untouched or complete, never partial.

Downloads with ``gitlab_ci_job`` of acme/svc's build job: the whole artifacts archive, one file of
it (``dist/svc.bin``, 64 KiB) and the job log, in turn. Each answer is cut at a random point
(``drop: after`` with a seeded random ``drop_at``: a fraction of the body or a number of bytes,
sometimes at or past the end, which leaves the answer complete). Every other destination already
holds an older file. Every other task runs with ``api_retries: 0``, so its cut is final; the others
keep the default retries, and a cut answer is fetched again. Afterwards each destination holds
either its older content (or nothing) after a failed task, or exactly GitLab's bytes after a
successful one; every task with retries succeeded; the folder holds nothing else but the module's
documented ``.<name>.cicd-gitlab`` records.
"""

import os
import random

import pytest

from tests.reliability.helpers import Stopwatch, count, finished_pipeline, report

pytestmark = pytest.mark.fake_only

SVC = 'acme/svc'
KINDS = ('archive', 'file', 'log')


def cut_point(rng):
    """A fraction of the body (float) or a number of body bytes (int); about 1 in 8 leaves the answer whole."""
    if rng.random() < 0.3:
        return rng.randint(0, 75000)          # the archive is ~66 KB, svc.bin 64 KiB, the log 24 bytes
    return min(1.0, rng.uniform(0, 1.1))


def test_interrupted_downloads_never_leave_a_partial_file(gitlab, tmp_path):
    total = count(5, 20)
    dest_dir = tmp_path / 'downloads'
    dest_dir.mkdir()
    dummy_pipeline, jobs = finished_pipeline(gitlab, SVC)
    build = jobs['build']
    base = 'projects/acme%%2Fsvc/jobs/%d' % build['id']
    expected = {'archive': gitlab.api('GET', base + '/artifacts').content,
                'file': gitlab.api('GET', base + '/artifacts/dist/svc.bin').content,
                'log': gitlab.api('GET', base + '/trace').content}
    paths = {'archive': r'/jobs/%d/artifacts$' % build['id'], 'file': r'/jobs/%d/artifacts/dist/svc\.bin$' % build['id'],
             'log': r'/jobs/%d/trace$' % build['id']}
    rng = random.Random(20240607)
    cases = []
    for index in range(total):
        kind = KINDS[index % len(KINDS)]
        dest = dest_dir / ('%s-%02d.%s' % (kind, index, {'archive': 'zip', 'file': 'bin', 'log': 'log'}[kind]))
        older = b'older content %d\n' % index if index % 2 == 0 else None
        if older is not None:
            dest.write_bytes(older)
        drop_at = cut_point(rng)
        retries = index % 4 < 2       # pairs: both with and without an older file, in every kind
        args = {'project': SVC, 'job_id': build['id']}
        if not retries:
            args['api_retries'] = 0
        if kind == 'log':
            args['log_dest'] = str(dest)
        else:
            args.update(artifacts_dest=str(dest), force=True)
            if kind == 'file':
                args['artifact_path'] = 'dist/svc.bin'
        name = 'Download %d (%s, cut at %s%s)' % (index, kind, drop_at, '' if retries else ', no retries')
        task = {'name': name, 'cicd.gitlab.gitlab_ci_job': args, 'ignore_errors': True}
        cases.append({'index': index, 'kind': kind, 'dest': dest, 'older': older, 'drop_at': drop_at, 'task': task, 'retries': retries,
                      'path': paths[kind]})

    # One playbook run per download, its cut armed just before: a task that retries must not use up
    # the cut meant for a later one (rules of a path are used in order, one per request).
    with Stopwatch() as watch:
        for case in cases:
            gitlab.add_fault(method='GET', path=case['path'], drop='after', drop_at=case['drop_at'], count=1)
            case['run'] = gitlab.play_tasks([case['task']])

    problems, outcomes = [], []
    for case in cases:
        task = case['run'].task(case['task']['name'])
        dest, msg = case['dest'], task['result'].get('msg') or ''
        content = dest.read_bytes() if dest.exists() else None
        if task['status'] in ('changed', 'ok'):
            outcome = 'complete' if content == expected[case['kind']] else 'WRONG CONTENT'
        else:
            outcome = 'untouched' if content == case['older'] else 'PARTIAL OR CHANGED'
            if 'cut' not in msg:
                problems.append('download %d failed without saying the stream was cut: %s' % (case['index'], msg))
        if case['retries'] and outcome != 'complete':
            problems.append('download %d was cut once but not fetched again: %s' % (case['index'], msg))
        if outcome.isupper():
            problems.append('download %d (%s, cut at %s): %s' % (case['index'], case['kind'], case['drop_at'], outcome))
        outcomes.append({'index': case['index'], 'kind': case['kind'], 'drop_at': case['drop_at'], 'older_file': case['older'] is not None,
                         'retries': case['retries'],
                         'task': task['status'], 'outcome': outcome, 'msg': msg[:200]})
    allowed = {c['dest'].name for c in cases} | {'.%s.cicd-gitlab' % c['dest'].name for c in cases if c['kind'] != 'log'}
    leftovers = sorted(set(os.listdir(dest_dir)) - allowed)
    report('2. downloads', 'interrupted downloads', downloads=total, seconds=watch.seconds,
           complete=sum(o['outcome'] == 'complete' for o in outcomes), retried=sum(o['retries'] for o in outcomes),
           untouched=sum(o['outcome'] == 'untouched' for o in outcomes),
           partial=sum(o['outcome'].isupper() for o in outcomes), leftovers=leftovers, outcomes=outcomes)
    assert not leftovers, 'temporary files left behind: %s' % leftovers
    assert not problems, '\n'.join(problems)
