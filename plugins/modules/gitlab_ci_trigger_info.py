#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cicd.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: gitlab_ci_trigger_info
short_description: List the pipeline trigger tokens of a GitLab project
version_added: 0.2.0
author: cicd.gitlab contributors (@cicd-gitlab)
description:
  - Lists the pipeline trigger tokens of a GitLab project with their description, owner, dates and whether the token
    is visible to the user of O(api_token); optionally only those with a given O(description).
  - GitLab shows the full token of a trigger only to its owner (and, on recent GitLab, to administrators); others see
    its first 4 characters. RV(triggers[].token_visible) says which. No part of a token is returned unless
    O(include_tokens=true), and then only the full tokens and only on a task with C(no_log) set to V(true); without
    it the module fails before any request, saying to add it.
  - Costs one request per 100 triggers of the project.
extends_documentation_fragment:
  - cicd.gitlab.connection
  - cicd.gitlab.attributes
  - cicd.gitlab.attributes.actiongroup
  - cicd.gitlab.attributes.info_module
options:
  project:
    description:
      - The project whose trigger tokens to list, as a numeric id or a full path such as V(acme/app).
    type: str
    required: true
  description:
    description:
      - Only the triggers with exactly this description.
    type: str
  include_tokens:
    description:
      - Also return the token of each trigger whose full token GitLab shows (RV(triggers[].token_visible=true)),
        in RV(triggers[].token).
      - Needs C(no_log) set to V(true) on the task; the module otherwise fails before any request.
    type: bool
    default: false
notes:
  - Listing triggers needs the Maintainer role in the project. A token with the C(read_api) scope is enough.
  - Expired triggers are not listed by GitLab.
seealso:
  - module: cicd.gitlab.gitlab_ci_trigger
    description: Manage trigger tokens.
  - name: GitLab pipeline trigger tokens API
    description: The API this module uses.
    link: https://docs.gitlab.com/api/pipeline_triggers/#list-project-trigger-tokens
'''

EXAMPLES = r'''
- name: List the trigger tokens of a project
  cicd.gitlab.gitlab_ci_trigger_info:
    api_url: https://gitlab.example.com
    api_token: "{{ gitlab_token }}"
    project: acme/app
  register: app_triggers

- name: Report triggers unused for a long time
  ansible.builtin.debug:
    msg: "{{ item.id }} {{ item.description }} (owner {{ item.owner.username | default('none') }}) last used {{ item.last_used }}"
  loop: "{{ app_triggers.triggers }}"
  loop_control:
    label: "{{ item.id }}"

- name: Read the token of the trigger I own with this description
  cicd.gitlab.gitlab_ci_trigger_info:
    api_url: https://gitlab.example.com
    api_token: "{{ gitlab_token }}"
    project: acme/app
    description: deploy from ops
    include_tokens: true
  register: deploy_trigger
  no_log: true
'''

RETURN = r'''
triggers:
  description:
    - The triggers that match, in the order GitLab lists them. Never a token unless O(include_tokens=true).
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: The id of the trigger.
      returned: always
      type: int
      sample: 17
    description:
      description: The description of the trigger.
      returned: always
      type: str
      sample: deploy from ops
    owner:
      description:
        - The user who owns the trigger (and sees its full token); V(null) for legacy triggers without an owner.
      returned: always
      type: dict
      contains:
        id:
          description: The user's id.
          type: int
          sample: 3
        username:
          description: The user's username.
          type: str
          sample: ops-bot
        name:
          description: The user's name.
          type: str
          sample: Ops Bot
    created_at:
      description: When the trigger was created (ISO 8601).
      returned: always
      type: str
      sample: '2026-11-24T10:15:02.000Z'
    updated_at:
      description: When the trigger was last changed (ISO 8601).
      returned: always
      type: str
      sample: '2026-11-24T10:15:02.000Z'
    last_used:
      description: When the trigger last created a pipeline (ISO 8601), V(null) if never.
      returned: always
      type: str
      sample: '2026-11-25T08:00:11.000Z'
    expires_at:
      description: When the trigger expires (ISO 8601), V(null) if never.
      returned: always
      type: str
      sample: '2027-06-30T00:00:00.000Z'
    token_visible:
      description:
        - Whether GitLab shows the full token to the user of O(api_token) (its owner, or an administrator on recent GitLab).
      returned: always
      type: bool
      sample: true
    token:
      description:
        - The full token. A secret; only returned on a task with C(no_log).
      returned: when O(include_tokens=true) and RV(triggers[].token_visible=true)
      type: str
      sample: glptt-0123456789abcdef0123456789abcdef01234567
'''

from ansible_collections.cicd.gitlab.plugins.module_utils._client import path_segment_problem
from ansible_collections.cicd.gitlab.plugins.module_utils._errors import InputError
from ansible_collections.cicd.gitlab.plugins.module_utils._module import build_client, gitlab_argument_spec, run_module
from ansible_collections.cicd.gitlab.plugins.module_utils._triggers import token_info

FIELDS = ('id', 'description', 'created_at', 'updated_at', 'last_used', 'expires_at')
NO_LOG_MESSAGE = ('include_tokens=true returns trigger tokens, which are secrets: add "no_log: true" to the task '
                  '(the module refuses to return tokens otherwise)')


def argument_spec():
    spec = gitlab_argument_spec()
    spec.update(
        project=dict(type='str', required=True),
        description=dict(type='str'),
        include_tokens=dict(type='bool', default=False),
    )
    return spec


def validate(params, no_log):
    """Every problem with the options (InputError), found before any request."""
    problems = [p for p in [path_segment_problem('project', params.get('project'))] if p]
    if params.get('include_tokens') and not no_log:
        problems.append(NO_LOG_MESSAGE)
    if problems:
        raise InputError(problems)


def public_owner(owner):
    """``{id, username, name}`` of GitLab's UserBasic, or None."""
    if not isinstance(owner, dict):
        return None
    return dict(id=owner.get('id'), username=owner.get('username'), name=owner.get('name'))


def public_trigger(item, include_tokens=False):
    """One entry of RV(triggers): never the short token; the full token only when asked."""
    view = dict((field, item.get(field)) for field in FIELDS)
    view['owner'] = public_owner(item.get('owner'))
    token, visible = token_info(item)
    view['token_visible'] = visible
    if include_tokens and visible:
        view['token'] = token
    return view


def select(items, description=None, include_tokens=False):
    return [public_trigger(item, include_tokens) for item in items
            if isinstance(item, dict) and (description is None or item.get('description') == description)]


def run(module):
    validate(module.params, module.no_log)
    client = build_client(module)
    items = client.list_triggers(module.params['project'])
    return dict(changed=False, triggers=select(items, module.params['description'], module.params['include_tokens']))


def main():
    run_module(argument_spec(), run, supports_check_mode=True)


if __name__ == '__main__':
    main()
