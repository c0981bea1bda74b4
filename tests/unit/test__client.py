"""GitLabClient: pure unit tests, then contract tests against the fake GitLab.

Every rule of the shared client (issue: foundation, section 2) has a test here that fails
without it: auth headers, no /user probe, retries (429 for any method honouring Retry-After and
RateLimit-Reset; 502/503/504 and connection errors only for idempotent methods; a POST is never
re-sent), bounded waiting, pagination, typed errors with GitLab's words, identifiers, redirects
without credentials, streaming downloads and the user agent.
"""

import email.utils
import errno
import hashlib
import io
import os
import socket
import threading
import time

import pytest
import requests
import yaml

from ansible_collections.cicd.gitlab.plugins.module_utils import _client as client_mod
from ansible_collections.cicd.gitlab.plugins.module_utils import _errors as errors
from ansible_collections.cicd.gitlab.plugins.module_utils._client import GitLabClient

from tests.conftest import DEV_TOKEN, ROOT, ROOT_TOKEN

TOKENS = (ROOT_TOKEN, DEV_TOKEN)


class Sleeper:
    """Injectable sleep that records the delays instead of waiting."""

    def __init__(self):
        self.delays = []

    def __call__(self, seconds):
        self.delays.append(seconds)


def make_client(fake, token=ROOT_TOKEN, **kwargs):
    sleeper = kwargs.pop('sleep', None) or Sleeper()
    client = GitLabClient(fake.url, token=token, sleep=sleeper, **kwargs)
    client.sleeper = sleeper
    return client


def journal(fake):
    return requests.get(fake.url + '/-/fake/journal', timeout=10).json()


def clear_journal(fake):
    requests.delete(fake.url + '/-/fake/journal', timeout=10)


def add_fault(fake, **rule):
    response = requests.post(fake.url + '/-/fake/faults', json=rule, timeout=10)
    assert response.status_code < 300, response.text


def writes(entries):
    return [e for e in entries if e['method'] in ('POST', 'PUT', 'DELETE')]


def assert_no_secret(text):
    for token in TOKENS:
        assert token not in text


# ---- pure logic ---------------------------------------------------------------------------


@pytest.mark.parametrize('value, expected', [
    (42, '42'),
    ('42', '42'),
    ('acme/app', 'acme%2Fapp'),
    ('acme/platform/app', 'acme%2Fplatform%2Fapp'),
    ('group.name/my app', 'group.name%2Fmy%20app'),
])
def test_encode_id_is_one_segment(value, expected):
    assert client_mod.encode_id(value) == expected


def test_project_and_group_paths():
    assert client_mod.project_path('acme/app') == 'projects/acme%2Fapp'
    assert client_mod.group_path(7) == 'groups/7'


@pytest.mark.parametrize('url', ['https://gitlab.example.com', 'https://gitlab.example.com/',
                                 'https://gitlab.example.com/api/v4', 'https://gitlab.example.com/api/v4/'])
def test_api_url_forms(url):
    assert GitLabClient(url).api_base == 'https://gitlab.example.com/api/v4/'


def test_retry_after_seconds_and_http_date():
    now = 1_700_000_000.0
    assert client_mod._parse_retry_after('7', now) == 7.0
    date = email.utils.formatdate(now + 12, usegmt=True)
    assert client_mod._parse_retry_after(date, now) == pytest.approx(12, abs=1)
    assert client_mod._parse_retry_after('garbage', now) is None
    assert client_mod._parse_retry_after(None, now) is None
    assert client_mod._parse_retry_after(email.utils.formatdate(now - 60, usegmt=True), now) == 0.0


def test_auth_header_per_token_type():
    assert GitLabClient('http://x', token='t1')._auth == {'PRIVATE-TOKEN': 't1'}
    assert GitLabClient('http://x', token='t2', token_type='oauth')._auth == {'Authorization': 'Bearer t2'}
    assert GitLabClient('http://x', token='t3', token_type='job')._auth == {'JOB-TOKEN': 't3'}
    assert GitLabClient('http://x')._auth == {}


def test_user_agent_names_the_collection_version():
    with open(os.path.join(ROOT, 'galaxy.yml'), encoding='utf-8') as handle:
        version = yaml.safe_load(handle)['version']
    assert client_mod.COLLECTION_VERSION == version
    assert GitLabClient('http://x').session.headers['User-Agent'] == 'cicd.gitlab/%s' % version


