"""Rate limits kept in the shared cache (Redis when scaled), so they hold across processes.

Each view names a `throttle_scope`; premium users get `<scope>_premium` when that rate exists.
The state of the tightest limit is left on the request for the `X-RateLimit-*` headers.

Anonymous callers are counted by client address: `REMOTE_ADDR`, or, behind `NUM_PROXIES`
trusted proxies, the address the outermost of them saw (the right-hand end of
`X-Forwarded-For`). The rest of that header is written by the client and never trusted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


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


def _record(request, state: RateLimitState) -> None:
    django_request = getattr(request, "_request", request)
    current = getattr(django_request, "rate_limit", None)
    if current is None or state.remaining <= current.remaining:
        django_request.rate_limit = state


class ScopedRateThrottle(SimpleRateThrottle):
    """Sliding-window limit per user (or per client IP when anonymous) and scope."""

    scope_attr = "throttle_scope"

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
        allowed = super().allow_request(request, view)
        remaining = max(0, self.num_requests - len(self.history))
        reset = math.ceil(self.duration - (self.now - self.history[-1])) if self.history else 0
        _record(request, RateLimitState(self.num_requests, remaining, max(0, reset)))
        return allowed
