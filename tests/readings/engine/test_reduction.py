import pytest

from readings.engine import Number, reduce, root
from readings.engine.reduction import number

ALL = (11, 22, 33)


@pytest.mark.parametrize(
    ("n", "expected"),
    [(0, 0), (1, 1), (9, 9), (10, 1), (18, 9), (19, 1), (38, 2), (94, 4), (99, 9), (1984, 4)],
)
def test_root(n, expected):
    assert root(n) == expected


@pytest.mark.parametrize(
    ("n", "masters", "expected"),
    [
        (7, ALL, 7),
        (11, ALL, 11),
        (22, ALL, 22),
        (33, ALL, 33),
        (38, ALL, 11),  # 38 → 11 stops at the master
        (29, ALL, 11),
        (38, (), 2),
        (33, (11, 22), 6),
        (29, (22, 33), 2),  # 11 not allowed: 29 → 11 → 2
        (49, (22,), 4),  # 49 → 13 → 4
        (0, ALL, 0),
    ],
)
def test_reduce_keeps_only_allowed_masters(n, masters, expected):
    assert reduce(n, masters) == expected


@pytest.mark.parametrize(
    ("n", "masters", "expected"),
    [
        (5, ALL, Number(5, None, (5,), None)),
        (11, ALL, Number(11, None, (11,), None)),
        (31, ALL, Number(4, 31, (31, 4), None)),
        (38, ALL, Number(11, 38, (38, 11), None)),
        (38, (), Number(2, 11, (38, 11, 2), None)),
        (94, ALL, Number(4, 13, (94, 13, 4), 13)),
        (13, ALL, Number(4, 13, (13, 4), 13)),
        (14, ALL, Number(5, 14, (14, 5), 14)),
        (16, ALL, Number(7, 16, (16, 7), 16)),
        (19, ALL, Number(1, 19, (19, 10, 1), 19)),  # read past the 10: 19/1
        (199, ALL, Number(1, 19, (199, 19, 10, 1), 19)),
        (28, ALL, Number(1, 28, (28, 10, 1), None)),
        (10, ALL, Number(1, 10, (10, 1), None)),
        (88, ALL, Number(7, 16, (88, 16, 7), 16)),
    ],
)
def test_number_chain_compound_and_karmic_debt(n, masters, expected):
    assert number(n, masters) == expected


def test_number_without_karmic_flag():
    assert number(19, ALL, karmic=False) == Number(1, 19, (19, 10, 1), None)


def test_number_as_dict():
    assert number(94, ALL).as_dict() == {"value": 4, "compound": 13, "karmic_debt": 13}
