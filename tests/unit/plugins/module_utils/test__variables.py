"""Table-driven tests of the pure CI/CD variable logic (plugins/module_utils/_variables.py).

Each table row is one behaviour of the issue: create, unchanged, every field changed, omitted
fields untouched, scope identity, purge, absent, hidden with both value policies, hide/unhide
refused or replaced, GitLab's two masking rules, instance restrictions, list validation. Every
row that carries values also checks that no value reaches a message, the diff or the result.
"""

import json

import pytest

from ansible_collections.cicd.gitlab.plugins.module_utils import _variables as v
from ansible_collections.cicd.gitlab.plugins.module_utils._errors import InputError

# Value strings that must never appear in any message, diff or result.
SECRET = 'S3cr3t-Value_0001'
SECRET2 = 'S3cr3t-Value_0002'
SHORT_SECRET = 'Sh0rt7x'  # 7 characters
SECRETS = (SECRET, SECRET2, SHORT_SECRET, 'dollar$ecret99', 'line\nbreak99', 'old-plain-value-77')

FIELDS = ('value', 'variable_type', 'protected', 'masked', 'hidden', 'raw', 'environment_scope', 'description')


def params(**kwargs):
    """Module params as AnsibleModule would hand them over (unset options are None)."""
    result = dict(project='acme/app', group=None, instance=None, key=None, variables=None,
                  state='present', purge=False, value_update='on_create', replace_hidden=False)
    result.update(dict((field, None) for field in FIELDS))
    result.update(kwargs)
    return result


def item(key, **kwargs):
    """One element of the variables list, with every suboption present."""
    result = dict((field, None) for field in FIELDS)
    result['key'] = key
    result.update(kwargs)
    return result


def api(key, value=SECRET, scope='*', **kwargs):
    """A variable as GitLab's list answers it (`lib/api/entities/ci/variable.rb`; https://docs.gitlab.com/api/project_level_variables/)."""
    result = dict(variable_type='env_var', key=key, value=value, hidden=False, protected=False,
                  masked=False, raw=False, environment_scope=scope, description=None)
    result.update(kwargs)
    if result['hidden']:
        result['value'] = None
        result['masked'] = True
    return result


def instance_api(key, value=SECRET, **kwargs):
    result = dict(variable_type='env_var', key=key, value=value, protected=False, masked=False, raw=False, description=None)
    result.update(kwargs)
    return result


def assert_no_secret(*texts):
    blob = json.dumps(texts, default=str)
    for secret in SECRETS:
        assert secret not in blob
        assert json.dumps(secret)[1:-1] not in blob


def run_plan(current_items, **kwargs):
    prm = params(**kwargs)
    level, dummy, desired = v.prepare(prm)
    current = v.normalize_current(current_items, level)
    return v.plan(current, desired, level, state=prm['state'], purge=prm['purge'],
                  value_update=prm['value_update'], replace_hidden=prm['replace_hidden'])


def writes(the_plan):
    """The writes a plan asks for, in a comparable form."""
    ops = []
    for entry in the_plan.deletes:
        ops.append(('DELETE', entry['id']))
    for entry in the_plan.updates:
        ops.append(('PUT', entry['id'], entry['attrs']))
    for entry in the_plan.creates:
        ops.append(('POST', entry['id'], entry['attrs']))
    for entry in the_plan.replacements:
        ops.append(('REPLACE', entry['id'], entry['attrs']))
    return ops


def ids(*pairs):
    return [{'key': key, 'environment_scope': scope} for key, scope in pairs]


def outcome(added=(), updated=(), removed=(), replaced=(), unchanged=()):
    return {'added': ids(*added), 'updated': ids(*updated), 'removed': ids(*removed),
            'replaced': ids(*replaced), 'unchanged': ids(*unchanged)}


# ---- plan: what happens ---------------------------------------------------------------------

