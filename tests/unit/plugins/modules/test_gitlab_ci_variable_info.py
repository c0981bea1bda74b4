"""The gitlab_ci_variable_info module: its pure parts as tables, and main() in-process against the fake GitLab.

The fake (tests/fake_gitlab/variables.py) answers as lib/api/ci/variables.rb, lib/api/group_variables.rb and
lib/api/admin/ci/variables.rb do: hidden values are null, instance variables have no scope nor hidden.
In the default seed acme/platform/api has DATABASE_URL in production and staging and a hidden API_TOKEN.
"""

import json

import pytest

from tests.conftest import DEV_TOKEN, ROOT_TOKEN
from tests.unit.module_run import calls, run_main

from ansible_collections.cicd.gitlab.plugins.module_utils._client import GitLabClient
from ansible_collections.cicd.gitlab.plugins.module_utils._errors import InputError
from ansible_collections.cicd.gitlab.plugins.modules import gitlab_ci_variable_info as module_under_test

API = 'acme/platform/api'
API_VARS = '/api/v4/projects/acme%2Fplatform%2Fapi/variables'
VALUES = ('postgres://db/api', 'postgres://db/api-staging', 's3cr3t-t0ken-value')
OWNER_TOKEN = 'glpat-owner-00000000000'
MAINT_TOKEN = 'glpat-maint-00000000000'
READONLY_TOKEN = 'glpat-dev-readonly-00000'


def run(capsys, fake, token=ROOT_TOKEN, no_log=False, check=False, **args):
    """main() with these options; returns (result, requests). Scans the result for tokens and values."""
    args = dict(dict(api_url=fake.url, api_token=token), **args)
    result, dummy = run_main(capsys, fake, module_under_test, args, check=check, no_log=no_log)
    text = json.dumps(result)
    for secret in (ROOT_TOKEN, DEV_TOKEN, OWNER_TOKEN, MAINT_TOKEN) + (() if args.get('include_values') else VALUES):
        assert secret not in text, 'a secret reached the result'
    return result, calls(fake)


# ---- pure parts ---------------------------------------------------------------------------------

@pytest.mark.parametrize('params, no_log, expected', [
    ({'project': 'acme/app'}, False, ('project', 'acme/app', None, None)),
    ({'group': 'acme', 'key': 'K', 'environment_scope': 'production'}, False, ('group', 'acme', 'K', 'production')),
    ({'instance': True}, False, ('instance', None, None, None)),
    ({'project': '42', 'include_values': True}, True, ('project', '42', None, None)),
])
def test_validate_accepts(params, no_log, expected):
    assert module_under_test.validate(params, no_log) == expected


@pytest.mark.parametrize('params, no_log, words', [
    ({}, False, 'exactly one of project, group or instance=true'),
    ({'project': 'a/b', 'group': 'a'}, False, 'exactly one of'),
    ({'project': 'a/../b'}, False, '".." segment'),
    ({'instance': True, 'environment_scope': '*'}, False, 'instance variables have no environment_scope'),
    ({'project': 'a/b', 'environment_scope': ''}, False, 'environment_scope must not be empty'),
    ({'project': 'a/b', 'key': ''}, False, 'key must not be empty'),
    ({'project': 'a/b', 'include_values': True}, False, 'add "no_log: true"'),
])
def test_validate_refuses(params, no_log, words):
    with pytest.raises(InputError) as caught:
        module_under_test.validate(params, no_log)
    assert words in caught.value.message()


@pytest.mark.parametrize('item, level, include, expected', [
    ({'key': 'A', 'value': 'v', 'environment_scope': 'prod', 'variable_type': 'file', 'protected': True, 'masked': False,
      'hidden': False, 'raw': True, 'description': 'd'}, 'project', False,
     {'key': 'A', 'environment_scope': 'prod', 'variable_type': 'file', 'protected': True, 'masked': False,
      'hidden': False, 'raw': True, 'description': 'd'}),
    ({'key': 'A', 'value': 'v'}, 'group', True,
     {'key': 'A', 'environment_scope': '*', 'variable_type': 'env_var', 'protected': False, 'masked': False,
      'hidden': False, 'raw': False, 'description': None, 'value': 'v'}),
    ({'key': 'H', 'value': 'leaked?', 'hidden': True, 'masked': True}, 'project', True,
     {'key': 'H', 'environment_scope': '*', 'variable_type': 'env_var', 'protected': False, 'masked': True,
      'hidden': True, 'raw': False, 'description': None, 'value': None}),
    ({'key': 'I', 'value': 'v', 'variable_type': 'env_var'}, 'instance', False,
     {'key': 'I', 'environment_scope': None, 'variable_type': 'env_var', 'protected': False, 'masked': False,
      'hidden': False, 'raw': False, 'description': None}),
])
def test_public_variable(item, level, include, expected):
    assert module_under_test.public_variable(item, level, include) == expected


