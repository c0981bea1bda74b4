# -*- coding: utf-8 -*-
# Copyright: cicd.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Pure logic of gitlab_ci_schedule: option checks, cron syntax, the plan, the result (no HTTP).

GitLab's rules (https://docs.gitlab.com/api/pipeline_schedules/, app/policies/ci/pipeline_schedule_policy.rb):
only the owner edits a schedule and its variables; Maintainers may take ownership; only owners and
Maintainers see its variables; a schedule runs as its owner, so an owner who is blocked or below
Developer makes it stop running. GitLab stores ``ref`` expanded (``refs/heads/main``).

The checks, the plan and the result are pure; ``ScheduleRun`` at the end reads and writes one schedule
through the client (the one implementation gitlab_ci_schedule and gitlab_ci_settings share).
"""

from __future__ import annotations

import re

from ansible_collections.cicd.gitlab.plugins.module_utils._errors import GitLabError, GitLabPermissionError, InputError
from ansible_collections.cicd.gitlab.plugins.module_utils._module import TaskFailure

try:
    import zoneinfo
except ImportError:  # Python < 3.9: the time zone is left to GitLab
    zoneinfo = None

STATES = ('present', 'absent', 'ran')
VARIABLE_TYPES = ('env_var', 'file')
VARIABLE_FIELDS = ('key', 'value', 'variable_type')
KEY_RE = re.compile(r'[a-zA-Z0-9_]+\Z')
KEY_MAX = 255
DESCRIPTION_MAX = 255
_CONTROL_RE = re.compile(r'[\x00-\x1f\x7f]')
REDACTED = '********'
DEVELOPER = 30
FIELDS = ('description', 'ref', 'cron', 'cron_timezone', 'active')
FIELD_OPTIONS = ('ref', 'cron', 'active', 'variables')
WAIT_OPTIONS = ('wait_timeout', 'poll_interval', 'fail_on')

# ---- cron (lib/gitlab/ci/cron_parser.rb: Fugit's five-field syntax) ---------------------------

MONTHS = ('jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec')
DAYS = ('sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat')
SHORTCUTS = ('@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly')
CRON_FIELDS = (('minute', 0, 59, None), ('hour', 0, 23, None), ('day of month', 1, 31, None),
               ('month', 1, 12, MONTHS), ('day of week', 0, 7, DAYS))
# A few ActiveSupport::TimeZone names GitLab also accepts (activesupport's TimeZone::MAPPING).
RAILS_ZONES = {
    'Pacific Time (US & Canada)': 'America/Los_Angeles', 'Mountain Time (US & Canada)': 'America/Denver',
    'Central Time (US & Canada)': 'America/Chicago', 'Eastern Time (US & Canada)': 'America/New_York',
    'London': 'Europe/London', 'Berlin': 'Europe/Berlin', 'Paris': 'Europe/Paris', 'Tokyo': 'Asia/Tokyo',
    'Sydney': 'Australia/Sydney',
}


def _cron_value(text, name, low, high, names):
    if names and text.lower() in names:
        return names.index(text.lower()) + (1 if names is MONTHS else 0)
    if not text.isdigit():
        extra = ' or a name (%s)' % ', '.join(n.upper() for n in names) if names else ''
        raise ValueError('%s: %r is not a number%s' % (name, text, extra))
    value = int(text)
    if not low <= value <= high:
        raise ValueError('%s: %d is out of range %d-%d' % (name, value, low, high))
    return value


def _cron_field(text, name, low, high, names):
    for part in text.split(','):
        if part == '':
            raise ValueError('%s: an empty item in %r' % (name, text))
        base = part
        if '/' in part:
            base, step = part.split('/', 1)
            if not step.isdigit() or int(step) == 0:
                raise ValueError('%s: the step %r must be a whole number of at least 1' % (name, step))
        if base == '*':
            continue
        if '-' in base:
            first, last = base.split('-', 1)
            start, end = _cron_value(first, name, low, high, names), _cron_value(last, name, low, high, names)
            if start > end:
                raise ValueError('%s: the range %s runs backwards' % (name, base))
        else:
            _cron_value(base, name, low, high, names)


def cron_problem(cron):
    """None for a cron GitLab accepts, else a sentence saying what is wrong."""
    if not isinstance(cron, str) or not cron.strip():
        return 'cron must not be empty (five fields: minute hour day-of-month month day-of-week, e.g. "0 1 * * *")'
    text = cron.strip()
    if text.startswith('@'):
        if text.lower() in SHORTCUTS:
            return None
        return 'cron %r: unknown shortcut; use one of %s or five fields' % (cron, ', '.join(SHORTCUTS))
    parts = text.split()
    if len(parts) != 5:
        return ('cron %r has %d fields; GitLab needs five: minute hour day-of-month month day-of-week (e.g. "0 1 * * *")'
                % (cron, len(parts)))
    for part, (name, low, high, names) in zip(parts, CRON_FIELDS):
        try:
            _cron_field(part, name, low, high, names)
        except ValueError as err:
            return 'cron %r: %s' % (cron, err)
    return None


def timezone_problem(name):
    """None for a time zone GitLab accepts (or one this host cannot check), else a sentence."""
    if not isinstance(name, str) or not name.strip():
        return 'cron_timezone must not be empty (an IANA name such as UTC or Europe/Berlin)'
    if name in ('UTC', 'Etc/UTC') or name in RAILS_ZONES:
        return None
    if zoneinfo is None:
        return None
    try:
        if not zoneinfo.available_timezones():
            return None   # no time zone database here: GitLab judges
        zoneinfo.ZoneInfo(name)
    except (ValueError, OSError, zoneinfo.ZoneInfoNotFoundError):
        return 'cron_timezone %r is not a time zone name (use an IANA name such as UTC, Europe/Berlin, America/New_York)' % name
    return None


# ---- options ------------------------------------------------------------------------------------

def _shown(value):
    return repr(value) if not isinstance(value, str) else repr(value[:60])


def _variables(value, problems):
    """The checked ``variables`` as ``[{key, value, variable_type}]`` (problems appended; values never quoted)."""
    found = []
    if not isinstance(value, list):
        problems.append('variables must be a list of {key, value, variable_type}')
        return found
    seen = set()
    for index, item in enumerate(value):
        where = 'variables[%d]' % index
        if not isinstance(item, dict):
            problems.append('%s must be a mapping with key, value and variable_type' % where)
            continue
        unknown = sorted(str(name) for name in item if name not in VARIABLE_FIELDS)
        if unknown:
            problems.append('%s: unknown field(s) %s (known: key, value, variable_type)' % (where, ', '.join(unknown)))
        key = item.get('key')
        if not isinstance(key, str) or not key:
            problems.append('%s: key is required and must be a string' % where)
            continue
        where = 'variables[%d] (%s)' % (index, key[:60])
        if not KEY_RE.match(key):
            problems.append('%s: the key may contain only letters, digits and _' % where)
        elif len(key) > KEY_MAX:
            problems.append('%s: the key is longer than %d characters' % (where, KEY_MAX))
        if key in seen:
            problems.append('%s: the key is given twice' % where)
        seen.add(key)
        val = item.get('value')
        if isinstance(val, bool) or not isinstance(val, (str, int, float)):
            problems.append('%s: value is required and must be a string' % where)
            continue
        kind = item.get('variable_type', 'env_var')
        if kind is None:
            kind = 'env_var'
        if kind not in VARIABLE_TYPES:
            problems.append('%s: variable_type must be env_var or file, not %s' % (where, _shown(kind)))
        found.append({'key': key, 'value': str(val), 'variable_type': kind})
    return found


def value_secrets(params):
    """The values of ``variables`` (registered as secrets before anything else runs)."""
    items = params.get('variables') if isinstance(params, dict) else None
    found = []
    for item in items if isinstance(items, list) else ():
        if isinstance(item, dict) and isinstance(item.get('value'), (str, int, float)) and not isinstance(item.get('value'), bool):
            found.append(str(item['value']))
    return found


def validate(params):
    """The wanted state from the module's options; raises nothing, returns ``(wanted, problems)``."""
    problems = []
    project = params.get('project')
    if not isinstance(project, str) or not project.strip():
        problems.append('project must be a project id or full path such as acme/app')
    description = params.get('description')
    if not isinstance(description, str) or not description.strip():
        problems.append('description must not be empty: it identifies the schedule')
    elif _CONTROL_RE.search(description):
        problems.append('description must not contain control characters (newlines, tabs ...)')
    elif len(description) > DESCRIPTION_MAX:
        problems.append('description is longer than %d characters' % DESCRIPTION_MAX)
    state = params.get('state') or 'present'
    ref = params.get('ref')
    if ref is not None and (not isinstance(ref, str) or not ref.strip() or _CONTROL_RE.search(ref) or ' ' in ref):
        problems.append('ref must be a branch or tag name without spaces (main, v1.0, refs/heads/main)')
    cron = params.get('cron')
    if cron is not None:
        problem = cron_problem(cron)
        if problem:
            problems.append(problem)
    zone = params.get('cron_timezone')
    if zone is not None:
        problem = timezone_problem(zone)
        if problem:
            problems.append(problem)
    variables = None
    if params.get('variables') is not None:
        variables = _variables(params['variables'], problems)
    if params.get('purge_variables') and params.get('variables') is None:
        problems.append('purge_variables needs variables (give variables: [] to delete every variable)')
    if state == 'absent':
        given = [name for name in FIELD_OPTIONS + ('take_ownership', 'purge_variables', 'wait') if params.get(name)]
        if params.get('variables') is not None and 'variables' not in given:
            given.append('variables')
        if given:
            problems.append('state=absent deletes the schedule; %s cannot be used with it' % ', '.join(sorted(set(given))))
    if params.get('wait') and state != 'ran':
        problems.append('wait needs state=ran (it waits for the pipeline that playing the schedule starts)')
    timeout = params.get('wait_timeout')
    if timeout is not None and timeout <= 0:
        problems.append('wait_timeout must be more than 0 seconds, not %s' % timeout)
    interval = params.get('poll_interval')
    if interval is not None and not interval > 0:
        problems.append('poll_interval must be more than 0 seconds, not %s' % interval)
    wanted = {
        'project': project, 'description': description, 'state': state, 'ref': ref,
        'cron': cron.strip() if isinstance(cron, str) else cron,
        'cron_timezone': zone, 'active': params.get('active'), 'variables': variables,
        'purge_variables': bool(params.get('purge_variables')), 'take_ownership': bool(params.get('take_ownership')),
    }
    return wanted, problems


