"""Numerology meanings: the text every number shown to a user carries.

Standard library only. The copy lives as data in the sibling modules (``core``, ``cycles``,
``special``, ``affirmations``, ``correspondences``, ``compatibility``); this module only
indexes it and hands out fresh copies, so callers may mutate what they get.

Public API::

    NUMBER_KINDS                         every kind meaning() accepts
    allowed_numbers(kind)                the numbers a kind has meanings for
    meaning(kind, number)                {"number", "kind", "title", "keywords", "description",
                                          "strengths", "challenges"}
    affirmations(number)                 curated affirmations for 1-9, 11, 22, 33
    lucky_numbers(number)                lucky numbers for 1-9, 11, 22, 33
    lucky_colours(number)                ((name, "#rrggbb"), ...) for 1-9, 11, 22, 33
    compatibility_text(relation, a, b)   {"title", "description", "a", "b"}

Unknown kinds, numbers or relations raise :class:`UnknownMeaning` (a ``KeyError``).
"""

from __future__ import annotations

from .affirmations import AFFIRMATIONS
from .compatibility import RELATIONS, TRIADS
from .core import CORE_DESCRIPTIONS, CORE_KINDS, NUMBER_BASE
from .correspondences import LUCKY_COLOURS, LUCKY_NUMBERS
from .cycles import CYCLE_KINDS, CYCLE_TEXTS, CYCLE_THEMES
from .special import CHALLENGES, HIDDEN_PASSIONS, KARMIC_DEBTS, KARMIC_LESSONS, PINNACLES

__all__ = [
    "NUMBER_KINDS",
    "UnknownMeaning",
    "affirmations",
    "allowed_numbers",
    "compatibility_text",
    "lucky_colours",
    "lucky_numbers",
    "meaning",
]

KIND_LABELS = {
    "life_path": "Life Path",
    "expression": "Expression",
    "soul_urge": "Soul Urge",
    "personality": "Personality",
    "birthday": "Birthday",
    "maturity": "Maturity",
    "personal_year": "Personal Year",
    "personal_month": "Personal Month",
    "personal_day": "Personal Day",
    "challenge": "Challenge",
    "pinnacle": "Pinnacle",
    "karmic_debt": "Karmic Debt",
    "karmic_lesson": "Karmic Lesson",
    "hidden_passion": "Hidden Passion",
}

NUMBER_KINDS: tuple[str, ...] = tuple(KIND_LABELS)

_FIELDS = ("keywords", "description", "strengths", "challenges")


class UnknownMeaning(KeyError):
    """No content exists for the requested kind, number or relation."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def _index() -> dict[str, dict[int, dict]]:
    """Assemble every kind's entries as {kind: {number: {"name", *_FIELDS}}}."""
    index: dict[str, dict[int, dict]] = {}
    for kind in CORE_KINDS:
        index[kind] = {
            number: {**NUMBER_BASE[number], "description": text}
            for number, text in CORE_DESCRIPTIONS[kind].items()
        }
    for kind in CYCLE_KINDS:
        index[kind] = {
            number: {**CYCLE_THEMES[number], **texts} for number, texts in CYCLE_TEXTS[kind].items()
        }
    index["challenge"] = CHALLENGES
    index["pinnacle"] = PINNACLES
    index["karmic_debt"] = KARMIC_DEBTS
    index["karmic_lesson"] = KARMIC_LESSONS
    index["hidden_passion"] = HIDDEN_PASSIONS
    return index


_ENTRIES = _index()


def _check_number(number: object, table: dict, what: str) -> int:
    if isinstance(number, bool) or not isinstance(number, int) or number not in table:
        raise UnknownMeaning(f"no {what} for number {number!r}")
    return number


def _root(number: int) -> int:
    return 1 + (number - 1) % 9


def allowed_numbers(kind: str) -> tuple[int, ...]:
    """The numbers ``kind`` has meanings for, ascending."""
    if kind not in _ENTRIES:
        raise UnknownMeaning(f"unknown number kind {kind!r}")
    return tuple(sorted(_ENTRIES[kind]))


def meaning(kind: str, number: int) -> dict:
    """The meaning of ``number`` as a ``kind`` number, as a fresh dict.

    ``title`` reads e.g. "Life Path 7 — The Seeker"; karmic debts are written with their
    root ("Karmic Debt 13/4 — Hard Work Rewarded").
    """
    if not isinstance(kind, str) or kind not in _ENTRIES:
        raise UnknownMeaning(f"unknown number kind {kind!r}")
    table = _ENTRIES[kind]
    _check_number(number, table, f"{KIND_LABELS[kind]} meaning")
    entry = table[number]
    shown = f"{number}/{_root(number)}" if kind == "karmic_debt" else str(number)
    return {
        "number": number,
        "kind": kind,
        "title": f"{KIND_LABELS[kind]} {shown} — {entry['name']}",
        "keywords": list(entry["keywords"]),
        "description": entry["description"],
        "strengths": list(entry["strengths"]),
        "challenges": list(entry["challenges"]),
    }


def affirmations(number: int) -> tuple[str, ...]:
    """Curated affirmations for 1-9, 11, 22 or 33 (at least seven, no repeats)."""
    return tuple(AFFIRMATIONS[_check_number(number, AFFIRMATIONS, "affirmations")])


def lucky_numbers(number: int) -> tuple[int, ...]:
    """Lucky numbers for 1-9, 11, 22 or 33, the number itself first."""
    return tuple(LUCKY_NUMBERS[_check_number(number, LUCKY_NUMBERS, "lucky numbers")])


def lucky_colours(number: int) -> tuple[tuple[str, str], ...]:
    """Lucky colours for 1-9, 11, 22 or 33 as ``(name, "#rrggbb")`` pairs."""
    return tuple(LUCKY_COLOURS[_check_number(number, LUCKY_COLOURS, "lucky colours")])


_TRIAD_OF = {number: triad for triad in TRIADS for number in triad}


def _triad(number: object) -> tuple[int, int, int]:
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise UnknownMeaning(f"no triad for Life Path {number!r}")
    if number > 9 and number not in (11, 22, 33):
        raise UnknownMeaning(f"no triad for Life Path {number!r}")
    return _TRIAD_OF[_root(number)]


def compatibility_text(relation: str, a_root: int, b_root: int) -> dict:
    """Texts for two Life Paths: the relation's title and description, and each one's triad.

    ``relation`` is ``"natural_match"`` (same triad) or ``"different_group"``. The roots are
    1-9; master numbers 11, 22 and 33 are accepted and read by their root. A relation that
    contradicts the roots' triads raises ``ValueError`` rather than return misleading text.
    """
    if not isinstance(relation, str) or relation not in RELATIONS:
        raise UnknownMeaning(f"unknown compatibility relation {relation!r}")
    a_triad, b_triad = _triad(a_root), _triad(b_root)
    expected = "natural_match" if a_triad == b_triad else "different_group"
    if relation != expected:
        raise ValueError(f"Life Paths {a_root} and {b_root} are a {expected}, not a {relation}")
    text = RELATIONS[relation]
    return {
        "title": text["title"],
        "description": text["description"],
        "a": TRIADS[a_triad]["line"].format(number=a_root),
        "b": TRIADS[b_triad]["line"].format(number=b_root),
    }
