# -*- coding: utf-8 -*-
# Copyright: cicd.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic of gitlab_ci_settings (fleet runs): options -> owners, selection, per-owner plans and
results, totals. No HTTP in here.

Each owner is planned by the single-owner planners (``_variables.plan``, ``_triggers.plan``), so
identity, masking rules, hidden variables and trigger ownership are theirs; a project's schedules,
job token scope and pipeline settings are checked here with the checks of gitlab_ci_schedule
(``_schedules.validate``), gitlab_ci_job_token_scope and gitlab_ci_pipeline_settings (``_access``), and
run by the module with their shared implementations (``_schedules.ScheduleRun``, ``_access``). The module lists what
it needs (a group's projects, each owner's variables and triggers), plans each owner here, applies
the plans concurrently through one client and builds the result here.

Secrets: values only ever sit in the ``desired`` entries handed to the planners; results, messages
and diffs are built by the planners' own result and diff functions, which never hold values. New
trigger tokens are collected only by ``trigger_tokens()``.
Private to the collection: the API of this file may change without notice.
"""

from __future__ import annotations

import re

from ansible_collections.cicd.gitlab.plugins.module_utils._errors import InputError
from ansible_collections.cicd.gitlab.plugins.module_utils import _access as access_logic
from ansible_collections.cicd.gitlab.plugins.module_utils import _schedules as schedules_logic
from ansible_collections.cicd.gitlab.plugins.module_utils import _triggers as triggers_logic
from ansible_collections.cicd.gitlab.plugins.module_utils import _variables as variables_logic

KINDS = ('schedules', 'job_token_scope', 'pipeline_settings')
PROJECT_FIELDS = ('project', 'variables', 'purge', 'triggers') + KINDS
GROUP_FIELDS = ('group', 'variables', 'purge')
TRIGGER_FIELDS = ('description', 'state', 'expires_at', 'rotate')
SCHEDULE_FIELDS = ('description', 'ref', 'cron', 'cron_timezone', 'active', 'variables', 'purge_variables', 'state',
                   'take_ownership')
SCHEDULE_STATES = ('present', 'absent')
SCOPE_FIELDS = ('enabled', 'allowlist', 'purge', 'purge_all')
SELECT_FIELDS = ('group', 'include_subgroups', 'pattern', 'archived')
DEFAULT_FIELDS = ('variables', 'purge', 'triggers') + KINDS
MAX_CONCURRENCY = 64


def _unknown(item, allowed, where):
    extra = sorted(str(name) for name in item if name not in allowed)
    if extra:
        return ['%s: unknown field%s %s (allowed: %s)' % (where, 's' if len(extra) > 1 else '', ', '.join(extra), ', '.join(allowed))]
    return []


def _owner_name(value):
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def value_secrets(params):
    """Every variable value among the options (projects, groups, defaults), for no_log masking."""
    found = []
    items = list(params.get('projects') or []) + list(params.get('groups') or [])
    defaults = params.get('defaults')
    if isinstance(defaults, dict):
        items.append(defaults)
    for item in items:
        if isinstance(item, dict):
            found.extend(variables_logic.value_secrets({'variables': item.get('variables')}))
            schedules = item.get('schedules')
            for schedule in schedules if isinstance(schedules, list) else ():
                found.extend(schedules_logic.value_secrets(schedule))
        elif item is not None:
            found.extend(variables_logic.value_secrets({'variables': [item]}))
    return found


def _check_list(value, where):
    if value is not None and not isinstance(value, list):
        return ['%s must be a list, got %s' % (where, variables_logic.type_name(value))]
    return []


def _check_bool(item, name, where):
    value = item.get(name)
    if value is not None and not isinstance(value, bool):
        return ['%s: %s must be true or false, got %s' % (where, name, variables_logic.type_name(value))]
    return []


def check_triggers(triggers, where, now=None):
    """Validate trigger items; return ``(wanted list, errors)`` (wanted as _triggers.validate returns it)."""
    errors = _check_list(triggers, where + '.triggers')
    wanted = []
    if errors or not triggers:
        return wanted, errors
    seen = set()
    for index, item in enumerate(triggers):
        label = '%s.triggers[%d]' % (where, index)
        if not isinstance(item, dict):
            errors.append('%s must be a dictionary with a description, got %s' % (label, variables_logic.type_name(item)))
            continue
        errors.extend(_unknown(item, TRIGGER_FIELDS, label))
        errors.extend(_check_bool(item, 'rotate', label))
        description = item.get('description')
        if not isinstance(description, str):
            errors.append('%s: description is required (a string)' % label)
            continue
        if description in seen:
            errors.append('%s: the description %r is listed twice' % (label, description))
        seen.add(description)
        try:
            wanted.append(triggers_logic.validate(dict(project='-', description=description, trigger_id=None,
                                                       state=item.get('state') or 'present', rotate=item.get('rotate') is True,
                                                       expires_at=item.get('expires_at')), now=now))
        except InputError as err:
            errors.extend('%s: %s' % (label, problem) for problem in err.errors)
    return wanted, errors


def check_schedules(schedules, where, project):
    """Validate schedule items as gitlab_ci_schedule does; return ``(wanted list, errors)`` (wanted as _schedules.validate
    returns it, for ``project``). ``state: ran`` and ``wait`` are the single module's only."""
    errors = _check_list(schedules, where + '.schedules')
    wanted = []
    if errors or not schedules:
        return wanted, errors
    seen = set()
    for index, item in enumerate(schedules):
        label = '%s.schedules[%d]' % (where, index)
        if not isinstance(item, dict):
            errors.append('%s must be a dictionary with a description, got %s' % (label, variables_logic.type_name(item)))
            continue
        problems = []
        description = item.get('description')
        if isinstance(description, str):
            label = '%s (%s)' % (label, description[:60] if description[:60].isprintable() else repr(description[:60]))
            if description in seen:
                problems.append('%s: the description is listed twice' % label)
            seen.add(description)
        if item.get('state') == 'ran' or 'wait' in item:
            problems.append('%s: state ran and wait are not offered in gitlab_ci_settings (it declares schedules, it does not '
                            'run them); play a schedule with cicd.gitlab.gitlab_ci_schedule (state: ran, wait: true)' % label)
        elif item.get('state') is not None and item.get('state') not in SCHEDULE_STATES:
            problems.append('%s: state must be one of present, absent, got %r' % (label, item.get('state')))
        problems.extend(_unknown([name for name in item if name != 'wait'], SCHEDULE_FIELDS, label))
        for name in ('active', 'purge_variables', 'take_ownership'):
            problems.extend(_check_bool(item, name, label))
        one, found = schedules_logic.validate(dict(item, project=project, state=item.get('state') or 'present'))
        problems.extend('%s: %s' % (label, problem) for problem in found)
        errors.extend(problems)
        if not problems:
            wanted.append(one)
    return wanted, errors


