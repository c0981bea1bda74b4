"""Pipelines: trigger, create, list, show, variables, cancel, retry, delete (https://docs.gitlab.com/api/pipelines/).

Routes (lib/api/ci/triggers.rb, lib/api/ci/pipelines.rb):

======  ===================================================  ===============================  =========
POST    /projects/:id/trigger/pipeline                       the ``token`` param, no user     201
POST    /projects/:id/ref/:ref/trigger/pipeline              same; the URL ref wins           201
POST    /projects/:id/pipeline                               Developer+ (``create_pipeline``) 201
GET     /projects/:id/pipelines                              ``read_pipeline`` + ``read_build`` 200, counted
GET     /projects/:id/pipelines/latest                       ``read_pipeline``; none -> 403   200
GET     /projects/:id/pipelines/:pipeline_id                 ``read_pipeline``                200
GET     /projects/:id/pipelines/:pipeline_id/variables       ``read_pipeline_variable`` (Dev+) 200
POST    /projects/:id/pipelines/:pipeline_id/cancel          Developer+                       200
POST    /projects/:id/pipelines/:pipeline_id/retry           Developer+                       201
DELETE  /projects/:id/pipelines/:pipeline_id                 Owner (``destroy_pipeline``)     204
======  ===================================================  ===============================  =========

Reading needs Reporter+ (or a public/internal project with public builds); GETs work anonymously on
public projects (``authenticate_non_get!``).  The pipeline's job and bridge lists are in jobs.py.

The list (``Ci::PipelinesFinder``) leaves out child pipelines (source ``parent_pipeline``) unless
``source=parent_pipeline`` is asked; ``latest`` (``Project#latest_pipeline``) never returns one (nor
any other dangling source), and answers 403 ``403 Forbidden`` when the ref has no pipeline, since
GitLab authorizes ``read_pipeline`` on a nil pipeline.  Unknown ``scope``/``status``/``source``/
``order_by``/``sort`` values are Grape's 400 ``{"error": "<name> does not have a valid value"}``.

Creating runs the checks of ``Ci::CreatePipelineService``'s chain in its order, each a 400
``{"message": {"base": [...]}}`` with nothing persisted: pipeline variables
(lib/gitlab/ci/pipeline/chain/build/associations.rb, before Validate::Abilities: ``Insufficient
permissions to set pipeline variables`` when variables are given and the user lacks
``set_pipeline_variables``, see ``can_set_variables``; then ``Duplicate variable name(s): A, B``),
``Insufficient permissions to create a new pipeline`` (below Developer), ``Reference not found``
(not a branch or seed ``tags`` entry), ``Missing CI config file`` (no ``ci:``).  The trigger endpoint
persists the last one as a failed pipeline and answers 422 (``pipeline_service_response``), the
user-token endpoint saves nothing (``save_on_errors: false``) and answers 400.

The restriction (https://docs.gitlab.com/ci/variables/#restrict-pipeline-variables, GitLab 17.1+; the
GitLab.com default for new projects is ``no_one_allowed`` since 17.7): seed project keys
``pipeline_variables_minimum_override_role`` (``no_one_allowed`` | ``developer`` | ``maintainer`` |
``owner``, ProjectCiCdSetting's enum; default ``developer``) and ``restrict_user_defined_variables``
(default: true when the role key is seeded, else false = no restriction).  Both are shown by
``GET /projects/:id`` to Maintainers and up (``admin_project``, lib/api/entities/project.rb, core.py).
Child pipelines are exempt (``creates_child_pipeline?``; the fake passes no variables downstream anyway).

Trigger endpoint order (triggers.rb): Grape params (``ref`` required and not blank, ``token``
required, ``variables`` a Hash) -> ``X-Gitlab-Event: Pipeline Hook`` 403 -> non-string variable
values 400 -> ``find_project`` (no visibility check; 404 ``404 Not Found``) -> trigger token of this
project (another project's, unknown or expired: 404 ``404 Not Found``), else a job token (not
running: 401 ``Job is not running``; its user cannot read the project: 404) -> the chain.
``TRIGGER_PAYLOAD`` (file variable) is every request param but ``token`` as JSON, with
``variables`` made a hash (``{}`` when absent).  Ci::PipelineTriggerService passes it with the
given variables as ``variables_attributes``, so a restricted project refused every trigger until
GitLab fixed it (https://gitlab.com/gitlab-org/gitlab/-/issues/557381, merge request 204230: "ensure
TRIGGER_PAYLOAD is the only variable authorized for restricted trigger pipelines").  The fake follows
the fixed behaviour: ``TRIGGER_PAYLOAD`` does not count, a trigger (trigger token or job token)
WITH variables by a user below the role is the 400 ``{"message": {"base": ["Insufficient
permissions to set pipeline variables"]}}`` (``pipeline.errors.messages``), a plain one works.

Cancel cascades to child pipelines (``Ci::CancelPipelineService``, ``ci.Pipeline.cancel``); retry
resets the source bridge (``reset_source_bridge!``, ``ci.Pipeline.reset_source_bridge``).
"""

