"""Jobs: lists, show, log, cancel, retry, erase, play, ``GET /job`` (https://docs.gitlab.com/api/jobs/).

Routes (lib/api/ci/jobs.rb, lib/api/ci/pipelines.rb); all need a signed-in user
(``authenticate!``) except the pipeline job list, which follows the pipelines API:

======  ==============================================  ===========================================  =====
GET     /projects/:id/jobs                              Reporter+; ``id DESC``; no counts; keyset    200
GET     /projects/:id/pipelines/:pipeline_id/jobs       Reporter+; latest tries unless                200
                                                        ``include_retried``; counted
GET     /projects/:id/pipelines/:pipeline_id/bridges    Reporter+ (before the pipeline lookup);       200
                                                        trigger jobs, ``Entities::Ci::Bridge``; counted
GET     /projects/:id/jobs/:job_id                      Reporter+; a bridge's id is 404               200
GET     /projects/:id/jobs/:job_id/trace                Reporter+; ``text/plain``, ``infile``        200
POST    /projects/:id/jobs/:job_id/cancel               Developer+; a finished job is returned as is 201
POST    /projects/:id/jobs/:job_id/retry                Developer+; 403 ``Job is not retryable``      201 (the new job)
POST    /projects/:id/jobs/:job_id/erase                Maintainer, or the job's Developer user;     201
                                                        403 ``Job is not erasable!``
POST    /projects/:id/jobs/:job_id/play                 Developer+; 400 ``Unplayable Job``           200
GET     /job                                            the job token's own job (404 ``404 Job Not   200
                                                        Found`` for other tokens)
======  ==============================================  ===========================================  =====

Check order per route follows the source: parameters (``job_id`` an Integer, ``scope`` values) first,
then the project (404), then the route's ``authorize_*!`` and ``find_build!`` in the route's own
order (retry and erase find the job before the role check; cancel checks the role first).
Unknown jobs, and other projects' jobs, are 404 ``404 Not found`` (RecordNotFound).

Keyset pagination (``pagination=keyset``) on the project list: ``id DESC`` only; the next page is
only in ``Link: <...cursor=...>; rel="next"``, absent on the last page; an unreadable cursor is
400 ``400 Bad request`` [INFERRED].
"""

import base64
import binascii
import json

from . import ci, errors
from .access import authorize, project_role, user_project
from .entities import user_basic
from .pagination import MAX_PER_PAGE, PAGINATION_PARAMS, paginate, to_query
from .params import Param, declared
from .pipelines import can_read_builds, can_set_variables, find_pipeline, render_basic
from .request import Response
from .router import AUTH_OPTIONAL
from .state import DEVELOPER, MAINTAINER, SEED_TIME

BASE = '/api/v4/projects/:id'
JOB_ID = Param('job_id', 'integer', required=True)
PLAY_PARAMS = [JOB_ID, Param('job_variables_attributes', 'array', children=[Param('key', required=True), Param('value', required=True)])]
LOG_CHUNK = 64 * 1024


def register(router):
    """Add the job routes."""
    router.add('GET', BASE + '/jobs', list_jobs)
    router.add('GET', BASE + '/pipelines/:pipeline_id/jobs', list_pipeline_jobs, auth=AUTH_OPTIONAL)
    router.add('GET', BASE + '/pipelines/:pipeline_id/bridges', list_pipeline_bridges, auth=AUTH_OPTIONAL)
    router.add('GET', BASE + '/jobs/:job_id', show_job)
    router.add('GET', BASE + '/jobs/:job_id/trace', job_trace)
    router.add('POST', BASE + '/jobs/:job_id/cancel', cancel_job)
    router.add('POST', BASE + '/jobs/:job_id/retry', retry_job)
    router.add('POST', BASE + '/jobs/:job_id/erase', erase_job)
    router.add('POST', BASE + '/jobs/:job_id/play', play_job)
    router.add('GET', '/api/v4/job', current_job, job_token=True)


# -- entities ------------------------------------------------------------------------------------


def render_user(user, base_url):
    """``Entities::User`` (trimmed): UserBasic plus the public profile fields."""
    if user is None:
        return None
    data = user_basic(user, base_url)
    data.update({'created_at': user.created_at, 'bio': '', 'location': '', 'public_email': None, 'linkedin': '',
                 'twitter': '', 'discord': '', 'website_url': '', 'organization': '', 'job_title': '', 'pronouns': None,
                 'bot': False, 'work_information': None, 'local_time': None})
    return data


