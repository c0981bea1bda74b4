#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cicd.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: gitlab_ci_job
short_description: Run GitLab pipelines, act on their jobs, and fetch job artifacts and logs
version_added: 0.1.0
author: cicd.gitlab contributors (@cicd-gitlab)
description:
  - Start a pipeline (O(state=run)), or find one job and retry, cancel, play or erase it, optionally
    waiting until it has finished.
  - Keep a job's artifacts from expiring, download its artifacts archive or one file of it onto the
    managed host, write its log to a file or return the last lines of it.
  - Every option is checked before the first request; when one is wrong nothing is done.
  - "Selecting the job: O(job_id); or O(name) with O(pipeline_id); or O(name) with O(ref). By ref the
    pipeline is the newest pipeline of the ref (highest id) whatever its status; with
    O(latest_successful=true) it is the newest pipeline of the ref whose status is C(success), the
    pipeline GitLab's own by-ref artifact download uses. Artifacts are then always downloaded by the
    id of the job found, so the module never silently picks a job of another pipeline."
  - Retried jobs are never selected by name; among jobs of the same name in one pipeline the newest
    (highest id) wins. Trigger (bridge) jobs are not jobs for this module.
  - "Pipeline trees: a pipeline's trigger jobs start child pipelines (C(trigger:include)) and pipelines of other
    projects (C(trigger:project)). By default (O(follow_downstream=true)) O(name) is looked up in the whole tree,
    recursively, and waiting on a pipeline waits on the tree. A name found in several pipelines of the tree is an
    error listing the candidates (pipeline id, project, the trigger jobs leading to it); O(downstream) picks one.
    A job found in a downstream pipeline is acted on (play, retry, cancel, erase, keep, artifacts, log) in that
    pipeline's own project."
  - "The tree has finished when every pipeline in it has finished (a pipeline waiting only on manual jobs counts,
    also when a trigger job with C(strategy: depend) keeps its parent running on it). Its status is derived from every
    pipeline: a job that fails anywhere fails the task (O(fail_on); jobs allowed to fail, and pipelines below a trigger
    job allowed to fail, do not), naming the job, its pipeline, project and the last lines of its log. A trigger job
    that could not create its downstream pipeline (no permission, no such project or branch, a loop, too deep) fails
    the task with GitLab's C(failure_reason) explained."
  - "Waiting (O(wait=true)): the module polls GitLab, first after O(poll_interval) seconds, then at
    intervals growing by a quarter each time (x1.25), at most O(poll_interval_max) seconds (10 by default, or
    O(wait_timeout) when shorter), so the end of a pipeline or tree is seen at most that long after it happens.
    Each poll reads each pipeline of the tree still running with one request, its job list, which carries the
    pipeline's status too (jobs past the first 100 only when its status changed or at the end); its trigger jobs are
    read once, then when one of its jobs or the pipeline finished, so one pipeline costs one request per poll, and
    the pipeline itself is read once more at the end. A job has finished when its status is C(success), C(failed), C(canceled) or C(skipped); a job in
    C(manual) waits for a person, so waiting ends there too (C(scheduled) and C(canceling) are waited
    for). A pipeline has finished when its status is one of those four or C(manual), or when all its
    jobs have finished except manual ones; a pipeline that is C(success) with manual jobs left is
    finished. O(wait_timeout) bounds the whole task, including waiting for a job to become playable."
  - "After waiting, a job (or, for O(state=run) without O(name), the pipeline) whose status is listed in
    O(fail_on) fails the task; the message gives the status, the failure reason and the last lines of
    the job's log. This does not apply to O(state=canceled) and O(state=erased). When the task fails
    this way, no artifact and no log is written."
  - "Artifacts on the managed host: the archive (or with O(artifact_path) one file of it) is streamed to
    a temporary file in the destination's directory and moved into place only when complete, so the
    destination is never partial and memory use stays flat. Redirects to object storage are followed
    without sending GitLab credentials."
  - "Files on the managed host (O(artifacts_dest), O(log_dest)): before the first request the module
    checks O(mode) (octal, or symbolic as for M(ansible.builtin.file)), that O(owner) and O(group)
    exist, that the destination's directory exists and can be written, that a path ending with C(/)
    is an existing directory, and that O(log_dest) is not a directory nor the file of
    O(artifacts_dest). A relative path is taken from the module's working directory on the managed
    host and shown absolute in messages and results."
  - "The download goes to one temporary file beside the destination, named
    C(.<file name>.cicd-gitlab-<pid>-<random>.part) and readable by its owner only. It gets its final
    mode, owner, group and SELinux context while it still has that name, and is then renamed over the
    destination (C(os.replace) in the same directory), so the destination is never seen with wider
    permissions than asked for. The final mode is O(mode) (a symbolic one applied to the mode of the
    file replaced, or of a new file); without O(mode), the replaced file's mode, or for a new file
    C(0666) without the umask, as Ansible gives new files; without O(owner) and O(group), the replaced
    file's. When the owner or group cannot be given, the temporary file is removed, the destination
    is left as it was, and the task fails. O(attributes) are applied after the rename. A symbolic
    link at the destination is replaced by the file, not followed."
  - "A download that fails or is refused (an HTML page instead of the file, a size that differs from
    what GitLab announced, a stream cut short, a full disk, a read-only directory) leaves the
    destination and its record as they were and no temporary file. A run that was killed leaves its
    temporary file; the next run for the same destination removes the temporary files of that
    destination whose process (the pid in the name) no longer runs, and never those of a live one.
    Check mode writes and removes nothing."
  - "O(unsafe_writes) only matters when the rename is refused (a file bind-mounted into a container):
    the content is then written into the destination in place, which is not atomic."
  - "Idempotence of O(artifacts_dest): a job's artifacts never change once written. After a download
    the module writes a small JSON record beside the destination, named C(.<file name>.cicd-gitlab),
    holding the project id, job id, O(artifact_path), size and sha256. The destination is up to date,
    and is not downloaded again, when that record names the same project, job and O(artifact_path) and
    the file's current size and sha256 (computed by reading the file) are the ones recorded.
    O(force=true) downloads anyway; a downloaded file identical to the one in place does not count as
    a change."
extends_documentation_fragment:
  - cicd.gitlab.connection
  - cicd.gitlab.attributes
  - cicd.gitlab.attributes.actiongroup
  - ansible.builtin.files
attributes:
  check_mode:
    support: full
    details:
      - Nothing is written on GitLab and no file is touched on the managed host; RV(actions) and
        RV(msg) say what would be done.
      - O(state=run) reports a change and starts nothing. Nothing is waited for; when the state would
        change the job (or the job has not finished and O(wait=true)), the artifact and log options are
        not evaluated.
      - For O(log_dest) the log is read (not written) to tell whether the file would change.
  diff_mode:
    support: none
  idempotent:
    support: partial
    details:
      - O(state=run) and O(state=retried) change something every time they run.
      - The other states, O(keep_artifacts), O(artifacts_dest) and O(log_dest) report a change only
        when they make one.
