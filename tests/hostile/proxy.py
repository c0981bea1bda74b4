"""A misbehaving reverse proxy in front of the fake GitLab (standard library only, one thread per connection).

The modules' ``api_url`` points at the proxy; it forwards every request to ``upstream`` (the fake)
and answers what came back, unless a rule says otherwise::

    with HostileProxy(fake.url) as proxy:
        proxy.add_rule(path=r'/jobs/\\d+/artifacts$', replace={'status': 200, 'body': SSO_PAGE, 'content_type': 'text/html'})
        ...api_url=proxy.url...
        proxy.log       # [{case, method, path, query, rule, status, credentials}] of every request seen

A rule matches ``method`` ('*' or a verb) and ``path`` (``re.search`` on the raw path, query
excluded), optionally only during one ``case`` (see markers below), and is used ``count`` times
(None: unlimited). Exactly one effect:

``replace``   ``{status, headers: [[name, value], ...], body: bytes | str | JSON, content_type, forward}``:
              answer this instead; with ``forward: true`` the request is applied upstream first (a
              foreign answer to a write that GitLab did apply). A JSON body (dict, list, None, a
              number, ``{'json': 'a string'}``) is sent as application/json unless ``content_type`` says
              otherwise; str and bytes are sent as they are.
``headers``   ``{set: {name: value}, remove: [name, ...]}`` on the real answer (Content-Type,
              Content-Length, Link, X-Next-Page, Retry-After...). Removing Content-Length sends the
              body with ``Connection: close`` (its end is the connection's end).
``json_set``  ``{dotted.path: value}`` set in the real JSON answer (in each item when it is a list),
              e.g. ``{'artifacts_file.filename': '../../evil'}``.
``cut``       ``{at: bytes, framing: 'length' | 'none' | 'chunked'}``: the real answer's first ``at``
              bytes, then the connection closes. ``length`` keeps the announced Content-Length (the
              client can tell), ``none`` drops it (the client cannot tell from the framing), ``chunked``
              sends the bytes as chunks without the closing zero chunk.
``drip``      ``{interval: seconds, size: bytes per write, max_seconds: 30}``: the real answer, its body a
              few bytes at a time (the head at once); after ``max_seconds`` the connection is closed (so a
              client without a total bound does not hold a test for long).
``lose``      ``'reset'`` or ``{'hold': seconds}``: forward the request (upstream applies it), then
              reset the connection, or hold it silent for ``hold`` seconds and close it.
``redirect``  ``{status: 302, location: URL}``: answer a redirect without forwarding; ``location`` may
              contain ``{path}`` and ``{query}`` (the request's, query with its ``?``).

Markers: ``GET /-/hostile/case/<id>`` (no auth, never forwarded) makes ``<id>`` the current case;
requests are logged with it, rules with ``case`` only act during their case, and the proxy calls
``on_case(id)`` (the suite records where the fake's journal stood). Control endpoints for
processes that do not share the test's memory: ``GET|POST|DELETE /-/hostile/rules`` (POST a rule as
JSON), ``GET|DELETE /-/hostile/log``.

A second origin for redirect tests: ``HostileProxy(fake.url, host='127.0.0.2')`` is the same proxy
on another address; its ``log`` shows whether credentials were sent there (``credentials``).
"""

import http
import http.client
import json
import re
import socket
import struct
import threading
import time
from urllib.parse import urlsplit

from tests.fake_gitlab.transport import POLL_INTERVAL, BaseHandler, ThreadedServer

