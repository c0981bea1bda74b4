"""The gitlab_ci_trigger module run in-process, its real client against the fake GitLab.

These tests pin what the pure tests of _triggers.py cannot: the requests each run sends (read from
the fake's journal, tests/fake_gitlab/server.py), changed on a first run and not on a second,
check mode sending no write, the diff, and that no token reaches the result except a trigger's
own token in ``token`` when the user of api_token owns it. Who sees which token follows GitLab's
``app/presenters/ci/trigger_presenter.rb`` as the fake does (tests/fake_gitlab/triggers.py):
in the default seed dev owns triggers 1 and 2 of acme/app and maint owns trigger 3.
The same runs through ansible-playbook are in tests/integration/test_trigger_playbooks.py.
"""

import datetime
import json

import pytest

from tests.conftest import DEV_TOKEN, ROOT_TOKEN
from tests.unit.module_run import calls, run_main, writes

from ansible_collections.cicd.gitlab.plugins.modules import gitlab_ci_trigger as module_under_test

PROJECT = 'acme/app'
TRIGGERS = '/api/v4/projects/acme%2Fapp/triggers'
MAINT_TOKEN = 'glpat-maint-00000000000'
API_TOKENS = (DEV_TOKEN, ROOT_TOKEN, MAINT_TOKEN)


def in_days(days):
    return (datetime.datetime.now(datetime.timezone.utc).date() + datetime.timedelta(days=days)).isoformat()


def trigger_tokens(fake):
    """Every trigger token the fake holds now, with and without its ``glptt-`` prefix."""
    found = set()
    for project in fake.dump_state()['projects']:
        for trigger in project['triggers']:
            found.add(trigger['token'])
            found.add(trigger['token'][len('glptt-'):])
    return found


def state_triggers(fake, project=PROJECT):
    return next(p['triggers'] for p in fake.dump_state()['projects'] if p['full_path'] == project)


def run(capsys, fake, token=DEV_TOKEN, check=False, diff=False, **args):
    """main() with these options; returns the result. Clears the journal first; scans for tokens."""
    args = dict(dict(api_url=fake.url, api_token=token, project=PROJECT), **args)
    known = trigger_tokens(fake)
    result, dummy = run_main(capsys, fake, module_under_test, args, check=check, diff=diff)
    known |= trigger_tokens(fake)           # a deleted (rotated) trigger's token stays a secret too
    rest = dict(result)
    token_returned = rest.pop('token', None)
    text = json.dumps(rest)
    for secret in API_TOKENS + tuple(known):
        assert secret not in text, 'a token reached the result'
    if token_returned is not None:
        assert result['token_available'] is True
        assert token_returned in [t['token'] for t in state_triggers(fake) if t['id'] == result['trigger']['id']]
    return result


def warnings_text(result):
    # ansible-core 2.19 returns warnings as structured summaries; older lines as strings.
    return json.dumps(result.get('warnings', []))


# ---- create, then unchanged ---------------------------------------------------------------------


def test_create_then_an_unchanged_run_only_lists(capsys, fake):
    first = run(capsys, fake, description='deploy from ops')
    assert first['changed'] is True and 'failed' not in first
    assert calls(fake) == [('GET', TRIGGERS), ('POST', TRIGGERS)]
    assert first['token_available'] is True
    assert first['trigger']['description'] == 'deploy from ops' and first['trigger']['owner'] == 'dev'
    assert first['project_path'] == PROJECT
    created = [t for t in state_triggers(fake) if t['description'] == 'deploy from ops']
    assert len(created) == 1 and created[0]['token'] == first['token']

    again = run(capsys, fake, description='deploy from ops')
    assert again['changed'] is False
    assert calls(fake) == [('GET', TRIGGERS)]
    # dev owns it, so GitLab lists its full token and the module returns it on every run.
    assert again['token'] == first['token'] and again['trigger']['id'] == first['trigger']['id']


def test_check_mode_create_sends_no_write_and_has_no_token(capsys, fake):
    result = run(capsys, fake, check=True, diff=True, description='deploy from ops')
    assert result['changed'] is True
    assert writes(fake) == []
    assert result['token_available'] is False and 'token' not in result
    assert result['trigger']['id'] is None
    assert result['diff']['before'] == {}
    assert result['diff']['after'] == {'id': None, 'description': 'deploy from ops', 'expires_at': None}
    assert not [t for t in state_triggers(fake) if t['description'] == 'deploy from ops']


def test_diff_of_a_create_names_the_project_and_shows_no_token(capsys, fake):
    result = run(capsys, fake, diff=True, description='deploy from ops')
    diff = result['diff']
    assert diff['before'] == {}
    assert diff['after'] == {'id': result['trigger']['id'], 'description': 'deploy from ops', 'expires_at': None}
    assert diff['before_header'] == diff['after_header'] == 'triggers of project acme/app'


