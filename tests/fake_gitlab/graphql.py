"""GitLab's GraphQL API, as far as the job token authentication log: ``POST /api/graphql``.

Only this shape is answered (https://docs.gitlab.com/api/graphql/reference/#projectcijobtokenauthlogs)::

    query($fullPath: ID!, $first: Int, $after: String) {
      project(fullPath: $fullPath) {                      # id fullPath name path __typename
        ciJobTokenAuthLogs(first: $first, after: $after) {   # count
          nodes { lastAuthorizedAt originProject { id fullPath name path webUrl } }
          pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        }
      }
    }

Aliases, variables and literals work; every other field is what graphql-ruby's static validation answers for
an unknown one: HTTP 200, ``{"errors": [{"message": "Field 'x' doesn't exist on type 'T'", "locations",
"path", "extensions": {"code": "undefinedField", "typeName", "fieldName"}}]}`` without ``data`` (so also
fields GitLab has but the fake does not model, such as ``edges``). Fragments and directives are parse errors.

Behaviour, from GitLab's source:

* app/controllers/graphql_controller.rb: anonymous callers are allowed (public data); a token that does not
  authenticate is 401 ``{"errors": [{"message": "Invalid token"}]}``; a query over 10,000 characters is 422
  ``Query too large``. Job tokens are not accepted here (``authenticate_sessionless_user!(:graphql_api)``).
* ``project(fullPath:)`` is null, without an error, for a project that does not exist or the caller cannot read
  (spec/requests/api/graphql/ci/job_token_auth_logs_spec.rb "without access to scope").
* app/graphql/resolvers/ci/job_token_auth_logs_resolver.rb ``authorize :admin_project``: below Maintainer the field
  is null with the error "The resource that you are attempting to access does not exist or you don't have permission
  to perform this action" at ``path: ["project", "ciJobTokenAuthLogs"]``
  (lib/gitlab/graphql/authorize/authorize_resource.rb).
* Connections: at most 100 nodes a page (GitlabSchema ``default_max_page_size``), opaque cursors (base64 of the
  offset), ``count`` of every node (Types::CountableConnectionType). Origin projects that no longer exist are
  left out (Authorization.with_existing_origin_projects); ``originProject`` is CiJobTokenAccessibleProject, shown
  even when the caller cannot read it.

The log itself lives in ``job_token_scope.py`` (``auth_log``, written where the job token is checked).
"""

import base64
import re

from . import job_token_scope
from .auth import authenticate
from .errors import ApiError
from .request import Response
from .router import AUTH_NONE, AUTH_OPTIONAL, Route
from .state import MAINTAINER

PATH = '/api/graphql'
MAX_QUERY_SIZE = 10000
MAX_PAGE_SIZE = 100
NOT_AVAILABLE = ("The resource that you are attempting to access does not exist or you don't have permission to "
                 "perform this action")
# GraphqlController authenticates like the API for graphql_api: api or read_api tokens, no job token.
_AUTH = Route('POST', PATH, None, auth=AUTH_OPTIONAL, scopes=['api', 'read_api'])

# type -> {field: (result type or None for a leaf, accepted arguments)}
SCHEMA = {
    'Query': {'project': ('Project', ('fullPath',))},
    'Mutation': {},       # the fake runs no mutation: each is an unknown field
    'Project': {'id': (None, ()), 'fullPath': (None, ()), 'name': (None, ()), 'path': (None, ()),
                'ciJobTokenAuthLogs': ('CiJobTokenAuthLogConnection', ('first', 'after'))},
    'CiJobTokenAuthLogConnection': {'count': (None, ()), 'nodes': ('CiJobTokenAuthLog', ()), 'pageInfo': ('PageInfo', ())},
    'CiJobTokenAuthLog': {'lastAuthorizedAt': (None, ()), 'originProject': ('CiJobTokenAccessibleProject', ())},
    'CiJobTokenAccessibleProject': {'id': (None, ()), 'fullPath': (None, ()), 'name': (None, ()), 'path': (None, ()),
                                    'webUrl': (None, ()), 'avatarUrl': (None, ())},
    'PageInfo': {'hasNextPage': (None, ()), 'hasPreviousPage': (None, ()), 'startCursor': (None, ()), 'endCursor': (None, ())},
}

_TOKEN = re.compile(r'[\s,]+|#[^\n]*|(?P<punct>\.\.\.|[{}():$!\[\]=@])|(?P<name>[_A-Za-z][_0-9A-Za-z]*)'
                    r'|(?P<number>-?\d+(?:\.\d+)?)|(?P<string>"(?:[^"\\\n]|\\.)*")')


def register(router):
    """Add ``POST /api/graphql``."""
    router.add('POST', PATH, execute, auth=AUTH_NONE)


class _Field:
    def __init__(self, name, alias, arguments, selections, line, column):
        self.name, self.key, self.arguments, self.selections = name, alias or name, arguments, selections
        self.location = {'line': line, 'column': column}


