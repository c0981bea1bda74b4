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
import datetime
import email.utils
import hashlib
import http.client
from json import loads as json_loads
import os
import re
import socket
import threading
import time
import traceback
import zipfile
import zlib
from collections.abc import Mapping
from urllib.parse import quote, unquote, urljoin, urlsplit, urlunsplit

try:
    import requests
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None

from ansible_collections.cicd.gitlab.plugins.module_utils._errors import (
    GitLabAnswerError,
    GitLabDeadlineError,
    GitLabDownloadError,
    GitLabError,
    GitLabNotFoundError,
    GitLabPermissionError,
    GitLabStreamCutError,
    GitLabTimeoutError,
    GitLabTLSError,
    GitLabTransportError,
    GitLabValidationError,
    InputError,
    _text_summary,
    error_for_status,
    html_title,
)
from ansible_collections.cicd.gitlab.plugins.module_utils._redact import redact, redact_data

# Keep in step with galaxy.yml (a unit test checks it).
COLLECTION_VERSION = '0.1.0'
USER_AGENT = 'cicd.gitlab/%s' % COLLECTION_VERSION

# Methods that can be sent again when the answer is lost or GitLab is briefly unavailable.
# A POST may have been applied before the failure, so it is never re-sent on these.
IDEMPOTENT_METHODS = frozenset(('GET', 'HEAD', 'PUT', 'DELETE'))
WRITE_METHODS = frozenset(('POST', 'PUT', 'PATCH', 'DELETE'))
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
# A JSON answer is read whole into memory: it is capped, and read in small pieces so that the
# answer's time budget is checked between them.
JSON_CHUNK = 64 * 1024
MAX_JSON_SIZE = 64 * 1024 * 1024
# An error answer's body is only read for GitLab's words.
MAX_ERROR_BODY = 1024 * 1024
# A log line longer than this is cut while it is read (a minified file or a progress bar in a log).
MAX_LOG_LINE = 64 * 1024
# Bytes of the start of a download kept to recognise an HTML page and name its title.
HEAD_BYTES = 16 * 1024
TOKEN_HEADERS = {'private': 'PRIVATE-TOKEN', 'oauth': 'Authorization', 'job': 'JOB-TOKEN'}
VARIABLE_TYPES = ('env_var', 'file')
_LINK_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')
_CONTROL = re.compile(r'[\x00-\x1f\x7f]')
_PERCENT = re.compile(r'%[0-9A-Fa-f]{2}')
_ZIP_SIGNATURES = (b'PK\x03\x04', b'PK\x05\x06')
_HTML_NAMES = ('.html', '.htm', '.xhtml')
_OWNER_NAMES = ('project', 'group')


# ---- path safety: the last line of defence (modules validate first with the same functions) ----


def path_segment_problem(name, value):
    """A sentence saying why ``value`` cannot become ONE URL path segment, or None.

    For a project or group path or id, a variable key, a ref, a trigger or job id. Refused: empty,
    ``.``, ``..``, control characters; for a value with a ``/`` (a project or group full path, a
    ref such as ``release/1.0``) also a leading or trailing ``/``, empty segments and ``.``/``..``
    components, which git refuses in refs as well.
    """
    if value is None or str(value) == '':
        return '%s is empty' % name
    text = str(value)
    if _CONTROL.search(text):
        return '%s contains a control character (a line break, a tab, ...)' % name
    if text in ('.', '..'):
        return '%s cannot be "%s"' % (name, text)
    if '/' in text or name in _OWNER_NAMES:
        if text.startswith('/') or text.endswith('/'):
            return '%s "%s" cannot start or end with "/"' % (name, text)
        parts = text.split('/')
        if '' in parts:
            return '%s "%s" has an empty segment ("//")' % (name, text)
        if '.' in parts or '..' in parts:
            return '%s "%s" has a "." or ".." segment' % (name, text)
    return None


def artifact_path_problem(value):
    """A sentence saying why ``value`` cannot be used as a path inside a job's artifacts archive, or None.

    Refused: empty, a leading ``/``, ``.`` or ``..`` segments, empty segments (``a//b``), backslashes,
    percent-encoded characters (``%2F``, ``%2e``, any ``%XX``) and control characters: each could make
    the request reach another endpoint (requests removes ``..`` segments before GitLab sees them).
    """
    if value is None or str(value) == '':
        return 'artifact_path is empty'
    text = str(value)
    if _CONTROL.search(text):
        return 'artifact_path contains a control character (a line break, a tab, ...)'
    if text.startswith('/'):
        return 'artifact_path "%s" starts with "/"; give the path inside the archive, such as dist/app.tar.gz' % text
    if '\\' in text:
        return 'artifact_path "%s" contains a backslash; separate directories with "/"' % text
    if _PERCENT.search(text):
        return 'artifact_path "%s" contains a percent-encoded character; give the path as it is in the archive' % text
    parts = text.split('/')
    if '.' in parts or '..' in parts:
        return 'artifact_path "%s" has a "." or ".." segment' % text
    if '' in parts:
        return 'artifact_path "%s" has an empty segment ("//" or a trailing "/")' % text
    return None


def encode_id(value, name='id'):
    """Encode a numeric id or a full path (``acme/app``) as one URL path segment.

    Raises InputError (nothing is sent) per path_segment_problem.
    """
    problem = path_segment_problem(name, value)
    if problem:
        raise InputError(problem)
    return quote(str(value), safe='')


def project_path(project):
    """API path of a project given by numeric id or full path."""
    return 'projects/%s' % encode_id(project, 'project')


def group_path(group):
    """API path of a group given by numeric id or full path."""
    return 'groups/%s' % encode_id(group, 'group')


def dot_segment(url_path):
    """The first ``.``/``..`` segment of a URL path, raw or percent-encoded (``%2e%2e``), or None."""
    for segment in url_path.split('/'):
        if segment in ('.', '..'):
            return segment
        decoded = unquote(segment)
        for part in decoded.replace('\\', '/').split('/'):
            if part in ('.', '..'):
                return segment
    return None


def _origin(url):
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    port = port or {'http': 80, 'https': 443}.get(parts.scheme)
    return (parts.scheme, (parts.hostname or '').lower(), port)


def _without_userinfo(url):
    """``url`` without ``user:password@`` (for messages)."""
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit('@', 1)[-1]
    return urlunsplit((parts.scheme, netloc, parts.path, '', ''))


def api_url_problems(api_url):
    """Sentences saying why ``api_url`` cannot be used (never echoing credentials in it)."""
    if not isinstance(api_url, str) or not api_url:
        return ['api_url is required (the URL of the GitLab instance, such as https://gitlab.example.com)']
    if _CONTROL.search(api_url) or any(char.isspace() for char in api_url):
        return ['api_url contains a space, line break or control character']
    try:
        parts = urlsplit(api_url)
    except ValueError:
        return ['api_url is not a URL']
    shown = _without_userinfo(api_url) if '@' in parts.netloc else api_url
    problems = []
    if parts.scheme.lower() not in ('http', 'https'):
        problems.append('api_url "%s" must start with https:// or http://' % shown)
    if '@' in parts.netloc:
        problems.append('api_url "%s" must not contain a user name or password (user:password@); use api_token' % shown)
    if not parts.hostname:
        problems.append('api_url "%s" has no host name' % shown)
    try:
        parts.port  # pylint: disable=pointless-statement
    except ValueError:
        problems.append('api_url "%s" has an invalid port' % shown)
    if parts.query or api_url.rstrip().endswith('?'):
        problems.append('api_url "%s" must not have a query string ("?...")' % shown.split('?', 1)[0])
    if parts.fragment or '#' in api_url:
        problems.append('api_url "%s" must not have a fragment ("#...")' % shown.split('#', 1)[0])
    return problems


def token_problem(token):
    """A sentence saying why the (already stripped) token cannot be sent, or None. Never echoes it."""
    if not token:
        return 'api_token is empty (or only whitespace); it was not sent'
    if any(ord(char) <= 32 or ord(char) == 127 for char in token):
        return 'api_token contains a space, line break or control character inside it; it was not sent'
    if any(ord(char) > 126 for char in token):
        return 'api_token contains a non-ASCII character; it was not sent'
    return None


def http_date(value):
    """Epoch seconds of an HTTP date (``Date``, ``Retry-After``), or None when it is missing or not a date."""
    if not isinstance(value, str):
        return None
    try:
        when = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:  # "-0000": UTC, with no zone said
        when = when.replace(tzinfo=datetime.timezone.utc)
    return when.timestamp()


def _parse_retry_after(value, now):
    """Seconds to wait from a Retry-After header: a number of seconds or an HTTP date."""
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    when = http_date(value)
    if when is None:
        return None
    return max(0.0, when - now)


def _transport_reason(exc):
    """A short description of a requests transport exception (the client redacts it before use)."""
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


