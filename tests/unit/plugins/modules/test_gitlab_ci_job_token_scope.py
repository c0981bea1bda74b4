"""gitlab_ci_job_token_scope run in-process, its real client against the fake GitLab (tests/fake_gitlab/job_token_scope.py).

Requests per run from the fake's journal; check mode sends no write; a purge to empty is refused without purge_all.
acme/svc in the default seed; root is an admin.
"""

import json

import pytest

from tests.conftest import ROOT_TOKEN
from tests.fake_gitlab import FakeGitLab
from tests.unit.module_run import calls, run_main, writes

from ansible_collections.cicd.gitlab.plugins.modules import gitlab_ci_job_token_scope as module_under_test

SVC = 'acme/svc'


@pytest.fixture
def fake():
    with FakeGitLab() as server:
        yield server


def run(capsys, fake, check=False, diff=False, **args):
    args = dict(dict(api_url=fake.url, api_token=ROOT_TOKEN, project=SVC), **args)
    result, dummy = run_main(capsys, fake, module_under_test, args, check=check, diff=diff)
    assert ROOT_TOKEN not in json.dumps(result)
    return result


def test_add_then_nothing(capsys, fake):
    first = run(capsys, fake, enabled=True, allowlist={'projects': ['acme/app'], 'groups': ['other']})
    assert first['changed'] is True
    assert first['scope'] == {'enabled': True, 'projects': ['acme/app'], 'groups': ['other']}
    assert first['added'] == {'projects': ['acme/app'], 'groups': ['other']}
    assert len(writes(fake)) == 2 and len(calls(fake)) == 8      # 4 reads + 2 resolutions + 2 POSTs
    again = run(capsys, fake, enabled=True, allowlist={'projects': ['acme/app'], 'groups': ['other']})
    assert again['changed'] is False and writes(fake) == [] and len(calls(fake)) == 4


def test_check_and_diff_mode_send_no_write(capsys, fake):
    result = run(capsys, fake, check=True, diff=True, allowlist={'projects': ['acme/app']})
    assert result['changed'] is True and writes(fake) == []
    assert result['diff']['before']['projects'] == [] and result['diff']['after']['projects'] == ['acme/app']
    assert run(capsys, fake, allowlist={'projects': ['acme/app']})['changed'] is True


def test_purge_to_empty_refused_then_allowed(capsys, fake):
    run(capsys, fake, allowlist={'projects': ['acme/app']})
    refused = run(capsys, fake, allowlist={'projects': []}, purge=True)
    assert refused['failed'] is True and 'leave the job token allowlist empty' in refused['msg'] and 'acme/app' in refused['msg']
    assert writes(fake) == []
    allowed = run(capsys, fake, allowlist={'projects': []}, purge=True, purge_all=True)
    assert allowed['changed'] is True and allowed['removed']['projects'] == ['acme/app'] and allowed['scope']['projects'] == []


def test_purge_keeps_listed(capsys, fake):
    run(capsys, fake, allowlist={'projects': ['acme/app', 'other/tool']})
    result = run(capsys, fake, allowlist={'projects': ['acme/app']}, purge=True)
    assert result['removed']['projects'] == ['other/tool'] and result['scope']['projects'] == ['acme/app']
    assert [call[0] for call in writes(fake)] == ['DELETE']


def test_disable_then_enable(capsys, fake):
    assert run(capsys, fake, enabled=False)['changed'] is True
    assert writes(fake) == [('PATCH', '/api/v4/projects/%d/job_token_scope' % fake.state.find_project(SVC)[0].id)]
    assert run(capsys, fake, enabled=False)['changed'] is False


def test_unknown_entry_fails_without_writes(capsys, fake):
    result = run(capsys, fake, allowlist={'projects': ['acme/app', 'acme/nope']})
    assert result['failed'] is True and 'project acme/nope' in result['msg'] and writes(fake) == []


@pytest.mark.parametrize('args, words', [
    ({'allowlist': {'projects': 'acme/app'}}, 'allowlist.projects must be a list'),
    ({'allowlist': {'project': ['acme/app']}}, 'unknown key(s) project'),
    ({'allowlist': {'projects': ['acme/app', 'ACME/app']}}, 'listed twice'),
    ({'allowlist': {'projects': [True]}}, 'path or a numeric id'),
    ({'allowlist': {'projects': [0]}}, 'must be positive'),
    ({'allowlist': {'projects': ['../x']}}, 'allowlist.projects entry'),
    ({'allowlist': {'projects': ['g/p%d' % n for n in range(201)]}}, 'allowlist the group'),
    ({'purge': True}, 'purge needs allowlist'),
    ({'allowlist': {}, 'purge_all': True}, 'purge_all needs purge'),
    ({}, 'nothing to manage'),
    ({'project': ' ', 'enabled': True}, 'project must not be empty'),
    ({'allowlist': ['acme/app']}, 'allowlist'),
])
def test_bad_input_sends_nothing(capsys, fake, args, words):
    result = run(capsys, fake, **args)
    assert result['failed'] is True and words in result['msg'], result['msg']
    assert calls(fake) == []


def test_the_project_itself_costs_nothing(capsys, fake):
    result = run(capsys, fake, allowlist={'projects': [SVC, fake.state.find_project(SVC)[0].id]})
    assert result['changed'] is False and len(calls(fake)) == 4


def test_purge_touches_only_the_kinds_given(capsys, fake):
    run(capsys, fake, allowlist={'projects': ['acme/app'], 'groups': ['other']})
    result = run(capsys, fake, allowlist={'projects': []}, purge=True)
    assert result['removed'] == {'projects': ['acme/app'], 'groups': []} and result['scope']['groups'] == ['other']


def test_a_maintainer_that_cannot_read_the_entry(capsys, fake):
    result = run(capsys, fake, project='acme/app', allowlist={'projects': ['root/vault']}, api_token='glpat-dev-0000000000000')
    assert result['failed'] is True and 'project root/vault' in result['msg'] and writes(fake) == []