options:
  project:
    description:
      - The project, as a numeric id or a full path such as V(acme/app).
      - An all-digit value is always an id (GitLab reads C(/projects/42) as the project with id 42, never as a path);
        the module then reads the project's full path (one more request, also in check mode) and names it in
        RV(project_path).
    type: str
    required: true
  state:
    description:
      - V(present) finds the job and changes nothing, except what O(keep_artifacts), O(artifacts_dest)
        and O(log_dest) ask for.
      - V(run) starts a new pipeline on O(ref) with O(variables) (and O(inputs)), through
        O(trigger_token) when given, else with the API token. Always a change. With O(name), the job of
        that name in the new pipeline is the job the other options act on.
      - "Starting it costs one request, nothing is read before. When the answer to the start is lost (the connection
        is cut after sending, a timeout, a 5xx) or is not a pipeline, the request is not sent again: the ref's newest
        pipelines are listed, and those started the same way (source C(api), or C(trigger) or C(pipeline) with
        O(trigger_token)) are told apart by C(created_at). When the request was sent is told on GitLab's clock (the
        C(Date) of its answer less the time elapsed since sending) or on the managed host's clock, whichever is
        earlier. Exactly one pipeline created after that (less 1 second) is taken as the pipeline started (the task
        reports a change and says the answer was lost), so a pipeline of the ref started seconds before is not
        mistaken for it. None created in the 30 seconds before sending or since means nothing was started and the
        task fails saying it can run again. Anything else fails the task with the candidates and the page to check:
        several new pipelines (another started meanwhile), only pipelines created within those 30 seconds, none
        while GitLab may still be working on a timed-out request, answers without a C(Date), or a C(Date) more
        than 30 seconds off the managed host's clock (one of the two is wrong)."
      - V(retried) retries the job; RV(job) then describes the new job and RV(previous_job) the one
        retried. Only jobs that are C(success), C(failed), C(canceled) or C(canceling) can be retried.
      - V(canceled) cancels an active, created, manual or scheduled job; a job that has already finished
        or is being canceled is left alone.
      - V(played) plays a manual (or scheduled) job with O(job_variables). A job still C(created), as
        right after its pipeline starts or while earlier stages run, is waited for until it becomes
        manual, at most O(wait_timeout) seconds. GitLab does not tell a manual job from others once it
        has left the C(manual) status, so a job that is active or finished counts as played already;
        a job that leaves C(created) for anything but C(manual) or C(scheduled), or is C(skipped), is
        an error.
      - V(erased) erases a finished job's log and artifacts; a job already erased is left alone, a job
        that has not finished is an error.
    type: str
    choices: [present, run, retried, canceled, played, erased]
    default: present
  job_id:
    description:
      - The id of the job. Mutually exclusive with O(name); cannot be used with O(state=run).
    type: int
  name:
    description:
      - The name of the job, looked up in the pipeline given by O(pipeline_id) or O(ref)
        (for O(state=run), in the new pipeline).
      - Retried jobs are never selected; among jobs of that name the newest wins.
      - With O(follow_downstream=true) (the default) the jobs of downstream pipelines are searched too; see
        O(downstream). With O(state=run) the module waits (at most O(wait_timeout)) until a job of that name
        appears in the tree, since child pipelines start after their trigger job runs.
    type: str
  follow_downstream:
    description:
      - Follow the pipeline's trigger jobs into their downstream pipelines (child and multi-project), recursively;
        O(name) is looked up in every pipeline of the tree, and O(wait) waits until the whole tree has finished.
      - V(false) searches and waits on the pipeline itself alone (its trigger jobs are then not read).
      - Reading a downstream pipeline of a project the token cannot read fails the task.
    type: bool
    default: true
  downstream:
    description:
      - With O(name), the pipeline of the tree to find the job in, as the names of the trigger jobs leading to it
        from the pipeline given by O(pipeline_id), O(ref) or started by O(state=run), such as V([deploy-child]) or
        V([platform, integration]). V([]) is the pipeline itself.
      - Needed when the name matches jobs in several pipelines of the tree.
    type: list
    elements: str
  pipeline_id:
    description:
      - The pipeline in which to find the job O(name).
    type: int
  ref:
    description:
      - For O(state=run), the branch or tag to run the pipeline on (required).
      - Otherwise, with O(name), the branch or tag whose newest pipeline (highest id, whatever its
        status) holds the job; see O(latest_successful).
    type: str
  latest_successful:
    description:
      - With O(name) and O(ref), look in the newest pipeline of the ref whose status is C(success)
        instead of the newest pipeline. This is the pipeline GitLab's by-ref artifact download uses;
        the module then downloads by the id of the job it found.
    type: bool
    default: false
  trigger_token:
    description:
      - A pipeline trigger token (or a running job's C(CI_JOB_TOKEN), which starts a multi-project
        pipeline). With it O(state=run) uses C(POST /projects/:id/trigger/pipeline); without it,
        C(POST /projects/:id/pipeline) with O(api_token).
      - Only with O(state=run).
      - A trigger token can start a pipeline but not read it. Without O(api_token) (or E(GITLAB_TOKEN))
        the task returns the pipeline as GitLab answered the start, and O(name) and O(wait) are refused
        before anything is sent; give an O(api_token) that can read the project's pipelines for those.
    type: str
  variables:
    description:
      - Pipeline variables for O(state=run), as a dictionary of variable names (ASCII letters, digits
        and V(_)) to values.
      - "A value is a string, or a dictionary C({value: <string>, secret: <bool>, variable_type: env_var|file}):
        C(value) is required, C(secret) defaults to V(false), C(variable_type) to V(env_var)."
      - "Values must be strings: a value YAML reads as something else (unquoted V(true), V(yes), V(1),
        V(1.10), V(0755), an empty value, a list) is refused naming the variable; quote it, for example
        C(REPLICAS: \"3\")."
      - "Pipeline variables are run parameters, not stored secrets: their values are shown like any other
        option (for example in the task's C(invocation) at C(-vvv)). Mark a value that is a secret with
        C(secret: true); it is then never logged, and masked in every result, message and log line of the
        task. A secret value is masked wherever it occurs, so a short one (V(1), V(yes)) would also mask
        ids and sizes that contain it: only mark real secrets."
      - "GitLab 17.7 and later can restrict who may pass pipeline variables (the project setting
        C(ci_pipeline_variables_minimum_override_role); new projects on GitLab.com allow no one). GitLab then refuses
        the start with C(Insufficient permissions to set pipeline variables); the task fails naming the setting, its
        value when the token can read it (Maintainers can), and the role needed, and suggests O(inputs)."
      - With C(variable_type) V(file) GitLab writes the value to a file and puts its path in the variable.
        GitLab takes file variables only when the pipeline is started with the API token; with
        O(trigger_token) a file variable is refused before anything is sent.
    type: raw
  inputs:
    description:
      - Pipeline inputs for O(state=run) (GitLab 17.11 or later; GitLab rejects them on older versions).
    type: dict
  job_variables:
    description:
      - "Variables for playing a manual job (O(state=played)), with the same forms and rules as
        O(variables): a string, or C({value: <string>, secret: true}) for a value that is a secret."
      - GitLab plays a job with plain (C(env_var)) variables only, so C(variable_type) V(file) is refused.
    type: raw
  wait:
    description:
      - Wait until the job (or, for O(state=run) without O(name), the pipeline) has finished, then apply
        O(fail_on). See the description for what counts as finished.
    type: bool
    default: false
  wait_timeout:
    description:
      - The most seconds the task waits, in total; when it runs out the task fails with the status
        seen last and the time waited.
      - Also bounds waiting for a C(created) job to become playable with O(state=played).
    type: int
    default: 600
  poll_interval:
    description:
      - Seconds before the first poll while waiting; each later interval is a quarter longer (x1.25), at most
        O(poll_interval_max) (or O(wait_timeout) when shorter).
    type: float
    default: 5
  poll_interval_max:
    description:
      - The longest interval between two polls while waiting, in seconds. The end of what is waited for is seen at
        most this long after it happens, however long it ran.
    type: float
    default: 10
  fail_on:
    description:
      - The final statuses that fail the task after waiting (O(wait=true)); V(skipped) is not in the
        default.
      - For a pipeline, its status, and with O(follow_downstream=true) the status of every pipeline of its tree and of
        their jobs; jobs allowed to fail never fail the task.
    type: list
    elements: str
    choices: [failed, canceled, skipped]
    default: [failed, canceled]
  keep_artifacts:
    description:
      - Keep the job's artifacts from expiring. A change only when they have an expiry date
        (C(artifacts_expire_at)); artifacts already kept are left alone. A job without artifacts is an error.
    type: bool
    default: false
  artifacts_dest:
    description:
      - Write the job's artifacts archive, or with O(artifact_path) that one file of it, to this path on
        the managed host. When it is an existing directory (or ends with C(/), and then must be one), the
        file is written in it under the archive's name as GitLab gives it (C(artifacts_file.filename)),
        or the base name of O(artifact_path).
      - Artifacts that expired are still downloaded while GitLab serves them (until its clean-up removes
        them, and for ever for the latest successful pipeline of a ref, whose artifacts are locked).
        GitLab then leaves C(artifacts_file) out of the job, and the module takes the archive's name and
        size from the job's C(artifacts) list. A single file (O(artifact_path)) of expired artifacts is
        served only while they are locked.
      - A name from GitLab that is not a plain file name (empty, C(.) or C(..), a C(/) or C(\), control
        characters, a leading C(.)) is never used; the archive is then written as C(artifacts.zip) in the
        directory, with a warning. The file never goes outside the directory.
      - Its directory must exist and be writable; this and O(mode), O(owner), O(group) are checked before
        any request. See the description for how the file is written and when it is downloaded again.
      - A job without artifacts is an error.
    type: path
  artifact_path:
    description:
      - The path of one file inside the artifacts archive, such as V(dist/app.tar.gz). Needs O(artifacts_dest).
      - Written as it is in the archive; a path with V(.) or V(..) segments, a leading V(/), empty
        segments, backslashes, percent-encoded characters or control characters is refused before any request.
    type: str
  artifacts_max_size:
    description:
      - Fail instead of writing O(artifacts_dest) when the download is larger than this many bytes
        (the destination is then left as it was).
    type: int
  force:
    description:
      - Download the artifacts even when O(artifacts_dest) already holds them.
    type: bool
    default: false
  log_dest:
    description:
      - Write the job's log to this file on the managed host (streamed to a temporary file in the same
        directory, given its final mode, owner and group, then compared by sha256 and moved into place
        only when it differs). Its directory must exist; it cannot be a directory.
      - The log of a job still running is the part written so far.
    type: path
  log_lines:
    description:
      - Return the last this many lines of the job's log in RV(log.lines).
      - Also the number of lines shown when a job fails the task (20 when not set).
      - "The lines are cleaned as a terminal would show them: ANSI escape sequences (colours, cursor
        movement, links) and GitLab's collapsible section markers (C(section_start:...), C(section_end:...))
        are removed, and a line longer than 1000 characters is cut and ends with
        C([... N more characters]). Lines that held only section markers are left out. O(log_dest)
        receives the log unchanged."
    type: int
