"""Pure unit tests of GitLab error-body parsing and error messages."""

import pytest

from ansible_collections.cicd.gitlab.plugins.module_utils import _errors as errors


@pytest.mark.parametrize('body, expected', [
    ({'message': '404 Project Not Found'}, '404 Project Not Found'),
    ({'message': {'key': ['(FOO) has already been taken']}}, 'key: (FOO) has already been taken'),
    ({'message': {'value': ['is invalid'], 'key': ['is too long']}}, 'key: is too long; value: is invalid'),
    ({'message': {'base': ['Reference not found']}}, 'Reference not found'),
    ({'error': 'variable_type does not have a valid value'}, 'variable_type does not have a valid value'),
    ({'error': 'invalid_token', 'error_description': 'Token is expired.'}, 'invalid_token: Token is expired.'),
    ({'message': {'error': 'This endpoint has been requested too many times. Try again later.'}},
     'error: This endpoint has been requested too many times. Try again later.'),
    ('Retry later\n', 'Retry later'),
    ('{"message":"401 Unauthorized"}', '401 Unauthorized'),
    (b'{"error":"404 Not Found"}', '404 Not Found'),
    (None, ''),
    ('line one\n  line two\n', 'line one line two'),
    ('x' * 600, 'x' * 500),
])
def test_parse_error_body_three_shapes_and_text(body, expected):
    assert errors.parse_error_body(body) == expected


GITLAB_502_PAGE = """<!DOCTYPE html>
<html>
<head>
  <meta content="width=device-width, initial-scale=1, maximum-scale=1" name="viewport">
  <title>GitLab is not responding (502)</title>
  <style>
    body { color: #666; text-align: center; font-family: "Helvetica Neue", Helvetica, Arial, sans-serif; margin: auto; }
""" + '    .container { margin: auto 20px; }\n' * 40 + """  </style>
</head>
<body>
  <h1><img alt="GitLab Logo" src="data:image/svg+xml;base64,PHN2ZyB3aWR0aD0iMjEwIiBoZWlnaHQ9IjIxMCI="><br>502</h1>
  <div class="container"><h3>Whoops, GitLab is taking too much time to respond.</h3><hr><p>Try refreshing the page.</p></div>
</body>
</html>
"""


@pytest.mark.parametrize('body, expected', [
    (GITLAB_502_PAGE, 'GitLab is not responding (502)'),
    (GITLAB_502_PAGE.encode('utf-8'), 'GitLab is not responding (502)'),
    ('<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>',
     '502 Bad Gateway'),
    ('<html><body><h1>Service &amp; API\n unavailable</h1><p>later</p></body></html>', 'Service & API unavailable'),
    ('<html><head><title> </title><style>p {color: red}</style></head><body><p>Down for <b>maintenance</b></p></body></html>',
     'Down for maintenance'),
])
def test_parse_error_body_html_pages_by_their_title(body, expected):
    """A proxy's (or GitLab's public/50x.html) page is reported by its title, not as 3 KB of markup."""
    assert errors.parse_error_body(body) == expected


@pytest.mark.parametrize('status, cls', [
    (400, errors.GitLabValidationError),
    (401, errors.GitLabAuthError),
    (403, errors.GitLabPermissionError),
    (404, errors.GitLabNotFoundError),
    (409, errors.GitLabConflictError),
    (422, errors.GitLabValidationError),
    (429, errors.GitLabRateLimitError),
    (500, errors.GitLabServerError),
    (503, errors.GitLabServerError),
    (418, errors.GitLabError),
])
def test_error_for_status_picks_the_family(status, cls):
    err = errors.error_for_status('GET', '/api/v4/projects/1/variables', status, {'message': 'x'})
    assert type(err) is cls  # pylint: disable=unidiomatic-typecheck
    assert isinstance(err, errors.GitLabError)
    assert err.status == status


def test_message_names_method_path_status_words_and_hint():
    err = errors.error_for_status('PUT', '/api/v4/projects/acme/app/variables/FOO', 403, {'message': '403 Forbidden'})
    text = str(err)
    assert text.startswith('PUT /api/v4/projects/acme/app/variables/FOO failed with HTTP 403: 403 Forbidden')
    assert 'Hint:' in text and 'Maintainer' in text


def test_validation_error_exposes_fields():
    err = errors.error_for_status('POST', '/p', 400, {'message': {'key': ['(A) has already been taken']}})
    assert err.fields == {'key': ['(A) has already been taken']}
    assert errors.error_for_status('POST', '/p', 400, {'error': 'key is missing'}).fields == {}


