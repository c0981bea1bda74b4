#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cicd.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: gitlab_ci_variable
short_description: Manage GitLab CI/CD variables of a project, a group or the instance
version_added: 0.1.0
author: cicd.gitlab contributors (@cicd-gitlab)
description:
  - Create, update and delete CI/CD variables of a GitLab project, group or instance, one variable
    (O(key)) or many (O(variables)) per task.
  - A variable is identified by its O(key) and O(environment_scope), so the same key can be managed
    in several environment scopes.
  - Changes are made in place; a variable is never deleted and re-created to change it, except when
    hiding or unhiding it with O(replace_hidden=true).
  - Only the attributes named here are compared. An attribute left out keeps its current value on an
    existing variable and gets GitLab's default on a new one. Attributes GitLab adds in later versions
    never cause a change or a deletion.
  - Every variable is checked before the first request that writes (key and scope characters, GitLab's
    masking rules, contradictory options, duplicates). If one is invalid, nothing is changed.
  - Values are never returned, never shown in the diff and never included in messages or warnings.
  - An unchanged run costs one request per 100 variables at that level; a run that changes something
    costs one more request per change.
extends_documentation_fragment:
  - cicd.gitlab.connection
  - cicd.gitlab.attributes
  - cicd.gitlab.attributes.actiongroup
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details:
      - The diff lists the added, updated, removed and replaced variables with their attributes; its header
        names the project or group by its full path.
      - Values are always shown as markers, never in clear; for example C(<redacted>) and
        C(<redacted, changed>), or C(<hidden>) and C(<hidden, written>) for hidden variables.
        Even a variable that is not masked may hold a secret (a private key in a file variable
        cannot be masked).
  idempotent:
    support: partial
    details:
      - The value of a hidden variable cannot be read back from GitLab. With the default
        O(value_update=on_create) an existing hidden variable's value is never compared nor sent,
        and the module is idempotent.
      - With O(value_update=always) the value of every existing hidden variable that has a O(value)
        (or a O(variables[].value)) is written on every run, and the task reports a change every time.
