"""Digit reduction: ``reduce`` (stops at allowed masters), ``root`` and the reduction chain."""

from dataclasses import dataclass

KARMIC_DEBTS = frozenset({13, 14, 16, 19})


def digit_sum(n: int) -> int:
    return sum(int(d) for d in str(n))


def root(n: int) -> int:
    """1 + (n − 1) mod 9; 0 stays 0 (a name part without vowels)."""
    return 0 if n == 0 else 1 + (n - 1) % 9


def reduce(n: int, masters: tuple[int, ...]) -> int:
    return chain(n, masters)[-1]


def chain(n: int, masters: tuple[int, ...]) -> tuple[int, ...]:
    """Every value met while adding digits, from ``n`` to one digit or an allowed master."""
    values = [n]
    while values[-1] > 9 and values[-1] not in masters:
        values.append(digit_sum(values[-1]))
    return tuple(values)


@dataclass(frozen=True)
class Number:
    """A reduced number with the chain it came from.

    ``compound`` is the multi-digit value the final one is read from: the value before the
    final one, looking past a 10 (19 → 10 → 1 reads as 19/1; 94 → 13 → 4 as 13/4), or None
    when nothing was reduced. ``karmic_debt`` is that compound when it is 13, 14, 16 or 19.
    """

    value: int
    compound: int | None
    chain: tuple[int, ...]
    karmic_debt: int | None

    def as_dict(self) -> dict[str, int | None]:
        return {"value": self.value, "compound": self.compound, "karmic_debt": self.karmic_debt}


def number(n: int, masters: tuple[int, ...], *, karmic: bool = True) -> Number:
    """Reduce ``n`` into a Number; ``karmic=False`` for numbers that carry no karmic debt."""
    values = chain(n, masters)
    compound = None
    if len(values) > 1:
        compound = values[-2]
        if compound == 10 and len(values) > 2:
            compound = values[-3]
    debt = compound if karmic and compound in KARMIC_DEBTS else None
    return Number(value=values[-1], compound=compound, chain=values, karmic_debt=debt)
