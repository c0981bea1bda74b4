"""Request and response values, and Rack-style parameter parsing.

GitLab's API runs on Rack, so query strings and form bodies use Rack's bracket syntax:

* ``a=1``                        -> ``{'a': '1'}``
* ``filter[environment_scope]=x`` -> ``{'filter': {'environment_scope': 'x'}}``
* ``variables[KEY]=V``            -> ``{'variables': {'KEY': 'V'}}``
* ``scope[]=a&scope[]=b``         -> ``{'scope': ['a', 'b']}``
* ``variables[][key]=A&variables[][value]=1`` -> ``{'variables': [{'key': 'A', 'value': '1'}]}``
* ``variables[0][key]=A``         -> ``{'variables': {'0': {'key': 'A'}}}`` (Grape turns such a
  hash into an array when the parameter is declared ``Array``; see ``params.py``)

JSON bodies are used as they are.  Grape's ``params`` merges the query string, then the body, then
the route parameters (each later one wins), which is what ``Request.params`` gives.
"""

import json
from urllib.parse import parse_qsl

from . import errors


def parse_nested(pairs):
    """Build Rack nested params from ``(name, value)`` pairs (already percent-decoded)."""
    params = {}
    for name, value in pairs:
        _assign(params, name, value)
    return params


def _split_name(name):
    """``'a[b][]'`` -> ``('a', '[b][]')``; a name without brackets has an empty rest."""
    start = name.find('[')
    if start <= 0:
        return name, ''
    return name[:start], name[start:]


def _assign(params, name, value):
    key, rest = _split_name(name)
    if not key:
        return
    if rest == '':
        params[key] = value
    elif rest == '[]':
        current = params.get(key)
        if not isinstance(current, list):
            current = params[key] = []
        current.append(value)
    elif rest.startswith('[]['):
        # Array of hashes: a new element starts when the last one already has this child key.
        child_name = rest[3:].replace(']', '', 1)
        child_key = _split_name(child_name)[0]
        current = params.get(key)
        if not isinstance(current, list):
            current = params[key] = []
        if current and isinstance(current[-1], dict) and child_key not in current[-1]:
            _assign(current[-1], child_name, value)
        else:
            element = {}
            _assign(element, child_name, value)
            current.append(element)
    elif rest.startswith('[') and ']' in rest:
        child_name = rest[1:].replace(']', '', 1)
        current = params.get(key)
        if not isinstance(current, dict):
            current = params[key] = {}
        _assign(current, child_name, value)
    else:
        params[name] = value


def parse_query(query_string):
    """Percent-decode a query string or form body and build nested params from it."""
    return parse_nested(parse_qsl(query_string, keep_blank_values=True))


def flat_query(query_string):
    """The query string as a flat dict for the journal: raw names, repeated names as lists."""
    flat = {}
    for name, value in parse_qsl(query_string, keep_blank_values=True):
        if name in flat:
            if not isinstance(flat[name], list):
                flat[name] = [flat[name]]
            flat[name].append(value)
        else:
            flat[name] = value
    return flat


class Request:
    """One parsed HTTP request.

    ``path`` is the raw (still percent-encoded) path without the query string, as the router and
    the journal see it.  ``headers`` is the case-insensitive ``http.client.HTTPMessage``.
    """

    def __init__(self, method, path, query_string, headers, body):
        self.method = method
        self.path = path
        self.query_string = query_string
        self.headers = headers
        self.body = body
        self.query = parse_query(query_string)
        self.body_error = None
        try:
            self.form = self._parse_body()
        except errors.ApiError as error:
            # Reported once a route matched, as Grape does when it reads the params.
            self.body_error = error
            self.form = {}
        self.route_params = {}

    def header(self, name):
        """A request header value, or None."""
        return self.headers.get(name)

    def _parse_body(self):
        if not self.body:
            return {}
        content_type = (self.header('Content-Type') or '').split(';')[0].strip().lower()
        if content_type == 'application/json' or content_type.endswith('+json'):
            try:
                data = json.loads(self.body.decode('utf-8'))
            except ValueError:
                # Grape's Grape::Exceptions::InvalidMessageBody text (ruby-grape/grape lib/grape/exceptions/invalid_message_body.rb).
                raise errors.param_errors(['message body does not match declared format']) from None
            return data if isinstance(data, dict) else {}
        if content_type in ('', 'application/x-www-form-urlencoded'):
            return parse_query(self.body.decode('utf-8', 'replace'))
        return {}

    @property
    def params(self):
        """Query, then body, then route params: Grape's merged ``params``."""
        merged = dict(self.query)
        merged.update(self.form)
        merged.update(self.route_params)
        return merged


class Response:
    """An answer to send.

    ``body`` is bytes; or ``stream`` is an iterable of byte chunks with an optional ``length``
    (without a length the server uses chunked transfer encoding).  Streams are written after the
    state lock is released, so a large generated body never blocks other requests.
    """

    def __init__(self, status, body=b'', headers=None, content_type=None, stream=None, length=None):
        self.status = status
        self.body = body
        self.headers = list(headers or [])
        self.content_type = content_type
        self.stream = stream
        self.length = length

    @classmethod
    def json(cls, status, data, headers=None):
        """A JSON response, compact like Rails renders it."""
        body = json.dumps(data, separators=(',', ':')).encode('utf-8')
        return cls(status, body, headers, content_type='application/json')

    @classmethod
    def text(cls, status, text, headers=None, content_type='text/plain'):
        """A plain text response."""
        return cls(status, text.encode('utf-8'), headers, content_type=content_type)

    @classmethod
    def empty(cls, status=204, headers=None):
        """A response without a body, e.g. DELETE's 204."""
        return cls(status, b'', headers)

    @classmethod
    def from_error(cls, error):
        """Render an ``errors.ApiError``."""
        if isinstance(error.body, (dict, list)):
            response = cls.json(error.status, error.body, error.headers)
        else:
            response = cls.text(error.status, error.body, error.headers, error.content_type or 'text/plain')
        if error.content_type:
            response.content_type = error.content_type
        return response

    def header(self, name):
        """The first value of a response header, or None."""
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


class Call:
    """Everything a route handler needs: the request, the caller, the state and the server.

    ``params`` is Grape's merged ``params`` (query, body, route params); ``user`` is the
    authenticated User or None.  Handlers run with ``state.lock`` held.
    """

    def __init__(self, request, route, identity, state, server):
        self.request = request
        self.route = route
        self.identity = identity
        self.user = identity.user
        self.state = state
        self.server = server
        self.params = request.params
        # Run (under the state lock) only when the handler answers 2xx: what GitLab does after a success.
        self.after_success = []

    @property
    def method(self):
        """The HTTP method."""
        return self.request.method

    @property
    def external_url(self):
        """GitLab's external URL (seed ``external_url`` or the server's own URL)."""
        return self.state.external_url
