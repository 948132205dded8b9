"""Mobile pushes of what happens while the apps are closed: daily readings and chat replies.

Layering (realtime → chat → readings → accounts): this module reads readings and chat messages
and turns them into `accounts.services.PushRequest`s; accounts records them (one
`PushDelivery` per user, kind and key, so nothing is pushed twice) and sends them from the
Celery task ``accounts.push_deliver`` (ids only), which applies the user's settings and quiet
hours, deletes dead tokens and retries transient errors. Accounts never imports this layer.

- Daily readings: `daily_readings_push` is subscribed to `readings.hooks` (see
  `realtime.apps`); every new reading becomes one push per user (to all their devices), with
  the per-day collapse key ``reading-YYYY-MM-DD``. Sockets get the same reading live as a
  ``reading.daily`` event; the push goes out whether or not one is open (the phone's OS does
  not show a notification to an app in the foreground, and an open browser tab says nothing
  about the phone in a pocket).
- Chat replies (opt-in): `chat_reply_push_if_offline`, awaited by the reply runner once the
  reply is stored, pushes it only when the user has no open socket on any process.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable

from asgiref.sync import sync_to_async
from django.db import connections

from accounts.services import PushRequest, push_deliveries_create
from chat.selectors import message_get_for_user
from numerai.errors import DomainError
from readings import content
from readings.models import DailyReading
from readings.selectors import daily_reading_list_by_ids
from realtime.streams import get_state

logger = logging.getLogger(__name__)

READING_KIND = "reading.daily"
CHAT_REPLY_KIND = "chat.reply"
CHAT_REPLY_BODY_CHARS = 180
PUSHED_FINISH_REASONS = frozenset({"stop", "length"})


# --- daily readings ---------------------------------------------------------------------------
def daily_reading_push_request(reading: DailyReading) -> PushRequest:
    """One reading as a push: its personal day and affirmation, a collapse key per day."""
    day = reading.reading_date.isoformat()
    try:
        title = content.meaning("personal_day", reading.personal_day)["title"]
    except Exception:
        title = f"Personal Day {reading.personal_day}"
    return PushRequest(
        user_id=reading.user_id,
        kind=READING_KIND,
        key=day,
        title=title,
        body=reading.affirmation,
        data={"type": READING_KIND, "reading_id": str(reading.pk), "date": day},
        collapse_key=f"reading-{day}",
    )


def daily_readings_push(*, reading_ids: Iterable[uuid.UUID]) -> None:
    """`readings.hooks` subscriber: record the pushes of new readings; a task sends them.

    Two queries per call and one more per 1,000 pushes; nothing for users without a device or
    who turned daily readings off.
    """
    readings = daily_reading_list_by_ids(reading_ids=reading_ids)
    if readings:
        push_deliveries_create(requests=[daily_reading_push_request(r) for r in readings])


# --- chat replies -----------------------------------------------------------------------------
def _preview(text: str, limit: int = CHAT_REPLY_BODY_CHARS) -> str:
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(",.;:") + "…"


def chat_reply_push(*, user_id, message_id) -> list[uuid.UUID]:
    """Record the push of a finished reply (when the user opted in); a task sends it."""
    try:
        message = message_get_for_user(user=user_id, message_id=message_id)
    except DomainError:
        return []
    if message.role != "assistant" or message.finish_reason not in PUSHED_FINISH_REASONS:
        return []
    conversation = message.conversation
    request = PushRequest(
        user_id=conversation.user_id,
        kind=CHAT_REPLY_KIND,
        key=str(message.pk),
        title=conversation.title or "Your guide replied",
        body=_preview(message.content) or "Your guide replied.",
        data={
            "type": CHAT_REPLY_KIND,
            "conversation_id": str(conversation.pk),
            "message_id": str(message.pk),
        },
        collapse_key=f"chat-{conversation.pk.hex[:27]}",
    )
    return push_deliveries_create(requests=[request])


def _chat_reply_push_own_thread(**kwargs) -> list[uuid.UUID]:
    """`chat_reply_push` on a pool thread, which must not keep database connections open."""
    try:
        return chat_reply_push(**kwargs)
    finally:
        connections.close_all()  # this thread's connections only (they are per thread)


async def chat_reply_push_if_offline(*, user_id, message_id) -> None:
    """Push a finished chat reply to a user who has no open socket (and opted in).

    Never raises: a push is a courtesy; the reply is stored and replayable either way. The
    database work runs in a worker thread of its own, off the event loop and off the shared
    thread of the ORM calls.
    """
    try:
        if await get_state().presence_count(str(user_id)) > 0:
            return
        await sync_to_async(_chat_reply_push_own_thread, thread_sensitive=False)(
            user_id=user_id, message_id=message_id
        )
    except Exception:
        logger.exception("chat reply push failed", extra={"message_id": str(message_id)})
