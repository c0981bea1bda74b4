"""gitlab_ci_variable through real ansible-playbook, against the fake (or a real GitLab).

Each change runs in four passes: check (predicts the change, writes nothing), apply, check again
(predicts nothing), apply again (ok). The server's state is read independently of the module
(the fake's state dump, or the API as the test user on a real GitLab). Every run's output is
scanned for the tokens and every variable value used (harness.Target.assert_no_secrets).
"""

import pytest

from tests.conftest import DEV_TOKEN

PLAYBOOK = 'gitlab_ci_variable/declare.yml'
TASK = 'Declare variables'


# ---- helpers ----------------------------------------------------------------------------------


def level_vars(gitlab, level):
    if level == 'project':
        return {'test_project': gitlab.project}
    if level == 'group':
        if not gitlab.group:
            pytest.skip('GITLAB_TEST_GROUP is not set')
        return {'test_group': gitlab.group}
    if not gitlab.is_fake:
        pytest.skip('instance variables need an administrator on a real GitLab')
    return {'test_instance': True}


def server_variables(gitlab, level='project'):
    """{(key, scope): attributes incl. value} read from the server, not through the module."""
    if gitlab.is_fake:
        state = gitlab.state()
        if level == 'instance':
            items = state['instance_variables']
        else:
            owner = gitlab.project if level == 'project' else gitlab.group
            items = next(o for o in state[level + 's'] if o['full_path'] == owner)['variables']
    else:
        base = {'project': 'projects/%s' % gitlab.project.replace('/', '%2F'),
                'group': 'groups/%s' % (gitlab.group or '').replace('/', '%2F'),
                'instance': 'admin/ci'}[level]
        items = gitlab.api('GET', base + '/variables', params={'per_page': 100}).json()
    return {(v['key'], v.get('environment_scope')): v for v in items}


def four_passes(gitlab, extra_vars, verify=None):
    """check -> apply -> check -> apply; returns the apply result of pass 2."""
    if gitlab.is_fake:
        gitlab.clear_journal()
    predicted = gitlab.play(PLAYBOOK, extra_vars, check=True, diff=True).assert_ok().task(TASK)
    assert predicted['status'] == 'changed', predicted
    if gitlab.is_fake:
        assert gitlab.writes() == [], 'check mode wrote to GitLab'
    applied = gitlab.play(PLAYBOOK, extra_vars, diff=True).assert_ok().task(TASK)
    assert applied['status'] == 'changed', applied
    assert predicted['result']['variables'] == applied['result']['variables'], 'check mode predicted another change'
    if verify:
        verify()
    if gitlab.is_fake:
        writes_after_apply = len(gitlab.writes())
    again = gitlab.play(PLAYBOOK, extra_vars, check=True, diff=True).assert_ok().task(TASK)
    assert again['status'] == 'ok', again
    final = gitlab.play(PLAYBOOK, extra_vars).assert_ok().task(TASK)
    assert final['status'] == 'ok', final
    if gitlab.is_fake:
        assert len(gitlab.writes()) == writes_after_apply, 'an unchanged run wrote to GitLab'
    return applied['result']


def ident(key, scope='*'):
    return {'key': key, 'environment_scope': scope}


def apply(gitlab, extra_vars):
    return gitlab.play(PLAYBOOK, extra_vars).assert_ok().task(TASK)


# ---- the three levels, four passes each -------------------------------------------------------


