from datetime import date

import pytest

from readings.engine import (
    InvalidDate,
    Number,
    Options,
    PersonalNumbers,
    Pinnacle,
    life_path,
    personal_numbers,
)
from readings.engine.dates import birthday, challenges, lo_shu, pinnacles

SUM_DIGITS = Options(life_path_method="sum_digits")


@pytest.mark.parametrize(
    ("birth", "options", "expected"),
    [
        # NUMEROLOGY.md worked examples
        (date(1984, 9, 25), Options(), Number(11, 38, (38, 11), None)),  # 9 + 7 + 22
        (date(1936, 10, 12), Options(), Number(5, None, (5,), None)),  # 1 + 3 + 1
        (date(1992, 11, 22), Options(), Number(9, 36, (36, 9), None)),  # 11 + 22 + 3
        (date(1962, 7, 3), Options(), Number(1, 19, (19, 10, 1), 19)),  # 7 + 3 + 9
        # masters at each step
        (date(1984, 9, 25), Options(masters=()), Number(2, 20, (20, 2), None)),  # 9 + 7 + 4
        (date(1984, 9, 25), Options(masters=(22, 33)), Number(2, 11, (38, 11, 2), None)),
        (date(1975, 11, 4), Options(), Number(1, 37, (37, 10, 1), None)),  # month 11, year 22
        (date(1975, 11, 4), Options(masters=()), Number(1, 10, (10, 1), None)),  # 2 + 4 + 4
        (date(2009, 1, 1), Options(), Number(4, 13, (13, 4), 13)),  # year 2009 → 11 kept
        (date(2009, 1, 1), Options(masters=()), Number(4, None, (4,), None)),
        (date(2000, 9, 22), Options(), Number(33, None, (33,), None)),  # 9 + 22 + 2
        (date(2000, 9, 22), Options(masters=(11, 22)), Number(6, 33, (33, 6), None)),
        # karmic debts
        (date(1995, 5, 3), Options(), Number(5, 14, (14, 5), 14)),  # 5 + 3 + 6
        (date(1990, 7, 8), Options(), Number(7, 16, (16, 7), 16)),  # 7 + 8 + 1
        # leap day and century years
        (date(2000, 2, 29), Options(), Number(6, 15, (15, 6), None)),  # 2 + 11 + 2
        (date(1899, 12, 31), Options(), Number(7, 16, (16, 7), 16)),  # 3 + 4 + 9
        (date(1900, 1, 1), Options(), Number(3, None, (3,), None)),  # 1 + 1 + 1
        # sum_digits: add every digit of the date, then reduce
        (date(1984, 9, 25), SUM_DIGITS, Number(11, 38, (38, 11), None)),
        (date(1936, 10, 12), SUM_DIGITS, Number(5, 23, (23, 5), None)),
        (date(1962, 7, 3), SUM_DIGITS, Number(1, 28, (28, 10, 1), None)),
        (date(2000, 9, 22), SUM_DIGITS, Number(6, 15, (15, 6), None)),
        (date(2000, 2, 29), SUM_DIGITS, Number(6, 15, (15, 6), None)),
        (date(1899, 12, 31), SUM_DIGITS, Number(7, 34, (34, 7), None)),
        (date(1900, 1, 1), SUM_DIGITS, Number(3, 12, (12, 3), None)),
    ],
)
def test_life_path(birth, options, expected):
    assert life_path(birth, options) == expected


@pytest.mark.parametrize(
    ("day", "masters", "value", "karmic_debt"),
    [
        (3, (11, 22, 33), 3, None),
        (11, (11, 22, 33), 11, None),
        (22, (11, 22, 33), 22, None),
        (29, (11, 22, 33), 11, None),
        (29, (), 2, None),
        (28, (11, 22, 33), 1, None),
        (13, (11, 22, 33), 4, 13),
        (14, (11, 22, 33), 5, 14),
        (16, (11, 22, 33), 7, 16),
        (19, (11, 22, 33), 1, 19),
    ],
)
def test_birthday(day, masters, value, karmic_debt):
    number = birthday(date(1990, 1, day), Options(masters=masters))
    assert (number.value, number.chain[0], number.karmic_debt) == (value, day, karmic_debt)


