"""The meanings content: complete, well-formed, and strict about unknown input."""

import re

import pytest

from readings import content
from readings.content import (
    NUMBER_KINDS,
    UnknownMeaning,
    affirmations,
    allowed_numbers,
    compatibility_text,
    lucky_colours,
    lucky_numbers,
    meaning,
)

CORE_KINDS = ("life_path", "expression", "soul_urge", "personality", "birthday", "maturity")
CYCLE_KINDS = ("personal_year", "personal_month", "personal_day")
ROOTS_AND_MASTERS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 22, 33)

REQUIRED = {
    **{kind: ROOTS_AND_MASTERS for kind in CORE_KINDS},
    **{kind: tuple(range(1, 10)) for kind in CYCLE_KINDS},
    "challenge": tuple(range(0, 9)),
    "pinnacle": ROOTS_AND_MASTERS,
    "karmic_debt": (13, 14, 16, 19),
    "karmic_lesson": tuple(range(1, 10)),
    "hidden_passion": tuple(range(1, 10)),
}

ALL_PAIRS = [(kind, number) for kind, numbers in REQUIRED.items() for number in numbers]

HEX = re.compile(r"^#[0-9a-f]{6}$")
TRIADS = ((1, 5, 7), (2, 4, 8), (3, 6, 9))


def _sentences(text):
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


def test_number_kinds_are_exactly_the_documented_kinds():
    assert set(NUMBER_KINDS) == set(REQUIRED)
    assert len(NUMBER_KINDS) == len(set(NUMBER_KINDS))


@pytest.mark.parametrize("kind", sorted(REQUIRED))
def test_every_required_number_is_allowed(kind):
    assert set(REQUIRED[kind]) <= set(allowed_numbers(kind))


def test_only_soul_urge_and_personality_add_a_zero():
    extra = {kind: set(allowed_numbers(kind)) - set(REQUIRED[kind]) for kind in NUMBER_KINDS}
    assert extra == {
        kind: ({0} if kind in ("soul_urge", "personality") else set()) for kind in NUMBER_KINDS
    }


@pytest.mark.parametrize(("kind", "number"), ALL_PAIRS)
def test_meaning_shape(kind, number):
    m = meaning(kind, number)
    assert set(m) == {
        "number",
        "kind",
        "title",
        "keywords",
        "description",
        "strengths",
        "challenges",
    }
    assert m["number"] == number and m["kind"] == kind
    assert isinstance(m["title"], str) and " — " in m["title"]
    assert 3 <= len(m["keywords"]) <= 5
    assert all(isinstance(k, str) and k.strip() for k in m["keywords"])
    assert len(set(m["keywords"])) == len(m["keywords"])
    assert isinstance(m["description"], str) and m["description"].endswith(".")
    assert 1 <= len(_sentences(m["description"])) <= 3
    expected = 3 if kind in CORE_KINDS else None
    for field in ("strengths", "challenges"):
        items = m[field]
        assert all(isinstance(s, str) and s.strip() for s in items)
        if expected:
            assert len(items) == expected
        else:
            assert 2 <= len(items) <= 3


@pytest.mark.parametrize("kind", CORE_KINDS + CYCLE_KINDS)
def test_titles_name_the_kind_and_number(kind):
    label = kind.replace("_", " ").title()
    assert meaning(kind, 7)["title"].startswith(f"{label} 7 — ")


def test_title_examples():
    assert meaning("life_path", 7)["title"] == "Life Path 7 — The Seeker"
    assert meaning("soul_urge", 11)["title"] == "Soul Urge 11 — The Intuitive"
    assert meaning("karmic_debt", 13)["title"].startswith("Karmic Debt 13/4 — ")
    assert meaning("karmic_debt", 19)["title"].startswith("Karmic Debt 19/1 — ")


def test_every_description_is_its_own_text():
    descriptions = [meaning(kind, number)["description"] for kind, number in ALL_PAIRS]
    assert len(descriptions) == len(set(descriptions))


@pytest.mark.parametrize("number", ROOTS_AND_MASTERS)
def test_core_types_share_the_base_but_not_the_description(number):
    entries = [meaning(kind, number) for kind in CORE_KINDS]
    assert len({tuple(e["keywords"]) for e in entries}) == 1
    assert len({e["description"] for e in entries}) == len(CORE_KINDS)


def test_type_specific_framing():
    assert "desire" in meaning("soul_urge", 7)["description"]
    assert "Others see you" in meaning("personality", 7)["description"]
    assert "year" in meaning("personal_year", 1)["description"].lower()
    assert "month" in meaning("personal_month", 1)["description"].lower()
    assert "today" in meaning("personal_day", 1)["description"].lower()


def test_meaning_returns_a_fresh_dict():
    first = meaning("life_path", 1)
    first["keywords"].append("mutated")
    first["strengths"].clear()
    first["title"] = "changed"
    again = meaning("life_path", 1)
    assert "mutated" not in again["keywords"]
    assert len(again["strengths"]) == 3
    assert again["title"] == "Life Path 1 — The Pioneer"


@pytest.mark.parametrize(
    ("kind", "number"),
    [
        ("nope", 1),
        ("", 1),
        (None, 1),
        ("Life_Path", 1),
        ("life_path", 0),
        ("life_path", 10),
        ("life_path", 44),
        ("life_path", -1),
        ("life_path", "7"),
        ("life_path", 7.0),
        ("life_path", True),
        ("personal_year", 11),
        ("personal_day", 0),
        ("challenge", 9),
        ("karmic_debt", 15),
        ("karmic_debt", 4),
        ("karmic_lesson", 0),
        ("hidden_passion", 11),
    ],
)
def test_unknown_kind_or_number_raises(kind, number):
    with pytest.raises(UnknownMeaning):
        meaning(kind, number)


