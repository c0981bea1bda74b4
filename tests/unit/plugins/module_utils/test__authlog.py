"""_authlog: the job token authentication log's nodes to allowlist entries (tables, no HTTP).

GitLab's rule (app/models/ci/job_token/authorizations_compactor.rb ``path_already_allowlisted?``): an origin project
already on the allowlist, or inside an allowlisted group, is not added again.
"""

import pytest

from ansible_collections.cicd.gitlab.plugins.module_utils import _authlog as logic


def node(key, path, when='2025-06-02T10:00:00Z'):
    return {'lastAuthorizedAt': when, 'originProject': {'id': 'gid://gitlab/Project/%s' % key, 'fullPath': path}}


@pytest.mark.parametrize('value, expected', [
    ('gid://gitlab/Project/26', 26),
    ('gid://gitlab/Project/0', None),
    ('gid://gitlab/Group/26', None),
    ('gid://gitlab/Project/26/x', None),
    ('26', None),
    (26, None),
    (None, None),
])
def test_project_id_from_gid(value, expected):
    assert logic.project_id_from_gid(value) == expected


@pytest.mark.parametrize('nodes, entries, problems', [
    ([], [], 0),
    (None, [], 0),
    ([node(2, 'b/x'), node(1, 'a/y')], [(1, 'a/y'), (2, 'b/x')], 0),                      # sorted by path
    ([node(2, 'b/x', '2025-01-01T00:00:00Z'), node(2, 'b/x', '2025-03-01T00:00:00Z')], [(2, 'b/x')], 0),
    ([node(9, 'self/project')], [], 0),                                                    # the project itself
    ([{'lastAuthorizedAt': 'x'}], [], 1),                                                  # no originProject
    ([node('abc', 'a/b')], [], 1),                                                         # not a project gid
    ([node(3, '')], [], 1),
    ([node(3, 'a/../b')], [], 1),
    (['junk', node(4, 'a/b')], [(4, 'a/b')], 1),
])
def test_parse_nodes(nodes, entries, problems):
    found, trouble = logic.parse_nodes(nodes, project_id=9)
    assert [(entry['id'], entry['path']) for entry in found] == entries
    assert len(trouble) == problems


def test_parse_keeps_the_latest_time():
    found, _problems = logic.parse_nodes([node(2, 'b/x', '2025-03-01T00:00:00Z'), node(2, 'b/x', '2025-01-01T00:00:00Z')])
    assert found[0]['last_authorized_at'] == '2025-03-01T00:00:00Z'


@pytest.mark.parametrize('path, groups, expected', [
    ('acme/app', ['acme'], 'acme'),
    ('acme/sub/app', ['acme/sub'], 'acme/sub'),
    ('ACME/App', ['acme'], 'acme'),
    ('acme-tools/app', ['acme'], None),       # a prefix of the name is not a parent
    ('acme/app', ['acme/app'], None),          # a group named like the project does not hold it
    ('acme/sub/app', ['acme/sub', 'acme'], 'acme'),
    ('x/app', [], None),
])
def test_covering_group(path, groups, expected):
    assert logic.covering_group(path, groups) == expected


CURRENT = {'enabled': False, 'projects': {10: 'a/listed'}, 'groups': {20: 'grp'}}
LOG = [{'id': 10, 'path': 'a/listed', 'last_authorized_at': 't1'},
       {'id': 11, 'path': 'grp/sub/in-group', 'last_authorized_at': 't2'},
       {'id': 12, 'path': 'b/new', 'last_authorized_at': 't3'}]


@pytest.mark.parametrize('desired, purge, outcomes', [
    ({'projects': None, 'groups': None}, False, ['listed', 'covered', 'added']),
    ({'projects': {12: 'b/new'}, 'groups': None}, False, ['listed', 'covered', 'listed']),
    # the group is purged in the same run: it no longer covers the project, so the project is added
    ({'projects': None, 'groups': {}}, True, ['listed', 'added', 'added']),
    # without purge, the group stays (entries not listed are kept)
    ({'projects': None, 'groups': {}}, False, ['listed', 'covered', 'added']),
    ({'projects': None, 'groups': {21: 'b'}}, True, ['listed', 'added', 'covered']),
])
def test_classify(desired, purge, outcomes):
    assert [outcome for _e, outcome, _g in logic.classify(LOG, CURRENT, desired, purge)] == outcomes


@pytest.mark.parametrize('desired, unreadable, projects, outcomes', [
    # the allowlist gives no projects: the current ones stay and the new one joins them
    ({'projects': None, 'groups': None}, (), {10: 'a/listed', 12: 'b/new'}, ['listed', 'covered', 'added']),
    # a purge that lists nothing keeps the log's listed project too
    ({'projects': {}, 'groups': None}, (), {10: 'a/listed', 12: 'b/new'}, ['listed', 'covered', 'added']),
    ({'projects': {}, 'groups': None}, (12,), {10: 'a/listed'}, ['listed', 'covered', 'unreadable']),
    ({'projects': {30: 'c/mine'}, 'groups': None}, (), {30: 'c/mine', 10: 'a/listed', 12: 'b/new'}, ['listed', 'covered', 'added']),
])
def test_merge(desired, unreadable, projects, outcomes):
    classified = logic.classify(LOG, CURRENT, desired)
    merged, imported = logic.merge(classified, CURRENT, desired, set(unreadable))
    assert merged == projects
    assert [item['outcome'] for item in imported] == outcomes
    assert imported[1]['group'] == 'grp' and 'group' not in imported[0]
    assert imported[2] == {'project': 'b/new', 'id': 12, 'last_authorized_at': 't3', 'outcome': outcomes[2]}


def test_unreadable_warning():
    assert logic.unreadable_warning([{'project': 'a/b', 'outcome': 'added'}]) is None
    text = logic.unreadable_warning([{'project': 'a/b', 'outcome': 'unreadable'}, {'project': 'c/d', 'outcome': 'unreadable'}])
    assert 'a/b, c/d' in text and 'Guest' in text
