"""JWT access and refresh tokens (HS256, PyJWT).

`access_token_verify` is the ONE function that verifies access tokens, for DRF
(`accounts.authentication.JWTAuthentication`) and the WebSocket alike. It checks the token only;
callers then load the user with `accounts.selectors.user_get_active`, which refuses deleted and
inactive users and tokens issued before the user's sessions were revoked.

Refresh tokens are JWTs too, but they are only honoured while their `RefreshToken` record (looked
up by `jti`) is live: rotation, reuse detection and revocation live in `accounts.services`.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

import jwt
from django.conf import settings

ALGORITHM = "HS256"
ACCESS = "access"
REFRESH = "refresh"
_REQUIRED_CLAIMS = ["user_id", "exp", "iat", "jti", "token_type"]


class TokenError(Exception):
    """A token that must be refused. `code` is "unauthorized" or "token_expired"."""

    def __init__(self, message: str = "Invalid token.", *, code: str = "unauthorized"):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    is_premium: bool
    exp: datetime  # aware, UTC
    jti: str
    iat: datetime | None = None  # aware, UTC
    session_id: uuid.UUID | None = None  # the login (refresh-token family) it came from


@dataclass(frozen=True)
class RefreshClaims:
    user_id: uuid.UUID
    exp: datetime
    jti: str
    iat: datetime


@dataclass(frozen=True)
class EncodedToken:
    raw: str
    jti: str
    issued_at: datetime
    expires_at: datetime


def _signing_key() -> str:
    return settings.JWT_SIGNING_KEY


def _timestamp(value: datetime) -> int:
    return int(value.timestamp())


def _from_timestamp(value) -> datetime:
    return datetime.fromtimestamp(int(value), tz=UTC)


def _encode(*, claims: dict, token_type: str, now: datetime, lifetime) -> EncodedToken:
    # Whole seconds, so the stored expiry matches the `exp` claim exactly.
    issued_at = now.replace(microsecond=0)
    expires_at = issued_at + lifetime
    jti = uuid.uuid4().hex
    payload = {
        **claims,
        "token_type": token_type,
        "iat": _timestamp(issued_at),
        "exp": _timestamp(expires_at),
        "jti": jti,
    }
    raw = jwt.encode(payload, _signing_key(), algorithm=ALGORITHM)
    return EncodedToken(raw=raw, jti=jti, issued_at=issued_at, expires_at=expires_at)


def access_token_encode(
    *, user_id, is_premium: bool, session_id=None, now: datetime | None = None
) -> EncodedToken:
    claims = {"user_id": str(user_id), "is_premium": bool(is_premium)}
    if session_id is not None:
        claims["sid"] = str(session_id)
    return _encode(
        claims=claims,
        token_type=ACCESS,
        now=now or datetime.now(UTC),
        lifetime=settings.ACCESS_TOKEN_LIFETIME,
    )


def refresh_token_encode(*, user_id, now: datetime | None = None) -> EncodedToken:
    return _encode(
        claims={"user_id": str(user_id)},
        token_type=REFRESH,
        now=now or datetime.now(UTC),
        lifetime=settings.REFRESH_TOKEN_LIFETIME,
    )


def _decode(raw: str, *, token_type: str, key: str | None = None) -> dict:
    if not isinstance(raw, str) or not raw or len(raw) > 4096:
        raise TokenError("Invalid token.")
    try:
        # The algorithm list is pinned: `alg: none` and any other algorithm are refused.
        payload = jwt.decode(
            raw,
            key or _signing_key(),
            algorithms=[ALGORITHM],
            options={"require": _REQUIRED_CLAIMS},
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenError("Token has expired.", code="token_expired") from exc
    except jwt.PyJWTError as exc:
        raise TokenError("Invalid token.") from exc
    if payload.get("token_type") != token_type:
        raise TokenError("Wrong token type.")
    if not isinstance(payload.get("jti"), str):
        raise TokenError("Invalid token.")
    try:
        payload["user_id"] = uuid.UUID(str(payload["user_id"]))
    except (TypeError, ValueError) as exc:
        raise TokenError("Invalid token.") from exc
    return payload


def access_token_verify(raw: str) -> AccessClaims:
    """Verify an access token's signature, algorithm, expiry and type; raise `TokenError`.

    A client sends the same token with every request until it expires, so a verified one is
    remembered (per signing key) and then only its expiry is checked again: the signature
    check and decoding were about a tenth of a profile request's CPU (docs/performance.md,
    fix 33). Refused tokens are never remembered.
    """
    if not isinstance(raw, str):
        raise TokenError("Invalid token.")
    claims = _access_token_verified(raw, _signing_key())
    if claims.exp.timestamp() <= time.time():
        raise TokenError("Token has expired.", code="token_expired")
    return claims


@lru_cache(maxsize=4096)
def _access_token_verified(raw: str, key: str) -> AccessClaims:
    payload = _decode(raw, token_type=ACCESS, key=key)
    try:
        session_id = uuid.UUID(payload["sid"]) if payload.get("sid") else None
    except (TypeError, ValueError, AttributeError) as exc:
        raise TokenError("Invalid token.") from exc
    return AccessClaims(
        user_id=payload["user_id"],
        is_premium=bool(payload.get("is_premium", False)),
        exp=_from_timestamp(payload["exp"]),
        jti=payload["jti"],
        iat=_from_timestamp(payload["iat"]),
        session_id=session_id,
    )


def refresh_token_decode(raw: str) -> RefreshClaims:
    """Verify a refresh token's signature, expiry and type (its record is checked by services)."""
    payload = _decode(raw, token_type=REFRESH)
    return RefreshClaims(
        user_id=payload["user_id"],
        exp=_from_timestamp(payload["exp"]),
        jti=payload["jti"],
        iat=_from_timestamp(payload["iat"]),
    )