# ---- matching and the plan ---------------------------------------------------------------------------

def find_matches(schedules, description):
    """Schedules whose description is exactly ``description``, by id."""
    return sorted((item for item in schedules if item.get('description') == description), key=lambda item: item.get('id') or 0)


def duplicates_message(project, description, matches):
    return ('%d pipeline schedules of project %s have the description %r (ids %s); the description identifies the schedule, '
            'so give the others another description or delete them'
            % (len(matches), project, description, ', '.join(str(item.get('id')) for item in matches)))


def same_ref(current, wanted):
    """GitLab stores ``main`` as ``refs/heads/main`` (or ``refs/tags/main``)."""
    if current == wanted:
        return True
    return current in ('refs/heads/%s' % wanted, 'refs/tags/%s' % wanted)


def field_changes(current, wanted):
    """The fields a PUT must send (only those that differ)."""
    changes = {}
    if wanted.get('ref') is not None and not same_ref(current.get('ref'), wanted['ref']):
        changes['ref'] = wanted['ref']
    if wanted.get('cron') is not None and (current.get('cron') or '').strip() != wanted['cron']:
        changes['cron'] = wanted['cron']
    if wanted.get('cron_timezone') is not None and current.get('cron_timezone') != wanted['cron_timezone']:
        changes['cron_timezone'] = wanted['cron_timezone']
    if wanted.get('active') is not None and bool(current.get('active')) != bool(wanted['active']):
        changes['active'] = bool(wanted['active'])
    return changes


