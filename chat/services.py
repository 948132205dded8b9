"""Writes of the chat app: storing a turn, finishing a reply, renaming, deleting, sweeping."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, transaction
from django.db.models import F, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.sql import InsertQuery, UpdateQuery
from django.utils import timezone

from accounts.selectors import user_require_verified
from chat.models import Conversation, Message
from chat.prompts import ChatMessage, GuideContext, build_messages, conversation_title
from chat.selectors import (
    _as_uuid,
    conversation_filter_for_user,
    conversation_get_for_user,
    guide_context_for_user,
    message_list_for_llm,
    user_get_for_turn,
)
from numerai import metrics
from numerai.errors import Conflict, InvalidInput, NotFound, RateLimited
from readings.models import DailyReading
from readings.selectors import daily_reading_get, user_local_date
from readings.services import numerology_profile_ensure

_CONVERSATION_IDS = uuid.UUID("6f1c2a4e-93d5-4a8b-b1f0-3c7e5d9a2b61")
_PERIODS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


@dataclass(frozen=True)
class Turn:
    conversation_id: uuid.UUID
    user_message_id: uuid.UUID
    assistant_message_id: uuid.UUID
    duplicate: bool

    def ack(self) -> dict:
        return {
            "conversation_id": str(self.conversation_id),
            "user_message_id": str(self.user_message_id),
            "assistant_message_id": str(self.assistant_message_id),
            "duplicate": self.duplicate,
        }


@dataclass(frozen=True)
class ReplyJob:
    """Everything a reply run needs, loaded in one go before the model is called."""

    user_id: uuid.UUID
    conversation_id: uuid.UUID
    message_id: uuid.UUID
    messages: list[ChatMessage]
    context: GuideContext


@dataclass(frozen=True)
class FinishedReply:
    message_id: uuid.UUID
    conversation_id: uuid.UUID
    user_id: uuid.UUID
    content: str
    finish_reason: str
    seq: int
    usage: dict
    new_title: str | None  # set when this reply gave the conversation its title

    def end_data(self) -> dict:
        return {
            "message_id": str(self.message_id),
            "seq": self.seq,
            "finish_reason": self.finish_reason,
            "content": self.content,
            "usage": self.usage,
        }


def chat_rate(user) -> tuple[int, int] | None:
    """(messages, seconds) allowed for the user, or None when unlimited (premium)."""
    if user.is_premium:
        return None
    count, period = settings.RATES["chat"].split("/")
    return int(count), _PERIODS[period]


def _rate_limit_check(*, user, now: datetime) -> None:
    """A rolling window counted from stored messages, so it holds across processes exactly."""
    rate = chat_rate(user)
    if rate is None:
        return
    limit, seconds = rate
    if limit <= 0:  # chat switched off for non-premium users
        raise RateLimited(seconds, "Chat is not available on your plan.")
    window_start = now - timedelta(seconds=seconds)
    # The limit-th most recent message in the window, if there is one: one row, not `limit`.
    # Only conversations active in the window are searched, not every one the user ever had
    # (last_message_at is set as each turn is stored and again when its reply ends).
    oldest_counted = list(
        Message.objects.filter(
            conversation__user=user, conversation__last_message_at__gt=window_start,
            role=Message.Role.USER, created_at__gt=window_start,
        )
        .order_by("-created_at")
        .values_list("created_at", flat=True)[limit - 1:limit]
    )
    if oldest_counted:
        retry_after = (oldest_counted[0] - window_start).total_seconds()
        raise RateLimited(
            int(retry_after) + 1,
            f"You can send {limit} messages per {settings.RATES['chat'].split('/')[1]}.",
        )


def _validate_content(content) -> str:
    if not isinstance(content, str) or not content.strip():
        raise InvalidInput("content", "Must be a non-empty string.")
    if len(content) > settings.CHAT_MAX_MESSAGE_CHARS:
        raise InvalidInput(
            "content", f"At most {settings.CHAT_MAX_MESSAGE_CHARS} characters."
        )
    return content


def _existing_turn(*, user, client_msg_id: uuid.UUID) -> Turn | None:
    sent = (
        Message.objects.filter(
            conversation__user=user, role=Message.Role.USER, client_msg_id=client_msg_id
        )
        .values_list("conversation_id", "pk", "reply__pk")[:1]
    )
    return next((Turn(*ids, duplicate=True) for ids in sent), None)


def _new_conversation_id(user_id, client_msg_id: uuid.UUID) -> uuid.UUID:
    """Derived from the message's idempotency key: the same first message sent twice at once
    (two sockets, a retry) cannot start two conversations, as the primary key refuses one."""
    return uuid.uuid5(_CONVERSATION_IDS, f"{user_id}:{client_msg_id}")


# The turn's writes happen before the model is asked. On PostgreSQL they are one statement, a
# transaction by itself, instead of four round trips (BEGIN, two writes, COMMIT; fix 22 in
# docs/performance.md). The SQL is Django's own, compiled from the same querysets and
# instances. SQLite (the embedded default) is in-process and cannot write in a WITH.
_UPDATED_CONVERSATION = RawSQL("(SELECT id FROM conversation)", ())
_NOT_NULL_VIOLATION = "23502"


def _insert(objs: list) -> tuple[str, tuple]:
    """The INSERT that `bulk_create(objs)` runs (defaults, `auto_now_add`, column types)."""
    query = InsertQuery(type(objs[0]))
    query.insert_values(type(objs[0])._meta.concrete_fields, objs)
    [statement] = query.get_compiler(DEFAULT_DB_ALIAS).as_sql()
    return statement[0], tuple(statement[1])


def _run_with(conversation: tuple[str, tuple], messages: tuple[str, tuple]) -> None:
    """Runs `messages` with `conversation` as its CTE `conversation`, atomically.

    Inside a transaction (a caller's, or a test's) the statement gets a savepoint, so that a
    refused write leaves the transaction usable, as `atomic()` would.
    """
    with (transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext(),
          connection.cursor() as cursor):
        cursor.execute(f"WITH conversation AS ({conversation[0]}) {messages[0]}",
                       conversation[1] + messages[1])


def _conversation_start(conversation: Conversation, messages: list[Message]) -> None:
    if connection.vendor != "postgresql":
        with transaction.atomic():
            conversation.save(force_insert=True)
            Message.objects.bulk_create(messages)
        return
    _run_with(_insert([conversation]), _insert(messages))


def _conversation_continue(
    owned: QuerySet[Conversation], messages: list[Message], *, now: datetime
) -> None:
    """Counts the turn into the conversation `owned` selects (the messages' own), checking
    ownership in the same statement; NotFound (and nothing stored) when it is not the user's."""
    counted = {"message_count": F("message_count") + 2, "last_message_at": now}
    if connection.vendor != "postgresql":
        with transaction.atomic():
            if not owned.update(**counted):
                raise NotFound("Conversation not found.")
            Message.objects.bulk_create(messages)
        return
    update = owned.query.chain(UpdateQuery)
    update.add_update_values(counted)
    update_sql, update_params = update.get_compiler(DEFAULT_DB_ALIAS).as_sql()
    # The messages take the id the UPDATE returns: none (NULL, refused) when it matched none.
    conversation_id = messages[0].conversation_id
    for message in messages:
        message.conversation_id = _UPDATED_CONVERSATION
    insert = _insert(messages)
    for message in messages:
        message.conversation_id = conversation_id
    try:
        _run_with((f"{update_sql} RETURNING id", tuple(update_params)), insert)
    except IntegrityError as exc:
        if getattr(exc.__cause__, "sqlstate", None) == _NOT_NULL_VIOLATION:
            raise NotFound("Conversation not found.") from None
        raise


def _turn_store(
    *, user, question: Message, reply: Message, new_conversation: bool, now: datetime
) -> Turn:
    """Stores the user message and the in-progress reply in their conversation (see
    `turn_start`). A resend returns the first turn's ids as a duplicate."""
    conversation_id = question.conversation_id
    try:
        if new_conversation:
            _conversation_start(
                Conversation(pk=conversation_id, user=user, message_count=2, last_message_at=now),
                [question, reply],
            )
        else:
            _conversation_continue(
                conversation_filter_for_user(user=user, conversation_id=conversation_id),
                [question, reply], now=now,
            )
    except IntegrityError as exc:
        # A resend (after a reconnect, or raced in from another socket) is refused by the
        # unique client_msg_id.
        existing = _existing_turn(user=user, client_msg_id=question.client_msg_id)
        if existing is not None:
            return existing
        if Message.objects.filter(
            client_msg_id=question.client_msg_id
        ).exists():  # another account's message holds the id
            raise InvalidInput("client_msg_id", "Already used; send a new one.") from exc
        raise
    metrics.chat_messages.labels("user").inc()
    return Turn(conversation_id, question.pk, reply.pk, duplicate=False)


def _reply_job(
    *, user, reply: Message, history: list[ChatMessage], reading: DailyReading | None,
    reading_date: date,
) -> ReplyJob:
    """The prompt: the `history` through the question and the user's numerology context, from
    the user as read with their `reading` of `reading_date`."""
    profile = None
    if user.date_of_birth is not None:
        # The guide speaks from the user's chart: compute it now if it was never computed.
        with contextlib.suppress(Conflict):
            profile = numerology_profile_ensure(user=user)
    today = user_local_date(user=user)
    if today != reading_date:  # the time zone changed, or midnight passed, since the guess
        reading = daily_reading_get(user=user, reading_date=today)
    context = guide_context_for_user(user=user, today=today, profile=profile, reading=reading)
    return ReplyJob(
        user_id=user.pk,
        conversation_id=reply.conversation_id,
        message_id=reply.pk,
        messages=build_messages(context, history),
        context=context,
    )


def turn_start(
    *, user, client_msg_id, content: str, conversation_id=None,
    on_prepared: Callable[[ReplyJob], object] | None = None,
) -> tuple[Turn, ReplyJob | None]:
    """Stores the turn and, unless it is a duplicate, returns what its reply needs, built from
    the checked turn before it is stored (nothing written is read back).

    Refused for deleted, deactivated or unverified users, for a conversation that is not the
    user's and over the rate limit; nothing is stored then. A resend of the same
    `client_msg_id` returns the stored ids with `duplicate=True` and no job: it must not start
    a second reply.

    `on_prepared(job)`, if given, gets the job before the turn is stored, so that the caller
    can ask the model meanwhile: the write and its durable commit then overlap the model's
    first token (fix 23 in docs/performance.md). The job stands only if it is returned: when
    the write finds a resend or a refusal, none is returned or an error raised, and the
    caller drops what it started. It is not called for what the checks before the write
    refuse (the rate limit, a conversation that is not the user's).
    """
    # A socket outlives the check at connect: refuse a deleted or deactivated account here,
    # reading in the same query what the prompt needs: the numerology profile and today's
    # reading. Today is the user's local date, taken from the socket's copy of the user (a
    # time zone seldom changes) and checked once the user is read.
    reading_date = user_local_date(user=user)
    user, reading = user_get_for_turn(user_id=user.pk, today=reading_date)
    user_require_verified(user)
    client_msg_id = _as_uuid(client_msg_id, field="client_msg_id")
    content = _validate_content(content)
    new_conversation = conversation_id is None
    conversation_id = (
        _new_conversation_id(user.pk, client_msg_id) if new_conversation
        else _as_uuid(conversation_id, field="conversation_id")
    )
    now = timezone.now()
    try:
        _rate_limit_check(user=user, now=now)
    except RateLimited:
        # A resend is answered as a duplicate even when over the rate limit.
        existing = _existing_turn(user=user, client_msg_id=client_msg_id)
        if existing is not None:
            return existing, None
        raise
    question = Message(conversation_id=conversation_id, role=Message.Role.USER,
                       content=content, client_msg_id=client_msg_id)
    reply = Message(conversation_id=conversation_id, role=Message.Role.ASSISTANT,
                    reply_to=question, status=Message.Status.IN_PROGRESS)
    earlier = [] if new_conversation else message_list_for_llm(
        user=user, conversation_id=conversation_id)
    job = _reply_job(user=user, reply=reply, reading=reading, reading_date=reading_date,
                     history=[*earlier, ChatMessage(role=Message.Role.USER, content=content)])
    # No earlier messages in a conversation: it is not the user's (or is gone), and the write
    # refuses it; the model is not asked.
    if on_prepared is not None and (new_conversation or earlier):
        on_prepared(job)
    turn = _turn_store(user=user, question=question, reply=reply,
                       new_conversation=new_conversation, now=now)
    return turn, None if turn.duplicate else job


def reply_finish(
    *,
    message_id,
    content: str,
    finish_reason: str,
    seq: int,
    usage: dict | None = None,
    model: str = "",
) -> FinishedReply | None:
    """Stores the whole reply in one write; None if it was already finished elsewhere."""
    message_id = _as_uuid(message_id, field="message_id")
    now = timezone.now()
    usage = usage or {}
    tokens = Message(prompt_tokens=usage.get("prompt_tokens"),  # unsaved: for `.usage`
                     completion_tokens=usage.get("completion_tokens"))
    with transaction.atomic():
        updated = Message.objects.filter(
            pk=message_id, status=Message.Status.IN_PROGRESS
        ).update(
            content=content,
            status=Message.Status.COMPLETE,
            finish_reason=finish_reason,
            last_seq=seq,
            prompt_tokens=tokens.prompt_tokens,
            completion_tokens=tokens.completion_tokens,
            model=model[:100],
            completed_at=now,
        )
        if not updated:
            return None
        # Only what was not just written: where the reply belongs and the question it answers.
        conversation_id, user_id, title, question = (
            Message.objects.filter(pk=message_id)
            .values_list("conversation_id", "conversation__user_id", "conversation__title",
                         "reply_to__content")
            .get()
        )
        new_title = conversation_title(question) if not title and question is not None else None
        Conversation.objects.filter(pk=conversation_id).update(
            last_message_at=now, **({"title": new_title} if new_title else {})
        )
    metrics.chat_messages.labels("assistant").inc()
    if usage:
        metrics.llm_tokens.labels("prompt").inc(usage.get("prompt_tokens") or 0)
        metrics.llm_tokens.labels("completion").inc(usage.get("completion_tokens") or 0)
    return FinishedReply(
        message_id=message_id,
        conversation_id=conversation_id,
        user_id=user_id,
        content=content,
        finish_reason=finish_reason,
        seq=seq,
        usage=tokens.usage,
        new_title=new_title,
    )


def conversation_rename(*, user, conversation_id, title: str) -> Conversation:
    title = (title or "").strip()
    if not title or len(title) > 120:
        raise InvalidInput("title", "Must be 1 to 120 characters.")
    conversation = conversation_get_for_user(user=user, conversation_id=conversation_id)
    conversation.title = title
    conversation.save(update_fields=["title"])
    return conversation


def conversation_delete(*, user, conversation_id) -> None:
    conversation_get_for_user(user=user, conversation_id=conversation_id).delete()


def replies_in_progress_older_than(*, age: timedelta) -> list[uuid.UUID]:
    cutoff = timezone.now() - age
    return list(
        Message.objects.filter(status=Message.Status.IN_PROGRESS, created_at__lt=cutoff)
        .values_list("pk", flat=True)
    )
