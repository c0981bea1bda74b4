"""Basic routes: version, current user, project and group.

``GET /version`` needs authentication like in GitLab; the project and group reads work
anonymously for public ones.  A top-level seed key ``version`` overrides the reported version.
"""

from . import entities
from .access import project_role, user_group, user_project
from .pipelines import override_role, restricts_variables
from .request import Response
from .router import AUTH_OPTIONAL
from .state import MAINTAINER

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
    """``GET /projects/:id``; Maintainers and up (``admin_project``) also see the CI/CD settings block of
    lib/api/entities/project.rb, of which the fake has ``restrict_user_defined_variables`` and
    ``ci_pipeline_variables_minimum_override_role`` (pipelines.py)."""
    project = user_project(call)
    data = entities.project(project, call.external_url, call.state, call.user)
    if project_role(call, project) >= MAINTAINER:
        data['restrict_user_defined_variables'] = restricts_variables(project)
        data['ci_pipeline_variables_minimum_override_role'] = override_role(project)
    return Response.json(200, data)


def get_group(call):
    """``GET /groups/:id``."""
    return Response.json(200, entities.group(user_group(call), call.external_url))