from . import ci, errors
from .access import authorize, project_role, user_project
from .entities import user_basic
from .pagination import PAGINATION_PARAMS, paginate
from .params import Param, blank, declared
from .request import Response
from .router import AUTH_NONE, AUTH_OPTIONAL
from .state import DEVELOPER, MAINTAINER, OWNER, REPORTER
from .triggers import expiration_enabled

BASE = '/api/v4/projects/:id'
PIPELINE_HOOK = 'Pipeline Hook'
VARIABLE_TYPES = ['env_var', 'file']
NOT_STRING_MAP = 'variables needs to be a map of key-valued strings'
JOB_NOT_RUNNING = 'Job is not running'
PAYLOAD_KEY = 'TRIGGER_PAYLOAD'
MISSING_CONFIG = 'Missing CI config file'
OVERRIDE_ROLES = {'developer': DEVELOPER, 'maintainer': MAINTAINER, 'owner': OWNER, 'no_one_allowed': None}
# Ci::Pipeline.sources
SOURCES = ['unknown', 'push', 'web', 'trigger', 'schedule', 'api', 'external', 'pipeline', 'chat', 'webide',
           'merge_request_event', 'external_pull_request_event', 'parent_pipeline', 'ondemand_dast_scan',
           'ondemand_dast_validation', 'security_orchestration_policy', 'container_registry_push', 'duo_workflow',
           'pipeline_execution_policy_schedule']
# Enums::Ci::Pipeline.dangling_sources: not in ``Project#ci_pipelines`` (app/models/project.rb).
DANGLING_SOURCES = ('webide', 'parent_pipeline', 'ondemand_dast_scan', 'ondemand_dast_validation',
                    'security_orchestration_policy', 'container_registry_push', 'duo_workflow',
                    'pipeline_execution_policy_schedule')
# Ci::PipelinesFinder::ALLOWED_INDEXED_COLUMNS
ORDER_BY = ['id', 'status', 'ref', 'updated_at', 'user_id']

PIPELINE_ID = Param('pipeline_id', 'integer', required=True)
CREATE_PARAMS = [
    Param('ref', required=True),
    Param('variables', 'array', children=[Param('key'), Param('value'), Param('variable_type', values=VARIABLE_TYPES, default='env_var')]),
    Param('inputs', 'hash'),
]
LIST_PARAMS = PAGINATION_PARAMS + [
    Param('scope', values=['running', 'pending', 'finished', 'branches', 'tags']),
    Param('status', values=list(ci.STATUSES)),
    Param('ref'), Param('sha'), Param('yaml_errors', 'boolean'), Param('username'),
    Param('updated_before', 'datetime'), Param('updated_after', 'datetime'),
    Param('created_before', 'datetime'), Param('created_after', 'datetime'),
    Param('order_by', values=ORDER_BY, default='id'), Param('sort', values=['asc', 'desc'], default='desc'),
    Param('source', values=SOURCES), Param('name'),
]

