# -*- coding: utf-8 -*-
# Copyright: cicd.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the collection's lookup plugins share: connection options, the client, errors, and their pure logic.

Lookups run on the controller without an AnsibleModule, so they read the connection options with
``self.get_option()`` (their DOCUMENTATION declares the same options and environment fallbacks as
the modules' ``gitlab_argument_spec()``) and build the client with ``client_from_options``.
Nothing here imports from ``ansible`` outside ``module_utils``: the plugin passes its own error class
(``AnsibleLookupError``) to ``guarded()``.

Secrets: the token (and CI_JOB_TOKEN for a job token) is redacted from every message, in every
form; a value the lookup returns is the playbook's to protect (``no_log``).
Private to the collection: the API of this file may change without notice.
"""

from __future__ import annotations

import base64
import os

from ansible_collections.cicd.gitlab.plugins.module_utils._client import HAS_REQUESTS, path_segment_problem
from ansible_collections.cicd.gitlab.plugins.module_utils._errors import GitLabError, InputError
from ansible_collections.cicd.gitlab.plugins.module_utils._module import client_from_options
from ansible_collections.cicd.gitlab.plugins.module_utils._redact import redact, secret_forms

CONNECTION_OPTIONS = ('api_url', 'api_token', 'api_token_type', 'validate_certs', 'ca_path', 'timeout',
                      'task_timeout', 'api_retries')
LEVELS = ('project', 'group', 'instance')
DEFAULT_SCOPE = '*'
ENCODINGS = ('text', 'base64')
DEFAULT_MAX_SIZE = 1024 * 1024


class LookupProblem(Exception):
    """The lookup cannot give a value: the message says why (it holds no secret)."""


# ---- connection -----------------------------------------------------------------------------

def connection_options(get_option):
    """The connection options as plain values, read with the plugin's ``get_option``."""
    return dict((name, get_option(name)) for name in CONNECTION_OPTIONS)


def secrets_of(options):
    """Every printable form of the token (and of CI_JOB_TOKEN when the token type is job)."""
    found = set()
    values = [options.get('api_token')]
    if (options.get('api_token_type') or 'private') == 'job':
        values.append(os.environ.get('CI_JOB_TOKEN'))
    for value in values:
        if isinstance(value, str) and value:
            found |= secret_forms(value)
    return found


def make_client(options):
    """A GitLabClient from the lookup's connection options; LookupProblem or InputError before any request."""
    if not HAS_REQUESTS:
        raise LookupProblem('the cicd.gitlab lookup plugins need the Python library "requests" on the controller '
                            '(the Python that runs ansible-playbook): install it, for example with pip install requests')
    if not options.get('api_url'):
        raise LookupProblem('api_url is required: pass api_url=... to the lookup, or set GITLAB_URL (or CI_SERVER_URL)')
    return client_from_options(options, secrets=secrets_of(options))


def guarded(action, error_class, secrets=()):
    """``action()``; an InputError, GitLabError or LookupProblem becomes ``error_class(message)`` (redacted)."""
    try:
        return action()
    except LookupProblem as err:
        raise error_class(redact(str(err), secrets)) from None
    except InputError as err:
        raise error_class(redact(err.message(), secrets)) from None
    except GitLabError as err:
        raise error_class(redact(str(err), secrets)) from None


def terms_problem(terms, what):
    """A sentence when the lookup was given no term, or a term that is not a non-empty string; else None."""
    if not terms:
        return 'give the %s to look up as the first argument' % what
    for term in terms:
        if not isinstance(term, str) or not term:
            return 'each %s must be a non-empty string, got %s' % (what, type(term).__name__ if term != '' else 'an empty string')
    return None


# ---- ci_variable ------------------------------------------------------------------------------

def variable_level(project=None, group=None, instance=False, environment_scope=None):
    """``(level, owner, scope)`` from the lookup's options, or raise LookupProblem.

    ``scope`` is None for the instance (instance variables have no environment scope).
    """
    chosen = [name for name, value in (('project', project), ('group', group)) if value not in (None, '')]
    if instance:
        chosen.append('instance')
    if len(chosen) != 1:
        raise LookupProblem('give exactly one of project=, group= or instance=true (found: %s)' % (', '.join(chosen) or 'none'))
    level = chosen[0]
    owner = {'project': project, 'group': group}.get(level)
    if owner is not None:
        problem = path_segment_problem(level, str(owner))
        if problem:
            raise LookupProblem(problem)
        owner = str(owner)
    if level == 'instance':
        if environment_scope not in (None, DEFAULT_SCOPE):
            raise LookupProblem('instance variables have no environment_scope; leave it out (got %s)' % environment_scope)
        return level, None, None
    scope = DEFAULT_SCOPE if environment_scope in (None, '') else str(environment_scope)
    return level, owner, scope


def owner_text(level, owner):
    """How messages name where a variable lives: ``project acme/app``, ``group acme``, ``the instance``."""
    return 'the instance' if level == 'instance' else '%s %s' % (level, owner)


def variable_text(key, scope):
    return 'variable %s' % key if scope is None else 'variable %s (environment_scope %s)' % (key, scope)


def pick_variable(items, key, scope):
    """The one variable of a listed level with this key and scope (``*`` when GitLab leaves it out), or None."""
    for item in items or ():
        if not isinstance(item, dict) or item.get('key') != key:
            continue
        if scope is None or (item.get('environment_scope') or DEFAULT_SCOPE) == scope:
            return item
    return None


def variable_value(item, key, scope, level, owner):
    """The value of a variable as GitLab answered it; LookupProblem when missing or hidden (never an empty string)."""
    where = owner_text(level, owner)
    if item is None:
        return _raise('%s not found in %s (the token needs the Maintainer role to read project variables, '
                      'Owner for group variables, administrator for instance variables)' % (variable_text(key, scope), where))
    if item.get('hidden'):
        return _raise('%s of %s is hidden: GitLab never returns the value of a hidden variable, not even through the API'
                      % (variable_text(key, scope), where))
    value = item.get('value')
    if not isinstance(value, str):
        return _raise('GitLab answered no value for %s of %s' % (variable_text(key, scope), where))
    return value


def _raise(message):
    raise LookupProblem(message)


# ---- job_artifact ----------------------------------------------------------------------------

def artifact_source(project=None, job_id=None, ref=None, job=None, max_size=None, encoding=None):
    """Check the job_artifact options; return ``dict(project, job_id, ref, job, max_size, encoding)``.

    Either ``job_id``, or ``ref`` and ``job`` (the job's name). Raises LookupProblem with every problem.
    """
    problems = []
    if project in (None, ''):
        problems.append('project= is required (a numeric id or a full path such as acme/app)')
    else:
        problem = path_segment_problem('project', str(project))
        if problem:
            problems.append(problem)
    by_ref = ref not in (None, '') or job not in (None, '')
    if job_id not in (None, '') and by_ref:
        problems.append('give job_id=, or ref= and job=, not both')
    elif job_id not in (None, ''):
        try:
            if isinstance(job_id, bool):
                raise ValueError
            job_id = int(job_id)
            if job_id <= 0:
                raise ValueError
        except (TypeError, ValueError):
            problems.append('job_id must be a positive number, got %s' % job_id)
    elif ref in (None, '') or job in (None, ''):
        problems.append('give job_id= (a job id), or ref= (a branch or tag) and job= (the job name)')
    if ref not in (None, ''):
        problems.extend(p for p in [path_segment_problem('ref', str(ref))] if p)
    if encoding is None:
        encoding = 'text'
    if encoding not in ENCODINGS:
        problems.append('encoding must be one of %s, got %s' % (', '.join(ENCODINGS), encoding))
    if max_size is None:
        max_size = DEFAULT_MAX_SIZE
    try:
        max_size = int(max_size)
        if max_size <= 0:
            raise ValueError
    except (TypeError, ValueError):
        problems.append('max_size must be a positive number of bytes, got %s' % max_size)
    if problems:
        raise LookupProblem('; '.join(problems))
    return dict(project=str(project), job_id=None if by_ref else job_id, ref=str(ref) if by_ref else None,
                job=str(job) if by_ref else None, max_size=max_size, encoding=encoding)


def artifact_text(source, path):
    """How messages name the file: ``dist/VERSION of job 42 of project acme/app`` or by ref and job name."""
    if source['job_id'] is not None:
        return 'artifact file %s of job %s of project %s' % (path, source['job_id'], source['project'])
    return ('artifact file %s of job %s in the latest successful pipeline of ref %s of project %s'
            % (path, source['job'], source['ref'], source['project']))


def too_large_message(source, path):
    return ('%s is larger than max_size=%d bytes; raise max_size= to read it (the lookup holds the whole file in memory)'
            % (artifact_text(source, path), source['max_size']))


def decode_content(data, encoding, source, path):
    """The file's bytes as the lookup returns them: UTF-8 text, or base64 text; LookupProblem for text that is not UTF-8."""
    if encoding == 'base64':
        return base64.b64encode(data).decode('ascii')
    try:
        return data.decode('utf-8')
    except UnicodeDecodeError as err:
        raise LookupProblem('%s is not UTF-8 text (byte %d); read it with encoding=base64 and decode it with the b64decode filter'
                            % (artifact_text(source, path), err.start)) from None
