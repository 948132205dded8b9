"""Numbers read from dates: Life Path, Birthday, personal cycles, challenges, pinnacles, Lo Shu."""

from dataclasses import dataclass
from datetime import date

from .errors import InvalidDate
from .options import DEFAULT_OPTIONS, Options
from .reduction import Number, digit_sum, number, reduce, root


def life_path(birth_date: date, options: Options = DEFAULT_OPTIONS) -> Number:
    """reduce_parts: reduce month, day and year digit sum (masters kept), then their total;
    sum_digits: reduce the sum of every digit of the date."""
    masters = options.masters
    if options.life_path_method == "sum_digits":
        total = digit_sum(birth_date.month) + digit_sum(birth_date.day) + digit_sum(birth_date.year)
    else:
        total = (
            reduce(birth_date.month, masters)
            + reduce(birth_date.day, masters)
            + reduce(digit_sum(birth_date.year), masters)
        )
    return number(total, masters)


def birthday(birth_date: date, options: Options = DEFAULT_OPTIONS) -> Number:
    """reduce(day); its chain starts at the raw day, so a day of 13/14/16/19 is the karmic debt."""
    return number(birth_date.day, options.masters)


@dataclass(frozen=True)
class PersonalNumbers:
    year: int
    month: int
    day: int


def personal_numbers(birth_date: date, target_date: date) -> PersonalNumbers:
    """Personal year/month/day for ``target_date``'s calendar year; masters always reduced."""
    if target_date < birth_date:
        raise InvalidDate("must not be before the birth date", field="target_date")
    year = root(root(birth_date.month) + root(birth_date.day) + root(digit_sum(target_date.year)))
    month = root(year + target_date.month)
    return PersonalNumbers(year=year, month=month, day=root(month + target_date.day))


def _month_day_year_roots(birth_date: date) -> tuple[int, int, int]:
    return root(birth_date.month), root(birth_date.day), root(digit_sum(birth_date.year))


def challenges(birth_date: date) -> list[int]:
    m, d, y = _month_day_year_roots(birth_date)
    first, second = abs(m - d), abs(d - y)
    return [first, second, abs(first - second), abs(m - y)]


@dataclass(frozen=True)
class Pinnacle:
    value: int
    from_age: int
    to_age: int | None

    def as_dict(self) -> dict[str, int | None]:
        return {"value": self.value, "from_age": self.from_age, "to_age": self.to_age}


def pinnacles(
    birth_date: date, life_path_value: int, options: Options = DEFAULT_OPTIONS
) -> list[Pinnacle]:
    """Four pinnacles from the roots M, D, Y, each value reduced with masters kept.

    Ages are whole years, both ends inclusive: P1 runs from 0 to 36 − root(Life Path),
    P2 and P3 nine years each, P4 from the next age on (``to_age`` None). Life Path 1:
    0–35, 36–44, 45–53, 54+.
    """
    masters = options.masters
    m, d, y = _month_day_year_roots(birth_date)
    first, second = reduce(m + d, masters), reduce(d + y, masters)
    values = (first, second, reduce(first + second, masters), reduce(m + y, masters))
    first_end = 36 - root(life_path_value)
    bounds = (
        (0, first_end),
        (first_end + 1, first_end + 9),
        (first_end + 10, first_end + 18),
        (first_end + 19, None),
    )
    return [Pinnacle(v, start, end) for v, (start, end) in zip(values, bounds, strict=True)]


@dataclass(frozen=True)
class LoShu:
    """Counts of digits 1–9 in the birth date (DDMMYYYY, zeros ignored).

    They fill the 4 9 2 / 3 5 7 / 8 1 6 square; the layout is for display.
    """

    counts: dict[int, int]
    driver: int
    conductor: int

    @property
    def missing(self) -> list[int]:
        return [digit for digit, count in self.counts.items() if count == 0]

    @property
    def repeated(self) -> list[int]:
        return [digit for digit, count in self.counts.items() if count > 1]

    def as_dict(self) -> dict[str, object]:
        return {
            "counts": {str(digit): count for digit, count in self.counts.items()},
            "missing": self.missing,
            "repeated": self.repeated,
            "driver": self.driver,
            "conductor": self.conductor,
        }


def lo_shu(birth_date: date) -> LoShu:
    """Driver = root(day); conductor = root(sum of every date digit)."""
    digits = [int(c) for c in f"{birth_date.day}{birth_date.month}{birth_date.year}"]
    counts = {digit: digits.count(digit) for digit in range(1, 10)}
    return LoShu(counts=counts, driver=root(birth_date.day), conductor=root(sum(digits)))
