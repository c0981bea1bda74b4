"""Pipeline trigger tokens: ``/projects/:id/triggers`` (https://docs.gitlab.com/api/pipeline_triggers/).

Routes and permissions (lib/api/ci/triggers.rb, app/policies/ci/trigger_policy.rb):

======  ===========================  ==========================================  ===============
GET     /projects/:id/triggers       ``admin_build`` (Maintainer+), else 403      200, counted
GET     .../triggers/:trigger_id     ``admin_build``                              200
POST    /projects/:id/triggers       ``manage_trigger`` (= ``admin_build``)       201
PUT     .../triggers/:trigger_id     no role check in the route; UpdateService    200
                                     needs ``admin_trigger``, else 403 with its
                                     message (Developers included)
DELETE  .../triggers/:trigger_id     ``manage_trigger``: any Maintainer           204 (or 412)
======  ===========================  ==========================================  ===============

``admin_trigger``, as the newest app/policies/ci/trigger_policy.rb has it::

    rule { ~can?(:manage_trigger) }.prevent :admin_trigger
    rule { admin | is_owner }.enable :admin_trigger

that is ``manage_trigger`` (Maintainer+, admins included) and (the caller is an instance admin, or
owns the trigger).  So an admin sees every full token and may update any trigger; a legacy
ownerless trigger is an admin's only.  Older versions differ, and this fake does not model them:
``rule { is_owner }`` alone (admins see ``short_token`` like anyone else and get the 403), and
before that ``rule { legacy | is_owner }`` / ``rule { unowned | is_owner }`` (an ownerless legacy
trigger was every Maintainer's).  ``BasePolicy``'s ``admin`` condition needs Admin Mode when the
instance enables it; the fake has no Admin Mode, so an admin always counts.  The token is shown in
full only with ``admin_trigger`` (app/presenters/ci/trigger_presenter.rb), else ``short_token``,
in every answer.

Request flow, as in Grape: authentication, then parameter validation (400 ``{"error": ...}``; this
resource has no ``before`` filter, unlike variables), then in the handler ``user_project`` (404
``404 Project Not Found``), the role check (403), ``user_project.triggers.find`` (404 ``404 Not
found``, the RecordNotFound rescue; another project's trigger too) and the service.

Behaviour read from the source [INFERRED where marked]:

* The model validates neither presence nor length of ``description``: ``description=""`` (or JSON
  null) creates a trigger with that description (app/models/ci/trigger.rb).
* PUT passes ``declared_params(include_missing: false)[:description]`` to ``trigger.update``, so a
  PUT without ``description`` clears it to null [INFERRED].  ``updated_at`` moves only on a change.
* Create failures are ``bad_request!(trigger.errors.to_json)``: 400 ``{"message": "400 Bad request -
  {\\"expires_at\\":[...]}"}`` (app/services/ci/pipeline_triggers/create_service.rb).  Model
  errors: plan limit ``pipeline_triggers`` (seed ``limits``) on ``base``; ``expires_at`` not before
  today + 365 days (``PersonalAccessToken::MAX_PERSONAL_ACCESS_TOKEN_LIFETIME_IN_DAYS``).
* Feature flag ``trigger_token_expiration`` (seed ``feature_flags``; on by default here, as in the
  newest source where the flag checks are gone).  On: ``expires_at`` is stored and
  ``Project#triggers`` is ``not_expired``, so an expired trigger is neither listed nor found (404).
  No validation rejects a past ``expires_at``: the create answers 201 and the trigger is hidden at
  once.  Off: ``expires_at`` is still type-checked, then ignored (null).
"""

import datetime
import json

from . import errors
from .access import authorize, project_role, user_project
from .entities import user_basic
from .pagination import PAGINATION_PARAMS, paginate
from .params import Param, declared, parse_datetime
from .request import Response
from .state import MAINTAINER, Trigger, iso_time, now_iso

BASE = '/api/v4/projects/:id/triggers'
EXPIRATION_FLAG = 'trigger_token_expiration'
MAX_LIFETIME_DAYS = 365
UPDATE_FORBIDDEN = 'The current user is not authorized to update the pipeline trigger token'
LIMIT_NAME = 'pipeline_triggers'

# Declarations follow lib/api/ci/triggers.rb.
TRIGGER_ID = Param('trigger_id', 'integer', required=True)
CREATE_PARAMS = [Param('description', required=True), Param('expires_at', 'datetime')]
UPDATE_PARAMS = [TRIGGER_ID, Param('description')]


def register(router):
    """Add the list/show/create/update/delete routes."""
    router.add('GET', BASE, list_triggers)
    router.add('GET', BASE + '/:trigger_id', show_trigger)
    router.add('POST', BASE, create_trigger)
    router.add('PUT', BASE + '/:trigger_id', update_trigger)
    router.add('DELETE', BASE + '/:trigger_id', delete_trigger)


