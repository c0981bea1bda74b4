"""The cicd.gitlab.ci_variable lookup, loaded by ansible-core's plugin loader and run against the fake GitLab.

In the default seed acme/platform/api has DATABASE_URL in production and staging and a hidden API_TOKEN
(tests/fake_gitlab/seeds/default.yml). Project variables cost one request each (GET .../variables/:key with
filter[environment_scope]), group variables one list per call.
"""

import pytest

from ansible.errors import AnsibleError

from tests.conftest import DEV_TOKEN, ROOT_TOKEN

from ansible_collections.cicd.gitlab.plugins.module_utils import _lookup
from ansible_collections.cicd.gitlab.plugins.module_utils._client import GitLabClient

API = 'acme/platform/api'
API_VARS = '/api/v4/projects/acme%2Fplatform%2Fapi/variables'
OWNER_TOKEN = 'glpat-owner-00000000000'


def lookup(lookup_loader, fake, terms, token=ROOT_TOKEN, **kwargs):
    plugin = lookup_loader.get('cicd.gitlab.ci_variable')
    kwargs.setdefault('api_url', fake.url)
    if token is not None:
        kwargs.setdefault('api_token', token)
    fake.clear_journal()
    return plugin.run(terms, {}, **kwargs)


def failure(lookup_loader, fake, terms, **kwargs):
    with pytest.raises(AnsibleError) as caught:
        lookup(lookup_loader, fake, terms, **kwargs)
    text = str(caught.value)
    for token in (ROOT_TOKEN, DEV_TOKEN, OWNER_TOKEN, kwargs.get('api_token') or ROOT_TOKEN):
        assert token not in text
    return text


def requests_of(fake):
    return [(e['method'], e['path'], e['query']) for e in fake.journal]


def untrusted(value):
    """Whether templating leaves ``value`` alone: AnsibleUnsafe before ansible-core 2.19, not TrustedAsTemplate after."""
    try:
        from ansible._internal._datatag._tags import TrustedAsTemplate  # pylint: disable=import-outside-toplevel
    except ImportError:
        from ansible.utils.unsafe_proxy import AnsibleUnsafe  # pylint: disable=import-outside-toplevel
        return isinstance(value, AnsibleUnsafe)
    return not TrustedAsTemplate.is_tagged_on(value)


# ---- pure parts -------------------------------------------------------------------------------

@pytest.mark.parametrize('args, expected', [
    (dict(project='acme/app'), ('project', 'acme/app', '*')),
    (dict(project=42, environment_scope='production'), ('project', '42', 'production')),
    (dict(group='acme', environment_scope=''), ('group', 'acme', '*')),
    (dict(instance=True), ('instance', None, None)),
    (dict(instance=True, environment_scope='*'), ('instance', None, None)),
])
def test_variable_level(args, expected):
    assert _lookup.variable_level(**args) == expected


@pytest.mark.parametrize('args, words', [
    (dict(), 'exactly one of project=, group= or instance=true (found: none)'),
    (dict(project='a/b', group='a'), 'found: project, group'),
    (dict(project='a/b', instance=True), 'found: project, instance'),
    (dict(project='a//b'), 'empty segment'),
    (dict(instance=True, environment_scope='production'), 'instance variables have no environment_scope'),
])
def test_variable_level_refuses(args, words):
    with pytest.raises(_lookup.LookupProblem) as caught:
        _lookup.variable_level(**args)
    assert words in str(caught.value)


@pytest.mark.parametrize('items, key, scope, expected', [
    ([{'key': 'A', 'environment_scope': 'x', 'value': 1}, {'key': 'A', 'environment_scope': '*', 'value': 2}], 'A', '*', 2),
    ([{'key': 'A', 'value': 3}], 'A', '*', 3),
    ([{'key': 'A', 'environment_scope': 'x', 'value': 1}], 'A', '*', None),
    ([{'key': 'A', 'value': 4}], 'A', None, 4),
    ([None, {'key': 'B'}], 'A', '*', None),
])
def test_pick_variable(items, key, scope, expected):
    found = _lookup.pick_variable(items, key, scope)
    assert (found or {}).get('value') == expected


@pytest.mark.parametrize('item, words', [
    (None, 'variable K (environment_scope *) not found in project a/b'),
    ({'key': 'K', 'hidden': True, 'value': None}, 'variable K (environment_scope *) of project a/b is hidden'),
    ({'key': 'K', 'value': None}, 'GitLab answered no value'),
])
def test_variable_value_errors(item, words):
    with pytest.raises(_lookup.LookupProblem) as caught:
        _lookup.variable_value(item, 'K', '*', 'project', 'a/b')
    assert words in str(caught.value)


def test_variable_value_empty_string_is_a_value():
    assert _lookup.variable_value({'key': 'K', 'value': ''}, 'K', '*', 'project', 'a/b') == ''


# ---- against the fake --------------------------------------------------------------------------

def test_project_variable_by_scope_one_request(lookup_loader, fake):
    assert lookup(lookup_loader, fake, ['DATABASE_URL'], project=API, environment_scope='production') == ['postgres://db/api']
    assert requests_of(fake) == [('GET', API_VARS + '/DATABASE_URL', {'filter[environment_scope]': 'production'})]
    value = lookup(lookup_loader, fake, ['DATABASE_URL'], project=API, environment_scope='staging')[0]
    assert value == 'postgres://db/api-staging' and untrusted(value)


def test_missing_in_the_default_scope_names_key_scope_and_owner(lookup_loader, fake):
    text = failure(lookup_loader, fake, ['DATABASE_URL'], project=API)
    assert 'variable DATABASE_URL (environment_scope *) not found in project acme/platform/api' in text