def variable_changes(current, wanted, purge):
    """``[(action, key, attrs)]`` with action create | update | delete, key by key, in a stable order.

    ``current`` is the schedule's variables (with values), ``wanted`` the checked option (None: leave them).
    An update sends only what differs.
    """
    if wanted is None:
        return []
    have = dict((item.get('key'), item) for item in current or [])
    ops = []
    for item in wanted:
        old = have.get(item['key'])
        if old is None:
            ops.append(('create', item['key'], dict(item)))
            continue
        attrs = {}
        if old.get('value') != item['value']:
            attrs['value'] = item['value']
        if (old.get('variable_type') or 'env_var') != item['variable_type']:
            attrs['variable_type'] = item['variable_type']
        if attrs:
            ops.append(('update', item['key'], attrs))
    if purge:
        keys = set(item['key'] for item in wanted)
        ops.extend(('delete', key, {}) for key in sorted(k for k in have if k not in keys))
    return ops


class Plan:
    """What the task does: ``action`` create | update | delete | none, with the PUT fields and variable ops."""

    def __init__(self, action, current=None, fields=None, variable_ops=None, creation=None):
        self.action = action
        self.current = current
        self.fields = fields or {}
        self.variable_ops = variable_ops or []
        self.creation = creation

    @property
    def changed(self):
        return self.action in ('create', 'delete') or bool(self.fields or self.variable_ops)


