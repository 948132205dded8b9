"""Scheduled generation: due users by local time, idempotency, hooks, query counts, command."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.test import TestCase

from readings import services, tasks
from readings.models import DailyReading
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).astimezone(UTC)


def dates_of(*users) -> dict:
    """{user: sorted reading dates}."""
    return {
        user.pk: sorted(
            DailyReading.objects.filter(user=user).values_list("reading_date", flat=True)
        )
        for user in users
    }


# --- time zones -------------------------------------------------------------------------------
def test_utc_plus_14_and_utc_minus_11_at_the_same_instant():
    kiritimati = UserFactory(timezone="Pacific/Kiritimati")  # UTC+14
    pago_pago = UserFactory(timezone="Pacific/Pago_Pago")  # UTC-11
    utc = UserFactory(timezone="UTC")

    # 10:30 UTC on Jan 15 is 00:30 on Jan 16 in Kiritimati (not yet 07:00) and
    # 23:30 on Jan 14 in Pago Pago (past 07:00): three local dates at one instant.
    created = services.daily_readings_generate_due(now=at("2025-01-15T10:30:00+00:00"))
    assert len(created) == 2
    assert dates_of(kiritimati, pago_pago, utc) == {
        kiritimati.pk: [],
        pago_pago.pk: [dt.date(2025, 1, 14)],
        utc.pk: [dt.date(2025, 1, 15)],
    }

    # 17:00 UTC is 07:00 on Jan 16 in Kiritimati and 06:00 on Jan 15 in Pago Pago.
    created = services.daily_readings_generate_due(now=at("2025-01-15T17:00:00+00:00"))
    assert len(created) == 1
    assert dates_of(kiritimati, pago_pago) == {
        kiritimati.pk: [dt.date(2025, 1, 16)],
        pago_pago.pk: [dt.date(2025, 1, 14)],
    }

    # 18:00 UTC: 07:00 on Jan 15 in Pago Pago, 26 hours behind Kiritimati's date.
    created = services.daily_readings_generate_due(now=at("2025-01-15T18:00:00+00:00"))
    assert len(created) == 1
    assert dates_of(pago_pago)[pago_pago.pk] == [dt.date(2025, 1, 14), dt.date(2025, 1, 15)]


@pytest.mark.parametrize(
    ("zone", "before", "after", "local_date"),
    [
        # New York springs forward on 2025-03-09: 07:00 EDT is 11:00 UTC (not 12:00).
        ("America/New_York", "2025-03-09T10:59:59Z", "2025-03-09T11:00:00Z", "2025-03-09"),
        # ... and falls back on 2025-11-02: 07:00 EST is 12:00 UTC (not 11:00).
        ("America/New_York", "2025-11-02T11:59:59Z", "2025-11-02T12:00:00Z", "2025-11-02"),
        # London on the last Sunday of March: 07:00 BST is 06:00 UTC.
        ("Europe/London", "2025-03-30T05:59:00Z", "2025-03-30T06:00:00Z", "2025-03-30"),
        # Lord Howe moves by half an hour (UTC+11 -> UTC+10:30) on 2025-04-06.
        ("Australia/Lord_Howe", "2025-04-05T20:29:00Z", "2025-04-05T20:30:00Z", "2025-04-06"),
        # UTC-12 (no DST): the last place on earth to reach 07:00.
        ("Etc/GMT+12", "2025-06-15T18:59:00Z", "2025-06-15T19:00:00Z", "2025-06-15"),
    ],
)
def test_delivery_time_is_local_across_dst(zone, before, after, local_date):
    user = UserFactory(timezone=zone)
    # The previous local day's reading exists, so only the DST day is in question.
    services.daily_readings_generate_for_date(
        reading_date=dt.date.fromisoformat(local_date) - dt.timedelta(days=1)
    )
    assert services.daily_readings_generate_due(now=at(before)) == []
    created = services.daily_readings_generate_due(now=at(after))
    assert len(created) == 1
    reading = DailyReading.objects.get(pk=created[0])
    assert reading.user_id == user.pk
    assert reading.reading_date == dt.date.fromisoformat(local_date)
    assert at(after).astimezone(ZoneInfo(zone)).date() == reading.reading_date


def test_users_without_a_birth_date_or_inactive_are_skipped():
    UserFactory(date_of_birth=None)
    UserFactory(is_active=False)
    born_later = UserFactory(date_of_birth=dt.date(2025, 1, 16))
    due = UserFactory()
    created = services.daily_readings_generate_due(now=at("2025-01-15T12:00:00+00:00"))
    assert [DailyReading.objects.get(pk=i).user_id for i in created] == [due.pk]
    assert not DailyReading.objects.filter(user=born_later).exists()


def test_unknown_time_zone_is_read_as_utc():
    user = UserFactory()
    type(user).objects.filter(pk=user.pk).update(timezone="Mars/Olympus_Mons")
    created = services.daily_readings_generate_due(now=at("2025-01-15T07:00:00+00:00"))
    assert DailyReading.objects.get(pk=created[0]).reading_date == dt.date(2025, 1, 15)


def test_now_must_be_aware():
    with pytest.raises(ValueError, match="timezone-aware"):
        services.daily_readings_generate_due(now=dt.datetime(2025, 1, 15, 12))


# --- idempotency, hooks, query counts ---------------------------------------------------------
def test_repeated_runs_create_nothing_more(hook_recorder):
    users = UserFactory.create_batch(7)
    now = at("2025-01-15T12:00:00+00:00")
    with TestCase.captureOnCommitCallbacks(execute=True):
        first = services.daily_readings_generate_due(now=now, batch_size=3)
    with TestCase.captureOnCommitCallbacks(execute=True):
        second = services.daily_readings_generate_due(now=now, batch_size=3)
        third = services.daily_readings_generate_due(now=now + dt.timedelta(minutes=5))
    assert len(first) == len(set(first)) == 7
    assert second == [] and third == []
    assert DailyReading.objects.count() == 7
    assert sorted(hook_recorder.ids) == sorted(first)
    assert {r.user_id for r in DailyReading.objects.all()} == {u.pk for u in users}


def test_hook_gets_each_created_reading_once_after_commit(hook_recorder):
    UserFactory.create_batch(5)
    with TestCase.captureOnCommitCallbacks(execute=False) as callbacks:
        created = services.daily_readings_generate_due(
            now=at("2025-01-15T12:00:00+00:00"), batch_size=2
        )
    assert hook_recorder.calls == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert [len(call) for call in hook_recorder.calls] == [2, 2, 1]  # one call per batch
    assert sorted(hook_recorder.ids) == sorted(created)


def test_a_failing_subscriber_does_not_stop_the_others(hook_recorder, caplog):
    from readings import hooks

    def broken(*, reading_ids):
        raise RuntimeError("push service down")

    hooks.on_daily_readings_created(broken)
    hooks.on_daily_readings_created(hook_recorder)  # subscribing twice is a no-op
    try:
        UserFactory()
        with TestCase.captureOnCommitCallbacks(execute=True):
            created = services.daily_readings_generate_due(now=at("2025-01-15T12:00:00+00:00"))
    finally:
        hooks.off_daily_readings_created(broken)
    assert hook_recorder.ids == created
    assert "daily reading subscriber" in caplog.text


def test_generation_queries_do_not_grow_with_users(django_assert_max_num_queries):
    # 23:00 UTC: 08:00 on Jan 16 in Tokyo, 17:00 on Jan 15 in Chicago (two local dates).
    # The time-zone list, then per local date one select and one insert batch (in its
    # savepoint; on SQLite the insert and the check of the fresh ids): a fixed count.
    counts = []
    for n_users in (3, 60):
        DailyReading.objects.all().delete()
        type(UserFactory()).objects.all().delete()
        UserFactory.create_batch(n_users, timezone="Asia/Tokyo")
        UserFactory.create_batch(n_users, timezone="America/Chicago")
        with django_assert_max_num_queries(11) as queries:
            created = services.daily_readings_generate_due(now=at("2025-01-15T23:00:00+00:00"))
        assert len(created) == 2 * n_users
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_batches_bound_the_queries(django_assert_max_num_queries):
    UserFactory.create_batch(10)
    # 10 users by batches of 4: the time zones, the users due, then 3 batches of
    # (savepoint, insert, check of the fresh ids on SQLite, release).
    with django_assert_max_num_queries(2 + 3 * 4):
        created = services.daily_readings_generate_due(
            now=at("2025-01-15T12:00:00+00:00"), batch_size=4
        )
    assert len(created) == 10


def test_readings_go_with_their_user():
    user = UserFactory()
    services.daily_readings_generate_for_date(reading_date=dt.date(2025, 1, 15))
    user.delete()
    assert not DailyReading.objects.exists()


# --- task and command -------------------------------------------------------------------------
def _zone_past_delivery() -> str:
    now = dt.datetime.now(UTC)
    for offset in range(-12, 15):
        zone = f"Etc/GMT{-offset:+d}" if offset else "UTC"
        if 8 <= now.astimezone(ZoneInfo(zone)).hour <= 22:
            return zone
    raise AssertionError("no zone between 08:00 and 22:00")


def test_the_beat_task_generates_due_readings():
    from django.conf import settings

    from numerai.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["readings-daily-generate-due"]
    assert entry["task"] == tasks.daily_generate_due.name
    assert entry["task"] in app.tasks
    user = UserFactory(timezone=_zone_past_delivery())
    assert tasks.daily_generate_due.apply().get() == 1
    assert tasks.daily_generate_due.apply().get() == 0
    assert DailyReading.objects.filter(user=user).count() == 1


def test_command_now():
    UserFactory(timezone="Pacific/Pago_Pago")
    out = StringIO()
    call_command("readings_generate", "--now", "2025-01-15T10:30:00Z", stdout=out)
    assert "Created 1 daily reading(s)." in out.getvalue()
    assert DailyReading.objects.get().reading_date == dt.date(2025, 1, 14)
    call_command("readings_generate", "--now", "2025-01-15T10:30:00", stdout=out)  # naive: UTC
    assert "Created 0" in out.getvalue()


def test_command_date_ignores_delivery_times():
    UserFactory.create_batch(3, timezone="Pacific/Kiritimati")
    out = StringIO()
    call_command("readings_generate", "--date", "2025-02-01", stdout=out)
    assert "Created 3" in out.getvalue()
    assert set(DailyReading.objects.values_list("reading_date", flat=True)) == {
        dt.date(2025, 2, 1)
    }


def test_command_user_generates_for_one_user(hook_recorder):
    user, other = UserFactory(timezone="Pacific/Kiritimati"), UserFactory()
    out = StringIO()
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("readings_generate", "--user", user.email, "--date", "2025-02-01", stdout=out)
        # By id, at an instant: the user's local date then (00:30 on Jan 16 in Kiritimati),
        # although their delivery time has not come.
        call_command(
            "readings_generate", "--user", str(user.pk), "--now", "2025-01-15T10:30:00Z",
            stdout=out,
        )
    assert dates_of(user, other) == {
        user.pk: [dt.date(2025, 1, 16), dt.date(2025, 2, 1)],
        other.pk: [],
    }
    assert len(hook_recorder.ids) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--now", "yesterday"], "--now"),
        (["--date", "2025-02-30"], "--date"),
        (["--now", "2025-01-15T10:00:00Z", "--date", "2025-01-15"], "not both"),
        (["--user", "nobody@example.com"], "--user"),
        (["--user", "not-a-uuid"], "--user"),
    ],
)
def test_command_errors(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("readings_generate", *args, stdout=StringIO())


def test_command_user_without_birth_date():
    user = UserFactory(date_of_birth=None)
    with pytest.raises(CommandError, match="no date of birth"):
        call_command("readings_generate", "--user", user.email, stdout=StringIO())


# --- notification settings --------------------------------------------------------------------
def test_delivery_time_comes_from_the_notification_settings():
    from accounts.models import NotificationSettings

    default = UserFactory(timezone="UTC")  # no settings row: 07:00
    late = UserFactory(timezone="UTC")
    NotificationSettings.objects.create(user=late, delivery_time=dt.time(9, 30))
    tokyo = UserFactory(timezone="Asia/Tokyo")
    NotificationSettings.objects.create(user=tokyo, delivery_time=dt.time(18, 0))
    kiritimati = UserFactory(timezone="Pacific/Kiritimati")
    NotificationSettings.objects.create(user=kiritimati, delivery_time=dt.time(0, 15))
    # Pushes off: the reading is still made (the app shows it); delivery layers skip the push.
    muted = UserFactory(timezone="UTC")
    NotificationSettings.objects.create(user=muted, daily_reading_enabled=False)

    def users_of(created):
        return {DailyReading.objects.get(pk=i).user_id for i in created}

    # 08:00 UTC = 17:00 in Tokyo, 22:00 on Jan 15 in Kiritimati.
    created = services.daily_readings_generate_due(now=at("2025-01-15T08:00:00Z"))
    assert users_of(created) == {default.pk, muted.pk, kiritimati.pk}
    created = services.daily_readings_generate_due(now=at("2025-01-15T09:30:00Z"))
    assert users_of(created) == {late.pk, tokyo.pk}  # Tokyo: 18:30
    # 10:14 UTC is 00:14 on Jan 16 in Kiritimati; its 00:15 delivery comes a minute later.
    assert services.daily_readings_generate_due(now=at("2025-01-15T10:14:00Z")) == []
    created = services.daily_readings_generate_due(now=at("2025-01-15T10:15:00Z"))
    assert [DailyReading.objects.get(pk=i).reading_date for i in created] == [dt.date(2025, 1, 16)]
