# -*- coding: utf-8 -*-
# Copyright: cicd.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The logic of gitlab_ci_job_token_scope and gitlab_ci_pipeline_settings, shared with the fleet module
(gitlab_ci_settings): option checks and plans are pure; the reads and writes at the end of each part go
through the client handed in (no AnsibleModule here), so every caller plans and writes the same way.

Private to the collection: the API of this file may change without notice.
"""

from __future__ import annotations

import re

from ansible_collections.cicd.gitlab.plugins.module_utils._client import path_segment_problem
from ansible_collections.cicd.gitlab.plugins.module_utils._errors import GitLabNotFoundError
from ansible_collections.cicd.gitlab.plugins.module_utils._module import TaskFailure

# app/models/ci/job_token/project_scope_link.rb PROJECT_LINK_DIRECTIONAL_LIMIT,
# app/models/ci/job_token/group_scope_link.rb GROUP_LINK_LIMIT
PROJECT_LINK_LIMIT = 200
GROUP_LINK_LIMIT = 200

# ---- job token scope ---------------------------------------------------------------------------------


def _entry_problem(kind, value):
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return 'allowlist.%s: every entry must be a path or a numeric id, not %r' % (kind, value)
    if isinstance(value, int):
        return None if value > 0 else 'allowlist.%s: an id must be positive, not %d' % (kind, value)
    return path_segment_problem('allowlist.%s entry' % kind, value)


def entry_key(value):
    """How entries compare: ids as ints, paths case-insensitively (GitLab routes are case-insensitive)."""
    if isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
        return int(value)
    return str(value).strip().strip('/').lower()


def validate_scope_params(params):
    """Problems with the options of gitlab_ci_job_token_scope, before any request."""
    problems = []
    project = params.get('project')
    if project is None or str(project).strip() == '':
        problems.append('project must not be empty')
    allowlist = params.get('allowlist')
    if allowlist is not None:
        if not isinstance(allowlist, dict):
            problems.append('allowlist must be a mapping with projects and/or groups')
            allowlist = {}
        unknown = sorted(set(allowlist) - {'projects', 'groups'})
        if unknown:
            problems.append('allowlist: unknown key(s) %s (use projects and groups)' % ', '.join(unknown))
        for kind, limit in (('projects', PROJECT_LINK_LIMIT), ('groups', GROUP_LINK_LIMIT)):
            entries = allowlist.get(kind)
            if entries is None:
                continue
            if not isinstance(entries, list):
                problems.append('allowlist.%s must be a list' % kind)
                continue
            seen = set()
            for value in entries:
                problem = _entry_problem(kind, value)
                if problem:
                    problems.append(problem)
                    continue
                if entry_key(value) in seen:
                    problems.append('allowlist.%s: %s is listed twice' % (kind, value))
                seen.add(entry_key(value))
            if len(entries) > limit:
                problems.append(limit_message(kind, len(entries), limit))
    if params.get('purge_all') and not params.get('purge'):
        problems.append('purge_all needs purge: true')
    if params.get('purge') and allowlist is None:
        problems.append('purge needs allowlist (the entries to keep); to empty the allowlist, give allowlist: {projects: [], groups: []} with purge_all: true')
    if allowlist is None and params.get('enabled') is None and not params.get('import_from_log'):
        problems.append('nothing to manage: give enabled, allowlist and/or import_from_log')
    return problems


def limit_message(kind, count, limit):
    """GitLab's entry limit, with the way around it."""
    if kind == 'projects':
        return ('allowlist.projects: %d project entries exceed GitLab\'s limit of %d per project; allowlist the group that '
                'holds them instead (allowlist.groups: one entry admits every project in the group and its subgroups)'
                % (count, limit))
    return ('allowlist.groups: %d group entries exceed GitLab\'s limit of %d per project; allowlist a common parent group '
            'instead' % (count, limit))


