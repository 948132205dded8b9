import pytest

from readings.engine import InvalidName, Number, Options, normalize_name
from readings.engine.letters import classify
from readings.engine.names import (
    chaldean_name,
    expression,
    hidden_passion,
    karmic_lessons,
    letter_values,
    personality,
    soul_urge,
)

CHALDEAN = Options(system="chaldean")


@pytest.mark.parametrize(
    ("full_name", "parts"),
    [
        ("Thomas Cruise Mapother", ("THOMAS", "CRUISE", "MAPOTHER")),
        ("  thomas \t cruise\n MAPOTHER ", ("THOMAS", "CRUISE", "MAPOTHER")),
        ("José", ("JOSE",)),
        ("Zoë Saldaña", ("ZOE", "SALDANA")),
        ("François Müller", ("FRANCOIS", "MULLER")),
        ("Mary-Jane Smith", ("MARY", "JANE", "SMITH")),
        ("Mary – Jane", ("MARY", "JANE")),  # en dash
        ("Mary-", ("MARY",)),
        ("O'Brien", ("OBRIEN",)),
        ("Conan O’Brien", ("CONAN", "OBRIEN")),
        ("John Smith Jr", ("JOHN", "SMITH")),
        ("John Smith, Jr.", ("JOHN", "SMITH")),
        ("John Smith Sr.", ("JOHN", "SMITH")),
        ("John Smith II", ("JOHN", "SMITH")),
        ("John Smith III", ("JOHN", "SMITH")),
        ("Henry IV", ("HENRY",)),
        ("Jr", ("JR",)),  # the only part is kept
        ("Jr Smith", ("JR", "SMITH")),  # only a last part is a suffix
        ("John Jr Smith", ("JOHN", "JR", "SMITH")),
        ("Straße", ("STRASSE",)),
        ("Ærøskøbing", ("AEROSKOBING",)),
        ("Œuvre", ("OEUVRE",)),
        ("Łukasz Żółć", ("LUKASZ", "ZOLC")),
        ("Đorđe", ("DORDE",)),
        ("Björk Guðmundsdóttir", ("BJORK", "GUDMUNDSDOTTIR")),
        ("Þór", ("THOR",)),
        ("Jose\u0301", ("JOSE",)),  # decomposed accent
        ("Anne ' Marie", ("ANNE", "MARIE")),  # a part with no letters disappears
    ],
)
def test_normalize_name(full_name, parts):
    name = normalize_name(full_name)
    assert name.parts == parts
    assert name.normalized == " ".join(parts)
    assert name.as_dict() == {"normalized": " ".join(parts), "parts": list(parts)}


@pytest.mark.parametrize("full_name", ["", "   ", "123", "- -", "'", "李小龙", None, 42])
def test_name_without_letters_is_invalid(full_name):
    with pytest.raises(InvalidName) as excinfo:
        normalize_name(full_name)
    assert excinfo.value.field == "full_name"


@pytest.mark.parametrize(
    ("part", "y_is_vowel"),
    [
        ("MARY", True),
        ("LYNN", True),
        ("BRYAN", True),
        ("YVONNE", True),  # starts the part but a consonant follows
        ("Y", True),
        ("MALONEY", False),  # vowel before it
        ("KAY", False),
        ("YOLANDA", False),  # starts the part and a vowel follows
    ],
)
def test_y_heuristic(part, y_is_vowel):
    assert dict(classify(part, "heuristic"))["Y"] is y_is_vowel


def test_a_preceding_y_does_not_count_as_a_vowel():
    # AYYA: the first Y follows A (consonant); the second follows a Y, which is not
    # one of A E I O U, so it is a vowel.
    assert [v for _, v in classify("AYYA", "heuristic")] == [True, False, True, True]


@pytest.mark.parametrize("y_rule", ["vowel", "consonant"])
def test_y_rule_forces_every_y(y_rule):
    for part in ("MARY", "KAY", "YOLANDA", "LYNN"):
        assert dict(classify(part, y_rule))["Y"] is (y_rule == "vowel")


