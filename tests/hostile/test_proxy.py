"""The hostile proxy itself (tests/hostile/proxy.py): each effect does what it says, against the fake."""

import http.client
import time

import pytest
import requests

from tests.conftest import ROOT_TOKEN
from tests.hostile.proxy import HostileProxy, RuleError

HEADERS = {'PRIVATE-TOKEN': ROOT_TOKEN}
VARIABLES = '/api/v4/projects/acme%2Fapp/variables'


@pytest.fixture
def proxy(fake):
    with HostileProxy(fake.url) as started:
        yield started


def raw_get(proxy, path):
    """``(status, headers, body bytes, error)`` read with http.client, which reports short bodies."""
    host, port = proxy.url.split('//')[1].split(':')
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request('GET', path, headers=HEADERS)
        response = connection.getresponse()
        try:
            return response.status, dict(response.getheaders()), response.read(), None
        except http.client.IncompleteRead as exc:
            return response.status, dict(response.getheaders()), exc.partial, exc
    finally:
        connection.close()


def test_forwards_unchanged_and_logs(proxy, fake):
    direct = requests.get(fake.url + VARIABLES, headers=HEADERS, timeout=10)
    through = requests.get(proxy.url + VARIABLES, headers=HEADERS, timeout=10)
    assert through.status_code == direct.status_code == 200
    assert through.json() == direct.json()
    assert through.headers['Content-Type'] == direct.headers['Content-Type']
    created = requests.post(proxy.url + VARIABLES, headers=HEADERS, json={'key': 'VIA_PROXY', 'value': 'x-value-1'}, timeout=10)
    assert created.status_code == 201
    assert [e['method'] for e in fake.journal][-1] == 'POST'
    assert [(e['method'], e['status'], e['credentials']) for e in proxy.log] == [('GET', 200, ['private-token']), ('POST', 201, ['private-token'])]


def test_replace_with_a_login_page_then_count_runs_out(proxy, fake):
    proxy.add_rule(path='/variables$', replace={'status': 200, 'body': '<html><title>Sign in</title></html>', 'content_type': 'text/html'})
    first = requests.get(proxy.url + VARIABLES, headers=HEADERS, timeout=10)
    second = requests.get(proxy.url + VARIABLES, headers=HEADERS, timeout=10)
    assert (first.status_code, first.headers['Content-Type'], first.text) == (200, 'text/html', '<html><title>Sign in</title></html>')
    assert second.json() == []
    assert len(fake.journal) == 1     # the replaced request never reached the fake


@pytest.mark.parametrize('body, expected', [(b'', b''), ({}, b'{}'), (None, b'null'), ({'json': 'a string'}, b'"a string"')])
def test_replace_bodies(proxy, body, expected):
    proxy.add_rule(path='/variables$', replace={'status': 200, 'body': body})
    response = requests.get(proxy.url + VARIABLES, headers=HEADERS, timeout=10)
    assert response.content == expected


def test_replace_after_forwarding_applies_the_write(proxy, fake):
    proxy.add_rule(method='POST', path='/variables$', replace={'status': 201, 'body': {}, 'forward': True})
    response = requests.post(proxy.url + VARIABLES, headers=HEADERS, json={'key': 'FOREIGN', 'value': 'x-value-2'}, timeout=10)
    assert response.json() == {}
    assert any(v['key'] == 'FOREIGN' for v in requests.get(fake.url + VARIABLES, headers=HEADERS, timeout=10).json())


def test_headers_set_and_removed(proxy):
    proxy.add_rule(path='/variables$', headers={'set': {'Content-Type': 'text/plain', 'Retry-After': '99999'}, 'remove': ['X-Total']})
    response = requests.get(proxy.url + VARIABLES, headers=HEADERS, timeout=10)
    assert response.headers['Content-Type'] == 'text/plain'
    assert response.headers['Retry-After'] == '99999'
    assert 'X-Total' not in response.headers


def test_json_set_rewrites_a_field(proxy, fake):
    requests.post(fake.url + VARIABLES, headers=HEADERS, json={'key': 'A1', 'value': 'x-value-3'}, timeout=10)
    proxy.add_rule(path='/variables$', json_set={'value': 'rewritten'})
    assert [v['value'] for v in requests.get(proxy.url + VARIABLES, headers=HEADERS, timeout=10).json()] == ['rewritten']


def test_cut_with_content_length_is_visible(proxy):
    proxy.add_rule(path='/version$', cut={'at': 5, 'framing': 'length'})
    status, headers, body, error = raw_get(proxy, '/api/v4/version')
    assert status == 200 and len(body) == 5 and error is not None
    assert int(headers['Content-Length']) > 5


def test_cut_without_content_length_looks_complete(proxy):
    proxy.add_rule(path='/version$', cut={'at': 5, 'framing': 'none'})
    status, headers, body, error = raw_get(proxy, '/api/v4/version')
    assert status == 200 and len(body) == 5 and error is None and 'Content-Length' not in headers


