"""The CI/CD job token scope: ``/projects/:id/job_token_scope`` (https://docs.gitlab.com/api/project_job_token_scopes/).

Routes (lib/api/project_job_token_scope.rb; services in app/services/ci/job_token_scope/, models in
app/models/ci/job_token/):

======  =================================================  ===================================================
GET     /projects/:id/job_token_scope                      ``{"inbound_enabled", "outbound_enabled"}`` (Maintainer)
PATCH   /projects/:id/job_token_scope                      ``enabled`` (Boolean, required): 204 (Maintainer)
GET     /projects/:id/job_token_scope/allowlist            projects (BasicProjectDetails), paginated; the
                                                           project itself comes first (Allowlist#projects)
GET     /projects/:id/job_token_scope/groups_allowlist     groups (BasicGroupDetails), paginated
POST    /projects/:id/job_token_scope/allowlist            ``target_project_id``: 201 ``{source_project_id, target_project_id}``
POST    /projects/:id/job_token_scope/groups_allowlist     ``target_group_id``: 201 ``{source_project_id, target_group_id}``
DELETE  .../allowlist/:target_project_id                   204
DELETE  .../groups_allowlist/:target_group_id              204
======  =================================================  ===================================================

The POST and DELETE routes declare ``requires :id, type: Integer``: a project path there is a Grape
400 ``id is invalid``.  Errors, from the services (``bad_request!`` -> 400 ``400 Bad request - <msg>``):

* POST, unknown target id: 404 ``404 target_project_id not found Not Found`` (``not_found!`` with that
  text), likewise ``target_group_id``; a target the caller cannot read: 400 ``The target_project that
  you are attempting to access does not exist or you don't have permission to perform this action``
  (EditScopeValidations); the project itself: 400 ``Validation failed: Target project can't be the same
  as the source project``; already listed: 400 ``Target project is already in the job token scope`` /
  ``This group is already in the job token allowlist.``; the link limits (ProjectScopeLink
  ``PROJECT_LINK_DIRECTIONAL_LIMIT`` 200, GroupScopeLink ``GROUP_LINK_LIMIT`` 200; seed ``limits``
  keys ``ci_job_token_project_links`` / ``ci_job_token_group_links`` lower them for tests): 400
  ``Validation failed: Source project exceeds the allowable number of project links in this
  direction`` / ``... of group links``.
* DELETE has no ``authorize_admin_project`` in the route: the service answers 403 ``403 Forbidden -
  Insufficient permissions to modify the job token scope``; an unknown project is ``find_project!``'s
  404 ``404 Project Not Found``, an unknown group 404 ``404 target_group_id not found Not Found``; not
  listed: 400 ``Target project is not in the job token scope`` / ``Target group is not in the job
  token scope``; the project itself: 400 ``Source project cannot be removed from the job token scope``.

State lives in the project's seed data (so it resets with the fake): ``ci_job_token_scope_enabled``
(default true, GitLab 18.0's default for the inbound allowlist), ``ci_job_token_allowlist`` and
``ci_job_token_groups_allowlist`` (project / group paths or ids; the API adds ids).

Enforcement (``Ci::JobToken::Scope#accessible?``, lib/api/helpers.rb ``handle_job_token_failure!``):
a job token of project S may use project T when S is T, T's inbound scope is disabled, S is on T's
project allowlist, or one of S's groups (any ancestor) is on T's group allowlist; else 403 ``403
Forbidden - Authentication by CI/CD job token not allowed from <S path> to <T path>.``.  The enabled
flag is not forced by an instance setting here (``enforce_ci_inbound_job_token_scope_enabled`` is not
modelled).

The authentication log (app/models/ci/job_token/authorization.rb, read through GraphQL in graphql.py):
``Scope#accessible?`` (app/models/ci/job_token/scope.rb) captures every job token authorization that succeeds
between two different projects - through the allowlist or because the target's scope is disabled, never a
refused one nor a project's own jobs - and one row per (accessed, origin) pair keeps the last time
(``log_captures!`` upserts ``last_authorized_at``). GitLab writes the row only when the request answers 2xx
(lib/ci/job_token/middleware.rb) and in a worker 5 minutes later; the fake writes it at once, when a
request whose job token passed the scope check answers 2xx (a later 403/404 of the same request is not logged). State: seed key
``ci_job_token_auth_log`` on the accessed project, a list of ``{project: <path or id>, last_authorized_at}``.
"""

import time

from . import entities, errors
from .access import authorize, project_role, user_project
from .pagination import PAGINATION_PARAMS, paginate
from .params import Param, declared
from .request import Response
from .state import MAINTAINER

