from datetime import date

import pytest

from readings.engine import Options, compatibility, deterministic_choice


@pytest.mark.parametrize(
    ("a", "b", "relation"),
    [
        (date(1962, 7, 3), date(1936, 10, 12), "natural_match"),  # 1 and 5
        (date(1984, 9, 25), date(2009, 1, 1), "natural_match"),  # 11 → 2 and 13/4
        (date(1984, 9, 25), date(1992, 11, 22), "different_group"),  # 11 → 2 and 9
        (date(2000, 9, 22), date(1992, 11, 22), "natural_match"),  # 33 → 6 and 9
        (date(1962, 7, 3), date(1962, 7, 3), "natural_match"),
    ],
)
def test_compatibility_triads(a, b, relation):
    result = compatibility(a, b)
    assert result.relation == relation
    assert compatibility(b, a).relation == relation


def test_compatibility_returns_both_life_paths():
    result = compatibility(date(1962, 7, 3), date(1984, 9, 25), Options(masters=()))
    assert (result.a.value, result.a.karmic_debt) == (1, 19)
    assert result.b.value == 2


def test_deterministic_choice_is_pinned():
    # SHA-256 based: the same on every process, machine and Python run.
    colours = ["red", "orange", "yellow", "green", "blue", "indigo", "violet"]
    picks = [deterministic_choice(f"user-1:2024-01-0{day}", colours) for day in range(1, 8)]
    assert picks == ["orange", "orange", "orange", "orange", "blue", "indigo", "violet"]
    assert deterministic_choice("seed", ("only",)) == "only"


def test_deterministic_choice_rejects_empty_items():
    with pytest.raises(ValueError):
        deterministic_choice("seed", [])