def test_cut_chunked_never_ends(proxy):
    proxy.add_rule(path='/version$', cut={'at': 5, 'framing': 'chunked'})
    with pytest.raises(requests.exceptions.RequestException):
        requests.get(proxy.url + '/api/v4/version', headers=HEADERS, timeout=10).content  # pylint: disable=expression-not-assigned


def test_drip_sends_slowly(proxy):
    proxy.add_rule(path='/version$', drip={'interval': 0.05, 'size': 4})
    started = time.monotonic()
    response = requests.get(proxy.url + '/api/v4/version', headers=HEADERS, timeout=10)
    assert response.json()['version']
    assert time.monotonic() - started >= 0.05 * (len(response.content) // 4)


def test_drip_outlasts_a_per_read_timeout(proxy):
    """Why a total bound is needed: each byte arrives within requests' (per-read) timeout, the whole takes longer."""
    proxy.add_rule(path='/version$', drip={'interval': 0.05, 'size': 1})
    started = time.monotonic()
    response = requests.get(proxy.url + '/api/v4/version', headers=HEADERS, timeout=1)
    assert response.json()['version'] and time.monotonic() - started > 1


def test_lose_reset_applies_the_write(proxy, fake):
    proxy.add_rule(method='POST', path='/variables$', lose='reset')
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.post(proxy.url + VARIABLES, headers=HEADERS, json={'key': 'LOST', 'value': 'x-value-4'}, timeout=10)
    assert [v['key'] for v in requests.get(fake.url + VARIABLES, headers=HEADERS, timeout=10).json()] == ['LOST']


def test_lose_hold_times_out(proxy, fake):
    proxy.add_rule(method='POST', path='/variables$', lose={'hold': 3})
    with pytest.raises(requests.exceptions.Timeout):
        requests.post(proxy.url + VARIABLES, headers=HEADERS, json={'key': 'HELD', 'value': 'x-value-5'}, timeout=0.5)
    assert fake.journal[-1]['method'] == 'POST'


def test_redirect_to_another_origin_shows_the_credentials_sent_there(proxy, fake):
    with HostileProxy(fake.url, host='127.0.0.2') as other:
        proxy.add_rule(path='/variables$', redirect={'status': 302, 'location': other.url + '{path}{query}'}, count=2)
        response = requests.get(proxy.url + VARIABLES + '?page=1', headers=HEADERS, timeout=10)
        # requests drops only Authorization on a redirect to another host: PRIVATE-TOKEN goes along,
        # and the other origin's log shows it (the modules' client must not do that).
        assert response.status_code == 200 and response.history[0].status_code == 302
        assert other.log[0]['path'].endswith('/variables') and other.log[0]['query'] == 'page=1'
        assert other.log[0]['credentials'] == ['private-token']
        bare = requests.get(proxy.url + VARIABLES, timeout=10)
        assert bare.status_code == 401 and other.log[1]['credentials'] == []


def test_redirect_answers_a_post_without_forwarding(proxy, fake):
    proxy.add_rule(method='POST', path='/variables$', redirect={'status': 301, 'location': 'https://elsewhere.example/'})
    response = requests.post(proxy.url + VARIABLES, headers=HEADERS, json={'key': 'R', 'value': 'x'}, timeout=10, allow_redirects=False)
    assert response.status_code == 301 and response.headers['Location'] == 'https://elsewhere.example/'
    assert fake.journal == []


def test_cases_scope_rules_and_log(proxy):
    seen = []
    proxy.on_case = seen.append
    proxy.add_rule(path='/version$', case='b', replace={'status': 418, 'body': {}})
    requests.get(proxy.url + '/-/hostile/case/a', timeout=10)
    first = requests.get(proxy.url + '/api/v4/version', headers=HEADERS, timeout=10)
    requests.get(proxy.url + '/-/hostile/case/b', timeout=10)
    second = requests.get(proxy.url + '/api/v4/version', headers=HEADERS, timeout=10)
    assert (first.status_code, second.status_code) == (200, 418)
    assert seen == ['a', 'b']
    assert [e['case'] for e in proxy.log] == ['a', 'b']
    assert len(proxy.case_log('a')) == 1


def test_control_endpoints(proxy):
    created = requests.post(proxy.url + '/-/hostile/rules', json={'path': '/version$', 'replace': {'status': 503, 'body': 'down'}}, timeout=10)
    assert created.status_code == 201 and created.json()['remaining'] == 1
    assert requests.get(proxy.url + '/api/v4/version', timeout=10).status_code == 503
    assert requests.get(proxy.url + '/-/hostile/rules', timeout=10).json()[0]['hits'] == 1
    assert len(requests.get(proxy.url + '/-/hostile/log', timeout=10).json()) == 1
    assert requests.post(proxy.url + '/-/hostile/rules', json={'path': '('}, timeout=10).status_code == 400


BAD_RULES = [{}, {'replace': {}, 'drip': {}}, {'lose': 'later'}, {'cut': {'framing': 'odd'}}, {'redirect': {}}, {'path': '(', 'lose': 'reset'},
             {'lose': 'reset', 'count': 0}]


@pytest.mark.parametrize('rule', BAD_RULES)
def test_bad_rules_are_refused(proxy, rule):
    with pytest.raises(RuleError):
        proxy.add_rule(**rule)