def _normalise_variables(variables, where):
    """``variables`` as a list of ``{'key', 'value', 'variable_type'}`` dicts; InputError if malformed.

    A ``{KEY: VALUE}`` mapping is taken too (each an env_var), for callers not yet normalising.
    """
    if not variables:
        return []
    if isinstance(variables, Mapping):
        variables = [{'key': key, 'value': value, 'variable_type': 'env_var'} for key, value in variables.items()]
    problems = []
    result = []
    seen = set()
    for index, item in enumerate(variables):
        if not isinstance(item, Mapping) or not isinstance(item.get('key'), str) or not isinstance(item.get('value'), str):
            problems.append('%s item %d must be a dict with a string key and a string value' % (where, index + 1))
            continue
        kind = item.get('variable_type') or 'env_var'
        if kind not in VARIABLE_TYPES:
            problems.append('%s %s: variable_type must be env_var or file' % (where, item['key']))
            continue
        problem = path_segment_problem('%s key' % where, item['key'])
        if problem:
            problems.append(problem)
            continue
        if item['key'] in seen:
            problems.append('%s %s is given twice' % (where, item['key']))
            continue
        seen.add(item['key'])
        result.append({'key': item['key'], 'value': item['value'], 'variable_type': kind})
    if problems:
        raise InputError(problems)
    return result


class _StreamCut(Exception):
    """A response body could not be read to its end (the message says why)."""


class _OutOfTime(Exception):
    """A response body did not arrive within its time budget (``until``)."""


class _Retry(Exception):
    """One attempt failed in a way the retry policy may retry: ``failure`` after ``delay`` seconds."""

    def __init__(self, failure, delay):
        super().__init__(str(failure))
        self.failure = failure
        self.delay = delay


def _decoder(encoding):
    """A function decoding one chunk of a Content-Encoding (and its flush), or None for identity."""
    encoding = (encoding or '').strip().lower()
    if encoding in ('', 'identity'):
        return None
    if encoding in ('gzip', 'x-gzip'):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == 'deflate':
        return _Deflate()
    raise _StreamCut('the answer uses the Content-Encoding %s, which this client does not decode' % encoding)


class _Deflate:
    """``deflate`` as servers send it: zlib-wrapped, or (wrongly, but commonly) raw."""

    def __init__(self):
        self._inner = None
        self._first = True

    def decompress(self, data):
        if self._first:
            self._first = False
            self._inner = zlib.decompressobj()
            try:
                return self._inner.decompress(data)
            except zlib.error:
                self._inner = zlib.decompressobj(-zlib.MAX_WBITS)
        return self._inner.decompress(data)

    def flush(self):
        return self._inner.flush() if self._inner else b''


def _set_read_timeout(response, seconds):
    """Best effort: the socket timeout for the next reads of ``response`` (urllib3 over http.client)."""
    try:
        response.raw._fp.fp.raw._sock.settimeout(max(0.01, seconds))  # pylint: disable=protected-access
    except (AttributeError, OSError, ValueError):
        pass


class _Discard:
    """A binary handle that keeps nothing: what job_log_digest() downloads into."""

    @staticmethod
    def tell():
        return 0

    def seek(self, offset, whence=0):
        return 0

    def truncate(self, size=None):
        return 0

    def write(self, data):
        return len(data)

    @staticmethod
    def readable():
        return False