def check_job_token_scope(scope, where):
    """Validate a ``job_token_scope`` item as gitlab_ci_job_token_scope does; return ``(scope or None, errors)``."""
    label = where + '.job_token_scope'
    if scope is None:
        return None, []
    if not isinstance(scope, dict):
        return None, ['%s must be a dictionary with %s, got %s' % (label, ', '.join(SCOPE_FIELDS), variables_logic.type_name(scope))]
    errors = _unknown(scope, SCOPE_FIELDS, label)
    for name in ('enabled', 'purge', 'purge_all'):
        errors.extend(_check_bool(scope, name, label))
    if not errors:
        errors.extend('%s: %s' % (label, problem) for problem in access_logic.validate_scope_params(dict(scope, project='-')))
    wanted = dict(enabled=scope.get('enabled'), allowlist=scope.get('allowlist'), purge=scope.get('purge') is True,
                  purge_all=scope.get('purge_all') is True)
    return (None if errors else wanted), errors


def check_pipeline_settings(settings, where):
    """Validate a ``pipeline_settings`` item as gitlab_ci_pipeline_settings does; return ``(wanted or None, errors)``."""
    label = where + '.pipeline_settings'
    if settings is None:
        return None, []
    if not isinstance(settings, dict):
        return None, ['%s must be a dictionary of CI/CD settings, got %s' % (label, variables_logic.type_name(settings))]
    errors = _unknown(settings, tuple(sorted(access_logic.SETTINGS)), label)
    wanted, problems = access_logic.normalize_settings(settings)
    errors.extend('%s: %s' % (label, problem) for problem in problems)
    if not errors and not wanted:
        errors.append('%s: nothing to manage: give at least one setting' % label)
    return (None if errors else wanted), errors