# DetailedStatusEntity texts per status: (text, label, icon, group).
DETAILED = {
    'created': ('Created', 'created', 'status_created', 'created'),
    'waiting_for_resource': ('Waiting', 'waiting for resource', 'status_pending', 'waiting-for-resource'),
    'preparing': ('Preparing', 'preparing', 'status_preparing', 'preparing'),
    'waiting_for_callback': ('Waiting', 'waiting for callback', 'status_pending', 'waiting-for-callback'),
    'pending': ('Pending', 'pending', 'status_pending', 'pending'),
    'running': ('Running', 'running', 'status_running', 'running'),
    'success': ('Passed', 'passed', 'status_success', 'success'),
    'failed': ('Failed', 'failed', 'status_failed', 'failed'),
    'canceling': ('Canceling', 'canceling', 'status_canceled', 'canceling'),
    'canceled': ('Canceled', 'canceled', 'status_canceled', 'canceled'),
    'skipped': ('Skipped', 'skipped', 'status_skipped', 'skipped'),
    'manual': ('Blocked', 'waiting for manual action', 'status_manual', 'manual'),
    'scheduled': ('Scheduled', 'waiting for delayed job', 'status_scheduled', 'scheduled'),
}


def register(router):
    """Add the pipeline routes."""
    router.add('POST', BASE + '/trigger/pipeline', trigger_pipeline, auth=AUTH_NONE)
    router.add('POST', BASE + '/ref/*ref/trigger/pipeline', trigger_pipeline, auth=AUTH_NONE)
    router.add('POST', BASE + '/pipeline', create_pipeline)
    router.add('GET', BASE + '/pipelines', list_pipelines, auth=AUTH_OPTIONAL)
    # Before ``:pipeline_id``: Grape matches routes in declaration order and ``latest`` comes first there too.
    router.add('GET', BASE + '/pipelines/latest', latest_pipeline, auth=AUTH_OPTIONAL)
    router.add('GET', BASE + '/pipelines/:pipeline_id', show_pipeline, auth=AUTH_OPTIONAL)
    router.add('GET', BASE + '/pipelines/:pipeline_id/variables', pipeline_variables, auth=AUTH_OPTIONAL)
    router.add('POST', BASE + '/pipelines/:pipeline_id/cancel', cancel_pipeline)
    router.add('POST', BASE + '/pipelines/:pipeline_id/retry', retry_pipeline)
    router.add('DELETE', BASE + '/pipelines/:pipeline_id', delete_pipeline)


# -- permissions ---------------------------------------------------------------------------------


def can_read_builds(call, project):
    """``read_build``/``read_pipeline``: Reporter+, or anyone who sees a project with public builds.

    ``public_builds`` (seed project key, default true) opens jobs of public projects to everyone and
    of internal projects to signed-in users; private projects need Reporter (a Guest gets 403).
    """
    if project_role(call, project) >= REPORTER:
        return True
    if not project.extra.get('public_builds', True):
        return False
    return project.visibility == 'public' or (project.visibility == 'internal' and call.user is not None)


def override_role(project):
    """The project's ``ci_pipeline_variables_minimum_override_role`` (seed key
    ``pipeline_variables_minimum_override_role``; default ``developer``, the column default)."""
    role = str(project.extra.get('pipeline_variables_minimum_override_role', 'developer'))
    return role if role in OVERRIDE_ROLES else 'developer'


def restricts_variables(project):
    """``restrict_user_defined_variables``: seed key of that name; default true when the seed sets a minimum role."""
    value = project.extra.get('restrict_user_defined_variables')
    if value is None:
        return 'pipeline_variables_minimum_override_role' in project.extra
    return bool(value)


def can_set_variables(state, user, project):
    """``set_pipeline_variables`` (app/policies/project_policy.rb ``user_defined_variables_allowed``,
    ``ProjectCiCdSetting#override_pipeline_variables_allowed?``): always without the restriction;
    never with ``no_one_allowed`` (admins included); else the user's role reaches the minimum role.
    An admin counts as Owner [INFERRED]."""
    if not restricts_variables(project):
        return True
    minimum = OVERRIDE_ROLES[override_role(project)]
    if minimum is None:
        return False
    if user is not None and user.admin:
        return True
    return state.project_access(user, project) >= minimum


def can_update_pipeline(state, user, project):
    """``update_pipeline`` on a project's pipeline: Developer+ (protected refs are not modelled)."""
    return can_create(state, user, project)


def can_create(state, user, project):
    """``create_pipeline``: Developer+; nobody (an ownerless legacy trigger) may not."""
    if user is None:
        return False
    if user.admin:
        return True
    return state.project_access(user, project) >= DEVELOPER


# -- entities --------------------------------------------------------------------------------------


