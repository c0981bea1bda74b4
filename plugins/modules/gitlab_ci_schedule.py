#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cicd.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: gitlab_ci_schedule
short_description: Manage pipeline schedules of a GitLab project, and run one now
version_added: 0.2.0
author: cicd.gitlab contributors (@cicd-gitlab)
description:
  - Create, update and delete pipeline schedules of a GitLab project with their variables, take
    ownership of a schedule, and play a schedule now (optionally waiting for the pipeline it starts).
  - A schedule is identified by its O(description). When several schedules of the project share it the
    task fails and lists their ids; nothing is changed.
  - An existing schedule is updated in place - never deleted and re-created - with one request for all its
    fields that differ, and one request per variable that must be created, changed or deleted.
  - Every option, the O(cron) syntax included, is checked before the first request that writes; if one
    is invalid, nothing is changed.
  - GitLab lets only the owner of a schedule edit it or its variables. Editing a schedule that someone else
    owns fails with a message naming the owner, unless O(take_ownership=true).
  - A schedule runs as its owner. When the owner is blocked, or has less than the Developer role in the
    project, the schedule does not run; the module warns.
  - An unchanged run costs three requests (the list, the schedule, the owner's membership), plus one per
    100 schedules beyond the first 100.
extends_documentation_fragment:
  - cicd.gitlab.connection
  - cicd.gitlab.attributes
  - cicd.gitlab.attributes.actiongroup
attributes:
  check_mode:
    support: full
    details:
      - Check mode reads the same and plans the same, and sends no write. A schedule that would be created
        has no id and no RV(schedule.next_run_at) yet; with O(state=ran) no pipeline is started.
  diff_mode:
    support: full
    details:
      - The diff shows the schedule's fields, owner and variables before and after; variable values are
        always shown as C(********), with C((changed)) after a value that changes.
  idempotent:
    support: partial
    details:
      - O(state=ran) starts a pipeline and reports a change on every run.
options:
  project:
    description:
      - The project whose pipeline schedules to manage, as a numeric id or a full path such as V(acme/app).
    type: str
    required: true
  description:
    description:
      - The description of the schedule, which identifies it. Must not be empty.
    type: str
    required: true
  ref:
    description:
      - The branch or tag the schedule runs for. GitLab stores V(main) as C(refs/heads/main) and shows it
        so in RV(schedule.ref); the module treats both as the same.
      - Required when the schedule is created; when omitted, an existing schedule keeps its ref.
    type: str
  cron:
    description:
      - When the schedule runs, in cron syntax with five fields (minute hour day-of-month month day-of-week,
        for example V(0 1 * * *)), or one of V(@hourly), V(@daily), V(@weekly), V(@monthly), V(@yearly).
      - Checked before any write, with a message that says what is wrong. Lists (V(1,15)), ranges (V(1-5)),
        steps (V(*/10)), and month and day names (V(JAN), V(MON)) are accepted; the extensions of GitLab's cron
        parser beyond the five standard fields (a seconds field, C(L), C(#)) are refused.
      - Required when the schedule is created; when omitted, an existing schedule keeps its cron.
    type: str
  cron_timezone:
    description:
      - The time zone of O(cron), an IANA name such as V(Europe/Berlin).
      - Checked on the host that runs the module when it has a time zone database; GitLab checks it too.
      - When omitted, a new schedule uses V(UTC) and an existing one keeps its time zone.
    type: str
  active:
    description:
      - Whether the schedule runs. When omitted, a new schedule is active and an existing one keeps its setting.
    type: bool
  variables:
    description:
      - The schedule's variables, each C({key, value, variable_type}) (C(variable_type) V(env_var), the default,
        or V(file)). Each variable is created, updated (only what differs) or left alone, key by key.
      - Variables of the schedule not listed are kept, unless O(purge_variables=true).
      - When omitted, the variables are left alone.
      - Values are secrets; they never appear in the result, the diff or messages.
    type: list
    elements: raw
  purge_variables:
    description:
      - Delete the schedule's variables that are not in O(variables). V(variables=[]) with this deletes them all.
    type: bool
    default: false
  take_ownership:
    description:
      - Make the user of O(api_token) the owner of the schedule first when someone else owns it (needs the
        Maintainer role). The previous owner is returned in RV(previous_owner). The schedule then runs as you.
    type: bool
    default: false
  state:
    description:
      - V(present) creates or updates the schedule.
      - V(absent) deletes it; none is not an error. Only O(project) and O(description) may be given.
      - V(ran) does what V(present) does, then plays the schedule now (a pipeline of its ref with its
        variables, started as the user of O(api_token)); the next scheduled run is not affected.
    type: str
    choices: [present, absent, ran]
    default: present
  wait:
    description:
      - With O(state=ran), find the pipeline the play started and wait until it has finished, as
        M(cicd.gitlab.gitlab_ci_job) does, then apply O(fail_on). The pipeline is returned in RV(pipeline).
    type: bool
    default: false
  wait_timeout:
    description:
      - The most seconds to wait for the pipeline (and for GitLab to start it), in total.
    type: int
    default: 600
  poll_interval:
    description:
      - Seconds before the first poll while waiting; each later interval is a quarter longer, at most O(poll_interval_max).
    type: float
    default: 5
  poll_interval_max:
    description:
      - The longest interval between two polls while waiting (or O(wait_timeout) when shorter).
    type: float
    default: 10
  fail_on:
    description:
      - The final pipeline statuses that fail the task after waiting; jobs allowed to fail never do.
    type: list
    elements: str
    choices: [failed, canceled, skipped]
    default: [failed, canceled]
notes:
  - Creating a schedule needs the Developer role; taking ownership and deleting need the Maintainer role
    (or owning the schedule); editing needs to own it. Setting variables also needs the project's minimum role
    for pipeline variables.
  - Only owners and Maintainers see a schedule's variables. With O(variables) and a token that cannot see
    them, the task fails and says so.
  - GitLab runs a schedule no earlier than the next tick of its schedule worker; RV(schedule.next_run_at) is
    GitLab's own answer.
seealso:
  - name: GitLab pipeline schedules API
    description: The API this module uses.
    link: https://docs.gitlab.com/api/pipeline_schedules/
  - name: Scheduled pipelines
    description: How schedules run, and as whom.
    link: https://docs.gitlab.com/ci/pipelines/schedules/
  - module: cicd.gitlab.gitlab_ci_job
    description: Start pipelines and wait for them.
'''

EXAMPLES = r'''
- name: A nightly build of main, with one variable
  cicd.gitlab.gitlab_ci_schedule:
    api_url: https://gitlab.example.com
    api_token: "{{ gitlab_token }}"
    project: acme/app
    description: nightly
    ref: main
    cron: "0 1 * * *"
    cron_timezone: Europe/Berlin
    variables:
      - {key: NIGHTLY, value: "1"}
      - {key: DEPLOY_KEY, value: "{{ deploy_key }}", variable_type: file}

- name: Take over a schedule whose owner left, and pause it
  cicd.gitlab.gitlab_ci_schedule:
    api_url: https://gitlab.example.com
    api_token: "{{ gitlab_token }}"
    project: acme/app
    description: weekly compliance scan
    active: false
    take_ownership: true

- name: Run the nightly schedule now and wait for its pipeline
  cicd.gitlab.gitlab_ci_schedule:
    api_url: https://gitlab.example.com
    api_token: "{{ gitlab_token }}"
    project: acme/app
    description: nightly
    state: ran
    wait: true
    wait_timeout: 1800
  register: nightly_run

- name: Delete a schedule
  cicd.gitlab.gitlab_ci_schedule:
    api_url: https://gitlab.example.com
    api_token: "{{ gitlab_token }}"
    project: acme/app
    description: old cleanup
    state: absent
'''

RETURN = r'''
schedule:
  description:
    - The schedule after the task (for O(state=absent), the schedule deleted; V(null) when there was none).
    - In check mode, what it would be.
  returned: success
  type: dict
  contains:
    id:
      description: The schedule's id (V(null) in check mode for a schedule that would be created).
      type: int
      sample: 12
    description:
      description: The description.
      type: str
      sample: nightly
    ref:
      description: The ref as GitLab stores it.
      type: str
      sample: refs/heads/main
    cron:
      description: The cron.
      type: str
      sample: 0 1 * * *
    cron_timezone:
      description: The time zone of the cron.
      type: str
      sample: Europe/Berlin
    active:
      description: Whether the schedule runs.
      type: bool
      sample: true
    owner:
      description: The username of the owner, who the schedule runs as.
      type: str
      sample: ops-bot
    next_run_at:
      description: When GitLab runs the schedule next (ISO 8601).
      type: str
      sample: '2026-12-03T00:03:00.000Z'
    last_pipeline:
      description: The last pipeline the schedule started (C(id), C(status), C(ref), C(source), C(web_url), C(created_at)), or V(null).
      type: dict
      sample: {id: 51, status: success, ref: main, source: schedule, web_url: 'https://gitlab.example.com/acme/app/-/pipelines/51'}
    variables:
      description:
        - The schedule's variables as C(key) and C(variable_type), by key; never their values.
        - V(null) when the token cannot see them (only owners and Maintainers do).
      type: list
      elements: dict
      sample: [{key: NIGHTLY, variable_type: env_var}]
previous_owner:
  description: The username of the owner before O(take_ownership) took the schedule over.
  returned: when ownership was taken (or would be, in check mode)
  type: str
  sample: alice
pipeline:
  description:
    - The pipeline the play started, as M(cicd.gitlab.gitlab_ci_job) returns a pipeline (with its jobs), as last seen.
  returned: with O(state=ran) and O(wait=true), outside check mode
  type: dict
  sample: {id: 52, status: success, ref: main, source: schedule, jobs: [{id: 90, name: build, stage: build, status: success}]}
'''

import time

from ansible_collections.cicd.gitlab.plugins.module_utils._module import TaskFailure, build_client, gitlab_argument_spec, run_module
from ansible_collections.cicd.gitlab.plugins.module_utils._errors import GitLabError, InputError
from ansible_collections.cicd.gitlab.plugins.module_utils import _jobs as jobs_logic
from ansible_collections.cicd.gitlab.plugins.module_utils import _schedules as logic

SLEEP = time.sleep
CLOCK = time.monotonic


def argument_spec():
    spec = gitlab_argument_spec()
    spec.update(
        project=dict(type='str', required=True),
        description=dict(type='str', required=True),
        ref=dict(type='str'),
        cron=dict(type='str'),
        cron_timezone=dict(type='str'),
        active=dict(type='bool'),
        # Raw items checked by _schedules.validate (messages naming variables[N]); see gitlab_ci_variable
        # for why these are not sub-options. Their values are registered as secrets first (value_secrets).
        variables=dict(type='list', elements='raw'),
        purge_variables=dict(type='bool', default=False),
        take_ownership=dict(type='bool', default=False),
        state=dict(type='str', default='present', choices=list(logic.STATES)),
        wait=dict(type='bool', default=False),
        wait_timeout=dict(type='int', default=600),
        poll_interval=dict(type='float', default=5),
        poll_interval_max=dict(type='float', default=10),
        fail_on=dict(type='list', elements='str', default=['failed', 'canceled'], choices=['failed', 'canceled', 'skipped']),
    )
    return spec


class Runner(logic.ScheduleRun):
    """One run: read, plan, own and write (_schedules.ScheduleRun, shared with the fleet module), then play and wait."""

    def __init__(self, module, wanted):
        super().__init__(build_client(module), wanted, check_mode=module.check_mode, diff=module._diff, warn=module.warn)
        self.module = module
        self.started = CLOCK()

    def after_apply(self, schedule):
        if self.wanted['state'] == 'ran':
            self.play(schedule)

    # ---- state=ran --------------------------------------------------------------------------------

    def play(self, schedule):
        self.result['changed'] = True
        if self.module.check_mode:
            return
        before = (schedule.get('last_pipeline') or {}).get('id')
        self.client.play_schedule(self.project, schedule['id'])
        if not self.module.params['wait']:
            return
        p = self.module.params
        cap = jobs_logic.interval_cap(p['wait_timeout'], p['poll_interval_max'])

        def remaining():
            return p['wait_timeout'] - (CLOCK() - self.started)

        def started():
            return self.client.get_schedule(self.project, schedule['id'])

        seen, elapsed, found = jobs_logic.wait_for(
            started, lambda item: (item.get('last_pipeline') or {}).get('id') not in (None, before),
            remaining(), jobs_logic.poll_intervals(min(p['poll_interval'], 1.0), cap), sleep=SLEEP, clock=CLOCK)
        if not found:
            raise TaskFailure('played pipeline schedule %s (%r) of project %s, but GitLab started no pipeline within %.1f s '
                              '(wait_timeout=%s); GitLab starts it in the background and drops it silently when it cannot be '
                              'created (no CI configuration, unknown ref, the player below Developer)'
                              % (schedule['id'], schedule.get('description'), self.project, elapsed, p['wait_timeout']),
                              **self.result)
        schedule.update(last_pipeline=seen.get('last_pipeline'))
        pipeline_id = seen['last_pipeline']['id']

        def fetch():
            return (self.client.get_pipeline(self.project, pipeline_id), self.client.list_pipeline_jobs(self.project, pipeline_id))

        (pipeline, jobs), elapsed, finished = jobs_logic.wait_for(
            fetch, lambda pair: jobs_logic.pipeline_finished(*pair), max(remaining(), 0),
            jobs_logic.poll_intervals(p['poll_interval'], cap), sleep=SLEEP, clock=CLOCK)
        self.result['pipeline'] = jobs_logic.public_pipeline(pipeline, jobs)
        schedule['last_pipeline'] = pipeline
        if not finished:
            raise TaskFailure(jobs_logic.timeout_message('pipeline %s to finish' % pipeline_id, pipeline.get('status'), elapsed,
                                                         p['wait_timeout']), **self.partial(schedule))
        status, blamed = jobs_logic.pipeline_outcome(pipeline, jobs, p['fail_on'])
        if status:
            text = 'pipeline %s of schedule %r (ref %s) ended with status %s' % (
                pipeline_id, schedule.get('description'), pipeline.get('ref'), status)
            if blamed:
                names = ['%s (%s, %s)' % (job.get('name'), job.get('id'), job.get('status')) for job in blamed]
                text += '; failing jobs: %s' % ', '.join(names)
                try:
                    lines = jobs_logic.clean_log_lines(self.client.job_log_tail(self.project, blamed[0]['id'], jobs_logic.DEFAULT_TAIL_LINES))
                except GitLabError:
                    lines = None
                text += '\n' + jobs_logic.tail_message(blamed[0], lines, ())
            raise TaskFailure(text, **self.partial(schedule))

    def partial(self, schedule):
        return dict(self.result, schedule=logic.public_schedule(schedule))


def run(module):
    wanted, problems = logic.validate(module.params)
    if problems:
        raise InputError(problems)
    return Runner(module, wanted).run()


def main():
    run_module(argument_spec(), run, early_secrets=logic.value_secrets, supports_check_mode=True)


if __name__ == '__main__':
    main()
