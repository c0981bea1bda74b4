"""Control endpoints (/-/fake/*): journal, state dump, reset, seeds; and the command line."""

import os
import signal
import subprocess
import sys

import pytest
import requests
import yaml

from tests.fake_gitlab import FakeGitLab
from tests.fake_gitlab.state import SeedError
from tests.fidelity.helpers import DEV, ROOT, ROOT_DIR, TIMEOUT, Api

P = '/projects/acme%2Fapp/variables'


def control(fake, method, path, **kwargs):
    return requests.request(method, fake.url + '/-/fake/' + path, timeout=TIMEOUT, **kwargs)


def test_journal_entries_carry_no_secrets(fake, api):
    api(DEV).get(P, params={'page': 1, 'filter[environment_scope]': 'x'})
    api(None).get(P, params={'private_token': DEV})
    api(ROOT).post(P, json={'key': 'SECRET', 'value': 'super-secret-value'})
    api(None).get('/version')
    requests.get(fake.url + '/api/v4/projects/acme%2Fapp', headers={'PRIVATE-TOKEN': 'bogus'}, timeout=TIMEOUT)
    entries = control(fake, 'GET', 'journal').json()
    assert entries == [
        {'method': 'GET', 'path': '/api/v4' + P, 'query': {'page': '1', 'filter[environment_scope]': 'x'}, 'status': 200, 'user': 'dev'},
        {'method': 'GET', 'path': '/api/v4' + P, 'query': {'private_token': '[FILTERED]'}, 'status': 200, 'user': 'dev'},
        {'method': 'POST', 'path': '/api/v4' + P, 'query': {}, 'status': 201, 'user': 'root'},
        {'method': 'GET', 'path': '/api/v4/version', 'query': {}, 'status': 401, 'user': None},
        {'method': 'GET', 'path': '/api/v4/projects/acme%2Fapp', 'query': {}, 'status': 401, 'user': None},
    ]
    text = str(entries)
    assert DEV not in text and ROOT not in text and 'super-secret-value' not in text
    assert fake.journal == entries
    assert control(fake, 'DELETE', 'journal').status_code == 204
    assert control(fake, 'GET', 'journal').json() == []


def test_control_calls_are_not_journaled(fake):
    control(fake, 'GET', 'state')
    control(fake, 'GET', 'faults')
    assert fake.journal == []


def test_state_dump_has_values(fake, api):
    api(ROOT).post(P, json={'key': 'H', 'value': 'hunter2-hunter2', 'masked_and_hidden': True})
    state = control(fake, 'GET', 'state').json()
    app = next(p for p in state['projects'] if p['full_path'] == 'acme/app')
    assert app['variables'] == [{'variable_type': 'env_var', 'key': 'H', 'value': 'hunter2-hunter2', 'hidden': True,
                                 'protected': False, 'masked': True, 'raw': False, 'environment_scope': '*', 'description': None}]
    assert app['ci'][0]['name'] == 'build' and app['branches'] == ['main', 'release']
    assert [u['username'] for u in state['users']][:2] == ['root', 'dev']
    assert state['license'] == 'premium' and state['redirects'] == {'acme/old-app': 'acme/app'}
    assert fake.dump_state() == state


def test_reset_restores_the_seed(fake, api):
    api(ROOT).post(P, json={'key': 'A', 'value': 'v'})
    fake.add_fault({'path': 'x', 'status': 500})
    assert control(fake, 'POST', 'reset').status_code == 204
    assert api(ROOT).get(P).json() == []
    assert control(fake, 'GET', 'faults').json() == []
    assert fake.journal == [{'method': 'GET', 'path': '/api/v4' + P, 'query': {}, 'status': 200, 'user': 'root'}]


def test_reset_with_a_new_seed(fake):
    seed = {'users': [{'username': 'solo', 'token': 'glpat-solo', 'admin': True}], 'groups': [{'path': 'g'}],
            'projects': [{'path': 'g/p', 'variables': [{'key': 'K', 'value': 'v'}]}]}
    assert control(fake, 'POST', 'reset', json={'seed': seed}).status_code == 204
    assert Api(fake, 'glpat-solo').get('/projects/g%2Fp/variables').json()[0]['value'] == 'v'
    assert Api(fake, ROOT).get('/version').status_code == 401
    bad = control(fake, 'POST', 'reset', json={'seed': {'projects': [{'path': 'nowhere/p'}]}})
    assert (bad.status_code, list(bad.json())) == (400, ['error'])
    assert Api(fake, 'glpat-solo').get('/projects/g%2Fp/variables').status_code == 200     # untouched


