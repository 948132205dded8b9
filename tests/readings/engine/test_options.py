import pytest

from readings.engine import InvalidOption, Options

DEFAULTS = {
    "system": "pythagorean",
    "life_path_method": "reduce_parts",
    "name_method": "per_part",
    "y_rule": "heuristic",
    "masters": [11, 22, 33],
}


@pytest.mark.parametrize("data", [None, {}])
def test_defaults(data):
    assert Options.from_dict(data) == Options()
    assert Options.from_dict(data).as_dict() == DEFAULTS


def test_round_trip_and_masters_sorted():
    data = {
        "system": "chaldean",
        "life_path_method": "sum_digits",
        "name_method": "whole_name",
        "y_rule": "consonant",
        "masters": [33, 11, 11],
    }
    options = Options.from_dict(data)
    assert options.masters == (11, 33)
    assert options.as_dict() == {**data, "masters": [11, 33]}
    assert Options.from_dict(options.as_dict()) == options


@pytest.mark.parametrize("masters", [[], [11], [22], [11, 22], [11, 22, 33]])
def test_any_master_subset(masters):
    assert Options.from_dict({"masters": masters}).as_dict()["masters"] == masters


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"system": "hebrew"}, "options.system"),
        ({"life_path_method": "magic"}, "options.life_path_method"),
        ({"name_method": "first_only"}, "options.name_method"),
        ({"y_rule": "sometimes"}, "options.y_rule"),
        ({"y_rule": None}, "options.y_rule"),
        ({"masters": [44]}, "options.masters"),
        ({"masters": [11.0]}, "options.masters"),
        ({"masters": [True]}, "options.masters"),
        ({"masters": "11,22"}, "options.masters"),
        ({"masters": 11}, "options.masters"),
        ({"colour": "red"}, "options.colour"),
        ("pythagorean", "options"),
    ],
)
def test_invalid_options_name_the_field(data, field):
    with pytest.raises(InvalidOption) as excinfo:
        Options.from_dict(data)
    assert excinfo.value.field == field
    assert excinfo.value.message


def test_direct_construction_is_validated():
    with pytest.raises(InvalidOption):
        Options(system="PYTHAGOREAN")