def test_tls_settings(tmp_path):
    bundle = tmp_path / 'ca.pem'
    bundle.write_text('not checked here')
    assert GitLabClient('https://x').session.verify is True
    assert GitLabClient('https://x', validate_certs=False).session.verify is False
    assert GitLabClient('https://x', ca_path=str(bundle)).session.verify == str(bundle)


class _Resp:
    def __init__(self, headers, url='http://gitlab.internal/api/v4/projects/1/jobs?per_page=100'):
        self.headers = headers
        self.url = url


def test_next_page_prefers_link_and_rebases_it_on_api_url():
    client = GitLabClient('https://gitlab.example.com')
    resp = _Resp({'Link': '<http://external.example/api/v4/projects/1/jobs?cursor=abc&per_page=100>; rel="next", '
                          '<http://external.example/api/v4/projects/1/jobs?page=1>; rel="first"',
                  'X-Next-Page': ''})
    url, query = client._next_page(resp, {'per_page': 100})
    assert url == 'https://gitlab.example.com/api/v4/projects/1/jobs?cursor=abc&per_page=100'
    assert query is None


def test_next_page_falls_back_to_x_next_page_without_totals():
    client = GitLabClient('https://gitlab.example.com')
    url, query = client._next_page(_Resp({'X-Next-Page': '3'}), {'per_page': 100, 'page': 2})
    assert url == 'http://gitlab.internal/api/v4/projects/1/jobs'
    assert query == {'per_page': 100, 'page': '3'}
    assert client._next_page(_Resp({'X-Next-Page': ''}), {'per_page': 100}) == (None, None)


# ---- contract tests against the fake --------------------------------------------------------


def test_first_request_is_the_one_needed(fake):
    """No GET /user probe: a job token could not pass it and it costs a request."""
    client = make_client(fake)
    assert client.list_variables('project', 'acme/app') == []
    assert [(e['method'], e['path']) for e in journal(fake)] == [('GET', '/api/v4/projects/acme%2Fapp/variables')]
    assert journal(fake)[0]['query'].get('per_page') in ('100', ['100'])


@pytest.mark.parametrize('token_type', ['private', 'oauth'])
def test_token_types_authenticate(fake, token_type):
    client = make_client(fake, token_type=token_type)
    client.create_variable('project', 'acme/app', {'key': 'A', 'value': 'x'})
    assert journal(fake)[-1]['user'] == 'root'


def test_project_by_numeric_id_and_path(fake):
    client = make_client(fake)
    project = client.get(client_mod.project_path('acme/app'))
    assert client.get(client_mod.project_path(project['id']))['id'] == project['id']


def test_pagination_over_three_pages(fake):
    client = make_client(fake)
    for index in range(250):
        client.create_variable('project', 'acme/app', {'key': 'VAR_%03d' % index, 'value': 'v'})
    clear_journal(fake)
    keys = [v['key'] for v in client.list_variables('project', 'acme/app')]
    assert keys == ['VAR_%03d' % i for i in range(250)]
    gets = journal(fake)
    assert len(gets) == 3
    assert all(e['method'] == 'GET' for e in gets)


@pytest.mark.parametrize('retry_after, expected', [('3', 3.0), (None, 1.0)])
def test_429_is_retried_for_get_honouring_retry_after(fake, retry_after, expected):
    rule = {'method': 'GET', 'path': '/variables$', 'status': 429, 'count': 1}
    if retry_after:
        rule['retry_after'] = retry_after
    add_fault(fake, **rule)
    client = make_client(fake)
    assert client.list_variables('project', 'acme/app') == []
    assert client.sleeper.delays == [expected]
    assert [e['status'] for e in journal(fake)] == [429, 200]


def test_429_honours_http_date_retry_after(fake):
    now = time.time()
    add_fault(fake, method='GET', path='/variables$', status=429, retry_after=email.utils.formatdate(now + 20, usegmt=True))
    client = make_client(fake, clock=lambda: now)
    client.list_variables('project', 'acme/app')
    assert client.sleeper.delays == [pytest.approx(20, abs=1)]


def test_429_honours_ratelimit_reset_epoch(fake):
    now = 1_800_000_000.0
    add_fault(fake, method='GET', path='/variables$', status=429, ratelimit_reset=int(now) + 9,
              body={'message': {'error': 'This endpoint has been requested too many times. Try again later.'}})
    client = make_client(fake, clock=lambda: now)
    client.list_variables('project', 'acme/app')
    assert client.sleeper.delays == [9.0]


