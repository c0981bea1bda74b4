# -*- coding: utf-8 -*-
# Copyright: cicd.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic of gitlab_ci_pipeline_info and gitlab_ci_job_info: validation, queries, results. No HTTP.

``pipeline_selection(params)`` / ``job_selection(params)`` validate the options and say what to read
(InputError before any request); ``pipeline_query`` builds the query of ``GET /projects/:id/pipelines``
(https://docs.gitlab.com/api/pipelines/#list-project-pipelines); ``public_pipeline``, ``public_bridge``
and ``job_result`` shape GitLab's entities into the documented results.
Private to the collection: the API of this file may change without notice.
"""

from __future__ import annotations

import datetime
import re

from ansible_collections.cicd.gitlab.plugins.module_utils import _jobs
from ansible_collections.cicd.gitlab.plugins.module_utils._client import path_segment_problem
from ansible_collections.cicd.gitlab.plugins.module_utils._errors import InputError

DEFAULT_LIMIT = 20
MAX_LIMIT = 10000
MAX_LOG_LINES = 10000
# Ci::HasStatus::AVAILABLE_STATUSES (app/models/concerns/ci/has_status.rb): the pipeline ``status``
# filter and the job ``scope`` values (lib/api/ci/pipelines.rb, lib/api/ci/jobs.rb).
STATUSES = ('created', 'waiting_for_resource', 'preparing', 'waiting_for_callback', 'pending', 'running', 'success',
            'failed', 'canceling', 'canceled', 'skipped', 'manual', 'scheduled')
# Ci::PipelinesFinder::ALLOWED_INDEXED_COLUMNS
ORDER_BY = ('id', 'status', 'ref', 'updated_at', 'user_id')
SORT = ('asc', 'desc')
# Filters of the pipeline list (besides ref, which latest takes too).
LIST_FILTERS = ('sha', 'status', 'source', 'username', 'name', 'updated_after', 'updated_before', 'order_by', 'sort')
# Result keys of a pipeline: Entities::Ci::PipelineWithMetadata (lib/api/entities/ci/pipeline_with_metadata.rb).
# The list answers Entities::Ci::PipelineBasicWithMetadata, which has neither started_at, finished_at,
# duration nor user: those are null for a listed pipeline, unless the module reads each one (details).
PIPELINE_FIELDS = ('id', 'iid', 'project_id', 'status', 'ref', 'sha', 'source', 'name', 'web_url', 'created_at',
                   'updated_at', 'started_at', 'finished_at', 'duration')
BRIDGE_FIELDS = ('id', 'name', 'stage', 'status', 'ref', 'web_url', 'created_at', 'started_at', 'finished_at',
                 'duration', 'allow_failure', 'failure_reason')
DOWNSTREAM_FIELDS = ('id', 'iid', 'project_id', 'ref', 'sha', 'status', 'source', 'web_url')

_CONTROL_RE = re.compile(r'[\x00-\x1f\x7f]')
_SHA_RE = re.compile(r'[0-9a-fA-F]{4,64}')
# ISO 8601 as GitLab's Grape DateTime takes it: a date, or a date and time with an optional offset.
_ISO_RE = re.compile(r'(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?'
                     r'(Z|z|[+-]\d{2}(?::?\d{2})?)?)?')


# ---- small checks ---------------------------------------------------------------------------------

def _given(params, name):
    value = params.get(name)
    return value not in (None, '', []) and value is not False


def _text_problem(name, value):
    """A string option that goes into a query: not empty, no line break or control character."""
    if value is None:
        return None
    if not str(value).strip():
        return '%s cannot be empty' % name
    if _CONTROL_RE.search(str(value)):
        return '%s contains a line break or control character' % name
    return None


def _positive(params, name, problems):
    value = params.get(name)
    if value is not None and value <= 0:
        problems.append('%s must be a positive number, got %s' % (name, value))


def _limit_problem(value):
    if value is not None and not 1 <= value <= MAX_LIMIT:
        return 'limit must be between 1 and %d, got %s' % (MAX_LIMIT, value)
    return None


def _project_problems(params):
    project = params.get('project')
    if project is None or not str(project).strip():
        return ['project cannot be empty']
    problem = path_segment_problem('project', str(project))
    return [problem] if problem else []


def parse_time(name, value):
    """``(utc_text, None)`` for an ISO 8601 date or date and time, ``(None, problem)`` otherwise.

    ``2026-01-31`` is midnight UTC; a time without an offset is UTC; the result is
    ``YYYY-MM-DDTHH:MM:SSZ``, the form GitLab documents for ``updated_after``/``updated_before``.
    """
    text = str(value).strip()
    match = _ISO_RE.fullmatch(text)
    wrong = (None, '%s must be an ISO 8601 date or date and time (2026-01-31, 2026-01-31T12:00:00Z, '
                   '2026-01-31T14:00:00+02:00), got %r' % (name, text[:60]))
    if not match:
        return wrong
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    try:
        moment = datetime.datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0),
                                   int((fraction or '0')[:6].ljust(6, '0')))
        if offset and offset not in ('Z', 'z'):
            digits = offset[1:].replace(':', '')
            delta = datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
            if delta >= datetime.timedelta(hours=24):
                return wrong
            moment = moment - delta if offset[0] == '+' else moment + delta
    except ValueError:
        return wrong
    return moment.strftime('%Y-%m-%dT%H:%M:%S') + ('.%06dZ' % moment.microsecond if moment.microsecond else 'Z'), None


# ---- gitlab_ci_pipeline_info -----------------------------------------------------------------------

def pipeline_selection(params):
    """``('one'|'latest'|'list', wanted)`` for the options of gitlab_ci_pipeline_info, or InputError.

    ``wanted`` holds the checked values: ``pipeline_id``, ``ref``, ``query`` (the list's filters, see
    pipeline_query) and ``limit``. Every problem is reported at once; nothing has been sent.
    """
    problems = _project_problems(params)
    _positive(params, 'pipeline_id', problems)
    filters = [name for name in LIST_FILTERS if _given(params, name)]
    latest = bool(params.get('latest'))
    if params.get('pipeline_id') is not None:
        kind = 'one'
        if latest:
            problems.append('pipeline_id and latest are mutually exclusive: give a pipeline by id, or ask for the latest of a ref')
        used = filters + (['ref'] if _given(params, 'ref') else []) + (['limit'] if params.get('limit') is not None else [])
        if used:
            problems.append('%s cannot be used with pipeline_id, which names one pipeline' % ', '.join(used))
    elif latest:
        kind = 'latest'
        used = filters + (['limit'] if params.get('limit') is not None else [])
        if used:
            problems.append('%s cannot be used with latest=true, which takes only ref (the newest pipeline of its newest commit)'
                            % ', '.join(used))
    else:
        kind = 'list'
    if params.get('include_retried') and not params.get('jobs'):
        problems.append('include_retried needs jobs=true')
    if params.get('details') and kind != 'list':
        problems.append('details is for a list: one pipeline (pipeline_id, latest) is always read in full')
    for name in ('ref', 'sha', 'source', 'username', 'name'):
        problem = _text_problem(name, params.get(name))
        if problem:
            problems.append(problem)
    ref = params.get('ref')
    if isinstance(ref, str) and ref.strip() and not _CONTROL_RE.search(ref):
        problem = path_segment_problem('ref', ref)
        if problem:
            problems.append(problem)
    sha = params.get('sha')
    if isinstance(sha, str) and sha.strip() and not _SHA_RE.fullmatch(sha.strip()):
        problems.append('sha must be a commit id (4 to 64 hexadecimal digits), got %r' % sha[:70])
    problem = _limit_problem(params.get('limit'))
    if problem:
        problems.append(problem)
    query, time_problems = pipeline_query(params)
    problems.extend(time_problems)
    if problems:
        raise InputError(problems)
    limit = params.get('limit') if params.get('limit') is not None else DEFAULT_LIMIT
    return kind, {'pipeline_id': params.get('pipeline_id'), 'ref': ref, 'query': query, 'limit': limit}


def pipeline_query(params):
    """``(query, problems)``: the query of ``GET /projects/:id/pipelines`` for the list's options.

    Only options that are set are sent (GitLab's defaults are order_by=id, sort=desc); times are
    normalised to UTC (parse_time). ``updated_after`` must be before ``updated_before``.
    """
    query, problems = {}, []
    for name in ('ref', 'sha', 'status', 'source', 'username', 'name', 'order_by', 'sort'):
        if _given(params, name):
            query[name] = params[name].strip() if name in ('ref', 'sha') else params[name]
    moments = {}
    for name in ('updated_after', 'updated_before'):
        if _given(params, name):
            text, problem = parse_time(name, params[name])
            if problem:
                problems.append(problem)
            else:
                query[name] = moments[name] = text
    if len(moments) == 2 and moments['updated_after'] >= moments['updated_before']:
        problems.append('updated_after (%s) must be before updated_before (%s)' % (moments['updated_after'], moments['updated_before']))
    return query, problems


def public_user(user):
    """``{id, username, name}`` of GitLab's UserBasic, or None."""
    if not isinstance(user, dict):
        return None
    return {'id': user.get('id'), 'username': user.get('username'), 'name': user.get('name')}


def public_pipeline(pipeline):
    """A pipeline as the module returns it: PIPELINE_FIELDS and ``user`` (null when GitLab did not say)."""
    result = dict((field, pipeline.get(field)) for field in PIPELINE_FIELDS)
    result['user'] = public_user(pipeline.get('user'))
    return result


def public_bridge(bridge):
    """A trigger job (Entities::Ci::Bridge) with ``downstream_pipeline`` {id, iid, project_id, ref, sha, status, source, web_url}
    or None when no downstream pipeline was created (yet, or ever: a failed trigger)."""
    result = dict((field, bridge.get(field)) for field in BRIDGE_FIELDS)
    downstream = bridge.get('downstream_pipeline')
    result['downstream_pipeline'] = (dict((field, downstream.get(field)) for field in DOWNSTREAM_FIELDS)
                                     if isinstance(downstream, dict) else None)
    return result


def no_latest_message(project, ref):
    """Why ``latest`` found nothing: GitLab's latest is the newest pipeline of the ref's newest commit."""
    where = 'ref %s' % ref if ref else 'the default branch'
    return 'the newest commit of %s of project %s has no pipeline (older commits of the ref may have)' % (where, project)


def not_found_message(what, ident, project, detail=''):
    """A missing pipeline or job: named, with the project, and what it may mean."""
    return ('%s %s was not found in project %s: it does not exist, belongs to another project, or the token cannot see it%s'
            % (what, ident, project, detail))


# ---- gitlab_ci_job_info ------------------------------------------------------------------------------

def job_selection(params):
    """``('job'|'pipeline'|'sha'|'project', wanted)`` for the options of gitlab_ci_job_info, or InputError.

    ``wanted``: ``job_id``, ``pipeline_id``, ``sha``, ``scope`` (a list or None), ``name``, ``limit``
    (None means every job of the pipeline or commit; the project's jobs default to 20), ``log_lines``.
    """
    problems = _project_problems(params)
    for name in ('job_id', 'pipeline_id'):
        _positive(params, name, problems)
    chosen = [name for name in ('job_id', 'pipeline_id', 'sha') if _given(params, name)]
    if len(chosen) > 1:
        problems.append('%s are mutually exclusive: give one job (job_id), the jobs of a pipeline (pipeline_id) or of a '
                        'commit (sha), or none of them for the project\'s jobs' % ', '.join(chosen))
    kind = {'job_id': 'job', 'pipeline_id': 'pipeline', 'sha': 'sha'}[chosen[0]] if chosen else 'project'
    if params.get('include_retried') and kind not in ('pipeline', 'sha'):
        problems.append('include_retried needs pipeline_id or sha')
    scope = list(params.get('scope') or []) or None
    if kind == 'job':
        used = [name for name in ('scope', 'limit') if params.get(name) not in (None, [])]
        if used:
            problems.append('%s cannot be used with job_id, which names one job' % ', '.join(used))
    bad = sorted(set(str(item) for item in scope or () if item not in STATUSES))
    if bad:
        problems.append('scope may contain only job statuses (%s), got %s' % (', '.join(STATUSES), ', '.join(bad)))
    problem = _text_problem('name', params.get('name'))
    if problem:
        problems.append(problem)
    sha = params.get('sha')
    if isinstance(sha, str) and sha.strip() and not _SHA_RE.fullmatch(sha.strip()):
        problems.append('sha must be a commit id (4 to 64 hexadecimal digits), got %r' % sha[:70])
    elif sha is not None and not str(sha).strip():
        problems.append('sha cannot be empty')
    problem = _limit_problem(params.get('limit'))
    if problem:
        problems.append(problem)
    lines = params.get('log_lines')
    if lines is not None and not 0 <= lines <= MAX_LOG_LINES:
        problems.append('log_lines must be between 0 and %d, got %s' % (MAX_LOG_LINES, lines))
    if problems:
        raise InputError(problems)
    limit = params.get('limit')
    if limit is None and kind == 'project':
        limit = DEFAULT_LIMIT
    return kind, {'job_id': params.get('job_id'), 'pipeline_id': params.get('pipeline_id'),
                  'sha': sha.strip() if isinstance(sha, str) else None, 'scope': scope, 'name': params.get('name'),
                  'limit': limit, 'log_lines': lines}


def narrow(jobs, name=None, limit=None):
    """The jobs called ``name`` (all without one), at most ``limit`` of them, in the given order."""
    found = [job for job in jobs if name is None or job.get('name') == name]
    return found if limit is None else found[:limit]


def commit_jobs(pipelines_and_jobs):
    """The jobs of a commit's pipelines, newest pipeline first, each job in its pipeline's order.

    ``pipelines_and_jobs`` is a list of ``(pipeline, jobs)``; a job whose embedded ``pipeline`` is
    missing gets the id of the pipeline it was listed in (``pipeline_id`` of job_result).
    """
    result = []
    for pipeline, jobs in sorted(pipelines_and_jobs, key=lambda item: -(item[0].get('id') or 0)):
        for job in jobs:
            if not isinstance(job.get('pipeline'), dict):
                job = dict(job, pipeline={'id': pipeline.get('id')})
            result.append(job)
    return result


def job_result(job, log=None, secrets=()):
    """A job as the module returns it: gitlab_ci_job's ``job`` fields (``_jobs.public_job``, with ``pipeline_id``),
    plus ``log`` (cleaned, redacted lines) when the log was read."""
    result = _jobs.public_job(job)
    if log is not None:
        result['log'] = [_jobs.redact(line, secrets) for line in _jobs.clean_log_lines(log)]
    return result