def web_url(base_url, pipeline):
    """``project_pipeline_url``."""
    return '%s/%s/-/pipelines/%d' % (base_url, pipeline.project.full_path, pipeline.id)


def render_basic(pipeline, now, base_url):
    """``Entities::Ci::PipelineBasic`` (with ``iid``, as newer GitLab shows it)."""
    return {
        'id': pipeline.id,
        'iid': pipeline.iid,
        'project_id': pipeline.project.id,
        'sha': pipeline.sha,
        'ref': pipeline.ref,
        'status': pipeline.status(now),
        'source': pipeline.source,
        'created_at': ci.iso(pipeline.created_at),
        'updated_at': ci.iso(pipeline.updated_at(now)),
        'web_url': web_url(base_url, pipeline),
    }


def render_basic_with_metadata(pipeline, now, base_url):
    """``Entities::Ci::PipelineBasicWithMetadata`` (the list): PipelineBasic plus ``name``.

    lib/api/entities/ci/pipeline_basic_with_metadata.rb; ``name`` is the ``workflow:name``, null
    without one.  GitLab 15.11 to 16.x showed it only with the ``pipeline_name_in_api`` feature flag;
    before that there was no ``name``.  The job's embedded ``pipeline`` stays PipelineBasic (no name).
    """
    data = render_basic(pipeline, now, base_url)
    data['name'] = pipeline.name
    return data


def detailed_status(pipeline, now):
    """``DetailedStatusEntity`` of the pipeline; success with allowed failures is "passed with warnings"."""
    status = pipeline.status(now)
    text, label, icon, group = DETAILED[status]
    if status == 'success' and any(job.allow_failure and job.status(now) in ci.PASSED_WITH_WARNINGS for job in pipeline.latest_processables()):
        text, label, icon, group = 'Warning', 'passed with warnings', 'status_warning', 'success-with-warnings'
    path = '/%s/-/pipelines/%d' % (pipeline.project.full_path, pipeline.id)
    return {'icon': icon, 'text': text, 'label': label, 'group': group, 'tooltip': label, 'has_details': True,
            'details_path': path, 'illustration': None, 'favicon': '/assets/ci_favicons/favicon_%s.png' % icon}


def render(pipeline, now, base_url):
    """``Entities::Ci::Pipeline`` (lib/api/entities/ci/pipeline.rb, plus ``archived``)."""
    data = render_basic(pipeline, now, base_url)
    started = pipeline.started_at(now)
    finished = pipeline.finished_at(now)
    data.update({
        'before_sha': pipeline.before_sha,
        'tag': pipeline.tag,
        'yaml_errors': pipeline.failure if pipeline.failure != MISSING_CONFIG else None,
        'user': user_basic(pipeline.user, base_url) if pipeline.user is not None else None,
        'started_at': ci.iso(started),
        'finished_at': ci.iso(finished),
        'committed_at': None,
        'duration': int(round(finished - started)) if started is not None and finished is not None else None,
        'queued_duration': int(round(started - pipeline.created_at)) if started is not None else None,
        'coverage': None,
        'detailed_status': detailed_status(pipeline, now),
        'archived': False,
    })
    return data


def render_with_metadata(pipeline, now, base_url):
    """``Entities::Ci::PipelineWithMetadata`` (GET one pipeline): Pipeline plus ``name``.

    lib/api/entities/ci/pipeline_with_metadata.rb, used by ``get ':id/pipelines/:pipeline_id'`` (and
    ``/pipelines/latest``) in lib/api/ci/pipelines.rb; create, retry and cancel answer
    ``Entities::Ci::Pipeline``, without ``name``.
    """
    data = render(pipeline, now, base_url)
    data['name'] = pipeline.name
    return data


def render_variable(variable):
    """``Entities::Ci::Variable`` of a ``Ci::PipelineVariable``: no protected/masked/scope fields."""
    return {'variable_type': variable['variable_type'], 'key': variable['key'], 'value': variable['value'], 'raw': False}


# -- creation ----------------------------------------------------------------------------------------


class Refused(Exception):
    """The chain stopped: ``messages`` for ``base``; ``pipeline`` when it was persisted as failed."""

    def __init__(self, messages, pipeline=None):
        super().__init__(messages)
        self.messages = messages
        self.pipeline = pipeline


