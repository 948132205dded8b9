"""Field validators shared by the model, the serializers and the services."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from functools import lru_cache

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils import timezone

MIN_BIRTH_DATE = dt.date(1900, 1, 1)
FULL_NAME_MIN = 2
FULL_NAME_MAX = 100


@lru_cache(maxsize=1)
def available_timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def phone_normalize(value: str) -> str:
    """The E.164 form of `value` (which must already be in international `+…` form)."""
    raw = (value or "").strip()
    if not raw.startswith("+"):
        raise ValidationError(
            "Enter a phone number in international E.164 form, e.g. +14155552671.",
            code="invalid_phone",
        )
    try:
        parsed = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError("Enter a valid phone number.", code="invalid_phone") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError("Enter a valid phone number.", code="invalid_phone")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def validate_phone(value: str) -> None:
    if phone_normalize(value) != value:
        raise ValidationError(
            "Enter the phone number in E.164 form, e.g. +14155552671.", code="invalid_phone"
        )


def validate_timezone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(
            "Enter a valid IANA time zone name, e.g. Europe/Paris.", code="invalid_timezone"
        )


def validate_date_of_birth(value: dt.date) -> None:
    if value < MIN_BIRTH_DATE:
        raise ValidationError("Date of birth cannot be before 1900.", code="date_too_early")
    # "The future" is judged in the earliest time zone, so nobody is refused on their birthday.
    if value > (timezone.now() + dt.timedelta(hours=14)).date():
        raise ValidationError("Date of birth cannot be in the future.", code="date_in_future")


def validate_full_name(value: str) -> None:
    length = len((value or "").strip())
    if length < FULL_NAME_MIN or length > FULL_NAME_MAX:
        raise ValidationError(
            f"Enter between {FULL_NAME_MIN} and {FULL_NAME_MAX} characters.", code="invalid_length"
        )
