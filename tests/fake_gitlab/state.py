"""The fake's in-memory GitLab: users, tokens, groups, projects, memberships, CI/CD variables.

Seed format (a YAML file or the same structure as a dict)::

    external_url: http://gitlab.example.com   # default: the server's own URL (Link headers, web_url)
    license: premium                         # premium (default) | free; free = EE without a licence,
                                             # group environment_scope is dropped (variables.py)
    limits:                                  # optional plan limits; absent or 0 = unlimited
      project_ci_variables: 200
      group_ci_variables: 200
      ci_instance_level_variables: 25
    users:
      - username: root                       # required
        token: glpat-root-000000000000       # optional main token, scopes [api]
        admin: true                          # default false
        name: Administrator                  # default: the username
        email: root@example.com              # default: <username>@example.com
        tokens:                              # extra tokens
          - {token: glpat-ro-0000000000000000, scopes: [read_api]}
          - {token: glpat-old-000000000000000, expired: true}          # or expires_at: 2020-01-01
          - {token: glpat-gone-00000000000000, revoked: true}
    groups:                                  # parents first or not: sorted by depth on load
      - path: acme                           # full path; nested groups are "acme/platform"
        name: ACME                           # default: last path segment
        visibility: private                  # private (default) | internal | public
        members: {dev: developer, boss: owner}   # guest reporter developer maintainer owner, or 10..50
        variables: [{key: GROUP_VAR, value: x, environment_scope: '*'}]
    projects:
      - path: acme/app                       # namespace = a group full path or a username
        visibility: private
        members: {dev: maintainer}
        branches: [main, release]            # default [main]; default_branch = the first one
        variables:                           # variable fields: key, value, variable_type, protected,
          - {key: A, value: b}               # masked, raw, hidden, environment_scope, description
        ci: [...]                            # the project's jobs (Project.ci); format in ci.py
        tags: [v1.0.0]                       # refs pipelines may run for besides branches (ci.py)
        triggers:                            # pipeline trigger tokens (triggers.py)
          - {description: deploy, owner: dev}    # owner: a username, or null for a legacy ownerless
                                             # trigger; optional token (default glptt-<40 hex>),
                                             # expires_at and created_at (a date or ISO 8601 time;
                                             # created_at defaults to 2024-01-01 like other seeded data)
        schedules:                           # pipeline schedules (schedules.py): description, ref, cron,
          - {description: nightly, cron: '0 1 * * *', owner: dev}   # cron_timezone, active, owner,
                                             # variables [{key, value, variable_type}]
    instance_variables: [{key: I, value: v}]
    feature_flags: {trigger_token_expiration: false}   # default true: expires_at is stored, expired
                                             # triggers are hidden (see triggers.py)
    redirects: {acme/old-app: acme/app}      # moved projects (lib/api/helpers.rb find_project!)

Unknown keys anywhere are kept (``extra`` dicts) rather than rejected, so later features can read
them.  Seeded variables are stored as given (not validated).  Ids count up from 1 for users, groups
and projects separately, in seed order (groups by depth first); user namespaces, created on demand
for projects under a username, take group-sequence ids after the seeded groups.  Trigger ids count
up from 1 across all projects, in seed order.

Effective role: the highest of the project membership and the memberships of every ancestor group
(a user namespace's owner is Owner); admins can do everything.
"""

import copy
import datetime
import os
import re
import secrets
import threading

import yaml

from .params import parse_datetime

ROLES = {'guest': 10, 'reporter': 20, 'developer': 30, 'maintainer': 40, 'owner': 50}
NO_ACCESS = 0
GUEST, REPORTER, DEVELOPER, MAINTAINER, OWNER = 10, 20, 30, 40, 50
VISIBILITIES = ('private', 'internal', 'public')
SEED_TIME = '2024-01-01T00:00:00.000Z'
DEFAULT_SEED = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'seeds', 'default.yml')
INTEGER_ID = re.compile(r'^-?\d+$')


class SeedError(ValueError):
    """The seed data is inconsistent (unknown namespace, duplicate path, bad role ...)."""