PLAN_CASES = [
    # (id, current API items, module params, expected result, expected writes)
    ('create minimal: only given fields are sent',
     [], dict(key='FOO', value=SECRET),
     outcome(added=[('FOO', '*')]),
     [('POST', ('FOO', '*'), {'key': 'FOO', 'value': SECRET, 'environment_scope': '*'})]),
    ('create with every field',
     [], dict(key='FOO', value=SECRET, variable_type='file', protected=True, masked=True, raw=True,
              environment_scope='production', description='deploy key'),
     outcome(added=[('FOO', 'production')]),
     [('POST', ('FOO', 'production'), {'key': 'FOO', 'value': SECRET, 'variable_type': 'file', 'protected': True,
                                       'masked': True, 'raw': True, 'environment_scope': 'production',
                                       'description': 'deploy key'})]),
    ('create hidden sends masked_and_hidden and masked',
     [], dict(key='FOO', value=SECRET, hidden=True),
     outcome(added=[('FOO', '*')]),
     [('POST', ('FOO', '*'), {'key': 'FOO', 'value': SECRET, 'environment_scope': '*', 'masked_and_hidden': True, 'masked': True})]),
    ('unchanged when identical',
     [api('FOO', protected=True, description='d')], dict(key='FOO', value=SECRET, protected=True, description='d'),
     outcome(unchanged=[('FOO', '*')]), []),
    ('omitted fields of an existing variable are left as they are',
     [api('FOO', protected=True, masked=True, raw=True, variable_type='file', description='keep')],
     dict(key='FOO', value=SECRET),
     outcome(unchanged=[('FOO', '*')]), []),
    ('value changed: PUT the value only',
     [api('FOO', value=SECRET2)], dict(key='FOO', value=SECRET),
     outcome(updated=[('FOO', '*')]), [('PUT', ('FOO', '*'), {'value': SECRET})]),
    ('protected changed',
     [api('FOO')], dict(key='FOO', protected=True),
     outcome(updated=[('FOO', '*')]), [('PUT', ('FOO', '*'), {'protected': True})]),
    ('masked switched on (current value satisfies the rule)',
     [api('FOO')], dict(key='FOO', masked=True),
     outcome(updated=[('FOO', '*')]), [('PUT', ('FOO', '*'), {'masked': True})]),
    ('masked switched off',
     [api('FOO', masked=True)], dict(key='FOO', masked=False),
     outcome(updated=[('FOO', '*')]), [('PUT', ('FOO', '*'), {'masked': False})]),
    ('raw changed',
     [api('FOO')], dict(key='FOO', raw=True),
     outcome(updated=[('FOO', '*')]), [('PUT', ('FOO', '*'), {'raw': True})]),
    ('variable_type changed',
     [api('FOO')], dict(key='FOO', variable_type='file'),
     outcome(updated=[('FOO', '*')]), [('PUT', ('FOO', '*'), {'variable_type': 'file'})]),
    ('description changed',
     [api('FOO', description='old')], dict(key='FOO', description='new'),
     outcome(updated=[('FOO', '*')]), [('PUT', ('FOO', '*'), {'description': 'new'})]),
    ('empty description equals GitLab null',
     [api('FOO', description=None)], dict(key='FOO', description=''),
     outcome(unchanged=[('FOO', '*')]), []),
    ('several fields changed in one PUT, value not sent when omitted',
     [api('FOO')], dict(key='FOO', protected=True, description='x', variable_type='file'),
     outcome(updated=[('FOO', '*')]),
     [('PUT', ('FOO', '*'), {'protected': True, 'description': 'x', 'variable_type': 'file'})]),
    ('scope identity: one of three scopes changes, the others are untouched',
     [api('FOO', scope='*'), api('FOO', scope='production'), api('FOO', scope='review/*')],
     dict(key='FOO', value=SECRET2, environment_scope='production'),
     outcome(updated=[('FOO', 'production')]), [('PUT', ('FOO', 'production'), {'value': SECRET2})]),
    ('a new scope of an existing key is a create, not an update',
     [api('FOO', scope='*')], dict(key='FOO', value=SECRET, environment_scope='staging'),
     outcome(added=[('FOO', 'staging')]),
     [('POST', ('FOO', 'staging'), {'key': 'FOO', 'value': SECRET, 'environment_scope': 'staging'})]),
    ('keys are case-sensitive',
     [api('foo')], dict(key='FOO', value=SECRET),
     outcome(added=[('FOO', '*')]),
     [('POST', ('FOO', '*'), {'key': 'FOO', 'value': SECRET, 'environment_scope': '*'})]),
    ('purge removes only the unlisted variables',
     [api('A'), api('B'), api('C')], dict(purge=True, variables=[item('A', value=SECRET)]),
     outcome(removed=[('B', '*'), ('C', '*')], unchanged=[('A', '*')]),
     [('DELETE', ('B', '*')), ('DELETE', ('C', '*'))]),
    ('purge: an unknown new API field causes neither a change nor a deletion',
     [api('A', brand_new_field=True, another={'x': 1}), api('B', future_flag='on')],
     dict(purge=True, variables=[item('A', value=SECRET), item('B', value=SECRET)]),
     outcome(unchanged=[('A', '*'), ('B', '*')]), []),
    ('purge matches key and scope: the unlisted scope of a listed key is removed',
     [api('FOO', scope='*'), api('FOO', scope='production')],
     dict(purge=True, variables=[item('FOO', value=SECRET, environment_scope='production')]),
     outcome(removed=[('FOO', '*')], unchanged=[('FOO', 'production')]), [('DELETE', ('FOO', '*'))]),
    ('purge with an explicit empty list removes everything',
     [api('A'), api('B', scope='x')], dict(purge=True, variables=[]),
     outcome(removed=[('A', '*'), ('B', 'x')]), [('DELETE', ('A', '*')), ('DELETE', ('B', 'x'))]),
    ('absent removes only the listed variables',
     [api('A'), api('B')], dict(state='absent', variables=[item('A')]),
     outcome(removed=[('A', '*')]), [('DELETE', ('A', '*'))]),
    ('absent: a missing variable is fine and no change',
     [api('B')], dict(state='absent', key='A'),
     outcome(unchanged=[('A', '*')]), []),
    ('absent matches the scope exactly',
     [api('FOO', scope='*'), api('FOO', scope='production')], dict(state='absent', key='FOO', environment_scope='production'),
     outcome(removed=[('FOO', 'production')]), [('DELETE', ('FOO', 'production'))]),
    ('absent ignores the value and its masking rules',
     [api('FOO')], dict(state='absent', key='FOO', value=SHORT_SECRET, masked=True),
     outcome(removed=[('FOO', '*')]), [('DELETE', ('FOO', '*'))]),
    ('hidden, value_update=on_create: value never compared nor sent',
     [api('FOO', hidden=True)], dict(key='FOO', value=SECRET, hidden=True),
     outcome(unchanged=[('FOO', '*')]), []),
    ('hidden, value_update=always: value sent every run',
     [api('FOO', hidden=True)], dict(key='FOO', value=SECRET, hidden=True, value_update='always'),
     outcome(updated=[('FOO', '*')]), [('PUT', ('FOO', '*'), {'value': SECRET})]),
    ('hidden, value_update=always without a value: nothing to send',
     [api('FOO', hidden=True)], dict(key='FOO', protected=False, value_update='always'),
     outcome(unchanged=[('FOO', '*')]), []),
    ('hidden, on_create: other fields still update in place without the value',
     [api('FOO', hidden=True)], dict(key='FOO', value=SECRET, description='new'),
     outcome(updated=[('FOO', '*')]), [('PUT', ('FOO', '*'), {'description': 'new'})]),
    ('hidden variable with masked=true given: no change',
     [api('FOO', hidden=True)], dict(key='FOO', masked=True),
     outcome(unchanged=[('FOO', '*')]), []),
    ('value_update=always does not affect variables that are not hidden',
     [api('FOO')], dict(key='FOO', value=SECRET, value_update='always'),
     outcome(unchanged=[('FOO', '*')]), []),
    ('hide an existing variable with replace_hidden: delete and create, value kept',
     [api('FOO', value=SECRET, protected=True)], dict(key='FOO', hidden=True, replace_hidden=True),
     outcome(replaced=[('FOO', '*')]),
     [('REPLACE', ('FOO', '*'), {'key': 'FOO', 'value': SECRET, 'variable_type': 'env_var', 'protected': True, 'masked': True,
                                 'raw': False, 'environment_scope': '*', 'masked_and_hidden': True})]),
    ('unhide with replace_hidden and a value',
     [api('FOO', hidden=True, description='d')], dict(key='FOO', hidden=False, value=SECRET2, replace_hidden=True),
     outcome(replaced=[('FOO', '*')]),
     [('REPLACE', ('FOO', '*'), {'key': 'FOO', 'value': SECRET2, 'variable_type': 'env_var', 'protected': False, 'masked': True,
                                 'raw': False, 'description': 'd', 'environment_scope': '*'})]),
    ('group variables plan the same way',
     [api('A', scope='*')], dict(project=None, group='acme', variables=[item('A', value=SECRET2), item('B', value=SECRET, environment_scope='prod')]),
     outcome(added=[('B', 'prod')], updated=[('A', '*')]),
     [('PUT', ('A', '*'), {'value': SECRET2}),
      ('POST', ('B', 'prod'), {'key': 'B', 'value': SECRET, 'environment_scope': 'prod'})]),
    ('a list mixes creates, updates and unchanged items',
     [api('A'), api('B', value=SECRET2)],
     dict(variables=[item('A', value=SECRET), item('B', value=SECRET), item('C', value=SECRET)]),
     outcome(added=[('C', '*')], updated=[('B', '*')], unchanged=[('A', '*')]),
     [('PUT', ('B', '*'), {'value': SECRET}), ('POST', ('C', '*'), {'key': 'C', 'value': SECRET, 'environment_scope': '*'})]),
]