@pytest.mark.parametrize('level', ['project', 'group', 'instance'])
def test_create_update_delete_in_four_passes(gitlab, level):
    values = ['plain-value-%s-1' % level, 'Masked-Value-%s-2' % level, 'changed-value-%s-3' % level]
    gitlab.secret(*values)
    base = level_vars(gitlab, level)
    scope = None if level == 'instance' else '*'
    variables = [
        {'key': 'CICD_PLAIN', 'value': values[0], 'description': 'plain'},
        {'key': 'CICD_MASKED', 'value': values[1], 'masked': True, 'protected': True},
        {'key': 'CICD_FILE', 'value': values[0], 'variable_type': 'file'},
    ]

    def created():
        current = server_variables(gitlab, level)
        assert current[('CICD_PLAIN', scope)]['value'] == values[0]
        assert current[('CICD_MASKED', scope)]['masked'] is True
        assert current[('CICD_MASKED', scope)]['protected'] is True
        assert current[('CICD_FILE', scope)]['variable_type'] == 'file'

    result = four_passes(gitlab, dict(base, test_variables=variables), created)
    assert sorted(v['key'] for v in result['variables']['added']) == ['CICD_FILE', 'CICD_MASKED', 'CICD_PLAIN']

    # Change one value and one attribute: updated in place (PUT), never deleted and re-created.
    variables[0] = dict(variables[0], value=values[2])
    variables[2] = dict(variables[2], protected=True)
    if gitlab.is_fake:
        gitlab.clear_journal()

    def updated():
        current = server_variables(gitlab, level)
        assert current[('CICD_PLAIN', scope)]['value'] == values[2]
        assert current[('CICD_FILE', scope)]['protected'] is True
        if gitlab.is_fake:
            assert sorted(e['method'] for e in gitlab.writes()) == ['PUT', 'PUT']

    result = four_passes(gitlab, dict(base, test_variables=variables), updated)
    assert sorted(v['key'] for v in result['variables']['updated']) == ['CICD_FILE', 'CICD_PLAIN']
    assert [v['key'] for v in result['variables']['unchanged']] == ['CICD_MASKED']

    def deleted():
        assert ('CICD_PLAIN', scope) not in server_variables(gitlab, level)
        assert ('CICD_MASKED', scope) in server_variables(gitlab, level)

    result = four_passes(gitlab, dict(base, test_variables=[{'key': 'CICD_PLAIN'}], test_state='absent'), deleted)
    assert [v['key'] for v in result['variables']['removed']] == ['CICD_PLAIN']


def test_single_key_options(gitlab):
    gitlab.secret('single-value-0001')
    four_passes(gitlab, {'test_project': gitlab.project, 'test_key': 'CICD_SINGLE', 'test_value': 'single-value-0001'},
                lambda: server_variables(gitlab)[('CICD_SINGLE', '*')]['value'] == 'single-value-0001')


def test_module_defaults_group_sets_the_connection(gitlab):
    gitlab.secret('defaults-value-0001')
    run = gitlab.play('gitlab_ci_variable/module_defaults.yml', {'test_value': 'defaults-value-0001'},
                      env={'GITLAB_TOKEN': gitlab.token}).assert_ok()
    assert run.task('Set one variable through the group defaults')['status'] == 'changed'
    assert server_variables(gitlab)[('FROM_DEFAULTS', '*')]['value'] == 'defaults-value-0001'


# ---- identity (key, environment_scope) ---------------------------------------------------------


def test_same_key_in_three_scopes_changed_and_deleted_one_at_a_time(gitlab):
    values = {scope: 'scoped-value-%s-00' % scope for scope in ('*', 'staging', 'production')}
    gitlab.secret(*values.values(), 'scoped-value-staging-NEW')
    variables = [{'key': 'CICD_URL', 'value': value, 'environment_scope': scope} for scope, value in values.items()]
    four_passes(gitlab, {'test_project': gitlab.project, 'test_variables': variables},
                lambda: [k for k in server_variables(gitlab) if k[0] == 'CICD_URL'] and None)
    assert {s for (k, s) in server_variables(gitlab) if k == 'CICD_URL'} == {'*', 'staging', 'production'}

    variables[1] = dict(variables[1], value='scoped-value-staging-NEW')
    result = four_passes(gitlab, {'test_project': gitlab.project, 'test_variables': variables})
    assert result['variables']['updated'] == [ident('CICD_URL', 'staging')]
    current = server_variables(gitlab)
    assert current[('CICD_URL', 'staging')]['value'] == 'scoped-value-staging-NEW'
    assert current[('CICD_URL', 'production')]['value'] == values['production']
    assert current[('CICD_URL', '*')]['value'] == values['*']

    result = four_passes(gitlab, {'test_project': gitlab.project, 'test_state': 'absent',
                                  'test_variables': [{'key': 'CICD_URL', 'environment_scope': 'production'}]})
    assert result['variables']['removed'] == [ident('CICD_URL', 'production')]
    assert {s for (k, s) in server_variables(gitlab) if k == 'CICD_URL'} == {'*', 'staging'}


