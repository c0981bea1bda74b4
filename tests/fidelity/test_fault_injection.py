"""Fault injection (/-/fake/faults): every effect, selection, journal.

See tests/fake_gitlab/faults.py and https://docs.gitlab.com/administration/settings/user_and_ip_rate_limits/."""

import email.utils
import random
import socket
import time

import pytest
import requests

from tests.fidelity.cihelpers import drive, jobs_of, new_pipeline
from tests.fidelity.helpers import ROOT, TIMEOUT, state_variables

P = '/projects/acme%2Fapp/variables'


def add_fault(fake, **rule):
    response = requests.post(fake.url + '/-/fake/faults', json=rule, timeout=TIMEOUT)
    assert response.status_code == 201, response.text
    return response.json()


def journal(fake):
    return requests.get(fake.url + '/-/fake/journal', timeout=TIMEOUT).json()


@pytest.fixture
def root(api):
    return api(ROOT)


def test_rack_attack_429(fake, root):
    add_fault(fake, method='POST', path='/variables$', status=429)
    before = time.time()
    response = root.post(P, json={'key': 'A', 'value': 'v'})
    assert response.status_code == 429
    assert response.headers['Content-Type'] == 'text/plain'
    assert response.text == 'Retry later\n'
    assert response.headers['Retry-After'] == '1'
    reset = int(response.headers['RateLimit-Reset'])
    assert before <= reset <= time.time() + 2
    assert response.headers['RateLimit-ResetTime'] == email.utils.formatdate(reset, usegmt=True)
    assert (response.headers['RateLimit-Name'], response.headers['RateLimit-Remaining']) == ('throttle_authenticated_api', '0')
    assert response.headers['RateLimit-Limit'] and response.headers['RateLimit-Observed']
    assert state_variables(fake, 'project', 'acme/app') == []            # refused before acting
    assert journal(fake)[-1] == {'method': 'POST', 'path': '/api/v4' + P, 'query': {}, 'status': 429, 'user': None}
    assert root.post(P, json={'key': 'A', 'value': 'v'}).status_code == 201   # count 1: used up


def test_429_retry_after_date_and_reset(fake, root):
    date = email.utils.formatdate(time.time() + 30, usegmt=True)
    add_fault(fake, method='GET', path='/variables', status=429, retry_after=date, ratelimit_reset=1800000000)
    response = root.get(P)
    assert (response.headers['Retry-After'], response.headers['RateLimit-Reset']) == (date, '1800000000')


def test_app_limiter_json_429_has_no_retry_after(fake, root):
    body = {'message': {'error': 'This endpoint has been requested too many times. Try again later.'}}
    add_fault(fake, method='GET', path='/variables', status=429, body=body)
    response = root.get(P)
    assert (response.status_code, response.json()) == (429, body)
    assert 'Retry-After' not in response.headers


@pytest.mark.parametrize('status', [500, 502, 503, 504])
def test_server_errors(fake, root, status):
    add_fault(fake, path='/variables', status=status, retry_after='7')
    response = root.get(P)
    assert response.status_code == status
    assert response.headers['Retry-After'] == '7'
    if status == 500:
        assert response.json() == {'message': '500 Internal Server Error'}
    else:
        # A proxy's page, shaped like GitLab's public/50x.html (about 3 KB of markup and styles).
        assert response.headers['Content-Type'].startswith('text/html')
        assert '<title>GitLab is ' in response.text and '(%d)</title>' % status in response.text
        assert '<style>' in response.text and len(response.content) > 2000


def test_apply_then_fail(fake, root):
    """A 502 from a proxy after the backend created the variable."""
    add_fault(fake, method='POST', path='/variables$', status=502, apply=True)
    assert root.post(P, json={'key': 'A', 'value': 'v'}).status_code == 502
    assert [v['key'] for v in state_variables(fake, 'project', 'acme/app')] == ['A']
    assert journal(fake)[-1]['status'] == 502
    assert journal(fake)[-1]['user'] == 'root'


