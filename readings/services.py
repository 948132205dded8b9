"""Writes of the readings app: numerology profiles and daily readings.

Daily readings are created set-based (`daily_readings_generate_due`,
`daily_readings_generate_for_date`) or one at a time on a user's first request of the day
(`daily_reading_get_or_create`); all three share one insert path built on the unique
(user, reading_date) index, so concurrent or repeated runs never duplicate a reading nor fail:

- PostgreSQL: each batch is COPYed straight into the table (the users were selected as having
  no reading); if a concurrent run got some of them first, the unique index stops that COPY and
  the batch is merged instead (COPY into a temporary table, then INSERT ... ON CONFLICT DO
  NOTHING RETURNING id);
- SQLite (the embedded default): one INSERT OR IGNORE of the batch sent as a JSON parameter,
  then one query for which of the fresh ids are stored.

Each created reading is handed exactly once, after its transaction commits, to
`readings.hooks.daily_readings_created`.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from itertools import islice

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import User
from numerai.errors import Conflict
from numerai.metrics import readings_generated
from readings import content, engine, hooks, selectors
from readings.models import DailyReading, NumerologyProfile

logger = logging.getLogger(__name__)

GENERATION_BATCH_SIZE = 10_000
PROFILE_INCOMPLETE = "PROFILE_INCOMPLETE"


def _profile_incomplete(message: str) -> Conflict:
    return Conflict(message, code=PROFILE_INCOMPLETE)


# --- numerology profile -----------------------------------------------------------------------
def numerology_profile_recompute(*, user: User) -> NumerologyProfile | None:
    """Compute the user's birth chart from their birth name and date and store it.

    Returns None (and removes any previous profile) when the user has no date of birth or a
    name without letters. A recomputed profile gets a new ``version``, which invalidates the
    cached chart.
    """
    birth_date = user.date_of_birth
    chart = None
    if birth_date is not None:
        try:
            chart = engine.chart(user.numerology_name, birth_date, birth_date)
        except engine.EngineError:
            logger.info("numerology profile not computable", extra={"user_id": str(user.pk)})
    with transaction.atomic():
        profile = NumerologyProfile.objects.select_for_update().filter(user=user).first()
        if chart is None:
            if profile is not None:
                profile.delete()
            return None
        data = chart.as_dict()
        for kind in selectors.CYCLE_KINDS:
            data["numbers"].pop(kind, None)  # read for the day the chart is shown
        numbers = (chart.life_path, chart.expression, chart.soul_urge, chart.personality)
        fields = {
            "name": user.numerology_name,
            "birth_date": birth_date,
            "options": chart.options.as_dict(),
            "life_path": chart.life_path.value,
            "expression": chart.expression.value,
            "soul_urge": chart.soul_urge.value,
            "personality": chart.personality.value,
            "birthday": chart.birthday.value,
            "maturity": chart.maturity.value,
            "karmic_debts": sorted({n.karmic_debt for n in numbers if n.karmic_debt}),
            "chart": data,
            "calculated_at": timezone.now(),
        }
        if profile is None:
            try:
                with transaction.atomic():
                    profile = NumerologyProfile.objects.create(user=user, **fields)
            except IntegrityError:  # a concurrent request created it first
                profile = NumerologyProfile.objects.select_for_update().get(user=user)
            else:
                fields = None
        if fields is not None:
            for name, value in fields.items():
                setattr(profile, name, value)
            profile.version += 1
            profile.save()
    logger.info(
        "numerology profile computed",
        extra={"user_id": str(user.pk), "version": profile.version},
    )
    return profile


def numerology_profile_ensure(*, user: User) -> NumerologyProfile:
    """The user's current profile, computed now if missing or out of date.

    Raises `Conflict` ``PROFILE_INCOMPLETE`` when there is no date of birth (or no readable
    name) to compute it from.
    """
    if user.date_of_birth is None:
        raise _profile_incomplete(
            "Add your date of birth to your profile to see your numerology chart."
        )
    profile = selectors.numerology_profile_get_for_user(user=user)
    if selectors.numerology_profile_is_current(profile=profile, user=user):
        return profile
    profile = numerology_profile_recompute(user=user)
    if profile is None:
        raise _profile_incomplete(
            "Your birth name has no letters we can read (A–Z); set your birth name in your "
            "profile to see your numerology chart."
        )
    return profile


# --- daily readings: values -------------------------------------------------------------------
# One row of values: (user_id, personal_year, personal_month, personal_day, lucky_number,
# lucky_colour_name, lucky_colour_hex, affirmation): the stage table's column order.
ReadingRow = tuple[uuid.UUID, int, int, int, int, str, str, str]


class _ReadingCalculator:
    """The pure part of a reading for one date, memoised per birth month/day and personal day.

    Personal year/month/day depend only on the birth month and day and the reading date; the
    lucky number, colour and affirmation are `engine.deterministic_choice` picks seeded with
    ``"<user id>:<date>"`` among the personal day's correspondences and affirmations.
    """

    def __init__(self, reading_date: date):
        self.reading_date = reading_date
        self.date_text = reading_date.isoformat()
        self._personal: dict[tuple[int, int], engine.PersonalNumbers] = {}
        self._tables: dict[int, tuple[tuple, tuple, tuple]] = {}

    def _tables_for(self, number: int) -> tuple[tuple, tuple, tuple]:
        tables = self._tables.get(number)
        if tables is None:
            tables = (
                content.lucky_numbers(number),
                content.lucky_colours(number),
                content.affirmations(number),
            )
            self._tables[number] = tables
        return tables

    def row(self, user_id: uuid.UUID, birth_date: date) -> ReadingRow | None:
        if birth_date > self.reading_date:
            return None
        key = (birth_date.month, birth_date.day)
        personal = self._personal.get(key)
        if personal is None:
            personal = engine.personal_numbers(birth_date, self.reading_date)
            self._personal[key] = personal
        numbers, colours, affirmations = self._tables_for(personal.day)
        seed = f"{user_id}:{self.date_text}"
        colour_name, colour_hex = engine.deterministic_choice(seed, colours)
        return (
            user_id,
            personal.year,
            personal.month,
            personal.day,
            engine.deterministic_choice(seed, numbers),
            colour_name,
            colour_hex,
            engine.deterministic_choice(seed, affirmations),
        )


# --- daily readings: the one insert path ------------------------------------------------------
_COLUMNS = (
    "id",
    "user_id",
    "reading_date",
    "personal_year",
    "personal_month",
    "personal_day",
    "lucky_number",
    "lucky_colour_name",
    "lucky_colour_hex",
    "affirmation",
    "generated_at",
)
# PostgreSQL, fast path: the users were selected as having no reading, so the batch is COPYed
# straight into the table. If a concurrent run got some of them first, the unique index stops
# the COPY (nothing of it is kept) and the batch goes through the merge path instead.
_PG_COPY = f"COPY readings_dailyreading ({', '.join(_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
_PG_COPY_TYPES = (
    "uuid", "uuid", "date", "int2", "int2", "int2", "int2", "text", "text", "text", "timestamptz"
)
# PostgreSQL, merge path: COPY into a session-local stage table, then move it in one statement
# that skips the (user, date) pairs that exist and returns the ids it created.
_PG_STAGE = """
CREATE TEMP TABLE IF NOT EXISTS readings_daily_stage (
    user_id uuid, personal_year smallint, personal_month smallint, personal_day smallint,
    lucky_number smallint, lucky_colour_name text, lucky_colour_hex text, affirmation text
) ON COMMIT DELETE ROWS
"""
_PG_STAGE_COPY = "COPY readings_daily_stage FROM STDIN (FORMAT BINARY)"
_PG_STAGE_TYPES = ("uuid", "int2", "int2", "int2", "int2", "text", "text", "text")
_PG_MERGE = f"""
WITH staged AS (DELETE FROM readings_daily_stage RETURNING *)
INSERT INTO readings_dailyreading ({", ".join(_COLUMNS)})
SELECT gen_random_uuid(), user_id, %s, personal_year, personal_month, personal_day,
    lucky_number, lucky_colour_name, lucky_colour_hex, affirmation, %s