def now_iso():
    """The current UTC time in GitLab's JSON format."""
    return datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.%f')[:-3] + 'Z'


def iso_time(moment):
    """A ``datetime`` (naive = UTC) or ``date`` in GitLab's JSON format: ``2024-07-01T00:00:00.000Z``."""
    if not isinstance(moment, datetime.datetime):
        moment = datetime.datetime(moment.year, moment.month, moment.day)
    if moment.tzinfo is not None:
        moment = moment.astimezone(datetime.timezone.utc)
    return moment.strftime('%Y-%m-%dT%H:%M:%S.%f')[:-3] + 'Z'


def _role(value, where):
    if isinstance(value, int) and value in ROLES.values():
        return value
    if isinstance(value, str) and value.lower() in ROLES:
        return ROLES[value.lower()]
    raise SeedError('%s: unknown role %r' % (where, value))


def _visibility(value, where):
    value = value or 'private'
    if value not in VISIBILITIES:
        raise SeedError('%s: unknown visibility %r' % (where, value))
    return value


class Variable:
    """A CI/CD variable.  Instance variables ignore ``environment_scope`` and ``hidden``."""

    FIELDS = ('variable_type', 'key', 'value', 'hidden', 'protected', 'masked', 'raw', 'environment_scope', 'description')

    def __init__(self, key, value, variable_type='env_var', hidden=False, protected=False, masked=False, raw=False,
                 environment_scope='*', description=None):
        self.variable_type = variable_type
        self.key = key
        self.value = value
        self.hidden = hidden
        self.protected = protected
        self.masked = masked
        self.raw = raw
        self.environment_scope = environment_scope
        self.description = description
        self.updated_at = datetime.datetime.now(datetime.timezone.utc)

    @classmethod
    def from_seed(cls, data, where):
        """Build a variable from a seed dict (not validated: seeds may hold any state)."""
        if not isinstance(data, dict) or 'key' not in data:
            raise SeedError('%s: a variable needs at least a key' % where)
        known = {name: data[name] for name in cls.FIELDS if name in data}
        known['key'] = str(known['key'])
        known['value'] = '' if known.get('value') is None else str(known['value'])
        return cls(**known)

    def copy(self):
        """A detached copy, for validating a change before committing it."""
        return copy.copy(self)

    def to_dict(self):
        """Every field including the value: used by the state dump only."""
        return {name: getattr(self, name) for name in self.FIELDS}


class Trigger:
    """A pipeline trigger token (https://docs.gitlab.com/api/pipeline_triggers/).  ``owner`` is a User, or None for a legacy trigger.

    Times are GitLab JSON strings (``iso_time``); ``last_used`` is set when the trigger starts a
    pipeline.  New tokens are ``glptt-`` + 40 hex; seeded legacy tokens may be bare hex.
    """

    PREFIX = 'glptt-'

    def __init__(self, trigger_id, description, owner, token=None, created_at=None, expires_at=None):
        self.id = trigger_id
        self.token = token or self.PREFIX + secrets.token_hex(20)
        self.description = description
        self.owner = owner
        self.created_at = created_at or now_iso()
        self.updated_at = self.created_at
        self.last_used = None
        self.expires_at = expires_at

    @property
    def short_token(self):
        """``short_token``: the first 4 characters after the ``glptt-`` prefix."""
        token = self.token[len(self.PREFIX):] if self.token.startswith(self.PREFIX) else self.token
        return token[:4]

    @property
    def expired(self):
        """``Expirable#expired?``: ``expires_at`` is now or in the past."""
        return self.expires_at is not None and self.expires_at <= now_iso()

    def to_dict(self):
        """The trigger as the state dump shows it: full token, owner as a username."""
        return {'id': self.id, 'token': self.token, 'description': self.description,
                'owner': self.owner.username if self.owner else None, 'created_at': self.created_at,
                'updated_at': self.updated_at, 'last_used': self.last_used, 'expires_at': self.expires_at}


