"""Pipeline schedules: ``/projects/:id/pipeline_schedules`` (https://docs.gitlab.com/api/pipeline_schedules/).

Routes and permissions (lib/api/ci/pipeline_schedules.rb, app/policies/ci/pipeline_schedule_policy.rb,
the project policy's ``read_pipeline_schedule`` (Reporter+) and ``create_pipeline_schedule`` (Developer+)):

======  ===============================================  ==========================================  =====
GET     /projects/:id/pipeline_schedules                 ``read_pipeline_schedule`` (Reporter+)      200
GET     .../pipeline_schedules/:pipeline_schedule_id     read, else 404 ``404 Pipeline Schedule      200
                                                         Not Found``
GET     .../:pipeline_schedule_id/pipelines              read                                        200
POST    /projects/:id/pipeline_schedules                 ``create_pipeline_schedule`` (Developer+)   201
PUT     .../pipeline_schedules/:pipeline_schedule_id     ``update_pipeline_schedule``: admin, or     200
                                                         the owner with ``update_build`` (Dev+)
POST    .../:pipeline_schedule_id/take_ownership         ``admin_pipeline_schedule``: Maintainer+,   201
                                                         or the owner with Dev+; 200 when owned
DELETE  .../pipeline_schedules/:pipeline_schedule_id     ``admin_pipeline_schedule``                 204
POST    .../:pipeline_schedule_id/play                   ``play_pipeline_schedule`` (Developer+)     201
POST    .../:pipeline_schedule_id/variables              ``set_pipeline_variables`` + update         201
PUT     .../:pipeline_schedule_id/variables/:key         ``set_pipeline_variables`` + update         200
DELETE  .../:pipeline_schedule_id/variables/:key         ``set_pipeline_variables`` + admin          202
GET     .../:pipeline_schedule_id/variables/:key         ``read_pipeline_schedule_variables``        200
======  ===============================================  ==========================================  =====

Every refusal of a role check is ``authorize!``'s 403 ``{"message": "403 Forbidden"}``; so is an edit
(PUT, variables) of a schedule someone else owns, even by a Maintainer: only the owner edits, others
take ownership first.  ``set_pipeline_variables`` is the pipeline-variables minimum role of the
project (pipelines.py ``can_set_variables``).

Entities: ``Entities::Ci::PipelineSchedule`` (the list: id, description, ref, cron, cron_timezone,
next_run_at, active, created_at, updated_at, owner, inputs) and ``PipelineScheduleDetails`` (one
schedule, create, edit, take ownership: plus ``last_pipeline`` (PipelineBasic or null) and
``variables``).  ``variables`` is exposed only when ``Ability.allowed?(options[:user],
:read_pipeline_schedule_variables, schedule)``; GET passes ``user: current_user``, POST/PUT/take
ownership do not, so their answers never have ``variables`` (lib/api/entities/ci/pipeline_schedule_details.rb).

Saving (app/services/ci/pipeline_schedules/base_save_service.rb, app/models/ci/pipeline_schedule.rb):

* Grape first: ``description``, ``ref`` (not blank) and ``cron`` required on create: 400
  ``{"error": "description is missing, ..."}``; ``cron_timezone`` defaults to ``UTC``, ``active`` to true.
* ``ref`` is stored expanded: ``main`` -> ``refs/heads/main``, a tag -> ``refs/tags/v1``
  (``expand_short_ref``); a ref that is neither or both is 400 ``{"message": {"ref": ["is ambiguous"]}}``.
  A value already starting ``refs/heads/`` or ``refs/tags/`` is kept as given.
* Model validations, in model order: ``cron`` (``" is invalid syntax"`` from app/validators/cron_validator.rb,
  then ``can't be blank``), ``cron_timezone`` (``" is invalid syntax"``, app/validators/cron_timezone_validator.rb),
  ``ref``/``description`` presence, then the plan limit ``ci_pipeline_schedules`` (seed ``limits``,
  ``base``: ``Maximum number of ci pipeline schedules (N) exceeded``).  All as
  ``render_validation_error!``: 400 ``{"message": {field: [...]}}``.
* Variable keys (``Ci::HasVariable``): ``key`` ``can contain only letters, digits and '_'.``, at most
  255 characters; a key already on the schedule ``has already been taken``.

Cron (lib/gitlab/ci/cron_parser.rb, Fugit): five fields (minute hour day-of-month month day-of-week),
``*``, lists, ranges, steps, month and day names, day-of-week 0-7, and the ``@hourly``, ``@daily``
(``@midnight``), ``@weekly``, ``@monthly``, ``@yearly`` (``@annually``) shortcuts.  When both
day fields are restricted a day matches either (cron's rule, as Fugit has it).  [SIMPLIFIED]
Fugit's six-field (seconds) form, ``L`` and ``#`` are refused here.  Time zones: IANA names (zoneinfo,
from the system's tz database) and ``ActiveSupport::TimeZone`` names of ``RAILS_ZONES``.

``next_run_at`` (app/models/concerns/cron_schedulable.rb ``calculate_next_run_at``): the cron's next
time after now in the schedule's zone (UTC in the answer) when the pipeline schedule worker
(``Settings.cron_jobs['pipeline_schedule_worker']``, default ``3-59/10 * * * *``; seed key
``schedule_worker_cron``, null for none) runs exactly then, else the worker's next tick after it.  It is computed
on each save and, as in GitLab, not changed by a play.

Play (app/services/ci/pipeline_schedules/play_service.rb): 201 ``{"message": "201 Created"}``;
GitLab enqueues ``RunPipelineScheduleWorker``, which creates the pipeline (source ``schedule``,
user: the caller who played it, the schedule's variables) with ``save_on_errors: false``.  The fake
creates it at once through pipelines.py ``build_pipeline``; a refused creation makes no pipeline.
[SIMPLIFIED] The schedule's variables are passed as GitLab-added variables (no role check, like
GitLab where they are not pipeline variables) and so show in ``GET /pipelines/:id/variables``, which
GitLab's would not.

Also here, because the schedule module needs it: ``GET /projects/:id/members/all/:user_id``
(https://docs.gitlab.com/api/members/, lib/api/members.rb): the effective membership (inherited
from groups included), any reader of the project; 404 ``404 Not found`` for a non-member.

Seed (project key ``schedules``)::

    schedules:
      - {description: nightly, ref: main, cron: '0 1 * * *', cron_timezone: UTC, active: true,
         owner: dev, variables: [{key: A, value: b, variable_type: env_var}]}

Ids count up from 1 across projects in seed order; the seeded ref is expanded like a saved one.
"""

