"""A fake GitLab REST API v4 server for tests, faithful to GitLab's source (https://docs.gitlab.com/api/rest/).

    from tests.fake_gitlab import FakeGitLab
    with FakeGitLab(seed='tests/fake_gitlab/seeds/default.yml') as fake:
        requests.get(fake.url + '/api/v4/version', headers={'PRIVATE-TOKEN': 'glpat-root-000000000000'})

Or from a shell: ``python -m tests.fake_gitlab --port 0 --seed FILE`` (prints ``URL=...``).
Module map: server.py (FakeGitLab, pipeline), transport.py (HTTP/1.1), request.py, router.py,
params.py (Grape params), auth.py, access.py (project/group lookup), errors.py, pagination.py,
faults.py, storage.py (object storage), state.py (model, seed format), entities.py, core.py,
variables.py, triggers.py, ci.py (pipeline and job state machine, ``ci:`` seed format), pipelines.py,
jobs.py, artifacts.py, control.py (/-/fake/*), routes.py (the list of resource modules).
"""

from .server import FakeGitLab

__all__ = ['FakeGitLab']
