"""Helpers for the pipeline, job and artifact fidelity tests: a hand-driven clock, polling, seeds.

Most tests drive the fake's CI clock by hand (``fake.state.clock``, see tests/fake_gitlab/ci.py), so
states move exactly when a test says and no test sleeps; a few watch real time pass, polling with
short sleeps and a bounded wait.
"""

import time

from tests.fidelity.helpers import DEV, ROOT, Api

APP = '/projects/acme%2Fapp'           # build (1 MiB artifacts) -> test fails -> manual deploy
SVC = '/projects/acme%2Fsvc'           # build (artifacts) -> test -> manual deploy: passes
START = 1750000000.0                   # 2025-06-15T15:06:40Z


class Clock:
    """A clock that moves only when told: ``clock.advance(seconds)``."""

    def __init__(self, now=START):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, seconds):
        """Move time forward."""
        self.now += seconds


def wait_for(check, timeout=5.0, interval=0.02):
    """Poll ``check()`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError('still waiting after %.1f s; last value %r' % (timeout, value))
        time.sleep(interval)


def new_pipeline(session, project=SVC, ref='main', **body):
    """``POST /projects/:id/pipeline``; returns the pipeline (asserts 201)."""
    response = session.post(project + '/pipeline', json=dict(body, ref=ref))
    assert response.status_code == 201, response.text
    return response.json()


def jobs_of(session, pipeline, project=SVC, **params):
    """``{name: job}`` of a pipeline's (latest) jobs."""
    response = session.get('%s/pipelines/%d/jobs' % (project, pipeline['id']), params=params)
    assert response.status_code == 200, response.text
    return {job['name']: job for job in response.json()}


def statuses(session, pipeline, project=SVC):
    """``{name: status}`` of a pipeline's jobs, plus the pipeline's own under ``'pipeline'``."""
    found = {name: job['status'] for name, job in jobs_of(session, pipeline, project).items()}
    found['pipeline'] = session.get('%s/pipelines/%d' % (project, pipeline['id'])).json()['status']
    return found


def ci_seed(ci, **project):
    """A small seed: root (admin), dev (Developer), one project ``g/p`` with this ``ci:``."""
    data = {'path': 'g/p', 'ci': ci}
    data.update(project)
    return {'users': [{'username': 'root', 'token': ROOT, 'admin': True}, {'username': 'dev', 'token': DEV}],
            'groups': [{'path': 'g', 'members': {'dev': 'developer'}}],
            'projects': [data]}


def drive(fake):
    """Put ``fake``'s CI clock under the test's control; returns the Clock."""
    found = Clock()
    fake.state.clock = found
    return found


def driven(make_fake, seed):
    """Start a fake from ``seed`` with a hand-driven clock: ``(fake, clock, root Api)``."""
    server = make_fake(seed)
    return server, drive(server), Api(server, ROOT)
