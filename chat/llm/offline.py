"""The built-in offline guide: a deterministic `ChatModel` used when no model server is set.

It answers from the user's numbers, today's reading and the meanings content (greetings, core
numbers, today's reading, compatibility with a birth date, and honest answers about what it
cannot do), then streams the answer word by word at a readable pace like a model would.
"""

from __future__ import annotations

import asyncio
import re
import unicodedata
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from chat.llm.base import Delta, Finish, Usage
from chat.prompts import ChatMessage, GuideContext, estimate_tokens, format_date
from readings import content, engine

__all__ = ["OfflineChatModel", "guide_answer"]

_WORD = re.compile(r"\S+\s*")


class OfflineChatModel:
    """A deterministic guide: the same context and question always give the same answer."""

    name = "numerai-offline-guide"

    def __init__(self, words_per_second: float = 25.0) -> None:
        self.words_per_second = float(words_per_second)

    def __repr__(self) -> str:
        return f"OfflineChatModel(words_per_second={self.words_per_second!r})"

    async def stream(
        self, messages: Sequence[ChatMessage], *, context: GuideContext
    ) -> AsyncIterator[Delta | Finish]:
        question = next((m.content for m in reversed(messages) if m.role == "user"), "")
        words = _WORD.findall(guide_answer(question, context))
        pause = 1 / self.words_per_second if self.words_per_second > 0 else 0.0
        for index, word in enumerate(words):
            # Sleeping (even 0 s) between words keeps cancellation prompt, like a real stream.
            if index:
                await asyncio.sleep(pause)
            yield Delta(word)
        prompt_tokens = sum(estimate_tokens(m.content) for m in messages)
        yield Finish(
            finish_reason="stop",
            usage=Usage(
                prompt_tokens=prompt_tokens,
                completion_tokens=len(words),
                total_tokens=prompt_tokens + len(words),
            ),
        )


# ---- understanding the question -------------------------------------------------------------

_MONTHS = {
    name: number
    for number, names in enumerate(
        (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
         ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
         ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
         ("dec", "december")),
        start=1,
    )
    for name in names
}  # fmt: skip
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_ORDINAL = r"(?:st|nd|rd|th)?"
_DATE_PATTERNS = (
    re.compile(r"\b(?P<year>\d{4})[-/.](?P<month>\d{1,2})[-/.](?P<day>\d{1,2})\b"),
    re.compile(rf"\b{_MONTH}\s+(?P<day>\d{{1,2}}){_ORDINAL},?\s+(?P<year>\d{{4}})\b"),
    re.compile(rf"\b(?P<day>\d{{1,2}}){_ORDINAL}\s+(?:of\s+)?{_MONTH},?\s+(?P<year>\d{{4}})\b"),
    re.compile(r"\b(?P<first>\d{1,2})[/.-](?P<second>\d{1,2})[/.-](?P<year>\d{4})\b"),
)


@dataclass(frozen=True)
class _DateProblem:
    """A date-like text the guide will not guess about."""

    text: str
    reason: str  # "invalid" | "ambiguous"


def find_dates(text: str) -> list[date | _DateProblem]:
    """Dates written as 1990-05-14, May 14, 1990, 14 May 1990 or 14/05/1990, in order."""
    found: list[tuple[int, date | _DateProblem]] = []
    taken: list[range] = []
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            span = range(*match.span())
            if any(span.start in other or other.start in span for other in taken):
                continue
            taken.append(span)
            found.append((match.start(), _to_date(match)))
    return [value for _, value in sorted(found, key=lambda item: item[0])]


def _to_date(match: re.Match[str]) -> date | _DateProblem:
    parts = match.groupdict()
    year = int(parts["year"])
    if parts.get("first") is not None:
        first, second = int(parts["first"]), int(parts["second"])
        if first > 12 >= second:
            day, month = first, second
        elif second > 12 >= first:
            month, day = first, second
        elif first == second:
            day = month = first
        else:
            return _DateProblem(match.group(0), "ambiguous")
    else:
        raw_month = parts["month"]
        month = int(raw_month) if raw_month.isdigit() else _MONTHS[raw_month]
        day = int(parts["day"])
    try:
        return date(year, month, day)
    except ValueError:
        return _DateProblem(match.group(0), "invalid")