def test_delay(fake, root):
    add_fault(fake, method='GET', path='/variables', delay=0.2)
    start = time.monotonic()
    assert root.get(P).status_code == 200
    assert time.monotonic() - start >= 0.2
    with pytest.raises(requests.exceptions.ReadTimeout):
        add_fault(fake, method='GET', path='/variables', delay=0.5)
        root.get(P, timeout=0.1)


def test_drop_before_is_not_applied(fake, root):
    add_fault(fake, method='POST', path='/variables$', drop='before')
    with pytest.raises(requests.exceptions.ConnectionError):
        root.post(P, json={'key': 'A', 'value': 'v'})
    assert state_variables(fake, 'project', 'acme/app') == []
    assert journal(fake)[-1]['status'] == 0
    assert root.get(P).status_code == 200       # the session recovers on a new connection


def test_drop_after_is_applied_but_broken(fake, root):
    add_fault(fake, method='POST', path='/variables$', drop='after')
    with pytest.raises((requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError)):
        root.post(P, json={'key': 'A', 'value': 'v'})
    assert [v['key'] for v in state_variables(fake, 'project', 'acme/app')] == ['A']
    assert journal(fake)[-1]['status'] == 0


def test_drop_after_an_empty_body_cuts_the_headers(fake, root):
    root.post(P, json={'key': 'A', 'value': 'v'})
    add_fault(fake, method='DELETE', path='/variables/A', drop='after')
    with pytest.raises(requests.exceptions.ConnectionError):
        root.delete(P + '/A')
    assert state_variables(fake, 'project', 'acme/app') == []


def raw_get(fake, path, token=ROOT):
    """GET over a plain socket, read to EOF: ``(head, body)`` exactly as the server sent them."""
    host, port = fake.url.split('//')[1].split(':')
    with socket.create_connection((host, int(port)), timeout=TIMEOUT) as sock:
        sock.sendall(('GET /api/v4%s HTTP/1.1\r\nHost: %s\r\nPRIVATE-TOKEN: %s\r\nConnection: close\r\n\r\n' % (path, host, token)).encode('latin-1'))
        data = b''
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    head, body = data.split(b'\r\n\r\n', 1)
    return head.decode('latin-1'), body


def content_length(head):
    return int(next(line.split(':', 1)[1] for line in head.split('\r\n') if line.lower().startswith('content-length:')))


