"""GitLabClient: pure unit tests, then contract tests against the fake GitLab.

Every rule of the shared client (issue: foundation, section 2) has a test here that fails
without it: auth headers, no /user probe, retries (429 for any method honouring Retry-After and
RateLimit-Reset; 502/503/504 and connection errors only for idempotent methods; a POST is never
re-sent), bounded waiting, pagination, typed errors with GitLab's words, identifiers, redirects
without credentials, streaming downloads and the user agent.
"""

import email.utils
import errno
import gzip
import hashlib
import io
import os
import socket
import threading
import time
import zipfile
import zlib

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


@pytest.mark.parametrize('limit, pages, per_page', [(1, 1, '1'), (100, 1, '100'), (101, 2, '100'), (250, 3, '100'),
                                                    (1000, 3, '100'), (0, 0, None)])
def test_pagination_with_a_limit_reads_no_page_it_does_not_need(fake, limit, pages, per_page):
    client = make_client(fake)
    for index in range(250):
        client.create_variable('project', 'acme/app', {'key': 'VAR_%03d' % index, 'value': 'v'})
    clear_journal(fake)
    keys = [v['key'] for v in client.paginate('projects/acme%2Fapp/variables', limit=limit)]
    assert keys == ['VAR_%03d' % i for i in range(min(limit, 250))]
    gets = journal(fake)
    assert len(gets) == pages
    if per_page:
        assert gets[0]['query'].get('per_page') in (per_page, [per_page])


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


# ---- hardening (issue #11): input, paths, secrets, strict answers, deadlines, downloads ----------------


class Scripted:
    """A tiny HTTP server answering a script of canned responses, one per request (the last repeats).

    Each answer: ``status``, ``headers`` (list of pairs), ``body`` (bytes), and optionally ``drip``
    (seconds between single body bytes) or ``cut`` (close after this many body bytes, Content-Length
    still announcing the whole body). ``requests`` records ``(method, path)`` of every request.
    """

    def __init__(self, answers):
        self.answers = list(answers)
        self.requests = []
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(8)
        self.url = 'http://127.0.0.1:%d' % self.sock.getsockname()[1]
        self.stopped = False
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.stopped:
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.handle, args=(conn,), daemon=True).start()

    def handle(self, conn):
        with conn:
            data = b''
            while b'\r\n\r\n' not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            head, rest = data.split(b'\r\n\r\n', 1)
            lines = head.decode('latin-1').split('\r\n')
            method, path = lines[0].split(' ')[:2]
            length = 0
            for line in lines[1:]:
                if line.lower().startswith('content-length:'):
                    length = int(line.split(':', 1)[1])
            while len(rest) < length:
                rest += conn.recv(65536)
            self.requests.append((method, path))
            answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
            body = answer.get('body', b'')
            headers = list(answer.get('headers', []))
            if not any(name.lower() == 'content-length' for name, _value in headers) and not answer.get('no_length'):
                headers.append(('Content-Length', str(len(body))))
            status = answer.get('status', 200)
            text = 'HTTP/1.1 %d X\r\n%sConnection: close\r\n\r\n' % (status, ''.join('%s: %s\r\n' % pair for pair in headers))
            try:
                conn.sendall(text.encode('latin-1'))
                if answer.get('drip'):
                    for index in range(len(body)):
                        if self.stopped:
                            return
                        conn.sendall(body[index:index + 1])
                        time.sleep(answer['drip'])
                elif answer.get('cut') is not None:
                    conn.sendall(body[:answer['cut']])
                else:
                    conn.sendall(body)
            except OSError:
                pass

    def close(self):
        self.stopped = True
        self.sock.close()


@pytest.fixture
def scripted():
    servers = []

    def start(*answers):
        server = Scripted(answers)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def script_client(server, **kwargs):
    kwargs.setdefault('retries', 0)
    sleeper = kwargs.pop('sleep', None) or Sleeper()
    client = GitLabClient(server.url, token=ROOT_TOKEN, sleep=sleeper, **kwargs)
    client.sleeper = sleeper
    return client


JSON = [('Content-Type', 'application/json')]
HTML = [('Content-Type', 'text/html; charset=utf-8')]
LOGIN_PAGE = b'<!DOCTYPE html>\n<html><head><title>Sign in \xc2\xb7 GitLab</title></head><body><form>...</form></body></html>\n'


# -- the constructor ---------------------------------------------------------------------------