@pytest.mark.parametrize('current, prm, expected, expected_writes',
                         [case[1:] for case in PLAN_CASES], ids=[case[0] for case in PLAN_CASES])
def test_plan(current, prm, expected, expected_writes):
    the_plan = run_plan(current, **prm)
    assert v.build_result(the_plan) == expected
    assert writes(the_plan) == expected_writes
    assert the_plan.changed == bool(expected_writes)
    assert_no_secret(v.build_result(the_plan), v.build_diff(the_plan))


INSTANCE_CASES = [
    ('instance create sends no scope and no hidden',
     [], dict(key='FOO', value=SECRET, masked=True),
     {'added': [{'key': 'FOO'}], 'updated': [], 'removed': [], 'replaced': [], 'unchanged': []},
     [('POST', ('FOO', None), {'key': 'FOO', 'value': SECRET, 'masked': True})]),
    ('instance unchanged (hidden=false is accepted)',
     [instance_api('FOO')], dict(key='FOO', value=SECRET, hidden=False),
     {'added': [], 'updated': [], 'removed': [], 'replaced': [], 'unchanged': [{'key': 'FOO'}]}, []),
    ('instance update has no scope filter',
     [instance_api('FOO')], dict(key='FOO', value=SECRET2, raw=True),
     {'added': [], 'updated': [{'key': 'FOO'}], 'removed': [], 'replaced': [], 'unchanged': []},
     [('PUT', ('FOO', None), {'raw': True, 'value': SECRET2})]),
    ('instance purge',
     [instance_api('FOO'), instance_api('BAR')], dict(purge=True, variables=[item('FOO', value=SECRET)]),
     {'added': [], 'updated': [], 'removed': [{'key': 'BAR'}], 'replaced': [], 'unchanged': [{'key': 'FOO'}]},
     [('DELETE', ('BAR', None))]),
]


@pytest.mark.parametrize('current, prm, expected, expected_writes',
                         [case[1:] for case in INSTANCE_CASES], ids=[case[0] for case in INSTANCE_CASES])
