"""The gitlab_ci_schedule module run in-process, its real client against the fake GitLab.

The requests each run sends (the fake's journal, tests/fake_gitlab/server.py) and the bodies of the
writes (recorded around the client), changed on a first run and not on a second, check mode sending
no write, ownership, and that no variable value reaches the result. GitLab's rules as the fake has
them: tests/fake_gitlab/schedules.py. In acme/svc (default seed) dev is a Developer and maint a
Maintainer; the seed below adds schedules owned by each, and two sharing a description.
Time is virtual for ``state: ran`` with ``wait`` (one Clock for the fake's CI and the module).
"""

import json
from unittest import mock

import pytest

from tests.conftest import DEFAULT_SEED, DEV_TOKEN, ROOT_TOKEN
from tests.fake_gitlab import FakeGitLab, schedules as fake_schedules
from tests.fake_gitlab.state import load_seed_data
from tests.unit.module_run import Clock, run_main

from ansible_collections.cicd.gitlab.plugins.module_utils._client import GitLabClient
from ansible_collections.cicd.gitlab.plugins.modules import gitlab_ci_schedule as module_under_test

MAINT_TOKEN = 'glpat-maint-00000000000'
SVC = 'acme/svc'
BASE = '/api/v4/projects/acme%2Fsvc/pipeline_schedules'
SECRET = 'schedule-secret-value-01'
SEEDED_SECRET = 'seeded-secret-value-02'


def seed():
    data = load_seed_data(DEFAULT_SEED)
    svc = next(item for item in data['projects'] if item['path'] == SVC)
    svc['schedules'] = [
        {'description': 'maint-nightly', 'cron': '0 1 * * *', 'owner': 'maint',
         'variables': [{'key': 'TOKEN', 'value': SEEDED_SECRET}]},
        {'description': 'twice', 'cron': '0 2 * * *', 'owner': 'dev'},
        {'description': 'twice', 'cron': '0 3 * * *', 'owner': 'dev'},
        {'description': 'by-reporter', 'cron': '0 4 * * *', 'owner': 'reporter'},
    ]
    return data


@pytest.fixture
def sfake():
    with FakeGitLab(seed=seed()) as server:
        yield server


@pytest.fixture
def clock(sfake):
    found = Clock()
    sfake.state.clock = found
    with mock.patch.object(module_under_test, 'SLEEP', found.sleep), mock.patch.object(module_under_test, 'CLOCK', found):
        yield found


@pytest.fixture
def bodies():
    """Every write body the client sends: ``[(method, path, data)]``."""
    sent = []
    post, put = GitLabClient.post, GitLabClient.put

    def record_post(self, path, data=None, params=None, expect=()):
        sent.append(('POST', path, data))
        return post(self, path, data=data, params=params, expect=expect)

    def record_put(self, path, data=None, params=None, expect=()):
        sent.append(('PUT', path, data))
        return put(self, path, data=data, params=params, expect=expect)

    with mock.patch.object(GitLabClient, 'post', record_post), mock.patch.object(GitLabClient, 'put', record_put):
        yield sent


def run(capsys, fake, token=DEV_TOKEN, check=False, diff=False, **args):
    args = dict(dict(api_url=fake.url, api_token=token, project=SVC), **args)
    result, dummy = run_main(capsys, fake, module_under_test, args, check=check, diff=diff)
    text = json.dumps(result)
    for secret in (SECRET, SEEDED_SECRET, DEV_TOKEN, ROOT_TOKEN, MAINT_TOKEN, 'changed-value-03'):
        assert secret not in text, 'a secret reached the result'
    return result


def calls(fake):
    return [(entry['method'], entry['path'].replace(BASE, 'S')) for entry in fake.journal]


def writes(fake):
    return [call for call in calls(fake) if call[0] != 'GET']


def stored(fake, description):
    items = fake_schedules.project_schedules(fake.state, fake.state.find_project(SVC)[0])
    return [item for item in items if item.description == description]


def warnings_text(result):
    return json.dumps(result.get('warnings', []))


NIGHTLY = dict(description='nightly', ref='main', cron='0 1 * * *', cron_timezone='Europe/Berlin',
               variables=[{'key': 'MODE', 'value': 'full'}, {'key': 'KEY', 'value': SECRET, 'variable_type': 'file'}])


def test_create_then_nothing(capsys, sfake, bodies):
    first = run(capsys, sfake, **NIGHTLY)
    assert first['changed'] is True
    assert writes(sfake) == [('POST', 'S'), ('POST', 'S/5/variables'), ('POST', 'S/5/variables')]
    assert first['schedule']['owner'] == 'dev' and first['schedule']['ref'] == 'refs/heads/main'
    assert first['schedule']['variables'] == [{'key': 'KEY', 'variable_type': 'file'}, {'key': 'MODE', 'variable_type': 'env_var'}]
    assert first['schedule']['next_run_at']
    assert bodies[0][2] == {'description': 'nightly', 'ref': 'main', 'cron': '0 1 * * *', 'cron_timezone': 'Europe/Berlin', 'active': True}
    again = run(capsys, sfake, **NIGHTLY)
    assert again['changed'] is False
    assert calls(sfake) == [('GET', 'S'), ('GET', 'S/5'), ('GET', '/api/v4/projects/acme%2Fsvc/members/all/2')]
    assert 'warnings' not in again


