"""The fake GitLab server: ``FakeGitLab`` and the request pipeline.

Every ``/api/v4`` (and ``/api/graphql``) request goes through ``FakeGitLab.serve_api``:

1. fault rules (``faults.py``) may delay, drop or replace the answer;
2. with the state lock held: route match (unknown -> 404 ``{"error":"404 Not Found"}``),
   authentication (``auth.py``), then the route handler; ``ApiError`` becomes its GitLab body,
   any other exception a 500 ``{"message":"500 Internal Server Error"}`` (traceback on stderr);
3. the journal records ``{method, path, query, status, user}`` - never headers or bodies, and
   token parameters are filtered - before the answer is written, so a client that has its
   answer always finds the entry;
4. the answer is written after the lock is released (large streamed bodies never block others).

``/-/fake/*`` goes to the control routes (``control.py``); anything else is a 404.
"""

import ssl
import sys
import threading
import time
import traceback
from urllib.parse import urlsplit

from . import control, errors, routes
from .auth import Identity, authenticate
from .errors import ApiError
from .faults import Faults
from .ratelimit import RateLimits, caller_key
from .request import Call, Request, Response, flat_query
from .state import State, load_seed_data
from .storage import ObjectStorage
from .transport import POLL_INTERVAL, BaseHandler, ThreadedServer

API_PREFIX = '/api/v4'
# GitLab serves GraphQL beside the REST API, outside /api/v4 (https://docs.gitlab.com/api/graphql/).
GRAPHQL_PATH = '/api/graphql'
CONTROL_PREFIX = '/-/fake/'
# Query parameters that carry secrets: their values never reach the journal.
SECRET_PARAMS = ('private_token', 'access_token', 'job_token', 'token')


