"""Fixtures of the in-process module tests (helpers in tests/unit/module_run.py)."""

import pytest

from tests.unit.module_run import Clock


@pytest.fixture
def clock(fake):
    """Virtual time for the fake's CI: pipelines move on only when the test sleeps on it."""
    found = Clock()
    fake.state.clock = found
    return found


@pytest.fixture(autouse=True)
def _no_warnings_from_an_earlier_test():
    """AnsibleModule keeps warn() and deprecate() messages in process-wide stores that a real module process
    never outlives; in-process tests run many modules in one process, so each test starts with them empty."""
    from ansible.module_utils.common import warnings  # pylint: disable=import-outside-toplevel
    for store in (warnings._global_warnings, warnings._global_deprecations):  # pylint: disable=protected-access
        store.clear()
    yield