def _has(text: str, pattern: str) -> bool:
    return re.search(pattern, text) is not None


_KIND_PATTERNS = {
    "life_path": r"\blife[\s-]?paths?\b",
    "expression": r"\b(expression|destiny)\b",
    "soul_urge": r"\b(soul[\s-]?urge|heart'?s?[\s-]desire|soul number)\b",
    "personality": r"\bpersonality\b",
    "birthday": r"\bbirthday\b",
    "maturity": r"\bmaturity\b",
}
_CRISIS = (
    r"\b(suicid\w*|kill(ing)? myself|end(ing)? my life|self[\s-]?harm\w*|hurt(ing)? myself"
    r"|want to die)\b"
)
_ADVICE = {
    "medical": (
        r"\b(doctors?|medic\w*|diagnos\w*|symptoms?|illness\w*|diseases?|sick|cancer|pregnan\w*"
        r"|surgery|prescri\w*|pills?|dosage|vaccin\w*)\b",
        "a doctor or another qualified health professional",
    ),
    "legal": (
        r"\b(lawyers?|attorneys?|legal\w*|lawsuits?|sue|suing|court|contracts?|custody|divorce"
        r"|visa|immigration)\b",
        "a lawyer",
    ),
    "financial": (
        r"\b(invest\w*|stocks?|shares|crypto\w*|bitcoin|trading|lottery|lotto|gambl\w*|bets?"
        r"|betting|loans?|mortgages?|tax|taxes|retirement fund|pension)\b",
        "a qualified financial adviser",
    ),
}
# Asking for a comparison, even without a birth date; with a date, any relationship word will do.
_COMPATIBILITY = r"\b(compatib\w*|match(es|ed|ing)?|get along|soul ?mates?)\b"
_RELATIONSHIP = (
    r"\b(partners?|relationships?|love|together|crush|dating|date|husband|wife|boyfriend"
    r"|girlfriend|friends?|colleagues?|boss|mother|father|mom|mum|dad|sister|brother|son"
    r"|daughter|baby|child)\b"
)
_OVERVIEW = (
    r"\b(my (core )?numbers|all (of )?my numbers|my (birth )?chart|my profile|core numbers)\b"
)
_TODAY = (
    r"\b(today|today's|tonight|daily|reading|lucky|affirmation|colou?r|personal (day|month|year)"
    r"|this (day|month|year|week)|horoscope)\b"
)
_FUTURE = r"\b(will i|am i going to|predict\w*|future|fortune|destin(y|ed) to)\b"
_HELP = (
    r"\b(what can you do|what do you do|help|who are you|what are you|are you (an? )?(ai|bot|"
    r"real|human)|how does this work|what can i ask)\b"
)
_THANKS = r"\b(thanks?|thank you|thx|ty|cheers|appreciate)\b"
_GREETING = (
    r"^(hi|hello|hey|hiya|howdy|greetings|yo|hola|bonjour|salut|ciao|namaste"
    r"|good (morning|afternoon|evening|day))\b"
)


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).replace("’", "'").replace("‘", "'")
    return " ".join(text.lower().split())


# ---- composing the answer -------------------------------------------------------------------

