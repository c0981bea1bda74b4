"""The gitlab_ci_variable module run in-process against an in-memory client.

These tests pin what the pure tests of _variables.py cannot: the module's request pattern (an
unchanged run only lists; a change costs one request), check mode sending no write, the
race handling (create meets "has already been taken", update or delete meets 404), the warning
for a dropped group scope, and that no value reaches the module's output. Real HTTP runs against
the fake GitLab are in tests/integration.
"""

import json
from unittest import mock

import pytest

from tests.unit.module_args import patch_module_args

from ansible_collections.cicd.gitlab.plugins.module_utils._errors import (
    GitLabNotFoundError,
    GitLabServerError,
    GitLabTransportError,
    GitLabValidationError,
)
from ansible_collections.cicd.gitlab.plugins.modules import gitlab_ci_variable as module_under_test

TOKEN = 'glpat-unit-test-token-0000'
SECRET = 'S3cr3t-Value_0001'
SECRET2 = 'S3cr3t-Value_0002'


class MemoryClient:
    """Just enough of GitLabClient's variable methods, with GitLab's identity rules.

    A variable is one (key, environment_scope) of its project or group (the uniqueness validation in
    GitLab's `app/models/ci/variable.rb`); an instance variable is its key alone
    (https://docs.gitlab.com/api/instance_level_ci_variables/).
    """

    def __init__(self, level='project', variables=(), drop_group_scope=False):
        self.level = level
        self.vars = [dict(v) for v in variables]
        self.calls = []
        self.before = {}  # method -> callable run before the method (to simulate another run)
        self.after = {}   # method -> exception raised after the method was applied (a lost answer)
        self.drop_group_scope = drop_group_scope
        self.retries = 2
        self.pauses = []

    def pause(self, attempt):
        self.pauses.append(attempt)

    def _find(self, key, scope):
        found = [v for v in self.vars if v['key'] == key and (scope is None or v.get('environment_scope') == scope)]
        if not found:
            raise GitLabNotFoundError('X', 'variables/%s' % key, status=404, gitlab_message='404 Variable Not Found')
        assert len(found) == 1, 'the module must send the scope filter'
        return found[0]

    def _hook(self, name):
        hook = self.before.pop(name, None)
        if hook:
            hook(self)

    def list_variables(self, level, owner):
        self.calls.append(('GET', level, owner))
        return [dict(v) for v in self.vars]

    def create_variable(self, level, owner, attrs):
        self.calls.append(('POST', level, owner, dict(attrs)))
        self._hook('create')
        attrs = dict(attrs)
        if self.drop_group_scope and level == 'group':
            attrs.pop('environment_scope', None)
        scope = attrs.get('environment_scope', '*') if level != 'instance' else None
        if any(v['key'] == attrs['key'] and v.get('environment_scope') == scope for v in self.vars):
            body = {'message': {'key': ['(%s) has already been taken' % attrs['key']]}}
            raise GitLabValidationError('POST', 'variables', status=400, gitlab_message='key: taken', body=body)
        hidden = attrs.pop('masked_and_hidden', False)
        new = dict(variable_type='env_var', protected=False, masked=False, raw=False, description=None)
        new.update(attrs)
        if level != 'instance':
            new.update(environment_scope=scope, hidden=bool(hidden))
            if hidden:
                new['masked'] = True
        self.vars.append(new)
        lost = self.after.pop('create', None)
        if lost:
            raise lost
        return self._shown(new)

    def update_variable(self, level, owner, key, attrs, environment_scope=None):
        self.calls.append(('PUT', level, owner, key, dict(attrs), environment_scope))
        self._hook('update')
        found = self._find(key, environment_scope)
        found.update(attrs)
        return self._shown(found)

    def delete_variable(self, level, owner, key, environment_scope=None):
        self.calls.append(('DELETE', level, owner, key, environment_scope))
        self._hook('delete')
        self.vars.remove(self._find(key, environment_scope))

    @staticmethod
    def _shown(var):
        shown = dict(var)
        if shown.get('hidden'):
            shown['value'] = None
        return shown

    def writes(self):
        return [call for call in self.calls if call[0] != 'GET']


def var(key, value=SECRET, scope='*', **kwargs):
    result = dict(variable_type='env_var', key=key, value=value, hidden=False, protected=False, masked=False,
                  raw=False, environment_scope=scope, description=None)
    result.update(kwargs)
    return result


def run(capsys, client, check=False, diff=False, **args):
    args = dict(dict(api_url='https://gitlab.example.com', api_token=TOKEN, project='acme/app'), **args)
    args = dict((name, value) for name, value in args.items() if value is not None)
    args['_ansible_check_mode'] = check
    args['_ansible_diff'] = diff
    with patch_module_args(args), mock.patch.object(module_under_test, 'build_client', return_value=client):
        with pytest.raises(SystemExit):
            module_under_test.main()
    out = capsys.readouterr().out
    for secret in (SECRET, SECRET2, TOKEN):
        assert secret not in out
    return json.loads(out)