BASE = '/api/v4/projects/:id/job_token_scope'
ENABLED_KEY = 'ci_job_token_scope_enabled'
PROJECTS_KEY = 'ci_job_token_allowlist'
GROUPS_KEY = 'ci_job_token_groups_allowlist'
AUTH_LOG_KEY = 'ci_job_token_auth_log'
PROJECT_LINK_LIMIT = 200
GROUP_LINK_LIMIT = 200
MODIFY_FORBIDDEN = 'Insufficient permissions to modify the job token scope'
PROJECT_UNREADABLE = ("The target_project that you are attempting to access does not exist or you don't have "
                      "permission to perform this action")
GROUP_UNREADABLE = ("The target_group that you are attempting to access does not exist or you don't have "
                    "permission to perform this action")

ID = Param('id', 'integer', required=True)
ENABLED = Param('enabled', 'boolean', required=True)
TARGET_PROJECT = Param('target_project_id', 'integer', required=True)
TARGET_GROUP = Param('target_group_id', 'integer', required=True)


def register(router):
    """Add the job token scope routes."""
    router.add('GET', BASE, get_scope)
    router.add('PATCH', BASE, patch_scope)
    router.add('GET', BASE + '/allowlist', list_projects)
    router.add('GET', BASE + '/groups_allowlist', list_groups)
    router.add('POST', BASE + '/allowlist', add_project)
    router.add('POST', BASE + '/groups_allowlist', add_group)
    router.add('DELETE', BASE + '/allowlist/:target_project_id', remove_project)
    router.add('DELETE', BASE + '/groups_allowlist/:target_group_id', remove_group)


# -- the model ---------------------------------------------------------------------------------------


def enabled(project):
    """``ci_inbound_job_token_scope_enabled?`` (seed ``ci_job_token_scope_enabled``, default true)."""
    return bool(project.extra.get(ENABLED_KEY, True))


def _resolve(finder, refs):
    found = []
    for ref in refs or []:
        item = finder(str(ref))
        if item is not None and item not in found:
            found.append(item)
    return found


def allowed_projects(state, project):
    """The project links' targets, in the order they were added (without the project itself)."""
    return _resolve(lambda ref: state.find_project(ref)[0], project.extra.get(PROJECTS_KEY))


def allowed_groups(state, project):
    """The group links' targets, in the order they were added."""
    return _resolve(state.find_group, project.extra.get(GROUPS_KEY))


def allows(state, source, target):
    """``Ci::JobToken::Scope#accessible?``: may a job token of ``source`` use ``target``?"""
    if source is target or not enabled(target):
        return True
    if source in allowed_projects(state, target):
        return True
    ancestors = list(source.namespace.self_and_ancestors())
    return any(group in ancestors for group in allowed_groups(state, target))


def check_job_token(call, project):
    """``handle_job_token_failure!``: 403 with GitLab's message when the caller's job token may not use ``project``."""
    job = call.identity.job
    if job is None:
        return
    source = job.pipeline.project
    if not allows(call.state, source, project):
        raise errors.forbidden('Authentication by CI/CD job token not allowed from %s to %s.' % (source.path, project.path))
    if source is not project:
        call.after_success.append(lambda: log_authorization(call.state, project, source))


def log_authorization(state, accessed, origin):
    """``Authorization.log_captures!``: upsert the (accessed, origin) row with the current time."""
    rows = _links(accessed, AUTH_LOG_KEY)
    when = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(getattr(state, 'clock', time.time)()))
    for row in rows:
        if isinstance(row, dict) and state.find_project(str(row.get('project')))[0] is origin:
            row['last_authorized_at'] = when
            return
    rows.append({'project': origin.id, 'last_authorized_at': when})


def auth_log(state, accessed):
    """``[(origin project, last_authorized_at)]`` in the order rows were written, origins that still exist only."""
    found = []
    for row in accessed.extra.get(AUTH_LOG_KEY) or []:
        origin = state.find_project(str(row.get('project')))[0] if isinstance(row, dict) else None
        if origin is not None and origin is not accessed and all(origin is not seen for seen, _when in found):
            found.append((origin, row.get('last_authorized_at')))
    return found


def _links(project, key):
    links = project.extra.get(key)
    if not isinstance(links, list):
        links = list(links or [])
        project.extra[key] = links
    return links


def _limit(call, name, default):
    return int(call.state.limits.get(name) or default)


# -- entities ----------------------------------------------------------------------------------------


def basic_project(call, item):
    """``Entities::BasicProjectDetails`` (trimmed): the project entity without CI/CD settings or permissions."""
    data = entities.project(item, call.external_url)
    for key in ('jobs_enabled', 'builds_access_level', 'ci_config_path', 'ci_job_token_scope_enabled'):
        data.pop(key, None)
    return data


def basic_group(call, group):
    """``Entities::BasicGroupDetails``: id, web_url, name."""
    return {'id': group.id, 'web_url': '%s/groups/%s' % (call.external_url, group.full_path), 'name': group.name}


