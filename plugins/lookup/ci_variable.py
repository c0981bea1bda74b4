# -*- coding: utf-8 -*-
# Copyright: cicd.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
name: ci_variable
short_description: Read the value of a GitLab CI/CD variable
version_added: 0.2.0
author: cicd.gitlab contributors (@cicd-gitlab)
description:
  - Returns the value of one CI/CD variable, by key and environment scope, of a GitLab project, a group or the instance.
  - One value per key given; several keys give a list of values in the same order.
  - A variable that does not exist in that scope, or that is hidden (GitLab never returns the value of a hidden
    variable), is an error naming the key, the scope and the project or group, never an empty string.
  - The value is returned as unsafe text, so a value holding C({{) is never templated again.
  - A project variable costs one request (C(GET /projects/:id/variables/:key?filter[environment_scope]=...)),
    an instance variable one request; group variables are listed once per lookup call (one request per 100
    variables of the group), since older GitLab versions ignore the scope filter for a group variable.
  - Runs on the controller. C(module_defaults) do not reach lookups, so give the connection options as keyword
    arguments or through the environment variables named below.
options:
  _terms:
    description: The keys of the variables to read.
    type: list
    elements: str
    required: true
  project:
    description:
      - The project that holds the variable, as a numeric id or a full path such as V(acme/app).
      - Exactly one of O(project), O(group) and O(instance=true) is required.
    type: str
  group:
    description:
      - The group that holds the variable, as a numeric id or a full path such as V(acme/platform).
    type: str
  instance:
    description:
      - Read an instance-level variable (needs an administrator token). Instance variables have no environment scope.
    type: bool
    default: false
  environment_scope:
    description:
      - The environment scope of the variable, matched exactly as stored (V(*) is the variable for all environments,
        V(production) the one scoped to production; no wildcard matching is done).
      - Not used for instance variables.
    type: str
    default: '*'
extends_documentation_fragment:
  - cicd.gitlab.connection.lookup
notes:
  - Reading variables needs the Maintainer role in the project, the Owner role in the group, or an administrator
    for the instance; GitLab answers 403 otherwise and the lookup fails with that message.
  - The value is a secret as far as this collection knows; set C(no_log) on a task that uses it.
seealso:
  - module: cicd.gitlab.gitlab_ci_variable_info
    description: List variables and their attributes.
  - name: GitLab project-level CI/CD variables API
    description: The API this lookup uses for projects.
    link: https://docs.gitlab.com/api/project_level_variables/#get-a-single-variable
'''

EXAMPLES = r'''
- name: Use a variable of the production scope
  ansible.builtin.debug:
    msg: "{{ lookup('cicd.gitlab.ci_variable', 'DEPLOY_URL', project='acme/app', environment_scope='production') }}"

- name: Read two group variables at once (GITLAB_URL and GITLAB_TOKEN from the environment)
  ansible.builtin.set_fact:
    registry: "{{ lookup('cicd.gitlab.ci_variable', 'REGISTRY_URL', 'REGISTRY_USER', group='acme/platform', wantlist=true) }}"

- name: Connection options as keyword arguments
  ansible.builtin.template:
    src: config.j2
    dest: /etc/app/config.ini
    mode: "0600"
  vars:
    db_url: "{{ lookup('cicd.gitlab.ci_variable', 'DATABASE_URL', project='acme/api', api_url='https://gitlab.example.com',
                api_token=gitlab_token) }}"
  no_log: true
'''

RETURN = r'''
_raw:
  description:
    - The value of each variable, in the order of the keys. For a file variable, the file's content.
  type: list
  elements: str
'''

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible.utils.unsafe_proxy import wrap_var

from ansible_collections.cicd.gitlab.plugins.module_utils import _lookup
from ansible_collections.cicd.gitlab.plugins.module_utils._variables import KEY_MAX, KEY_RE


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        options = _lookup.connection_options(self.get_option)
        secrets = _lookup.secrets_of(options)
        return _lookup.guarded(lambda: [wrap_var(value) for value in self._values(terms, options)], AnsibleLookupError, secrets)

    def _values(self, terms, options):
        problem = _lookup.terms_problem(terms, 'variable key')
        if problem:
            raise _lookup.LookupProblem(problem)
        for key in terms:
            if len(key) > KEY_MAX or not KEY_RE.fullmatch(key):
                raise _lookup.LookupProblem('variable key %r is not a valid key: letters, digits and _ only, at most %d characters'
                                            % (key[:80], KEY_MAX))
        level, owner, scope = _lookup.variable_level(self.get_option('project'), self.get_option('group'),
                                                     self.get_option('instance'), self.get_option('environment_scope'))
        client = _lookup.make_client(options)
        listed = client.list_variables(level, owner) if level == 'group' else None
        values = []
        for key in terms:
            if listed is not None:
                item = _lookup.pick_variable(listed, key, scope)
            else:
                # pick again: a GitLab that ignored the scope filter may answer another scope's variable
                item = _lookup.pick_variable([client.get_variable(level, owner, key, environment_scope=scope)], key, scope)
            values.append(_lookup.variable_value(item, key, scope, level, owner))
        return values
