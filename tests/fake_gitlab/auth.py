"""Authentication: which user a request acts as (lib/api/api_guard.rb, lib/gitlab/auth/auth_finders.rb).

Personal/OAuth tokens come from the ``PRIVATE-TOKEN`` header, the ``private_token`` parameter,
``Authorization: Bearer <t>`` or the ``access_token`` parameter.  CI job tokens come from the
``JOB-TOKEN`` header or the ``job_token`` parameter and are accepted only on routes registered
with ``job_token=True``; anywhere else they are a 401.

Check order follows ``AccessTokenValidationService``: unknown -> 401 ``401 Unauthorized``;
expired -> 401 ``invalid_token``; revoked -> 401 ``invalid_token``; missing scope -> 403
``insufficient_scope``.  These run before the route looks up any project or group.
"""

from . import errors
from .router import AUTH_NONE, AUTH_REQUIRED

READ_METHODS = ('GET', 'HEAD')


class Identity:
    """Who is calling: ``user`` (None when anonymous), the ``token`` used, and ``job`` for job tokens."""

    def __init__(self, user=None, token=None, job=None):
        self.user = user
        self.token = token
        self.job = job

    @property
    def username(self):
        """The username for the journal, or None."""
        return self.user.username if self.user else None


def allowed_scopes(route, method):
    """Scopes that may call ``route``: ``api`` always, ``read_api`` for reads, unless the route says otherwise."""
    if route.scopes is not None:
        return list(route.scopes)
    return ['api', 'read_api'] if method in READ_METHODS else ['api']


def _personal_token(request, params):
    for value in (request.header('PRIVATE-TOKEN'), params.get('private_token')):
        if isinstance(value, str) and value:
            return value
    authorization = request.header('Authorization') or ''
    scheme, separator, value = authorization.partition(' ')
    if separator and scheme.lower() == 'bearer' and value.strip():
        return value.strip()
    value = params.get('access_token')
    return value if isinstance(value, str) and value else None


def _job_token(request, params):
    value = request.header('JOB-TOKEN') or params.get('job_token')
    return value if isinstance(value, str) and value else None


def authenticate(request, state, route):
    """Return the caller's ``Identity`` for ``route`` or raise the GitLab auth error."""
    if route.auth == AUTH_NONE:
        return Identity()
    params = request.params
    value = _personal_token(request, params)
    if value is not None:
        token = state.tokens.get(value)
        if token is None:
            raise errors.unauthorized()
        if token.expired:
            raise errors.invalid_token(errors.TOKEN_EXPIRED)
        if token.revoked:
            raise errors.invalid_token(errors.TOKEN_REVOKED)
        scopes = allowed_scopes(route, request.method)
        if not set(token.scopes) & set(scopes):
            raise errors.insufficient_scope(scopes)
        return Identity(token.user, token)
    value = _job_token(request, params)
    if value is not None:
        # lib/gitlab/auth/auth_finders.rb: only routes marked job_token_allowed take a job token, and only
        # while its job runs; others 401.
        job = state.job_tokens.get(value)
        if not route.job_token or job is None or not getattr(job, 'running', True):
            raise errors.unauthorized()
        return Identity(getattr(job, 'user', None), None, job)
    if route.auth == AUTH_REQUIRED:
        raise errors.unauthorized()
    return Identity()
