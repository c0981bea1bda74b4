"""Shared constants and helpers of the fidelity tests (tokens of seeds/default.yml, HTTP helpers)."""

import os

import requests

ROOT_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
DEFAULT_SEED = os.path.join(ROOT_DIR, 'tests', 'fake_gitlab', 'seeds', 'default.yml')

# Tokens of seeds/default.yml.
ROOT = 'glpat-root-000000000000'
DEV = 'glpat-dev-0000000000000'
DEV_READONLY = 'glpat-dev-readonly-00000'
DEV_EXPIRED = 'glpat-dev-expired-000000'
DEV_REVOKED = 'glpat-dev-revoked-000000'
OWNER = 'glpat-owner-00000000000'
MAINT = 'glpat-maint-00000000000'
REPORTER = 'glpat-reporter-00000000'
GUEST = 'glpat-guest-00000000000'
OUTSIDER = 'glpat-outsider-00000000'

TIMEOUT = 10


class Api:
    """``requests`` against ``/api/v4`` with one token (or none); paths are relative to /api/v4."""

    def __init__(self, fake, token=ROOT):
        self.base = fake.url + '/api/v4'
        self.session = requests.Session()
        if token:
            self.session.headers['PRIVATE-TOKEN'] = token

    def request(self, method, path, **kwargs):
        """Send one request; ``kwargs`` go to requests."""
        kwargs.setdefault('timeout', TIMEOUT)
        return self.session.request(method, self.base + path, **kwargs)

    def get(self, path, **kwargs):
        """GET."""
        return self.request('GET', path, **kwargs)

    def post(self, path, **kwargs):
        """POST."""
        return self.request('POST', path, **kwargs)

    def put(self, path, **kwargs):
        """PUT."""
        return self.request('PUT', path, **kwargs)

    def delete(self, path, **kwargs):
        """DELETE."""
        return self.request('DELETE', path, **kwargs)


def state_variables(fake, kind, path=None):
    """Variables straight from the server state (values included), independent of the API."""
    state = requests.get(fake.url + '/-/fake/state', timeout=TIMEOUT).json()
    if kind == 'instance':
        return state['instance_variables']
    items = state['projects' if kind == 'project' else 'groups']
    return next(item['variables'] for item in items if item['full_path'] == path)