class GitLabClient:
    """A GitLab REST API v4 client for one GitLab instance and one token."""

    def __init__(self, api_url, token=None, token_type='private', validate_certs=True, ca_path=None,
                 timeout=30, retries=5, max_retry_wait=120, secrets=(), sleep=time.sleep, clock=time.time,
                 monotonic=time.monotonic, budget=None):
        self.secrets = set()
        if token is not None:
            self.add_secret(token)
        for secret in secrets or ():
            self.add_secret(secret)
        problems = api_url_problems(api_url)
        if token_type not in TOKEN_HEADERS:
            problems.append('api_token_type must be one of %s' % ', '.join(sorted(TOKEN_HEADERS)))
        if token is not None:
            token = str(token).strip()
            problem = token_problem(token)
            if problem:
                problems.append(problem)
        if ca_path and not os.path.exists(ca_path):
            problems.append('ca_path %s does not exist' % ca_path)
        if problems:
            raise InputError([redact(problem, self.secrets) for problem in problems])
        parts = urlsplit(api_url)
        base = urlunsplit((parts.scheme.lower(), parts.netloc, parts.path, '', '')).rstrip('/')
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
        self._monotonic = monotonic
        self.deadline = None
        self.deadline_reason = ''
        self._auth = {}
        if token:
            header = TOKEN_HEADERS[token_type]
            self._auth = {header: 'Bearer %s' % token if token_type == 'oauth' else token}
        self.session = requests.Session()
        self.session.headers['User-Agent'] = USER_AGENT
        # Only what _read_chunks decodes itself.
        self.session.headers['Accept-Encoding'] = 'gzip, deflate'
        self.session.verify = ca_path if (validate_certs and ca_path) else bool(validate_certs)
        # Passed with every request too: requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override a
        # session-level verify, which would defeat ca_path and validate_certs=false.
        self._verify = self.session.verify
        # Every request sent, redirects included; the fleet's threads share the client, hence the lock.
        self.requests_sent = 0
        self._sent_lock = threading.Lock()
        # A RateBudget (_budget.py) shared by the threads of a fleet run: consulted before every
        # request, fed every answer's RateLimit-* headers and every 429's wait. None: no pacing.
        self.budget = budget
        # The Date header of the last answer each thread received (see server_date).
        self._answer_dates = threading.local()

    # ---- secrets and deadline --------------------------------------------------------------

    def add_secret(self, value):
        """Redact ``value`` (in every form a library may print it) from every message the client builds."""
        if value is not None and str(value).strip():
            self.secrets.add(str(value))

    def redact(self, text):
        """``text`` without any secret the client knows."""
        return redact(text, self.secrets)

    def _scrub(self, err):
        """``err`` with every secret removed from its message and attributes."""
        if not self.secrets:
            return err
        for name in ('path', 'detail', 'gitlab_message'):
            value = getattr(err, name, None)
            if isinstance(value, str):
                setattr(err, name, self.redact(value))
        err.body = redact_data(err.body, self.secrets)
        if isinstance(getattr(err, 'hint', None), str) and 'hint' in vars(err):
            err.hint = self.redact(err.hint)
        err.refresh()
        return err

    def server_date(self):
        """GitLab's clock as its last answer to this thread said it (``Date``, epoch seconds, whole ones),
        or None when that answer had none. After a lost answer, it tells new objects from older ones."""
        return getattr(self._answer_dates, 'last', None)

    def set_deadline(self, seconds, reason):
        """No request or retry wait runs later than ``seconds`` from now; ``reason`` names it in messages (``task_timeout=60``)."""
        self.deadline = self._monotonic() + max(0.0, float(seconds))
        self.deadline_reason = reason

    def clear_deadline(self):
        """Remove the deadline."""
        self.deadline = None
        self.deadline_reason = ''

    def _deadline_left(self):
        if self.deadline is None:
            return None
        return self.deadline - self._monotonic()

    def _deadline_error(self, method, shown, why, failure=None):
        detail = 'the deadline %s passed: %s' % (self.deadline_reason, why) if self.deadline_reason else 'the deadline passed: %s' % why
        if failure is not None:
            detail = '%s; %s' % (failure.detail, detail) if failure.detail else detail
        return GitLabDeadlineError(method, shown, status=getattr(failure, 'status', None),
                                   gitlab_message=getattr(failure, 'gitlab_message', ''), detail=detail,
                                   maybe_applied=getattr(failure, 'maybe_applied', False))

    # ---- low level -------------------------------------------------------------------------

    def url(self, path):
        """Absolute URL of an API path (``projects/1/variables``) or of an absolute URL."""
        if path.startswith(('http://', 'https://')):
            return path
        return self.api_base + path.lstrip('/')

    def _display(self, url):
        """The path shown in messages, decoded as the user wrote it; never credentials or query values."""
        return self.redact(unquote(urlsplit(url).path) or '/')

    def _send(self, method, url, params, json_body, timeout):
        """One HTTP exchange, following GET redirects without leaking credentials.

        Returns ``(response, dropped)``: ``dropped`` is the origin a redirect led to, where the
        credentials were not sent, or None.
        """
        dropped = None
        for _hop in range(MAX_REDIRECTS + 1):
            segment = dot_segment(urlsplit(url).path)
            if segment is not None:
                raise InputError('the request %s %s has a "%s" path segment, which would reach another endpoint; it was not sent'
                                 % (method, self._display(url), unquote(segment)))
            # Credentials go only to GitLab's own origin: a redirect to object storage or a CDN
            # must not carry PRIVATE-TOKEN, JOB-TOKEN or Authorization.
            same = _origin(url) == self._origin
            headers = dict(self._auth) if same else {}
            if not same and self._auth:
                dropped = '%s://%s' % (urlsplit(url).scheme, urlsplit(url).netloc.rsplit('@', 1)[-1])
            with self._sent_lock:
                self.requests_sent += 1
            response = self.session.request(
                method, url, params=params, json=json_body, headers=headers, stream=True,
                timeout=timeout, allow_redirects=False, verify=self._verify)
            location = response.headers.get('Location')
            if response.status_code not in REDIRECT_STATUSES or not location or method not in ('GET', 'HEAD'):
                return response, dropped
            response.close()
            url = urljoin(response.url, location)
            params = None  # the Location carries its own query
        raise GitLabTransportError(method, self._display(url), detail='more than %d redirects' % MAX_REDIRECTS)

    def _retrying(self, method, shown, once):
        """Run ``once()`` with the retry policy: the one loop for requests and streamed reads.

        ``once`` returns the result, raises _Retry(failure, delay) for what may be tried again,
        or a GitLabError. Waits never exceed the retry budget nor pass the deadline.
        """
        attempt = 0
        waited = 0.0
        try:
            while True:
                try:
                    return once()
                except _Retry as retry:
                    failure, delay = retry.failure, retry.delay
                if delay is None:
                    delay = self._backoff(attempt)
                if self.budget is not None and getattr(failure, 'status', None) == 429:
                    self.budget.pause(delay)   # every worker waits, not only this one
                if self._out_of_budget(failure, attempt, waited, delay):
                    raise failure
                left = self._deadline_left()
                if left is not None and delay >= left:
                    raise self._deadline_error(method, shown, 'no time is left to wait %.0f s and try again' % delay, failure)
                self._sleep(delay)
                waited += delay
                attempt += 1
        except GitLabError as err:
            raise self._scrub(err) from None

    def _attempt(self, method, url, shown, params, json_body):
        """One exchange; the response of a success (body unread), or _Retry / GitLabError."""
        left = self._deadline_left()
        if left is not None and left <= 0:
            raise self._deadline_error(method, shown, 'the request was not sent')
        if self.budget is not None:
            if self.budget.acquire(left) is None:
                raise self._deadline_error(method, shown, 'the request was not sent: the rate limit leaves no time for it')
            left = self._deadline_left()
            if left is not None and left <= 0:
                raise self._deadline_error(method, shown, 'the request was not sent')
        timeout = self.timeout if left is None else min(self.timeout, left)
        write = method in WRITE_METHODS
        try:
            response, dropped = self._send(method, url, params, json_body, timeout)
        except requests.exceptions.SSLError as exc:
            raise GitLabTLSError(method, shown, detail=self.redact(_transport_reason(exc))) from None
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
            sent = not _was_not_sent(exc)
            failure = self._transport_error(method, shown, exc, maybe_applied=write and sent)
            if left is not None and isinstance(exc, requests.exceptions.Timeout) and self._deadline_left() <= 0:
                raise self._deadline_error(method, shown, 'GitLab did not answer in time', failure) from None
            if method not in IDEMPOTENT_METHODS and sent:
                raise failure from None
            raise _Retry(failure, None) from None
        except requests.exceptions.RequestException as exc:  # InvalidHeader, InvalidURL, ...: nothing was sent
            raise GitLabTransportError(method, shown, detail=self.redact(_transport_reason(exc))) from None
        status = response.status_code
        self._answer_dates.last = http_date(response.headers.get('Date'))
        if self.budget is not None:
            self.budget.observe(response.headers)
        if status < 400 and status not in REDIRECT_STATUSES:
            return response
        budget = self._monotonic() + min(timeout, 10.0)
        failure = error_for_status(method, shown, status, self._error_body(response, budget),
                                   maybe_applied=write and status >= 500)
        delay = retry = None
        if status in REDIRECT_STATUSES:
            failure.detail = self._redirect_detail(method, response)
        elif status in (401, 403) and dropped:
            failure.hint = ('GitLab redirected the request to %s, where the credentials were not sent (they go only to '
                            'the origin of api_url); set api_url to the URL GitLab redirects to' % dropped)
        elif status == 429:
            delay, source = self._rate_limit_delay(response)
            if source:
                failure.asked = (delay, source)
            retry = True
        elif status in RETRY_STATUSES and method in IDEMPOTENT_METHODS:
            retry = True
        response.close()
        failure.refresh()
        if not retry:
            raise failure
        raise _Retry(failure, delay)

    def _redirect_detail(self, method, response):
        location = response.headers.get('Location')
        if not location:
            return 'GitLab answered with a redirect without a Location'
        target = _without_userinfo(urljoin(response.url, location))
        return ('GitLab answered %s with a redirect to %s, which is not followed for %s; set api_url to the URL '
                'GitLab redirects to' % (method, target, method))

    def request(self, method, path, params=None, json=None, stream=False):
        """Send a request with the retry policy; return the ``requests.Response`` of a success.

        The body is left unread (every request is streamed; ``stream`` is kept for callers). Raises
        a GitLabError subclass for any error answer or transport failure, InputError for a path
        that would reach another endpoint.
        """
        del stream
        method = method.upper()
        url = self.url(path)
        shown = self._display(url)
        return self._retrying(method, shown, lambda: self._attempt(method, url, shown, params, json))

    def _out_of_budget(self, failure, attempt, waited, delay):
        """Whether another retry after ``delay`` s would exceed the budget; if so, ``failure`` says so."""
        if attempt < self.retries and waited + delay <= self.max_retry_wait:
            return False
        notes = []
        asked = getattr(failure, 'asked', None)
        if asked and attempt < self.retries and waited + delay > self.max_retry_wait:
            notes.append('GitLab asked to wait %.0f s (%s), more than the %.0f s left of max_retry_wait=%s s'
                         % (asked[0], asked[1], max(0.0, self.max_retry_wait - waited), self.max_retry_wait))
        if attempt:
            notes.append('gave up after %d retries and %.0f s of waiting' % (attempt, waited))
        if notes:
            gave_up = '; '.join(notes)
            failure.detail = '%s; %s' % (failure.detail, gave_up) if failure.detail else gave_up
            failure.refresh()
        return True

    def _transport_error(self, method, shown, exc, maybe_applied=False):
        cls = GitLabTimeoutError if isinstance(exc, requests.exceptions.Timeout) else GitLabTransportError
        return cls(method, shown, detail=self.redact(_transport_reason(exc)), maybe_applied=maybe_applied)

    @staticmethod
    def _backoff(attempt):
        return min(MAX_BACKOFF, 2.0 ** attempt)

    def pause(self, attempt):
        """Wait as the retry policy would before attempt ``attempt + 1`` (for callers that retry after checking).

        Raises GitLabDeadlineError instead of waiting past the deadline.
        """
        delay = self._backoff(attempt)
        left = self._deadline_left()
        if left is not None and delay >= left:
            raise self._deadline_error('GET', '/', 'no time is left to wait %.0f s and check again' % delay)
        self._sleep(delay)

    def _rate_limit_delay(self, response):
        """``(seconds, source)``: Retry-After (seconds or HTTP date) first, then RateLimit-Reset (an epoch), then backoff."""
        now = self._clock()
        retry_after = response.headers.get('Retry-After')
        delay = _parse_retry_after(retry_after, now)
        if delay is not None:
            return delay, 'Retry-After: %s' % retry_after.strip()
        reset = response.headers.get('RateLimit-Reset')
        try:
            delay = max(0.0, float(reset) - now) if reset is not None else None
        except ValueError:
            delay = None
        if delay is not None:
            return delay, 'RateLimit-Reset: %s' % reset.strip()
        return None, None

    def _error_body(self, response, until):
        """The decoded JSON (or text) of an error answer, read with a size and time bound; None if unreadable."""
        try:
            data = self._read_body(response, MAX_ERROR_BODY, until, cut_ok=True)
        except (_StreamCut, _OutOfTime):
            return None
        text = data.decode('utf-8', 'replace')
        if 'json' in response.headers.get('Content-Type', ''):
            try:
                return json_loads(text)
            except ValueError:
                pass
        return text

    # ---- reading bodies --------------------------------------------------------------------

    def _read_chunks(self, response, chunk_size, until=None, small=False):
        """Yield a response body (decoded from its Content-Encoding) in chunks.

        Read failures become _StreamCut; passing ``until`` (a monotonic time) becomes _OutOfTime.
        A plain body is read with ``readinto`` from the underlying http.client response into one
        reused buffer, and the chunks are views of that buffer, valid until the next one is read:
        markedly faster than ``iter_content`` (see benchmarks/RESULTS.md). With a time bound, or
        ``small``, it is read with ``read1`` (what one socket read returns), so that a body dripped
        a byte at a time is checked against the bound between bytes. The caller checks the length
        against Content-Length (``response.raw_bytes`` counts the bytes before decoding).
        """
        raw = getattr(getattr(response, 'raw', None), '_fp', None)
        response.raw_bytes = 0
        if raw is None or not hasattr(raw, 'readinto'):  # not over http.client (test doubles)
            try:
                for chunk in response.iter_content(chunk_size):
                    response.raw_bytes += len(chunk)
                    yield chunk
            except (requests.exceptions.RequestException, http.client.HTTPException, OSError) as exc:
                raise _StreamCut(self.redact(_transport_reason(exc))) from None
            return
        decoder = _decoder(response.headers.get('Content-Encoding'))
        eager = small or until is not None
        view = None if eager else memoryview(bytearray(chunk_size))
        while True:
            if until is not None:
                left = until - self._monotonic()
                if left <= 0:
                    raise _OutOfTime()
                _set_read_timeout(response, min(self.timeout, left))
            try:
                if eager:
                    data = raw.read1(chunk_size)
                    count = len(data)
                else:
                    count = raw.readinto(view)
                    data = view[:count]
            except (socket.timeout, TimeoutError):
                if until is not None and until - self._monotonic() <= 0.05:
                    raise _OutOfTime() from None
                raise _StreamCut('no data arrived for %s s' % self.timeout) from None
            except (requests.exceptions.RequestException, http.client.HTTPException, OSError, ValueError) as exc:
                raise _StreamCut(self.redact(_transport_reason(exc))) from None
            if not count:
                break
            response.raw_bytes += count
            if decoder is None:
                yield data
            else:
                try:
                    out = decoder.decompress(bytes(data))
                except zlib.error as exc:
                    raise _StreamCut('the compressed answer is corrupt: %s' % exc) from None
                if out:
                    yield out
        if decoder is not None:
            tail = decoder.flush()
            if tail:
                yield tail

    def _read_body(self, response, limit, until, cut_ok=False):
        """The whole body as bytes, at most ``limit`` bytes (more raises _StreamCut unless ``cut_ok``: then it is cut)."""
        data = bytearray()
        for chunk in self._read_chunks(response, JSON_CHUNK, until=until, small=True):
            data += chunk
            if len(data) > limit:
                if cut_ok:
                    return bytes(data[:limit])
                raise _StreamCut('the answer is larger than %d MiB' % (limit // (1024 * 1024)))
        return bytes(data)

    def _check_length(self, response, method, shown, got):
        """Raise _Retry/GitLabStreamCutError when the body is shorter than its Content-Length."""
        expected = response.headers.get('Content-Length')
        if expected is not None and expected.strip().isdigit() and int(expected) != response.raw_bytes:
            cut = GitLabStreamCutError(method, shown, status=response.status_code,
                                       detail='the stream was cut: got %d of %s bytes' % (got, expected.strip()))
            return cut
        return None

    # ---- JSON answers ------------------------------------------------------------------------

    def _json_once(self, method, url, shown, params, data, keep=None):
        """One attempt of a JSON request: the exchange and the whole answer, within ``timeout`` s in total.

        ``keep`` (a dict) receives the response as ``keep['response']`` (for its headers).
        """
        start = self._monotonic()
        response = self._attempt(method, url, shown, params, data)
        if keep is not None:
            keep['response'] = response
        until = start + self.timeout
        left = self._deadline_left()
        by_deadline = left is not None and self.deadline < until
        if by_deadline:
            until = self.deadline
        write = method in WRITE_METHODS
        try:
            try:
                body = self._read_body(response, MAX_JSON_SIZE, until)
            except _OutOfTime:
                why = 'the answer did not arrive whole within %s s' % (self.timeout if not by_deadline else 'the time left')
                failure = GitLabTimeoutError(method, shown, status=response.status_code, detail=why, maybe_applied=write)
                if by_deadline:
                    raise self._deadline_error(method, shown, why, failure) from None
                if method in IDEMPOTENT_METHODS:
                    raise _Retry(failure, None) from None
                raise failure from None
            except _StreamCut as cut:
                text = str(cut)
                if text.startswith('the answer is larger'):
                    raise GitLabAnswerError(method, shown, status=response.status_code, maybe_applied=write,
                                            detail='%s (the limit for a JSON answer)' % text) from None
                failure = GitLabTransportError(method, shown, status=response.status_code, maybe_applied=write,
                                               detail='the answer was cut: %s' % text)
                if method in IDEMPOTENT_METHODS:
                    raise _Retry(failure, None) from None
                raise failure from None
            cut = self._check_length(response, method, shown, len(body)) if not response.headers.get('Content-Encoding') else None
            if cut is not None:
                failure = GitLabTransportError(method, shown, status=response.status_code, detail=cut.detail, maybe_applied=write)
                if method in IDEMPOTENT_METHODS:
                    raise _Retry(failure, None)
                raise failure
            _reusable(response)
            return self._decode_json(method, shown, response, body)
        finally:
            response.close()

    def _decode_json(self, method, shown, response, body):
        write = method in WRITE_METHODS

        def wrong(what):
            return GitLabAnswerError(method, shown, status=response.status_code, maybe_applied=write,
                                     detail='expected JSON, got %s; is api_url the GitLab URL?' % what)

        content_type = response.headers.get('Content-Type', '')
        if not body.strip():
            if response.status_code == 204 and method == 'DELETE':
                return None
            raise wrong('an empty body')
        if _looks_html(content_type, body):
            raise wrong('an HTML page titled "%s"' % html_title(body[:HEAD_BYTES]))
        try:
            return json_loads(body.decode('utf-8'))
        except ValueError:
            kind = content_type.split(';')[0].strip() or 'a body without Content-Type'
            start = _text_summary(body[:200].decode('utf-8', 'replace'))[:60]
            raise wrong('%s starting with "%s"' % (kind, start)) from None

    def _json(self, method, path, params=None, data=None):
        method = method.upper()
        url = self.url(path)
        shown = self._display(url)
        return self._retrying(method, shown, lambda: self._json_once(method, url, shown, params, data))

    @staticmethod
    def _kind(value):
        if value is None:
            return 'null'
        if isinstance(value, bool):
            return 'a boolean'
        if isinstance(value, (int, float)):
            return 'a number'
        if isinstance(value, str):
            return 'a string'
        if isinstance(value, list):
            return 'a list'
        return 'an object'

    def _answer_error(self, method, path, expected, value, maybe_applied=False):
        return self._scrub(GitLabAnswerError(method, self._display(self.url(path)), status=200, maybe_applied=maybe_applied,
                                             detail='expected %s, got %s' % (expected, self._kind(value))))

    # ---- JSON helpers ----------------------------------------------------------------------

    def get(self, path, params=None):
        """GET and return the decoded JSON (an empty body or a page that is not JSON is GitLabAnswerError)."""
        return self._json('GET', path, params=params)

    def get_list(self, path, params=None):
        """GET one page that must be a JSON array (else GitLabAnswerError)."""
        value = self.get(path, params=params)
        if not isinstance(value, list):
            raise self._answer_error('GET', path, 'a JSON array', value)
        return value

    def lookup(self, path, params=None):
        """GET and return the decoded JSON, or None when GitLab answers 404."""
        try:
            return self.get(path, params=params)
        except GitLabNotFoundError:
            return None

    def _write(self, method, path, data, params, expect):
        value = self._json(method, path, params=params, data=data)
        if not isinstance(value, dict):
            raise self._answer_error(method, path, 'a JSON object', value, maybe_applied=True)
        missing = [key for key in expect if key not in value]
        if missing:
            err = GitLabAnswerError(method, self._display(self.url(path)), status=200, maybe_applied=True,
                                    detail='the answer has no %s' % ', '.join(missing))
            raise self._scrub(err)
        return value

    def post(self, path, data=None, params=None, expect=()):
        """POST a JSON body; the answer must be a JSON object with every key in ``expect`` (else GitLabAnswerError, maybe_applied)."""
        return self._write('POST', path, data, params, expect)

    def put(self, path, data=None, params=None, expect=()):
        """PUT a JSON body; the answer must be a JSON object with every key in ``expect`` (else GitLabAnswerError, maybe_applied)."""
        return self._write('PUT', path, data, params, expect)

    def delete(self, path, params=None):
        """DELETE; GitLab answers 204 with no body."""
        self.request('DELETE', path, params=params).close()

    def paginate(self, path, params=None, limit=None):
        """Yield every item of a paginated list, 100 per page; with ``limit``, at most that many.

        With ``limit``, pages hold ``min(100, limit)`` items and no page is read once ``limit`` items
        were yielded: a bounded list of n items costs ``ceil(n/100)`` requests however long the list
        is on the server. Follows ``Link: rel="next"`` and else ``X-Next-Page``; needs neither
        ``X-Total`` nor ``rel="last"``, which GitLab omits on some lists (project jobs, more than
        10,000 rows). A page that is not a JSON array (an empty body, an object, null, HTML) is
        GitLabAnswerError, never an empty list.
        """
        query = dict(params or {})
        if limit is not None:
            limit = int(limit)
            if limit <= 0:
                return
            query.setdefault('per_page', min(100, limit))
        query.setdefault('per_page', 100)
        url = self.url(path)
        seen = set()
        count = 0
        while url:
            page = {}
            shown = self._display(url)
            items = self._retrying('GET', shown, lambda: self._json_once('GET', url, shown, query, None, keep=page))
            if not isinstance(items, list):
                raise self._answer_error('GET', url, 'a JSON array', items)
            for item in items:
                yield item
                count += 1
                if limit is not None and count >= limit:
                    return
            url, query = self._next_page(page['response'], query)
            if url is not None:
                marker = (url, tuple(sorted((query or {}).items())))
                if marker in seen:
                    raise self._scrub(GitLabAnswerError('GET', self._display(url), detail='GitLab returned the same page twice'))
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

    def download(self, path, handle, params=None, max_size=None, expect=None, chunk_size=DOWNLOAD_CHUNK):
        """Stream a GET into the binary file ``handle``; return ``{'size', 'sha256', 'content_type'}``.

        The client creates, renames and removes no file: the caller owns ``handle`` (opened ``w+b``
        for the full archive check, ``wb`` works without it). Memory stays flat. Redirects (to object
        storage) are followed without GitLab credentials. A body cut before its end is fetched again
        from the start, with the retry policy's waits; the handle is then rewound and truncated.
        The download is bounded by the deadline, not by ``timeout`` (only each read waits at most that).

        ``expect`` = ``{'kind': 'archive' | 'file' | 'log', 'size': bytes or None, 'name': file name or None}``;
        verification raises GitLabAnswerError: an HTML page (Content-Type text/html or a body starting
        with ``<!DOCTYPE html`` / ``<html``) for an archive, a log, or a file not named .html/.htm/.xhtml;
        an archive that is not a zip; a byte count that differs from ``expect['size']``.
        Raises GitLabDownloadError when the body is larger than ``max_size`` bytes or cannot be
        written, GitLabStreamCutError when it is still cut once the retries are spent.
        """
        url = self.url(path)
        shown = self._display(url)
        start = handle.tell()
        return self._retrying('GET', shown, lambda: self._download_once(url, shown, handle, start, params, max_size, expect or {}, chunk_size))

    def _streamed(self, url, shown, params, consume, chunk_size=DOWNLOAD_CHUNK):
        """One attempt of a streamed GET: ``consume(response, chunks)``; a cut becomes _Retry.

        The shared part of downloads, log digests and log tails.
        """
        response = self._attempt('GET', url, shown, params, None)
        try:
            until = self.deadline
            try:
                result = consume(response, self._read_chunks(response, chunk_size, until=until, small=until is not None))
            except _OutOfTime:
                raise self._deadline_error('GET', shown, 'the download was not complete') from None
            except _StreamCut as cut:
                raise _Retry(GitLabStreamCutError('GET', shown, status=response.status_code,
                                                  detail='the stream was cut after %d bytes: %s' % (response.raw_bytes, cut)),
                             None) from None
            if not response.headers.get('Content-Encoding'):
                cut = self._check_length(response, 'GET', shown, response.raw_bytes)
                if cut is not None:
                    raise _Retry(cut, None)
            return result
        finally:
            response.close()

    def _download_once(self, url, shown, handle, start, params, max_size, expect, chunk_size):
        """One attempt of download(): the request, the stream into the handle, the verification."""
        try:
            handle.seek(start)
            handle.truncate()
        except OSError as exc:
            raise GitLabDownloadError('GET', shown, detail='cannot write the download: %s' % exc.strerror) from None

        def consume(response, chunks):
            digest = hashlib.sha256()
            size = 0
            head = bytearray()
            for chunk in chunks:
                size += len(chunk)
                if max_size is not None and size > max_size:
                    raise GitLabDownloadError('GET', shown, status=response.status_code,
                                              detail='the download is larger than the limit of %d bytes' % max_size)
                if len(head) < HEAD_BYTES:
                    head += chunk[:HEAD_BYTES - len(head)]
                digest.update(chunk)
                try:
                    for offset in range(0, len(chunk), WRITE_SLICE):
                        handle.write(chunk[offset:offset + WRITE_SLICE])
                except OSError as exc:
                    raise GitLabDownloadError('GET', shown, detail='cannot write the download: %s' % exc.strerror) from None
            return response, size, digest.hexdigest(), bytes(head)

        response, size, sha256, head = self._streamed(url, shown, params, consume, chunk_size)
        content_type = response.headers.get('Content-Type', '')
        self._verify_download(shown, response.status_code, content_type, head, size, handle, start, expect)
        return {'size': size, 'sha256': sha256, 'content_type': content_type}

    def _verify_download(self, shown, status, content_type, head, size, handle, start, expect):
        kind = expect.get('kind')
        name = expect.get('name') or ''

        def wrong(detail):
            return GitLabAnswerError('GET', shown, status=status, detail=detail)

        html_ok = kind == 'file' and name.lower().endswith(_HTML_NAMES)
        if kind in ('archive', 'log', 'file') and not html_ok and _looks_html(content_type, head):
            what = {'archive': 'an artifacts archive', 'log': 'a job log', 'file': 'the artifact file %s' % name}[kind]
            raise wrong('expected %s, got an HTML page titled "%s" (a login, SSO or proxy page?)' % (what, html_title(head)))
        expected = expect.get('size')
        if expected is not None and int(expected) != size:
            raise wrong('expected %d bytes (the size GitLab reports for it), got %d' % (int(expected), size))
        if kind == 'archive':
            if head[:4] not in _ZIP_SIGNATURES:
                raise wrong('expected a zip archive, got %d bytes of %s that do not start with a zip signature'
                            % (size, content_type.split(';')[0].strip() or 'an unnamed type'))
            if start == 0 and _readable(handle):
                handle.flush()
                ok = zipfile.is_zipfile(handle)
                handle.seek(0, os.SEEK_END)
                if not ok:
                    raise wrong('expected a zip archive, got %d bytes that start like one but are not a readable zip' % size)

    # ---- CI/CD variables ----------------------------------------------------------------------

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
        # answers 409 for projects and updates an arbitrary one for groups
        # (https://docs.gitlab.com/ee/api/project_level_variables.html#the-filter-parameter).
        if environment_scope is None:
            return None
        return {'filter[environment_scope]': environment_scope}

    def list_variables(self, level, owner=None):
        """Every CI/CD variable of a project, group or the instance (all pages)."""
        return list(self.paginate(self._variables_base(level, owner)))

    def create_variable(self, level, owner, attrs):
        """POST a new variable; returns GitLab's representation."""
        return self.post(self._variables_base(level, owner), data=attrs, expect=('key',))

    def update_variable(self, level, owner, key, attrs, environment_scope=None):
        """PUT changed attributes of the variable ``key`` in ``environment_scope``."""
        path = '%s/%s' % (self._variables_base(level, owner), encode_id(key, 'variable key'))
        return self.put(path, data=attrs, params=self._scope_filter(environment_scope), expect=('key',))

    def delete_variable(self, level, owner, key, environment_scope=None):
        """DELETE the variable ``key`` in ``environment_scope``."""
        path = '%s/%s' % (self._variables_base(level, owner), encode_id(key, 'variable key'))
        self.delete(path, params=self._scope_filter(environment_scope))

    # ---- pipeline trigger tokens and pipelines (lib/api/ci/triggers.rb, lib/api/ci/pipelines.rb) ----

    def list_triggers(self, project):
        """Every pipeline trigger token of a project (all pages; GitLab's default page is 20)."""
        return list(self.paginate(project_path(project) + '/triggers'))

    def create_trigger(self, project, description, expires_at=None):
        """POST a new trigger token; the answer is the only place its full token is shown to a non-owner."""
        data = {'description': description}
        if expires_at is not None:
            data['expires_at'] = expires_at
        return self.post(project_path(project) + '/triggers', data=data, expect=('id', 'token'))

    def update_trigger(self, project, trigger_id, description):
        """PUT a new description; GitLab allows it only to the trigger's owner."""
        return self.put('%s/triggers/%s' % (project_path(project), encode_id(trigger_id, 'trigger_id')),
                        data={'description': description}, expect=('id',))

    def delete_trigger(self, project, trigger_id):
        """DELETE a trigger token (any Maintainer may)."""
        self.delete('%s/triggers/%s' % (project_path(project), encode_id(trigger_id, 'trigger_id')))

    def trigger_pipeline(self, project, token, ref, variables=None, inputs=None):
        """Start a pipeline with a trigger token (sent in the body, never in the URL; redacted from messages).

        ``variables`` is a list of ``{'key', 'value', 'variable_type'}`` dicts; the trigger endpoint
        takes only a ``variables[KEY]=VALUE`` map of strings (``optional :variables, type: Hash`` in
        lib/api/ci/triggers.rb), so a ``file`` variable is refused with InputError.
        """
        self.add_secret(token)
        items = _normalise_variables(variables, 'variables')
        files = [item['key'] for item in items if item['variable_type'] != 'env_var']
        if files:
            raise InputError('variables %s: the trigger endpoint takes no variable_type, so a file variable cannot be sent with '
                             'a trigger token; start the pipeline with the API token instead' % ', '.join(files))
        data = {'token': token, 'ref': ref}
        if items:
            data['variables'] = dict((item['key'], item['value']) for item in items)
        if inputs:
            data['inputs'] = inputs
        return self.post(project_path(project) + '/trigger/pipeline', data=data, expect=('id', 'status'))

    def create_pipeline(self, project, ref, variables=None, inputs=None):
        """Start a pipeline with the API token; ``variables`` (a list of ``{'key', 'value', 'variable_type'}``) go as GitLab's typed array."""
        items = _normalise_variables(variables, 'variables')
        data = {'ref': ref}
        if items:
            data['variables'] = items
        if inputs:
            data['inputs'] = inputs
        return self.post(project_path(project) + '/pipeline', data=data, expect=('id', 'status'))

    def get_pipeline(self, project, pipeline_id):
        """One pipeline."""
        return self.get('%s/pipelines/%s' % (project_path(project), encode_id(pipeline_id, 'pipeline id')))

    def newest_pipeline(self, project, ref, status=None):
        """The newest pipeline of ``ref`` (by id), optionally only among those with ``status``; None if none.

        Reads one item of one page: the list is ordered by id, newest first.
        """
        params = {'ref': ref, 'order_by': 'id', 'sort': 'desc', 'per_page': 1}
        if status:
            params['status'] = status
        items = self.get_list(project_path(project) + '/pipelines', params=params)
        return items[0] if items else None

    # ---- FLOWS: reading back after a lost answer, and owners by id -------------------------------

    def list_pipelines(self, project, params=None, limit=20):
        """The first ``limit`` pipelines of ``GET /projects/:id/pipelines`` with ``params``, in GitLab's order.

        One request when ``limit`` is at most 100 (the default order is by id, newest first).
        """
        return list(self.paginate(project_path(project) + '/pipelines', params=params, limit=max(1, int(limit))))

    def get_project(self, project):
        """One project (its ``path_with_namespace`` names it; ``GET /projects/:id``)."""
        return self.get(project_path(project))

    def current_user(self):
        """The user of the token (``GET /user``). Only where a lost answer must be told apart by
        owner: a CI/CD job token cannot read it, so no module calls it up front."""
        return self.get('user')

    def get_group(self, group):
        """One group (its ``full_path`` names it; ``GET /groups/:id``). Projects are not listed."""
        return self.get(group_path(group), params={'with_projects': 'false'})

    # ---- fleet: group projects ----

    def list_group_projects(self, group, include_subgroups=False, archived=None):
        """Every project of a group the token can read, 100 per page (``GET /groups/:id/projects``,
        https://docs.gitlab.com/api/groups/#list-projects). ``archived`` None lists both; ``simple=true``
        keeps each page small (lib/api/entities/basic_project_details.rb); ordered by id so that a
        project created while the pages are read cannot shift the others to another page."""
        params = {'include_subgroups': 'true' if include_subgroups else 'false', 'simple': 'true',
                  'order_by': 'id', 'sort': 'asc'}
        if archived is not None:
            params['archived'] = 'true' if archived else 'false'
        return list(self.paginate(group_path(group) + '/projects', params=params))

    # ---- jobs (lib/api/ci/jobs.rb) -----------------------------------------------------------

    def list_pipeline_jobs(self, project, pipeline_id, include_retried=False, scope=None, limit=None, page=None):
        """The jobs of a pipeline (builds only: trigger jobs are list_pipeline_bridges), retried ones only when
        asked, filtered by ``scope`` (statuses), at most ``limit`` of them; ``page`` starts at that page of 100
        (``page=2``: the rest of a list whose first page was read with ``limit=100``). Newest first (id desc);
        each job embeds its pipeline (``Entities::Ci::PipelineBasic``, with its ``status``)."""
        params = self._scope_params(scope) or {}
        if include_retried:
            params['include_retried'] = 'true'
        if page is not None:
            params['page'] = int(page)
        return list(self.paginate('%s/pipelines/%s/jobs' % (project_path(project), encode_id(pipeline_id, 'pipeline id')),
                                  params=params or None, limit=limit))

    def _job_path(self, project, job_id, action=''):
        return '%s/jobs/%s%s' % (project_path(project), encode_id(job_id, 'job id'), action)

    def get_job(self, project, job_id):
        """One job (builds only; a bridge id is a 404)."""
        return self.get(self._job_path(project, job_id))

    def cancel_job(self, project, job_id):
        """Cancel a job; GitLab answers 201 with the job even when it had already finished."""
        return self.post(self._job_path(project, job_id, '/cancel'), expect=('id', 'status'))

    def retry_job(self, project, job_id):
        """Retry a job; returns the NEW job (new id)."""
        return self.post(self._job_path(project, job_id, '/retry'), expect=('id', 'status'))

    def play_job(self, project, job_id, job_variables=None):
        """Play a manual job, with job variables (a list of ``{'key', 'value', 'variable_type'}``).

        lib/api/ci/jobs.rb declares ``job_variables_attributes`` as an Array of ``key`` and ``value``
        only (https://docs.gitlab.com/ee/api/jobs.html#run-a-job), so a ``file`` variable is refused
        with InputError rather than silently sent as an env_var.
        """
        items = _normalise_variables(job_variables, 'job_variables')
        files = [item['key'] for item in items if item['variable_type'] != 'env_var']
        if files:
            raise InputError('job_variables %s: GitLab takes only key and value for the variables of a played job, so a file '
                             'variable cannot be sent' % ', '.join(files))
        data = None
        if items:
            data = {'job_variables_attributes': [{'key': item['key'], 'value': item['value']} for item in items]}
        return self.post(self._job_path(project, job_id, '/play'), data=data, expect=('id', 'status'))

    def erase_job(self, project, job_id):
        """Erase a finished job's log and artifacts."""
        return self.post(self._job_path(project, job_id, '/erase'), expect=('id', 'status'))

    def keep_artifacts(self, project, job_id):
        """Keep a job's artifacts from expiring."""
        return self.post(self._job_path(project, job_id, '/artifacts/keep'), expect=('id', 'status'))

    def download_job_log(self, project, job_id, handle, max_size=None):
        """Stream a job's log into ``handle``; returns ``{'size', 'sha256', 'content_type'}``."""
        return self.download(self._job_path(project, job_id, '/trace'), handle, max_size=max_size, expect={'kind': 'log'})

    def job_log_digest(self, project, job_id):
        """``{'size', 'sha256'}`` of a job's log, read as a stream and written nowhere (for check mode).

        The same download, verification and retries as download_job_log(), into a handle that keeps nothing.
        """
        info = self.download(self._job_path(project, job_id, '/trace'), _Discard(), expect={'kind': 'log'})
        return {'size': info['size'], 'sha256': info['sha256']}

    def job_log_tail(self, project, job_id, lines):
        """The last ``lines`` raw lines of a job's log, read as a stream; a cut stream is retried.

        Memory is bounded by ``lines`` times MAX_LOG_LINE: each line is cut at MAX_LOG_LINE bytes
        while it is read. Lines are split at ``\\n`` (a ``\\r\\n`` loses its ``\\r``; other ``\\r`` stay,
        for the caller's cleaning of progress lines).
        """
        count = max(0, int(lines))
        url = self.url(self._job_path(project, job_id, '/trace'))
        shown = self._display(url)

        def consume(response, chunks):
            tail = collections.deque(maxlen=count)
            current = bytearray()
            head = bytearray()
            for chunk in chunks:
                if len(head) < HEAD_BYTES:
                    head += chunk[:HEAD_BYTES - len(head)]
                chunk = bytes(chunk)
                start = 0
                while True:
                    end = chunk.find(b'\n', start)
                    piece = chunk[start:] if end < 0 else chunk[start:end]
                    if len(current) < MAX_LOG_LINE:
                        current += piece[:MAX_LOG_LINE - len(current)]
                    if end < 0:
                        break
                    tail.append(bytes(current))
                    current = bytearray()
                    start = end + 1
            if current:
                tail.append(bytes(current))
            self._verify_download(shown, response.status_code, response.headers.get('Content-Type', ''), bytes(head), 0,
                                  None, 0, {'kind': 'log'})
            return [line[:-1].decode('utf-8', 'replace') if line.endswith(b'\r') else line.decode('utf-8', 'replace') for line in tail]

        if not count:
            return []
        return self._retrying('GET', shown, lambda: self._streamed(url, shown, None, consume, JSON_CHUNK))

    # ---- reading pipelines and jobs: latest, bridges, the project's jobs ------------------------------

    @staticmethod
    def _scope_params(scope):
        """``scope[]=a&scope[]=b`` (GitLab's job ``scope``, an array of statuses), or None without one."""
        if not scope:
            return None
        return {'scope[]': list(scope)}

    def get_latest_pipeline(self, project, ref=None):
        """``GET /projects/:id/pipelines/latest``: the newest pipeline of the ref's HEAD commit (one request).

        Without ``ref`` GitLab takes the project's default branch. GitLab answers 403 when the commit has
        no pipeline (``authorize! :read_pipeline, latest_pipeline`` with none, lib/api/ci/pipelines.rb),
        the same answer as for a user who may not read pipelines: the caller tells them apart.
        """
        params = {'ref': ref} if ref else None
        return self.get(project_path(project) + '/pipelines/latest', params=params)

    def list_pipeline_bridges(self, project, pipeline_id, scope=None):
        """Every trigger job (bridge) of a pipeline, with its ``downstream_pipeline`` (Entities::Ci::Bridge).

        ``GET /projects/:id/pipelines/:pipeline_id/bridges`` (https://docs.gitlab.com/api/jobs/#list-pipeline-trigger-jobs);
        needs ``read_build`` (Reporter). Bridges are in no other job list.
        """
        return list(self.paginate('%s/pipelines/%s/bridges' % (project_path(project), encode_id(pipeline_id, 'pipeline id')),
                                  params=self._scope_params(scope)))

    def list_project_jobs(self, project, scope=None, limit=20):
        """The newest ``limit`` jobs of a project (``GET /projects/:id/jobs``, newest first), filtered by ``scope``."""
        return list(self.paginate(project_path(project) + '/jobs', params=self._scope_params(scope), limit=max(1, int(limit))))

    # ---- job artifacts (lib/api/ci/job_artifacts.rb) -------------------------------------------

    def download_artifacts(self, project, job_id, handle, max_size=None, size=None):
        """Stream a job's artifacts archive into ``handle``, verified as a zip of ``size`` bytes (the job's artifacts_file.size) when given."""
        return self.download(self._job_path(project, job_id, '/artifacts'), handle, max_size=max_size,
                             expect={'kind': 'archive', 'size': size})

    def download_artifact_file(self, project, job_id, artifact_path, handle, max_size=None):
        """Stream one file of a job's artifacts archive into ``handle``; ``artifact_path`` is checked with artifact_path_problem."""
        problem = artifact_path_problem(artifact_path)
        if problem:
            raise InputError(problem)
        path = self._job_path(project, job_id, '/artifacts/' + quote(artifact_path, safe='/'))
        name = artifact_path.rsplit('/', 1)[-1]
        return self.download(path, handle, max_size=max_size, expect={'kind': 'file', 'name': name})

    # ---- reading one variable, an artifact file by ref -----------------------------------------

    def get_variable(self, level, owner, key, environment_scope=None):
        """One CI/CD variable by key (``GET .../variables/:key``), or None when GitLab has no such variable.

        ``environment_scope`` is sent as ``filter[environment_scope]`` (projects: lib/api/ci/variables.rb
        declares it; older group routes ignore it and pick any same-key variable, so callers list group
        variables instead). Only GitLab's "404 Variable Not Found" (GroupVariable, InstanceVariable)
        means no variable; a 404 for the project or group itself is raised.
        """
        path = '%s/%s' % (self._variables_base(level, owner), encode_id(key, 'variable key'))
        try:
            return self.get(path, params=self._scope_filter(environment_scope))
        except GitLabNotFoundError as err:
            if 'variable' in (err.gitlab_message or '').lower():
                return None
            raise

    def download_artifact_file_by_ref(self, project, ref, job, artifact_path, handle, max_size=None):
        """Stream one file of the artifacts of job ``job`` in the latest successful pipeline of ``ref``.

        ``GET /projects/:id/jobs/artifacts/:ref_name/raw/*artifact_path?job=NAME``
        (https://docs.gitlab.com/api/job_artifacts/#download-a-single-artifact-file-from-specific-tag-or-branch);
        the ref is one encoded segment (``release%2F1.0``); ``artifact_path`` is checked with artifact_path_problem.
        """
        problem = artifact_path_problem(artifact_path) or path_segment_problem('ref', ref) or path_segment_problem('job', job)
        if problem:
            raise InputError(problem)
        path = '%s/jobs/artifacts/%s/raw/%s' % (project_path(project), quote(str(ref), safe=''), quote(artifact_path, safe='/'))
        name = artifact_path.rsplit('/', 1)[-1]
        return self.download(path, handle, params={'job': job}, max_size=max_size, expect={'kind': 'file', 'name': name})

    # ---- pipeline schedules (lib/api/ci/pipeline_schedules.rb) ---------------------------------
    # lib/api/ci/pipeline_schedules.rb (https://docs.gitlab.com/api/pipeline_schedules/)

    def _schedule(self, project, schedule_id, action=''):
        return '%s/pipeline_schedules/%s%s' % (project_path(project), encode_id(schedule_id, 'pipeline_schedule_id'), action)

    def list_schedules(self, project):
        """Every pipeline schedule of a project (all pages; without variables)."""
        return list(self.paginate(project_path(project) + '/pipeline_schedules', params={'per_page': 100}))

    def get_schedule(self, project, schedule_id):
        """One schedule with ``last_pipeline``, and ``variables`` (with values) for its owner and Maintainers."""
        return self.get(self._schedule(project, schedule_id))

    def create_schedule(self, project, attrs):
        """POST a schedule (``description``, ``ref``, ``cron``, ``cron_timezone``, ``active``); the caller owns it."""
        return self.post(project_path(project) + '/pipeline_schedules', data=attrs, expect=('id',))

    def update_schedule(self, project, schedule_id, attrs):
        """PUT only the given fields; GitLab allows it only to the schedule's owner (403 otherwise)."""
        return self.put(self._schedule(project, schedule_id), data=attrs, expect=('id',))

    def take_schedule_ownership(self, project, schedule_id):
        """POST take_ownership: the caller becomes the owner (Maintainer+, or the owner)."""
        return self.post(self._schedule(project, schedule_id, '/take_ownership'), expect=('id',))

    def delete_schedule(self, project, schedule_id):
        """DELETE a schedule (Maintainer+, or its owner)."""
        self.delete(self._schedule(project, schedule_id))

    def play_schedule(self, project, schedule_id):
        """POST play: GitLab queues the pipeline and answers ``{"message": "201 Created"}``."""
        return self.post(self._schedule(project, schedule_id, '/play'))

    def create_schedule_variable(self, project, schedule_id, attrs):
        """POST one schedule variable (``key``, ``value``, ``variable_type``)."""
        return self.post(self._schedule(project, schedule_id, '/variables'), data=attrs, expect=('key',))

    def update_schedule_variable(self, project, schedule_id, key, attrs):
        """PUT ``value`` and/or ``variable_type`` of one schedule variable."""
        return self.put(self._schedule(project, schedule_id, '/variables/%s' % encode_id(key, 'variable key')), data=attrs,
                        expect=('key',))

    def delete_schedule_variable(self, project, schedule_id, key):
        """DELETE one schedule variable (GitLab answers 202 with the variable)."""
        self.delete(self._schedule(project, schedule_id, '/variables/%s' % encode_id(key, 'variable key')))

    def get_project_member(self, project, user_id):
        """The user's effective membership (``GET /projects/:id/members/all/:user_id``), None when not a member."""
        return self.lookup('%s/members/all/%s' % (project_path(project), encode_id(user_id, 'user id')))

    # ---- CI/CD access: job token scope, project CI/CD settings ----
    # lib/api/project_job_token_scope.rb (https://docs.gitlab.com/api/project_job_token_scopes/): the POST and DELETE
    # routes declare the project id an Integer, so callers pass the numeric id there.

    def get_job_token_scope(self, project):
        """``{"inbound_enabled", "outbound_enabled"}`` (Maintainer)."""
        return self.get(project_path(project) + '/job_token_scope')

    def set_job_token_scope(self, project, enabled):
        """PATCH ``enabled`` (the inbound allowlist's enforcement); GitLab answers 204."""
        self.request('PATCH', project_path(project) + '/job_token_scope', json={'enabled': bool(enabled)}).close()

    def list_job_token_projects(self, project):
        """The project allowlist (all pages); GitLab lists the project itself too."""
        return list(self.paginate(project_path(project) + '/job_token_scope/allowlist', params={'per_page': 100}))

    def list_job_token_groups(self, project):
        """The group allowlist (all pages): id, name, web_url."""
        return list(self.paginate(project_path(project) + '/job_token_scope/groups_allowlist', params={'per_page': 100}))

    def add_job_token_project(self, project_id, target_project_id):
        """POST one project link (201 ``{source_project_id, target_project_id}``)."""
        return self.post(project_path(project_id) + '/job_token_scope/allowlist',
                         data={'target_project_id': int(target_project_id)}, expect=('target_project_id',))

    def add_job_token_group(self, project_id, target_group_id):
        """POST one group link (201 ``{source_project_id, target_group_id}``)."""
        return self.post(project_path(project_id) + '/job_token_scope/groups_allowlist',
                         data={'target_group_id': int(target_group_id)}, expect=('target_group_id',))

    def remove_job_token_project(self, project_id, target_project_id):
        """DELETE one project link (204)."""
        self.delete('%s/job_token_scope/allowlist/%s' % (project_path(project_id), encode_id(target_project_id, 'target_project_id')))

    def remove_job_token_group(self, project_id, target_group_id):
        """DELETE one group link (204)."""
        self.delete('%s/job_token_scope/groups_allowlist/%s' % (project_path(project_id), encode_id(target_group_id, 'target_group_id')))

    def update_project_settings(self, project, attrs):
        """PUT only the given project fields (https://docs.gitlab.com/api/projects/#edit-a-project); 200 with the project."""
        return self.put(project_path(project), data=attrs, expect=('id',))

    # --- GraphQL ---
    # https://docs.gitlab.com/api/graphql/ (app/controllers/graphql_controller.rb): POST <url>/api/graphql, beside
    # /api/v4 under the same relative URL root, with the same token headers (api or read_api scope). Only queries
    # are sent, so a query is retried like a GET (a lost answer or a 502-504 changes nothing) and no error of one is
    # ever maybe_applied. GitLab answers a query that failed with HTTP 200 and an "errors" array (with "data" null
    # or absent when the query was not run, e.g. an unknown field); HTTP errors carry {"errors": [{"message"}]}.

    GRAPHQL_PAGE = 100        # GitlabSchema default_max_page_size
    GRAPHQL_MAX_PAGES = 20    # 2,000 nodes: a connection that goes on longer is refused, not read forever
    AUTH_LOG_QUERY = '''query($fullPath: ID!, $first: Int, $after: String) {
  project(fullPath: $fullPath) {
    ciJobTokenAuthLogs(first: $first, after: $after) {
      nodes { lastAuthorizedAt originProject { id fullPath } }
      pageInfo { hasNextPage endCursor }
    }
  }
}'''

    @staticmethod
    def _graphql_messages(body):
        """The ``message`` of each entry of a GraphQL ``errors`` array (HTTP 200 or an error status), else []."""
        found = body.get('errors') if isinstance(body, dict) else None
        if not isinstance(found, list):
            return []
        return [' '.join(str(item.get('message')).split())[:500] for item in found if isinstance(item, dict) and item.get('message')]

    def graphql(self, query, variables=None):
        """Run one GraphQL query; return its ``data`` (a dict).

        An ``errors`` array is a GitLabError with GitLab's messages: GitLabValidationError when the query was not
        run, GitLabPermissionError for GitLab's "you don't have permission" (a resolver's ``authorize``), else
        GitLabError. A mutation is refused (InputError): this client only reads through GraphQL.
        """
        if re.match(r'\s*(mutation|subscription)\b', str(query)):
            raise InputError('GitLabClient.graphql sends queries only, not mutations or subscriptions')
        url = self.base_url + '/api/graphql'
        shown = self._display(url)
        body = {'query': str(query), 'variables': dict(variables or {})}
        answer = self._retrying('POST', shown, lambda: self._graphql_once(url, shown, body))
        return self._graphql_data(shown, answer)

    def _graphql_once(self, url, shown, body):
        try:
            return self._json_once('POST', url, shown, None, body)
        except GitLabError as err:
            err.maybe_applied = False
            messages = self._graphql_messages(err.body)
            if messages:
                err.gitlab_message = '; '.join(messages)
            err.refresh()
            transient = (isinstance(err, GitLabTransportError) and not isinstance(err, (GitLabTLSError, GitLabDeadlineError))
                         or err.status in RETRY_STATUSES)
            if transient:
                raise _Retry(err, None) from None
            raise

    def _graphql_data(self, shown, answer):
        if not isinstance(answer, dict) or ('data' not in answer and 'errors' not in answer):
            raise self._scrub(GitLabAnswerError('POST', shown, status=200, detail='expected a GraphQL answer (an object with '
                                                'data or errors), got %s' % self._kind(answer)))
        messages = self._graphql_messages(answer)
        data = answer.get('data')
        if messages or answer.get('errors'):
            text = '; '.join(messages) or 'an errors entry without a message'
            if not isinstance(data, dict):
                cls = GitLabValidationError
            elif 'permission' in text:
                cls = GitLabPermissionError
            else:
                cls = GitLabError
            raise self._scrub(cls('POST', shown, gitlab_message=text, body=answer, detail='a GraphQL error, answered with HTTP 200'))
        if not isinstance(data, dict):
            raise self._scrub(GitLabAnswerError('POST', shown, status=200, detail='the GraphQL answer has no data object'))
        return data

    def graphql_nodes(self, query, variables, path, max_pages=None):
        """Every node of the connection at ``path`` (keys into ``data``), ``first: 100`` per page, following ``endCursor``.

        ``query`` declares ``$first: Int`` and ``$after: String`` and selects ``nodes`` and ``pageInfo { hasNextPage
        endCursor }``. A null object on the way is GitLabNotFoundError (GitLab answers null for what the token's user
        cannot see); a connection longer than ``max_pages`` pages (GRAPHQL_MAX_PAGES), a repeated or missing cursor,
        or a page that is not a connection is GitLabAnswerError.
        """
        shown = self._display(self.base_url + '/api/graphql')
        max_pages = int(max_pages or self.GRAPHQL_MAX_PAGES)
        after, seen, nodes = None, set(), []
        for _page in range(max_pages):
            node = self.graphql(query, dict(variables or {}, first=self.GRAPHQL_PAGE, after=after))
            for depth, key in enumerate(path):
                node = node.get(key) if isinstance(node, dict) else None
                if node is None:
                    where = '.'.join(path[:depth + 1])
                    raise self._scrub(GitLabNotFoundError('POST', shown, gitlab_message='%s is null' % where, detail=(
                        'GitLab answers null for what does not exist or the token\'s user may not see')))
            page_info = node.get('pageInfo') if isinstance(node, dict) else None
            if not isinstance(node.get('nodes') if isinstance(node, dict) else None, list) or not isinstance(page_info, dict):
                raise self._scrub(GitLabAnswerError('POST', shown, status=200, detail='%s is not a connection with nodes and '
                                                    'pageInfo' % '.'.join(path)))
            nodes.extend(node['nodes'])
            if page_info.get('hasNextPage') is not True:
                return nodes
            after = page_info.get('endCursor')
            if not isinstance(after, str) or not after or after in seen:
                raise self._scrub(GitLabAnswerError('POST', shown, status=200, detail='GitLab said %s has a next page but gave '
                                                    '%s' % ('.'.join(path), 'a cursor it gave before' if after in seen else 'no cursor')))
            seen.add(after)
        raise self._scrub(GitLabAnswerError('POST', shown, status=200, detail='%s goes on past %d pages of %d; stopped reading' % (
            '.'.join(path), max_pages, self.GRAPHQL_PAGE)))

    def job_token_auth_log(self, project_full_path):
        """The job token authentication log of a project (GraphQL ``Project.ciJobTokenAuthLogs``, GitLab 17.6+, Maintainer).

        app/graphql/resolvers/ci/job_token_auth_logs_resolver.rb (``authorize :admin_project``): one node per origin
        project whose job token last reached this project: ``{'lastAuthorizedAt', 'originProject': {'id' (a global id
        ``gid://gitlab/Project/N``), 'fullPath'}}``.
        """
        try:
            return self.graphql_nodes(self.AUTH_LOG_QUERY, {'fullPath': str(project_full_path)}, ('project', 'ciJobTokenAuthLogs'))
        except GitLabError as err:
            text = str(err.gitlab_message)
            if 'ciJobTokenAuthLogs' in text and "doesn't exist" in text:
                err.hint = 'this GitLab has no job token authentication log (GraphQL ciJobTokenAuthLogs came with GitLab 17.6)'
            elif isinstance(err, GitLabNotFoundError) or 'permission' in text:
                err.hint = ('the project %s does not exist or the token\'s user cannot read its job token authentication log, '
                            'which needs the Maintainer role' % project_full_path)
            err.refresh()
            raise


def _looks_html(content_type, body):
    """Whether an answer is an HTML page: its Content-Type, or a body starting with ``<!DOCTYPE html`` or ``<html``."""
    if content_type.split(';')[0].strip().lower() in ('text/html', 'application/xhtml+xml'):
        return True
    start = bytes(body[:512]).lstrip(b'\xef\xbb\xbf \t\r\n').lower()
    return start.startswith((b'<!doctype html', b'<html'))


def _reusable(response):
    """Let requests hand the connection back to its pool when the body was read to its end.

    Bodies are read from the underlying http.client response, which urllib3 does not see; without
    this, closing the response would close the connection, and every JSON request would open a
    new one (a TLS handshake each time).
    """
    raw = getattr(getattr(response, 'raw', None), '_fp', None)
    try:
        # Python 3.13's http.client closes the response itself once Content-Length bytes are read
        # (and its _close_conn() then fails on the missing fp); older ones wait for one more read.
        if not raw.isclosed() and not raw.chunked and raw.length == 0:
            raw._close_conn()  # pylint: disable=protected-access
        if raw.isclosed():
            response._content_consumed = True  # pylint: disable=protected-access
    except AttributeError:
        pass


def _readable(handle):
    try:
        return handle.readable()
    except (AttributeError, ValueError, OSError):
        return False