def test_purge_removes_only_unlisted_variables(gitlab):
    gitlab.secret('purge-value-0001')
    keep = [{'key': 'CICD_KEEP', 'value': 'purge-value-0001'}, {'key': 'CICD_KEEP', 'value': 'purge-value-0001', 'environment_scope': 'prod'}]
    extra = [{'key': 'CICD_DROP_%d' % i, 'value': 'purge-value-0001'} for i in range(3)]
    extra.append({'key': 'CICD_KEEP', 'value': 'purge-value-0001', 'environment_scope': 'staging'})
    apply(gitlab, {'test_project': gitlab.project, 'test_variables': keep + extra})
    result = four_passes(gitlab, {'test_project': gitlab.project, 'test_variables': keep, 'test_purge': True})
    assert sorted((v['key'], v['environment_scope']) for v in result['variables']['removed']) == [
        ('CICD_DROP_0', '*'), ('CICD_DROP_1', '*'), ('CICD_DROP_2', '*'), ('CICD_KEEP', 'staging')]
    assert sorted(server_variables(gitlab)) == [('CICD_KEEP', '*'), ('CICD_KEEP', 'prod')]


# ---- hidden and masked -----------------------------------------------------------------------


def test_hidden_on_create_policy_is_idempotent(gitlab):
    gitlab.secret('Hidden-Value-0001', 'Hidden-Value-0002')
    variables = [{'key': 'CICD_HIDDEN', 'value': 'Hidden-Value-0001', 'hidden': True}]
    four_passes(gitlab, {'test_project': gitlab.project, 'test_variables': variables})
    if gitlab.is_fake:
        stored = server_variables(gitlab)[('CICD_HIDDEN', '*')]
        assert stored['hidden'] is True and stored['masked'] is True and stored['value'] == 'Hidden-Value-0001'
    # A new value is not written under on_create: the hidden value cannot be compared.
    variables[0]['value'] = 'Hidden-Value-0002'
    assert apply(gitlab, {'test_project': gitlab.project, 'test_variables': variables})['status'] == 'ok'
    if gitlab.is_fake:
        assert server_variables(gitlab)[('CICD_HIDDEN', '*')]['value'] == 'Hidden-Value-0001'


def test_hidden_always_policy_writes_every_run(gitlab):
    gitlab.secret('Hidden-Value-0003', 'Hidden-Value-0004')
    extra = {'test_project': gitlab.project, 'test_value_update': 'always'}
    apply(gitlab, dict(extra, test_variables=[{'key': 'CICD_HIDDEN', 'value': 'Hidden-Value-0003', 'hidden': True}]))
    for _attempt in range(2):
        result = apply(gitlab, dict(extra, test_variables=[{'key': 'CICD_HIDDEN', 'value': 'Hidden-Value-0004', 'hidden': True}]))
        assert result['status'] == 'changed'
        assert result['result']['variables']['updated'] == [ident('CICD_HIDDEN')]
    if gitlab.is_fake:
        assert server_variables(gitlab)[('CICD_HIDDEN', '*')]['value'] == 'Hidden-Value-0004'


def test_hiding_an_existing_variable_fails_unless_replacement_is_allowed(gitlab):
    gitlab.secret('Visible-Value-0001')
    extra = {'test_project': gitlab.project}
    apply(gitlab, dict(extra, test_variables=[{'key': 'CICD_SOON_HIDDEN', 'value': 'Visible-Value-0001'}]))
    hidden = [{'key': 'CICD_SOON_HIDDEN', 'value': 'Visible-Value-0001', 'hidden': True}]
    if gitlab.is_fake:
        gitlab.clear_journal()
    failure = gitlab.play(PLAYBOOK, dict(extra, test_variables=hidden)).assert_failed().failure()
    assert 'CICD_SOON_HIDDEN' in failure['msg'] and 'replace_hidden' in failure['msg']
    if gitlab.is_fake:
        assert gitlab.writes() == []
    result = four_passes(gitlab, dict(extra, test_variables=hidden, test_replace_hidden=True))
    assert result['variables']['replaced'] == [ident('CICD_SOON_HIDDEN')]
    assert server_variables(gitlab)[('CICD_SOON_HIDDEN', '*')]['hidden'] is True