def build_pipeline(call, project, ref, source, user, variables, inputs=None, trigger=None, persist_config_errors=False,
                   free_variables=()):
    """Run the ``CreatePipelineService`` chain; return the new Pipeline or raise Refused.

    ``variables``: ``[{key, value, variable_type}]`` from the caller; ``free_variables`` are added by
    GitLab itself (``TRIGGER_PAYLOAD``) and skip the role check but not the uniqueness check.
    """
    state = call.state
    messages = []
    if variables and not can_set_variables(state, user, project):
        messages.append('Insufficient permissions to set pipeline variables')
        variables = []
    variables = list(variables) + list(free_variables)
    keys = [variable['key'] for variable in variables]
    duplicated = sorted({key for key in keys if keys.count(key) > 1}, key=keys.index)
    if duplicated:
        messages.append('Duplicate variable %s: %s' % ('names' if len(duplicated) > 1 else 'name', ', '.join(duplicated)))
    if messages:
        raise Refused(messages)
    if not can_create(state, user, project):
        raise Refused(['Insufficient permissions to create a new pipeline'])
    if not ci.ref_exists(project, ref):
        raise Refused(['Reference not found'])
    store = ci.store(state)
    now = store.snapshot()
    specs = ci.job_specs(project)
    if not specs:
        if not persist_config_errors:
            raise Refused([MISSING_CONFIG])
        failed = ci.Pipeline(store, project, ref, source, user, variables, [], now, trigger, inputs, failure=MISSING_CONFIG)
        raise Refused([MISSING_CONFIG], failed)
    return ci.Pipeline(store, project, ref, source, user, variables, specs, now, trigger, inputs)


def _trigger_args(call):
    """Grape validation of the trigger params, in declaration order (``ref`` is ``allow_blank: false``)."""
    params = call.params
    messages = []
    for name in ('ref', 'token'):
        if name not in params:
            messages.append('%s is missing' % name)
        elif isinstance(params[name], (list, dict)):
            messages.append('%s is invalid' % name)
        elif name == 'ref' and blank(params[name]):
            messages.append('ref is empty')
    if 'variables' in params and params['variables'] is not None and not isinstance(params['variables'], dict):
        messages.append('variables is invalid')
    if messages:
        raise errors.param_errors(messages)
    return params


def _find_trigger(call, token):
    """``Ci::Trigger.find_by_token``: hidden while expired (when trigger expiration is on, triggers.py)."""
    project, trigger = call.state.find_trigger_by_token(token)
    if trigger is None or (expiration_enabled(call.state) and trigger.expired):
        return None, None
    return project, trigger


def trigger_pipeline(call):
    """``POST /projects/:id/(ref/:ref/)trigger/pipeline`` (https://docs.gitlab.com/api/pipeline_triggers/)."""
    params = _trigger_args(call)
    if call.request.header('X-Gitlab-Event') == PIPELINE_HOOK:
        raise errors.forbidden()
    variables = params.get('variables') or {}
    if not all(isinstance(key, str) and isinstance(value, str) for key, value in variables.items()):
        raise errors.message(400, NOT_STRING_MAP)
    project, _moved = call.state.find_project(params['id'])
    if project is None:
        raise errors.not_found()
    payload = {name: value for name, value in params.items() if name != 'token'}
    payload['variables'] = dict(variables)
    given = [{'key': key, 'value': value, 'variable_type': 'env_var'} for key, value in variables.items()]
    free = [{'key': PAYLOAD_KEY, 'value': ci.payload_json(payload), 'variable_type': 'file'}]
    token = str(params['token'])
    owner_project, trigger = _find_trigger(call, token)
    if trigger is not None:
        if owner_project is not project:
            raise errors.not_found()
        source, user = 'trigger', trigger.owner
    else:
        job = call.state.job_tokens.get(token)
        if job is None:
            raise errors.not_found()
        if not job.running:
            raise errors.message(401, JOB_NOT_RUNNING)
        if not call.state.can_read_project(job.user, project):
            raise errors.not_found()
        source, user = 'pipeline', job.user
    try:
        pipeline = build_pipeline(call, project, params['ref'], source, user, given, params.get('inputs'), trigger,
                                  persist_config_errors=True, free_variables=free)
    except Refused as refused:
        if refused.pipeline is not None:
            _mark_used(trigger, refused.pipeline)
            raise errors.ApiError(422, {'message': {'base': refused.messages}}) from None
        raise errors.validation_error({'base': refused.messages}) from None
    _mark_used(trigger, pipeline)
    return Response.json(201, render(pipeline, ci.store(call.state).now(), call.external_url))