import calendar
import datetime
import re

from . import ci, errors
from .access import authorize, project_role, user_project
from .entities import user_basic
from .pagination import PAGINATION_PARAMS, paginate
from .params import Param, declared
from .pipelines import Refused, build_pipeline, can_set_variables, render_basic
from .request import Response
from .state import DEVELOPER, MAINTAINER, REPORTER, SeedError, now_iso

try:
    import zoneinfo
except ImportError:  # pragma: no cover - Python < 3.9
    zoneinfo = None

BASE = '/api/v4/projects/:id/pipeline_schedules'
ONE = BASE + '/:pipeline_schedule_id'
LIMIT_NAME = 'ci_pipeline_schedules'
WORKER_CRON = '3-59/10 * * * *'
INVALID_SYNTAX = ' is invalid syntax'
VARIABLE_TYPES = ['env_var', 'file']
KEY_RE = re.compile(r'\A[a-zA-Z0-9_]+\Z')
# A few ActiveSupport::TimeZone::MAPPING names (activesupport/lib/active_support/values/time_zone.rb).
RAILS_ZONES = {
    'Pacific Time (US & Canada)': 'America/Los_Angeles', 'Mountain Time (US & Canada)': 'America/Denver',
    'Central Time (US & Canada)': 'America/Chicago', 'Eastern Time (US & Canada)': 'America/New_York',
    'London': 'Europe/London', 'Berlin': 'Europe/Berlin', 'Paris': 'Europe/Paris', 'Tokyo': 'Asia/Tokyo',
    'UTC': 'Etc/UTC', 'Sydney': 'Australia/Sydney',
}

SCHEDULE_ID = Param('pipeline_schedule_id', 'integer', required=True)
CREATE_PARAMS = [Param('description', required=True), Param('ref', required=True), Param('cron', required=True),
                 Param('cron_timezone', default='UTC'), Param('active', 'boolean', default=True)]