def test_plan_instance(current, prm, expected, expected_writes):
    the_plan = run_plan(current, project=None, instance=True, **prm)
    assert v.build_result(the_plan) == expected
    assert writes(the_plan) == expected_writes
    diff = v.build_diff(the_plan)
    for side in diff.values():
        for view in side.values():
            assert 'hidden' not in view and 'environment_scope' not in view
    assert_no_secret(v.build_result(the_plan), diff)


# ---- plan: refused before any write ----------------------------------------------------------

PLAN_ERROR_CASES = [
    # (id, current API items, module params, substrings every one of which must be in the message)
    ('create without a value',
     [], dict(key='FOO', protected=True), ['FOO', 'value is required to create']),
    ('hide an existing variable without replace_hidden',
     [api('FOO')], dict(key='FOO', value=SECRET, hidden=True), ['FOO', 'cannot hide an existing variable', 'replace_hidden=true']),
    ('unhide a hidden variable without replace_hidden',
     [api('FOO', hidden=True)], dict(key='FOO', value=SECRET, hidden=False), ['FOO', 'cannot unhide', 'replace_hidden=true']),
    ('unhide with replace_hidden but no value',
     [api('FOO', hidden=True)], dict(key='FOO', hidden=False, replace_hidden=True), ['FOO', 'value is required to re-create']),
    ('masked=false on a hidden variable',
     [api('FOO', hidden=True)], dict(key='FOO', masked=False), ['FOO', 'always masked']),
    ('new value of an existing masked variable breaks the masking rule',
     [api('FOO', masked=True)], dict(key='FOO', value=SHORT_SECRET), ['FOO', 'at least 8 characters']),
    ('masking an existing variable whose current value cannot be masked',
     [api('FOO', value='old-plain-value-77 with spaces')], dict(key='FOO', masked=True), ['FOO', 'spaces']),
    ('raw=false on a masked variable whose value needs raw',
     [api('FOO', value='dollar$ecret99', masked=True, raw=True)], dict(key='FOO', raw=False), ['FOO', 'raw=false', 'ASCII letters']),
    ('masked new variable with raw left out uses the expanded rule',
     [], dict(key='FOO', value='dollar$ecret99', masked=True), ['FOO', 'raw=false']),
    ('every problem of a list is reported together',
     [api('B', hidden=True)],
     dict(variables=[item('A', protected=True), item('B', value=SECRET, hidden=False), item('C', value=SECRET)]),
     ['variable A ', 'variable B ', 'value is required', 'cannot unhide']),
]


@pytest.mark.parametrize('current, prm, expected', [case[1:] for case in PLAN_ERROR_CASES], ids=[case[0] for case in PLAN_ERROR_CASES])
def test_plan_errors(current, prm, expected):
    with pytest.raises(InputError) as info:
        run_plan(current, **prm)
    message = info.value.message()
    assert message.startswith('Nothing was done')
    for text in expected:
        assert text in message
    assert_no_secret(message, info.value.errors)


def test_plan_error_lists_nothing_to_write():
    """A list with one bad item yields no plan at all (nothing can be written)."""
    with pytest.raises(InputError) as info:
        run_plan([], variables=[item('A', value=SECRET), item('B')])
    assert info.value.errors == ['variable B (environment_scope *) does not exist yet, so value is required to create it']


# ---- validation before any request -------------------------------------------------------------

VALID_CASES = [
    ('key of 255 characters', dict(key='K' * 255, value=SECRET)),
    ('description of 255 characters', dict(key='FOO', value=SECRET, description='d' * 255)),
    ('masked value of exactly 8 characters', dict(key='FOO', value='Abcdefg8', masked=True)),
    ('masked raw value with any non-space character', dict(key='FOO', value='HelloWorld%#^', masked=True, raw=True)),
    ('same key in two scopes', dict(variables=[item('FOO', value=SECRET), item('FOO', value=SECRET, environment_scope='prod')])),
    ('scope with every allowed character', dict(key='FOO', value=SECRET, environment_scope='review/${CI_X}-a_b.c *')),
    ('hidden with masked=true', dict(key='FOO', value=SECRET, hidden=True, masked=True)),
    ('instance without scope', dict(project=None, instance=True, key='FOO', value=SECRET)),
    ('instance with instance=false elsewhere is the project level', dict(instance=False, key='FOO', value=SECRET)),
    ('absent with only keys', dict(state='absent', variables=[item('A'), item('B', environment_scope='x')])),
    ('purge with an empty list', dict(purge=True, variables=[])),
]


@pytest.mark.parametrize('prm', [case[1] for case in VALID_CASES], ids=[case[0] for case in VALID_CASES])
def test_valid_options(prm):
    level, owner, desired = v.prepare(params(**prm))
    assert level in ('project', 'group', 'instance')
    assert owner == (None if level == 'instance' else 'acme/app')
    for entry in desired:
        assert entry['environment_scope'] is None if level == 'instance' else entry['environment_scope']


