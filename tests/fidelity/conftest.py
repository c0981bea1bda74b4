"""Fixtures for the fidelity tests: a fresh fake GitLab per test.

The tests hold the fake to GitLab's documented and source behaviour (https://docs.gitlab.com/api/rest/) with plain ``requests`` for
exact status codes and bodies, and with python-gitlab as an independent second client.
"""

import pytest

from tests.fake_gitlab import FakeGitLab
from tests.fake_gitlab.state import load_seed_data
from tests.fidelity.helpers import DEFAULT_SEED, ROOT, Api


@pytest.fixture(scope='session')
def default_seed():
    """seeds/default.yml, parsed once (every fake gets its own deep copy)."""
    return load_seed_data(DEFAULT_SEED)


@pytest.fixture
def fake(default_seed):
    """A fresh fake GitLab from seeds/default.yml, stopped after the test."""
    with FakeGitLab(seed=default_seed) as server:
        yield server


@pytest.fixture
def make_fake():
    """Start a fake with a custom seed dict: ``make_fake({...})``; all are stopped afterwards."""
    started = []

    def start(seed):
        server = FakeGitLab(seed=seed).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def api(fake):
    """``api(token=ROOT)`` -> an ``Api`` on the ``fake`` fixture."""
    def build(token=ROOT):
        return Api(fake, token)
    return build
