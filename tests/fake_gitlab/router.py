"""A small router: HTTP method plus a path pattern.

Patterns use ``:name`` for one path segment and ``*name`` for one or more segments, e.g.
``/api/v4/projects/:id/variables/:key`` or ``/api/v4/projects/:id/jobs/:job_id/artifacts/*artifact_path``.
Matching runs on the raw (percent-encoded) path and each captured value is then decoded, so
``acme%2Fapp`` is one ``:id`` segment while a raw ``acme/app`` does not match at all and falls
through to the catch-all 404 (lib/api/api.rb, ``NAMESPACE_OR_PROJECT_REQUIREMENTS``).

Each resource module exposes ``register(router)`` and adds its routes with ``router.add``; the
list of modules lives in ``routes.py``.
"""

import re
from urllib.parse import unquote

_TOKEN = re.compile(r'([:*])([A-Za-z_][A-Za-z0-9_]*)')

# Route authentication modes.
AUTH_REQUIRED = 'required'   # authenticate!: anonymous -> 401
AUTH_OPTIONAL = 'optional'   # anonymous allowed (public resources); a bad token is still a 401
AUTH_NONE = 'none'           # no user authentication at all (e.g. the trigger endpoint's token param)


class Route:
    """A registered route and its options.

    ``scopes``: token scopes allowed for this route; None means GitLab's default (``api`` always,
    ``read_api`` for GET/HEAD).  ``job_token``: whether a CI job token may authenticate.
    """

    def __init__(self, method, pattern, handler, auth=AUTH_REQUIRED, scopes=None, job_token=False, requirements=None):
        self.method = method
        self.pattern = pattern
        self.handler = handler
        self.auth = auth
        self.scopes = scopes
        self.job_token = job_token
        self.regex = _compile(pattern, requirements or {})

    def match(self, path):
        """Return the decoded route params if ``path`` matches, else None."""
        found = self.regex.match(path)
        if not found:
            return None
        return {name: unquote(value) for name, value in found.groupdict().items()}


def _compile(pattern, requirements):
    regex = ''
    position = 0
    for token in _TOKEN.finditer(pattern):
        regex += re.escape(pattern[position:token.start()])
        kind, name = token.groups()
        default = '[^/]+' if kind == ':' else '.+'
        regex += '(?P<%s>%s)' % (name, requirements.get(name, default))
        position = token.end()
    regex += re.escape(pattern[position:])
    return re.compile('^%s$' % regex)


class Router:
    """Routes in registration order; the first match wins."""

    def __init__(self):
        self.routes = []

    def add(self, method, pattern, handler, **options):
        """Register ``handler(call)`` for ``method`` and ``pattern``; see ``Route`` for options."""
        route = Route(method, pattern, handler, **options)
        self.routes.append(route)
        return route

    def match(self, method, path):
        """Return ``(route, params)`` or ``(None, None)``.  HEAD is served by GET routes."""
        wanted = 'GET' if method == 'HEAD' else method
        for route in self.routes:
            if route.method != wanted:
                continue
            params = route.match(path)
            if params is not None:
                return route, params
        return None, None