def test_unchanged_run_only_lists(capsys):
    client = MemoryClient(variables=[var('A'), var('B', protected=True)])
    result = run(capsys, client, variables=[dict(key='A', value=SECRET), dict(key='B', value=SECRET, protected=True)])
    assert result['changed'] is False
    assert client.calls == [('GET', 'project', 'acme/app')]


def test_change_costs_one_request_each_and_updates_in_place(capsys):
    client = MemoryClient(variables=[var('A'), var('A', scope='production'), var('OLD')])
    result = run(capsys, client, purge=True, diff=True,
                 variables=[dict(key='A', value=SECRET2, environment_scope='production'), dict(key='A', value=SECRET),
                            dict(key='NEW', value=SECRET)])
    assert result['changed'] is True
    assert result['variables']['updated'] == [{'key': 'A', 'environment_scope': 'production'}]
    assert client.writes() == [
        ('DELETE', 'project', 'acme/app', 'OLD', '*'),
        ('PUT', 'project', 'acme/app', 'A', {'value': SECRET2}, 'production'),
        ('POST', 'project', 'acme/app', {'key': 'NEW', 'value': SECRET, 'environment_scope': '*'}),
    ]
    assert set(result['diff']['after']) == {'A', 'NEW'}


def test_check_mode_sends_no_write(capsys):
    client = MemoryClient(variables=[var('A', value=SECRET2), var('OLD')])
    result = run(capsys, client, check=True, diff=True, purge=True,
                 variables=[dict(key='A', value=SECRET), dict(key='NEW', value=SECRET)])
    assert result['changed'] is True
    assert result['variables']['added'] == [{'key': 'NEW', 'environment_scope': '*'}]
    assert result['variables']['removed'] == [{'key': 'OLD', 'environment_scope': '*'}]
    assert client.writes() == []


def test_invalid_item_fails_before_any_request(capsys):
    client = MemoryClient()
    result = run(capsys, client, variables=[dict(key='GOOD', value=SECRET), dict(key='BAD', value='short', masked=True)])
    assert result['failed'] is True
    assert 'variables[1], variable BAD' in result['msg'] and 'at least 8' in result['msg']
    assert client.calls == []


def test_missing_value_fails_after_listing_without_writes(capsys):
    client = MemoryClient(variables=[var('A')])
    result = run(capsys, client, variables=[dict(key='A', value=SECRET2), dict(key='B', protected=True)])
    assert result['failed'] is True and 'variable B' in result['msg']
    assert client.writes() == []


def test_create_race_rereads_and_updates(capsys):
    client = MemoryClient()
    client.before['create'] = lambda c: c.vars.append(var('A', value=SECRET2))
    result = run(capsys, client, key='A', value=SECRET)
    assert result['changed'] is True
    assert result['variables']['updated'] == [{'key': 'A', 'environment_scope': '*'}]
    assert [call[0] for call in client.calls] == ['GET', 'POST', 'GET', 'PUT']
    assert client.vars[0]['value'] == SECRET


def test_create_race_with_identical_variable_is_unchanged(capsys):
    client = MemoryClient()
    client.before['create'] = lambda c: c.vars.append(var('A'))
    result = run(capsys, client, key='A', value=SECRET)
    assert result['variables']['unchanged'] == [{'key': 'A', 'environment_scope': '*'}]
    assert [call[0] for call in client.calls] == ['GET', 'POST', 'GET']


def test_create_whose_answer_was_lost_is_checked_not_resent(capsys):
    """A 502 after GitLab applied the POST: the module looks, finds it, and does not POST again."""
    client = MemoryClient()
    client.after['create'] = GitLabServerError('POST', 'variables', status=502, gitlab_message='bad gateway')
    result = run(capsys, client, key='A', value=SECRET)
    assert result['changed'] is True
    assert result['variables']['added'] == [{'key': 'A', 'environment_scope': '*'}]
    assert [call[0] for call in client.calls] == ['GET', 'POST', 'GET']
    assert len(client.vars) == 1


def test_create_that_failed_before_applying_is_sent_again_after_checking(capsys):
    client = MemoryClient()

    def reset_before_applying(_client):
        raise GitLabTransportError('POST', 'variables', detail='connection reset')

    client.before['create'] = reset_before_applying
    result = run(capsys, client, key='A', value=SECRET)
    assert result['variables']['added'] == [{'key': 'A', 'environment_scope': '*'}]
    assert [call[0] for call in client.calls] == ['GET', 'POST', 'GET', 'POST']
    assert client.pauses == [0]


def test_create_failing_every_time_stops_after_the_retry_budget(capsys):
    client = MemoryClient()
    client.retries = 1

    def always_fail(_client):
        client.before['create'] = always_fail
        raise GitLabServerError('POST', 'variables', status=503, gitlab_message='unavailable')

    client.before['create'] = always_fail
    args = dict(api_url='https://gitlab.example.com', api_token=TOKEN, project='acme/app', key='A', value=SECRET)
    with patch_module_args(args), mock.patch.object(module_under_test, 'build_client', return_value=client):
        with pytest.raises(SystemExit):
            module_under_test.main()
    out = json.loads(capsys.readouterr().out)
    assert out['failed'] is True and 'HTTP 503' in out['msg']
    assert [call[0] for call in client.calls] == ['GET', 'POST', 'GET', 'POST']