@pytest.mark.parametrize('value, raw, ok', [
    ('Abc+/=@:.~-_123', False, True),
    ('with$dollar!', False, False),
    ('with$dollar!', True, True),
    ('short7c', True, False),
    ('has space in it', True, False),
])
def test_masked_values_against_gitlabs_rules(gitlab, value, raw, ok):
    gitlab.secret(value)
    extra = {'test_project': gitlab.project,
             'test_variables': [{'key': 'CICD_MASKED', 'value': value, 'masked': True, 'raw': raw}]}
    if gitlab.is_fake:
        gitlab.clear_journal()
    run = gitlab.play(PLAYBOOK, extra)
    if ok:
        assert run.assert_ok().task(TASK)['status'] == 'changed'
        assert server_variables(gitlab)[('CICD_MASKED', '*')]['masked'] is True
    else:
        msg = run.assert_failed().failure()['msg']
        assert 'CICD_MASKED' in msg and 'mask' in msg.lower()
        if gitlab.is_fake:
            assert gitlab.writes() == []


def test_diff_is_sorted_and_redacts_values(gitlab):
    gitlab.secret('diff-value-0001', 'Diff-Masked-0002')
    variables = [{'key': 'CICD_B', 'value': 'diff-value-0001'}, {'key': 'CICD_A', 'value': 'Diff-Masked-0002', 'masked': True}]
    run = gitlab.play(PLAYBOOK, {'test_project': gitlab.project, 'test_variables': variables}, diff=True).assert_ok()
    diff = run.task(TASK)['result']['diff']
    text = str(diff)
    assert text.index('CICD_A') < text.index('CICD_B')
    assert 'diff-value-0001' not in run.output and 'Diff-Masked-0002' not in run.output


# ---- scale and request counts ------------------------------------------------------------------


@pytest.mark.fake_only
def test_more_than_250_variables_cost_one_request_per_page(gitlab):
    variables = [{'key': 'CICD_BULK_%03d' % i, 'value': 'bulk-value-%03d' % i} for i in range(260)]
    extra = {'test_project': gitlab.project, 'test_variables': variables}
    assert apply(gitlab, extra)['status'] == 'changed'
    assert len(server_variables(gitlab)) == 260
    gitlab.clear_journal()
    assert apply(gitlab, extra)['status'] == 'ok'
    assert [(e['method'], e['path']) for e in gitlab.journal()] == [('GET', '/api/v4/projects/acme%2Fapp/variables')] * 3
    # A changing run: the list pages plus one request per change.
    variables[5] = dict(variables[5], value='bulk-value-new')
    variables = variables[:-2]
    gitlab.clear_journal()
    result = apply(gitlab, dict(extra, test_variables=variables, test_purge=True))
    assert result['status'] == 'changed'
    assert sorted(e['method'] for e in gitlab.journal()) == ['DELETE', 'DELETE', 'GET', 'GET', 'GET', 'PUT']


# ---- errors from GitLab, passed through readably ---------------------------------------------------


@pytest.mark.fake_only
def test_401_bad_token(gitlab):
    gitlab.secret('glpat-not-a-real-token-0000')
    failure = gitlab.play(PLAYBOOK, {'test_project': gitlab.project, 'test_key': 'CICD_X', 'test_value': 'v-0001',
                                     'test_api_token': 'glpat-not-a-real-token-0000'}).assert_failed().failure()
    assert 'HTTP 401' in failure['msg'] and 'api_token' in failure['msg']


@pytest.mark.fake_only
def test_403_developer_role(gitlab):
    gitlab.secret(DEV_TOKEN)
    failure = gitlab.play(PLAYBOOK, {'test_group': 'acme', 'test_key': 'CICD_X', 'test_value': 'v-0001',
                                     'test_api_token': DEV_TOKEN}).assert_failed().failure()
    assert 'HTTP 403: 403 Forbidden' in failure['msg'] and 'Maintainer' in failure['msg']


