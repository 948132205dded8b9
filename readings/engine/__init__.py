"""Pure numerology engine (standard library only): see /work/shared/NUMEROLOGY.md.

Every function takes explicit names and dates and never reads the clock.
"""

from .chart import Chart, chart
from .choice import deterministic_choice
from .compatibility import Compatibility, compatibility
from .dates import LoShu, PersonalNumbers, Pinnacle, life_path, personal_numbers
from .errors import EngineError, InvalidDate, InvalidName, InvalidOption
from .names import NormalizedName, normalize_name
from .options import Options
from .reduction import Number, reduce, root

__all__ = [
    "Chart",
    "Compatibility",
    "EngineError",
    "InvalidDate",
    "InvalidName",
    "InvalidOption",
    "LoShu",
    "NormalizedName",
    "Number",
    "Options",
    "PersonalNumbers",
    "Pinnacle",
    "chart",
    "compatibility",
    "deterministic_choice",
    "life_path",
    "normalize_name",
    "personal_numbers",
    "reduce",
    "root",
]
