"""Socket authentication: one-time tickets (browsers) and access JWTs (native apps).

A ticket lives 30 s in the shared cache (any process accepts it) and works once: only the
caller whose delete succeeds may use it. It carries the expiry of the access token that asked
for it, so the socket expires with that token unless refreshed.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache

from accounts.selectors import user_get_active
from accounts.tokens import TokenError, access_token_verify
from numerai.errors import NotAuthenticated


@dataclass(frozen=True)
class SocketIdentity:
    user: object
    expires_at: datetime


class SocketAuthError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def _ticket_key(ticket: str) -> str:
    return "rt:ticket:" + hashlib.sha256(ticket.encode()).hexdigest()


def ticket_issue(*, user, token_expires_at: datetime) -> str:
    ticket = secrets.token_urlsafe(32)
    cache.set(
        _ticket_key(ticket),
        {"user_id": str(user.pk), "exp": token_expires_at.timestamp()},
        timeout=settings.REALTIME_TICKET_TTL_S,
    )
    return ticket


def _ticket_consume(ticket: str) -> dict | None:
    key = _ticket_key(ticket)
    value = cache.get(key)
    if value is None or not cache.delete(key):
        return None
    return value


def socket_authenticate(*, ticket: str | None = None, token: str | None = None) -> SocketIdentity:
    """The user behind a ticket or an access JWT; SocketAuthError(unauthorized|token_expired)."""
    try:
        if ticket is not None:
            value = _ticket_consume(ticket)
            if value is None:
                raise SocketAuthError("unauthorized", "Invalid, expired or already used ticket.")
            user = user_get_active(user_id=value["user_id"])
            return SocketIdentity(user, datetime.fromtimestamp(value["exp"], tz=UTC))
        claims = access_token_verify(token or "")
        user = user_get_active(user_id=claims.user_id, issued_at=claims.iat)
        return SocketIdentity(user, claims.exp)
    except TokenError as exc:
        raise SocketAuthError(exc.code, exc.message) from exc
    except NotAuthenticated as exc:
        raise SocketAuthError("unauthorized", exc.message) from exc
