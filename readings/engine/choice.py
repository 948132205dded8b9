"""Deterministic picks (lucky number, colour, affirmation) that survive restarts."""

import hashlib
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def deterministic_choice(seed: str, items: Sequence[T]) -> T:
    """Pick an item from a SHA-256 of ``seed``: unlike ``hash()``, stable across processes."""
    if not items:
        raise ValueError("items must not be empty")
    digest = hashlib.sha256(seed.encode("utf-8")).digest()
    return items[int.from_bytes(digest[:8], "big") % len(items)]
