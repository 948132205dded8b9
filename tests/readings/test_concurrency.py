"""Two generation runs at once against PostgreSQL: no duplicate, no error, one hook per reading."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import pytest
from django.db import connection

from readings import selectors, services
from readings.models import DailyReading
from tests.factories import UserFactory

pytestmark = [pytest.mark.scaled, pytest.mark.django_db(transaction=True)]

NOW = dt.datetime(2025, 1, 15, 12, 0, tzinfo=dt.UTC)


def run_together(*runs: Callable[[], list]) -> list[list]:
    """Run each callable in its own thread (own database connection), started together."""
    start = threading.Barrier(len(runs), timeout=30)
    results: list = [None] * len(runs)
    errors: list[BaseException] = []

    def worker(index: int, run: Callable[[], list]) -> None:
        try:
            start.wait()
            results[index] = run()
        except BaseException as exc:  # reported by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, run)) for i, run in enumerate(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a run did not finish"
    assert errors == [], errors
    return results


def assert_exactly_one_reading_each(users, results, hook_recorder) -> None:
    created = [reading_id for result in results for reading_id in result]
    assert len(created) == len(set(created)) == len(users)
    assert DailyReading.objects.count() == len(users)
    assert sorted(DailyReading.objects.values_list("user_id", flat=True)) == sorted(
        user.pk for user in users
    )
    # The subscribers got every created reading exactly once.
    assert sorted(hook_recorder.ids) == sorted(created)


def test_two_concurrent_runs_create_each_reading_once(hook_recorder):
    # All past 07:00 at NOW (New York: exactly 07:00 EST).
    zones = ("UTC", "Europe/Paris", "Asia/Tokyo", "America/New_York")
    users = [UserFactory(timezone=zones[i % len(zones)]) for i in range(240)]
    results = run_together(
        lambda: services.daily_readings_generate_due(now=NOW, batch_size=17),
        lambda: services.daily_readings_generate_due(now=NOW, batch_size=23),
    )
    assert_exactly_one_reading_each(users, results, hook_recorder)


def test_two_runs_that_selected_the_same_users(hook_recorder, monkeypatch):
    """Both runs see the same users as due before either inserts: the loser's COPY meets the
    unique index, and its batch is merged (skipping what exists) instead of failing."""
    users = UserFactory.create_batch(50)
    selected = threading.Barrier(2, timeout=30)
    select = selectors.user_iter_due_for_daily_reading

    def select_then_wait(**kwargs):
        rows = list(select(**kwargs))
        if rows:
            selected.wait()
        return iter(rows)

    monkeypatch.setattr(selectors, "user_iter_due_for_daily_reading", select_then_wait)
    results = run_together(
        lambda: services.daily_readings_generate_due(now=NOW),
        lambda: services.daily_readings_generate_due(now=NOW),
    )
    assert sorted(len(result) for result in results) == [0, 50]
    assert_exactly_one_reading_each(users, results, hook_recorder)


def test_concurrent_first_requests_share_one_reading(hook_recorder):
    user = UserFactory()
    day = dt.date(2025, 1, 15)
    results = run_together(
        *[
            (lambda: [services.daily_reading_get_or_create(user=user, reading_date=day).pk])
            for _ in range(4)
        ]
    )
    assert len({reading_id for result in results for reading_id in result}) == 1
    assert DailyReading.objects.filter(user=user).count() == 1
    assert len(hook_recorder.ids) == 1


def test_concurrent_first_profile_reads_make_one_profile():
    from readings.models import NumerologyProfile

    user = UserFactory()
    results = run_together(
        *[(lambda: [services.numerology_profile_ensure(user=user).pk]) for _ in range(4)]
    )
    assert len({profile_id for result in results for profile_id in result}) == 1
    assert NumerologyProfile.objects.filter(user=user).count() == 1