def test_hidden_is_an_error_never_an_empty_string(lookup_loader, fake):
    text = failure(lookup_loader, fake, ['API_TOKEN'], project=API)
    assert 'API_TOKEN' in text and 'hidden' in text and 'acme/platform/api' in text


def test_several_keys_and_a_template_looking_value(lookup_loader, fake):
    client = GitLabClient(fake.url, token=ROOT_TOKEN)
    client.create_variable('project', 'acme/app', {'key': 'TEMPLATED', 'value': '{{ lookup("env", "HOME") }}'})
    client.create_variable('project', 'acme/app', {'key': 'PLAIN', 'value': 'plain'})
    values = lookup(lookup_loader, fake, ['TEMPLATED', 'PLAIN'], project='acme/app')
    assert values == ['{{ lookup("env", "HOME") }}', 'plain']
    assert all(untrusted(v) for v in values)
    assert len(requests_of(fake)) == 2


def test_group_variables_are_listed_once(lookup_loader, fake):
    client = GitLabClient(fake.url, token=ROOT_TOKEN)
    client.create_variable('group', 'acme', {'key': 'REGION', 'value': 'eu-all'})
    client.create_variable('group', 'acme', {'key': 'REGION', 'value': 'eu-prod', 'environment_scope': 'production'})
    client.create_variable('group', 'acme', {'key': 'USER', 'value': 'bot'})
    assert lookup(lookup_loader, fake, ['REGION', 'USER'], group='acme', token=OWNER_TOKEN) == ['eu-all', 'bot']
    assert requests_of(fake) == [('GET', '/api/v4/groups/acme/variables', {'per_page': '100'})]
    assert lookup(lookup_loader, fake, ['REGION'], group='acme', environment_scope='production') == ['eu-prod']
    text = failure(lookup_loader, fake, ['USER'], group='acme', environment_scope='production')
    assert 'variable USER (environment_scope production) not found in group acme' in text


def test_instance_variable(lookup_loader, fake):
    GitLabClient(fake.url, token=ROOT_TOKEN).create_variable('instance', None, {'key': 'PROXY', 'value': 'http://proxy:3128'})
    assert lookup(lookup_loader, fake, ['PROXY'], instance=True) == ['http://proxy:3128']
    assert requests_of(fake) == [('GET', '/api/v4/admin/ci/variables/PROXY', {})]
    text = failure(lookup_loader, fake, ['NOPE'], instance=True)
    assert 'variable NOPE not found in the instance' in text


def test_environment_fallbacks(lookup_loader, fake, clean_env):
    clean_env.setenv('CI_SERVER_URL', 'http://127.0.0.1:9/unused')
    clean_env.setenv('GITLAB_URL', fake.url)   # GITLAB_URL wins over CI_SERVER_URL, as for the modules
    clean_env.setenv('GITLAB_TOKEN', ROOT_TOKEN)
    plugin = lookup_loader.get('cicd.gitlab.ci_variable')
    assert plugin.run(['DATABASE_URL'], {}, project=API, environment_scope='production') == ['postgres://db/api']


def test_ci_server_url_alone(lookup_loader, fake, clean_env):
    clean_env.setenv('CI_SERVER_URL', fake.url)
    clean_env.setenv('GITLAB_TOKEN', ROOT_TOKEN)
    plugin = lookup_loader.get('cicd.gitlab.ci_variable')
    assert plugin.run(['DATABASE_URL'], {}, project=API, environment_scope='staging') == ['postgres://db/api-staging']


def test_no_api_url(lookup_loader, fake, clean_env):
    plugin = lookup_loader.get('cicd.gitlab.ci_variable')
    with pytest.raises(AnsibleError) as caught:
        plugin.run(['A'], {}, project=API, api_token=ROOT_TOKEN)
    assert 'api_url is required' in str(caught.value) and 'GITLAB_URL' in str(caught.value)


@pytest.mark.parametrize('terms, kwargs, words', [
    ([], dict(project=API), 'give the variable key to look up'),
    (['BAD-KEY'], dict(project=API), "variable key 'BAD-KEY' is not a valid key"),
    (['A'], dict(), 'exactly one of project=, group= or instance=true'),
    (['A'], dict(project=API, group='acme'), 'exactly one of'),
    (['A'], dict(project=API, timeout=0), 'timeout must be greater than 0'),
    (['A'], dict(project=API, api_url='ftp://example.com'), 'api_url'),
    (['A'], dict(project=API, api_token='glpat-with space'), 'api_token'),
])
def test_bad_input_sends_nothing(lookup_loader, fake, terms, kwargs, words):
    text = failure(lookup_loader, fake, terms, **kwargs)
    assert words in text
    assert fake.journal == []
    assert 'with space' not in text


@pytest.mark.parametrize('token, words', [
    (DEV_TOKEN, '403'),
    ('glpat-outsider-00000000', '404 Project Not Found'),
    ('glpat-not-a-known-token-000', '401'),
])
def test_gitlab_refusals_are_clear_and_secret_free(lookup_loader, fake, token, words):
    text = failure(lookup_loader, fake, ['DATABASE_URL'], project=API, environment_scope='production', token=token, api_token=token)
    assert words in text and 'acme/platform/api' in text


def test_without_requests(lookup_loader, fake, monkeypatch):
    monkeypatch.setattr(_lookup, 'HAS_REQUESTS', False)
    text = failure(lookup_loader, fake, ['DATABASE_URL'], project=API)
    assert 'requests' in text and 'pip install requests' in text
