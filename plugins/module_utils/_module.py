# -*- coding: utf-8 -*-
# Copyright: cicd.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every cicd.gitlab module shares: connection options, client construction, the one error exit.

The options are documented once in plugins/doc_fragments/connection.py; ansible-test's
validate-modules keeps the two in step. Private to the collection.
"""

from __future__ import annotations

import os

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.cicd.gitlab.plugins.module_utils._client import (
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    GitLabClient,
)
from ansible_collections.cicd.gitlab.plugins.module_utils._errors import GitLabError


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


def build_client(module):
    """Return a GitLabClient for the module's connection options (fails when requests is missing)."""
    if not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib('requests'), exception=REQUESTS_IMPORT_ERROR)
    params = module.params
    token = params['api_token']
    if not token and params['api_token_type'] == 'job':
        # Inside a GitLab CI job the job token is in the environment.
        token = os.environ.get('CI_JOB_TOKEN')
        if token:
            module.no_log_values.add(token)
    if params['timeout'] <= 0:
        module.fail_json(msg='timeout must be greater than 0, got %s' % params['timeout'])
    if params['api_retries'] < 0:
        module.fail_json(msg='api_retries must be 0 or more, got %s' % params['api_retries'])
    if not params['api_url'].startswith(('http://', 'https://')):
        module.fail_json(msg='api_url must start with http:// or https://, got %r' % params['api_url'])
    return GitLabClient(
        params['api_url'],
        token=token,
        token_type=params['api_token_type'],
        validate_certs=params['validate_certs'],
        ca_path=params['ca_path'],
        timeout=params['timeout'],
        retries=params['api_retries'],
    )


def fail_on_error(module, err, **result):
    """Turn a GitLabError into fail_json. Never returns."""
    extra = dict(result)
    if err.status is not None:
        extra['status'] = err.status
    module.fail_json(msg=str(err), **extra)


def run_module(argument_spec, run, input_errors=(), **module_kwargs):
    """The entry point of every module: build the AnsibleModule, ``run(module)``, exit.

    ``run`` returns the result dict. Every failure leaves through here: a TaskFailure with its
    partial result, a GitLabError (with the partial result a TaskFailure-aware caller attached as
    ``err.result``), and the input errors (``input_errors``: exception classes with ``message()``
    and ``errors``) raised before anything was sent.
    """
    module = AnsibleModule(argument_spec=argument_spec, **module_kwargs)
    try:
        result = run(module)
    except TaskFailure as failure:
        module.fail_json(msg=failure.msg, **failure.result)
    except GitLabError as err:
        fail_on_error(module, err, **getattr(err, 'result', {}))
    except input_errors as err:
        module.fail_json(msg=err.message(), errors=err.errors)
    module.exit_json(**result)
