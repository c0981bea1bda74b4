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
  api_url:
    description:
      - URL of the GitLab instance, for example V(https://gitlab.example.com); the REST API is reached under C(/api/v4) below it.
      - Required, as a keyword argument or from the environment; without it the lookup fails saying so.
      - An C(http://) or C(https://) URL with a host and nothing else (no query, no fragment, no C(user:password@)).
      - "C(module_defaults) do not reach lookups: pass it as a keyword argument, or set E(GITLAB_URL)
        (E(CI_SERVER_URL), set by GitLab inside CI jobs, is used when E(GITLAB_URL) is not set)."
    type: str
    env:
      - name: CI_SERVER_URL
      - name: GITLAB_URL
  api_token:
    description:
      - The token used to authenticate to GitLab (personal, project or group access token, OAuth 2 token, CI/CD job token;
        see O(api_token_type)).
      - If not set, the environment variable E(GITLAB_TOKEN) is used; with O(api_token_type=job), E(CI_JOB_TOKEN) is used last.
      - The token is never shown in an error message.
    type: str
    env:
      - name: GITLAB_TOKEN
  api_token_type:
    description:
      - "How O(api_token) is sent: V(private) as a C(PRIVATE-TOKEN) header, V(oauth) as C(Authorization: Bearer),
        V(job) as C(JOB-TOKEN)."
    type: str
    choices: [private, oauth, job]
    default: private
  validate_certs:
    description:
      - Whether to verify the TLS certificate of the GitLab server.
    type: bool
    default: true
  ca_path:
    description:
      - Path to a PEM file of CA certificates used to verify the GitLab server's certificate.
    type: path
  timeout:
    description:
      - Seconds to wait for GitLab to accept a connection and for each read; a JSON answer must arrive whole within this time.
    type: float
    default: 30
  task_timeout:
    description:
      - Seconds the whole lookup may take, retries and waits included. Not set by default.
    type: float
  api_retries:
    description:
      - How many times a request is retried when GitLab answers 429, 502, 503 or 504, or the connection fails. V(0) disables retries.
    type: int
    default: 5
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
