"""gitlab_ci_trigger through real ansible-playbook, against the fake (or a real GitLab).

Every run's output is scanned for every token the server knows (API and trigger tokens, including
those the run created): only the registered result of a create or rotate may hold one.
"""

import re

import pytest
import requests

from tests.conftest import DEV_TOKEN

PLAYBOOK = 'gitlab_ci_trigger/trigger.yml'
TASK = 'Manage the trigger'
FULL_TOKEN = re.compile(r'^glptt-[0-9a-f]{40}$')
MAINT_TOKEN = 'glpat-maint-00000000000'


def triggers(gitlab, project=None):
    """The project's triggers as the server holds them (full tokens), not through the module."""
    project = project or gitlab.project
    if gitlab.is_fake:
        state = gitlab.state()
        return next(p for p in state['projects'] if p['full_path'] == project).get('triggers', [])
    return gitlab.api('GET', 'projects/%s/triggers' % project.replace('/', '%2F'), params={'per_page': 100}).json()


def by_description(gitlab, description, project=None):
    return [t for t in triggers(gitlab, project) if t['description'] == description]


def four_passes(gitlab, extra_vars, verify=None, token_task_ok=True):
    """check -> apply -> check -> apply; returns the applied result."""
    if gitlab.is_fake:
        gitlab.clear_journal()
    # The caller owns the triggers it creates, so GitLab shows it their full token and the module
    # returns it in the registered result of every run; stdout and stderr must never show it.
    allowed = (TASK,) if token_task_ok else ()
    predicted = gitlab.play(PLAYBOOK, extra_vars, check=True, diff=True, secrets_allowed_in=allowed).assert_ok().task(TASK)
    assert predicted['status'] == 'changed', predicted
    if gitlab.is_fake:
        assert gitlab.writes() == [], 'check mode wrote to GitLab'
    applied = gitlab.play(PLAYBOOK, extra_vars, diff=True, secrets_allowed_in=allowed).assert_ok().task(TASK)
    assert applied['status'] == 'changed', applied
    if verify:
        verify(applied['result'])
    if gitlab.is_fake:
        writes = len(gitlab.writes())
    assert gitlab.play(PLAYBOOK, extra_vars, check=True, diff=True, secrets_allowed_in=allowed).assert_ok().task(TASK)['status'] == 'ok'
    assert gitlab.play(PLAYBOOK, extra_vars, secrets_allowed_in=allowed).assert_ok().task(TASK)['status'] == 'ok'
    if gitlab.is_fake:
        assert len(gitlab.writes()) == writes, 'an unchanged run wrote to GitLab'
    return applied['result']


def test_create_change_description_and_delete_in_four_passes(gitlab):
    base = {'test_project': gitlab.project}

    def created(result):
        server = by_description(gitlab, 'cicd-it-deploy')
        assert len(server) == 1
        assert result['token_available'] is True
        assert FULL_TOKEN.match(result['token']) or not gitlab.is_fake
        assert result['token'] == server[0]['token']
        assert result['trigger']['id'] == server[0]['id']
        assert 'token' not in result['trigger']

    result = four_passes(gitlab, dict(base, test_description='cicd-it-deploy'), created)
    trigger_id = result['trigger']['id']

    def renamed(result):
        assert [t['id'] for t in by_description(gitlab, 'cicd-it-deploy-renamed')] == [trigger_id]
        assert result['trigger']['description'] == 'cicd-it-deploy-renamed'

    four_passes(gitlab, dict(base, test_description='cicd-it-deploy-renamed', test_trigger_id=trigger_id), renamed)

    def deleted(result):
        assert by_description(gitlab, 'cicd-it-deploy-renamed') == []
        assert 'token' not in result

    four_passes(gitlab, dict(base, test_description='cicd-it-deploy-renamed', test_state='absent'), deleted, token_task_ok=False)