_KIND_ABOUT = {
    "life_path": "Your Life Path comes from your full date of birth. It is the main theme of "
    "your journey: the road you walk and the lessons you meet along it.",
    "expression": "Your Expression (or Destiny) number comes from every letter of your full "
    "birth name. It describes your natural talents and how you tend to use them.",
    "soul_urge": "Your Soul Urge (or Heart's Desire) comes from the vowels of your birth name. "
    "It speaks of what you long for on the inside.",
    "personality": "Your Personality number comes from the consonants of your birth name. It "
    "describes how others tend to see you at first.",
    "birthday": "Your Birthday number comes from the day of the month you were born. It points "
    "to a particular gift you bring with you.",
    "maturity": "Your Maturity number adds your Life Path and Expression. It describes what "
    "tends to grow stronger in the second half of life.",
}
_KIND_NEEDS = {
    "life_path": "date of birth",
    "birthday": "date of birth",
    "expression": "full birth name",
    "soul_urge": "full birth name",
    "personality": "full birth name",
    "maturity": "date of birth and full birth name",
}
_LABELS = {
    "life_path": "Life Path",
    "expression": "Expression",
    "soul_urge": "Soul Urge",
    "personality": "Personality",
    "birthday": "Birthday",
    "maturity": "Maturity",
}
_MASTER_ROOTS = {11: 2, 22: 4, 33: 6}
_CAN_DO = (
    "- explain your core numbers: Life Path, Expression, Soul Urge, Personality, Birthday and "
    'Maturity (try "What is my life path?")\n'
    "- walk you through today's reading: personal day, lucky number and colour, and your "
    'affirmation (try "What does today hold?")\n'
    "- compare Life Paths with someone's birth date (try \"Am I compatible with someone born "
    '1990-05-14?")'
)
_CANNOT_DO = (
    "What I can't do: predict the future, give medical, legal or financial advice, look up "
    "other people, or change anything in your account. Numerology here is for reflection and "
    "fun, not a rulebook."
)
_ADD_BIRTH_DATE = (
    "Add your date of birth (and your full birth name, as on your birth certificate) in your "
    "profile in the app, and your numbers and daily readings will appear right away."
)


def _first_name(context: GuideContext) -> str:
    name = " ".join(str(context.first_name or "").split())[:40]
    return name or "friend"


def _meaning(kind: str, number: int) -> dict | None:
    try:
        return content.meaning(kind, number)
    except (KeyError, ValueError):
        return None


def _archetype(entry: dict) -> str:
    return entry["title"].split(" — ", 1)[-1]


def _master_note(number: int) -> str:
    if number not in _MASTER_ROOTS:
        return ""
    return (
        f" {number} is a master number: it is not reduced further and carries the themes of "
        f"{_MASTER_ROOTS[number]} at a higher pitch."
    )


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _bullets(items: Sequence[str]) -> str:
    return "\n".join(f"- {item}" for item in items)


def _number_answer(kind: str, context: GuideContext) -> str:
    label = _LABELS[kind]
    value = context.numbers.get(kind)
    if value is None:
        return (
            f"I don't know your {label} number yet: it comes from your {_KIND_NEEDS[kind]}, "
            f"which isn't in your profile. Add it in your profile in the app and ask me again, "
            f"and I'll tell you what your {label} says about you."
        )
    entry = _meaning(kind, value)
    if entry is None:
        return f"Your {label} number is {value}.{_master_note(value)}"
    return (
        f"Your {label} number is {value}, {_archetype(entry)}.{_master_note(value)}\n\n"
        f"{entry['description']}\n\n"
        f"Keywords: {', '.join(entry['keywords'])}.\n\n"
        f"Strengths:\n{_bullets(entry['strengths'])}\n\n"
        f"Challenges to watch:\n{_bullets(entry['challenges'])}\n\n"
        f"{_KIND_ABOUT[kind]}"
    )


def _overview_answer(context: GuideContext) -> str:
    lines = []
    for kind, label in _LABELS.items():
        value = context.numbers.get(kind)
        if value is None:
            continue
        entry = _meaning(kind, value)
        detail = f", {_archetype(entry)}: {', '.join(entry['keywords'][:3])}" if entry else ""
        lines.append(f"- {label} {value}{detail}")
    if not lines:
        return f"I don't have any of your numbers yet. {_ADD_BIRTH_DATE}"
    missing = [label for kind, label in _LABELS.items() if kind not in context.numbers]
    parts = [f"Here are your core numbers, {_first_name(context)}:\n" + "\n".join(lines)]
    if missing:
        parts.append(f"Still missing: {', '.join(missing)}. {_ADD_BIRTH_DATE}")
    parts.append('Ask me about any one of them ("What is my soul urge?") for the full meaning.')
    return "\n\n".join(parts)


