"""Table-driven tests of the pure pipeline trigger token logic (plugins/module_utils/_triggers.py).

Rows cover: matching (none, one, several, by id), every plan action and its diff, token
detection (full glptt-, legacy, 4-character short, missing), the shape of the returned trigger,
validation messages, expiry handling, and that no message, warning or diff ever holds a token.
"""

import datetime
import json

import pytest

from ansible_collections.cicd.gitlab.plugins.module_utils import _triggers as t
from ansible_collections.cicd.gitlab.plugins.module_utils._errors import InputError

NOW = datetime.datetime(2026, 11, 24, 12, 0, 0, tzinfo=datetime.timezone.utc)

OWN_TOKEN = 'glptt-' + '0123456789abcdef' * 2 + '01234567'          # 40 hex after the prefix
OTHER_TOKEN = 'glptt-' + 'fedcba9876543210' * 2 + 'fedcba98'
LEGACY_TOKEN = '6d056f63e50fe6f8c5f8f4aa10edb7'                    # 30 hex, no prefix
SHORT = OTHER_TOKEN[len('glptt-'):][:4]                               # what non-owners see
TOKENS = (OWN_TOKEN, OTHER_TOKEN, LEGACY_TOKEN, OWN_TOKEN[6:], OTHER_TOKEN[6:])
PROJECT = 'acme/app'


def api(trigger_id, description, token=OWN_TOKEN, owner='alice', expires_at=None):
    """A trigger as GitLab's list answers it (`lib/api/entities/trigger.rb`; https://docs.gitlab.com/api/pipeline_triggers/)."""
    return {
        'id': trigger_id, 'token': token, 'description': description,
        'created_at': '2026-01-01T10:00:00.000Z', 'updated_at': '2026-01-02T10:00:00.000Z',
        'last_used': None, 'expires_at': expires_at,
        'owner': {'id': 7, 'username': owner, 'name': owner.title(), 'state': 'active'} if owner else None,
    }


def params(**kwargs):
    """Module params as AnsibleModule hands them over (unset options are None)."""
    result = dict(project=PROJECT, description=None, trigger_id=None, state='present', rotate=False, expires_at=None)
    result.update(kwargs)
    return result


def wanted(**kwargs):
    return t.validate(params(**kwargs), now=NOW)


def assert_no_token(*texts):
    blob = json.dumps(texts, default=str)
    for token in TOKENS:
        assert token not in blob


TRIGGERS = [
    api(1, 'deploy'),
    api(2, 'nightly', token=SHORT, owner='bob'),
    api(3, 'dup'),
    api(4, 'dup', token=SHORT, owner='bob'),
    api(5, 'legacy', token=LEGACY_TOKEN, owner=None),
    api(6, 'expiring', expires_at='2027-01-31T00:00:00.000Z'),
]


# ---- matching -----------------------------------------------------------------------------

@pytest.mark.parametrize('description, trigger_id, ids', [
    ('missing', None, []),
    ('deploy', None, [1]),
    ('dup', None, [3, 4]),
    ('Deploy', None, []),                 # exact match only
    (None, 4, [4]),
    ('other text', 4, [4]),               # with trigger_id the description is not a filter
    (None, 99, []),
    ('deploy', '1', [1]),                 # ids compare as numbers
])
def test_find_matches(description, trigger_id, ids):
    assert [item['id'] for item in t.find_matches(TRIGGERS, description, trigger_id)] == ids


def test_find_matches_in_a_long_list():
    many = [api(number, 'trigger %d' % number) for number in range(1, 131)]
    assert [item['id'] for item in t.find_matches(many, 'trigger 125')] == [125]


# ---- plan ---------------------------------------------------------------------------------

