#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cicd.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: gitlab_ci_trigger
short_description: Manage pipeline trigger tokens of a GitLab project
version_added: 0.1.0
author: cicd.gitlab contributors (@cicd-gitlab)
description:
  - Create, rename, rotate and delete pipeline trigger tokens of a GitLab project, and read a trigger
    with its token when you own it.
  - A trigger is identified by its O(description); O(trigger_id) picks one trigger by its id instead,
    for example when several triggers share a description, or to change a description.
  - GitLab shows the full token of a trigger only to the user who owns it (the user who created it).
    Other users see only its first 4 characters. The module returns RV(token) only when it is complete,
    that is when the trigger was created or rotated by this task, or when the user of O(api_token) owns it.
    Otherwise RV(token_available) is V(false) and no token is returned.
  - Every option is checked before the first request that writes; if one is invalid, nothing is changed.
  - An unchanged run costs one request per 100 triggers of the project.
extends_documentation_fragment:
  - cicd.gitlab.connection
  - cicd.gitlab.attributes
  - cicd.gitlab.attributes.actiongroup
attributes:
  check_mode:
    support: full
    details:
      - In check mode a trigger that would be created or rotated has no id and no token yet;
        RV(token_available) is then V(false).
  diff_mode:
    support: full
    details:
      - The diff shows the id, description and expiry of the trigger before and after; never its token. Its header
        names the project by its full path.
  idempotent:
    support: partial
    details:
      - With O(rotate=true) the token is replaced and the task reports a change on every run.
options:
  project:
    description:
      - The project whose trigger tokens to manage, as a numeric id or a full path such as V(acme/app).
      - An all-digit value is always an id (GitLab reads C(/projects/42) as the project with id 42, never as a path);
        the module then reads the project's full path (one more request, also in check mode) and names it in
        RV(project_path) and in the diff header.
    type: str
    required: true
  description:
    description:
      - The description of the trigger, which identifies it.
      - With O(state=present), a trigger with this description is created when there is none.
        When several triggers have this description the task fails and lists their ids, unless
        O(trigger_id) picks one.
      - With O(trigger_id) and O(state=present), the description the picked trigger should have; a
        different one is changed. Only the owner of a trigger (and, on recent GitLab, an administrator) can change its description.
      - With O(trigger_id) and O(state=absent), the trigger is deleted only if it has this description.
      - Must not be empty. At least one of O(description) and O(trigger_id) is required.
    type: str
  trigger_id:
    description:
      - The id of the trigger to manage, as listed by GitLab (RV(trigger.id)).
      - With O(state=present) the trigger must exist. Without O(description) and O(rotate) the task only
        reads it (and returns its token when you own it).
      - With O(state=absent) a trigger that does not exist is not an error.
    type: int
  state:
    description:
      - V(present) makes sure the trigger exists (created when no trigger has the O(description)).
      - V(absent) deletes the one trigger that has the O(description) or the O(trigger_id). No such
        trigger is not an error. Any Maintainer can delete a trigger, whoever owns it.
    type: str
    choices: [present, absent]
    default: present
  rotate:
    description:
      - Replace the trigger's token. A new trigger with the same description (or the new
        O(description)) and O(expires_at) is created, then the old trigger is deleted. The new
        trigger has a new id and belongs to the user of O(api_token); the new token is returned.
      - This is also how to take over a trigger that another user owns.
      - The task reports a change on every run with V(true). When no trigger matches, one is created.
      - Cannot be used with O(state=absent).
    type: bool
    default: false
  expires_at:
    description:
      - When a new trigger expires, as an ISO 8601 date (V(2027-01-31), midnight UTC) or date and time
        (V(2027-01-31T12:00:00Z), V(2027-01-31T14:00:00+02:00); without an offset the time is UTC).
        It must be in the future; GitLab may also refuse dates beyond the instance's maximum token lifetime.
      - Used only when a trigger is created or rotated. GitLab cannot change the expiry of an existing
        trigger; when it differs, the module warns and leaves it; set O(rotate=true) to replace the trigger
        with one that expires as requested.
      - Trigger token expiry needs a recent GitLab with the C(trigger_token_expiration) feature flag.
        Other versions ignore it silently; the module notices that GitLab's answer has no expiry and warns.
      - A rotated trigger does not keep the old trigger's expiry; without O(expires_at) it never expires.
      - Cannot be used with O(state=absent).
    type: str