@pytest.mark.parametrize('api_url, expected', [
    ('https://gitlab.example.com /api/v4', 'api_url contains a space, line break or control character'),
    ('https://gitlab.example.com\n', 'api_url contains a space, line break or control character'),
    (' https://gitlab.example.com', 'api_url contains a space, line break or control character'),
    ('https://gitlab.example.com/?private_token=x', 'must not have a query string'),
    ('https://gitlab.example.com/#top', 'must not have a fragment'),
    ('ftp://gitlab.example.com', 'must start with https:// or http://'),
    ('gitlab.example.com', 'must start with https:// or http://'),
    ('https://', 'has no host name'),
    ('https://gitlab.example.com:99999', 'has an invalid port'),
    ('', 'api_url is required'),
    (None, 'api_url is required'),
])
def test_api_url_is_validated(api_url, expected):
    with pytest.raises(errors.InputError) as info:
        GitLabClient(api_url, token=ROOT_TOKEN)
    assert expected in str(info.value)
    assert str(info.value).startswith('Nothing was done; ')


def test_api_url_with_userinfo_is_refused_without_showing_it():
    with pytest.raises(errors.InputError) as info:
        GitLabClient('https://root:Sup3rS3cret@gitlab.example.com/api/v4')
    text = str(info.value)
    assert 'must not contain a user name or password' in text
    assert 'Sup3rS3cret' not in text and 'root:' not in text
    assert 'https://gitlab.example.com/api/v4' in text


@pytest.mark.parametrize('api_url', ['HTTPS://gitlab.example.com', 'Https://gitlab.example.com/api/v4/'])
def test_api_url_scheme_is_normalised_to_lower_case(api_url):
    assert GitLabClient(api_url).api_base == 'https://gitlab.example.com/api/v4/'


@pytest.mark.parametrize('token', ['glpat-abc\n', '  glpat-abc  ', '\tglpat-abc\r\n'])
def test_token_surrounding_whitespace_is_stripped(token):
    client = GitLabClient('http://x', token=token)
    assert client._auth == {'PRIVATE-TOKEN': 'glpat-abc'}
    assert token in client.secrets


@pytest.mark.parametrize('token, expected', [
    ('glpat-ab c', 'api_token contains a space, line break or control character inside it; it was not sent'),
    ('glpat-ab\nc', 'api_token contains a space, line break or control character inside it; it was not sent'),
    ('glpat-ab\x00c', 'api_token contains a space, line break or control character inside it; it was not sent'),
    ('glpat-äbc', 'api_token contains a non-ASCII character; it was not sent'),
    ('   ', 'api_token is empty'),
])
def test_bad_token_is_refused_without_echoing_it(token, expected):
    with pytest.raises(errors.InputError) as info:
        GitLabClient('http://x', token=token)
    assert expected in str(info.value)
    for form in ('glpat-ab', 'äbc'):
        assert form not in str(info.value)


def test_missing_ca_path_is_an_input_error(tmp_path):
    missing = str(tmp_path / 'nope.pem')
    with pytest.raises(errors.InputError) as info:
        GitLabClient('https://x', ca_path=missing)
    assert 'ca_path %s does not exist' % missing in str(info.value)


def test_several_problems_are_reported_together():
    with pytest.raises(errors.InputError) as info:
        GitLabClient('ftp://x?y', token='a b', token_type='weird')
    assert len(info.value.errors) == 4
    assert str(info.value).startswith('Nothing was done; 4 problems with the options: ')


# -- secrets ---------------------------------------------------------------------------------------


def test_secrets_are_redacted_from_gitlab_words_and_body(fake):
    client = make_client(fake, secrets=['hunter2-value'])
    add_fault(fake, method='POST', path='/variables$', status=400,
              body={'message': {'value': ['hunter2-value is invalid for token %s' % ROOT_TOKEN]}})
    with pytest.raises(errors.GitLabValidationError) as info:
        client.create_variable('project', 'acme/app', {'key': 'A', 'value': 'hunter2-value'})
    text = str(info.value)
    assert 'hunter2' not in text and ROOT_TOKEN not in text and '********' in text
    assert 'hunter2' not in repr(info.value.body) and ROOT_TOKEN not in repr(info.value.body)


def test_add_secret_covers_transport_messages(monkeypatch):
    client = GitLabClient('http://gitlab.example.com', token=ROOT_TOKEN + '\n', retries=0)
    client.add_secret('s3cr3t value')

    def leak(*args, **kwargs):
        raise requests.exceptions.ConnectionError("header 'glpat-root-000000000000\\n' and s3cr3t%20value and s3cr3t+value refused")

    monkeypatch.setattr(client.session, 'request', leak)
    with pytest.raises(errors.GitLabTransportError) as info:
        client.get('version')
    text = str(info.value)
    assert 'glpat-root' not in text and 's3cr3t' not in text
    assert text.count('********') == 3