def _personal_numbers(context: GuideContext) -> dict[str, int] | None:
    """Today's personal year/month/day: from the stored reading, else computed."""
    reading = context.reading or {}
    keys = ("personal_year", "personal_month", "personal_day")
    if all(isinstance(reading.get(key), int) for key in keys):
        return {key: reading[key] for key in keys}
    if context.birth_date is None:
        return None
    try:
        numbers = engine.personal_numbers(context.birth_date, context.today)
    except engine.EngineError:
        return None
    return {"personal_year": numbers.year, "personal_month": numbers.month,
            "personal_day": numbers.day}  # fmt: skip


def _cycle_title(kind: str, number: int) -> str:
    """E.g. "Personal Month 5 (Change and Freedom)"."""
    label = f"{kind.replace('_', ' ').title()} {number}"
    entry = _meaning(kind, number)
    return f"{label} ({_archetype(entry)})" if entry else label


def _today_answer(question: str, context: GuideContext) -> str:
    personal = _personal_numbers(context)
    if personal is None:
        return (
            "I can't read your day yet, because your daily reading is worked out from your date "
            f"of birth and I don't have it. {_ADD_BIRTH_DATE}"
        )
    focus = "personal_day"
    if _has(question, r"\b(personal year|this year|year ahead)\b"):
        focus = "personal_year"
    elif _has(question, r"\b(personal month|this month)\b"):
        focus = "personal_month"
    number = personal[focus]
    entry = _meaning(focus, number)
    heading = entry["title"] if entry else f"{focus.replace('_', ' ').title()} {number}"
    parts = [
        f"Here's your reading for {format_date(context.today)}, {_first_name(context)}.",
        f"{heading}: {entry['description']}" if entry else heading,
    ]
    if entry:
        parts.append(
            f"Lean into: {', '.join(_lower_first(s) for s in entry['strengths'])}."
            f" Watch for: {', '.join(_lower_first(c) for c in entry['challenges'])}."
        )
    if focus == "personal_day":
        parts.append(
            f"It is part of your {_cycle_title('personal_month', personal['personal_month'])}, "
            f"within your {_cycle_title('personal_year', personal['personal_year'])}."
        )
    reading = context.reading
    if reading:
        extras = []
        if reading.get("lucky_number") is not None:
            extras.append(f"Your lucky number today is {reading['lucky_number']}")
        colour = reading.get("lucky_colour")
        if isinstance(colour, Mapping) and colour.get("name"):
            extras.append(f"your lucky colour is {colour['name']}")
        if extras:
            parts.append(" and ".join(extras) + ".")
        if reading.get("affirmation"):
            parts.append(f'Today\'s affirmation: "{reading["affirmation"]}"')
    else:
        parts.append(
            "Your full daily reading, with a lucky number, colour and affirmation, isn't ready "
            "yet; it is created each morning and shows up in the app."
        )
    parts.append("Take it as a theme to reflect on, not a forecast.")
    return "\n\n".join(parts)


def _life_path_line(born: date) -> str:
    """E.g. "Life Path 11 (a master number, read as 2 here), The Intuitive"."""
    value = engine.life_path(born).value
    entry = _meaning("life_path", value)
    name = f", {_archetype(entry)}" if entry else ""
    master = ""
    if value in _MASTER_ROOTS:
        master = f" (a master number, read as {_MASTER_ROOTS[value]} here)"
    return f"Life Path {value}{master}{name}"