def test_429_on_post_is_retried_because_gitlab_refused_before_acting(fake):
    add_fault(fake, method='POST', path='/variables$', status=429, retry_after='1')
    client = make_client(fake)
    client.create_variable('project', 'acme/app', {'key': 'A', 'value': 'x'})
    assert [(e['method'], e['status']) for e in journal(fake)] == [('POST', 429), ('POST', 201)]
    assert [v['key'] for v in client.list_variables('project', 'acme/app')] == ['A']


@pytest.mark.parametrize('status', [502, 503, 504])
@pytest.mark.parametrize('method', ['GET', 'PUT', 'DELETE'])
def test_transient_5xx_retried_for_idempotent_methods(fake, status, method):
    client = make_client(fake)
    client.create_variable('project', 'acme/app', {'key': 'A', 'value': 'x'})
    clear_journal(fake)
    add_fault(fake, method=method, path='/variables', status=status, count=2)
    if method == 'GET':
        client.list_variables('project', 'acme/app')
    elif method == 'PUT':
        client.update_variable('project', 'acme/app', 'A', {'value': 'y'}, environment_scope='*')
    else:
        client.delete_variable('project', 'acme/app', 'A', environment_scope='*')
    assert [e['status'] for e in journal(fake)][-3:][:2] == [status, status]
    assert client.sleeper.delays == [1.0, 2.0]


@pytest.mark.parametrize('status', [500, 502, 503, 504])
def test_post_is_never_resent_after_a_5xx(fake, status):
    add_fault(fake, method='POST', path='/variables$', status=status, apply=True)
    client = make_client(fake)
    with pytest.raises(errors.GitLabServerError) as info:
        client.create_variable('project', 'acme/app', {'key': 'A', 'value': 'x'})
    assert info.value.status == status
    assert len(writes(journal(fake))) == 1
    assert client.sleeper.delays == []
    # The proxy error hid a success: exactly one variable exists, none duplicated.
    assert [v['key'] for v in client.list_variables('project', 'acme/app')] == ['A']


def test_post_is_not_resent_when_the_connection_drops_after_it_was_applied(fake):
    add_fault(fake, method='POST', path='/variables$', drop='after')
    client = make_client(fake)
    with pytest.raises(errors.GitLabTransportError):
        client.create_variable('project', 'acme/app', {'key': 'A', 'value': 'x'})
    assert len(writes(journal(fake))) == 1
    assert [v['key'] for v in client.list_variables('project', 'acme/app')] == ['A']


@pytest.mark.parametrize('drop', ['before', 'after'])
def test_get_is_retried_after_a_connection_drop(fake, drop):
    add_fault(fake, method='GET', path='/variables$', drop=drop)
    client = make_client(fake)
    assert client.list_variables('project', 'acme/app') == []
    assert len(client.sleeper.delays) == 1


def test_connection_refused_is_retried_even_for_post_then_fails_clearly():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    sleeper = Sleeper()
    client = GitLabClient('http://127.0.0.1:%d' % port, token=ROOT_TOKEN, retries=2, sleep=sleeper)
    with pytest.raises(errors.GitLabTransportError) as info:
        client.create_variable('project', 'acme/app', {'key': 'A', 'value': 'x'})
    assert sleeper.delays == [1.0, 2.0]
    text = str(info.value)
    assert text.startswith('POST /api/v4/projects/acme/app/variables failed (')
    assert 'refused' in text.lower()
    assert 'gave up after 2 retries' in text
    assert_no_secret(text)


def test_retries_stop_at_the_retry_count(fake):
    add_fault(fake, method='GET', path='/variables$', status=503, count=10)
    client = make_client(fake, retries=3)
    with pytest.raises(errors.GitLabServerError) as info:
        client.list_variables('project', 'acme/app')
    assert client.sleeper.delays == [1.0, 2.0, 4.0]
    assert 'gave up after 3 retries' in str(info.value)
    assert len(journal(fake)) == 4
    assert 'HTTP 503: GitLab is not available (503)' in str(info.value)   # the proxy page, by its title
    assert '<' not in str(info.value)