def merge_variables(base, extra):
    """``base`` then ``extra``; an item of ``extra`` replaces the item of ``base`` with the same key and scope."""
    if base is None:
        return None if extra is None else list(extra)
    if extra is None:
        return list(base)

    def ident(item):
        if isinstance(item, dict):
            return (item.get('key'), item.get('environment_scope') or variables_logic.DEFAULT_SCOPE)
        return None
    replaced = set(ident(item) for item in extra if ident(item) is not None)
    return [item for item in base if ident(item) not in replaced] + list(extra)


def merge_triggers(base, extra):
    """``base`` then ``extra``; an item of ``extra`` replaces the item of ``base`` with the same description."""
    base, extra = list(base or []), list(extra or [])
    named = set(item.get('description') for item in extra if isinstance(item, dict))
    return [item for item in base if not (isinstance(item, dict) and item.get('description') in named)] + extra


def merge_job_token_scope(base, extra):
    """The item's ``enabled``, ``purge`` and ``purge_all`` replace the defaults'; allowlist entries add up per kind."""
    if not isinstance(base, dict) or not isinstance(extra, dict):
        return base if extra is None else extra
    merged = dict(base, **dict((name, value) for name, value in extra.items() if name != 'allowlist'))
    ours, theirs = base.get('allowlist'), extra.get('allowlist')
    if isinstance(ours, dict) and isinstance(theirs, dict):
        allowlist = dict(ours)
        for kind, entries in theirs.items():
            have = allowlist.get(kind)
            if isinstance(have, list) and isinstance(entries, list):
                keys = set(access_logic.entry_key(entry) for entry in have if not isinstance(entry, (dict, list)))
                entries = have + [entry for entry in entries if isinstance(entry, (dict, list)) or access_logic.entry_key(entry) not in keys]
            allowlist[kind] = entries
        merged['allowlist'] = allowlist
    elif theirs is not None:
        merged['allowlist'] = theirs
    return merged


def merge_pipeline_settings(base, extra):
    """The defaults' settings with the item's, field by field."""
    if not isinstance(base, dict) or not isinstance(extra, dict):
        return base if extra is None else extra
    return dict(base, **extra)


def build_owner(level, name, variables, purge, triggers, where, value_update='on_create', now=None, kinds=None):
    """One owner to manage: validated, with its desired variables; raises InputError naming ``where``.

    ``kinds``: a project's ``schedules``, ``job_token_scope`` and ``pipeline_settings`` (raw, checked here).
    """
    errors = []
    kinds = kinds or {}
    owner = dict(level=level, name=name, where=where, manage_variables=variables is not None or bool(purge),
                 purge=bool(purge), desired=[], triggers=[], schedules=[], job_token_scope=None, pipeline_settings=None)
    if owner['manage_variables']:
        params = dict(variables=list(variables or []), purge=bool(purge), state='present', value_update=value_update,
                      replace_hidden=False, **{level: name})
        try:
            dummy_level, dummy_owner, owner['desired'] = variables_logic.prepare(params)
        except InputError as err:
            errors.extend('%s: %s' % (where, problem) for problem in err.errors)
    if triggers:
        wanted, problems = check_triggers(triggers, where, now=now)
        errors.extend(problems)
        owner['triggers'] = [dict(item, project=name) for item in wanted]
    owner['schedules'], problems = check_schedules(kinds.get('schedules'), where, name)
    errors.extend(problems)
    owner['job_token_scope'], problems = check_job_token_scope(kinds.get('job_token_scope'), where)
    errors.extend(problems)
    owner['pipeline_settings'], problems = check_pipeline_settings(kinds.get('pipeline_settings'), where)
    errors.extend(problems)
    if errors:
        raise InputError(errors)
    return owner


def _kinds(item):
    return dict((kind, item.get(kind)) for kind in KINDS)