def test_trigger_token_is_a_secret_of_the_client(fake):
    client = make_client(fake)
    add_fault(fake, method='POST', path='/trigger/pipeline$', status=400, body={'message': 'token glptt-0123456789abcdef is odd'})
    with pytest.raises(errors.GitLabValidationError) as info:
        client.trigger_pipeline('acme/app', 'glptt-0123456789abcdef', 'main')
    assert 'glptt-0123456789abcdef' not in str(info.value)


# -- values that become part of a URL --------------------------------------------------------------


@pytest.mark.parametrize('artifact_path, expected', [
    ('../../../../user', '".." segment'),
    ('%2e%2e/x', 'percent-encoded'),
    ('a/../b', '".." segment'),
    ('./a', '"." or ".." segment'),
    ('/etc/passwd', 'starts with "/"'),
    ('a\\b', 'backslash'),
    ('a%2Fb', 'percent-encoded'),
    ('a//b', 'empty segment'),
    ('dir/', 'empty segment'),
    ('', 'artifact_path is empty'),
    ('a\nb', 'control character'),
])
def test_artifact_path_traversal_is_refused_before_any_request(fake, artifact_path, expected):
    client = make_client(fake)
    with pytest.raises(errors.InputError) as info:
        client.download_artifact_file('acme/app', 1, artifact_path, io.BytesIO())
    assert expected in str(info.value)
    assert journal(fake) == []
    assert client_mod.artifact_path_problem(artifact_path) is not None


@pytest.mark.parametrize('call', [
    lambda c: c.update_variable('project', 'acme/app', '..', {'value': 'x'}),
    lambda c: c.delete_variable('project', 'acme/app', '.'),
    lambda c: c.list_variables('project', '..'),
    lambda c: c.list_variables('project', 'acme/../other'),
    lambda c: c.list_variables('project', '/acme/app'),
    lambda c: c.list_variables('group', 'acme//x'),
    lambda c: c.list_variables('project', ''),
    lambda c: c.get_job('acme/app', '..'),
    lambda c: c.delete_trigger('acme/app', '..'),
    lambda c: c.create_variable('project', 'acme/app\n', {'key': 'A', 'value': 'x'}),
])
def test_dot_segments_in_ids_keys_and_projects_are_refused_before_any_request(fake, call):
    client = make_client(fake)
    with pytest.raises(errors.InputError):
        call(client)
    assert journal(fake) == []


@pytest.mark.parametrize('path', [
    'projects/1/jobs/2/artifacts/../../../../user',
    'projects/1/jobs/2/artifacts/%2e%2e/%2E%2E/user',
    'projects/1/./variables',
    'projects/1%2F..%2F2/variables',
    'http://127.0.0.1:1/api/v4/projects/%2e/x',
])
def test_the_last_line_refuses_any_dot_segment_whatever_built_the_path(fake, path):
    client = make_client(fake)
    with pytest.raises(errors.InputError) as info:
        client.get(path)
    assert 'would reach another endpoint; it was not sent' in str(info.value)
    assert journal(fake) == [] and client.requests_sent == 0


@pytest.mark.parametrize('name, value', [('ref', 'release/1.0'), ('project', 'acme/app'), ('variable key', 'A_B'),
                                         ('ref', 'v1.0.0'), ('project', 42)])
def test_ordinary_values_pass(name, value):
    assert client_mod.path_segment_problem(name, value) is None


def test_messages_show_paths_decoded(fake):
    client = make_client(fake)
    with pytest.raises(errors.GitLabNotFoundError) as info:
        client.list_variables('project', 'acme/nope')
    assert str(info.value).startswith('GET /api/v4/projects/acme/nope/variables failed with HTTP 404')
    assert info.value.path == '/api/v4/projects/acme/nope/variables'


# -- strict answers ----------------------------------------------------------------------------------


@pytest.mark.parametrize('answer, expected', [
    ({'body': b''}, 'expected JSON, got an empty body'),
    ({'body': b'{}', 'headers': JSON}, 'expected a JSON array, got an object'),
    ({'body': b'null', 'headers': JSON}, 'expected a JSON array, got null'),
    ({'body': b'"text"', 'headers': JSON}, 'expected a JSON array, got a string'),
    ({'body': LOGIN_PAGE, 'headers': HTML}, 'got an HTML page titled "Sign in \u00b7 GitLab"'),
    ({'body': LOGIN_PAGE, 'headers': JSON}, 'got an HTML page titled "Sign in \u00b7 GitLab"'),
    ({'body': b'hello', 'headers': [('Content-Type', 'text/plain')]}, 'expected JSON, got text/plain starting with "hello"'),
])
def test_a_list_that_is_not_a_json_array_is_an_error_never_empty(scripted, answer, expected):
    server = scripted(answer)
    client = script_client(server)
    for call in (lambda: list(client.paginate('projects/1/triggers')), lambda: client.get_list('projects/1/pipelines'),
                 lambda: client.list_triggers('acme/app'), lambda: client.newest_pipeline('acme/app', 'main')):
        with pytest.raises(errors.GitLabAnswerError) as info:
            call()
        assert expected in str(info.value)
        assert info.value.maybe_applied is False
        assert '<' not in str(info.value)


