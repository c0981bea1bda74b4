"""The job token authentication log through GraphQL (``POST /api/graphql``), held to GitLab.

Sources: https://docs.gitlab.com/api/graphql/reference/#projectcijobtokenauthlogs;
app/graphql/resolvers/ci/job_token_auth_logs_resolver.rb (``authorize :admin_project``),
app/graphql/types/ci/job_token_auth_log_type.rb, app/graphql/types/ci/job_token_accessible_project_type.rb,
spec/requests/api/graphql/ci/job_token_auth_logs_spec.rb and spec/graphql/types/ci/job_token_auth_log_type_spec.rb
(who sees what); app/models/ci/job_token/scope.rb and app/models/ci/job_token/authorization.rb (what is logged:
successful cross-project authorizations, one row per origin with the last time); app/controllers/graphql_controller.rb
(Invalid token, Query too large); graphql-ruby's static validation (undefinedField).
"""

import requests

from tests.fidelity.helpers import DEV, REPORTER, ROOT, TIMEOUT
# foreign_token is a fixture.
from tests.fidelity.test_access import SCOPE, foreign_token  # noqa: F401 pylint: disable=unused-import

# spec/requests/api/graphql/ci/job_token_auth_logs_spec.rb's query, with paging
QUERY = '''query($path: ID!, $first: Int, $after: String) {
  project(fullPath: $path) {
    ciJobTokenAuthLogs(first: $first, after: $after) {
      count
      nodes { lastAuthorizedAt originProject { id fullPath path name } }
      pageInfo { hasNextPage endCursor }
    }
  }
}'''
NOT_AVAILABLE = ("The resource that you are attempting to access does not exist or you don't have permission to "
                 "perform this action")


def post(fake, query, variables=None, token=ROOT):
    headers = {'PRIVATE-TOKEN': token} if token else {}
    return requests.post(fake.url + '/api/graphql', json={'query': query, 'variables': variables or {}}, headers=headers,
                         timeout=TIMEOUT)


def auth_log(fake, path='acme/svc', token=ROOT, **variables):
    answer = post(fake, QUERY, dict(variables, path=path), token)
    assert answer.status_code == 200, answer.text
    return answer.json()


def seed_log(fake, target, origins):
    project = fake.state.find_project(target)[0]
    project.extra['ci_job_token_auth_log'] = [{'project': origin, 'last_authorized_at': '2025-06-0%dT10:00:00Z' % (n + 1)}
                                              for n, origin in enumerate(origins)]


def test_maintainers_read_the_log_with_origin_projects_they_cannot_see(fake):
    # root/vault is private to root: the log still names it (JobTokenAccessibleProjectType has no authorization)
    seed_log(fake, 'acme/app', ['acme/svc', 'root/vault'])
    body = auth_log(fake, 'acme/app', token=DEV)             # dev is Maintainer of acme/app
    log = body['data']['project']['ciJobTokenAuthLogs']
    assert 'errors' not in body and log['count'] == 2
    assert [node['originProject']['fullPath'] for node in log['nodes']] == ['acme/svc', 'root/vault']
    vault = fake.state.find_project('root/vault')[0]
    assert log['nodes'][1] == {'lastAuthorizedAt': '2025-06-02T10:00:00Z', 'originProject': {
        'id': 'gid://gitlab/Project/%d' % vault.id, 'fullPath': 'root/vault', 'path': 'vault', 'name': vault.name}}


def test_below_maintainer_the_field_is_null_with_an_error(fake):
    seed_log(fake, 'acme/svc', ['acme/app'])
    body = auth_log(fake, 'acme/svc', token=DEV)              # dev is a Developer of acme/svc
    assert body['data'] == {'project': {'ciJobTokenAuthLogs': None}}
    assert [(e['message'], e['path']) for e in body['errors']] == [(NOT_AVAILABLE, ['project', 'ciJobTokenAuthLogs'])]


def test_a_project_the_caller_cannot_see_is_null_without_an_error(fake):
    body = auth_log(fake, 'root/vault', token=REPORTER)
    assert body == {'data': {'project': None}}
    assert auth_log(fake, 'no/such-project') == {'data': {'project': None}}


def test_anonymous_callers_get_public_data_only(fake):
    body = auth_log(fake, 'acme/app', token=None)
    assert body == {'data': {'project': None}}


