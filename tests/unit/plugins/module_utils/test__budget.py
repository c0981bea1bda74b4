"""RateBudget (plugins/module_utils/_budget.py): pure tables with a fake clock, then the client with a
budget against the fake's rate limiting (tests/fake_gitlab/ratelimit.py) and the fleet's client section
(``list_group_projects``)."""

import threading
import time

import pytest

from ansible_collections.cicd.gitlab.plugins.module_utils._budget import RESET_MARGIN, RateBudget
from ansible_collections.cicd.gitlab.plugins.module_utils._client import GitLabClient
from ansible_collections.cicd.gitlab.plugins.module_utils._errors import GitLabDeadlineError

from tests.conftest import ROOT_TOKEN
from tests.fake_gitlab import FakeGitLab


class Clock:
    """monotonic and epoch clocks that only move when the budget sleeps."""

    def __init__(self, epoch=1000000.0):
        self.now = 0.0
        self.epoch = epoch
        self.slept = []

    def monotonic(self):
        return self.now

    def clock(self):
        return self.epoch + self.now

    def sleep(self, seconds):
        self.slept.append(round(seconds, 6))
        self.now += seconds


def budget(clock, **kwargs):
    return RateBudget(sleep=clock.sleep, monotonic=clock.monotonic, clock=clock.clock, **kwargs)


def test_no_limit_and_no_headers_never_waits():
    clock = Clock()
    shared = budget(clock)
    assert [shared.acquire() for dummy in range(100)] == [0.0] * 100
    shared.observe({'Content-Type': 'application/json'})
    assert shared.acquire() == 0.0 and clock.slept == []
    assert shared.stats() == {'requests': 101, 'pauses': 0, 'waited': 0.0}


@pytest.mark.parametrize('per_minute, count, expected_total', [
    (60, 5, 4.0),        # 1 s apart: the first goes at once
    (600, 11, 1.0),      # 0.1 s apart
    (2000, 2001, 60.0),  # 2,000 per minute: 2,001 requests take one minute
])
def test_max_requests_per_minute_spaces_requests_evenly(per_minute, count, expected_total):
    clock = Clock()
    shared = budget(clock, max_requests_per_minute=per_minute)
    for dummy in range(count):
        shared.acquire()
    assert clock.now == pytest.approx(expected_total)


def test_remaining_counts_down_locally_then_waits_for_the_reset():
    clock = Clock()
    shared = budget(clock)
    shared.observe({'RateLimit-Remaining': '3', 'RateLimit-Reset': str(clock.epoch + 30)})
    assert [shared.acquire() for dummy in range(3)] == [0.0, 0.0, 0.0]
    waited = shared.acquire()      # the fourth: the window is used up
    assert waited == pytest.approx(30 + RESET_MARGIN)
    assert shared.acquire() == 0.0  # a new window: unknown until GitLab says


def test_remaining_takes_the_lowest_count_of_one_window_and_ignores_older_windows():
    clock = Clock()
    shared = budget(clock)
    reset = clock.epoch + 10
    shared.observe({'RateLimit-Remaining': '5', 'RateLimit-Reset': str(reset)})
    shared.observe({'RateLimit-Remaining': '1', 'RateLimit-Reset': str(reset)})
    shared.observe({'RateLimit-Remaining': '4', 'RateLimit-Reset': str(reset)})   # overtaken by a later answer
    shared.observe({'RateLimit-Remaining': '9', 'RateLimit-Reset': str(reset - 60)})   # an older window
    assert shared.acquire() == 0.0
    assert shared.acquire() == pytest.approx(10 + RESET_MARGIN)


@pytest.mark.parametrize('headers', [
    {'RateLimit-Remaining': 'x', 'RateLimit-Reset': '1'},
    {'RateLimit-Remaining': '0'},
    {'RateLimit-Reset': '99999999999'},
    {},
])
def test_incomplete_or_garbled_headers_are_ignored(headers):
    clock = Clock()
    shared = budget(clock)
    shared.observe(headers)
    assert [shared.acquire() for dummy in range(3)] == [0.0] * 3


def test_a_429_pause_holds_every_worker_and_the_longest_pause_wins():
    clock = Clock()
    shared = budget(clock)
    shared.pause(5)
    shared.pause(2)
    assert shared.acquire() == pytest.approx(5)
    assert shared.acquire() == 0.0
    shared.pause(None)   # GitLab did not say: 1 s
    assert shared.acquire() == pytest.approx(1)
    assert shared.stats()['pauses'] == 3


