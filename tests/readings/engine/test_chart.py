from datetime import date

import pytest

from readings.engine import InvalidDate, InvalidName, Options, chart

TOM_CRUISE = {
    "options": {
        "system": "pythagorean",
        "life_path_method": "reduce_parts",
        "name_method": "per_part",
        "y_rule": "heuristic",
        "masters": [11, 22, 33],
    },
    "name": {"normalized": "THOMAS CRUISE MAPOTHER", "parts": ["THOMAS", "CRUISE", "MAPOTHER"]},
    "numbers": {
        "life_path": {"value": 1, "compound": 19, "karmic_debt": 19},
        "expression": {"value": 4, "compound": 31, "karmic_debt": None},
        "soul_urge": {"value": 9, "compound": 18, "karmic_debt": None},
        "personality": {"value": 4, "compound": 13, "karmic_debt": 13},
        "maturity": {"value": 5, "compound": None, "karmic_debt": None},
        "birthday": {"value": 3, "day": 3, "karmic_debt": None},
        "personal_year": {"value": 2},
        "personal_month": {"value": 9},
        "personal_day": {"value": 3},
    },
    # Every digit 1–9 occurs in THOMAS CRUISE MAPOTHER, so no karmic lesson.
    "karmic_lessons": [],
    "hidden_passion": [1],
    "challenges": [4, 6, 2, 2],
    "pinnacles": [
        {"value": 1, "from_age": 0, "to_age": 35},
        {"value": 3, "from_age": 36, "to_age": 44},
        {"value": 4, "from_age": 45, "to_age": 53},
        {"value": 7, "from_age": 54, "to_age": None},
    ],
    "lo_shu": {
        "counts": {"1": 1, "2": 1, "3": 1, "4": 0, "5": 0, "6": 1, "7": 1, "8": 0, "9": 1},
        "missing": [4, 5, 8],
        "repeated": [],
        "driver": 3,
        "conductor": 1,
    },
    "chaldean": {"compound": 80, "value": 8},
}


def test_tom_cruise_chart_as_dict():
    assert chart("Thomas Cruise Mapother", date(1962, 7, 3), date(2017, 7, 3)).as_dict() == (
        TOM_CRUISE
    )


def test_chart_exposes_numbers_for_python_callers():
    result = chart("Thomas Cruise Mapother", date(1962, 7, 3), date(2017, 7, 3))
    assert result.life_path.chain == (19, 10, 1)
    assert result.expression.chain == (31, 4)
    assert result.personal.year == 2
    assert [p.value for p in result.pinnacles] == [1, 3, 4, 7]


def test_chaldean_system_switches_the_name_numbers_only():
    result = chart(
        "Thomas Cruise Mapother",
        date(1962, 7, 3),
        date(2017, 7, 3),
        Options(system="chaldean"),
    ).as_dict()
    numbers = result["numbers"]
    assert result["options"]["system"] == "chaldean"
    assert [numbers[k]["value"] for k in ("expression", "soul_urge", "personality")] == [8, 6, 2]
    assert numbers["life_path"]["value"] == 1
    assert numbers["maturity"]["value"] == 9  # 1 + 8
    assert result["karmic_lessons"] == [9]
    assert result["hidden_passion"] == [4, 5]
    assert result["chaldean"] == {"compound": 80, "value": 8}


def test_whole_name_and_no_masters():
    result = chart(
        "Thomas Cruise Mapother",
        date(1962, 7, 3),
        date(2017, 7, 3),
        Options(name_method="whole_name", masters=()),
    ).as_dict()
    assert result["numbers"]["expression"] == {"value": 4, "compound": 13, "karmic_debt": 13}
    assert result["options"]["masters"] == []


def test_thomas_john_hancock_chart():
    result = chart("Thomas John Hancock", date(1936, 10, 12), date(2024, 1, 1)).as_dict()
    assert result["numbers"]["soul_urge"] == {"value": 2, "compound": 20, "karmic_debt": None}
    assert result["numbers"]["life_path"]["value"] == 5
    assert result["karmic_lessons"] == [7, 9]


def test_leap_day_birth_with_master_birthday():
    result = chart("Mary-Jane O'Brien Jr.", date(2000, 2, 29), date(2024, 2, 29)).as_dict()
    assert result["name"] == {"normalized": "MARY JANE OBRIEN", "parts": ["MARY", "JANE", "OBRIEN"]}
    assert result["numbers"]["birthday"] == {"value": 11, "day": 29, "karmic_debt": None}
    assert result["numbers"]["life_path"]["value"] == 6


def test_birthday_karmic_debt_in_chart():
    result = chart("Ann", date(1990, 1, 19), date(2024, 1, 1)).as_dict()
    assert result["numbers"]["birthday"] == {"value": 1, "day": 19, "karmic_debt": 19}


def test_invalid_inputs():
    with pytest.raises(InvalidName):
        chart("123", date(1990, 1, 1), date(2024, 1, 1))
    with pytest.raises(InvalidDate):
        chart("Ann", date(1990, 1, 1), date(1989, 12, 31))