def test_pages_follow_end_cursor(fake):
    seed_log(fake, 'acme/svc', ['acme/app', 'other/tool', 'opensource/lib'])
    seen, after = [], None
    for _page in range(5):
        log = auth_log(fake, first=2, after=after)['data']['project']['ciJobTokenAuthLogs']
        seen += [node['originProject']['fullPath'] for node in log['nodes']]
        assert log['count'] == 3
        if not log['pageInfo']['hasNextPage']:
            break
        after = log['pageInfo']['endCursor']
    assert seen == ['acme/app', 'other/tool', 'opensource/lib'] and _page == 1


def test_an_unknown_field_is_a_static_validation_error_without_data(fake):
    query = '{\n  project(fullPath: "acme/svc") {\n    ciJobTokenAuthLogs { edges { cursor } }\n  }\n}'
    answer = post(fake, query)
    assert answer.status_code == 200
    assert answer.json() == {'errors': [{
        'message': "Field 'edges' doesn't exist on type 'CiJobTokenAuthLogConnection'", 'locations': [{'line': 3, 'column': 26}],
        'path': ['query', 'project', 'ciJobTokenAuthLogs', 'edges'],
        'extensions': {'code': 'undefinedField', 'typeName': 'CiJobTokenAuthLogConnection', 'fieldName': 'edges'}}]}


def test_controller_errors(fake):
    bad = post(fake, '{ project(fullPath: "acme/svc") { id } }', token='glpat-unknown-000000000')
    assert (bad.status_code, bad.json()) == (401, {'errors': [{'message': 'Invalid token'}]})
    large = post(fake, '{ project(fullPath: "acme/svc") { id } }' + ' ' * 10000)
    assert (large.status_code, large.json()) == (422, {'errors': [{'message': 'Query too large'}]})


def test_only_successful_cross_project_authorizations_are_logged(fake, foreign_token):
    token, url = foreign_token                                   # an acme/app job; an acme/svc artifact
    refused = requests.get(url, headers={'JOB-TOKEN': token}, timeout=TIMEOUT)
    assert refused.status_code == 403
    assert auth_log(fake)['data']['project']['ciJobTokenAuthLogs']['nodes'] == []
    requests.patch(fake.url + '/api/v4' + SCOPE % fake.state.find_project('acme/svc')[0].id, json={'enabled': False},
                   headers={'PRIVATE-TOKEN': ROOT}, timeout=TIMEOUT)
    for _attempt in range(2):
        assert requests.get(url, headers={'JOB-TOKEN': token}, timeout=TIMEOUT).status_code == 200
    nodes = auth_log(fake)['data']['project']['ciJobTokenAuthLogs']['nodes']
    assert [node['originProject']['fullPath'] for node in nodes] == ['acme/app']    # one row per origin
    assert nodes[0]['lastAuthorizedAt'].endswith('Z')
    # the origin's own project never logs itself
    assert auth_log(fake, 'acme/app')['data']['project']['ciJobTokenAuthLogs']['nodes'] == []


def test_an_authorization_through_the_allowlist_is_logged_too(fake, foreign_token):
    token, url = foreign_token
    svc, app = (fake.state.find_project(path)[0].id for path in ('acme/svc', 'acme/app'))
    requests.post(fake.url + '/api/v4' + SCOPE % svc + '/allowlist', json={'target_project_id': app},
                  headers={'PRIVATE-TOKEN': ROOT}, timeout=TIMEOUT)
    assert requests.get(url, headers={'JOB-TOKEN': token}, timeout=TIMEOUT).status_code == 200
    nodes = auth_log(fake)['data']['project']['ciJobTokenAuthLogs']['nodes']
    assert [node['originProject']['fullPath'] for node in nodes] == ['acme/app']


def test_an_authorization_whose_request_fails_is_not_logged(fake, foreign_token):
    # lib/ci/job_token/middleware.rb writes the captured authorizations only when the request answers 2xx.
    token, url = foreign_token
    requests.patch(fake.url + '/api/v4' + SCOPE % fake.state.find_project('acme/svc')[0].id, json={'enabled': False},
                   headers={'PRIVATE-TOKEN': ROOT}, timeout=TIMEOUT)
    missing = url.rsplit('/jobs/', 1)[0] + '/jobs/999999/artifacts'
    assert requests.get(missing, headers={'JOB-TOKEN': token}, timeout=TIMEOUT).status_code == 404
    assert auth_log(fake)['data']['project']['ciJobTokenAuthLogs']['nodes'] == []
    assert requests.get(url, headers={'JOB-TOKEN': token}, timeout=TIMEOUT).status_code == 200
    assert [node['originProject']['fullPath'] for node in auth_log(fake)['data']['project']['ciJobTokenAuthLogs']['nodes']] == ['acme/app']
