"""The module layer (plugins/module_utils/_module.py): client_from_options() and the one error exit.

run_module() is run in-process with a real AnsibleModule; what it prints is the module's JSON
answer. Every failure must leave through it redacted: the token in every form a library prints
it (raw with its line end, repr-escaped, URL-encoded), and every secret the task registered.
"""

import json

import pytest

from tests.unit.module_args import patch_module_args

from ansible_collections.cicd.gitlab.plugins.module_utils import _module
from ansible_collections.cicd.gitlab.plugins.module_utils._errors import GitLabServerError, GitLabTransportError, InputError

TOKEN = 'glpat-module-layer-0001'
OPTIONS = {'api_url': 'https://gitlab.example.com', 'api_token': TOKEN, 'api_token_type': 'private',
           'validate_certs': True, 'ca_path': None, 'timeout': 30, 'task_timeout': None, 'api_retries': 5}


def options(**changes):
    out = dict(OPTIONS)
    out.update(changes)
    return out


# ---- client_from_options --------------------------------------------------------------------

def test_client_from_plain_options():
    client = _module.client_from_options(options(timeout=7.5, api_retries=0))
    assert client.api_base == 'https://gitlab.example.com/api/v4/'
    assert client.timeout == 7.5 and client.retries == 0
    assert client.deadline is None


@pytest.mark.parametrize('name, value, needle', [
    ('timeout', 0, 'timeout must be greater than 0'),
    ('timeout', -1, 'timeout must be greater than 0'),
    ('task_timeout', 0, 'task_timeout must be greater than 0'),
    ('api_retries', -1, 'api_retries must be 0 or more'),
])
def test_unusable_numbers_are_input_errors(name, value, needle):
    with pytest.raises(InputError) as caught:
        _module.client_from_options(options(**{name: value}))
    assert needle in caught.value.message()


def test_task_timeout_sets_the_deadline():
    client = _module.client_from_options(options(task_timeout=60))
    assert client.deadline is not None
    assert client.deadline_reason == 'task_timeout=60'


def test_a_token_line_end_is_stripped():
    client = _module.client_from_options(options(api_token=TOKEN + '\r\n'))
    assert client._auth == {'PRIVATE-TOKEN': TOKEN}


def test_job_token_from_the_environment(monkeypatch):
    monkeypatch.setenv('CI_JOB_TOKEN', 'job-token-from-env-01')
    client = _module.client_from_options(options(api_token=None, api_token_type='job'))
    assert client._auth == {'JOB-TOKEN': 'job-token-from-env-01'}


# ---- run_module: the one exit ---------------------------------------------------------------

def run(run_function, args, capsys):
    """run_module() with ``args``; returns the module's JSON answer."""
    spec = _module.gitlab_argument_spec()
    spec['secret_option'] = dict(type='str', no_log=True)
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            _module.run_module(spec, run_function)
    return json.loads(capsys.readouterr().out)


def forms(value):
    return (value, repr(value)[1:-1], value.replace('\n', '%0A'))


def assert_absent(answer, *secrets):
    text = json.dumps(answer)
    for secret in secrets:
        for form in forms(secret):
            assert form not in text, 'a form of a secret (%r) is in the answer' % form


def test_a_gitlab_error_quoting_the_token_repr_is_redacted(capsys):
    token = TOKEN + '\n'

    def fails(module):
        # What urllib3/requests print: the header value repr-escaped, so no_log's literal match misses it.
        raise GitLabTransportError('GET', '/api/v4/user', detail="bad header value: %r" % token)

    answer = run(fails, {'api_url': 'https://gitlab.example.com', 'api_token': token}, capsys)
    assert answer['failed'] is True
    assert 'bad header value' in answer['msg']
    assert_absent(answer, token, TOKEN)


def test_a_task_failure_keeps_its_partial_result_and_is_redacted(capsys):
    def fails(module):
        secret = module.params['secret_option']
        raise _module.TaskFailure('the job printed %s' % secret, changed=True, job={'id': 12, 'note': secret})

    answer = run(fails, {'api_url': 'https://gitlab.example.com', 'secret_option': 'sek-r3t-value'}, capsys)
    assert answer['changed'] is True and answer['job']['id'] == 12
    assert 'the job printed' in answer['msg']
    assert_absent(answer, 'sek-r3t-value')


def test_a_secret_added_during_the_task_is_redacted(capsys):
    def fails(module):
        _module.add_secret(module, 'learned-secret-77')
        raise GitLabServerError('POST', '/api/v4/x', status=500, gitlab_message='echo learned-secret-77 and learned-secret-77%0A')

    answer = run(fails, {'api_url': 'https://gitlab.example.com'}, capsys)
    assert answer['status'] == 500
    assert_absent(answer, 'learned-secret-77')


def test_an_input_error_lists_every_problem(capsys):
    def fails(module):
        raise InputError(['first problem', 'second problem'])

    answer = run(fails, {'api_url': 'https://gitlab.example.com'}, capsys)
    assert answer['msg'] == 'Nothing was done; 2 problems with the options: first problem; second problem'
    assert answer['errors'] == ['first problem', 'second problem']


def test_a_client_input_error_is_a_clear_failure(capsys):
    def builds(module):
        _module.build_client(module)
        return {'changed': False}

    answer = run(builds, {'api_url': 'https://gitlab.example.com/?private_token=x', 'api_token': 'tok en-123'}, capsys)
    assert answer['failed'] is True
    assert answer['msg'].startswith('Nothing was done')
    assert 'Traceback' not in json.dumps(answer)
    assert_absent(answer, 'tok en-123')


def test_success_exits_with_the_result(capsys):
    answer = run(lambda module: {'changed': True, 'value': 3}, {'api_url': 'https://gitlab.example.com'}, capsys)
    assert answer['changed'] is True and answer['value'] == 3 and not answer.get('failed')


def test_a_password_in_api_url_is_refused_and_never_shown(capsys):
    def builds(module):
        _module.build_client(module)
        return {'changed': False}

    answer = run(builds, {'api_url': 'https://deploy:hunter2-pw@gitlab.example.com', 'api_token': TOKEN}, capsys)
    assert 'user name or password' in answer['msg']
    assert 'hunter2-pw' not in json.dumps(answer)
