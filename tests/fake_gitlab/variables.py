"""CI/CD variables: project, group and instance routes (https://docs.gitlab.com/api/project_level_variables/,
https://docs.gitlab.com/api/group_level_variables/, https://docs.gitlab.com/api/instance_level_ci_variables/).

The three levels share one implementation; ``Level`` holds what differs:

==================  ==========================  ===========================  ==========================
                    project                     group                        instance
==================  ==========================  ===========================  ==========================
routes              /projects/:id/variables     /groups/:id/variables        /admin/ci/variables
who                 Maintainer+ (403 below)     Owner (GroupPolicy)          admin (403 otherwise)
boolean params      Grape Boolean               Grape Boolean                Grape Boolean
environment_scope   yes                         yes (dropped if licence free) no
hidden              yes                         yes                          no
404 text            404 Variable Not Found      404 GroupVariable Not Found  404 InstanceVariable Not Found
PUT lookup          find_variable (409 if >1)   first same key unless        by key (unique)
                                                ``filter`` sent (see below)
==================  ==========================  ===========================  ==========================

Request flow, as in Grape: authentication, then the project/group lookup and role check (before
filters), then parameter validation (400 ``{"error": ...}``), then the handler: lookup (404/409),
model validation (400 ``{"message": {...}}``), write.

Boolean flags.  Newest GitLab declares ``protected``, ``masked``, ``raw`` (and ``masked_and_hidden``)
``type: Boolean`` at all three levels (lib/api/ci/variables.rb, lib/api/group_variables.rb,
lib/api/admin/ci/variables.rb).  Grape coerces a Boolean with dry-types ``Params::Bool``
(ruby-grape/grape lib/grape/validations/types/primitive_coercer.rb; dry-rb/dry-types
lib/dry/types/coercions/params.rb): ``true``/``false`` and the strings ``1 0 t f true false on off
y n yes no`` (lower, Capitalised, UPPER), so ``"no"`` is false; any other word is 400
``{"error": "masked is invalid"}`` before the handler runs (params.py).  Older GitLab declared the
group and instance flags ``type: String`` and let ActiveRecord cast them, so ``"no"`` or ``"maybe"``
was true and only Rails' false words (``0 f false off``) were false; ``params.rails_boolean`` keeps
that cast for reference, but no route uses it any more.
"""

import datetime
import re

from . import errors
from .access import authorize, group_role, project_role, require_admin, user_group, user_project
from .pagination import paginate
from .params import Param, blank, declared, rails_boolean
from .request import Response
from .state import MAINTAINER, OWNER, Variable

VARIABLE_TYPES = ['env_var', 'file']
MULTIPLE_MATCHES = "There are multiple variables with provided parameters. Please use 'filter[environment_scope]'"

# Validation rules and messages: app/models/concerns/ci/has_variable.rb, ci/maskable.rb, has_environment_scope.rb.
KEY_FORMAT = re.compile(r'[a-zA-Z0-9_]+')
KEY_FORMAT_MESSAGE = "can contain only letters, digits and '_'."
MASK_EXPANDED = re.compile(r'[a-zA-Z0-9_+=/@:.~-]{8,}')          # masked && !raw
MASK_RAW = re.compile(r'[^ \t\r\n\f\v]{8,}')                     # masked && raw: Ruby's \S{8,}
SCOPE_FORMAT = re.compile(r'[a-zA-Z0-9_/${}. *-]+')
SCOPE_FORMAT_MESSAGE = "can contain only letters, digits, '-', '_', '/', '$', '{', '}', '.', '*' and spaces"
HIDDEN_MASK_CHANGE = 'The visibility setting cannot be changed for masked and hidden variables.'
INSTANCE_VALUE_LIMIT = 10000
RUBY_WHITESPACE = ' \t\n\v\f\r\0'

FILTER = Param('filter', 'hash', children=[Param('environment_scope')])


