"""Shared helpers of the reliability suite (tests/reliability).

Every test runs a reduced version by default (part of ``make test``); ``CICD_RELIABILITY_FULL=1``
raises the counts (``tools/reliability.sh``, ``make reliability``). With ``CICD_RELIABILITY_REPORT``
set to a file, each test appends what it ran and saw as JSON lines; reliability/write_results.py
turns them into reliability/RESULTS.md.
"""

import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import time

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
PLAYBOOKS = os.path.join(HERE, 'playbooks')
FULL = os.environ.get('CICD_RELIABILITY_FULL', '') not in ('', '0')
MODE = 'full' if FULL else 'reduced'
TIMEOUT = 10


def count(reduced, full):
    """The reduced count, or the full one under CICD_RELIABILITY_FULL=1."""
    return full if FULL else reduced


def report(part, check, **data):
    """Append one result line for RESULTS.md (only when CICD_RELIABILITY_REPORT names a file)."""
    path = os.environ.get('CICD_RELIABILITY_REPORT')
    if not path:
        return
    entry = dict(part=part, check=check, mode=MODE, **data)
    with open(path, 'a', encoding='utf-8') as handle:
        handle.write(json.dumps(entry, sort_keys=True, default=str) + '\n')


class Stopwatch:
    """``with Stopwatch() as watch: ...``; ``watch.seconds`` afterwards."""

    def __init__(self):
        self.started = None
        self.seconds = None

    def __enter__(self):
        self.started = time.monotonic()
        return self

    def __exit__(self, *exc_info):
        self.seconds = round(time.monotonic() - self.started, 1)


def in_parallel(function, items, workers):
    """``[function(item) for item in items]``, run in ``workers`` threads (ansible-playbook runs are subprocesses)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return list(pool.map(function, items))


# ---- faults ---------------------------------------------------------------------------------------

# The transient failures of part 1, one quarter each: a rate limit that says when to come back
# (Retry-After 0 keeps the runs fast), a bad gateway, an unavailable backend, a connection reset
# before the answer (the request is not applied).
FAULT_KINDS = (
    ('429', {'status': 429, 'retry_after': '0'}),
    ('502', {'status': 502}),
    ('503', {'status': 503, 'retry_after': '0'}),
    ('reset', {'drop': 'before'}),
)


def add_fault_mix(target, seed, rate=0.2, method='*', path=''):
    """Fault ``rate`` of the matching requests, split evenly over FAULT_KINDS, reproducibly from ``seed``.

    The fake asks its rules in order and each rule draws from its own seeded generator, so rule k
    gets the share ``(rate / n) / (1 - k * rate / n)`` of what the rules before it let through.
    """
    share = rate / len(FAULT_KINDS)
    for index, kind in enumerate(FAULT_KINDS):
        target.add_fault(method=method, path=path, rate=share / (1 - index * share), seed=seed * 10 + index, **kind[1])


def fault_hits(target):
    """``{kind: hits}`` of the fault rules added so far (kinds by effect)."""
    rules = requests.get(target.url + '/-/fake/faults', timeout=TIMEOUT, verify=getattr(target, 'verify', True)).json()
    hits = {}
    for rule in rules:
        kind = 'reset' if rule.get('drop') == 'before' else 'cut' if rule.get('drop') else str(rule.get('status'))
        if rule.get('apply'):
            kind += ' (applied)'
        hits[kind] = hits.get(kind, 0) + rule['hits']
    return hits


def clear_faults(target):
    requests.delete(target.url + '/-/fake/faults', timeout=TIMEOUT, verify=getattr(target, 'verify', True))


# ---- the server's view --------------------------------------------------------------------------------


def project_state(target, project):
    """The project as the fake's state dump holds it (variables with values, triggers with tokens)."""
    return next(p for p in target.state()['projects'] if p['full_path'] == project)


def variables_on_server(target, project):
    """``{(key, scope): variable}`` of a project, from the fake's state (values included)."""
    return {(v['key'], v['environment_scope']): v for v in project_state(target, project)['variables']}


def pipelines_on_server(target, project):
    """How many pipelines the project has, read from the fake's memory (never faulted, unlike the API)."""
    state = target.fake.state
    with state.lock:
        store = state.extensions.get('ci')
        return 0 if store is None else sum(1 for p in store.pipelines.values() if p.project.full_path == project)


def finished_pipeline(target, project='acme/svc', timeout=30):
    """Start a pipeline through the API (not the modules) and wait until its non-manual jobs finished."""
    path = 'projects/%s' % project.replace('/', '%2F')
    response = target.api('POST', path + '/pipeline', json={'ref': 'main'})
    assert response.status_code == 201, response.text
    pipeline = response.json()
    deadline = time.monotonic() + timeout
    while True:
        jobs = target.api('GET', '%s/pipelines/%d/jobs' % (path, pipeline['id'])).json()
        if jobs and all(j['status'] in ('success', 'failed', 'manual', 'canceled', 'skipped') for j in jobs):
            return pipeline, {j['name']: j for j in jobs}
        assert time.monotonic() < deadline, 'pipeline %s did not finish: %s' % (pipeline['id'], jobs)
        time.sleep(0.1)


# ---- TLS --------------------------------------------------------------------------------------------


def have_openssl():
    return bool(shutil.which('openssl'))


def self_signed(folder, name='fake'):
    """``(cert, key)``: PEM files of a one-day self-signed certificate for 127.0.0.1, made with openssl."""
    cert, key = os.path.join(folder, name + '-cert.pem'), os.path.join(folder, name + '-key.pem')
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-keyout', key, '-out', cert,
                    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
                   check=True, capture_output=True)
    return cert, key


def python():
    """The interpreter the modules run with (the venv's)."""
    return sys.executable
