# -*- coding: utf-8 -*-
# Copyright: cicd.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure job and pipeline logic for gitlab_ci_job: validation, decisions, waiting, results. No HTTP.

The module validates the options (``validate_params``), finds the job, asks ``action_for`` what the
requested state means for it, and waits with ``wait_for`` (sleep and clock injectable). Status
classes follow GitLab's ``Ci::HasStatus`` (``app/models/concerns/ci/has_status.rb``). Secrets (variable values) never reach a
message built here; ``tail_message`` also redacts any secret it is handed.
Private to the collection: the API of this file may change without notice.
"""

from __future__ import annotations

import os
import re
import time

from ansible_collections.cicd.gitlab.plugins.module_utils import _files
from ansible_collections.cicd.gitlab.plugins.module_utils._client import artifact_path_problem, path_segment_problem

# Ci::HasStatus (app/models/concerns/ci/has_status.rb); the 13 statuses of
# https://docs.gitlab.com/api/jobs/#job-status-values
FINISHED = frozenset(('success', 'failed', 'canceled', 'skipped'))
ACTIVE = frozenset(('waiting_for_resource', 'preparing', 'waiting_for_callback', 'pending', 'running'))
BLOCKED = frozenset(('manual', 'scheduled'))
ALL_STATUSES = frozenset(('created', 'canceling')) | FINISHED | ACTIVE | BLOCKED
# Ci::Processable#retryable? (app/models/ci/processable.rb)
RETRYABLE = frozenset(('success', 'failed', 'canceled', 'canceling'))

STATES = ('present', 'run', 'retried', 'canceled', 'played', 'erased')
FAIL_ON_CHOICES = ('failed', 'canceled', 'skipped')
DEFAULT_FAIL_ON = ('failed', 'canceled')
DEFAULT_TAIL_LINES = 20
# The default cap of the poll interval (option poll_interval_max) and its growth per poll: the end
# of a pipeline is seen at most one cap after it happens, however long it ran.
MAX_POLL_INTERVAL = 10.0
POLL_GROWTH = 1.25
RECORD_SUFFIX = '.cicd-gitlab'
REDACTED = '********'
# Result keys of the job entity (lib/api/entities/ci/job_basic.rb, lib/api/entities/ci/job.rb);
# anything else GitLab adds is left out.
JOB_FIELDS = ('id', 'name', 'stage', 'status', 'ref', 'web_url', 'created_at', 'started_at', 'finished_at',
              'erased_at', 'duration', 'queued_duration', 'allow_failure', 'failure_reason', 'artifacts_expire_at')
PIPELINE_FIELDS = ('id', 'status', 'ref', 'sha', 'web_url', 'source', 'created_at', 'finished_at')
# States whose task is about a job; only run may go without one.
_ARTIFACT_OPTIONS = ('artifacts_dest', 'keep_artifacts', 'log_dest', 'log_lines')


# ---- validation ---------------------------------------------------------------------------

def _given(params, name):
    value = params.get(name)
    return value not in (None, '') and value is not False


# A value of ``variables`` / ``job_variables``: a string, or this dict (stream VALUES' option shape).
RUN_VARIABLE_FIELDS = ('value', 'secret', 'variable_type')
RUN_VARIABLE_TYPES = ('env_var', 'file')
# Ci::HasVariable (app/models/concerns/ci/has_variable.rb): key format and length.
VARIABLE_KEY_RE = re.compile(r'[a-zA-Z0-9_]+')
VARIABLE_KEY_MAX = 255
_CONTROL_RE = re.compile(r'[\x00-\x1f\x7f]')


def _shown_key(key):
    text = repr(key) if _CONTROL_RE.search(key) else key
    return text if len(text) <= 60 else text[:60] + '...'


def _check_variable_value(name, key, value, problems):
    """One value of ``name``: a string, or ``{value, secret, variable_type}``; never echoes the value."""
    where = '%s: the value of %s' % (name, key)
    if isinstance(value, str):
        return
    if not isinstance(value, dict):
        problems.append('%s must be a string (quote it in YAML); got a %s' % (where, _type_name(value)))
        return
    unknown = sorted(str(field) for field in value if field not in RUN_VARIABLE_FIELDS)
    if unknown:
        problems.append('%s: unknown field(s) %s; a value is a string or a dictionary with value, secret and variable_type'
                        % (name + ' ' + key, ', '.join(unknown)))
    if 'value' not in value:
        problems.append('%s %s: value is required in the dictionary form' % (name, key))
    elif not isinstance(value['value'], str):
        problems.append('%s must be a string (quote it in YAML); got a %s' % (where, _type_name(value['value'])))
    if value.get('secret') is not None and not isinstance(value['secret'], bool):
        problems.append('%s %s: secret must be true or false' % (name, key))
    if value.get('variable_type') is not None and value['variable_type'] not in RUN_VARIABLE_TYPES:
        problems.append('%s %s: variable_type must be one of %s' % (name, key, ', '.join(RUN_VARIABLE_TYPES)))


def _check_string_map(params, name, problems):
    """``name`` must map variable keys to values (see _check_variable_value); messages name keys, never values."""
    value = params.get(name)
    if value is None:
        return
    if not isinstance(value, dict):
        problems.append('%s must be a dictionary of names to values (a string, or a dictionary with value, secret '
                        'and variable_type); got a %s' % (name, _type_name(value)))
        return
    for key in sorted(value, key=str):
        if not isinstance(key, str) or not key.strip():
            problems.append('%s: every name must be a non-empty string' % name)
            continue
        if len(key) > VARIABLE_KEY_MAX:
            problems.append('%s: the name %s is longer than %d characters' % (name, _shown_key(key), VARIABLE_KEY_MAX))
        elif not VARIABLE_KEY_RE.fullmatch(key):
            problems.append("%s: the name %s may contain only ASCII letters, digits and '_'" % (name, _shown_key(key)))
        _check_variable_value(name, _shown_key(key), value[key], problems)
    if name == 'job_variables' or _given(params, 'trigger_token'):
        files = sorted(key for key, item in value.items() if isinstance(key, str) and isinstance(item, dict)
                       and item.get('variable_type') == 'file')
        if files:
            # GitLab: POST /jobs/:job_id/play takes job_variables_attributes with key and value only
            # (lib/api/ci/jobs.rb); POST /trigger/pipeline takes variables as a key => value hash
            # (lib/api/ci/triggers.rb). Only POST /projects/:id/pipeline takes variable_type.
            where = ('GitLab plays a job with plain (env_var) variables only' if name == 'job_variables'
                     else 'GitLab\'s trigger endpoint takes plain (env_var) variables only; start the pipeline without trigger_token '
                          '(with the API token) to pass file variables')
            problems.append('%s %s: variable_type file is not supported here: %s' % (name, ', '.join(_shown_key(k) for k in files), where))


def run_variables(value):
    """Normalise a validated ``variables`` / ``job_variables`` option into the list the client takes.

    ``{'KEY': 'v', 'F': {'value': 'x', 'variable_type': 'file', 'secret': True}}`` ->
    ``[{'key': 'F', 'value': 'x', 'variable_type': 'file'}, {'key': 'KEY', 'value': 'v', 'variable_type': 'env_var'}]``
    (sorted by key); None or an empty dict -> None.
    """
    if not value:
        return None
    result = []
    for key in sorted(value):
        item = value[key]
        if isinstance(item, dict):
            result.append({'key': key, 'value': item['value'], 'variable_type': item.get('variable_type') or 'env_var'})
        else:
            result.append({'key': key, 'value': item, 'variable_type': 'env_var'})
    return result


def secret_values(params):
    """The values marked ``secret: true`` in ``variables`` and ``job_variables`` (only those are secrets).

    Called before validation too, so that a secret is masked even when the options are refused: a
    value of the wrong type is taken in its text form (and each item of a list).
    """
    found = []
    for name in ('variables', 'job_variables'):
        value = params.get(name)
        if not isinstance(value, dict):
            continue
        for item in value.values():
            if not isinstance(item, dict) or item.get('secret') not in (True, 'true', 'yes', 'True'):
                continue
            raw = item.get('value')
            for one in (raw if isinstance(raw, (list, tuple)) else [raw]):
                if one is None or isinstance(one, (dict, list, tuple)):
                    continue
                text = one if isinstance(one, str) else str(one)
                if text:
                    found.append(text)
    return found


def _type_name(value):
    if isinstance(value, bool):
        return 'boolean'
    if isinstance(value, (int, float)):
        return 'number'
    if value is None:
        return 'null'
    if isinstance(value, (list, tuple)):
        return 'list'
    if isinstance(value, dict):
        return 'dictionary'
    return type(value).__name__


def _selection_problems(params, state):
    problems = []
    job_id, name = params.get('job_id'), params.get('name')
    pipeline_id, ref = params.get('pipeline_id'), params.get('ref')
    if job_id is not None and name is not None:
        problems.append('job_id and name are mutually exclusive; give the job by id, or by name with pipeline_id or ref')
    if job_id is not None and job_id <= 0:
        problems.append('job_id must be a positive number, got %s' % job_id)
    if pipeline_id is not None and pipeline_id <= 0:
        problems.append('pipeline_id must be a positive number, got %s' % pipeline_id)
    if name is not None and not name.strip():
        problems.append('name cannot be empty')
    if ref is not None and not ref.strip():
        problems.append('ref cannot be empty')
    if state == 'run':
        if not ref:
            problems.append('state=run needs ref, the branch or tag to run the pipeline on')
        if job_id is not None:
            problems.append('job_id cannot be used with state=run; the job is found by name in the new pipeline')
        if pipeline_id is not None:
            problems.append('pipeline_id cannot be used with state=run; the pipeline is the one started')
        if params.get('latest_successful'):
            problems.append('latest_successful cannot be used with state=run')
        return problems
    if job_id is None and name is None:
        problems.append('state=%s needs a job: give job_id, or name with pipeline_id or ref' % state)
    if name is not None and pipeline_id is None and not ref:
        problems.append('name needs pipeline_id or ref to say which pipeline to look in')
    if pipeline_id is not None and ref:
        problems.append('pipeline_id and ref are mutually exclusive; give one of them')
    if job_id is not None and (pipeline_id is not None or ref):
        problems.append('job_id cannot be combined with pipeline_id or ref; the job id is enough')
    if params.get('latest_successful') and (name is None or not ref or pipeline_id is not None):
        problems.append('latest_successful only applies to name with ref')
    return problems


def _state_option_problems(params, state):
    problems = []
    if _given(params, 'trigger_token') and state != 'run':
        problems.append('trigger_token can only be used with state=run')
    if _given(params, 'trigger_token') and not _given(params, 'api_token'):
        needs = [option for option in ('name', 'wait') if _given(params, option)]
        if needs:
            problems.append('%s needs api_token (or GITLAB_TOKEN) besides trigger_token: a trigger token can start a pipeline '
                            'but not read it or its jobs' % ' and '.join(needs))
    if params.get('variables') is not None and state != 'run':
        problems.append('variables can only be used with state=run (use job_variables to play a manual job)')
    if params.get('inputs') is not None and state != 'run':
        problems.append('inputs can only be used with state=run')
    if params.get('job_variables') is not None and state != 'played':
        problems.append('job_variables can only be used with state=played')
    if state == 'erased':
        used = [option for option in _ARTIFACT_OPTIONS if _given(params, option)]
        if used:
            problems.append('%s cannot be used with state=erased, which deletes the job\'s log and artifacts' % ', '.join(used))
    if state == 'run':
        used = [option for option in _ARTIFACT_OPTIONS if _given(params, option)]
        if used and params.get('name') is None:
            problems.append('%s need a job: with state=run give name, the job of the new pipeline to act on' % ', '.join(used))
        elif (_given(params, 'artifacts_dest') or params.get('keep_artifacts')) and not params.get('wait'):
            problems.append('artifacts_dest and keep_artifacts with state=run need wait=true (a new job has no artifacts yet)')
    return problems


def _number_problems(params):
    problems = []
    if params.get('log_lines') is not None and params['log_lines'] < 0:
        problems.append('log_lines must be 0 or more, got %s' % params['log_lines'])
    if params.get('wait_timeout') is not None and params['wait_timeout'] <= 0:
        problems.append('wait_timeout must be greater than 0, got %s' % params['wait_timeout'])
    if params.get('poll_interval') is not None and params['poll_interval'] <= 0:
        problems.append('poll_interval must be greater than 0, got %s' % params['poll_interval'])
    if params.get('poll_interval_max') is not None and params['poll_interval_max'] <= 0:
        problems.append('poll_interval_max must be greater than 0, got %s' % params['poll_interval_max'])
    if params.get('artifacts_max_size') is not None and params['artifacts_max_size'] <= 0:
        problems.append('artifacts_max_size must be greater than 0 bytes, got %s' % params['artifacts_max_size'])
    bad = [item for item in (params.get('fail_on') or []) if item not in FAIL_ON_CHOICES]
    if bad:
        problems.append('fail_on may contain only %s' % ', '.join(FAIL_ON_CHOICES))
    return problems


def _destination_problems(params, isdir):
    """The destination options (paths, mode, owner, group), checked by the one owner of host files.

    ``isdir`` is os.path.isdir on the host; any other function stands for a host where only the
    directories it names exist (table tests).
    """
    host = None if isdir is os.path.isdir else _files.DirectoriesOnly(isdir)
    return _files.destination_problems(params, host=host)


# ---- values that become part of a URL ------------------------------------------------------

def _url_value_problems(params):
    """Every value that ends up in a URL (path or query) is checked before any request.

    project becomes a path segment; ref and name are query parameters or body fields, but a line
    break or control character in them is never what was meant; artifact_path becomes the tail of
    the URL path, so it must stay inside the archive (requests would resolve '..' before GitLab
    sees it and call another endpoint with the token).
    """
    problems = []
    project = params.get('project')
    if project is not None and str(project).strip():
        problem = path_segment_problem('project', str(project))
        if problem:
            problems.append(problem)
    for option in ('ref', 'name'):
        value = params.get(option)
        if isinstance(value, str) and value.strip() and _CONTROL_RE.search(value):
            problems.append('%s contains a line break or control character' % option)
    ref = params.get('ref')
    if isinstance(ref, str) and ref.strip() and not _CONTROL_RE.search(ref):
        problem = path_segment_problem('ref', ref)
        if problem:
            problems.append(problem)
    artifact_path = params.get('artifact_path')
    if artifact_path is not None and artifact_path.strip('/ '):
        problem = artifact_path_problem(artifact_path)
        if problem:
            problems.append(problem)
    return problems


def validate_params(params, isdir=os.path.isdir):
    """Every problem with the options that can be found without GitLab, as a list of sentences.

    ``params`` are the module's parameters; ``isdir`` checks local directories (injectable for tests).
    """
    state = params.get('state') or 'present'
    if state not in STATES:
        return ['state must be one of %s' % ', '.join(STATES)]
    problems = _selection_problems(params, state)
    problems.extend(_state_option_problems(params, state))
    problems.extend(_number_problems(params))
    for name in ('variables', 'job_variables'):
        _check_string_map(params, name, problems)
    if params.get('inputs') is not None and not isinstance(params['inputs'], dict):
        problems.append('inputs must be a dictionary')
    problems.extend(_downstream_problems(params))
    problems.extend(_url_value_problems(params))
    problems.extend(_destination_problems(params, isdir))
    return problems


def _downstream_problems(params):
    """``downstream``: trigger job names leading from the parent pipeline to the job's pipeline."""
    value = params.get('downstream')
    if value is None:
        return []
    problems = []
    if params.get('name') is None:
        problems.append('downstream needs name: it picks the pipeline of the tree in which to find the job by name')
    if params.get('follow_downstream') is False:
        problems.append('downstream cannot be used with follow_downstream=false')
    if any(not isinstance(item, str) or not item.strip() or _CONTROL_RE.search(item) for item in value):
        problems.append('downstream must be a list of trigger job names (non-empty strings without control characters)')
    return problems