def test_total_wait_is_bounded(fake):
    """A Retry-After beyond the remaining budget fails at once instead of sleeping."""
    add_fault(fake, method='GET', path='/variables$', status=429, retry_after='100', count=5)
    client = make_client(fake, max_retry_wait=150)
    with pytest.raises(errors.GitLabRateLimitError) as info:
        client.list_variables('project', 'acme/app')
    assert client.sleeper.delays == [100.0]
    assert info.value.status == 429
    assert 'Retry later' in str(info.value)


def test_retries_zero_disables_retrying(fake):
    add_fault(fake, method='GET', path='/variables$', status=429)
    client = make_client(fake, retries=0)
    with pytest.raises(errors.GitLabRateLimitError):
        client.list_variables('project', 'acme/app')
    assert client.sleeper.delays == []


def test_timeout_is_a_typed_error(fake):
    add_fault(fake, method='GET', path='/variables$', delay=1.5, count=2)
    client = make_client(fake, timeout=0.3, retries=1)
    with pytest.raises(errors.GitLabTimeoutError) as info:
        client.list_variables('project', 'acme/app')
    assert 'Hint: GitLab did not answer in time' in str(info.value)


def test_tls_failure_is_a_typed_error(fake):
    client = GitLabClient(fake.url.replace('http://', 'https://'), token=ROOT_TOKEN, retries=0)
    with pytest.raises(errors.GitLabTLSError) as info:
        client.list_variables('project', 'acme/app')
    assert 'ca_path' in str(info.value)
    assert_no_secret(str(info.value))


# ---- error families, with GitLab's words ------------------------------------------------------


def test_401_unknown_token(fake):
    client = make_client(fake, token='glpat-wrong-000000000000')
    with pytest.raises(errors.GitLabAuthError) as info:
        client.list_variables('project', 'acme/app')
    text = str(info.value)
    assert text.startswith('GET /api/v4/projects/acme/app/variables failed with HTTP 401: 401 Unauthorized')
    assert 'api_token' in text
    assert 'glpat-wrong-000000000000' not in text


def test_403_developer_role(fake):
    client = make_client(fake, token=DEV_TOKEN)
    with pytest.raises(errors.GitLabPermissionError) as info:
        client.list_variables('group', 'acme')
    assert 'HTTP 403: 403 Forbidden' in str(info.value)
    assert_no_secret(str(info.value))


def test_404_project(fake):
    client = make_client(fake)
    with pytest.raises(errors.GitLabNotFoundError) as info:
        client.list_variables('project', 'acme/nope')
    assert 'HTTP 404: 404 Project Not Found' in str(info.value)
    assert client.lookup(client_mod.project_path('acme/nope')) is None


def test_409_ambiguous_key(fake):
    client = make_client(fake)
    for scope in ('production', 'staging'):
        client.create_variable('project', 'acme/app', {'key': 'A', 'value': 'x', 'environment_scope': scope})
    with pytest.raises(errors.GitLabConflictError) as info:
        client.get('projects/acme%2Fapp/variables/A')
    assert "Please use 'filter[environment_scope]'" in str(info.value)
    assert client.get('projects/acme%2Fapp/variables/A', params={'filter[environment_scope]': 'staging'})['environment_scope'] == 'staging'


def test_400_validation_hash_and_error_shapes(fake):
    client = make_client(fake)
    client.create_variable('project', 'acme/app', {'key': 'A', 'value': 'x'})
    with pytest.raises(errors.GitLabValidationError) as info:
        client.create_variable('project', 'acme/app', {'key': 'A', 'value': 'y'})
    assert info.value.fields == {'key': ['(A) has already been taken']}
    assert 'HTTP 400: key: (A) has already been taken' in str(info.value)
    with pytest.raises(errors.GitLabValidationError) as info:
        client.create_variable('project', 'acme/app', {'key': 'B', 'value': 'y', 'variable_type': 'nope'})
    assert 'HTTP 400: variable_type does not have a valid value' in str(info.value)


def test_scoped_update_and_delete_send_the_filter(fake):
    client = make_client(fake)
    for scope in ('production', 'staging'):
        client.create_variable('project', 'acme/app', {'key': 'A', 'value': 'x', 'environment_scope': scope})
    client.update_variable('project', 'acme/app', 'A', {'value': 'new'}, environment_scope='staging')
    client.delete_variable('project', 'acme/app', 'A', environment_scope='production')
    remaining = client.list_variables('project', 'acme/app')
    assert [(v['environment_scope'], v['value']) for v in remaining] == [('staging', 'new')]