class FakeGitLab:
    """A GitLab REST API v4 stand-in on loopback, plus an object-storage stand-in.

    ``seed`` is a dict, a YAML path, or None for ``seeds/default.yml``.  Use ``start()``/``stop()``
    or ``with FakeGitLab(...) as fake:``; the API is at ``fake.url + '/api/v4'``.  With ``tls_cert``
    and ``tls_key`` (PEM files) the API speaks HTTPS and ``fake.url`` starts with ``https://``; the
    object-storage stand-in stays on plain HTTP.
    """

    def __init__(self, seed=None, host='127.0.0.1', port=0, tls_cert=None, tls_key=None):
        self.host = host
        self.port = port
        self.tls = (tls_cert, tls_key) if tls_cert else None
        self.state = State(seed)
        self.router = routes.build_router()
        self.control_router = control.build_router()
        self.faults = Faults()
        self.rate_limits = RateLimits()   # ratelimit.py: seed key rate_limit, or rate_limits.configure()
        self.rate_limits.config_from_seed(self.state.extra)
        self.storage = ObjectStorage()
        self.url = None
        self._journal = []
        self._journal_lock = threading.Lock()
        self._server = None
        self._thread = None

    # -- life cycle ------------------------------------------------------------------------

    def start(self):
        """Start both servers in background threads; returns self."""
        self.storage.start()
        handler = type('FakeGitLabHandler', (_ApiHandler,), {'fake': self})
        self._server = ThreadedServer((self.host, self.port), handler)
        scheme = 'http'
        if self.tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self.tls)
            # The handshake happens on the connection's first read, in its own thread.
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True, do_handshake_on_connect=False)
            scheme = 'https'
        host, port = self._server.server_address[:2]
        self.url = '%s://%s:%d' % (scheme, host, port)
        self.state.server_url = self.url
        self._thread = threading.Thread(target=self._server.serve_forever, args=(POLL_INTERVAL,), name='fake-gitlab', daemon=True)
        self._thread.start()
        return self

    def stop(self):
        """Stop both servers (in parallel: each waits up to a poll interval) and close their connections."""
        storage_stopper = threading.Thread(target=self.storage.stop)
        storage_stopper.start()
        if self._server is not None:
            self._server.shutdown()
            self._server.close_connections()
            self._server.server_close()
            self._thread.join(5)
            self._server = None
        storage_stopper.join(5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    @property
    def api_url(self):
        """``<url>/api/v4``."""
        return self.url + API_PREFIX

    @property
    def storage_url(self):
        """Base URL of the object-storage stand-in (``http://127.0.0.2:PORT``)."""
        return self.storage.url

    # -- test helpers (also reachable over HTTP, see control.py) ---------------------------------

    @property
    def journal(self):
        """A copy of the API journal."""
        with self._journal_lock:
            return [dict(entry) for entry in self._journal]

    def clear_journal(self):
        """Forget the recorded API requests."""
        with self._journal_lock:
            self._journal = []

    @property
    def storage_journal(self):
        """Requests seen by the object-storage stand-in: ``{method, path, auth_headers}``."""
        return self.storage.journal

    def add_fault(self, rule):
        """Add a fault rule (see faults.py); returns it as a dict."""
        return self.faults.add(rule).to_dict()

    def clear_faults(self):
        """Remove every fault rule."""
        self.faults.clear()

    def reset(self, seed=None):
        """Reload the seed (or load a new one); clears faults, journals and stored blobs."""
        data = load_seed_data(seed) if seed is not None else self.state.seed
        State(data)     # a bad seed raises SeedError here, before the running state is touched
        with self.state.lock:
            self.state.load(data)
        self.faults.clear()
        self.rate_limits.config_from_seed(self.state.extra)
        self.clear_journal()
        self.storage.clear()

    def dump_state(self):
        """The state as ``GET /-/fake/state`` shows it."""
        with self.state.lock:
            return self.state.dump()

    # -- request pipeline -------------------------------------------------------------------------

    def serve(self, handler, request):
        """Answer one request (called by the handler thread)."""
        if request.path in (API_PREFIX, GRAPHQL_PATH) or request.path.startswith(API_PREFIX + '/'):
            self.serve_api(handler, request)
        elif request.path.startswith(CONTROL_PREFIX):
            route, params = self.control_router.match(request.method, request.path)
            if route is None:
                response = Response.from_error(errors.route_not_found())
            else:
                request.route_params = params
                try:
                    with self.state.lock:
                        response = route.handler(Call(request, route, Identity(), self.state, self))
                except Exception:  # pylint: disable=broad-except
                    # Justified: a broken control call must not kill the connection thread silently.
                    traceback.print_exc(file=sys.stderr)
                    response = Response.from_error(errors.internal_error())
            handler.write_response(response, head_only=request.method == 'HEAD')
        else:
            handler.write_response(Response.from_error(errors.route_not_found()), head_only=request.method == 'HEAD')

    def serve_api(self, handler, request):
        """The ``/api/v4`` pipeline: faults, routing, auth, handler, journal, answer."""
        entry = {'method': request.method, 'path': request.path, 'query': _journal_query(request.query_string),
                 'status': 0, 'user': None}
        rule = self.faults.pick(request.method, request.path)
        effect = rule.effect if rule else None
        if effect == 'delay':
            time.sleep(rule.data['delay'])
        elif effect == 'drop' and rule.data['drop'] == 'before':
            self._record(entry)
            handler.close_connection = True
            return
        elif effect == 'status' and not rule.apply:
            response = _fault_response(rule)
            entry['status'] = response.status
            self._record(entry)
            handler.write_response(response, head_only=request.method == 'HEAD')
            return

        throttled, limit_headers = self.rate_limits.check(caller_key(request, self.state))
        if throttled is not None:   # Rack::Attack answers before the API sees the request
            response, identity = throttled, Identity()
        else:
            response, identity = self._process(request)
            response.headers += limit_headers
        entry['user'] = identity.username
        cut = False
        if effect == 'status':
            response = _fault_response(rule)
        elif effect == 'drop':
            cut = True
        elif effect == 'redirect' and 200 <= response.status < 300:
            response = self._redirect_to_storage(response)
        entry['status'] = 0 if cut else response.status
        self._record(entry)
        cut_at = rule.cut_at if cut and rule.data.get('drop_at') is not None else None
        handler.write_response(response, head_only=request.method == 'HEAD', cut=cut, cut_at=cut_at)

    def _process(self, request):
        identity = Identity()
        route, params = self.router.match(request.method, request.path)
        if route is None:
            return Response.from_error(errors.route_not_found()), identity
        request.route_params = params
        try:
            with self.state.lock:
                if request.body_error is not None:
                    raise request.body_error
                identity = authenticate(request, self.state, route)
                call = Call(request, route, identity, self.state, self)
                response = route.handler(call)
                if 200 <= response.status < 300:
                    for hook in call.after_success:
                        hook()
        except ApiError as error:
            response = Response.from_error(error)
        except Exception:  # pylint: disable=broad-except
            # Justified: the server must answer like GitLab's 500 handler and keep running.
            traceback.print_exc(file=sys.stderr)
            response = Response.from_error(errors.internal_error())
        return response, identity

    def _redirect_to_storage(self, response):
        """Park the real body in object storage and answer 302 to it (Grape ``redirect``)."""
        extra = [(name, value) for name, value in response.headers if name.lower() in ('content-disposition', 'content-transfer-encoding')]
        if response.stream is not None and response.length is not None:
            stream = response.stream
            url = self.storage.put(produce=lambda: stream, size=response.length, content_type=response.content_type, headers=extra)
        elif response.stream is not None:
            # Object storage needs the size up front; a body of unknown length is collected first.
            url = self.storage.put(body=b''.join(response.stream), content_type=response.content_type, headers=extra)
        else:
            url = self.storage.put(body=response.body, content_type=response.content_type, headers=extra)
        return Response.text(302, 'This resource has been moved temporarily to %s.' % url, [('Location', url)])

    def _record(self, entry):
        with self._journal_lock:
            self._journal.append(entry)


def _journal_query(query_string):
    query = flat_query(query_string)
    for name in SECRET_PARAMS:
        if name in query:
            query[name] = '[FILTERED]'
    return query


def _fault_response(rule):
    status, headers, body, content_type = rule.error_answer()
    if isinstance(body, (dict, list)):
        return Response.json(status, body, headers)
    return Response(status, body, headers, content_type=content_type)


class _ApiHandler(BaseHandler):
    """Parses the request and hands it to ``self.fake``."""

    fake = None

    def date_time_string(self, timestamp=None):
        """The ``Date`` header on the CI clock (``state.clock`` when a test sets one): GitLab stamps
        ``created_at`` and its answers' ``Date`` from one server clock, and clients may compare them."""
        if timestamp is None:
            timestamp = getattr(self.fake.state, 'clock', time.time)()
        return super().date_time_string(timestamp)

    def dispatch(self):
        body = self.read_body()
        target = urlsplit(self.path)
        self.fake.serve(self, Request(self.command, target.path, target.query, self.headers, body))