@pytest.mark.parametrize('options, action, current_id, before, after', [
    # present by description
    (dict(description='new one'), 'create', None, {},
     {'id': None, 'description': 'new one', 'expires_at': None}),
    (dict(description='new one', expires_at='2027-03-01'), 'create', None, {},
     {'id': None, 'description': 'new one', 'expires_at': '2027-03-01T00:00:00Z'}),
    (dict(description='deploy'), 'none', 1,
     {'id': 1, 'description': 'deploy', 'expires_at': None}, {'id': 1, 'description': 'deploy', 'expires_at': None}),
    (dict(description='deploy', rotate=True), 'rotate', 1,
     {'id': 1, 'description': 'deploy', 'expires_at': None}, {'id': None, 'description': 'deploy', 'expires_at': None}),
    (dict(description='nightly', rotate=True, expires_at='2027-02-01T08:00:00+01:00'), 'rotate', 2,
     {'id': 2, 'description': 'nightly', 'expires_at': None},
     {'id': None, 'description': 'nightly', 'expires_at': '2027-02-01T07:00:00Z'}),
    (dict(description='brand new', rotate=True), 'create', None, {},
     {'id': None, 'description': 'brand new', 'expires_at': None}),
    # present by trigger_id
    (dict(trigger_id=1), 'none', 1,
     {'id': 1, 'description': 'deploy', 'expires_at': None}, {'id': 1, 'description': 'deploy', 'expires_at': None}),
    (dict(trigger_id=1, description='deploy v2'), 'update_description', 1,
     {'id': 1, 'description': 'deploy', 'expires_at': None}, {'id': 1, 'description': 'deploy v2', 'expires_at': None}),
    (dict(trigger_id=3, description='dup'), 'none', 3,
     {'id': 3, 'description': 'dup', 'expires_at': None}, {'id': 3, 'description': 'dup', 'expires_at': None}),
    (dict(trigger_id=4, rotate=True), 'rotate', 4,
     {'id': 4, 'description': 'dup', 'expires_at': None}, {'id': None, 'description': 'dup', 'expires_at': None}),
    (dict(trigger_id=4, description='renamed', rotate=True), 'rotate', 4,
     {'id': 4, 'description': 'dup', 'expires_at': None}, {'id': None, 'description': 'renamed', 'expires_at': None}),
    # absent
    (dict(description='deploy', state='absent'), 'delete', 1,
     {'id': 1, 'description': 'deploy', 'expires_at': None}, {}),
    (dict(description='missing', state='absent'), 'none', None, {}, {}),
    (dict(trigger_id=4, state='absent'), 'delete', 4, {'id': 4, 'description': 'dup', 'expires_at': None}, {}),
    (dict(trigger_id=4, description='dup', state='absent'), 'delete', 4,
     {'id': 4, 'description': 'dup', 'expires_at': None}, {}),
    (dict(trigger_id=99, state='absent'), 'none', None, {}, {}),
])
def test_plan_actions(options, action, current_id, before, after):
    the_plan = t.plan(TRIGGERS, wanted(**options))
    assert the_plan.action == action
    assert the_plan.changed is (action != 'none')
    assert (the_plan.current or {}).get('id') == current_id
    diff = t.build_diff(the_plan)
    assert diff == {'before': before, 'after': after}
    assert_no_token(diff, the_plan.warnings)


@pytest.mark.parametrize('options, expected', [
    (dict(description='dup'), "2 triggers in project acme/app have the description 'dup' (ids 3, 4); set trigger_id to pick one"),
    (dict(description='dup', state='absent'), "2 triggers in project acme/app have the description 'dup' (ids 3, 4)"),
    (dict(description='dup', rotate=True), "(ids 3, 4); set trigger_id to pick one"),
    (dict(trigger_id=99), 'trigger 99 not found in project acme/app'),
    (dict(trigger_id=99, description='x', rotate=True), 'trigger 99 not found in project acme/app'),
    (dict(trigger_id=4, description='deploy', state='absent'), "trigger 4 has the description 'dup', not 'deploy'"),
])
def test_plan_refuses(options, expected):
    with pytest.raises(InputError) as info:
        t.plan(TRIGGERS, wanted(**options))
    assert expected in info.value.message()
    assert info.value.message().startswith('Nothing was done; ')
    assert_no_token(info.value.message(), info.value.errors)


def test_plan_sees_every_page():
    """The duplicate sits far beyond GitLab's default page of 20."""
    many = [api(number, 'trigger %d' % number) for number in range(1, 60)] + [api(60, 'trigger 3')]
    with pytest.raises(InputError) as info:
        t.plan(many, wanted(description='trigger 3'))
    assert '(ids 3, 60)' in str(info.value)