def test_rotate_replaces_the_token(gitlab):
    base = {'test_project': gitlab.project, 'test_description': 'cicd-it-rotate'}
    first = gitlab.play(PLAYBOOK, base, secrets_allowed_in=(TASK,)).assert_ok().task(TASK)['result']
    if gitlab.is_fake:
        gitlab.clear_journal()
    predicted = gitlab.play(PLAYBOOK, dict(base, test_rotate=True), check=True, secrets_allowed_in=(TASK,)).assert_ok().task(TASK)
    assert predicted['status'] == 'changed' and predicted['result']['token_available'] is False
    if gitlab.is_fake:
        assert gitlab.writes() == []
    rotated = gitlab.play(PLAYBOOK, dict(base, test_rotate=True), secrets_allowed_in=(TASK,)).assert_ok().task(TASK)
    assert rotated['status'] == 'changed'
    result = rotated['result']
    assert result['token'] != first['token'] and result['trigger']['id'] != first['trigger']['id']
    server = by_description(gitlab, 'cicd-it-rotate')
    assert [t['id'] for t in server] == [result['trigger']['id']]
    assert server[0]['token'] == result['token']
    # Rotating is never idempotent: a second rotation changes again.
    again = gitlab.play(PLAYBOOK, dict(base, test_rotate=True), secrets_allowed_in=(TASK,)).assert_ok().task(TASK)
    assert again['status'] == 'changed' and again['result']['token'] != result['token']


@pytest.mark.fake_only
def test_duplicate_descriptions_need_trigger_id(gitlab):
    ids = sorted(t['id'] for t in by_description(gitlab, 'shared-description'))
    assert len(ids) == 2
    gitlab.clear_journal()
    failure = gitlab.play(PLAYBOOK, {'test_project': gitlab.project, 'test_description': 'shared-description'}).assert_failed().failure()
    for trigger_id in ids:
        assert str(trigger_id) in failure['msg']
    assert 'trigger_id' in failure['msg']
    assert gitlab.writes() == []
    # root is an admin: newest GitLab shows it dev's full token, so the registered result holds it.
    picked = gitlab.play(PLAYBOOK, {'test_project': gitlab.project, 'test_description': 'shared-description',
                                    'test_trigger_id': ids[1]}, secrets_allowed_in=(TASK,)).assert_ok().task(TASK)
    assert picked['status'] == 'ok' and picked['result']['trigger']['id'] == ids[1]


@pytest.mark.fake_only
def test_trigger_owned_by_another_user(gitlab):
    """dev (a Maintainer) does not own maint's trigger: GitLab shows 4 characters, the module says token_available false."""
    gitlab.secret(DEV_TOKEN)
    result = gitlab.play(PLAYBOOK, {'test_project': gitlab.project, 'test_description': 'maint-trigger',
                                    'test_api_token': DEV_TOKEN}).assert_ok().task(TASK)
    assert result['status'] == 'ok'
    assert result['result']['token_available'] is False
    assert 'token' not in result['result']
    assert result['result']['trigger']['owner'] == 'maint'
    # The owner gets the full token.
    gitlab.secret(MAINT_TOKEN)
    owned = gitlab.play(PLAYBOOK, {'test_project': gitlab.project, 'test_description': 'maint-trigger',
                                   'test_api_token': MAINT_TOKEN}, secrets_allowed_in=(TASK,)).assert_ok().task(TASK)
    assert owned['result']['token_available'] is True
    assert owned['result']['token'] == by_description(gitlab, 'maint-trigger')[0]['token']
    # Changing the description of someone else's trigger fails with GitLab's reason, made readable.
    trigger_id = owned['result']['trigger']['id']
    gitlab.clear_journal()
    failure = gitlab.play(PLAYBOOK, {'test_project': gitlab.project, 'test_description': 'taken-over',
                                     'test_trigger_id': trigger_id, 'test_api_token': DEV_TOKEN}).assert_failed().failure()
    assert 'owner' in failure['msg'] and 'rotate' in failure['msg']
    assert [e['method'] for e in gitlab.writes()] == ['PUT']
    assert by_description(gitlab, 'maint-trigger')


