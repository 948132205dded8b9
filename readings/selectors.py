"""Reads of the readings app: charts with their meanings, profiles, daily readings.

Nothing here writes to the database. `numerology_calculate` and `numerology_compatibility` run
the pure engine for any name and date (nothing is stored); `birth_chart_get` serves a user's
stored profile, cached in the process per profile version and day.
"""

from __future__ import annotations

import base64
import binascii
import logging
import uuid
import zoneinfo
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from functools import lru_cache
from typing import Any

from django.db import connection
from django.db.models import Exists, F, OuterRef, Q, QuerySet, TimeField, Value
from django.db.models.functions import Coalesce
from django.utils import timezone as django_timezone

from accounts.models import User
from numerai.db import CompiledQuery
from numerai.errors import InvalidInput
from readings import content, engine
from readings.models import DailyReading, NumerologyProfile

logger = logging.getLogger(__name__)

DEFAULT_DELIVERY_TIME = time(7, 0)
CHART_CACHE_SIZE = 256  # charts of about 15 KB of JSON each
HISTORY_MAX_LIMIT = 100

CORE_KINDS = ("life_path", "expression", "soul_urge", "personality", "maturity", "birthday")
CYCLE_KINDS = ("personal_year", "personal_month", "personal_day")


# --- clocks -----------------------------------------------------------------------------------
@lru_cache(maxsize=1024)
def _zone(name: str) -> zoneinfo.ZoneInfo | type[UTC]:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        logger.warning("unknown time zone %r; using UTC", name)
        return UTC


def user_local_now(*, user: User, now: datetime | None = None) -> datetime:
    """``now`` (default: the current instant) on the user's wall clock (UTC if unknown)."""
    return (now or django_timezone.now()).astimezone(_zone(user.timezone or "UTC"))


def user_local_date(*, user: User, now: datetime | None = None) -> date:
    """Today's date in the user's time zone."""
    return user_local_now(user=user, now=now).date()


def local_clocks(*, now: datetime, timezones: Iterable[str]) -> dict[date, dict[time, list[str]]]:
    """Group time zone names by the local date and wall-clock time they show at ``now``.

    Each zone is converted once (zones sharing an offset share a group), which is what makes
    the due-user query independent of the number of users.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    groups: dict[date, dict[time, list[str]]] = {}
    for name in timezones:
        local = now.astimezone(_zone(name))
        clock = local.time().replace(microsecond=0, tzinfo=None)
        groups.setdefault(local.date(), {}).setdefault(clock, []).append(name)
    return groups


# --- meanings ---------------------------------------------------------------------------------
def _meaning(kind: str, number: int) -> dict | None:
    try:
        return content.meaning(kind, number)
    except (content.UnknownMeaning, ValueError):
        return None


def chart_payload(chart: dict[str, Any]) -> dict[str, Any]:
    """Add the meaning texts to an engine chart dict (``Chart.as_dict()``), as the API returns it.

    Every entry of ``numbers`` gets a ``meaning`` (and a ``karmic_debt_meaning`` when it carries
    a karmic debt); each pinnacle and the Chaldean name number get a ``meaning``; ``meanings``
    holds the texts of the karmic lessons, hidden passions and challenges, in list order.
    """
    data = dict(chart)
    numbers = {}
    for kind, entry in chart["numbers"].items():
        item = dict(entry)
        item["meaning"] = _meaning(kind, entry["value"])
        if entry.get("karmic_debt"):
            item["karmic_debt_meaning"] = _meaning("karmic_debt", entry["karmic_debt"])
        numbers[kind] = item
    data["numbers"] = numbers
    data["pinnacles"] = [
        {**pinnacle, "meaning": _meaning("pinnacle", pinnacle["value"])}
        for pinnacle in chart["pinnacles"]
    ]
    # The Chaldean whole-name number reads as that system's Expression (name) number.
    data["chaldean"] = {
        **chart["chaldean"],
        "meaning": _meaning("expression", chart["chaldean"]["value"]),
    }
    data["meanings"] = {
        "karmic_lessons": [_meaning("karmic_lesson", n) for n in chart["karmic_lessons"]],
        "hidden_passion": [_meaning("hidden_passion", n) for n in chart["hidden_passion"]],
        "challenges": [_meaning("challenge", n) for n in chart["challenges"]],
    }
    return data


def _invalid(exc: engine.EngineError) -> InvalidInput:
    error = InvalidInput(exc.field, f"{exc.field}: {exc.message}")
    error.details = {exc.field: [exc.message]}
    return error


def options_parse(*, options: dict[str, Any] | None) -> engine.Options:
    """Engine options from request data; `InvalidInput` naming e.g. ``options.system``."""
    try:
        return engine.Options.from_dict(options)
    except engine.EngineError as exc:
        raise _invalid(exc) from exc


def numerology_calculate(
    *,
    full_name: str,
    birth_date: date,
    target_date: date,
    options: dict[str, Any] | engine.Options | None = None,
) -> dict[str, Any]:
    """The full chart of any name and birth date, with meanings. Nothing is stored."""
    try:
        if not isinstance(options, engine.Options):
            options = engine.Options.from_dict(options)
        chart = engine.chart(full_name, birth_date, target_date, options)
    except engine.EngineError as exc:
        raise _invalid(exc) from exc
    return chart_payload(chart.as_dict())


@dataclass(frozen=True)
class Person:
    birth_date: date
    full_name: str | None = None


def _life_path_payload(number: engine.Number) -> dict[str, Any]:
    data = {**number.as_dict(), "meaning": _meaning("life_path", number.value)}
    if number.karmic_debt:
        data["karmic_debt_meaning"] = _meaning("karmic_debt", number.karmic_debt)
    return data


def numerology_compatibility(
    *, a: Person, b: Person, options: dict[str, Any] | engine.Options | None = None
) -> dict[str, Any]:
    """Life Path compatibility of two people: both life paths, the relation and its texts."""
    if not isinstance(options, engine.Options):
        options = options_parse(options=options)
    result = engine.compatibility(a.birth_date, b.birth_date, options)
    texts = content.compatibility_text(
        result.relation, engine.root(result.a.value), engine.root(result.b.value)
    )

    def side(person: Person, life_path: engine.Number) -> dict[str, Any]:
        return {
            "full_name": person.full_name,
            "birth_date": person.birth_date.isoformat(),
            "life_path": _life_path_payload(life_path),
        }

    return {
        "a": side(a, result.a),
        "b": side(b, result.b),
        "relation": result.relation,
        "texts": texts,
        "options": options.as_dict(),
    }


# --- profiles ---------------------------------------------------------------------------------
def _profiles_of(*, user_id: uuid.UUID) -> QuerySet[NumerologyProfile]:
    return NumerologyProfile.objects.filter(user_id=user_id)


# Compiled once: the chart's REST endpoints read it on every request (fix 26 in
# docs/performance.md).
_profiles_of_compiled = CompiledQuery(_profiles_of, user_id=uuid.UUID(int=0))


def numerology_profile_get_for_user(*, user: User) -> NumerologyProfile | None:
    """No query when the user was fetched with its profile (`select_related`)."""
    relation = User.numerology_profile.related
    if relation.is_cached(user):
        return relation.get_cached_value(user)
    profiles = _profiles_of_compiled(user_id=user.pk)  # one at most: a profile per user
    return profiles[0] if profiles else None


def numerology_profile_is_current(*, profile: NumerologyProfile | None, user: User) -> bool:
    """True when ``profile`` was computed from the user's present birth name and date."""
    return (
        profile is not None
        and profile.birth_date == user.date_of_birth
        and profile.name == user.numerology_name
    )