UPDATE_PARAMS = [SCHEDULE_ID, Param('description'), Param('ref'), Param('cron'), Param('cron_timezone'), Param('active', 'boolean')]
LIST_PARAMS = PAGINATION_PARAMS + [Param('scope', values=['active', 'inactive'])]
KEY = Param('key', required=True)
VARIABLE_CREATE = [SCHEDULE_ID, KEY, Param('value', required=True), Param('variable_type', values=VARIABLE_TYPES)]
VARIABLE_UPDATE = [SCHEDULE_ID, KEY, Param('value'), Param('variable_type', values=VARIABLE_TYPES)]


def register(router):
    """Add the schedule, schedule variable and member routes."""
    router.add('GET', BASE, list_schedules)
    router.add('GET', ONE, show_schedule)
    router.add('GET', ONE + '/pipelines', schedule_pipelines)
    router.add('POST', BASE, create_schedule)
    router.add('PUT', ONE, update_schedule)
    router.add('POST', ONE + '/take_ownership', take_ownership)
    router.add('DELETE', ONE, delete_schedule)
    router.add('POST', ONE + '/play', play_schedule)
    router.add('POST', ONE + '/variables', create_variable)
    router.add('GET', ONE + '/variables/:key', show_variable)
    router.add('PUT', ONE + '/variables/:key', update_variable)
    router.add('DELETE', ONE + '/variables/:key', delete_variable)
    router.add('GET', '/api/v4/projects/:id/members/all/:user_id', project_member)


# -- cron --------------------------------------------------------------------------------------

MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec']
DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']
SHORTCUTS = {'@yearly': '0 0 1 1 *', '@annually': '0 0 1 1 *', '@monthly': '0 0 1 * *', '@weekly': '0 0 * * 0',
             '@daily': '0 0 * * *', '@midnight': '0 0 * * *', '@hourly': '0 * * * *'}
FIELDS = ((0, 59, None), (0, 23, None), (1, 31, None), (1, 12, MONTHS), (0, 7, DAYS))


def _value(text, low, names):
    if names and text.lower() in names:
        return names.index(text.lower()) + (1 if names is MONTHS else 0)
    if not text.isdigit():
        raise ValueError(text)
    return int(text)


def _field(text, low, high, names):
    found = set()
    for part in text.split(','):
        step = 1
        if '/' in part:
            part, step_text = part.split('/', 1)
            if not step_text.isdigit() or int(step_text) == 0:
                raise ValueError(step_text)
            step = int(step_text)
        if part == '*':
            start, end = low, high
        elif '-' in part:
            first, last = part.split('-', 1)
            start, end = _value(first, low, names), _value(last, low, names)
        else:
            start = _value(part, low, names)
            end = high if step > 1 else start
        if not low <= start <= high or not low <= end <= high or start > end:
            raise ValueError(part)
        found.update(range(start, end + 1, step))
    return found


def parse_cron(text):
    """``(minutes, hours, days, months, weekdays, day_star, weekday_star)`` or None when invalid."""
    if not isinstance(text, str):
        return None
    text = SHORTCUTS.get(text.strip().lower(), text.strip())
    parts = text.split()
    if len(parts) != 5:
        return None
    try:
        sets = [_field(part, low, high, names) for part, (low, high, names) in zip(parts, FIELDS)]
    except ValueError:
        return None
    weekdays = {0 if day == 7 else day for day in sets[4]}
    return sets[0], sets[1], sets[2], sets[3], weekdays, parts[2] == '*', parts[4] == '*'


def find_zone(name):
    """The tzinfo of an IANA or ActiveSupport zone name, or None (``cron_timezone_valid?``)."""
    if not isinstance(name, str) or not name.strip():
        return None
    if name in ('UTC', 'Etc/UTC'):
        return datetime.timezone.utc
    if zoneinfo is None:
        return None
    try:
        return zoneinfo.ZoneInfo(RAILS_ZONES.get(name, name))
    except (ValueError, zoneinfo.ZoneInfoNotFoundError, OSError):
        return None


