"""Rate limits kept in the shared cache (Redis when scaled), so they hold across processes.

Each view names a `throttle_scope`; premium users get `<scope>_premium` when that rate exists.
The state of the tightest limit is left on the request for the `X-RateLimit-*` headers.

A limit is a sliding window of request times per user (or address) and scope. DRF reads the
window, then writes it back: two round trips, and requests landing together all read the same
window, so a burst got past the limit. Here the check and the write are one step: a Lua script
on a Redis sorted set when scaled (atomic across processes, one round trip), under a lock in
the embedded single process.

Anonymous callers are counted by client address: `REMOTE_ADDR`, or, behind `NUM_PROXIES`
trusted proxies, the address the outermost of them saw (the right-hand end of
`X-Forwarded-For`). The rest of that header is written by the client and never trusted.
"""

from __future__ import annotations

import functools
import math
import threading
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django_redis.cache import RedisCache
from redis import Redis
from redis.commands.core import Script
from rest_framework.throttling import SimpleRateThrottle

# KEYS[1]: the window; ARGV: the window's seconds, the limit, a member for this request.
# Redis's clock, not each process's, times every window. Returns whether it was let in, how
# many the window now holds, its oldest time and now.
_WINDOW_SCRIPT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - ARGV[1])
local count = redis.call('ZCARD', KEYS[1])
local allowed = 0
if count < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  count = count + 1
  allowed = 1
end
redis.call('EXPIRE', KEYS[1], ARGV[1])
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {allowed, count, oldest[2] or false, string.format('%.6f', now)}
"""
_embedded_lock = threading.Lock()


@dataclass(frozen=True)
class RateLimitState:
    limit: int
    remaining: int
    reset: int  # seconds until the window frees a slot


def client_address(request) -> str | None:
    """The caller's address, never taken from the client-written part of X-Forwarded-For."""
    meta = getattr(request, "META", {})
    remote = meta.get("REMOTE_ADDR") or None
    proxies = getattr(settings, "NUM_PROXIES", 0)
    forwarded = meta.get("HTTP_X_FORWARDED_FOR")
    if proxies <= 0 or not forwarded:
        return remote
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    return hops[-min(proxies, len(hops))] if hops else remote


@functools.lru_cache(maxsize=8)
def _window_script(client: Redis) -> Script:
    return client.register_script(_WINDOW_SCRIPT)


def _redis_window_take(cache: RedisCache, key: str, seconds: int,
                       limit: int) -> tuple[bool, int, float | None, float]:
    """Lets one request into the window `key` if it holds fewer than `limit` in the last
    `seconds`: (let in, requests in the window, the oldest one's time, now)."""
    client = cache.client.get_client(write=True)
    allowed, count, oldest, now = _window_script(client)(
        keys=[cache.make_key(key)], args=[seconds, limit, uuid.uuid4().hex], client=client)
    return bool(allowed), int(count), float(oldest) if oldest else None, float(now)


def _record(request, state: RateLimitState) -> None:
    django_request = getattr(request, "_request", request)
    current = getattr(django_request, "rate_limit", None)
    if current is None or state.remaining <= current.remaining:
        django_request.rate_limit = state


class ScopedRateThrottle(SimpleRateThrottle):
    """Sliding-window limit per user (or per client IP when anonymous) and scope."""

    scope_attr = "throttle_scope"
    # Not DRF's "throttle_...": its keys hold a pickled list, which a sorted set cannot replace
    # in place while they live (deploying over running DRF windows).
    cache_format = "ratewindow_%(scope)s_%(ident)s"

    def __init__(self):
        # The rate depends on the view and the user, so it is resolved in allow_request.
        pass

    def scope_for(self, request, view) -> str | None:
        scope = getattr(view, self.scope_attr, None)
        if scope is None:
            return None
        user = getattr(request, "user", None)
        if getattr(user, "is_premium", False) and f"{scope}_premium" in settings.RATES:
            return f"{scope}_premium"
        return scope

    def get_ident(self, request):
        # DRF's default uses the whole X-Forwarded-For when NUM_PROXIES is unset: a client
        # could name a new "address" per request and escape every per-IP limit.
        return client_address(request) or ""

    def get_cache_key(self, request, view):
        user = getattr(request, "user", None)
        if getattr(user, "is_authenticated", False):
            ident = str(user.pk)
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request, view):
        self.scope = self.scope_for(request, view)
        if self.scope is None:
            return True
        self.rate = settings.RATES[self.scope]
        self.num_requests, self.duration = self.parse_rate(self.rate)
        cache = caches["default"]
        if isinstance(cache, RedisCache):
            allowed, count, self.oldest, self.now = _redis_window_take(
                cache, self.get_cache_key(request, view), self.duration, self.num_requests)
        else:  # DRF's window, read and written back under the one process's lock
            with _embedded_lock:
                allowed = super().allow_request(request, view)
            count, self.oldest = len(self.history), (self.history or [None])[-1]
        reset = math.ceil(self.duration - (self.now - self.oldest)) if self.oldest else 0
        _record(request, RateLimitState(self.num_requests, max(0, self.num_requests - count),
                                        max(0, reset)))
        return allowed

    def wait(self) -> float:
        """Seconds until the oldest request leaves the (full) window; a limit of 0: all of it."""
        if self.oldest is None:
            return float(self.duration)
        return max(0.0, self.duration - (self.now - self.oldest))