def plan_scope(current, desired, purge=False, purge_all=False):
    """What to change, from the current scope and the wanted one (both resolved).

    ``current``/``desired``: ``{'enabled': bool|None, 'projects': {id: path}, 'groups': {id: path}}``
    (``desired['enabled']`` None = leave it; desired lists None = leave them). Returns
    ``{'enable': bool|None, 'add_projects', 'remove_projects', 'add_groups', 'remove_groups'
    (lists of (id, path), in the order given), 'problems': [...]}``; problems mean: write nothing.
    """
    result = {'enable': None, 'add_projects': [], 'remove_projects': [], 'add_groups': [], 'remove_groups': [], 'problems': []}
    if desired.get('enabled') is not None and bool(desired['enabled']) != bool(current.get('enabled')):
        result['enable'] = bool(desired['enabled'])
    for kind in ('projects', 'groups'):
        wanted = desired.get(kind)
        have = current.get(kind) or {}
        if wanted is None:
            continue
        result['add_' + kind] = [(key, path) for key, path in wanted.items() if key not in have]
        if purge:
            result['remove_' + kind] = [(key, path) for key, path in have.items() if key not in wanted]
    if purge and not purge_all:
        left = {kind: (len(current.get(kind) or {}) + len(result['add_' + kind]) - len(result['remove_' + kind]))
                for kind in ('projects', 'groups')}
        removing = result['remove_projects'] or result['remove_groups']
        if removing and not left['projects'] and not left['groups']:
            result['problems'].append(
                'this purge would leave the job token allowlist empty (removing %s), so no job token of another project could '
                'reach this one; set purge_all: true if that is what you want' % ', '.join(
                    path for _key, path in result['remove_projects'] + result['remove_groups']))
    for kind, limit in (('projects', PROJECT_LINK_LIMIT), ('groups', GROUP_LINK_LIMIT)):
        final = len(current.get(kind) or {}) + len(result['add_' + kind]) - len(result['remove_' + kind])
        if result['add_' + kind] and final > limit:
            result['problems'].append(limit_message(kind, final, limit))
    return result


def scope_changed(the_plan):
    """Whether the plan writes anything."""
    return the_plan['enable'] is not None or any(the_plan[key] for key in ('add_projects', 'remove_projects', 'add_groups', 'remove_groups'))


def apply_plan(current, the_plan):
    """The scope after the plan: ``{'enabled', 'projects': [paths], 'groups': [paths]}``."""
    projects = dict(current.get('projects') or {})
    groups = dict(current.get('groups') or {})
    for key, _path in the_plan['remove_projects']:
        projects.pop(key, None)
    for key, _path in the_plan['remove_groups']:
        groups.pop(key, None)
    projects.update(the_plan['add_projects'])
    groups.update(the_plan['add_groups'])
    enabled = current.get('enabled') if the_plan['enable'] is None else the_plan['enable']
    return {'enabled': bool(enabled), 'projects': sorted(projects.values()), 'groups': sorted(groups.values())}


def scope_view(current):
    """The scope as the module returns it."""
    return {'enabled': bool(current.get('enabled')), 'projects': sorted((current.get('projects') or {}).values()),
            'groups': sorted((current.get('groups') or {}).values())}


def group_path_from_url(web_url):
    """A group's full path from its ``web_url`` (``<external_url>/groups/<full_path>``); BasicGroupDetails has no path."""
    marker = '/groups/'
    text = str(web_url or '')
    return text.rsplit(marker, 1)[1].strip('/') if marker in text else None


def read_scope(client, project):
    """The current scope of ``project`` (GitLab's project, with its ``id``): three requests
    (https://docs.gitlab.com/api/project_job_token_scopes/); the project itself is left out of the projects."""
    scope = client.get_job_token_scope(project['id'])
    projects = {}
    for item in client.list_job_token_projects(project['id']):
        if item.get('id') != project['id']:
            projects[item['id']] = item.get('path_with_namespace') or str(item['id'])
    groups = {}
    for item in client.list_job_token_groups(project['id']):
        groups[item['id']] = group_path_from_url(item.get('web_url')) or item.get('name') or str(item['id'])
    return {'enabled': bool(scope.get('inbound_enabled')), 'projects': projects, 'groups': groups}


