"""Pipelines and jobs: the state machine behind pipelines.py, jobs.py and artifacts.py.

GitLab's documentation: https://docs.gitlab.com/api/pipelines/, https://docs.gitlab.com/api/jobs/,
https://docs.gitlab.com/api/job_artifacts/.

A project's seeded ``ci:`` list is its ``.gitlab-ci.yml``; every pipeline instantiates it::

    ci:
      - name: build                  # required
        stage: build                 # default "test"; stages run in the order they first appear
        duration: 0.3                # seconds of "running" (default 0.3), times the seed's time_scale
        result: success              # success (default) | failed (failure_reason script_failure)
        fail_if_variable: FAIL       # fail anyway when the pipeline has this variable, non-empty
        when: on_success             # on_success (default) | manual | always
        allow_failure: false         # default false, but true for manual jobs (as in GitLab)
        log: "compiling\\n"           # the job log; revealed in proportion to the elapsed running time
        log_size: 1048576            # pad the log with generated 80-byte lines up to this many bytes
        artifacts:                   # archive entries (archive.py): {path, content} or {path, size}
          - {path: dist/app.bin, size: 1048576}
        artifacts_expire_in: 3600    # seconds after the job finished; null = never; default 30 days
      - name: deploy-child           # a trigger job (a bridge, see ``Bridge``): a child pipeline ...
        stage: deploy
        when: on_success             # when and allow_failure as for any job; no duration, log or artifacts
        trigger:
          include:                   # the child pipeline's own ci list (same project and ref, source parent_pipeline)
            - {name: child-test}
          strategy: depend           # optional; depend = wait for the downstream pipeline and take its final status;
                                     # mirror (GitLab 18.2+) = take its status while it runs too (manual included)
      - name: downstream             # ... or a multi-project pipeline (source pipeline) of another project,
        trigger:                     #     which runs that project's own ``ci:``
          project: group/other       # a full path; ``trigger: group/other`` is the short form
          branch: main               # default: that project's default branch
          strategy: depend

Trigger jobs are ``Pipeline.bridges`` (``CiStore.bridges``), never ``jobs``: the job APIs do not show
them, ``GET .../pipelines/:pipeline_id/bridges`` (jobs.py) does; they take ids from the builds'
sequence, count in the pipeline's status and stage processing, and have no job token.  A tree is
read only through the bridges' ``downstream_pipeline`` and ``GET .../pipelines?source=parent_pipeline``:
the pipeline entity has no upstream or downstream field (lib/api/entities/ci/pipeline.rb).  Cancel
cascades to child pipelines (``Pipeline.cancel``); a retry or play in a downstream pipeline resets
its source bridges (``Pipeline.reset_source_bridge``, see ``Bridge``).

Other seed keys of the CI work: top level ``time_scale`` (default 1; multiplies every duration and
delay of new pipelines) and ``artifacts_redirect`` (artifacts.py), both also settable through
``POST /-/fake/settings``; per project ``tags`` (refs besides branches), ``public_builds`` (default
true), ``pipeline_variables_minimum_override_role`` and ``restrict_user_defined_variables`` (the
pipeline-variables restriction, pipelines.py), ``ci_job_token_allowlist``
(artifacts.py), ``workflow_name`` (the ``workflow:name`` of the project's ``.gitlab-ci.yml``,
taken literally, without variable expansion [INFERRED]; default none: the pipeline ``name`` is null)
and ``keep_latest_artifact`` (default true, as the project setting "Keep artifacts from most recent
successful jobs"; see ``Pipeline.artifacts_locked``).

Artifact expiry, as GitLab has it (app/models/ci/build.rb, app/models/concerns/ci/has_artifacts.rb):
an archive stays stored after ``artifacts_expire_at`` until the clean-up
(app/services/ci/job_artifacts/destroy_all_expired_service.rb, run by a cron worker) destroys it,
which it never does for a locked pipeline.  ``Job.archive`` is "the file is stored"; ``artifacts?``
(``Job.has_artifacts``) adds "not expired"; ``available_artifacts?`` (``Job.available_archive``)
is "not expired, or the pipeline is locked".  Nothing runs the clean-up on its own here:
``POST /-/fake/workers/expire_build_artifacts`` (control.py) does, once, at the current time.

Time moves lazily: nothing runs in the background.  Each job keeps the moments of the events that
happened to it (queued, canceled, skipped ...) and derives its status from them and the clock;
``Pipeline.settle(now)`` replays stage processing up to ``now`` with the exact moments at which it
would have happened, so a client that polls rarely sees the same history as one that polls often.
The clock is ``state.clock`` when a test sets one (any callable returning epoch seconds), else
``time.time``.

What GitLab does and this follows (app/models/concerns/ci/has_status.rb ``Ci::HasStatus``,
Gitlab::Ci::Status::Composite, Ci::ProcessBuildService, Ci::RetryJobService):

* a new pipeline is ``created``: GitLab processes it asynchronously, so the create answer shows every
  job ``created``; ``PROCESS_SECONDS`` later its first stage is processed;
* a stage is processed when every job of the earlier stages is complete (``manual`` jobs that are
  allowed to fail count as ignored); the composite status of those jobs decides: ``on_success`` and
  ``manual`` jobs run on success or skipped, ``always`` also on failed, anything else is skipped;
* a processed job is ``pending`` for ``PENDING_SECONDS``, ``running`` for its duration, then its
  result; a processed manual job is ``manual`` until played;
* a blocking manual job (``allow_failure: false``) keeps later stages ``created`` and the pipeline
  ``manual``;
* the pipeline's status is the composite status of its latest (not retried) jobs.
"""

