"""Basic routes: version, current user, project and group.

``GET /version`` needs authentication like in GitLab; the project and group reads work
anonymously for public ones.  A top-level seed key ``version`` overrides the reported version.
"""

from . import entities
from .access import user_group, user_project
from .request import Response
from .router import AUTH_OPTIONAL

DEFAULT_VERSION = '18.2.1-ee'


def register(router):
    """Add this module's routes."""
    router.add('GET', '/api/v4/version', get_version)
    router.add('GET', '/api/v4/user', get_current_user, scopes=['api', 'read_api', 'read_user'])
    router.add('GET', '/api/v4/projects/:id', get_project, auth=AUTH_OPTIONAL)
    router.add('GET', '/api/v4/groups/:id', get_group, auth=AUTH_OPTIONAL)


def get_version(call):
    """``GET /version``."""
    version = str(call.state.extra.get('version', DEFAULT_VERSION))
    return Response.json(200, {
        'version': version,
        'revision': '6f1f1b6d2a1',
        'kas': {'enabled': False, 'externalUrl': None, 'externalK8sProxyUrl': None, 'version': None},
        'enterprise': version.endswith('-ee'),
    })


def get_current_user(call):
    """``GET /user``: the token's user."""
    return Response.json(200, entities.current_user(call.user, call.external_url))


def get_project(call):
    """``GET /projects/:id``."""
    project = user_project(call)
    return Response.json(200, entities.project(project, call.external_url, call.state, call.user))


def get_group(call):
    """``GET /groups/:id``."""
    return Response.json(200, entities.group(user_group(call), call.external_url))