def test_transport_error_without_status_has_hint():
    err = errors.GitLabTLSError('GET', '/api/v4/version', detail='certificate verify failed')
    assert str(err) == ('GET /api/v4/version failed (certificate verify failed). Hint: check the server certificate; '
                        'set ca_path to the CA bundle that signed it (validate_certs=false only for testing)')


@pytest.mark.parametrize('problems, expected', [
    ('api_url is required', 'Nothing was done; problem with the options: api_url is required'),
    (['a is bad'], 'Nothing was done; problem with the options: a is bad'),
    (['a is bad', 'b is worse'], 'Nothing was done; 2 problems with the options: a is bad; b is worse'),
])
def test_input_error_message(problems, expected):
    err = errors.InputError(problems)
    assert err.message() == expected
    assert str(err) == expected
    assert err.errors == ([problems] if isinstance(problems, str) else problems)


def test_every_gitlab_error_has_maybe_applied_false_by_default():
    for cls in (errors.GitLabError, errors.GitLabServerError, errors.GitLabTransportError, errors.GitLabTimeoutError,
                errors.GitLabDeadlineError, errors.GitLabAnswerError, errors.GitLabDownloadError, errors.GitLabStreamCutError):
        assert cls('POST', '/p').maybe_applied is False
        assert cls('POST', '/p', maybe_applied=True).maybe_applied is True
    assert errors.error_for_status('POST', '/p', 502, None, maybe_applied=True).maybe_applied is True
    assert errors.error_for_status('POST', '/p', 400, None).maybe_applied is False


def test_new_error_classes_sit_in_the_tree():
    assert issubclass(errors.GitLabDeadlineError, errors.GitLabTimeoutError)
    assert issubclass(errors.GitLabDeadlineError, errors.GitLabTransportError)
    assert issubclass(errors.GitLabAnswerError, errors.GitLabError)
    err = errors.GitLabDeadlineError('GET', '/api/v4/jobs/1', detail='the deadline task_timeout=60 passed')
    assert 'task_timeout=60' in str(err) and 'Hint: the time allowed for the task ran out' in str(err)


def test_refresh_rebuilds_the_message():
    err = errors.GitLabAnswerError('GET', '/api/v4/x', status=200, detail='one')
    err.detail = 'two'
    err.refresh()
    assert '(two)' in str(err) and '(one)' not in str(err)


def test_html_title_of_a_login_page():
    page = b'<!DOCTYPE html><html><head><title>Sign in \xc2\xb7 GitLab</title></head><body><form></form></body></html>'
    assert errors.html_title(page) == 'Sign in \u00b7 GitLab'
    assert errors.html_title(GITLAB_502_PAGE) == 'GitLab is not responding (502)'


# ---- CI/CD job token refusals (lib/api/helpers.rb handle_job_token_failure!, job_token_policies_unauthorized_message) ----


def test_job_token_not_on_the_allowlist_names_both_projects():
    body = {'message': '403 Forbidden - Authentication by CI/CD job token not allowed from app to svc.'}
    err = errors.error_for_status('GET', '/api/v4/projects/acme/svc/jobs/7/artifacts', 403, body)
    text = str(err)
    assert isinstance(err, errors.GitLabPermissionError)
    assert 'comes from project app, which is not on the job token allowlist of project svc' in text
    assert 'gitlab_ci_job_token_scope' in text and 'allowlist.groups' in text
    assert 'api scope' not in text         # not the generic 403 hint


def test_job_token_lacking_a_permission():
    body = {'message': '403 Forbidden - Insufficient permissions to access this resource in project svc. '
                       'The following token permission is required: read_deployments.'}
    text = str(errors.error_for_status('GET', '/api/v4/projects/acme/svc/deployments', 403, body))
    assert 'does not grant the job token the permission read_deployments' in text


def test_job_token_refused_by_the_endpoint():
    body = {'message': '403 Forbidden - This action is unauthorized for CI/CD job tokens.'}
    assert 'does not accept CI/CD job tokens' in str(errors.error_for_status('GET', '/api/v4/x', 403, body))


@pytest.mark.parametrize('status, message', [
    (403, '403 Forbidden'),
    (404, 'Authentication by CI/CD job token not allowed from app to svc.'),
    (403, ''),
])
def test_other_answers_keep_their_hint(status, message):
    assert errors.job_token_hint(status, message) is None