class _ParseError(Exception):
    pass


class _Parser:
    """A recursive-descent parser for one operation without fragments or directives."""

    def __init__(self, text):
        self.tokens = []
        position = 0
        while position < len(text):
            found = _TOKEN.match(text, position)
            if not found:
                raise _ParseError(self._where('Parse error on "%s"' % text[position], text, position))
            kind = found.lastgroup
            if kind:
                self.tokens.append((kind, found.group(kind), self._line_col(text, position)))
            position = found.end()
        self.index = 0

    @staticmethod
    def _line_col(text, position):
        line = text.count('\n', 0, position) + 1
        return line, position - (text.rfind('\n', 0, position) + 1) + 1

    def _where(self, message, text, position):
        line, column = self._line_col(text, position)
        return '%s at [%d, %d]' % (message, line, column)

    def peek(self, value=None):
        token = self.tokens[self.index] if self.index < len(self.tokens) else ('end', '', (0, 0))
        return token if value is None or token[1] == value else None

    def take(self, value=None, kind=None):
        token = self.peek()
        if (value is not None and token[1] != value) or (kind is not None and token[0] != kind) or token[0] == 'end':
            shown = token[1] or 'end of file'
            raise _ParseError('Parse error on "%s" at [%d, %d]' % (shown, token[2][0], token[2][1]))
        self.index += 1
        return token

    def operation(self):
        """``(kind, name, variable defaults, selections)``."""
        kind, name, defaults = 'query', None, {}
        if self.peek()[0] == 'name':
            kind = self.take(kind='name')[1]
            if self.peek()[0] == 'name':
                name = self.take()[1]
            if self.peek('('):
                self.take('(')
                while not self.peek(')'):
                    self.take('$')
                    variable = self.take(kind='name')[1]
                    self.take(':')
                    self._type()
                    defaults[variable] = self.value() if self.peek('=') and self.take('=') else None
                self.take(')')
        selections = self.selections()
        if self.peek()[0] != 'end':
            self.take('end')
        return kind, name, defaults, selections

    def _type(self):
        if self.peek('['):
            self.take('[')
            self._type()
            self.take(']')
        else:
            self.take(kind='name')
        if self.peek('!'):
            self.take('!')

    def selections(self):
        self.take('{')
        fields = []
        while not self.peek('}'):
            token = self.take(kind='name')
            name, alias = token[1], None
            if self.peek(':'):
                self.take(':')
                alias, name = name, self.take(kind='name')[1]
            arguments = {}
            if self.peek('('):
                self.take('(')
                while not self.peek(')'):
                    argument = self.take(kind='name')[1]
                    self.take(':')
                    arguments[argument] = self.value()
                self.take(')')
            selections = self.selections() if self.peek('{') else None
            fields.append(_Field(name, alias, arguments, selections, *token[2]))
        self.take('}')
        return fields

    def value(self):
        kind, text, _where = self.take()
        if text == '$':
            return ('variable', self.take(kind='name')[1])
        if kind == 'string':
            return text[1:-1].encode('utf-8').decode('unicode_escape')
        if kind == 'number':
            return float(text) if '.' in text else int(text)
        if kind == 'name':
            return {'true': True, 'false': False, 'null': None}.get(text, text)
        raise _ParseError('Parse error on "%s" at [%d, %d]' % (text, _where[0], _where[1]))


def _errors(*items):
    return Response.json(200, {'errors': list(items)})


def _validate(type_name, fields, path):
    """graphql-ruby's undefinedField / argumentNotAccepted errors, depth first."""
    found = []
    for field in fields:
        if field.name == '__typename':
            continue
        spec = SCHEMA[type_name].get(field.name)
        if spec is None:
            found.append({'message': "Field '%s' doesn't exist on type '%s'" % (field.name, type_name), 'locations': [field.location],
                          'path': path + [field.key], 'extensions': {'code': 'undefinedField', 'typeName': type_name, 'fieldName': field.name}})
            continue
        for argument in field.arguments:
            if argument not in spec[1]:
                found.append({'message': "Field '%s' doesn't accept argument '%s'" % (field.name, argument),
                              'locations': [field.location], 'path': path + [field.key, argument],
                              'extensions': {'code': 'argumentNotAccepted', 'name': field.name, 'typeName': 'Field',
                                             'argumentName': argument}})
        if spec[0] is not None and field.selections is None:
            found.append({'message': "Field must have selections (field '%s' returns %s but has no selections. Did you mean "
                                     "'%s { ... }'?)" % (field.name, spec[0], field.name), 'locations': [field.location],
                          'path': path + [field.key], 'extensions': {'code': 'selectionMismatch', 'nodeName': "field '%s'" % field.name,
                                                                     'typeName': spec[0]}})
        elif spec[0] is not None:
            found += _validate(spec[0], field.selections, path + [field.key])
    return found


