"""GET/PUT/PATCH users/profile and DELETE users/me."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts import services
from accounts.models import OneTimeCode, RefreshToken, User
from accounts.signals import user_birth_data_changed
from tests.accounts.helpers import assert_error, data, last_email_code
from tests.factories import DEFAULT_PASSWORD, UserFactory

PROFILE = "/api/v1/users/profile"
ME = "/api/v1/users/me"
VERIFY = "/api/v1/auth/verify-otp"
LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh-token"


@pytest.fixture
def birth_changes():
    received = []

    def receiver(sender, user, **kwargs):
        received.append((sender, user.pk, user.numerology_name, user.date_of_birth))

    user_birth_data_changed.connect(receiver, weak=False)
    yield received
    user_birth_data_changed.disconnect(receiver)


def test_get_profile(auth_api, user):
    body = data(auth_api.get(PROFILE))
    assert body == {
        "id": str(user.pk),
        "email": user.email,
        "phone": None,
        "full_name": user.full_name,
        "birth_name": "",
        "date_of_birth": "1990-05-17",
        "timezone": "UTC",
        "is_verified": True,
        "is_premium": False,
        "created_at": body["created_at"],
    }


def test_profile_needs_a_token(api):
    response = api.get(PROFILE)
    assert_error(response, 401, "NOT_AUTHENTICATED")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_patch_profile(auth_api, user, birth_changes):
    body = data(
        auth_api.patch(
            PROFILE,
            {
                "full_name": "  Grace Hopper ",
                "timezone": "America/New_York",
                "phone": "+1 415 555 2671",
            },
        )
    )
    assert body["full_name"] == "Grace Hopper"
    assert body["timezone"] == "America/New_York"
    assert body["phone"] == "+14155552671"
    assert body["is_verified"] is True  # no email change
    user.refresh_from_db()
    assert user.full_name == "Grace Hopper" and user.phone == "+14155552671"
    assert birth_changes == []


def test_put_requires_full_name(auth_api):
    assert_error(
        auth_api.put(PROFILE, {"timezone": "Asia/Tokyo"}), 400, "VALIDATION_ERROR", "full_name"
    )
    body = data(auth_api.put(PROFILE, {"full_name": "Grace Hopper", "timezone": "Asia/Tokyo"}))
    assert body["timezone"] == "Asia/Tokyo" and body["full_name"] == "Grace Hopper"


def test_birth_data_change_fires_the_recompute_hook_after_commit(auth_api, user, birth_changes):
    data(auth_api.patch(PROFILE, {"birth_name": "Grace Brewster Murray"}))
    assert birth_changes == [(User, user.pk, "Grace Brewster Murray", user.date_of_birth)]
    data(auth_api.patch(PROFILE, {"date_of_birth": "1906-12-09"}))
    assert len(birth_changes) == 2 and str(birth_changes[1][3]) == "1906-12-09"
    # No change, no signal.
    data(auth_api.patch(PROFILE, {"date_of_birth": "1906-12-09"}))
    assert len(birth_changes) == 2


def test_a_failing_receiver_does_not_break_the_update(auth_api, user):
    def broken(sender, user, **kwargs):
        raise RuntimeError("boom")

    user_birth_data_changed.connect(broken, weak=False)
    try:
        assert data(auth_api.patch(PROFILE, {"birth_name": "Someone Else"}))
    finally:
        user_birth_data_changed.disconnect(broken)
    user.refresh_from_db()
    assert user.birth_name == "Someone Else"


def test_blank_birth_name_falls_back_to_full_name(auth_api, user):
    assert data(auth_api.patch(PROFILE, {"birth_name": ""}))["birth_name"] == user.full_name


def test_email_change_requires_reverification(auth_api, user):
    body = data(auth_api.patch(PROFILE, {"email": "New.Address@Example.com"}))
    assert body["email"] == "new.address@example.com"
    assert body["is_verified"] is False
    assert mail.outbox[-1].to == ["new.address@example.com"]
    code = last_email_code("new.address@example.com")
    verified = data(auth_api.post(VERIFY, {"email": "new.address@example.com", "code": code}))
    assert verified["is_verified"] is True


def test_email_case_change_is_not_a_change(auth_api, user):
    body = data(auth_api.patch(PROFILE, {"email": user.email.upper()}))
    assert body["is_verified"] is True and mail.outbox == []


def test_email_or_phone_taken_by_another_user(auth_api):
    UserFactory(email="taken@example.com", phone="+14155552671")
    assert_error(auth_api.patch(PROFILE, {"email": "TAKEN@example.com"}), 409, "CONFLICT", "email")
    assert_error(auth_api.patch(PROFILE, {"phone": "+14155552671"}), 409, "CONFLICT", "phone")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "nope"),
        ("phone", "555-1234"),
        ("timezone", "Nowhere/Special"),
        ("date_of_birth", "1850-01-01"),
        ("full_name", "Z"),
        ("full_name", None),
    ],
)
def test_profile_validation(auth_api, user, field, value):
    assert_error(auth_api.patch(PROFILE, {field: value}), 400, "VALIDATION_ERROR", field)


def test_future_date_of_birth_is_refused(auth_api):
    future = (timezone.now() + timedelta(days=2)).date().isoformat()
    assert_error(
        auth_api.patch(PROFILE, {"date_of_birth": future}), 400, "VALIDATION_ERROR", "date_of_birth"
    )


def test_the_last_contact_cannot_be_removed(auth_api, user):
    # Email users can drop their phone number...
    assert data(auth_api.patch(PROFILE, {"phone": ""}))["phone"] is None
    # ...but a phone-only account cannot drop its only contact.
    phone_only = UserFactory(email=None, phone="+14155550100")
    pair = services.session_create(user=phone_only)
    auth_api.credentials(HTTP_AUTHORIZATION=f"Bearer {pair.access_token}")
    assert_error(auth_api.patch(PROFILE, {"phone": None}), 400, "VALIDATION_ERROR", "phone")


def test_read_only_fields_cannot_be_changed(auth_api, user):
    body = data(auth_api.patch(PROFILE, {"is_premium": True, "is_verified": False, "id": "x"}))
    assert body["is_premium"] is False and body["is_verified"] is True


def test_profile_has_rate_limit_headers(auth_api):
    response = auth_api.get(PROFILE)
    assert response["X-RateLimit-Limit"] == "30"
    assert response["X-RateLimit-Remaining"] == "29"
    assert "X-RateLimit-Reset" in response


# --- delete -----------------------------------------------------------------------------------
def test_delete_account(auth_api, user, tokens):
    OneTimeCode.objects.create(
        user=user,
        purpose="verify",
        channel="email",
        destination=user.email,
        code_hash="x",
        sent_at=timezone.now(),
        expires_at=timezone.now(),
    )
    assert data(auth_api.delete(ME, {"password": DEFAULT_PASSWORD}))
    assert not User.objects.filter(pk=user.pk).exists()
    assert not RefreshToken.objects.exists() and not OneTimeCode.objects.exists()
    # The deleted user's tokens are refused.
    assert_error(auth_api.get(PROFILE), 401, "UNAUTHORIZED")
    auth_api.credentials()
    assert_error(
        auth_api.post(REFRESH, {"refresh_token": tokens.refresh_token}), 401, "UNAUTHORIZED"
    )
    assert_error(
        auth_api.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD}),
        401,
        "INVALID_CREDENTIALS",
    )


def test_delete_needs_the_right_password(auth_api, user):
    assert_error(
        auth_api.delete(ME, {"password": "Wrong-Password-1"}), 400, "VALIDATION_ERROR", "password"
    )
    assert_error(auth_api.delete(ME, {}), 400, "VALIDATION_ERROR", "password")
    assert User.objects.filter(pk=user.pk).exists()


def test_delete_needs_a_token(api):
    assert_error(api.delete(ME, {"password": DEFAULT_PASSWORD}), 401, "NOT_AUTHENTICATED")


def test_delete_removes_only_that_user(auth_api, user):
    other = UserFactory()
    data(auth_api.delete(ME, {"password": DEFAULT_PASSWORD}))
    assert User.objects.filter(pk=other.pk).exists()