CONTROL = '/-/hostile/'
EFFECTS = ('replace', 'headers', 'json_set', 'cut', 'drip', 'lose', 'redirect')
CREDENTIAL_HEADERS = ('private-token', 'job-token', 'authorization')
# Hop-by-hop headers (RFC 9110 section 7.6.1) and the framing the proxy sets itself.
HOP_HEADERS = ('connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'content-length')
UPSTREAM_TIMEOUT = 60


class RuleError(ValueError):
    """A rule that cannot be used."""


class Rule:
    """One parsed rule: what it matches, its effect, how many uses are left, how often it hit."""

    def __init__(self, rule_id, data):
        if not isinstance(data, dict):
            raise RuleError('a rule must be a dict')
        self.id = rule_id
        self.data = dict(data)
        self.method = str(data.get('method', '*')).upper()
        try:
            self.path = re.compile(str(data.get('path', '')))
        except re.error as exc:
            raise RuleError('path is not a regular expression: %s' % exc) from None
        self.case = data.get('case')
        effects = [name for name in EFFECTS if name in data]
        if len(effects) != 1:
            raise RuleError('a rule needs exactly one effect out of %s, got %s' % (', '.join(EFFECTS), effects))
        self.effect = effects[0]
        self.arg = data[self.effect]
        if self.effect == 'lose' and self.arg != 'reset' and not (isinstance(self.arg, dict) and 'hold' in self.arg):
            raise RuleError("lose is 'reset' or {'hold': seconds}")
        if self.effect == 'cut' and (not isinstance(self.arg, dict) or self.arg.get('framing', 'length') not in ('length', 'none', 'chunked')):
            raise RuleError("cut is {'at': bytes, 'framing': 'length' | 'none' | 'chunked'}")
        if self.effect == 'redirect' and not (isinstance(self.arg, dict) and self.arg.get('location')):
            raise RuleError("redirect is {'status': 302, 'location': URL}")
        self.remaining = data.get('count', 1)
        if self.remaining is not None and (not isinstance(self.remaining, int) or self.remaining < 1):
            raise RuleError('count must be a positive integer or None')
        self.hits = 0

    def take(self, method, path, case):
        """Whether this rule acts on the request (consuming one use when it does)."""
        if self.method not in ('*', method) or (self.case is not None and self.case != case):
            return False
        if self.remaining is not None and self.remaining <= 0:
            return False
        if not self.path.search(path):
            return False
        if self.remaining is not None:
            self.remaining -= 1
        self.hits += 1
        return True

    def to_dict(self):
        data = dict(self.data, id=self.id, remaining=self.remaining, hits=self.hits)
        if isinstance(data.get('replace'), dict) and isinstance(data['replace'].get('body'), bytes):
            data['replace'] = dict(data['replace'], body=data['replace']['body'].decode('latin-1'))
        return data


class Answer:
    """An answer to write: status, headers (list of pairs, framing excluded), body bytes."""

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = list(headers)
        self.body = body

    def header(self, name):
        return next((value for key, value in self.headers if key.lower() == name.lower()), None)

    def set_header(self, name, value):
        self.remove_header(name)
        self.headers.append((name, value))

    def remove_header(self, name):
        self.headers = [(key, value) for key, value in self.headers if key.lower() != name.lower()]


def encode_body(body, content_type=None):
    """``(bytes, content type)`` of a rule's body."""
    if isinstance(body, bytes):
        return body, content_type or 'application/octet-stream'
    if isinstance(body, str):
        return body.encode('utf-8'), content_type or 'text/plain; charset=utf-8'
    if isinstance(body, dict) and set(body) == {'json'}:
        body = body['json']
    return json.dumps(body).encode('utf-8'), content_type or 'application/json'


def _set_dotted(item, dotted, value):
    if not isinstance(item, dict):
        return
    names = dotted.split('.')
    for name in names[:-1]:
        item = item.get(name)
        if not isinstance(item, dict):
            return
    item[names[-1]] = value


class HostileProxy:
    """The proxy: ``start()``/``stop()`` or a context manager; ``url`` once started."""

    def __init__(self, upstream, host='127.0.0.1', port=0, on_case=None):
        self.upstream = upstream.rstrip('/')
        self.host = host
        self.port = port
        self.on_case = on_case
        self.case = None
        self.url = None
        self.rules = []
        self._log = []
        self._next_id = 1
        self._lock = threading.Lock()
        self._server = None
        self._thread = None

    # -- life cycle -----------------------------------------------------------------------------

    def start(self):
        handler = type('HostileProxyHandler', (_ProxyHandler,), {'proxy': self})
        self._server = ThreadedServer((self.host, self.port), handler)
        host, port = self._server.server_address[:2]
        self.url = 'http://%s:%d' % (host, port)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(POLL_INTERVAL,), name='hostile-proxy', daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.close_connections()
            self._server.server_close()
            self._thread.join(5)
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    # -- rules, cases, log ------------------------------------------------------------------------

    def add_rule(self, **data):
        """Add a rule (keyword arguments as in the module docstring); returns it."""
        with self._lock:
            rule = Rule(self._next_id, data)
            self._next_id += 1
            self.rules.append(rule)
        return rule

    def clear_rules(self):
        with self._lock:
            self.rules = []

    def set_case(self, case):
        with self._lock:
            self.case = case
            self._log.append({'marker': case, 'at': time.time()})
        if self.on_case is not None:
            self.on_case(case)

    @property
    def log(self):
        """Every request seen (markers excluded), oldest first."""
        with self._lock:
            return [dict(entry) for entry in self._log if 'marker' not in entry]

    def markers(self):
        """``[(case, time)]`` of the markers, in order."""
        with self._lock:
            return [(entry['marker'], entry['at']) for entry in self._log if 'marker' in entry]

    def case_log(self, case):
        with self._lock:
            return [dict(entry) for entry in self._log if entry.get('case') == case and 'marker' not in entry]

    def clear_log(self):
        with self._lock:
            self._log = []

    def _pick(self, method, path):
        with self._lock:
            case = self.case
            rule = next((r for r in self.rules if r.take(method, path, case)), None)
        return case, rule

    def _record(self, entry):
        with self._lock:
            self._log.append(entry)

    # -- forwarding -----------------------------------------------------------------------------------

    def forward(self, method, target, headers, body):
        """Send the request upstream; return its Answer (the body read in full)."""
        parts = urlsplit(self.upstream)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=UPSTREAM_TIMEOUT)
        try:
            send = [(name, value) for name, value in headers.items() if name.lower() not in HOP_HEADERS and name.lower() != 'host']
            connection.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
            connection.putheader('Host', parts.netloc)
            for name, value in send:
                connection.putheader(name, value)
            if body or method in ('POST', 'PUT', 'PATCH'):
                connection.putheader('Content-Length', str(len(body)))
            connection.endheaders(body or None)
            response = connection.getresponse()
            data = response.read()
            kept = [(name, value) for name, value in response.getheaders() if name.lower() not in HOP_HEADERS]
            return Answer(response.status, kept, data)
        finally:
            connection.close()