def creation_problems(wanted):
    problems = []
    for name in ('ref', 'cron'):
        if wanted.get(name) is None:
            problems.append('%s is required to create the schedule %r (no schedule of project %s has this description)'
                            % (name, wanted['description'], wanted['project']))
    return problems


def plan(current, wanted):
    """The plan from the one matching schedule (details, or None) and the wanted state."""
    if wanted['state'] == 'absent':
        return Plan('delete' if current else 'none', current)
    if current is None:
        creation = {'description': wanted['description'], 'ref': wanted['ref'], 'cron': wanted['cron'],
                    'cron_timezone': wanted['cron_timezone'] or 'UTC',
                    'active': True if wanted['active'] is None else bool(wanted['active'])}
        ops = [('create', item['key'], dict(item)) for item in wanted['variables'] or []]
        return Plan('create', None, creation=creation, variable_ops=ops)
    fields = field_changes(current, wanted)
    ops = variable_changes(current.get('variables'), wanted['variables'], wanted['purge_variables'])
    return Plan('update' if fields or ops else 'none', current, fields, ops)


# ---- owners ---------------------------------------------------------------------------------------

def owner_name(schedule):
    owner = (schedule or {}).get('owner') or {}
    return owner.get('username') if isinstance(owner, dict) else None


def not_owner_message(project, schedule, caller):
    return ('pipeline schedule %s (%r) of project %s is owned by %s; only its owner can edit it (GitLab answers 403 to '
            'anyone else%s). Set take_ownership: true to take it over first (needs the Maintainer role); the schedule '
            'then runs as you'
            % (schedule.get('id'), schedule.get('description'), project, owner_name(schedule) or 'nobody',
               ', %s included' % caller if caller else ''))


def hidden_variables_message(project, schedule):
    return ('the variables of pipeline schedule %s (%r) of project %s are not shown to this token: only the schedule\'s '
            'owner (%s) and Maintainers see them, so they cannot be compared; use the owner\'s token or take_ownership: true'
            % (schedule.get('id'), schedule.get('description'), project, owner_name(schedule) or 'nobody'))


def owner_run_warning(project, schedule, member):
    """A warning when the owner can no longer run the schedule, else None.

    ``member`` is the owner's project membership (``GET /projects/:id/members/all/:user_id``), None when
    the owner is no member, or ``False`` when it could not be read (no warning then about the role).
    """
    owner = (schedule or {}).get('owner')
    what = 'pipeline schedule %s (%r) of project %s' % (schedule.get('id'), schedule.get('description'), project)
    if not owner:
        return '%s has no owner: it will not run until someone takes ownership (take_ownership: true)' % what
    username = owner.get('username')
    if owner.get('state') not in (None, 'active'):
        return ('%s will not run: its owner %s is %s. Take ownership (take_ownership: true) with an active user who has '
                'at least the Developer role' % (what, username, owner.get('state')))
    if member is None:
        return ('%s will not run: its owner %s is no member of the project (schedules run as their owner, who needs '
                'the Developer role). Take ownership (take_ownership: true)' % (what, username))
    if member is not False and (member.get('access_level') or 0) < DEVELOPER:
        return ('%s will not run: its owner %s has access level %s in the project, below Developer (30). Take ownership '
                '(take_ownership: true) or give %s the Developer role' % (what, username, member.get('access_level'), username))
    return None


# ---- result and diff ---------------------------------------------------------------------------------

def public_schedule(schedule, variables=None):
    """The schedule as returned: documented fields, the owner's username, variables as keys and types only."""
    if not schedule:
        return None
    last = schedule.get('last_pipeline') or None
    if last:
        last = dict((name, last.get(name)) for name in ('id', 'status', 'ref', 'source', 'web_url', 'created_at'))
    result = {
        'id': schedule.get('id'), 'description': schedule.get('description'), 'ref': schedule.get('ref'),
        'cron': schedule.get('cron'), 'cron_timezone': schedule.get('cron_timezone'), 'active': schedule.get('active'),
        'owner': owner_name(schedule), 'next_run_at': schedule.get('next_run_at'), 'last_pipeline': last,
    }
    source = variables if variables is not None else schedule.get('variables')
    result['variables'] = None if source is None else [
        {'key': item.get('key'), 'variable_type': item.get('variable_type') or 'env_var'}
        for item in sorted(source, key=lambda item: item.get('key') or '')]
    return result


