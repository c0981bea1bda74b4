"""Fixtures of the reliability suite: the bundled fake GitLab only (fault injection, journal, state).

``gitlab`` is a ``tests.integration.harness.Target`` on a fresh fake (default seed), like the
integration tests' fixture but never a real GitLab; ``new_target`` starts more of them (parallel
runs, HTTPS). Every playbook output is scanned for secrets by the harness.
"""

import pytest
import requests

from tests.conftest import DEFAULT_SEED, ROOT_TOKEN
from tests.fake_gitlab import FakeGitLab
from tests.integration.harness import Target
from tests.reliability.helpers import TIMEOUT


class TlsTarget(Target):
    """A Target whose own requests to the fake (state, journal, faults, API) trust ``verify``."""

    def __init__(self, *args, verify=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.verify = verify

    def api(self, method, path, token=None, **kwargs):
        headers = {'PRIVATE-TOKEN': token or self.token}
        return requests.request(method, self.url + '/api/v4/' + path.lstrip('/'), headers=headers, timeout=30, verify=self.verify, **kwargs)

    def journal(self):
        return requests.get(self.url + '/-/fake/journal', timeout=TIMEOUT, verify=self.verify).json()

    def clear_journal(self):
        requests.delete(self.url + '/-/fake/journal', timeout=TIMEOUT, verify=self.verify)

    def state(self):
        return requests.get(self.url + '/-/fake/state', timeout=TIMEOUT, verify=self.verify).json()

    def add_fault(self, **rule):
        response = requests.post(self.url + '/-/fake/faults', json=rule, timeout=TIMEOUT, verify=self.verify)
        assert response.status_code < 300, response.text


@pytest.fixture
def new_target(tmp_path):
    """``new_target(name, tls=None)`` -> a Target on a new fake (``tls``: ``(cert, key)``); all stopped afterwards."""
    started = []

    def start(name='fake', tls=None):
        workdir = tmp_path / name
        workdir.mkdir()
        if tls:
            fake = FakeGitLab(seed=DEFAULT_SEED, tls_cert=tls[0], tls_key=tls[1]).start()
            started.append(fake)
            return TlsTarget(fake.url, ROOT_TOKEN, 'acme/app', 'acme', fake=fake, workdir=str(workdir), verify=tls[0])
        fake = FakeGitLab(seed=DEFAULT_SEED).start()
        started.append(fake)
        return Target(fake.url, ROOT_TOKEN, 'acme/app', 'acme', fake=fake, workdir=str(workdir))

    yield start
    for fake in started:
        fake.stop()


@pytest.fixture
def gitlab(new_target):
    """One Target on a fresh fake GitLab."""
    return new_target('main')
