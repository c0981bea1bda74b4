#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cicd.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: gitlab_ci_job_info
short_description: Read GitLab CI/CD jobs - one by id, a pipeline's, a commit's or the project's
version_added: 0.1.0
author: cicd.gitlab contributors (@cicd-gitlab)
description:
  - "Read one job by O(job_id); the jobs of a pipeline (O(pipeline_id)); the jobs of a commit (O(sha)) across
    every pipeline it has; or, with none of these, the project's newest jobs, optionally only those whose
    status is in O(scope). O(name) narrows any of them to the jobs of that name."
  - One commit can have several pipelines (a push, a merge request, a schedule, an API call on the same commit);
    with O(sha) the jobs of all of them are returned, newest pipeline first, and RV(jobs[].pipeline_id) says which
    pipeline each job belongs to. Child pipelines (started by a C(trigger) with C(include)) run on the same commit and are
    included; pipelines in other projects started by a trigger job are not.
  - Only jobs that run scripts are returned; trigger jobs (bridges) are in
    M(cicd.gitlab.gitlab_ci_pipeline_info)'s RV(cicd.gitlab.gitlab_ci_pipeline_info#module:pipelines[].bridges).
  - O(log_lines) adds the last lines of each returned job's log.
  - "Requests: one for O(job_id); C(ceil(n/100)) for n jobs of a pipeline or of the project (the project's list stops
    at O(limit)); for O(sha), two for its pipelines (GitLab lists child pipelines only when asked for
    them) and one per pipeline for their jobs. O(log_lines)
    adds one per job returned."
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
  job_id:
    description:
      - Read this one job. It must belong to O(project); the task fails naming it otherwise (a trigger job's id
        is not found either, since GitLab does not serve bridges as jobs).
      - Cannot be combined with O(pipeline_id), O(sha), O(scope) or O(limit).
    type: int
  pipeline_id:
    description:
      - Read the jobs of this pipeline of O(project) (the task fails naming it when there is none).
    type: int
  sha:
    description:
      - Read the jobs of every pipeline of this commit (its full id).
    type: str
  include_retried:
    description:
      - With O(pipeline_id) or O(sha), include the jobs that were retried (GitLab leaves them out by default).
    type: bool
    default: false
  scope:
    description:
      - Only jobs with one of these statuses (GitLab's C(scope) filter).
    type: list
    elements: str
    choices: [created, waiting_for_resource, preparing, waiting_for_callback, pending, running, success, failed,
              canceling, canceled, skipped, manual, scheduled]
  name:
    description:
      - Only the jobs of this name (exactly). GitLab's job lists cannot filter by name, so the module does;
        for the project's jobs it narrows the O(limit) newest jobs read, so raise O(limit) to look further back.
    type: str
  limit:
    description:
      - The most jobs to return. For the project's jobs (no O(job_id), O(pipeline_id) or O(sha)) the default
        is 20, and no more pages are read than needed; for a pipeline or commit every job is read by default.
      - Between 1 and 10000.
    type: int
  log_lines:
    description:
      - Add the last this many lines (0 to 10000) of each returned job's log, in RV(jobs[].log).
      - "The lines are cleaned as M(cicd.gitlab.gitlab_ci_job) cleans them: ANSI escape sequences and GitLab's
        collapsible section markers are removed, a line longer than 1000 characters is cut. The task's secrets
        (its token) are masked in them."
      - A job log can hold anything the job printed. Set C(no_log) on a task that registers logs which may hold secrets.
    type: int
notes:
  - Needs the Reporter role in the project (or a public project whose CI/CD is public). A token with the
    C(read_api) scope is enough. GitLab allows a CI/CD job token (O(api_token_type=job)) only on some
    endpoints, such as the jobs of a pipeline and one job.
seealso:
  - name: GitLab jobs API
    description: The API this module reads.
    link: https://docs.gitlab.com/api/jobs/
  - module: cicd.gitlab.gitlab_ci_pipeline_info
    description: Read pipelines, their jobs and trigger jobs.
  - module: cicd.gitlab.gitlab_ci_job
    description: Act on one job (retry, cancel, play, erase), download its artifacts and log.
'''

EXAMPLES = r'''
- name: One job, with the last 30 lines of its log
  cicd.gitlab.gitlab_ci_job_info:
    api_url: https://gitlab.example.com
    api_token: "{{ gitlab_token }}"
    project: acme/app
    job_id: 4711
    log_lines: 30
  register: one

- name: Which jobs ran for this commit, in which pipeline?
  cicd.gitlab.gitlab_ci_job_info:
    project: acme/app
    sha: 2dc6aa325a317eda67812f05600bdf0fcdc70ab0
  register: of_commit

- name: Show them
  ansible.builtin.debug:
    msg: "{{ item.pipeline_id }} {{ item.name }} {{ item.status }}"
  loop: "{{ of_commit.jobs }}"

- name: The deploy jobs of pipeline 1234, retried ones too
  cicd.gitlab.gitlab_ci_job_info:
    project: acme/app
    pipeline_id: 1234
    name: deploy
    include_retried: true
  register: deploys

- name: The project's 50 newest failed or canceled jobs
  cicd.gitlab.gitlab_ci_job_info:
    project: acme/app
    scope: [failed, canceled]
    limit: 50
  register: broken
'''

RETURN = r'''
jobs:
  description:
    - The jobs read, with the fields of M(cicd.gitlab.gitlab_ci_job)'s RV(cicd.gitlab.gitlab_ci_job#module:job);
      for a pipeline in its order, for the project newest first.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The job id.
      type: int
      sample: 4711
    name:
      description: The job name.
      type: str
      sample: build
    stage:
      description: The job's stage.
      type: str
      sample: build
    status:
      description: The job status.
      type: str
      sample: success
    ref:
      description: The branch or tag of its pipeline.
      type: str
      sample: main
    pipeline_id:
      description: The pipeline the job belongs to.
      type: int
      sample: 1234
    web_url:
      description: The job's page.
      type: str
      sample: https://gitlab.example.com/acme/app/-/jobs/4711
    created_at:
      description: When the job was created.
      type: str
      sample: '2026-01-31T10:00:00.000Z'
    started_at:
      description: When the job started, or null.
      type: str
      sample: '2026-01-31T10:00:02.000Z'
    finished_at:
      description: When the job finished, or null.
      type: str
      sample: '2026-01-31T10:00:44.000Z'
    erased_at:
      description: When the job was erased, or null.
      type: str
      sample: null
    duration:
      description: Seconds the job ran, or null.
      type: float
      sample: 42.1
    queued_duration:
      description: Seconds the job was queued, or null.
      type: float
      sample: 0.8
    allow_failure:
      description: Whether the job may fail without failing its pipeline.
      type: bool
      sample: false
    failure_reason:
      description: Why the job failed; null unless it failed.
      type: str
      sample: script_failure
    artifacts_expire_at:
      description: When the artifacts expire; null when they are kept (or there are none).
      type: str
      sample: '2026-02-28T10:00:44.000Z'
    artifacts_file:
      description: The artifacts archive (C(filename), C(size)), or null when the job has none.
      type: dict
      sample: {filename: artifacts.zip, size: 1024}
    artifacts:
      description: Every artifact of the job (archive, metadata, log, reports).
      type: list
      elements: dict
      sample: [{file_type: archive, filename: artifacts.zip, size: 1024, file_format: zip}]
    log:
      description: The last O(log_lines) lines of the job's log, cleaned.
      returned: when O(log_lines) is set
      type: list
      elements: str
      sample: ['$ make test', 'ok  all 42 tests passed', 'Job succeeded']
job:
  description:
    - The one job read (the same as the only item of RV(jobs)).
  returned: with O(job_id)
  type: dict
  sample: {id: 4711, name: build, status: success, pipeline_id: 1234}
'''

from ansible_collections.cicd.gitlab.plugins.module_utils._module import TaskFailure, build_client, gitlab_argument_spec, run_module, task_secrets
from ansible_collections.cicd.gitlab.plugins.module_utils._errors import GitLabNotFoundError
from ansible_collections.cicd.gitlab.plugins.module_utils import _info as logic


def argument_spec():
    spec = gitlab_argument_spec()
    spec.update(
        project=dict(type='str', required=True),
        job_id=dict(type='int'),
        pipeline_id=dict(type='int'),
        sha=dict(type='str'),
        include_retried=dict(type='bool', default=False),
        scope=dict(type='list', elements='str', choices=list(logic.STATUSES)),
        name=dict(type='str'),
        limit=dict(type='int'),
        log_lines=dict(type='int'),
    )
    return spec


def not_found(what, ident, project, err, detail=''):
    return TaskFailure(logic.not_found_message(what, ident, project, '%s (GitLab: %s)' % (detail, err.gitlab_message)),
                       status=err.status)


def pipeline_jobs(client, project, pipeline_id, wanted, include_retried):
    try:
        return client.list_pipeline_jobs(project, pipeline_id, include_retried=include_retried, scope=wanted['scope'])
    except GitLabNotFoundError as err:
        raise not_found('pipeline', pipeline_id, project, err) from None


def read(client, project, kind, wanted, include_retried):
    """The jobs of the selection, before O(name) and O(limit)."""
    if kind == 'job':
        try:
            return [client.get_job(project, wanted['job_id'])]
        except GitLabNotFoundError as err:
            raise not_found('job', wanted['job_id'], project, err, '; a trigger job (bridge) is not a job here') from None
    if kind == 'pipeline':
        return pipeline_jobs(client, project, wanted['pipeline_id'], wanted, include_retried)
    if kind == 'sha':
        # GitLab's list leaves child pipelines out unless source=parent_pipeline is asked (Ci::PipelinesFinder).
        query = {'sha': wanted['sha']}
        pipelines = (client.list_pipelines(project, query, limit=logic.MAX_LIMIT)
                     + client.list_pipelines(project, dict(query, source='parent_pipeline'), limit=logic.MAX_LIMIT))
        return logic.commit_jobs([(p, pipeline_jobs(client, project, p['id'], wanted, include_retried)) for p in pipelines])
    return client.list_project_jobs(project, scope=wanted['scope'], limit=wanted['limit'])


def log_of(client, project, job, lines):
    if not lines:
        return []
    try:
        return client.job_log_tail(project, job['id'], lines)
    except GitLabNotFoundError:
        return []  # a job that has not started has no log yet


def run(module):
    kind, wanted = logic.job_selection(module.params)
    client = build_client(module)
    project = module.params['project']
    found = logic.narrow(read(client, project, kind, wanted, module.params['include_retried']), wanted['name'], wanted['limit'])
    secrets = task_secrets(module) | set(client.secrets)
    lines = wanted['log_lines']
    jobs = [logic.job_result(job, log_of(client, project, job, lines) if lines is not None else None, secrets) for job in found]
    result = dict(changed=False, jobs=jobs)
    if kind == 'job':
        result['job'] = jobs[0] if jobs else None
    return result


def main():
    run_module(argument_spec(), run, supports_check_mode=True)


if __name__ == '__main__':
    main()
