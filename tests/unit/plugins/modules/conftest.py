"""Fixtures of the in-process module tests (helpers in tests/unit/module_run.py)."""

import pytest

from tests.unit.module_run import Clock


@pytest.fixture
def clock(fake):
    """Virtual time for the fake's CI: pipelines move on only when the test sleeps on it."""
    found = Clock()
    fake.state.clock = found
    return found