INVALID_CASES = [
    # (id, module params, substrings every one of which must be in the message)
    ('no level', dict(project=None), ['exactly one of project, group or instance=true']),
    ('instance=false alone is no level', dict(project=None, instance=False), ['exactly one of project, group or instance=true']),
    ('project and instance', dict(instance=True), ['exactly one of', 'project, instance']),
    ('key together with variables', dict(key='FOO', variables=[item('BAR', value=SECRET)]), ['key and variables are mutually exclusive']),
    ('single-variable options together with variables',
     dict(value=SECRET, masked=True, variables=[item('BAR', value=SECRET)]), ['value, masked cannot be used together with variables']),
    ('neither key nor variables', dict(), ['one of key or variables is required']),
    ('purge without a list', dict(purge=True), ['purge needs the complete list']),
    ('purge with state=absent', dict(purge=True, state='absent', key='FOO'), ['purge cannot be used with state=absent']),
    ('key with a dash', dict(key='MY-KEY', value=SECRET), ['MY-KEY', "only ASCII letters, digits and '_'"]),
    ('key with a non-ASCII letter', dict(key='KÉY', value=SECRET), ["only ASCII letters, digits and '_'"]),
    ('key of 256 characters', dict(key='K' * 256, value=SECRET), ['longer than 255']),
    ('empty key', dict(key='', value=SECRET), ['key is required']),
    ('scope with a forbidden character', dict(key='FOO', value=SECRET, environment_scope='prod!'), ['FOO', 'environment_scope may contain only']),
    ('scope with leading whitespace', dict(key='FOO', value=SECRET, environment_scope=' prod'), ['cannot start or end with whitespace']),
    ('empty scope', dict(key='FOO', value=SECRET, environment_scope=''), ['environment_scope must be a non-empty string']),
    ('description of 256 characters', dict(key='FOO', value=SECRET, description='d' * 256), ['FOO', 'description is longer than 255']),
    ('hidden with masked=false', dict(key='FOO', value=SECRET, hidden=True, masked=False), ['FOO', 'hidden=true needs masked=true']),
    ('instance with environment_scope', dict(project=None, instance=True, key='FOO', value=SECRET, environment_scope='*'),
     ['FOO', 'environment_scope is not supported for instance variables']),
    ('instance with hidden', dict(project=None, instance=True, key='FOO', value=SECRET, hidden=True),
     ['FOO', 'hidden is not supported for instance variables']),
    ('instance value over 10000 characters', dict(project=None, instance=True, key='FOO', value='v' * 10001), ['longer than 10000']),
    ('duplicate key and scope in the list',
     dict(variables=[item('FOO', value=SECRET), item('FOO', value=SECRET2, environment_scope='*')]),
     ['variables[0] and variables[1]', 'FOO', 'listed twice']),
    ('masked value of 7 characters', dict(key='FOO', value=SHORT_SECRET, masked=True), ['FOO', 'at least 8 characters']),
    ('masked value with a trailing newline', dict(key='FOO', value='line\nbreak99', masked=True, raw=True), ['line breaks']),
    ('masked expanded value with $', dict(key='FOO', value='dollar$ecret99', masked=True, raw=False), ['raw=false', 'raw=true allows']),
    ('hidden implies the masking rules', dict(key='FOO', value=SHORT_SECRET, hidden=True), ['at least 8 characters']),
    ('one bad item among several names the item',
     dict(variables=[item('GOOD', value=SECRET), item('BAD', value=SHORT_SECRET, masked=True), item('ALSO_GOOD', value=SECRET2)]),
     ['variables[1], variable BAD (environment_scope *)', 'at least 8']),
    ('every problem at once',
     dict(project=None, variables=[item('A-1', value=SHORT_SECRET, masked=True), item('B', description='x' * 300)]),
     ['exactly one of', 'variables[0]', 'A-1', 'at least 8', 'variables[1]', 'description is longer']),
]


@pytest.mark.parametrize('prm, expected', [case[1:] for case in INVALID_CASES], ids=[case[0] for case in INVALID_CASES])
def test_invalid_options(prm, expected):
    with pytest.raises(InputError) as info:
        v.prepare(params(**prm))
    message = info.value.message()
    for text in expected:
        assert text in message
    assert_no_secret(message, info.value.errors)


# ---- typed values and malformed items ---------------------------------------------------------------

TYPED_VALUES = [
    (True, 'a boolean'),      # value: true / yes / on
    (False, 'a boolean'),     # value: no
    (1.1, 'a float'),         # value: 1.10
    (493, 'an integer'),      # value: 0755
    (1, 'an integer'),
    (['a'], 'a list'),
    ({'a': 'b'}, 'a dictionary'),
]


@pytest.mark.parametrize('bad, what', TYPED_VALUES)
def test_a_typed_value_is_refused_naming_the_key_and_saying_to_quote_it(bad, what):
    for prm in (params(key='VERSION', value=bad), params(variables=[item('VERSION', value=bad)])):
        with pytest.raises(InputError) as info:
            v.prepare(prm)
        message = info.value.message()
        assert 'VERSION' in message and 'quote the value' in message and 'YAML read it as %s' % what in message, message


MALFORMED_ITEMS = [
    (['KEY=value'], ['variables[0] must be a dictionary', 'got a string', 'NAME=VALUE string is not supported']),
    ([42], ['variables[0] must be a dictionary', 'got an integer']),
    ([None], ['variables[0] must be a dictionary', 'got null']),
    ([['KEY', 'value']], ['variables[0] must be a dictionary', 'got a list']),
    ([{'key': 'A', 'value': SECRET}, {'value': SECRET}], ['variables[1]: key is required']),
    ([{'key': 'A', 'valu': SECRET}], ['variables[0] (key A): unknown field(s) valu', 'the fields of a variable are key, value']),
    ([{'key': 'A', 'value': SECRET, 'protected': 'maybe'}], ['variables[0], variable A (environment_scope *): protected must be a boolean']),
    ('KEY=value', ['variables must be a list of dictionaries', 'got a string']),
]


