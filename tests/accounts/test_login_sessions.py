"""POST auth/login, auth/refresh-token, auth/logout."""

from __future__ import annotations

import jwt
import pytest
from django.contrib.auth.hashers import MD5PasswordHasher

from accounts.models import RefreshToken, User
from accounts.tokens import access_token_verify, refresh_token_encode
from tests.accounts.helpers import assert_error, data
from tests.factories import DEFAULT_PASSWORD, UserFactory

LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh-token"
LOGOUT = "/api/v1/auth/logout"
PROFILE = "/api/v1/users/profile"


def login(api, user=None, *, password=DEFAULT_PASSWORD, ip="10.0.0.1", **identity):
    if user is not None and not identity:
        identity = {"email": user.email}
    return api.post(LOGIN, {**identity, "password": password}, REMOTE_ADDR=ip)


# --- login ------------------------------------------------------------------------------------
def test_login_returns_a_token_pair_and_the_user(api, user, settings):
    body = data(login(api, user))
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in", "user"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == int(settings.ACCESS_TOKEN_LIFETIME.total_seconds()) == 3600
    assert body["user"]["id"] == str(user.pk)
    assert body["user"]["email"] == user.email
    claims = access_token_verify(body["access_token"])
    assert claims.user_id == user.pk and claims.is_premium is False
    record = RefreshToken.objects.get(user=user)
    assert record.revoked_at is None and record.family_id == claims.session_id
    # The access token works.
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    assert data(api.get(PROFILE))["id"] == str(user.pk)


def test_login_email_is_case_insensitive(api, user):
    assert data(login(api, email=user.email.upper()))


def test_login_by_phone(api):
    user = UserFactory(phone="+14155552671")
    assert data(login(api, phone="+1 415 555 2671"))["user"]["id"] == str(user.pk)


def test_premium_claim(api):
    user = UserFactory(is_premium=True)
    body = data(login(api, user))
    assert access_token_verify(body["access_token"]).is_premium is True
    assert body["user"]["is_premium"] is True


def test_unverified_users_can_log_in(api):
    user = UserFactory(is_verified=False)
    assert data(login(api, user))["user"]["is_verified"] is False


def test_wrong_password_and_unknown_account_look_the_same(api, user):
    wrong = assert_error(
        login(api, user, password="Not-The-Password-1"), 401, "INVALID_CREDENTIALS"
    )
    unknown = assert_error(login(api, email="nobody@example.com"), 401, "INVALID_CREDENTIALS")
    assert wrong == unknown


class CountingHasher(MD5PasswordHasher):
    """A fake hasher that counts how often a password is hashed."""

    algorithm = "counting_md5"
    calls = 0

    def encode(self, password, salt):
        CountingHasher.calls += 1
        return super().encode(password, salt)


def test_unknown_accounts_still_run_the_hasher(api, settings):
    settings.PASSWORD_HASHERS = ["tests.accounts.test_login_sessions.CountingHasher"]
    user = UserFactory()
    CountingHasher.calls = 0
    login(api, user, password="Not-The-Password-1")
    known = CountingHasher.calls
    CountingHasher.calls = 0
    login(api, email="nobody@example.com")
    assert known == CountingHasher.calls == 1


def test_inactive_users_cannot_log_in(api):
    user = UserFactory(is_active=False)
    assert_error(login(api, user), 401, "INVALID_CREDENTIALS")


@pytest.mark.parametrize(
    "body",
    [{"password": "x"}, {"email": "a@example.com"}, {"email": "nope", "password": "x"}, {}],
)
def test_login_validation(api, body):
    assert_error(api.post(LOGIN, body), 400, "VALIDATION_ERROR")


def test_failed_logins_are_limited_per_account(api, user, settings):
    settings.RATES = {**settings.RATES, "login_account": "3/min", "login_ip": "100/min"}
    for i in range(3):
        assert_error(
            login(api, user, password="Wrong-pass-1", ip=f"10.0.1.{i}"), 401, "INVALID_CREDENTIALS"
        )
    # From yet another address, and even with the right password: refused until the window ends.
    response = login(api, user, ip="10.0.2.1")
    assert_error(response, 429, "RATE_LIMITED")
    assert 1 <= int(response["Retry-After"]) <= 60
    # Other accounts are not affected.
    assert data(login(api, UserFactory(), ip="10.0.2.2"))


def test_failed_logins_are_limited_per_ip(api, settings):
    settings.RATES = {**settings.RATES, "login_account": "100/min", "login_ip": "3/min"}
    users = UserFactory.create_batch(4)
    for victim in users[:3]:
        assert_error(login(api, victim, password="Wrong-pass-1"), 401, "INVALID_CREDENTIALS")
    assert_error(login(api, users[3]), 429, "RATE_LIMITED")
    assert data(login(api, users[3], ip="10.9.9.9"))


def test_successful_logins_do_not_count(api, user, settings):
    settings.RATES = {**settings.RATES, "login_account": "2/min"}
    for _ in range(4):
        assert data(login(api, user))