def test_a_project_id_costs_one_more_read_in_check_mode_too(capsys, fake):
    project_id = next(p['id'] for p in fake.dump_state()['projects'] if p['full_path'] == PROJECT)
    result = run(capsys, fake, check=True, diff=True, project=str(project_id), description='deploy from ops')
    assert calls(fake) == [('GET', '/api/v4/projects/%d' % project_id), ('GET', '/api/v4/projects/%d/triggers' % project_id)]
    assert result['project_path'] == PROJECT
    assert result['diff']['before_header'] == 'triggers of project acme/app'


def test_create_with_expiry_then_another_expiry_warns_and_writes_nothing(capsys, fake):
    first = run(capsys, fake, description='nightly', expires_at=in_days(30))
    assert first['changed'] is True
    assert first['trigger']['expires_at'].startswith(in_days(30))
    assert 'warnings' not in first or 'expires_at' not in warnings_text(first)

    same = run(capsys, fake, description='nightly', expires_at=in_days(30))
    assert same['changed'] is False and calls(fake) == [('GET', TRIGGERS)]
    assert 'expires_at was not applied' not in warnings_text(same)

    other = run(capsys, fake, check=True, description='nightly', expires_at=in_days(60))
    assert other['changed'] is False and writes(fake) == []
    assert 'expires_at was not applied' in warnings_text(other) and 'rotate=true' in warnings_text(other)
    other = run(capsys, fake, description='nightly', expires_at=in_days(60))
    assert other['changed'] is False and calls(fake) == [('GET', TRIGGERS)]
    assert 'expires_at was not applied' in warnings_text(other)
    assert [t['expires_at'][:10] for t in state_triggers(fake) if t['description'] == 'nightly'] == [in_days(30)]


# ---- update the description ---------------------------------------------------------------------


def test_rename_by_id_is_one_put_then_unchanged(capsys, fake):
    predicted = run(capsys, fake, check=True, diff=True, trigger_id=1, description='renamed')
    assert predicted['changed'] is True and writes(fake) == []
    assert predicted['diff']['before'] == {'id': 1, 'description': 'shared-description', 'expires_at': None}
    assert predicted['diff']['after'] == {'id': 1, 'description': 'renamed', 'expires_at': None}
    assert predicted['trigger']['description'] == 'renamed'
    assert state_triggers(fake)[0]['description'] == 'shared-description'

    applied = run(capsys, fake, diff=True, trigger_id=1, description='renamed')
    assert applied['changed'] is True
    assert calls(fake) == [('GET', TRIGGERS), ('PUT', TRIGGERS + '/1')]
    assert applied['diff'] == dict(predicted['diff'])
    assert applied['token_available'] is True        # dev owns trigger 1
    assert state_triggers(fake)[0]['description'] == 'renamed'

    again = run(capsys, fake, diff=True, trigger_id=1, description='renamed')
    assert again['changed'] is False and calls(fake) == [('GET', TRIGGERS)]
    assert again['diff']['before'] == again['diff']['after']


# An administrator sees every full token on recent GitLab (app/policies/ci/trigger_policy.rb):
# tests/integration/test_trigger_playbooks.py covers that case.
@pytest.mark.parametrize('token, trigger_id, owner', [
    (DEV_TOKEN, 3, 'maint'),
])
def test_a_trigger_of_another_user_has_no_token(capsys, fake, token, trigger_id, owner):
    result = run(capsys, fake, token=token, trigger_id=trigger_id)
    assert result['changed'] is False and calls(fake) == [('GET', TRIGGERS)]
    assert result['token_available'] is False and 'token' not in result
    assert result['trigger']['id'] == trigger_id and result['trigger']['owner'] == owner


def test_renaming_a_trigger_of_another_user_warns_in_check_mode_and_fails_explaining(capsys, fake):
    predicted = run(capsys, fake, check=True, trigger_id=3, description='mine now')
    assert writes(fake) == []
    assert predicted['changed'] is True and predicted['token_available'] is False
    assert 'belongs to another user' in warnings_text(predicted)

    refused = run(capsys, fake, trigger_id=3, description='mine now')
    assert refused['failed'] is True and refused['status'] == 403
    assert 'only the owner of a trigger can change its description' in refused['msg'] and 'rotate=true' in refused['msg']
    assert writes(fake) == [('PUT', TRIGGERS + '/3')]
    assert state_triggers(fake)[2]['description'] == 'maint-trigger'