def validate(params, now=None):
    """Check every option before any request; return the fleet spec, or raise InputError with every problem.

    The spec: ``groups`` and ``projects`` (owners from build_owner), ``select`` (None or the normalized
    selection with a compiled ``regex``), ``defaults`` (the raw defaults, already checked), and the
    ``project_overrides``: the raw ``projects`` items by lower-cased name, to merge into selected projects.
    """
    errors = []
    value_update = params.get('value_update') or 'on_create'
    for name in ('projects', 'groups'):
        errors.extend(_check_list(params.get(name), name))
    concurrency = params.get('concurrency')
    if concurrency is not None and not 1 <= concurrency <= MAX_CONCURRENCY:
        errors.append('concurrency must be between 1 and %d, got %s' % (MAX_CONCURRENCY, concurrency))
    rate = params.get('max_requests_per_minute')
    if rate is not None and rate <= 0:
        errors.append('max_requests_per_minute must be greater than 0, got %s' % rate)
    select = params.get('select')
    spec = dict(groups=[], projects=[], select=None, defaults={}, project_items={})
    if select is not None:
        problems = _unknown(select, SELECT_FIELDS, 'select')
        group = _owner_name(select.get('group'))
        if group is None:
            problems.append('select: group is required (a numeric id or a full path such as acme/platform)')
        else:
            problem = variables_logic.path_segment_problem('select.group', group)
            if problem:
                problems.append(problem)
        for name in ('include_subgroups', 'archived'):
            problems.extend(_check_bool(select, name, 'select'))
        regex = None
        pattern = select.get('pattern')
        if pattern is not None:
            if not isinstance(pattern, str):
                problems.append('select: pattern must be a regular expression (a string), got %s' % variables_logic.type_name(pattern))
            else:
                try:
                    regex = re.compile(pattern)
                except re.error as err:
                    problems.append('select: pattern is not a valid regular expression: %s' % err)
        errors.extend(problems)
        spec['select'] = dict(group=group, include_subgroups=select.get('include_subgroups') is True,
                              archived=select.get('archived') is True, pattern=pattern, regex=regex)
    defaults = params.get('defaults') or {}
    if defaults:
        errors.extend(_unknown(defaults, DEFAULT_FIELDS, 'defaults'))
        errors.extend(_check_bool(defaults, 'purge', 'defaults'))
        errors.extend(_check_list(defaults.get('variables'), 'defaults.variables'))
        if select is None:
            errors.append('defaults apply to the projects picked by select; give select too')
        if not errors:
            try:
                build_owner('project', 'defaults/check', defaults.get('variables'), defaults.get('purge'),
                            defaults.get('triggers'), 'defaults', value_update, now, _kinds(defaults))
            except InputError as err:
                errors.extend(err.errors)
    spec['defaults'] = defaults
    seen = set()
    for level, fields in (('group', GROUP_FIELDS), ('project', PROJECT_FIELDS)):
        items = params.get(level + 's') or []
        if not isinstance(items, list):
            continue
        for index, item in enumerate(items):
            label = '%ss[%d]' % (level, index)
            if not isinstance(item, dict):
                errors.append('%s must be a dictionary with %s, got %s' % (label, level, variables_logic.type_name(item)))
                continue
            name = _owner_name(item.get(level))
            if name is None:
                errors.append('%s: %s is required (a numeric id or a full path)' % (label, level))
                continue
            label = '%s (%s)' % (label, name)
            problems = _unknown(item, fields, label) + _check_bool(item, 'purge', label) + _check_list(item.get('variables'), label + '.variables')
            problem = variables_logic.path_segment_problem(level, name)
            if problem:
                problems.append('%s: %s' % (label, problem))
            if (level, name.lower()) in seen:
                problems.append('%s: listed twice; give each %s once' % (label, level))
            seen.add((level, name.lower()))
            if problems:
                errors.extend(problems)
                continue
            try:
                owner = build_owner(level, name, item.get('variables'), item.get('purge'), item.get('triggers'), label,
                                    value_update, now, _kinds(item))
            except InputError as err:
                errors.extend(err.errors)
                continue
            spec[level + 's'].append(owner)
            if level == 'project':
                spec['project_items'][name.lower()] = item
    if not errors and not (spec['groups'] or spec['projects'] or spec['select']):
        errors.append('nothing to do: give projects, groups or select')
    if errors:
        raise InputError(errors)
    return spec


