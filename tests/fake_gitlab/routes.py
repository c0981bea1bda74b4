"""The one list of resource modules that make up the API.

Each module has ``register(router)``; add new ones (``triggers``, ``jobs`` ...) here and nowhere else.
"""

from . import artifacts, core, job_token_scope, jobs, pipelines, schedules, triggers, variables
from . import graphql, group_projects
from .router import Router

RESOURCE_MODULES = (core, variables, triggers, pipelines, jobs, artifacts, schedules, group_projects, job_token_scope, graphql)


def build_router():
    """A router with every ``/api/v4`` route."""
    router = Router()
    for module in RESOURCE_MODULES:
        module.register(router)
    return router
