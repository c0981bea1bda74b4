#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cicd.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: gitlab_ci_pipeline_info
short_description: Read GitLab pipelines - one by id, the latest of a ref, or a filtered list
version_added: 0.1.0
author: cicd.gitlab contributors (@cicd-gitlab)
description:
  - Read one pipeline of a project by O(pipeline_id), the latest pipeline of a ref (O(latest=true)), or
    a list of the project's pipelines filtered by O(ref), O(sha), O(status), O(source), O(username),
    O(name), O(updated_after) and O(updated_before), ordered by O(order_by) and O(sort).
  - With O(jobs=true) each pipeline also gets its jobs and its trigger jobs (bridges), with the
    downstream pipeline each bridge created.
  - "Requests: one for O(pipeline_id) or O(latest=true); C(ceil(n/100)) for a list of n pipelines,
    never more than O(limit) needs. O(details=true) adds one per listed pipeline, O(jobs=true) two per
    pipeline (its jobs and its bridges; more for a pipeline of over 100 jobs)."
  - Every option is checked before the first request; when one is wrong nothing is sent.
extends_documentation_fragment:
  - cicd.gitlab.connection
  - cicd.gitlab.attributes
  - cicd.gitlab.attributes.actiongroup
  - cicd.gitlab.attributes.info_module
options:
  project:
    description:
      - The project, as a numeric id or a full path such as V(acme/app).
    type: str
    required: true
  pipeline_id:
    description:
      - Read this one pipeline. It must belong to O(project); the task fails naming it otherwise.
      - Cannot be combined with O(latest), O(ref), O(limit) or the list filters.
    type: int
  latest:
    description:
      - "Read the latest pipeline of O(ref) (the project's default branch without O(ref)), in one request
        (C(GET /projects/:id/pipelines/latest)). GitLab's latest pipeline is the newest pipeline of the ref's
        newest commit: when the newest commit of the ref has no pipeline yet, there is none, even if older
        commits of the ref have pipelines. Then RV(pipelines) is empty and RV(pipeline) is V(null); this is
        not a failure."
      - "GitLab answers C(403 Forbidden) both when there is no such pipeline and when the token may not read
        pipelines; on a 403 the module lists one pipeline of the ref (one more request) to tell them apart."
      - Takes O(ref) only; cannot be combined with O(pipeline_id), O(limit) or the other list filters.
    type: bool
    default: false
  ref:
    description:
      - The branch or tag. With O(latest=true), whose latest pipeline to read; otherwise a filter of the list.
    type: str
  sha:
    description:
      - List only the pipelines of this commit (its full id). One commit can have several pipelines.
    type: str
  status:
    description:
      - List only the pipelines with this status.
    type: str
    choices: [created, waiting_for_resource, preparing, waiting_for_callback, pending, running, success, failed,
              canceling, canceled, skipped, manual, scheduled]
  source:
    description:
      - List only the pipelines started this way, for example V(push), V(web), V(trigger), V(schedule), V(api),
        V(pipeline) (a multi-project downstream pipeline) or V(merge_request_event).
      - GitLab leaves child pipelines out of the list unless O(source=parent_pipeline) is asked for.
    type: str
  username:
    description:
      - List only the pipelines started by this user.
    type: str
  name:
    description:
      - List only the pipelines with this name (C(workflow:name) of the CI/CD configuration), exactly.
    type: str
  updated_after:
    description:
      - List only the pipelines updated after this moment, as an ISO 8601 date (V(2026-01-31), midnight UTC)
        or date and time (V(2026-01-31T12:00:00Z), V(2026-01-31T14:00:00+02:00); without an offset the time is UTC).
    type: str
  updated_before:
    description:
      - List only the pipelines updated before this moment; the same forms as O(updated_after), and later than it.
    type: str
  order_by:
    description:
      - Order the list by this field. GitLab's default is V(id).
    type: str
    choices: [id, status, ref, updated_at, user_id]
  sort:
    description:
      - Sort order of the list. GitLab's default is V(desc) (newest first).
    type: str
    choices: [asc, desc]
  limit:
    description:
      - The most pipelines to list (default 20, at most 10000). Pages are read only as far as needed, so a
        project with 100,000 pipelines costs one request for the default.
      - Only for the list.
    type: int
  jobs:
    description:
      - Add the jobs (RV(pipelines[].jobs)) and trigger jobs (RV(pipelines[].bridges)) of every pipeline returned.
    type: bool
    default: false
  include_retried:
    description:
      - With O(jobs=true), include the jobs that were retried (GitLab leaves them out by default).
    type: bool
    default: false
  details:
    description:
      - For a list, read every listed pipeline in full (one request each), so that RV(pipelines[].started_at),
        RV(pipelines[].finished_at), RV(pipelines[].duration) and RV(pipelines[].user) are filled in. GitLab's
        list answer has none of them.
      - One pipeline (O(pipeline_id), O(latest=true)) is always read in full.
    type: bool
    default: false
