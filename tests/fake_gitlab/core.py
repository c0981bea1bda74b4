"""Basic routes: version, current user, project and group.

``GET /version`` needs authentication like in GitLab; the project and group reads work
anonymously for public ones.  A top-level seed key ``version`` overrides the reported version.

The project's CI/CD settings (https://docs.gitlab.com/api/projects/#edit-a-project; lib/api/projects.rb,
lib/api/helpers/projects_helpers.rb, lib/api/entities/project.rb) are shown by ``GET /projects/:id``
to Maintainers and up (``admin_project``; ``ci_config_path`` to every reader) and changed by
``PUT /projects/:id`` (``admin_project``; 200 with the project).  Only the CI/CD fields of
``CI_FIELDS`` are declared here; any other parameter is ignored, as Grape's ``declared_params`` does
for an unknown one, and a PUT with none of them is Grape's 400 ``at least one parameter must be
provided``.  Grape checks types and ``values`` first (400 ``{"error": "<name> is invalid"}`` /
``does not have a valid value``), then the models validate (400 ``{"message": {field: [msg]}}``,
``render_validation_error!``):

* ``build_timeout`` (app/models/project.rb): integer, at least 600 and below ``MAX_BUILD_TIMEOUT``
  (1.month = 2629746 s): ``needs to be between 10 minutes and 1 month``.
* ``ci_config_path``: no ``..`` and no leading ``/`` (``cannot include leading slash or directory
  traversal.``), at most 255 characters (``is too long (maximum is 255 characters)``).
* ``ci_default_git_depth`` (app/models/project_ci_cd_setting.rb ``default_git_depth``): 0..1000;
  ``ci_delete_pipelines_in_seconds`` (``delete_pipelines_in_seconds``): between
  ``ChronicDuration.parse('1 day')`` and ``('1 year')`` (86400..31557600; ChronicDuration's year is
  365.25 days): ``must be between 1 day and 1 year``.  Errors of the ci_cd_settings association are
  keyed ``ci_cd_settings.<attribute>`` [INFERRED: autosaved has_one].
* ``ci_restrict_pipeline_cancellation_role`` is EE (Premium): with seed ``license: free`` it is
  neither shown nor declared.

State: the project's seed data under the API names (``pipeline_variables_minimum_override_role`` and
``restrict_user_defined_variables`` keep their pipelines.py seed keys).  Fake-only knob: top-level seed
key ``absent_project_fields`` (a list of API names) plays an older GitLab that has not those fields:
they are neither shown nor declared.
"""

from . import entities, errors
from .access import authorize, project_role, user_group, user_project
from .job_token_scope import enabled as job_token_scope_enabled
from .params import Param, declared
from .pipelines import OVERRIDE_ROLES, override_role, restricts_variables
from .request import Response
from .router import AUTH_OPTIONAL
from .state import MAINTAINER

MAX_BUILD_TIMEOUT = 2629746
ONE_DAY = 86400
ONE_YEAR = 31557600
# API name -> (Grape type, allowed values or None, default)
CI_FIELDS = {
    'auto_cancel_pending_pipelines': ('string', ['disabled', 'enabled'], 'enabled'),
    'build_timeout': ('integer', None, 3600),
    'ci_config_path': ('string', None, None),
    'ci_default_git_depth': ('integer', None, 20),
    'ci_delete_pipelines_in_seconds': ('integer', None, None),
    'keep_latest_artifact': ('boolean', None, True),
    'ci_push_repository_for_job_token_allowed': ('boolean', None, False),
    'ci_restrict_pipeline_cancellation_role': ('string', ['developer', 'maintainer', 'no_one'], 'developer'),
    'ci_pipeline_variables_minimum_override_role': ('string', sorted(OVERRIDE_ROLES), 'developer'),
    'restrict_user_defined_variables': ('boolean', None, False),
}
EE_FIELDS = ('ci_restrict_pipeline_cancellation_role',)
SEED_KEYS = {'ci_pipeline_variables_minimum_override_role': 'pipeline_variables_minimum_override_role'}

