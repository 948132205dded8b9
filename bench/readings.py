"""Benchmark: daily readings for N users generated into PostgreSQL in one run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/numerai .venv/bin/python -m bench.readings \
        --users 100000

Target (DESIGN.md): 100,000 readings in <= 5 s, beside a raw psycopg COPY of the same rows
(about 1 s here) as the baseline. The benchmark works in a database of its own
(``<name>_bench_readings``, created and dropped), creates N users with COPY spread over time
zones that are all past their 07:00 delivery time at the chosen instant, times one
`daily_readings_generate_due` run (and a second, idempotent one), counts its queries with
``connection.execute_wrapper``, COPYs the very rows it produced into a twin table as the
baseline, prints the numbers and writes them to var/bench/readings.json.

Never collected by pytest (it lives outside tests/ and is not named test_*).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# At NOW every one of these zones is past 07:00 on 2025-06-15 (DST zones included).
NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)
TIMEZONES = (
    "UTC",
    "Europe/London",
    "Europe/Paris",
    "Europe/Berlin",
    "Africa/Lagos",
    "Africa/Johannesburg",
    "Europe/Moscow",
    "Asia/Dubai",
    "Asia/Karachi",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Asia/Dhaka",
    "Asia/Bangkok",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Sydney",
    "America/New_York",
    "America/Sao_Paulo",
    "America/Chicago",
    "Atlantic/Azores",
)
READING_COLUMNS = (
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


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "numerai.settings")
    os.environ.setdefault("SECRET_KEY", "bench-" + secrets.token_urlsafe(40))
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _users_copy(n: int) -> float:
    """COPY n users into accounts_user; returns the seconds it took."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection

    password = make_password(None)  # unusable: nobody logs in here
    created = datetime.now(UTC)
    start = time.perf_counter()
    with connection.cursor() as cursor:
        columns = (
            "id, password, is_superuser, email, full_name, birth_name, date_of_birth, "
            "timezone, is_verified, is_premium, is_active, is_staff, created_at"
        )
        with cursor.cursor.copy(f"COPY accounts_user ({columns}) FROM STDIN") as copy:
            base = date(1940, 1, 1)
            for i in range(n):
                copy.write_row(
                    (
                        uuid.uuid4(),
                        password,
                        False,
                        f"bench{i}@example.com",
                        f"Bench User {i}",
                        "",
                        base + timedelta(days=(i * 7919) % 25000),
                        TIMEZONES[i % len(TIMEZONES)],
                        True,
                        False,
                        True,
                        False,
                        created,
                    )
                )
        cursor.execute("ANALYZE accounts_user")
    return time.perf_counter() - start