FROM staged
ORDER BY user_id
ON CONFLICT (user_id, reading_date) DO NOTHING
RETURNING id
"""  # noqa: S608 - constant column names


def _insert_postgresql_copy(
    rows: Iterable[ReadingRow], *, reading_date: date, generated_at: datetime
) -> list[uuid.UUID]:
    ids: list[uuid.UUID] = []
    with connection.cursor() as cursor, connection.wrap_database_errors:
        with cursor.cursor.copy(_PG_COPY) as copy:
            copy.set_types(_PG_COPY_TYPES)
            write = copy.write_row
            # Rows are computed while the server already stores the previous ones.
            for row in rows:
                reading_id = uuid.uuid4()
                ids.append(reading_id)
                write((reading_id, row[0], reading_date, *row[1:], generated_at))
    return ids


def _insert_postgresql_merge(
    rows: Iterable[ReadingRow], *, reading_date: date, generated_at: datetime
) -> list[uuid.UUID]:
    with connection.cursor() as cursor:
        cursor.execute(_PG_STAGE)
        with connection.wrap_database_errors, cursor.cursor.copy(_PG_STAGE_COPY) as copy:
            copy.set_types(_PG_STAGE_TYPES)
            for row in rows:
                copy.write_row(row)
        cursor.execute(_PG_MERGE, [reading_date, generated_at])
        return [row[0] for row in cursor.fetchall()]


# SQLite (the embedded default): the batch travels as one JSON parameter; INSERT OR IGNORE
# skips existing (user, date) pairs, and the fresh ids found afterwards are the ones inserted.
_SQLITE_INSERT = f"""
INSERT OR IGNORE INTO readings_dailyreading ({", ".join(_COLUMNS)})
SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), %s,
    json_extract(value, '$[2]'), json_extract(value, '$[3]'), json_extract(value, '$[4]'),
    json_extract(value, '$[5]'), json_extract(value, '$[6]'), json_extract(value, '$[7]'),
    json_extract(value, '$[8]'), %s
