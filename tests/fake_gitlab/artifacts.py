"""Job artifacts: downloads, single files, keep, delete (https://docs.gitlab.com/api/job_artifacts/).

Routes (lib/api/ci/job_artifacts.rb), registered by-ref first as there:

======  ====================================================================  ======================
GET     /projects/:id/jobs/artifacts/:ref_name/download?job=NAME               archive of the latest
GET     /projects/:id/jobs/artifacts/:ref_name/raw/*artifact_path?job=NAME     SUCCESSFUL pipeline
GET     /projects/:id/jobs/:job_id/artifacts                                   archive
GET     /projects/:id/jobs/:job_id/artifacts/*artifact_path                    one entry
POST    /projects/:id/jobs/:job_id/artifacts/keep                              200, expire_at null
DELETE  /projects/:id/jobs/:job_id/artifacts                                   204 (Maintainer)
DELETE  /projects/:id/artifacts                                                202 (Maintainer)
======  ====================================================================  ======================

GETs work anonymously on public projects and take a job token (``JOB-TOKEN``/``job_token``) of a
running job; another project's job token is 403 unless the target's job token scope lets it in
(job_token_scope.py: ``Authentication by CI/CD job token not allowed from S to T.``).  Reading needs Reporter+ (Guest 403).

Expiry (lib/api/ci/job_artifacts.rb, app/models/ci/build.rb; see ci.py): the archive download by job
id (``present_artifacts_file!(build.artifacts_file)``) only checks that the file is stored, and
by ref ``latest_successful_build_for_ref!`` picks the job ``with_downloadable_artifacts`` (a
``file_type`` filter, no expiry), and its single files go straight to Workhorse; so expired
archives stay downloadable there until the expiry clean-up destroys them, and those of a locked
pipeline stay indefinitely.  Only the single file by job id checks ``available_artifacts?`` (not
expired, or the pipeline locked): else 404 ``404 Not Found``.  Keep needs ``artifacts?`` (stored
and not expired), so an expired archive cannot be kept (404).

Archive answers (``present_carrierwave_file!``, lib/api/helpers.rb): no stored archive (never
made, failed job, erased, deleted, destroyed by the clean-up) -> 404 ``404 Not Found``; else 200
``application/octet-stream``,
``Content-Transfer-Encoding: binary``, ``Content-Disposition: attachment; filename="artifacts.zip";
filename*=UTF-8''artifacts.zip``, exact ``Content-Length``, streamed from ``Archive.iter_chunks()``
after the state lock is released.  With the fake-wide setting ``artifacts_redirect`` (seed top-level
key, or ``POST /-/fake/settings``) the archive is served as object storage does it: 302 to a signed
URL on the object-storage stand-in, which streams the same bytes and refuses GitLab credentials.

Single files are served by Workhorse from the archive (``send_artifacts_entry``), so they stay 200
even with object storage; ``artifacts_redirect: all`` redirects them too, for client tests.  Path
with a ``..`` segment or a NUL -> 400 ``400 Bad request``; by job id without an available archive
-> 404 ``404 Not Found``; no such entry -> Workhorse's 404, ``text/plain`` ``Not Found``
[INFERRED, Workhorse].  Entry headers [INFERRED, Workhorse]: ``Content-Type`` from the file extension
(by ref: sniffed, text is ``text/plain; charset=utf-8``), ``Content-Disposition: attachment;
filename="<basename>"``.
"""

import mimetypes
import posixpath

from . import ci, errors, job_token_scope
from .access import authorize, project_role, user_project
from .jobs import find_build, render
from .params import Param, declared
from .pipelines import DANGLING_SOURCES, can_read_builds
from .request import Response
from .router import AUTH_OPTIONAL
from .state import DEVELOPER, MAINTAINER

BASE = '/api/v4/projects/:id/jobs'
JOB_ID = Param('job_id', 'integer', required=True)
JOB_NAME = Param('job', required=True)
REDIRECT_SETTING = 'artifacts_redirect'
SNIFF_BYTES = 512