notes:
  - The token is a secret. When you register the result of a task that can return a token, set
    C(no_log) to V(true) on the task so that the token is not shown in the output or logs, and store the
    token in a vault (Ansible Vault, HashiCorp Vault, a CI/CD variable with O(cicd.gitlab.gitlab_ci_variable#module:masked=true)).
  - The token never appears in the diff, in messages or in warnings.
  - Only the owner of a trigger (and, on recent GitLab, an administrator) can change its description; GitLab refuses others with 403, and the task
    fails and explains. Use O(rotate=true) to replace the trigger with one that you own, or create a new
    trigger with another description.
  - Rotation creates the new trigger before deleting the old one, so a valid token exists at every moment.
  - "When the answer to creating a trigger is lost (the connection is cut after sending, a timeout, a 5xx) or is not
    a trigger, the module lists the triggers again: the one new trigger with the description whose full token GitLab
    shows (so it belongs to the user of O(api_token)) is the one created, and the task goes on with it (with a
    warning). When there is none, the task fails saying that nothing was created and it can run again; when it
    cannot tell, it fails saying a trigger may exist and how to check. A rotation deletes the old trigger only once
    the new one is known."
  - Needs the Maintainer role in the project.
seealso:
  - name: GitLab pipeline trigger tokens API
    description: The API this module uses.
    link: https://docs.gitlab.com/api/pipeline_triggers/
  - name: Trigger pipelines by using the API
    description: How trigger tokens are used, and who can see them.
    link: https://docs.gitlab.com/ci/triggers/
  - module: cicd.gitlab.gitlab_ci_variable
    description: Store the token in a CI/CD variable of another project.
'''

EXAMPLES = r'''
- name: Make sure a trigger exists; keep its token secret
  cicd.gitlab.gitlab_ci_trigger:
    api_url: https://gitlab.example.com
    api_token: "{{ gitlab_token }}"
    project: acme/app
    description: deploy from ops
  register: deploy_trigger
  no_log: true   # the result holds the token

- name: Store the token in a masked variable of the project that triggers (only when it is known)
  cicd.gitlab.gitlab_ci_variable:
    api_url: https://gitlab.example.com
    api_token: "{{ gitlab_token }}"
    project: acme/ops
    key: APP_TRIGGER_TOKEN
    value: "{{ deploy_trigger.token }}"
    masked: true
    protected: true
  when: deploy_trigger.token_available
  no_log: true

- name: Create a trigger that expires (needs a GitLab with trigger token expiry)
  cicd.gitlab.gitlab_ci_trigger:
    api_url: https://gitlab.example.com
    api_token: "{{ gitlab_token }}"
    project: 42
    description: nightly from partner
    expires_at: "2027-06-30"
  register: nightly_trigger
  no_log: true

- name: Rotate a trigger's token (always a change; the new trigger is yours and expires in 90 days)
  cicd.gitlab.gitlab_ci_trigger:
    api_url: https://gitlab.example.com
    api_token: "{{ gitlab_token }}"
    project: acme/app
    description: deploy from ops
    rotate: true
    expires_at: "{{ '%Y-%m-%d' | strftime(now().timestamp() + 90 * 86400) }}"
  register: rotated
  no_log: true

- name: Change the description of trigger 17 (only its owner may)
  cicd.gitlab.gitlab_ci_trigger:
    api_url: https://gitlab.example.com
    api_token: "{{ gitlab_token }}"
    project: acme/app
    trigger_id: 17
    description: deploy from ops (new runner)

- name: Read trigger 17, and its token if you own it
  cicd.gitlab.gitlab_ci_trigger:
    api_url: https://gitlab.example.com
    api_token: "{{ gitlab_token }}"
    project: acme/app
    trigger_id: 17
  register: trigger_17
  no_log: true

- name: Delete the trigger with this description (nothing to do when there is none)
  cicd.gitlab.gitlab_ci_trigger:
    api_url: https://gitlab.example.com
    api_token: "{{ gitlab_token }}"
    project: acme/app
    description: old integration
    state: absent

- name: Delete one of several triggers that share a description
  cicd.gitlab.gitlab_ci_trigger:
    api_url: https://gitlab.example.com
    api_token: "{{ gitlab_token }}"
    project: acme/app
    description: deploy from ops
    trigger_id: 23
    state: absent

- name: Set the connection once for every module of the collection
  module_defaults:
    group/cicd.gitlab.gitlab_ci:
      api_url: https://gitlab.example.com
      api_token: "{{ gitlab_token }}"
  block:
    - name: Make sure a trigger exists
      cicd.gitlab.gitlab_ci_trigger:
        project: acme/app
        description: chatops
      register: chatops_trigger
      no_log: true

    - name: Show the trigger without its token
      ansible.builtin.debug:
        var: chatops_trigger.trigger
'''

RETURN = r'''
project_path:
  description:
    - The full path of the project, as given in O(project), or read from GitLab when O(project) is an id.
  returned: success
  type: str
  sample: acme/app
trigger:
  description:
    - The trigger as GitLab shows it after the task, without its token. For O(state=absent), the
      trigger that was deleted.
    - In check mode, what it would be; a trigger that would be created has no id yet.
    - V(null) when O(state=absent) and no trigger matched.
  returned: success
  type: dict
  contains:
    id:
      description: The id of the trigger (a rotated trigger has a new one).
      returned: success
      type: int
      sample: 17
    description:
      description: The description of the trigger.
      returned: success
      type: str
      sample: deploy from ops
    owner:
      description:
        - The username of the trigger's owner, who sees its full token (as do administrators on recent GitLab).
        - V(null) for legacy triggers without an owner.
      returned: success
      type: str
      sample: ops-bot
    created_at:
      description: When the trigger was created (ISO 8601).
      returned: success
      type: str
      sample: '2026-11-24T10:15:02.000Z'
    updated_at:
      description: When the trigger was last changed (ISO 8601).
      returned: success
      type: str
      sample: '2026-11-24T10:15:02.000Z'
    last_used:
      description: When the trigger last created a pipeline (ISO 8601), V(null) if never.
      returned: success
      type: str
      sample: '2026-11-25T08:00:11.000Z'
    expires_at:
      description: When the trigger expires (ISO 8601), V(null) if never.
      returned: success
      type: str
      sample: '2027-06-30T00:00:00.000Z'
token:
  description:
    - The complete trigger token, to pass to C(POST /projects/:id/trigger/pipeline).
    - Returned only when it is complete (RV(token_available=true)) - when this task created or rotated
      the trigger, or when the user of O(api_token) owns it. Never in check mode for a new trigger.
    - A secret; set C(no_log) on a task that registers it.
  returned: when RV(token_available) is true
  type: str
  sample: glptt-0123456789abcdef0123456789abcdef01234567
token_available:
  description:
    - Whether RV(token) was returned.
    - V(false) when GitLab showed only the first 4 characters of the token because another user owns
      the trigger, in check mode for a trigger that would be created or rotated, and after a deletion.
  returned: always
  type: bool
  sample: true
'''

from ansible_collections.cicd.gitlab.plugins.module_utils._module import TaskFailure, build_client, gitlab_argument_spec, run_module
from ansible_collections.cicd.gitlab.plugins.module_utils._errors import GitLabError, GitLabNotFoundError, GitLabPermissionError
from ansible_collections.cicd.gitlab.plugins.module_utils import _lost as lost
from ansible_collections.cicd.gitlab.plugins.module_utils import _triggers as triggers_logic


def argument_spec():
    spec = gitlab_argument_spec()
    spec.update(
        project=dict(type='str', required=True),
        description=dict(type='str'),
        trigger_id=dict(type='int'),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        rotate=dict(type='bool', default=False),
        expires_at=dict(type='str'),
    )
    return spec


def create(module, client, the_plan, before):
    """POST the new trigger; after an answer that was lost or is not a trigger, find it by listing again.

    ``before`` is the list read before the request: the one new trigger with our description and its full
    token (so it is ours) is the one created. Fails (TaskFailure) when none is there, or when it cannot
    be told; the token is never in a message.
    """
    path = '/api/v4/projects/%s/triggers' % the_plan.project
    try:
        answer = client.create_trigger(the_plan.project, the_plan.description, expires_at=the_plan.expires_at)
        return lost.check_answer(answer, 'POST', path, expect=('id', 'token'))
    except GitLabError as err:
        if not lost.maybe_applied(err):
            raise
        reason = lost.lost_reason(err)
        try:
            listed = client.list_triggers(the_plan.project)
        except GitLabError as again:
            raise TaskFailure(triggers_logic.created_unknown_message(
                the_plan, reason, why='listing the triggers again failed too: %s' % lost.lost_reason(again)), changed=False) from None
        ours, others = triggers_logic.new_triggers(listed, before, the_plan.description, username=caller(client))
        decision = triggers_logic.created_decision(ours, others)
        if decision == 'none':
            raise TaskFailure(triggers_logic.created_none_message(the_plan, reason, lost.may_still_run(err)), changed=False) from None
        if decision == 'unknown':
            raise TaskFailure(triggers_logic.created_unknown_message(the_plan, reason, ours, others), changed=True) from None
        module.warn(triggers_logic.adopted_note(ours[0], reason))
        return ours[0]


def caller(client):
    """The token's username, so that a new trigger is ours only when we own it (an administrator sees
    the full token of every trigger); None when it cannot be read."""
    try:
        user = client.current_user()
    except GitLabError:
        return None
    return user.get('username') if isinstance(user, dict) else None


def rotate(module, client, the_plan, before):
    """Create the new trigger first, then delete the old one, so that a valid token always exists.

    The old trigger is deleted only once the new one is known (answered, or found after a lost answer).
    """
    answer = create(module, client, the_plan, before)
    try:
        client.delete_trigger(the_plan.project, the_plan.current['id'])
    except GitLabNotFoundError:
        pass  # deleted meanwhile: the wanted state is reached
    except GitLabError as err:
        raise TaskFailure(triggers_logic.rotate_delete_failed_message(the_plan, answer, str(err)), status=err.status,
                          changed=True, trigger=triggers_logic.public_trigger(answer), token_available=False) from None
    return answer


def update_description(module, client, the_plan):
    try:
        return client.update_trigger(the_plan.project, the_plan.current['id'], the_plan.description)
    except GitLabPermissionError as err:
        raise TaskFailure(triggers_logic.not_owner_message(the_plan, err.gitlab_message), status=err.status) from None
    except GitLabNotFoundError as err:
        raise TaskFailure('%s (it was deleted while this task ran)' % triggers_logic.not_found_message(
            the_plan.project, the_plan.current['id']), status=err.status) from None
    except GitLabError as err:
        if not lost.maybe_applied(err):
            raise
        # The answer was lost or is not a trigger: read the trigger again to see whether it was renamed.
        found = triggers_logic.find_matches(client.list_triggers(the_plan.project), trigger_id=the_plan.current['id'])
        if found and found[0].get('description') == the_plan.description:
            module.warn("GitLab's answer to renaming trigger %s was lost (%s); listing the triggers again shows it renamed"
                        % (the_plan.current['id'], lost.lost_reason(err)))
            return found[0]
        raise


def apply(module, client, the_plan, before):
    """Carry out the plan; return GitLab's answer to the create or update request (or None)."""
    if the_plan.action == 'create':
        return create(module, client, the_plan, before)
    if the_plan.action == 'rotate':
        return rotate(module, client, the_plan, before)
    if the_plan.action == 'update_description':
        return update_description(module, client, the_plan)
    if the_plan.action == 'delete':
        try:
            client.delete_trigger(the_plan.project, the_plan.current['id'])
        except GitLabNotFoundError:
            pass  # deleted meanwhile: the wanted state is reached
    return None


def project_full_path(client, project):
    """The project as given, or for an all-digit project (an id) its full path (one request, in check mode too)."""
    if not lost.is_id(project):
        return project
    answer = client.get_project(project)
    return lost.check_answer(answer, 'GET', '/api/v4/projects/%s' % project, expect=('path_with_namespace',))['path_with_namespace']


def run(module):
    """Validate, list once (all pages), plan, apply unless in check mode; return the result."""
    wanted = triggers_logic.validate(module.params)
    client = build_client(module)
    path = project_full_path(client, wanted['project'])
    triggers = client.list_triggers(wanted['project'])
    the_plan = triggers_logic.plan(triggers, wanted)
    for warning in the_plan.warnings:
        module.warn(warning)
    answer = None
    if not module.check_mode:
        answer = apply(module, client, the_plan, triggers)
    elif the_plan.action == 'update_description' and the_plan.foreign:
        module.warn(triggers_logic.not_owner_warning(the_plan))
    warning = triggers_logic.expiry_ignored_warning(the_plan, answer)
    if warning:
        module.warn(warning)
    result = triggers_logic.build_result(the_plan, answer)
    result['project_path'] = path
    if module._diff:
        result['diff'] = triggers_logic.build_diff(the_plan, answer)
        result['diff']['before_header'] = result['diff']['after_header'] = 'triggers of project %s' % path
    return result


def main():
    run_module(argument_spec(), run, supports_check_mode=True)


if __name__ == '__main__':
    main()