def next_time(parsed, zone, after):
    """The first minute strictly after ``after`` (aware) matching ``parsed`` in ``zone``, as UTC; None if none in 5 years."""
    minutes, hours, days, months, weekdays, day_star, weekday_star = parsed
    moment = after.astimezone(zone).replace(second=0, microsecond=0) + datetime.timedelta(minutes=1)
    limit = moment + datetime.timedelta(days=5 * 366)
    while moment < limit:
        if moment.month not in months:
            year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
            moment = moment.replace(year=year, month=month, day=1, hour=0, minute=0)
            continue
        day_ok = moment.day in days
        weekday_ok = (moment.isoweekday() % 7) in weekdays
        if day_star or weekday_star:
            matches = day_ok and weekday_ok
        else:
            matches = day_ok or weekday_ok
        if not matches or moment.day > calendar.monthrange(moment.year, moment.month)[1]:
            moment = (moment + datetime.timedelta(days=1)).replace(hour=0, minute=0)
            continue
        if moment.hour not in hours:
            moment = (moment + datetime.timedelta(hours=1)).replace(minute=0)
            continue
        if moment.minute not in minutes:
            moment += datetime.timedelta(minutes=1)
            continue
        return moment.astimezone(datetime.timezone.utc)
    return None


# -- the store ---------------------------------------------------------------------------------


class Schedule:
    """One pipeline schedule; ``variables`` are ``{key, value, variable_type}`` dicts in creation order."""

    def __init__(self, schedule_id, project, description, ref, cron, cron_timezone, active, owner, created_at=None):
        self.id = schedule_id
        self.project = project
        self.description = description
        self.ref = ref
        self.cron = cron
        self.cron_timezone = cron_timezone
        self.active = active
        self.owner = owner
        self.created_at = created_at or now_iso()
        self.updated_at = self.created_at
        self.next_run_at = None
        self.variables = []
        self.pipeline_ids = []

    def variable(self, key):
        """The variable with this key, or None."""
        return next((item for item in self.variables if item['key'] == key), None)


class ScheduleStore:
    """Every schedule, per project id; seeded from the projects' ``schedules`` key on first use."""

    def __init__(self, state):
        self.by_project = {}
        for project in state.projects.values():
            where = 'projects: %s: schedules' % project.full_path
            items = project.extra.get('schedules') or []
            if not isinstance(items, list):
                raise SeedError('%s: must be a list' % where)
            for data in items:
                self.by_project.setdefault(project.id, []).append(_seed_schedule(state, project, data, where))


def _seed_schedule(state, project, data, where):
    if not isinstance(data, dict) or not data.get('description') or not data.get('cron'):
        raise SeedError('%s: a schedule needs at least a description and a cron' % where)
    owner = state.find_user(str(data['owner'])) if data.get('owner') else None
    if data.get('owner') and owner is None:
        raise SeedError('%s: unknown owner %r' % (where, data['owner']))
    ref = str(data.get('ref') or project.default_branch or 'main')
    schedule = Schedule(state.next_id('pipeline_schedule'), project, str(data['description']), expand_ref(project, ref) or ref,
                        str(data['cron']), str(data.get('cron_timezone') or 'UTC'), bool(data.get('active', True)), owner,
                        '2024-01-01T00:00:00.000Z')
    for item in data.get('variables') or []:
        schedule.variables.append({'key': str(item['key']), 'value': str(item.get('value', '')),
                                   'variable_type': item.get('variable_type') or 'env_var'})
    set_next_run(state, schedule)
    return schedule


def store(state):
    """The ScheduleStore of ``state`` (created on first use, dropped by a reset)."""
    found = state.extensions.get('schedules')
    if found is None:
        found = state.extensions['schedules'] = ScheduleStore(state)
    return found


def project_schedules(state, project):
    """The project's schedules, by id."""
    return store(state).by_project.setdefault(project.id, [])


def expand_ref(project, ref):
    """``expand_short_ref``: the full ref, the value itself when already full, None when ambiguous or unknown."""
    if re.match(r'\Arefs/(heads|tags)/\S+', ref):
        return ref
    branch, tag = ref in project.branches, ref in ci.project_tags(project)
    if branch == tag:
        return None
    return ('refs/heads/%s' if branch else 'refs/tags/%s') % ref


def short_ref(ref):
    """``ref_for_display``: without ``refs/heads/`` or ``refs/tags/``."""
    return re.sub(r'\Arefs/(heads|tags)/', '', ref)