def test_unknown_meaning_is_a_key_error_with_a_readable_message():
    with pytest.raises(KeyError) as info:
        meaning("life_path", 10)
    assert str(info.value) == "no Life Path meaning for number 10"


def test_allowed_numbers_unknown_kind():
    with pytest.raises(UnknownMeaning):
        allowed_numbers("nope")


@pytest.mark.parametrize("number", ROOTS_AND_MASTERS)
def test_affirmations(number):
    items = affirmations(number)
    assert isinstance(items, tuple)
    assert len(items) >= 7
    assert len(set(items)) == len(items)
    for text in items:
        assert text == text.strip() and text.endswith(".")
        assert re.search(r"\b(I|My|my|me|I'm)\b", text), text
        assert len(text) <= 80


def test_no_affirmation_is_shared_between_numbers():
    every = [text for number in ROOTS_AND_MASTERS for text in affirmations(number)]
    assert len(every) == len(set(every))


@pytest.mark.parametrize("number", ROOTS_AND_MASTERS)
def test_lucky_numbers(number):
    items = lucky_numbers(number)
    assert isinstance(items, tuple) and 3 <= len(items) <= 5
    assert items[0] == number
    assert all(type(n) is int and n > 0 for n in items)
    assert len(set(items)) == len(items)
    root = 1 + (number - 1) % 9
    assert all(1 + (n - 1) % 9 == root for n in items)


@pytest.mark.parametrize("number", ROOTS_AND_MASTERS)
def test_lucky_colours(number):
    items = lucky_colours(number)
    assert isinstance(items, tuple) and 3 <= len(items) <= 4
    for pair in items:
        assert isinstance(pair, tuple) and len(pair) == 2
        name, hex_code = pair
        assert name and name == name.strip() and name[0].isupper()
        assert HEX.match(hex_code), hex_code
    assert len({name for name, _ in items}) == len(items)
    assert len({hex_code for _, hex_code in items}) == len(items)


@pytest.mark.parametrize("accessor", [affirmations, lucky_numbers, lucky_colours])
@pytest.mark.parametrize("number", [0, 10, 12, 44, -1, "1", 1.0, True, None])
def test_number_accessors_reject_unknown_numbers(accessor, number):
    with pytest.raises(UnknownMeaning):
        accessor(number)


@pytest.mark.parametrize("number", range(1, 10))
def test_personal_day_numbers_have_daily_correspondences(number):
    # The daily reading draws these from the personal day number (1-9).
    assert meaning("personal_day", number)
    assert affirmations(number) and lucky_numbers(number) and lucky_colours(number)


def _triad_of(n):
    return next(t for t in TRIADS if n in t)


@pytest.mark.parametrize("a", range(1, 10))
@pytest.mark.parametrize("b", range(1, 10))
def test_compatibility_text_for_every_pair(a, b):
    relation = "natural_match" if _triad_of(a) == _triad_of(b) else "different_group"
    text = compatibility_text(relation, a, b)
    assert set(text) == {"title", "description", "a", "b"}
    assert all(isinstance(v, str) and v for v in text.values())
    assert f"Life Path {a} " in text["a"] and "-".join(map(str, _triad_of(a))) in text["a"]
    assert f"Life Path {b} " in text["b"] and "-".join(map(str, _triad_of(b))) in text["b"]


def test_compatibility_relations_differ():
    match = compatibility_text("natural_match", 1, 5)
    different = compatibility_text("different_group", 1, 2)
    assert match["title"] != different["title"]
    assert match["description"] != different["description"]
    assert "thinkers" in match["a"] and "thinkers" in match["b"]
    assert "builders" in different["b"]
    assert "creatives" in compatibility_text("natural_match", 3, 9)["a"]


def test_compatibility_accepts_master_numbers_by_root():
    assert "2-4-8" in compatibility_text("natural_match", 11, 4)["a"]
    assert "2-4-8" in compatibility_text("natural_match", 22, 8)["a"]
    assert "3-6-9" in compatibility_text("different_group", 33, 1)["a"]


@pytest.mark.parametrize(
    ("relation", "a", "b"),
    [
        ("soulmates", 1, 5),
        ("", 1, 5),
        ("natural_match", 0, 5),
        ("natural_match", 1, 10),
        ("natural_match", 1, True),
    ],
)
def test_compatibility_unknown_input_raises(relation, a, b):
    with pytest.raises(UnknownMeaning):
        compatibility_text(relation, a, b)


def test_compatibility_relation_must_match_the_triads():
    with pytest.raises(ValueError):
        compatibility_text("natural_match", 1, 2)
    with pytest.raises(ValueError):
        compatibility_text("different_group", 1, 7)


def test_no_medical_legal_or_financial_promises():
    banned = re.compile(
        r"\b(diagnos\w*|cure[sd]?|disease|illness|medication|lawsuit|legal advice|"
        r"invest(?:ing|ments?|ors?)?|guarantee[sd]?|get rich|wealth|lottery|stock)\b",
        re.IGNORECASE,
    )
    texts = []
    for kind, number in ALL_PAIRS:
        m = meaning(kind, number)
        texts += [m["title"], m["description"], *m["keywords"], *m["strengths"], *m["challenges"]]
    for number in ROOTS_AND_MASTERS:
        texts += affirmations(number)
    for relation, a, b in (("natural_match", 1, 5), ("different_group", 2, 3)):
        texts += compatibility_text(relation, a, b).values()
    offending = [t for t in texts if banned.search(t)]
    assert offending == []


def test_package_is_standard_library_only():
    import ast
    import pathlib
    import sys

    package = pathlib.Path(content.__file__).parent
    for path in package.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    continue
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top in sys.stdlib_module_names or top == "__future__", (path.name, name)