notes:
  - "A cancel, play, erase, retry or keep whose answer is lost (or is not a job) is not sent again: the module reads
    the job again (for a retry, the jobs of its pipeline: the new job has the same name and a higher id, and the old
    one is no longer listed) and reports what happened; when the action was not applied the task fails saying it can
    run again, and when it cannot tell, it fails saying what to look at."
  - "Messages name variables by their names only, never by value. O(trigger_token) is never logged; the
    values of O(variables) and O(job_variables) are run parameters and are logged like other options,
    except those marked C(secret: true)."
  - With a job token (O(api_token_type=job)) GitLab allows only some endpoints; finding a job by name
    needs reading pipelines, which a job token may not be allowed to do.
seealso:
  - name: GitLab jobs API
    description: The API this module uses for jobs.
    link: https://docs.gitlab.com/api/jobs/
  - name: GitLab job artifacts API
    description: Downloading and keeping job artifacts.
    link: https://docs.gitlab.com/api/job_artifacts/
  - name: GitLab pipeline trigger API
    description: Starting pipelines with a trigger token.
    link: https://docs.gitlab.com/api/pipeline_triggers/
'''

EXAMPLES = r'''
- name: Run a pipeline with a trigger token and wait for it
  cicd.gitlab.gitlab_ci_job:
    api_url: https://gitlab.example.com
    api_token: "{{ gitlab_read_token }}"   # reads the pipeline while waiting
    project: acme/app
    state: run
    ref: main
    trigger_token: "{{ trigger_token }}"
    variables:
      DEPLOY_ENV: staging
      REPLICAS: "3"          # quoted: values are strings
      DEBUG: "true"
    wait: true
    wait_timeout: 1800
  register: run

- name: Show the pipeline and its jobs
  ansible.builtin.debug:
    var: run.pipeline

- name: Run a pipeline with the API token, wait for its test job and save that job's log
  cicd.gitlab.gitlab_ci_job:
    api_url: https://gitlab.example.com
    api_token: "{{ gitlab_token }}"
    project: 42
    state: run
    ref: release/1.4
    variables:
      SKIP_E2E: "false"
      REGISTRY_PASSWORD:
        value: "{{ registry_password }}"
        secret: true         # masked in the output of this task
      DEPLOY_CONFIG:
        value: "{{ lookup('ansible.builtin.file', 'deploy.json') }}"
        variable_type: file  # GitLab writes it to a file (only without trigger_token)
    name: test
    wait: true
    log_dest: /var/log/ci/test.log
    log_lines: 50

- name: Play a manual deploy job of a pipeline with job variables, and wait for it
  cicd.gitlab.gitlab_ci_job:
    api_url: https://gitlab.example.com
    api_token: "{{ gitlab_token }}"
    project: acme/app
    state: played
    pipeline_id: "{{ run.pipeline.id }}"
    name: deploy
    job_variables:
      RELEASE_TAG: v1.4.2
      DEPLOY_PASSWORD:
        value: "{{ deploy_password }}"
        secret: true
    wait: true

- name: Retry a failed job and wait for the new one
  cicd.gitlab.gitlab_ci_job:
    api_url: https://gitlab.example.com
    api_token: "{{ gitlab_token }}"
    project: acme/app
    state: retried
    job_id: 1234
    wait: true
    fail_on: [failed, canceled, skipped]
  register: retried

- name: Run a monorepo pipeline and wait for its child and downstream pipelines too
  cicd.gitlab.gitlab_ci_job:
    api_url: https://gitlab.example.com
    api_token: "{{ gitlab_token }}"
    project: acme/monorepo
    state: run
    ref: main
    wait: true
    poll_interval_max: 5
  register: tree

- name: Download the report of the e2e job of the child pipeline started by the trigger job "integration"
  cicd.gitlab.gitlab_ci_job:
    api_url: https://gitlab.example.com
    api_token: "{{ gitlab_token }}"
    project: acme/monorepo
    pipeline_id: "{{ tree.pipeline.id }}"
    name: e2e
    downstream: [integration]
    artifact_path: report.xml
    artifacts_dest: /tmp/e2e-report.xml

- name: Cancel the running e2e job of the newest pipeline on main
  cicd.gitlab.gitlab_ci_job:
    api_url: https://gitlab.example.com
    api_token: "{{ gitlab_token }}"
    project: acme/app
    state: canceled
    ref: main
    name: e2e

- name: Erase a finished job's log and artifacts
  cicd.gitlab.gitlab_ci_job:
    api_url: https://gitlab.example.com
    api_token: "{{ gitlab_token }}"
    project: acme/app
    state: erased
    job_id: 1234

- name: Keep a job's artifacts and download the archive by job id
  cicd.gitlab.gitlab_ci_job:
    api_url: https://gitlab.example.com
    api_token: "{{ gitlab_token }}"
    project: acme/app
    job_id: 1234
    keep_artifacts: true
    artifacts_dest: /srv/releases/app-1234.zip
    artifacts_max_size: 500000000
    mode: "0640"
    owner: deploy
    group: deploy

- name: Download one file of the artifacts of the build job of the latest successful pipeline on main
  cicd.gitlab.gitlab_ci_job:
    api_url: https://gitlab.example.com
    api_token: "{{ gitlab_token }}"
    project: acme/app
    ref: main
    name: build
    latest_successful: true
    artifact_path: dist/app.tar.gz
    artifacts_dest: /srv/releases/app.tar.gz

- name: Download one file of a job's artifacts by job id, even when it is already there
  cicd.gitlab.gitlab_ci_job:
    api_url: https://gitlab.example.com
    api_token: "{{ gitlab_token }}"
    project: acme/app
    job_id: 1234
    artifact_path: reports/junit.xml
    artifacts_dest: /tmp/junit.xml
    force: true

- name: Save a job's log and show its last lines
  cicd.gitlab.gitlab_ci_job:
    api_url: https://gitlab.example.com
    api_token: "{{ gitlab_token }}"
    project: acme/app
    pipeline_id: 5678
    name: build
    log_dest: /var/log/ci/build.log
    log_lines: 30
  register: build

- name: Print them
  ansible.builtin.debug:
    var: build.log.lines

- name: Set the connection once for every module of the collection
  module_defaults:
    group/cicd.gitlab.gitlab_ci:
      api_url: https://gitlab.example.com
      api_token: "{{ gitlab_token }}"
  block:
    - name: Run a pipeline and wait for it
      cicd.gitlab.gitlab_ci_job:
        project: acme/app
        state: run
        ref: main
        wait: true
      register: pipeline_run

    - name: Fetch the package built by that pipeline
      cicd.gitlab.gitlab_ci_job:
        project: acme/app
        pipeline_id: "{{ pipeline_run.pipeline.id }}"
        name: package
        artifacts_dest: /srv/releases/