def test_a_shared_description_fails_with_the_ids_and_writes_nothing(capsys, fake):
    result = run(capsys, fake, description='shared-description')
    assert result['failed'] is True
    assert 'ids 1, 2' in result['msg'] and 'trigger_id' in result['msg']
    assert calls(fake) == [('GET', TRIGGERS)]


# ---- rotate -------------------------------------------------------------------------------------


def test_rotate_creates_then_deletes_and_changes_every_run(capsys, fake):
    before = state_triggers(fake)[0]
    predicted = run(capsys, fake, check=True, diff=True, trigger_id=1, rotate=True)
    assert predicted['changed'] is True and writes(fake) == []
    assert predicted['token_available'] is False and 'token' not in predicted
    assert predicted['diff']['before']['id'] == 1 and predicted['diff']['after']['id'] is None

    rotated = run(capsys, fake, diff=True, trigger_id=1, rotate=True)
    assert rotated['changed'] is True
    assert calls(fake) == [('GET', TRIGGERS), ('POST', TRIGGERS), ('DELETE', TRIGGERS + '/1')]
    new_id = rotated['trigger']['id']
    assert new_id not in (None, 1) and rotated['diff']['after']['id'] == new_id
    assert rotated['trigger']['description'] == 'shared-description' and rotated['trigger']['owner'] == 'dev'
    assert rotated['token_available'] is True and rotated['token'] != before['token']
    ids = [t['id'] for t in state_triggers(fake)]
    assert 1 not in ids and new_id in ids

    again = run(capsys, fake, trigger_id=new_id, rotate=True)
    assert again['changed'] is True and again['token'] != rotated['token']
    assert writes(fake) == [('POST', TRIGGERS), ('DELETE', '%s/%d' % (TRIGGERS, new_id))]


def test_rotate_takes_over_a_trigger_of_another_user(capsys, fake):
    result = run(capsys, fake, trigger_id=3, rotate=True)
    assert result['changed'] is True and result['trigger']['owner'] == 'dev'
    assert result['trigger']['description'] == 'maint-trigger' and result['token_available'] is True
    assert writes(fake) == [('POST', TRIGGERS), ('DELETE', TRIGGERS + '/3')]


# ---- absent -------------------------------------------------------------------------------------


def test_absent_deletes_once_then_has_nothing_to_do(capsys, fake):
    run(capsys, fake, description='old integration')
    created = [t for t in state_triggers(fake) if t['description'] == 'old integration'][0]

    predicted = run(capsys, fake, check=True, diff=True, description='old integration', state='absent')
    assert predicted['changed'] is True and writes(fake) == []
    assert predicted['diff']['before'] == {'id': created['id'], 'description': 'old integration', 'expires_at': None}
    assert predicted['diff']['after'] == {}
    assert predicted['token_available'] is False and 'token' not in predicted

    deleted = run(capsys, fake, diff=True, description='old integration', state='absent')
    assert deleted['changed'] is True
    assert calls(fake) == [('GET', TRIGGERS), ('DELETE', '%s/%d' % (TRIGGERS, created['id']))]
    assert deleted['trigger']['id'] == created['id'] and deleted['token_available'] is False and 'token' not in deleted
    assert created['id'] not in [t['id'] for t in state_triggers(fake)]

    again = run(capsys, fake, diff=True, description='old integration', state='absent')
    assert again['changed'] is False and again['trigger'] is None
    assert calls(fake) == [('GET', TRIGGERS)]
    assert again['diff']['before'] == again['diff']['after'] == {}


def test_any_maintainer_deletes_a_trigger_of_another_user_by_id(capsys, fake):
    result = run(capsys, fake, trigger_id=3, state='absent')
    assert result['changed'] is True and result['trigger']['owner'] == 'maint'
    assert writes(fake) == [('DELETE', TRIGGERS + '/3')]
    assert run(capsys, fake, trigger_id=3, state='absent')['changed'] is False
    assert writes(fake) == []


# ---- refused before any request -----------------------------------------------------------------


@pytest.mark.parametrize('args, expected', [
    (dict(description='   '), 'description must not be empty'),
    (dict(), 'give description'),
    (dict(trigger_id=0), 'trigger_id must be a positive number'),
    (dict(description='x', state='absent', rotate=True), 'rotate=true cannot be used with state=absent'),
    (dict(description='x', expires_at='2020-01-01'), 'is in the past'),
    (dict(description='x', expires_at='next week'), 'expires_at must be an ISO 8601 date'),
    (dict(description='x', state='absent', expires_at=in_days(3)), 'expires_at cannot be used with state=absent'),
])
def test_bad_input_is_refused_before_any_request(capsys, fake, args, expected):
    result = run(capsys, fake, **args)
    assert result['failed'] is True and expected in result['msg']
    assert result['msg'].startswith('Nothing was done')
    assert calls(fake) == []