# ---- waiting ------------------------------------------------------------------------------

def poll_intervals(initial, cap):
    """Seconds to sleep between polls: ``initial``, then x1.25 each time, never more than ``cap``."""
    cap = float(cap)
    delay = min(float(initial), cap)
    while True:
        yield delay
        delay = min(delay * POLL_GROWTH, cap)


def interval_cap(wait_timeout, poll_interval_max=None):
    """The largest poll interval: ``poll_interval_max`` (default 10 s), or the whole timeout when it is shorter."""
    cap = MAX_POLL_INTERVAL if poll_interval_max is None else float(poll_interval_max)
    return min(cap, float(wait_timeout))


_UNSEEN = object()


def wait_for(fetch, done, timeout, intervals, sleep=time.sleep, clock=time.monotonic, initial=_UNSEEN):
    """Call ``fetch()`` until ``done(value)`` or ``timeout`` seconds have passed.

    Returns ``(value, elapsed, finished)`` with the last value seen. A sleep never runs past the
    deadline, and ``fetch`` is called once more at the deadline, so a change is seen at most one
    interval after it happens. With ``initial`` (a value just read) the first ``fetch`` waits one
    interval: ``initial`` stands for the read at the start.
    """
    start = clock()
    deadline = start + timeout
    value, fresh = initial, initial is not _UNSEEN
    for delay in intervals:
        if not fresh:
            value = fetch()
        fresh = False
        now = clock()
        if done(value):
            return value, now - start, True
        remaining = deadline - now
        if remaining <= 0:
            return value, now - start, False
        sleep(min(delay, remaining))
    raise ValueError('intervals ran out')  # poll_intervals() never does