def variables_after(current, ops):
    """The variables (keys, types, values) once ``ops`` are applied to ``current``."""
    found = dict((item.get('key'), dict(item)) for item in current or [])
    for action, key, attrs in ops:
        if action == 'delete':
            found.pop(key, None)
        elif action == 'create':
            found[key] = dict(attrs)
        else:
            found[key].update(attrs)
    return list(found.values())


def predicted(the_plan, wanted, caller=None):
    """The schedule as it will be (check mode), in GitLab's shape (before public_schedule)."""
    if the_plan.action == 'delete':
        return the_plan.current
    if the_plan.action == 'create':
        data = dict(the_plan.creation, id=None, next_run_at=None, last_pipeline=None,
                    owner={'username': caller} if caller else None)
        data['variables'] = variables_after([], the_plan.variable_ops)
        return data
    data = dict(the_plan.current)
    data.update(the_plan.fields)
    if data.get('variables') is not None:
        data['variables'] = variables_after(data.get('variables'), the_plan.variable_ops)
    return data


def diff_view(schedule, changed_keys=()):
    """The schedule for the diff: fields, owner, variables with their values redacted."""
    if not schedule:
        return {}
    view = dict((name, schedule.get(name)) for name in ('id',) + FIELDS)
    view['owner'] = owner_name(schedule)
    if schedule.get('variables') is not None:
        view['variables'] = dict(
            (item.get('key'), {'variable_type': item.get('variable_type') or 'env_var',
                               'value': REDACTED + (' (changed)' if item.get('key') in changed_keys else '')})
            for item in schedule['variables'])
    return view


def build_diff(project, before, after, the_plan):
    changed = set(key for action, key, attrs in the_plan.variable_ops if action == 'update' and 'value' in attrs)
    header = 'pipeline schedule %r of project %s' % ((before or after or {}).get('description'), project)
    return {'before': diff_view(before), 'after': diff_view(after, changed), 'before_header': header, 'after_header': header}


# ---- one schedule, read, planned, owned and written through the client ------------------------------
# gitlab_ci_schedule and the fleet module (gitlab_ci_settings) both run a schedule through ScheduleRun, so
# identity, ownership and the writes are the same in both; only ``state: ran`` (the module's) plays it.

class Caller:
    """The token's user (``GET /user``), read once and only when needed; may be shared by threads (a race
    reads it twice at worst)."""

    def __init__(self, client):
        self.client = client
        self._user = None

    def user(self):
        if self._user is None:
            user = self.client.current_user()
            self._user = user if isinstance(user, dict) else {}
        return self._user

    def username(self):
        return self.user().get('username') or ''


