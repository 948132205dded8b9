"""The calculation options of NUMEROLOGY.md; every result carries the options it used."""

from dataclasses import asdict, dataclass, fields
from typing import Any

from .errors import InvalidOption

SYSTEMS = ("pythagorean", "chaldean")
LIFE_PATH_METHODS = ("reduce_parts", "sum_digits")
NAME_METHODS = ("per_part", "whole_name")
Y_RULES = ("heuristic", "vowel", "consonant")
MASTER_NUMBERS = (11, 22, 33)

_CHOICES = {
    "system": SYSTEMS,
    "life_path_method": LIFE_PATH_METHODS,
    "name_method": NAME_METHODS,
    "y_rule": Y_RULES,
}


@dataclass(frozen=True)
class Options:
    system: str = "pythagorean"
    life_path_method: str = "reduce_parts"
    name_method: str = "per_part"
    y_rule: str = "heuristic"
    masters: tuple[int, ...] = MASTER_NUMBERS

    def __post_init__(self) -> None:
        for name, choices in _CHOICES.items():
            if getattr(self, name) not in choices:
                choice_list = ", ".join(choices)
                raise InvalidOption(f"must be one of: {choice_list}", field=f"options.{name}")
        masters = self.masters
        if not isinstance(masters, (list, tuple, set, frozenset)):
            raise InvalidOption("must be a list of master numbers", field="options.masters")
        for master in masters:
            # bool is an int subclass and 11.0 == 11: accept exact ints only.
            if type(master) is not int or master not in MASTER_NUMBERS:
                raise InvalidOption(
                    "each master number must be one of 11, 22, 33", field="options.masters"
                )
        object.__setattr__(self, "masters", tuple(sorted(set(masters))))

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["masters"] = list(self.masters)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> "Options":
        """Build options from request data; missing keys take their defaults."""
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise InvalidOption("must be an object")
        known = {f.name for f in fields(cls)}
        for key in data:
            if key not in known:
                raise InvalidOption("unknown option", field=f"options.{key}")
        return cls(**data)


DEFAULT_OPTIONS = Options()