@pytest.mark.parametrize('items, expected', MALFORMED_ITEMS)
def test_malformed_items_get_a_message_naming_the_item(items, expected):
    with pytest.raises(InputError) as info:
        v.prepare(params(variables=items))
    message = info.value.message()
    for text in expected:
        assert text in message, message
    assert "<class" not in message and 'Traceback' not in message
    assert_no_secret(message, info.value.errors)


def test_list_items_take_ansible_boolean_spellings_and_numbers_as_text():
    level, owner, desired = v.prepare(params(variables=[
        {'key': 'A', 'value': SECRET, 'protected': 'yes', 'masked': 'no', 'raw': 1, 'description': 42}]))
    entry = desired[0]
    assert (entry['protected'], entry['masked'], entry['raw'], entry['description']) == (True, False, True, '42')


def test_value_secrets_covers_top_level_and_items_in_text_form():
    prm = params(key='A', value=SECRET, variables=[{'key': 'B', 'value': SECRET2}, {'key': 'C', 'value': 1.1}, 'K=junk', {'key': 'D'},
                                                   {'key': 'E', 'valeu': 'misspelt-1'}, {'key': 'F', 'protected': True}])
    assert v.value_secrets(prm) == [SECRET, SECRET2, '1.1', 'K=junk', 'misspelt-1']
    assert v.value_secrets(params(variables='K=v')) == ['K=v']


ITEM_TYPE_CASES = [
    # Types are enforced by the argument spec; the pure code checks them too for other callers.
    ('protected', 'yes', 'protected must be a boolean'),
    ('variable_type', 'json', 'variable_type must be one of env_var, file'),
    ('value', 12345678, 'value must be a string'),
    ('description', 42, 'description must be a string'),
]


@pytest.mark.parametrize('field, bad, expected', ITEM_TYPE_CASES, ids=[case[0] for case in ITEM_TYPE_CASES])
def test_item_types(field, bad, expected):
    entry = item('FOO', value=SECRET)
    entry[field] = bad
    entry['environment_scope'] = '*'
    entry['_where'] = None
    errors = v.validate([entry], 'project')
    assert any(expected in error for error in errors)
    assert_no_secret(errors)


# ---- GitLab's masking rules (app/models/concerns/ci/maskable.rb; examples from spec/models/concerns/ci/maskable_spec.rb) ----

MASK_CASES = [
    # (value, raw, accepted by GitLab)
    ('abcdefgh', False, True),
    ('abcdefg', False, False),
    ('abcdefg', True, False),
    ('abcdefgh', True, True),
    ('Hello+World_123/@:-~.', False, True),
    ('Hello+World_123/@:-~.', True, True),
    ('HelloWorld%#^', False, False),
    ('HelloWorld%#^', True, True),
    ('hello\\rworld', False, False),  # a literal backslash
    ('hello\\rworld', True, True),
    ('abcdefgh\n', False, False),
    ('abcdefgh\n', True, False),
    ('abcd efgh', True, False),
    ('abcd\tefgh', True, False),
    ('multi\nline\nvalue', True, False),
    ('ünïcödé12', False, False),
    ('ünïcödé12', True, True),
    ('abc\u00a0defgh', True, True),  # Ruby's \s is ASCII only: NBSP is not whitespace for GitLab
]


@pytest.mark.parametrize('value, raw, accepted', MASK_CASES, ids=['%r raw=%s' % (case[0], case[1]) for case in MASK_CASES])
def test_mask_rules(value, raw, accepted):
    problems = v.mask_problems(value, raw)
    assert (problems == []) is accepted
    regex = v.MASK_RAW_RE if raw else v.MASK_EXPANDED_RE
    assert bool(regex.fullmatch(value)) is accepted  # the reasons are exactly GitLab's regexes
    assert_no_secret(problems)
    for problem in problems:
        assert value not in problem


def test_mask_rules_with_raw_unknown_check_only_the_common_rules():
    assert v.mask_problems('HelloWorld%#^', None) == []
    assert v.mask_problems('short', None) == ['a masked value must be at least 8 characters long']


# ---- normalize ----------------------------------------------------------------------------------

def test_normalize_current_keeps_only_managed_fields():
    current = v.normalize_current([api('FOO', scope='prod', new_field='x', id=7)], 'project')
    assert current == {('FOO', 'prod'): {'key': 'FOO', 'environment_scope': 'prod', 'value': SECRET, 'hidden': False,
                                         'variable_type': 'env_var', 'protected': False, 'masked': False, 'raw': False,
                                         'description': None}}


def test_normalize_current_fills_fields_older_gitlab_does_not_send():
    current = v.normalize_current([{'key': 'FOO', 'value': 'x'}], 'project')
    assert current[('FOO', '*')]['hidden'] is False
    assert current[('FOO', '*')]['raw'] is False
    assert current[('FOO', '*')]['variable_type'] == 'env_var'


def test_normalize_current_instance_has_no_scope():
    current = v.normalize_current([instance_api('FOO')], 'instance')
    assert list(current) == [('FOO', None)]
    assert current[('FOO', None)]['hidden'] is False


