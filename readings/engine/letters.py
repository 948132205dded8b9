"""Letter values (Pythagorean, Chaldean) and the vowel/consonant split, including the Y rule."""

from collections.abc import Iterator


def _table(groups: dict[int, str]) -> dict[str, int]:
    return {letter: value for value, letters in groups.items() for letter in letters}


PYTHAGOREAN = _table(
    {1: "AJS", 2: "BKT", 3: "CLU", 4: "DMV", 5: "ENW", 6: "FOX", 7: "GPY", 8: "HQZ", 9: "IR"}
)
CHALDEAN = _table(
    {1: "AIJQY", 2: "BKR", 3: "CGLS", 4: "DMT", 5: "EHNX", 6: "UVW", 7: "OZ", 8: "FP"}
)
TABLES = {"pythagorean": PYTHAGOREAN, "chaldean": CHALDEAN}

VOWELS = frozenset("AEIOU")  # W is never a vowel; Y is decided by y_is_vowel.


def y_is_vowel(part: str, index: int, y_rule: str) -> bool:
    """Whether the Y at ``part[index]`` counts as a vowel.

    Heuristic: a consonant when the letter before it in the part is a vowel (Kay, Maloney),
    or when it starts the part and a vowel follows (Yolanda); otherwise a vowel (Mary, Lynn,
    Bryan, Yvonne). Only A E I O U count as "a vowel" in both tests, so a neighbouring Y
    never makes this Y a consonant (this keeps the rule free of recursion).
    """
    if y_rule != "heuristic":
        return y_rule == "vowel"
    if index > 0:
        return part[index - 1] not in VOWELS
    return index + 1 >= len(part) or part[index + 1] not in VOWELS


def classify(part: str, y_rule: str) -> Iterator[tuple[str, bool]]:
    """Yield ``(letter, is_vowel)`` for each letter of a normalised name part."""
    for index, letter in enumerate(part):
        if letter == "Y":
            yield letter, y_is_vowel(part, index, y_rule)
        else:
            yield letter, letter in VOWELS
