"""Shared fixtures of the lookup tests: the plugins loaded through ansible-core's own plugin loader.

``init_plugin_loader`` installs ansible's collection finder for the temporary collection tree of
tests/conftest.py, so ``lookup_loader.get('cicd.gitlab.ci_variable')`` loads the plugin with its
DOCUMENTATION-defined options (env fallbacks included) exactly as ansible-playbook does.
"""

import importlib
import sys

import pytest

from tests.conftest import COLLECTIONS_PATH
from tests.unit.module_run import Clock

# ansible-core 2.19 and later: importing the controller side (ansible._internal, which ansible.errors and the
# plugin loader import) sets ansible.module_utils._internal.is_controller to True for the whole process, and
# modules run in-process then route their warnings to the controller's display instead of their result, which
# breaks the module tests collected in the same session. The flag is put back at once, and set only while a
# lookup test runs (where the controller side is the truth).
try:
    from ansible.module_utils import _internal as _module_internal
except ImportError:  # ansible-core < 2.19 has no such flag
    _module_internal = None
_BEFORE = getattr(_module_internal, 'is_controller', None)
importlib.import_module('ansible.errors')
if _module_internal is not None:
    _module_internal.is_controller = _BEFORE


@pytest.fixture(autouse=True)
def controller_side():
    if _module_internal is None:
        yield
        return
    saved = _module_internal.is_controller
    _module_internal.is_controller = True
    try:
        yield
    finally:
        _module_internal.is_controller = saved


@pytest.fixture(scope='session')
def lookup_loader():
    from ansible.plugins.loader import init_plugin_loader, lookup_loader as loader  # pylint: disable=import-outside-toplevel
    init_plugin_loader([COLLECTIONS_PATH])
    # Other tests imported the collection as plain packages already; its packages must come from
    # ansible's finder (which reads meta/runtime.yml into the collection's package).
    # Only packages go (ansible's finder gives each one path); modules stay, so classes keep their identity.
    if getattr(sys.modules.get('ansible_collections.cicd.gitlab'), '_collection_meta', None) is None:
        for name in [name for name, module in sys.modules.items()
                     if (name == 'ansible_collections' or name.startswith('ansible_collections.')) and hasattr(module, '__path__')]:
            sys.modules.pop(name)
    return loader


@pytest.fixture
def clean_env(monkeypatch):
    for name in ('GITLAB_URL', 'CI_SERVER_URL', 'GITLAB_TOKEN', 'CI_JOB_TOKEN'):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.fixture
def clock(fake):
    found = Clock()
    fake.state.clock = found
    return found