class _ProxyHandler(BaseHandler):
    """One client connection of the proxy."""

    proxy = None
    server_version = 'hostile-proxy'

    def dispatch(self):
        body = self.read_body()
        split = urlsplit(self.path)
        path, query = split.path, split.query
        if path.startswith(CONTROL):
            self._control(path[len(CONTROL):], body)
            return
        proxy = self.proxy
        case, rule = proxy._pick(self.command, path)  # pylint: disable=protected-access
        credentials = sorted(name.lower() for name in self.headers if name.lower() in CREDENTIAL_HEADERS)
        entry = {'at': time.time(), 'case': case, 'method': self.command, 'path': path, 'query': query, 'rule': rule.id if rule else None,
                 'effect': rule.effect if rule else None, 'status': None, 'credentials': credentials}
        proxy._record(entry)  # pylint: disable=protected-access
        effect, arg = (rule.effect, rule.arg) if rule else (None, None)
        if effect == 'redirect':
            location = arg['location'].format(path=path, query=('?' + query) if query else '')
            entry['status'] = arg.get('status', 302)
            self._send(Answer(entry['status'], [('Location', location), ('Content-Type', 'text/html; charset=utf-8')],
                              b'<html><body>You are being <a href="%s">redirected</a>.</body></html>' % location.encode()))
            return
        if effect == 'replace' and not arg.get('forward'):
            entry['status'] = arg.get('status', 200)
            self._send(self._replacement(arg))
            return
        try:
            answer = proxy.forward(self.command, self.path, self.headers, body)
        except OSError as exc:
            entry['status'] = 502
            self._send(Answer(502, [('Content-Type', 'text/plain')], ('upstream failed: %s' % exc).encode()))
            return
        entry['upstream_status'] = answer.status
        if effect == 'lose':
            entry['status'] = 0
            self._lose(arg)
            return
        if effect == 'replace':
            answer = self._replacement(arg)
        elif effect == 'headers':
            for name in arg.get('remove', ()):
                answer.remove_header(name)
            for name, value in (arg.get('set') or {}).items():
                answer.set_header(name, value)
        elif effect == 'json_set':
            answer = self._json_set(answer, arg)
        entry['status'] = answer.status
        if effect == 'cut':
            self._cut(answer, arg)
        elif effect == 'drip':
            self._drip(answer, arg)
        else:
            self._send(answer, no_length=effect == 'headers' and any(n.lower() == 'content-length' for n in arg.get('remove', ())),
                       length=(arg.get('set') or {}).get('Content-Length') if effect == 'headers' else None)

    # -- effects ----------------------------------------------------------------------------------------

    @staticmethod
    def _replacement(arg):
        body, content_type = encode_body(arg.get('body', b''), arg.get('content_type'))
        headers = [tuple(pair) for pair in arg.get('headers', ())]
        if not any(name.lower() == 'content-type' for name, _value in headers) and (body or arg.get('content_type')):
            headers.append(('Content-Type', content_type))
        return Answer(arg.get('status', 200), headers, body)

    @staticmethod
    def _json_set(answer, arg):
        try:
            data = json.loads(answer.body.decode('utf-8'))
        except ValueError:
            return answer
        for item in data if isinstance(data, list) else [data]:
            for dotted, value in arg.items():
                _set_dotted(item, dotted, value)
        answer.body = json.dumps(data).encode('utf-8')
        return answer

    def _head(self, answer, framing):
        try:
            phrase = http.HTTPStatus(answer.status).phrase
        except ValueError:
            phrase = ''
        headers = [('Date', self.date_time_string())] + [(n, v) for n, v in answer.headers if n.lower() not in ('content-length',)]
        headers += framing
        lines = ['HTTP/1.1 %d %s' % (answer.status, phrase)] + ['%s: %s' % item for item in headers]
        return ('\r\n'.join(lines) + '\r\n\r\n').encode('latin-1')

    def _send(self, answer, no_length=False, length=None):
        if no_length:
            self.close_connection = True
            self.wfile.write(self._head(answer, [('Connection', 'close')]) + answer.body)
            return
        framing = [('Content-Length', str(length if length is not None else len(answer.body)))]
        if self.close_connection:
            framing.append(('Connection', 'close'))
        body = b'' if self.command == 'HEAD' else answer.body
        self.wfile.write(self._head(answer, framing) + body)
        if length is not None and str(length) != str(len(answer.body)):
            self.close_connection = True

    def _cut(self, answer, arg):
        at = int(arg.get('at', len(answer.body) // 2))
        framing = arg.get('framing', 'length')
        part = answer.body[:at]
        self.close_connection = True
        if framing == 'length':
            self.wfile.write(self._head(answer, [('Content-Length', str(len(answer.body)))]) + part)
        elif framing == 'none':
            self.wfile.write(self._head(answer, [('Connection', 'close')]) + part)
        else:
            self.wfile.write(self._head(answer, [('Transfer-Encoding', 'chunked')]) + (b'%x\r\n%s\r\n' % (len(part), part) if part else b''))
        self.wfile.flush()

    def _drip(self, answer, arg):
        interval = float(arg.get('interval', 0.5))
        size = max(1, int(arg.get('size', 1)))
        give_up = time.monotonic() + float(arg.get('max_seconds', 30))
        self.wfile.write(self._head(answer, [('Content-Length', str(len(answer.body)))]))
        self.wfile.flush()
        try:
            for start in range(0, len(answer.body), size):
                if time.monotonic() > give_up:
                    break
                time.sleep(interval)
                self.wfile.write(answer.body[start:start + size])
                self.wfile.flush()
        except OSError:
            pass    # the client gave up: what a bounded client should do
        self.close_connection = True

    def _lose(self, arg):
        self.close_connection = True
        if arg == 'reset':
            # SO_LINGER 0: close() sends a RST, the client sees "connection reset by peer".
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
            return
        deadline = time.monotonic() + float(arg['hold'])
        self.connection.settimeout(0.1)
        while time.monotonic() < deadline:
            try:
                if self.connection.recv(1) == b'':
                    return      # the client hung up
            except socket.timeout:
                continue
            except OSError:
                return

    # -- control --------------------------------------------------------------------------------------

    def _json(self, status, data):
        self._send(Answer(status, [('Content-Type', 'application/json')], json.dumps(data).encode('utf-8')))

    def _control(self, rest, body):
        proxy = self.proxy
        if rest.startswith('case/') and self.command == 'GET':
            proxy.set_case(rest[len('case/'):])
            self._json(200, {'case': proxy.case})
        elif rest == 'rules' and self.command == 'GET':
            self._json(200, [rule.to_dict() for rule in proxy.rules])
        elif rest == 'rules' and self.command == 'POST':
            try:
                rule = proxy.add_rule(**json.loads(body.decode('utf-8') or 'null'))
            except (ValueError, TypeError) as exc:
                self._json(400, {'error': str(exc)})
                return
            self._json(201, rule.to_dict())
        elif rest == 'rules' and self.command == 'DELETE':
            proxy.clear_rules()
            self._json(200, [])
        elif rest == 'log' and self.command == 'GET':
            self._json(200, proxy.log)
        elif rest == 'log' and self.command == 'DELETE':
            proxy.clear_log()
            self._json(200, [])
        else:
            self._json(404, {'error': 'unknown control endpoint'})
