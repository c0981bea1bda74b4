"""Rate limiting as GitLab's Rack::Attack throttles apply it (lib/gitlab/rack_attack.rb,
https://docs.gitlab.com/administration/settings/user_and_ip_rate_limits/).

* A fixed window of ``period`` seconds aligned on the epoch (Rack::Attack's cache key is
  ``epoch_time / period``), ``limit`` requests per user per window (per IP for anonymous calls:
  ``throttle_authenticated_api`` and ``throttle_unauthenticated_api``).
* Once exceeded: ``429`` with the body ``Retry later`` (text/plain, GitLab's default
  ``rate_limiting_response_text``) and the headers ``Retry-After`` (seconds to the end of the window),
  ``RateLimit-Name``, ``RateLimit-Limit``, ``RateLimit-Observed``, ``RateLimit-Remaining``,
  ``RateLimit-Reset`` (epoch seconds) and ``RateLimit-ResetTime`` (HTTP date)
  (lib/gitlab/rack_attack.rb ``throttled_response_headers``).
* Answers below the limit carry the same ``RateLimit-*`` headers (what GitLab.com's load balancer
  sends and newer GitLab sends for throttled paths); ``headers=False`` leaves them out of every
  answer, 429 included except ``Retry-After`` -- GitLab.com sometimes omits them
  (gitlab-org/gitlab#365728), and ``retry_after=False`` drops that one too.

Configured with the seed key ``rate_limit: {limit, period, headers, retry_after}`` or
``fake.rate_limits.configure(...)``; ``limit`` 0 or absent = unlimited. Counting holds its own
lock, so it is exact under concurrent requests. The throttled request never reaches a route.
"""

import email.utils
import math
import threading
import time

from .request import Response

THROTTLE_NAME = 'throttle_authenticated_api'


class RateLimits:
    """Per-user counters of the current window; ``check`` before routing, ``decorate`` after."""

    def __init__(self, clock=time.time):
        self._lock = threading.Lock()
        self._clock = clock
        self._config = None
        self._counts = {}
        self.throttled = 0

    def configure(self, limit=0, period=60, headers=True, retry_after=True):
        """Set (or with ``limit=0`` remove) the limit; counters start again."""
        with self._lock:
            self._config = dict(limit=int(limit or 0), period=max(1, int(period or 60)), headers=bool(headers),
                                retry_after=bool(retry_after)) if limit else None
            self._counts = {}
            self.throttled = 0

    def reset(self):
        """Forget the counters (the configuration stays)."""
        with self._lock:
            self._counts = {}
            self.throttled = 0

    def config_from_seed(self, extra):
        """Apply the seed's ``rate_limit`` block, if any (called when the fake starts or is reset)."""
        data = (extra or {}).get('rate_limit')
        if isinstance(data, dict):
            self.configure(**{k: data[k] for k in ('limit', 'period', 'headers', 'retry_after') if k in data})
        else:
            self.configure(0)

    def check(self, key):
        """Count one request of ``key`` (a user or an IP); return ``(response_or_None, headers)``.

        The response is the 429 to send instead of routing; ``headers`` go on any other answer.
        """
        with self._lock:
            config = self._config
            if config is None:
                return None, []
            now = self._clock()
            window = int(now // config['period'])
            reset = (window + 1) * config['period']
            counted_window, count = self._counts.get(key, (window, 0))
            if counted_window != window:
                count = 0
            count += 1
            self._counts[key] = (window, count)
            limit = config['limit']
            headers = []
            if config['headers']:
                headers = [
                    ('RateLimit-Name', THROTTLE_NAME),
                    ('RateLimit-Limit', str(limit)),
                    ('RateLimit-Observed', str(count)),
                    ('RateLimit-Remaining', str(max(0, limit - count))),
                    ('RateLimit-Reset', str(reset)),
                    ('RateLimit-ResetTime', email.utils.formatdate(reset, usegmt=True)),
                ]
            if count <= limit:
                return None, headers
            self.throttled += 1
            extra = list(headers)
            if config['retry_after']:
                extra.insert(0, ('Retry-After', str(max(1, int(math.ceil(reset - now))))))
            return Response.text(429, 'Retry later\n', extra), []


def caller_key(request, state):
    """Who a request counts for: the token's user (``user:<name>``), else the token, else anonymous."""
    token = request.header('PRIVATE-TOKEN') or request.header('JOB-TOKEN')
    authorization = request.header('Authorization') or ''
    if not token and authorization.lower().startswith('bearer '):
        token = authorization[7:].strip()
    if not token:
        return 'anonymous'
    known = state.tokens.get(token)
    user = getattr(known, 'user', None)
    return 'user:%s' % user.username if user is not None else 'token:%s' % token
