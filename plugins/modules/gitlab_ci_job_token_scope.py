#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cicd.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: gitlab_ci_job_token_scope
short_description: Manage the CI/CD job token allowlist of a GitLab project
version_added: 0.3.0
author: cicd.gitlab contributors (@cicd-gitlab)
description:
  - Declare which projects and groups may use their CI/CD job tokens (C(CI_JOB_TOKEN)) to reach a project,
    and whether the project enforces that allowlist. GitLab 18.0 and later enforce it for every project.
  - Entries are given by full path or numeric id and resolved once; an entry that is already on the allowlist
    costs no request.
  - O(purge=true) removes the entries that are not listed. A purge that would leave the allowlist empty is
    refused unless O(purge_all=true), so that a typo cannot lock every other project out.
  - GitLab's entry limits (200 projects and 200 groups per project) are checked before any write.
  - Writes are ordered so that no job loses access in between; additions first, then removals, then the
    enforcement flag when it is turned on.
  - An unchanged run costs four requests (the project, the scope, the project and the group allowlist), plus
    one per entry that is not on the allowlist yet. The user of the token needs the Maintainer role.
  - O(import_from_log=true) adds the projects of the project's job token authentication log, as GitLab's button
    "Add all projects from authentication log" does; it is read through GitLab's GraphQL API (GitLab 17.6 and later).
extends_documentation_fragment:
  - cicd.gitlab.connection
  - cicd.gitlab.attributes
  - cicd.gitlab.attributes.actiongroup
attributes:
  check_mode:
    support: full
    details:
      - Check mode reads and plans the same, and sends no write; RV(added) and RV(removed) list what would change.
  diff_mode:
    support: full
    details:
      - The diff shows the scope (enabled, projects, groups) before and after.
  idempotent:
    support: full
options:
  project:
    description:
      - The project whose allowlist to manage, as a numeric id or a full path such as V(acme/app).
    type: str
    required: true
  enabled:
    description:
      - Whether the project enforces its inbound allowlist. Left as it is when not given.
    type: bool
  allowlist:
    description:
      - The projects and groups that may use their job tokens on O(project), as a mapping with the keys
        C(projects) and C(groups), each a list of full paths or numeric ids.
      - A group admits every project in it and in its subgroups.
      - Without O(purge), entries not listed here are kept. Listing O(project) itself is allowed and changes
        nothing (GitLab always admits a project's own jobs).
    type: dict
  purge:
    description:
      - Remove the allowlist entries that are not listed, for each kind (C(projects), C(groups)) that O(allowlist)
        gives; a kind left out of O(allowlist) is not touched.
    type: bool
    default: false
  purge_all:
    description:
      - Allow a purge that leaves the allowlist empty.
    type: bool
    default: false
  import_from_log:
    description:
      - Add every project of the job token authentication log of O(project) that no entry covers yet. GitLab logs
        each other project whose job token was let into O(project), through the allowlist or while it is not
        enforced (refused ones are not logged), within minutes and only for requests that succeeded.
      - The log's projects join the wanted project entries before planning, so check mode and diff mode show them,
        the entry limit counts them and O(purge) keeps them. A project already on the allowlist, or in a group entry
        that stays, is not added again; one the token's user cannot read (GitLab allowlists a project only for a
        user with at least the Guest role on it) is a warning, not added.
      - Where the log would pass GitLab's limit of 200 project entries, the task fails before any write and
        suggests a group entry; GitLab's own button would replace projects by their groups, which grants more.
      - Reads the log through GraphQL (C(POST /api/graphql)); needs GitLab 17.6 or later and the Maintainer role.
    type: bool
    default: false
notes:
  - "GitLab API: U(https://docs.gitlab.com/api/project_job_token_scopes/)."
'''

EXAMPLES = r'''
- name: Let the deploy tooling and the whole platform group pull from acme/app
  cicd.gitlab.gitlab_ci_job_token_scope:
    api_url: https://gitlab.example.com
    api_token: "{{ gitlab_token }}"
    project: acme/app
    enabled: true
    allowlist:
      projects: [acme/deployer]
      groups: [acme/platform]

- name: Keep exactly these entries
  cicd.gitlab.gitlab_ci_job_token_scope:
    api_url: https://gitlab.example.com
    api_token: "{{ gitlab_token }}"
    project: acme/app
    allowlist:
      projects: [acme/deployer]
      groups: []
    purge: true

- name: Before enforcing the allowlist, add the projects whose job tokens already reach acme/app
  cicd.gitlab.gitlab_ci_job_token_scope:
    api_url: https://gitlab.example.com
    api_token: "{{ gitlab_token }}"
    project: acme/app
    import_from_log: true
    enabled: true