def expiration_enabled(state):
    """Whether the ``trigger_token_expiration`` flag is on (seed ``feature_flags``, default true)."""
    flags = state.extra.get('feature_flags') or {}
    return bool(flags.get(EXPIRATION_FLAG, True))


def can_admin_build(call, project):
    """``admin_build``: Maintainer or more (admins included)."""
    return project_role(call, project) >= MAINTAINER


def can_admin_trigger(call, project, trigger):
    """``admin_trigger`` (app/policies/ci/trigger_policy.rb): ``manage_trigger`` and (admin or owner)."""
    if not can_admin_build(call, project) or call.user is None:
        return False
    return call.user.admin or (trigger.owner is not None and trigger.owner.id == call.user.id)


def render(call, project, trigger):
    """``Entities::Trigger`` (lib/api/entities/trigger.rb) through ``Ci::TriggerPresenter``."""
    return {
        'id': trigger.id,
        'token': trigger.token if can_admin_trigger(call, project, trigger) else trigger.short_token,
        'description': trigger.description,
        'created_at': trigger.created_at,
        'updated_at': trigger.updated_at,
        'last_used': trigger.last_used,
        'expires_at': trigger.expires_at,
        'owner': user_basic(trigger.owner, call.external_url) if trigger.owner is not None else None,
    }


def visible_triggers(call, project):
    """``project.triggers``: without the expired ones while the expiration flag is on."""
    if not expiration_enabled(call.state):
        return list(project.triggers)
    return [trigger for trigger in project.triggers if not trigger.expired]


def find_trigger(call, project, trigger_id):
    """``user_project.triggers.find(id)``: unknown, expired or another project's -> 404 ``404 Not found``."""
    for trigger in visible_triggers(call, project):
        if trigger.id == trigger_id:
            return trigger
    raise errors.record_not_found()


def creation_errors(call, project, expires_at):
    """The model validations of a new trigger, in model order; the Rails errors hash (empty = valid)."""
    found = {}
    limit = call.state.limits.get(LIMIT_NAME) or 0
    if limit and len(project.triggers) >= limit:
        # Limitable counts every trigger of the project, expired ones included.
        found.setdefault('base', []).append('Maximum number of %s (%d) exceeded' % (LIMIT_NAME.replace('_', ' '), limit))
    if expires_at is not None:
        # expires_at.before?(Date.current + 365): before midnight UTC of that day.
        maximum = datetime.datetime.now(datetime.timezone.utc).date() + datetime.timedelta(days=MAX_LIFETIME_DAYS)
        if expires_at.date() >= maximum:
            found.setdefault('expires_at', []).append('must be before %s' % maximum.isoformat())
    return found


# -- routes ------------------------------------------------------------------------------------


def list_triggers(call):
    """``GET /projects/:id/triggers``: paginated with counts, in creation order."""
    declared(call.params, PAGINATION_PARAMS)
    project = user_project(call)
    authorize(can_admin_build(call, project))
    return paginate(call, visible_triggers(call, project), lambda trigger: render(call, project, trigger))


def show_trigger(call):
    """``GET /projects/:id/triggers/:trigger_id``."""
    args = declared(call.params, [TRIGGER_ID])
    project = user_project(call)
    authorize(can_admin_build(call, project))
    return Response.json(200, render(call, project, find_trigger(call, project, args['trigger_id'])))


def create_trigger(call):
    """``POST /projects/:id/triggers``: 201 with the full token; the caller owns the trigger."""
    args = declared(call.params, CREATE_PARAMS)
    project = user_project(call)
    authorize(can_admin_build(call, project))
    expires_at = args.get('expires_at') if expiration_enabled(call.state) else None
    found = creation_errors(call, project, expires_at)
    if found:
        raise errors.bad_request(json.dumps(found, separators=(',', ':'), ensure_ascii=False))
    trigger = Trigger(call.state.next_id('trigger'), args.get('description'), call.user,
                      expires_at=iso_time(expires_at) if expires_at is not None else None)
    project.triggers.append(trigger)
    return Response.json(201, render(call, project, trigger))


def update_trigger(call):
    """``PUT /projects/:id/triggers/:trigger_id``: only ``description``; owner or admin (UpdateService)."""
    args = declared(call.params, UPDATE_PARAMS)
    project = user_project(call)
    trigger = find_trigger(call, project, args['trigger_id'])
    authorize(can_admin_trigger(call, project, trigger), UPDATE_FORBIDDEN)
    description = args.get('description')
    if description != trigger.description:
        trigger.description = description
        trigger.updated_at = now_iso()
    return Response.json(200, render(call, project, trigger))


def delete_trigger(call):
    """``DELETE /projects/:id/triggers/:trigger_id``: any Maintainer; 204 with an empty body."""
    args = declared(call.params, [TRIGGER_ID])
    project = user_project(call)
    authorize(can_admin_build(call, project))
    trigger = find_trigger(call, project, args['trigger_id'])
    errors.check_unmodified_since(call, parse_datetime(trigger.updated_at))
    project.triggers.remove(trigger)
    return Response.empty(204)