def execute(call):
    """``POST /api/graphql`` (GraphqlController#execute)."""
    try:
        identity = authenticate(call.request, call.state, _AUTH)
    except ApiError as error:
        if error.status in (401, 403):
            return Response.json(401, {'errors': [{'message': 'Invalid token'}]})
        raise
    body = call.request.form if isinstance(call.request.form, dict) else {}
    query = body.get('query') if isinstance(body.get('query'), str) else ''
    if len(query) > MAX_QUERY_SIZE:
        return Response.json(422, {'errors': [{'message': 'Query too large'}]})
    try:
        kind, name, defaults, selections = _Parser(query).operation()
    except _ParseError as error:
        return _errors({'message': str(error)})
    root = {'query': 'Query', 'mutation': 'Mutation'}.get(kind)
    if root is None:
        return _errors({'message': 'Schema is not configured for %ss' % kind})
    operation = '%s %s' % (kind, name) if name else kind
    problems = _validate(root, selections, [operation])
    if problems:
        return _errors(*problems)
    variables = dict(defaults)
    given = body.get('variables')
    variables.update(given if isinstance(given, dict) else {})
    context = _Context(call, identity.user, variables)
    data = {}
    for field in selections:
        data[field.key] = context.resolve_query(field)
    answer = {'data': data}
    if context.errors:
        answer = {'errors': context.errors, 'data': data}
    return Response.json(200, answer)


def _cursor(offset):
    return base64.urlsafe_b64encode(str(offset).encode()).decode().rstrip('=')


def _offset(cursor):
    if not isinstance(cursor, str) or not cursor:
        return 0
    try:
        return int(base64.urlsafe_b64decode(cursor + '=' * (-len(cursor) % 4)).decode())
    except (ValueError, UnicodeDecodeError):
        return 0


class _Context:
    def __init__(self, call, user, variables):
        self.call, self.user, self.variables, self.errors = call, user, variables, []

    def argument(self, field, name):
        value = field.arguments.get(name)
        if isinstance(value, tuple) and value[0] == 'variable':
            return self.variables.get(value[1])
        return value

    @staticmethod
    def select(fields, type_name, values):
        """The selected leaves of an object whose values are known (``values``: field -> value)."""
        return {field.key: type_name if field.name == '__typename' else values.get(field.name) for field in fields}

    def resolve_query(self, field):
        if field.name == '__typename':
            return 'Query'
        ref = str(self.argument(field, 'fullPath') or '')
        project, _moved = self.call.state.find_project(ref) if '/' in ref else (None, False)
        if project is None or not self.call.state.can_read_project(self.user, project):
            return None
        result = {}
        for child in field.selections:
            if child.name == 'ciJobTokenAuthLogs':
                result[child.key] = self.auth_logs(project, child, [field.key, child.key])
            else:
                result.update(self.select([child], 'Project', {'id': 'gid://gitlab/Project/%d' % project.id, 'fullPath': project.full_path,
                                                               'name': project.name, 'path': project.path}))
        return result

    def auth_logs(self, project, field, path):
        if self.user is None or not (self.user.admin or self.call.state.project_access(self.user, project) >= MAINTAINER):
            self.errors.append({'message': NOT_AVAILABLE, 'locations': [field.location], 'path': path})
            return None
        entries = job_token_scope.auth_log(self.call.state, project)
        first = self.argument(field, 'first')
        size = MAX_PAGE_SIZE if not isinstance(first, int) or isinstance(first, bool) else max(0, min(first, MAX_PAGE_SIZE))
        start = _offset(self.argument(field, 'after'))
        page = entries[start:start + size]
        result = {}
        for child in field.selections:
            if child.name == 'nodes':
                result[child.key] = [self.node(origin, when, child.selections) for origin, when in page]
            elif child.name == 'pageInfo':
                result[child.key] = self.select(child.selections, 'PageInfo', {
                    'hasNextPage': start + len(page) < len(entries), 'hasPreviousPage': start > 0,
                    'startCursor': _cursor(start + 1) if page else None, 'endCursor': _cursor(start + len(page)) if page else None})
            else:
                result.update(self.select([child], 'CiJobTokenAuthLogConnection', {'count': len(entries)}))
        return result

    def node(self, origin, when, fields):
        result = {}
        for field in fields:
            if field.name == 'originProject':
                result[field.key] = self.select(field.selections, 'CiJobTokenAccessibleProject', {
                    'id': 'gid://gitlab/Project/%d' % origin.id, 'fullPath': origin.full_path, 'name': origin.name,
                    'path': origin.path, 'webUrl': '%s/%s' % (self.call.external_url, origin.full_path), 'avatarUrl': None})
            else:
                result.update(self.select([field], 'CiJobTokenAuthLog', {'lastAuthorizedAt': when}))
        return result