'''

RETURN = r'''
scope:
  description: The scope after the task (in check mode, what it would be).
  returned: success
  type: dict
  contains:
    enabled:
      description: Whether the inbound allowlist is enforced.
      type: bool
      sample: true
    projects:
      description: Full paths of the projects on the allowlist (without the project itself), sorted.
      type: list
      elements: str
      sample: [acme/deployer]
    groups:
      description: Full paths of the groups on the allowlist, sorted.
      type: list
      elements: str
      sample: [acme/platform]
added:
  description: The entries added (or that would be), as C(projects) and C(groups) lists of full paths.
  returned: success
  type: dict
  sample: {projects: [acme/deployer], groups: []}
removed:
  description: The entries removed (or that would be), as C(projects) and C(groups) lists of full paths.
  returned: success
  type: dict
  sample: {projects: [], groups: [old/group]}
imported:
  description:
    - The projects of the job token authentication log, sorted by path, with what became of each.
    - C(outcome) is V(added) (added, or in check mode would be), V(listed) (already a project entry),
      V(covered) (a group entry holds it, named in C(group)) or V(unreadable) (the token's user cannot read it,
      not added, also a warning).
  returned: when O(import_from_log=true)
  type: list
  elements: dict
  sample: [{project: acme/deployer, id: 42, last_authorized_at: '2025-06-02T10:41:07Z', outcome: added}]
'''

from ansible_collections.cicd.gitlab.plugins.module_utils._module import TaskFailure, build_client, gitlab_argument_spec, run_module
from ansible_collections.cicd.gitlab.plugins.module_utils._errors import GitLabNotFoundError, InputError
from ansible_collections.cicd.gitlab.plugins.module_utils import _access as logic
from ansible_collections.cicd.gitlab.plugins.module_utils import _authlog


def argument_spec():
    spec = gitlab_argument_spec()
    spec.update(
        project=dict(type='str', required=True),
        enabled=dict(type='bool'),
        # Entries are paths or ids; _access.validate_scope_params checks them with messages naming allowlist.<kind>.
        allowlist=dict(type='dict'),
        purge=dict(type='bool', default=False),
        purge_all=dict(type='bool', default=False),
        import_from_log=dict(type='bool', default=False),
    )
    return spec


def _current(client, project):
    """The scope as it is (_access.read_scope: the scope and both allowlists)."""
    return logic.read_scope(client, project)


def _resolve(client, kind, entries, known, project):
    """``{id: path}`` of the entries, with a GET only for those not already known by id or path (nor the project itself)."""
    return logic.resolve_entries(client, kind, entries, known, project)


def _import_from_log(module, client, project, current, desired):
    """Add the job token authentication log's projects to ``desired['projects']``; the ``imported`` result."""
    entries, problems = _authlog.parse_nodes(client.job_token_auth_log(project['path_with_namespace']), project['id'])
    if problems:
        raise TaskFailure('Nothing was changed: %s' % '; '.join(problems), changed=False, scope=logic.scope_view(current))
    classified = _authlog.classify(entries, current, desired, purge=module.params['purge'])
    unreadable = set()
    for entry, outcome, _group in classified:
        if outcome == 'added':
            try:
                client.get_project(entry['id'])
            except GitLabNotFoundError:
                unreadable.add(entry['id'])
    desired['projects'], imported = _authlog.merge(classified, current, desired, unreadable)
    warning = _authlog.unreadable_warning(imported)
    if warning:
        module.warn(warning)
    return imported


def run(module):
    params = module.params
    problems = logic.validate_scope_params(params)
    if problems:
        raise InputError(problems)
    client = build_client(module)
    project = client.get_project(params['project'])
    current = _current(client, project)
    allowlist = params.get('allowlist')
    desired = {'enabled': params.get('enabled'), 'projects': None, 'groups': None}
    missing = []
    for kind in ('projects', 'groups'):
        if allowlist is not None and allowlist.get(kind) is not None:
            desired[kind], lost = _resolve(client, kind, allowlist[kind], current[kind], project)
            missing += ['%s %s' % (kind[:-1], name) for name in lost]
    logic.refuse_missing(current, missing)
    imported = _import_from_log(module, client, project, current, desired) if params['import_from_log'] else None
    the_plan = logic.checked_scope_plan(current, desired, purge=params['purge'], purge_all=params['purge_all'])
    if logic.scope_changed(the_plan) and not module.check_mode:
        logic.write_scope(client, project['id'], the_plan)
    result = logic.scope_result(project, current, the_plan, diff=module._diff)
    if imported is not None:
        result['imported'] = imported
    return result


def main():
    run_module(argument_spec(), run, supports_check_mode=True)


if __name__ == '__main__':
    main()