def select_projects(listed, selection):
    """The full paths picked from a group's listing: ``pattern`` (re.search on the full path), sorted."""
    picked = []
    for item in listed:
        path = item.get('path_with_namespace') if isinstance(item, dict) else None
        if not isinstance(path, str):
            continue
        if selection.get('regex') is not None and not selection['regex'].search(path):
            continue
        picked.append(path)
    return sorted(set(picked))


def fleet_owners(spec, selected, value_update='on_create', now=None):
    """Every owner of the run, in order: groups, then projects (listed ones and selected ones, by name).

    A selected project gets ``defaults`` merged with its own ``projects`` item (the item adds variables,
    triggers and schedules and overrides those with the same identity; its ``purge`` wins; its job token scope
    fields win and its allowlist entries add to the defaults'; its pipeline settings override field by field). A listed project that is not
    selected stands alone. Raises InputError when a merge is invalid (for example a variable of the
    defaults and of the item that together break a rule).
    """
    owners = list(spec['groups'])
    by_name = dict((owner['name'].lower(), owner) for owner in spec['projects'])
    errors = []
    defaults = spec['defaults']
    chosen = {}
    for path in selected:
        item = spec['project_items'].get(path.lower(), {})
        purge = item.get('purge') if item.get('purge') is not None else defaults.get('purge')
        try:
            kinds = dict(schedules=merge_triggers(defaults.get('schedules'), item.get('schedules')),
                         job_token_scope=merge_job_token_scope(defaults.get('job_token_scope'), item.get('job_token_scope')),
                         pipeline_settings=merge_pipeline_settings(defaults.get('pipeline_settings'), item.get('pipeline_settings')))
            owner = build_owner('project', path, merge_variables(defaults.get('variables'), item.get('variables')), purge,
                                merge_triggers(defaults.get('triggers'), item.get('triggers')),
                                'project %s (selected)' % path, value_update, now, kinds)
        except InputError as err:
            errors.extend(err.errors)
            continue
        owner['selected'] = True
        chosen[path.lower()] = owner
    for name, owner in by_name.items():
        chosen.setdefault(name, owner)
    if errors:
        raise InputError(errors)
    return owners + [chosen[name] for name in sorted(chosen)]


# ---- one owner: plan, result --------------------------------------------------------------------

def plan_variables(owner, api_items, value_update='on_create'):
    """The _variables Plan of an owner from GitLab's list (raises InputError, as the planner does)."""
    current = variables_logic.normalize_current(api_items, owner['level'])
    return variables_logic.plan(current, owner['desired'], owner['level'], state='present', purge=owner['purge'],
                                value_update=value_update, replace_hidden=False)


def plan_triggers(owner, api_triggers):
    """The _triggers Plans of an owner's triggers, in the order given (raises InputError, as the planner does)."""
    return [triggers_logic.plan(api_triggers, wanted) for wanted in owner['triggers']]


def owner_label(owner):
    return '%s %s' % (owner['level'], owner['name'])


def schedule_entry(wanted, result, action):
    """A project's outcome for one schedule: the result of gitlab_ci_schedule (without its diff) and the plan's action."""
    entry = dict(description=wanted['description'], action=action, changed=bool(result.get('changed')),
                 schedule=result.get('schedule'))
    if 'previous_owner' in result:
        entry['previous_owner'] = result['previous_owner']
    return entry


def owner_result(owner, variables_plan=None, trigger_plans=(), answers=None, error=None, wrote=False, kinds=None):
    """The result of one owner: ``status`` changed / ok / failed, and what changed (never a value or a token).

    ``answers`` maps a trigger description to GitLab's answer to its create or rotate (which holds the
    token: only ``trigger_tokens()`` reads it). With ``error`` (a message), the owner failed; ``wrote``
    says whether something was written before it did. ``kinds`` holds the outcomes of a project's
    ``schedules`` (a list of schedule_entry), ``job_token_scope`` and ``pipeline_settings`` (the single
    modules' results), each with ``changed``.
    """
    answers = answers or {}
    result = {owner['level']: owner['name']}
    if owner.get('selected'):
        result['selected'] = True
    changed = bool(wrote)
    if variables_plan is not None:
        result['variables'] = variables_logic.build_result(variables_plan)
        changed = changed or variables_plan.changed
    triggers = []
    for the_plan in trigger_plans:
        answer = answers.get(the_plan.description)
        built = triggers_logic.build_result(the_plan, answer)
        entry = dict(description=the_plan.description, action=the_plan.action, trigger=built['trigger'],
                     token_available=built['token_available'])
        triggers.append(entry)
        changed = changed or the_plan.changed
    if owner['triggers']:
        result['triggers'] = triggers
    for kind, outcome in (kinds or {}).items():
        if outcome is None:
            continue
        result[kind] = outcome
        entries = outcome if isinstance(outcome, list) else [outcome]
        changed = changed or any(entry.get('changed') for entry in entries)
    if error is not None:
        result.update(status='failed', msg=error, changed=bool(wrote))
    else:
        result.update(status='changed' if changed else 'ok', changed=changed)
    return result