@pytest.mark.parametrize('drop_at, sent', [(10, lambda n: 10), (0, lambda n: 0), (0.25, lambda n: n // 4),
                                           (1.0, lambda n: n), (10 ** 6, lambda n: n)],
                         ids=['10-bytes', '0-bytes', 'quarter', 'whole-fraction', 'past-the-end'])
def test_drop_after_at_a_chosen_point(fake, root, drop_at, sent):
    for index in range(5):
        root.post(P, json={'key': 'K%d' % index, 'value': 'value-%d' % index})
    full = root.get(P).content
    add_fault(fake, method='GET', path='/variables$', drop='after', drop_at=drop_at)
    head, body = raw_get(fake, P)
    assert head.startswith('HTTP/1.1 200') and content_length(head) == len(full)   # announces the whole body
    assert body == full[:sent(len(full))]
    assert journal(fake)[-1]['status'] == 0
    assert raw_get(fake, P)[1] == full                                              # count 1: used up


def test_drop_at_cuts_a_streamed_body(fake, root):
    """The same on a streamed answer (acme/svc's artifacts archive, over 64 KiB); a count keeps the point."""
    clock = drive(fake)
    pipeline = new_pipeline(root, project='/projects/acme%2Fsvc')
    clock.advance(10)
    build = jobs_of(root, pipeline, project='/projects/acme%2Fsvc')['build']
    path = '/projects/acme%%2Fsvc/jobs/%d/artifacts' % build['id']
    full = root.get(path).content
    assert len(full) > 65536
    add_fault(fake, method='GET', path='/artifacts$', drop='after', drop_at=0.7, count=2)
    for dummy in range(2):
        head, body = raw_get(fake, path)
        assert content_length(head) == len(full) and body == full[:int(len(full) * 0.7)]


def test_redirect_to_storage(fake, root):
    root.post(P, json={'key': 'A', 'value': 'v'})
    expected = root.get(P).content
    add_fault(fake, method='GET', path='/variables$', redirect=True)
    response = root.get(P, allow_redirects=False)
    assert response.status_code == 302
    location = response.headers['Location']
    assert location.startswith(fake.storage_url + '/bucket/') and 'X-Amz-Signature=' in location
    assert fake.storage_url.startswith('http://127.0.0.2:')
    assert response.text == 'This resource has been moved temporarily to %s.' % location
    assert journal(fake)[-1]['status'] == 302
    downloaded = requests.get(location, timeout=TIMEOUT)
    assert (downloaded.status_code, downloaded.content) == (200, expected)
    assert downloaded.headers['Content-Type'] == 'application/json'
    assert fake.storage_journal == [{'method': 'GET', 'path': location.split('?')[0][len(fake.storage_url):], 'auth_headers': []}]


def test_redirect_only_for_get_and_success(fake, root):
    with pytest.raises(AssertionError):
        add_fault(fake, method='POST', path='/variables', redirect=True)
    add_fault(fake, path='/variables', redirect=True, count=5)
    assert root.post(P, json={'key': 'A', 'value': 'v'}).status_code == 201      # not a GET: untouched
    assert root.get(P + '/NOPE', allow_redirects=False).status_code == 404        # errors are not redirected
    assert root.get(P, allow_redirects=False).status_code == 302


def test_count_and_method_selection(fake, root):
    add_fault(fake, method='GET', path='/variables$', status=503, count=2)
    assert root.post(P, json={'key': 'A', 'value': 'v'}).status_code == 201
    assert [root.get(P).status_code for dummy in range(3)] == [503, 503, 200]
    rules = requests.get(fake.url + '/-/fake/faults', timeout=TIMEOUT).json()
    assert [(r['id'], r['remaining'], r['hits']) for r in rules] == [(1, 0, 2)]


def test_seeded_rate_is_reproducible(fake, root):
    add_fault(fake, method='GET', path='/version', status=500, rate=0.3, seed=42)
    statuses = [root.get('/version').status_code for dummy in range(30)]
    generator = random.Random(42)
    assert statuses == [500 if generator.random() < 0.3 else 200 for dummy in range(30)]
    assert 0 < statuses.count(500) < 30


def test_faults_only_touch_the_api(fake, root):
    add_fault(fake, path='.*', status=500, count=100)
    assert requests.get(fake.url + '/-/fake/journal', timeout=TIMEOUT).status_code == 200
    assert requests.get(fake.url + '/-/fake/state', timeout=TIMEOUT).status_code == 200
    assert root.get('/version').status_code == 500
    assert requests.delete(fake.url + '/-/fake/faults', timeout=TIMEOUT).status_code == 204
    assert root.get('/version').status_code == 200


@pytest.mark.parametrize('rule', [
    {'path': 'x'},
    {'path': 'x', 'status': 500, 'delay': 1},
    {'path': '(', 'status': 500},
    {'method': 'FETCH', 'status': 500},
    {'status': 200},
    {'drop': 'sometimes'},
    {'status': 500, 'count': 0},
    {'status': 500, 'rate': 2},
    {'delay': 0.1, 'apply': True},
    {'drop': 'before', 'drop_at': 10},
    {'drop': 'after', 'drop_at': -1},
    {'drop': 'after', 'drop_at': 1.5},
    {'drop': 'after', 'drop_at': True},
    {'drop': 'after', 'drop_at': 'half'},
])
def test_bad_rules_are_400(fake, rule):
    response = requests.post(fake.url + '/-/fake/faults', json=rule, timeout=TIMEOUT)
    assert response.status_code == 400
    assert list(response.json()) == ['error']


def test_python_api(fake, root):
    fake.add_fault({'method': 'GET', 'path': '/version', 'status': 504})
    assert root.get('/version').status_code == 504
    fake.add_fault({'method': 'GET', 'path': '/version', 'status': 504})
    fake.clear_faults()
    assert root.get('/version').status_code == 200
