"""The gitlab_ci_trigger_info module: its pure parts as tables, and main() in-process against the fake GitLab.

Who sees which token follows app/presenters/ci/trigger_presenter.rb as the fake does (tests/fake_gitlab/triggers.py):
in the default seed dev owns triggers 1 and 2 of acme/app and maint owns trigger 3; acme/many-triggers has 25
triggers (more than GitLab's default page of 20) owned by root.
"""

import json

import pytest

from tests.conftest import DEV_TOKEN, ROOT_TOKEN
from tests.unit.module_run import calls, run_main

from ansible_collections.cicd.gitlab.plugins.module_utils._client import GitLabClient
from ansible_collections.cicd.gitlab.plugins.module_utils._errors import InputError
from ansible_collections.cicd.gitlab.plugins.modules import gitlab_ci_trigger_info as module_under_test

TRIGGERS = '/api/v4/projects/acme%2Fapp/triggers'
MAINT_TOKEN = 'glpat-maint-00000000000'
READONLY_TOKEN = 'glpat-dev-readonly-00000'
FULL = 'glptt-' + '0123456789abcdef' * 2 + '01234567'


def trigger_tokens(fake):
    found = set()
    for project in fake.dump_state()['projects']:
        for trigger in project['triggers']:
            found.add(trigger['token'])
            found.add(trigger['token'][len('glptt-'):])
            found.add(trigger['token'][len('glptt-'):][:4])   # not even the short token
    return found


def run(capsys, fake, token=DEV_TOKEN, no_log=False, check=False, **args):
    """main() with these options; returns (result, requests). Without include_tokens no token may be in the result."""
    args = dict(dict(api_url=fake.url, api_token=token, project='acme/app'), **args)
    result, dummy = run_main(capsys, fake, module_under_test, args, check=check, no_log=no_log)
    rest = [dict((k, v) for k, v in t.items() if k != 'token') for t in result.get('triggers', [])]
    text = json.dumps(dict(result, triggers=rest))
    for secret in (ROOT_TOKEN, DEV_TOKEN, MAINT_TOKEN) + tuple(trigger_tokens(fake)):
        assert '"%s' % secret not in text and secret + '"' not in text, 'a token reached the result'
    if not args.get('include_tokens'):
        assert all('token' not in t for t in result.get('triggers', []))
    return result, calls(fake)


# ---- pure parts ---------------------------------------------------------------------------------

@pytest.mark.parametrize('item, include, expected_visible, expected_token', [
    ({'id': 1, 'token': FULL}, False, True, None),
    ({'id': 1, 'token': FULL}, True, True, FULL),
    ({'id': 1, 'token': 'abcd'}, True, False, None),
    ({'id': 1, 'token': None}, True, False, None),
    ({'id': 1}, True, False, None),
])
def test_public_trigger_token(item, include, expected_visible, expected_token):
    view = module_under_test.public_trigger(item, include)
    assert view['token_visible'] is expected_visible
    assert view.get('token') == expected_token
    assert ('token' in view) is (expected_token is not None)


@pytest.mark.parametrize('owner, expected', [
    (None, None),
    ({'id': 3, 'username': 'ops', 'name': 'Ops', 'web_url': 'x', 'avatar_url': None}, {'id': 3, 'username': 'ops', 'name': 'Ops'}),
    ('ops', None),
])
def test_public_owner(owner, expected):
    assert module_under_test.public_owner(owner) == expected


def test_select_by_description():
    items = [{'id': 1, 'description': 'a'}, {'id': 2, 'description': 'b'}, {'id': 3, 'description': 'a'}, None]
    assert [t['id'] for t in module_under_test.select(items, 'a')] == [1, 3]
    assert [t['id'] for t in module_under_test.select(items)] == [1, 2, 3]


@pytest.mark.parametrize('params, no_log, words', [
    ({'project': 'a/../b'}, False, '".." segment'),
    ({'project': 'a/b', 'include_tokens': True}, False, 'add "no_log: true"'),
])
def test_validate_refuses(params, no_log, words):
    with pytest.raises(InputError) as caught:
        module_under_test.validate(params, no_log)
    assert words in caught.value.message()


def test_validate_accepts_tokens_with_no_log():
    module_under_test.validate({'project': 'a/b', 'include_tokens': True}, True)


# ---- against the fake ----------------------------------------------------------------------------

def test_lists_every_trigger_without_tokens_one_request(capsys, fake):
    result, requests = run(capsys, fake)
    assert result['changed'] is False and 'failed' not in result
    assert requests == [('GET', TRIGGERS)]
    assert [(t['id'], t['description'], t['owner']['username'], t['token_visible']) for t in result['triggers']] == [
        (1, 'shared-description', 'dev', True), (2, 'shared-description', 'dev', True), (3, 'maint-trigger', 'maint', False)]
    assert set(result['triggers'][0]) == {'id', 'description', 'owner', 'created_at', 'updated_at', 'last_used',
                                          'expires_at', 'token_visible'}
    assert set(result['triggers'][0]['owner']) == {'id', 'username', 'name'}


def test_description_filter_and_check_mode(capsys, fake):
    result, requests = run(capsys, fake, description='maint-trigger', check=True)
    assert [t['id'] for t in result['triggers']] == [3]
    assert requests == [('GET', TRIGGERS)]


def test_tokens_need_no_log_and_nothing_is_sent(capsys, fake):
    result, requests = run(capsys, fake, include_tokens=True)
    assert result['failed'] is True and 'no_log: true' in result['msg']
    assert requests == []


def test_tokens_with_no_log_only_the_visible_ones(capsys, fake):
    result = run(capsys, fake, include_tokens=True, no_log=True)[0]
    state = next(p['triggers'] for p in fake.dump_state()['projects'] if p['full_path'] == 'acme/app')
    tokens = dict((t['id'], t['token']) for t in state)
    assert [(t['id'], t.get('token')) for t in result['triggers']] == [(1, tokens[1]), (2, tokens[2]), (3, None)]
    assert 'token' not in result['triggers'][2]


def test_maint_sees_only_its_own(capsys, fake):
    result = run(capsys, fake, token=MAINT_TOKEN)[0]
    assert [t['token_visible'] for t in result['triggers']] == [False, False, True]


def test_past_one_page(capsys, fake):
    client = GitLabClient(fake.url, token=ROOT_TOKEN)
    for index in range(120):
        client.create_trigger('acme/many-triggers', 'extra-%03d' % index)
    result, requests = run(capsys, fake, token=ROOT_TOKEN, project='acme/many-triggers')
    assert len(result['triggers']) == 145
    assert len(requests) == 2
    assert all(t['token_visible'] for t in result['triggers'])


def test_read_api_token_can_list(capsys, fake):
    result = run(capsys, fake, token=READONLY_TOKEN)[0]
    assert 'failed' not in result and len(result['triggers']) == 3


def test_reporter_is_refused_with_gitlab_words(capsys, fake):
    result = run(capsys, fake, token='glpat-reporter-00000000')[0]
    assert result['failed'] is True and result['status'] == 403