@pytest.mark.fake_only
def test_an_admin_sees_and_renames_another_users_trigger(gitlab):
    """Newest app/policies/ci/trigger_policy.rb grants admin_trigger to admins too (older GitLab: the owner only),
    so root (the default token) gets maint's full token and may change its description."""
    seen = gitlab.play(PLAYBOOK, {'test_project': gitlab.project, 'test_description': 'maint-trigger'},
                       secrets_allowed_in=(TASK,)).assert_ok().task(TASK)
    assert seen['result']['token_available'] is True
    assert seen['result']['token'] == by_description(gitlab, 'maint-trigger')[0]['token']
    assert seen['result']['trigger']['owner'] == 'maint'
    renamed = gitlab.play(PLAYBOOK, {'test_project': gitlab.project, 'test_description': 'renamed-by-root',
                                     'test_trigger_id': seen['result']['trigger']['id']},
                          secrets_allowed_in=(TASK,)).assert_ok().task(TASK)
    assert renamed['status'] == 'changed' and renamed['result']['trigger']['owner'] == 'maint'
    assert by_description(gitlab, 'renamed-by-root')


@pytest.mark.fake_only
def test_more_than_20_triggers(gitlab):
    gitlab.clear_journal()
    found = gitlab.play(PLAYBOOK, {'test_project': 'acme/many-triggers', 'test_description': 'trigger-24'},
                        secrets_allowed_in=(TASK,)).assert_ok().task(TASK)
    assert found['status'] == 'ok'
    assert found['result']['trigger']['description'] == 'trigger-24'
    assert [(e['method'], e['query'].get('per_page')) for e in gitlab.journal()] == [('GET', '100')]


@pytest.mark.fake_only
def test_developer_gets_a_clear_403(gitlab):
    gitlab.secret(DEV_TOKEN)
    failure = gitlab.play(PLAYBOOK, {'test_project': 'acme/platform/api', 'test_description': 'x',
                                     'test_api_token': DEV_TOKEN}).assert_failed().failure()
    assert 'HTTP 403' in failure['msg'] or 'HTTP 404' in failure['msg']


BAD_INPUT = [
    ({'test_description': 'x'}, 'project'),
    ({'test_project': 'acme/does-not-exist', 'test_description': 'x'}, '404 Project Not Found'),
    ({'test_project': None, 'test_description': ''}, 'description'),
    ({'test_project': None, 'test_description': '   '}, 'description'),
    ({'test_project': None}, 'description'),
    ({'test_project': None, 'test_trigger_id': 999999}, '999999'),
    ({'test_project': None, 'test_trigger_id': 999999, 'test_description': 'x'}, '999999'),
    ({'test_project': None, 'test_description': 'x', 'test_state': 'absent', 'test_rotate': True}, 'rotate'),
    ({'test_project': None, 'test_description': 'x', 'test_expires_at': 'next tuesday'}, 'expires_at'),
    ({'test_project': None, 'test_description': 'x', 'test_expires_at': '2001-01-01'}, 'expires_at'),
    ({'test_project': None, 'test_description': 'x', 'test_trigger_id': 'seven'}, 'trigger_id'),
    ({'test_project': None, 'test_description': 'x', 'test_state': 'rotated'}, 'state'),
]


@pytest.mark.fake_only
@pytest.mark.parametrize('extra, needle', BAD_INPUT, ids=['case%02d' % i for i in range(len(BAD_INPUT))])
def test_bad_input_is_refused_before_any_write(gitlab, extra, needle):
    extra = {k: (gitlab.project if k == 'test_project' and v is None else v) for k, v in extra.items()}
    gitlab.clear_journal()
    failure = gitlab.play(PLAYBOOK, extra).assert_failed().failure()
    assert needle.lower() in failure['msg'].lower(), failure['msg']
    assert gitlab.writes() == []


@pytest.mark.fake_only
def test_returned_token_starts_a_pipeline(gitlab):
    run = gitlab.play('gitlab_ci_trigger/use_token.yml', {'test_description': 'cicd-it-start'}).assert_ok()
    assert run.task('Show the pipeline id')['result']['msg'].endswith('source trigger')
    created = by_description(gitlab, 'cicd-it-start')[0]
    response = requests.post(gitlab.url + '/api/v4/projects/%s/trigger/pipeline' % gitlab.project.replace('/', '%2F'),
                             json={'token': created['token'], 'ref': 'main', 'variables': {'FROM': 'test'}}, timeout=10)
    assert response.status_code == 201 and response.json()['source'] == 'trigger'