def _mark_used(trigger, pipeline):
    """``last_used``: the creation time of the trigger's newest pipeline."""
    if trigger is not None:
        trigger.last_used = ci.iso(pipeline.created_at)


def create_pipeline(call):
    """``POST /projects/:id/pipeline`` with a user token (https://docs.gitlab.com/api/pipelines/)."""
    args = declared(call.params, CREATE_PARAMS)
    project = user_project(call)
    authorize(project_role(call, project) >= DEVELOPER)
    variables = [{'key': item.get('key'), 'value': item.get('value'), 'variable_type': item.get('variable_type') or 'env_var'}
                 for item in args.get('variables') or []]
    try:
        pipeline = build_pipeline(call, project, args['ref'], 'api', call.user, variables, args.get('inputs'))
    except Refused as refused:
        raise errors.validation_error({'base': refused.messages}) from None
    return Response.json(201, render(pipeline, ci.store(call.state).now(), call.external_url))


# -- reading ----------------------------------------------------------------------------------------


def find_pipeline(call, project, pipeline_id):
    """``user_project.all_pipelines.find``: another project's or unknown -> 404 ``404 Not found``."""
    pipeline = ci.store(call.state).pipelines.get(pipeline_id)
    if pipeline is None or pipeline.project is not project:
        raise errors.record_not_found()
    return pipeline


def _matches(pipeline, args, now, latest_ids):
    checks = [
        ('status', lambda wanted: pipeline.status(now) == wanted),
        ('ref', lambda wanted: pipeline.ref == wanted),
        ('sha', lambda wanted: pipeline.sha == wanted),
        ('source', lambda wanted: pipeline.source == wanted),
        ('username', lambda wanted: pipeline.user is not None and pipeline.user.username == wanted),
        # Ci::PipelinesFinder#by_name: ``for_name``, an exact match on the pipeline metadata's name.
        ('name', lambda wanted: pipeline.name == wanted),
        ('yaml_errors', lambda wanted: bool(pipeline.failure) == wanted),
        ('created_before', lambda wanted: pipeline.created_at < wanted.timestamp()),
        ('created_after', lambda wanted: pipeline.created_at > wanted.timestamp()),
        ('updated_before', lambda wanted: pipeline.updated_at(now) < wanted.timestamp()),
        ('updated_after', lambda wanted: pipeline.updated_at(now) > wanted.timestamp()),
    ]
    for name, check in checks:
        if args.get(name) is not None and not check(args[name]):
            return False
    scope = args.get('scope')
    if scope == 'running' or scope == 'pending':
        return pipeline.status(now) == scope
    if scope == 'finished':
        return pipeline.status(now) in ('success', 'failed', 'canceled')
    if scope in ('branches', 'tags'):
        return pipeline.id in latest_ids and pipeline.tag == (scope == 'tags')
    return True


def list_pipelines(call):
    """``GET /projects/:id/pipelines``: ``Ci::PipelinesFinder`` filters, ordered, counted pages."""
    args = declared(call.params, LIST_PARAMS)
    project = user_project(call)
    authorize(can_read_builds(call, project))
    store = ci.store(call.state)
    now = store.snapshot()
    pipelines = store.project_pipelines(project)
    if args.get('source') != 'parent_pipeline':
        # Ci::PipelinesFinder#prefiltered_pipelines: ``no_child`` unless child pipelines are asked for.
        pipelines = [p for p in pipelines if p.source != 'parent_pipeline']
    latest = {}
    for pipeline in pipelines:
        latest[(pipeline.ref, pipeline.tag)] = pipeline.id
    items = [p for p in pipelines if _matches(p, args, now, set(latest.values()))]
    order = args.get('order_by') or 'id'
    keys = {
        'id': lambda p: p.id,
        'status': lambda p: (p.status(now), p.id),
        'ref': lambda p: (p.ref, p.id),
        'updated_at': lambda p: (p.updated_at(now), p.id),
        'user_id': lambda p: (p.user.id if p.user is not None else 0, p.id),
    }
    items.sort(key=keys[order], reverse=(args.get('sort') or 'desc') == 'desc')
    return paginate(call, items, lambda p: render_basic_with_metadata(p, now, call.external_url))