def test_normalize_desired_defaults_scope_only_below_instance():
    desired = v.normalize_desired(params(key='FOO', value=SECRET), 'project')
    assert desired[0]['environment_scope'] == '*'
    desired = v.normalize_desired(params(key='FOO', value=SECRET), 'instance')
    assert desired[0]['environment_scope'] is None


# ---- diff ----------------------------------------------------------------------------------------

def test_diff_redacts_every_value_and_marks_changes():
    the_plan = run_plan([api('A', value=SECRET2), api('B'), api('H', hidden=True), api('OLD')],
                        purge=True, value_update='always',
                        variables=[item('A', value=SECRET), item('B', value=SECRET, protected=True),
                                   item('H', value=SECRET), item('NEW', value=SECRET, masked=True)])
    diff = v.build_diff(the_plan)
    assert_no_secret(diff)
    before, after = diff['before'], diff['after']
    assert before['A']['*']['value'] == v.REDACTED and after['A']['*']['value'] == v.REDACTED_CHANGED
    assert before['B']['*']['value'] == v.REDACTED and after['B']['*']['value'] == v.REDACTED
    assert (before['B']['*']['protected'], after['B']['*']['protected']) == (False, True)
    assert before['H']['*']['value'] == v.HIDDEN and after['H']['*']['value'] == v.HIDDEN_WRITTEN
    assert 'NEW' not in before and after['NEW']['*']['value'] == v.REDACTED and after['NEW']['*']['masked'] is True
    assert 'OLD' in before and 'OLD' not in after
    assert list(after) == sorted(after)


def test_diff_covers_only_touched_variables_per_scope():
    the_plan = run_plan([api('FOO', scope='*'), api('FOO', scope='prod')], key='FOO', environment_scope='prod', protected=True)
    diff = v.build_diff(the_plan)
    assert list(diff['before']['FOO']) == ['prod'] and list(diff['after']['FOO']) == ['prod']


def test_diff_of_a_replacement_shows_hidden_change():
    the_plan = run_plan([api('FOO')], key='FOO', hidden=True, replace_hidden=True)
    diff = v.build_diff(the_plan)
    assert diff['before']['FOO']['*']['hidden'] is False
    assert diff['after']['FOO']['*']['hidden'] is True
    assert diff['after']['FOO']['*']['value'] == v.HIDDEN_WRITTEN
    assert_no_secret(diff)


def test_unchanged_plan_has_empty_diff():
    diff = v.build_diff(run_plan([api('FOO')], key='FOO', value=SECRET))
    assert diff == {'before': {}, 'after': {}}


# ---- races and GitLab's answers -----------------------------------------------------------------

def test_is_key_taken():
    assert v.is_key_taken({'key': ['(FOO) has already been taken']})
    assert not v.is_key_taken({'value': ['is invalid']})
    assert not v.is_key_taken({})
    assert not v.is_key_taken(None)


def test_plan_after_taken_converges_to_update_or_unchanged():
    desired = v.normalize_desired(params(key='FOO', value=SECRET, protected=True), 'project')[0]
    same = v.normalize_current([api('FOO', protected=True)], 'project')
    assert v.plan_after_taken(same, desired, 'project')[0] == 'unchanged'
    other = v.normalize_current([api('FOO', value=SECRET2)], 'project')
    kind, entry = v.plan_after_taken(other, desired, 'project')
    assert kind == 'updates' and entry['attrs'] == {'protected': True, 'value': SECRET}


def test_plan_after_taken_on_a_dropped_group_scope_manages_the_variable_under_star():
    """GitLab Free stored (and then refused) the create under '*', where FOO already is: the module
    manages FOO (environment_scope *) and says so, instead of failing on every run after the first."""
    desired = v.normalize_desired(params(project=None, group='acme', key='FOO', value=SECRET, environment_scope='prod'), 'group')[0]
    current = v.normalize_current([api('FOO', scope='*')], 'group')
    kind, entry = v.plan_after_taken(current, desired, 'group')
    assert (kind, entry['id']) == ('unchanged', ('FOO', '*'))
    assert "environment_scope '*' instead of 'prod'" in entry['warning'] and 'FOO' in entry['warning']
    assert_no_secret(entry['warning'])
    current = v.normalize_current([api('FOO', scope='*', value=SECRET2)], 'group')
    kind, entry = v.plan_after_taken(current, desired, 'group')
    assert (kind, entry['id'], entry['fields']) == ('updates', ('FOO', '*'), ['value'])
    assert entry['attrs'] == {'value': SECRET}


def test_plan_after_taken_still_fails_when_the_key_is_nowhere():
    desired = v.normalize_desired(params(project=None, group='acme', key='FOO', value=SECRET, environment_scope='prod'), 'group')[0]
    current = v.normalize_current([api('BAR', scope='*')], 'group')
    with pytest.raises(InputError) as info:
        v.plan_after_taken(current, desired, 'group')
    assert "environment_scope '*'" in str(info.value) and 'FOO' in str(info.value)
    assert_no_secret(str(info.value))


# ---- GitLab Free: a purge never deletes and re-creates a group variable on every run ----------------

