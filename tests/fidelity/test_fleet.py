"""What fleet runs need from the fake: a group's projects and rate limiting.

* ``GET /groups/:id/projects``: https://docs.gitlab.com/api/groups/#list-projects (lib/api/groups.rb,
  app/finders/group_projects_finder.rb): ``include_subgroups`` (default false), ``archived``, visibility
  for the caller, offset pagination (lib/gitlab/pagination/offset_pagination.rb).
* Rate limits: https://docs.gitlab.com/administration/settings/user_and_ip_rate_limits/ (lib/gitlab/rack_attack.rb):
  a limit per user per period, ``RateLimit-*`` headers, 429 ``Retry later`` with ``Retry-After``.
"""

import threading
import time

import gitlab
import requests

from tests.fidelity.helpers import DEV, OUTSIDER, ROOT, TIMEOUT, Api


def fleet_seed(count=7, archived=(), other_user=True):
    projects = [{'path': 'fleet/p%02d' % index, 'archived': index in archived} for index in range(count)]
    projects += [{'path': 'fleet/sub/s1'}, {'path': 'fleet/sub/deep/d1'}, {'path': 'elsewhere/x'}]
    return {
        'users': [{'username': 'root', 'token': ROOT, 'admin': True},
                  {'username': 'dev', 'token': DEV}] + ([{'username': 'outsider', 'token': OUTSIDER}] if other_user else []),
        'groups': [{'path': 'fleet', 'members': {'dev': 'maintainer'}}, {'path': 'fleet/sub'}, {'path': 'fleet/sub/deep'},
                   {'path': 'elsewhere'}],
        'projects': projects,
    }


def paths(answer):
    return [item['path_with_namespace'] for item in answer.json()]


def test_group_projects_lists_the_groups_own_projects_newest_first(make_fake):
    fake = make_fake(fleet_seed(count=3))
    answer = Api(fake).get('/groups/fleet/projects')
    assert answer.status_code == 200
    # order_by created_at desc (every seeded project has the same created_at: id desc breaks the tie)
    assert paths(answer) == ['fleet/p02', 'fleet/p01', 'fleet/p00']
    assert answer.headers['X-Total'] == '3' and answer.headers['X-Per-Page'] == '20'
    assert answer.json()[0]['namespace']['full_path'] == 'fleet' and answer.json()[0]['archived'] is False


def test_group_projects_include_subgroups_at_any_depth(make_fake):
    fake = make_fake(fleet_seed(count=2))
    answer = Api(fake).get('/groups/fleet/projects', params={'include_subgroups': 'true', 'order_by': 'path', 'sort': 'asc'})
    assert paths(answer) == ['fleet/sub/deep/d1', 'fleet/p00', 'fleet/p01', 'fleet/sub/s1']   # by path: d1, p00, p01, s1
    assert 'elsewhere/x' not in paths(answer)
    only_sub = Api(fake).get('/groups/fleet%2Fsub/projects', params={'include_subgroups': True})
    assert sorted(paths(only_sub)) == ['fleet/sub/deep/d1', 'fleet/sub/s1']


def test_group_projects_archived_filter(make_fake):
    fake = make_fake(fleet_seed(count=4, archived=(1, 3)))
    api = Api(fake)
    assert sorted(paths(api.get('/groups/fleet/projects', params={'archived': 'false'}))) == ['fleet/p00', 'fleet/p02']
    archived = api.get('/groups/fleet/projects', params={'archived': 'true'})
    assert sorted(paths(archived)) == ['fleet/p01', 'fleet/p03'] and all(p['archived'] for p in archived.json())
    assert len(api.get('/groups/fleet/projects').json()) == 4   # left out: both


def test_group_projects_paginate_as_gitlab_does(make_fake):
    fake = make_fake(fleet_seed(count=250))
    api = Api(fake)
    first = api.get('/groups/fleet/projects', params={'per_page': 100})
    assert len(first.json()) == 100 and first.headers['X-Next-Page'] == '2' and first.headers['X-Total-Pages'] == '3'
    assert 'rel="next"' in first.headers['Link']
    last = api.get('/groups/fleet/projects', params={'per_page': 100, 'page': 3})
    assert len(last.json()) == 50 and last.headers['X-Next-Page'] == ''
    # python-gitlab as a second opinion: every page, no duplicates
    client = gitlab.Gitlab(fake.url, private_token=ROOT)
    listed = client.groups.get('fleet').projects.list(get_all=True, per_page=100)
    assert len({p.path_with_namespace for p in listed}) == 250