# --- refresh-token ----------------------------------------------------------------------------
def test_refresh_rotates(api, user):
    first = data(login(api, user))
    second = data(api.post(REFRESH, {"refresh_token": first["refresh_token"]}))
    assert set(second) == {"access_token", "refresh_token", "token_type", "expires_in", "user"}
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    old = RefreshToken.objects.get(
        jti=jwt.decode(first["refresh_token"], options={"verify_signature": False})["jti"]
    )
    assert old.revoked_at is not None and old.replaced_by is not None
    third = data(api.post(REFRESH, {"refresh_token": second["refresh_token"]}))
    assert access_token_verify(third["access_token"]).session_id == old.family_id


def test_reusing_a_rotated_refresh_token_revokes_the_family(api, user):
    first = data(login(api, user))
    other_session = data(login(api, user))
    second = data(api.post(REFRESH, {"refresh_token": first["refresh_token"]}))
    # A thief replays the spent token: refused, and the whole login is revoked...
    assert_error(api.post(REFRESH, {"refresh_token": first["refresh_token"]}), 401, "UNAUTHORIZED")
    # ...so the legitimate holder's newer token is refused too.
    assert_error(api.post(REFRESH, {"refresh_token": second["refresh_token"]}), 401, "UNAUTHORIZED")
    # Another login of the same user is not affected.
    assert data(api.post(REFRESH, {"refresh_token": other_session["refresh_token"]}))


def test_expired_refresh_token(api, user):
    from datetime import UTC, datetime, timedelta

    token = refresh_token_encode(user_id=user.pk, now=datetime.now(UTC) - timedelta(days=31))
    assert_error(api.post(REFRESH, {"refresh_token": token.raw}), 401, "TOKEN_EXPIRED")


def test_unrecorded_refresh_token_is_refused(api, user):
    token = refresh_token_encode(user_id=user.pk)  # well signed, never issued
    assert_error(api.post(REFRESH, {"refresh_token": token.raw}), 401, "UNAUTHORIZED")


def test_access_token_is_not_a_refresh_token(api, user):
    body = data(login(api, user))
    assert_error(api.post(REFRESH, {"refresh_token": body["access_token"]}), 401, "UNAUTHORIZED")


def test_forged_refresh_token(api, user):
    body = data(login(api, user))
    claims = jwt.decode(body["refresh_token"], options={"verify_signature": False})
    forged = jwt.encode(claims, "an-attacker-key-0123456789abcdef0123", algorithm="HS256")
    assert_error(api.post(REFRESH, {"refresh_token": forged}), 401, "UNAUTHORIZED")
    none_alg = jwt.encode(claims, None, algorithm="none")
    assert_error(api.post(REFRESH, {"refresh_token": none_alg}), 401, "UNAUTHORIZED")


def test_refresh_with_a_stale_access_token_header_still_works(api, user):
    body = data(login(api, user))
    api.credentials(HTTP_AUTHORIZATION="Bearer expired.or.garbage")
    assert data(api.post(REFRESH, {"refresh_token": body["refresh_token"]}))


def test_refresh_for_a_deleted_or_inactive_user(api, user):
    body = data(login(api, user))
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert_error(api.post(REFRESH, {"refresh_token": body["refresh_token"]}), 401, "UNAUTHORIZED")
    user.delete()
    assert_error(api.post(REFRESH, {"refresh_token": body["refresh_token"]}), 401, "UNAUTHORIZED")


def test_refresh_validation(api):
    assert_error(api.post(REFRESH, {}), 400, "VALIDATION_ERROR", "refresh_token")


# --- logout -----------------------------------------------------------------------------------
def test_logout_revokes_the_refresh_token(api, user):
    body = data(login(api, user))
    assert data(api.post(LOGOUT, {"refresh_token": body["refresh_token"]}))
    assert_error(api.post(REFRESH, {"refresh_token": body["refresh_token"]}), 401, "UNAUTHORIZED")
    # Logging out twice is fine.
    assert data(api.post(LOGOUT, {"refresh_token": body["refresh_token"]}))


def test_logout_revokes_only_that_login(api, user):
    one = data(login(api, user))
    two = data(login(api, user))
    data(api.post(LOGOUT, {"refresh_token": one["refresh_token"]}))
    assert data(api.post(REFRESH, {"refresh_token": two["refresh_token"]}))


def test_logout_with_a_forged_token(api, user):
    body = data(login(api, user))
    claims = jwt.decode(body["refresh_token"], options={"verify_signature": False})
    forged = jwt.encode(claims, "an-attacker-key-0123456789abcdef0123", algorithm="HS256")
    assert_error(api.post(LOGOUT, {"refresh_token": forged}), 401, "UNAUTHORIZED")
    assert data(api.post(REFRESH, {"refresh_token": body["refresh_token"]}))


def test_logout_validation(api):
    assert_error(api.post(LOGOUT, {}), 400, "VALIDATION_ERROR", "refresh_token")
