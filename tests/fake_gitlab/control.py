"""Test-only control endpoints under ``/-/fake/`` (never journaled, never faulted, no auth).

=======  ==========================  =========================================================
GET      /-/fake/journal             ``[{method, path, query, status, user}]`` for every /api/v4 request
DELETE   /-/fake/journal             clear it (204)
GET      /-/fake/state               the whole state, variable values included
POST     /-/fake/reset               reload the seed; optional JSON ``{"seed": {...}}`` replaces it (204)
GET      /-/fake/faults              the fault rules with ``id``, ``remaining``, ``hits``
POST     /-/fake/faults              add a rule (JSON, see faults.py) -> 201 with the rule
DELETE   /-/fake/faults              remove every rule (204)
GET      /-/fake/storage/journal     ``[{method, path, auth_headers}]`` seen by the object storage
DELETE   /-/fake/storage/journal     clear it (204)
GET      /-/fake/settings            fake-wide switches: ``{"artifacts_redirect": ..., "time_scale": ...}``
POST     /-/fake/settings            change some (JSON object); 200 with all; a reset restores the seed's
POST     /-/fake/workers/            run GitLab's expiry clean-up once, now: destroy every expired archive
         expire_build_artifacts      of an unlocked pipeline (ci.py); 200 ``{"destroyed": [job ids]}``
=======  ==========================  =========================================================
"""

import json

from . import ci
from .faults import FaultError
from .request import Response
from .router import AUTH_NONE, Router
from .state import SeedError


def build_router():
    """A router with the control routes."""
    router = Router()
    for method, pattern, handler in (
            ('GET', '/-/fake/journal', get_journal),
            ('DELETE', '/-/fake/journal', delete_journal),
            ('GET', '/-/fake/state', get_state),
            ('POST', '/-/fake/reset', post_reset),
            ('GET', '/-/fake/faults', get_faults),
            ('POST', '/-/fake/faults', post_fault),
            ('DELETE', '/-/fake/faults', delete_faults),
            ('GET', '/-/fake/storage/journal', get_storage_journal),
            ('DELETE', '/-/fake/storage/journal', delete_storage_journal),
            ('GET', '/-/fake/settings', get_settings),
            ('POST', '/-/fake/settings', post_settings),
            ('POST', '/-/fake/workers/expire_build_artifacts', post_expire_build_artifacts)):
        router.add(method, pattern, handler, auth=AUTH_NONE)
    return router


def _json_body(call):
    if not call.request.body:
        return None
    try:
        return json.loads(call.request.body.decode('utf-8'))
    except ValueError:
        return Ellipsis


def get_journal(call):
    """The API request journal."""
    return Response.json(200, call.server.journal)


def delete_journal(call):
    """Clear the API request journal."""
    call.server.clear_journal()
    return Response.empty(204)


def get_state(call):
    """Dump the state."""
    return Response.json(200, call.state.dump())


def post_reset(call):
    """Reload the seed (or a new one given as ``{"seed": {...}}``)."""
    data = _json_body(call)
    if data is Ellipsis or (data is not None and not isinstance(data, dict)):
        return Response.json(400, {'error': 'the body must be a JSON object'})
    try:
        call.server.reset((data or {}).get('seed'))
    except SeedError as exc:
        return Response.json(400, {'error': str(exc)})
    return Response.empty(204)


def get_faults(call):
    """List fault rules."""
    return Response.json(200, call.server.faults.list())


def post_fault(call):
    """Add a fault rule."""
    data = _json_body(call)
    try:
        rule = call.server.faults.add(data)
    except FaultError as exc:
        return Response.json(400, {'error': str(exc)})
    return Response.json(201, rule.to_dict())


def delete_faults(call):
    """Remove every fault rule."""
    call.server.faults.clear()
    return Response.empty(204)


def get_storage_journal(call):
    """Requests seen by the object-storage stand-in."""
    return Response.json(200, call.server.storage.journal)


def delete_storage_journal(call):
    """Clear the object-storage journal."""
    call.server.storage.clear_journal()
    return Response.empty(204)


# Fake-wide switches, kept among the seed's top-level keys (state.extra) so a reset restores them:
# artifacts_redirect (false | true | "all", artifacts.py) and time_scale (a positive number, ci.py).
SETTINGS = {'artifacts_redirect': (False, lambda v: isinstance(v, bool) or v == 'all'),
            'time_scale': (1, lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0)}


def _settings(state):
    return {name: state.extra.get(name, default) for name, (default, _valid) in SETTINGS.items()}


def get_settings(call):
    """The fake-wide switches."""
    return Response.json(200, _settings(call.state))


def post_settings(call):
    """Change fake-wide switches: ``{"artifacts_redirect": true}``."""
    data = _json_body(call)
    if not isinstance(data, dict):
        return Response.json(400, {'error': 'the body must be a JSON object'})
    for name, value in data.items():
        if name not in SETTINGS or not SETTINGS[name][1](value):
            return Response.json(400, {'error': 'unknown setting or bad value: %s' % name})
    call.state.extra.update(data)
    return Response.json(200, _settings(call.state))


def post_expire_build_artifacts(call):
    """``Ci::JobArtifacts::DestroyAllExpiredService`` (app/services/ci/job_artifacts/destroy_all_expired_service.rb,
    run by GitLab's cron): destroy the expired archives of unlocked pipelines; locked ones stay."""
    store = ci.store(call.state)
    now = store.snapshot()
    destroyed = []
    for job in sorted(store.jobs.values(), key=lambda job: job.id):
        if job.archive(now) is not None and job.artifacts_expired(now) and not job.pipeline.artifacts_locked(now):
            job.artifacts_destroyed = True
            destroyed.append(job.id)
    return Response.json(200, {'destroyed': destroyed})
