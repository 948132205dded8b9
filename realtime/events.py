"""The ONE place that sends to channel groups.

Each user has a group `user.<id>` joined by all their sockets on every process. Two kinds of
messages go there: user events (`reading.daily`, `conversation.updated`, `message.end`,
`notification`), which first get the next offset of the user's stream so that a reconnecting
client can replay them, and transient frames (`message.start`, `message.delta`,
`message.error`), which are not replayed (deltas are recovered with `chat.attach`).
"""

from __future__ import annotations

import asyncio
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from numerai.runtime import server_loop
from realtime.protocol import frame
from realtime.streams import RedisState, get_state

logger = logging.getLogger(__name__)

USER_EVENT_TYPES = frozenset({"reading.daily", "conversation.updated", "message.end",
                              "notification"})


def user_group(user_id) -> str:
    return f"user.{user_id}"


async def user_frame_send(user_id, payload: dict) -> None:
    """A transient frame to every open socket of the user."""
    await get_channel_layer().group_send(
        user_group(user_id), {"type": "user.frame", "frame": payload}
    )


async def user_event_publish(user_id, type_: str, data: dict) -> dict:
    """Appends a user event to the user's stream (it gets its offset) and sends it live."""
    assert type_ in USER_EVENT_TYPES, type_
    event = await get_state().stream_append(str(user_id), frame(type_, data))
    await get_channel_layer().group_send(
        user_group(user_id), {"type": "user.event", "frame": event.frame}
    )
    return event.frame


async def _release_loop_resources() -> None:
    """A throwaway event loop (a Celery worker) must close the Redis pools it opened."""
    layer = get_channel_layer()
    if hasattr(layer, "close_pools"):
        await layer.close_pools()
    state = get_state()
    if isinstance(state, RedisState):
        await state.close_for_loop()


def call_async(fn, *args, **kwargs):
    """Runs coroutine function `fn` from synchronous code (services after commit, tasks).

    In the embedded default the in-memory layer and state live on the server's loop, so the
    call is handed to that loop; elsewhere (a Celery worker) it runs on a loop of its own,
    whose Redis pools are released afterwards.
    """
    loop = server_loop()
    if loop is not None and loop.is_running():
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is not loop:
            return asyncio.run_coroutine_threadsafe(fn(*args, **kwargs), loop).result(timeout=60)

    async def run_and_release():
        try:
            return await fn(*args, **kwargs)
        finally:
            await _release_loop_resources()

    return async_to_sync(run_and_release)()


PUBLISH_CONCURRENCY = 64


async def user_events_publish_many(events: list[tuple]) -> int:
    """Publishes many `(user_id, type, data)` events on one loop, a bounded number at a time.

    Each event keeps its per-user order guarantee (the stream assigns offsets); different users
    are independent, so they are published concurrently.
    """
    semaphore = asyncio.Semaphore(PUBLISH_CONCURRENCY)

    async def one(user_id, type_, data):
        async with semaphore:
            await user_event_publish(user_id, type_, data)

    await asyncio.gather(*(one(*event) for event in events))
    return len(events)


def user_events_publish_sync(events: list[tuple]) -> int:
    """`user_events_publish_many` from synchronous code (one event loop for the whole batch)."""
    return call_async(user_events_publish_many, events)


def user_event_publish_sync(user_id, type_: str, data: dict) -> dict:
    """`user_event_publish` from synchronous code."""
    return call_async(user_event_publish, user_id, type_, data)
