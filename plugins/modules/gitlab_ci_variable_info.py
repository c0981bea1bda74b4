#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cicd.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: gitlab_ci_variable_info
short_description: List the CI/CD variables of a GitLab project, a group or the instance
version_added: 0.2.0
author: cicd.gitlab contributors (@cicd-gitlab)
description:
  - Lists the CI/CD variables of a GitLab project, group or instance with their attributes, optionally only those
    with a given O(key) or O(environment_scope).
  - Values are not returned unless O(include_values=true), and then only on a task with C(no_log) set to V(true);
    without it the module fails before any request, saying to add it. Hidden variables never have a value,
    since GitLab never returns it.
  - Costs one request per 100 variables at that level (the filters are applied to the list GitLab answers).
extends_documentation_fragment:
  - cicd.gitlab.connection
  - cicd.gitlab.attributes
  - cicd.gitlab.attributes.actiongroup
  - cicd.gitlab.attributes.info_module
options:
  project:
    description:
      - The project whose variables to list, as a numeric id or a full path such as V(acme/app).
      - Exactly one of O(project), O(group) or O(instance=true) is required.
    type: str
  group:
    description:
      - The group whose variables to list, as a numeric id or a full path such as V(acme/platform).
      - Only the group's own variables are listed, not those of its parent groups.
    type: str
  instance:
    description:
      - List the instance-level variables (GitLab self-managed and Dedicated; needs an administrator token).
    type: bool
  key:
    description:
      - Only the variables with this key (there may be one per environment scope).
    type: str
  environment_scope:
    description:
      - Only the variables of this environment scope, matched exactly as stored (V(*) is the scope for all
        environments; no wildcard matching is done).
      - Instance variables have no environment scope, so it cannot be used with O(instance=true).
    type: str
  include_values:
    description:
      - Also return each variable's value in RV(variables[].value).
      - Needs C(no_log) set to V(true) on the task; the module otherwise fails before any request.
      - Hidden variables still have no value (V(null)).
    type: bool
    default: false
notes:
  - Listing variables needs the Maintainer role in the project, the Owner role in the group, or an administrator token
    for the instance. A token with the C(read_api) scope is enough.
seealso:
  - module: cicd.gitlab.gitlab_ci_variable
    description: Manage the variables.
  - plugin: cicd.gitlab.ci_variable
    plugin_type: lookup
    description: Read the value of one variable in a template.
  - name: GitLab project-level CI/CD variables API
    description: The API this module uses for projects; groups and the instance have their own.
    link: https://docs.gitlab.com/api/project_level_variables/#list-project-variables
'''

EXAMPLES = r'''
- name: List the variables of a project (no values)
  cicd.gitlab.gitlab_ci_variable_info:
    api_url: https://gitlab.example.com
    api_token: "{{ gitlab_token }}"
    project: acme/app
  register: app_vars

- name: Fail when a protected variable is not masked
  ansible.builtin.assert:
    that: item.masked
    fail_msg: "{{ item.key }} ({{ item.environment_scope }}) is protected but not masked"
  loop: "{{ app_vars.variables | selectattr('protected') }}"
  loop_control:
    label: "{{ item.key }}"

- name: Every scope of one key in a group
  cicd.gitlab.gitlab_ci_variable_info:
    api_url: https://gitlab.example.com
    api_token: "{{ gitlab_token }}"
    group: acme/platform
    key: DATABASE_URL

- name: Read the values too (the task must not log them)
  cicd.gitlab.gitlab_ci_variable_info:
    api_url: https://gitlab.example.com
    api_token: "{{ gitlab_token }}"
    project: acme/app
    environment_scope: production
    include_values: true
  register: production_vars
  no_log: true
