"""GET numerology/daily-reading and its history."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import TestCase

from readings import content, engine, selectors, services
from readings.models import DailyReading
from tests.factories import UserFactory
from tests.readings.helpers import assert_error, client_for, data

pytestmark = pytest.mark.django_db

READING = "/api/v1/numerology/daily-reading"
HISTORY = "/api/v1/numerology/daily-reading/history"
READING_KEYS = {
    "id", "date", "personal_year", "personal_month", "personal_day", "lucky_number",
    "lucky_colour", "affirmation", "generated_at",
}


def expected_values(user, reading_date: dt.date) -> dict:
    """What NUMEROLOGY.md and the brief define, computed independently of the service."""
    personal = engine.personal_numbers(user.date_of_birth, reading_date)
    seed = f"{user.pk}:{reading_date.isoformat()}"
    name, hex_code = engine.deterministic_choice(seed, content.lucky_colours(personal.day))
    return {
        "personal_year": personal.year,
        "personal_month": personal.month,
        "personal_day": personal.day,
        "lucky_number": engine.deterministic_choice(seed, content.lucky_numbers(personal.day)),
        "lucky_colour": {"name": name, "hex": hex_code},
        "affirmation": engine.deterministic_choice(seed, content.affirmations(personal.day)),
    }


def test_daily_reading_shape_and_meanings(api, user):
    reading = data(api.get(READING))
    assert set(reading) == READING_KEYS
    today = selectors.user_local_date(user=user)
    assert reading["date"] == today.isoformat()
    for kind in ("personal_year", "personal_month", "personal_day"):
        assert reading[kind]["meaning"] == content.meaning(kind, reading[kind]["value"])
    expected = expected_values(user, today)
    assert reading["personal_day"]["value"] == expected["personal_day"]
    assert reading["personal_year"]["value"] == expected["personal_year"]
    assert reading["lucky_number"] == expected["lucky_number"]
    assert reading["lucky_colour"] == expected["lucky_colour"]
    assert reading["affirmation"] == expected["affirmation"]
    hex_code = reading["lucky_colour"]["hex"]
    assert hex_code.startswith("#") and len(hex_code) == 7
    assert reading["generated_at"].endswith("Z")


def test_daily_reading_is_created_once_and_then_returned(api, user, hook_recorder):
    first = data(api.get(READING))
    second = data(api.get(READING))
    assert first == second
    assert DailyReading.objects.filter(user=user).count() == 1
    # The reading created on demand went to the subscribers once, after commit.
    assert [str(i) for i in hook_recorder.ids] == [first["id"]]


def test_existing_reading_costs_two_queries(api, django_assert_max_num_queries):
    data(api.get(READING))
    with django_assert_max_num_queries(2):  # the token's user, the reading
        data(api.get(READING))


def test_daily_reading_is_deterministic_per_user_and_date(user):
    today = selectors.user_local_date(user=user)
    with TestCase.captureOnCommitCallbacks(execute=True):
        reading = services.daily_reading_get_or_create(user=user, reading_date=today)
    payload = selectors.daily_reading_payload(reading)
    reading.delete()
    # Made again, by the scheduled (set-based) path this time: the same values.
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.daily_readings_generate_for_date(reading_date=today, user_ids=[user.pk])
    again = selectors.daily_reading_payload(DailyReading.objects.get(user=user))
    for key in READING_KEYS - {"id", "generated_at"}:
        assert again[key] == payload[key]


def test_readings_differ_between_users_and_days():
    users = UserFactory.create_batch(12, date_of_birth=dt.date(1990, 5, 17))
    day = dt.date(2025, 1, 15)
    services.daily_readings_generate_for_date(reading_date=day)
    services.daily_readings_generate_for_date(reading_date=day + dt.timedelta(days=1))
    picks = {
        (r.lucky_number, r.lucky_colour_name, r.affirmation)
        for r in DailyReading.objects.filter(user__in=users, reading_date=day)
    }
    assert len(picks) > 1  # same birth date, same personal day, different picks
    days = {r.personal_day for r in DailyReading.objects.filter(user=users[0])}
    assert len(days) == 2


def test_daily_reading_uses_the_users_local_date(db):
    user = UserFactory(timezone="Pacific/Kiritimati")
    reading = data(client_for(user).get(READING))
    assert reading["date"] == selectors.user_local_date(user=user).isoformat()


def test_daily_reading_without_a_date_of_birth_is_a_409(db):
    user = UserFactory(date_of_birth=None)
    assert_error(client_for(user).get(READING), 409, "PROFILE_INCOMPLETE")
    assert data(client_for(user).get(HISTORY)) == []
    assert not DailyReading.objects.exists()


def test_daily_reading_payload_is_json_ready(api, user):
    import json

    data(api.get(READING))
    payload = selectors.daily_reading_payload(DailyReading.objects.get(user=user))
    assert json.loads(json.dumps(payload)) == payload


# --- history ----------------------------------------------------------------------------------
def _readings_for(user, days: int, start=dt.date(2025, 1, 1)) -> list[dt.date]:
    dates = [start + dt.timedelta(days=i) for i in range(days)]
    for day in dates:
        services.daily_readings_generate_for_date(reading_date=day, user_ids=[user.pk])
    return dates


def test_history_pages_backwards_with_an_opaque_cursor(api, user):
    dates = _readings_for(user, 5)
    other = UserFactory()
    _readings_for(other, 3)
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 2} if cursor is None else {"limit": 2, "cursor": cursor}
        response = api.get(HISTORY, params)
        assert response.status_code == 200
        body = response.json()
        assert set(body["pagination"]) == {"next_cursor", "has_more"}
        for reading in body["data"]:
            assert set(reading) == READING_KEYS
        seen += [reading["date"] for reading in body["data"]]
        pages += 1
        cursor = body["pagination"]["next_cursor"]
        if not body["pagination"]["has_more"]:
            assert cursor is None
            break
        assert cursor and "2025" not in cursor  # opaque
    assert pages == 3
    assert seen == [d.isoformat() for d in reversed(dates)]


def test_history_default_limit_and_empty_history(api, user):
    body = api.get(HISTORY).json()
    assert body["data"] == [] and body["pagination"] == {"next_cursor": None, "has_more": False}
    _readings_for(user, 25)
    body = api.get(HISTORY).json()
    assert len(body["data"]) == 20 and body["pagination"]["has_more"] is True
    body = api.get(HISTORY, {"limit": 100}).json()
    assert len(body["data"]) == 25 and body["pagination"]["has_more"] is False


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "ZDE6bm90LWEtZGF0ZQ"}, "cursor"),
    ],
)
def test_history_rejects_bad_parameters(api, params, field):
    assert_error(api.get(HISTORY, params), 400, "VALIDATION_ERROR", field)


def test_history_needs_authentication(db):
    from rest_framework.test import APIClient

    assert APIClient().get(HISTORY).status_code == 401