@pytest.mark.parametrize('answer, expected', [
    ({'body': b'', 'status': 201}, 'expected JSON, got an empty body'),
    ({'body': b'[]', 'headers': JSON, 'status': 201}, 'expected a JSON object, got a list'),
    ({'body': LOGIN_PAGE, 'headers': HTML}, 'HTML page'),
    ({'body': b'{"key": "A"}', 'headers': JSON, 'status': 201}, 'the answer has no id, token'),
])
def test_a_write_answered_with_a_foreign_body_may_have_been_applied(scripted, answer, expected):
    server = scripted(answer)
    client = script_client(server)
    with pytest.raises(errors.GitLabAnswerError) as info:
        client.create_trigger('acme/app', 'deploy')
    assert expected in str(info.value)
    assert info.value.maybe_applied is True
    assert server.requests == [('POST', '/api/v4/projects/acme%2Fapp/triggers')]


def test_expects_of_the_resource_methods(scripted):
    job = b'{"id": 5, "status": "running"}'
    server = scripted({'body': job, 'headers': JSON, 'status': 201})
    client = script_client(server)
    for call in (client.cancel_job, client.retry_job, client.play_job, client.erase_job, client.keep_artifacts):
        assert call('acme/app', 5)['id'] == 5
    assert client.create_pipeline('acme/app', 'main')['status'] == 'running'
    with pytest.raises(errors.GitLabAnswerError) as info:
        client.create_variable('project', 'acme/app', {'key': 'A', 'value': 'x'})
    assert 'the answer has no key' in str(info.value) and info.value.maybe_applied


def test_json_answer_size_is_capped(scripted, monkeypatch):
    monkeypatch.setattr(client_mod, 'MAX_JSON_SIZE', 1000)
    server = scripted({'body': b'[' + b'1,' * 1000 + b'1]', 'headers': JSON})
    with pytest.raises(errors.GitLabAnswerError) as info:
        script_client(server).get('projects')
    assert 'larger than' in str(info.value) and 'the limit for a JSON answer' in str(info.value)


# -- writes whose answer is lost: maybe_applied -------------------------------------------------------


@pytest.mark.parametrize('fault, cls, applied', [
    ({'status': 502, 'apply': True}, errors.GitLabServerError, True),
    ({'status': 500}, errors.GitLabServerError, True),
    ({'drop': 'after'}, errors.GitLabTransportError, True),
    ({'status': 400, 'body': {'message': 'bad'}}, errors.GitLabValidationError, False),
    ({'status': 403}, errors.GitLabPermissionError, False),
])
def test_maybe_applied_of_a_post(fake, fault, cls, applied):
    add_fault(fake, method='POST', path='/variables$', **fault)
    with pytest.raises(cls) as info:
        make_client(fake).create_variable('project', 'acme/app', {'key': 'A', 'value': 'x'})
    assert info.value.maybe_applied is applied


def test_put_5xx_after_the_retries_may_have_been_applied(fake):
    client = make_client(fake, retries=1)
    client.create_variable('project', 'acme/app', {'key': 'A', 'value': 'x'})
    add_fault(fake, method='PUT', path='/variables/A', status=503, count=5)
    with pytest.raises(errors.GitLabServerError) as info:
        client.update_variable('project', 'acme/app', 'A', {'value': 'y'})
    assert info.value.maybe_applied is True


def test_post_that_was_never_sent_was_not_applied():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    client = GitLabClient('http://127.0.0.1:%d' % port, token=ROOT_TOKEN, retries=0, sleep=Sleeper())
    with pytest.raises(errors.GitLabTransportError) as info:
        client.create_variable('project', 'acme/app', {'key': 'A', 'value': 'x'})
    assert info.value.maybe_applied is False


def test_a_get_is_never_maybe_applied(fake):
    add_fault(fake, method='GET', path='/variables$', status=503, count=10)
    with pytest.raises(errors.GitLabServerError) as info:
        make_client(fake, retries=1).list_variables('project', 'acme/app')
    assert info.value.maybe_applied is False


# -- rate limits and redirects --------------------------------------------------------------------------


def test_429_longer_than_the_budget_says_how_long_gitlab_asked_for(fake):
    add_fault(fake, method='GET', path='/variables$', status=429, retry_after='600')
    client = make_client(fake, max_retry_wait=120)
    with pytest.raises(errors.GitLabRateLimitError) as info:
        client.list_variables('project', 'acme/app')
    text = str(info.value)
    assert 'GitLab asked to wait 600 s (Retry-After: 600), more than the 120 s left of max_retry_wait=120 s' in text
    assert client.sleeper.delays == []