def job_finished(job):
    """True when waiting on the job is over: finished, or blocked on a person (``manual``).

    ``canceling`` is not finished (after_script still runs); ``scheduled`` starts by itself, so it
    is waited for.
    """
    return job.get('status') in FINISHED or job.get('status') == 'manual'


def pipeline_finished(pipeline, jobs):
    """True when a pipeline will not progress by itself.

    Finished statuses, or ``manual`` (blocked on manual jobs); ``success`` may leave manual jobs
    behind. A pipeline whose status still says it runs counts as finished when every job is
    finished or manual and at least one is manual. ``canceling`` is never finished.
    """
    status = pipeline.get('status')
    if status in FINISHED or status == 'manual':
        return True
    if status == 'canceling' or not jobs:
        return False
    statuses = [job.get('status') for job in jobs]
    return all(s in FINISHED or s == 'manual' for s in statuses) and 'manual' in statuses


def job_outcome(job, fail_on):
    """The status that fails the task (one of ``fail_on``), or None when the job's end is fine."""
    status = job.get('status')
    return status if status in (fail_on or ()) else None


def pipeline_outcome(pipeline, jobs, fail_on):
    """``(status, failing_jobs)``: the status that fails the task or None, and the jobs to blame.

    Jobs allowed to fail are never blamed; when the pipeline's status is not final yet (blocked on
    manual jobs), the first failing job's status decides.
    """
    fail_on = tuple(fail_on or ())
    blamed = sorted((job for job in jobs if job.get('status') in fail_on and not job.get('allow_failure')),
                    key=lambda job: job.get('id') or 0)
    status = pipeline.get('status')
    if status in fail_on:
        return status, blamed
    if status not in FINISHED and blamed:
        return blamed[0]['status'], blamed
    return None, []


