"""GET numerology/profile: the stored birth chart, its cache, and recomputation on change."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import TestCase

from accounts import services as account_services
from readings import selectors
from readings.models import NumerologyProfile
from tests.factories import UserFactory
from tests.readings.helpers import assert_error, client_for, data

pytestmark = pytest.mark.django_db

PROFILE = "/api/v1/numerology/profile"
CALCULATE = "/api/v1/numerology/calculate"
USERS_PROFILE = "/api/v1/users/profile"


def test_profile_is_the_chart_calculate_returns_for_the_user(api, user):
    chart = data(api.get(PROFILE))
    calculated = data(
        api.post(
            CALCULATE,
            {"full_name": user.full_name, "birth_date": user.date_of_birth.isoformat()},
        )
    )
    assert chart.pop("calculated_at")
    assert chart == calculated
    assert chart["numbers"]["life_path"]["value"] == 1
    profile = NumerologyProfile.objects.get(user=user)
    assert (profile.life_path, profile.expression, profile.birthday) == (1, 4, 3)
    assert profile.karmic_debts == [13, 19]
    assert profile.options["system"] == "pythagorean"


def test_profile_uses_the_birth_name_when_there_is_one(db):
    user = UserFactory(
        full_name="Tom Cruise",
        birth_name="Thomas Cruise Mapother",
        date_of_birth=dt.date(1962, 7, 3),
    )
    chart = data(client_for(user).get(PROFILE))
    assert chart["name"]["normalized"] == "THOMAS CRUISE MAPOTHER"
    assert chart["numbers"]["expression"]["compound"] == 31


def test_profile_without_a_date_of_birth_is_a_409(db):
    user = UserFactory(date_of_birth=None)
    body = assert_error(client_for(user).get(PROFILE), 409, "PROFILE_INCOMPLETE")
    assert "date of birth" in body["error"]["message"]
    assert not NumerologyProfile.objects.exists()


def test_profile_of_a_name_without_latin_letters_is_a_409(db):
    user = UserFactory(full_name="李小龍", date_of_birth=dt.date(1940, 11, 27))
    body = assert_error(client_for(user).get(PROFILE), 409, "PROFILE_INCOMPLETE")
    assert "birth name" in body["error"]["message"]


def test_profile_is_cached_per_version_and_day(api, user, django_assert_max_num_queries):
    first = data(api.get(PROFILE))
    profile = NumerologyProfile.objects.get(user=user)
    today = selectors.user_local_date(user=user)
    assert profile.version == 1
    cached = selectors.birth_chart_get(profile=profile, target_date=today)
    assert cached == first
    # The same profile, version and day, read again: the chart already built, not a new one.
    same = NumerologyProfile.objects.get(user=user)
    assert selectors.birth_chart_get(profile=same, target_date=today) is cached
    # Served from the cache: the token's user and the profile row, nothing else.
    with django_assert_max_num_queries(2):
        again = data(api.get(PROFILE))
    assert again == first
    assert again["calculated_at"] == profile.calculated_at.isoformat().replace("+00:00", "Z")
    # Another day or another version is another chart.
    tomorrow = selectors.birth_chart_get(profile=same, target_date=today + dt.timedelta(days=1))
    assert tomorrow is not cached
    same.version += 1
    assert selectors.birth_chart_get(profile=same, target_date=today) is not cached


def test_profile_change_through_the_accounts_endpoint_invalidates_the_cache(api, user):
    before = data(api.get(PROFILE))
    assert before["numbers"]["life_path"]["value"] == 1
    response = api.patch(USERS_PROFILE, {"date_of_birth": "1992-11-22"})
    assert response.status_code == 200, response.content
    # The accounts signal recomputed the profile after commit.
    profile = NumerologyProfile.objects.get(user=user)
    assert profile.version == 2 and profile.birth_date == dt.date(1992, 11, 22)
    after = data(api.get(PROFILE))
    assert after["numbers"]["life_path"]["value"] == 9
    assert after["lo_shu"] != before["lo_shu"]


def test_birth_name_change_through_the_accounts_service_recomputes(user):
    data(client_for(user).get(PROFILE))
    with TestCase.captureOnCommitCallbacks(execute=True):
        account_services.user_profile_update(user=user, data={"birth_name": "Tom Cruise"})
    profile = NumerologyProfile.objects.get(user=user)
    assert profile.name == "Tom Cruise" and profile.version == 2
    chart = data(client_for(user).get(PROFILE))
    assert chart["name"]["normalized"] == "TOM CRUISE"


def test_clearing_the_date_of_birth_removes_the_profile(user):
    data(client_for(user).get(PROFILE))
    with TestCase.captureOnCommitCallbacks(execute=True):
        account_services.user_profile_update(user=user, data={"date_of_birth": None})
    assert not NumerologyProfile.objects.filter(user=user).exists()
    assert_error(client_for(user).get(PROFILE), 409, "PROFILE_INCOMPLETE")


def test_a_profile_removed_and_made_again_is_not_served_from_the_cache(user):
    api = client_for(user)
    assert data(api.get(PROFILE))["numbers"]["life_path"]["value"] == 1
    api.patch(USERS_PROFILE, {"date_of_birth": None})
    api.patch(USERS_PROFILE, {"date_of_birth": "1936-10-12"})
    assert NumerologyProfile.objects.get(user=user).version == 1  # a new profile
    assert data(api.get(PROFILE))["numbers"]["life_path"]["value"] == 5


def test_a_stale_profile_is_recomputed_on_read(api, user):
    """Birth data changed without the signal (e.g. in the admin): the read heals it."""
    data(api.get(PROFILE))
    type(user).objects.filter(pk=user.pk).update(date_of_birth=dt.date(1936, 10, 12))
    chart = data(api.get(PROFILE))
    assert chart["numbers"]["life_path"]["value"] == 5
    assert NumerologyProfile.objects.get(user=user).version == 2


def test_profile_personal_numbers_follow_the_users_today(db):
    user = UserFactory(timezone="Pacific/Kiritimati", date_of_birth=dt.date(1980, 5, 15))
    chart = data(client_for(user).get(PROFILE))
    today = selectors.user_local_date(user=user)
    calculated = data(
        client_for(user).post(
            CALCULATE,
            {
                "full_name": user.full_name,
                "birth_date": "1980-05-15",
                "target_date": today.isoformat(),
            },
        )
    )
    assert chart["numbers"]["personal_day"] == calculated["numbers"]["personal_day"]
