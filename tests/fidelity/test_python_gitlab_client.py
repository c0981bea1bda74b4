"""A second opinion: python-gitlab, written against real GitLab, drives the fake.

If python-gitlab can use the fake the way it uses GitLab (URLs, encodings, pagination, error
classes and response codes, retry headers), the fake speaks GitLab.
"""

import gitlab
import pytest

from tests.fidelity.helpers import DEV, OWNER, REPORTER, ROOT, state_variables


def client(fake, token=ROOT, **kwargs):
    return gitlab.Gitlab(fake.url, private_token=token, **kwargs)


def test_project_variables_crud(fake):
    project = client(fake).projects.get('acme/app')
    assert project.id == 1 and project.path_with_namespace == 'acme/app'
    created = project.variables.create({'key': 'A', 'value': 'v1', 'protected': True, 'environment_scope': 'production'})
    assert (created.key, created.value, created.protected, created.environment_scope) == ('A', 'v1', True, 'production')
    fetched = project.variables.get('A')
    fetched.value = 'v2'
    fetched.save()
    assert state_variables(fake, 'project', 'acme/app')[0]['value'] == 'v2'
    project.variables.update('A', {'description': 'via update'})
    assert [v.description for v in project.variables.list(get_all=True)] == ['via update']
    project.variables.delete('A')
    assert project.variables.list(get_all=True) == []
    paths = {entry['path'] for entry in fake.journal}
    assert '/api/v4/projects/acme%2Fapp' in paths and '/api/v4/projects/1/variables/A' in paths


def test_filter_parameter_as_python_gitlab_sends_it(fake):
    project = client(fake).projects.get(1, lazy=True)
    for scope in ('production', 'staging'):
        project.variables.create({'key': 'DB', 'value': scope, 'environment_scope': scope})
    with pytest.raises(gitlab.GitlabGetError) as info:
        project.variables.get('DB')
    assert info.value.response_code == 409
    assert "Please use 'filter[environment_scope]'" in info.value.error_message
    assert project.variables.get('DB', filter={'environment_scope': 'staging'}).value == 'staging'
    project.variables.delete('DB', filter={'environment_scope': 'staging'})
    assert project.variables.get('DB').environment_scope == 'production'


def test_error_classes_and_codes(fake):
    project = client(fake).projects.get('acme/app', lazy=True)
    project.variables.create({'key': 'DUP', 'value': 'v'})
    with pytest.raises(gitlab.GitlabCreateError) as info:
        project.variables.create({'key': 'DUP', 'value': 'v'})
    assert info.value.response_code == 400
    assert info.value.error_message == {'key': ['(DUP) has already been taken']}
    with pytest.raises(gitlab.GitlabGetError) as info:
        project.variables.get('NOPE')
    assert (info.value.response_code, info.value.error_message) == (404, '404 Variable Not Found')
    with pytest.raises(gitlab.GitlabListError) as info:
        client(fake, REPORTER).projects.get('acme/app', lazy=True).variables.list()
    assert (info.value.response_code, info.value.error_message) == (403, '403 Forbidden')
    with pytest.raises(gitlab.GitlabGetError) as info:
        client(fake, DEV).projects.get('root/vault')
    assert (info.value.response_code, info.value.error_message) == (404, '404 Project Not Found')
    with pytest.raises(gitlab.GitlabAuthenticationError) as info:
        client(fake, 'glpat-wrong').auth()
    assert info.value.response_code == 401


def test_auth_reads_the_current_user(fake):
    gl = client(fake, DEV)
    gl.auth()
    assert gl.user.username == 'dev'
    assert gl.version()[0] == '18.2.1-ee'


def test_get_all_follows_links_over_many_pages(fake):
    project = client(fake).projects.get('acme/app', lazy=True)
    for index in range(250):
        project.variables.create({'key': 'V%03d' % index, 'value': str(index)})
    fake.clear_journal()
    keys = [v.key for v in project.variables.list(get_all=True, per_page=100)]
    assert keys == ['V%03d' % index for index in range(250)]
    # The next pages come from the Link header: GitLab's query, rebuilt with the route's id.
    assert [e['query'] for e in fake.journal] == [{'per_page': '100'}, {'id': 'acme/app', 'page': '2', 'per_page': '100'},
                                                  {'id': 'acme/app', 'page': '3', 'per_page': '100'}]
    assert len(project.variables.list(get_all=True)) == 250      # python-gitlab's own default page size
    lazy = project.variables.list(iterator=True, per_page=40)
    assert (lazy.total, lazy.total_pages, len(list(lazy))) == (250, 7, 250)


def test_group_variables(fake):
    group = client(fake, OWNER).groups.get('acme')
    assert group.full_path == 'acme'
    group.variables.create({'key': 'G', 'value': 'hunter2-hunter2', 'masked_and_hidden': True})
    fetched = group.variables.get('G')
    assert (fetched.value, fetched.hidden, fetched.masked) == (None, True, True)
    with pytest.raises(gitlab.GitlabGetError) as info:
        group.variables.get('NOPE')
    assert (info.value.response_code, info.value.error_message) == (404, '404 GroupVariable Not Found')
    with pytest.raises(gitlab.GitlabUpdateError) as info:
        group.variables.update('G', {'masked': False})
    assert info.value.response_code == 400


def test_instance_variables(fake):
    gl = client(fake)
    gl.variables.create({'key': 'I', 'value': 'v'})
    assert [(v.key, v.value) for v in gl.variables.list(get_all=True)] == [('I', 'v')]
    assert not hasattr(gl.variables.get('I'), 'environment_scope')
    with pytest.raises(gitlab.GitlabGetError) as info:
        gl.variables.get('NOPE')
    assert (info.value.response_code, info.value.error_message) == (404, '404 InstanceVariable Not Found')
    with pytest.raises(gitlab.GitlabListError) as info:
        client(fake, DEV).variables.list()
    assert info.value.response_code == 403


def test_python_gitlab_obeys_the_429(fake):
    fake.add_fault({'method': 'GET', 'path': '/variables$', 'status': 429, 'retry_after': '0', 'count': 2})
    project = client(fake).projects.get('acme/app', lazy=True)
    assert project.variables.list(get_all=True) == []
    assert [e['status'] for e in fake.journal] == [429, 429, 200]


def test_python_gitlab_retries_transient_errors_on_request(fake):
    fake.add_fault({'method': 'GET', 'path': '/variables$', 'status': 502})
    gl = client(fake, retry_transient_errors=True)
    gl.projects.get(1, lazy=True).variables.list(get_all=True)
    assert [e['status'] for e in fake.journal] == [502, 200]
