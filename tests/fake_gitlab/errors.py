"""GitLab's error responses, with their exact bodies.

Every helper returns an ``ApiError`` for the caller to ``raise``; the server turns it into the
HTTP response.  The bodies come from lib/api/helpers.rb.  GitLab has three body families and
clients tell them apart, so keep them distinct:

* ``{"message": "<string>"}``       - the ``*!`` helpers (``not_found!``, ``forbidden!`` ...)
* ``{"message": {field: [msgs]}}``   - ``render_validation_error!`` (ActiveRecord validations)
* ``{"error": "<string>"}``          - Grape parameter validation and the unknown-route 404
"""

import email.utils

# Exact texts from lib/api/api_guard.rb.
TOKEN_EXPIRED = 'Token is expired. You can either do re-authorization or token refresh.'
TOKEN_REVOKED = 'Token was revoked. You have to re-authorize from the user.'
INSUFFICIENT_SCOPE = 'The request requires higher privileges than provided by the access token.'


class ApiError(Exception):
    """An error answer: HTTP status, body (JSON-able value or text) and extra headers."""

    def __init__(self, status, body, headers=None, content_type=None):
        super().__init__('%s %r' % (status, body))
        self.status = status
        self.body = body
        self.headers = list(headers or [])
        self.content_type = content_type


def message(status, text):
    """``{"message": text}`` - the shape of every ``*!`` helper in lib/api/helpers.rb."""
    return ApiError(status, {'message': text})


def bad_request(reason=None):
    """``bad_request!``: 400 ``400 Bad request`` with an optional `` - reason``."""
    return message(400, '400 Bad request' + (' - %s' % reason if reason else ''))


def validation_error(errors):
    """``render_validation_error!``: 400 with the model errors as a hash of lists (lib/api/helpers.rb)."""
    return ApiError(400, {'message': errors})


def unauthorized():
    """``unauthorized!``: missing, unknown or unusable token (lib/api/api_guard.rb)."""
    return message(401, '401 Unauthorized')


def invalid_token(description):
    """OAuth-style 401 for expired or revoked tokens (lib/api/api_guard.rb)."""
    return ApiError(401, {'error': 'invalid_token', 'error_description': description})


def insufficient_scope(scopes):
    """403 for a token whose scopes do not allow the request, e.g. ``read_api`` on a write."""
    return ApiError(403, {'error': 'insufficient_scope', 'error_description': INSUFFICIENT_SCOPE, 'scope': ' '.join(scopes)})


def forbidden(reason=None):
    """``forbidden!``: 403 ``403 Forbidden`` with an optional `` - reason``."""
    return message(403, '403 Forbidden' + (' - %s' % reason if reason else ''))


def not_found(resource=None):
    """``not_found!``: ``404 <Resource> Not Found``, or ``404 Not Found`` without a resource."""
    return message(404, '404 %s Not Found' % resource if resource else '404 Not Found')


def record_not_found():
    """The ``ActiveRecord::RecordNotFound`` rescue in lib/api/api.rb: note the lower-case "found"."""
    return message(404, '404 Not found')


def route_not_found():
    """The catch-all route: unknown path, or a known path with another method.

    GitLab mounts ``route :any, '*path'`` last (lib/api/api.rb), so Grape's router falls back to
    it instead of answering 405; the body uses the ``error`` key.
    """
    return ApiError(404, {'error': '404 Not Found'})


def not_allowed():
    """``not_allowed!``: 405 ``405 Method Not Allowed``."""
    return message(405, '405 Method Not Allowed')


def conflict(text=None):
    """``conflict!``: 409 with the given message, or ``409 Conflict``."""
    return message(409, text or '409 Conflict')


def check_unmodified_since(call, updated_at):
    """``destroy_conditionally!``: 412 when the object (last changed at ``updated_at``, an aware
    datetime) changed after the request's ``If-Unmodified-Since``; no or unparsable header: no check."""
    header = call.request.header('If-Unmodified-Since')
    if not header:
        return
    try:
        since = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return
    if since.tzinfo is not None and updated_at > since:
        raise precondition_failed()


def precondition_failed():
    """``check_unmodified_since!``: 412 when the resource changed after ``If-Unmodified-Since``."""
    return message(412, '412 Precondition Failed')


def param_errors(messages):
    """Grape parameter validation: 400 ``{"error": ...}``, several messages joined with ", "."""
    return ApiError(400, {'error': ', '.join(messages)})


def internal_error():
    """Unhandled exception: 500 ``500 Internal Server Error``."""
    return message(500, '500 Internal Server Error')