@pytest.mark.parametrize('current_expiry, requested, warned', [
    (None, None, False),
    ('2027-01-31T00:00:00.000Z', '2027-01-31', False),
    ('2027-01-31T01:00:00.000+01:00', '2027-01-31T00:00:00Z', False),
    ('2027-01-31T00:00:00.000Z', '2027-02-28', True),
    (None, '2027-02-28', True),            # existing trigger without expiry (or GitLab without support)
])
def test_existing_expiry_is_not_changed_in_place(current_expiry, requested, warned):
    triggers = [api(6, 'expiring', expires_at=current_expiry)]
    the_plan = t.plan(triggers, wanted(description='expiring', expires_at=requested))
    assert the_plan.action == 'none'
    assert bool(the_plan.warnings) is warned
    if warned:
        assert 'cannot change the expiry of an existing trigger' in the_plan.warnings[0]
        assert 'rotate=true' in the_plan.warnings[0]


def test_rotate_applies_expiry_without_warning():
    the_plan = t.plan(TRIGGERS, wanted(description='expiring', rotate=True, expires_at='2027-05-01'))
    assert (the_plan.action, the_plan.expires_at, the_plan.warnings) == ('rotate', '2027-05-01T00:00:00Z', [])


def test_foreign_trigger_is_flagged_for_a_description_change():
    own = t.plan(TRIGGERS, wanted(trigger_id=1, description='x'))
    foreign = t.plan(TRIGGERS, wanted(trigger_id=4, description='x'))
    legacy = t.plan(TRIGGERS, wanted(trigger_id=5, description='x'))
    assert (own.foreign, foreign.foreign, legacy.foreign) == (False, True, False)
    warning = t.not_owner_warning(foreign)
    assert 'trigger 4 (owned by bob)' in warning and 'rotate=true' in warning
    assert_no_token(warning)


# ---- tokens -------------------------------------------------------------------------------

@pytest.mark.parametrize('token, kind, expected', [
    (OWN_TOKEN, 'full', (OWN_TOKEN, True)),
    (LEGACY_TOKEN, 'legacy', (LEGACY_TOKEN, True)),
    ('a' * 20, 'legacy', ('a' * 20, True)),
    (SHORT, 'truncated', (None, False)),
    ('6d05', 'truncated', (None, False)),
    ('glptt-', 'truncated', (None, False)),
    ('abc', 'truncated', (None, False)),
    ('acme-glptt-' + 'ab' * 20, 'other', ('acme-glptt-' + 'ab' * 20, True)),   # instance token prefix
    (None, 'missing', (None, False)),
    ('', 'missing', (None, False)),
])
def test_token_detection(token, kind, expected):
    assert t.token_kind(token) == kind
    assert t.token_info({'id': 1, 'token': token}) == expected


def test_token_info_without_token_key_or_trigger():
    assert t.token_info({'id': 1}) == (None, False)
    assert t.token_info(None) == (None, False)


# ---- views and result ---------------------------------------------------------------------

def test_public_trigger_shape():
    view = t.public_trigger(api(6, 'expiring', expires_at='2027-01-31T00:00:00.000Z'))
    assert view == {'id': 6, 'description': 'expiring', 'owner': 'alice', 'created_at': '2026-01-01T10:00:00.000Z',
                    'updated_at': '2026-01-02T10:00:00.000Z', 'last_used': None, 'expires_at': '2027-01-31T00:00:00.000Z'}
    assert 'token' not in view
    assert t.public_trigger(api(5, 'legacy', owner=None))['owner'] is None
    assert t.public_trigger(None) is None


def _created(trigger_id, description, expires_at=None):
    return api(trigger_id, description, token=OWN_TOKEN, owner='alice', expires_at=expires_at)