def test_429_ratelimit_reset_longer_than_the_budget(fake):
    now = 1_800_000_000.0
    add_fault(fake, method='GET', path='/variables$', status=429, ratelimit_reset=int(now) + 3600, body={'message': 'slow down'})
    client = make_client(fake, clock=lambda: now)
    with pytest.raises(errors.GitLabRateLimitError) as info:
        client.list_variables('project', 'acme/app')
    assert 'GitLab asked to wait 3600 s (RateLimit-Reset: %d)' % (int(now) + 3600) in str(info.value)


def test_401_after_a_redirect_to_another_origin_says_the_credentials_were_not_sent(scripted):
    other = scripted({'status': 401, 'body': b'{"message":"401 Unauthorized"}', 'headers': JSON})
    front = scripted({'status': 301, 'headers': [('Location', other.url + '/api/v4/projects')]})
    client = script_client(front)
    with pytest.raises(errors.GitLabAuthError) as info:
        client.get('projects')
    text = str(info.value)
    assert 'redirected the request to %s, where the credentials were not sent' % other.url in text
    assert 'set api_url to the URL GitLab redirects to' in text
    assert 'check api_token' not in text


def test_a_redirect_answered_to_a_post_says_where_it_pointed(scripted):
    server = scripted({'status': 301, 'headers': [('Location', 'https://gitlab.example.com/api/v4/projects/1/triggers?x=1')]})
    with pytest.raises(errors.GitLabError) as info:
        script_client(server).post('projects/1/triggers', data={'description': 'x'})
    text = str(info.value)
    assert 'HTTP 301' in text and 'redirect to https://gitlab.example.com/api/v4/projects/1/triggers' in text
    assert 'x=1' not in text
    assert info.value.maybe_applied is False


# -- deadline and slow answers ------------------------------------------------------------------------------


def test_a_json_body_dripped_a_byte_at_a_time_is_a_timeout(scripted):
    server = scripted({'body': b'[' + b' ' * 20 + b']', 'headers': JSON, 'drip': 0.2})   # headers, then a byte per 0.2 s
    client = script_client(server, timeout=0.5)
    started = time.monotonic()
    with pytest.raises(errors.GitLabTimeoutError) as info:
        client.get('projects')
    assert time.monotonic() - started < 1.5
    assert 'the answer did not arrive whole within 0.5 s' in str(info.value)
    assert not isinstance(info.value, errors.GitLabDeadlineError)


def test_a_dripped_answer_stops_at_the_deadline(scripted):
    server = scripted({'body': b'[' + b' ' * 100 + b']', 'headers': JSON, 'drip': 0.05})
    client = script_client(server, timeout=30)
    client.set_deadline(0.4, 'task_timeout=0.4')
    started = time.monotonic()
    with pytest.raises(errors.GitLabDeadlineError) as info:
        client.get('projects')
    assert time.monotonic() - started < 1.5
    assert 'task_timeout=0.4' in str(info.value)


def test_a_dripped_download_stops_at_the_deadline(scripted):
    server = scripted({'body': b'PK\x03\x04' + b'x' * 100, 'drip': 0.05})
    client = script_client(server, timeout=30)
    client.set_deadline(0.4, 'wait_timeout=0.4')
    with pytest.raises(errors.GitLabDeadlineError) as info:
        client.download('projects/1/jobs/2/artifacts', io.BytesIO())
    assert 'wait_timeout=0.4' in str(info.value)


def test_retry_waits_never_pass_the_deadline(fake):
    add_fault(fake, method='GET', path='/variables$', status=503, count=10)
    sleeper = Sleeper()
    client = make_client(fake, retries=5, sleep=sleeper, monotonic=lambda: 1000.0 + sum(sleeper.delays))
    client.set_deadline(2.5, 'task_timeout=2.5')
    with pytest.raises(errors.GitLabDeadlineError) as info:
        client.list_variables('project', 'acme/app')
    assert client.sleeper.delays == [1.0]         # 1 s fits, the next 2 s would pass the deadline (the clock moves with the sleeps)
    assert 'task_timeout=2.5' in str(info.value) and 'HTTP 503' in str(info.value)
    client.clear_deadline()
    assert client.deadline is None and client.deadline_reason == ''


def test_a_passed_deadline_sends_nothing(fake):
    client = make_client(fake)
    client.set_deadline(0, 'task_timeout=1')
    with pytest.raises(errors.GitLabDeadlineError):
        client.list_variables('project', 'acme/app')
    assert journal(fake) == []


