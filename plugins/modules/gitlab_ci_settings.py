#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cicd.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: gitlab_ci_settings
short_description: Declare the CI/CD variables, triggers, schedules and access of many GitLab projects and groups in one task
version_added: 0.1.0
author: cicd.gitlab contributors (@cicd-gitlab)
description:
  - One task for a fleet of owners. Brings each listed group and project (and each project picked by O(select))
    to its declared CI/CD variables, with an optional purge per owner, and makes sure each project's listed
    pipeline trigger tokens exist (or are deleted, or rotated).
  - Each project can also declare its pipeline schedules (C(schedules)), its CI/CD job token allowlist
    (C(job_token_scope)) and its CI/CD pipeline settings (C(pipeline_settings)), planned and applied by the same code
    as M(cicd.gitlab.gitlab_ci_schedule), M(cicd.gitlab.gitlab_ci_job_token_scope) and
    M(cicd.gitlab.gitlab_ci_pipeline_settings).
  - Each owner is planned exactly as M(cicd.gitlab.gitlab_ci_variable) and M(cicd.gitlab.gitlab_ci_trigger) plan
    it (identity by key and environment scope, in-place updates, masking rules, hidden variables, trigger
    ownership), and the owners are applied concurrently (O(concurrency) threads) through one HTTP connection pool.
  - An unchanged owner costs one request per 100 variables and one per 100 triggers (none for what it does not
    declare); O(select) costs one request per 100 projects of the group.
  - "A project's C(schedules) cost one list request (per 100 schedules) plus, per declared schedule, one C(GET) of the
    schedule (GitLab's list does not carry the variables) and one membership read per distinct owner (to warn when the
    owner can no longer run it); C(GET /user) is read once per task, only when ownership must be compared (an update,
    C(take_ownership), a check-mode create). C(job_token_scope) costs the scope and its two allowlists
    (three requests) plus one per entry not on the allowlist yet; C(pipeline_settings) none beyond the project's C(GET),
    which both share (one request)."
  - One owner's failure does not stop the others. Every owner is planned and, outside check mode, applied;
    the task fails at the end when any owner failed, and RV(owners) lists each owner's outcome.
  - "Rate limits are one budget for every thread: a 429 pauses every thread (for C(Retry-After), else until
    C(RateLimit-Reset)); where GitLab sends C(RateLimit-Remaining), requests stop when the window is used up
    and go on when it resets; O(max_requests_per_minute) spaces requests for instances that limit without
    saying so."
  - Values are never returned, never shown in the diff and never included in messages.
extends_documentation_fragment:
  - cicd.gitlab.connection
  - cicd.gitlab.attributes
  - cicd.gitlab.attributes.actiongroup
attributes:
  check_mode:
    support: full
    details:
      - Lists and plans every owner (and the selection) and writes nothing; RV(owners) shows which projects
        were selected and what would change.
  diff_mode:
    support: full
    details:
      - One diff per changed owner's variables and per changed trigger, schedule, job token scope and pipeline
        settings, as the single-owner modules show them (values as markers, never in clear; never a token).
  idempotent:
    support: partial
    details:
      - As M(cicd.gitlab.gitlab_ci_variable) (hidden values with O(value_update=always)) and
        M(cicd.gitlab.gitlab_ci_trigger) (triggers with C(rotate=true) change on every run).