def _seed_time(value, where):
    """A seed date or time (YAML date, datetime or ISO 8601 string) as a GitLab JSON time, or None."""
    if value is None:
        return None
    if isinstance(value, (datetime.date, datetime.datetime)):
        return iso_time(value)
    moment = parse_datetime(str(value))
    if moment is None:
        raise SeedError('%s: not a date or ISO 8601 time: %r' % (where, value))
    return iso_time(moment)


class User:
    """A user account."""

    def __init__(self, user_id, username, name=None, email=None, admin=False, state='active', extra=None):
        self.id = user_id
        self.username = username
        self.name = name or username
        self.email = email or '%s@example.com' % username
        self.admin = admin
        self.state = state
        self.created_at = SEED_TIME
        self.extra = extra or {}


class Token:
    """A personal (or OAuth) access token.  ``expired`` or ``revoked`` make it unusable."""

    def __init__(self, value, user, scopes=None, expired=False, revoked=False, name=None, expires_at=None):
        self.value = value
        self.user = user
        self.scopes = list(scopes or ['api'])
        self.revoked = revoked
        self.name = name or 'token'
        self.expires_at = expires_at
        self._expired = expired

    @property
    def expired(self):
        """True when flagged expired or when ``expires_at`` (a date) is in the past."""
        if self._expired:
            return True
        if self.expires_at:
            return datetime.date.fromisoformat(str(self.expires_at)) <= datetime.date.today()
        return False

    def to_dict(self):
        """The token as shown by the state dump."""
        return {'token': self.value, 'name': self.name, 'scopes': self.scopes, 'expired': self.expired, 'revoked': self.revoked}


class Group:
    """A group; ``parent`` is another Group for nested groups."""

    kind = 'group'

    def __init__(self, group_id, path, parent=None, name=None, visibility='private', members=None, description='', extra=None):
        self.id = group_id
        self.path = path
        self.parent = parent
        self.name = name or path
        self.visibility = visibility
        self.members = members or {}
        self.description = description
        self.variables = []
        self.created_at = SEED_TIME
        self.extra = extra or {}

    @property
    def full_path(self):
        """``acme/platform`` for a nested group."""
        return '%s/%s' % (self.parent.full_path, self.path) if self.parent else self.path

    @property
    def full_name(self):
        """``ACME / platform``: names joined the way GitLab shows them."""
        return '%s / %s' % (self.parent.full_name, self.name) if self.parent else self.name

    def self_and_ancestors(self):
        """This group, then its parent, up to the root."""
        group = self
        while group is not None:
            yield group
            group = group.parent


class UserNamespace:
    """A user's personal namespace, where ``<username>/<project>`` projects live."""

    kind = 'user'
    parent = None
    visibility = 'public'

    def __init__(self, namespace_id, user):
        self.id = namespace_id
        self.user = user
        self.path = user.username
        self.name = user.name
        self.full_path = user.username
        self.full_name = user.name
        self.members = {}

    def self_and_ancestors(self):
        """A user namespace has no group ancestors."""
        return iter(())


class Project:
    """A project in a group or user namespace."""

    def __init__(self, project_id, path, namespace, name=None, visibility='private', members=None, branches=None,
                 description=None, ci=None, extra=None):
        self.id = project_id
        self.path = path
        self.namespace = namespace
        self.name = name or path
        self.visibility = visibility
        self.members = members or {}
        self.branches = list(branches or ['main'])
        self.default_branch = self.branches[0] if self.branches else None
        self.description = description
        self.ci = ci or []
        self.variables = []
        self.triggers = []
        self.created_at = SEED_TIME
        self.extra = extra or {}

    @property
    def full_path(self):
        """``namespace/path``."""
        return '%s/%s' % (self.namespace.full_path, self.path)

    @property
    def name_with_namespace(self):
        """``ACME / app``."""
        return '%s / %s' % (self.namespace.full_name, self.name)


