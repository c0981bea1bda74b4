"""Table tests of plugins/module_utils/_access.py (no HTTP)."""

import pytest

from ansible_collections.cicd.gitlab.plugins.module_utils import _access as logic


@pytest.mark.parametrize('value, seconds', [
    (3600, 3600), ('3600', 3600), ('30d', 2592000), ('1w2d', 777600), ('1h30m', 5400), ('1y', 31557600),
    ('soon', None), ('', None), (True, None), ('5x', None),
])
def test_parse_duration(value, seconds):
    assert logic.parse_duration(value) == seconds


def scope(enabled=True, projects=None, groups=None):
    return {'enabled': enabled, 'projects': projects or {}, 'groups': groups or {}}


@pytest.mark.parametrize('current, desired, purge, purge_all, expect', [
    # add only what is missing
    (scope(projects={1: 'a/x'}), {'projects': {1: 'a/x', 2: 'a/y'}}, False, False,
     {'add_projects': [(2, 'a/y')], 'remove_projects': [], 'problems': 0}),
    # without purge nothing is removed
    (scope(projects={1: 'a/x'}), {'projects': {}}, False, False, {'add_projects': [], 'remove_projects': [], 'problems': 0}),
    # purge removes the unlisted ones
    (scope(projects={1: 'a/x', 2: 'a/y'}), {'projects': {2: 'a/y'}}, True, False,
     {'remove_projects': [(1, 'a/x')], 'problems': 0}),
    # purge to empty: refused, unless purge_all
    (scope(projects={1: 'a/x'}), {'projects': {}, 'groups': {}}, True, False, {'problems': 1}),
    (scope(projects={1: 'a/x'}), {'projects': {}, 'groups': {}}, True, True, {'remove_projects': [(1, 'a/x')], 'problems': 0}),
    # a group left over keeps the allowlist non-empty
    (scope(projects={1: 'a/x'}, groups={5: 'g'}), {'projects': {}}, True, False, {'problems': 0}),
    # an already empty allowlist is no purge
    (scope(), {'projects': {}, 'groups': {}}, True, False, {'problems': 0}),
    # the flag
    (scope(enabled=False), {'enabled': True}, False, False, {'enable': True, 'problems': 0}),
    (scope(enabled=True), {'enabled': True}, False, False, {'enable': None, 'problems': 0}),
    # the limit, counted with the entries kept
    (scope(projects={n: 'p%d' % n for n in range(1, 200)}), {'projects': {500: 'x', 501: 'y'}}, False, False, {'problems': 1}),
])
def test_plan_scope(current, desired, purge, purge_all, expect):
    the_plan = logic.plan_scope(current, desired, purge=purge, purge_all=purge_all)
    for key, value in expect.items():
        if key == 'problems':
            assert len(the_plan['problems']) == value, the_plan['problems']
        else:
            assert the_plan[key] == value


def test_apply_plan_and_changed():
    current = scope(projects={1: 'a/x'})
    the_plan = logic.plan_scope(current, {'projects': {2: 'a/y'}}, purge=True)
    assert logic.scope_changed(the_plan)
    assert logic.apply_plan(current, the_plan) == {'enabled': True, 'projects': ['a/y'], 'groups': []}
    assert not logic.scope_changed(logic.plan_scope(current, {'projects': {1: 'a/x'}}))


@pytest.mark.parametrize('url, path', [
    ('https://gitlab.example.com/groups/acme/platform', 'acme/platform'),
    ('https://gitlab.example.com/prefix/groups/acme', 'acme'),
    ('https://gitlab.example.com/acme', None),
    (None, None),
])
def test_group_path_from_url(url, path):
    assert logic.group_path_from_url(url) == path


@pytest.mark.parametrize('current, wanted, changes, unknown', [
    ({'build_timeout': 3600}, {'build_timeout': 3600}, {}, []),
    ({'build_timeout': 3600}, {'build_timeout': 7200}, {'build_timeout': (3600, 7200)}, []),
    ({'ci_config_path': None}, {'ci_config_path': ''}, {}, []),
    ({}, {'ci_restrict_pipeline_cancellation_role': 'no_one'}, {}, ['ci_restrict_pipeline_cancellation_role']),
])
def test_plan_settings(current, wanted, changes, unknown):
    assert logic.plan_settings(current, wanted) == (changes, unknown)


@pytest.mark.parametrize('params, wanted, problems', [
    ({'ci_delete_pipelines_in_seconds': '30d'}, {'ci_delete_pipelines_in_seconds': 2592000}, 0),
    ({'ci_delete_pipelines_in_seconds': '1d'}, {'ci_delete_pipelines_in_seconds': 86400}, 0),
    ({'ci_delete_pipelines_in_seconds': '23h'}, {}, 1),
    ({'build_timeout': '10m'}, {'build_timeout': 600}, 0),
    ({'build_timeout': 2629746}, {}, 1),
    ({'ci_default_git_depth': 0}, {'ci_default_git_depth': 0}, 0),
    ({'ci_default_git_depth': '7'}, {'ci_default_git_depth': 7}, 0),
    ({'ci_default_git_depth': -1}, {}, 1),
    ({'keep_latest_artifact': False}, {'keep_latest_artifact': False}, 0),
    ({'ci_pipeline_variables_minimum_override_role': 'guest'}, {}, 1),
])
def test_normalize_settings(params, wanted, problems):
    got, found = logic.normalize_settings(params)
    assert got == wanted and len(found) == problems


def test_validate_scope_params_accepts_ids_and_paths():
    assert logic.validate_scope_params({'project': 'acme/app', 'allowlist': {'projects': [12, 'acme/x'], 'groups': ['acme']}}) == []


# ---- the client's CI/CD access section against the fake (plugins/module_utils/_client.py) ------------------------

def test_client_job_token_scope_contract():
    from tests.conftest import ROOT_TOKEN  # pylint: disable=import-outside-toplevel
    from tests.fake_gitlab import FakeGitLab  # pylint: disable=import-outside-toplevel
    from ansible_collections.cicd.gitlab.plugins.module_utils._client import GitLabClient  # pylint: disable=import-outside-toplevel
    from ansible_collections.cicd.gitlab.plugins.module_utils._errors import GitLabValidationError  # pylint: disable=import-outside-toplevel

    with FakeGitLab() as fake:
        client = GitLabClient(fake.url, ROOT_TOKEN)
        svc = client.get_project('acme/svc')['id']
        app = client.get_project('acme/app')['id']
        acme = client.get_group('acme')['id']
        assert client.get_job_token_scope('acme/svc') == {'inbound_enabled': True, 'outbound_enabled': False}
        client.set_job_token_scope(svc, False)
        assert client.get_job_token_scope(svc)['inbound_enabled'] is False
        assert client.add_job_token_project(svc, app) == {'source_project_id': svc, 'target_project_id': app}
        assert client.add_job_token_group(svc, acme)['target_group_id'] == acme
        assert [item['id'] for item in client.list_job_token_projects(svc)] == [svc, app]
        assert [logic.group_path_from_url(item['web_url']) for item in client.list_job_token_groups(svc)] == ['acme']
        with pytest.raises(GitLabValidationError) as caught:
            client.add_job_token_project(svc, app)
        assert 'already in the job token scope' in str(caught.value)
        client.remove_job_token_project(svc, app)
        client.remove_job_token_group(svc, acme)
        assert client.list_job_token_groups(svc) == []
        updated = client.update_project_settings(svc, {'build_timeout': 900})
        assert updated['build_timeout'] == 900