import datetime
import hashlib
import json
import secrets
import time

from .archive import Archive
from .state import SeedError

PENDING_SECONDS = 0.1          # how long a processed job waits for a runner
PROCESS_SECONDS = 0.05         # how long a new pipeline stays unprocessed (Sidekiq's delay)
DEFAULT_DURATION = 0.3
DEFAULT_STAGE = 'test'
DEFAULT_EXPIRE_IN = 30 * 24 * 3600     # the instance default "30 days" (default_artifacts_expire_in)
ARCHIVE_FILENAME = 'artifacts.zip'
JOB_TOKEN_PREFIX = 'glcbt-'
ZERO_SHA = '0' * 40

# app/models/concerns/ci/has_status.rb (Ci::HasStatus).
STATUSES = ('created', 'waiting_for_resource', 'preparing', 'waiting_for_callback', 'pending', 'running', 'success', 'failed',
            'canceling', 'canceled', 'skipped', 'manual', 'scheduled')
COMPLETED = ('success', 'failed', 'canceled', 'skipped')
ACTIVE = ('waiting_for_resource', 'preparing', 'waiting_for_callback', 'pending', 'running')
CANCELABLE = ('created', 'waiting_for_resource', 'preparing', 'waiting_for_callback', 'pending', 'running', 'manual', 'scheduled')
RETRYABLE = ('success', 'failed', 'canceled', 'canceling')
PASSED_WITH_WARNINGS = ('failed', 'canceled')
IGNORED = ('manual',)
WHEN_VALUES = ('on_success', 'manual', 'always')
RESULTS = ('success', 'failed')
# Ci::ProcessBuildService#valid_statuses_for_processable (stage-based, not DAG).
RUNS_AFTER = {'on_success': ('success', 'skipped'), 'manual': ('success', 'skipped'), 'always': ('success', 'failed', 'skipped')}

# Generated log lines: 80 bytes each, numbered, so any prefix can be produced without the rest.
LOG_LINE = 80
_FILLER = 'the fake runner is busy: lorem ipsum dolor sit amet, consectetur adipiscing'.ljust(LOG_LINE - 9)[:LOG_LINE - 9]
LOG_CHUNK_LINES = 1024