# -- downloads: verification ------------------------------------------------------------------------------


def zip_bytes(files):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w') as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


OCTET = [('Content-Type', 'application/octet-stream')]


@pytest.mark.parametrize('answer, expect, expected', [
    ({'body': LOGIN_PAGE, 'headers': HTML}, {'kind': 'archive'}, 'expected an artifacts archive, got an HTML page titled "Sign in \u00b7 GitLab"'),
    ({'body': LOGIN_PAGE, 'headers': OCTET}, {'kind': 'archive'}, 'got an HTML page titled'),
    ({'body': b'  <html><title>SSO</title></html>', 'headers': OCTET}, {'kind': 'log'}, 'expected a job log, got an HTML page titled "SSO"'),
    ({'body': LOGIN_PAGE, 'headers': HTML}, {'kind': 'file', 'name': 'app.bin'}, 'expected the artifact file app.bin, got an HTML page'),
    ({'body': b'not a zip at all', 'headers': OCTET}, {'kind': 'archive'}, 'do not start with a zip signature'),
    ({'body': b'PK\x03\x04' + b'\x00' * 60, 'headers': OCTET}, {'kind': 'archive'}, 'not a readable zip'),
    ({'body': zip_bytes({'a': 'b'}), 'headers': OCTET}, {'kind': 'archive', 'size': 5}, 'expected 5 bytes (the size GitLab reports for it), got'),
])
def test_a_download_that_is_not_what_was_asked_for_is_an_answer_error(scripted, tmp_path, answer, expect, expected):
    server = scripted(answer)
    with open(tmp_path / 'out', 'w+b') as handle:
        with pytest.raises(errors.GitLabAnswerError) as info:
            script_client(server).download('projects/1/jobs/2/artifacts', handle, expect=expect)
    assert expected in str(info.value)
    assert '<' not in str(info.value)


def test_an_html_artifact_file_is_kept_when_its_name_says_html(scripted):
    server = scripted({'body': LOGIN_PAGE, 'headers': HTML})
    handle = io.BytesIO()
    result = script_client(server).download_artifact_file('acme/app', 2, 'report/index.html', handle)
    assert handle.getvalue() == LOGIN_PAGE
    assert result['content_type'] == 'text/html; charset=utf-8'
    assert server.requests == [('GET', '/api/v4/projects/acme%2Fapp/jobs/2/artifacts/report/index.html')]


def test_a_body_cut_without_content_length_is_caught_by_the_expected_size(scripted):
    archive = zip_bytes({'a': 'b' * 1000})
    server = scripted({'body': archive[:100], 'headers': OCTET, 'no_length': True})
    with pytest.raises(errors.GitLabAnswerError) as info:
        script_client(server).download_artifacts('acme/app', 2, io.BytesIO(), size=len(archive))
    assert 'expected %d bytes' % len(archive) in str(info.value)


def test_a_cut_archive_is_fetched_again_and_verified(scripted, tmp_path):
    archive = zip_bytes({'dist/app.bin': os.urandom(5000)})
    server = scripted({'body': archive, 'headers': OCTET, 'cut': 1000}, {'body': archive, 'headers': OCTET})
    client = script_client(server, retries=2)
    with open(tmp_path / 'a.zip', 'w+b') as handle:
        result = client.download_artifacts('acme/app', 2, handle, size=len(archive))
    assert (tmp_path / 'a.zip').read_bytes() == archive
    assert result == {'size': len(archive), 'sha256': hashlib.sha256(archive).hexdigest(), 'content_type': 'application/octet-stream'}
    assert len(server.requests) == 2 and client.sleeper.delays == [1.0]


def test_artifacts_of_a_real_job_from_the_fake(fake, tmp_path):
    client = make_client(fake)
    pipeline = client.create_pipeline('acme/svc', 'main')
    deadline = time.monotonic() + 10
    while True:
        build = [job for job in client.list_pipeline_jobs('acme/svc', pipeline['id']) if job['name'] == 'build'][0]
        if build['status'] == 'success' or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert build['status'] == 'success'
    with open(tmp_path / 'a.zip', 'w+b') as handle:
        result = client.download_artifacts('acme/svc', build['id'], handle, size=build['artifacts_file']['size'])
    assert result['content_type'] == 'application/octet-stream'
    assert zipfile.is_zipfile(str(tmp_path / 'a.zip'))
    handle = io.BytesIO()
    result = client.download_artifact_file('acme/svc', build['id'], 'dist/VERSION', handle)
    assert handle.getvalue() == b'2.0.0\n'
    log = io.BytesIO()
    assert client.download_job_log('acme/svc', build['id'], log)['content_type'].startswith('text/plain')
    assert log.getvalue() == b'compiling svc\nbuild ok\n'
    assert client.job_log_tail('acme/svc', build['id'], 1) == ['build ok']
    assert client.job_log_digest('acme/svc', build['id']) == {'size': len(log.getvalue()), 'sha256': hashlib.sha256(log.getvalue()).hexdigest()}