def test_select_filters_by_key_and_scope():
    items = [{'key': 'A', 'environment_scope': 'x'}, {'key': 'A', 'environment_scope': '*'}, {'key': 'B'}, 'junk']
    assert [(v['key'], v['environment_scope']) for v in module_under_test.select(items, 'project', key='A')] == [('A', 'x'), ('A', '*')]
    assert [v['key'] for v in module_under_test.select(items, 'project', environment_scope='*')] == ['A', 'B']
    assert module_under_test.select(items, 'project', key='A', environment_scope='nope') == []


# ---- against the fake ----------------------------------------------------------------------------

def test_project_variables_without_values_one_request(capsys, fake):
    result, requests = run(capsys, fake, project=API)
    assert result['changed'] is False and 'failed' not in result
    assert requests == [('GET', API_VARS)]
    assert [(v['key'], v['environment_scope']) for v in result['variables']] == [
        ('DATABASE_URL', 'production'), ('DATABASE_URL', 'staging'), ('API_TOKEN', '*')]
    assert all('value' not in v for v in result['variables'])
    hidden = result['variables'][2]
    assert hidden['hidden'] is True and hidden['masked'] is True


def test_values_need_no_log_and_nothing_is_sent(capsys, fake):
    result, requests = run(capsys, fake, project=API, include_values=True)
    assert result['failed'] is True and 'no_log: true' in result['msg']
    assert requests == []


def test_values_with_no_log_hidden_has_none(capsys, fake):
    result, requests = run(capsys, fake, project=API, include_values=True, no_log=True)
    assert requests == [('GET', API_VARS)]
    assert [v['value'] for v in result['variables']] == ['postgres://db/api', 'postgres://db/api-staging', None]


def test_key_and_scope_filters(capsys, fake):
    result = run(capsys, fake, project=API, key='DATABASE_URL')[0]
    assert [v['environment_scope'] for v in result['variables']] == ['production', 'staging']
    result = run(capsys, fake, project=API, key='DATABASE_URL', environment_scope='staging', check=True)[0]
    assert [v['environment_scope'] for v in result['variables']] == ['staging']
    result = run(capsys, fake, project=API, key='NOPE')[0]
    assert result['variables'] == [] and 'failed' not in result


def test_group_and_instance(capsys, fake):
    client = GitLabClient(fake.url, token=ROOT_TOKEN)
    client.create_variable('group', 'acme', {'key': 'GROUP_VAR', 'value': 'group-value-1'})
    client.create_variable('instance', None, {'key': 'INSTANCE_VAR', 'value': 'instance-value-1', 'protected': True})
    result, requests = run(capsys, fake, group='acme', token=OWNER_TOKEN)
    assert requests == [('GET', '/api/v4/groups/acme/variables')]
    assert [(v['key'], v['environment_scope']) for v in result['variables']] == [('GROUP_VAR', '*')]
    result, requests = run(capsys, fake, instance=True)
    assert requests == [('GET', '/api/v4/admin/ci/variables')]
    assert result['variables'] == [{'key': 'INSTANCE_VAR', 'environment_scope': None, 'variable_type': 'env_var',
                                    'protected': True, 'masked': False, 'hidden': False, 'raw': False, 'description': None}]


def test_past_one_page_costs_ceil_n_over_100_requests(capsys, fake):
    client = GitLabClient(fake.url, token=ROOT_TOKEN)
    for index in range(247):
        client.create_variable('project', 'acme/app', {'key': 'VAR_%03d' % index, 'value': 'value-%03d' % index})
    result, requests = run(capsys, fake, project='acme/app')
    assert len(result['variables']) == 247
    assert len(requests) == 3 and all(r == ('GET', '/api/v4/projects/acme%2Fapp/variables') for r in requests)
    assert 'value-001' not in json.dumps(result)


def test_read_api_token_can_list(capsys, fake):
    result = run(capsys, fake, project='acme/app', token=READONLY_TOKEN)[0]
    assert 'failed' not in result and result['variables'] == []


@pytest.mark.parametrize('token, status', [(DEV_TOKEN, 403), ('glpat-outsider-00000000', 404)])
def test_no_access_is_a_clear_failure(capsys, fake, token, status):
    result = run(capsys, fake, project=API, token=token)[0]
    assert result['failed'] is True and result['status'] == status
    assert 'acme/platform/api' in result['msg']