@pytest.mark.parametrize('options, answer, token, trigger_id', [
    (dict(description='new one'), _created(10, 'new one'), OWN_TOKEN, 10),          # create
    (dict(description='new one'), None, None, None),                                  # create, check mode
    (dict(description='nightly', rotate=True), _created(11, 'nightly'), OWN_TOKEN, 11),   # rotate a foreign one
    (dict(description='nightly', rotate=True), None, None, None),                     # rotate, check mode
    (dict(description='deploy'), None, OWN_TOKEN, 1),                                 # none, own trigger
    (dict(description='nightly'), None, None, 2),                                     # none, foreign: 4 chars
    (dict(trigger_id=5), None, LEGACY_TOKEN, 5),                                      # legacy ownerless, full
    (dict(trigger_id=1, description='v2'), dict(api(1, 'v2')), OWN_TOKEN, 1),         # update
    (dict(trigger_id=1, description='v2'), None, OWN_TOKEN, 1),                       # update, check mode
    (dict(description='deploy', state='absent'), None, None, 1),                      # delete: no token
])
def test_build_result(options, answer, token, trigger_id):
    the_plan = t.plan(TRIGGERS, wanted(**options))
    result = t.build_result(the_plan, answer)
    assert result['token_available'] is (token is not None)
    assert result.get('token') == token
    assert ('token' in result) is (token is not None)
    assert result['trigger']['id'] == trigger_id
    assert 'token' not in result['trigger']
    assert result['changed'] is the_plan.changed
    if options.get('description') and options.get('state') != 'absent':
        assert result['trigger']['description'] == options['description']
    assert_no_token(t.build_diff(the_plan, answer))


def test_build_result_absent_and_nothing_matched():
    result = t.build_result(t.plan(TRIGGERS, wanted(description='missing', state='absent')))
    assert result == {'changed': False, 'trigger': None, 'token_available': False}


def test_diff_after_uses_the_new_id():
    the_plan = t.plan(TRIGGERS, wanted(description='deploy', rotate=True))
    assert t.build_diff(the_plan, _created(12, 'deploy'))['after'] == {'id': 12, 'description': 'deploy', 'expires_at': None}


# ---- validation ---------------------------------------------------------------------------

@pytest.mark.parametrize('options, expected', [
    (dict(project=''), 'project must be a numeric id or a full path'),
    (dict(project='  ', description='x'), 'project must be a numeric id or a full path'),
    (dict(project=None, description='x'), 'project must be a numeric id or a full path'),
    (dict(description=''), 'description must not be empty or only whitespace'),
    (dict(description='   \t'), 'description must not be empty or only whitespace'),
    (dict(), 'give description (to find or create a trigger by its description) or trigger_id'),
    (dict(state='absent'), 'give description'),
    (dict(trigger_id=0), 'trigger_id must be a positive number, got 0'),
    (dict(trigger_id=-3), 'trigger_id must be a positive number, got -3'),
    (dict(description='x', state='absent', rotate=True), 'rotate=true cannot be used with state=absent'),
    (dict(description='x', state='absent', expires_at='2027-01-01'), 'expires_at cannot be used with state=absent'),
    (dict(description='x', expires_at='tomorrow'), "expires_at must be an ISO 8601 date such as 2027-01-31"),
    (dict(description='x', expires_at='2027-02-30'), "got '2027-02-30'"),
    (dict(description='x', expires_at='2027-13-01'), "got '2027-13-01'"),
    (dict(description='x', expires_at='31/01/2027'), "got '31/01/2027'"),
    (dict(description='x', expires_at='2027-01-01T25:00:00Z'), 'expires_at must be an ISO 8601 date'),
    (dict(description='x', expires_at='2027-01-01T10:00:00+25:00'), 'expires_at must be an ISO 8601 date'),
    (dict(description='x', expires_at='2026-11-23'), 'expires_at 2026-11-23T00:00:00Z is in the past (it is now 2026-11-24T12:00:00Z)'),
    (dict(description='x', expires_at='2026-11-24'), 'is in the past'),
    (dict(description='x', expires_at='2026-11-24T12:00:00Z'), 'is in the past'),
])
def test_validation_messages(options, expected):
    with pytest.raises(InputError) as info:
        t.validate(params(**options), now=NOW)
    assert expected in info.value.message()
    assert info.value.message().startswith('Nothing was done; ')


