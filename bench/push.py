"""Benchmark: build and hand off the daily-reading pushes of N devices to a local FCM endpoint.

    .venv/bin/python -m bench.push                      # 10,000 devices, 2 per user (~1 min)
    .venv/bin/python -m bench.push --devices 100000     # the issue's figure
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/numerai_h7 .venv/bin/python -m bench.push

What is timed is the production path after the readings exist, in two stages:

1. build: the `readings.hooks` subscriber `realtime.push.daily_readings_push`, called with the
   new reading ids in chunks of 5,000 (as generation hands them over): readings loaded, the
   users' settings checked, one `PushDelivery` per user recorded, delivery ids handed to the
   ``accounts.push_deliver`` task in batches of 100 (captured here instead of a broker);
2. hand-off: every captured task run as a worker runs it (``--workers`` threads, each like a
   Celery worker process): deliveries claimed, devices and settings loaded, FCM messages
   built, sent with the real firebase-admin SDK (``send_each_for_multicast``) to
   ``tests/support/fake_fcm.py`` in a process of its own, outcomes stored, dead tokens
   deleted (``--dead-percent`` of the tokens answer UNREGISTERED).

The FCM v1 API takes one HTTP request per token; the SDK sends each on a thread of its own.
Printed: pushes (devices) per second for each stage and overall; the JSON goes to
var/bench/push.json. The database is a fresh one of its own (SQLite file under a temporary
directory, or ``<name>_bench_push`` on PostgreSQL when DATABASE_URL is set), dropped after.

Never collected by pytest (it lives outside tests/ and is not named test_*).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
READING_DATE = date(2026, 11, 27)
CHUNK = 5000  # reading ids per hook call


def _setup_django(var_dir: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "numerai.settings")
    os.environ.setdefault("SECRET_KEY", "bench-" + secrets.token_urlsafe(40))
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ["NUMERAI_VAR_DIR"] = str(var_dir)
    os.environ["EMBEDDED_SCHEDULER"] = "0"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    import logging

    logging.getLogger("urllib3").setLevel(logging.ERROR)  # "connection pool is full" noise


def _start_fake(dead_prefix: str) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.fake_fcm", "--no-record",
         "--prefix-outcome", f"{dead_prefix}=unregistered"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    line = process.stdout.readline().strip()
    if not line.startswith("fake FCM listening on "):
        process.kill()
        raise RuntimeError(f"the fake FCM server did not start: {line!r}")
    return process, line.rsplit(" ", 1)[1]


def _fake_stats(base_url: str) -> dict:
    import urllib.request

    with urllib.request.urlopen(base_url + "/stats", timeout=10) as response:
        return json.loads(response.read())


def _populate(n_devices: int, per_user: int, dead_percent: float, dead_prefix: str) -> list:
    """Users, their devices and today's readings (not timed). Returns the reading ids."""
    from django.contrib.auth.hashers import make_password

    from accounts.models import Device, User
    from readings.models import DailyReading

    n_users = -(-n_devices // per_user)
    password = make_password(None)
    now = datetime.now(UTC)
    users = [
        User(id=uuid.uuid4(), email=f"push{i}@example.com", password=password,
             full_name=f"Push User {i}", date_of_birth=date(1990, 1, 1 + i % 28),
             is_verified=True, timezone="UTC")
        for i in range(n_users)
    ]  # fmt: skip
    User.objects.bulk_create(users, batch_size=2000)
    dead_every = round(100 / dead_percent) if dead_percent else 0
    devices = []
    for i in range(n_devices):
        dead = dead_every and i % dead_every == 0
        prefix = dead_prefix if dead else "live-"
        devices.append(
            Device(id=uuid.uuid4(), user_id=users[i // per_user].pk,
                   token=f"{prefix}{i:07d}:APA91b{secrets.token_urlsafe(105)}",
                   platform=("android", "ios", "web")[i % 3], app_version="1.0.0",
                   last_seen=now)
        )  # fmt: skip
    Device.objects.bulk_create(devices, batch_size=2000)
    readings = [
        DailyReading(id=uuid.uuid4(), user_id=user.pk, reading_date=READING_DATE,
                     personal_year=3, personal_month=5, personal_day=1 + i % 9, lucky_number=7,
                     lucky_colour_name="Indigo", lucky_colour_hex="#4B0082",
                     affirmation="I welcome what today brings with an open heart.",
                     generated_at=now)
        for i, user in enumerate(users)
    ]  # fmt: skip
    DailyReading.objects.bulk_create(readings, batch_size=2000)
    return [reading.pk for reading in readings]


def run(args) -> dict:
    from django.conf import settings
    from django.db import connection, connections
    from django.test.utils import setup_databases, teardown_databases

    from accounts import services, tasks
    from accounts.models import Device, PushDelivery
    from accounts.push import get_push_backend, reset_push_backend
    from realtime.push import daily_readings_push
    from tests.support.fake_fcm import point_at_fake, write_service_account

    dead_prefix = "dead-"
    fake, base_url = _start_fake(dead_prefix)
    work = Path(tempfile.mkdtemp(prefix="bench-push-"))
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        db.setdefault("TEST", {})["NAME"] = str(work / "bench_push.sqlite3")
    else:
        db.setdefault("TEST", {})["NAME"] = f"{db['NAME']}_bench_push"
    print(f"database {db['TEST']['NAME']} (created and migrated) …", flush=True)
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        account = write_service_account(
            work / "service-account.json", token_uri=base_url + "/token"
        )
        settings.FIREBASE_CREDENTIALS_PATH = str(account.path)
        settings.PUSH_BACKEND = "accounts.push.fcm.FCMPush"
        reset_push_backend()
        backend = get_push_backend()
        backend._concurrency = args.concurrency
        point_at_fake(backend, base_url)

        start = time.perf_counter()
        reading_ids = _populate(args.devices, args.devices_per_user, args.dead_percent,
                                dead_prefix)  # fmt: skip
        populate_s = time.perf_counter() - start
        print(f"created {len(reading_ids):,} users with {args.devices:,} devices and their "
              f"readings in {populate_s:.1f} s", flush=True)  # fmt: skip

        # 1. build: the readings hook subscriber records deliveries and hands off task batches.
        handed_off: list[list[str]] = []
        original_delay = tasks.push_deliver.delay
        tasks.push_deliver.delay = lambda delivery_ids: handed_off.append(delivery_ids)
        try:
            start = time.perf_counter()
            for first in range(0, len(reading_ids), CHUNK):
                daily_readings_push(reading_ids=reading_ids[first : first + CHUNK])
            build_s = time.perf_counter() - start
        finally:
            tasks.push_deliver.delay = original_delay
        deliveries = sum(len(batch) for batch in handed_off)
        print(f"build: {deliveries:,} deliveries in {len(handed_off):,} tasks in "
              f"{build_s:.2f} s", flush=True)  # fmt: skip

        # 2. hand-off: the tasks, as workers run them, send to the local FCM endpoint.
        reports: list[dict] = []
        errors: list[BaseException] = []
        queue = list(reversed(handed_off))
        lock = threading.Lock()

        def worker() -> None:
            try:
                while True:
                    with lock:
                        if not queue:
                            return
                        batch = queue.pop()
                    try:
                        report = services.push_deliveries_send(delivery_ids=batch).as_dict()
                    except services.PushRetryNeeded:
                        report = {"retry": 1}
                    with lock:
                        reports.append(report)
            except BaseException as exc:  # reported after the run
                errors.append(exc)
            finally:
                connections.close_all()

        start = time.perf_counter()
        threads = [threading.Thread(target=worker) for _ in range(args.workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        send_s = time.perf_counter() - start
        if errors:
            raise errors[0]
        totals: dict[str, int] = {}
        for report in reports:
            for key, value in report.items():
                totals[key] = totals.get(key, 0) + value
        stats = _fake_stats(base_url)
        remaining_devices = Device.objects.count()
        sent = PushDelivery.objects.filter(status="sent").count()
        backend.close()
        reset_push_backend()
    finally:
        teardown_databases(old_config, verbosity=0)
        fake.terminate()
        fake.wait(timeout=30)

    total_s = build_s + send_s
    return {
        "benchmark": "push.daily_reading",
        "devices": args.devices,
        "users": len(reading_ids),
        "devices_per_user": args.devices_per_user,
        "dead_percent": args.dead_percent,
        "workers": args.workers,
        "fcm_job_concurrency": args.concurrency,
        "database": connection.vendor,
        "build_seconds": round(build_s, 3),
        "build_pushes_per_second": round(args.devices / build_s),
        "handoff_seconds": round(send_s, 3),
        "handoff_pushes_per_second": round(args.devices / send_s),
        "total_seconds": round(total_s, 3),
        "pushes_per_second": round(args.devices / total_s),
        "tasks": len(handed_off),
        "deliveries_sent": sent,
        "tokens": totals,
        "fcm_requests": stats,
        "devices_left": remaining_devices,
        "machine": {"cpus": os.cpu_count(), "load_1m": round(os.getloadavg()[0], 2),
                    "python": platform.python_version()},
        "timestamp": datetime.now(UTC).isoformat(),
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--devices-per-user", type=int, default=2)
    parser.add_argument("--dead-percent", type=float, default=1.0,
                        help="tokens the fake answers UNREGISTERED")  # fmt: skip
    parser.add_argument("--workers", type=int, default=4,
                        help="tasks run side by side (like Celery worker processes)")  # fmt: skip
    parser.add_argument("--concurrency", type=int, default=8,
                        help="FCM jobs (users) sent side by side within a task")  # fmt: skip
    parser.add_argument("--output", default=str(ROOT / "var" / "bench" / "push.json"))
    args = parser.parse_args(argv)

    _setup_django(Path(tempfile.mkdtemp(prefix="bench-push-var-")))
    result = run(args)
    print(
        f"{result['devices']:,} devices ({result['users']:,} users): build "
        f"{result['build_seconds']:.2f} s ({result['build_pushes_per_second']:,} pushes/s), "
        f"hand-off to FCM {result['handoff_seconds']:.2f} s "
        f"({result['handoff_pushes_per_second']:,} pushes/s)"
    )
    print(
        f"total {result['total_seconds']:.2f} s = {result['pushes_per_second']:,} pushes/second "
        f"({result['database']}, {result['workers']} workers, load "
        f"{result['machine']['load_1m']} on {result['machine']['cpus']} CPUs); tokens "
        f"{result['tokens'].get('tokens_ok', 0):,} ok, "
        f"{result['tokens'].get('tokens_removed', 0):,} removed"
    )
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
