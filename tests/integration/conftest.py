"""Fixtures for the integration tests: a GitLab target to run real ansible-playbook against.

By default every test gets a fresh bundled fake GitLab (tests/fake_gitlab, default seed).
With GITLAB_URL, GITLAB_TOKEN and GITLAB_TEST_PROJECT (a scratch project whose CI/CD settings the
tests may change and delete) set, the same tests run against that GitLab; tests marked
``fake_only`` (fault injection, journal, seeded users) are skipped there. GITLAB_TEST_GROUP
names a scratch group for the group-level tests (skipped when unset).
"""

import os

import pytest

from tests.conftest import DEFAULT_SEED, ROOT_TOKEN
from tests.integration.harness import Target

REAL = bool(os.environ.get('GITLAB_URL') and os.environ.get('GITLAB_TOKEN') and os.environ.get('GITLAB_TEST_PROJECT'))


def pytest_collection_modifyitems(config, items):  # pylint: disable=unused-argument
    if not REAL:
        return
    skip = pytest.mark.skip(reason='needs the bundled fake GitLab')
    for item in items:
        if 'fake_only' in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def gitlab(tmp_path):
    """A Target: the fake (fresh per test) or the real GitLab from the environment."""
    if REAL:
        yield Target(os.environ['GITLAB_URL'].rstrip('/'), os.environ['GITLAB_TOKEN'],
                     os.environ['GITLAB_TEST_PROJECT'], os.environ.get('GITLAB_TEST_GROUP'), workdir=str(tmp_path))
        return
    from tests.fake_gitlab import FakeGitLab  # pylint: disable=import-outside-toplevel
    with FakeGitLab(seed=DEFAULT_SEED) as fake:
        yield Target(fake.url, ROOT_TOKEN, 'acme/app', 'acme', fake=fake, workdir=str(tmp_path))