def test_group_projects_only_what_the_caller_can_read(make_fake):
    fake = make_fake(fleet_seed(count=2))
    assert Api(fake, OUTSIDER).get('/groups/fleet/projects').status_code == 404   # the group is private to them
    assert len(Api(fake, DEV).get('/groups/fleet/projects').json()) == 2
    assert Api(fake).get('/groups/nope/projects').json() == {'message': '404 Group Not Found'}
    assert Api(fake).get('/groups/fleet/projects', params={'order_by': 'bogus'}).status_code == 400


# ---- rate limiting ------------------------------------------------------------------------------


def limited_seed(**rate_limit):
    seed = fleet_seed(count=1)
    seed['rate_limit'] = dict({'limit': 5, 'period': 60}, **rate_limit)
    return seed


def test_rate_limit_headers_count_down_then_429_with_retry_after(make_fake):
    fake = make_fake(limited_seed())
    api = Api(fake)
    answers = [api.get('/groups/fleet/projects') for dummy in range(6)]
    assert [a.status_code for a in answers] == [200] * 5 + [429]
    assert [a.headers['RateLimit-Remaining'] for a in answers[:5]] == ['4', '3', '2', '1', '0']
    assert [a.headers['RateLimit-Observed'] for a in answers[:5]] == ['1', '2', '3', '4', '5']
    throttled = answers[5]
    assert throttled.text == 'Retry later\n' and throttled.headers['Content-Type'].startswith('text/plain')
    reset = int(throttled.headers['RateLimit-Reset'])
    assert reset % 60 == 0 and 0 < reset - time.time() <= 60          # the end of the fixed window
    assert 1 <= int(throttled.headers['Retry-After']) <= 60
    assert throttled.headers['RateLimit-Limit'] == '5' and 'GMT' in throttled.headers['RateLimit-ResetTime']
    # the throttled request never reached the API: no user in the journal
    assert fake.journal[-1]['status'] == 429 and fake.journal[-1]['user'] is None


def test_rate_limit_is_per_user(make_fake):
    fake = make_fake(limited_seed(limit=2))
    assert [Api(fake, ROOT).get('/user').status_code for dummy in range(3)] == [200, 200, 429]
    assert Api(fake, DEV).get('/user').status_code == 200


def test_rate_limit_headers_can_be_left_out(make_fake):
    fake = make_fake(limited_seed(limit=1, headers=False))
    api = Api(fake)
    ok, throttled = api.get('/user'), api.get('/user')
    assert 'RateLimit-Remaining' not in ok.headers
    assert throttled.status_code == 429 and 'RateLimit-Reset' not in throttled.headers and 'Retry-After' in throttled.headers
    fake.rate_limits.configure(limit=1, headers=False, retry_after=False)
    api.get('/user')
    assert 'Retry-After' not in api.get('/user').headers


def test_rate_limit_holds_under_concurrent_requests(make_fake):
    fake = make_fake(limited_seed(limit=40, period=3600))
    statuses = []
    lock = threading.Lock()

    def worker():
        with requests.Session() as session:
            for dummy in range(10):
                answer = session.get(fake.api_url + '/user', headers={'PRIVATE-TOKEN': ROOT}, timeout=TIMEOUT)
                with lock:
                    statuses.append(answer.status_code)

    threads = [threading.Thread(target=worker) for dummy in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses.count(200) == 40 and statuses.count(429) == 40
    assert fake.rate_limits.throttled == 40


def test_rate_limit_resets_with_the_fake(make_fake):
    fake = make_fake(limited_seed(limit=1))
    api = Api(fake)
    assert [api.get('/user').status_code for dummy in range(2)] == [200, 429]
    fake.reset()
    assert api.get('/user').status_code == 200
    fake.rate_limits.configure(0)
    assert all(api.get('/user').status_code == 200 for dummy in range(3))