def test_download_artifacts_by_ref_is_gone():
    assert not hasattr(GitLabClient, 'download_artifacts_by_ref')


# -- job logs -------------------------------------------------------------------------------------------------


TEXT = [('Content-Type', 'text/plain')]


def test_log_tail_caps_each_line_and_keeps_carriage_returns(scripted):
    long_line = b'x' * (client_mod.MAX_LOG_LINE * 3)
    log = b'first\r\n' + long_line + b'\nprogress 10%\rprogress 100%\r\nlast line without end'
    server = scripted({'body': log, 'headers': TEXT})
    lines = script_client(server).job_log_tail('acme/app', 2, 3)
    assert lines == ['x' * client_mod.MAX_LOG_LINE, 'progress 10%\rprogress 100%', 'last line without end']
    assert script_client(server).job_log_tail('acme/app', 2, 10)[0] == 'first'
    assert script_client(server).job_log_tail('acme/app', 2, 0) == []


def test_log_tail_and_digest_retry_a_cut_stream(scripted):
    log = b''.join(b'line %d\n' % index for index in range(2000))
    for call, expected in ((lambda c: c.job_log_tail('acme/app', 2, 2), ['line 1998', 'line 1999']),
                           (lambda c: c.job_log_digest('acme/app', 2), {'size': len(log), 'sha256': hashlib.sha256(log).hexdigest()})):
        server = scripted({'body': log, 'headers': TEXT, 'cut': 500}, {'body': log, 'headers': TEXT})
        client = script_client(server, retries=1)
        assert call(client) == expected
        assert len(server.requests) == 2 and client.sleeper.delays == [1.0]


def test_log_that_is_a_login_page_is_refused(scripted):
    server = scripted({'body': LOGIN_PAGE, 'headers': HTML})
    for call in (lambda c: c.job_log_tail('acme/app', 2, 5), lambda c: c.job_log_digest('acme/app', 2),
                 lambda c: c.download_job_log('acme/app', 2, io.BytesIO())):
        with pytest.raises(errors.GitLabAnswerError) as info:
            call(script_client(server))
        assert 'expected a job log, got an HTML page' in str(info.value)


# -- pipeline and job variables ---------------------------------------------------------------------------------


class Bodies:
    """Wraps session.request to record the JSON bodies sent."""

    def __init__(self, client):
        self.sent = []
        real = client.session.request

        def request(method, url, **kwargs):
            self.sent.append(kwargs.get('json'))
            return real(method, url, **kwargs)

        client.session.request = request


VARIABLES = [{'key': 'A', 'value': '1', 'variable_type': 'env_var'}, {'key': 'CFG', 'value': 'x=1', 'variable_type': 'file'}]


def test_create_pipeline_sends_the_typed_array(fake):
    client = make_client(fake)
    bodies = Bodies(client)
    client.create_pipeline('acme/svc', 'main', variables=VARIABLES)
    assert bodies.sent[0]['variables'] == VARIABLES


def test_trigger_pipeline_sends_the_map_and_refuses_file_variables(fake):
    client = make_client(fake)
    bodies = Bodies(client)
    with pytest.raises(errors.InputError) as info:
        client.trigger_pipeline('acme/svc', 'glptt-x', 'main', variables=VARIABLES)
    assert 'variables CFG: the trigger endpoint takes no variable_type' in str(info.value)
    assert bodies.sent == []
    with pytest.raises(errors.GitLabNotFoundError):
        client.trigger_pipeline('acme/svc', 'glptt-x', 'main', variables=VARIABLES[:1])
    assert bodies.sent[0]['variables'] == {'A': '1'}


def test_play_job_sends_key_and_value_and_refuses_file_variables(scripted):
    server = scripted({'body': b'{"id": 5, "status": "pending"}', 'headers': JSON})
    client = script_client(server)
    bodies = Bodies(client)
    with pytest.raises(errors.InputError):
        client.play_job('acme/app', 5, job_variables=VARIABLES)
    client.play_job('acme/app', 5, job_variables=VARIABLES[:1])
    assert bodies.sent == [{'job_variables_attributes': [{'key': 'A', 'value': '1'}]}]


