"""The fake's optional HTTPS mode (``FakeGitLab(tls_cert=..., tls_key=...)``, ``--tls-cert/--tls-key``).

A self-signed certificate for 127.0.0.1 is made at test time with the ``openssl`` command line.
"""

import os
import shutil
import signal
import subprocess
import sys

import pytest
import requests

from tests.fake_gitlab import FakeGitLab
from tests.fidelity.helpers import DEFAULT_SEED, ROOT, ROOT_DIR, TIMEOUT

pytestmark = pytest.mark.skipif(not shutil.which('openssl'), reason='needs the openssl command line')


def self_signed(folder):
    """``(cert, key)``: PEM files of a one-day self-signed certificate for 127.0.0.1."""
    cert, key = os.path.join(folder, 'cert.pem'), os.path.join(folder, 'key.pem')
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-keyout', key, '-out', cert,
                    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
                   check=True, capture_output=True)
    return cert, key


@pytest.fixture(scope='module')
def pem(tmp_path_factory):
    return self_signed(str(tmp_path_factory.mktemp('tls')))


def test_https_with_the_certificate(pem):
    cert, key = pem
    with FakeGitLab(seed=DEFAULT_SEED, tls_cert=cert, tls_key=key) as fake:
        assert fake.url.startswith('https://127.0.0.1:')
        response = requests.get(fake.url + '/api/v4/version', headers={'PRIVATE-TOKEN': ROOT}, verify=cert, timeout=TIMEOUT)
        assert response.status_code == 200 and response.json()['version']
        # Links the fake builds (web_url, Link headers) use the https URL.
        project = requests.get(fake.url + '/api/v4/projects/acme%2Fapp', headers={'PRIVATE-TOKEN': ROOT}, verify=cert, timeout=TIMEOUT)
        assert project.json()['web_url'].startswith(fake.url + '/')
        # The control endpoints are on the same HTTPS listener.
        assert requests.get(fake.url + '/-/fake/journal', verify=cert, timeout=TIMEOUT).status_code == 200


def test_unknown_certificate_is_refused_and_the_server_keeps_serving(pem):
    cert, key = pem
    with FakeGitLab(seed=DEFAULT_SEED, tls_cert=cert, tls_key=key) as fake:
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(fake.url + '/api/v4/version', timeout=TIMEOUT)     # system CAs only
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get(fake.url.replace('https://', 'http://') + '/api/v4/version', timeout=TIMEOUT)
        assert requests.get(fake.url + '/api/v4/version', headers={'PRIVATE-TOKEN': ROOT}, verify=cert, timeout=TIMEOUT).status_code == 200


def test_plain_http_is_the_default():
    with FakeGitLab(seed=DEFAULT_SEED) as fake:
        assert fake.url.startswith('http://127.0.0.1:')


def test_command_line(pem):
    cert, key = pem
    proc = subprocess.Popen([sys.executable, '-m', 'tests.fake_gitlab', '--port', '0', '--tls-cert', cert, '--tls-key', key],
                            cwd=ROOT_DIR, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith('URL=https://127.0.0.1:'), line + proc.stderr.read()
        url = line[len('URL='):]
        assert requests.get(url + '/api/v4/version', headers={'PRIVATE-TOKEN': ROOT}, verify=cert, timeout=TIMEOUT).status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0


def test_command_line_needs_both_files(pem):
    proc = subprocess.run([sys.executable, '-m', 'tests.fake_gitlab', '--tls-cert', pem[0]], cwd=ROOT_DIR,
                          capture_output=True, text=True, timeout=30, check=False)
    assert proc.returncode == 2 and '--tls-key' in proc.stderr