FREE_ROWS = [
    # (current, desired items, held, deletes, creates)
    ([api('K', scope='*')], [dict(key='K', value=SECRET, environment_scope='production')],
     [('K', '*')], [], [('K', 'production')]),
    # the listed scope exists (GitLab with scopes): the one under '*' is purged as usual
    ([api('K', scope='*'), api('K', scope='production')], [dict(key='K', value=SECRET, environment_scope='production')],
     [], [('K', '*')], []),
    # '*' itself is listed: nothing to hold, nothing to delete
    ([api('K', scope='*')], [dict(key='K', value=SECRET, environment_scope='production'), dict(key='K', value=SECRET)],
     [], [], [('K', 'production')]),
    # another key under '*' is purged
    ([api('K', scope='*'), api('OTHER', scope='*')], [dict(key='K', value=SECRET, environment_scope='production')],
     [('K', '*')], [('OTHER', '*')], [('K', 'production')]),
    # two scopes asked for the same key: '*' is held once
    ([api('K', scope='*')], [dict(key='K', value=SECRET, environment_scope='production'),
                             dict(key='K', value=SECRET, environment_scope='staging')],
     [('K', '*')], [], [('K', 'production'), ('K', 'staging')]),
]


@pytest.mark.parametrize('current, items, held, deletes, creates', FREE_ROWS)
def test_group_purge_holds_the_star_variable_a_scoped_create_may_land_on(current, items, held, deletes, creates):
    prm = params(project=None, group='acme', variables=[item(**i) for i in items], purge=True)
    level, owner, desired = v.prepare(prm)
    result = v.plan(v.normalize_current(current, 'group'), desired, level, purge=True)
    assert [e['id'] for e in result.held] == held
    assert [e['id'] for e in result.deletes] == deletes
    assert [e['id'] for e in result.creates] == creates
    assert len(result.warnings) == len(held)
    for warning in result.warnings:
        assert 'GitLab Free' in warning and "environment_scope '*'" in warning
        assert_no_secret(warning)


def test_project_purge_holds_nothing():
    prm = params(variables=[item('K', value=SECRET, environment_scope='production')], purge=True)
    level, owner, desired = v.prepare(prm)
    result = v.plan(v.normalize_current([api('K', scope='*')], 'project'), desired, level, purge=True)
    assert result.held == [] and [e['id'] for e in result.deletes] == [('K', '*')]


def test_free_group_purge_second_run_neither_deletes_nor_creates():
    """Run 1 asked for (K, production); GitLab Free stored (K, *). Run 2 with purge: the plan keeps
    (K, *), the create meets "taken", and re-planning manages (K, *): nothing deleted, nothing new."""
    prm = params(project=None, group='acme', variables=[item('K', value=SECRET, environment_scope='production')], purge=True)
    level, owner, desired = v.prepare(prm)
    current = v.normalize_current([api('K', scope='*')], 'group')
    result = v.plan(current, desired, level, purge=True)
    assert result.deletes == []
    kind, entry = v.plan_after_taken(current, desired[0], level)
    assert (kind, entry['id']) == ('unchanged', ('K', '*'))


def test_scope_warning_names_the_key_not_the_value():
    warning = v.scope_warning('group', ('FOO', 'prod'), api('FOO', scope='*'))
    assert 'FOO' in warning and "'prod'" in warning and 'Premium' in warning
    assert_no_secret(warning)
    assert v.scope_warning('group', ('FOO', 'prod'), api('FOO', scope='prod')) is None
    assert v.scope_warning('instance', ('FOO', None), instance_api('FOO')) is None
    assert v.scope_warning('project', ('FOO', '*'), None) is None


def test_hidden_warning_on_old_gitlab():
    assert 'FOO' in v.hidden_warning('project', ('FOO', '*'), True, api('FOO', hidden=False))
    assert v.hidden_warning('project', ('FOO', '*'), True, api('FOO', hidden=True)) is None
    assert v.hidden_warning('project', ('FOO', '*'), False, api('FOO')) is None


def test_plan_move_refiles_an_entry():
    the_plan = run_plan([], key='FOO', value=SECRET)
    the_plan.move(('FOO', '*'), 'unchanged', {'id': ('FOO', '*')})
    assert not the_plan.changed
    assert v.build_result(the_plan)['unchanged'] == ids(('FOO', '*'))


def test_update_keeps_the_full_after_state_for_a_create_fallback():
    """An update that meets 404 re-creates from ``after``: it carries the current value too."""
    the_plan = run_plan([api('FOO', value=SECRET2, protected=True)], key='FOO', description='x')
    entry = the_plan.updates[0]
    attrs = v.create_attrs(entry['after'], 'project')
    assert attrs == {'key': 'FOO', 'value': SECRET2, 'variable_type': 'env_var', 'protected': True, 'masked': False,
                     'raw': False, 'description': 'x', 'environment_scope': '*'}


@pytest.mark.parametrize('owner, expected', [
    (dict(project='acme/../other'), 'project "acme/../other" has a "." or ".." segment'),
    (dict(project='/acme/app'), 'cannot start or end with "/"'),
    (dict(project=None, group='acme//platform'), 'group "acme//platform" has an empty segment'),
    (dict(project=None, group='acme\n'), 'group contains a control character'),
])
def test_owner_paths_are_checked_before_any_request(owner, expected):
    with pytest.raises(InputError) as info:
        v.prepare(params(key='A', value=SECRET, **owner))
    assert expected in info.value.message()


def test_numeric_and_nested_owners_pass():
    assert v.resolve_level(params(project='42')) == ('project', '42')
    assert v.resolve_level(params(project=None, group='acme/sub.group')) == ('group', 'acme/sub.group')