FROM json_each(%s)
"""  # noqa: S608 - constant column names
_SQLITE_CREATED = """
SELECT reading.id FROM json_each(%s) AS fresh
JOIN readings_dailyreading AS reading ON reading.id = fresh.value
"""


def _insert_sqlite(
    rows: Iterable[ReadingRow], *, reading_date: date, generated_at: datetime
) -> list[uuid.UUID]:
    batch = [(uuid.uuid4().hex, row[0].hex, *row[1:]) for row in rows]
    if not batch:
        return []
    ops = connection.ops
    with connection.cursor() as cursor:
        cursor.execute(
            _SQLITE_INSERT,
            [
                ops.adapt_datefield_value(reading_date),
                ops.adapt_datetimefield_value(generated_at),
                json.dumps(batch),
            ],
        )
        cursor.execute(_SQLITE_CREATED, [json.dumps([row[0] for row in batch])])
        return [uuid.UUID(row[0]) for row in cursor.fetchall()]


def _insert_committed(insert, rows, *, reading_date: date) -> list[uuid.UUID]:
    """Run ``insert`` in a transaction; its readings go to the subscribers after commit."""
    with transaction.atomic():
        created = insert(rows, reading_date=reading_date, generated_at=timezone.now())
        hooks.daily_readings_created_on_commit(reading_ids=created)
    return created


def _daily_readings_insert(
    *, users: Sequence[tuple[uuid.UUID, date]], reading_date: date
) -> list[uuid.UUID]:
    """Create the readings of ``users`` (id, date of birth) for ``reading_date``.

    Returns the ids actually created (rows that already existed are skipped, whoever made
    them) and hands them to the subscribers after commit.
    """
    calculator = _ReadingCalculator(reading_date)

    def rows() -> Iterator[ReadingRow]:
        for user_id, birth_date in users:
            row = calculator.row(user_id, birth_date)
            if row is not None:
                yield row

    if connection.vendor == "postgresql":
        try:
            created = _insert_committed(_insert_postgresql_copy, rows(), reading_date=reading_date)
        except IntegrityError:  # a concurrent run created some of them meanwhile
            created = _insert_committed(
                _insert_postgresql_merge, rows(), reading_date=reading_date
            )
    else:
        created = _insert_committed(_insert_sqlite, rows(), reading_date=reading_date)
    if created:
        readings_generated.inc(len(created))
    return created


# --- daily readings: services -----------------------------------------------------------------
def daily_reading_get_or_create(*, user: User, reading_date: date | None = None) -> DailyReading:
    """The user's reading for ``reading_date`` (default: their local today), created if needed.

    Idempotent and safe under concurrent first requests: both get the same row, and only the
    request that created it hands it to the subscribers.
    """
    if user.date_of_birth is None:
        raise _profile_incomplete(
            "Add your date of birth to your profile to get your daily reading."
        )
    if reading_date is None:
        reading_date = selectors.user_local_date(user=user)
    reading = selectors.daily_reading_get(user=user, reading_date=reading_date)
    if reading is not None:
        return reading
    if user.date_of_birth > reading_date:
        raise _profile_incomplete("Your date of birth is after the date of this reading.")
    _daily_readings_insert(users=[(user.pk, user.date_of_birth)], reading_date=reading_date)
    return DailyReading.objects.get(user=user, reading_date=reading_date)


def _generate(
    *,
    reading_date: date,
    clocks=None,
    user_ids: Iterable[uuid.UUID] | None = None,
    batch_size: int,
) -> list[uuid.UUID]:
    """One query for the users due, then one insert (and one commit) per ``batch_size``."""
    users = selectors.user_iter_due_for_daily_reading(
        reading_date=reading_date, clocks=clocks, user_ids=user_ids, chunk_size=batch_size
    )
    created: list[uuid.UUID] = []
    while batch := list(islice(users, batch_size)):
        created += _daily_readings_insert(users=batch, reading_date=reading_date)
    return created


def daily_readings_generate_due(
    *, now: datetime, batch_size: int = GENERATION_BATCH_SIZE
) -> list[uuid.UUID]:
    """Create the readings of every user whose local delivery time has passed at ``now``.

    Time zones are read once (one query) and each converted once; then, per local date
    (at most three at any instant), one query selects the users due (read by chunks of
    ``batch_size``) and each batch is inserted in one statement and its own transaction.
    Returns the ids of the readings created.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    groups = selectors.local_clocks(now=now, timezones=selectors.user_timezone_list())
    created: list[uuid.UUID] = []
    for reading_date, clocks in sorted(groups.items()):
        created += _generate(reading_date=reading_date, clocks=clocks, batch_size=batch_size)
    if created:
        logger.info("daily readings generated", extra={"count": len(created)})
    return created


def daily_readings_generate_for_date(
    *,
    reading_date: date,
    user_ids: Iterable[uuid.UUID] | None = None,
    batch_size: int = GENERATION_BATCH_SIZE,
) -> list[uuid.UUID]:
    """Create the readings for ``reading_date`` of every user (or of ``user_ids``) lacking one,
    whatever their delivery time. Returns the ids created."""
    created = _generate(reading_date=reading_date, user_ids=user_ids, batch_size=batch_size)
    if created:
        logger.info(
            "daily readings generated",
            extra={"count": len(created), "reading_date": reading_date.isoformat()},
        )
    return created
