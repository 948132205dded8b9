"""The delivery time of the notification settings schedules the daily reading (local time)."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.models import NotificationSettings
from readings import services
from readings.models import DailyReading
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).astimezone(dt.UTC)


def test_a_0900_delivery_time_is_not_due_at_0800_and_due_at_0905():
    # Paris is UTC+1 in November: 08:00 local is 07:00 UTC.
    nine = UserFactory(timezone="Europe/Paris")
    NotificationSettings.objects.create(user=nine, delivery_time=dt.time(9, 0))
    default = UserFactory(timezone="Europe/Paris")  # no settings: 07:00

    created = services.daily_readings_generate_due(now=at("2026-11-27T07:00:00+00:00"))
    assert [DailyReading.objects.get(pk=pk).user_id for pk in created] == [default.pk]

    assert services.daily_readings_generate_due(now=at("2026-11-27T07:59:00+00:00")) == []

    created = services.daily_readings_generate_due(now=at("2026-11-27T08:05:00+00:00"))
    [reading] = DailyReading.objects.filter(pk__in=created)
    assert (reading.user_id, reading.reading_date) == (nine.pk, dt.date(2026, 11, 27))


def test_an_early_delivery_time_and_readings_for_users_with_pushes_off():
    # Readings are made for everyone (the app shows them); only the push obeys the switch.
    early = UserFactory(timezone="UTC")
    NotificationSettings.objects.create(
        user=early, delivery_time=dt.time(5, 30), daily_reading_enabled=False
    )
    assert services.daily_readings_generate_due(now=at("2026-11-27T05:29:00+00:00")) == []
    created = services.daily_readings_generate_due(now=at("2026-11-27T05:30:00+00:00"))
    assert [DailyReading.objects.get(pk=pk).user_id for pk in created] == [early.pk]
