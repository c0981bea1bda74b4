"""pytest setup shared by every test directory.

Plain pytest cannot import ``ansible_collections.cicd.gitlab`` from a checkout whose folder is
not laid out as ``ansible_collections/cicd/gitlab``; this builds such a tree in a temporary
folder (a symlink to the checkout) and puts it on ``sys.path``. It does nothing when the
checkout already sits in such a tree. ansible-test has the same need: it runs only from a path
that ends in ``ansible_collections/NAMESPACE/NAME``
(https://docs.ansible.com/ansible/latest/dev_guide/testing_running_locally.html), which is why
tools/sanity.sh copies the checkout into such a tree.
"""

import atexit
import os
import shutil
import sys
import tempfile

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))


def _collection_tree():
    with open(os.path.join(ROOT, 'galaxy.yml'), encoding='utf-8') as handle:
        meta = yaml.safe_load(handle)
    namespace, name = meta['namespace'], meta['name']
    if ROOT.split(os.sep)[-3:] == ['ansible_collections', namespace, name]:
        return os.path.dirname(os.path.dirname(os.path.dirname(ROOT)))
    base = tempfile.mkdtemp(prefix='cicd-gitlab-coll-')
    atexit.register(shutil.rmtree, base, True)
    os.makedirs(os.path.join(base, 'ansible_collections', namespace))
    os.symlink(ROOT, os.path.join(base, 'ansible_collections', namespace, name))
    return base


COLLECTIONS_PATH = _collection_tree()
if COLLECTIONS_PATH not in sys.path:
    sys.path.insert(0, COLLECTIONS_PATH)


# ---- the fake GitLab, shared by every test level ----------------------------------------------

import pytest  # noqa: E402  (after the sys.path set-up above)

DEFAULT_SEED = os.path.join(ROOT, 'tests', 'fake_gitlab', 'seeds', 'default.yml')
ROOT_TOKEN = 'glpat-root-000000000000'
DEV_TOKEN = 'glpat-dev-0000000000000'


@pytest.fixture
def fake():
    """A fresh fake GitLab (default seed) on 127.0.0.1, in a thread, for one test."""
    from tests.fake_gitlab import FakeGitLab
    with FakeGitLab(seed=DEFAULT_SEED) as server:
        yield server
