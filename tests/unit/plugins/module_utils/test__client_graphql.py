"""GitLabClient's GraphQL section: POST <url>/api/graphql with the client's auth, retries, errors and redaction.

Against the fake (tests/fake_gitlab/graphql.py) where GitLab's behaviour matters, with a stubbed ``graphql`` for
the answers no GitLab sends (a cursor that never ends). GitLab: app/controllers/graphql_controller.rb,
app/graphql/resolvers/ci/job_token_auth_logs_resolver.rb.
"""

import pytest

from ansible_collections.cicd.gitlab.plugins.module_utils import _errors as errors
from ansible_collections.cicd.gitlab.plugins.module_utils._client import GitLabClient
from tests.conftest import DEV_TOKEN, ROOT_TOKEN
from tests.fake_gitlab import job_token_scope
from tests.unit.plugins.module_utils.test__client import add_fault, make_client


def fill_log(fake, target='acme/svc'):
    """Every other seeded project reached ``target`` with its job token."""
    state = fake.state
    accessed = state.find_project(target)[0]
    origins = [project for project in state.projects.values() if project is not accessed]
    for origin in origins:
        job_token_scope.log_authorization(state, accessed, origin)
    return sorted(origin.full_path for origin in origins)


def graphql_posts(fake):
    return [entry for entry in fake.journal if entry['path'] == '/api/graphql']


def test_the_log_is_read_page_by_page_with_the_token(fake):
    paths = fill_log(fake)
    client = make_client(fake)
    client.GRAPHQL_PAGE = 2
    fake.clear_journal()
    nodes = client.job_token_auth_log('acme/svc')
    assert sorted(node['originProject']['fullPath'] for node in nodes) == paths
    assert all(node['originProject']['id'].startswith('gid://gitlab/Project/') and node['lastAuthorizedAt'] for node in nodes)
    posts = graphql_posts(fake)
    assert len(posts) == 3 and {entry['method'] for entry in posts} == {'POST'}   # the log needs Maintainer: the token went


def test_an_empty_log_is_one_request(fake):
    fake.clear_journal()
    assert make_client(fake).job_token_auth_log('acme/svc') == []
    assert len(graphql_posts(fake)) == 1


def test_an_errors_array_is_a_gitlab_error_with_its_message(fake):
    with pytest.raises(errors.GitLabValidationError) as caught:
        make_client(fake).graphql('{ project(fullPath: "acme/svc") { nosuchfield } }')
    assert "Field 'nosuchfield' doesn't exist on type 'Project'" in str(caught.value)
    assert caught.value.maybe_applied is False


def test_below_maintainer_the_log_is_a_permission_error(fake):
    fill_log(fake)
    with pytest.raises(errors.GitLabPermissionError) as caught:
        make_client(fake, token=DEV_TOKEN).job_token_auth_log('acme/svc')    # dev is a Developer of acme/svc
    text = str(caught.value)
    assert "you don't have permission" in text and 'Maintainer' in text and DEV_TOKEN not in text


def test_a_null_project_is_not_found(fake):
    with pytest.raises(errors.GitLabNotFoundError) as caught:
        make_client(fake).job_token_auth_log('acme/nothing-here')
    assert 'project is null' in str(caught.value) and 'acme/nothing-here' in str(caught.value)


def test_an_unknown_token_is_401_with_graphqls_words(fake):
    with pytest.raises(errors.GitLabAuthError) as caught:
        make_client(fake, token='glpat-not-a-known-token-00').graphql('{ project(fullPath: "acme/svc") { id } }')
    assert 'Invalid token' in str(caught.value) and 'glpat-not-a-known-token-00' not in str(caught.value)


def test_an_html_page_with_200_is_an_answer_error(fake):
    add_fault(fake, method='POST', path='^/api/graphql$', status=200, apply=True, count=5,
              body='<!DOCTYPE html><html><head><title>Sign in - SSO</title></head><body>login</body></html>', content_type='text/html')
    with pytest.raises(errors.GitLabAnswerError) as caught:
        make_client(fake).job_token_auth_log('acme/svc')
    assert 'Sign in - SSO' in str(caught.value) and caught.value.maybe_applied is False


