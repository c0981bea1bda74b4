"""``GET /groups/:id/projects``: a group's projects (https://docs.gitlab.com/api/groups/#list-projects,
lib/api/groups.rb ``find_group_projects``, app/finders/group_projects_finder.rb).

* Only projects the caller can read (``read_project``), of the group itself or, with
  ``include_subgroups=true`` (default false), of every group below it. (Projects shared with the group,
  ``with_shared``, do not exist in the fake.)
* ``archived`` (Boolean, optional): true lists only archived projects, false only the others; left out,
  both. A seeded project is archived with ``archived: true`` in its seed entry.
* ``order_by`` ``id``, ``name``, ``path``, ``created_at`` (default), ``updated_at``, ``last_activity_at``;
  ``sort`` ``asc``/``desc`` (default ``desc``); ties are broken by id in the same direction, as the
  finder's keyset order does. ``search`` matches name or path (case-insensitive); ``simple=true``
  answers the trimmed entity (lib/api/entities/basic_project_details.rb).
* Offset pagination (pagination.py): ``page``, ``per_page`` (default 20, at most 100), Link and X-* headers.
"""

from . import entities
from .access import user_group
from .pagination import paginate
from .params import Param, declared

ORDER_BY = ('id', 'name', 'path', 'created_at', 'updated_at', 'last_activity_at')
PARAMS = [
    Param('include_subgroups', 'boolean', default=False),
    Param('archived', 'boolean'),
    Param('order_by', 'string', values=list(ORDER_BY), default='created_at'),
    Param('sort', 'string', values=['asc', 'desc'], default='desc'),
    Param('search', 'string'),
    Param('simple', 'boolean', default=False),
]
SIMPLE_FIELDS = ('id', 'description', 'name', 'name_with_namespace', 'path', 'path_with_namespace', 'created_at',
                 'default_branch', 'tag_list', 'topics', 'ssh_url_to_repo', 'http_url_to_repo', 'web_url',
                 'readme_url', 'forks_count', 'avatar_url', 'star_count', 'last_activity_at', 'namespace')


def register(router):
    """Add this module's routes."""
    router.add('GET', '/api/v4/groups/:id/projects', list_group_projects)


def is_archived(project):
    """A project is archived when its seed entry says ``archived: true``."""
    return bool(project.extra.get('archived'))


def list_group_projects(call):
    """``GET /groups/:id/projects``."""
    group = user_group(call)
    args = declared(call.params, PARAMS)
    groups = [group] + (call.state.subgroups(group) if args.get('include_subgroups') else [])
    found = [p for p in call.state.projects.values()
             if p.namespace in groups and call.state.can_read_project(call.user, p)]
    if args.get('archived') is not None:
        found = [p for p in found if is_archived(p) == args['archived']]
    if args.get('search'):
        needle = args['search'].lower()
        found = [p for p in found if needle in p.name.lower() or needle in p.path.lower()]
    order_by = args.get('order_by') or 'created_at'
    field = {'updated_at': 'created_at', 'last_activity_at': 'created_at'}.get(order_by, order_by)
    found.sort(key=lambda p: (getattr(p, field), p.id), reverse=(args.get('sort') or 'desc') == 'desc')

    def render(project):
        data = entities.project(project, call.external_url, call.state, call.user)
        data['archived'] = is_archived(project)
        if args.get('simple'):
            data = {name: data[name] for name in SIMPLE_FIELDS}
        return data

    return paginate(call, found, render)