def _compatibility_paragraphs(a_born: date, b_born: date) -> list[str]:
    result = engine.compatibility(a_born, b_born)
    try:
        text = content.compatibility_text(result.relation, result.a.value, result.b.value)
    except (KeyError, ValueError):
        return [_COMPATIBILITY_CLOSING]
    triads = text["a"] if text["a"] == text["b"] else f"{text['a']} {text['b']}"
    return [f"{text['title']}: {text['description']}", triads, _COMPATIBILITY_CLOSING]


_COMPATIBILITY_CLOSING = (
    "Numerology describes tendencies, not fate: any pairing can thrive with care, curiosity "
    "and honest conversation."
)


def _date_problem_answer(problem: _DateProblem) -> str:
    if problem.reason == "ambiguous":
        return (
            f"I can't tell whether {problem.text} means day/month or month/day. Could you "
            "write it as year-month-day, like 1990-05-14, or as 14 May 1990?"
        )
    return (
        f"{problem.text} doesn't look like a real calendar date. Could you check it and "
        "write it like 1990-05-14?"
    )


def _dates_answer(question: str, dates: list[date | _DateProblem], context: GuideContext) -> str:
    valid = [d for d in dates if isinstance(d, date)]
    if not valid:
        return _date_problem_answer(next(d for d in dates if isinstance(d, _DateProblem)))
    if len(valid) >= 2:
        first, second = valid[:2]
        opening = (
            f"Someone born {format_date(first)} has {_life_path_line(first)}, and someone born "
            f"{format_date(second)} has {_life_path_line(second)}."
        )
        return "\n\n".join([opening, *_compatibility_paragraphs(first, second)])
    other = valid[0]
    opening = f"Someone born {format_date(other)} has {_life_path_line(other)}."
    about_life_path_only = (
        _has(question, _KIND_PATTERNS["life_path"])
        and not _has(question, _COMPATIBILITY)
        and not _has(question, _RELATIONSHIP)
    )
    if about_life_path_only:
        parts = [opening]
        value = engine.life_path(other).value
        entry = _meaning("life_path", value)
        if entry:
            parts.append(
                f"Life Path {value} is often linked with {', '.join(entry['keywords'])}. "
                f"Its gifts: {', '.join(_lower_first(s) for s in entry['strengths'])}."
            )
        if context.birth_date is not None:
            parts.append(
                f'Ask "Am I compatible with someone born {other.isoformat()}?" to compare it '
                "with your own Life Path."
            )
        return "\n\n".join(parts)
    if context.birth_date is None:
        return (
            f"{opening}\n\nTo see how that Life Path fits with yours I need your date of birth. "
            f"{_ADD_BIRTH_DATE}"
        )
    mine = _life_path_line(context.birth_date)
    return "\n\n".join(
        [f"{opening} Yours is {mine}.", *_compatibility_paragraphs(context.birth_date, other)]
    )


def _crisis_answer(context: GuideContext) -> str:
    return (
        f"I'm really sorry you're going through this, {_first_name(context)}. I'm only a "
        "numerology guide and can't give you the help you deserve right now.\n\n"
        "If you are in danger or thinking about hurting yourself, please contact your local "
        "emergency number now, or a crisis line in your country (in the US and Canada you can "
        "call or text 988; in the UK and Ireland, Samaritans are on 116 123). Talking to "
        "someone you trust can help too. You don't have to face this alone."
    )


def _advice_answer(kind: str, who: str, context: GuideContext) -> str:
    parts = [
        f"I'm a numerology guide, so I can't give {kind} advice, and a number should never "
        f"stand in for a professional's judgement. For this question, please talk to {who}."
    ]
    personal = _personal_numbers(context)
    if personal is not None:
        day = personal["personal_day"]
        entry = _meaning("personal_day", day)
        if entry:
            parts.append(
                f"What I can offer is a reflection: today is a Personal Day {day} for you, "
                f"{_archetype(entry)}. {entry['description']}"
            )
    return "\n\n".join(parts)