def test_a_json_answer_that_is_not_graphql_is_an_answer_error(fake):
    add_fault(fake, method='POST', path='^/api/graphql$', status=200, apply=True, body=[1, 2])
    with pytest.raises(errors.GitLabAnswerError) as caught:
        make_client(fake).graphql('{ project(fullPath: "acme/svc") { id } }')
    assert 'expected a GraphQL answer' in str(caught.value)


@pytest.mark.parametrize('rule', [{'status': 502}, {'drop': 'before'}])
def test_a_query_is_retried_like_a_get(fake, rule):
    add_fault(fake, method='POST', path='^/api/graphql$', **rule)
    client = make_client(fake)
    fake.clear_journal()
    assert client.graphql('query { project(fullPath: "acme/svc") { fullPath } }') == {'project': {'fullPath': 'acme/svc'}}
    assert len(graphql_posts(fake)) == 2 and len(client.sleeper.delays) == 1


def test_retries_end_with_a_server_error_that_was_not_applied(fake):
    add_fault(fake, method='POST', path='^/api/graphql$', status=503, count=10)
    with pytest.raises(errors.GitLabServerError) as caught:
        make_client(fake, retries=2).graphql('{ project(fullPath: "acme/svc") { id } }')
    assert caught.value.maybe_applied is False and 'gave up after 2 retries' in str(caught.value)


def test_mutations_are_refused_before_sending(fake):
    fake.clear_journal()
    with pytest.raises(errors.InputError):
        make_client(fake).graphql('mutation { ciJobTokenScopeAutopopulateAllowlist(input: {projectPath: "a/b"}) { status } }')
    assert graphql_posts(fake) == []


def test_the_graphql_url_keeps_the_relative_url_root():
    client = GitLabClient('https://gitlab.example.com/gitlab/api/v4', token=ROOT_TOKEN)
    sent = []
    client._json_once = lambda method, url, shown, params, data, keep=None: sent.append((method, url, data)) or {'data': {}}
    assert client.graphql('{ x }', {'a': 1}) == {}
    assert sent == [('POST', 'https://gitlab.example.com/gitlab/api/graphql', {'query': '{ x }', 'variables': {'a': 1}})]


def _pages(cursors, has_next=True):
    """A stub for ``graphql``: one page per cursor, each saying there is another."""
    answers = iter(cursors)

    def graphql(query, variables):
        del query, variables
        cursor = next(answers)
        return {'project': {'log': {'nodes': [{'n': cursor}], 'pageInfo': {'hasNextPage': has_next, 'endCursor': cursor}}}}
    return graphql


@pytest.mark.parametrize('cursors, needle', [
    (['a', 'a'], 'a cursor it gave before'),
    ([None], 'no cursor'),
    ([''], 'no cursor'),
    (['c%d' % n for n in range(100)], 'goes on past 20 pages'),
])
def test_a_connection_that_does_not_end_is_refused(cursors, needle):
    client = GitLabClient('https://gitlab.example.com', token=ROOT_TOKEN)
    client.graphql = _pages(cursors)
    with pytest.raises(errors.GitLabAnswerError) as caught:
        client.graphql_nodes('q', {}, ('project', 'log'))
    assert needle in str(caught.value)


@pytest.mark.parametrize('answer', [{'project': {'log': None}}, {'project': {'log': {'nodes': 'x', 'pageInfo': {}}}},
                                    {'project': {'log': {'nodes': []}}}])
def test_a_page_that_is_not_a_connection(answer):
    client = GitLabClient('https://gitlab.example.com', token=ROOT_TOKEN)
    client.graphql = lambda query, variables: answer
    expected = errors.GitLabNotFoundError if answer['project']['log'] is None else errors.GitLabAnswerError
    with pytest.raises(expected):
        client.graphql_nodes('q', {}, ('project', 'log'))
