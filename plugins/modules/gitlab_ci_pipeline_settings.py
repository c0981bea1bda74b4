#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cicd.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: gitlab_ci_pipeline_settings
short_description: Manage the CI/CD pipeline settings of an existing GitLab project
version_added: 0.3.0
author: cicd.gitlab contributors (@cicd-gitlab)
description:
  - Set the fields of a project's Settings > CI/CD > General pipelines page (and the pipeline-variables
    restriction) through the projects API. Never creates, renames or deletes a project.
  - Only the options given are managed. They are compared with the project's current values and the ones
    that differ are sent in one PUT; an unchanged run sends no write.
  - Every value is checked against GitLab's own range before any request.
  - A field that this GitLab does not know (it is missing from the project as GitLab returns it, as with an older
    version, or a Premium field on a Free instance) is a warning naming the field, and is not sent.
  - A run costs one request, plus one when something changes. The user of the token needs the Maintainer role.
  - For the variables and trigger tokens of many projects see M(cicd.gitlab.gitlab_ci_settings).
extends_documentation_fragment:
  - cicd.gitlab.connection
  - cicd.gitlab.attributes
  - cicd.gitlab.attributes.actiongroup
attributes:
  check_mode:
    support: full
    details:
      - Check mode reads and compares the same and sends no write.
  diff_mode:
    support: full
    details:
      - The diff shows the old and new value of every field that changes.
  idempotent:
    support: full
options:
  project:
    description:
      - The project, as a numeric id or a full path such as V(acme/app).
    type: str
    required: true
  ci_pipeline_variables_minimum_override_role:
    description:
      - The minimum role that may pass pipeline variables (GitLab 17.7 and later).
    type: str
    choices: [no_one_allowed, developer, maintainer, owner]
  ci_delete_pipelines_in_seconds:
    description:
      - Delete pipelines older than this. Seconds, or a duration with the units C(s), C(m), C(h), C(d), C(w) and
        C(y) such as V(30d) or V(1w2d) (a year is 365.25 days). GitLab accepts 1 day to 1 year.
    type: raw
  auto_cancel_pending_pipelines:
    description:
      - Whether new pipelines cancel redundant older ones.
    type: str
    choices: [enabled, disabled]
  keep_latest_artifact:
    description:
      - Keep the artifacts of the latest successful pipeline of each ref.
    type: bool
  ci_config_path:
    description:
      - The path of the CI/CD configuration file; V('') for the default C(.gitlab-ci.yml). No leading C(/) or C(..).
    type: str
  build_timeout:
    description:
      - The job timeout, in seconds or as a duration such as V(1h) or V(90m). GitLab accepts 10 minutes up to just
        under one month.
    type: raw
  ci_default_git_depth:
    description:
      - The default shallow clone depth of jobs, 0 to 1000 (0 clones everything).
    type: int
  ci_push_repository_for_job_token_allowed:
    description:
      - Allow job tokens of this project to push to its repository.
    type: bool
  ci_restrict_pipeline_cancellation_role:
    description:
      - The minimum role that may cancel pipelines and jobs (GitLab Premium).
    type: str
    choices: [developer, maintainer, no_one]
notes:
  - "GitLab API: U(https://docs.gitlab.com/api/projects/#edit-a-project)."
'''

EXAMPLES = r'''
- name: Restrict pipeline variables and clean up old pipelines
  cicd.gitlab.gitlab_ci_pipeline_settings:
    api_url: https://gitlab.example.com
    api_token: "{{ gitlab_token }}"
    project: acme/app
    ci_pipeline_variables_minimum_override_role: maintainer
    ci_delete_pipelines_in_seconds: 30d
    build_timeout: 1h
'''

RETURN = r'''
settings:
  description: The managed fields after the task (in check mode, what they would be); fields the instance does not know are left out.
  returned: success
  type: dict
  sample: {ci_pipeline_variables_minimum_override_role: maintainer, ci_delete_pipelines_in_seconds: 2592000}
changed_fields:
  description: The names of the fields that changed (or would), sorted.
  returned: success
  type: list
  elements: str
  sample: [ci_delete_pipelines_in_seconds]
unknown_fields:
  description: The fields given that this GitLab does not know (each also a warning).
  returned: success
  type: list
  elements: str
  sample: []
'''

from ansible_collections.cicd.gitlab.plugins.module_utils._module import build_client, gitlab_argument_spec, run_module
from ansible_collections.cicd.gitlab.plugins.module_utils._errors import InputError
from ansible_collections.cicd.gitlab.plugins.module_utils import _access as logic


def argument_spec():
    spec = gitlab_argument_spec()
    spec.update(
        project=dict(type='str', required=True),
        ci_pipeline_variables_minimum_override_role=dict(type='str', choices=list(logic.SETTINGS['ci_pipeline_variables_minimum_override_role'][1])),
        ci_delete_pipelines_in_seconds=dict(type='raw'),
        auto_cancel_pending_pipelines=dict(type='str', choices=['enabled', 'disabled']),
        keep_latest_artifact=dict(type='bool'),
        ci_config_path=dict(type='str'),
        build_timeout=dict(type='raw'),
        ci_default_git_depth=dict(type='int'),
        ci_push_repository_for_job_token_allowed=dict(type='bool'),
        ci_restrict_pipeline_cancellation_role=dict(type='str', choices=['developer', 'maintainer', 'no_one']),
    )
    return spec


def run(module):
    wanted, problems = logic.normalize_settings(module.params)
    if not str(module.params.get('project') or '').strip():
        problems.insert(0, 'project must not be empty')
    if not wanted and not problems:
        problems.append('nothing to manage: give at least one setting')
    if problems:
        raise InputError(problems)
    client = build_client(module)
    project = client.get_project(module.params['project'])
    changes, unknown = logic.plan_settings(project, wanted)
    for name in unknown:
        module.warn(logic.UNKNOWN_FIELD % name)
    if changes and not module.check_mode:
        logic.write_settings(client, project['id'], changes)
    return logic.settings_result(project, wanted, changes, unknown, diff=module._diff)


def main():
    run_module(argument_spec(), run, supports_check_mode=True)


if __name__ == '__main__':
    main()
