"""JSON entities for users, projects and groups (trimmed copies of GitLab's Grape entities).

Realistic enough for clients (python-gitlab, our modules) that read ids, paths and URLs; the
CI/CD entities live next to their routes (``variables.py`` ...).
"""

from urllib.parse import urlsplit

from .state import NO_ACCESS


def user_basic(user, base_url):
    """``Entities::UserBasic``: embedded wherever GitLab shows a user (owner, author ...)."""
    return {
        'id': user.id,
        'username': user.username,
        'name': user.name,
        'state': user.state,
        'locked': False,
        'avatar_url': None,
        'web_url': '%s/%s' % (base_url, user.username),
    }


def current_user(user, base_url):
    """``GET /user``: ``UserPublic``, plus ``is_admin`` when the caller is an admin (``UserWithAdmin``)."""
    data = user_basic(user, base_url)
    data.update({
        'created_at': user.created_at,
        'bio': '',
        'public_email': None,
        'bot': False,
        'email': user.email,
        'commit_email': user.email,
        'projects_limit': 100000,
        'can_create_group': True,
        'can_create_project': True,
        'two_factor_enabled': False,
        'external': False,
        'private_profile': False,
    })
    if user.admin:
        data['is_admin'] = True
    return data


def namespace(space, base_url):
    """``Entities::NamespaceBasic`` of a project."""
    return {
        'id': space.id,
        'name': space.name,
        'path': space.path,
        'kind': space.kind,
        'full_path': space.full_path,
        'parent_id': space.parent.id if space.parent is not None else None,
        'avatar_url': None,
        'web_url': '%s/%s%s' % (base_url, 'groups/' if space.kind == 'group' else '', space.full_path),
    }


def project(item, base_url, state=None, user=None):
    """``Entities::ProjectWithAccess`` (trimmed)."""
    host = urlsplit(base_url).hostname or 'localhost'
    data = {
        'id': item.id,
        'description': item.description,
        'name': item.name,
        'name_with_namespace': item.name_with_namespace,
        'path': item.path,
        'path_with_namespace': item.full_path,
        'created_at': item.created_at,
        'default_branch': item.default_branch,
        'tag_list': [],
        'topics': [],
        'ssh_url_to_repo': 'git@%s:%s.git' % (host, item.full_path),
        'http_url_to_repo': '%s/%s.git' % (base_url, item.full_path),
        'web_url': '%s/%s' % (base_url, item.full_path),
        'readme_url': None,
        'forks_count': 0,
        'avatar_url': None,
        'star_count': 0,
        'last_activity_at': item.created_at,
        'namespace': namespace(item.namespace, base_url),
        'visibility': item.visibility,
        'empty_repo': False,
        'archived': False,
        'jobs_enabled': True,
        'builds_access_level': 'enabled',
        'ci_config_path': None,
        'ci_job_token_scope_enabled': False,
    }
    if state is not None and user is not None:
        project_level = item.members.get(user.username, NO_ACCESS)
        group_level = state.group_access(user, item.namespace) if item.namespace.kind == 'group' else NO_ACCESS
        data['permissions'] = {
            'project_access': {'access_level': project_level, 'notification_level': 3} if project_level else None,
            'group_access': {'access_level': group_level, 'notification_level': 3} if group_level else None,
        }
    return data


def group(item, base_url):
    """``Entities::Group`` (trimmed; the deprecated ``projects`` list of GroupDetail is left out)."""
    return {
        'id': item.id,
        'web_url': '%s/groups/%s' % (base_url, item.full_path),
        'name': item.name,
        'path': item.path,
        'description': item.description,
        'visibility': item.visibility,
        'share_with_group_lock': False,
        'require_two_factor_authentication': False,
        'project_creation_level': 'developer',
        'subgroup_creation_level': 'maintainer',
        'lfs_enabled': True,
        'default_branch': None,
        'avatar_url': None,
        'request_access_enabled': True,
        'full_name': item.full_name,
        'full_path': item.full_path,
        'created_at': item.created_at,
        'parent_id': item.parent.id if item.parent is not None else None,
    }