def test_w_is_never_a_vowel():
    assert [v for _, v in classify("BOWEN", "heuristic")] == [False, True, False, True, False]


def _numbers(full_name, options=None):
    options = options or Options()
    name = normalize_name(full_name)
    return expression(name, options), soul_urge(name, options), personality(name, options)


@pytest.mark.parametrize(
    ("full_name", "y_rule", "soul"),
    [
        ("Mary", "heuristic", 8),  # A1 + Y7
        ("Mary", "consonant", 1),
        ("Lynn", "heuristic", 7),
        ("Lynn", "consonant", 0),  # no vowels left
        ("Bryan", "heuristic", 8),
        ("Maloney", "heuristic", 3),  # A O E = 12 → 3
        ("Maloney", "vowel", 1),  # 12 + 7 = 19 → 1
        ("Kay", "heuristic", 1),
        ("Kay", "vowel", 8),
        ("Yolanda", "heuristic", 8),
        ("Yolanda", "vowel", 6),
        ("Bowen", "heuristic", 11),  # O6 + E5: a master, W not counted
    ],
)
def test_soul_urge_y_both_ways(full_name, y_rule, soul):
    assert soul_urge(normalize_name(full_name), Options(y_rule=y_rule)).value == soul


def test_expression_tom_cruise_per_part():
    # THOMAS 22 (master kept) + CRUISE 30 → 3 + MAPOTHER 42 → 6 = 31/4
    expr, soul, pers = _numbers("Thomas Cruise Mapother")
    assert expr == Number(4, 31, (31, 4), None)
    assert soul == Number(9, 18, (18, 9), None)  # 7 + 8 + 3
    assert pers == Number(4, 13, (13, 4), 13)  # 6 + 4 + 3, karmic debt 13


def test_expression_tom_cruise_whole_name():
    expr, _, _ = _numbers("Thomas Cruise Mapother", Options(name_method="whole_name"))
    assert expr == Number(4, 13, (94, 13, 4), 13)  # 22 + 30 + 42 = 94 → 13 → 4


def test_thomas_john_hancock():
    name = normalize_name("Thomas John Hancock")
    assert soul_urge(name, Options()) == Number(2, 20, (20, 2), None)  # 7 + 6 + 7
    assert expression(name, Options()).value == 7  # 22 + 2 + 1 = 25
    assert personality(name, Options()).karmic_debt == 14  # 6 + 5 + 3
    values = letter_values(name, "pythagorean")
    assert karmic_lessons(values) == [7, 9]
    assert hidden_passion(values) == [1]


def test_soul_urge_part_without_vowels_gives_zero():
    # NG has no vowel: 0; ANNA: 1 + 1 = 2
    assert soul_urge(normalize_name("Ng Anna"), Options()).value == 2
    assert soul_urge(normalize_name("Ng"), Options()) == Number(0, None, (0,), None)


def test_per_part_masters_depend_on_options():
    # THOMAS = 22 is kept as a part only when 22 is allowed: 22+3+6 = 31 vs 4+3+6 = 13.
    assert _numbers("Thomas Cruise Mapother", Options(masters=(11,)))[0].karmic_debt == 13


@pytest.mark.parametrize(
    ("values", "passion"),
    [([1, 1, 2], [1]), ([3, 2, 2, 3], [2, 3]), ([9], [9])],
)
def test_hidden_passion_ties(values, passion):
    assert hidden_passion(values) == passion


def test_chaldean_name_numbers():
    name = normalize_name("Thomas Cruise Mapother")
    assert chaldean_name(name, (11, 22, 33)).chain[:2] == (80, 8)
    expr, soul, pers = _numbers("Thomas Cruise Mapother", CHALDEAN)
    assert (expr.value, soul.value, pers.value) == (8, 6, 2)  # 6+2+9, 8+3+4, 7+8+5
    values = letter_values(name, "chaldean")
    assert karmic_lessons(values) == [9]  # Chaldean has no 9
    assert hidden_passion(values) == [4, 5]
