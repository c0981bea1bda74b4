# -*- coding: utf-8 -*-
# Copyright: cicd.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Writes whose answer was lost, and owners given by id: the pure part. No HTTP in here.

A POST that reached GitLab may have been applied even though no usable answer came back (the
connection was cut after sending, the answer timed out, a proxy answered 5xx, or a 2xx answer was
empty or not what was asked for). The client never sends such a POST again; the modules look for
what it may have created and decide here: adopt exactly one new object, report that nothing was
created (the request can be sent again), or say that it cannot tell and how to check.
Private to the collection: the API of this file may change without notice.
"""

from __future__ import annotations

import datetime
import re
from urllib.parse import quote

from ansible_collections.cicd.gitlab.plugins.module_utils._errors import (
    GitLabAnswerError,
    GitLabDeadlineError,
    GitLabError,
    GitLabServerError,
    GitLabTimeoutError,
    GitLabTLSError,
    GitLabTransportError,
)

# The source GitLab records for a pipeline created through POST /projects/:id/pipeline ("api"), through a
# trigger token ("trigger"), or through a CI_JOB_TOKEN given as trigger token ("pipeline", a multi-project
# pipeline). https://docs.gitlab.com/ci/jobs/job_rules/#ci_pipeline_source-predefined-variable
API_SOURCES = ('api',)
TRIGGER_SOURCES = ('trigger', 'pipeline')
# How many pipelines of the ref are read back after a lost answer (one page).
LOOK_BACK = 20
# Seconds by which the clock behind GitLab's Date header may be off the clock GitLab stamps created_at
# with (both are the GitLab server's on a single node; a front on another host may differ a little).
CLOCK_MARGIN = 30.0
# Seconds by which a pipeline started by the lost request may seem created before it was sent: the
# clocks of GitLab and of the host, the earlier of which is taken, both a little ahead.
TIGHT_MARGIN = 1.0
_ISO_TIME = re.compile(r'[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})?\Z')
_DIGITS = re.compile(r'[0-9]+\Z')


class UnusableAnswer(GitLabError):
    """A 2xx answer to a write that is not the object asked for (empty, not an object, fields missing).

    The client's own check (GitLabAnswerError with maybe_applied=True) makes this a second line;
    it is raised by the modules when an answer reaches them that cannot be used.
    """

    hint = 'GitLab, or something in front of it, answered with something else than the object asked for'

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.maybe_applied = self.method in ('POST', 'PUT', 'DELETE')


ANSWER_ERRORS = (GitLabAnswerError, UnusableAnswer)
DEADLINE_ERROR = GitLabDeadlineError


def check_answer(answer, method, path, expect=('id',)):
    """Return ``answer`` when it is a JSON object with every key in ``expect``; else raise UnusableAnswer."""
    if isinstance(answer, dict) and all(key in answer for key in expect):
        return answer
    if answer is None:
        came = 'an empty answer'
    elif not isinstance(answer, dict):
        came = 'a JSON %s' % type(answer).__name__
    else:
        came = 'an object without %s' % ', '.join(key for key in expect if key not in answer)
    raise UnusableAnswer(method, path, detail='expected a JSON object with %s, got %s' % (', '.join(expect), came))


def maybe_applied(err):
    """Whether the write that failed with ``err`` may have been applied by GitLab, so it must be checked.

    The client marks such errors (``maybe_applied``); a 5xx, a transport failure other than TLS, a
    timeout and a 2xx answer that could not be used count too, marked or not: reading back is always
    safe (at worst it finds nothing and says so), while taking an applied write for a failed one is not.
    """
    if not isinstance(err, GitLabError):
        return False
    if err.maybe_applied or isinstance(err, ANSWER_ERRORS) and err.method != 'GET':
        return True
    if isinstance(err, GitLabTLSError):
        return False
    if isinstance(err, (GitLabServerError, GitLabTransportError)):
        return True
    return err.status is not None and 200 <= err.status < 300


def may_still_run(err):
    """Whether GitLab may still be working on the request (it timed out, or a proxy gave up waiting)."""
    return isinstance(err, GitLabTimeoutError) or getattr(err, 'status', None) in (502, 504)


def lost_reason(err):
    """A short text for the note: what happened to the answer."""
    return str(err).split('. Hint:', 1)[0]


# ---- pipelines ----------------------------------------------------------------------------------

def pipeline_sources(trigger):
    return TRIGGER_SOURCES if trigger else API_SOURCES


def server_time_of_send(server_date, sent, received, wall_sent=None):
    """The earliest time, on GitLab's clock, at which the lost request can have reached GitLab; None if unknown.

    ``server_date`` is the ``Date`` of an answer received at ``received`` (epoch seconds, whole ones: HTTP
    dates drop the fraction, so GitLab's clock read at least that); ``sent`` is when the lost request was
    sent, on the same local clock as ``received``. GitLab cannot have seen the request earlier than
    ``server_date - (received - sent)``. ``wall_sent``, the managed host's clock when sending, is a second
    opinion: the earlier of the two is taken, so one clock running ahead cannot make the new pipeline look
    old. Only a date that clocks_disagree finds plausible is used.
    """
    if server_date is None or sent is None or received is None:
        return None
    floor = server_date - max(0.0, received - sent)
    return floor if wall_sent is None else min(floor, wall_sent)


def clocks_disagree(server_date, wall):
    """Why GitLab's ``Date`` cannot be trusted to tell new pipelines from old ones, or None.

    ``wall`` is the managed host's clock when that answer came. A front that writes a wrong ``Date``
    (hours off, 1970, 2099) could make the pipeline just started look old (then "none was started" would
    be a lie) or make an older one look new: when the two clocks differ by more than CLOCK_MARGIN, neither
    is taken and the task cannot tell.
    """
    if server_date is None or wall is None or abs(server_date - wall) <= CLOCK_MARGIN:
        return None
    return ('the Date of GitLab\'s answer (%s) and the clock of this host (%s) differ by %d seconds, more than %d, so '
            'a new pipeline cannot be told from older ones' % (_stamp(server_date), _stamp(wall), abs(server_date - wall), CLOCK_MARGIN))


def _stamp(moment):
    try:
        return datetime.datetime.fromtimestamp(moment, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')
    except (OverflowError, OSError, ValueError):
        return repr(moment)


def created_at(pipeline):
    """A pipeline's ``created_at`` as epoch seconds, or None when it is missing or not a time."""
    value = pipeline.get('created_at') if isinstance(pipeline, dict) else None
    if not isinstance(value, str) or not _ISO_TIME.match(value):
        return None
    text = value[:-1] + '+00:00' if value.endswith('Z') else value
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.timestamp()


def _created_since(pipeline, floor):
    """Whether ``pipeline`` was created at or after ``floor``; one without a readable ``created_at`` cannot be
    ruled out, so it counts: at worst the decision becomes 'unknown', never a wrong adoption."""
    moment = created_at(pipeline)
    return moment is None or moment >= floor


def new_pipelines(pipelines, since, sources):
    """The pipelines whose source is one of ``sources`` created at or after ``since - CLOCK_MARGIN`` (GitLab's
    clock), oldest first."""
    return sorted((p for p in pipelines if isinstance(p, dict) and _int(p.get('id')) > 0 and p.get('source') in sources
                   and _created_since(p, since - CLOCK_MARGIN)), key=lambda p: _int(p.get('id')))


def complete_look(pipelines, since, limit):
    """Whether the page read back reaches back before ``since - CLOCK_MARGIN``, so no newer pipeline was left out."""
    if len(pipelines) < limit:
        return True
    return any(created_at(p) is not None and created_at(p) < since - CLOCK_MARGIN for p in pipelines)


def pipeline_decision(candidates, complete, since=None):
    """``('adopt', pipeline)``, ``('none', None)`` or ``('unknown', candidates)``.

    ``candidates`` are the pipelines created since ``since`` less CLOCK_MARGIN: none of them, on a
    complete look, means nothing was started. Within them, the pipeline started by the lost request was
    created after ``since`` (the earlier of GitLab's and the host's clock at sending) less TIGHT_MARGIN:
    exactly one such pipeline is adopted, so a pipeline of the ref started seconds before is told apart.
    A candidate created a little before the request (within the margin but not after it) could only be
    ours if both clocks ran ahead, so it is never taken for ours, nor ruled out: 'unknown'.
    """
    if not candidates and complete:
        return 'none', None
    if not complete:
        return 'unknown', candidates
    tight = [p for p in candidates if since is None or _created_since(p, since - TIGHT_MARGIN)]
    if len(tight) == 1:
        return 'adopt', tight[0]
    return 'unknown', tight or candidates


def pipelines_page(web_base, project_path, ref):
    """The page that lists a ref's pipelines, for a person to check."""
    if not project_path:
        return None
    return '%s/%s/-/pipelines?ref=%s' % (web_base.rstrip('/'), project_path, quote(ref, safe=''))


def describe_candidates(candidates):
    return ', '.join('%s (%s)' % (p.get('id'), p.get('web_url') or 'no web_url') for p in candidates)


def pipeline_none_message(ref, project, how, err, page):
    text = ('GitLab\'s answer to starting a pipeline on ref %s of project %s %s was lost (%s); no new pipeline of the ref '
            'was found afterwards, so none was started and the request can be sent again safely'
            % (ref, project, how, lost_reason(err)))
    if may_still_run(err):
        text += (' (unless GitLab is still working on the request that timed out: look at %s before running the task '
                 'again)' % (page or 'the pipelines of the ref'))
    elif page:
        text += ' (the pipelines of the ref: %s)' % page
    return text


def pipeline_unknown_message(ref, project, how, err, candidates, page, why=None):
    where = page or 'the pipelines of ref %s in project %s' % (ref, project)
    if candidates:
        found = 'these new pipelines of the ref could be it: %s' % describe_candidates(candidates)
    else:
        found = why or 'it could not be told which pipeline it started'
    return ('GitLab\'s answer to starting a pipeline on ref %s of project %s %s was lost (%s): a pipeline may have been '
            'started; %s. Check %s before running the task again, or a second pipeline may start'
            % (ref, project, how, lost_reason(err), found, where))


# ---- owners -------------------------------------------------------------------------------------

def is_id(owner):
    """An all-digit project or group is an id (GitLab reads ``/projects/42`` as id 42, never as a path).

    GitLab's find_project (lib/api/helpers.rb) takes a value matching ``INTEGER_ID_REGEX = /^-?\\d+$/``
    (Ruby's ``\\d`` is ASCII digits) as an id and looks it up with ``find_by(id:)``; only other values are
    full paths. ASCII digits only here too.
    """
    if isinstance(owner, bool):
        return False
    if isinstance(owner, int):
        return True
    return isinstance(owner, str) and bool(_DIGITS.match(owner))


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


# ---- job actions ----------------------------------------------------------------------------------

ACTION_WORDS = {'cancel': 'canceling', 'play': 'playing', 'erase': 'erasing', 'retry': 'retrying', 'keep': 'keeping the artifacts of'}
_FINISHED = ('success', 'failed', 'canceled', 'skipped')


def action_outcome(action, job):
    """What a job read again after a lost ``action`` answer shows: ``applied``, ``not_applied``, ``finished``
    (cancel only: it finished otherwise, nothing to cancel) or ``unknown``."""
    status = (job or {}).get('status')
    if action == 'cancel':
        if status in ('canceling', 'canceled'):
            return 'applied'
        return 'finished' if status in _FINISHED else 'not_applied'
    if action == 'play':
        if status in ('manual', 'scheduled'):
            return 'not_applied'
        return 'unknown' if status == 'created' else 'applied'
    if action == 'erase':
        return 'applied' if job.get('erased_at') else 'not_applied'
    if action == 'keep':
        return 'applied' if job.get('artifacts_expire_at') is None else 'not_applied'
    return 'unknown'


def retry_outcome(old, jobs):
    """After a lost retry answer, from the pipeline's jobs (retried ones left out, as GitLab lists them).

    ``('applied', new_job)`` when the old job is no longer listed (it is retried) and exactly one job of
    its name with a higher id is; ``('not_applied', old)`` when the old one is still listed and no newer
    one is; else ``('unknown', [candidates])``.
    """
    old_id = _int(old.get('id'))
    listed = [job for job in jobs or () if isinstance(job, dict)]
    still = [job for job in listed if _int(job.get('id')) == old_id]
    newer = sorted((job for job in listed if job.get('name') == old.get('name') and _int(job.get('id')) > old_id),
                   key=lambda job: _int(job.get('id')))
    if not still and len(newer) == 1:
        return 'applied', newer[0]
    if still and not newer:
        return 'not_applied', still[0]
    return 'unknown', newer


def describe_retry_candidates(candidates):
    if not candidates:
        return ' (the job is no longer listed and no newer job of its name is)'
    return ' (newer jobs of its name: %s)' % ', '.join('%s (%s)' % (job.get('id'), job.get('status')) for job in candidates)