def _future_answer(context: GuideContext) -> str:
    parts = [
        "I can't tell you what will happen, and I'd be wary of anyone who promises to. "
        "Numerology can't predict the future; it offers themes to reflect on."
    ]
    personal = _personal_numbers(context)
    if personal is not None:
        year = personal["personal_year"]
        entry = _meaning("personal_year", year)
        if entry:
            parts.append(
                f"This year is a Personal Year {year} for you, {_archetype(entry)}. "
                f"{entry['description']}"
            )
    else:
        parts.append(_ADD_BIRTH_DATE)
    return "\n\n".join(parts)


def _help_answer(context: GuideContext) -> str:
    return (
        f"I'm NumerAI's built-in guide, {_first_name(context)}. I know your numbers and today's "
        f"reading, and I can:\n{_CAN_DO}\n\n{_CANNOT_DO}"
    )


def _greeting_answer(context: GuideContext) -> str:
    name = _first_name(context)
    life_path = context.numbers.get("life_path")
    if life_path is None:
        return (
            f"Hi {name}! I'm your NumerAI guide. {_ADD_BIRTH_DATE} Then I can tell you your "
            "Life Path and the other core numbers, and walk you through each day's reading."
        )
    entry = _meaning("life_path", life_path)
    about = f", {_archetype(entry)}" if entry else ""
    keywords = f": {', '.join(entry['keywords'][:3])}" if entry else ""
    parts = [f"Hi {name}! I'm your NumerAI guide. Your Life Path is {life_path}{about}{keywords}."]
    personal = _personal_numbers(context)
    if personal is not None:
        day_entry = _meaning("personal_day", personal["personal_day"])
        if day_entry:
            parts.append(
                f"Today is a Personal Day {personal['personal_day']} for you. "
                f"{day_entry['description']}"
            )
    parts.append(f"You can ask me to:\n{_CAN_DO}")
    return "\n\n".join(parts)


def _thanks_answer(context: GuideContext) -> str:
    return (
        f"You're welcome, {_first_name(context)}! Ask me any time about your numbers, today's "
        "reading or a compatibility check."
    )


def _fallback_answer(context: GuideContext) -> str:
    return (
        "I'm not sure I understood that. I'm NumerAI's built-in guide, so I understand a "
        f"handful of questions well. I can:\n{_CAN_DO}\n\n{_CANNOT_DO}"
    )


def guide_answer(question: str, context: GuideContext) -> str:
    """The offline guide's whole answer to `question` (deterministic)."""
    text = _normalise(question)
    greeted = _has(text, _GREETING)

    def with_greeting(answer: str) -> str:
        return f"Hi {_first_name(context)}! {answer}" if greeted else answer

    if _has(text, _CRISIS):
        return _crisis_answer(context)
    dates = find_dates(text)
    if dates:
        return with_greeting(_dates_answer(text, dates, context))
    for kind, (pattern, who) in _ADVICE.items():
        if _has(text, pattern):
            return with_greeting(_advice_answer(kind, who, context))
    if _has(text, _COMPATIBILITY):
        return with_greeting(
            "Happy to compare Life Paths! Tell me the other person's date of birth, for "
            'example "Am I compatible with someone born 1990-05-14?" (14 May 1990 works too).'
        )
    kinds = [kind for kind, pattern in _KIND_PATTERNS.items() if _has(text, pattern)]
    answers: list[Callable[[], str]] = [lambda k=k: _number_answer(k, context) for k in kinds]
    if not answers and _has(text, _OVERVIEW):
        answers.append(lambda: _overview_answer(context))
    if _has(text, _TODAY):
        answers.append(lambda: _today_answer(text, context))
    if not answers and _has(text, _FUTURE):
        answers.append(lambda: _future_answer(context))
    if answers:
        return with_greeting("\n\n".join(answer() for answer in answers))
    if _has(text, _HELP):
        return _help_answer(context)
    if _has(text, _THANKS):
        return _thanks_answer(context)
    if greeted:
        return _greeting_answer(context)
    return _fallback_answer(context)