def _readable_pipeline(call):
    args = declared(call.params, [PIPELINE_ID])
    project = user_project(call)
    pipeline = find_pipeline(call, project, args['pipeline_id'])
    authorize(can_read_builds(call, project))
    return project, pipeline


def show_pipeline(call):
    """``GET /projects/:id/pipelines/:pipeline_id``."""
    _project, pipeline = _readable_pipeline(call)
    now = ci.store(call.state).snapshot()
    return Response.json(200, render_with_metadata(pipeline, now, call.external_url))


def project_latest_pipeline(store, project, ref):
    """``Project#latest_pipeline(ref)`` (app/models/project.rb): ``ci_pipelines.newest_first(ref:, sha:)``
    for the ref's HEAD commit; ``ci_pipelines`` leaves out the dangling sources (child pipelines and
    the like, ``Enums::Ci::Pipeline.dangling_sources``).  A blank ref means the default branch; an
    unknown ref (no commit) gives None.  Every pipeline of a ref here has the ref's one fake sha.
    """
    ref = ref or project.default_branch
    if not ref or not ci.ref_exists(project, ref):
        return None
    sha = ci.fake_sha(project, ref)
    found = [p for p in store.project_pipelines(project)
             if p.ref == ref and p.sha == sha and p.source not in DANGLING_SOURCES]
    return found[-1] if found else None


def latest_pipeline(call):
    """``GET /projects/:id/pipelines/latest``: ``authorize! :read_pipeline, latest_pipeline``.

    lib/api/ci/pipelines.rb: with no pipeline the subject is nil, which no policy allows
    (``NilPolicy``), so GitLab answers 403 ``403 Forbidden`` rather than a 404.
    """
    args = declared(call.params, [Param('ref')])
    project = user_project(call)
    store = ci.store(call.state)
    now = store.snapshot()
    pipeline = project_latest_pipeline(store, project, args.get('ref'))
    authorize(pipeline is not None and can_read_builds(call, project))
    return Response.json(200, render_with_metadata(pipeline, now, call.external_url))


def pipeline_variables(call):
    """``GET .../pipelines/:pipeline_id/variables``: ``read_pipeline_variable`` is Developer+."""
    project, pipeline = _readable_pipeline(call)
    authorize(project_role(call, project) >= DEVELOPER)
    return Response.json(200, [render_variable(variable) for variable in pipeline.variables])


def _writable_pipeline(call, role):
    args = declared(call.params, [PIPELINE_ID])
    project = user_project(call)
    pipeline = find_pipeline(call, project, args['pipeline_id'])
    authorize(project_role(call, project) >= role)
    return pipeline


def cancel_pipeline(call):
    """``POST .../cancel``: 200 (explicit ``status 200``), even when nothing was cancelable."""
    pipeline = _writable_pipeline(call, DEVELOPER)
    store = ci.store(call.state)
    now = store.snapshot()
    pipeline.cancel(now)
    pipeline.settle(now)
    return Response.json(200, render(pipeline, now, call.external_url))


def retry_pipeline(call):
    """``POST .../retry``: ``Ci::RetryPipelineService``; 201 with the pipeline.

    Every latest failed or canceled job is cloned as ``created`` and stage processing runs again,
    so a retried manual job is ``manual`` again (unlike the job API's retry).
    """
    pipeline = _writable_pipeline(call, DEVELOPER)
    store = ci.store(call.state)
    now = store.snapshot()
    for job in pipeline.latest_processables():
        if job.status(now) in ('failed', 'canceled') and job.retryable(now):
            pipeline.retry_job(job, call.user, now, enqueue=False)
    pipeline.reset_source_bridge(call.user, now)
    pipeline.settle(now)
    return Response.json(201, render(pipeline, now, call.external_url))


def delete_pipeline(call):
    """``DELETE .../pipelines/:pipeline_id``: Owner only; 204."""
    pipeline = _writable_pipeline(call, OWNER)
    ci.store(call.state).delete_pipeline(pipeline)
    return Response.empty(204)