@pytest.mark.parametrize(
    ("birth", "target", "expected"),
    [
        (date(1992, 5, 15), date(1992, 5, 15), PersonalNumbers(5, 1, 7)),  # 5 + 6 + 3 = 14 → 5
        (date(1980, 5, 15), date(2019, 3, 10), PersonalNumbers(5, 8, 9)),
        (date(1962, 7, 3), date(2017, 7, 3), PersonalNumbers(2, 9, 3)),  # 7 + 3 + 1 = 11 → 2
        (date(1984, 11, 29), date(2024, 11, 29), PersonalNumbers(3, 5, 7)),  # 2 + 2 + 8, no masters
        (date(2000, 2, 29), date(2024, 12, 31), PersonalNumbers(3, 6, 1)),  # 2 + 2 + 8 = 12 → 3
    ],
)
def test_personal_numbers(birth, target, expected):
    assert personal_numbers(birth, target) == expected


def test_target_before_birth_is_invalid():
    with pytest.raises(InvalidDate) as excinfo:
        personal_numbers(date(2000, 1, 2), date(2000, 1, 1))
    assert excinfo.value.field == "target_date"


@pytest.mark.parametrize(
    ("birth", "expected"),
    [
        (date(1962, 7, 3), [4, 6, 2, 2]),  # M 7, D 3, Y 9
        (date(1984, 9, 25), [2, 3, 1, 5]),  # M 9, D 7, Y 4
        (date(2000, 2, 2), [0, 0, 0, 0]),
        (date(1899, 12, 31), [1, 5, 4, 6]),  # M 3, D 4, Y 9
    ],
)
def test_challenges(birth, expected):
    assert challenges(birth) == expected


@pytest.mark.parametrize(
    ("birth", "expected"),
    [
        (  # Life Path 1: 0–35, 36–44, 45–53, 54+
            date(1962, 7, 3),
            [Pinnacle(1, 0, 35), Pinnacle(3, 36, 44), Pinnacle(4, 45, 53), Pinnacle(7, 54, None)],
        ),
        (  # Life Path 11 counts as 2; D + Y = 7 + 4 = 11 stays a master
            date(1984, 9, 25),
            [Pinnacle(7, 0, 34), Pinnacle(11, 35, 43), Pinnacle(9, 44, 52), Pinnacle(4, 53, None)],
        ),
        (  # Life Path 9: M 2, D 4, Y 3
            date(1992, 11, 22),
            [Pinnacle(6, 0, 27), Pinnacle(7, 28, 36), Pinnacle(4, 37, 45), Pinnacle(5, 46, None)],
        ),
    ],
)
def test_pinnacles(birth, expected):
    assert pinnacles(birth, life_path(birth).value) == expected


def test_pinnacle_as_dict():
    assert Pinnacle(7, 54, None).as_dict() == {"value": 7, "from_age": 54, "to_age": None}


@pytest.mark.parametrize(
    ("birth", "missing", "repeated", "driver", "conductor"),
    [
        (date(1962, 7, 3), [4, 5, 8], [], 3, 1),
        (date(2000, 2, 29), [1, 3, 4, 5, 6, 7, 8], [2], 2, 6),
        (date(1899, 12, 31), [4, 5, 6, 7], [1, 9], 4, 7),
    ],
)
def test_lo_shu(birth, missing, repeated, driver, conductor):
    grid = lo_shu(birth)
    assert (grid.missing, grid.repeated, grid.driver, grid.conductor) == (
        missing,
        repeated,
        driver,
        conductor,
    )


def test_lo_shu_counts_ignore_zeros():
    assert lo_shu(date(2000, 2, 29)).as_dict()["counts"] == {
        "1": 0, "2": 3, "3": 0, "4": 0, "5": 0, "6": 0, "7": 0, "8": 0, "9": 1,
    }  # fmt: skip
