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
  - GitLab's REST API does not expose the job token authentication log (only GraphQL does), so this module
    cannot import entries from it.
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
'''

from ansible_collections.cicd.gitlab.plugins.module_utils._module import TaskFailure, build_client, gitlab_argument_spec, run_module
from ansible_collections.cicd.gitlab.plugins.module_utils._errors import GitLabNotFoundError, InputError
from ansible_collections.cicd.gitlab.plugins.module_utils import _access as logic


def argument_spec():
    spec = gitlab_argument_spec()
    spec.update(
        project=dict(type='str', required=True),
        enabled=dict(type='bool'),
        # Entries are paths or ids; _access.validate_scope_params checks them with messages naming allowlist.<kind>.
        allowlist=dict(type='dict'),
        purge=dict(type='bool', default=False),
        purge_all=dict(type='bool', default=False),
    )
    return spec


def _current(client, project):
    scope = client.get_job_token_scope(project['id'])
    projects = {}
    for item in client.list_job_token_projects(project['id']):
        if item.get('id') != project['id']:
            projects[item['id']] = item.get('path_with_namespace') or str(item['id'])
    groups = {}
    for item in client.list_job_token_groups(project['id']):
        groups[item['id']] = logic.group_path_from_url(item.get('web_url')) or item.get('name') or str(item['id'])
    return {'enabled': bool(scope.get('inbound_enabled')), 'projects': projects, 'groups': groups}


def _resolve(client, kind, entries, known, project):
    """``{id: path}`` of the entries, with a GET only for those not already known by id or path (nor the project itself)."""
    by_path = {path.lower(): key for key, path in known.items()}
    itself = (project['id'], str(project.get('path_with_namespace') or '').lower())
    resolved, missing = {}, []
    for entry in entries:
        key = logic.entry_key(entry)
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
    before = logic.scope_view(current)
    if missing:
        raise TaskFailure('Nothing was changed: not found or not visible to the token\'s user: %s' % ', '.join(missing),
                          changed=False, scope=before)
    the_plan = logic.plan_scope(current, desired, purge=params['purge'], purge_all=params['purge_all'])
    if the_plan['problems']:
        raise TaskFailure('Nothing was changed: %s' % '; '.join(the_plan['problems']), changed=False, scope=before,
                          would_remove={'projects': [p for _k, p in the_plan['remove_projects']],
                                        'groups': [p for _k, p in the_plan['remove_groups']]})
    changed = logic.scope_changed(the_plan)
    if changed and not module.check_mode:
        if the_plan['enable'] is False:
            client.set_job_token_scope(project['id'], False)
        for key, _path in the_plan['add_projects']:
            client.add_job_token_project(project['id'], key)
        for key, _path in the_plan['add_groups']:
            client.add_job_token_group(project['id'], key)
        for key, _path in the_plan['remove_projects']:
            client.remove_job_token_project(project['id'], key)
        for key, _path in the_plan['remove_groups']:
            client.remove_job_token_group(project['id'], key)
        if the_plan['enable'] is True:
            client.set_job_token_scope(project['id'], True)
    after = logic.apply_plan(current, the_plan)
    result = dict(
        changed=changed, scope=after,
        added={'projects': sorted(p for _k, p in the_plan['add_projects']), 'groups': sorted(p for _k, p in the_plan['add_groups'])},
        removed={'projects': sorted(p for _k, p in the_plan['remove_projects']),
                 'groups': sorted(p for _k, p in the_plan['remove_groups'])},
    )
    if module._diff:
        result['diff'] = {'before': before, 'after': after, 'before_header': project.get('path_with_namespace'),
                          'after_header': project.get('path_with_namespace')}
    return result


def main():
    run_module(argument_spec(), run, supports_check_mode=True)


if __name__ == '__main__':
    main()