@pytest.mark.parametrize('variables, expected', [
    (['A=1'], 'variables item 1 must be a dict with a string key and a string value'),
    ([{'key': 'A', 'value': 1}], 'variables item 1 must be a dict'),
    ([{'key': 'A', 'value': '1', 'variable_type': 'secret'}], 'variables A: variable_type must be env_var or file'),
    ([{'key': 'A', 'value': '1'}, {'key': 'A', 'value': '2'}], 'variables A is given twice'),
    ([{'key': '', 'value': '1'}], 'variables key is empty'),
])
def test_malformed_variables_are_input_errors(fake, variables, expected):
    with pytest.raises(errors.InputError) as info:
        make_client(fake).create_pipeline('acme/svc', 'main', variables=variables)
    assert expected in str(info.value)
    assert journal(fake) == []


def test_a_mapping_of_variables_is_still_taken(fake):
    client = make_client(fake)
    bodies = Bodies(client)
    client.create_pipeline('acme/svc', 'main', variables={'A': '1'})
    assert bodies.sent[0]['variables'] == [{'key': 'A', 'value': '1', 'variable_type': 'env_var'}]


def test_json_requests_reuse_the_connection(fake, monkeypatch):
    """Bodies are read below urllib3; the connection still goes back to the pool (no new TCP/TLS set-up per request)."""
    import urllib3.connection
    opened = []
    real = urllib3.connection.connection.create_connection

    def counting(*args, **kwargs):
        opened.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(urllib3.connection.connection, 'create_connection', counting)
    client = make_client(fake)
    for _index in range(3):
        assert client.list_variables('project', 'acme/app') == []
    client.create_variable('project', 'acme/app', {'key': 'A', 'value': 'x'})
    assert client.get_list('projects/acme%2Fapp/variables')[0]['key'] == 'A'
    assert len(opened) == 1


@pytest.mark.parametrize('encoding, encode', [
    ('gzip', gzip.compress),
    ('deflate', zlib.compress),
    ('deflate', lambda data: zlib.compress(data)[2:-4]),   # raw deflate, as some servers send it
])
def test_compressed_json_answers_are_decoded(scripted, encoding, encode):
    server = scripted({'body': encode(b'[{"id": 1}, {"id": 2}]'), 'headers': JSON + [('Content-Encoding', encoding)]})
    assert script_client(server).get_list('projects') == [{'id': 1}, {'id': 2}]


def test_a_json_answer_cut_short_is_fetched_again_for_a_get_not_for_a_post(scripted):
    body = b'[' + b'1, ' * 500 + b'1]'
    server = scripted({'body': body, 'headers': JSON, 'cut': 100}, {'body': body, 'headers': JSON})
    client = script_client(server, retries=1)
    assert len(client.get_list('projects')) == 501
    assert client.sleeper.delays == [1.0]
    server = scripted({'body': b'{"id": 1, "token": "x"}', 'headers': JSON, 'cut': 5})
    client = script_client(server, retries=3)
    with pytest.raises(errors.GitLabTransportError) as info:
        client.create_trigger('acme/app', 'x')
    assert 'cut' in str(info.value) and info.value.maybe_applied is True
    assert len(server.requests) == 1


def test_the_request_count_is_exact_when_threads_share_the_client(fake):
    # The fleet module's threads share one client; every request is counted once.
    client = make_client(fake)
    path = client_mod.project_path('acme/app')

    def work():
        for dummy in range(25):
            client.get(path)

    threads = [threading.Thread(target=work) for dummy in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert client.requests_sent == 100 == len(journal(fake))


@pytest.mark.parametrize('value, expected', [
    ('Thu, 03 Dec 2026 00:00:00 GMT', 1796256000.0),
    ('Thu, 03 Dec 2026 01:00:00 +0100', 1796256000.0),
    ('Thu, 03 Dec 2026 00:00:00 -0000', 1796256000.0),   # no zone said: UTC, never the host's zone
    ('yesterday', None), ('', None), (None, None), ('Thu, 99 Dec 2026 00:00:00 GMT', None),
])
def test_http_date(value, expected):
    assert client_mod.http_date(value) == expected


def test_server_date_is_the_date_of_the_last_answer(scripted):
    server = scripted(dict(headers=JSON + [('Date', 'Thu, 03 Dec 2026 00:00:00 GMT')], body=b'[]'),
                      dict(status=404, headers=JSON + [('Date', 'Thu, 03 Dec 2026 00:00:07 GMT')], body=b'{"message": "404 Not Found"}'),
                      dict(headers=JSON, body=b'{}'))
    client = script_client(server)
    assert client.server_date() is None
    client.get_list('projects')
    assert client.server_date() == 1796256000.0
    with pytest.raises(errors.GitLabNotFoundError):
        client.get('projects/1')
    assert client.server_date() == 1796256007.0       # an error answer tells the time too
    client.get('projects/2')
    assert client.server_date() is None               # an answer without Date: unknown, never an old value