class State:
    """Everything the fake knows.  Hold ``lock`` while reading or changing it."""

    def __init__(self, seed=None):
        self.lock = threading.RLock()
        self.seed = load_seed_data(seed)
        self.server_url = None    # set by the server once it listens
        self.load(self.seed)

    def load(self, seed):
        """(Re)build the whole state from seed data (a dict, kept pristine for the next reset)."""
        with self.lock:
            self.seed = seed
            seed = copy.deepcopy(seed)
            self.license = seed.get('license', 'premium')
            if self.license not in ('premium', 'free'):
                raise SeedError('license must be premium or free, not %r' % self.license)
            self.limits = dict(seed.get('limits') or {})
            self.users = {}
            self.tokens = {}
            self.job_tokens = {}      # token -> job; filled by the jobs work (ci.py)
            self.groups = {}
            self.projects = {}
            self.instance_variables = []
            self.redirects = {}
            self.extensions = {}      # per-feature data that resets with the state (triggers, jobs ...)
            self._ids = {'user': 0, 'group': 0, 'project': 0}
            self._user_namespaces = {}
            self.seed_external_url = str(seed['external_url']).rstrip('/') if seed.get('external_url') else None
            known = {'external_url', 'license', 'limits', 'users', 'groups', 'projects', 'instance_variables', 'redirects'}
            self.extra = {key: value for key, value in seed.items() if key not in known}
            for data in seed.get('users') or []:
                self._load_user(data)
            for data in sorted(seed.get('groups') or [], key=lambda g: str(g.get('path', '')).count('/')):
                self._load_group(data)
            for data in seed.get('projects') or []:
                self._load_project(data)
            for data in seed.get('instance_variables') or []:
                variable = Variable.from_seed(data, 'instance_variables')
                variable.environment_scope = None
                self.instance_variables.append(variable)
            for old_path, new_path in (seed.get('redirects') or {}).items():
                project = self._project_by_path(str(new_path))
                if project is None:
                    raise SeedError('redirects: unknown project %r' % new_path)
                self.redirects[str(old_path).lower()] = project

    @property
    def external_url(self):
        """GitLab's configured URL: the seed's ``external_url``, else the server's own URL."""
        return self.seed_external_url or self.server_url

    def next_id(self, kind):
        """The next id of a kind (``user``, ``group``, ``project``, or any new kind later)."""
        self._ids[kind] = self._ids.get(kind, 0) + 1
        return self._ids[kind]

    # -- seed loading -------------------------------------------------------------------------

    def _load_user(self, data):
        username = data.get('username')
        if not username:
            raise SeedError('users: every user needs a username')
        if self.find_user(username):
            raise SeedError('users: duplicate username %r' % username)
        known = {'username', 'token', 'admin', 'name', 'email', 'tokens', 'state'}
        user = User(self.next_id('user'), username, data.get('name'), data.get('email'), bool(data.get('admin')),
                    data.get('state', 'active'), {k: v for k, v in data.items() if k not in known})
        self.users[user.id] = user
        if data.get('token'):
            self._add_token(Token(str(data['token']), user, name='%s-main' % username))
        for extra in data.get('tokens') or []:
            if not extra.get('token'):
                raise SeedError('users: %s: every extra token needs a token value' % username)
            self._add_token(Token(str(extra['token']), user, extra.get('scopes'), bool(extra.get('expired')),
                                  bool(extra.get('revoked')), extra.get('name'), extra.get('expires_at')))

    def _add_token(self, token):
        if token.value in self.tokens:
            raise SeedError('users: duplicate token for %s' % token.user.username)
        self.tokens[token.value] = token

    def _members(self, data, where):
        members = {}
        for username, role in (data.get('members') or {}).items():
            if not self.find_user(str(username)):
                raise SeedError('%s: unknown member %r' % (where, username))
            members[str(username)] = _role(role, where)
        return members

    def _load_group(self, data):
        full_path = str(data.get('path') or '')
        where = 'groups: %s' % full_path
        if not full_path:
            raise SeedError('groups: every group needs a path')
        if self._group_by_path(full_path):
            raise SeedError('%s: duplicate group' % where)
        parent = None
        if '/' in full_path:
            parent_path, path = full_path.rsplit('/', 1)
            parent = self._group_by_path(parent_path)
            if parent is None:
                raise SeedError('%s: parent group %r is not in the seed' % (where, parent_path))
        else:
            path = full_path
        known = {'path', 'name', 'visibility', 'members', 'variables', 'description'}
        group = Group(self.next_id('group'), path, parent, data.get('name'), _visibility(data.get('visibility'), where),
                      self._members(data, where), data.get('description') or '', {k: v for k, v in data.items() if k not in known})
        group.variables = [Variable.from_seed(v, where) for v in data.get('variables') or []]
        self.groups[group.id] = group

    def _load_project(self, data):
        full_path = str(data.get('path') or '')
        where = 'projects: %s' % full_path
        if '/' not in full_path:
            raise SeedError('%s: a project path needs a namespace (group/project)' % where)
        if self._project_by_path(full_path):
            raise SeedError('%s: duplicate project' % where)
        namespace_path, path = full_path.rsplit('/', 1)
        namespace = self._group_by_path(namespace_path) or self._user_namespace(namespace_path)
        if namespace is None:
            raise SeedError('%s: namespace %r is neither a seeded group nor a username' % (where, namespace_path))
        known = {'path', 'name', 'visibility', 'members', 'branches', 'description', 'variables', 'ci', 'triggers'}
        project = Project(self.next_id('project'), path, namespace, data.get('name'), _visibility(data.get('visibility'), where),
                          self._members(data, where), data.get('branches'), data.get('description'), data.get('ci'),
                          {k: v for k, v in data.items() if k not in known})
        project.variables = [Variable.from_seed(v, where) for v in data.get('variables') or []]
        self.projects[project.id] = project
        for item in data.get('triggers') or []:
            project.triggers.append(self._seed_trigger(item, where))

    def _seed_trigger(self, data, where):
        if not isinstance(data, dict):
            raise SeedError('%s: a trigger must be a mapping' % where)
        owner = None
        if data.get('owner') is not None:
            owner = self.find_user(str(data['owner']))
            if owner is None:
                raise SeedError('%s: unknown trigger owner %r' % (where, data['owner']))
        token = str(data['token']) if data.get('token') else None
        if token is not None and self.find_trigger_by_token(token)[1] is not None:
            raise SeedError('%s: duplicate trigger token' % where)
        description = data.get('description')
        return Trigger(self.next_id('trigger'), None if description is None else str(description), owner, token,
                       _seed_time(data.get('created_at'), where) or SEED_TIME, _seed_time(data.get('expires_at'), where))

    def _user_namespace(self, username):
        user = self.find_user(username)
        if user is None:
            return None
        if user.id not in self._user_namespaces:
            self._user_namespaces[user.id] = UserNamespace(self.next_id('group'), user)
        return self._user_namespaces[user.id]

    # -- lookups ----------------------------------------------------------------------------

    def find_user(self, username):
        """A user by username (case-insensitive, like GitLab's routes), or None."""
        for user in self.users.values():
            if user.username.lower() == username.lower():
                return user
        return None

    def _group_by_path(self, full_path):
        for group in self.groups.values():
            if group.full_path.lower() == full_path.lower():
                return group
        return None

    def _project_by_path(self, full_path):
        for project in self.projects.values():
            if project.full_path.lower() == full_path.lower():
                return project
        return None

    def find_project(self, ref):
        """Resolve a project ``:id`` (lib/api/helpers.rb ``find_project``).

        Returns ``(project, moved)``: a numeric id looks up by id; a value containing ``/`` looks up
        by full path (case-insensitive) and then by redirect (``moved`` is True); anything else,
        such as a bare project name, resolves to nothing.
        """
        if INTEGER_ID.match(ref):
            return self.projects.get(int(ref)), False
        if '/' in ref:
            project = self._project_by_path(ref)
            if project is not None:
                return project, False
            moved = self.redirects.get(ref.lower())
            return moved, moved is not None
        return None, False

    def find_group(self, ref):
        """Resolve a group ``:id``: numeric id, else full path (lib/api/helpers.rb ``find_group``)."""
        if INTEGER_ID.match(ref):
            return self.groups.get(int(ref))
        return self._group_by_path(ref)

    def find_trigger_by_token(self, token):
        """``(project, trigger)`` holding exactly this token, expired or not, else ``(None, None)``."""
        for project in self.projects.values():
            for trigger in project.triggers:
                if trigger.token == token:
                    return project, trigger
        return None, None

    def subgroups(self, group):
        """Every group below ``group``, at any depth."""
        return [g for g in self.groups.values() if g is not group and group in g.self_and_ancestors()]

    # -- permissions -----------------------------------------------------------------------

    def group_access(self, user, group):
        """The user's role in a group: the highest membership in it or any ancestor."""
        if user is None:
            return NO_ACCESS
        return max([g.members.get(user.username, NO_ACCESS) for g in group.self_and_ancestors()] + [NO_ACCESS])

    def project_access(self, user, project):
        """The user's effective role in a project (project and every ancestor group)."""
        if user is None:
            return NO_ACCESS
        level = project.members.get(user.username, NO_ACCESS)
        namespace = project.namespace
        if namespace.kind == 'user':
            if namespace.user is user:
                level = OWNER
        else:
            level = max(level, self.group_access(user, namespace))
        return level

    def can_read_project(self, user, project):
        """``read_project``: public, internal for any signed-in user, else a member (Guest+) or admin."""
        if project.visibility == 'public':
            return True
        if user is None:
            return False
        return user.admin or project.visibility == 'internal' or self.project_access(user, project) >= GUEST

    def can_read_group(self, user, group):
        """``read_group``: public, internal for signed-in users, members of it, its ancestors or below it."""
        if group.visibility == 'public':
            return True
        if user is None:
            return False
        if user.admin or group.visibility == 'internal' or self.group_access(user, group) >= GUEST:
            return True
        below = self.subgroups(group)
        if any(user.username in g.members for g in below):
            return True
        return any(user.username in p.members for p in self.projects.values()
                   if p.namespace is group or p.namespace in below)

    # -- test support ------------------------------------------------------------------------

    def dump(self):
        """The whole state as JSON-able data, variable values included (``GET /-/fake/state``)."""
        def variables(items):
            return [v.to_dict() for v in items]

        instance = [v.to_dict() for v in self.instance_variables]
        for item in instance:
            del item['environment_scope'], item['hidden']
        return {
            'external_url': self.external_url,
            'license': self.license,
            'limits': self.limits,
            'users': [{'id': u.id, 'username': u.username, 'name': u.name, 'admin': u.admin, 'state': u.state,
                       'tokens': [t.to_dict() for t in self.tokens.values() if t.user is u]} for u in self.users.values()],
            'groups': [{'id': g.id, 'full_path': g.full_path, 'name': g.name, 'visibility': g.visibility,
                        'parent_id': g.parent.id if g.parent else None, 'members': g.members,
                        'variables': variables(g.variables)} for g in self.groups.values()],
            'projects': [{'id': p.id, 'full_path': p.full_path, 'name': p.name, 'visibility': p.visibility,
                          'namespace': {'id': p.namespace.id, 'kind': p.namespace.kind, 'full_path': p.namespace.full_path},
                          'members': p.members, 'branches': p.branches, 'default_branch': p.default_branch,
                          'variables': variables(p.variables), 'ci': p.ci, 'extra': p.extra,
                          'triggers': [t.to_dict() for t in p.triggers]} for p in self.projects.values()],
            'instance_variables': instance,
            'redirects': {old: p.full_path for old, p in self.redirects.items()},
            'extra': self.extra,
        }


def load_seed_data(seed):
    """Seed data from a dict, a YAML file path, or None (the bundled ``seeds/default.yml``)."""
    if seed is None:
        seed = DEFAULT_SEED
    if isinstance(seed, dict):
        return copy.deepcopy(seed)
    with open(os.fspath(seed), encoding='utf-8') as handle:
        data = yaml.safe_load(handle) or {}
    if not isinstance(data, dict):
        raise SeedError('%s: the seed must be a mapping' % seed)
    return data