def test_check_mode_create_sends_no_write(capsys, sfake):
    result = run(capsys, sfake, check=True, diff=True, **NIGHTLY)
    assert result['changed'] is True and writes(sfake) == []
    assert result['schedule']['id'] is None and result['schedule']['owner'] == 'dev'
    assert result['diff']['before'] == {}
    assert result['diff']['after']['variables']['KEY'] == {'variable_type': 'file', 'value': '********'}
    assert stored(sfake, 'nightly') == []


def test_update_sends_only_what_changed(capsys, sfake, bodies):
    run(capsys, sfake, **NIGHTLY)
    del bodies[:]
    changed = dict(NIGHTLY)
    changed.update(cron='30 1 * * *', variables=[{'key': 'MODE', 'value': 'changed-value-03'},
                                                 {'key': 'KEY', 'value': SECRET, 'variable_type': 'file'}])
    check = run(capsys, sfake, check=True, diff=True, **changed)
    assert check['changed'] is True and writes(sfake) == []
    assert check['diff']['after']['variables']['MODE']['value'] == '******** (changed)'
    result = run(capsys, sfake, **changed)
    assert result['changed'] is True
    assert writes(sfake) == [('PUT', 'S/5'), ('PUT', 'S/5/variables/MODE')]
    assert [body for dummy, dummy, body in bodies] == [{'cron': '30 1 * * *'}, {'value': 'changed-value-03'}]
    assert stored(sfake, 'nightly')[0].variable('MODE')['value'] == 'changed-value-03'
    assert run(capsys, sfake, **changed)['changed'] is False


def test_purge_deletes_only_unlisted_variables(capsys, sfake):
    run(capsys, sfake, **NIGHTLY)
    args = dict(NIGHTLY)
    args.update(purge_variables=True, variables=[{'key': 'MODE', 'value': 'full'}])
    result = run(capsys, sfake, **args)
    assert writes(sfake) == [('DELETE', 'S/5/variables/KEY')]
    assert result['schedule']['variables'] == [{'key': 'MODE', 'variable_type': 'env_var'}]


def test_someone_elses_schedule_is_refused_then_taken(capsys, sfake, bodies):
    refused = run(capsys, sfake, token=DEV_TOKEN, description='maint-nightly', cron='0 5 * * *')
    assert refused['failed'] is True and 'owned by maint' in refused['msg'] and 'take_ownership' in refused['msg']
    assert writes(sfake) == []
    # dev is only a Developer: GitLab refuses the take-over
    denied = run(capsys, sfake, token=DEV_TOKEN, description='maint-nightly', cron='0 5 * * *', take_ownership=True)
    assert denied['failed'] is True and 'Maintainer' in denied['msg']
    taken = run(capsys, sfake, token=ROOT_TOKEN, description='maint-nightly', cron='0 5 * * *', take_ownership=True)
    assert taken['changed'] is True and taken['previous_owner'] == 'maint' and taken['schedule']['owner'] == 'root'
    assert writes(sfake) == [('POST', 'S/1/take_ownership'), ('PUT', 'S/1')]
    assert bodies[-1][2] == {'cron': '0 5 * * *'}


def test_take_ownership_alone_is_a_change_once(capsys, sfake):
    first = run(capsys, sfake, token=MAINT_TOKEN, description='twice-not', cron='0 1 * * *', ref='main')
    assert first['changed'] is True
    result = run(capsys, sfake, token=ROOT_TOKEN, description='twice-not', take_ownership=True)
    assert result['changed'] is True and result['previous_owner'] == 'maint'
    again = run(capsys, sfake, token=ROOT_TOKEN, description='twice-not', take_ownership=True)
    assert again['changed'] is False and 'previous_owner' not in again


def test_duplicates_are_refused(capsys, sfake):
    result = run(capsys, sfake, description='twice', cron='0 1 * * *')
    assert result['failed'] is True and 'ids 2, 3' in result['msg']
    assert writes(sfake) == []


def test_owner_below_developer_warns(capsys, sfake):
    result = run(capsys, sfake, token=MAINT_TOKEN, description='by-reporter')
    assert result['changed'] is False
    assert 'will not run' in warnings_text(result) and 'reporter' in warnings_text(result)


def test_blocked_owner_warns(capsys, sfake):
    sfake.state.find_user('maint').state = 'blocked'
    result = run(capsys, sfake, token=ROOT_TOKEN, description='maint-nightly')
    assert 'is blocked' in warnings_text(result)