def render_commit(pipeline, base_url):
    """``Entities::Commit`` of the pipeline's fake commit."""
    title = 'Fake commit on %s' % pipeline.ref
    return {
        'id': pipeline.sha, 'short_id': pipeline.sha[:8], 'created_at': SEED_TIME, 'parent_ids': [],
        'title': title, 'message': title + '\n', 'author_name': 'Administrator', 'author_email': 'admin@example.com',
        'authored_date': SEED_TIME, 'committer_name': 'Administrator', 'committer_email': 'admin@example.com',
        'committed_date': SEED_TIME, 'trailers': {}, 'extended_trailers': {},
        'web_url': '%s/%s/-/commit/%s' % (base_url, pipeline.project.full_path, pipeline.sha),
    }


def metadata_size(archive):
    """A stand-in size for the ``metadata.gz`` GitLab keeps beside an archive (not a real file here)."""
    return 120 + sum(len(path) + 24 for path in archive.paths)


def render_artifacts(job, now):
    """``job_artifacts``: archive and metadata while the archive exists, then the log (``trace``)."""
    items = []
    archive = job.archive(now)
    if archive is not None:
        items.append({'file_type': 'archive', 'size': archive.size, 'filename': ci.ARCHIVE_FILENAME, 'file_format': 'zip'})
        items.append({'file_type': 'metadata', 'size': metadata_size(archive), 'filename': 'metadata.gz', 'file_format': 'gzip'})
    if job.has_trace(now):
        items.append({'file_type': 'trace', 'size': job.log_length(now), 'filename': 'job.log', 'file_format': None})
    return items


def _seconds(value):
    return None if value is None else round(value, 3)


def render_basic_job(job, now, base_url):
    """``Entities::Ci::JobBasic`` (lib/api/entities/ci/job_basic.rb): ``failure_reason`` only when failed."""
    pipeline = job.pipeline
    status = job.status(now)
    data = {
        'id': job.id,
        'status': status,
        'stage': job.stage,
        'name': job.name,
        'ref': pipeline.ref,
        'tag': pipeline.tag,
        'coverage': None,
        'allow_failure': job.allow_failure,
        'created_at': ci.iso(job.created_at),
        'started_at': ci.iso(job.started_at(now)),
        'finished_at': ci.iso(job.finished_at(now)),
        'erased_at': ci.iso(job.erased_at),
        'duration': _seconds(job.duration(now)),
        'queued_duration': _seconds(job.queued_duration(now)),
        'user': render_user(job.user, base_url),
        'commit': render_commit(pipeline, base_url),
        'pipeline': render_basic(pipeline, now, base_url),
    }
    if status == 'failed':
        data['failure_reason'] = job.failure_reason_at(now) if isinstance(job, ci.Bridge) else 'script_failure'
    data['web_url'] = '%s/%s/-/jobs/%d' % (base_url, pipeline.project.full_path, job.id)
    data['project'] = {'ci_job_token_scope_enabled': False}
    return data


def render_bridge(bridge, now, base_url):
    """``Entities::Ci::Bridge`` (lib/api/entities/ci/bridge.rb): JobBasic plus ``downstream_pipeline``
    (``Entities::Ci::PipelineBasic``, null until the bridge created one)."""
    data = render_basic_job(bridge, now, base_url)
    downstream = bridge.downstream
    data['downstream_pipeline'] = render_basic(downstream, now, base_url) if downstream is not None else None
    return data


def render(job, now, base_url):
    """``Entities::Ci::Job`` (lib/api/entities/ci/job.rb): ``failure_reason`` only when failed,
    ``artifacts_file`` only when ``job.artifacts?`` (stored and not expired, app/models/ci/build.rb),
    so it leaves the JSON at expiry even while the archive still downloads; ``artifacts`` (the
    job's ``job_artifacts``) keeps listing the archive until it is destroyed."""
    data = render_basic_job(job, now, base_url)
    if job.has_artifacts(now):
        data['artifacts_file'] = {'filename': ci.ARCHIVE_FILENAME, 'size': job.archive(now).size}
    data.update({
        'artifacts': render_artifacts(job, now),
        'runner': None,
        'runner_manager': None,
        'artifacts_expire_at': ci.iso(job.artifacts_expire_at(now)),
        'archived': False,
        'tag_list': [],
    })
    return data


# -- helpers -----------------------------------------------------------------------------------------


def scope_param(coerce_hash):
    """``optional_scope``: a String, an Array of statuses, or (project list only) a Hash's values."""
    def coerce(value):
        if isinstance(value, str):
            return [value]
        if isinstance(value, list):
            return value
        if isinstance(value, dict) and coerce_hash:
            return list(value.values())
        return ['unknown']
    return coerce