def test_a_wait_past_the_deadline_is_not_started():
    clock = Clock()
    shared = budget(clock)
    shared.pause(10)
    assert shared.acquire(deadline_left=3) is None
    assert clock.slept == []


def test_threads_share_the_spacing():
    shared = RateBudget(max_requests_per_minute=6000)   # 10 ms apart, real clock
    start = time.monotonic()
    threads = [threading.Thread(target=lambda: [shared.acquire() for dummy in range(10)]) for dummy in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert time.monotonic() - start >= 0.38   # 40 requests, 39 gaps of 10 ms, whatever the threads
    assert shared.stats()['requests'] == 40


# ---- the client with a budget, against the fake ----------------------------------------------------

SEED = {
    'users': [{'username': 'root', 'token': ROOT_TOKEN, 'admin': True}],
    'groups': [{'path': 'fleet'}, {'path': 'fleet/sub'}],
    'projects': [{'path': 'fleet/p%03d' % index, 'archived': index % 10 == 0} for index in range(230)]
    + [{'path': 'fleet/sub/s'}],
}


@pytest.fixture
def fleet_fake():
    with FakeGitLab(seed=SEED) as server:
        yield server


def test_client_without_budget_is_unchanged(fleet_fake):
    client = GitLabClient(fleet_fake.url, token=ROOT_TOKEN)
    assert client.budget is None
    assert client.get('user')['username'] == 'root'


def test_list_group_projects_reads_every_page_and_filters(fleet_fake):
    client = GitLabClient(fleet_fake.url, token=ROOT_TOKEN)
    fleet_fake.clear_journal()
    listed = client.list_group_projects('fleet', archived=False)
    assert len(listed) == 207 and len(fleet_fake.journal) == 3
    assert fleet_fake.journal[0]['query']['archived'] == 'false' and fleet_fake.journal[0]['query']['per_page'] == '100'
    assert [p['id'] for p in listed] == sorted(p['id'] for p in listed)
    everything = client.list_group_projects('fleet', include_subgroups=True)
    assert len(everything) == 231 and 'fleet/sub/s' in {p['path_with_namespace'] for p in everything}


def test_client_paces_from_remaining_and_never_sees_429(fleet_fake):
    fleet_fake.rate_limits.configure(limit=20, period=1)
    shared = RateBudget()
    client = GitLabClient(fleet_fake.url, token=ROOT_TOKEN, budget=shared)
    # align on a window start so the test does not straddle more resets than it expects
    time.sleep(1 - time.time() % 1)
    for dummy in range(45):
        client.get('user')
    assert fleet_fake.rate_limits.throttled == 0
    assert [e['status'] for e in fleet_fake.journal].count(429) == 0
    assert shared.stats()['waited'] > 0


def test_client_429_pauses_every_thread_then_all_succeed(fleet_fake):
    fleet_fake.rate_limits.configure(limit=10, period=1, headers=False)   # headers left out: only Retry-After
    shared = RateBudget()
    client = GitLabClient(fleet_fake.url, token=ROOT_TOKEN, budget=shared, retries=10)
    results = []

    def worker():
        for dummy in range(5):
            results.append(client.get('user')['username'])

    threads = [threading.Thread(target=worker) for dummy in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ['root'] * 30
    assert shared.stats()['pauses'] >= 1


def test_client_max_requests_per_minute_without_headers(fleet_fake):
    fleet_fake.rate_limits.configure(limit=10, period=60, headers=False, retry_after=False)
    client = GitLabClient(fleet_fake.url, token=ROOT_TOKEN, budget=RateBudget(max_requests_per_minute=600))
    start = time.monotonic()
    for dummy in range(10):
        client.get('user')
    assert time.monotonic() - start >= 0.85 and fleet_fake.rate_limits.throttled == 0


def test_client_budget_wait_past_the_deadline_fails_before_sending(fleet_fake):
    shared = RateBudget()
    shared.pause(30)
    client = GitLabClient(fleet_fake.url, token=ROOT_TOKEN, budget=shared)
    client.set_deadline(2, 'task_timeout=2')
    fleet_fake.clear_journal()
    with pytest.raises(GitLabDeadlineError) as caught:
        client.get('user')
    assert 'task_timeout=2' in str(caught.value) and fleet_fake.journal == []
