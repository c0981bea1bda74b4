"""Object-storage stand-in: where GitLab's 302 downloads point (lib/api/helpers.rb ``present_carrierwave_file!``).

A second small HTTP server on another loopback address (127.0.0.2), so a client that follows a
redirect crosses hosts exactly as with S3.  Like a pre-signed S3 URL it:

* refuses (403, S3-style XML) any request that carries ``PRIVATE-TOKEN``, ``JOB-TOKEN`` or
  ``Authorization`` - GitLab credentials must never reach it;
* checks the ``X-Amz-Signature`` query parameter and the expiry;
* records every request as ``{method, path, auth_headers}`` (header *names* only).

Blobs are bytes, or a ``produce`` callable returning an iterator of byte chunks plus a ``size``, so
large artifacts can be generated while streaming without being held in memory.
"""

import hashlib
import hmac
import secrets
import threading
import time
from urllib.parse import parse_qs, urlsplit

from .request import Response
from .transport import POLL_INTERVAL, BaseHandler, ThreadedServer

CREDENTIAL_HEADERS = ('PRIVATE-TOKEN', 'JOB-TOKEN', 'Authorization')
STORAGE_HOST = '127.0.0.2'


def _xml_error(status, code, text):
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code><Message>%s</Message>'
            '<RequestId>%s</RequestId></Error>\n' % (code, text, secrets.token_hex(8).upper()))
    return Response(status, body.encode('utf-8'), content_type='application/xml')


class Blob:
    """A stored object: ``body`` bytes, or ``produce()`` -> iterator of chunks with ``size`` bytes."""

    def __init__(self, body=None, produce=None, size=None, content_type='application/octet-stream', headers=None, expires_at=None):
        if (body is None) == (produce is None):
            raise ValueError('a blob needs either body or produce')
        if produce is not None and size is None:
            raise ValueError('a produced blob needs its size')
        self.body = body
        self.produce = produce
        self.size = len(body) if body is not None else size
        self.content_type = content_type
        self.headers = list(headers or [])
        self.expires_at = expires_at

    def response(self):
        """The 200 answer; a produced blob is streamed with a known Content-Length."""
        headers = [('ETag', '"%s"' % hashlib.md5(str(id(self)).encode(), usedforsecurity=False).hexdigest())] + self.headers
        if self.body is not None:
            return Response(200, self.body, headers, content_type=self.content_type)
        return Response(200, headers=headers, content_type=self.content_type, stream=self.produce(), length=self.size)


class ObjectStorage:
    """The stand-in server and its blob registry.  ``put()`` returns a pre-signed URL."""

    def __init__(self, host=STORAGE_HOST, port=0):
        self.host = host
        self.port = port
        self.url = None
        self._secret = secrets.token_bytes(16)
        self._blobs = {}
        self._journal = []
        self._lock = threading.Lock()
        self._server = None
        self._thread = None

    def start(self):
        """Listen (falling back to 127.0.0.1 where 127.0.0.2 is not routable) and serve in a thread."""
        handler = type('StorageHandler', (_StorageHandler,), {'storage': self})
        try:
            self._server = ThreadedServer((self.host, self.port), handler)
        except OSError:
            self._server = ThreadedServer(('127.0.0.1', self.port), handler)
        host, port = self._server.server_address[:2]
        self.url = 'http://%s:%d' % (host, port)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(POLL_INTERVAL,), name='fake-object-storage', daemon=True)
        self._thread.start()

    def stop(self):
        """Stop serving and close every connection."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()
        self._thread.join(5)
        self._server = None

    def _signature(self, blob_id, expires_at):
        return hmac.new(self._secret, ('%s:%d' % (blob_id, expires_at)).encode(), hashlib.sha256).hexdigest()

    def put(self, body=None, produce=None, size=None, content_type='application/octet-stream', headers=None, expires_in=300):
        """Store a blob and return its pre-signed URL (valid ``expires_in`` seconds)."""
        expires_at = int(time.time()) + expires_in
        blob = Blob(body, produce, size, content_type, headers, expires_at)
        blob_id = secrets.token_hex(16)
        with self._lock:
            self._blobs[blob_id] = blob
        query = 'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=fake%%2Fs3%%2Faws4_request&X-Amz-Expires=%d&X-Amz-Date=%s' \
                '&X-Amz-SignedHeaders=host&X-Amz-Signature=%s' % (
                    expires_in, time.strftime('%Y%m%dT%H%M%SZ', time.gmtime(expires_at - expires_in)), self._signature(blob_id, expires_at))
        return '%s/bucket/%s?%s' % (self.url, blob_id, query)

    @property
    def journal(self):
        """Every request received: ``{method, path, auth_headers}``."""
        with self._lock:
            return [dict(entry) for entry in self._journal]

    def clear_journal(self):
        """Forget the recorded requests."""
        with self._lock:
            self._journal = []

    def clear(self):
        """Forget blobs and journal (on reset)."""
        with self._lock:
            self._blobs = {}
            self._journal = []

    def answer(self, method, target, headers):
        """Record the request and decide the response (the handler only does I/O)."""
        parts = urlsplit(target)
        present = [name for name in CREDENTIAL_HEADERS if headers.get(name) is not None]
        with self._lock:
            self._journal.append({'method': method, 'path': parts.path, 'auth_headers': present})
            blob = self._blobs.get(parts.path[len('/bucket/'):]) if parts.path.startswith('/bucket/') else None
        if present:
            return _xml_error(403, 'AccessDenied', 'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, '
                                                   'Signature query string parameter or the Authorization header should be specified')
        if method not in ('GET', 'HEAD'):
            return _xml_error(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.')
        if blob is None:
            return _xml_error(404, 'NoSuchKey', 'The specified key does not exist.')
        signature = parse_qs(parts.query).get('X-Amz-Signature', [''])[0]
        if not hmac.compare_digest(signature, self._signature(parts.path[len('/bucket/'):], blob.expires_at)):
            return _xml_error(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.')
        if time.time() > blob.expires_at:
            return _xml_error(403, 'AccessDenied', 'Request has expired')
        return blob.response()


class _StorageHandler(BaseHandler):
    """Serves blobs of ``self.storage``."""

    storage = None
    server_version = 'AmazonS3'

    def dispatch(self):
        self.read_body()
        response = self.storage.answer(self.command, self.path, self.headers)
        self.write_response(response, head_only=self.command == 'HEAD')