class Level:
    """What differs between project, group and instance variables."""

    def __init__(self, name, base, resource, boolean, scoped, hidable, limit_name, create_params, update_params, lookup_params):
        self.name = name
        self.base = base
        self.resource = resource            # for not_found!: "404 <resource> Not Found"
        self.boolean = boolean              # 'grape' (Boolean params) or 'rails' (older GitLab: String params cast by Rails)
        self.scoped = scoped                # has environment_scope
        self.hidable = hidable              # has hidden / masked_and_hidden
        self.limit_name = limit_name        # plan limit name (seed ``limits``)
        self.create_params = create_params
        self.update_params = update_params
        self.lookup_params = lookup_params


def _flags(kind):
    """The boolean parameter declarations, in GitLab's declaration order."""
    return [Param('protected', kind), Param('masked', kind), Param('raw', kind)]


# Declarations follow lib/api/ci/variables.rb, lib/api/group_variables.rb, lib/api/admin/ci/variables.rb.
PROJECT = Level(
    'project', '/api/v4/projects/:id/variables', 'Variable', 'grape', True, True, 'project_ci_variables',
    create_params=[Param('key', required=True), Param('value', required=True), Param('protected', 'boolean'),
                   Param('masked', 'boolean'), Param('masked_and_hidden', 'boolean'), Param('raw', 'boolean'),
                   Param('variable_type', values=VARIABLE_TYPES), Param('environment_scope'), Param('description')],
    update_params=[Param('key'), Param('value')] + _flags('boolean') + [
        Param('variable_type', values=VARIABLE_TYPES), Param('environment_scope'), Param('description'), FILTER],
    lookup_params=[Param('key', required=True), FILTER],
)
GROUP = Level(
    'group', '/api/v4/groups/:id/variables', 'GroupVariable', 'grape', True, True, 'group_ci_variables',
    # lib/api/group_variables.rb: every flag is Boolean; masked_and_hidden comes before masked on create.
    create_params=[Param('key', required=True), Param('value', required=True), Param('protected', 'boolean'),
                   Param('masked_and_hidden', 'boolean'), Param('masked', 'boolean'), Param('raw', 'boolean'),
                   Param('variable_type', values=VARIABLE_TYPES), Param('environment_scope'), Param('description')],
    update_params=[Param('key'), Param('value')] + _flags('boolean') + [
        Param('variable_type', values=VARIABLE_TYPES), Param('environment_scope'), Param('description')],
    lookup_params=[Param('key', required=True)],
)
INSTANCE = Level(
    'instance', '/api/v4/admin/ci/variables', 'InstanceVariable', 'grape', False, False, 'ci_instance_level_variables',
    # lib/api/admin/ci/variables.rb: description is declared right after key, the flags are Boolean.
    create_params=[Param('key', required=True), Param('description'), Param('value', required=True)] + _flags('boolean') + [
        Param('variable_type', values=VARIABLE_TYPES)],
    update_params=[Param('key'), Param('description'), Param('value')] + _flags('boolean') + [
        Param('variable_type', values=VARIABLE_TYPES)],
    lookup_params=[Param('key', required=True)],
)
LEVELS = (PROJECT, GROUP, INSTANCE)


def register(router):
    """Add the list/show/create/update/delete routes of every level."""
    for level in LEVELS:
        routes = VariableRoutes(level)
        router.add('GET', level.base, routes.list)
        router.add('GET', level.base + '/:key', routes.show)
        router.add('POST', level.base, routes.create)
        router.add('PUT', level.base + '/:key', routes.update)
        router.add('DELETE', level.base + '/:key', routes.delete)


def render(level, variable):
    """``Entities::Ci::Variable``.  Hidden values are null in every response (lib/api/entities/ci/variable.rb)."""
    data = {'variable_type': variable.variable_type, 'key': variable.key,
            'value': None if level.hidable and variable.hidden else variable.value}
    if level.hidable:
        data['hidden'] = variable.hidden
    data.update({'protected': variable.protected, 'masked': variable.masked, 'raw': variable.raw})
    if level.scoped:
        data['environment_scope'] = variable.environment_scope
    data['description'] = variable.description
    return data