@dataclass(frozen=True)
class _ChartKey:
    """A chart is the same for the same profile, version and day: a recomputed profile has a
    new version, a profile removed and made again a new id. The profile rides along for the
    build and takes no part in the key."""

    profile_id: uuid.UUID
    version: int
    target_date: date
    profile: NumerologyProfile = field(compare=False)


def _birth_chart_build(*, profile: NumerologyProfile, target_date: date) -> dict[str, Any]:
    chart = dict(profile.chart)
    numbers = dict(chart["numbers"])
    personal = engine.personal_numbers(profile.birth_date, max(target_date, profile.birth_date))
    numbers["personal_year"] = {"value": personal.year}
    numbers["personal_month"] = {"value": personal.month}
    numbers["personal_day"] = {"value": personal.day}
    chart["numbers"] = numbers
    data = chart_payload(chart)
    data["calculated_at"] = _iso(profile.calculated_at)
    return data


@lru_cache(maxsize=CHART_CACHE_SIZE)
def _birth_chart_cached(key: _ChartKey) -> dict[str, Any]:
    return _birth_chart_build(profile=key.profile, target_date=key.target_date)


def birth_chart_get(*, profile: NumerologyProfile, target_date: date) -> dict[str, Any]:
    """The stored chart of ``profile`` with meanings and the cycles of ``target_date``; the
    caller must not change it.

    Cached in this process per (profile, version, day), so a change of birth data is never
    served from a stale entry. Not in Redis: building a chart (about 0.1 ms) costs less than
    fetching and unpickling one from there (about 0.3 ms; docs/performance.md, fix 32).
    """
    return _birth_chart_cached(_ChartKey(profile.pk, profile.version, target_date, profile))


