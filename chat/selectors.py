"""Reads of the chat app. Every fetch by id is ownership-checked here, in one place."""

from __future__ import annotations

import base64
import uuid
from datetime import date

from django.core.exceptions import ValidationError
from django.db.models import FilteredRelation, Q, QuerySet

from accounts.models import User
from chat.models import Conversation, Message
from chat.prompts import ChatMessage, GuideContext
from numerai.db import CompiledQuery
from numerai.errors import InvalidInput, NotAuthenticated, NotFound
from readings.models import DailyReading
from readings.selectors import daily_reading_payload

HISTORY_LIMIT = 40
CORE_NUMBERS = ("life_path", "expression", "soul_urge", "personality", "birthday", "maturity")


def _as_uuid(value, *, field: str) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError) as exc:
        raise InvalidInput(field, "Must be a UUID.") from exc


def conversation_filter_for_user(*, user, conversation_id) -> QuerySet[Conversation]:
    """The conversation with this id, only if it is the user's: the one ownership filter, for
    the fetch below and for writes that check ownership in their own statement."""
    return Conversation.objects.filter(pk=_as_uuid(conversation_id, field="conversation_id"),
                                       user=user)


def conversation_get_for_user(*, user, conversation_id) -> Conversation:
    """The user's conversation, or NotFound (another user's id is indistinguishable)."""
    try:
        return conversation_filter_for_user(user=user, conversation_id=conversation_id).get()
    except (Conversation.DoesNotExist, ValidationError) as exc:
        raise NotFound("Conversation not found.") from exc


def message_get_for_user(*, user, message_id) -> Message:
    try:
        return Message.objects.select_related("conversation").get(
            pk=_as_uuid(message_id, field="message_id"), conversation__user=user
        )
    except (Message.DoesNotExist, ValidationError) as exc:
        raise NotFound("Message not found.") from exc


def conversation_list_for_user(*, user):
    return Conversation.objects.filter(user=user).order_by("-last_message_at", "-started_at")


def _cursor_encode(message: Message) -> str:
    raw = f"{message.created_at.isoformat()}|{message.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _cursor_decode(cursor: str):
    from datetime import datetime

    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created, pk = base64.urlsafe_b64decode(padded.encode()).decode().split("|")
        return datetime.fromisoformat(created), uuid.UUID(pk)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("cursor", "Invalid cursor.") from exc


def message_page_for_conversation(
    *, conversation: Conversation, limit: int, cursor: str | None
) -> tuple[list[Message], str | None]:
    """Newest first, `limit` at a time; the cursor points past the last message returned."""
    messages = Message.objects.filter(conversation=conversation)
    if cursor:
        created, pk = _cursor_decode(cursor)
        from django.db.models import Q

        messages = messages.filter(Q(created_at__lt=created) | Q(created_at=created, pk__lt=pk))
    page = list(messages.order_by("-created_at", "-pk")[: limit + 1])
    next_cursor = _cursor_encode(page[limit - 1]) if len(page) > limit else None
    return page[:limit], next_cursor


def _history_for_llm(*, user_id: uuid.UUID, conversation_id: uuid.UUID) -> QuerySet[Message]:
    return (
        Message.objects.filter(conversation_id=conversation_id, conversation__user_id=user_id)
        .exclude(role=Message.Role.ASSISTANT, content="")
        .order_by("-created_at")
        .values_list("role", "content")[:HISTORY_LIMIT - 1]
    )


# Compiled once, as the user's query below: a turn in a conversation reads its history first.
_history_for_llm_compiled = CompiledQuery(_history_for_llm, user_id=uuid.UUID(int=0),
                                          conversation_id=uuid.UUID(int=1))


def message_list_for_llm(*, user, conversation_id: uuid.UUID) -> list[ChatMessage]:
    """The recent history of the user's conversation, to which the message being answered is
    added (so one less than HISTORY_LIMIT); empty when the conversation is not the user's."""
    recent = _history_for_llm_compiled(user_id=user.pk, conversation_id=conversation_id)
    return [ChatMessage(role=role, content=content) for role, content in reversed(recent)]


def _users_for_turn(*, user_id: uuid.UUID, today: date) -> QuerySet[User]:
    return (
        User.objects.annotate(today_reading=FilteredRelation(
            "daily_readings", condition=Q(daily_readings__reading_date=today)))
        .select_related("numerology_profile", "today_reading")
        .filter(pk=user_id, is_active=True)
    )


# Compiled once: on every turn, before the model is asked (fix 26 in docs/performance.md).
_users_for_turn_compiled = CompiledQuery(_users_for_turn, user_id=uuid.UUID(int=0),
                                         today=date.min)


def user_get_for_turn(*, user_id: uuid.UUID, today: date) -> tuple[User, DailyReading | None]:
    """The live sender with their numerology profile, and their reading of `today` (None if
    there is none), in one query; `NotAuthenticated` if deleted or deactivated."""
    try:
        [user] = _users_for_turn_compiled(user_id=user_id, today=today)
    except ValueError as exc:  # none
        raise NotAuthenticated("User not found or inactive.") from exc
    # A reverse relation joined this way is set only when a row matched.
    return user, getattr(user, "today_reading", None)


def guide_context_for_user(
    *, user, today: date, profile, reading: DailyReading | None
) -> GuideContext:
    """The user's numbers (from `profile`, None if they have none) and today's `reading` (None
    if there is none) as plain facts for the prompt and offline guide."""
    numbers = {}
    if profile is not None:
        numbers = {kind: getattr(profile, kind) for kind in CORE_NUMBERS}
    facts = None
    if reading is not None:
        payload = daily_reading_payload(reading)
        facts = {
            "personal_year": payload["personal_year"]["value"],
            "personal_month": payload["personal_month"]["value"],
            "personal_day": payload["personal_day"]["value"],
            "lucky_number": payload["lucky_number"],
            "lucky_colour": payload["lucky_colour"],
            "affirmation": payload["affirmation"],
        }
    first_name = (user.full_name or "").split(" ")[0] or "friend"
    return GuideContext(
        first_name=first_name,
        today=today,
        numbers=numbers,
        reading=facts,
        birth_date=user.date_of_birth,
    )