'''

RETURN = r'''
project_path:
  description:
    - The full path of the project, as given in O(project), or read from GitLab when O(project) is an id.
    - V(null) when O(project) is an id that the token may not read (a trigger or job token).
  returned: always
  type: str
  sample: acme/app
msg:
  description: What was done, or in check mode what would be done.
  returned: always
  type: str
  sample: played job 8 (deploy); waited 42.5 s for job 8 (deploy) to finish (success)
actions:
  description: The steps of RV(msg), one per item.
  returned: always
  type: list
  elements: str
  sample: [played job 8 (deploy), waited 42.5 s for job 8 (deploy) to finish (success)]
job:
  description:
    - The job acted on, as last seen (after the action and any wait); for O(state=retried) the new job.
  returned: when a job was selected
  type: dict
  contains:
    id:
      description: The job id.
      type: int
      sample: 8
    name:
      description: The job name.
      type: str
      sample: deploy
    stage:
      description: The stage.
      type: str
      sample: deploy
    status:
      description: The job status.
      type: str
      sample: success
    ref:
      description: The branch or tag.
      type: str
      sample: main
    pipeline_id:
      description: The id of the job's pipeline.
      type: int
      sample: 5
    web_url:
      description: The job's page.
      type: str
      sample: https://gitlab.example.com/acme/app/-/jobs/8
    created_at:
      description: When the job was created.
      type: str
      sample: '2025-01-31T10:00:00.000Z'
    started_at:
      description: When the job started, or null.
      type: str
      sample: '2025-01-31T10:00:02.000Z'
    finished_at:
      description: When the job finished, or null.
      type: str
      sample: '2025-01-31T10:00:44.000Z'
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
      sample: '2025-02-28T10:00:44.000Z'
    artifacts_file:
      description: The artifacts archive (C(filename), C(size)), or null when the job has none.
      type: dict
      sample: {filename: artifacts.zip, size: 1024}
    artifacts:
      description: Every artifact of the job (archive, metadata, log, reports).
      type: list
      elements: dict
      sample: [{file_type: archive, filename: artifacts.zip, size: 1024, file_format: zip}]
previous_job:
  description: The job that was retried (O(state=retried)), with its status before the retry.
  returned: when a job was retried
  type: dict
  contains:
    id:
      description: The id of the retried job.
      type: int
      sample: 7
    status:
      description: Its status when it was retried.
      type: str
      sample: failed