# ---- selection and decisions ----------------------------------------------------------------

def pick_job(jobs, name):
    """The newest job called ``name`` (highest id), never a retried one; None when there is none."""
    candidates = [job for job in jobs if job.get('name') == name and not job.get('retried')]
    if not candidates:
        return None
    return max(candidates, key=lambda job: job.get('id') or 0)


def describe_job(job):
    """``job 12 (build)``, for messages."""
    if job.get('name'):
        return 'job %s (%s)' % (job.get('id'), job['name'])
    return 'job %s' % job.get('id')


def _play_action(job, after_wait):
    status = job.get('status')
    who = describe_job(job)
    if status in BLOCKED:
        return 'play', '%s is %s and will be played' % (who, status)
    if status == 'created':
        return 'wait_playable', '%s is still created; waiting until it becomes manual to play it' % who
    if after_wait or status == 'skipped':
        return 'error', ('%s is %s, not a manual job waiting to be played; only manual or scheduled jobs can be played'
                         % (who, status))
    # GitLab's job entity does not say whether a job is manual; once it has left the manual
    # status it looks like any other job, so this counts as played already.
    return 'none', '%s is %s: already played' % (who, status)


def action_for(state, job, after_wait=False):
    """What ``state`` means for a job: ``(action, reason)``.

    ``action`` is one of ``cancel``, ``play``, ``wait_playable``, ``erase``, ``retry``, ``none``
    (nothing to do) or ``error`` (``reason`` says why). ``after_wait`` is True when a job that was
    ``created`` has been waited for and has left that status.
    """
    status = job.get('status')
    who = describe_job(job)
    if state in ('present', 'run'):
        return 'none', '%s is %s' % (who, status)
    if state == 'canceled':
        if status == 'canceling':
            return 'none', '%s is already being canceled' % who
        if status in FINISHED:
            return 'none', '%s has already finished (%s)' % (who, status)
        return 'cancel', '%s is %s and will be canceled' % (who, status)
    if state == 'played':
        return _play_action(job, after_wait)
    if state == 'erased':
        if job.get('erased_at'):
            return 'none', '%s was already erased at %s' % (who, job['erased_at'])
        if status not in FINISHED:
            return 'error', '%s is %s; only a finished job (success, failed, canceled, skipped) can be erased' % (who, status)
        return 'erase', '%s is %s and will be erased' % (who, status)
    if state == 'retried':
        if status not in RETRYABLE:
            return 'error', '%s is %s; only a job that is success, failed, canceled or canceling can be retried' % (who, status)
        return 'retry', '%s is %s and will be retried' % (who, status)
    return 'error', 'unknown state %s' % state


