"""Bearer authentication (DRF) and the selectors the WebSocket shares with it."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from rest_framework.test import APIRequestFactory

from accounts.authentication import JWTAuthentication
from accounts.selectors import user_get_active, user_require_verified
from accounts.tokens import access_token_encode, access_token_verify, refresh_token_encode
from numerai.context import user_id_var
from numerai.errors import Forbidden, NotAuthenticated
from tests.accounts.helpers import assert_error, data
from tests.factories import UserFactory

PROFILE = "/api/v1/users/profile"


def _b64(obj) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def get_profile(api, token: str, scheme: str = "Bearer"):
    api.credentials(HTTP_AUTHORIZATION=f"{scheme} {token}")
    return api.get(PROFILE)


def test_a_token_gives_its_own_user_only(api):
    alice, bob = UserFactory(), UserFactory()
    alice_token = access_token_encode(user_id=alice.pk, is_premium=False).raw
    bob_token = access_token_encode(user_id=bob.pk, is_premium=False).raw
    assert data(get_profile(api, alice_token))["id"] == str(alice.pk)
    assert data(get_profile(api, bob_token))["id"] == str(bob.pk)
    # Alice's token re-signed to name Bob is a forgery.
    claims = jwt.decode(alice_token, options={"verify_signature": False})
    claims["user_id"] = str(bob.pk)
    forged = jwt.encode(claims, "not-the-server-key-0123456789abcdef", algorithm="HS256")
    assert_error(get_profile(api, forged), 401, "UNAUTHORIZED")
    # Tampering with the payload of a real token breaks the signature.
    header, _, signature = alice_token.split(".")
    assert_error(get_profile(api, f"{header}.{_b64(claims)}.{signature}"), 401, "UNAUTHORIZED")


def test_alg_none_is_refused(api, user):
    now = datetime.now(UTC)
    claims = {
        "user_id": str(user.pk),
        "is_premium": True,
        "token_type": "access",
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(hours=1)).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    token = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    response = get_profile(api, token)
    assert_error(response, 401, "UNAUTHORIZED")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_expired_token(api, user):
    token = access_token_encode(
        user_id=user.pk, is_premium=False, now=datetime.now(UTC) - timedelta(hours=1, seconds=1)
    )
    assert_error(get_profile(api, token.raw), 401, "TOKEN_EXPIRED")


def test_refresh_token_as_bearer_is_refused(api, user):
    assert_error(get_profile(api, refresh_token_encode(user_id=user.pk).raw), 401, "UNAUTHORIZED")


def test_deleted_users_token_is_refused(api, user):
    token = access_token_encode(user_id=user.pk, is_premium=False).raw
    user.delete()
    assert_error(get_profile(api, token), 401, "UNAUTHORIZED")


def test_inactive_users_token_is_refused(api):
    user = UserFactory(is_active=False)
    assert_error(
        get_profile(api, access_token_encode(user_id=user.pk, is_premium=False).raw),
        401,
        "UNAUTHORIZED",
    )


@pytest.mark.parametrize(
    "header", ["Bearer", "Bearer a b", "Bearer garbage", "Bearer \u00e9t\u00e9", "Bearer a.b.c"]
)
def test_malformed_headers(api, header):
    api.credentials(HTTP_AUTHORIZATION=header)
    assert_error(api.get(PROFILE), 401, "UNAUTHORIZED")


def test_other_schemes_are_not_ours(api, user):
    token = access_token_encode(user_id=user.pk, is_premium=False).raw
    assert_error(get_profile(api, token, scheme="Token"), 401, "NOT_AUTHENTICATED")


def test_authentication_sets_the_log_context(user):
    token = access_token_encode(user_id=user.pk, is_premium=True).raw
    request = APIRequestFactory().get(PROFILE, HTTP_AUTHORIZATION=f"Bearer {token}")
    reset = user_id_var.set(None)
    try:
        authenticated, claims = JWTAuthentication().authenticate(request)
        assert authenticated == user
        assert claims.is_premium is True
        assert user_id_var.get() == str(user.pk)
    finally:
        user_id_var.reset(reset)


# --- the selectors the socket uses ------------------------------------------------------------
def test_user_get_active(user):
    claims = access_token_verify(access_token_encode(user_id=user.pk, is_premium=False).raw)
    assert user_get_active(user_id=claims.user_id) == user
    assert user_get_active(user_id=str(user.pk), issued_at=claims.iat) == user


@pytest.mark.parametrize("user_id", [uuid.uuid4(), "not-a-uuid", None])
def test_user_get_active_refuses_unknown_ids(db, user_id):
    with pytest.raises(NotAuthenticated):
        user_get_active(user_id=user_id)


def test_user_get_active_refuses_tokens_issued_before_a_revocation(user):
    now = datetime.now(UTC)
    user.tokens_valid_after = now
    user.save()
    with pytest.raises(NotAuthenticated):
        user_get_active(user_id=user.pk, issued_at=now - timedelta(seconds=2))
    assert user_get_active(user_id=user.pk, issued_at=now + timedelta(seconds=1)) == user


def test_user_require_verified(db):
    user_require_verified(UserFactory(is_verified=True))
    with pytest.raises(Forbidden) as info:
        user_require_verified(UserFactory(is_verified=False))
    assert info.value.code == "EMAIL_NOT_VERIFIED" and info.value.status == 403