def test_hidden_variables_are_not_guessed(capsys, sfake):
    run(capsys, sfake, token=MAINT_TOKEN, description='m', ref='main', cron='0 1 * * *')
    result = run(capsys, sfake, token=DEV_TOKEN, description='m', variables=[{'key': 'A', 'value': 'b'}])
    assert result['failed'] is True and 'only the schedule\'s owner (maint) and Maintainers' in result['msg']


def test_invalid_cron_sends_nothing(capsys, sfake):
    result = run(capsys, sfake, description='nightly', ref='main', cron='0 24 * * *')
    assert result['failed'] is True and 'hour: 24 is out of range 0-23' in result['msg']
    assert calls(sfake) == []


def test_creation_needs_ref_and_cron(capsys, sfake):
    result = run(capsys, sfake, description='new one')
    assert result['failed'] is True and 'ref is required' in result['msg'] and 'cron is required' in result['msg']
    assert writes(sfake) == []


def test_absent_twice(capsys, sfake):
    run(capsys, sfake, **NIGHTLY)
    first = run(capsys, sfake, description='nightly', state='absent', cron_timezone='UTC')
    assert first['changed'] is True and writes(sfake) == [('DELETE', 'S/5')]
    assert first['schedule']['description'] == 'nightly'
    second = run(capsys, sfake, description='nightly', state='absent')
    assert second['changed'] is False and second['schedule'] is None and writes(sfake) == []


def test_ran_with_wait_returns_the_pipeline(capsys, sfake, clock):
    result = run(capsys, sfake, token=MAINT_TOKEN, description='maint-nightly', state='ran', wait=True)
    assert result['changed'] is True
    assert result['pipeline']['source'] == 'schedule' and result['pipeline']['status'] in ('success', 'manual')
    assert [job['name'] for job in result['pipeline']['jobs']] == ['build', 'test', 'deploy']
    assert result['schedule']['last_pipeline']['id'] == result['pipeline']['id']
    assert ('POST', 'S/1/play') in writes(sfake)


def test_ran_failing_pipeline_fails_the_task(capsys, sfake, clock):
    run(capsys, sfake, token=MAINT_TOKEN, description='fails', ref='main', cron='0 1 * * *',
        variables=[{'key': 'FAIL_TEST', 'value': '1'}])
    result = run(capsys, sfake, token=MAINT_TOKEN, description='fails', state='ran', wait=True)
    assert result['failed'] is True and 'ended with status failed' in result['msg'] and 'test' in result['msg']
    assert result['pipeline']['status'] == 'failed'


def test_ran_in_check_mode_plays_nothing(capsys, sfake):
    result = run(capsys, sfake, token=MAINT_TOKEN, check=True, description='maint-nightly', state='ran', wait=True)
    assert result['changed'] is True and writes(sfake) == []


@pytest.mark.parametrize('args,words', [
    (dict(description=''), 'description must not be empty'),
    (dict(description='a\nb'), 'control characters'),
    (dict(description='x', cron='* * * *'), 'has 4 fields'),
    (dict(description='x', cron='60 * * * *'), 'minute: 60 is out of range 0-59'),
    (dict(description='x', cron='* * * foo *'), "month: 'foo' is not a number"),
    (dict(description='x', cron='*/0 * * * *'), 'the step'),
    (dict(description='x', cron='@sometimes'), 'unknown shortcut'),
    (dict(description='x', cron='5-1 * * * *'), 'runs backwards'),
    (dict(description='x', cron_timezone='Mars/Base'), 'is not a time zone name'),
    (dict(description='x', variables=[{'key': 'A-B', 'value': 'x'}]), 'only letters, digits and _'),
    (dict(description='x', variables=[{'key': 'A', 'value': 'x'}, {'key': 'A', 'value': 'y'}]), 'given twice'),
    (dict(description='x', variables=[{'key': 'A', 'value': 'x', 'variable_type': 'secret'}]), 'env_var or file'),
    (dict(description='x', variables=[{'key': 'A', 'value': 'x', 'masked': True}]), 'unknown field(s) masked'),
    (dict(description='x', variables=['A=b']), 'must be a mapping'),
    (dict(description='x', variables=[{'key': 'A'}]), 'value is required'),
    (dict(description='x', state='absent', cron='0 1 * * *'), 'cannot be used with it'),
    (dict(description='x', wait=True), 'wait needs state=ran'),
    (dict(description='x', state='ran', wait=True, wait_timeout=0), 'wait_timeout must be more than 0'),
    (dict(description='x', purge_variables=True), 'purge_variables needs variables'),
    (dict(description='x', ref='a b'), 'ref must be a branch or tag name'),
])
def test_bad_inputs_send_nothing(capsys, sfake, args, words):
    result = run(capsys, sfake, **args)
    assert result['failed'] is True and words in result['msg'], result['msg']
    assert result['msg'].startswith('Nothing was done')
    assert calls(sfake) == []