def test_unknown_control_path(fake):
    assert control(fake, 'GET', 'nothing').status_code == 404
    assert requests.get(fake.url + '/elsewhere', timeout=TIMEOUT).json() == {'error': '404 Not Found'}


@pytest.mark.parametrize('seed, message', [
    ({'projects': [{'path': 'lonely'}]}, 'needs a namespace'),
    ({'groups': [{'path': 'a/b'}]}, "parent group 'a'"),
    ({'users': [{'username': 'u'}], 'groups': [{'path': 'g', 'members': {'u': 'boss'}}]}, "unknown role 'boss'"),
    ({'users': [{'username': 'u'}, {'username': 'u'}]}, 'duplicate username'),
    ({'license': 'gold'}, 'license'),
])
def test_seed_errors(seed, message):
    with pytest.raises(SeedError, match=message):
        FakeGitLab(seed=seed)


def test_seed_features(make_fake):
    server = make_fake({
        'users': [{'username': 'root', 'token': ROOT, 'admin': True}, {'username': 'ann', 'token': 'glpat-ann'}],
        'groups': [{'path': 'top', 'visibility': 'internal'}, {'path': 'top/mid'}],
        'projects': [{'path': 'ann/own'}, {'path': 'top/mid/svc', 'visibility': 'public', 'wiki': [{'title': 'x'}]}],
        'ci': {'anything': True},
        'external_url': 'https://gitlab.example.com/',
    })
    ann = Api(server, 'glpat-ann')
    own = ann.get('/projects/ann%2Fown').json()
    assert (own['namespace']['kind'], own['web_url']) == ('user', 'https://gitlab.example.com/ann/own')
    assert ann.get('/groups/top').status_code == 200                 # internal: any signed-in user
    assert ann.get('/projects/ann%2Fown/variables').status_code == 200  # Owner of her namespace
    assert Api(server, None).get('/projects/top%2Fmid%2Fsvc').status_code == 200
    state = server.dump_state()
    assert state['extra'] == {'ci': {'anything': True}}
    assert state['projects'][1]['extra'] == {'wiki': [{'title': 'x'}]}


def test_bundled_seeds_load():
    for name in ('default.yml', 'demo.yml'):
        path = os.path.join(ROOT_DIR, 'tests', 'fake_gitlab', 'seeds', name)
        with open(path, encoding='utf-8') as handle:
            assert isinstance(yaml.safe_load(handle), dict)
        with FakeGitLab(seed=path) as server:
            assert Api(server).get('/version').status_code == 200


def test_context_manager_and_python_api():
    with FakeGitLab() as server:                 # None: seeds/default.yml
        assert server.url.startswith('http://127.0.0.1:') and not server.url.endswith('/')
        assert server.api_url == server.url + '/api/v4'
        assert Api(server).get('/projects/acme%2Fapp').status_code == 200
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(server.url + '/api/v4/version', timeout=1)


def test_keep_alive_connections_are_reused(fake, api):
    session = api(ROOT)
    for dummy in range(5):
        assert session.get('/version').status_code == 200
    assert len(fake._server.connections) == 1      # pylint: disable=protected-access


def test_command_line():
    seed = os.path.join('tests', 'fake_gitlab', 'seeds', 'default.yml')
    with subprocess.Popen([sys.executable, '-m', 'tests.fake_gitlab', '--port', '0', '--seed', seed],
                          cwd=ROOT_DIR, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        try:
            line = process.stdout.readline()
            assert line.startswith('URL=http://127.0.0.1:')
            url = line.strip()[len('URL='):]
            response = requests.get(url + '/api/v4/user', headers={'PRIVATE-TOKEN': ROOT}, timeout=TIMEOUT)
            assert response.json()['username'] == 'root'
        finally:
            process.send_signal(signal.SIGTERM)
            out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert out == ''                               # exactly one line in all
