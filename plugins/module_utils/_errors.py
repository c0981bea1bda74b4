# -*- coding: utf-8 -*-
# Copyright: cicd.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The GitLabError tree and the parsing of GitLab's error bodies.

Private to the collection: the API of this file may change without notice.
"""

from __future__ import annotations

import html
import json
import re

# What a person should check, per status; appended to every error message.
_HINTS = {
    400: 'check the values sent; GitLab rejected them',
    401: 'check api_token and api_token_type: the token is missing, unknown, expired or revoked',
    403: 'check that the token has the api scope and that its user has the role this needs (Maintainer for CI/CD settings)',
    404: 'check the project, group or object id and that the token\'s user can see it',
    405: 'the path may refer to a moved project; use its current path',
    409: 'GitLab reported a conflict; the object may be changing or ambiguous',
    422: 'check the values sent; GitLab could not process them',
    429: 'GitLab is rate limiting this token; raise api_retries or run fewer requests at once',
}
_SERVER_HINT = 'GitLab or a proxy in front of it failed; try again later'
# A CI/CD job token refused by the target project's allowlist (lib/api/helpers.rb handle_job_token_failure!) or by its
# fine-grained permissions (job_token_policies_unauthorized_message); https://docs.gitlab.com/ci/jobs/ci_job_token/
_JOB_TOKEN_SCOPE = re.compile(r'Authentication by CI/CD job token not allowed from (?P<source>\S+) to (?P<target>\S+?)\.?$')
_JOB_TOKEN_POLICY = re.compile(r'Insufficient permissions to access this resource in project (?P<target>\S+?)\. '
                               r'The following token permissions? (?:is|are) required: (?P<policies>.+?)\.?$')
_JOB_TOKEN_UNAUTHORIZED = 'This action is unauthorized for CI/CD job tokens'
_HTML_TITLE = re.compile(r'<title[^>]*>(.*?)</title>', re.I | re.S)
_HTML_H1 = re.compile(r'<h1[^>]*>(.*?)</h1>', re.I | re.S)
_HTML_NOISE = re.compile(r'<(script|style)[^>]*>.*?</\1>|<!--.*?-->', re.I | re.S)
_HTML_TAG = re.compile(r'<[^>]*>')


def parse_error_body(body):
    """Return GitLab's words from an error body, as one string.

    GitLab answers errors in three JSON shapes (lib/api/helpers.rb render_api_error!, Grape validation errors, doorkeeper):
    ``{"message": "<string>"}``, ``{"message": {"<field>": ["<msg>", ...]}}`` and
    ``{"error": "<string>", "error_description": "..."}``; Rack::Attack answers 429 in plain text.
    Field messages are flattened as ``field: msg; field: msg`` (``base`` messages appear without a field).
    """
    if body is None:
        return ''
    if isinstance(body, (bytes, bytearray)):
        body = body.decode('utf-8', 'replace')
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            return _text_summary(body)
    if isinstance(body, dict):
        if 'message' in body:
            return _flatten(body['message'])
        if 'error' in body:
            text = _flatten(body['error'])
            if body.get('error_description'):
                text = '%s: %s' % (text, body['error_description'])
            return text
    return _flatten(body)


def _text_summary(text):
    """A body that is not JSON, in one line of at most 500 characters.

    A proxy in front of GitLab (or GitLab's own public/502.html) answers with a whole HTML page of
    styles and markup; its ``<title>`` (else its first ``<h1>``, else its text) is what it says.
    """
    if text.lstrip()[:1] == '<':
        found = _HTML_TITLE.search(text) or _HTML_H1.search(text)
        text = found.group(1) if found and found.group(1).strip() else _HTML_NOISE.sub(' ', text)
        text = html.unescape(_HTML_TAG.sub(' ', text))
    return ' '.join(text.split())[:500]


def _flatten(message):
    if isinstance(message, dict):
        parts = []
        for field in sorted(message):
            value = message[field]
            texts = value if isinstance(value, list) else [value]
            for text in texts:
                text = _flatten(text)
                parts.append(text if field == 'base' else '%s: %s' % (field, text))
        return '; '.join(parts)
    if isinstance(message, list):
        return '; '.join(_flatten(item) for item in message)
    return str(message)


def field_errors(body):
    """Return ``{field: [messages]}`` when GitLab sent the validation hash shape, else ``{}``."""
    if isinstance(body, dict) and isinstance(body.get('message'), dict):
        return {
            field: (value if isinstance(value, list) else [value])
            for field, value in body['message'].items()
        }
    return {}


class InputError(Exception):
    """The options cannot be used; nothing was sent to GitLab.

    ``InputError(errors)`` takes a list of sentences (or one string); ``.errors`` is the list.
    """

    def __init__(self, errors):
        if isinstance(errors, str):
            errors = [errors]
        self.errors = list(errors)
        super().__init__(self.message())

    def message(self):
        """``Nothing was done; problem with the options: e1`` or ``...; 2 problems with the options: e1; e2``."""
        if len(self.errors) == 1:
            return 'Nothing was done; problem with the options: %s' % self.errors[0]
        return 'Nothing was done; %d problems with the options: %s' % (len(self.errors), '; '.join(self.errors))


class GitLabError(Exception):
    """A request to GitLab failed. ``str(err)`` is a complete message without any credential.

    ``maybe_applied`` is True when the request was a write (POST/PUT/DELETE) that may have reached
    GitLab and been applied although no usable answer came back.
    """

    hint = ''

    def __init__(self, method, path, status=None, gitlab_message='', body=None, detail=None, maybe_applied=False):
        self.method = method
        self.path = path
        self.status = status
        self.gitlab_message = gitlab_message
        self.body = body
        self.detail = detail
        self.maybe_applied = bool(maybe_applied)
        super().__init__(self.describe())

    def refresh(self):
        """Rebuild ``str(err)`` after ``detail`` (or another attribute) changed."""
        self.args = (self.describe(),)

    def describe(self):
        """The message: what failed, GitLab's words and what to check."""
        what = '%s %s' % (self.method, self.path)
        if self.status is not None:
            text = '%s failed with HTTP %s' % (what, self.status)
        else:
            text = '%s failed' % what
        if self.gitlab_message:
            text += ': %s' % self.gitlab_message
        if self.detail:
            text += ' (%s)' % self.detail
        hint = self.hint or job_token_hint(self.status, self.gitlab_message) or _HINTS.get(self.status) or ''
        if hint:
            text += '. Hint: %s' % hint
        return text


def job_token_hint(status, gitlab_message):
    """What to do when GitLab refused a CI/CD job token (403), else None."""
    if status != 403 or not gitlab_message:
        return None
    text = str(gitlab_message)
    found = _JOB_TOKEN_SCOPE.search(text)
    if found:
        return ('the CI/CD job token comes from project %s, which is not on the job token allowlist of project %s: '
                'add %s (or a group that holds it) to the allowlist of %s (Settings > CI/CD > Job token permissions, or '
                'cicd.gitlab.gitlab_ci_job_token_scope with allowlist.projects / allowlist.groups); GitLab 18.0 and later '
                'enforce the allowlist' % (found.group('source'), found.group('target'), found.group('source'), found.group('target')))
    found = _JOB_TOKEN_POLICY.search(text)
    if found:
        return ('the source project is on the allowlist of project %s, but its entry does not grant the job token the '
                'permission %s: add it to the entry\'s job token permissions, or use a token with that access'
                % (found.group('target'), found.group('policies')))
    if _JOB_TOKEN_UNAUTHORIZED in text:
        return 'this endpoint does not accept CI/CD job tokens; use a personal, project or group access token'
    return None


class GitLabAuthError(GitLabError):
    """401: not authenticated."""


class GitLabPermissionError(GitLabError):
    """403: authenticated but not allowed."""


class GitLabNotFoundError(GitLabError):
    """404: the object does not exist, or the token's user cannot see it."""


class GitLabConflictError(GitLabError):
    """409: a conflicting or ambiguous resource."""


class GitLabValidationError(GitLabError):
    """400 or 422: GitLab rejected the parameters. ``fields`` holds the per-field messages."""

    @property
    def fields(self):
        return field_errors(self.body)


class GitLabRateLimitError(GitLabError):
    """429 that outlasted the retry budget."""


class GitLabServerError(GitLabError):
    """5xx that outlasted the retry budget (or a POST that cannot be retried)."""

    hint = _SERVER_HINT


class GitLabTransportError(GitLabError):
    """No HTTP answer: connection refused or reset, DNS failure, broken response."""

    hint = 'check api_url, the network path to GitLab and any proxy'


class GitLabTLSError(GitLabTransportError):
    """The TLS handshake or certificate verification failed."""

    hint = 'check the server certificate; set ca_path to the CA bundle that signed it (validate_certs=false only for testing)'


class GitLabTimeoutError(GitLabTransportError):
    """GitLab did not answer within the timeout."""

    hint = 'GitLab did not answer in time; check the server load or raise timeout'


class GitLabDeadlineError(GitLabTimeoutError):
    """The client's deadline passed (the message names its reason, e.g. ``task_timeout=60``)."""

    hint = 'the time allowed for the task ran out; raise it if GitLab is known to be slow'


class GitLabAnswerError(GitLabError):
    """A 2xx answer that is not what was asked for (not JSON, empty, wrong type, an HTML page, a bad download)."""

    hint = 'check that api_url is the GitLab URL and that no proxy or login page answers in its place'


class GitLabDownloadError(GitLabError):
    """A download could not be completed (size cap, cut stream, local write failure)."""

    hint = 'the destination was left as it was'


class GitLabStreamCutError(GitLabDownloadError):
    """A download's body stopped before its end; the client retries these (a GET of bytes that do not change)."""


_BY_STATUS = {
    401: GitLabAuthError,
    403: GitLabPermissionError,
    404: GitLabNotFoundError,
    409: GitLabConflictError,
    400: GitLabValidationError,
    422: GitLabValidationError,
    429: GitLabRateLimitError,
}


def error_for_status(method, path, status, body, maybe_applied=False):
    """Build the typed error for an HTTP error answer (``body`` as decoded JSON or text)."""
    if status in _BY_STATUS:
        cls = _BY_STATUS[status]
    elif status >= 500:
        cls = GitLabServerError
    else:
        cls = GitLabError
    return cls(method, path, status=status, gitlab_message=parse_error_body(body), body=body, maybe_applied=maybe_applied)


def html_title(text):
    """The title (else first heading, else text) of an HTML page, in one short line."""
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode('utf-8', 'replace')
    return _text_summary(text)[:200]
