"""Reads of the accounts app."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.core.exceptions import ValidationError

from accounts.models import User
from numerai.errors import Forbidden, NotAuthenticated


def user_get_active(*, user_id: uuid.UUID | str, issued_at: datetime | None = None) -> User:
    """The live user a token names; `NotAuthenticated` if deleted, inactive or logged out.

    `issued_at` (the token's `iat`) refuses tokens issued before the user's sessions were revoked.
    """
    try:
        user = User.objects.get(pk=user_id, is_active=True)
    except (User.DoesNotExist, ValidationError, ValueError, TypeError) as exc:
        raise NotAuthenticated("User not found or inactive.") from exc
    if (
        issued_at is not None
        and user.tokens_valid_after is not None
        and int(issued_at.timestamp()) < int(user.tokens_valid_after.timestamp())
    ):
        raise NotAuthenticated("Token has been revoked.")
    return user


def user_require_verified(user: User) -> None:
    """Refuse unverified users (chat and other verified-only features)."""
    if not user.is_verified:
        raise Forbidden(
            "Verify your email address or phone number first.", code="EMAIL_NOT_VERIFIED"
        )


def user_get_by_contact(*, email: str | None = None, phone: str | None = None) -> User | None:
    """The user with this email (case-insensitive) or, failing an email, this phone number."""
    if email:
        return User.objects.filter(email__iexact=email.strip()).first()
    if phone:
        return User.objects.filter(phone=phone.strip()).first()
    return None
