"""The object-storage stand-in behind 302 downloads (artifacts.py, storage.py)."""

import threading

import pytest
import requests

from tests.fidelity.helpers import ROOT, TIMEOUT


def test_serves_bytes_on_another_host(fake):
    url = fake.storage.put(body=b'hello', content_type='text/plain', headers=[('Content-Disposition', 'attachment; filename="h.txt"')])
    assert url.startswith('http://127.0.0.2:')
    response = requests.get(url, timeout=TIMEOUT)
    assert (response.status_code, response.content) == (200, b'hello')
    assert response.headers['Content-Disposition'] == 'attachment; filename="h.txt"'
    head = requests.head(url, timeout=TIMEOUT)
    assert (head.status_code, head.headers['Content-Length'], head.content) == (200, '5', b'')


@pytest.mark.parametrize('header', ['PRIVATE-TOKEN', 'JOB-TOKEN', 'Authorization'])
def test_refuses_credentials(fake, header):
    url = fake.storage.put(body=b'secret stuff')
    response = requests.get(url, headers={header: 'Bearer x' if header == 'Authorization' else ROOT}, timeout=TIMEOUT)
    assert response.status_code == 403
    assert response.headers['Content-Type'] == 'application/xml'
    assert '<Code>AccessDenied</Code>' in response.text
    assert fake.storage_journal[-1]['auth_headers'] == [header]
    assert ROOT not in str(fake.storage_journal)


def test_requests_forwards_private_token_across_hosts(fake, api):
    """Why clients must drop PRIVATE-TOKEN themselves: requests only strips Authorization."""
    fake.add_fault({'method': 'GET', 'path': '/variables$', 'redirect': True})
    response = api(ROOT).get('/projects/acme%2Fapp/variables')
    assert response.status_code == 403
    assert fake.storage_journal[0]['auth_headers'] == ['PRIVATE-TOKEN']


def test_signature_expiry_and_unknown_blobs(fake):
    url = fake.storage.put(body=b'x')
    tampered = url.replace('X-Amz-Signature=', 'X-Amz-Signature=0')
    assert '<Code>SignatureDoesNotMatch</Code>' in requests.get(tampered, timeout=TIMEOUT).text
    assert requests.get(url.split('?')[0], timeout=TIMEOUT).status_code == 403
    missing = requests.get(fake.storage_url + '/bucket/nope', timeout=TIMEOUT)
    assert (missing.status_code, '<Code>NoSuchKey</Code>' in missing.text) == (404, True)
    expired = fake.storage.put(body=b'x', expires_in=-1)
    assert '<Code>AccessDenied</Code>' in requests.get(expired, timeout=TIMEOUT).text
    assert requests.put(url, data=b'y', timeout=TIMEOUT).status_code == 405


def test_streams_generated_blobs(fake):
    """The first chunk reaches the client before the next one is even produced."""
    gate = threading.Event()

    def produce():
        yield b'a' * 1000
        assert gate.wait(5)
        yield b'b' * 3000

    url = fake.storage.put(produce=produce, size=4000)
    response = requests.get(url, stream=True, timeout=TIMEOUT)
    assert response.headers['Content-Length'] == '4000'
    assert response.raw.read(1000) == b'a' * 1000
    gate.set()
    assert response.raw.read() == b'b' * 3000


def test_journal_over_http(fake):
    url = fake.storage.put(body=b'x')
    requests.get(url, timeout=TIMEOUT)
    requests.get(url, headers={'JOB-TOKEN': 'abc'}, timeout=TIMEOUT)
    received = requests.get(fake.url + '/-/fake/storage/journal', timeout=TIMEOUT).json()
    path = url.split('?')[0][len(fake.storage_url):]
    assert received == [{'method': 'GET', 'path': path, 'auth_headers': []},
                        {'method': 'GET', 'path': path, 'auth_headers': ['JOB-TOKEN']}]
    assert requests.delete(fake.url + '/-/fake/storage/journal', timeout=TIMEOUT).status_code == 204
    assert fake.storage_journal == []