def owner_diff(owner, variables_plan=None, trigger_plans=(), answers=None):
    """The diffs of one owner, as single-owner modules show them (list of before/after dicts)."""
    diffs = []
    if variables_plan is not None and variables_plan.changed:
        diff = variables_logic.build_diff(variables_plan)
        diff['before_header'] = diff['after_header'] = 'CI/CD variables of %s' % owner_label(owner)
        diffs.append(diff)
    for the_plan in trigger_plans:
        if not the_plan.changed:
            continue
        diff = triggers_logic.build_diff(the_plan, (answers or {}).get(the_plan.description))
        diff['before_header'] = diff['after_header'] = "trigger '%s' of project %s" % (the_plan.description, owner['name'])
        diffs.append(diff)
    return diffs


def trigger_tokens(owners_and_answers):
    """``{project: {description: token}}`` of every trigger whose full token was seen: created, rotated, or
    owned by the token's user (as the trigger module's ``token``)."""
    tokens = {}
    for owner, plans, answers in owners_and_answers:
        for the_plan in plans:
            built = triggers_logic.build_result(the_plan, (answers or {}).get(the_plan.description))
            if built.get('token_available'):
                tokens.setdefault(owner['name'], {})[the_plan.description] = built['token']
    return tokens


def totals(results):
    """``{owners, changed, ok, failed, selected}`` over the owners' results; with, for each of ``schedules``,
    ``job_token_scope`` and ``pipeline_settings`` that some owner declares, ``{changed, ok}`` (schedules counted one
    by one, the others by project; what a failed owner did not reach is not counted)."""
    counted = dict(owners=len(results), changed=0, ok=0, failed=0, selected=0)
    for result in results:
        counted[result['status']] += 1
        counted['selected'] += 1 if result.get('selected') else 0
        for kind in KINDS:
            if kind in result:
                entries = result[kind] if isinstance(result[kind], list) else [result[kind]]
                tally = counted.setdefault(kind, {'changed': 0, 'ok': 0})
                for entry in entries:
                    tally['changed' if entry.get('changed') else 'ok'] += 1
    return counted


def schedules_summary(results):
    """``{project: {description: schedule}}`` of the declared schedules (the shape the ci_settings role hands back as
    ``ci_settings_schedules``; variables as keys and types only)."""
    summary = {}
    for result in results:
        for entry in result.get('schedules') or ():
            summary.setdefault(result['project'], {})[entry['description']] = entry['schedule']
    return summary


def variables_summary(results):
    """``{groups: {name: variables}, projects: {name: variables}}`` of the owners whose variables were managed
    (the shape the ci_settings role hands back as ``ci_settings_variables``)."""
    summary = {'groups': {}, 'projects': {}}
    for result in results:
        level = 'group' if 'group' in result else 'project'
        if 'variables' in result:
            summary[level + 's'][result[level]] = result['variables']
    return summary


def failure_message(results):
    """The task's message when owners failed: how many, and each one's message (at most 10 named)."""
    failed = [result for result in results if result['status'] == 'failed']
    named = ['%s %s: %s' % ('group' if 'group' in r else 'project', r.get('group', r.get('project')), r['msg']) for r in failed[:10]]
    more = ' (and %d more, see owners)' % (len(failed) - 10) if len(failed) > 10 else ''
    return '%d of %d owners failed (every other owner was handled): %s%s' % (len(failed), len(results), '; '.join(named), more)