def test_instance_and_group_levels(fake):
    client = make_client(fake)
    client.create_variable('instance', None, {'key': 'I', 'value': 'x'})
    client.create_variable('group', 'acme', {'key': 'G', 'value': 'x'})
    assert [v['key'] for v in client.list_variables('instance')] == ['I']
    assert [v['key'] for v in client.list_variables('group', 'acme')] == ['G']
    paths = [e['path'] for e in journal(fake)]
    assert '/api/v4/admin/ci/variables' in paths and '/api/v4/groups/acme/variables' in paths


# ---- redirects and downloads ---------------------------------------------------------------------


def test_redirect_to_storage_carries_no_credentials(fake, tmp_path):
    for token_type in ('private', 'oauth'):
        add_fault(fake, method='GET', path='/variables$', redirect=True)
        client = make_client(fake, token_type=token_type)
        assert client.list_variables('project', 'acme/app') == []
    received = requests.get(fake.url + '/-/fake/storage/journal', timeout=10).json()
    assert len(received) == 2
    assert all(entry['auth_headers'] == [] for entry in received)


def test_download_streams_into_the_handle_with_sha256(fake, tmp_path):
    client = make_client(fake)
    client.create_variable('project', 'acme/app', {'key': 'A', 'value': 'x' * 1000})
    expected = requests.get(fake.url + '/api/v4/projects/acme%2Fapp/variables',
                            headers={'PRIVATE-TOKEN': ROOT_TOKEN}, timeout=10).content
    dest = tmp_path / 'out.json'
    with open(dest, 'w+b') as handle:
        result = client.download('projects/acme%2Fapp/variables', handle, chunk_size=64)
    assert dest.read_bytes() == expected
    assert result == {'size': len(expected), 'sha256': hashlib.sha256(expected).hexdigest(), 'content_type': 'application/json'}
    assert os.listdir(tmp_path) == ['out.json']   # the client creates no file of its own


class Recorder(io.BytesIO):
    """A binary handle that records the size of every write."""

    def __init__(self):
        super().__init__()
        self.sizes = []

    def write(self, data):
        self.sizes.append(len(data))
        return super().write(data)


def test_download_writes_in_small_slices(fake):
    """Chunks are written in WRITE_SLICE pieces (large writes are slow on some VMs), bytes intact."""
    client = make_client(fake)
    for index in range(6):
        client.create_variable('project', 'acme/app', {'key': 'V%d' % index, 'value': 'x' * 9000})
    expected = requests.get(fake.url + '/api/v4/projects/acme%2Fapp/variables',
                            headers={'PRIVATE-TOKEN': ROOT_TOKEN}, timeout=10).content
    assert len(expected) > 2 * client_mod.WRITE_SLICE
    handle = Recorder()
    result = client.download('projects/acme%2Fapp/variables', handle, chunk_size=client_mod.WRITE_SLICE * 2 + 1000)
    assert handle.getvalue() == expected
    assert result['sha256'] == hashlib.sha256(expected).hexdigest()
    assert sum(handle.sizes) == len(expected)
    assert max(handle.sizes) == client_mod.WRITE_SLICE


def test_download_follows_redirect_without_credentials(fake):
    add_fault(fake, method='GET', path='/variables$', redirect=True)
    client = make_client(fake)
    handle = io.BytesIO()
    result = client.download('projects/acme%2Fapp/variables', handle)
    assert handle.getvalue() == b'[]'
    assert result['size'] == 2
    received = requests.get(fake.url + '/-/fake/storage/journal', timeout=10).json()
    assert [entry['auth_headers'] for entry in received] == [[]]


def test_download_size_cap(fake):
    client = make_client(fake)
    client.create_variable('project', 'acme/app', {'key': 'A', 'value': 'x' * 1000})
    with pytest.raises(errors.GitLabDownloadError) as info:
        client.download('projects/acme%2Fapp/variables', io.BytesIO(), max_size=100, chunk_size=16)
    assert 'larger than the limit of 100 bytes' in str(info.value)


def test_download_cut_mid_stream_gives_up_after_the_retries(fake):
    client = make_client(fake, retries=1)
    client.create_variable('project', 'acme/app', {'key': 'A', 'value': 'x' * 5000})
    add_fault(fake, method='GET', path='/variables$', drop='after', count=2)
    with pytest.raises(errors.GitLabStreamCutError) as info:
        client.download('projects/acme%2Fapp/variables', io.BytesIO())
    assert 'cut' in str(info.value) and 'gave up after 1 retries' in str(info.value)