def archive_of(job):
    """The job's artifacts archive as GitLab lists it, ``{'filename', 'size'}``, or None when it has none.

    ``artifacts_file`` leaves the job JSON once the artifacts expire (``Ci::Build#artifacts?``), yet
    GitLab still serves the archive by job id until its clean-up worker removes it, and for ever
    while the pipeline is locked (the latest successful one of its ref): lib/api/ci/job_artifacts.rb
    only checks that the file exists. The job's ``artifacts`` list still names the archive then.
    """
    current = job.get('artifacts_file')
    if isinstance(current, dict) and current:
        return {'filename': current.get('filename'), 'size': current.get('size')}
    for item in job.get('artifacts') or ():
        if isinstance(item, dict) and item.get('file_type') == 'archive':
            return {'filename': item.get('filename'), 'size': item.get('size')}
    return None


def has_artifacts(job):
    """True when GitLab lists an artifacts archive for the job, expired or not (see archive_of)."""
    return archive_of(job) is not None


def artifacts_expired(job):
    """True when the archive is still listed but ``artifacts_file`` is gone: the artifacts expired."""
    return has_artifacts(job) and not job.get('artifacts_file')


def needs_keep(job):
    """True when the job's artifacts expire (``artifacts_expire_at`` set) and keeping them changes that."""
    return bool(job.get('artifacts_expire_at'))


