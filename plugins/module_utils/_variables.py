# -*- coding: utf-8 -*-
# Copyright: cicd.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure CI/CD variable logic: normalize, validate, plan, diff and result. No HTTP in here.

The module lists the variables once, then: ``prepare()`` (options -> level, owner, desired set,
every input error at once) -> ``normalize_current()`` -> ``plan()`` -> apply through the client
-> ``build_result()`` / ``build_diff()``. The plan is the single source of ``changed``, the diff
and the return value; check mode is the same path with the writes skipped.

Identity is ``(key, environment_scope)``; instance variables have no scope (``None``). Only the
fields in MANAGED_FIELDS are read from GitLab's answers, so a field GitLab adds later can neither
cause a change nor a deletion (as community.general's purge did when GitLab added ``raw``:
https://github.com/ansible-collections/community.general/issues/7250).

Secrets: a value is never put in a message, the diff or the result. Plan entries carry the values
to send, but only ``attrs`` of an entry ever reaches the client.
Private to the collection: the API of this file may change without notice.
"""

from __future__ import annotations

import re

# The client's check, its last line of defence, is also the first (before any request).
from ansible_collections.cicd.gitlab.plugins.module_utils._client import path_segment_problem
from ansible_collections.cicd.gitlab.plugins.module_utils._errors import InputError

VARIABLE_TYPES = ('env_var', 'file')
STATES = ('present', 'absent')
VALUE_UPDATES = ('on_create', 'always')

# The per-variable options, at the top level (one variable) and in each item of ``variables``.
VARIABLE_OPTIONS = ('key', 'value', 'variable_type', 'protected', 'masked', 'hidden', 'raw',
                    'environment_scope', 'description')
BOOL_FIELDS = ('protected', 'masked', 'hidden', 'raw')
# Fields compared with GitLab's state; ``hidden`` only matters for creation (it cannot change in
# place) and ``environment_scope`` is part of the identity.
COMPARED_FIELDS = ('variable_type', 'protected', 'masked', 'raw', 'description')
# What GitLab applies on create when an attribute is not sent (lib/api/ci/variables.rb and
# https://docs.gitlab.com/api/project_level_variables/#create-a-variable).
CREATE_DEFAULTS = {'variable_type': 'env_var', 'protected': False, 'masked': False, 'raw': False,
                   'description': None, 'hidden': False}
DEFAULT_SCOPE = '*'

# app/models/concerns/ci/has_variable.rb (key) and app/models/concerns/has_environment_scope.rb (scope)
KEY_RE = re.compile(r'[a-zA-Z0-9_]+')
KEY_MAX = 255
SCOPE_RE = re.compile(r'[a-zA-Z0-9_/${}. *-]+')
DESCRIPTION_MAX = 255
INSTANCE_VALUE_MAX = 10000
# Ci::Maskable: REGEX (masked && !raw) and MASK_AND_RAW_REGEX (masked && raw). Ruby's \s is
# ASCII whitespace only, so \S is spelled out rather than using Python's Unicode-aware \S.
MASK_EXPANDED_RE = re.compile(r'[a-zA-Z0-9_+=/@:.~-]{8,}')
MASK_RAW_RE = re.compile(r'[^ \t\r\n\f\v]{8,}')
MASK_MIN = 8
_WHITESPACE_RE = re.compile(r'[ \t\r\n\f\v]')
_MASK_OTHER_RE = re.compile(r'[^a-zA-Z0-9_+=/@:.~-]')

# Markers that stand for a value in the diff; the value itself is never shown.
REDACTED = '<redacted>'
REDACTED_CHANGED = '<redacted, changed>'
HIDDEN = '<hidden>'
HIDDEN_WRITTEN = '<hidden, written>'


# ---- identities and names -----------------------------------------------------------------

def identity(item):
    """The identity of a normalized variable: ``(key, environment_scope)``."""
    return (item['key'], item['environment_scope'])


def sort_key(ident):
    """Sort identities by key, then scope (instance scopes are None)."""
    return (ident[0], ident[1] or '')


def describe(ident):
    """How messages name a variable: ``FOO`` or ``FOO (environment_scope production)``."""
    key, scope = ident
    shown = key if len(key) <= 60 else key[:60] + '...'
    if scope is None:
        return 'variable %s' % shown
    return 'variable %s (environment_scope %s)' % (shown, scope)


def public_identity(ident):
    """The identity as returned to the user: ``{key, environment_scope}``, or ``{key}`` for instance."""
    key, scope = ident
    if scope is None:
        return {'key': key}
    return {'key': key, 'environment_scope': scope}


def value_secrets(params):
    """Every value given in ``params`` (top level and list items), as text, for no_log masking.

    The items of ``variables`` are checked by this module rather than by Ansible's sub-options, so
    their values are registered here; a value of the wrong type is taken in its text form.
    """
    found = []
    candidates = [params.get('value')]
    items = params.get('variables')
    if isinstance(items, str):
        candidates.append(items)   # a KEY=value string where the list should be
    elif isinstance(items, (list, tuple)):
        for item in items:
            if isinstance(item, dict):
                # the value, and whatever sits under a misspelt field (it may be the value)
                candidates.extend(item[field] for field in item if field == 'value' or field not in VARIABLE_OPTIONS)
            else:
                candidates.append(item)   # a KEY=value string, or anything else that is not an item
    for value in candidates:
        if value is None or isinstance(value, (bool, dict, list, tuple)):
            continue
        text = value if isinstance(value, str) else str(value)
        if text:
            found.append(text)
    return found


# ---- options -> desired set -----------------------------------------------------------------

def resolve_level(params):
    """Return ``(level, owner)`` from the options, or raise InputError."""
    chosen = []
    if params.get('project') not in (None, ''):
        chosen.append(('project', params['project']))
    if params.get('group') not in (None, ''):
        chosen.append(('group', params['group']))
    if params.get('instance'):
        chosen.append(('instance', None))
    if len(chosen) != 1:
        found = ', '.join(level for level, dummy in chosen) or 'none'
        raise InputError(['exactly one of project, group or instance=true is required (found: %s)' % found])
    level, owner = chosen[0]
    if owner is not None:
        # The owner becomes one URL path segment: no '..', no empty segment, no control character.
        problem = path_segment_problem(level, str(owner))
        if problem:
            raise InputError([problem])
    return level, owner


# Ansible's boolean spellings (ansible.module_utils.parsing.convert_bool), for list items, whose
# fields the module checks itself so that a malformed item gets a message naming it.
_BOOL_TRUE = frozenset(('y', 'yes', 'on', '1', 'true', 't'))
_BOOL_FALSE = frozenset(('n', 'no', 'off', '0', 'false', 'f'))
_STR_FIELDS = ('key', 'variable_type', 'environment_scope', 'description')


def type_name(value):
    """How a message names the YAML type of a value (never the value itself)."""
    if isinstance(value, bool):
        return 'a boolean'
    if isinstance(value, int):
        return 'an integer'
    if isinstance(value, float):
        return 'a float'
    if value is None:
        return 'null (an empty value)'
    if isinstance(value, (list, tuple)):
        return 'a list'
    if isinstance(value, dict):
        return 'a dictionary'
    if isinstance(value, str):
        return 'a string'
    return 'a %s' % type(value).__name__


def value_type_problem(value):
    """Why ``value`` is not usable as a variable value, or None: it must be a string as written.

    YAML types unquoted scalars (``true``/``yes`` -> boolean, ``1.10`` -> float 1.1, ``0755`` ->
    integer 493), so the text GitLab would store is not what was written: refuse, never convert.
    """
    if isinstance(value, str):
        return None
    return ('value must be a string, but YAML read it as %s, so GitLab would not get the text as written '
            '(unquoted numbers, yes/no/true/false and numbers with leading zeros change); quote the value in YAML'
            % type_name(value))


def _coerce_item(item, where):
    """Check one raw item of ``variables``; return ``(entry or None, errors)`` (messages never show a value).

    Booleans accept Ansible's spellings (yes/no, true/false, on/off, 1/0) and the text fields accept
    numbers as Ansible's ``str`` type did; ``value`` must already be a string (see value_type_problem).
    """
    if not isinstance(item, dict):
        hint = ' (a NAME=VALUE string is not supported; write the key and value fields)' if isinstance(item, str) else ''
        return None, ['%s must be a dictionary with key, value and the other variable fields; got %s%s'
                      % (where, type_name(item), hint)]
    key = item.get('key')
    name = '%s (key %s)' % (where, key) if isinstance(key, str) and KEY_RE.fullmatch(key or '') else where
    errors = []
    unknown = sorted(str(field) for field in item if field not in VARIABLE_OPTIONS)
    if unknown:
        errors.append('%s: unknown field(s) %s; the fields of a variable are %s' % (name, ', '.join(unknown), ', '.join(VARIABLE_OPTIONS)))
    entry = dict(item)
    for field in BOOL_FIELDS:
        raw = item.get(field)
        if isinstance(raw, str) and raw.lower() in _BOOL_TRUE | _BOOL_FALSE:
            entry[field] = raw.lower() in _BOOL_TRUE
        elif isinstance(raw, int) and not isinstance(raw, bool) and raw in (0, 1):
            entry[field] = bool(raw)
    for field in _STR_FIELDS:
        raw = item.get(field)
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            entry[field] = str(raw)
    return entry, errors


def coerce_items(params):
    """The items of ``variables`` checked and converted: ``(items, errors)``; items that are not dicts are left out."""
    raw = params.get('variables')
    if raw is None:
        return None, []
    if not isinstance(raw, (list, tuple)):
        return [], ['variables must be a list of dictionaries (one per variable, with key, value, ...); got %s' % type_name(raw)]
    items, errors = [], []
    for index, item in enumerate(raw):
        entry, problems = _coerce_item(item, 'variables[%d]' % index)
        errors.extend(problems)
        items.append((entry, 'variables[%d]' % index))
    return items, errors


def normalize_desired(params, level):
    """Return the requested variables as a list of dicts with every field of VARIABLE_OPTIONS.

    Fields the user left out stay None (neither compared nor sent). The scope defaults to ``*``
    for project and group variables; it stays None at instance level unless given (an error that
    validate() reports). ``_where`` names a list item in messages (``variables[2]``).
    """
    if params.get('variables') is not None:
        items, dummy = coerce_items(params)
        raw_items = [(item, where) for item, where in items if item is not None]
    elif params.get('key') is not None:
        raw_items = [(params, None)]
    else:
        raw_items = []
    desired = []
    for item, where in raw_items:
        entry = dict((name, item.get(name)) for name in VARIABLE_OPTIONS)
        if entry['environment_scope'] is None and level != 'instance':
            entry['environment_scope'] = DEFAULT_SCOPE
        entry['_where'] = where
        desired.append(entry)
    return desired


def validate_options(params):
    """Errors in how the options are combined (not in the variables themselves)."""
    errors = []
    if params.get('variables') is not None:
        if params.get('key') is not None:
            errors.append('key and variables are mutually exclusive; put each variable in variables')
        mixed = [name for name in VARIABLE_OPTIONS if name != 'key' and params.get(name) is not None]
        if mixed:
            errors.append('%s cannot be used together with variables; set them in each item of variables' % ', '.join(mixed))
    elif params.get('key') is None:
        errors.append('one of key or variables is required')
        if params.get('purge'):
            errors.append('purge needs the complete list of variables to keep; use variables (an explicit empty list removes every variable)')
    if params.get('purge') and params.get('state') == 'absent':
        errors.append('purge cannot be used with state=absent; use state=present with the variables to keep')
    if params.get('state', 'present') not in STATES:
        errors.append('state must be one of %s' % ', '.join(STATES))
    if params.get('value_update', 'on_create') not in VALUE_UPDATES:
        errors.append('value_update must be one of %s' % ', '.join(VALUE_UPDATES))
    return errors


def mask_problems(value, raw):
    """Why ``value`` cannot be masked (a list of reasons, without the value), [] if it can.

    ``raw`` None means "not known yet": only the rules common to both modes are checked.
    Together the reasons are exactly GitLab's two regexes (MASK_EXPANDED_RE, MASK_RAW_RE).
    """
    problems = []
    if len(value) < MASK_MIN:
        problems.append('a masked value must be at least %d characters long' % MASK_MIN)
    if _WHITESPACE_RE.search(value):
        problems.append('a masked value cannot contain spaces, tabs or line breaks')
    if raw is False and _MASK_OTHER_RE.search(_WHITESPACE_RE.sub('', value)):
        problems.append("with raw=false a masked value may contain only ASCII letters, digits and _ + = / @ : . ~ - "
                        "(raw=true allows any character except whitespace)")
    return problems


def _item_name(entry, level):
    """``variable FOO (environment_scope *)``, prefixed with ``variables[N]`` for list items."""
    key = entry.get('key')
    name = None
    if isinstance(key, str) and key:
        scope = entry.get('environment_scope')
        name = describe((key, scope if isinstance(scope, str) and level != 'instance' else None))
    where = entry.get('_where')
    if where and name:
        return '%s, %s' % (where, name)
    return where or name or 'the variable'


def validate_item(entry, level, state):
    """Errors of one normalized variable, each naming the item and the rule (never the value)."""
    errors = []
    name = _item_name(entry, level)
    key = entry.get('key')
    if not isinstance(key, str) or not key:
        errors.append('%s: key is required and must be a non-empty string' % name)
    else:
        if len(key) > KEY_MAX:
            errors.append('%s: key is longer than %d characters' % (name, KEY_MAX))
        if not KEY_RE.fullmatch(key):
            errors.append("%s: key may contain only ASCII letters, digits and '_'" % name)
    scope = entry.get('environment_scope')
    if level == 'instance':
        if scope is not None:
            errors.append('%s: environment_scope is not supported for instance variables (they apply to every environment)' % name)
        if entry.get('hidden'):
            errors.append('%s: hidden is not supported for instance variables; use masked=true' % name)
    elif not isinstance(scope, str) or not scope:
        errors.append('%s: environment_scope must be a non-empty string' % name)
    else:
        if scope != scope.strip():
            errors.append('%s: environment_scope cannot start or end with whitespace' % name)
        if not SCOPE_RE.fullmatch(scope):
            errors.append("%s: environment_scope may contain only letters, digits, '-', '_', '/', '$', '{', '}', '.', '*' and spaces" % name)
    for field in BOOL_FIELDS:
        if entry.get(field) is not None and not isinstance(entry[field], bool):
            errors.append('%s: %s must be a boolean' % (name, field))
    if entry.get('variable_type') is not None and entry['variable_type'] not in VARIABLE_TYPES:
        errors.append('%s: variable_type must be one of %s' % (name, ', '.join(VARIABLE_TYPES)))
    description = entry.get('description')
    if description is not None:
        if not isinstance(description, str):
            errors.append('%s: description must be a string' % name)
        elif len(description) > DESCRIPTION_MAX:
            errors.append('%s: description is longer than %d characters' % (name, DESCRIPTION_MAX))
    if state == 'absent':
        return errors  # only the identity matters for removal
    if entry.get('hidden') is True and entry.get('masked') is False:
        errors.append('%s: hidden=true needs masked=true (a hidden variable is always masked); drop masked or set it to true' % name)
    value = entry.get('value')
    if value is not None:
        problem = value_type_problem(value)
        if problem:
            errors.append('%s: %s' % (name, problem))
        else:
            if level == 'instance' and len(value) > INSTANCE_VALUE_MAX:
                errors.append('%s: value is longer than %d characters, the limit for instance variables' % (name, INSTANCE_VALUE_MAX))
            masked = entry.get('masked') or entry.get('hidden')
            raw = entry.get('raw') if isinstance(entry.get('raw'), bool) else None
            if masked is True:
                # With raw unknown (None) only the rule common to both modes can be checked now;
                # plan() checks again once the existing variable's raw is known.
                errors.extend('%s: %s' % (name, problem) for problem in mask_problems(value, raw))
    return errors


def validate(desired, level, state='present'):
    """Errors of the whole desired set: every item, then duplicate identities."""
    errors = []
    for entry in desired:
        errors.extend(validate_item(entry, level, state))
    seen = {}
    for entry in desired:
        key = entry.get('key')
        scope = entry.get('environment_scope')
        if not isinstance(key, str) or not (scope is None or isinstance(scope, str)):
            continue
        ident = (key, scope if level != 'instance' else None)
        if ident in seen:
            errors.append('%s and %s: %s is listed twice (a variable is identified by key and environment_scope)'
                          % (seen[ident], entry['_where'], describe(ident)))
        else:
            seen[ident] = entry['_where']
    return errors


def prepare(params):
    """Check every option before any request; return ``(level, owner, desired)``.

    Raises InputError listing every problem found (level, option combinations, items).
    """
    errors = []
    try:
        level, owner = resolve_level(params)
    except InputError as err:
        errors.extend(err.errors)
        level, owner = 'project', None  # keep validating the variables
    errors.extend(validate_options(params))
    errors.extend(coerce_items(params)[1])
    desired = normalize_desired(params, level)
    errors.extend(validate(desired, level, params.get('state', 'present')))
    if errors:
        raise InputError(errors)
    return level, owner, desired


# ---- GitLab's answer -> current state ---------------------------------------------------------

def normalize_item(item, level):
    """Reduce one variable from GitLab's answer to the managed fields (unknown fields are dropped)."""
    current = {
        'key': item['key'],
        'environment_scope': None if level == 'instance' else (item.get('environment_scope') or DEFAULT_SCOPE),
        'value': item.get('value'),
        'hidden': bool(item.get('hidden', False)) if level != 'instance' else False,
    }
    for field in COMPARED_FIELDS:
        value = item.get(field)
        current[field] = CREATE_DEFAULTS[field] if value is None else value
    for field in BOOL_FIELDS:
        current[field] = _as_bool(current[field])
    if current['hidden']:
        current['value'] = None  # GitLab sends null; never compare against anything else
    return current


def _as_bool(value):
    # GitLab answers booleans (lib/api/entities/ci/variable.rb); be tolerant of a proxy or an
    # old version answering strings.
    if isinstance(value, str):
        return value.lower() not in ('false', '0', 'f', 'off', 'no', '')
    return bool(value)


def normalize_current(api_items, level):
    """Return ``{(key, scope): managed fields}`` from GitLab's list of variables."""
    return dict((identity(current), current) for current in (normalize_item(item, level) for item in api_items))


# ---- plan ---------------------------------------------------------------------------------

class Plan:
    """What to do, per identity. Entries are dicts:

    - creates / replacements: ``{'id', 'attrs' (POST body), 'before', 'after'}``
    - updates: ``{'id', 'attrs' (PUT body), 'before', 'after', 'fields'}``
    - deletes: ``{'id', 'before', 'after': None}``
    - unchanged: ``{'id'}``

    ``before`` / ``after`` are managed-field dicts used for the diff; ``after`` may carry the
    value to send (only ever sent to GitLab, never shown).
    """

    KINDS = ('creates', 'updates', 'replacements', 'deletes', 'unchanged')

    def __init__(self, level):
        self.level = level
        self.creates = []
        self.updates = []
        self.replacements = []
        self.deletes = []
        self.unchanged = []
        # Group variables under '*' that purge does not delete because a create of the same key in
        # another scope may be stored under '*' (GitLab Free); ``{'id', 'for'}``. See free_scope_hold().
        self.held = []
        self.warnings = []

    @property
    def changed(self):
        return bool(self.creates or self.updates or self.replacements or self.deletes)

    def lists(self):
        """The entry lists by kind (the keys are KINDS)."""
        return {'creates': self.creates, 'updates': self.updates, 'replacements': self.replacements,
                'deletes': self.deletes, 'unchanged': self.unchanged}

    def add(self, kind, entry):
        self.lists()[kind].append(entry)

    def move(self, ident, kind, entry):
        """Re-file the entry of ``ident`` (after a race was resolved) under ``kind``."""
        for entries in self.lists().values():
            entries[:] = [item for item in entries if item['id'] != ident]
        self.add(kind, entry)

    def sort(self):
        for entries in self.lists().values():
            entries.sort(key=lambda entry: sort_key(entry['id']))
        return self


def _merged(current, entry):
    """The state after applying the requested fields over the existing variable."""
    after = dict(current)
    for field in COMPARED_FIELDS:
        if entry.get(field) is not None:
            after[field] = entry[field]
    return after


def _same(field, left, right):
    if field == 'description':
        return (left or '') == (right or '')  # GitLab answers null for an empty description
    return left == right


def create_attrs(state, level, only_given=None):
    """The POST body that creates ``state`` (a full managed-field dict with a value).

    ``only_given``: the desired entry; when set, attributes the user left out are not sent
    (GitLab's defaults apply) - used for plain creates. Replacements send the merged state.
    """
    attrs = {'key': state['key'], 'value': state['value']}
    for field in COMPARED_FIELDS:
        if only_given is not None and only_given.get(field) is None:
            continue
        if state[field] is not None:
            attrs[field] = state[field]
    if level != 'instance':
        attrs['environment_scope'] = state['environment_scope']
        if state.get('hidden'):
            # There is no `hidden` request parameter; masked_and_hidden makes the variable hidden
            # and masked (GitLab 17.4+, https://docs.gitlab.com/api/project_level_variables/#create-a-variable).
            # masked is sent too so that an older
            # GitLab at least masks it.
            attrs['masked_and_hidden'] = True
            attrs['masked'] = True
    return attrs


def _check_mask(errors, ident, value, masked, raw, current_value=False):
    if masked and value is not None:
        what = '%s: its current value cannot be masked' % describe(ident) if current_value else describe(ident)
        errors.extend('%s: %s' % (what, problem) for problem in mask_problems(value, bool(raw)))


def plan_item(current, entry, level, value_update='on_create', replace_hidden=False):
    """Plan one present variable: return ``(kind, plan entry)``, raise InputError."""
    ident = identity(entry)
    errors = []
    if current is None:
        if entry.get('value') is None:
            raise InputError(['%s does not exist yet, so value is required to create it' % describe(ident)])
        after = dict(CREATE_DEFAULTS, key=ident[0], environment_scope=ident[1])
        after = _merged(after, entry)
        after['value'] = entry['value']
        after['hidden'] = bool(entry.get('hidden'))
        if after['hidden']:
            after['masked'] = True
        _check_mask(errors, ident, after['value'], after['masked'], after['raw'])
        if errors:
            raise InputError(errors)
        return 'creates', {'id': ident, 'attrs': create_attrs(after, level, only_given=entry), 'before': None, 'after': after}

    before = current
    wanted_hidden = entry.get('hidden')
    if level != 'instance' and wanted_hidden is not None and wanted_hidden != current['hidden']:
        return _plan_replacement(current, entry, level, replace_hidden)
    if current['hidden'] and entry.get('masked') is False:
        raise InputError(['%s is hidden, and a hidden variable is always masked; GitLab cannot unmask it in place '
                          '(set hidden=false and replace_hidden=true to re-create it unhidden)' % describe(ident)])

    after = _merged(current, entry)
    fields = [field for field in COMPARED_FIELDS if not _same(field, current[field], after[field])]
    value = entry.get('value')
    send_value = False
    if value is not None:
        if current['hidden']:
            # A hidden value cannot be read back (GitLab answers null): either never compare it
            # (on_create) or write it on every run (always).
            send_value = value_update == 'always'
        else:
            send_value = value != current['value']
    if send_value:
        after['value'] = value
        fields.append('value')
    if not fields:
        return 'unchanged', {'id': ident}
    attrs = dict((field, after[field]) for field in fields)
    if 'value' in attrs or 'masked' in attrs or 'raw' in attrs:
        _check_mask(errors, ident, value if send_value else current['value'], after['masked'], after['raw'],
                    current_value=not send_value)
    if errors:
        raise InputError(errors)
    return 'updates', {'id': ident, 'attrs': attrs, 'before': before, 'after': after, 'fields': sorted(fields)}


def _plan_replacement(current, entry, level, replace_hidden):
    ident = identity(entry)
    action = 'hide an existing variable' if entry['hidden'] else 'unhide a hidden variable'
    if not replace_hidden:
        raise InputError(['%s: GitLab cannot %s in place; set replace_hidden=true to delete and re-create it '
                          '(it is missing for a moment), or remove it first' % (describe(ident), action)])
    after = _merged(current, entry)
    after['hidden'] = entry['hidden']
    after['value'] = entry['value'] if entry.get('value') is not None else current['value']
    if after['hidden']:
        after['masked'] = True
    errors = []
    if after['value'] is None:
        errors.append('%s is hidden, so its value cannot be read back; value is required to re-create it unhidden' % describe(ident))
    _check_mask(errors, ident, after['value'], after['masked'], after['raw'])
    if errors:
        raise InputError(errors)
    return 'replacements', {'id': ident, 'attrs': create_attrs(after, level), 'before': current, 'after': after}


def plan(current, desired, level, state='present', purge=False, value_update='on_create', replace_hidden=False):
    """Compare the current variables with the desired set and return a Plan.

    Raises InputError with every problem found (for example a value missing for a
    variable to create, or a hide/unhide without replace_hidden); nothing is written then.
    """
    result = Plan(level)
    errors = []
    wanted = set()
    for entry in desired:
        ident = identity(entry)
        wanted.add(ident)
        if state == 'absent':
            if ident in current:
                result.add('deletes', {'id': ident, 'before': current[ident], 'after': None})
            else:
                result.add('unchanged', {'id': ident})
            continue
        try:
            kind, item = plan_item(current.get(ident), entry, level, value_update, replace_hidden)
        except InputError as err:
            errors.extend(err.errors)
            continue
        result.add(kind, item)
    if purge and state == 'present':
        held = free_scope_hold(current, desired, level)
        for ident in current:
            if ident in wanted:
                continue
            if ident in held:
                result.held.append({'id': ident, 'for': held[ident]})
                result.warnings.append(held_warning(ident, held[ident]))
                continue
            result.add('deletes', {'id': ident, 'before': current[ident], 'after': None})
    if errors:
        raise InputError(errors)
    return result.sort()


def free_scope_hold(current, desired, level):
    """``{(key, '*'): (key, scope)}``: group variables under ``*`` that a purge must not delete.

    GitLab Free stores a group variable under ``*`` whatever environment_scope is sent (group
    environment scopes are the licensed feature ``group_scoped_ci_variables``; without it the API
    creates the variable with scope ``*`` and ignores a scope change on update: GitLab's
    ee/spec/requests/api/group_variables_spec.rb). So after a first run that asked for
    ``(KEY, production)``, GitLab holds ``(KEY, *)``; purging it as "not listed" and creating
    ``(KEY, production)`` again would delete and re-create the variable on every run. A ``(KEY, *)``
    that is not listed while ``(KEY, other scope)`` is listed but missing is therefore kept; the
    create then tells: on Free it meets ``(KEY, *)`` ("has already been taken") and the module
    manages ``(KEY, *)`` (plan_after_taken); with scopes it succeeds, and the next run purges ``(KEY, *)``.
    """
    if level != 'group':
        return {}
    held = {}
    for entry in desired:
        key, scope = identity(entry)
        star = (key, DEFAULT_SCOPE)
        if scope != DEFAULT_SCOPE and (key, scope) not in current and star in current:
            wanted_star = any(identity(other) == star for other in desired)
            if not wanted_star and star not in held:
                held[star] = (key, scope)
    return held


def held_warning(star, requested):
    """The warning for a group variable under ``*`` that purge keeps (see free_scope_hold)."""
    return ("purge kept group variable %s (environment_scope *) although it is not listed, because %s is listed but "
            "does not exist: on GitLab Free, group variables cannot have an environment scope and GitLab stores them "
            "under '*', so deleting it and creating %s would re-create the same variable on every run. With GitLab "
            "Premium or Ultimate the scoped variable is created now and the next run removes the one under '*'; on "
            "Free use environment_scope '*' for %s." % (star[0], describe(requested), describe(requested), star[0]))


def plan_after_taken(current, entry, level, value_update='on_create', replace_hidden=False):
    """Re-plan a create that GitLab refused because another run created the variable meanwhile.

    ``current`` is the freshly listed state. Returns ``(kind, plan entry)``; raises
    InputError when the variable is still not there (for example a group environment
    scope that this GitLab tier drops).
    """
    ident = identity(entry)
    star = (ident[0], DEFAULT_SCOPE)
    if ident not in current and level == 'group' and ident[1] != DEFAULT_SCOPE and star in current:
        # GitLab Free: the create was stored (and refused) under '*', where this key already is:
        # manage that variable instead of failing, and never delete and re-create it.
        kind, planned = plan_item(current[star], dict(entry, environment_scope=DEFAULT_SCOPE), level, value_update, replace_hidden)
        planned['warning'] = scope_warning(level, ident, {'environment_scope': DEFAULT_SCOPE})
        return kind, planned
    if ident not in current:
        hint = ''
        if level == 'group' and ident[1] != DEFAULT_SCOPE:
            hint = (" GitLab tiers without environment scopes for group variables (Free) store them under environment_scope '*'%s."
                    % (', where %s exists' % describe((ident[0], DEFAULT_SCOPE)) if (ident[0], DEFAULT_SCOPE) in current else ''))
        raise InputError(['GitLab answered that %s already exists, but it was not found when listing the variables again.%s'
                          % (describe(ident), hint)])
    return plan_item(current[ident], entry, level, value_update, replace_hidden)


def is_key_taken(fields):
    """True when GitLab's field errors say the key is already taken (a concurrent create)."""
    messages = (fields or {}).get('key') or []
    return any('has already been taken' in str(message) for message in messages)


def scope_warning(level, ident, answer):
    """A warning when GitLab stored the variable under another scope than requested, else None.

    GitLab tiers without group environment scopes silently drop the scope on create and update
    and store the variable under ``*``
    (https://docs.gitlab.com/ci/variables/#limit-the-environment-scope-of-a-cicd-variable; Premium).
    """
    if level == 'instance' or not isinstance(answer, dict) or not answer.get('environment_scope'):
        return None
    stored = answer['environment_scope']
    if stored == ident[1]:
        return None
    why = ('environment scopes of group variables need GitLab Premium or Ultimate' if level == 'group'
           else 'this GitLab ignored the environment scope')
    return ("GitLab stored %s variable %s under environment_scope '%s' instead of '%s' (%s), so it applies to "
            "other environments than requested. Use environment_scope '%s' for it, or a GitLab that supports the scope."
            % (level, ident[0], stored, ident[1], why, stored))


def hidden_warning(level, ident, requested_hidden, answer):
    """A warning when a variable created as hidden came back not hidden (GitLab before 17.4)."""
    if level == 'instance' or not requested_hidden or not isinstance(answer, dict):
        return None
    if answer.get('hidden'):
        return None
    return ('GitLab did not hide %s: hidden variables need GitLab 17.4 or later. It was created masked; '
            'its value can still be read through the API.' % describe(ident))


# ---- diff and result ----------------------------------------------------------------------

def _diff_view(state, level, value_text):
    view = dict((field, state[field]) for field in COMPARED_FIELDS)
    view['value'] = value_text
    if level != 'instance':
        view['hidden'] = state['hidden']
    return view


def _diff_values(before, after):
    """Value markers for both sides. Values are always redacted: a value that is neither masked
    nor hidden may still be a secret (a multi-line key in a file variable cannot be masked)."""
    changed = before is not None and after is not None and (
        after.get('value') is not None and (before['hidden'] or after['value'] != before['value']))
    before_text = None
    if before is not None:
        before_text = HIDDEN if before['hidden'] else REDACTED
    after_text = None
    if after is not None:
        if after['hidden']:
            after_text = HIDDEN_WRITTEN if changed or before is None or before['hidden'] != after['hidden'] else HIDDEN
        else:
            after_text = REDACTED_CHANGED if changed else REDACTED
    return before_text, after_text


def build_diff(result_plan):
    """Return ``{'before': ..., 'after': ...}`` for the variables the plan touches.

    Project and group: ``{key: {scope: fields}}``; instance: ``{key: fields}``. Values are shown
    as markers (REDACTED, REDACTED_CHANGED, HIDDEN, HIDDEN_WRITTEN), never in clear.
    """
    level = result_plan.level
    before_all, after_all = {}, {}
    entries = result_plan.creates + result_plan.updates + result_plan.replacements + result_plan.deletes
    for entry in sorted(entries, key=lambda item: sort_key(item['id'])):
        before, after = entry['before'], entry['after']
        before_text, after_text = _diff_values(before, after)
        key, scope = entry['id']
        for target, state, text in ((before_all, before, before_text), (after_all, after, after_text)):
            if state is None:
                continue
            view = _diff_view(state, level, text)
            if level == 'instance':
                target[key] = view
            else:
                target.setdefault(key, {})[scope] = view
    return {'before': before_all, 'after': after_all}


def build_result(result_plan):
    """The ``variables`` return value: identities only, never values."""
    def ids(entries):
        return [public_identity(entry['id']) for entry in sorted(entries, key=lambda item: sort_key(item['id']))]
    return {
        'added': ids(result_plan.creates),
        'updated': ids(result_plan.updates),
        'removed': ids(result_plan.deletes),
        'replaced': ids(result_plan.replacements),
        'unchanged': ids(result_plan.unchanged),
    }