def resolve_entries(client, kind, entries, known, project):
    """``({id: path}, [missing])`` of the entries, with a GET only for those not already known by id or path (nor the
    project itself)."""
    by_path = {path.lower(): key for key, path in known.items()}
    itself = (project['id'], str(project.get('path_with_namespace') or '').lower())
    resolved, missing = {}, []
    for entry in entries:
        key = entry_key(entry)
        if kind == 'projects' and key in itself:
            continue
        if isinstance(key, int) and key in known:
            resolved[key] = known[key]
            continue
        if not isinstance(key, int) and key in by_path:
            resolved[by_path[key]] = known[by_path[key]]
            continue
        try:
            found = client.get_project(entry) if kind == 'projects' else client.get_group(entry)
        except GitLabNotFoundError:
            missing.append(str(entry))
            continue
        if kind == 'projects' and found['id'] == project['id']:
            continue
        resolved[found['id']] = found.get('path_with_namespace') if kind == 'projects' else found.get('full_path')
    return resolved, missing


def refuse_missing(current, missing):
    """TaskFailure (nothing was written) when allowlist entries were not found."""
    if missing:
        raise TaskFailure('Nothing was changed: not found or not visible to the token\'s user: %s' % ', '.join(missing),
                          changed=False, scope=scope_view(current))


def checked_scope_plan(current, desired, purge=False, purge_all=False):
    """The plan (plan_scope), or TaskFailure (nothing was written) when it is refused (a purge to empty, a limit)."""
    the_plan = plan_scope(current, desired, purge=purge, purge_all=purge_all)
    if the_plan['problems']:
        raise TaskFailure('Nothing was changed: %s' % '; '.join(the_plan['problems']), changed=False, scope=scope_view(current),
                          would_remove={'projects': [p for _k, p in the_plan['remove_projects']],
                                        'groups': [p for _k, p in the_plan['remove_groups']]})
    return the_plan


def write_scope(client, project_id, the_plan):
    """The writes, ordered so that no job loses access in between: turning enforcement off first, additions, removals,
    turning it on last."""
    if the_plan['enable'] is False:
        client.set_job_token_scope(project_id, False)
    for key, _path in the_plan['add_projects']:
        client.add_job_token_project(project_id, key)
    for key, _path in the_plan['add_groups']:
        client.add_job_token_group(project_id, key)
    for key, _path in the_plan['remove_projects']:
        client.remove_job_token_project(project_id, key)
    for key, _path in the_plan['remove_groups']:
        client.remove_job_token_group(project_id, key)
    if the_plan['enable'] is True:
        client.set_job_token_scope(project_id, True)


def scope_result(project, current, the_plan, diff=False):
    """The result of gitlab_ci_job_token_scope (and of a fleet project's ``job_token_scope``): never a secret."""
    after = apply_plan(current, the_plan)
    result = dict(
        changed=scope_changed(the_plan), scope=after,
        added={'projects': sorted(p for _k, p in the_plan['add_projects']), 'groups': sorted(p for _k, p in the_plan['add_groups'])},
        removed={'projects': sorted(p for _k, p in the_plan['remove_projects']),
                 'groups': sorted(p for _k, p in the_plan['remove_groups'])},
    )
    if diff:
        result['diff'] = {'before': scope_view(current), 'after': after, 'before_header': project.get('path_with_namespace'),
                          'after_header': project.get('path_with_namespace')}
    return result


# ---- pipeline settings -------------------------------------------------------------------------------

_UNITS = {'s': 1, 'm': 60, 'h': 3600, 'd': 86400, 'w': 604800, 'y': 31557600}
_DURATION = re.compile(r'^\s*(?:(\d+)\s*([smhdwy]))+\s*$', re.I)
_PART = re.compile(r'(\d+)\s*([smhdwy])', re.I)

# Field -> (kind, choices or (min, max), doc): ranges from app/models/project.rb (build_timeout: 10 minutes up to,
# not including, 1.month = 2629746 s) and app/models/project_ci_cd_setting.rb (default_git_depth 0..1000,
# delete_pipelines_in_seconds ChronicDuration '1 day'..'1 year' = 86400..31557600); values from
# lib/api/helpers/projects_helpers.rb (https://docs.gitlab.com/api/projects/#edit-a-project).
SETTINGS = {
    'auto_cancel_pending_pipelines': ('choice', ('enabled', 'disabled')),
    'build_timeout': ('duration', (600, 2629745)),
    'ci_config_path': ('path', None),
    'ci_default_git_depth': ('integer', (0, 1000)),
    'ci_delete_pipelines_in_seconds': ('duration', (86400, 31557600)),
    'keep_latest_artifact': ('bool', None),
    'ci_push_repository_for_job_token_allowed': ('bool', None),
    'ci_restrict_pipeline_cancellation_role': ('choice', ('developer', 'maintainer', 'no_one')),
    'ci_pipeline_variables_minimum_override_role': ('choice', ('no_one_allowed', 'developer', 'maintainer', 'owner')),
}


