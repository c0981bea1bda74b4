# -*- coding: utf-8 -*-
# Copyright: cicd.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""GitLabClient: the one place cicd.gitlab speaks HTTP to GitLab.

It owns authentication, retries, pagination, error decoding and streaming downloads, and knows
nothing about AnsibleModule: it is built from plain values and raises GitLabError subclasses.
Private to the collection: the API of this file may change without notice.
"""

from __future__ import annotations

import collections
import email.utils
import hashlib
import http.client
import os
import re
import tempfile
import time
import traceback
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

try:
    import requests
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None

from ansible_collections.cicd.gitlab.plugins.module_utils._errors import (
    GitLabDownloadError,
    GitLabError,
    GitLabNotFoundError,
    GitLabStreamCutError,
    GitLabTimeoutError,
    GitLabTLSError,
    GitLabTransportError,
    error_for_status,
)

# Keep in step with galaxy.yml (a unit test checks it).
COLLECTION_VERSION = '0.1.0'
USER_AGENT = 'cicd.gitlab/%s' % COLLECTION_VERSION

# Methods that can be sent again when the answer is lost or GitLab is briefly unavailable.
# A POST may have been applied before the failure, so it is never re-sent on these.
IDEMPOTENT_METHODS = frozenset(('GET', 'HEAD', 'PUT', 'DELETE'))
RETRY_STATUSES = frozenset((502, 503, 504))
REDIRECT_STATUSES = frozenset((301, 302, 303, 307, 308))
MAX_REDIRECTS = 5
MAX_BACKOFF = 30.0
# Downloads are read and hashed in 1 MiB chunks but written in 16 KiB slices, the size curl writes.
# Large write() calls make Linux allocate large page-cache folios, which on some VMs (free page
# reporting, as on the machines this was measured on) cost several times more kernel time than the copy itself:
# 1 MiB writes ran at 390-1090 MB/s for a 1 GiB file, 16 KiB slices at a steady 1000-1070
# (benchmarks/RESULTS.md, section 3.2).
DOWNLOAD_CHUNK = 1024 * 1024
WRITE_SLICE = 16 * 1024
TOKEN_HEADERS = {'private': 'PRIVATE-TOKEN', 'oauth': 'Authorization', 'job': 'JOB-TOKEN'}
_LINK_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


def encode_id(value):
    """Encode a numeric id or a full path (``acme/app``) as one URL path segment."""
    return quote(str(value).strip('/'), safe='')


def project_path(project):
    """API path of a project given by numeric id or full path."""
    return 'projects/%s' % encode_id(project)


def group_path(group):
    """API path of a group given by numeric id or full path."""
    return 'groups/%s' % encode_id(group)


def _origin(url):
    parts = urlsplit(url)
    port = parts.port or {'http': 80, 'https': 443}.get(parts.scheme)
    return (parts.scheme, (parts.hostname or '').lower(), port)


def _parse_retry_after(value, now):
    """Seconds to wait from a Retry-After header: a number of seconds or an HTTP date."""
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - now)


def _transport_reason(exc):
    """A short, credential-free description of a requests transport exception."""
    reason = exc
    while True:
        inner = getattr(reason, 'reason', None) or (reason.args[0] if getattr(reason, 'args', None) else None)
        if inner is None or inner is reason or isinstance(inner, str):
            break
        reason = inner
    text = str(reason)
    # urllib3 prefixes messages with an object repr; keep the readable tail.
    if ': ' in text and text.startswith('<'):
        text = text.split(': ', 1)[1]
    return text.strip() or exc.__class__.__name__


def _was_not_sent(exc):
    """True when a transport failure happened before the request reached the server."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, 'reason', reason)
    name = reason.__class__.__name__
    return name in ('NewConnectionError', 'NameResolutionError')


class _StreamCut(Exception):
    """A response body could not be read to its end (the message says why)."""