def test_update_meeting_404_creates(capsys):
    client = MemoryClient(variables=[var('A', protected=True)])
    client.before['update'] = lambda c: c.vars.clear()
    result = run(capsys, client, key='A', description='d')
    assert result['variables']['added'] == [{'key': 'A', 'environment_scope': '*'}]
    assert client.writes()[-1][0] == 'POST'
    assert client.vars == [var('A', protected=True, description='d')]


def test_delete_meeting_404_counts_as_done(capsys):
    client = MemoryClient(variables=[var('A')])
    client.before['delete'] = lambda c: c.vars.clear()
    result = run(capsys, client, key='A', state='absent')
    assert result['changed'] is True and 'failed' not in result
    assert result['variables']['removed'] == [{'key': 'A', 'environment_scope': '*'}]


def test_dropped_group_scope_warns_with_the_key(capsys):
    client = MemoryClient(level='group', drop_group_scope=True)
    result = run(capsys, client, project=None, group='acme', key='A', value=SECRET, environment_scope='production')
    # ansible-core 2.19 returns warnings as structured summaries; older versions as strings.
    assert "group variable A under environment_scope '*' instead of 'production'" in json.dumps(result['warnings'])


def test_replace_hidden_deletes_then_creates(capsys):
    client = MemoryClient(variables=[var('A')])
    result = run(capsys, client, key='A', hidden=True, replace_hidden=True)
    assert result['variables']['replaced'] == [{'key': 'A', 'environment_scope': '*'}]
    assert [call[0] for call in client.writes()] == ['DELETE', 'POST']
    assert client.writes()[1][3]['masked_and_hidden'] is True
    assert client.vars[0]['hidden'] is True


def test_hidden_value_update_policies(capsys):
    hidden = var('H', hidden=True, masked=True)
    client = MemoryClient(variables=[hidden])
    assert run(capsys, client, key='H', value=SECRET, hidden=True)['changed'] is False
    result = run(capsys, client, key='H', value=SECRET, hidden=True, value_update='always')
    assert result['changed'] is True
    assert client.writes() == [('PUT', 'project', 'acme/app', 'H', {'value': SECRET}, '*')]


def test_instance_level_has_no_scope(capsys):
    client = MemoryClient(level='instance')
    result = run(capsys, client, project=None, instance=True, key='A', value=SECRET)
    assert result['variables']['added'] == [{'key': 'A'}]
    assert client.writes() == [('POST', 'instance', None, {'key': 'A', 'value': SECRET})]


def test_gitlab_error_names_the_variable(capsys):
    client = MemoryClient(variables=[var('A')])

    def refuse(dummy):
        raise GitLabValidationError('PUT', 'projects/acme%2Fapp/variables/A', status=400,
                                    gitlab_message='value: is invalid', body={'message': {'value': ['is invalid']}})
    client.before['update'] = refuse
    result = run(capsys, client, key='A', value=SECRET2)
    assert result['failed'] is True and result['status'] == 400
    assert result['variable'] == {'key': 'A', 'environment_scope': '*'}
    assert result['changed'] is False


def test_free_group_purge_never_deletes_and_recreates_on_later_runs(capsys):
    """GitLab Free drops group scopes: run 1 creates (A, *) from (A, production); later runs with
    purge keep it (no DELETE, no new variable) and report it unchanged under '*'."""
    client = MemoryClient(level='group', drop_group_scope=True)
    args = dict(project=None, group='acme', purge=True, variables=[dict(key='A', value=SECRET, environment_scope='production')])
    first = run(capsys, client, **args)
    assert first['changed'] is True and [v['environment_scope'] for v in client.vars] == ['*']
    for dummy in range(2):
        client.calls = []
        again = run(capsys, client, **args)
        assert [call[0] for call in client.writes()] in ([], ['POST']), client.writes()   # at most the refused create
        assert not [call for call in client.writes() if call[0] == 'DELETE']
        assert again['changed'] is False
        assert again['variables']['unchanged'] == [{'key': 'A', 'environment_scope': '*'}]
        assert again['variables']['removed'] == [] and again['variables']['added'] == []
        assert len(client.vars) == 1


@pytest.mark.parametrize('value', [True, 1.1, 493, None])
def test_a_typed_value_is_refused_before_any_request(capsys, value):
    client = MemoryClient()
    items = [dict(key='VERSION', value=value)] if value is not None else [dict(value=SECRET)]
    result = run(capsys, client, variables=items)
    assert result['failed'] and client.calls == []
    assert ('VERSION' in result['msg'] and 'quote the value' in result['msg']) or 'variables[0]: key is required' in result['msg']
