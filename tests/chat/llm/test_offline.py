"""The offline guide: deterministic answers from the user's numbers, streamed word by word."""

from __future__ import annotations

import contextlib
from datetime import date

import pytest

from chat.llm.base import ChatModel, Delta, Finish
from chat.llm.offline import OfflineChatModel, guide_answer
from chat.prompts import ChatMessage, GuideContext
from readings import content, engine

TODAY = date(2025, 3, 14)
BIRTH = date(1984, 9, 25)  # Life Path 9 + 7 + 22 = 38 → 11
PERSONAL = engine.personal_numbers(BIRTH, TODAY)
NUMBERS = {
    "life_path": 11,
    "expression": 8,
    "soul_urge": 7,
    "personality": 1,
    "birthday": 7,
    "maturity": 1,
}
READING = {
    "personal_year": PERSONAL.year,
    "personal_month": PERSONAL.month,
    "personal_day": PERSONAL.day,
    "lucky_number": 17,
    "lucky_colour": {"name": "Royal Blue", "hex": "#4169e1"},
    "affirmation": "I trust the timing of my life.",
}
ADA = GuideContext(
    first_name="Ada", today=TODAY, numbers=NUMBERS, reading=READING, birth_date=BIRTH
)
NO_BIRTH_DATE = GuideContext(first_name="Sam", today=TODAY)


async def stream(model: OfflineChatModel, question: str, context: GuideContext = ADA):
    events = []
    messages = [ChatMessage("system", "You are a guide."), ChatMessage("user", question)]
    async with contextlib.aclosing(model.stream(messages, context=context)) as iterator:
        async for event in iterator:
            events.append(event)
    return events


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("What is my life path?", "life_path"),
        ("what's my expression number", "expression"),
        ("Tell me about my destiny number", "expression"),
        ("What is my soul urge?", "soul_urge"),
        ("and my heart's desire?", "soul_urge"),
        ("what does my personality number mean", "personality"),
        ("What's my birthday number?", "birthday"),
        ("maturity number please", "maturity"),
    ],
)
def test_core_number_questions_are_answered_with_the_meaning(question, kind):
    answer = guide_answer(question, ADA)

    meaning = content.meaning(kind, NUMBERS[kind])
    assert f"number is {NUMBERS[kind]}" in answer
    assert meaning["description"] in answer
    assert all(strength in answer for strength in meaning["strengths"])


def test_a_master_life_path_is_explained_as_one():
    answer = guide_answer("what is my life path", ADA)

    assert "Your Life Path number is 11, The Intuitive." in answer
    assert "11 is a master number" in answer


def test_today_uses_the_reading():
    answer = guide_answer("What does today hold?", ADA)

    day = content.meaning("personal_day", PERSONAL.day)
    assert day["title"] in answer
    assert day["description"] in answer
    assert "lucky number today is 17" in answer
    assert "Royal Blue" in answer
    assert "I trust the timing of my life." in answer
    assert f"Personal Month {PERSONAL.month}" in answer
    assert f"Personal Year {PERSONAL.year}" in answer


def test_today_without_a_stored_reading_still_reads_the_personal_day():
    context = GuideContext(first_name="Ada", today=TODAY, numbers=NUMBERS, birth_date=BIRTH)

    answer = guide_answer("what's my reading for today?", context)

    assert content.meaning("personal_day", PERSONAL.day)["description"] in answer
    assert "isn't ready yet" in answer


def test_this_year_reads_the_personal_year():
    answer = guide_answer("What does this year hold for me?", ADA)

    assert content.meaning("personal_year", PERSONAL.year)["description"] in answer


@pytest.mark.parametrize(
    "question",
    [
        "Am I compatible with someone born 1990-05-14?",
        "am i compatible with someone born May 14, 1990",
        "Are we a match? He was born 14 May 1990.",
        "my partner's birthday is 14th May 1990",
    ],
)
def test_compatibility_with_a_birth_date(question):
    answer = guide_answer(question, ADA)

    other = engine.life_path(date(1990, 5, 14)).value
    result = engine.compatibility(BIRTH, date(1990, 5, 14))
    text = content.compatibility_text(result.relation, result.a.value, result.b.value)
    assert f"has Life Path {other}" in answer
    assert "Yours is Life Path 11" in answer
    assert text["title"] in answer
    assert text["description"] in answer
    assert text["a"] in answer
    assert "not fate" in answer


def test_compatibility_of_different_groups_explains_both_triads():
    context = GuideContext(first_name="Tom", today=TODAY, birth_date=date(1962, 7, 3))  # LP 1

    answer = guide_answer("am I compatible with someone born 1990-05-14?", context)

    text = content.compatibility_text("different_group", 1, 11)
    assert text["title"] in answer
    assert text["a"] in answer and text["b"] in answer