def _body_chunks(response, chunk_size):
    """Yield a response body in chunks; read failures become _StreamCut.

    A plain body (no Content-Encoding) is read with ``readinto`` from the underlying
    http.client response into one reused buffer, and the chunks are views of that buffer, valid
    until the next one is read. That avoids a new bytes object per chunk and is markedly faster
    than ``iter_content`` (see benchmarks/RESULTS.md). Compressed bodies go through requests,
    which decodes them. The caller checks the length against Content-Length.
    """
    raw = getattr(getattr(response, 'raw', None), '_fp', None)
    try:
        if response.headers.get('Content-Encoding') or not hasattr(raw, 'readinto'):
            yield from response.iter_content(chunk_size)
            return
        view = memoryview(bytearray(chunk_size))
        while True:
            count = raw.readinto(view)
            if not count:
                return
            yield view[:count]
    except (requests.exceptions.RequestException, http.client.HTTPException, OSError) as exc:
        raise _StreamCut(_transport_reason(exc)) from None


class GitLabClient:
    """A GitLab REST API v4 client for one GitLab instance and one token."""

    def __init__(self, api_url, token=None, token_type='private', validate_certs=True, ca_path=None,
                 timeout=30, retries=5, max_retry_wait=120, sleep=time.sleep, clock=time.time):
        base = api_url.rstrip('/')
        if base.endswith('/api/v4'):
            base = base[:-len('/api/v4')]
        self.base_url = base
        self.api_base = base + '/api/v4/'
        self._origin = _origin(base)
        self.timeout = timeout
        self.retries = max(0, int(retries))
        self.max_retry_wait = max_retry_wait
        self._sleep = sleep
        self._clock = clock
        self._auth = {}
        if token:
            header = TOKEN_HEADERS[token_type]
            self._auth = {header: 'Bearer %s' % token if token_type == 'oauth' else token}
        self.session = requests.Session()
        self.session.headers['User-Agent'] = USER_AGENT
        self.session.verify = ca_path if (validate_certs and ca_path) else bool(validate_certs)
        # Passed with every request too: requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override a
        # session-level verify, which would defeat ca_path and validate_certs=false.
        self._verify = self.session.verify
        self.requests_sent = 0

    # ---- low level -------------------------------------------------------------------------

    def url(self, path):
        """Absolute URL of an API path (``projects/1/variables``) or of an absolute URL."""
        if path.startswith(('http://', 'https://')):
            return path
        return self.api_base + path.lstrip('/')

    def _display(self, url):
        """The path shown in messages: never the host's credentials, never query values."""
        return urlsplit(url).path or '/'

    def _send(self, method, url, params, json_body, stream):
        """One HTTP exchange, following GET redirects without leaking credentials."""
        for _hop in range(MAX_REDIRECTS + 1):
            # Credentials go only to GitLab's own origin: a redirect to object storage or a CDN
            # must not carry PRIVATE-TOKEN, JOB-TOKEN or Authorization (anchors.md pain point 20).
            headers = dict(self._auth) if _origin(url) == self._origin else {}
            self.requests_sent += 1
            response = self.session.request(
                method, url, params=params, json=json_body, headers=headers, stream=stream,
                timeout=self.timeout, allow_redirects=False, verify=self._verify)
            location = response.headers.get('Location')
            if response.status_code not in REDIRECT_STATUSES or not location or method not in ('GET', 'HEAD'):
                return response
            response.close()
            url = urljoin(response.url, location)
            params = None  # the Location carries its own query
        raise GitLabTransportError(method, self._display(url), detail='more than %d redirects' % MAX_REDIRECTS)

    def request(self, method, path, params=None, json=None, stream=False):
        """Send a request with the retry policy; return the ``requests.Response`` of a success.

        Raises a GitLabError subclass for any error answer or transport failure.
        """
        method = method.upper()
        url = self.url(path)
        shown = self._display(url)
        attempt = 0
        waited = 0.0
        while True:
            delay = None
            try:
                response = self._send(method, url, params, json, stream)
            except requests.exceptions.SSLError as exc:
                raise GitLabTLSError(method, shown, detail=_transport_reason(exc)) from None
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
                if method not in IDEMPOTENT_METHODS and not _was_not_sent(exc):
                    raise self._transport_error(method, shown, exc) from None
                failure = self._transport_error(method, shown, exc)
                delay = self._backoff(attempt)
            else:
                status = response.status_code
                if status < 400 and status not in REDIRECT_STATUSES:
                    return response
                failure = error_for_status(method, shown, status, self._error_body(response))
                if status == 429:
                    delay = self._rate_limit_delay(response, attempt)
                elif status in RETRY_STATUSES and method in IDEMPOTENT_METHODS:
                    delay = self._backoff(attempt)
                response.close()
            if delay is None:
                raise failure
            if self._out_of_budget(failure, attempt, waited, delay):
                raise failure
            self._sleep(delay)
            waited += delay
            attempt += 1

    def _out_of_budget(self, failure, attempt, waited, delay):
        """Whether another retry after ``delay`` s would exceed the budget; if so, ``failure`` says so."""
        if attempt < self.retries and waited + delay <= self.max_retry_wait:
            return False
        if attempt:
            gave_up = 'gave up after %d retries and %.0f s of waiting' % (attempt, waited)
            failure.detail = '%s; %s' % (failure.detail, gave_up) if failure.detail else gave_up
            failure.args = (failure.describe(),)
        return True

    def _transport_error(self, method, shown, exc):
        cls = GitLabTimeoutError if isinstance(exc, requests.exceptions.Timeout) else GitLabTransportError
        return cls(method, shown, detail=_transport_reason(exc))

    @staticmethod
    def _backoff(attempt):
        return min(MAX_BACKOFF, 2.0 ** attempt)

    def pause(self, attempt):
        """Wait as the retry policy would before attempt ``attempt + 1`` (for callers that retry after checking)."""
        self._sleep(self._backoff(attempt))

    def _rate_limit_delay(self, response, attempt):
        """Retry-After (seconds or HTTP date) first, then RateLimit-Reset (an epoch), then backoff."""
        now = self._clock()
        delay = _parse_retry_after(response.headers.get('Retry-After'), now)
        if delay is None:
            reset = response.headers.get('RateLimit-Reset')
            try:
                delay = max(0.0, float(reset) - now) if reset is not None else None
            except ValueError:
                delay = None
        return self._backoff(attempt) if delay is None else delay

    @staticmethod
    def _error_body(response):
        try:
            text = response.text
        except (requests.exceptions.RequestException, RuntimeError):
            return None
        if 'json' in response.headers.get('Content-Type', ''):
            try:
                return response.json()
            except ValueError:
                pass
        return text

    def _decode(self, method, response):
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise GitLabError(method, self._display(response.url), status=response.status_code,
                              detail='the answer is not JSON; is api_url the GitLab URL?') from None

    # ---- JSON helpers ----------------------------------------------------------------------

    def get(self, path, params=None):
        """GET and return the decoded JSON."""
        return self._decode('GET', self.request('GET', path, params=params))

    def lookup(self, path, params=None):
        """GET and return the decoded JSON, or None when GitLab answers 404."""
        try:
            return self.get(path, params=params)
        except GitLabNotFoundError:
            return None

    def post(self, path, data=None, params=None):
        """POST a JSON body and return the decoded JSON (None on an empty answer)."""
        return self._decode('POST', self.request('POST', path, params=params, json=data))

    def put(self, path, data=None, params=None):
        """PUT a JSON body and return the decoded JSON."""
        return self._decode('PUT', self.request('PUT', path, params=params, json=data))

    def delete(self, path, params=None):
        """DELETE; GitLab answers 204 with no body."""
        self.request('DELETE', path, params=params).close()

    def paginate(self, path, params=None):
        """Yield every item of a paginated list, 100 per page.

        Follows ``Link: rel="next"`` and else ``X-Next-Page``; needs neither ``X-Total`` nor
        ``rel="last"``, which GitLab omits on some lists (project jobs, more than 10,000 rows).
        """
        query = dict(params or {})
        query.setdefault('per_page', 100)
        url = self.url(path)
        seen = set()
        while url:
            response = self.request('GET', url, params=query)
            items = self._decode('GET', response) or []
            if not isinstance(items, list):
                raise GitLabError('GET', self._display(url), status=response.status_code,
                                  detail='expected a list from GitLab')
            yield from items
            url, query = self._next_page(response, query)
            if url is not None:
                marker = (url, tuple(sorted((query or {}).items())))
                if marker in seen:
                    raise GitLabError('GET', self._display(url), detail='GitLab returned the same page twice')
                seen.add(marker)

    def _next_page(self, response, query):
        match = _LINK_NEXT.search(response.headers.get('Link', ''))
        if match:
            # Link URLs are built on GitLab's external URL, which may differ from api_url behind a
            # proxy: keep its path and query, but send the request to api_url's origin.
            link = urlsplit(match.group(1))
            base = urlsplit(self.base_url)
            return urlunsplit((base.scheme, base.netloc, link.path, link.query, '')), None
        next_page = response.headers.get('X-Next-Page', '').strip()
        if next_page and query is not None:
            query = dict(query)
            query['page'] = next_page
            return response.url.split('?', 1)[0], query
        return None, None

    # ---- downloads -------------------------------------------------------------------------

    def download(self, path, dest, params=None, max_size=None, chunk_size=DOWNLOAD_CHUNK):
        """Stream a GET into ``dest``; return ``{'path', 'size', 'sha256'}``.

        The body goes in chunks to a temporary file beside ``dest`` and is moved into place
        atomically when complete, so memory stays flat and ``dest`` is never partial. Redirects
        (to object storage) are followed without GitLab credentials. A body cut before its end is
        fetched again from the start, with the retry policy's waits (what is downloaded, job
        artifacts and logs of finished jobs, does not change). Raises GitLabDownloadError when the
        body is larger than ``max_size`` bytes, the file cannot be written, or the stream is still
        cut once the retries are spent; ``dest`` is then left as it was and no temporary file remains.
        """
        attempt = 0
        waited = 0.0
        while True:
            try:
                return self._download_once(path, dest, params, max_size, chunk_size)
            except GitLabStreamCutError as cut:
                delay = self._backoff(attempt)
                if self._out_of_budget(cut, attempt, waited, delay):
                    raise
            self._sleep(delay)
            waited += delay
            attempt += 1

    def _download_once(self, path, dest, params, max_size, chunk_size):
        """One attempt of download(): the request, the stream into a temporary file, the rename."""
        response = self.request('GET', path, params=params, stream=True)
        shown = self._display(self.url(path))
        directory = os.path.dirname(os.path.abspath(dest))
        try:
            fd, tmp = tempfile.mkstemp(prefix='.%s.' % os.path.basename(dest), suffix='.part', dir=directory)
        except OSError as exc:
            response.close()
            raise GitLabDownloadError('GET', shown, detail='cannot write in %s: %s' % (directory, exc.strerror)) from None
        digest = hashlib.sha256()
        size = 0
        try:
            with os.fdopen(fd, 'wb') as handle:
                try:
                    for chunk in _body_chunks(response, chunk_size):
                        size += len(chunk)
                        if max_size is not None and size > max_size:
                            raise GitLabDownloadError('GET', shown, status=response.status_code,
                                                      detail='the download is larger than the limit of %d bytes' % max_size)
                        digest.update(chunk)
                        for start in range(0, len(chunk), WRITE_SLICE):
                            handle.write(chunk[start:start + WRITE_SLICE])
                except _StreamCut as cut:
                    raise GitLabStreamCutError('GET', shown, status=response.status_code,
                                               detail='the stream was cut after %d bytes: %s' % (size, cut)) from None
                except OSError as exc:  # writing the temporary file
                    raise GitLabDownloadError('GET', shown, detail='cannot write %s: %s' % (tmp, exc.strerror)) from None
            expected = response.headers.get('Content-Length')
            if expected is not None and expected.isdigit() and int(expected) != size and not response.headers.get('Content-Encoding'):
                raise GitLabStreamCutError('GET', shown, status=response.status_code,
                                           detail='the stream was cut: got %d of %s bytes' % (size, expected))
            os.replace(tmp, dest)
        finally:
            response.close()
            if os.path.exists(tmp):
                os.unlink(tmp)
        return {'path': dest, 'size': size, 'sha256': digest.hexdigest()}

    # ---- CI/CD variables (gitlab-api.md sections 2-4) ---------------------------------------

    @staticmethod
    def _variables_base(level, owner):
        if level == 'project':
            return project_path(owner) + '/variables'
        if level == 'group':
            return group_path(owner) + '/variables'
        if level == 'instance':
            return 'admin/ci/variables'
        raise ValueError('unknown variable level %r' % (level,))

    @staticmethod
    def _scope_filter(environment_scope):
        # filter[environment_scope] picks one of several same-key variables; without it GitLab
        # answers 409 for projects and updates an arbitrary one for groups (gitlab-api.md 2.4, 3).
        if environment_scope is None:
            return None
        return {'filter[environment_scope]': environment_scope}

    def list_variables(self, level, owner=None):
        """Every CI/CD variable of a project, group or the instance (all pages)."""
        return list(self.paginate(self._variables_base(level, owner)))

    def create_variable(self, level, owner, attrs):
        """POST a new variable; returns GitLab's representation."""
        return self.post(self._variables_base(level, owner), data=attrs)

    def update_variable(self, level, owner, key, attrs, environment_scope=None):
        """PUT changed attributes of the variable ``key`` in ``environment_scope``."""
        path = '%s/%s' % (self._variables_base(level, owner), encode_id(key))
        return self.put(path, data=attrs, params=self._scope_filter(environment_scope))

    def delete_variable(self, level, owner, key, environment_scope=None):
        """DELETE the variable ``key`` in ``environment_scope``."""
        path = '%s/%s' % (self._variables_base(level, owner), encode_id(key))
        self.delete(path, params=self._scope_filter(environment_scope))

    # ---- pipeline trigger tokens and pipelines (gitlab-api.md section 5) ----------------------

    def list_triggers(self, project):
        """Every pipeline trigger token of a project (all pages; GitLab's default page is 20)."""
        return list(self.paginate(project_path(project) + '/triggers'))

    def create_trigger(self, project, description, expires_at=None):
        """POST a new trigger token; the answer is the only place its full token is shown to a non-owner."""
        data = {'description': description}
        if expires_at is not None:
            data['expires_at'] = expires_at
        return self.post(project_path(project) + '/triggers', data=data)

    def update_trigger(self, project, trigger_id, description):
        """PUT a new description; GitLab allows it only to the trigger's owner."""
        return self.put('%s/triggers/%s' % (project_path(project), encode_id(trigger_id)), data={'description': description})

    def delete_trigger(self, project, trigger_id):
        """DELETE a trigger token (any Maintainer may)."""
        self.delete('%s/triggers/%s' % (project_path(project), encode_id(trigger_id)))

    def trigger_pipeline(self, project, token, ref, variables=None, inputs=None):
        """Start a pipeline with a trigger token (sent in the body, never in the URL).

        ``variables`` is a ``{KEY: VALUE}`` map of strings, as this endpoint wants.
        """
        data = {'token': token, 'ref': ref}
        if variables:
            data['variables'] = variables
        if inputs:
            data['inputs'] = inputs
        return self.post(project_path(project) + '/trigger/pipeline', data=data)

    def create_pipeline(self, project, ref, variables=None, inputs=None):
        """Start a pipeline with the API token; ``variables`` as ``{KEY: VALUE}`` are sent as GitLab's typed array."""
        data = {'ref': ref}
        if variables:
            data['variables'] = [{'key': key, 'value': value, 'variable_type': 'env_var'} for key, value in variables.items()]
        if inputs:
            data['inputs'] = inputs
        return self.post(project_path(project) + '/pipeline', data=data)

    def get_pipeline(self, project, pipeline_id):
        """One pipeline."""
        return self.get('%s/pipelines/%s' % (project_path(project), encode_id(pipeline_id)))

    def latest_pipeline(self, project, ref, status=None):
        """The newest pipeline of ``ref`` (by id), optionally only among those with ``status``; None if none.

        Reads one item of one page: the list is ordered by id, newest first.
        """
        params = {'ref': ref, 'order_by': 'id', 'sort': 'desc', 'per_page': 1}
        if status:
            params['status'] = status
        items = self.get(project_path(project) + '/pipelines', params=params)
        return items[0] if items else None

    # ---- FLOWS: reading back after a lost answer, and owners by id -------------------------------

    def list_pipelines(self, project, params=None, limit=20):
        """The first ``limit`` pipelines of ``GET /projects/:id/pipelines`` with ``params``, in GitLab's order.

        One request when ``limit`` is at most 100 (the default order is by id, newest first).
        """
        query = dict(params or {})
        query.setdefault('per_page', max(1, min(100, int(limit))))
        found = []
        for item in self.paginate(project_path(project) + '/pipelines', params=query):
            found.append(item)
            if len(found) >= limit:
                break
        return found

    def get_project(self, project):
        """One project (its ``path_with_namespace`` names it; ``GET /projects/:id``)."""
        return self.get(project_path(project))

    def get_group(self, group):
        """One group (its ``full_path`` names it; ``GET /groups/:id``). Projects are not listed."""
        return self.get(group_path(group), params={'with_projects': 'false'})

    # ---- jobs (gitlab-api.md section 6) ------------------------------------------------------

    def list_pipeline_jobs(self, project, pipeline_id, include_retried=False):
        """Every job of a pipeline (retried jobs only when asked)."""
        params = {'include_retried': 'true'} if include_retried else None
        return list(self.paginate('%s/pipelines/%s/jobs' % (project_path(project), encode_id(pipeline_id)), params=params))

    def _job_path(self, project, job_id, action=''):
        return '%s/jobs/%s%s' % (project_path(project), encode_id(job_id), action)

    def get_job(self, project, job_id):
        """One job (builds only; a bridge id is a 404)."""
        return self.get(self._job_path(project, job_id))

    def cancel_job(self, project, job_id):
        """Cancel a job; GitLab answers 201 with the job even when it had already finished."""
        return self.post(self._job_path(project, job_id, '/cancel'))

    def retry_job(self, project, job_id):
        """Retry a job; returns the NEW job (new id)."""
        return self.post(self._job_path(project, job_id, '/retry'))

    def play_job(self, project, job_id, job_variables=None):
        """Play a manual job, with ``{KEY: VALUE}`` job variables."""
        data = None
        if job_variables:
            data = {'job_variables_attributes': [{'key': k, 'value': v} for k, v in job_variables.items()]}
        return self.post(self._job_path(project, job_id, '/play'), data=data)

    def erase_job(self, project, job_id):
        """Erase a finished job's log and artifacts."""
        return self.post(self._job_path(project, job_id, '/erase'))

    def keep_artifacts(self, project, job_id):
        """Keep a job's artifacts from expiring."""
        return self.post(self._job_path(project, job_id, '/artifacts/keep'))

    def download_job_log(self, project, job_id, dest, max_size=None):
        """Stream a job's log into ``dest`` (atomic); returns ``{'path', 'size', 'sha256'}``."""
        return self.download(self._job_path(project, job_id, '/trace'), dest, max_size=max_size)

    def job_log_tail(self, project, job_id, lines):
        """The last ``lines`` lines of a job's log, read as a stream (memory bounded by ``lines``)."""
        response = self.request('GET', self._job_path(project, job_id, '/trace'), stream=True)
        tail = collections.deque(maxlen=max(0, int(lines)))
        try:
            for line in response.iter_lines(chunk_size=64 * 1024, decode_unicode=False):
                tail.append(line.decode('utf-8', 'replace'))
        except requests.exceptions.RequestException as exc:
            raise GitLabDownloadError('GET', self._display(response.url), detail='the log stream was cut: %s' % _transport_reason(exc)) from None
        finally:
            response.close()
        return list(tail)

    # ---- job artifacts (gitlab-api.md section 7) ---------------------------------------------

    def download_artifacts(self, project, job_id, dest, max_size=None):
        """Stream a job's artifacts archive into ``dest``."""
        return self.download(self._job_path(project, job_id, '/artifacts'), dest, max_size=max_size)

    def download_artifact_file(self, project, job_id, artifact_path, dest, max_size=None):
        """Stream one file of a job's artifacts archive into ``dest``."""
        path = self._job_path(project, job_id, '/artifacts/' + quote(artifact_path.lstrip('/')))
        return self.download(path, dest, max_size=max_size)

    def download_artifacts_by_ref(self, project, ref, job_name, dest, artifact_path=None, max_size=None):
        """Stream the artifacts (or one file) of job ``job_name`` in the latest SUCCESSFUL pipeline of ``ref``."""
        base = '%s/jobs/artifacts/%s' % (project_path(project), encode_id(ref))
        path = base + ('/raw/' + quote(artifact_path.lstrip('/')) if artifact_path else '/download')
        return self.download(path, dest, params={'job': job_name}, max_size=max_size)

    def job_log_digest(self, project, job_id, chunk_size=1024 * 1024):
        """``{'size', 'sha256'}`` of a job's log, read as a stream and written nowhere (for check mode)."""
        response = self.request('GET', self._job_path(project, job_id, '/trace'), stream=True)
        digest = hashlib.sha256()
        size = 0
        try:
            for chunk in response.iter_content(chunk_size):
                size += len(chunk)
                digest.update(chunk)
        except requests.exceptions.RequestException as exc:
            raise GitLabDownloadError('GET', self._display(response.url), detail='the log stream was cut: %s' % _transport_reason(exc)) from None
        finally:
            response.close()
        return {'size': size, 'sha256': digest.hexdigest()}