def register(router):
    """Add the artifact routes."""
    router.add('GET', BASE + '/artifacts/*ref_name/download', download_by_ref, auth=AUTH_OPTIONAL, job_token=True)
    router.add('GET', BASE + '/artifacts/*ref_name/raw/*artifact_path', file_by_ref, auth=AUTH_OPTIONAL, job_token=True)
    router.add('GET', BASE + '/:job_id/artifacts', download_archive, auth=AUTH_OPTIONAL, job_token=True)
    router.add('GET', BASE + '/:job_id/artifacts/*artifact_path', file_by_job, auth=AUTH_OPTIONAL, job_token=True)
    router.add('POST', BASE + '/:job_id/artifacts/keep', keep_artifacts)
    router.add('DELETE', BASE + '/:job_id/artifacts', delete_job_artifacts)
    router.add('DELETE', '/api/v4/projects/:id/artifacts', delete_project_artifacts)


def redirect_mode(state):
    """The ``artifacts_redirect`` setting: False, True (archives) or ``"all"`` (single files too)."""
    value = state.extra.get(REDIRECT_SETTING, False)
    return 'all' if value == 'all' else bool(value)


# -- access ----------------------------------------------------------------------------------------


def _readable_project(call):
    """``user_project``, the job-token scope, then ``authorize_download_artifacts!`` (read_build)."""
    project = user_project(call)
    job = call.identity.job
    if job is not None:
        job_token_scope.check_job_token(call, project)
    authorize(can_read_builds(call, project))
    return project


def latest_successful_build(call, project, ref, name, now):
    """``latest_successful_build_for_ref!`` (app/models/project.rb): the newest SUCCESS pipeline of
    ``ref``, then its latest job ``name`` with a stored archive, expired or not
    (``build_with_artifacts_in_self_and_project_descendants``: ``with_downloadable_artifacts``);
    else 404 ``404 Not found``.  The newest pipeline comes from ``ci_pipelines`` (no child pipelines);
    its job is looked for in it and its child pipelines, ``ordered_by_pipeline`` (pipeline id ascending,
    so the parent's own job wins)."""
    store = ci.store(call.state)
    pipelines = [p for p in store.project_pipelines(project)
                 if p.ref == ref and p.source not in DANGLING_SOURCES and p.status(now) == 'success']
    if pipelines:
        newest = max(pipelines, key=lambda pipeline: (pipeline.created_at, pipeline.id))
        for pipeline in sorted(project_descendants(store, newest), key=lambda item: item.id):
            for job in pipeline.latest_jobs():
                if job.name == name and job.archive(now) is not None:
                    return job
    raise errors.record_not_found()


def project_descendants(store, root):
    """``self_and_project_descendants``: the pipeline and its child pipelines, at any depth."""
    found = [root]
    for pipeline in store.pipelines.values():
        if pipeline.source == 'parent_pipeline' and pipeline.upstream is not None and pipeline.upstream.pipeline in found:
            found.append(pipeline)
    return found


def valid_path(path):
    """``Gitlab::Ci::Build::Artifacts::Path#valid?``: no NUL byte, no ``..`` segment."""
    return '\x00' not in path and '..' not in path.split('/')


# -- answers ---------------------------------------------------------------------------------------


def _redirect(call, produce, size, content_type, headers):
    """Grape ``redirect`` to a signed object-storage URL holding the same bytes."""
    url = call.server.storage.put(produce=produce, size=size, content_type=content_type, headers=headers)
    return Response.text(302, 'This resource has been moved temporarily to %s.' % url, [('Location', url)])


def archive_answer(call, archive):
    """``present_artifacts_file!``: streamed 200, or 302 to object storage.

    Content-Type ``application/octet-stream``: lib/api/helpers.rb ``present_disk_file!`` defaults to
    it (``content_type(content_type || 'application/octet-stream')``), with ``Content-Transfer-Encoding:
    binary`` and an attachment Content-Disposition.
    """
    disposition = ('Content-Disposition', 'attachment; filename="%s"; filename*=UTF-8\'\'%s' % (ci.ARCHIVE_FILENAME, ci.ARCHIVE_FILENAME))
    if redirect_mode(call.state):
        return _redirect(call, archive.iter_chunks, archive.size, 'application/octet-stream', [disposition])
    headers = [('Content-Transfer-Encoding', 'binary'), disposition]
    return Response(200, headers=headers, content_type='application/octet-stream', stream=archive.iter_chunks(), length=archive.size)


