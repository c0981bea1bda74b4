"""Fault injection for ``/api/v4`` requests, driven by rules posted to ``/-/fake/faults``.

A rule (JSON)::

    {"method": "GET" | "POST" | ... | "*",      # default "*"
     "path": "<regex>",                          # re.search on the raw /api/v4 path (as journaled), default ""
     one effect:
       "status": 429 | 500 | 502 | 503 | 504 | ...   # answer this instead of the real response
           "retry_after": "2" or an HTTP date,        # Retry-After header; a 429 without body or
                                                      # ratelimit_reset defaults to "1" (null = none)
           "ratelimit_reset": <epoch seconds>,        # RateLimit-* headers with this RateLimit-Reset
                                                      # (a 429 without body always has them: now + retry_after)
           "body": {...} | "text",                    # default: GitLab's body for that status; a text
                                                      # body is text/plain unless "content_type" says otherwise
           "apply": true,                             # apply the request first, then answer the fault
                                                      # (only with apply: a 2xx status too, an answer replaced
                                                      # after the write was applied; its default body is empty)
       "delay": 0.2,                                  # sleep, then answer normally
       "drop": "before" | "after",                    # close without answering (request not applied), or
                                                      # apply it and close halfway through the body
           "drop_at": 0.37 | 1234,                    # after only: cut at this fraction of the body (a float
                                                      # in [0, 1]) or after this many body bytes (an int)
       "redirect": true,                              # GET only: 302 to the object-storage stand-in
     selection:
       "count": N                                     # the next N matching requests (default 1), or
       "rate": 0.2, "seed": 42}                       # a seeded random fraction, unlimited

The first rule that matches and selects the request wins.  A 429 without a body is Rack::Attack's
``text/plain`` ``Retry later\\n`` with ``RateLimit-*`` headers (https://docs.gitlab.com/administration/settings/user_and_ip_rate_limits/).
"""

import email.utils
import random
import re
import threading
import time

METHODS = ('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', '*')
EFFECTS = ('status', 'delay', 'drop', 'redirect')

# What a proxy in front of GitLab answers when Puma is down or slow (public/50x.html style pages).
_PROXY_PAGES = {
    502: 'GitLab is not responding (502)',
    503: 'GitLab is not available (503)',
    504: 'GitLab is taking too much time to respond (504)',
}


def _proxy_page(status):
    """A page shaped like GitLab's public/50x.html: about 3 KB, a title, a style block, markup."""
    styles = ''.join('    .rule-%d { margin: %dpx auto; color: #%03x; }\n' % (index, index, 0x456 + index) for index in range(60))
    return ('<!DOCTYPE html>\n<html>\n<head>\n'
            '  <meta content="width=device-width, initial-scale=1, maximum-scale=1" name="viewport">\n'
            '  <title>%s</title>\n  <style>\n%s  </style>\n</head>\n<body>\n'
            '  <h1>%d</h1>\n  <div class="container"><h3>%s</h3><hr><p>Try again in a few minutes.</p></div>\n'
            '</body>\n</html>\n' % (_PROXY_PAGES[status], styles, status, _PROXY_PAGES[status])).encode('utf-8')


class FaultError(ValueError):
    """A fault rule that cannot be used; the message says why."""