'''

RETURN = r'''
variables:
  description:
    - The variables that match, in the order GitLab lists them.
  returned: success
  type: list
  elements: dict
  contains:
    key:
      description: The key of the variable.
      returned: always
      type: str
      sample: DATABASE_URL
    environment_scope:
      description: The environment scope of the variable; V(null) for instance variables.
      returned: always
      type: str
      sample: production
    variable_type:
      description: V(env_var) or V(file).
      returned: always
      type: str
      sample: env_var
    protected:
      description: Whether the variable is passed only to pipelines on protected branches and tags.
      returned: always
      type: bool
      sample: true
    masked:
      description: Whether GitLab masks the value in job logs.
      returned: always
      type: bool
      sample: false
    hidden:
      description: Whether the variable is hidden (its value can never be read); always V(false) for instance variables.
      returned: always
      type: bool
      sample: false
    raw:
      description: Whether the value is used as is, without expanding C($OTHER) references.
      returned: always
      type: bool
      sample: false
    description:
      description: The description of the variable, V(null) when it has none.
      returned: always
      type: str
      sample: Production database
    value:
      description:
        - The value of the variable; V(null) for a hidden variable.
        - A secret; only returned on a task with C(no_log).
      returned: when O(include_values=true)
      type: str
      sample: postgres://db/app
'''

from ansible_collections.cicd.gitlab.plugins.module_utils._client import path_segment_problem
from ansible_collections.cicd.gitlab.plugins.module_utils._errors import InputError
from ansible_collections.cicd.gitlab.plugins.module_utils._module import build_client, gitlab_argument_spec, run_module
from ansible_collections.cicd.gitlab.plugins.module_utils._variables import DEFAULT_SCOPE, resolve_level

FIELDS = ('key', 'environment_scope', 'variable_type', 'protected', 'masked', 'hidden', 'raw', 'description')
NO_LOG_MESSAGE = ('include_values=true returns the values of the variables, which may be secrets: add "no_log: true" '
                  'to the task (the module refuses to return values otherwise)')


def argument_spec():
    spec = gitlab_argument_spec()
    spec.update(
        project=dict(type='str'),
        group=dict(type='str'),
        instance=dict(type='bool'),
        key=dict(type='str', no_log=False),
        environment_scope=dict(type='str'),
        include_values=dict(type='bool', default=False),
    )
    return spec


def validate(params, no_log):
    """``(level, owner, key, environment_scope)`` from the options, or InputError with every problem."""
    problems = []
    try:
        level, owner = resolve_level(params)
    except InputError as err:
        problems.extend(err.errors)
        level, owner = None, None
    key, scope = params.get('key'), params.get('environment_scope')
    if key is not None:
        problem = path_segment_problem('key', key) if key else 'key must not be empty'
        if problem:
            problems.append(problem)
    if scope is not None:
        if level == 'instance':
            problems.append('instance variables have no environment_scope; leave it out with instance=true')
        elif scope == '':
            problems.append('environment_scope must not be empty (the scope of every environment is "*")')
    if params.get('include_values') and not no_log:
        problems.append(NO_LOG_MESSAGE)
    if problems:
        raise InputError(problems)
    return level, owner, key, scope


def public_variable(item, level, include_values=False):
    """One entry of RV(variables): GitLab's fields with defaults filled in; the value only when asked and not hidden."""
    view = dict((field, item.get(field)) for field in FIELDS)
    for field in ('protected', 'masked', 'hidden', 'raw'):
        view[field] = bool(view[field])
    view['variable_type'] = view['variable_type'] or 'env_var'
    if level == 'instance':
        view['environment_scope'], view['hidden'] = None, False
    else:
        view['environment_scope'] = view['environment_scope'] or DEFAULT_SCOPE
    if include_values:
        view['value'] = None if view['hidden'] else item.get('value')
    return view


def select(items, level, key=None, environment_scope=None, include_values=False):
    """The entries of RV(variables) for GitLab's list, filtered by key and scope."""
    found = []
    for item in items:
        if not isinstance(item, dict):
            continue
        view = public_variable(item, level, include_values)
        if key is not None and view['key'] != key:
            continue
        if environment_scope is not None and view['environment_scope'] != environment_scope:
            continue
        found.append(view)
    return found


def run(module):
    level, owner, key, scope = validate(module.params, module.no_log)
    client = build_client(module)
    items = client.list_variables(level, owner)
    return dict(changed=False, variables=select(items, level, key, scope, module.params['include_values']))


def main():
    run_module(argument_spec(), run, supports_check_mode=True)


if __name__ == '__main__':
    main()
