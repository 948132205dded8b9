"""POST auth/password/change, auth/password/reset, auth/password/reset/confirm."""

from __future__ import annotations

from datetime import timedelta

from django.core import mail
from django.utils import timezone

from accounts import services, sms
from accounts.models import OneTimeCode, RefreshToken
from accounts.tokens import access_token_encode
from tests.accounts.helpers import assert_error, data, last_email_code, last_sms_code, wrong_code
from tests.factories import DEFAULT_PASSWORD, UserFactory

CHANGE = "/api/v1/auth/password/change"
RESET = "/api/v1/auth/password/reset"
CONFIRM = "/api/v1/auth/password/reset/confirm"
LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh-token"
PROFILE = "/api/v1/users/profile"
NEW_PASSWORD = "Brand-New-Orbit-77"


# --- change -----------------------------------------------------------------------------------
def test_change_password(auth_api, user, tokens):
    other = services.session_create(user=user)
    body = {"old_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD}
    assert data(auth_api.post(CHANGE, body))
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    # Other logins are revoked; the current one keeps working.
    assert_error(
        auth_api.post(REFRESH, {"refresh_token": other.refresh_token}), 401, "UNAUTHORIZED"
    )
    assert data(auth_api.post(REFRESH, {"refresh_token": tokens.refresh_token}))
    assert data(auth_api.get(PROFILE))
    auth_api.credentials()
    assert data(auth_api.post(LOGIN, {"email": user.email, "password": NEW_PASSWORD}))
    assert_error(
        auth_api.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD}),
        401,
        "INVALID_CREDENTIALS",
    )


def test_change_password_with_the_wrong_old_password(auth_api, user):
    body = {"old_password": "Not-It-At-All-9", "new_password": NEW_PASSWORD}
    assert_error(auth_api.post(CHANGE, body), 400, "VALIDATION_ERROR", "old_password")
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_change_password_validates_the_new_one(auth_api, user):
    for weak in ["short", "password", "1234567890", user.email, DEFAULT_PASSWORD]:
        body = {"old_password": DEFAULT_PASSWORD, "new_password": weak}
        assert_error(auth_api.post(CHANGE, body), 400, "VALIDATION_ERROR", "new_password")


def test_change_password_needs_authentication(api):
    body = {"old_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD}
    assert_error(api.post(CHANGE, body), 401, "NOT_AUTHENTICATED")


# --- reset ------------------------------------------------------------------------------------
def test_reset_answers_the_same_whether_or_not_the_account_exists(api, user):
    known = api.post(RESET, {"email": user.email})
    unknown = api.post(RESET, {"email": "ghost@example.com"})
    assert known.status_code == unknown.status_code == 200
    assert data(known) == data(unknown)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [user.email]
    # Inside the cooldown the answer is still the same (nothing is revealed), no new mail.
    assert data(api.post(RESET, {"email": user.email})) == data(unknown)
    assert len(mail.outbox) == 1


def test_reset_confirm_sets_the_password_and_revokes_every_session(api, user, tokens):
    other = services.session_create(user=user)
    earlier_access = access_token_encode(
        user_id=user.pk, is_premium=False, now=timezone.now() - timedelta(seconds=5)
    )
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {earlier_access.raw}")
    assert data(api.get(PROFILE))
    api.credentials()
    data(api.post(RESET, {"email": user.email.upper()}))
    code = last_email_code(user.email)
    body = {"email": user.email, "code": code, "new_password": NEW_PASSWORD}
    assert data(api.post(CONFIRM, body))
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert not RefreshToken.objects.filter(user=user, revoked_at__isnull=True).exists()
    for pair in (tokens, other):
        assert_error(api.post(REFRESH, {"refresh_token": pair.refresh_token}), 401, "UNAUTHORIZED")
    # Access tokens issued before the reset are refused as well.
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {earlier_access.raw}")
    assert_error(api.get(PROFILE), 401, "UNAUTHORIZED")
    api.credentials()
    # The code works once.
    assert_error(api.post(CONFIRM, body), 400, "OTP_INVALID")
    assert data(api.post(LOGIN, {"email": user.email, "password": NEW_PASSWORD}))


def test_reset_by_phone(api):
    user = UserFactory(phone="+14155552671")
    data(api.post(RESET, {"phone": "+14155552671"}))
    assert mail.outbox == [] and sms.outbox[-1].to == "+14155552671"
    body = {"phone": "+14155552671", "code": last_sms_code(), "new_password": NEW_PASSWORD}
    assert data(api.post(CONFIRM, body))
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_reset_confirm_with_a_wrong_code_three_times(api, user, generous_auth_rate):
    data(api.post(RESET, {"email": user.email}))
    code = last_email_code()
    body = {"email": user.email, "code": wrong_code(code), "new_password": NEW_PASSWORD}
    assert_error(api.post(CONFIRM, body), 400, "OTP_INVALID")
    assert_error(api.post(CONFIRM, body), 400, "OTP_INVALID")
    assert_error(api.post(CONFIRM, body), 400, "OTP_ATTEMPTS_EXCEEDED")
    assert_error(api.post(CONFIRM, {**body, "code": code}), 400, "OTP_ATTEMPTS_EXCEEDED")
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_reset_confirm_with_an_expired_code(api, user):
    data(api.post(RESET, {"email": user.email}))
    OneTimeCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    body = {"email": user.email, "code": last_email_code(), "new_password": NEW_PASSWORD}
    assert_error(api.post(CONFIRM, body), 400, "OTP_EXPIRED")


def test_a_verification_code_is_not_a_reset_code(api):
    api.post(
        "/api/v1/auth/register",
        {"email": "new@example.com", "password": NEW_PASSWORD, "full_name": "New Person"},
    )
    body = {"email": "new@example.com", "code": last_email_code(), "new_password": "Other-Pw-991"}
    assert_error(api.post(CONFIRM, body), 400, "OTP_INVALID")


def test_reset_confirm_validates_the_password_without_spending_the_code(api, user):
    data(api.post(RESET, {"email": user.email}))
    code = last_email_code()
    weak = {"email": user.email, "code": code, "new_password": "12345678"}
    assert_error(api.post(CONFIRM, weak), 400, "VALIDATION_ERROR", "new_password")
    assert data(api.post(CONFIRM, {**weak, "new_password": NEW_PASSWORD}))


def test_reset_confirm_for_an_unknown_account(api):
    body = {"email": "ghost@example.com", "code": "123456", "new_password": NEW_PASSWORD}
    assert_error(api.post(CONFIRM, body), 400, "OTP_INVALID")


def test_reset_validation(api):
    assert_error(api.post(RESET, {}), 400, "VALIDATION_ERROR", "email")
    assert_error(api.post(RESET, {"phone": "12"}), 400, "VALIDATION_ERROR", "phone")
    body = {"email": "a@example.com", "code": "12", "new_password": NEW_PASSWORD}
    assert_error(api.post(CONFIRM, body), 400, "VALIDATION_ERROR", "code")
