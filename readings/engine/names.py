"""Name normalisation and the name numbers: Expression, Soul Urge, Personality, lessons."""

import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from .errors import InvalidName
from .letters import TABLES, classify
from .options import Options
from .reduction import Number, number, reduce

# Letters NFKD does not decompose into A–Z.
_TRANSLITERATION = str.maketrans(
    {
        "ß": "SS", "ẞ": "SS", "Æ": "AE", "æ": "AE", "Œ": "OE", "œ": "OE", "Ø": "O", "ø": "O",
        "Ł": "L", "ł": "L", "Đ": "D", "đ": "D", "Ð": "D", "ð": "D", "Þ": "TH", "þ": "TH",
    }
)  # fmt: skip
GENERATIONAL_SUFFIXES = frozenset({"JR", "SR", "II", "III", "IV"})


@dataclass(frozen=True)
class NormalizedName:
    normalized: str
    parts: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {"normalized": self.normalized, "parts": list(self.parts)}


def normalize_name(full_name: str) -> NormalizedName:
    """Upper-case A–Z parts of a birth name; raises InvalidName when no letters remain."""
    if not isinstance(full_name, str):
        raise InvalidName("must be a string")
    text = unicodedata.normalize("NFKD", full_name.translate(_TRANSLITERATION))
    text = "".join(c for c in text if not unicodedata.combining(c)).upper()
    # Hyphens (any dash) separate parts just like white space: Mary-Jane → MARY JANE.
    text = "".join(" " if unicodedata.category(c) == "Pd" else c for c in text)
    parts = [cleaned for word in text.split() if (cleaned := _ascii_letters(word))]
    if len(parts) > 1 and parts[-1] in GENERATIONAL_SUFFIXES:
        parts.pop()
    if not parts:
        raise InvalidName("must contain at least one letter")
    return NormalizedName(normalized=" ".join(parts), parts=tuple(parts))


def _ascii_letters(word: str) -> str:
    return "".join(c for c in word if "A" <= c <= "Z")


def expression(name: NormalizedName, options: Options) -> Number:
    return _name_number(name, options, lambda is_vowel: True)


def soul_urge(name: NormalizedName, options: Options) -> Number:
    """Vowels only; a part without vowels contributes 0, a name without any gives 0."""
    return _name_number(name, options, lambda is_vowel: is_vowel)


def personality(name: NormalizedName, options: Options) -> Number:
    return _name_number(name, options, lambda is_vowel: not is_vowel)


def _name_number(name: NormalizedName, options: Options, keep: Callable[[bool], bool]) -> Number:
    table = TABLES[options.system]
    sums = [
        sum(table[letter] for letter, is_vowel in classify(part, options.y_rule) if keep(is_vowel))
        for part in name.parts
    ]
    if options.name_method == "per_part":
        sums = [reduce(s, options.masters) for s in sums]
    return number(sum(sums), options.masters)


def letter_values(name: NormalizedName, system: str) -> list[int]:
    table = TABLES[system]
    return [table[letter] for part in name.parts for letter in part]


def karmic_lessons(values: list[int]) -> list[int]:
    """Digits 1–9 absent from the letter values (with Chaldean, 9 is always absent)."""
    return sorted(set(range(1, 10)) - set(values))


def hidden_passion(values: list[int]) -> list[int]:
    counts = Counter(values)
    top = max(counts.values())
    return sorted(value for value, count in counts.items() if count == top)


def chaldean_name(name: NormalizedName, masters: tuple[int, ...]) -> Number:
    """The Chaldean whole-name compound (``chain[0]``) and its reduction."""
    return number(sum(letter_values(name, "chaldean")), masters)