DEFAULT_VERSION = '18.2.1-ee'


def register(router):
    """Add this module's routes."""
    router.add('GET', '/api/v4/version', get_version)
    router.add('GET', '/api/v4/user', get_current_user, scopes=['api', 'read_api', 'read_user'])
    router.add('GET', '/api/v4/projects/:id', get_project, auth=AUTH_OPTIONAL)
    router.add('PUT', '/api/v4/projects/:id', update_project)
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


def known_fields(state):
    """The CI/CD fields this instance has (license and ``absent_project_fields``)."""
    absent = set(state.extra.get('absent_project_fields') or [])
    if state.license != 'premium':
        absent.update(EE_FIELDS)
    return [name for name in CI_FIELDS if name not in absent]


def ci_value(project, name):
    """One CI/CD field's current value."""
    if name == 'ci_pipeline_variables_minimum_override_role':
        return override_role(project)
    if name == 'restrict_user_defined_variables':
        return restricts_variables(project)
    return project.extra.get(name, CI_FIELDS[name][2])


def render_project(call, project):
    """The project entity with the CI/CD block for Maintainers and up."""
    data = entities.project(project, call.external_url, call.state, call.user)
    fields = known_fields(call.state)
    if 'ci_config_path' in fields:
        data['ci_config_path'] = ci_value(project, 'ci_config_path')
    else:
        data.pop('ci_config_path', None)
    if project_role(call, project) >= MAINTAINER:
        data['ci_job_token_scope_enabled'] = job_token_scope_enabled(project)
        for name in fields:
            data[name] = ci_value(project, name)
    return data


def get_project(call):
    """``GET /projects/:id``; Maintainers and up (``admin_project``) also see the CI/CD settings block of
    lib/api/entities/project.rb (``CI_FIELDS``)."""
    return Response.json(200, render_project(call, user_project(call)))


def _model_errors(args):
    found = {}
    timeout = args.get('build_timeout')
    if timeout is not None and not 600 <= timeout < MAX_BUILD_TIMEOUT:
        found['build_timeout'] = ['needs to be between 10 minutes and 1 month']
    path = args.get('ci_config_path')
    if path:
        if '..' in path or path.startswith('/'):
            found.setdefault('ci_config_path', []).append('cannot include leading slash or directory traversal.')
        if len(path) > 255:
            found.setdefault('ci_config_path', []).append('is too long (maximum is 255 characters)')
    depth = args.get('ci_default_git_depth')
    if depth is not None:
        if depth < 0:
            found['ci_cd_settings.default_git_depth'] = ['must be greater than or equal to 0']
        elif depth > 1000:
            found['ci_cd_settings.default_git_depth'] = ['must be less than or equal to 1000']
    seconds = args.get('ci_delete_pipelines_in_seconds')
    if seconds is not None and not ONE_DAY <= seconds <= ONE_YEAR:
        found['ci_cd_settings.delete_pipelines_in_seconds'] = ['must be between 1 day and 1 year']
    return found


def update_project(call):
    """``PUT /projects/:id`` with the CI/CD fields: types, then the model validations, then all or nothing."""
    fields = known_fields(call.state)
    specs = [Param(name, CI_FIELDS[name][0], values=CI_FIELDS[name][1]) for name in fields]
    args = declared(call.params, specs)
    if not args:
        raise errors.param_errors(['%s are missing, at least one parameter must be provided' % ', '.join(fields)])
    project = user_project(call)
    authorize(project_role(call, project) >= MAINTAINER)
    found = _model_errors(args)
    if found:
        raise errors.validation_error(found)
    for name, value in args.items():
        if name == 'ci_config_path' and value == '':
            value = None
        project.extra[SEED_KEYS.get(name, name)] = value
    return Response.json(200, render_project(call, project))


def get_group(call):
    """``GET /groups/:id``."""
    return Response.json(200, entities.group(user_group(call), call.external_url))