class FaultRule:
    """One parsed rule with its remaining count (or random generator) and hit counter."""

    def __init__(self, rule_id, data):
        if not isinstance(data, dict):
            raise FaultError('a fault rule must be a JSON object')
        self.id = rule_id
        self.data = dict(data)
        self.method = str(data.get('method', '*')).upper()
        if self.method not in METHODS:
            raise FaultError('method must be one of %s' % ', '.join(METHODS))
        try:
            self.path = re.compile(str(data.get('path', '')))
        except re.error as exc:
            raise FaultError('path is not a valid regular expression: %s' % exc) from None
        effects = [name for name in EFFECTS if data.get(name) is not None and data.get(name) is not False]
        if len(effects) != 1:
            raise FaultError('a rule needs exactly one effect out of %s' % ', '.join(EFFECTS))
        self.effect = effects[0]
        self._check_effect(data)
        self.apply = bool(data.get('apply'))
        if self.apply and self.effect != 'status':
            raise FaultError('apply only goes with status')
        self.rate = data.get('rate')
        self.hits = 0
        if self.rate is not None:
            if not isinstance(self.rate, (int, float)) or not 0 < self.rate <= 1:
                raise FaultError('rate must be a number in (0, 1]')
            self.remaining = None
            self.random = random.Random(data.get('seed', 0))
        else:
            self.remaining = data.get('count', 1)
            if not isinstance(self.remaining, int) or self.remaining < 1:
                raise FaultError('count must be a positive integer')

    def _check_effect(self, data):
        if self.effect == 'status':
            status = data['status']
            replaced = isinstance(status, int) and 200 <= status <= 299 and bool(data.get('apply'))
            if not isinstance(status, int) or not (400 <= status <= 599 or replaced):
                raise FaultError('status must be an HTTP error status (400-599), or a 2xx with apply: true '
                                 '(the request is applied and its answer replaced)')
        elif self.effect == 'delay':
            if not isinstance(data['delay'], (int, float)) or data['delay'] < 0:
                raise FaultError('delay must be a number of seconds')
        elif self.effect == 'drop':
            if data['drop'] not in ('before', 'after'):
                raise FaultError('drop must be "before" or "after"')
            self._check_drop_at(data)
        elif self.method not in ('GET', '*'):
            raise FaultError('redirect only applies to GET')

    def _check_drop_at(self, data):
        drop_at = data.get('drop_at')
        if drop_at is None:
            return
        if data['drop'] != 'after':
            raise FaultError('drop_at only goes with drop "after"')
        number = isinstance(drop_at, (int, float)) and not isinstance(drop_at, bool)
        if not number or drop_at < 0 or (isinstance(drop_at, float) and drop_at > 1):
            raise FaultError('drop_at must be a fraction of the body (a float in [0, 1]) or a number of bytes (an int >= 0)')

    def cut_at(self, length):
        """Body bytes to send before a ``drop: after`` cut: ``drop_at``, else half of ``length``."""
        drop_at = self.data.get('drop_at')
        if drop_at is None:
            return length // 2
        if isinstance(drop_at, float):
            return int(length * drop_at)
        return min(drop_at, length)

    def matches(self, method, path):
        """Whether the rule's method and path pattern cover this request (without consuming it)."""
        if self.method not in ('*', method):
            return False
        if self.effect == 'redirect' and method != 'GET':
            return False
        return self.path.search(path) is not None

    def select(self):
        """Decide whether this matching request is faulted, consuming the count."""
        if self.rate is not None:
            chosen = self.random.random() < self.rate
        elif self.remaining > 0:
            self.remaining -= 1
            chosen = True
        else:
            chosen = False
        if chosen:
            self.hits += 1
        return chosen

    def to_dict(self):
        """The rule as posted, plus ``id``, ``remaining`` (None for rate rules) and ``hits``."""
        return dict(self.data, id=self.id, remaining=self.remaining, hits=self.hits)

    # -- the faulted answer --------------------------------------------------------------------

    def error_answer(self):
        """``(status, headers, body, content_type)`` for a status fault; body is bytes or JSON data."""
        status = self.data['status']
        headers = []
        # Rack::Attack (a 429 without a custom body) always sends Retry-After; the application
        # limiter's JSON 429 sends none (lib/gitlab/application_rate_limiter.rb), so with a body it comes only on request.
        rack_attack = status == 429 and 'body' not in self.data
        default = '1' if rack_attack and 'ratelimit_reset' not in self.data else None
        retry_after = self.data.get('retry_after', default)
        if retry_after is not None:
            headers.append(('Retry-After', str(retry_after)))
        if rack_attack or 'ratelimit_reset' in self.data:
            headers += self._ratelimit_headers(retry_after)
        if 'body' in self.data:
            body = self.data['body']
            if isinstance(body, (dict, list)):
                return status, headers, body, 'application/json'
            return status, headers, str(body).encode('utf-8'), self.data.get('content_type', 'text/plain')
        if status < 300:
            return status, headers, b'', 'application/json'
        if status == 429:
            return status, headers, b'Retry later\n', 'text/plain'
        if status in _PROXY_PAGES:
            return status, headers, _proxy_page(status), 'text/html; charset=utf-8'
        if status == 500:
            return status, headers, {'message': '500 Internal Server Error'}, 'application/json'
        return status, headers, {'message': '%d Fault Injected' % status}, 'application/json'

    def _ratelimit_headers(self, retry_after):
        reset = self.data.get('ratelimit_reset')
        if reset is None:
            reset = int(time.time()) + _seconds(retry_after)
        return [
            ('RateLimit-Name', 'throttle_authenticated_api'),
            ('RateLimit-Limit', '60'),
            ('RateLimit-Observed', '61'),
            ('RateLimit-Remaining', '0'),
            ('RateLimit-Reset', str(int(reset))),
            ('RateLimit-ResetTime', email.utils.formatdate(int(reset), usegmt=True)),
        ]


def _seconds(retry_after):
    """Seconds until a Retry-After value (delta or HTTP date); 1 when absent or unreadable."""
    if retry_after is None:
        return 1
    text = str(retry_after).strip()
    if text.isdigit():
        return int(text)
    try:
        return max(0, int(email.utils.parsedate_to_datetime(text).timestamp() - time.time()))
    except (TypeError, ValueError):
        return 1


class Faults:
    """The rule list.  Thread-safe on its own lock (faults are picked before the state lock)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._rules = []
        self._next_id = 0

    def add(self, data):
        """Parse and append a rule; raises FaultError."""
        with self._lock:
            self._next_id += 1
            rule = FaultRule(self._next_id, data)
            self._rules.append(rule)
            return rule

    def list(self):
        """Every rule, as dicts."""
        with self._lock:
            return [rule.to_dict() for rule in self._rules]

    def clear(self):
        """Remove every rule."""
        with self._lock:
            self._rules = []

    def pick(self, method, path):
        """The rule that faults this request, or None."""
        with self._lock:
            for rule in self._rules:
                if rule.matches(method, path) and rule.select():
                    return rule
        return None