def test_validation_reports_every_problem_at_once():
    with pytest.raises(InputError) as info:
        t.validate(params(project='', description=' ', state='absent', rotate=True, expires_at='nope'), now=NOW)
    assert len(info.value.errors) == 5   # expires_at is both misplaced and not a date


@pytest.mark.parametrize('text, sent', [
    ('2027-01-31', '2027-01-31T00:00:00Z'),
    ('2027-01-31T12:30', '2027-01-31T12:30:00Z'),
    ('2027-01-31T12:30:45Z', '2027-01-31T12:30:45Z'),
    ('2027-01-31 12:30:45.123456Z', '2027-01-31T12:30:45Z'),
    ('2027-01-31T14:30:45+02:00', '2027-01-31T12:30:45Z'),
    ('2027-01-31T10:30:45-0200', '2027-01-31T12:30:45Z'),
    (' 2026-11-24T12:00:01Z ', '2026-11-24T12:00:01Z'),
])
def test_expires_at_is_normalized_to_utc(text, sent):
    assert wanted(description='x', expires_at=text)['expires_at'] == sent


def test_valid_options_pass_through():
    assert wanted(project=' 42 ', trigger_id=3) == dict(project='42', description=None, trigger_id=3, state='present',
                                                        rotate=False, expires_at=None)


# ---- messages and warnings never carry a token --------------------------------------------

def test_not_owner_message_is_readable_and_token_free():
    the_plan = t.plan(TRIGGERS, wanted(trigger_id=4, description='renamed'))
    gitlab_says = '403 Forbidden - The current user is not authorized to update the pipeline trigger token'
    msg = t.not_owner_message(the_plan, gitlab_says)
    assert 'only the owner of a trigger can change its description' in msg
    assert 'trigger 4 (owned by bob)' in msg and 'project acme/app' in msg
    assert gitlab_says in msg
    assert 'rotate=true' in msg and 'create a new trigger' in msg
    assert_no_token(msg)


@pytest.mark.parametrize('options, answer_expiry, warned', [
    (dict(description='new', expires_at='2027-01-01'), None, True),         # GitLab without expiry support
    (dict(description='new', expires_at='2027-01-01'), '2027-01-01T00:00:00.000Z', False),
    (dict(description='new'), None, False),                                 # nothing requested
    (dict(description='deploy', rotate=True, expires_at='2027-01-01'), 'no key', True),   # older GitLab: no field
])
def test_expiry_ignored_warning(options, answer_expiry, warned):
    the_plan = t.plan(TRIGGERS, wanted(**options))
    answer = _created(20, options['description'], expires_at=answer_expiry)
    if answer_expiry == 'no key':
        del answer['expires_at']
    warning = t.expiry_ignored_warning(the_plan, answer)
    assert bool(warning) is warned
    if warned:
        assert 'GitLab ignored expires_at for trigger 20' in warning and 'does not expire' in warning
    assert_no_token(warning)
    assert t.expiry_ignored_warning(the_plan, None) is None     # check mode: nothing to judge


def test_rotate_delete_failed_message_is_token_free():
    the_plan = t.plan(TRIGGERS, wanted(description='deploy', rotate=True))
    msg = t.rotate_delete_failed_message(the_plan, _created(30, 'deploy'), 'DELETE /api/v4/projects/acme%2Fapp/triggers/1 failed with HTTP 500')
    assert 'new trigger 30 was created' in msg and 'Delete trigger 1 yourself' in msg and 'trigger_id=30' in msg
    assert_no_token(msg)


def test_no_message_of_any_failure_carries_a_token():
    messages = []
    for options in (dict(description='dup'), dict(trigger_id=99), dict(trigger_id=2, description='deploy', state='absent')):
        with pytest.raises(InputError) as info:
            t.plan(TRIGGERS, wanted(**options))
        messages.append(info.value.message())
    for options in (dict(trigger_id=1, description='x'), dict(trigger_id=4, description='x')):
        the_plan = t.plan(TRIGGERS, wanted(**options))
        messages.extend([t.not_owner_message(the_plan, '403 Forbidden'), t.not_owner_warning(the_plan)])
    assert len(messages) == 7
    assert_no_token(messages)