# ---- results --------------------------------------------------------------------------------

def public_job(job):
    """The job as returned by the module: the documented fields only."""
    result = dict((field, job.get(field)) for field in JOB_FIELDS)
    pipeline = job.get('pipeline') or {}
    result['pipeline_id'] = pipeline.get('id')
    result['artifacts_file'] = job.get('artifacts_file') or None
    result['artifacts'] = [dict((k, item.get(k)) for k in ('file_type', 'filename', 'size', 'file_format'))
                           for item in (job.get('artifacts') or [])]
    return result


def public_pipeline(pipeline, jobs):
    """The pipeline as returned by the module, with its jobs (``id, name, stage, status``) by id."""
    result = dict((field, pipeline.get(field)) for field in PIPELINE_FIELDS)
    result['jobs'] = [dict((k, job.get(k)) for k in ('id', 'name', 'stage', 'status'))
                      for job in sorted(jobs, key=lambda job: job.get('id') or 0)]
    return result


def redact(text, secrets):
    """``text`` with every secret (of at least 3 characters) replaced by a marker."""
    for secret in sorted((s for s in secrets if isinstance(s, str) and len(s) >= 3), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def tail_message(job, lines, secrets=()):
    """Why a job fails the task: its status (and failure reason) and the last lines of its log."""
    text = '%s ended with status %s' % (describe_job(job), job.get('status'))
    if job.get('stage'):
        text += ' in stage %s' % job['stage']
    if job.get('failure_reason'):
        text += ' (failure_reason: %s)' % job['failure_reason']
    if job.get('web_url'):
        text += '; see %s' % job['web_url']
    if lines:
        text += '\nlast %d lines of its log:\n%s' % (len(lines), '\n'.join(lines))
    elif lines is not None:
        text += '; its log is empty'
    return redact(text, secrets)


def timeout_message(what, status, elapsed, timeout):
    """A wait that ran out: what was waited for and what was seen last."""
    return ('timed out after %.1f s (wait_timeout=%s) waiting for %s; last seen status: %s'
            % (elapsed, timeout, what, status))


# ---- log text ---------------------------------------------------------------------------------

MAX_LOG_LINE = 1000
# ANSI escape sequences: CSI (colours, cursor, erase: ESC [ ... final byte, or the one-byte CSI),
# OSC (ESC ] ... ended by BEL or ESC backslash), character set selections (ESC ( B) and the other
# two-byte escapes (ESC and one byte); a lone ESC goes too.
_ANSI_RE = re.compile(r'\x1b\[[0-?]*[ -/]*[@-~]|\x9b[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[ -/]+[0-~]|\x1b[0-~]?')
# GitLab's collapsible section markers, once the escapes are gone:
# section_start:UNIX_TIMESTAMP:SECTION_NAME[options]\r (then the header text) and
# section_end:UNIX_TIMESTAMP:SECTION_NAME\r. https://docs.gitlab.com/ci/jobs/job_logs/#custom-collapsible-sections
_SECTION_RE = re.compile(r'section_(?:start|end):\d+:[^\s\[\r]*(?:\[[^\]\r\n]*\])?\r?')
# What remains of other control characters (tab is kept).
_LOG_CONTROL_RE = re.compile(r'[\x00-\x08\x0b-\x1f\x7f]')


def clean_log_line(line, max_line=MAX_LOG_LINE):
    """One log line as a terminal would show it, or None when it held only section markers.

    Strips ANSI escape sequences and GitLab's section markers; carriage-return progress keeps only
    what was written after the last ``\\r`` (a trailing ``\\r`` is ignored); other control
    characters go; a line longer than ``max_line`` characters is cut and says how much was left out.
    """
    if isinstance(line, bytes):
        line = line.decode('utf-8', 'replace')
    original = line
    line = _ANSI_RE.sub('', line)
    line, markers = _SECTION_RE.subn('', line)
    line = line.rstrip('\r\n')
    if '\r' in line:
        line = line.rsplit('\r', 1)[1]
    line = _LOG_CONTROL_RE.sub('', line)
    if markers and not line.strip() and original.strip():
        return None
    if max_line is not None and len(line) > max_line:
        line = '%s [... %d more characters]' % (line[:max_line], len(line) - max_line)
    return line


def clean_log_lines(lines, max_line=MAX_LOG_LINE):
    """Job log lines fit for a result or a message: see clean_log_line; lines of markers only are dropped.

    ``lines`` None stays None.
    """
    if lines is None:
        return None
    cleaned = (clean_log_line(line, max_line) for line in lines)
    return [line for line in cleaned if line is not None]


# ---- artifact records -------------------------------------------------------------------------

def expected_record(project, job_id, artifact_path):
    """The identity a destination's record must name to count as this job's artifact (see _files.sync)."""
    return {'project': str(project), 'job_id': int(job_id), 'artifact_path': artifact_path or None}