def entry_answer(call, archive, path, detect):
    """Workhorse's ``artifacts-entry``: the entry's bytes, or its 404.

    Content-Type by the entry's extension, else ``application/octet-stream``: workhorse/internal/
    artifacts/entry.go ``detectFileContentType`` (``mime.TypeByExtension(filepath.Ext(fileName))``),
    with ``Content-Disposition: attachment; filename="<basename>"`` and the entry's Content-Length.
    (The job log, lib/api/ci/jobs.rb ``get ':id/jobs/:job_id/trace'``, is ``text/plain`` with
    ``Content-Disposition: infile; filename="<id>.log"``: see jobs.py.)
    """
    if not valid_path(path):
        raise errors.bad_request()
    size = archive.entry_size(path)
    if size is None:
        raise errors.ApiError(404, 'Not Found\n', content_type='text/plain; charset=utf-8')
    content_type = mimetypes.guess_type(path)[0] or 'application/octet-stream'
    if detect:
        head = next(iter(archive.iter_entry(path, chunk_size=SNIFF_BYTES)), b'')
        if b'\x00' not in head:
            try:
                head.decode('utf-8')
                content_type = 'text/plain; charset=utf-8'
            except UnicodeDecodeError:
                pass
    name = posixpath.basename(path.rstrip('/')).replace('"', '\\"')
    headers = [('Content-Disposition', 'attachment; filename="%s"' % name)]
    if redirect_mode(call.state) == 'all':
        return _redirect(call, lambda: archive.iter_entry(path), size, content_type, headers)
    return Response(200, headers=headers, content_type=content_type, stream=archive.iter_entry(path), length=size)


# -- routes ----------------------------------------------------------------------------------------


def _job_archive(call, available=False):
    """The archive of the job ``:job_id`` names, or GitLab's plain 404 when none is stored (yet, or
    any more); with ``available``, also when it expired and its pipeline is not locked."""
    args = declared(call.params, [JOB_ID])
    job = find_build(call, _readable_project(call), args['job_id'])
    now = ci.store(call.state).snapshot()
    archive = job.available_archive(now) if available else job.archive(now)
    if archive is None:
        raise errors.not_found()
    return archive


def download_archive(call):
    """``GET .../jobs/:job_id/artifacts``: the stored archive, expired or not."""
    return archive_answer(call, _job_archive(call))


def download_by_ref(call):
    """``GET .../jobs/artifacts/:ref_name/download?job=NAME``."""
    args = declared(call.params, [JOB_NAME])
    project = _readable_project(call)
    now = ci.store(call.state).snapshot()
    job = latest_successful_build(call, project, call.params['ref_name'], args['job'], now)
    return archive_answer(call, job.archive(now))


def file_by_job(call):
    """``GET .../jobs/:job_id/artifacts/*artifact_path``: 404 unless ``available_artifacts?``."""
    return entry_answer(call, _job_archive(call, available=True), call.params['artifact_path'], detect=False)


def file_by_ref(call):
    """``GET .../jobs/artifacts/:ref_name/raw/*artifact_path?job=NAME``."""
    args = declared(call.params, [JOB_NAME])
    project = _readable_project(call)
    now = ci.store(call.state).snapshot()
    job = latest_successful_build(call, project, call.params['ref_name'], args['job'], now)
    return entry_answer(call, job.archive(now), call.params['artifact_path'], detect=True)


def keep_artifacts(call):
    """``POST .../artifacts/keep``: 200 with the job, ``artifacts_expire_at`` null; unless ``artifacts?``
    (none stored, or expired) -> 404."""
    args = declared(call.params, [JOB_ID])
    project = user_project(call)
    authorize(project_role(call, project) >= DEVELOPER)
    job = find_build(call, project, args['job_id'])
    now = ci.store(call.state).snapshot()
    if not job.has_artifacts(now):
        raise errors.not_found()
    job.kept = True
    return Response.json(200, render(job, now, call.external_url))


def delete_job_artifacts(call):
    """``DELETE .../jobs/:job_id/artifacts``: Maintainer; 204 (the log stays)."""
    args = declared(call.params, [JOB_ID])
    project = user_project(call)
    authorize(project_role(call, project) >= MAINTAINER)
    job = find_build(call, project, args['job_id'])
    job.artifacts_deleted = True
    return Response.empty(204)


def delete_project_artifacts(call):
    """``DELETE /projects/:id/artifacts``: Maintainer; every archive goes; 202 ``202 Accepted``."""
    project = user_project(call)
    authorize(project_role(call, project) >= MAINTAINER)
    for job in ci.store(call.state).project_jobs(project):
        job.artifacts_deleted = True
    return Response.json(202, {'message': '202 Accepted'})