def _baseline_copy() -> tuple[float, int]:
    """COPY the generated readings into a twin table (same columns, indexes, constraints)."""
    from django.db import connection

    columns = ", ".join(READING_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM readings_dailyreading")
        rows = cursor.fetchall()
        cursor.execute(
            "CREATE TABLE bench_readings_copy (LIKE readings_dailyreading INCLUDING ALL)"
        )
        start = time.perf_counter()
        with connection.cursor() as inner, inner.cursor.copy(
            f"COPY bench_readings_copy ({columns}) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row(row)
        elapsed = time.perf_counter() - start
        cursor.execute("DROP TABLE bench_readings_copy")
    return elapsed, len(rows)


def run(n_users: int, keep: bool, batch_size: int) -> dict:
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    from readings import hooks, services
    from readings.models import DailyReading

    db = settings.DATABASES["default"]
    db.setdefault("TEST", {})["NAME"] = f"{db['NAME']}_bench_readings"
    print(f"database {db['TEST']['NAME']} (created and migrated) …", flush=True)
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        users_s = _users_copy(n_users)
        print(f"created {n_users:,} users by COPY in {users_s:.2f} s", flush=True)

        queries = 0
        copies = 0

        def count(execute, sql, params, many, context):
            nonlocal queries
            queries += 1
            return execute(sql, params, many, context)

        # COPY does not go through execute(): count it apart.
        import psycopg

        original_copy = psycopg.Cursor.copy

        def counted_copy(self, *args, **kwargs):
            nonlocal copies
            copies += 1
            return original_copy(self, *args, **kwargs)

        psycopg.Cursor.copy = counted_copy
        # Time the generation itself: delivery subscribers (live events, pushes) are not part
        # of it and run elsewhere in their own benchmarks.
        subscribers = hooks.daily_readings_subscribers()
        for subscriber in subscribers:
            hooks.off_daily_readings_created(subscriber)

        with connection.execute_wrapper(count):
            start = time.perf_counter()
            created = services.daily_readings_generate_due(now=NOW, batch_size=batch_size)
            generate_s = time.perf_counter() - start
        first_run_queries, first_run_copies = queries, copies
        queries = copies = 0
        with connection.execute_wrapper(count):
            start = time.perf_counter()
            again = services.daily_readings_generate_due(now=NOW, batch_size=batch_size)
            repeat_s = time.perf_counter() - start
        repeat_queries = queries
        psycopg.Cursor.copy = original_copy
        for subscriber in subscribers:
            hooks.on_daily_readings_created(subscriber)
        stored = DailyReading.objects.count()
        copy_s, copied = _baseline_copy()
    finally:
        if not keep:
            teardown_databases(old_config, verbosity=0)

    result = {
        "benchmark": "readings.daily_generate",
        "users": n_users,
        "batch_size": batch_size,
        "created": len(created),
        "stored": stored,
        "generate_seconds": round(generate_s, 3),
        "users_per_second": round(n_users / generate_s),
        "queries": first_run_queries,
        "copy_statements": first_run_copies,
        "queries_per_1000_users": round(first_run_queries / (n_users / 1000), 3),
        "statements_per_1000_users": round(
            (first_run_queries + first_run_copies) / (n_users / 1000), 3
        ),
        "repeat_run_created": len(again),
        "repeat_run_seconds": round(repeat_s, 3),
        "repeat_run_queries": repeat_queries,
        "baseline_copy_rows": copied,
        "baseline_copy_seconds": round(copy_s, 3),
        "baseline_rows_per_second": round(copied / copy_s) if copy_s else None,
        "ratio_to_copy": round(generate_s / copy_s, 2) if copy_s else None,
        "target_seconds_for_100k": 5.0,
        "meets_target": generate_s * (100_000 / n_users) <= 5.0,
        "postgresql": connection.pg_version,
        # Other work on the machine slows generation and the COPY baseline alike.
        "load_average_1m": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
        "timestamp": datetime.now(UTC).isoformat(),
    }
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    parser.add_argument("--output", default=str(ROOT / "var" / "bench" / "readings.json"))
    args = parser.parse_args(argv)

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("bench.readings: skipped, it needs PostgreSQL (set DATABASE_URL=postgres://…).")
        return 0
    _setup_django()
    from readings.services import GENERATION_BATCH_SIZE

    result = run(args.users, args.keep, args.batch_size or GENERATION_BATCH_SIZE)
    print(
        f"generated {result['created']:,} readings for {result['users']:,} users in "
        f"{result['generate_seconds']:.2f} s = {result['users_per_second']:,} users/s "
        f"(target: 100,000 in <= 5 s: {'met' if result['meets_target'] else 'MISSED'})"
    )
    print(
        f"baseline COPY of the same {result['baseline_copy_rows']:,} rows: "
        f"{result['baseline_copy_seconds']:.2f} s = {result['baseline_rows_per_second']:,} "
        f"rows/s; generation/COPY = {result['ratio_to_copy']}x "
        f"(load average {result['load_average_1m']} on {result['cpus']} CPUs)"
    )
    print(
        f"queries: {result['queries']} + {result['copy_statements']} COPY = "
        f"{result['queries_per_1000_users']} queries "
        f"({result['statements_per_1000_users']} statements) per 1,000 users; "
        f"repeat run: {result['repeat_run_created']} created in "
        f"{result['repeat_run_seconds']:.2f} s with {result['repeat_run_queries']} queries"
    )
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
