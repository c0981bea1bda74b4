"""Finding the project or group a route addresses, and role checks (lib/api/helpers.rb ``find_project``, ``find_group``).

Route handlers call ``user_project(call)`` / ``user_group(call)`` first, like GitLab's
``user_project`` / ``user_group`` helpers, then ``authorize(...)``.  So an invisible project is a
404 before any permission check can reveal it exists (404, not 403), and a role that is too low
is a 403.
"""

from urllib.parse import quote, unquote

from . import errors
from .errors import ApiError

MOVED_NON_GET = 'Non GET methods are not allowed for moved projects'


def user_project(call, param='id'):
    """``find_project!``: the readable project named by the ``:id`` route param.

    Numeric id or full path; a bare name is not found.  Not found or not readable ->
    404 ``404 Project Not Found``.  An old (redirected) path -> GET 301 with ``Location`` and a
    text body, anything else 405.
    """
    ref = call.request.route_params[param]
    project, moved = call.state.find_project(ref)
    if project is None or not call.state.can_read_project(call.user, project):
        raise errors.not_found('Project')
    if moved:
        if call.method != 'GET':
            raise errors.message(405, MOVED_NON_GET)
        segments = call.request.path.split('/')
        for index, segment in enumerate(segments):
            if unquote(segment) == ref:
                segments[index] = quote(project.full_path, safe='')
                break
        location = call.external_url + '/'.join(segments)
        if call.request.query_string:
            location += '?' + call.request.query_string
        raise ApiError(301, 'This resource has been moved permanently to %s' % location, [('Location', location)], 'text/plain')
    return project


def user_group(call, param='id'):
    """``find_group!``: the readable group named by ``:id``, else 404 ``404 Group Not Found``."""
    group = call.state.find_group(call.request.route_params[param])
    if group is None or not call.state.can_read_group(call.user, group):
        raise errors.not_found('Group')
    return group


def project_role(call, project):
    """The caller's role in ``project``; admins count as Owner."""
    if call.user is not None and call.user.admin:
        return 50
    return call.state.project_access(call.user, project)


def group_role(call, group):
    """The caller's role in ``group``; admins count as Owner."""
    if call.user is not None and call.user.admin:
        return 50
    return call.state.group_access(call.user, group)


def authorize(allowed, reason=None):
    """``authorize!``: raise 403 ``403 Forbidden`` unless ``allowed``."""
    if not allowed:
        raise errors.forbidden(reason)


def require_admin(call):
    """``authenticated_as_admin!``: 401 for anonymous callers, 403 for non-admins."""
    if call.user is None:
        raise errors.unauthorized()
    authorize(call.user.admin)