pipeline:
  description:
    - The pipeline started (O(state=run)) or searched by O(name), as last seen.
  returned: with O(state=run) outside check mode, and when the job was found by O(name)
  type: dict
  contains:
    id:
      description: The pipeline id.
      type: int
      sample: 5
    status:
      description: The pipeline status.
      type: str
      sample: running
    ref:
      description: The branch or tag.
      type: str
      sample: main
    sha:
      description: The commit.
      type: str
      sample: 2dc6aa325a317eda67812f05600bdf0fcdc70ab0
    web_url:
      description: The pipeline's page.
      type: str
      sample: https://gitlab.example.com/acme/app/-/pipelines/5
    source:
      description: What started the pipeline (C(trigger), C(api), C(push), ...).
      type: str
      sample: trigger
    created_at:
      description: When the pipeline was created.
      type: str
      sample: '2025-01-31T10:00:00.000Z'
    finished_at:
      description: When the pipeline finished, or null.
      type: str
      sample: null
    jobs:
      description: The pipeline's jobs (retried ones left out), by id.
      type: list
      elements: dict
      sample: [{id: 7, name: build, stage: build, status: success}, {id: 8, name: deploy, stage: deploy, status: manual}]
    tree_status:
      description:
        - The status of the whole tree after waiting (O(follow_downstream=true)), C(running) while any pipeline runs,
          the status that failed the task, else C(manual) when a pipeline waits on a manual job, else the pipeline's own.
      type: str
      returned: after waiting on a pipeline with O(follow_downstream=true)
      sample: success
    downstream:
      description:
        - With O(follow_downstream=true), the pipelines its trigger jobs started, each with the fields above (except
          RV(pipeline.tree_status)), its own C(downstream), and C(project) (its project's full path), C(project_id) and
          C(bridge) (the trigger job that started it, C(id), C(name), C(stage), C(status), C(allow_failure),
          C(failure_reason), C(web_url)).
        - A downstream pipeline's C(created_at) and C(finished_at) may be null when it was read only from its trigger job
          or its job list (which carry the pipeline without C(finished_at)).
      type: list
      elements: dict
      returned: with O(follow_downstream=true)
      sample: [{id: 6, status: success, project: acme/app, project_id: 1, bridge: {id: 9, name: child, status: success},
               jobs: [{id: 10, name: unit, stage: test, status: success}], downstream: []}]
artifacts:
  description: The artifacts file on the managed host (O(artifacts_dest)).
  returned: when O(artifacts_dest) is set and the job was acted on
  type: dict
  contains:
    path:
      description: The file written (or that would be written).
      type: str
      sample: /srv/releases/app-1234.zip
    size:
      description: Its size in bytes; null in check mode when it would be downloaded.
      type: int
      sample: 1024
    sha256:
      description: Its sha256; null in check mode when it would be downloaded.
      type: str
      sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
    changed:
      description: Whether the file (its content or attributes) was changed.
      type: bool
      sample: true
log:
  description: The job's log (O(log_dest), O(log_lines)).
  returned: when O(log_dest) or O(log_lines) is set and the job was acted on
  type: dict
  contains:
    path:
      description: The log file on the managed host.
      type: str
      returned: when O(log_dest) is set
      sample: /var/log/ci/build.log
    size:
      description: The log's size in bytes.
      type: int
      returned: when O(log_dest) is set
      sample: 5120
    sha256:
      description: The log's sha256.
      type: str
      returned: when O(log_dest) is set
      sample: 2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae
    changed:
      description: Whether the log file (its content or attributes) was changed.
      type: bool
      returned: when O(log_dest) is set
      sample: false
    lines:
      description: The last O(log_lines) lines of the log.
      type: list
      elements: str
      returned: when O(log_lines) is set
      sample: ['$ make test', 'ok  all 42 tests passed', 'Job succeeded']
'''

import os
import time
from urllib.parse import urlsplit

from ansible_collections.cicd.gitlab.plugins.module_utils._module import TaskFailure, build_client, gitlab_argument_spec, run_module
from ansible_collections.cicd.gitlab.plugins.module_utils._errors import (
    GitLabAuthError,
    GitLabError,
    GitLabNotFoundError,
    GitLabPermissionError,
    GitLabValidationError,
    InputError,
)
from ansible_collections.cicd.gitlab.plugins.module_utils import _files
from ansible_collections.cicd.gitlab.plugins.module_utils import _jobs as logic
from ansible_collections.cicd.gitlab.plugins.module_utils import _lost as lost
from ansible_collections.cicd.gitlab.plugins.module_utils import _tree as tree

# Injectable for unit tests.
SLEEP = time.sleep
CLOCK = time.monotonic
WALL = time.time  # only to tell a pipeline started by a lost request, with GitLab's Date (_lost.py)


def argument_spec():
    spec = gitlab_argument_spec()
    spec.update(
        project=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=list(logic.STATES)),
        job_id=dict(type='int'),
        name=dict(type='str'),
        pipeline_id=dict(type='int'),
        ref=dict(type='str'),
        latest_successful=dict(type='bool', default=False),
        trigger_token=dict(type='str', no_log=True),
        variables=dict(type='raw', no_log=False),
        inputs=dict(type='dict'),
        job_variables=dict(type='raw', no_log=False),
        wait=dict(type='bool', default=False),
        wait_timeout=dict(type='int', default=600),
        poll_interval=dict(type='float', default=5),
        poll_interval_max=dict(type='float', default=logic.MAX_POLL_INTERVAL),
        follow_downstream=dict(type='bool', default=True),
        downstream=dict(type='list', elements='str'),
        fail_on=dict(type='list', elements='str', default=list(logic.DEFAULT_FAIL_ON), choices=list(logic.FAIL_ON_CHOICES)),
        keep_artifacts=dict(type='bool', default=False),
        artifacts_dest=dict(type='path'),
        artifact_path=dict(type='str'),
        artifacts_max_size=dict(type='int'),
        force=dict(type='bool', default=False),
        log_dest=dict(type='path'),
        log_lines=dict(type='int'),
    )
    return spec


class JobTask:
    """One run of the module: find or start, act, wait, then keep, download and read the log."""

    def __init__(self, module, client):
        self.module = module
        self.client = client
        self.params = module.params
        self.project = module.params['project']
        self.root_project = self.project   # self.project becomes a downstream pipeline's project for its job
        self.tree = None
        self.check = module.check_mode
        self.changed = False
        self.actions = []
        self.result = {}
        self.started = CLOCK()
        self.secrets = [module.params.get('trigger_token') or '', module.params.get('api_token') or '']
        # Pipeline and job variables are run parameters, not stored secrets: only the values marked
        # ``secret: true`` are masked (Ansible's no_log masking and this task's redaction). Masking
        # every value would turn any id, size or sha256 containing a short value such as "1" into
        # VALUE_SPECIFIED_IN_NO_LOG_PARAMETER or ********.
        # run_module() registered them as no_log values before ansible-core validated the options.
        self.secrets.extend(logic.secret_values(module.params))
        # The normalised lists the client takes: [{'key', 'value', 'variable_type'}].
        self.variables = logic.run_variables(module.params['variables'])
        self.job_variables = logic.run_variables(module.params['job_variables'])

    # ---- bookkeeping ----------------------------------------------------------------------------

    def note(self, text, changed=False):
        self.actions.append(logic.redact(text, self.secrets))
        self.changed = self.changed or changed

    def partial(self):
        """What is known so far, for a failure."""
        out = dict(self.result)
        out.update(changed=self.changed, actions=list(self.actions))
        return out

    def fail(self, msg, **extra):
        out = self.partial()
        out.update(extra)
        raise TaskFailure(logic.redact(msg, self.secrets), **out)

    def outcome(self):
        out = dict(self.result)
        prefix = 'check mode: ' if self.check else ''
        out.update(changed=self.changed, actions=list(self.actions), msg=prefix + ('; '.join(self.actions) or 'nothing to do'))
        return out

    # ---- the flow -------------------------------------------------------------------------------

    def run(self):
        self.result['project_path'] = self.resolve_project()
        if self.params['state'] == 'run':
            job = self.start()
        else:
            job = self.find_job()
            job = self.apply_state(job)
        if job is None:
            return self.outcome()
        self.result['job'] = logic.public_job(job)
        if self.params['wait']:
            if self.check and not logic.job_finished(job):
                self.note('would wait for %s to finish' % logic.describe_job(job))
                return self.outcome()
            job = self.wait_job(job)
            self.result['job'] = logic.public_job(job)
            if self.params['state'] == 'run':
                self.refresh_tree()
            self.check_job_outcome(job)
        if self.params['keep_artifacts']:
            job = self.keep(job)
        if self.params['artifacts_dest']:
            self.result['artifacts'] = self.fetch_artifacts(job)
        if self.params['log_dest'] or self.params['log_lines'] is not None:
            self.result['log'] = self.fetch_log(job)
        return self.outcome()

    # ---- run: start a pipeline ------------------------------------------------------------------

    def resolve_project(self):
        """The project's full path: as given, or for an all-digit project (an id) as GitLab names it.

        One request for an id (``GET /projects/:id``), in check mode too, so that every result names
        the project acted on. A token that may not read the project (a trigger or job token) leaves it
        unknown (None); the requests that follow say what is wrong.
        """
        if not lost.is_id(self.project):
            return self.project
        try:
            answer = self.client.get_project(self.project)
        except (GitLabAuthError, GitLabPermissionError, GitLabNotFoundError):
            return None
        return lost.check_answer(answer, 'GET', '/api/v4/projects/%s' % self.project, expect=('path_with_namespace',))['path_with_namespace']

    def start(self):
        """Start the pipeline; return the job O(name) of it, or None when there is no job to act on."""
        p = self.params
        how = 'with the trigger token' if p['trigger_token'] else 'with the API token'
        if self.check:
            self.note('would start a pipeline on ref %s %s' % (p['ref'], how), changed=True)
            return None
        sent, wall_sent = CLOCK(), WALL()  # a lost answer is looked for among the ref's pipelines created since then
        path = '/api/v4/projects/%s/%s' % (self.project, 'trigger/pipeline' if p['trigger_token'] else 'pipeline')
        try:
            if p['trigger_token']:
                pipeline = self.client.trigger_pipeline(self.project, p['trigger_token'], p['ref'], variables=self.variables,
                                                        inputs=p['inputs'])
            else:
                pipeline = self.client.create_pipeline(self.project, p['ref'], variables=self.variables, inputs=p['inputs'])
            pipeline = lost.check_answer(pipeline, 'POST', path, expect=('id', 'status'))
        except GitLabNotFoundError as err:
            if not p['trigger_token']:
                raise
            self.fail('the trigger token is not valid for project %s, or the project does not exist '
                      '(GitLab answers 404 for both): %s' % (self.project, err))
        except GitLabValidationError as err:  # e.g. an unknown ref, or rules that leave no job
            if tree.variables_denied(err.gitlab_message):
                self.fail(tree.variables_message(self.project, self.variables_role(), trigger=bool(p['trigger_token'])), status=err.status)
            self.fail('GitLab did not start a pipeline on ref %s of project %s: %s' % (p['ref'], self.project, err), status=err.status)
        except GitLabError as err:
            if not lost.maybe_applied(err):
                raise
            pipeline = self.find_started(err, (sent, wall_sent), how)
            self.note('started pipeline %s on ref %s %s (GitLab\'s answer was lost: %s; the pipeline was found among the '
                      'pipelines of the ref)' % (pipeline['id'], p['ref'], how, lost.lost_reason(err)), changed=True)
        else:
            self.note('started pipeline %s on ref %s %s' % (pipeline['id'], p['ref'], how), changed=True)
        if p['trigger_token'] and not p['api_token']:
            # A trigger token starts a pipeline but cannot read it (validate_params keeps name and
            # wait out): report the pipeline as GitLab answered.
            self.result['pipeline'] = logic.public_pipeline(pipeline, [])
            return None
        # Waiting on the pipeline alone needs nothing more now: the answer is the pipeline, the polls bring its
        # jobs. A name to find, or a result without waiting, reads the jobs (every page) at once.
        self.tree = self.new_tree(pipeline, follow=p['follow_downstream'] and bool(p['wait'] or p['name']),
                                  all_pages=p['name'] is not None or not p['wait'])
        if p['name'] is None and p['wait']:
            self.result['pipeline'] = self.tree.public()
            self.wait_pipeline()
            return None
        self.poll_tree()
        self.result['pipeline'] = self.tree.public()
        if p['name'] is None:
            return None
        return self.job_in_new_pipeline()

    def variables_role(self):
        """The project's ci_pipeline_variables_minimum_override_role, or None when the token cannot read it.

        GET /projects/:id shows it to Maintainers (lib/api/entities/project.rb, GitLab 17.7+).
        """
        try:
            answer = self.client.get_project(self.root_project)
        except GitLabError:
            return None
        return answer.get('ci_pipeline_variables_minimum_override_role') if isinstance(answer, dict) else None

    def find_started(self, err, sent, how):
        """After a lost answer: the one pipeline of the ref with our source created since ``sent`` (``(monotonic,
        wall)`` when sending; on GitLab's clock from the Date of the answer that lists them, or the host's if
        earlier), or fail saying what is known."""
        p = self.params
        page = lost.pipelines_page(self.client.base_url, self.result.get('project_path'), p['ref'])
        sources = lost.pipeline_sources(bool(p['trigger_token']))
        looks = 3 if lost.may_still_run(err) else 1
        decision, found = 'none', None
        for look in range(looks):
            try:
                listed = self.client.list_pipelines(self.project, {'ref': p['ref'], 'order_by': 'id', 'sort': 'desc'},
                                                    limit=lost.LOOK_BACK)
            except GitLabError as again:
                self.fail(lost.pipeline_unknown_message(p['ref'], self.project, how, err, [], page,
                                                        why='reading the pipelines back failed too: %s' % lost.lost_reason(again)))
            date = self.client.server_date()
            since = lost.server_time_of_send(date, sent[0], CLOCK(), wall_sent=sent[1])
            if since is None:
                self.fail(lost.pipeline_unknown_message(p['ref'], self.project, how, err, [], page,
                                                        why='GitLab\'s answers carry no Date header, so a new pipeline '
                                                            'cannot be told from older ones'))
            problem = lost.clocks_disagree(date, WALL())
            if problem:
                self.fail(lost.pipeline_unknown_message(p['ref'], self.project, how, err, [], page, why=problem))
            candidates = lost.new_pipelines(listed, since, sources)
            decision, found = lost.pipeline_decision(candidates, lost.complete_look(listed, since, lost.LOOK_BACK), since)
            if decision != 'none':
                break
            if look < looks - 1:
                self.client.pause(look)
        if decision == 'none':
            self.fail(lost.pipeline_none_message(p['ref'], self.project, how, err, page))
        if decision == 'unknown':
            self.fail(lost.pipeline_unknown_message(p['ref'], self.project, how, err, found, page))
        try:
            return lost.check_answer(self.client.get_pipeline(self.project, found['id']), 'GET', '', expect=('id',))
        except GitLabError:
            return found

    def job_in_new_pipeline(self):
        """The job O(name) of the tree just started; waits until it appears (a child pipeline starts later)."""
        t = self.tree

        def found(dummy):
            node, job, problem = t.pick(self.params['name'], self.params['downstream'])
            return job is not None or problem is not None or t.finished()

        if not found(None):
            dummy, dummy, dummy = self.wait(self.poll_tree, found, initial=t, fresh=True)
            self.result['pipeline'] = t.public()
        return self.pick_in_tree()

    def no_such_job(self):
        root = self.tree.node(self.tree.root)['pipeline']
        where = ('in the tree of pipeline %s' % root.get('id')) if len(self.tree.nodes) > 1 else 'in pipeline %s' % root.get('id')
        if self.params['downstream'] is not None:
            where += ' at downstream %s' % list(self.params['downstream'])
        return ('no job named %s %s (ref %s, status %s) of project %s; its jobs: %s%s'
                % (self.params['name'], where, root.get('ref'), root.get('status'), self.root_project,
                   ', '.join(self.tree.job_names()) or 'none',
                   '' if self.tree.follow else ' (follow_downstream=false: jobs of downstream pipelines are not searched)'))

    # ---- pipeline trees -------------------------------------------------------------------------

    def new_tree(self, pipeline, follow=None, all_pages=True):
        follow = self.params['follow_downstream'] if follow is None else follow
        return tree.Tree(pipeline, self.root_project, self.result.get('project_path'), follow=follow,
                         prefix=urlsplit(self.client.base_url).path, all_pages=all_pages)

    def poll_tree(self):
        """One poll (or the first read of a tree): each pipeline still running costs one request, its jobs list
        (which carries its status); more pages, trigger jobs and the new downstream pipelines when _tree says so."""
        t = self.tree
        todo = t.to_read()
        while todo:
            for pid in todo:
                self.read_node(pid)
            todo = t.unread()
        return t

    def read_node(self, pid):
        t = self.tree
        node = t.node(pid)
        where = node['project']
        try:
            if t.needs_jobs(pid):
                # A pipeline of trigger jobs only has no job to carry its status: it is read itself (GitLab creates
                # every job with the pipeline, so a list found empty stays so).
                if node['jobs'] == []:
                    jobs = []
                elif t.all_pages:
                    jobs = self.client.list_pipeline_jobs(where, pid)
                else:
                    jobs = self.client.list_pipeline_jobs(where, pid, limit=tree.PAGE)
                t.read_jobs(pid, jobs, None if jobs else self.client.get_pipeline(where, pid), every_page=t.all_pages)
                if t.needs_pages(pid):
                    t.add_pages(pid, self.client.list_pipeline_jobs(where, pid, page=2))
            if t.needs_bridges(pid):
                t.set_bridges(pid, self.client.list_pipeline_bridges(where, pid))
        except (GitLabPermissionError, GitLabNotFoundError) as err:
            if node['bridge'] is None:
                raise
            self.fail('%s cannot be read with this token (%s); give a token that can read that project, or '
                      'follow_downstream=false to wait on the parent pipeline alone' % (tree.describe_node(node), err),
                      pipeline=t.public())

    def complete_root(self):
        """The root pipeline read once more when its end was seen in its job list (which lacks finished_at)."""
        t = self.tree
        if t.needs_full(t.root):
            t.set_pipeline(t.root, self.client.get_pipeline(t.node(t.root)['project'], t.root))

    def wait_pipeline(self):
        t = self.tree
        dummy, elapsed, finished = self.wait(self.poll_tree, lambda dummy: t.finished(), initial=t, fresh=True)
        if finished:
            self.complete_root()
        self.result['pipeline'] = self.tree_result()
        root = t.node(t.root)['pipeline']
        what = ('pipeline %s to finish' % root['id']) if len(t.nodes) == 1 else 'the tree of pipeline %s (%d pipelines) to finish' % (
            root['id'], len(t.nodes))
        if not finished:
            self.fail(logic.timeout_message(what, tree.timeout_status(t), elapsed, self.params['wait_timeout']))
        self.note('waited %.1f s for %s (%s)' % (elapsed, what, t.status(self.params['fail_on'])))
        self.check_tree_outcome()

    def check_tree_outcome(self):
        t = self.tree
        status, blamed, broken = t.outcome(self.params['fail_on'])
        if not status:
            return
        root = t.node(t.root)['pipeline']
        head = 'pipeline %s on ref %s' % (root['id'], root.get('ref'))
        text = '%s ended with status %s' % (head if len(t.nodes) == 1 else 'the tree of ' + head, status)
        parts = [tree.bridge_message(node, bridge) for node, bridge in broken]
        if blamed:
            node, job = blamed[0]
            text += '; failing jobs: %s' % ', '.join(
                '%s (%s, %s)%s' % (j.get('name'), j.get('id'), j.get('status'), '' if n['bridge'] is None else ' in ' + tree.describe_node(n))
                for n, j in blamed)
            tail = logic.tail_message(job, self.tail(job, node['project']), self.secrets)
            parts.append(tail if node['bridge'] is None else 'in %s: %s' % (tree.describe_node(node), tail))
        self.fail('\n'.join([text] + parts))

    def tree_result(self):
        result = self.tree.public()
        if self.tree.follow:
            result['tree_status'] = self.tree.status(self.params['fail_on'])
        return result

    def refresh_tree(self):
        if self.tree is None:
            return
        self.poll_tree()
        self.complete_root()
        self.result['pipeline'] = self.tree_result()

    # ---- finding a job --------------------------------------------------------------------------

    def find_job(self):
        p = self.params
        if p['job_id'] is not None:
            try:
                return self.client.get_job(self.project, p['job_id'])
            except GitLabNotFoundError:
                self.fail('job %s not found in project %s (or the project does not exist or the token cannot see it; '
                          'trigger jobs are not jobs here)' % (p['job_id'], self.project))
        self.tree = self.new_tree(self.find_pipeline())
        try:
            self.poll_tree()
        except GitLabNotFoundError:
            self.fail('pipeline %s not found in project %s' % (self.tree.root, self.project))
        self.result['pipeline'] = self.tree.public()
        return self.pick_in_tree()

    def pick_in_tree(self):
        """The job O(name) in the tree (O(downstream) picks the pipeline); a job of a downstream pipeline is then
        acted on in that pipeline's own project."""
        node, job, problem = self.tree.pick(self.params['name'], self.params['downstream'])
        if problem:
            self.fail(problem)
        if job is None:
            self.fail(self.no_such_job())
        if node['bridge'] is not None:
            self.project = node['project']
            self.note('found %s in %s' % (logic.describe_job(job), tree.describe_node(node)))
        return job

    def find_pipeline(self):
        p = self.params
        try:
            if p['pipeline_id'] is not None:
                return self.client.get_pipeline(self.project, p['pipeline_id'])
            pipeline = self.client.newest_pipeline(self.project, p['ref'], status='success' if p['latest_successful'] else None)
        except GitLabNotFoundError:
            if p['pipeline_id'] is not None:
                self.fail('pipeline %s not found in project %s' % (p['pipeline_id'], self.project))
            self.fail('project %s not found (or the token cannot see it)' % self.project)
        if pipeline is None:
            kind = 'successful pipeline' if p['latest_successful'] else 'pipeline'
            self.fail('no %s for ref %s in project %s' % (kind, p['ref'], self.project))
        return pipeline

    # ---- acting on the job ----------------------------------------------------------------------

    def apply_state(self, job):
        """Carry out the state; return the job to go on with, or None when nothing more is evaluated."""
        state = self.params['state']
        action, reason = logic.action_for(state, job)
        if action == 'wait_playable':
            if self.check:
                self.note('would wait until %s becomes playable, then play it' % logic.describe_job(job), changed=True)
                self.result['job'] = logic.public_job(job)
                return None
            job = self.wait_playable(job)
            action, reason = logic.action_for(state, job, after_wait=True)
        if action == 'error':
            self.fail(reason, job=logic.public_job(job))
        if action == 'none':
            self.note(reason)
            return job
        if self.check:
            self.note('would %s %s' % (action, logic.describe_job(job)), changed=True)
            self.result['job'] = logic.public_job(job)
            return None
        do = {'cancel': self.do_cancel, 'play': self.do_play, 'erase': self.do_erase, 'retry': self.do_retry}
        return do[action](job)

    def wait_playable(self, job):
        job, elapsed, finished = self.wait(lambda: self.client.get_job(self.project, job['id']), lambda j: j.get('status') != 'created', initial=job)
        what = '%s to become playable' % logic.describe_job(job)
        if not finished:
            self.fail(logic.timeout_message(what, job.get('status'), elapsed, self.params['wait_timeout']), job=logic.public_job(job))
        self.note('waited %.1f s for %s (%s)' % (elapsed, what, job.get('status')))
        return job

    def do_cancel(self, job):
        try:
            answer = self.act('cancel', job, lambda: self.client.cancel_job(self.project, job['id']))
        except GitLabError as err:
            answer = self.lost_action('cancel', job, err)
        # GitLab answers 201 with the unchanged job when it finished in the meantime.
        if answer.get('status') in ('canceling', 'canceled'):
            self.note('canceled %s' % logic.describe_job(job), changed=True)
        else:
            self.note('%s finished (%s) before it could be canceled' % (logic.describe_job(job), answer.get('status')))
        return answer

    def do_play(self, job):
        try:
            answer = self.act('play', job, lambda: self.client.play_job(self.project, job['id'], job_variables=self.job_variables))
        except GitLabValidationError as err:
            self.fail('%s cannot be played: GitLab answered "%s" (it is %s); only manual or scheduled jobs can be played'
                      % (logic.describe_job(job), err.gitlab_message, job.get('status')), job=logic.public_job(job))
        except GitLabError as err:
            answer = self.lost_action('play', job, err)
        self.note('played %s' % logic.describe_job(job), changed=True)
        return answer

    def do_erase(self, job):
        try:
            answer = self.act('erase', job, lambda: self.client.erase_job(self.project, job['id']))
        except GitLabPermissionError as err:
            self.fail('%s (%s) cannot be erased: GitLab answered "%s" (a job without log or artifacts, or an archived job, '
                      'cannot be erased; otherwise check the token\'s role)' % (logic.describe_job(job), job.get('status'), err.gitlab_message),
                      job=logic.public_job(job))
        except GitLabError as err:
            answer = self.lost_action('erase', job, err)
        self.note('erased %s' % logic.describe_job(job), changed=True)
        return answer

    def do_retry(self, job):
        try:
            answer = self.act('retry', job, lambda: self.client.retry_job(self.project, job['id']))
        except GitLabPermissionError as err:
            self.fail('%s (%s) cannot be retried: GitLab answered "%s" (a job that was already retried cannot be retried '
                      'again; retry the newest one)' % (logic.describe_job(job), job.get('status'), err.gitlab_message),
                      job=logic.public_job(job))
        except GitLabError as err:
            answer = self.lost_action('retry', job, err)
        self.result['previous_job'] = {'id': job['id'], 'status': job.get('status')}
        self.note('retried %s: the new job is %s' % (logic.describe_job(job), answer.get('id')), changed=True)
        return answer

    # ---- actions whose answer was lost ---------------------------------------------------------

    def act(self, action, job, send):
        """Send a job action; an answer that is not a job raises like a lost answer."""
        path = '/api/v4/projects/%s/jobs/%s/%s' % (self.project, job['id'], 'artifacts/keep' if action == 'keep' else action)
        return lost.check_answer(send(), 'POST', path, expect=('id', 'status'))

    def lost_action(self, action, job, err):
        """After a job action whose answer was lost: read the job again and return it as it is now.

        Fails when the action was clearly not applied (it can be sent again) or when it cannot be told.
        A retry creates a new job, found in the job's pipeline (same name, higher id, the old one retried).
        """
        if not lost.maybe_applied(err):
            raise err
        who = logic.describe_job(job)
        head = 'GitLab\'s answer to %s %s was lost (%s)' % (lost.ACTION_WORDS[action], who, lost.lost_reason(err))
        try:
            if action == 'retry':
                jobs = self.client.list_pipeline_jobs(self.project, (job.get('pipeline') or {}).get('id'))
            else:
                now = self.client.get_job(self.project, job['id'])
        except GitLabError as again:
            self.fail('%s and reading the job again failed too (%s): the %s may have been applied; look at %s before running the '
                      'task again' % (head, lost.lost_reason(again), action, job.get('web_url') or who), job=logic.public_job(job))
        if action == 'retry':
            outcome, now = lost.retry_outcome(job, jobs)
        else:
            outcome = lost.action_outcome(action, now)
        if outcome == 'applied':
            self.note('%s; reading the job again shows the %s was applied' % (head, action))
            return now
        if outcome == 'finished':
            self.note('%s; reading the job again shows it %s' % (head, now.get('status')))
            return now
        if outcome == 'not_applied':
            self.fail('%s and reading the job again shows it was not applied: %s is %s. Nothing was changed; the task can be run '
                      'again' % (head, who, now.get('status')), job=logic.public_job(now))
        self.fail('%s, and it cannot be told whether GitLab applied it%s; look at %s before running the task again'
                  % (head, lost.describe_retry_candidates(now) if action == 'retry' else ' (%s is %s)' % (who, now.get('status')),
                     job.get('web_url') or who), job=logic.public_job(job))
        return None

    # ---- waiting --------------------------------------------------------------------------------

    def wait(self, fetch, done, initial=None, fresh=False):
        """Poll until done or the task's wait_timeout is used up: ``(value, elapsed, finished)``.

        ``fresh``: ``initial`` was just read, so the first poll comes one interval later.

        While waiting, the client's deadline is the end of wait_timeout (unless the task's own deadline
        comes first), so an answer that arrives slowly cannot outlast it; the task's deadline is put back
        afterwards. The deadline passing is the usual timeout, with ``initial`` or the last value seen.
        """
        p = self.params
        remaining = p['wait_timeout'] - (CLOCK() - self.started)
        intervals = logic.poll_intervals(p['poll_interval'], logic.interval_cap(p['wait_timeout'], p['poll_interval_max']))
        seen = [initial]

        def fetch_and_keep():
            seen[0] = fetch()
            return seen[0]

        reason = 'wait_timeout=%s' % p['wait_timeout']
        saved = self.bound_client(remaining, reason)
        start = CLOCK()
        try:
            if fresh:
                return logic.wait_for(fetch_and_keep, done, remaining, intervals, sleep=SLEEP, clock=CLOCK, initial=initial)
            return logic.wait_for(fetch_and_keep, done, remaining, intervals, sleep=SLEEP, clock=CLOCK)
        except GitLabError as err:
            if not isinstance(err, lost.DEADLINE_ERROR) or getattr(self.client, 'deadline_reason', None) != reason:
                raise
            return seen[0], CLOCK() - start, False
        finally:
            self.unbound_client(saved)

    def bound_client(self, seconds, reason):
        """Make the client's deadline ``seconds`` from now unless its own comes first; return what to put back.

        A client without deadlines (set_deadline) is left alone.
        """
        if not hasattr(self.client, 'set_deadline'):
            return None
        saved = (getattr(self.client, 'deadline', None), getattr(self.client, 'deadline_reason', None))
        if saved[0] is None or saved[0] - time.monotonic() > seconds:
            self.client.set_deadline(max(0.0, seconds), reason)
        return saved

    def unbound_client(self, saved):
        if saved is None:
            return
        if saved[0] is None:
            self.client.clear_deadline()
        else:
            self.client.deadline, self.client.deadline_reason = saved

    def wait_job(self, job):
        if logic.job_finished(job):
            return job
        job, elapsed, finished = self.wait(lambda: self.client.get_job(self.project, job['id']), logic.job_finished, initial=job)
        what = '%s to finish' % logic.describe_job(job)
        if not finished:
            self.fail(logic.timeout_message(what, job.get('status'), elapsed, self.params['wait_timeout']), job=logic.public_job(job))
        self.note('waited %.1f s for %s (%s)' % (elapsed, what, job.get('status')))
        return job

    def check_job_outcome(self, job):
        if self.params['state'] in ('canceled', 'erased'):
            return
        if logic.job_outcome(job, self.params['fail_on']):
            self.fail(logic.tail_message(job, self.tail(job), self.secrets))

    def tail(self, job, project=None):
        count = self.params['log_lines']
        count = logic.DEFAULT_TAIL_LINES if count is None else count
        if not count:
            return None
        return logic.clean_log_lines(self.client.job_log_tail(project or self.project, job['id'], count))

    # ---- artifacts and logs ---------------------------------------------------------------------

    def require_artifacts(self, job, what):
        if logic.has_artifacts(job):
            return
        why = 'they were erased at %s' % job['erased_at'] if job.get('erased_at') else 'none were uploaded, or they expired'
        self.fail('%s has no artifacts %s (%s; its status is %s)' % (logic.describe_job(job), what, why, job.get('status')),
                  job=logic.public_job(job))

    def keep(self, job):
        self.require_artifacts(job, 'to keep')
        who = logic.describe_job(job)
        if logic.artifacts_expired(job):
            self.fail('the artifacts of %s expired at %s and cannot be kept any more (GitLab keeps only artifacts that '
                      'have not expired)' % (who, job.get('artifacts_expire_at')), job=logic.public_job(job))
        if not logic.needs_keep(job):
            self.note('the artifacts of %s are already kept' % who)
            return job
        if self.check:
            self.note('would keep the artifacts of %s (they expire at %s)' % (who, job['artifacts_expire_at']), changed=True)
            return job
        try:
            job = self.act('keep', job, lambda: self.client.keep_artifacts(self.project, job['id']))
        except GitLabError as err:
            job = self.lost_action('keep', job, err)
        self.result['job'] = logic.public_job(job)
        self.note('kept the artifacts of %s' % who, changed=True)
        return job

    def artifacts_target(self, job):
        """The file artifacts_dest names for this job (a directory gets the archive's or the file's name)."""
        p = self.params
        dest = _files.absolute(p['artifacts_dest'])
        if not os.path.isdir(dest):
            return dest
        directory = os.path.normpath(dest)
        if p['artifact_path']:
            name = p['artifact_path'].rstrip('/').rsplit('/', 1)[-1]
        else:
            filename = (logic.archive_of(job) or {}).get('filename')
            name, warning = _files.server_file_name(filename) if filename is not None else (_files.FALLBACK_ARCHIVE_NAME, None)
            if warning:
                self.module.warn('%s: %s' % (logic.describe_job(job), warning))
        try:
            return _files.file_in(directory, name, 'artifacts_dest', not_same=('log_dest', p['log_dest']))
        except _files.FileError as err:
            self.fail(str(err))

    def fetch_artifacts(self, job):
        self.require_artifacts(job, 'to download')
        p = self.params
        dest = self.artifacts_target(job)
        project_id = (job.get('pipeline') or {}).get('project_id') or self.project
        identity = logic.expected_record(project_id, job['id'], p['artifact_path'])
        what = ('%s of the artifacts' % p['artifact_path']) if p['artifact_path'] else 'the artifacts archive'
        info = self.sync_file(dest, lambda handle: self.download_artifacts(job, handle), identity=identity, force=p['force'])
        self.note_file(info, 'download', '%s of %s' % (what, logic.describe_job(job)))
        return info

    def download_artifacts(self, job, handle):
        p = self.params
        try:
            if p['artifact_path']:
                return self.client.download_artifact_file(self.project, job['id'], p['artifact_path'], handle,
                                                          max_size=p['artifacts_max_size'])
            return self.client.download_artifacts(self.project, job['id'], handle, max_size=p['artifacts_max_size'],
                                                  size=(logic.archive_of(job) or {}).get('size'))
        except GitLabNotFoundError:
            if p['artifact_path'] and logic.artifacts_expired(job):
                self.fail('there is no file %s in the artifacts of %s: GitLab answered 404, and its artifacts expired at %s '
                          '(GitLab serves single files only from artifacts that have not expired, or of the latest successful '
                          'pipeline of a ref; the whole archive may still download without artifact_path)'
                          % (p['artifact_path'], logic.describe_job(job), job.get('artifacts_expire_at')), job=logic.public_job(job))
            if p['artifact_path']:
                self.fail('there is no file %s in the artifacts of %s' % (p['artifact_path'], logic.describe_job(job)), job=logic.public_job(job))
            expired = ' (they expired at %s and GitLab has removed them)' % job.get('artifacts_expire_at') if logic.artifacts_expired(job) else ''
            self.fail('%s has no artifacts archive to download (GitLab answered 404)%s' % (logic.describe_job(job), expired),
                      job=logic.public_job(job))

    def sync_file(self, dest, fetch, **how):
        """Bring ``dest`` on the host to what ``fetch(handle)`` streams (_files.HostFiles.sync); host failures fail the task."""
        files = _files.HostFiles(self.module, self.params)
        try:
            try:
                return files.sync(dest, fetch, **how)
            finally:
                if files.leftovers:
                    self.note('removed what killed runs left: %s' % ', '.join(files.leftovers), changed=True)
        except _files.FileError as err:
            self.fail(str(err))

    def note_file(self, info, verb, what):
        """Say what sync_file() did to ``info['path']``: ``verb`` (download or write) ``what``."""
        outcome, dest = info.pop('outcome'), info['path']
        if outcome == 'would write':
            self.note('would %s %s to %s' % (verb, what, dest), changed=True)
        elif outcome == 'written':
            self.note('%s %s to %s' % ({'download': 'downloaded', 'write': 'wrote'}[verb], what, dest), changed=True)
        else:
            self.note('%s already holds %s' % (dest, what))
        if outcome in ('kept', 'same') and info['changed']:
            self.note('%s %s the mode, owner, group or attributes asked for' % ('would give' if self.check else 'gave', dest),
                      changed=True)

    def fetch_log(self, job):
        p = self.params
        info = {}
        if p['log_dest']:
            info = self.write_log(job)
        if p['log_lines'] is not None:
            info['lines'] = logic.clean_log_lines(self.client.job_log_tail(self.project, job['id'], p['log_lines'])) if p['log_lines'] else []
        return info

    def write_log(self, job):
        info = self.sync_file(_files.absolute(self.params['log_dest']),
                              lambda handle: self.client.download_job_log(self.project, job['id'], handle),
                              digest=lambda: self.client.job_log_digest(self.project, job['id']))
        self.note_file(info, 'write', 'the log of %s' % logic.describe_job(job))
        return info


def run(module):
    """Validate every option before the first request, then carry out the task."""
    problems = logic.validate_params(module.params)
    if problems:
        raise InputError(problems)
    task = JobTask(module, build_client(module))
    try:
        return task.run()
    except GitLabError as err:
        err.result = task.partial()
        raise


def main():
    run_module(argument_spec(), run, early_secrets=logic.secret_values, supports_check_mode=True, add_file_common_args=True)


if __name__ == '__main__':
    main()