def set_next_run(state, schedule):
    """``set_next_run_at``: the later of the cron's next time and the worker's next tick (None when invalid)."""
    parsed, zone = parse_cron(schedule.cron), find_zone(schedule.cron_timezone)
    if parsed is None or zone is None:
        schedule.next_run_at = None
        return
    now = datetime.datetime.fromtimestamp(ci.store(state).now(), datetime.timezone.utc)
    wanted = next_time(parsed, zone, now)
    worker_cron = state.extra.get('schedule_worker_cron', WORKER_CRON)
    if worker_cron and wanted is not None:
        worker = parse_cron(worker_cron)
        # app/models/concerns/cron_schedulable.rb: the ideal time when the worker runs then, else the worker's next tick after it.
        if next_time(worker, datetime.timezone.utc, now) != wanted:
            wanted = next_time(worker, datetime.timezone.utc, wanted)
    schedule.next_run_at = ci.iso(wanted.timestamp()) if wanted is not None else None


# -- permissions ---------------------------------------------------------------------------------


def is_owner(call, schedule):
    return call.user is not None and schedule.owner is not None and schedule.owner.id == call.user.id


def can_admin(call, schedule):
    """``admin_pipeline_schedule`` (and ``read_pipeline_schedule_variables``): Maintainer+, or the owner with Developer+."""
    role = project_role(call, schedule.project)
    return role >= MAINTAINER or (is_owner(call, schedule) and role >= DEVELOPER)


def can_update(call, schedule):
    """``update_pipeline_schedule``: an admin, or the owner with ``update_build`` (Developer+)."""
    if call.user is not None and call.user.admin:
        return True
    return is_owner(call, schedule) and project_role(call, schedule.project) >= DEVELOPER


# -- entities --------------------------------------------------------------------------------------


def render_variable(variable):
    """``Entities::Ci::Variable`` of a ``Ci::PipelineScheduleVariable``."""
    return {'variable_type': variable['variable_type'], 'key': variable['key'], 'value': variable['value'], 'raw': False}


def render(call, schedule):
    """``Entities::Ci::PipelineSchedule``."""
    return {
        'id': schedule.id, 'description': schedule.description, 'ref': schedule.ref, 'cron': schedule.cron,
        'cron_timezone': schedule.cron_timezone, 'next_run_at': schedule.next_run_at, 'active': schedule.active,
        'created_at': schedule.created_at, 'updated_at': schedule.updated_at,
        'owner': user_basic(schedule.owner, call.external_url) if schedule.owner is not None else None,
        'inputs': [],
    }


def render_details(call, schedule, user=None):
    """``Entities::Ci::PipelineScheduleDetails``; ``variables`` only when ``user`` may read them."""
    data = render(call, schedule)
    pipelines = ci.store(call.state).pipelines
    kept = [pipelines[pid] for pid in schedule.pipeline_ids if pid in pipelines]
    now = ci.store(call.state).snapshot() if kept else None
    data['last_pipeline'] = render_basic(kept[-1], now, call.external_url) if kept else None
    if user is not None and can_admin(call, schedule):
        data['variables'] = [render_variable(item) for item in schedule.variables]
    return data


def find_schedule(call, project, schedule_id):
    """The ``pipeline_schedule`` helper: unknown, another project's or unreadable -> 404 ``404 Pipeline Schedule Not Found``."""
    if project_role(call, project) >= REPORTER:
        for schedule in project_schedules(call.state, project):
            if schedule.id == schedule_id:
                return schedule
    raise errors.not_found('Pipeline Schedule')


def _validate_save(call, project, schedule):
    """Ref expansion, then the model validations; raise the 400 of the first failing step."""
    if not schedule.ref or not re.match(r'\Arefs/(heads|tags)/\S+', schedule.ref):
        expanded = expand_ref(project, schedule.ref or '') if schedule.ref else None
        if expanded is None:
            raise errors.validation_error({'ref': ['is ambiguous']})
        schedule.ref = expanded
    found = {}
    cron = schedule.cron.strip() if isinstance(schedule.cron, str) else schedule.cron
    schedule.cron = cron     # strip_attributes! :cron
    if parse_cron(cron) is None:
        found.setdefault('cron', []).append(INVALID_SYNTAX)
    if not cron:
        found.setdefault('cron', []).append("can't be blank")
    if find_zone(schedule.cron_timezone) is None:
        found.setdefault('cron_timezone', []).append(INVALID_SYNTAX)
    if not schedule.cron_timezone:
        found.setdefault('cron_timezone', []).append("can't be blank")
    if not schedule.description or not str(schedule.description).strip():
        found.setdefault('description', []).append("can't be blank")
    if found:
        raise errors.validation_error(found)


