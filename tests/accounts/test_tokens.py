"""accounts.tokens: the one access-token verifier and the refresh-token codec."""

from __future__ import annotations

import base64
import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from accounts.tokens import (
    AccessClaims,
    TokenError,
    access_token_encode,
    access_token_verify,
    refresh_token_decode,
    refresh_token_encode,
)

USER_ID = uuid.UUID("6f1f7c3e-1111-4444-8888-123456789abc")


def _b64(obj) -> str:
    raw = json.dumps(obj).encode() if not isinstance(obj, bytes) else obj
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _payload(**overrides) -> dict:
    now = datetime.now(UTC)
    payload = {
        "user_id": str(USER_ID),
        "is_premium": False,
        "token_type": "access",
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(hours=1)).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    payload.update(overrides)
    return payload


def test_access_token_round_trip(settings):
    token = access_token_encode(user_id=USER_ID, is_premium=True, session_id=USER_ID)
    claims = access_token_verify(token.raw)
    assert isinstance(claims, AccessClaims)
    assert claims.user_id == USER_ID
    assert claims.is_premium is True
    assert claims.jti == token.jti
    assert claims.exp.tzinfo is not None
    assert claims.exp == token.expires_at
    assert claims.exp - claims.iat == settings.ACCESS_TOKEN_LIFETIME
    assert claims.session_id == USER_ID
    payload = jwt.decode(token.raw, options={"verify_signature": False})
    assert {"user_id", "is_premium", "exp", "iat", "jti", "token_type"} <= set(payload)
    assert payload["token_type"] == "access"
    assert jwt.get_unverified_header(token.raw)["alg"] == "HS256"


def test_refresh_token_round_trip(settings):
    token = refresh_token_encode(user_id=USER_ID)
    claims = refresh_token_decode(token.raw)
    assert claims.user_id == USER_ID and claims.jti == token.jti
    assert claims.exp - claims.iat == settings.REFRESH_TOKEN_LIFETIME


def test_signed_with_the_jwt_signing_key(settings):
    raw = jwt.encode(_payload(), settings.JWT_SIGNING_KEY, algorithm="HS256")
    assert access_token_verify(raw).user_id == USER_ID


def test_expired_token_is_refused_as_expired():
    past = datetime.now(UTC) - timedelta(hours=2)
    token = access_token_encode(user_id=USER_ID, is_premium=False, now=past)
    with pytest.raises(TokenError) as info:
        access_token_verify(token.raw)
    assert info.value.code == "token_expired"


def test_a_verified_token_is_refused_once_it_expires(settings):
    """A token verified once is remembered, and then only its expiry is checked: it still
    ends on time."""
    expires = int(time.time()) + 2
    raw = jwt.encode(_payload(exp=expires), settings.JWT_SIGNING_KEY, algorithm="HS256")
    assert access_token_verify(raw).user_id == USER_ID
    time.sleep(max(0.0, expires - time.time()) + 0.05)
    with pytest.raises(TokenError) as info:
        access_token_verify(raw)
    assert info.value.code == "token_expired"


def test_a_token_verified_under_one_key_is_refused_under_another(settings):
    raw = jwt.encode(_payload(), settings.JWT_SIGNING_KEY, algorithm="HS256")
    assert access_token_verify(raw).user_id == USER_ID
    settings.JWT_SIGNING_KEY = "a-rotated-key-0123456789abcdef-0123456789"
    with pytest.raises(TokenError) as info:
        access_token_verify(raw)
    assert info.value.code == "unauthorized"


def test_wrong_signature_is_refused():
    raw = jwt.encode(_payload(), "another-key-entirely-0123456789abcdef", algorithm="HS256")
    with pytest.raises(TokenError) as info:
        access_token_verify(raw)
    assert info.value.code == "unauthorized"


def test_tampered_payload_is_refused():
    token = access_token_encode(user_id=USER_ID, is_premium=False)
    header, _, signature = token.raw.split(".")
    forged = f"{header}.{_b64(_payload(is_premium=True))}.{signature}"
    with pytest.raises(TokenError):
        access_token_verify(forged)


@pytest.mark.parametrize("signature", ["", "c2lnbmF0dXJl"])
def test_alg_none_is_refused(signature):
    raw = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_payload())}.{signature}"
    with pytest.raises(TokenError) as info:
        access_token_verify(raw)
    assert info.value.code == "unauthorized"


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_other_algorithms_with_the_right_key_are_refused(settings):
    raw = jwt.encode(_payload(), settings.JWT_SIGNING_KEY, algorithm="HS512")
    with pytest.raises(TokenError):
        access_token_verify(raw)


def test_refresh_token_is_not_an_access_token():
    refresh = refresh_token_encode(user_id=USER_ID)
    with pytest.raises(TokenError):
        access_token_verify(refresh.raw)
    access = access_token_encode(user_id=USER_ID, is_premium=False)
    with pytest.raises(TokenError):
        refresh_token_decode(access.raw)


@pytest.mark.parametrize("missing", ["user_id", "exp", "iat", "jti", "token_type"])
def test_missing_claims_are_refused(settings, missing):
    payload = _payload()
    del payload[missing]
    raw = jwt.encode(payload, settings.JWT_SIGNING_KEY, algorithm="HS256")
    with pytest.raises(TokenError):
        access_token_verify(raw)


@pytest.mark.parametrize("user_id", ["not-a-uuid", 12, None])
def test_malformed_user_id_is_refused(settings, user_id):
    raw = jwt.encode(_payload(user_id=user_id), settings.JWT_SIGNING_KEY, algorithm="HS256")
    with pytest.raises(TokenError):
        access_token_verify(raw)


@pytest.mark.parametrize("raw", ["", "garbage", "a.b.c", "x" * 5000, None, ["a.b.c"], {"a": 1}])
def test_garbage_is_refused(raw):
    with pytest.raises(TokenError):
        access_token_verify(raw)