def test_download_cut_once_is_fetched_again_into_a_rewound_truncated_handle(fake, tmp_path):
    client = make_client(fake)
    client.create_variable('project', 'acme/app', {'key': 'A', 'value': 'x' * 5000})
    expected = requests.get(fake.url + '/api/v4/projects/acme%2Fapp/variables',
                            headers={'PRIVATE-TOKEN': ROOT_TOKEN}, timeout=10).content
    clear_journal(fake)
    add_fault(fake, method='GET', path='/variables$', drop='after', drop_at=0.5)
    dest = tmp_path / 'out'
    with open(dest, 'w+b') as handle:
        result = client.download('projects/acme%2Fapp/variables', handle)
    assert dest.read_bytes() == expected
    assert result['sha256'] == hashlib.sha256(expected).hexdigest()
    assert [e['method'] for e in journal(fake)] == ['GET', 'GET']
    assert client.sleeper.delays == [1.0]


def test_download_size_cap_is_not_retried(fake):
    client = make_client(fake)
    client.create_variable('project', 'acme/app', {'key': 'A', 'value': 'x' * 1000})
    clear_journal(fake)
    with pytest.raises(errors.GitLabDownloadError):
        client.download('projects/acme%2Fapp/variables', io.BytesIO(), max_size=100)
    assert len(journal(fake)) == 1 and client.sleeper.delays == []


class FullDisk(io.BytesIO):
    def write(self, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_download_into_a_full_disk_is_a_clear_error(fake):
    client = make_client(fake)
    with pytest.raises(errors.GitLabDownloadError) as info:
        client.download('projects/acme%2Fapp/variables', FullDisk())
    assert 'cannot write the download: No space left on device' in str(info.value)
    assert client.sleeper.delays == []


def test_concurrent_clients_share_nothing(fake):
    """Each module run builds its own client; ten at once all succeed."""
    failures = []

    def worker(index):
        try:
            make_client(fake).create_variable('project', 'acme/app', {'key': 'K%d' % index, 'value': 'v'})
        except errors.GitLabError as exc:  # pragma: no cover - reported below
            failures.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    assert len(make_client(fake).list_variables('project', 'acme/app')) == 10


class _ShortResponse:
    """A response whose body ends early without a transport error, as urllib3 1.x lets happen."""

    status_code = 200
    url = 'http://gitlab.example.com/api/v4/projects/1/jobs/2/artifacts'
    headers = {'Content-Length': '10'}

    @staticmethod
    def iter_content(chunk_size):  # pylint: disable=unused-argument
        yield b'12345'

    def close(self):
        pass


def test_download_detects_a_body_shorter_than_content_length(monkeypatch):
    sleeper = Sleeper()
    client = GitLabClient('http://gitlab.example.com', token=ROOT_TOKEN, retries=2, sleep=sleeper)
    monkeypatch.setattr(client, '_attempt', lambda *args, **kwargs: _ShortResponse())
    handle = io.BytesIO()
    with pytest.raises(errors.GitLabStreamCutError) as info:
        client.download('projects/1/jobs/2/artifacts', handle)
    assert 'got 5 of 10 bytes' in str(info.value) and 'gave up after 2 retries' in str(info.value)
    assert sleeper.delays == [1.0, 2.0]
    assert handle.getvalue() == b'12345'   # rewound and truncated before each try


@pytest.mark.parametrize('kwargs, expected', [({'validate_certs': False}, False), ({'ca_path': 'CA'}, 'CA')])
def test_verify_is_sent_with_every_request_so_ca_bundle_env_cannot_override_it(monkeypatch, tmp_path, kwargs, expected):
    monkeypatch.setenv('REQUESTS_CA_BUNDLE', '/somewhere/else.pem')
    if kwargs.get('ca_path'):
        (tmp_path / 'ca.pem').write_text('x')
        kwargs = {'ca_path': str(tmp_path / 'ca.pem')}
        expected = kwargs['ca_path']
    client = GitLabClient('https://gitlab.example.com', token=ROOT_TOKEN, **kwargs)
    seen = {}

    def fake_request(*args, **request_kwargs):
        seen.update(request_kwargs)
        raise requests.exceptions.SSLError('stop here')

    monkeypatch.setattr(client.session, 'request', fake_request)
    with pytest.raises(errors.GitLabTLSError):
        client.get('version')
    assert seen['verify'] == expected
