# -*- coding: utf-8 -*-
# Copyright: cicd.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every cicd.gitlab module shares: connection options, client construction, the one error exit.

The options are documented once in plugins/doc_fragments/connection.py; ansible-test's
validate-modules keeps the two in step. Private to the collection.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.cicd.gitlab.plugins.module_utils._client import (
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    GitLabClient,
)
from ansible_collections.cicd.gitlab.plugins.module_utils._errors import GitLabError, InputError
from ansible_collections.cicd.gitlab.plugins.module_utils._redact import redact, redact_data, secret_forms


class TaskFailure(Exception):
    """The task cannot reach its goal: ``msg`` says why, ``result`` holds what is known so far.

    Module code raises it instead of calling fail_json; run_module() turns it into the failure.
    """

    def __init__(self, msg, **result):
        super().__init__(msg)
        self.msg = msg
        self.result = result


def gitlab_argument_spec():
    """A fresh copy of the connection options, to be updated with a module's own options."""
    return dict(
        api_url=dict(type='str', required=True, fallback=(env_fallback, ['GITLAB_URL', 'CI_SERVER_URL'])),
        api_token=dict(type='str', no_log=True, fallback=(env_fallback, ['GITLAB_TOKEN'])),
        api_token_type=dict(type='str', default='private', choices=['private', 'oauth', 'job']),
        validate_certs=dict(type='bool', default=True),
        ca_path=dict(type='path'),
        timeout=dict(type='float', default=30),
        task_timeout=dict(type='float'),
        api_retries=dict(type='int', default=5),
    )


def client_from_options(options, secrets=()):
    """A GitLabClient from plain values of the connection options (the keys of gitlab_argument_spec()).

    Usable without an AnsibleModule (a lookup plugin, a script). Raises InputError for unusable
    values, before any request; ``secrets`` are redacted from every message the client builds.
    """
    problems = []
    for name, low in (('timeout', 'greater than 0'), ('task_timeout', 'greater than 0'), ('api_retries', '0 or more')):
        value = options.get(name)
        if value is not None and (value < 0 if name == 'api_retries' else value <= 0):
            problems.append('%s must be %s, got %s' % (name, low, value))
    if problems:
        raise InputError(problems)
    token_type = options.get('api_token_type') or 'private'
    token = options.get('api_token')
    if not token and token_type == 'job':
        # Inside a GitLab CI job the job token is in the environment.
        token = os.environ.get('CI_JOB_TOKEN') or None
    client = GitLabClient(
        options['api_url'],
        token=token,
        token_type=token_type,
        validate_certs=options.get('validate_certs', True),
        ca_path=options.get('ca_path'),
        timeout=options.get('timeout') or 30,
        retries=options['api_retries'] if options.get('api_retries') is not None else 5,
        secrets=secrets,
    )
    if options.get('task_timeout'):
        client.set_deadline(options['task_timeout'], 'task_timeout=%s' % options['task_timeout'])
    return client


def build_client(module):
    """The GitLabClient of a module's connection options (TaskFailure when requests is missing).

    Every form of the token (and of CI_JOB_TOKEN) joins the module's no_log values, so Ansible
    masks it wherever it appears, and the client redacts every secret the module knows.
    """
    if not HAS_REQUESTS:
        raise TaskFailure(missing_required_lib('requests'), exception=REQUESTS_IMPORT_ERROR)
    for name in ('api_token', 'CI_JOB_TOKEN'):
        value = module.params.get(name) if name == 'api_token' else os.environ.get(name)
        if value and (name == 'api_token' or module.params['api_token_type'] == 'job'):
            module.no_log_values.update(secret_forms(value))
    # A password written into api_url (user:password@host, which the client refuses) is a secret too:
    # Ansible prints the options back at -vvv.
    add_secret(module, _url_password(module.params.get('api_url')))
    return client_from_options(module.params, secrets=task_secrets(module))


def _url_password(url):
    try:
        return urlsplit(url or '').password
    except ValueError:  # not a URL at all; the client says so
        return None


def task_secrets(module):
    """Every secret of the task: what Ansible masks (no_log options and values), in every printable form."""
    forms = set()
    for value in module.no_log_values:
        forms |= secret_forms(value)
    return forms


def add_secret(module, value):
    """Register ``value`` (a secret the task learned or was given) for masking and redaction."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str) and value:
        module.no_log_values.update(secret_forms(value))


class _EarlySecretsModule(AnsibleModule):
    """An AnsibleModule that registers the task's own secrets as soon as the options are read.

    ansible-core validates the options (and may refuse one) before the module's code runs, and
    prints them back at -vvv; values that only the module knows to be secret (a ``secret: true``
    pipeline variable) must be masked by then.
    """

    early_secrets = None

    def _load_params(self):
        super()._load_params()
        for value in type(self).early_secrets(self.params) or ():
            add_secret(self, value)


def run_module(argument_spec, run, early_secrets=None, **module_kwargs):
    """The entry point of every module: build the AnsibleModule, ``run(module)``, exit.

    ``run`` returns the result dict. Every failure leaves through here: a TaskFailure with its
    partial result, a GitLabError (with the partial result the module attached as ``err.result``),
    and an InputError (every problem with the options, found before anything was sent).
    ``early_secrets(params)`` lists the secrets among the raw options; they are registered before
    ansible-core validates the options, since a refused option makes it print them all back.
    """
    cls = AnsibleModule
    if early_secrets is not None:
        cls = type('GitLabModule', (_EarlySecretsModule,), {'early_secrets': staticmethod(early_secrets)})
    module = cls(argument_spec=argument_spec, **module_kwargs)
    try:
        result = run(module)
    except TaskFailure as failure:
        _fail(module, failure.msg, failure.result)
    except GitLabError as err:
        extra = dict(getattr(err, 'result', None) or {})
        if err.status is not None:
            extra['status'] = err.status
        _fail(module, str(err), extra)
    except InputError as err:
        _fail(module, err.message(), dict(errors=err.errors))
    module.exit_json(**result)


def _fail(module, msg, result):
    """The one fail_json: the message and the partial result pass through redaction of every task secret."""
    secrets = task_secrets(module)
    module.fail_json(msg=redact(msg, secrets), **redact_data(result, secrets))
