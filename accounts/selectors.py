"""Reads of the accounts app."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, time

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

from accounts.models import Device, NotificationSettings, User
from numerai.db import CompiledQuery
from numerai.errors import Forbidden, NotAuthenticated, NotFound


def _live_users(*, user_id: uuid.UUID) -> QuerySet[User]:
    return User.objects.filter(pk=user_id, is_active=True)


# Compiled once: every authenticated request and socket reads its user (fix 26 in
# docs/performance.md).
_live_users_compiled = CompiledQuery(_live_users, user_id=uuid.UUID(int=0))


def user_get_active(*, user_id: uuid.UUID | str, issued_at: datetime | None = None) -> User:
    """The live user a token names; `NotAuthenticated` if deleted, inactive or logged out.

    `issued_at` (the token's `iat`) refuses tokens issued before the user's sessions were revoked.
    """
    try:
        [user] = _live_users_compiled(user_id=user_id)  # ValueError too when there is none
    except (ValidationError, ValueError, TypeError) as exc:
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


# --- devices and notification settings --------------------------------------------------------
# Which setting lets a kind of push through, and its value for a user without settings.
PUSH_KIND_SETTINGS: dict[str, tuple[str, bool]] = {
    "reading.daily": ("daily_reading_enabled", True),
    "chat.reply": ("chat_reply_enabled", False),
}


def device_list_for_user(*, user: User) -> list[Device]:
    """The user's devices, most recently seen first."""
    return list(Device.objects.filter(user=user).order_by("-last_seen", "-created_at"))


def device_get_for_user(
    *, user: User, device_id: uuid.UUID | None = None, token: str | None = None
) -> Device:
    """The user's device with this id, or with this push token (give exactly one);
    `NotFound` otherwise (others' look the same)."""
    if (device_id is None) == (token is None):
        raise TypeError("give exactly one of device_id and token")
    if device_id is not None:
        device = Device.objects.filter(pk=device_id, user=user).first()
    else:
        value = token.strip()
        device = Device.objects.filter(token=value, user=user).first() if value else None
    if device is None:
        raise NotFound("Device not found.")
    return device


def notification_settings_get(*, user: User) -> NotificationSettings:
    """The user's settings; an unsaved row with the defaults when they never changed any."""
    found = NotificationSettings.objects.filter(user=user).first()
    return found if found is not None else NotificationSettings(user=user)


def quiet_hours_contain(
    *, start: time | None, end: time | None, local_time: time
) -> bool:
    """True when ``local_time`` falls in [start, end); the window may wrap midnight.

    No window (either end missing, or start == end) contains nothing.
    """
    if start is None or end is None or start == end:
        return False
    moment = local_time.replace(second=0, microsecond=0, tzinfo=None)
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end


def push_user_ids_accepting(*, user_ids: Iterable[uuid.UUID], kind: str) -> set[uuid.UUID]:
    """Of ``user_ids``, the active users with a device whose settings allow ``kind`` (1 query)."""
    field, default = PUSH_KIND_SETTINGS[kind]
    enabled = Q(**{f"user__notification_settings__{field}": True})
    if default:
        enabled |= Q(user__notification_settings__isnull=True)
    ids = list(user_ids)
    if not ids:
        return set()
    return set(
        Device.objects.filter(enabled, user_id__in=ids, user__is_active=True)
        .order_by()
        .values_list("user_id", flat=True)
        .distinct()
    )