def iso(moment):
    """Epoch seconds (or None) in GitLab's JSON format: ``2024-07-01T10:00:00.123Z``."""
    if moment is None:
        return None
    return datetime.datetime.fromtimestamp(moment, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.%f')[:-3] + 'Z'


def composite(pairs):
    """``Gitlab::Ci::Status::Composite#status`` of ``(status, allow_failure)`` pairs; None when empty."""
    found = set()
    for status, allow_failure in pairs:
        if allow_failure and status in PASSED_WITH_WARNINGS:
            found.add('success_with_warnings')
        elif allow_failure and status in IGNORED:
            found.add('ignored')
        else:
            found.add(status)
    if not found:
        return None

    def only(*names):
        return found <= set(names)

    def any_of(*names):
        return bool(found & set(names))

    ordered = [
        (only('skipped', 'ignored'), 'skipped'),
        (only('success', 'skipped', 'success_with_warnings', 'ignored'), 'success'),
        (only('created', 'success_with_warnings', 'ignored'), 'created'),
        (only('preparing', 'success_with_warnings', 'ignored'), 'preparing'),
        (only('canceled', 'success', 'skipped', 'success_with_warnings', 'ignored'), 'canceled'),
        (only('pending', 'created', 'skipped', 'success_with_warnings', 'ignored'), 'pending'),
        (any_of('running', 'pending'), 'running'),
        (any_of('waiting_for_resource'), 'waiting_for_resource'),
        (any_of('manual'), 'manual'),
        (any_of('scheduled'), 'scheduled'),
        (any_of('preparing'), 'preparing'),
        (any_of('created'), 'running'),
    ]
    return next((status for matched, status in ordered if matched), 'failed')


def fake_sha(project, ref):
    """A stable 40-hex commit id per project and ref (the fake has no repository)."""
    return hashlib.sha1(('%s\n%s' % (project.full_path, ref)).encode('utf-8'), usedforsecurity=False).hexdigest()


def project_tags(project):
    """The project's tags: seed key ``tags`` (a list of names), default none."""
    return [str(tag) for tag in project.extra.get('tags') or []]


def ref_exists(project, ref):
    """Whether ``ref`` names a branch or a tag of the project (``Validate::Repository``)."""
    return ref in project.branches or ref in project_tags(project)


class JobSpec:
    """One entry of a project's ``ci:`` list, validated."""

    def __init__(self, data, where):
        if not isinstance(data, dict) or not isinstance(data.get('name'), str) or not data['name']:
            raise SeedError('%s: every ci job needs a name' % where)
        self.name = data['name']
        where = '%s: %s' % (where, self.name)
        self.stage = str(data.get('stage') or DEFAULT_STAGE)
        self.duration = data.get('duration', DEFAULT_DURATION)
        if isinstance(self.duration, bool) or not isinstance(self.duration, (int, float)) or self.duration < 0:
            raise SeedError('%s: duration must be a number of seconds' % where)
        self.result = data.get('result', 'success')
        if self.result not in RESULTS:
            raise SeedError('%s: result must be one of %s' % (where, ', '.join(RESULTS)))
        self.fail_if_variable = data.get('fail_if_variable')
        self.when = data.get('when', 'on_success')
        if self.when not in WHEN_VALUES:
            raise SeedError('%s: when must be one of %s' % (where, ', '.join(WHEN_VALUES)))
        self.allow_failure = bool(data.get('allow_failure', self.when == 'manual'))
        self.log = Log(str(data.get('log') or ''), data.get('log_size'), where)
        try:
            self.archive = Archive(data['artifacts']) if data.get('artifacts') else None
        except (TypeError, ValueError) as exc:
            raise SeedError('%s: artifacts: %s' % (where, exc)) from None
        self.expire_in = data.get('artifacts_expire_in', DEFAULT_EXPIRE_IN)
        if self.expire_in is not None and (isinstance(self.expire_in, bool) or not isinstance(self.expire_in, (int, float))):
            raise SeedError('%s: artifacts_expire_in must be seconds or null' % where)
        self.trigger = TriggerSpec(data['trigger'], where) if data.get('trigger') is not None else None


# ``trigger:strategy`` values (https://docs.gitlab.com/ci/yaml/#triggerstrategy); None = no strategy.
STRATEGIES = (None, 'depend', 'mirror')


class TriggerSpec:
    """The ``trigger:`` of a trigger job (a bridge): a child pipeline (``include``) or another project's.

    ``include`` is the child pipeline's own ``ci:`` list here (GitLab's is a list of files holding
    it); ``project`` is a full path, ``branch`` the downstream ref (default: that project's default
    branch, ``Ci::Bridge#cross_project_params``); ``strategy: depend`` or ``mirror`` makes the bridge
    wait for the downstream pipeline and take its status (see ``Bridge.status``).  A bare string is ``{project: <string>}``, as in ``.gitlab-ci.yml``.
    """

    def __init__(self, data, where):
        where = '%s: trigger' % where
        if isinstance(data, str):
            data = {'project': data}
        if not isinstance(data, dict):
            raise SeedError('%s must be a mapping or a project path' % where)
        self.strategy = data.get('strategy')
        if self.strategy not in STRATEGIES:
            raise SeedError('%s: strategy must be depend or mirror' % where)
        self.project = data.get('project')
        self.branch = data.get('branch')
        include = data.get('include')
        if (include is None) == (self.project is None):
            raise SeedError('%s needs exactly one of include (a child pipeline) and project' % where)
        if self.project is not None and (not isinstance(self.project, str) or not self.project):
            raise SeedError('%s: project must be a full path' % where)
        if self.branch is not None and (not isinstance(self.branch, str) or not self.branch):
            raise SeedError('%s: branch must be a ref name' % where)
        self.include = None
        if include is not None:
            if not isinstance(include, list) or not include:
                raise SeedError('%s: include must be a non-empty ci list (the child pipeline)' % where)
            self.include = [JobSpec(item, where + ': include') for item in include]

    @property
    def dependent(self):
        """``Ci::Bridge#dependent?``."""
        return self.strategy == 'depend'

    @property
    def mirrored(self):
        """``Ci::Bridge#mirrored?`` (``strategy: mirror``, GitLab 18.2+)."""
        return self.strategy == 'mirror'

    @property
    def has_strategy(self):
        """``Ci::Bridge#has_strategy?``: the bridge waits for its downstream pipeline and takes its status."""
        return self.strategy is not None


def job_specs(project):
    """The project's ``ci:`` list as JobSpecs (SeedError when malformed)."""
    where = 'projects: %s: ci' % project.full_path
    if not isinstance(project.ci, list):
        raise SeedError('%s must be a list of jobs' % where)
    return [JobSpec(item, where) for item in project.ci]


class Log:
    """A job log: literal text, padded with generated lines up to ``size`` bytes; streamed, never built."""

    def __init__(self, text, size, where):
        if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
            raise SeedError('%s: log_size must be a number of bytes' % where)
        self.head = text.encode('utf-8')
        self.size = max(len(self.head), size or 0)

    @staticmethod
    def _line(number):
        return ('%07d %s\n' % (number, _FILLER)).encode('ascii')

    def _generated(self, start, end):
        """Bytes ``start:end`` of the generated part, in pieces of at most LOG_CHUNK_LINES lines."""
        first, last = start // LOG_LINE, (end - 1) // LOG_LINE
        for block in range(first, last + 1, LOG_CHUNK_LINES):
            numbers = range(block, min(block + LOG_CHUNK_LINES, last + 1))
            data = b''.join(self._line(number) for number in numbers)
            base = block * LOG_LINE
            yield data[max(0, start - base):end - base]

    def iter_prefix(self, length):
        """The first ``length`` bytes, as chunks."""
        head = self.head[:length]
        if head:
            yield head
        if length > len(self.head):
            yield from self._generated(0, length - len(self.head))


class CiStore:
    """Every pipeline and job of the fake; lives in ``state.extensions['ci']`` (reset with the state)."""

    def __init__(self, state):
        self.state = state
        self.pipelines = {}      # id -> Pipeline, in creation order
        self.jobs = {}           # id -> Job (builds only), in creation order
        self.bridges = {}        # id -> Bridge (trigger jobs; same id sequence as builds), in creation order
        self._iids = {}          # project id -> last pipeline iid

    def now(self):
        """The current time (epoch seconds) from the injectable clock."""
        return getattr(self.state, 'clock', time.time)()

    @property
    def scale(self):
        """Seed ``time_scale``: multiplies durations and delays of new pipelines."""
        return float(self.state.extra.get('time_scale', 1) or 1)

    def snapshot(self):
        """Settle every pipeline at one instant and return it, so an answer is self-consistent."""
        now = self.now()
        done = set()
        while True:    # settling can trigger downstream pipelines, which are settled in turn
            waiting = [pipeline for pipeline in list(self.pipelines.values()) if pipeline.id not in done]
            if not waiting:
                return now
            for pipeline in waiting:
                pipeline.settle(now)
                done.add(pipeline.id)

    def next_iid(self, project):
        """The next per-project pipeline ``iid``."""
        self._iids[project.id] = self._iids.get(project.id, 0) + 1
        return self._iids[project.id]

    def project_pipelines(self, project):
        """The project's pipelines, oldest first."""
        return [p for p in self.pipelines.values() if p.project is project]

    def project_jobs(self, project):
        """The project's jobs (retried ones included), oldest first."""
        return [j for j in self.jobs.values() if j.pipeline.project is project]

    def delete_pipeline(self, pipeline):
        """Forget a pipeline, its jobs and their tokens."""
        for job in pipeline.jobs:
            self.jobs.pop(job.id, None)
            self.state.job_tokens.pop(job.token, None)
        for bridge in pipeline.bridges:
            self.bridges.pop(bridge.id, None)
        self.pipelines.pop(pipeline.id, None)


def store(state):
    """The CiStore of ``state`` (created on first use, dropped by a reset)."""
    found = state.extensions.get('ci')
    if found is None:
        found = state.extensions['ci'] = CiStore(state)
    return found


class Pipeline:
    """One pipeline: its jobs (retried ones included) and the stage-processing cursor."""

    def __init__(self, ci, project, ref, source, user, variables, specs, now, trigger=None, inputs=None, failure=None,
                 upstream=None):
        state = ci.state
        self.ci = ci
        self.id = state.next_id('pipeline')
        self.iid = ci.next_iid(project)
        self.project = project
        self.ref = ref
        self.tag = ref in project_tags(project) and ref not in project.branches
        self.sha = fake_sha(project, ref)
        self.before_sha = ZERO_SHA
        self.source = source
        self.user = user
        self.variables = variables
        self.trigger = trigger
        self.inputs = inputs or {}
        self.failure = failure      # a config error: the pipeline is persisted as failed, without jobs
        # Ci::PipelineMetadata#name: workflow:name of the config, else null.
        self.name = None if failure else project.extra.get('workflow_name')
        # Project#default_pipeline_lock: artifacts_locked while the project keeps the latest artifacts.
        self.created_locked = bool(project.extra.get('keep_latest_artifact', True))
        self.scale = ci.scale
        self.created_at = now
        self.process_at = now + PROCESS_SECONDS * self.scale
        self.upstream = upstream   # the Bridge that triggered this pipeline (source pipeline / parent_pipeline)
        self.stages = []
        for spec in specs:
            if spec.stage not in self.stages:
                self.stages.append(spec.stage)
        self.jobs = []             # builds, retried ones included
        self.bridges = []          # trigger jobs, retried ones included
        for spec in specs:
            processable(self, spec, self.stages.index(spec.stage), user, now)
        self.processed = 0         # stages before this index have been processed
        ci.pipelines[self.id] = self

    def latest_jobs(self):
        """The builds that were not retried (what the job APIs list)."""
        return [job for job in self.jobs if not job.retried]

    def latest_bridges(self):
        """The trigger jobs that were not retried."""
        return [bridge for bridge in self.bridges if not bridge.retried]

    def processables(self):
        """Builds and bridges, in creation (id) order: what statuses and stage processing count."""
        return sorted(self.jobs + self.bridges, key=lambda job: job.id)

    def latest_processables(self):
        """The builds and bridges that were not retried."""
        return [job for job in self.processables() if not job.retried]

    def ancestors(self):
        """``self_and_project_ancestors``: this pipeline and its parents (child pipelines only)."""
        chain = [self]
        while chain[-1].source == 'parent_pipeline' and chain[-1].upstream is not None:
            chain.append(chain[-1].upstream.pipeline)
        return chain

    def upstreams(self):
        """``self_and_upstreams``: this pipeline and every pipeline above it, across projects."""
        chain = [self]
        while chain[-1].upstream is not None:
            chain.append(chain[-1].upstream.pipeline)
        return chain

    def settle(self, now):
        """Process every stage whose turn came by ``now``, at the moment it came."""
        if now < self.process_at:
            return
        while self.processed < len(self.stages):
            index = self.processed
            earlier = [job for job in self.latest_processables() if job.stage_index < index]
            before = composite([(job.status(now), job.allow_failure) for job in earlier]) or 'success'
            if before not in COMPLETED:
                return
            moment = max([self.process_at] + [job.finished_at(now) for job in earlier if job.finished_at(now) is not None])
            for job in self.latest_processables():
                if job.stage_index == index and job.base == 'created':
                    job.process(before, moment)
            self.processed += 1

    def status(self, now):
        """The composite status of the latest jobs (lib/gitlab/ci/status/composite.rb)."""
        if self.failure:
            return 'failed'
        return composite([(job.status(now), job.allow_failure) for job in self.latest_processables()]) or 'created'

    def artifacts_locked(self, now):
        """``Ci::Pipeline#artifacts_locked?``: locked on creation (``created_locked``), unlocked once a newer
        pipeline for the same ref succeeded (app/workers/ci/refs/unlock_previous_pipelines_worker.rb,
        Ci::Refs::UnlockPreviousPipelinesService), so the latest successful pipeline of a ref, and every
        pipeline after it, keep their artifacts past expiry."""
        if not self.created_locked:
            return False
        for other in self.ci.project_pipelines(self.project):
            if other.id > self.id and other.ref == self.ref and other.tag == self.tag and other.status(now) == 'success':
                return False
        return True

    def started_at(self, now):
        """When the first job started, or None."""
        times = [job.started_at(now) for job in self.latest_processables() if job.started_at(now) is not None]
        return min(times) if times else None

    def finished_at(self, now):
        """When the pipeline completed (its status is complete), or None."""
        if self.failure:
            return self.created_at
        if self.status(now) not in COMPLETED:
            return None
        times = [job.finished_at(now) for job in self.latest_processables() if job.finished_at(now) is not None]
        return max(times) if times else None

    def updated_at(self, now):
        """The latest change at or before ``now``."""
        times = [self.created_at] + [moment for job in self.processables() for moment in job.event_times(now)]
        return max(times)

    def cancelable(self, now):
        """``Ci::Pipeline#cancelable?``: some job is in a cancelable status."""
        return any(job.status(now) in CANCELABLE for job in self.processables())

    def child_pipelines(self):
        """``all_child_pipelines``: every descendant child pipeline (source parent_pipeline), any depth."""
        found = []
        for bridge in self.bridges:
            child = bridge.downstream
            if child is not None and child.source == 'parent_pipeline':
                found.append(child)
                found.extend(child.child_pipelines())
        return found

    def cancel(self, now, cascade=True):
        """``Ci::CancelPipelineService#force_execute`` (app/services/ci/cancel_pipeline_service.rb).

        Nothing when the pipeline is not cancelable.  Else every cancelable job (``cancelable_statuses``:
        builds and bridges, retried ones included), then with ``cascade_to_children`` (the API's
        default) the bridges of this pipeline and its child pipelines, then every child pipeline, each
        without cascading (a child that is no longer cancelable is left alone).  Multi-project
        downstream pipelines are not canceled: only their bridges are.
        """
        if not self.cancelable(now):
            return
        for job in self.processables():
            job.cancel(now)
        if not cascade:
            return
        children = self.child_pipelines()
        for pipeline in [self] + children:
            for bridge in pipeline.bridges:
                bridge.cancel(now)
        for child in children:
            child.settle(now)
            child.cancel(now, cascade=False)

    def hold_upstreams(self, now):
        """Before a retry or play here: every bridge above keeps its current completed status (``Bridge.hold``)."""
        for pipeline in self.upstreams():
            if pipeline.upstream is not None:
                pipeline.upstream.hold(now)

    def reset_source_bridge(self, user, now):
        """After a retry or play in this pipeline: ``Ci::Pipeline#reset_source_bridge!`` (see ``Bridge``).

        Recursive, as in GitLab: the reset bridge is enqueued again (Ci::EnqueueJobService), whose
        Ci::AfterRequeueJobService re-opens the skipped jobs after it and resets its own pipeline's
        source bridge, up to the first bridge without a strategy or whose pipeline the user may not
        update; the bridges from there up keep their status until their downstream completes again.
        """
        from .pipelines import can_update_pipeline     # pipelines.py imports this module
        pipeline = self
        while pipeline.upstream is not None:
            bridge = pipeline.upstream
            waiting = (not bridge.retried and bridge.spec.trigger.has_strategy and bridge.downstream is not None
                       and bridge.failure_reason is None and bridge.base in ('queued', 'canceled'))
            if not waiting or not can_update_pipeline(self.ci.state, user, bridge.pipeline.project):
                return
            bridge.rewait(now)
            parent = bridge.pipeline
            for other in parent.latest_processables():
                if other.stage_index > bridge.stage_index and other.status(now) == 'skipped':
                    other.reset()
            parent.processed = min(parent.processed, bridge.stage_index + 1)
            parent.process_at = max(parent.process_at, now)
            pipeline = parent

    def retry_job(self, job, user, now, variables=None, enqueue=True):
        """``Ci::RetryJobService``: a new job of the same spec; later skipped jobs are reset.

        The job API retries with ``enqueue_if_actionable`` (even a manual job is enqueued at once);
        a pipeline retry clones without it (``enqueue=False``) and lets stage processing decide.
        """
        self.hold_upstreams(now)
        new = processable(self, job.spec, job.stage_index, user, now)
        new.variables = list(variables) if variables else list(job.variables)
        job.retried = True
        # ResetSkippedJobsService: skipped jobs of later stages are processed again.
        for other in self.latest_processables():
            if other.stage_index > job.stage_index and other.status(now) == 'skipped':
                other.reset()
        if enqueue:
            new.enqueue(now)
            self.processed = min(self.processed, job.stage_index + 1)
        else:
            self.processed = min(self.processed, job.stage_index)
        self.process_at = max(self.process_at, now)     # processing resumes now, not in the past
        return new


class Job:
    """One build.  ``base`` is the last event's state; ``status(now)`` adds the passing of time."""

    def __init__(self, pipeline, spec, stage_index, user, now):
        ci = pipeline.ci
        self.ci = ci
        self.id = ci.state.next_id('job')
        self.pipeline = pipeline
        self.spec = spec
        self.name = spec.name
        self.stage = spec.stage
        self.stage_index = stage_index
        self.when = spec.when
        self.allow_failure = spec.allow_failure
        self.result = spec.result
        if spec.fail_if_variable and any(v['key'] == spec.fail_if_variable and v['value'] for v in pipeline.variables):
            self.result = 'failed'
        self.user = user
        self.created_at = now
        self.base = 'created'      # created | manual | skipped | queued | canceled
        self.changed_at = None     # moment of the last manual/skipped/canceled event
        self.queued_at = None
        self.canceled_at = None
        self.retried = False
        self.variables = []        # job_variables_attributes of a play: [{key, value}]
        self.erased_at = None
        self.erased_by = None
        self.artifacts_deleted = False
        self.artifacts_destroyed = False     # removed by the expiry clean-up (control.py)
        self.kept = False
        self.register()

    def register(self):
        """Join the pipeline's and the store's builds; a build gets a job token."""
        self.token = JOB_TOKEN_PREFIX + secrets.token_hex(20)
        self.pipeline.jobs.append(self)
        self.ci.jobs[self.id] = self
        self.ci.state.job_tokens[self.token] = self

    # -- events -------------------------------------------------------------------------------

    def process(self, before, moment):
        """Stage processing reached this job at ``moment``; ``before`` is the earlier jobs' status."""
        if before not in RUNS_AFTER[self.when]:
            self.base, self.changed_at = 'skipped', moment
        elif self.when == 'manual':
            self.base, self.changed_at = 'manual', moment
        else:
            self.enqueue(moment)

    def enqueue(self, moment):
        """Pending from ``moment`` on, running after PENDING_SECONDS, done after the duration."""
        self.base = 'queued'
        self.queued_at = moment
        self.canceled_at = None
        self.changed_at = moment

    def reset(self):
        """Back to ``created`` (ResetSkippedJobsService)."""
        self.base, self.changed_at = 'created', None

    def cancel(self, now):
        """Cancel when cancelable; a finished job is left as it is (https://docs.gitlab.com/api/jobs/, cancel a job)."""
        if self.status(now) in CANCELABLE:
            self.base = 'canceled'
            self.canceled_at = now
            self.changed_at = now

    # -- derived state ------------------------------------------------------------------------

    @property
    def pending_seconds(self):
        """Time between enqueue and start."""
        return PENDING_SECONDS * self.pipeline.scale

    @property
    def duration_seconds(self):
        """Time between start and finish."""
        return self.spec.duration * self.pipeline.scale

    def started_at(self, now):
        """When a runner picked the job up, or None."""
        if self.queued_at is None:
            return None
        start = self.queued_at + self.pending_seconds
        limit = now if self.canceled_at is None else min(now, self.canceled_at)
        return start if start <= limit else None

    def _natural_end(self):
        return self.queued_at + self.pending_seconds + self.duration_seconds

    def status(self, now):
        """The status at ``now`` (the pipeline must have been settled at ``now``)."""
        if self.base != 'queued':
            return self.base
        if now < self.queued_at + self.pending_seconds:
            return 'pending'
        if now < self._natural_end():
            return 'running'
        return self.result

    @property
    def running(self):
        """Whether the job runs right now: its job token works only then (lib/api/api_guard.rb, find_user_from_job_token)."""
        now = self.ci.snapshot()
        return self.status(now) == 'running'

    def finished_at(self, now):
        """When the job reached success, failed or canceled, or None."""
        if self.base == 'canceled':
            return self.canceled_at
        if self.base == 'queued' and now >= self._natural_end():
            return self._natural_end()
        return None

    def duration(self, now):
        """Seconds spent running (so far), or None."""
        start = self.started_at(now)
        if start is None:
            return None
        end = self.finished_at(now)
        return (end if end is not None else now) - start

    def queued_duration(self, now):
        """Seconds spent pending (so far), or None."""
        if self.queued_at is None:
            return None
        start = self.started_at(now)
        if start is not None:
            return start - self.queued_at
        end = self.canceled_at if self.canceled_at is not None else now
        return end - self.queued_at

    def event_times(self, now):
        """Every transition moment at or before ``now`` (for the pipeline's ``updated_at``)."""
        times = [self.changed_at, self.started_at(now), self.finished_at(now), self.erased_at]
        return [moment for moment in times if moment is not None and moment <= now]

    def log_length(self, now):
        """Bytes of the log written by ``now``: proportional to the running time, all once finished."""
        if self.erased_at is not None:
            return 0
        start = self.started_at(now)
        if start is None:
            return 0
        end = now if self.canceled_at is None else min(now, self.canceled_at)
        if end >= self._natural_end() or self.duration_seconds <= 0:
            return self.spec.log.size
        return int(self.spec.log.size * (end - start) / self.duration_seconds)

    def archive(self, now):
        """The artifacts ``Archive`` while it is stored (uploaded on success, not erased, deleted or
        destroyed by the expiry clean-up), else None.  Expired archives are still stored."""
        if self.spec.archive is None or self.status(now) != 'success':
            return None
        if self.erased_at is not None or self.artifacts_deleted or self.artifacts_destroyed:
            return None
        return self.spec.archive

    def artifacts_expired(self, now):
        """``artifacts_expired?``: ``artifacts_expire_at`` is in the past."""
        expire_at = self.artifacts_expire_at(now)
        return expire_at is not None and expire_at <= now

    def has_artifacts(self, now):
        """``Ci::Build#artifacts?``: stored and not expired (the job JSON's ``artifacts_file``, keep)."""
        return self.archive(now) is not None and not self.artifacts_expired(now)

    def available_archive(self, now):
        """``available_artifacts?`` (not expired, or the pipeline is locked): the archive, else None.
        Only single-file download by job id checks it (lib/api/ci/job_artifacts.rb)."""
        archive = self.archive(now)
        if archive is None or (self.artifacts_expired(now) and not self.pipeline.artifacts_locked(now)):
            return None
        return archive

    def artifacts_expire_at(self, now):
        """``finished_at + artifacts_expire_in``; None when kept, erased, never expiring or without artifacts.
        The expiry clean-up destroys the artifacts but leaves the build's ``artifacts_expire_at`` [INFERRED]."""
        if self.spec.archive is None or self.kept or self.erased_at is not None or self.artifacts_deleted:
            return None
        finished = self.finished_at(now)
        if finished is None or self.spec.expire_in is None or self.status(now) != 'success':
            return None
        return finished + self.spec.expire_in

    def has_trace(self, now):
        """Whether the finished job has a (non-empty) log artifact."""
        return self.status(now) in COMPLETED and self.log_length(now) > 0

    def erasable(self, now):
        """``Ci::Build#erasable?``: complete, and artifacts or a log to erase."""
        return self.status(now) in COMPLETED and (self.archive(now) is not None or self.has_trace(now))

    def retryable(self, now):
        """``Ci::Processable#retryable?``: the latest try, and success, failed or canceled."""
        return not self.retried and self.status(now) in RETRYABLE

    def playable(self, now):
        """``Ci::Build#playable?``: a manual job that is ``manual`` or retryable."""
        return self.when == 'manual' and not self.retried and (self.status(now) in ('manual', 'scheduled') or self.retryable(now))


def processable(pipeline, spec, stage_index, user, now):
    """A new build, or a Bridge when the spec has ``trigger:``; it joins its pipeline."""
    kind = Bridge if spec.trigger is not None else Job
    return kind(pipeline, spec, stage_index, user, now)


# Ci::CreateDownstreamPipelineService::MAX_NESTED_CHILDREN
MAX_NESTED_CHILDREN = 2
# Ci::Bridge#inherit_dependent_status_from_downstream!: the downstream statuses a ``depend`` bridge takes
# over; any other downstream status leaves the bridge running.
DEPENDENT_STATUS = {'success': 'success', 'canceled': 'canceled', 'failed': 'failed', 'skipped': 'failed'}
# Ci::Bridge#inherit_mirrored_status_from_downstream! (``strategy: mirror``, GitLab 18.2+): taken over on every
# downstream transition to a "bridgeable" status (Ci::Pipeline.bridgeable_statuses, PipelineBridgeStatusWorker),
# not only at the end; running, canceling, scheduled ... leave the bridge as it is (running).
MIRRORED_STATUS = {'success': 'success', 'canceled': 'canceled', 'failed': 'failed', 'manual': 'manual', 'skipped': 'skipped'}
# CommitStatus failure_reason enum: ``unknown_failure`` is the nil value (app/models/concerns/enums/ci/commit_status.rb).
UNKNOWN_FAILURE = 'unknown_failure'


class Bridge(Job):
    """A trigger job (``Ci::Bridge``, app/models/ci/bridge.rb): no runner, no log, no artifacts, no token.

    When its stage is processed it turns pending and ``Ci::CreateDownstreamPipelineService``
    (app/services/ci/create_downstream_pipeline_service.rb) runs at that moment, checking in its order:
    the downstream project exists and the user can read it (else failed,
    ``downstream_bridge_project_not_found``); a multi-project trigger does not name the bridge's own
    project (``invalid_bridge_trigger``); a child is at most MAX_NESTED_CHILDREN levels deep
    (``reached_max_descendant_pipelines_depth``); the user may update pipelines of this project and
    create pipelines in the downstream one, Developer+ here (``insufficient_bridge_permissions``;
    protected branches are not modelled); no pipeline loop (``pipeline_loop_detected``).  Then the
    downstream pipeline is created (child: same project and ref, source ``parent_pipeline``;
    multi-project: ``branch`` or the default branch, source ``pipeline``), without variables (the fake
    has no YAML variables and pipeline variables are not forwarded by default).  An unknown ref or a
    project without ``ci:`` fails the bridge with ``downstream_pipeline_creation_failed`` (a missing
    config is persisted as a failed downstream pipeline, linked to the bridge [INFERRED]).

    Without ``strategy`` the bridge is success once the downstream pipeline is created
    (CreateDownstreamPipelineService: ``success! unless has_strategy?``); with ``depend`` it is
    running until the downstream pipeline completes and then takes its status (DEPENDENT_STATUS;
    failed with ``failure_reason`` ``unknown_failure``); with ``mirror`` it takes the downstream's
    status whenever that is one of MIRRORED_STATUS, so a downstream blocked on a manual job makes
    the bridge (and its pipeline) ``manual`` instead of running forever.

    When a job of a finished downstream pipeline is retried (or played), the downstream runs again
    but a bridge keeps the status it had (``sticky``) until the downstream completes again, when
    PipelineBridgeStatusWorker passes the new status up; except that ``Ci::Pipeline#reset_source_bridge!``
    (Ci::AfterRequeueJobService after a job retry, Ci::RetryPipelineService after a pipeline retry)
    makes the source bridge waiting again, level by level (``Pipeline.reset_source_bridge``), while the
    user may update the upstream pipeline (Developer+).  ``bridge_waiting?`` is ``dependent?`` in the
    source read; ``mirror`` bridges are reset the same way [INFERRED], and so is a played manual job
    [INFERRED: PlayBuildService's path to reset_source_bridge! was not settled].
    """

    def __init__(self, pipeline, spec, stage_index, user, now):
        self.downstream = None        # the Pipeline this bridge created
        self.failure_reason = None    # set when the bridge was dropped
        self.sticky = None            # (status, finished_at, since): shown until the downstream completes after ``since``
        super().__init__(pipeline, spec, stage_index, user, now)

    def register(self):
        """Join the pipeline's and the store's bridges (no job token: nothing runs it)."""
        self.token = None
        self.pipeline.bridges.append(self)
        self.ci.bridges[self.id] = self

    # -- events -------------------------------------------------------------------------------

    def enqueue(self, moment):
        """Pending at ``moment``; the downstream pipeline is triggered at once."""
        super().enqueue(moment)
        self.downstream, self.failure_reason, self.sticky = None, None, None
        self.trigger_downstream(moment)

    def hold(self, now):
        """Keep the current (completed) status until the downstream pipeline completes again."""
        if self.base != 'queued' or self.failure_reason is not None or not self.spec.trigger.has_strategy:
            return
        if self.sticky is None:
            status = self.status(now)
            if status in COMPLETED or status == 'manual':
                self.sticky = (status, self.finished_at(now), now)

    def rewait(self, now):
        """``reset_source_bridge!`` (``source_bridge.pending!``, a transition from any status): waiting
        for the downstream again from ``now``, a canceled bridge included."""
        self.sticky = None
        if self.base == 'canceled':
            self.base, self.canceled_at, self.changed_at = 'queued', None, now

    def drop(self, reason):
        """``drop!(reason)``: failed with ``failure_reason``."""
        self.failure_reason = reason

    def trigger_downstream(self, moment):
        """``Ci::CreateDownstreamPipelineService#execute`` (see the class docstring)."""
        from .pipelines import MISSING_CONFIG, can_create     # pipelines.py imports this module
        state = self.ci.state
        trigger = self.spec.trigger
        upstream = self.pipeline
        if trigger.include is not None:
            project, ref, source, specs = upstream.project, upstream.ref, 'parent_pipeline', trigger.include
        else:
            project, moved = state.find_project(trigger.project) if '/' in trigger.project else (None, False)
            if project is None or moved or not state.can_read_project(self.user, project):
                return self.drop('downstream_bridge_project_not_found')
            if project is upstream.project:
                return self.drop('invalid_bridge_trigger')
            ref, source, specs = trigger.branch or project.default_branch, 'pipeline', None
        if trigger.include is not None and len(upstream.ancestors()) > MAX_NESTED_CHILDREN:
            return self.drop('reached_max_descendant_pipelines_depth')
        if not (can_create(state, self.user, upstream.project) and can_create(state, self.user, project)):
            return self.drop('insufficient_bridge_permissions')
        if trigger.include is None and self._loops():
            return self.drop('pipeline_loop_detected')
        if not ref or not ref_exists(project, ref):
            return self.drop('downstream_pipeline_creation_failed')
        if specs is None:
            specs = job_specs(project)
        if not specs:
            self.downstream = Pipeline(self.ci, project, ref, source, self.user, [], [], moment, failure=MISSING_CONFIG,
                                       upstream=self)
            return self.drop('downstream_pipeline_creation_failed')
        self.downstream = Pipeline(self.ci, project, ref, source, self.user, [], specs, moment, upstream=self)
        return None

    def _loops(self):
        """``has_cyclic_dependency?``: a (project, ref, source) more than twice among the non-child upstreams."""
        seen = [(p.project.id, p.ref, p.source) for p in self.pipeline.upstreams() if p.source != 'parent_pipeline']
        return any(seen.count(item) > 2 for item in seen)

    # -- derived state ------------------------------------------------------------------------

    def _held(self, now):
        """The sticky (status, finished_at) while the downstream has not completed again, else None."""
        if self.sticky is None:
            return None
        status, finished, since = self.sticky
        self.downstream.settle(now)
        end = self.downstream.finished_at(now)
        if end is not None and end > since:
            return None
        return status, finished

    def status(self, now):
        """created/manual/skipped/canceled as any job; once triggered: failed when dropped, success without
        a strategy, else running until the downstream pipeline reaches a status the strategy takes over
        (DEPENDENT_STATUS or MIRRORED_STATUS)."""
        if self.base != 'queued':
            return self.base
        if self.failure_reason is not None:
            return 'failed'
        trigger = self.spec.trigger
        if not trigger.has_strategy:
            return 'success'
        held = self._held(now)
        if held is not None:
            return held[0]
        self.downstream.settle(now)
        table = MIRRORED_STATUS if trigger.mirrored else DEPENDENT_STATUS
        return table.get(self.downstream.status(now), 'running')

    def failure_reason_at(self, now):
        """The ``failure_reason`` of a failed bridge (None otherwise)."""
        if self.status(now) != 'failed':
            return None
        return self.failure_reason or UNKNOWN_FAILURE

    def started_at(self, now):
        """When the downstream pipeline was created (``bridge.run``); None when dropped before."""
        if self.queued_at is None or self.failure_reason is not None or self.queued_at > now:
            return None
        return self.queued_at

    def finished_at(self, now):
        """Dropped or without strategy: the trigger moment; ``depend``: when the downstream pipeline completed."""
        if self.base == 'canceled':
            return self.canceled_at
        if self.base != 'queued':
            return None
        if self.failure_reason is not None or not self.spec.trigger.has_strategy:
            return self.queued_at
        if self.status(now) not in COMPLETED:
            return None
        held = self._held(now)
        if held is not None:
            return held[1]
        downstream = self.downstream
        return max(self.queued_at, downstream.finished_at(now) or downstream.updated_at(now))

    @property
    def running(self):
        """A bridge has no job token."""
        return False

    def log_length(self, now):
        """No log."""
        return 0

    def archive(self, now):
        """No artifacts (``Ci::Bridge#job_artifacts`` is none)."""
        return None

    def retryable(self, now):
        """``Ci::Bridge#retryable?``: not after a loop or the depth limit."""
        if self.failure_reason in ('pipeline_loop_detected', 'reached_max_descendant_pipelines_depth'):
            return False
        return super().retryable(now)


def payload_json(params):
    """``params.to_json`` as ActiveSupport writes it (no spaces; ``<``, ``>``, ``&`` escaped)."""
    text = json.dumps(params, separators=(',', ':'), ensure_ascii=False)
    for char, escaped in (('<', '\\u003c'), ('>', '\\u003e'), ('&', '\\u0026'), ('\u2028', '\\u2028'), ('\u2029', '\\u2029')):
        text = text.replace(char, escaped)
    return text
