# -*- coding: utf-8 -*-
# Copyright: cicd.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every cicd.gitlab module shares: connection options, client construction, error exits.

The options are documented once in plugins/doc_fragments/connection.py; ansible-test's
validate-modules keeps the two in step. Private to the collection.
"""

from __future__ import annotations

import os

from ansible.module_utils.basic import env_fallback, missing_required_lib

from ansible_collections.cicd.gitlab.plugins.module_utils._client import (
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    GitLabClient,
)


def gitlab_argument_spec():
    """A fresh copy of the connection options, to be updated with a module's own options."""
    return dict(
        api_url=dict(type='str', required=True, fallback=(env_fallback, ['GITLAB_URL', 'CI_SERVER_URL'])),
        api_token=dict(type='str', no_log=True, fallback=(env_fallback, ['GITLAB_TOKEN'])),
        api_token_type=dict(type='str', default='private', choices=['private', 'oauth', 'job']),
        validate_certs=dict(type='bool', default=True),
        ca_path=dict(type='path'),
        timeout=dict(type='float', default=30),
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
    """Turn a GitLabError into fail_json; the one place where that happens. Never returns."""
    extra = dict(result)
    if err.status is not None:
        extra['status'] = err.status
    module.fail_json(msg=str(err), **extra)
