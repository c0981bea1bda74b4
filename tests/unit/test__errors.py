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
    err = errors.error_for_status('PUT', '/api/v4/projects/acme%2Fapp/variables/FOO', 403, {'message': '403 Forbidden'})
    text = str(err)
    assert text.startswith('PUT /api/v4/projects/acme%2Fapp/variables/FOO failed with HTTP 403: 403 Forbidden')
    assert 'Hint:' in text and 'Maintainer' in text


def test_validation_error_exposes_fields():
    err = errors.error_for_status('POST', '/p', 400, {'message': {'key': ['(A) has already been taken']}})
    assert err.fields == {'key': ['(A) has already been taken']}
    assert errors.error_for_status('POST', '/p', 400, {'error': 'key is missing'}).fields == {}


def test_transport_error_without_status_has_hint():
    err = errors.GitLabTLSError('GET', '/api/v4/version', detail='certificate verify failed')
    assert str(err) == ('GET /api/v4/version failed (certificate verify failed). Hint: check the server certificate; '
                        'set ca_path to the CA bundle that signed it (validate_certs=false only for testing)')