options:
  projects:
    description:
      - The projects to manage, each a dictionary with C(project) (a numeric id or a full path, required),
        C(variables) (a list of variables with the fields of O(cicd.gitlab.gitlab_ci_variable#module:variables)),
        C(purge) (remove every variable not listed; default V(false)) and C(triggers) (a list of
        C({description, state, expires_at, rotate}), as the options of M(cicd.gitlab.gitlab_ci_trigger)).
      - C(schedules) is a list of pipeline schedules with the options of M(cicd.gitlab.gitlab_ci_schedule),
        C({description, ref, cron, cron_timezone, active, variables, purge_variables, state, take_ownership}) with
        C(state) V(present) (default) or V(absent). C(state=ran) and C(wait) are not offered here (a fleet task
        declares, it does not run pipelines); use M(cicd.gitlab.gitlab_ci_schedule). Schedules not listed are left alone.
      - "C(job_token_scope) is C({enabled, allowlist: {projects, groups}, purge, purge_all}), the options of
        M(cicd.gitlab.gitlab_ci_job_token_scope); a purge that would leave the allowlist empty is refused for that
        project (nothing of it is written) unless C(purge_all=true), and GitLab's entry limits are checked per project."
      - C(pipeline_settings) is a dictionary of the CI/CD fields of M(cicd.gitlab.gitlab_ci_pipeline_settings)
        (C(ci_pipeline_variables_minimum_override_role), C(ci_delete_pipelines_in_seconds), C(build_timeout), ...),
        sent in one PUT of the fields that differ; a field the instance does not know is a warning for that project.
      - Every project's reads come before its writes, so a project that cannot be read (a 403 on its schedules, say)
        is not written at all; its schedules come last.
      - Without C(variables) and C(purge), the project's variables are not touched (and not listed);
        without C(triggers), its triggers are not touched.
      - The item of a project that O(select) picks adds to O(defaults) and overrides it (variables by key and
        environment scope, triggers and schedules by description, C(purge); C(job_token_scope) field by field, its
        allowlist entries added to those of the defaults; C(pipeline_settings) field by field).
    type: list
    elements: raw
    default: []
  groups:
    description:
      - The groups whose variables to manage, each a dictionary with C(group), C(variables) and C(purge), as in
        O(projects).
    type: list
    elements: raw
    default: []
  select:
    description:
      - Pick projects from GitLab, C({group, include_subgroups, pattern, archived}).
      - C(group) (required) is the group whose projects to list; C(include_subgroups) (default V(false)) lists the
        projects of every group below it too; C(pattern) is a Python regular expression searched in each project's
        full path (anchor it with C(^) and C($) to match the whole path); C(archived) (default V(false)) selects
        the archived projects instead of the others.
      - Every selected project gets O(defaults), with its own item of O(projects) merged in.
    type: dict
  defaults:
    description:
      - C({variables, purge, triggers, schedules, job_token_scope, pipeline_settings}) for every project O(select)
        picks. Needs O(select).
    type: dict
  concurrency:
    description:
      - How many owners are applied at the same time (threads sharing one connection pool), 1 to 64.
    type: int
    default: 8
  max_requests_per_minute:
    description:
      - Send at most this many requests per minute, evenly spaced; for instances that rate-limit without
        sending C(RateLimit-*) headers (GitLab.com may leave them out).
    type: int
  value_update:
    description:
      - When to write the value of an existing hidden variable, as O(cicd.gitlab.gitlab_ci_variable#module:value_update).
    type: str
    choices: [on_create, always]
    default: on_create
notes:
  - Thread safety. The one C(requests.Session) is shared by the threads; its connection pool is sized to
    O(concurrency) (urllib3's pool is thread-safe). Every secret is registered with the client before the
    threads start, so the set of secrets is only read while they run; the deadline (O(task_timeout)) is set
    once and read by every thread.
  - Replacing hidden variables (C(replace_hidden)) is not offered here; use M(cicd.gitlab.gitlab_ci_variable).
  - A write whose answer is lost (a cut connection, a timeout, a 5xx) or that another run got to first (a
    variable created meanwhile) fails that owner with GitLab's message; the next run reads the owner again and
    converges. The single-owner modules read back and converge within the same run.
  - Set C(no_log) on a task that registers the result, since RV(trigger_tokens) holds tokens.
seealso:
  - module: cicd.gitlab.gitlab_ci_variable
  - module: cicd.gitlab.gitlab_ci_trigger
  - name: GitLab group projects API
    description: The listing O(select) uses.
    link: https://docs.gitlab.com/api/groups/#list-projects
  - name: GitLab rate limits
    description: The throttles and their headers.
    link: https://docs.gitlab.com/administration/settings/user_and_ip_rate_limits/
'''

EXAMPLES = r'''
- name: Every project of acme (and its subgroups) gets the same variables and a deploy trigger
  cicd.gitlab.gitlab_ci_settings:
    api_url: https://gitlab.example.com
    api_token: "{{ gitlab_token }}"
    select:
      group: acme
      include_subgroups: true
      pattern: '^acme/(apps|services)/'
    defaults:
      variables:
        - key: REGISTRY_URL
          value: registry.example.com
      triggers:
        - description: deploy from ops
    projects:
      - project: acme/apps/billing
        variables:
          - key: REGISTRY_URL       # overrides the default for this project
            value: registry-eu.example.com
    groups:
      - group: acme
        variables:
          - key: ORG
            value: acme
  register: fleet
  no_log: true   # trigger_tokens holds tokens

- name: Schedules, job token allowlists and pipeline settings of every project of acme/apps
  cicd.gitlab.gitlab_ci_settings:
    api_url: https://gitlab.example.com
    api_token: "{{ gitlab_token }}"
    select:
      group: acme/apps
    defaults:
      schedules:
        - description: nightly
          ref: main
          cron: "0 1 * * *"
          cron_timezone: Europe/Berlin
      job_token_scope:
        enabled: true
        allowlist:
          groups: [acme/platform]
      pipeline_settings:
        ci_pipeline_variables_minimum_override_role: maintainer
        ci_delete_pipelines_in_seconds: 30d
    projects:
      - project: acme/apps/billing
        job_token_scope:
          allowlist:
            projects: [acme/deployer]   # added to the defaults' acme/platform

- name: A tight instance limit that GitLab does not announce
  cicd.gitlab.gitlab_ci_settings:
    api_url: https://gitlab.example.com
    api_token: "{{ gitlab_token }}"
    concurrency: 4
    max_requests_per_minute: 300
    projects: "{{ my_projects }}"
'''

RETURN = r'''
owners:
  description:
    - Each owner's outcome, groups first, then projects by full path.
    - C(group) or C(project) names it; C(selected) is V(true) for a project O(select) picked; C(status) is
      V(changed), V(ok) or V(failed) (with C(msg)); C(variables) is the C(variables) return value of
      M(cicd.gitlab.gitlab_ci_variable) (keys and scopes, never values) when its variables were managed;
      C(triggers) lists C({description, action, trigger, token_available}) (C(trigger) without its token).
    - C(schedules) lists C({description, action, changed, schedule, previous_owner}) (C(action) V(create), V(update),
      V(delete) or V(none); C(schedule) and C(previous_owner) as M(cicd.gitlab.gitlab_ci_schedule) returns them);
      C(job_token_scope) is C({changed, scope, added, removed}) as M(cicd.gitlab.gitlab_ci_job_token_scope) returns
      them; C(pipeline_settings) is C({changed, settings, changed_fields, unknown_fields}) as
      M(cicd.gitlab.gitlab_ci_pipeline_settings) returns them. Each only when the project declares it.
  returned: always
  type: list
  elements: dict
  sample:
    - {project: acme/app, selected: true, status: changed, changed: true,
       variables: {added: [{key: A, environment_scope: '*'}], updated: [], removed: [], replaced: [], unchanged: []},
       triggers: [{description: deploy, action: create, token_available: true,
                   trigger: {id: 7, description: deploy, owner: ops-bot, expires_at: null}}]}
totals:
  description:
    - Counts over RV(owners) (C(owners), C(changed), C(ok), C(failed), C(selected)) and C(requests), the requests sent.
    - With C(schedules), C(job_token_scope) or C(pipeline_settings) declared, C({changed, ok}) for each (schedules
      counted one by one, the others by project).
  returned: always
  type: dict
  sample: {owners: 51, changed: 1, ok: 50, failed: 0, selected: 50, requests: 101}
selected:
  description: The full paths O(select) picked (also in check mode).
  returned: when O(select) is given
  type: list
  elements: str
trigger_tokens:
  description:
    - "The complete token of each trigger whose full token this run saw, as C({project: {description: token}}): the
      triggers it created or rotated, and those owned by the user of O(api_token). A secret."
  returned: always
  type: dict
variables:
  description: "C({groups: {group: variables}, projects: {project: variables}}), the C(variables) of RV(owners) by name."
  returned: always
  type: dict
schedules:
  description: "C({project: {description: schedule}}), the C(schedule) of each declared schedule (variables as keys and types only)."
  returned: always
  type: dict
  sample: {acme/app: {nightly: {id: 12, description: nightly, ref: refs/heads/main, cron: 0 1 * * *, owner: ops-bot}}}
'''

import concurrent.futures

from ansible_collections.cicd.gitlab.plugins.module_utils._budget import RateBudget
from ansible_collections.cicd.gitlab.plugins.module_utils._errors import (
    GitLabError,
    GitLabNotFoundError,
    InputError,
)
from ansible_collections.cicd.gitlab.plugins.module_utils._module import (
    TaskFailure,
    add_secret,
    build_client,
    gitlab_argument_spec,
    run_module,
)
from ansible_collections.cicd.gitlab.plugins.module_utils import _access as access
from ansible_collections.cicd.gitlab.plugins.module_utils import _fleet as fleet
from ansible_collections.cicd.gitlab.plugins.module_utils import _schedules as schedules_logic
from ansible_collections.cicd.gitlab.plugins.module_utils import _lost as lost
from ansible_collections.cicd.gitlab.plugins.module_utils import _triggers as triggers_logic

try:
    from requests.adapters import HTTPAdapter
except ImportError:   # build_client() reports the missing library
    HTTPAdapter = None


def argument_spec():
    spec = gitlab_argument_spec()
    spec.update(
        # Raw items, checked by _fleet.validate() with messages naming projects[N]; values are registered
        # as secrets by the early_secrets hook (see gitlab_ci_variable for why not sub-options).
        projects=dict(type='list', elements='raw', default=[]),
        groups=dict(type='list', elements='raw', default=[]),
        select=dict(type='dict'),
        defaults=dict(type='dict'),
        concurrency=dict(type='int', default=8),
        max_requests_per_minute=dict(type='int'),
        value_update=dict(type='str', default='on_create', choices=['on_create', 'always']),
    )
    return spec


class Owner:
    """Lists, plans and (outside check mode) applies one owner; never raises: the outcome is in ``result``.

    Every read of the plan comes first (a project's variables, triggers, schedule list, project, job token scope),
    so an owner that cannot be read is not written at all; then the writes; then each schedule, read, planned
    and written by _schedules.ScheduleRun as gitlab_ci_schedule does (check mode included).
    """

    def __init__(self, client, owner, check_mode, value_update, diff=False, caller=None):
        self.client, self.owner, self.check_mode, self.value_update = client, owner, check_mode, value_update
        self.diff, self.caller = diff, caller
        self.variables_plan = None
        self.trigger_plans = []
        self.answers = {}
        self.wrote = False
        self.warnings = []
        self.project = self.scope = self.settings = self.listed = None
        self.kinds = {}
        self.diffs = []

    def run(self):
        try:
            self.plan()
            if not self.check_mode:
                self.apply()
            self.finish()
            error = None
        except GitLabError as err:
            error = str(err)
        except InputError as err:
            error = err.message()
        except TaskFailure as failure:
            error = failure.msg
        result = fleet.owner_result(self.owner, self.variables_plan, self.trigger_plans, self.answers, error, self.wrote, self.kinds)
        if self.warnings:
            result['warnings'] = self.warnings
        return result

    def plan(self):
        level, name, owner = self.owner['level'], self.owner['name'], self.owner
        if owner['manage_variables']:
            self.variables_plan = fleet.plan_variables(owner, self.client.list_variables(level, name), self.value_update)
            self.warnings.extend(self.variables_plan.warnings)
        if owner['triggers']:
            self.trigger_plans = fleet.plan_triggers(owner, self.client.list_triggers(name))
            for the_plan in self.trigger_plans:
                self.warnings.extend(the_plan.warnings)
        if owner['schedules']:
            self.listed = self.client.list_schedules(name)
        if owner['job_token_scope'] or owner['pipeline_settings']:
            self.project = self.client.get_project(name)   # one read for both
        if owner['job_token_scope']:
            self.scope = self.plan_scope(owner['job_token_scope'])
        if owner['pipeline_settings']:
            changes, unknown = access.plan_settings(self.project, owner['pipeline_settings'])
            self.warnings.extend(access.UNKNOWN_FIELD % field for field in unknown)
            self.settings = (changes, unknown)

    def plan_scope(self, wanted):
        """``(current, plan)`` as gitlab_ci_job_token_scope plans it (TaskFailure when refused: nothing written)."""
        current = access.read_scope(self.client, self.project)
        desired = {'enabled': wanted['enabled'], 'projects': None, 'groups': None}
        missing = []
        for kind in ('projects', 'groups'):
            entries = (wanted['allowlist'] or {}).get(kind)
            if entries is not None:
                desired[kind], lost = access.resolve_entries(self.client, kind, entries, current[kind], self.project)
                missing.extend('%s %s' % (kind[:-1], entry) for entry in lost)
        access.refuse_missing(current, missing)
        return current, access.checked_scope_plan(current, desired, purge=wanted['purge'], purge_all=wanted['purge_all'])

    def apply(self):
        if self.variables_plan is not None:
            self.apply_variables()
        for the_plan in self.trigger_plans:
            self.apply_trigger(the_plan)
        if self.scope is not None and access.scope_changed(self.scope[1]):
            access.write_scope(self.client, self.project['id'], self.scope[1])
            self.wrote = True
        if self.settings is not None and self.settings[0]:
            access.write_settings(self.client, self.project['id'], self.settings[0])
            self.wrote = True

    def finish(self):
        """The outcomes of the job token scope and the settings, then each schedule run (in check mode too)."""
        if self.scope is not None:
            self.kinds['job_token_scope'] = self.outcome(access.scope_result(self.project, self.scope[0], self.scope[1], self.diff))
        if self.settings is not None:
            self.kinds['pipeline_settings'] = self.outcome(access.settings_result(self.project, self.owner['pipeline_settings'],
                                                                                  self.settings[0], self.settings[1], self.diff))
        if self.owner['schedules']:
            self.kinds['schedules'] = entries = []
            members = {}
            for wanted in self.owner['schedules']:
                run = schedules_logic.ScheduleRun(self.client, wanted, check_mode=self.check_mode, diff=self.diff,
                                                  warn=self.warnings.append, caller=self.caller, listed=self.listed, members=members)
                try:
                    result = run.run()
                except (GitLabError, InputError, TaskFailure) as err:
                    partial = run.result.get('changed') or (getattr(err, 'result', None) or {}).get('changed')
                    self.wrote = self.wrote or bool(partial and not self.check_mode)
                    text = err.message() if isinstance(err, InputError) else getattr(err, 'msg', None) or str(err)
                    raise TaskFailure('schedule %r: %s' % (wanted['description'], text)) from None
                entries.append(fleet.schedule_entry(wanted, self.outcome(result), run.the_plan.action))
                self.wrote = self.wrote or (result['changed'] and not self.check_mode)

    def outcome(self, result):
        """A single module's result without its diff (kept for the task's diff)."""
        if 'diff' in result:
            self.diffs.append(result.pop('diff'))
        return result

    def apply_variables(self):
        """Deletes first (they free room under GitLab's count limits), then updates, then creates."""
        level, name, the_plan = self.owner['level'], self.owner['name'], self.variables_plan
        for entry in the_plan.deletes:
            try:
                self.client.delete_variable(level, name, entry['id'][0], environment_scope=entry['id'][1])
            except GitLabNotFoundError:
                pass   # deleted meanwhile: the wanted state is reached
            self.wrote = True
        for entry in the_plan.updates:
            answer = self.client.update_variable(level, name, entry['id'][0], entry['attrs'], environment_scope=entry['id'][1])
            lost.check_answer(answer, 'PUT', '/api/v4/%ss/%s/variables/%s' % (level, name, entry['id'][0]), expect=('key',))
            self.wrote = True
        for entry in the_plan.creates:
            answer = self.client.create_variable(level, name, entry['attrs'])
            lost.check_answer(answer, 'POST', '/api/v4/%ss/%s/variables' % (level, name), expect=('key',))
            self.wrote = True

    def apply_trigger(self, the_plan):
        project = self.owner['name']
        if the_plan.action in ('create', 'rotate'):
            answer = self.client.create_trigger(project, the_plan.description, expires_at=the_plan.expires_at)
            self.answers[the_plan.description] = lost.check_answer(answer, 'POST', '/api/v4/projects/%s/triggers' % project,
                                                                   expect=('id', 'token'))
            self.wrote = True
            warning = triggers_logic.expiry_ignored_warning(the_plan, answer)
            if warning:
                self.warnings.append(warning)
        if the_plan.action in ('rotate', 'delete'):
            try:
                self.client.delete_trigger(project, the_plan.current['id'])
            except GitLabNotFoundError:
                pass
            self.wrote = True


def selection(client, spec):
    """The full paths the selection picks (one request per 100 projects of the group)."""
    chosen = spec['select']
    if chosen is None:
        return []
    listed = client.list_group_projects(chosen['group'], include_subgroups=chosen['include_subgroups'],
                                        archived=chosen['archived'])
    return fleet.select_projects(listed, chosen)


def run(module):
    """Validate, select, plan and apply every owner concurrently, report each; fail at the end if any failed."""
    params = module.params
    spec = fleet.validate(params)
    concurrency = params['concurrency']
    client = build_client(module)
    for value in fleet.value_secrets(params):   # every secret before the threads start: the set is only read then
        add_secret(module, value)
        client.add_secret(value)
    client.budget = RateBudget(max_requests_per_minute=params.get('max_requests_per_minute'))
    if HTTPAdapter is not None:
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=concurrency)
        for prefix in ('http://', 'https://'):
            client.session.mount(prefix, adapter)
    selected = selection(client, spec)
    owners = fleet.fleet_owners(spec, selected, value_update=params['value_update'])
    caller = schedules_logic.Caller(client)   # GET /user once for every schedule that needs it
    workers = [Owner(client, owner, module.check_mode, params['value_update'], module._diff, caller) for owner in owners]
    with concurrent.futures.ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = list(pool.map(lambda worker: worker.run(), workers))
    for result in results:
        for warning in result.pop('warnings', ()):
            module.warn('%s %s: %s' % ('group' if 'group' in result else 'project', result.get('group', result.get('project')), warning))
    totals = fleet.totals(results)
    totals['requests'] = client.budget.stats()['requests']
    outcome = dict(changed=any(r['changed'] for r in results), owners=results, totals=totals,
                   trigger_tokens=fleet.trigger_tokens((w.owner, w.trigger_plans, w.answers) for w in workers),
                   variables=fleet.variables_summary(results), schedules=fleet.schedules_summary(results))
    if spec['select'] is not None:
        outcome['selected'] = selected
    if module._diff:
        outcome['diff'] = [diff for w in workers for diff in fleet.owner_diff(w.owner, w.variables_plan, w.trigger_plans, w.answers) + w.diffs]
    if totals['failed']:
        raise TaskFailure(fleet.failure_message(results), **outcome)
    return outcome


def main():
    run_module(argument_spec(), run, early_secrets=fleet.value_secrets, supports_check_mode=True)


if __name__ == '__main__':
    main()