notes:
  - Needs the Reporter role in the project (or a public project whose CI/CD is public). A token with the
    C(read_api) scope is enough. GitLab allows a CI/CD job token (O(api_token_type=job)) only on some
    endpoints, such as the jobs of a pipeline.
  - "The list answer of GitLab (C(GET /projects/:id/pipelines)) has no C(started_at), C(finished_at),
    C(duration) nor C(user): they are V(null) for listed pipelines unless O(details=true)."
seealso:
  - name: GitLab pipelines API
    description: The API this module reads.
    link: https://docs.gitlab.com/api/pipelines/
  - name: List pipeline trigger jobs
    description: The bridges of a pipeline.
    link: https://docs.gitlab.com/api/jobs/#list-pipeline-trigger-jobs
  - module: cicd.gitlab.gitlab_ci_job_info
    description: Read jobs by id, pipeline, commit or status.
  - module: cicd.gitlab.gitlab_ci_job
    description: Start pipelines and act on jobs.
'''

EXAMPLES = r'''
- name: The latest pipeline of main, and its jobs
  cicd.gitlab.gitlab_ci_pipeline_info:
    api_url: https://gitlab.example.com
    api_token: "{{ gitlab_token }}"
    project: acme/app
    latest: true
    ref: main
    jobs: true
  register: latest

- name: Did its deploy job pass?
  ansible.builtin.assert:
    that:
      - latest.pipeline is not none
      - (latest.pipeline.jobs | selectattr('name', 'equalto', 'deploy') | map(attribute='status') | first) == 'success'

- name: One pipeline by id
  cicd.gitlab.gitlab_ci_pipeline_info:
    project: acme/app
    pipeline_id: 1234
  register: one

- name: The 50 newest failed pipelines of main in the last week
  cicd.gitlab.gitlab_ci_pipeline_info:
    project: acme/app
    ref: main
    status: failed
    updated_after: "{{ '%Y-%m-%dT%H:%M:%SZ' | strftime(now(utc=true).timestamp() - 7 * 86400, utc=true) }}"
    limit: 50
  register: failed

- name: Every pipeline of a commit (a commit can have several)
  cicd.gitlab.gitlab_ci_pipeline_info:
    project: acme/app
    sha: 2dc6aa325a317eda67812f05600bdf0fcdc70ab0
  register: of_commit

- name: Where did the trigger jobs of pipeline 1234 lead?
  cicd.gitlab.gitlab_ci_pipeline_info:
    project: acme/app
    pipeline_id: 1234
    jobs: true
  register: with_bridges

- name: Show the downstream pipelines
  ansible.builtin.debug:
    msg: "{{ item.name }} -> {{ item.downstream_pipeline.web_url if item.downstream_pipeline else 'none' }}"
  loop: "{{ with_bridges.pipeline.bridges }}"
'''

RETURN = r'''
pipelines:
  description:
    - The pipelines read, in GitLab's order (by default newest first); one or none for O(pipeline_id) and O(latest).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The pipeline id.
      type: int
      sample: 1234
    iid:
      description: The pipeline's number within the project.
      type: int
      sample: 56
    project_id:
      description: The id of the project.
      type: int
      sample: 7
    status:
      description: The pipeline status.
      type: str
      sample: success
    ref:
      description: The branch or tag.
      type: str
      sample: main
    sha:
      description: The commit.
      type: str
      sample: 2dc6aa325a317eda67812f05600bdf0fcdc70ab0
    source:
      description: What started the pipeline (C(push), C(api), C(trigger), C(schedule), C(parent_pipeline), ...).
      type: str
      sample: push
    name:
      description: The pipeline name (C(workflow:name)), or null.
      type: str
      sample: Nightly build
    web_url:
      description: The pipeline's page.
      type: str
      sample: https://gitlab.example.com/acme/app/-/pipelines/1234
    created_at:
      description: When the pipeline was created (ISO 8601).
      type: str
      sample: '2026-01-31T10:00:00.000Z'
    updated_at:
      description: When the pipeline last changed (ISO 8601).
      type: str
      sample: '2026-01-31T10:05:00.000Z'
    started_at:
      description: When the pipeline started, or null (null in a list without O(details=true)).
      type: str
      sample: '2026-01-31T10:00:05.000Z'
    finished_at:
      description: When the pipeline finished, or null (null in a list without O(details=true)).
      type: str
      sample: '2026-01-31T10:05:00.000Z'
    duration:
      description: Seconds the pipeline ran, or null (null in a list without O(details=true)).
      type: int
      sample: 295
    user:
      description: Who started the pipeline (C(id), C(username), C(name)), or null (null in a list without O(details=true)).
      type: dict
      sample: {id: 3, username: dev, name: Dev Eloper}
    jobs:
      description:
        - The pipeline's jobs (retried ones only with O(include_retried=true)), with the fields of
          M(cicd.gitlab.gitlab_ci_job)'s RV(cicd.gitlab.gitlab_ci_job#module:job).
      returned: with O(jobs=true)
      type: list
      elements: dict
      sample: [{id: 77, name: build, stage: build, status: success, pipeline_id: 1234}]
    bridges:
      description:
        - The pipeline's trigger jobs (C(trigger:) in the CI/CD configuration), which are in no job list.
        - Each has C(id), C(name), C(stage), C(status), C(ref), C(web_url), C(created_at), C(started_at),
          C(finished_at), C(duration), C(allow_failure), C(failure_reason), and C(downstream_pipeline)
          (C(id), C(iid), C(project_id), C(ref), C(sha), C(status), C(source), C(web_url)), or null when no
          downstream pipeline was created.
      returned: with O(jobs=true)
      type: list
      elements: dict
      sample: [{id: 80, name: deploy-child, stage: deploy, status: success,
                downstream_pipeline: {id: 1235, project_id: 7, status: success, source: parent_pipeline}}]