# -- routes ------------------------------------------------------------------------------------------


def list_schedules(call):
    """``GET /projects/:id/pipeline_schedules``: ``scope`` active|inactive; paginated by id."""
    args = declared(call.params, LIST_PARAMS)
    project = user_project(call)
    authorize(project_role(call, project) >= REPORTER)
    items = project_schedules(call.state, project)
    if args.get('scope'):
        items = [item for item in items if item.active == (args['scope'] == 'active')]
    return paginate(call, items, lambda schedule: render(call, schedule))


def show_schedule(call):
    """``GET .../pipeline_schedules/:pipeline_schedule_id`` (variables for owner and Maintainers)."""
    args = declared(call.params, [SCHEDULE_ID])
    project = user_project(call)
    schedule = find_schedule(call, project, args['pipeline_schedule_id'])
    return Response.json(200, render_details(call, schedule, user=call.user))


def schedule_pipelines(call):
    """``GET .../:pipeline_schedule_id/pipelines``: PipelineBasic, oldest first (``sort`` asc by default)."""
    args = declared(call.params, PAGINATION_PARAMS + [SCHEDULE_ID, Param('sort', values=['asc', 'desc'], default='asc')])
    project = user_project(call)
    schedule = find_schedule(call, project, args['pipeline_schedule_id'])
    pipelines = ci.store(call.state).pipelines
    kept = [pipelines[pid] for pid in schedule.pipeline_ids if pid in pipelines]
    if args.get('sort') == 'desc':
        kept.reverse()
    now = ci.store(call.state).snapshot()
    return paginate(call, kept, lambda pipeline: render_basic(pipeline, now, call.external_url))


def create_schedule(call):
    """``POST /projects/:id/pipeline_schedules``: the caller owns the new schedule; 201."""
    args = declared(call.params, CREATE_PARAMS)
    project = user_project(call)
    authorize(project_role(call, project) >= DEVELOPER)
    if args['ref'] is None or not str(args['ref']).strip():
        raise errors.param_errors(['ref is empty'])
    items = project_schedules(call.state, project)
    schedule = Schedule(None, project, args.get('description'), str(args['ref']), args.get('cron') or '',
                        args.get('cron_timezone'), args.get('active', True), call.user)
    _validate_save(call, project, schedule)
    limit = call.state.limits.get(LIMIT_NAME) or 0
    if limit and len(items) >= limit:
        raise errors.validation_error({'base': ['Maximum number of %s (%d) exceeded' % (LIMIT_NAME.replace('_', ' '), limit)]})
    schedule.id = call.state.next_id('pipeline_schedule')
    set_next_run(call.state, schedule)
    items.append(schedule)
    return Response.json(201, render_details(call, schedule))


def update_schedule(call):
    """``PUT .../pipeline_schedules/:pipeline_schedule_id``: only the owner (or an admin); 200."""
    args = declared(call.params, UPDATE_PARAMS)
    project = user_project(call)
    schedule = find_schedule(call, project, args['pipeline_schedule_id'])
    authorize(can_update(call, schedule))
    trial = Schedule(schedule.id, project, schedule.description, schedule.ref, schedule.cron, schedule.cron_timezone,
                     schedule.active, schedule.owner)
    for name in ('description', 'ref', 'cron', 'cron_timezone', 'active'):
        if name in args:
            setattr(trial, name, args[name])
    _validate_save(call, project, trial)
    changed = False
    for name in ('description', 'ref', 'cron', 'cron_timezone', 'active'):
        if getattr(trial, name) != getattr(schedule, name):
            setattr(schedule, name, getattr(trial, name))
            changed = True
    if changed:
        schedule.updated_at = now_iso()
    set_next_run(call.state, schedule)
    return Response.json(200, render_details(call, schedule))


def take_ownership(call):
    """``POST .../take_ownership``: 201 after taking it, 200 when the caller owns it already."""
    args = declared(call.params, [SCHEDULE_ID])
    project = user_project(call)
    schedule = find_schedule(call, project, args['pipeline_schedule_id'])
    authorize(can_admin(call, schedule))
    if is_owner(call, schedule):
        return Response.json(200, render_details(call, schedule))
    schedule.owner = call.user
    schedule.updated_at = now_iso()
    return Response.json(201, render_details(call, schedule))