def _strip(value):
    """The ``key=`` / ``environment_scope=`` setters: ``value.to_s.strip``."""
    return ('' if value is None else str(value)).strip(RUBY_WHITESPACE)


def _filter_scope(params):
    """``params.dig(:filter, :environment_scope)`` when present (Rails ``present?``), else None."""
    wanted = params.get('filter')
    if not isinstance(wanted, dict):
        return None
    scope = wanted.get('environment_scope')
    return None if blank(scope) else scope


class VariableRoutes:
    """The five routes of one level."""

    def __init__(self, level):
        self.level = level

    # -- access -----------------------------------------------------------------------------

    def variables(self, call):
        """The before filters: find the owner (404), check the role (403); return its variable list."""
        if self.level is PROJECT:
            project = user_project(call)
            authorize(project_role(call, project) >= MAINTAINER)
            return project.variables
        if self.level is GROUP:
            group = user_group(call)
            # GroupPolicy grants admin_cicd_variables to Owners only.
            authorize(group_role(call, group) >= OWNER)
            return group.variables
        require_admin(call)
        return call.state.instance_variables

    def find(self, variables, key, params):
        """``find_variable``: 0 matches -> None, 1 -> it (any scope), >1 -> 409 (lib/api/helpers/variables_helpers.rb)."""
        matches = [v for v in variables if v.key == key]
        scope = _filter_scope(params) if self.level.scoped else None
        if scope is not None:
            matches = [v for v in matches if v.environment_scope == scope]
        if len(matches) > 1:
            raise errors.conflict(MULTIPLE_MATCHES)
        return matches[0] if matches else None

    # -- parameters ----------------------------------------------------------------------------

    def attributes(self, call, args):
        """Turn declared params into model attributes (casts, strips, licence filter)."""
        attrs = {}
        for name in ('key', 'value', 'variable_type', 'environment_scope', 'description'):
            if name in args:
                attrs[name] = args[name]
        for name in ('protected', 'masked', 'raw'):
            if name in args:
                value = args[name]
                attrs[name] = rails_boolean(value) if self.level.boolean == 'rails' else value
        if 'variable_type' in attrs and attrs['variable_type'] is None:
            del attrs['variable_type']
        for name in ('protected', 'raw'):
            # A nil here would hit a NOT NULL column; treat it as false [INFERRED].
            if name in attrs and attrs[name] is None:
                attrs[name] = False
        if 'environment_scope' in attrs:
            if self.level is GROUP and call.state.license == 'free':
                # EE without licence: filter_variable_parameters deletes it silently (the EE override of
                # lib/api/helpers/variables_helpers.rb) [INFERRED].
                del attrs['environment_scope']
            else:
                attrs['environment_scope'] = _strip(attrs['environment_scope'])
        return attrs

    # -- validation -------------------------------------------------------------------------

    def validate(self, call, variable, variables, original=None):
        """The model validations, in model order; returns the Rails errors hash (empty = valid)."""
        found = {}

        def add(attribute, text):
            found.setdefault(attribute, []).append(text)

        key = variable.key
        if blank(key):
            add('key', "can't be blank")
        if len(key) > 255:
            add('key', 'is too long (maximum is 255 characters)')
        if not KEY_FORMAT.fullmatch(key):
            add('key', KEY_FORMAT_MESSAGE)
        if variable.masked is None:
            add('masked', 'is not included in the list')
        elif variable.masked:
            pattern = MASK_RAW if variable.raw else MASK_EXPANDED
            if not pattern.fullmatch(variable.value or ''):
                add('value', 'is invalid')
        if self.level.hidable and original is not None and original.hidden and variable.masked != original.masked:
            add('base', HIDDEN_MASK_CHANGE)
        if self.level.scoped:
            if blank(variable.environment_scope):
                add('environment_scope', "can't be blank")
            if not SCOPE_FORMAT.fullmatch(variable.environment_scope or ''):
                add('environment_scope', SCOPE_FORMAT_MESSAGE)
        if variable.description and len(variable.description) > 255:
            add('description', 'is too long (maximum is 255 characters)')
        if self.level is INSTANCE and len(variable.value or '') > INSTANCE_VALUE_LIMIT:
            add('value', 'The value of the provided variable exceeds the %d character limit' % INSTANCE_VALUE_LIMIT)
        for other in variables:
            if other is not original and other.key == key and (not self.level.scoped or other.environment_scope == variable.environment_scope):
                add('key', '(%s) has already been taken' % key)
                break
        limit = call.state.limits.get(self.level.limit_name) or 0
        if original is None and limit and len(variables) >= limit:
            add('base', 'Maximum number of %s (%d) exceeded' % (self.level.limit_name.replace('_', ' '), limit))
        return found

    # -- routes ------------------------------------------------------------------------------

    def list(self, call):
        """``GET .../variables``: paginated with counts, in creation order."""
        variables = self.variables(call)
        return paginate(call, variables, lambda v: render(self.level, v))

    def show(self, call):
        """``GET .../variables/:key``."""
        variables = self.variables(call)
        declared(call.params, self.level.lookup_params)
        variable = self.find(variables, call.params['key'], call.params)
        if variable is None:
            raise errors.not_found(self.level.resource)
        return Response.json(200, render(self.level, variable))

    def create(self, call):
        """``POST .../variables``: 201, or 400 with the model errors."""
        variables = self.variables(call)
        args = declared(call.params, self.level.create_params)
        attrs = self.attributes(call, args)
        variable = Variable(key=_strip(attrs.pop('key')), value=attrs.pop('value'))
        if not self.level.scoped:
            variable.environment_scope = None
        for name, value in attrs.items():
            setattr(variable, name, value)
        if self.level.hidable and args.get('masked_and_hidden'):
            # ChangeVariableService#create_variable_params: hidden forces masked (app/services/ci/change_variable_service.rb).
            variable.hidden = True
            variable.masked = True
        found = self.validate(call, variable, variables)
        if found:
            raise errors.validation_error(found)
        variables.append(variable)
        return Response.json(201, render(self.level, variable))

    def update(self, call):
        """``PUT .../variables/:key``: 200; cannot rename, cannot change ``hidden``."""
        variables = self.variables(call)
        args = declared(call.params, self.level.update_params)
        key = call.params['key']
        variable = None
        if self.level is not GROUP or 'filter' in call.params:
            variable = self.find(variables, key, call.params)
        if variable is None and self.level is GROUP:
            # Group PUT (group_variables.rb, MR 136475): without ``filter`` it updates the first
            # variable with that key, never 409.  With a filter that matches nothing,
            # ChangeVariableService falls back to find_by!(key:) as well, so another scope's
            # variable is updated; only a key that does not exist at all is a 404.
            variable = next((v for v in variables if v.key == key), None)
        if variable is None:
            raise errors.not_found(self.level.resource)
        attrs = self.attributes(call, args)
        attrs.pop('key', None)      # the path key wins: a variable cannot be renamed
        candidate = variable.copy()
        for name, value in attrs.items():
            setattr(candidate, name, value)
        found = self.validate(call, candidate, variables, original=variable)
        if found:
            raise errors.validation_error(found)
        for name in attrs:
            setattr(variable, name, getattr(candidate, name))
        variable.updated_at = datetime.datetime.now(datetime.timezone.utc)
        return Response.json(200, render(self.level, variable))

    def delete(self, call):
        """``DELETE .../variables/:key``: 204 with an empty body."""
        variables = self.variables(call)
        declared(call.params, self.level.lookup_params)
        variable = self.find(variables, call.params['key'], call.params)
        if variable is None:
            raise errors.not_found(self.level.resource)
        if self.level is GROUP:
            # destroy_conditionally!: honours If-Unmodified-Since (lib/api/helpers.rb).
            errors.check_unmodified_since(call, variable.updated_at)
        variables.remove(variable)
        return Response.empty(204)