pipeline:
  description:
    - The one pipeline read (the same as the first of RV(pipelines)), or null when O(latest=true) found none.
  returned: with O(pipeline_id) or O(latest=true)
  type: dict
  sample: {id: 1234, status: success, ref: main}
msg:
  description:
    - Why O(latest=true) found no pipeline.
  returned: when O(latest=true) found none
  type: str
  sample: "the newest commit of ref main of project acme/app has no pipeline (older commits of the ref may have)"
'''

from ansible_collections.cicd.gitlab.plugins.module_utils._module import TaskFailure, build_client, gitlab_argument_spec, run_module
from ansible_collections.cicd.gitlab.plugins.module_utils._errors import GitLabError, GitLabNotFoundError, GitLabPermissionError
from ansible_collections.cicd.gitlab.plugins.module_utils import _info as logic


def argument_spec():
    spec = gitlab_argument_spec()
    spec.update(
        project=dict(type='str', required=True),
        pipeline_id=dict(type='int'),
        latest=dict(type='bool', default=False),
        ref=dict(type='str'),
        sha=dict(type='str'),
        status=dict(type='str', choices=list(logic.STATUSES)),
        source=dict(type='str'),
        username=dict(type='str'),
        name=dict(type='str'),
        updated_after=dict(type='str'),
        updated_before=dict(type='str'),
        order_by=dict(type='str', choices=list(logic.ORDER_BY)),
        sort=dict(type='str', choices=list(logic.SORT)),
        limit=dict(type='int'),
        jobs=dict(type='bool', default=False),
        include_retried=dict(type='bool', default=False),
        details=dict(type='bool', default=False),
    )
    return spec


def one(client, project, pipeline_id):
    try:
        return client.get_pipeline(project, pipeline_id)
    except GitLabNotFoundError as err:
        raise TaskFailure(logic.not_found_message('pipeline', pipeline_id, project, ' (GitLab: %s)' % err.gitlab_message),
                          status=err.status) from None


def latest(client, project, ref):
    """The latest pipeline of ``ref`` or None; a 403 is "none" when the token can list the ref's pipelines."""
    try:
        return client.get_latest_pipeline(project, ref)
    except GitLabNotFoundError as err:
        if 'project' in (err.gitlab_message or '').lower():
            raise
        return None
    except GitLabPermissionError as err:
        try:
            client.list_pipelines(project, {'ref': ref} if ref else None, limit=1)
        except GitLabError:
            raise err from None
        return None


def run(module):
    kind, wanted = logic.pipeline_selection(module.params)
    note = None
    client = build_client(module)
    project = module.params['project']
    if kind == 'one':
        found = [one(client, project, wanted['pipeline_id'])]
    elif kind == 'latest':
        found = [p for p in [latest(client, project, wanted['ref'])] if p is not None]
        if not found:
            note = logic.no_latest_message(project, wanted['ref'])
    else:
        found = client.list_pipelines(project, wanted['query'], limit=wanted['limit'])
        if module.params['details']:
            found = [client.get_pipeline(project, pipeline['id']) for pipeline in found]
    pipelines = [logic.public_pipeline(pipeline) for pipeline in found]
    if module.params['jobs']:
        for pipeline in pipelines:
            jobs = client.list_pipeline_jobs(project, pipeline['id'], include_retried=module.params['include_retried'])
            pipeline['jobs'] = [logic.job_result(job) for job in jobs]
            pipeline['bridges'] = [logic.public_bridge(bridge) for bridge in client.list_pipeline_bridges(project, pipeline['id'])]
    result = dict(changed=False, pipelines=pipelines)
    if kind != 'list':
        result['pipeline'] = pipelines[0] if pipelines else None
    if note:
        result['msg'] = note
    return result


def main():
    run_module(argument_spec(), run, supports_check_mode=True)


if __name__ == '__main__':
    main()
