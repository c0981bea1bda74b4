# -*- coding: utf-8 -*-
# Copyright: cicd.gitlab contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""RateBudget: one rate-limit budget shared by every thread that sends through one GitLabClient.

GitLab throttles per user in fixed windows (https://docs.gitlab.com/administration/settings/user_and_ip_rate_limits/,
lib/gitlab/rack_attack.rb) and says where it stands in ``RateLimit-Remaining`` and ``RateLimit-Reset``
(epoch seconds); a throttled request gets 429 with ``Retry-After``. GitLab.com may leave the headers out.

* ``acquire()`` before each request: waits while a pause is on, while the window's remaining requests are
  used up (counted down locally, so that requests in flight are counted too) until ``RateLimit-Reset``, and,
  with ``max_requests_per_minute``, until the request's slot (evenly spaced, ``60 / limit`` s apart).
* ``observe(headers)`` after each answer: takes GitLab's ``RateLimit-Remaining`` / ``RateLimit-Reset``.
* ``pause(seconds)`` on a 429: every worker waits that long (the longest pause asked wins).

Thread-safe: one lock guards the counters; waiting happens outside it. No HTTP in here.
Private to the collection: the API of this file may change without notice.
"""

from __future__ import annotations

import threading
import time

# Seconds added to a wait for the window to reset, so that the first request lands in the new window
# despite clock skew between the controller and GitLab.
RESET_MARGIN = 0.05
# How often a worker looks again when the window is used up and its reset is not known yet.
POLL = 0.05


def _number(value):
    try:
        return float(str(value).strip())
    except (TypeError, ValueError):
        return None


class RateBudget:
    """A shared request budget: pauses, GitLab's remaining requests, an optional requests-per-minute cap."""

    def __init__(self, max_requests_per_minute=None, sleep=time.sleep, monotonic=time.monotonic, clock=time.time):
        self._lock = threading.Lock()
        self._sleep = sleep
        self._monotonic = monotonic
        self._clock = clock
        self.max_requests_per_minute = max_requests_per_minute or None
        self._interval = 60.0 / max_requests_per_minute if max_requests_per_minute else 0.0
        self._next_slot = None
        self._resume_at = None
        self._remaining = None
        self._reset_at = None      # monotonic time of GitLab's RateLimit-Reset
        self._reset_epoch = None
        self._limit = None         # GitLab's RateLimit-Limit, the size of a new window
        self.requests = 0
        self.pauses = 0
        self.waited = 0.0

    def _delay(self, now):
        """``(seconds, reserved)``: how long the next request must wait; ``reserved`` False means "look again
        after that wait" (the window is used up and GitLab has not said yet when the next one starts). Lock held."""
        ready = now
        if self._resume_at is not None:
            if self._resume_at > now:
                return self._resume_at - now, False
            self._resume_at = None
        if self._remaining is not None:
            if self._remaining <= 0:
                if self._reset_at is None:
                    return POLL, False   # an answer of the new window will tell its reset
                if self._reset_at + RESET_MARGIN > now:
                    return self._reset_at + RESET_MARGIN - now, False
                # A new window: as many requests as GitLab's RateLimit-Limit (the next answer corrects it).
                self._remaining = self._limit
                self._reset_at = None
            if self._remaining is not None:
                self._remaining -= 1
        if self._interval:
            slot = ready if self._next_slot is None else max(ready, self._next_slot)
            self._next_slot = slot + self._interval
            ready = slot
        return max(0.0, ready - now), True

    def acquire(self, deadline_left=None):
        """Wait for this request's turn; return the seconds waited.

        With ``deadline_left`` (seconds) a wait that would reach it is not started: returns None instead,
        and the caller fails with its deadline error.
        """
        waited = 0.0
        while True:
            with self._lock:
                delay, reserved = self._delay(self._monotonic())
                if reserved:
                    self.requests += 1
            if delay > 0:
                if deadline_left is not None and waited + delay >= deadline_left:
                    return None
                self._sleep(delay)
                waited += delay
            if reserved:
                break
        if waited:
            with self._lock:
                self.waited += waited
        return waited

    def observe(self, headers):
        """Take ``RateLimit-Remaining`` and ``RateLimit-Reset`` from an answer's headers (any mapping; absent = ignored)."""
        remaining = _number(headers.get('RateLimit-Remaining'))
        reset = _number(headers.get('RateLimit-Reset'))
        limit = _number(headers.get('RateLimit-Limit'))
        if remaining is None or reset is None:
            return
        remaining = int(remaining)
        with self._lock:
            if limit is not None and limit > 0:
                self._limit = int(limit)
            if self._reset_epoch is None or reset > self._reset_epoch:
                # A new window. Our own count since it started (from RateLimit-Limit) is the better one
                # when lower: requests in flight are in it, not yet in GitLab's.
                self._reset_epoch = reset
                self._remaining = remaining if self._remaining is None else min(self._remaining, remaining)
            elif reset == self._reset_epoch:
                self._remaining = remaining if self._remaining is None else min(self._remaining, remaining)
            else:
                return   # an answer from an older window, overtaken
            self._reset_at = self._monotonic() + max(0.0, reset - self._clock())

    def pause(self, seconds):
        """GitLab answered 429: every worker waits ``seconds`` (at least 1 s when GitLab did not say)."""
        seconds = 1.0 if seconds is None else max(0.0, float(seconds))
        with self._lock:
            until = self._monotonic() + seconds
            if self._resume_at is None or until > self._resume_at:
                self._resume_at = until
            self._remaining = self._reset_at = self._reset_epoch = None
            self.pauses += 1

    def stats(self):
        """``{requests, pauses, waited}``: what the budget saw (for results and benchmarks)."""
        with self._lock:
            return {'requests': self.requests, 'pauses': self.pauses, 'waited': round(self.waited, 3)}
