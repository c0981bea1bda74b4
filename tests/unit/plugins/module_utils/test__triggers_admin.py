"""plugins/module_utils/_triggers.py for an instance administrator.

The newest app/policies/ci/trigger_policy.rb grants ``admin_trigger`` to administrators as well as
to a trigger's owner (``rule { admin | is_owner }.enable :admin_trigger``), so GitLab lists every
full token to an admin (app/presenters/ci/trigger_presenter.rb) and lets an admin update any trigger.
"""

import pytest

from ansible_collections.cicd.gitlab.plugins.module_utils import _triggers as t

ROOT_TOKEN = 'glptt-' + '0123456789abcdef' * 2 + '01234567'
MAINT_TOKEN = 'glptt-' + 'fedcba9876543210' * 2 + 'fedcba98'


def trigger(trigger_id, token, owner, description='deploy'):
    return {'id': trigger_id, 'token': token, 'description': description, 'owner': {'username': owner},
            'created_at': None, 'updated_at': None, 'last_used': None, 'expires_at': None}


def test_an_admin_gets_the_usable_token_of_another_users_trigger():
    """The token is usable whoever owns the trigger: token_available is the truth for an admin."""
    theirs = trigger(3, MAINT_TOKEN, 'maint')
    assert t.token_info(theirs) == (MAINT_TOKEN, True)
    assert not t.is_foreign(theirs)
    wanted = t.validate({'project': 'acme/app', 'description': 'deploy'})
    result = t.build_result(t.plan([theirs], wanted))
    assert (result['token_available'], result['token'], result['trigger']['owner']) == (True, MAINT_TOKEN, 'maint')


def test_an_admin_may_rename_another_users_trigger_without_a_foreign_warning():
    theirs = trigger(3, MAINT_TOKEN, 'maint')
    the_plan = t.plan([theirs], t.validate({'project': 'acme/app', 'trigger_id': 3, 'description': 'renamed'}))
    assert the_plan.action == 'update_description' and not the_plan.foreign


@pytest.mark.parametrize('username, ours, others, decision', [
    (None, [7], [], 'adopt'),            # no username: a full token counts as ours (right for non-admins)
    ('root', [], [7], 'unknown'),        # an admin sees maint's full token, but maint owns it
    ('ROOT', [], [7], 'unknown'),
    ('maint', [7], [], 'adopt'),
])
def test_a_lost_create_never_adopts_another_users_trigger_when_the_caller_is_known(username, ours, others, decision):
    before = [trigger(1, ROOT_TOKEN, 'root')]
    after = before + [trigger(7, MAINT_TOKEN, 'maint')]
    mine, theirs = t.new_triggers(after, before, 'deploy', username=username)
    assert ([item['id'] for item in mine], [item['id'] for item in theirs]) == (ours, others)
    assert t.created_decision(mine, theirs) == decision


def test_with_a_username_an_admins_own_new_trigger_is_adopted():
    before = []
    after = [trigger(8, ROOT_TOKEN, 'root'), trigger(9, MAINT_TOKEN, 'maint', description='other')]
    mine, theirs = t.new_triggers(after, before, 'deploy', username='root')
    assert ([item['id'] for item in mine], theirs) == ([8], [])
    assert t.created_decision(mine, theirs) == 'adopt'


def test_a_truncated_token_is_never_ours_even_with_the_right_owner():
    mine, theirs = t.new_triggers([trigger(5, MAINT_TOKEN[6:10], 'root')], [], 'deploy', username='root')
    assert (mine, [item['id'] for item in theirs]) == ([], [5])


def test_not_owner_message_mentions_administrators_and_no_token():
    the_plan = t.Plan('update_description', 'acme/app', trigger(3, MAINT_TOKEN, 'maint'), 'renamed')
    message = t.not_owner_message(the_plan, '403 Forbidden')
    assert 'administrator' in message and 'owner' in message and MAINT_TOKEN not in message
