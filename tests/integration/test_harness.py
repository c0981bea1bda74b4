"""The integration harness itself: its secret scanner and result reading must not pass silently."""

import pytest


def test_secret_scanner_catches_a_leak(gitlab):
    gitlab.secret('leaky-value-0001')
    with pytest.raises(AssertionError, match='leaked'):
        gitlab.play_tasks([{'name': 'Print a secret', 'ansible.builtin.debug': {'msg': 'leaky-value-0001'}}])


def test_recorded_results_and_statuses(gitlab):
    run = gitlab.play_tasks([
        {'name': 'Report a change', 'ansible.builtin.debug': {'msg': 'x'}, 'changed_when': True},
        {'name': 'Report ok', 'ansible.builtin.debug': {'msg': 'y'}},
    ]).assert_ok()
    assert run.statuses() == [('Report a change', 'changed'), ('Report ok', 'ok')]
    assert run.task('Report ok')['result']['msg'] == 'y'
