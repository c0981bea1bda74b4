"""HTTP/1.1 plumbing shared by the API server and the object-storage stand-in.

* ``ThreadedServer``: one thread per connection, remembers open connections so ``stop()`` can cut
  idle keep-alive sockets instead of waiting for clients to hang up.
* ``BaseHandler``: keep-alive (``protocol_version = "HTTP/1.1"``), reads ``Content-Length`` and
  chunked request bodies, and writes responses with ``Content-Length`` or chunked encoding.  It
  writes the status line and headers itself so that a fault can cut a response at any byte.
"""

import http
import socket
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# serve_forever's poll interval: how long stop() may wait; small keeps per-test teardown fast.
POLL_INTERVAL = 0.01


class ThreadedServer(ThreadingHTTPServer):
    """A threading HTTP server that can close its open connections on shutdown."""

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address, handler_class):
        self.connections = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, handler_class)

    def process_request(self, request, client_address):
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self):
        """Shut down every open client connection (idle keep-alive ones included)."""
        with self.connections_lock:
            connections = list(self.connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request, client_address):
        # A client hanging up mid-response (or refusing a TLS certificate) is normal in fault tests;
        # only report real bugs.
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError, ssl.SSLError)):
            return
        super().handle_error(request, client_address)


class BaseHandler(BaseHTTPRequestHandler):
    """Request handler base: every method goes to ``dispatch()``."""

    protocol_version = 'HTTP/1.1'
    server_version = 'nginx'
    sys_version = ''
    timeout = 60    # idle keep-alive connections are dropped after this many seconds
    disable_nagle_algorithm = True   # TCP_NODELAY: no 40 ms delayed-ACK stalls between small writes

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        """Stay quiet: tests read the journal, not the access log."""

    def dispatch(self):
        """Handle the current request; subclasses implement it."""
        raise NotImplementedError

    def do_GET(self):  # pylint: disable=invalid-name
        """GET."""
        self.dispatch()

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    def read_body(self):
        """The request body (``Content-Length`` or chunked), read in full to keep the connection usable."""
        if 'chunked' in (self.headers.get('Transfer-Encoding') or '').lower():
            parts = []
            while True:
                size = int(self.rfile.readline().split(b';')[0].strip() or b'0', 16)
                if size == 0:
                    while self.rfile.readline().strip():
                        pass
                    return b''.join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get('Content-Length') or 0)
        return self.rfile.read(length) if length > 0 else b''

    def write_response(self, response, head_only=False, cut=False, cut_at=None):
        """Send a ``request.Response``.

        ``head_only`` sends no body (HEAD).  ``cut`` sends the status line, the headers (announcing
        the full length) and only half of the body - or part of the status line when there is no
        body - and then closes the connection: a broken answer to a request that was applied.
        ``cut_at(length)``, when given, says how many bytes of the whole body to send instead.
        """
        headers = [('Date', self.date_time_string()), ('Server', self.server_version)]
        if response.content_type:
            headers.append(('Content-Type', response.content_type))
        headers += response.headers
        chunked = response.stream is not None and response.length is None
        if chunked:
            headers.append(('Transfer-Encoding', 'chunked'))
        else:
            length = response.length if response.stream is not None else len(response.body)
            headers.append(('Content-Length', str(length)))
        if self.close_connection:
            headers.append(('Connection', 'close'))
        try:
            phrase = http.HTTPStatus(response.status).phrase
        except ValueError:
            phrase = ''
        lines = ['HTTP/1.1 %d %s' % (response.status, phrase)] + ['%s: %s' % item for item in headers]
        head = ('\r\n'.join(lines) + '\r\n\r\n').encode('latin-1')
        if cut and cut_at is not None:
            self._write_cut_at(head, response, cut_at)
            return
        if cut:
            self._write_cut(head, response)
            return
        if head_only or response.stream is None:
            # One write for head and body: fewer packets on keep-alive connections.
            self.wfile.write(head if head_only else head + response.body)
            return
        self.wfile.write(head)
        for chunk in response.stream:
            if not chunk:
                continue
            if chunked:
                self.wfile.write(b'%x\r\n%s\r\n' % (len(chunk), chunk))
            else:
                self.wfile.write(chunk)
        if chunked:
            self.wfile.write(b'0\r\n\r\n')

    def _write_cut(self, head, response):
        body = response.body
        if response.stream is not None:
            body = next((chunk for chunk in response.stream if chunk), b'')
        if body:
            self.wfile.write(head + body[:len(body) // 2])
        else:
            # Nothing to cut in an empty body, and clients take headers ended by EOF as complete:
            # cut the status line itself ("HTTP/1.1 2"), which every client reports as broken.
            self.wfile.write(head[:10])
        self.wfile.flush()
        self.close_connection = True

    def _write_cut_at(self, head, response, cut_at):
        """The head, then the first ``cut_at(length)`` bytes of the body (raw, even when chunked), then close."""
        if response.stream is None:
            chunks, length = [response.body], len(response.body)
        elif response.length is not None:
            chunks, length = response.stream, response.length
        else:
            body = b''.join(response.stream)
            chunks, length = [body], len(body)
        left = cut_at(length)
        self.wfile.write(head)
        for chunk in chunks:
            if left <= 0:
                break
            part = chunk[:left]
            self.wfile.write(part)
            left -= len(part)
        self.wfile.flush()
        self.close_connection = True