def delete_schedule(call):
    """``DELETE .../pipeline_schedules/:pipeline_schedule_id``: 204 (``destroy_conditionally!``)."""
    args = declared(call.params, [SCHEDULE_ID])
    project = user_project(call)
    schedule = find_schedule(call, project, args['pipeline_schedule_id'])
    authorize(can_admin(call, schedule))
    errors.check_unmodified_since(call, datetime.datetime.strptime(schedule.updated_at, '%Y-%m-%dT%H:%M:%S.%fZ')
                                  .replace(tzinfo=datetime.timezone.utc))
    project_schedules(call.state, project).remove(schedule)
    return Response.empty(204)


def play_schedule(call):
    """``POST .../play``: 201 ``{"message": "201 Created"}``; the pipeline (source schedule) is created at once."""
    args = declared(call.params, [SCHEDULE_ID])
    project = user_project(call)
    schedule = find_schedule(call, project, args['pipeline_schedule_id'])
    authorize(project_role(call, project) >= DEVELOPER)
    given = [dict(item) for item in schedule.variables]
    try:
        pipeline = build_pipeline(call, project, short_ref(schedule.ref), 'schedule', call.user, [], free_variables=given)
    except Refused:
        pipeline = None    # RunPipelineScheduleWorker: save_on_errors false, nothing persisted
    if pipeline is not None:
        schedule.pipeline_ids.append(pipeline.id)
    return Response.json(201, {'message': '201 Created'})


def _writable_variable_schedule(call, admin=False):
    project = user_project(call)
    schedule = find_schedule(call, project, int(call.params['pipeline_schedule_id']))
    authorize(can_set_variables(call.state, call.user, project))
    authorize(can_admin(call, schedule) if admin else can_update(call, schedule))
    return project, schedule


def _found_variable(schedule, key):
    variable = schedule.variable(key)
    if variable is None:
        raise errors.not_found('Pipeline Schedule Variable')
    return variable


def create_variable(call):
    """``POST .../variables``: 201 with the variable."""
    args = declared(call.params, VARIABLE_CREATE)
    dummy, schedule = _writable_variable_schedule(call)
    key = args['key']
    found = {}
    if not KEY_RE.match(key or ''):
        found.setdefault('key', []).append("can contain only letters, digits and '_'.")
    if len(key or '') > 255:
        found.setdefault('key', []).append('is too long (maximum is 255 characters)')
    if schedule.variable(key) is not None:
        found.setdefault('key', []).append('has already been taken')
    if found:
        raise errors.validation_error(found)
    variable = {'key': key, 'value': args['value'], 'variable_type': args.get('variable_type') or 'env_var'}
    schedule.variables.append(variable)
    return Response.json(201, render_variable(variable))


def show_variable(call):
    """``GET .../variables/:key`` (owner and Maintainers)."""
    args = declared(call.params, [SCHEDULE_ID, KEY])
    project = user_project(call)
    schedule = find_schedule(call, project, args['pipeline_schedule_id'])
    authorize(can_admin(call, schedule))
    return Response.json(200, render_variable(_found_variable(schedule, args['key'])))


def update_variable(call):
    """``PUT .../variables/:key``: ``value`` and ``variable_type``."""
    args = declared(call.params, VARIABLE_UPDATE)
    dummy, schedule = _writable_variable_schedule(call)
    variable = _found_variable(schedule, args['key'])
    for name in ('value', 'variable_type'):
        if args.get(name) is not None:
            variable[name] = args[name]
    return Response.json(200, render_variable(variable))


def delete_variable(call):
    """``DELETE .../variables/:key``: 202 with the deleted variable."""
    args = declared(call.params, [SCHEDULE_ID, KEY])
    dummy, schedule = _writable_variable_schedule(call, admin=True)
    variable = _found_variable(schedule, args['key'])
    schedule.variables.remove(variable)
    return Response.json(202, render_variable(variable))


def project_member(call):
    """``GET /projects/:id/members/all/:user_id``: the effective role (``Entities::Member``, trimmed)."""
    args = declared(call.params, [Param('user_id', 'integer', required=True)])
    project = user_project(call)
    user = call.state.users.get(args['user_id'])
    level = call.state.project_access(user, project) if user is not None else 0
    if user is None or level <= 0:
        raise errors.record_not_found()
    data = user_basic(user, call.external_url)
    data.update({'access_level': level, 'created_at': user.created_at, 'expires_at': None})
    return Response.json(200, data)