def test_404_project(gitlab):
    failure = gitlab.play(PLAYBOOK, {'test_project': 'acme/does-not-exist', 'test_key': 'CICD_X',
                                     'test_value': 'v-0001'}).assert_failed().failure()
    assert '404 Project Not Found' in failure['msg']


@pytest.mark.fake_only
def test_gitlab_400_message_is_passed_through(gitlab):
    gitlab.add_fault(method='POST', path='/variables$', status=400,
                     body={'message': {'base': ['Maximum number of project ci variables (200) exceeded']}})
    failure = gitlab.play(PLAYBOOK, {'test_project': gitlab.project, 'test_key': 'CICD_X',
                                     'test_value': 'v-0001'}).assert_failed().failure()
    assert 'Maximum number of project ci variables (200) exceeded' in failure['msg']


# ---- bad input: a clear message, no traceback, no writes ----------------------------------------

BAD_INPUT = [
    ({'test_key': 'BAD-KEY', 'test_value': 'v-0001'}, 'BAD-KEY'),
    ({'test_key': 'K' * 256, 'test_value': 'v-0001'}, '255'),
    ({'test_key': 'CICD_X'}, 'value'),
    ({'test_key': 'CICD_X', 'test_value': 'short', 'test_masked': True}, 'mask'),
    ({'test_key': 'CICD_X', 'test_value': 'Hidden-Value-0009', 'test_hidden': True, 'test_masked': False}, 'hidden'),
    ({'test_key': 'CICD_X', 'test_value': 'v-0001', 'test_scope': 'bad scope!'}, 'environment_scope'),
    ({'test_key': 'CICD_X', 'test_value': 'v-0001', 'test_variables': [{'key': 'Y', 'value': 'v-0001'}]}, 'mutually exclusive'),
    ({'test_variables': [{'key': 'CICD_A', 'value': 'v-0001'}, {'key': 'CICD_A', 'value': 'v-0001'}]}, 'CICD_A'),
    ({'test_variables': [{'key': 'CICD_OK', 'value': 'v-0001'}, {'key': 'bad key', 'value': 'v-0001'}]}, 'bad key'),
    ({'test_variables': [{'value': 'v-0001'}]}, 'key'),
    ({'test_variables': [{'key': 'CICD_A', 'value': 'v-0001', 'variable_type': 'json'}]}, 'variable_type'),
    ({'test_variables': [{'key': 'CICD_A', 'value': 'v-0001', 'masked': 'sometimes'}]}, 'masked'),
    ({'test_key': 'CICD_X', 'test_state': 'absent', 'test_purge': True}, 'purge'),
    ({'test_key': 'CICD_X', 'test_value': 'v-0001', 'test_state': 'gone'}, 'state'),
    ({'no_level': True, 'test_key': 'CICD_X', 'test_value': 'v-0001'}, 'project'),
    ({'both_levels': True, 'test_key': 'CICD_X', 'test_value': 'v-0001'}, 'project'),
    ({'instance_scope': True, 'test_key': 'CICD_X', 'test_value': 'v-0001', 'test_scope': 'prod'}, 'environment_scope'),
    ({'instance_scope': True, 'test_key': 'CICD_X', 'test_value': 'Hidden-Value-0009', 'test_hidden': True}, 'hidden'),
    ({'test_key': 'CICD_X', 'test_value': 'v-0001', 'test_value_update': 'sometimes'}, 'value_update'),
]


@pytest.mark.fake_only
@pytest.mark.parametrize('extra, needle', BAD_INPUT, ids=['case%02d' % i for i in range(len(BAD_INPUT))])
def test_bad_input_is_refused_before_any_write(gitlab, extra, needle):
    extra = dict(extra)
    level = {'test_project': gitlab.project}
    if extra.pop('no_level', False):
        level = {}
    if extra.pop('both_levels', False):
        level = {'test_project': gitlab.project, 'test_group': gitlab.group}
    if extra.pop('instance_scope', False):
        level = {'test_instance': True}
    gitlab.secret('v-0001', 'Hidden-Value-0009')
    gitlab.clear_journal()
    failure = gitlab.play(PLAYBOOK, dict(level, **extra)).assert_failed().failure()
    assert needle.lower() in failure['msg'].lower(), failure['msg']
    assert 'Traceback' not in str(failure)
    assert gitlab.writes() == []