# --- daily readings ---------------------------------------------------------------------------
def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def daily_reading_payload(reading: DailyReading) -> dict[str, Any]:
    """The one JSON-able shape of a reading, for REST and the live ``reading.daily`` event."""
    return {
        "id": str(reading.id),
        "date": reading.reading_date.isoformat(),
        "personal_year": {
            "value": reading.personal_year,
            "meaning": _meaning("personal_year", reading.personal_year),
        },
        "personal_month": {
            "value": reading.personal_month,
            "meaning": _meaning("personal_month", reading.personal_month),
        },
        "personal_day": {
            "value": reading.personal_day,
            "meaning": _meaning("personal_day", reading.personal_day),
        },
        "lucky_number": reading.lucky_number,
        "lucky_colour": {"name": reading.lucky_colour_name, "hex": reading.lucky_colour_hex},
        "affirmation": reading.affirmation,
        "generated_at": _iso(reading.generated_at),
    }


def daily_reading_get(*, user: User, reading_date: date) -> DailyReading | None:
    return DailyReading.objects.filter(user=user, reading_date=reading_date).first()


def daily_reading_list_by_ids(*, reading_ids: Iterable[uuid.UUID]) -> list[DailyReading]:
    """Readings by id (for the delivery subscribers of `readings.hooks`), oldest user first."""
    return list(DailyReading.objects.filter(pk__in=list(reading_ids)).order_by("user_id"))


_CURSOR_PREFIX = "d1:"


def history_cursor_encode(reading_date: date) -> str:
    raw = f"{_CURSOR_PREFIX}{reading_date.isoformat()}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def history_cursor_decode(cursor: str) -> date:
    """The date a cursor points before; `InvalidInput` on ``cursor`` if it is not one of ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii")
        if not raw.startswith(_CURSOR_PREFIX):
            raise ValueError(raw)
        return date.fromisoformat(raw[len(_CURSOR_PREFIX) :])
    except (ValueError, UnicodeError, binascii.Error) as exc:
        raise InvalidInput("cursor", "cursor: This cursor is not valid.") from exc


@dataclass(frozen=True)
class ReadingPage:
    readings: list[DailyReading]
    next_cursor: str | None
    has_more: bool

    @property
    def pagination(self) -> dict[str, Any]:
        return {"next_cursor": self.next_cursor, "has_more": self.has_more}


def daily_reading_list_for_user(
    *, user: User, limit: int = 20, cursor: str | None = None
) -> ReadingPage:
    """The user's readings, newest first, ``limit`` (1–100) per page after ``cursor``."""
    if not 1 <= limit <= HISTORY_MAX_LIMIT:
        raise InvalidInput("limit", f"limit: Enter a number from 1 to {HISTORY_MAX_LIMIT}.")
    readings = DailyReading.objects.filter(user=user)
    if cursor:
        readings = readings.filter(reading_date__lt=history_cursor_decode(cursor))
    rows = list(readings.order_by("-reading_date")[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = history_cursor_encode(rows[-1].reading_date) if has_more else None
    return ReadingPage(readings=rows, next_cursor=next_cursor, has_more=has_more)


# --- scheduled generation ---------------------------------------------------------------------
def user_timezone_list() -> list[str]:
    """The distinct time zones of users who can have a reading (one query)."""
    return list(
        User.objects.filter(is_active=True, date_of_birth__isnull=False)
        .order_by()
        .values_list("timezone", flat=True)
        .distinct()
    )


def _delivery_time():
    """The user's local delivery time: their notification setting, 07:00 without a row."""
    return Coalesce(
        F("notification_settings__delivery_time"),
        Value(DEFAULT_DELIVERY_TIME, output_field=TimeField()),
        output_field=TimeField(),
    )


def user_iter_due_for_daily_reading(
    *,
    reading_date: date,
    clocks: dict[time, list[str]] | None = None,
    user_ids: Iterable[uuid.UUID] | None = None,
    chunk_size: int = 10_000,
) -> Iterator[tuple[uuid.UUID, date]]:
    """``(user id, date of birth)`` of active users with no reading for ``reading_date``.

    ``clocks`` maps a local wall-clock time to the time zones showing it (see `local_clocks`):
    only users of those zones whose delivery time has passed then are due. Without it (a
    backfill) every user with a date of birth is.

    One query, ordered by user id. On PostgreSQL it is read through a server-side cursor,
    ``chunk_size`` rows at a time, so memory stays bounded whatever the number of users; the
    anti-join and the delivery-time join run once per call, not once per batch.
    """
    users = User.objects.filter(
        is_active=True, date_of_birth__isnull=False, date_of_birth__lte=reading_date
    )
    if user_ids is not None:
        users = users.filter(pk__in=list(user_ids))
    if clocks is not None:
        due = Q()
        for clock, names in clocks.items():
            due |= Q(timezone__in=names, delivery_time__lte=clock)
        users = users.alias(delivery_time=_delivery_time()).filter(due)
    users = users.filter(
        ~Exists(DailyReading.objects.filter(user_id=OuterRef("pk"), reading_date=reading_date))
    )
    rows = users.order_by("pk").values_list("pk", "date_of_birth")
    if connection.vendor == "postgresql":
        return rows.iterator(chunk_size=chunk_size)
    # SQLite would read lazily from the table being written to: read it all first.
    return iter(list(rows))
