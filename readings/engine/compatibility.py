"""Life Path compatibility by triad; the grading text is content, not engine logic."""

from dataclasses import dataclass
from datetime import date
from typing import Literal

from .dates import life_path
from .options import DEFAULT_OPTIONS, Options
from .reduction import Number, root

TRIADS = (frozenset({1, 5, 7}), frozenset({2, 4, 8}), frozenset({3, 6, 9}))

Relation = Literal["natural_match", "different_group"]


@dataclass(frozen=True)
class Compatibility:
    a: Number
    b: Number
    relation: Relation


def compatibility(
    a_birth: date, b_birth: date, options: Options = DEFAULT_OPTIONS
) -> Compatibility:
    """Same triad of Life Path roots (11 → 2, 22 → 4, 33 → 6) is a natural match."""
    a, b = life_path(a_birth, options), life_path(b_birth, options)
    a_root, b_root = root(a.value), root(b.value)
    same = any(a_root in triad and b_root in triad for triad in TRIADS)
    return Compatibility(a=a, b=b, relation="natural_match" if same else "different_group")
