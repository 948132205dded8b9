"""POST auth/register, auth/verify-otp, auth/resend-otp."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts import sms
from accounts.models import OneTimeCode, User
from tests.accounts.helpers import assert_error, data, last_email_code, last_sms_code, wrong_code
from tests.factories import UserFactory

REGISTER = "/api/v1/auth/register"
VERIFY = "/api/v1/auth/verify-otp"
RESEND = "/api/v1/auth/resend-otp"
PASSWORD = "Sturdy-Lantern-42"
USER_FIELDS = {
    "id",
    "email",
    "phone",
    "full_name",
    "birth_name",
    "date_of_birth",
    "timezone",
    "is_verified",
    "is_premium",
    "created_at",
}


def register(api, **overrides):
    body = {"email": "Ada@Example.com", "password": PASSWORD, "full_name": "Ada Lovelace"}
    body.update(overrides)
    return api.post(REGISTER, {k: v for k, v in body.items() if v is not ...}, format="json")


# --- register ---------------------------------------------------------------------------------
def test_register_creates_an_unverified_user_and_emails_a_code(api):
    response = register(
        api,
        phone="+14155552671",
        birth_name="Augusta Ada Byron",
        date_of_birth="1990-12-10",
        timezone="Europe/London",
    )
    user = data(response, 201)
    assert set(user) == USER_FIELDS
    assert user["email"] == "ada@example.com"
    assert user["phone"] == "+14155552671"
    assert user["birth_name"] == "Augusta Ada Byron"
    assert user["date_of_birth"] == "1990-12-10"
    assert user["timezone"] == "Europe/London"
    assert user["is_verified"] is False and user["is_premium"] is False
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ada@example.com"]
    code = last_email_code()
    assert len(code) == 6
    otp = OneTimeCode.objects.get(user_id=user["id"])
    assert otp.purpose == "verify" and otp.channel == "email"
    assert code not in otp.code_hash and len(otp.code_hash) == 64
    assert timedelta(minutes=9) < otp.expires_at - otp.sent_at <= timedelta(minutes=10)
    assert sms.outbox == []
    assert "password" not in response.json()["data"]


def test_register_defaults(api):
    user = data(register(api), 201)
    assert user["birth_name"] == "Ada Lovelace"
    assert user["timezone"] == "UTC"
    assert user["phone"] is None and user["date_of_birth"] is None


@pytest.mark.django_db
def test_passwords_are_hashed_with_argon2(api, settings):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    data(register(api), 201)
    user = User.objects.get()
    assert user.password.startswith("argon2")
    assert user.check_password(PASSWORD)


def test_register_with_only_a_phone_sends_an_sms(api):
    user = data(register(api, email=..., phone="+44 20 7946 0958"), 201)
    assert user["email"] is None and user["phone"] == "+442079460958"
    assert mail.outbox == []
    assert sms.outbox[0].to == "+442079460958"
    assert len(last_sms_code()) == 6


def test_register_needs_an_email_or_a_phone(api):
    assert_error(register(api, email=...), 400, "VALIDATION_ERROR", "email")


def test_duplicate_email_in_another_case_is_refused(api):
    UserFactory(email="ada@example.com")
    error = assert_error(register(api, email="ADA@EXAMPLE.COM"), 409, "CONFLICT", "email")
    assert "already exists" in error["message"]
    assert User.objects.count() == 1


def test_duplicate_phone_is_refused(api):
    UserFactory(phone="+14155552671")
    assert_error(register(api, phone="+1 (415) 555-2671"), 409, "CONFLICT", "phone")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "not-an-email"),
        ("phone", "4155552671"),
        ("phone", "+1555"),
        ("phone", "+1 phone"),
        ("timezone", "Mars/Olympus_Mons"),
        ("timezone", "utc+2"),
        ("date_of_birth", "1899-12-31"),
        ("date_of_birth", "not-a-date"),
        ("full_name", "A"),
        ("full_name", "x" * 101),
        ("full_name", "  "),
        ("password", "short1"),
        ("password", "password123"),
        ("password", "12345678901"),
        ("password", "ada@example.com"),
    ],
)
def test_register_validation(api, field, value):
    assert_error(register(api, **{field: value}), 400, "VALIDATION_ERROR", field)
    assert not User.objects.exists()
    assert mail.outbox == []


def test_date_of_birth_in_the_future_is_refused(api):
    future = (timezone.now() + timedelta(days=3)).date().isoformat()
    assert_error(register(api, date_of_birth=future), 400, "VALIDATION_ERROR", "date_of_birth")


def test_date_of_birth_bounds_are_inclusive(api):
    assert data(register(api, date_of_birth="1900-01-01"), 201)["date_of_birth"] == "1900-01-01"
    today = dt.date.today().isoformat()
    assert data(register(api, email="b@example.com", date_of_birth=today), 201)


@pytest.mark.parametrize("missing", ["password", "full_name"])
def test_register_required_fields(api, missing):
    assert_error(register(api, **{missing: ...}), 400, "VALIDATION_ERROR", missing)


def test_register_rejects_a_non_object_body(api):
    response = api.post(REGISTER, "[1, 2]", content_type="application/json")
    assert_error(response, 400, "VALIDATION_ERROR")


# --- verify-otp -------------------------------------------------------------------------------
def test_verify_marks_the_user_verified(api):
    data(register(api), 201)
    user = data(api.post(VERIFY, {"email": "ADA@example.com", "code": last_email_code()}))
    assert user["is_verified"] is True
    assert User.objects.get().is_verified
    assert not OneTimeCode.objects.exists()  # a code works once


def test_a_code_works_once(api):
    data(register(api), 201)
    code = last_email_code()
    data(api.post(VERIFY, {"email": "ada@example.com", "code": code}))
    assert_error(api.post(VERIFY, {"email": "ada@example.com", "code": code}), 400, "OTP_INVALID")


def test_verify_by_phone(api):
    data(register(api, email=..., phone="+14155552671"), 201)
    user = data(api.post(VERIFY, {"phone": "+14155552671", "code": last_sms_code()}))
    assert user["is_verified"] is True


def test_three_wrong_codes_lock_the_code(api):
    data(register(api), 201)
    code = last_email_code()
    body = {"email": "ada@example.com", "code": wrong_code(code)}
    first = assert_error(api.post(VERIFY, body), 400, "OTP_INVALID")
    assert first["details"] == {"attempts_remaining": 2}
    second = assert_error(api.post(VERIFY, body), 400, "OTP_INVALID")
    assert second["details"] == {"attempts_remaining": 1}
    assert_error(api.post(VERIFY, body), 400, "OTP_ATTEMPTS_EXCEEDED")
    # Even the right code no longer works: a new one is needed.
    right = {"email": "ada@example.com", "code": code}
    assert_error(api.post(VERIFY, right), 400, "OTP_ATTEMPTS_EXCEEDED")
    assert User.objects.get().is_verified is False
    # After the cooldown a new code can be requested, and it works.
    OneTimeCode.objects.update(sent_at=timezone.now() - timedelta(seconds=61))
    data(api.post(RESEND, {"email": "ada@example.com"}))
    new_code = last_email_code()
    assert data(api.post(VERIFY, {"email": "ada@example.com", "code": new_code}))["is_verified"]


def test_expired_code_is_refused(api):
    data(register(api), 201)
    code = last_email_code()
    OneTimeCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = api.post(VERIFY, {"email": "ada@example.com", "code": code})
    assert_error(response, 400, "OTP_EXPIRED")
    assert User.objects.get().is_verified is False


def test_verify_for_an_unknown_account_looks_like_a_wrong_code(api):
    response = api.post(VERIFY, {"email": "nobody@example.com", "code": "123456"})
    assert_error(response, 400, "OTP_INVALID")


def test_a_code_is_bound_to_its_user(api):
    data(register(api), 201)
    code = last_email_code()
    data(register(api, email="eve@example.com"), 201)
    response = api.post(VERIFY, {"email": "eve@example.com", "code": code})
    if code != last_email_code("eve@example.com"):
        assert_error(response, 400, "OTP_INVALID")


@pytest.mark.parametrize("code", ["12345", "1234567", "abcdef", "", None])
def test_verify_validates_the_code_shape(api, code):
    assert_error(
        api.post(VERIFY, {"email": "a@example.com", "code": code}, format="json"),
        400,
        "VALIDATION_ERROR",
        "code",
    )


def test_verify_needs_email_or_phone(api):
    assert_error(api.post(VERIFY, {"code": "123456"}), 400, "VALIDATION_ERROR", "email")


# --- resend-otp -------------------------------------------------------------------------------
def test_resend_inside_the_cooldown_is_429_with_retry_after(api):
    data(register(api), 201)
    response = api.post(RESEND, {"email": "ada@example.com"})
    assert_error(response, 429, "RATE_LIMITED")
    assert 1 <= int(response["Retry-After"]) <= 60
    assert len(mail.outbox) == 1


def test_resend_after_the_cooldown_sends_a_new_code_and_spends_the_old(api):
    data(register(api), 201)
    old = last_email_code()
    OneTimeCode.objects.update(sent_at=timezone.now() - timedelta(seconds=61))
    data(api.post(RESEND, {"email": "ada@example.com"}))
    assert len(mail.outbox) == 2
    new = last_email_code()
    if new != old:
        assert_error(
            api.post(VERIFY, {"email": "ada@example.com", "code": old}), 400, "OTP_INVALID"
        )
    assert data(api.post(VERIFY, {"email": "ada@example.com", "code": new}))["is_verified"]


def test_resend_answers_the_same_for_unknown_and_verified_accounts(api):
    UserFactory(email="done@example.com", is_verified=True)
    unknown = data(api.post(RESEND, {"email": "ghost@example.com"}))
    verified = data(api.post(RESEND, {"email": "done@example.com"}))
    assert unknown == verified
    assert mail.outbox == []


def test_resend_by_phone_uses_sms(api):
    data(register(api, phone="+14155552671"), 201)
    OneTimeCode.objects.update(sent_at=timezone.now() - timedelta(seconds=61))
    data(api.post(RESEND, {"phone": "+14155552671"}))
    assert sms.outbox and sms.outbox[-1].to == "+14155552671"