options:
  project:
    description:
      - The project whose variables to manage, as a numeric id or a full path such as V(acme/app).
        A path with V(.) or V(..) segments, an empty segment, a leading or trailing slash or a control
        character is refused before any request.
      - An all-digit value is always an id (GitLab reads C(/projects/42) as the project with id 42, never as a path);
        the module then reads the project's full path (one more request, also in check mode) and names it in
        RV(project_path) and in the diff header, so that a purge aimed at the wrong project shows before it runs.
      - Exactly one of O(project), O(group) or O(instance=true) is required.
    type: str
  group:
    description:
      - The group whose variables to manage, as a numeric id or a full path such as V(acme/platform).
      - An all-digit value is always an id; the module then reads the group's full path (one more request,
        also in check mode) and names it in RV(group_path) and in the diff header.
      - Exactly one of O(project), O(group) or O(instance=true) is required.
    type: str
  instance:
    description:
      - Manage the instance-level variables (GitLab self-managed and Dedicated; needs an administrator token).
      - Instance variables have no O(environment_scope) and cannot be O(hidden).
      - Exactly one of O(project), O(group) or O(instance=true) is required.
    type: bool
  key:
    description:
      - The key of the one variable to manage. Letters, digits and V(_) only, at most 255 characters.
      - Mutually exclusive with O(variables).
    type: str
  value:
    description:
      - The value of the variable.
      - Required to create a variable (O(state=present)); when left out, the value of an existing
        variable is kept.
      - A masked value must be at least 8 characters long without whitespace, and with O(raw=false)
        contain only ASCII letters, digits and V(_), V(+), V(=), V(/), V(@), V(:), V(.), V(~), V(-).
      - For a hidden variable, O(value_update) decides whether the value is written again.
      - "The value must be a string as written: a value YAML reads as something else is refused, naming
        the key, before anything is sent. Unquoted V(true), V(yes) or V(no) are booleans, V(1.10) is the
        number 1.1 and V(0755) the number 493, so quote them (C(value: \"1.10\")). A templated value must
        be a string too (use C(| string) on a number)."
    type: raw
  variable_type:
    description:
      - V(env_var) for an environment variable, V(file) for a file whose path is in the variable.
      - GitLab's default on create is V(env_var).
    type: str
    choices: [env_var, file]
  protected:
    description:
      - Whether the variable is only passed to pipelines on protected branches and tags.
      - GitLab's default on create is V(false).
    type: bool
  masked:
    description:
      - Whether GitLab masks the value in job logs. The value must then satisfy GitLab's masking rules
        (see O(value)), which the module checks before any change.
      - GitLab's default on create is V(false).
    type: bool
  hidden:
    description:
      - Whether the variable is masked and hidden, so that its value can no longer be read, not even
        through the API (GitLab 17.4 or later). Implies O(masked=true); O(hidden=true) with
        O(masked=false) is an error.
      - Only a new variable can be hidden, and a hidden variable cannot be unhidden. Changing this on an
        existing variable fails unless O(replace_hidden=true).
      - Not supported for instance variables.
    type: bool
  raw:
    description:
      - Whether the value is used as is, without expanding C($OTHER_VARIABLE) references.
      - GitLab's default on create is V(false).
    type: bool
  environment_scope:
    description:
      - The environments the variable applies to, for example V(production) or V(review/*).
        Part of the variable's identity. Defaults to V(*), all environments.
      - Group variables with a scope other than V(*) need GitLab Premium or Ultimate; other tiers store
        them under V(*), which the module reports with a warning.
      - "On such a tier (GitLab Free) the variable asked for under a scope then exists under V(*), and
        later runs manage that variable under V(*) (reported in RV(variables.unchanged) or
        RV(variables.updated) with C(environment_scope: '*')) instead of failing. With O(purge=true) a
        group variable under V(*) whose key is listed under another scope that does not exist is not
        removed on that run, so that a purge never deletes and re-creates the same variable on every run;
        with Premium or Ultimate the scoped variable is created and the next run removes the one under V(*)."
      - Not supported for instance variables.
    type: str
  description:
    description:
      - The description of the variable, at most 255 characters.
    type: str
  variables:
    description:
      - Many variables at once, each with the same fields as the single-variable options.
      - Mutually exclusive with O(key) and the other single-variable options.
      - With O(purge=true) this is the complete list of variables to keep; an empty list then removes
        every variable at that level.
      - "Each item is a dictionary with the fields below; the module checks the items itself, so an item
        that is not a dictionary, lacks O(variables[].key), has an unknown field or a value of the wrong
        type is refused with a message naming it (C(variables[2] (key FOO): ...)), and nothing is changed.
        The values are never logged."
    type: list
    elements: raw
    suboptions:
      key:
        description: The key of the variable, see O(key). Required.
        type: str
      value:
        description: The value of the variable, see O(value); a string (quote it in YAML).
        type: raw
      variable_type:
        description: See O(variable_type).
        type: str
        choices: [env_var, file]
      protected:
        description: See O(protected).
        type: bool
      masked:
        description: See O(masked).
        type: bool
      hidden:
        description: See O(hidden).
        type: bool
      raw:
        description: See O(raw).
        type: bool
      environment_scope:
        description: See O(environment_scope); defaults to V(*).
        type: str
      description:
        description: See O(description).
        type: str
  state:
    description:
      - V(present) creates or updates the variables.
      - V(absent) removes the listed variables (matched by key and environment scope); a variable that
        does not exist is not an error. Only the key and scope of each variable are used.
    type: str
    choices: [present, absent]
    default: present
  purge:
    description:
      - With O(state=present), also remove every variable at that level that is not listed
        (matched by key and environment scope).
      - Cannot be used with O(state=absent).
    type: bool
    default: false
  value_update:
    description:
      - When to write the value of an existing hidden variable, whose value GitLab never returns.
      - V(on_create) writes it only when the variable is created; afterwards it is neither compared nor
        sent, and the task reports no change for it.
      - V(always) writes it on every run; the task then reports a change every time.
      - The values of variables that are not hidden are always compared and written only when they differ.
    type: str
    choices: [on_create, always]
    default: on_create
  replace_hidden:
    description:
      - GitLab cannot hide an existing variable or unhide a hidden one. With V(true) the module deletes
        the variable and creates it again with the requested settings (listed under RV(variables.replaced));
        for a short moment the variable does not exist.
      - With V(false) such a change fails before anything is written.
      - Unhiding needs O(value), since a hidden value cannot be read.
    type: bool
    default: false
notes:
  - Identity is the pair of O(key) and O(environment_scope). Updates and deletions send
    C(filter[environment_scope]), so variables with the same key in other scopes are never touched.
  - When another run creates the same variable at the same time, the module reads it back and
    updates it if needed; a variable that someone else deleted meanwhile counts as removed.
seealso:
  - name: GitLab project-level CI/CD variables API
    description: The API this module uses for projects; groups and the instance have their own.
    link: https://docs.gitlab.com/api/project_level_variables/
  - name: GitLab CI/CD variable security
    description: Masked and hidden variables, and their requirements.
    link: https://docs.gitlab.com/ci/variables/#mask-a-cicd-variable
'''

EXAMPLES = r'''
- name: Set one project variable (created or updated in place)
  cicd.gitlab.gitlab_ci_variable:
    api_url: https://gitlab.example.com
    api_token: "{{ gitlab_token }}"
    project: acme/app
    key: DEPLOY_REGION
    value: eu-west-1
    description: Region the deploy job targets

- name: Set a masked, protected variable
  cicd.gitlab.gitlab_ci_variable:
    api_url: https://gitlab.example.com
    api_token: "{{ gitlab_token }}"
    project: 42
    key: REGISTRY_PASSWORD
    value: "{{ registry_password }}"
    masked: true
    protected: true

- name: Manage several variables at once
  cicd.gitlab.gitlab_ci_variable:
    api_url: https://gitlab.example.com
    api_token: "{{ gitlab_token }}"
    project: acme/app
    variables:
      - key: APP_ENV
        value: staging
      - key: APP_VERSION
        value: "1.10"        # quoted: unquoted 1.10 is the number 1.1 and is refused
      - key: FEATURE_FLAG
        value: "yes"         # quoted: unquoted yes is a boolean
      - key: SENTRY_DSN
        value: "{{ sentry_dsn }}"
        masked: true
        raw: true

- name: Same key in several environment scopes (each pair of key and scope is its own variable)
  cicd.gitlab.gitlab_ci_variable:
    api_url: https://gitlab.example.com
    api_token: "{{ gitlab_token }}"
    project: acme/app
    variables:
      - key: DATABASE_URL
        value: "{{ db_url_review }}"
        environment_scope: review/*
      - key: DATABASE_URL
        value: "{{ db_url_production }}"
        environment_scope: production
        protected: true

- name: Install a file variable (the job sees the path of a file holding the value)
  cicd.gitlab.gitlab_ci_variable:
    api_url: https://gitlab.example.com
    api_token: "{{ gitlab_token }}"
    project: acme/app
    key: KUBECONFIG
    value: "{{ lookup('ansible.builtin.file', 'kubeconfig.yml') }}"
    variable_type: file
    protected: true

- name: Group variable
  cicd.gitlab.gitlab_ci_variable:
    api_url: https://gitlab.example.com
    api_token: "{{ gitlab_token }}"
    group: acme/platform
    key: ARTIFACTORY_URL
    value: https://artifactory.example.com

- name: Instance variable (administrator token; no environment_scope, no hidden)
  cicd.gitlab.gitlab_ci_variable:
    api_url: https://gitlab.example.com
    api_token: "{{ gitlab_admin_token }}"
    instance: true
    key: HTTP_PROXY
    value: http://proxy.example.com:3128

- name: Create a hidden variable once; later runs never compare or rewrite its value
  cicd.gitlab.gitlab_ci_variable:
    api_url: https://gitlab.example.com
    api_token: "{{ gitlab_token }}"
    project: acme/app
    key: SIGNING_KEY
    value: "{{ signing_key }}"
    hidden: true

- name: Rotate a hidden variable's value (writes it on every run, so the task always reports a change)
  cicd.gitlab.gitlab_ci_variable:
    api_url: https://gitlab.example.com
    api_token: "{{ gitlab_token }}"
    project: acme/app
    key: SIGNING_KEY
    value: "{{ new_signing_key }}"
    hidden: true
    value_update: always

- name: Hide an existing variable (GitLab cannot do it in place, so it is deleted and re-created)
  cicd.gitlab.gitlab_ci_variable:
    api_url: https://gitlab.example.com
    api_token: "{{ gitlab_token }}"
    project: acme/app
    key: LEGACY_TOKEN
    hidden: true
    replace_hidden: true

- name: Keep exactly these variables and remove every other variable of the project
  cicd.gitlab.gitlab_ci_variable:
    api_url: https://gitlab.example.com
    api_token: "{{ gitlab_token }}"
    project: acme/app
    purge: true
    variables:
      - key: APP_ENV
        value: production
      - key: DATABASE_URL
        value: "{{ db_url_production }}"
        environment_scope: production

- name: Remove variables (only the listed key and scope pairs; missing ones are fine)
  cicd.gitlab.gitlab_ci_variable:
    api_url: https://gitlab.example.com
    api_token: "{{ gitlab_token }}"
    project: acme/app
    state: absent
    variables:
      - key: OLD_SECRET
      - key: DATABASE_URL
        environment_scope: review/*

- name: Set the connection once for every module of the collection
  module_defaults:
    group/cicd.gitlab.gitlab_ci:
      api_url: https://gitlab.example.com
      api_token: "{{ gitlab_token }}"
  block:
    - name: Set a variable
      cicd.gitlab.gitlab_ci_variable:
        project: acme/app
        key: APP_ENV
        value: staging
      register: result

    - name: Show what changed (identities only, never values)
      ansible.builtin.debug:
        var: result.variables
'''

RETURN = r'''
project_path:
  description:
    - The full path of the project (O(project)), as given, or read from GitLab when O(project) is an id.
  returned: when O(project) is set
  type: str
  sample: acme/app
group_path:
  description:
    - The full path of the group (O(group)), as given, or read from GitLab when O(group) is an id.
  returned: when O(group) is set
  type: str
  sample: acme/platform
variables:
  description:
    - The variables of the task by outcome, as identities; values are never returned.
    - Each item is a dict with C(key) and C(environment_scope); instance variables have only C(key).
    - In check mode, what would happen.
  returned: always
  type: dict
  contains:
    added:
      description: Variables that were created.
      returned: always
      type: list
      elements: dict
      sample: [{key: APP_ENV, environment_scope: '*'}]
    updated:
      description: Variables that were changed in place.
      returned: always
      type: list
      elements: dict
      sample: [{key: DATABASE_URL, environment_scope: production}]
    removed:
      description: Variables that were deleted (by O(state=absent) or O(purge=true)).
      returned: always
      type: list
      elements: dict
      sample: [{key: OLD_SECRET, environment_scope: '*'}]
    replaced:
      description: Variables that were deleted and created again to hide or unhide them (O(replace_hidden=true)).
      returned: always
      type: list
      elements: dict
      sample: [{key: LEGACY_TOKEN, environment_scope: '*'}]
    unchanged:
      description: Listed variables that were already as requested (with O(state=absent), already missing).
      returned: always
      type: list
      elements: dict
      sample: [{key: SENTRY_DSN, environment_scope: '*'}]
'''

from ansible_collections.cicd.gitlab.plugins.module_utils._module import TaskFailure, build_client, gitlab_argument_spec, run_module
from ansible_collections.cicd.gitlab.plugins.module_utils._errors import (
    GitLabError,
    GitLabNotFoundError,
    GitLabValidationError,
    InputError,
)
from ansible_collections.cicd.gitlab.plugins.module_utils import _lost as lost
from ansible_collections.cicd.gitlab.plugins.module_utils import _variables as variables_logic

VARIABLE_FIELDS = dict(
    value=dict(type='raw', no_log=True),
    variable_type=dict(type='str', choices=['env_var', 'file']),
    protected=dict(type='bool'),
    masked=dict(type='bool'),
    hidden=dict(type='bool'),
    raw=dict(type='bool'),
    environment_scope=dict(type='str'),
    description=dict(type='str'),
)


def argument_spec():
    spec = gitlab_argument_spec()
    spec.update(VARIABLE_FIELDS)
    spec.update(
        project=dict(type='str'),
        group=dict(type='str'),
        instance=dict(type='bool'),
        key=dict(type='str', no_log=False),
        # Raw items, checked by _variables.prepare() (messages naming variables[N]). Not sub-options:
        # ansible-core computes the no_log values of every option in one pass that stops at the first
        # item that is not a dict, so an item such as 5 left api_token itself unmasked. The items'
        # values are registered as secrets (value_secrets) at the start of run().
        variables=dict(type='list', elements='raw'),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        purge=dict(type='bool', default=False),
        value_update=dict(type='str', default='on_create', choices=['on_create', 'always']),
        replace_hidden=dict(type='bool', default=False),
    )
    return spec


class Applier:
    """Carries out a plan through the client, converging when another run got there first.

    A write whose answer was lost or is not a variable (``lost.maybe_applied``) is checked by listing
    the variables again: a create that is there counts as done, an update whose variable now has the
    wanted attributes counts as done, a delete whose variable is gone counts as done.
    """

    def __init__(self, module, client, level, owner, the_plan, desired):
        self.module, self.client, self.level, self.owner, self.plan = module, client, level, owner, the_plan
        self.desired = dict((variables_logic.identity(entry), entry) for entry in desired)
        self.options = dict(value_update=module.params['value_update'], replace_hidden=module.params['replace_hidden'])
        self.wrote = False

    def run(self):
        """Deletes first (they free room under GitLab's count limits), then updates, creates, replacements."""
        steps = ([(self.delete, entry) for entry in self.plan.deletes]
                 + [(self.update, entry) for entry in self.plan.updates]
                 + [(self.create, entry) for entry in self.plan.creates]
                 + [(self.replace, entry) for entry in self.plan.replacements])
        for step, entry in steps:
            try:
                step(entry)
            except GitLabError as err:
                err.result = dict(changed=self.wrote, variable=variables_logic.public_identity(entry['id']))
                raise
            except InputError as err:
                raise TaskFailure(str(err) if self.wrote else err.message(), errors=err.errors, changed=self.wrote) from None

    def _path(self, key=None):
        base = {'project': 'projects/%s/variables', 'group': 'groups/%s/variables'}.get(self.level, 'admin/ci/variables')
        base = '/api/v4/' + (base % self.owner if '%s' in base else base)
        return base + ('/' + key if key else '')

    def delete(self, entry):
        ident = entry['id']
        try:
            self.client.delete_variable(self.level, self.owner, ident[0], environment_scope=ident[1])
        except GitLabNotFoundError:
            return  # deleted meanwhile: the wanted state is reached
        except GitLabError as err:
            if not lost.maybe_applied(err) or ident in self.current():
                raise
            # The answer was lost, and the variable is gone: deleted.
        self.wrote = True

    def update(self, entry):
        ident = entry['id']
        try:
            answer = self.client.update_variable(self.level, self.owner, ident[0], entry['attrs'], environment_scope=ident[1])
            answer = lost.check_answer(answer, 'PUT', self._path(ident[0]), expect=('key',))
        except GitLabNotFoundError:
            # Deleted meanwhile: create it with the state the update would have produced.
            if entry['after']['value'] is None:
                raise InputError(['%s was deleted while this task ran and its value is unknown; '
                                  'give value to create it again' % variables_logic.describe(ident)])
            created = dict(entry, attrs=variables_logic.create_attrs(entry['after'], self.level), before=None)
            self.post(created)
            self.plan.move(ident, 'creates', created)
            return
        except GitLabError as err:
            if not lost.maybe_applied(err) or not self.updated_after_all(entry):
                raise
            self.wrote = True
            return
        self.wrote = True
        self.check_answer(ident, answer, False)

    def updated_after_all(self, entry):
        """After an update whose answer was lost or foreign: whether the variable now has the wanted attributes."""
        current = self.current()
        if entry['id'] not in current or entry['id'] not in self.desired:
            return False
        kind, dummy = variables_logic.plan_after_taken(current, self.desired[entry['id']], self.level, **self.options)
        return kind == 'unchanged'

    def create(self, entry):
        """POST the variable; after an answer that leaves it unknown whether GitLab applied it, look first.

        The client never re-sends a POST after a 5xx or a lost connection, since it may have been
        applied; nor does it take an empty or foreign 2xx answer as done. Variables have an identity to
        check, so here the list is read again: a variable that is there now is converged (and counted
        as added), one that is not is posted again, at most api_retries times.
        """
        for attempt in range(self.client.retries + 1):
            try:
                self.post(entry)
                return
            except GitLabValidationError as err:
                if not variables_logic.is_key_taken(err.fields):
                    raise
                # Another run created it meanwhile: read it back and converge.
                self.converge(entry, self.current(), found_by_us=False)
                return
            except GitLabError as err:
                if not lost.maybe_applied(err) or attempt >= self.client.retries:
                    raise
                current = self.current()
                if entry['id'] in current:
                    self.wrote = True
                    self.converge(entry, current, found_by_us=True)
                    return
                self.client.pause(attempt)

    def current(self):
        return variables_logic.normalize_current(self.client.list_variables(self.level, self.owner), self.level)

    def converge(self, entry, current, found_by_us):
        """Bring a variable that exists after all to the desired state.

        One that is already right stays under "added" when our own POST most likely made it
        (``found_by_us``), and moves to "unchanged" when another run did.
        """
        kind, again = variables_logic.plan_after_taken(current, self.desired[entry['id']], self.level, **self.options)
        if kind == 'unchanged' and found_by_us:
            kind, again = 'creates', entry
        self.plan.move(entry['id'], kind, again)
        if kind == 'updates':
            self.update(again)
        elif kind == 'replacements':
            self.replace(again)

    def replace(self, entry):
        self.delete(entry)
        try:
            self.post(entry)
        except GitLabError:
            self.module.warn('%s was deleted to be created again (replace_hidden=true), and creating it failed: '
                             'it does not exist now; run the task again once the cause is fixed' % variables_logic.describe(entry['id']))
            raise

    def post(self, entry):
        answer = self.client.create_variable(self.level, self.owner, entry['attrs'])
        answer = lost.check_answer(answer, 'POST', self._path(), expect=('key',))
        self.wrote = True
        self.check_answer(entry['id'], answer, entry['after']['hidden'])

    def check_answer(self, ident, answer, requested_hidden):
        for warning in (variables_logic.scope_warning(self.level, ident, answer),
                        variables_logic.hidden_warning(self.level, ident, requested_hidden, answer)):
            if warning:
                self.module.warn(warning)


def owner_full_path(client, level, owner):
    """The owner as given, or for an all-digit project or group (an id) its full path, as GitLab names it.

    One request for an id (``GET /projects/:id`` or ``GET /groups/:id``), in check mode too, so that a
    purge on the wrong owner shows in the result and the diff before anything is deleted.
    """
    if level == 'instance' or not lost.is_id(owner):
        return owner
    if level == 'project':
        answer, field = client.get_project(owner), 'path_with_namespace'
    else:
        answer, field = client.get_group(owner), 'full_path'
    return lost.check_answer(answer, 'GET', '/api/v4/%ss/%s' % (level, owner), expect=(field,))[field]


def run(module):
    """Validate everything, resolve an owner given by id, list once, plan, apply unless in check mode; return the result."""
    params = module.params
    level, owner, desired = variables_logic.prepare(params)
    client = build_client(module)
    path = owner_full_path(client, level, owner)
    current = variables_logic.normalize_current(client.list_variables(level, owner), level)
    the_plan = variables_logic.plan(current, desired, level, state=params['state'], purge=params['purge'],
                                    value_update=params['value_update'], replace_hidden=params['replace_hidden'])
    named = {'project': 'project_path', 'group': 'group_path'}.get(level)
    try:
        if not module.check_mode:
            Applier(module, client, level, owner, the_plan, desired).run()
    except GitLabError as err:
        if named:
            err.result = dict(getattr(err, 'result', None) or {}, **{named: path})
        raise
    except TaskFailure as failure:
        if named:
            failure.result[named] = path
        raise
    result = dict(changed=the_plan.changed, variables=variables_logic.build_result(the_plan))
    if named:
        result[named] = path
    if module._diff:
        result['diff'] = variables_logic.build_diff(the_plan)
        where = '%s %s' % (level, path) if named else 'the instance'
        result['diff']['before_header'] = result['diff']['after_header'] = 'CI/CD variables of %s' % where
    return result


def main():
    run_module(
        argument_spec(), run, early_secrets=variables_logic.value_secrets,
        supports_check_mode=True,
        mutually_exclusive=[('project', 'group'), ('key', 'variables')],
        required_one_of=[('project', 'group', 'instance'), ('key', 'variables')],
    )


if __name__ == '__main__':
    main()
