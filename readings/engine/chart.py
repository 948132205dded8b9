"""The full birth chart: every number of NUMEROLOGY.md for one name, birth date and target date."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from . import dates, names
from .options import DEFAULT_OPTIONS, Options
from .reduction import Number, number


@dataclass(frozen=True)
class Chart:
    options: Options
    name: names.NormalizedName
    birth_date: date
    target_date: date
    life_path: Number
    expression: Number
    soul_urge: Number
    personality: Number
    maturity: Number
    birthday: Number
    personal: dates.PersonalNumbers
    karmic_lessons: tuple[int, ...]
    hidden_passion: tuple[int, ...]
    challenges: tuple[int, ...]
    pinnacles: tuple[dates.Pinnacle, ...]
    lo_shu: dates.LoShu
    chaldean: Number

    def as_dict(self) -> dict[str, Any]:
        """The issue-4 ``data`` shape, without the meaning texts."""
        return {
            "options": self.options.as_dict(),
            "name": self.name.as_dict(),
            "numbers": {
                "life_path": self.life_path.as_dict(),
                "expression": self.expression.as_dict(),
                "soul_urge": self.soul_urge.as_dict(),
                "personality": self.personality.as_dict(),
                "maturity": self.maturity.as_dict(),
                "birthday": {
                    "value": self.birthday.value,
                    "day": self.birth_date.day,
                    "karmic_debt": self.birthday.karmic_debt,
                },
                "personal_year": {"value": self.personal.year},
                "personal_month": {"value": self.personal.month},
                "personal_day": {"value": self.personal.day},
            },
            "karmic_lessons": list(self.karmic_lessons),
            "hidden_passion": list(self.hidden_passion),
            "challenges": list(self.challenges),
            "pinnacles": [pinnacle.as_dict() for pinnacle in self.pinnacles],
            "lo_shu": self.lo_shu.as_dict(),
            # Always the Chaldean whole-name total, whatever options.system says.
            "chaldean": {"compound": self.chaldean.chain[0], "value": self.chaldean.value},
        }


def chart(
    full_name: str, birth_date: date, target_date: date, options: Options = DEFAULT_OPTIONS
) -> Chart:
    """Every number for one person; lessons and passion use the letters of ``options.system``."""
    name = names.normalize_name(full_name)
    life_path = dates.life_path(birth_date, options)
    expression = names.expression(name, options)
    letter_values = names.letter_values(name, options.system)
    return Chart(
        options=options,
        name=name,
        birth_date=birth_date,
        target_date=target_date,
        life_path=life_path,
        expression=expression,
        soul_urge=names.soul_urge(name, options),
        personality=names.personality(name, options),
        # Karmic debt is defined for Life Path, Expression, Soul Urge and Personality only.
        maturity=number(life_path.value + expression.value, options.masters, karmic=False),
        birthday=dates.birthday(birth_date, options),
        personal=dates.personal_numbers(birth_date, target_date),
        karmic_lessons=tuple(names.karmic_lessons(letter_values)),
        hidden_passion=tuple(names.hidden_passion(letter_values)),
        challenges=tuple(dates.challenges(birth_date)),
        pinnacles=tuple(dates.pinnacles(birth_date, life_path.value, options)),
        lo_shu=dates.lo_shu(birth_date),
        chaldean=names.chaldean_name(name, options.masters),
    )
