# -*- coding: utf-8 -*-
# Copyright: cicd.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic of ``import_from_log`` (gitlab_ci_job_token_scope): the job token authentication log to allowlist entries.

GitLab records, per project, each other project whose CI/CD job token was authorized to reach it, with the time of
the last authorization (app/models/ci/job_token/authorization.rb; app/models/ci/job_token/scope.rb captures only
successful cross-project authorizations, whether the allowlist is enforced or not, and lib/ci/job_token/middleware.rb
writes them only for 2xx answers, at most every 5 minutes). GraphQL alone exposes it (``Project.ciJobTokenAuthLogs``,
GitLab 17.6). GitLab's button "Add all projects from authentication log" (mutation
ciJobTokenScopeAutopopulateAllowlist, app/services/ci/job_token/autopopulate_allowlist_service.rb and
app/models/ci/job_token/authorizations_compactor.rb) adds every origin project that no project or group entry already
covers. The same rule applies here, except that GitLab then compacts projects into their groups when the total would
pass the 200-entry limit; here the limit check refuses the run and suggests a group entry instead, since a group
grants more than the log shows.

No HTTP, no AnsibleModule. Private to the collection: the API of this file may change without notice.
"""

from __future__ import annotations

import re

_PROJECT_GID = re.compile(r'^gid://gitlab/Project/([1-9][0-9]*)$')
OUTCOMES = ('added', 'listed', 'covered', 'unreadable')


def project_id_from_gid(value):
    """``gid://gitlab/Project/26`` -> 26; anything else -> None."""
    found = _PROJECT_GID.match(value) if isinstance(value, str) else None
    return int(found.group(1)) if found else None


def parse_nodes(nodes, project_id=None):
    """``(entries, problems)`` from the GraphQL nodes: entries ``{'id', 'path', 'last_authorized_at'}`` sorted by path.

    One entry per origin project (the latest time kept if GitLab lists one twice); the project itself is left out
    (GitLab never logs it, scope.rb returns before capturing). A node without a usable project id or path is a
    problem: the answer is not what GitLab sends, so nothing should be written from it.
    """
    entries, problems = {}, []
    for index, node in enumerate(nodes or []):
        origin = node.get('originProject') if isinstance(node, dict) else None
        key = project_id_from_gid(origin.get('id')) if isinstance(origin, dict) else None
        path = origin.get('fullPath') if isinstance(origin, dict) else None
        if key is None or not isinstance(path, str) or not path.strip('/ ') or '..' in path.split('/'):
            problems.append('entry %d of the job token authentication log has no usable originProject id and fullPath' % (index + 1))
            continue
        when = node.get('lastAuthorizedAt')
        when = when if isinstance(when, str) else None
        if key == project_id:
            continue
        known = entries.get(key)
        if known is None or (when or '') > (known['last_authorized_at'] or ''):
            entries[key] = {'id': key, 'path': path.strip('/'), 'last_authorized_at': when}
    return sorted(entries.values(), key=lambda entry: entry['path'].lower()), problems


def covering_group(path, group_paths):
    """The group (of ``group_paths``) that holds the project ``path`` in it or a subgroup, else None (case-insensitive)."""
    lowered = path.lower()
    for group in sorted(group_paths, key=len):
        if group and lowered.startswith(group.strip('/').lower() + '/'):
            return group
    return None


def _final_groups(current, desired, purge):
    """Group paths on the allowlist after the run: a purged kind keeps only what is listed."""
    have = dict(current.get('groups') or {})
    wanted = desired.get('groups')
    if wanted is None:
        return list(have.values())
    if purge:
        return list(wanted.values())
    have.update(wanted)
    return list(have.values())


def classify(entries, current, desired, purge=False):
    """``[(entry, outcome, group)]``: what the log's entries mean for this allowlist.

    ``current``/``desired`` as for ``_access.plan_scope`` (``{'projects': {id: path} or None, 'groups': ...}``).
    ``listed``: already a project entry (now, or given in the allowlist); ``covered``: a group entry that stays holds
    it (``group``), as AuthorizationsCompactor#path_already_allowlisted? skips it; ``added``: to add.
    """
    listed = set(current.get('projects') or {}) | set(desired.get('projects') or {})
    groups = _final_groups(current, desired, purge)
    found = []
    for entry in entries:
        group = None if entry['id'] in listed else covering_group(entry['path'], groups)
        outcome = 'listed' if entry['id'] in listed else 'covered' if group else 'added'
        found.append((entry, outcome, group))
    return found


def merge(classified, current, desired, unreadable=()):
    """``(projects, imported)``: the desired project entries with the log's, and the ``imported`` result list.

    ``projects`` is ``desired['projects']`` (or, when the allowlist gives no projects, the current ones, so that
    nothing is removed) plus every listed or added entry, so a purge keeps them. ``unreadable``: ids of added entries
    the token's user cannot read (GitLab's REST API refuses to allowlist those), reported, not added.
    """
    wanted = desired.get('projects')
    projects = dict(current.get('projects') or {}) if wanted is None else dict(wanted)
    imported = []
    for entry, outcome, group in classified:
        if outcome == 'added' and entry['id'] in unreadable:
            outcome = 'unreadable'
        if outcome in ('added', 'listed'):
            projects.setdefault(entry['id'], entry['path'])
        item = {'project': entry['path'], 'id': entry['id'], 'last_authorized_at': entry['last_authorized_at'], 'outcome': outcome}
        if group:
            item['group'] = group
        imported.append(item)
    return projects, imported


def unreadable_warning(imported):
    """A warning naming the log's projects that could not be added, or None."""
    names = [item['project'] for item in imported if item['outcome'] == 'unreadable']
    if not names:
        return None
    return ('not added from the job token authentication log, because the token\'s user cannot read %s: GitLab allowlists '
            'a project only for a user with at least the Guest role on it (or allowlist its group)' % ', '.join(names))