def scoped(params, coerce):
    """Validate ``scope``: 400 ``scope does not have a valid value`` for any unknown status."""
    if params.get('scope') is None:
        return None
    scope = coerce(params['scope'])
    if not all(isinstance(item, str) and item in ci.STATUSES for item in scope):
        raise errors.param_errors(['scope does not have a valid value'])
    return scope


def find_build(call, project, job_id):
    """``find_build!``: the project's job or 404 ``404 Not found``."""
    job = ci.store(call.state).jobs.get(job_id)
    if job is None or job.pipeline.project is not project:
        raise errors.record_not_found()
    return job


def _job_answer(call, job, status):
    now = ci.store(call.state).snapshot()
    return Response.json(status, render(job, now, call.external_url))


def _read_job(call):
    """Params, project, ``authorize_read_builds!``, ``find_build!``."""
    args = declared(call.params, [JOB_ID])
    project = user_project(call)
    authorize(can_read_builds(call, project))
    return project, find_build(call, project, args['job_id'])


# -- lists ---------------------------------------------------------------------------------------------


def list_jobs(call):
    """``GET /projects/:id/jobs``: every build, retried included, ``id DESC``, without counts."""
    scope = scoped(call.params, scope_param(True))
    declared(call.params, PAGINATION_PARAMS)
    project = user_project(call)
    authorize(can_read_builds(call, project))
    store = ci.store(call.state)
    now = store.snapshot()
    jobs = sorted(store.project_jobs(project), key=lambda job: job.id, reverse=True)
    if scope:
        jobs = [job for job in jobs if job.status(now) in scope]
    if call.params.get('pagination') == 'keyset':
        return _keyset_page(call, jobs, now)
    return paginate(call, jobs, lambda job: render(job, now, call.external_url), counted=False)


def _keyset_page(call, jobs, now):
    """One keyset page: items after the cursor's id; ``Link`` rel="next" only when more remain."""
    args = declared(call.params, PAGINATION_PARAMS)
    per_page = args.get('per_page')
    per_page = min(per_page if per_page is not None and per_page > 0 else 20, MAX_PER_PAGE)
    cursor = call.params.get('cursor')
    if cursor:
        try:
            last_id = int(json.loads(base64.urlsafe_b64decode(str(cursor) + '=' * (-len(str(cursor)) % 4)))['id'])
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise errors.bad_request() from None
        jobs = [job for job in jobs if job.id < last_id]
    page = jobs[:per_page]
    headers = []
    if len(jobs) > per_page:
        token = json.dumps({'id': str(page[-1].id), '_kd': 'n'}, separators=(',', ':')).encode()
        query = dict(call.params, cursor=base64.urlsafe_b64encode(token).decode().rstrip('='))
        headers.append(('Link', '<%s%s?%s>; rel="next"' % (call.external_url, call.request.path, to_query(query))))
    return Response.json(200, [render(job, now, call.external_url) for job in page], headers)


def list_pipeline_jobs(call):
    """``GET /projects/:id/pipelines/:pipeline_id/jobs``: latest tries unless ``include_retried``; counted."""
    args = declared(call.params, [Param('pipeline_id', 'integer', required=True), Param('include_retried', 'boolean', default=False)])
    scope = scoped(call.params, scope_param(False))
    declared(call.params, PAGINATION_PARAMS)
    project = user_project(call)
    authorize(can_read_builds(call, project))
    pipeline = find_pipeline(call, project, args['pipeline_id'])
    now = ci.store(call.state).snapshot()
    jobs = pipeline.jobs if args.get('include_retried') else pipeline.latest_jobs()
    jobs = sorted(jobs, key=lambda job: job.id, reverse=True)
    if scope:
        jobs = [job for job in jobs if job.status(now) in scope]
    return paginate(call, jobs, lambda job: render(job, now, call.external_url))


def list_pipeline_bridges(call):
    """``GET /projects/:id/pipelines/:pipeline_id/bridges``: the pipeline's trigger jobs, ``id DESC``, counted.

    lib/api/ci/pipelines.rb: ``authorize!(:read_build, user_project)`` before the pipeline lookup;
    ``Ci::JobsFinder`` with ``type: Ci::Bridge`` gives the latest tries unless ``params[:include_retried]``,
    which this route does not declare, so any value given (even ``false``, a non-empty String in
    Ruby) includes the retried ones.
    """
    args = declared(call.params, [Param('pipeline_id', 'integer', required=True)])
    scope = scoped(call.params, scope_param(False))
    declared(call.params, PAGINATION_PARAMS)
    project = user_project(call)
    authorize(can_read_builds(call, project))
    pipeline = find_pipeline(call, project, args['pipeline_id'])
    now = ci.store(call.state).snapshot()
    bridges = pipeline.bridges if call.params.get('include_retried') is not None else pipeline.latest_bridges()
    bridges = sorted(bridges, key=lambda bridge: bridge.id, reverse=True)
    if scope:
        bridges = [bridge for bridge in bridges if bridge.status(now) in scope]
    return paginate(call, bridges, lambda bridge: render_bridge(bridge, now, call.external_url))