def parse_duration(value):
    """Seconds from an int, a digit string, or units (``30d``, ``1h30m``; s m h d w y, y = 365.25 days); None if unusable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    if not _DURATION.match(text):
        return None
    return sum(int(number) * _UNITS[unit.lower()] for number, unit in _PART.findall(text))


def normalize_settings(params):
    """``(wanted {field: value}, problems)`` from the module options (None = not managed)."""
    wanted, problems = {}, []
    for name, (kind, rule) in SETTINGS.items():
        value = params.get(name)
        if value is None:
            continue
        if kind == 'duration':
            seconds = parse_duration(value)
            if seconds is None:
                problems.append('%s: %r is not a number of seconds or a duration such as 30d, 12h or 1w2d' % (name, value))
            elif not rule[0] <= seconds <= rule[1]:
                problems.append('%s: %s (%d seconds) is outside GitLab\'s range %d..%d (%s)' % (
                    name, value, seconds, rule[0], rule[1],
                    '1 day to 1 year' if name == 'ci_delete_pipelines_in_seconds' else '10 minutes to just under 1 month'))
            else:
                wanted[name] = seconds
        elif kind == 'integer':
            number = None
            if isinstance(value, int) and not isinstance(value, bool):
                number = value
            elif isinstance(value, str) and value.strip().isdigit():
                number = int(value.strip())
            if number is None:
                problems.append('%s: %r is not an integer' % (name, value))
            elif not rule[0] <= number <= rule[1]:
                problems.append('%s: %d is outside GitLab\'s range %d..%d' % (name, number, rule[0], rule[1]))
            else:
                wanted[name] = number
        elif kind == 'choice':
            if value not in rule:
                problems.append('%s: %r is not one of %s' % (name, value, ', '.join(rule)))
            else:
                wanted[name] = value
        elif kind == 'bool':
            if not isinstance(value, bool):
                problems.append('%s: %r is not true or false' % (name, value))
            else:
                wanted[name] = value
        elif not isinstance(value, str):
            problems.append('%s: %r is not a string (a path in the repository)' % (name, value))
        else:
            text = value
            if '..' in text or text.startswith('/'):
                problems.append('%s: GitLab refuses a leading slash or directory traversal (..) in %r' % (name, text))
            elif len(text) > 255:
                problems.append('%s: at most 255 characters' % name)
            else:
                wanted[name] = text
    return wanted, problems


def _same(name, current, wanted):
    if name == 'ci_config_path':
        return (current or '') == (wanted or '')
    return current == wanted


def plan_settings(current, wanted):
    """``(changes {field: (old, new)}, unknown [fields])``: unknown = not in the project's GET (the instance lacks it)."""
    changes, unknown = {}, []
    for name, value in wanted.items():
        if name not in current:
            unknown.append(name)
        elif not _same(name, current[name], value):
            changes[name] = (current[name], value)
    return changes, unknown


UNKNOWN_FIELD = ('%s is not known to this GitLab (GET /projects/:id does not show it: an older version, or a Premium '
                 'field on a Free instance); it was not changed')


def write_settings(client, project_id, changes):
    """One PUT of the fields that differ (https://docs.gitlab.com/api/projects/#edit-a-project)."""
    client.update_project_settings(project_id, {name: new for name, (_old, new) in changes.items()})


def settings_result(project, wanted, changes, unknown, diff=False):
    """The result of gitlab_ci_pipeline_settings (and of a fleet project's ``pipeline_settings``)."""
    settings = {name: (changes[name][1] if name in changes else project[name]) for name in wanted if name not in unknown}
    result = dict(changed=bool(changes), settings=settings, changed_fields=sorted(changes), unknown_fields=sorted(unknown))
    if diff:
        result['diff'] = {'before': {name: old for name, (old, _new) in changes.items()},
                          'after': {name: new for name, (_old, new) in changes.items()},
                          'before_header': project.get('path_with_namespace'), 'after_header': project.get('path_with_namespace')}
    return result