# -- routes ------------------------------------------------------------------------------------------


def _admin_project(call):
    project = user_project(call)
    authorize(project_role(call, project) >= MAINTAINER)
    return project


def get_scope(call):
    """``GET /projects/:id/job_token_scope``: ``Entities::ProjectJobTokenScope`` (outbound is gone: always false)."""
    project = _admin_project(call)
    return Response.json(200, {'inbound_enabled': enabled(project), 'outbound_enabled': False})


def patch_scope(call):
    """``PATCH /projects/:id/job_token_scope``: ``enabled`` as ``ci_inbound_job_token_scope_enabled``; 204."""
    args = declared(call.params, [ENABLED])
    if args.get('enabled') is None:
        raise errors.param_errors(['enabled is empty'])
    project = _admin_project(call)
    project.extra[ENABLED_KEY] = bool(args['enabled'])
    return Response.empty(204)


def list_projects(call):
    """``GET .../allowlist``: ``Allowlist#projects`` = the project itself, then its links' targets."""
    declared(call.params, PAGINATION_PARAMS)
    project = _admin_project(call)
    items = [project] + [item for item in allowed_projects(call.state, project) if item is not project]
    return paginate(call, items, lambda item: basic_project(call, item))


def list_groups(call):
    """``GET .../groups_allowlist``."""
    declared(call.params, PAGINATION_PARAMS)
    project = _admin_project(call)
    return paginate(call, allowed_groups(call.state, project), lambda group: basic_group(call, group))


def add_project(call):
    """``POST .../allowlist``: AddProjectService (inbound)."""
    args = declared(call.params, [ID, TARGET_PROJECT])
    project = _admin_project(call)
    target, _moved = call.state.find_project(str(args['target_project_id']))
    if target is None:
        raise errors.not_found('target_project_id not found')
    if not call.state.can_read_project(call.user, target):
        raise errors.bad_request(PROJECT_UNREADABLE)
    if target is project:
        raise errors.bad_request("Validation failed: Target project can't be the same as the source project")
    if target in allowed_projects(call.state, project):
        raise errors.bad_request('Target project is already in the job token scope')
    if len(allowed_projects(call.state, project)) >= _limit(call, 'ci_job_token_project_links', PROJECT_LINK_LIMIT):
        raise errors.bad_request('Validation failed: Source project exceeds the allowable number of project links in this direction')
    _links(project, PROJECTS_KEY).append(target.id)
    return Response.json(201, {'source_project_id': project.id, 'target_project_id': target.id})


def add_group(call):
    """``POST .../groups_allowlist``: AddGroupService."""
    args = declared(call.params, [ID, TARGET_GROUP])
    project = _admin_project(call)
    group = call.state.find_group(str(args['target_group_id']))
    if group is None:
        raise errors.not_found('target_group_id not found')
    if not call.state.can_read_group(call.user, group):
        raise errors.bad_request(GROUP_UNREADABLE)
    if group in allowed_groups(call.state, project):
        raise errors.bad_request('This group is already in the job token allowlist.')
    if len(allowed_groups(call.state, project)) >= _limit(call, 'ci_job_token_group_links', GROUP_LINK_LIMIT):
        raise errors.bad_request('Validation failed: Source project exceeds the allowable number of group links')
    _links(project, GROUPS_KEY).append(group.id)
    return Response.json(201, {'source_project_id': project.id, 'target_group_id': group.id})


def _remove(links, finder, item):
    for ref in list(links):
        if finder(str(ref)) is item:
            links.remove(ref)


def remove_project(call):
    """``DELETE .../allowlist/:target_project_id``: RemoveProjectService."""
    declared(call.params, [ID, TARGET_PROJECT])
    project = user_project(call)
    target = user_project(call, 'target_project_id')
    authorize(project_role(call, project) >= MAINTAINER, MODIFY_FORBIDDEN)
    if target is project:
        raise errors.bad_request('Source project cannot be removed from the job token scope')
    if target not in allowed_projects(call.state, project):
        raise errors.bad_request('Target project is not in the job token scope')
    _remove(_links(project, PROJECTS_KEY), lambda ref: call.state.find_project(ref)[0], target)
    return Response.empty(204)


def remove_group(call):
    """``DELETE .../groups_allowlist/:target_group_id``: RemoveGroupService."""
    args = declared(call.params, [ID, TARGET_GROUP])
    project = user_project(call)
    group = call.state.find_group(str(args['target_group_id']))
    if group is None:
        raise errors.not_found('target_group_id not found')
    authorize(project_role(call, project) >= MAINTAINER, MODIFY_FORBIDDEN)
    if group not in allowed_groups(call.state, project):
        raise errors.bad_request('Target group is not in the job token scope')
    _remove(_links(project, GROUPS_KEY), call.state.find_group, group)
    return Response.empty(204)