# -- one job -------------------------------------------------------------------------------------------


def show_job(call):
    """``GET /projects/:id/jobs/:job_id``."""
    _project, job = _read_job(call)
    return _job_answer(call, job, 200)


def job_trace(call):
    """``GET .../trace``: the log so far, ``text/plain``, whole (no Range), streamed when large."""
    _project, job = _read_job(call)
    now = ci.store(call.state).snapshot()
    length = job.log_length(now)
    headers = [('Content-Disposition', 'infile; filename="%d.log"' % job.id)]
    log = job.spec.log
    if length <= LOG_CHUNK:
        return Response(200, b''.join(log.iter_prefix(length)), headers, content_type='text/plain')
    return Response(200, headers=headers, content_type='text/plain', stream=log.iter_prefix(length), length=length)


def current_job(call):
    """``GET /job``: the job of the job token; any other authentication -> 404 ``404 Job Not Found``."""
    job = call.identity.job
    if job is None:
        raise errors.not_found('Job')
    return _job_answer(call, job, 200)


# -- actions -------------------------------------------------------------------------------------------


def cancel_job(call):
    """``POST .../cancel``: 201 with the job, canceled if it was cancelable, else unchanged."""
    args = declared(call.params, [JOB_ID, Param('force', 'boolean')])
    project = user_project(call)
    authorize(project_role(call, project) >= DEVELOPER)
    job = find_build(call, project, args['job_id'])
    store = ci.store(call.state)
    now = store.snapshot()
    job.cancel(now)
    job.pipeline.settle(now)
    return Response.json(201, render(job, now, call.external_url))


def retry_job(call):
    """``POST .../retry``: 201 with the NEW job; the old one is hidden as retried."""
    args = declared(call.params, [JOB_ID])
    project = user_project(call)
    # lib/api/ci/jobs.rb: authorize_update_builds! (Developer+) before find_build!, so 403 before 404.
    authorize(project_role(call, project) >= DEVELOPER)
    job = find_build(call, project, args['job_id'])
    store = ci.store(call.state)
    now = store.snapshot()
    if not job.retryable(now):
        raise errors.forbidden('Job is not retryable')
    new = job.pipeline.retry_job(job, call.user, now)
    job.pipeline.reset_source_bridge(call.user, now)     # Ci::AfterRequeueJobService
    job.pipeline.settle(now)
    return Response.json(201, render(new, now, call.external_url))


def erase_job(call):
    """``POST .../erase``: 201; removes the log and the artifacts and sets ``erased_at``."""
    args = declared(call.params, [JOB_ID])
    project = user_project(call)
    role = project_role(call, project)
    # lib/api/ci/jobs.rb: authorize_update_builds! before find_build!, then erase_build on the job.
    authorize(role >= DEVELOPER)
    job = find_build(call, project, args['job_id'])
    own = call.user is not None and job.user is not None and job.user.id == call.user.id
    authorize(role >= MAINTAINER or (role >= DEVELOPER and own))
    store = ci.store(call.state)
    now = store.snapshot()
    if not job.erasable(now):
        raise errors.forbidden('Job is not erasable!')
    job.erased_at = now
    job.erased_by = call.user
    return Response.json(201, render(job, now, call.external_url))


def play_job(call):
    """``POST .../play``: 200; a finished manual job is retried but the answer shows the original."""
    args = declared(call.params, PLAY_PARAMS)
    project = user_project(call)
    authorize(can_read_builds(call, project))
    job = find_build(call, project, args['job_id'])
    authorize(project_role(call, project) >= DEVELOPER)
    store = ci.store(call.state)
    now = store.snapshot()
    if not job.playable(now):
        raise errors.bad_request('Unplayable Job')
    variables = [{'key': item['key'], 'value': item['value']} for item in args.get('job_variables_attributes') or []]
    if variables and not can_set_variables(call.state, call.user, project):
        # PlayBuildService#check_access!: Gitlab::Access::AccessDeniedError -> 403.
        raise errors.forbidden()
    if job.status(now) == 'manual':
        job.pipeline.hold_upstreams(now)
        job.user = call.user
        job.variables = variables
        job.enqueue(now)
    else:
        job.pipeline.retry_job(job, call.user, now, variables)
    job.pipeline.reset_source_bridge(call.user, now)     # [INFERRED] as after a retry (ci.Bridge)
    job.pipeline.settle(now)
    return Response.json(200, render(job, now, call.external_url))