def test_compatibility_between_two_given_dates():
    answer = guide_answer(
        "Is someone born 1936-10-12 compatible with someone born 1992-11-22?", ADA
    )

    text = content.compatibility_text("different_group", 5, 9)
    assert "has Life Path 5" in answer and "has Life Path 9" in answer
    assert text["title"] in answer


def test_a_date_it_cannot_read_is_questioned_not_guessed():
    assert "like 1990-05-14" in guide_answer("compatible with someone born 05/06/1990?", ADA)
    assert "real calendar date" in guide_answer("born 1990-02-30, compatible?", ADA)


def test_compatibility_without_a_date_asks_for_one():
    answer = guide_answer("Am I compatible with my boss?", ADA)

    assert "date of birth" in answer
    assert "1990-05-14" in answer


def test_without_a_birth_date_it_explains_how_to_add_one():
    for question in ("What is my life path?", "What does today hold?", "hello"):
        answer = guide_answer(question, NO_BIRTH_DATE)
        assert "date of birth" in answer
        assert "profile" in answer

    answer = guide_answer("Am I compatible with someone born 1990-05-14?", NO_BIRTH_DATE)
    assert "has Life Path 11" in answer
    assert "I need your date of birth" in answer


def test_greeting_by_name_with_the_life_path():
    answer = guide_answer("Hello!", ADA)

    assert answer.startswith("Hi Ada!")
    assert "Your Life Path is 11" in answer
    assert "What is my life path?" in answer


def test_a_greeting_before_a_question_answers_the_question():
    answer = guide_answer("Hi! What is my life path?", ADA)

    assert answer.startswith("Hi Ada! Your Life Path number is 11")


def test_it_says_honestly_what_it_cannot_do():
    for question in ("What can you do?", "asdf qwerty"):
        answer = guide_answer(question, ADA)
        assert "medical, legal or financial advice" in answer
        assert "predict the future" in answer
        assert "1990-05-14" in answer


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Should I invest in bitcoin?", "financial advice"),
        ("Do I need to see a doctor about these symptoms?", "medical advice"),
        ("Should I sue my landlord?", "legal advice"),
    ],
)
def test_no_medical_legal_or_financial_advice(question, expected):
    answer = guide_answer(question, ADA)

    assert expected in answer
    assert f"Personal Day {PERSONAL.day}" in answer


def test_it_does_not_predict_the_future():
    answer = guide_answer("Will I get rich next year?", ADA)

    assert "can't predict the future" in answer


def test_someone_in_crisis_is_pointed_to_real_help():
    answer = guide_answer("I want to kill myself", ADA)

    assert "emergency" in answer
    assert "crisis line" in answer


def test_answers_are_deterministic():
    for question in ("hello", "what is my life path?", "what does today hold?"):
        assert guide_answer(question, ADA) == guide_answer(question, ADA)


@pytest.mark.asyncio
async def test_streams_word_by_word_then_finishes():
    model = OfflineChatModel(words_per_second=0)

    events = await stream(model, "What is my life path?")

    *deltas, finish = events
    assert isinstance(model, ChatModel)
    assert model.name == "numerai-offline-guide"
    assert len(deltas) > 20
    assert all(
        isinstance(d, Delta) and d.text.strip() and " " not in d.text.strip() for d in deltas
    )
    assert "".join(d.text for d in deltas) == guide_answer("What is my life path?", ADA)
    assert isinstance(finish, Finish)
    assert finish.finish_reason == "stop"
    assert finish.usage.completion_tokens == len(deltas)
    assert finish.usage.prompt_tokens > 0
    expected_total = finish.usage.prompt_tokens + finish.usage.completion_tokens
    assert finish.usage.total_tokens == expected_total


@pytest.mark.asyncio
async def test_the_stream_is_deterministic():
    model = OfflineChatModel(words_per_second=0)

    first = await stream(model, "Am I compatible with someone born 1990-05-14?")
    second = await stream(model, "Am I compatible with someone born 1990-05-14?")

    assert first == second


@pytest.mark.asyncio
async def test_the_stream_can_be_closed_mid_way():
    model = OfflineChatModel(words_per_second=1000)
    messages = [ChatMessage("user", "What does today hold?")]

    iterator = model.stream(messages, context=ADA)
    first = await anext(iterator)
    await iterator.aclose()

    assert isinstance(first, Delta)
    with pytest.raises(StopAsyncIteration):
        await anext(iterator)