class ScheduleRun:
    """One schedule of a project: read, plan, own, write (none in check mode); ``run()`` returns the result.

    ``wanted`` is what ``validate`` returns. ``listed`` is the project's schedule list when the caller read it
    already (the fleet reads it once for all of a project's schedules); ``members`` caches the owners' project
    memberships (``{user_id: member}``) across the schedules of one project; ``caller`` a shared ``Caller``.
    ``warn`` receives the warnings. Raises InputError, TaskFailure or GitLabError (with ``err.result``).
    """

    def __init__(self, client, wanted, check_mode=False, diff=False, warn=None, caller=None, listed=None, members=None):
        self.client, self.wanted, self.project = client, wanted, wanted['project']
        self.check_mode, self.diff = check_mode, diff
        self.warn = warn or (lambda text: None)
        self.caller = caller or Caller(client)
        self.listed = listed
        self.members = {} if members is None else members
        self.result = {'changed': False}
        self.the_plan = None

    def may_edit(self, schedule):
        """``update_pipeline_schedule``: the owner, or an administrator."""
        return owner_name(schedule) == self.caller.username() or bool(self.caller.user().get('is_admin'))

    def find(self):
        listed = self.listed if self.listed is not None else self.client.list_schedules(self.project)
        matches = find_matches(listed, self.wanted['description'])
        if len(matches) > 1:
            raise TaskFailure(duplicates_message(self.project, self.wanted['description'], matches))
        if not matches:
            return None
        return self.client.get_schedule(self.project, matches[0]['id'])

    def run(self):
        w = self.wanted
        current = self.find()
        if current is None and w['state'] != 'absent':
            problems = creation_problems(w)
            if problems:
                raise InputError(problems)
        if current is not None and w['variables'] is not None and current.get('variables') is None and not w['take_ownership']:
            raise TaskFailure(hidden_variables_message(self.project, current))
        before = current
        if current is not None and w['state'] != 'absent':
            current = self.own(current)
        self.the_plan = the_plan = plan(current, w)
        if the_plan.action == 'update' and not self.may_edit(current):
            raise TaskFailure(not_owner_message(self.project, current, self.caller.username()), **self.result)
        after = self.apply(the_plan)
        self.result['changed'] = self.result['changed'] or the_plan.changed
        self.after_apply(after)
        if w['state'] != 'absent' and after is not None and after.get('id') is not None:
            self.warn_owner(after)
        self.result['schedule'] = public_schedule(after)
        if self.diff:
            self.result['diff'] = build_diff(self.project, before, None if w['state'] == 'absent' else after, the_plan)
        return self.result

    def after_apply(self, schedule):
        """What runs after the writes (gitlab_ci_schedule plays the schedule here for ``state: ran``)."""

    def own(self, current):
        """take_ownership: the caller owns the schedule afterwards (a change when someone else did)."""
        if not self.wanted['take_ownership'] or owner_name(current) == self.caller.username():
            return current
        self.result['previous_owner'] = owner_name(current)
        self.result['changed'] = True
        if self.check_mode:
            current = dict(current, owner={'username': self.caller.username(), 'state': 'active'})
            if current.get('variables') is None and self.wanted['variables'] is not None:
                raise TaskFailure(hidden_variables_message(self.project, current), **self.result)
            return current
        try:
            self.client.take_schedule_ownership(self.project, current['id'])
        except GitLabPermissionError as err:
            raise TaskFailure('cannot take ownership of pipeline schedule %s (%r) of project %s, owned by %s: %s (taking '
                              'ownership needs the Maintainer role)' % (current['id'], current.get('description'), self.project,
                                                                        owner_name(current), err.gitlab_message),
                              status=err.status) from None
        current = self.client.get_schedule(self.project, current['id'])
        if current.get('variables') is None and self.wanted['variables'] is not None:
            raise TaskFailure(hidden_variables_message(self.project, current), **self.result)
        return current

    def apply(self, the_plan):
        """The writes of the plan (none in check mode); returns the schedule as it is (or would be) after."""
        if self.check_mode:
            caller = self.caller.username() if the_plan.action == 'create' else None
            return predicted(the_plan, self.wanted, caller)
        if the_plan.action == 'none':
            return the_plan.current
        if the_plan.action == 'delete':
            self.client.delete_schedule(self.project, the_plan.current['id'])
            return the_plan.current
        if the_plan.action == 'create':
            answer = self.client.create_schedule(self.project, the_plan.creation)
            base = dict(answer, variables=[])
        else:
            base = the_plan.current
            if the_plan.fields:
                answer = self.client.update_schedule(self.project, base['id'], the_plan.fields)
                base = dict(answer, variables=base.get('variables'), last_pipeline=base.get('last_pipeline'))
        done = []
        try:
            for action, key, attrs in the_plan.variable_ops:
                if action == 'create':
                    self.client.create_schedule_variable(self.project, base['id'], attrs)
                elif action == 'update':
                    self.client.update_schedule_variable(self.project, base['id'], key, attrs)
                else:
                    self.client.delete_schedule_variable(self.project, base['id'], key)
                done.append((action, key, attrs))
        except GitLabError as err:
            err.result = {'changed': True, 'schedule': public_schedule(dict(base, variables=variables_after(base.get('variables'), done)))}
            raise
        return dict(base, variables=variables_after(base.get('variables'), the_plan.variable_ops))

    def warn_owner(self, schedule):
        owner = schedule.get('owner') or {}
        member = False
        if owner.get('id') is not None and owner.get('state') in (None, 'active'):
            if owner['id'] not in self.members:
                try:
                    self.members[owner['id']] = self.client.get_project_member(self.project, owner['id'])
                except GitLabError:
                    self.members[owner['id']] = False
            member = self.members[owner['id']]
        warning = owner_run_warning(self.project, schedule, member)
        if warning:
            self.warn(warning)
