"""POST numerology/calculate and numerology/compatibility: shapes, meanings, errors."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from rest_framework.test import APIClient

from readings import content
from tests.factories import UserFactory
from tests.readings.helpers import assert_error, client_for, data

pytestmark = pytest.mark.django_db

CALCULATE = "/api/v1/numerology/calculate"
COMPATIBILITY = "/api/v1/numerology/compatibility"
TOM = {"full_name": "Thomas Cruise Mapother", "birth_date": "1962-07-03"}
MEANING_KEYS = {"number", "kind", "title", "keywords", "description", "strengths", "challenges"}


def assert_meaning(meaning, kind, number):
    assert set(meaning) == MEANING_KEYS
    assert meaning["kind"] == kind and meaning["number"] == number
    assert meaning == content.meaning(kind, number)


def test_calculate_returns_the_issue_shape_with_meanings(api):
    chart = data(api.post(CALCULATE, {**TOM, "target_date": "2024-01-01"}))
    assert chart["options"] == {
        "system": "pythagorean",
        "life_path_method": "reduce_parts",
        "name_method": "per_part",
        "y_rule": "heuristic",
        "masters": [11, 22, 33],
    }
    assert chart["name"] == {
        "normalized": "THOMAS CRUISE MAPOTHER",
        "parts": ["THOMAS", "CRUISE", "MAPOTHER"],
    }
    numbers = chart["numbers"]
    assert set(numbers) == {
        "life_path", "expression", "soul_urge", "personality", "maturity", "birthday",
        "personal_year", "personal_month", "personal_day",
    }
    life_path = numbers["life_path"]
    assert (life_path["value"], life_path["compound"], life_path["karmic_debt"]) == (1, 19, 19)
    assert_meaning(life_path["meaning"], "life_path", 1)
    assert_meaning(life_path["karmic_debt_meaning"], "karmic_debt", 19)
    expression = numbers["expression"]
    assert (expression["value"], expression["compound"], expression["karmic_debt"]) == (4, 31, None)
    assert "karmic_debt_meaning" not in expression
    assert numbers["birthday"]["value"] == 3 and numbers["birthday"]["day"] == 3
    # Every number carries its meaning.
    for kind, number in numbers.items():
        assert_meaning(number["meaning"], kind, number["value"])
    assert {"value", "meaning"} == set(numbers["personal_year"])
    assert chart["challenges"] == [4, 6, 2, 2]
    assert [p["value"] for p in chart["pinnacles"]] == [1, 3, 4, 7]
    assert chart["pinnacles"][0]["from_age"] == 0 and chart["pinnacles"][0]["to_age"] == 35
    assert chart["pinnacles"][3]["to_age"] is None
    for pinnacle in chart["pinnacles"]:
        assert_meaning(pinnacle["meaning"], "pinnacle", pinnacle["value"])
    assert chart["lo_shu"]["missing"] == [4, 5, 8] and chart["lo_shu"]["repeated"] == []
    assert set(chart["lo_shu"]["counts"]) == {str(d) for d in range(1, 10)}
    assert chart["chaldean"]["compound"] == 80 and chart["chaldean"]["value"] == 8
    assert_meaning(chart["chaldean"]["meaning"], "expression", 8)
    meanings = chart["meanings"]
    for key, kind in (
        ("karmic_lessons", "karmic_lesson"),
        ("hidden_passion", "hidden_passion"),
        ("challenges", "challenge"),
    ):
        assert len(meanings[key]) == len(chart[key])
        for number, meaning in zip(chart[key], meanings[key], strict=True):
            assert_meaning(meaning, kind, number)


def test_calculate_worked_examples(api):
    # NUMEROLOGY.md: Life Path of Nov 22 1992 = 11 + 22 + 3 = 36 -> 9; Oct 12 1936 -> 5.
    chart = data(api.post(CALCULATE, {"full_name": "Ann Lee", "birth_date": "1992-11-22"}))
    assert chart["numbers"]["life_path"]["value"] == 9
    chart = data(api.post(CALCULATE, {"full_name": "Ann Lee", "birth_date": "1936-10-12"}))
    assert chart["numbers"]["life_path"]["value"] == 5
    # Thomas John Hancock: Soul Urge 2, karmic lessons 7 and 9.
    chart = data(
        api.post(CALCULATE, {"full_name": "Thomas John Hancock", "birth_date": "1980-01-01"})
    )
    assert chart["numbers"]["soul_urge"]["value"] == 2
    assert chart["karmic_lessons"] == [7, 9]
    # Born May 15, in 1992: Personal Year 5.
    chart = data(
        api.post(
            CALCULATE,
            {"full_name": "Ann Lee", "birth_date": "1980-05-15", "target_date": "1992-06-01"},
        )
    )
    assert chart["numbers"]["personal_year"]["value"] == 5


def test_calculate_applies_options(api):
    chart = data(
        api.post(
            CALCULATE,
            {**TOM, "options": {"system": "chaldean", "masters": [], "y_rule": "vowel"}},
        )
    )
    assert chart["options"]["system"] == "chaldean"
    assert chart["options"]["masters"] == []
    assert chart["options"]["y_rule"] == "vowel"
    for number in chart["numbers"].values():
        assert number["value"] <= 9
        assert number["meaning"] is not None


def test_calculate_target_date_defaults_to_today_in_the_callers_timezone(db):
    user = UserFactory(timezone="Pacific/Kiritimati")
    today = dt.datetime.now(ZoneInfo("Pacific/Kiritimati")).date()
    implicit = data(client_for(user).post(CALCULATE, TOM))
    explicit = data(client_for(user).post(CALCULATE, {**TOM, "target_date": today.isoformat()}))
    assert implicit["numbers"]["personal_day"] == explicit["numbers"]["personal_day"]
    assert implicit["numbers"]["personal_month"] == explicit["numbers"]["personal_month"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"birth_date": "1962-07-03"}, "full_name"),
        ({"full_name": "", "birth_date": "1962-07-03"}, "full_name"),
        ({"full_name": "123 --- '", "birth_date": "1962-07-03"}, "full_name"),
        ({"full_name": "李小龍", "birth_date": "1962-07-03"}, "full_name"),
        ({"full_name": "Ann"}, "birth_date"),
        ({"full_name": "Ann", "birth_date": "2023-02-29"}, "birth_date"),
        ({"full_name": "Ann", "birth_date": "1962-13-01"}, "birth_date"),
        ({"full_name": "Ann", "birth_date": "03/07/1962"}, "birth_date"),
        ({"full_name": "Ann", "birth_date": "1899-12-31"}, "birth_date"),
        ({"full_name": "Ann", "birth_date": "2999-01-01"}, "birth_date"),
        ({**TOM, "target_date": "2024-02-30"}, "target_date"),
        ({**TOM, "target_date": "1950-01-01"}, "target_date"),
        ({**TOM, "options": {"system": "hebrew"}}, "options.system"),
        ({**TOM, "options": {"life_path_method": "x"}}, "options.life_path_method"),
        ({**TOM, "options": {"name_method": 3}}, "options.name_method"),
        ({**TOM, "options": {"y_rule": None}}, "options.y_rule"),
        ({**TOM, "options": {"masters": [11, 44]}}, "options.masters"),
        ({**TOM, "options": {"masters": "all"}}, "options.masters"),
        ({**TOM, "options": {"colour": "red"}}, "options.colour"),
        ({**TOM, "options": "fast"}, "options"),
    ],
)
def test_calculate_invalid_input_names_the_field(api, body, field):
    assert_error(api.post(CALCULATE, body), 400, "VALIDATION_ERROR", field)


def test_calculate_birth_date_of_today_and_1900_are_valid(api):
    today = dt.datetime.now(dt.UTC).date().isoformat()
    data(api.post(CALCULATE, {"full_name": "Ann", "birth_date": today}))
    data(api.post(CALCULATE, {"full_name": "Ann", "birth_date": "1900-01-01"}))


def test_calculate_tomorrow_is_in_the_future(api):
    tomorrow = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)).isoformat()
    assert_error(
        api.post(CALCULATE, {"full_name": "Ann", "birth_date": tomorrow}),
        400,
        "VALIDATION_ERROR",
        "birth_date",
    )


def test_calculate_body_must_be_an_object(api):
    assert_error(api.post(CALCULATE, ["Ann"]), 400, "VALIDATION_ERROR")


def test_numerology_needs_a_valid_access_token(db):
    client = APIClient()
    assert_error(client.post(CALCULATE, TOM, format="json"), 401, "NOT_AUTHENTICATED")
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    response = client.post(CALCULATE, TOM, format="json")
    assert response.status_code == 401


# --- compatibility ----------------------------------------------------------------------------
def test_compatibility_of_two_people(api):
    result = data(
        api.post(
            COMPATIBILITY,
            {
                # Life Paths 1 (Jul 3 1962) and 5 (Oct 12 1936): triad (1, 5, 7).
                "a": TOM,
                "b": {"full_name": "Ann Lee", "birth_date": "1936-10-12"},
            },
        )
    )
    assert result["a"]["life_path"]["value"] == 1
    assert result["a"]["life_path"]["karmic_debt"] == 19
    assert result["b"]["life_path"]["value"] == 5
    assert result["relation"] == "natural_match"
    assert result["texts"] == content.compatibility_text("natural_match", 1, 5)
    assert_meaning(result["a"]["life_path"]["meaning"], "life_path", 1)
    assert_meaning(result["b"]["life_path"]["meaning"], "life_path", 5)


def test_compatibility_with_the_caller(api, user):
    # The caller (Life Path 1) and Nov 22 1992 (Life Path 9): different groups.
    result = data(
        api.post(COMPATIBILITY, {"with": {"full_name": "Bo", "birth_date": "1992-11-22"}})
    )
    assert result["a"]["birth_date"] == user.date_of_birth.isoformat()
    assert result["a"]["full_name"] == user.numerology_name
    assert result["a"]["life_path"]["value"] == 1
    assert result["b"]["life_path"]["value"] == 9
    assert result["relation"] == "different_group"
    assert result["texts"] == content.compatibility_text("different_group", 1, 9)


def test_compatibility_with_needs_the_callers_birth_date(db):
    user = UserFactory(date_of_birth=None)
    response = client_for(user).post(COMPATIBILITY, {"with": {"birth_date": "1992-11-22"}})
    assert_error(response, 409, "PROFILE_INCOMPLETE")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "a"),
        ({"a": TOM}, "b"),
        ({"a": TOM, "b": {"full_name": "Bo"}}, "b.birth_date"),
        ({"a": {"birth_date": "2999-01-01"}, "b": TOM}, "a.birth_date"),
        ({"with": {"birth_date": "1800-01-01"}}, "with.birth_date"),
        ({"with": {"full_name": "!!!", "birth_date": "1990-01-01"}}, "with.full_name"),
        ({"with": TOM, "a": TOM}, "with"),
        ({"a": TOM, "b": TOM, "options": {"masters": [7]}}, "options.masters"),
    ],
)
def test_compatibility_invalid_input_names_the_field(api, body, field):
    assert_error(api.post(COMPATIBILITY, body), 400, "VALIDATION_ERROR", field)
