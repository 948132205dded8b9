"""The ONE place that sends to users' sockets (through realtime/hub.py).

Two kinds of messages: user events (`reading.daily`, `conversation.updated`, `message.end`,
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
from realtime.hub import hubs_deliver
from realtime.protocol import frame
from realtime.streams import BATCH, RedisState, get_state

logger = logging.getLogger(__name__)

USER_EVENT_TYPES = frozenset({"reading.daily", "conversation.updated", "message.end",
                              "notification"})


async def user_hubs(user_id) -> set[str]:
    """The processes (hub ids) holding live sockets of the user."""
    return await get_state().presence_hubs(str(user_id))


async def user_frame_send(user_id, payload: dict, hubs: set[str] | None = None) -> None:
    """A transient frame to every open socket of the user. `hubs`: where they are, when the
    caller already knows (a reply refreshes it a few times a second instead of per frame)."""
    if hubs is None:
        hubs = await user_hubs(user_id)
    await hubs_deliver([(str(user_id), "frame", payload)], [hubs])


async def user_event_publish(user_id, type_: str, data: dict) -> dict:
    """Appends a user event to the user's stream (it gets its offset) and sends it live."""
    return (await user_events_publish_many([(user_id, type_, data)]))[0]


async def user_events_publish_many(events: list[tuple]) -> list[dict]:
    """Publishes `(user_id, type, data)` events (a daily fan-out to many users), 500 at a time:
    the stream appends and presence reads in one pipeline, then one channel-layer message per
    process holding sockets of those users."""
    assert all(type_ in USER_EVENT_TYPES for _, type_, _ in events), events
    state = get_state()
    published = []
    for start in range(0, len(events), BATCH):
        pending = [(str(user_id), frame(type_, data))
                   for user_id, type_, data in events[start:start + BATCH]]
        located = await state.stream_append_many(pending)
        await hubs_deliver(
            [(user_id, "event", event.frame)
             for (user_id, _), (event, _) in zip(pending, located, strict=True)],
            [hubs for _, hubs in located],
        )
        published.extend(event.frame for event, _ in located)
    return published


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


def user_events_publish_sync(events: list[tuple]) -> int:
    """`user_events_publish_many` from synchronous code (one event loop for the whole batch)."""
    return len(call_async(user_events_publish_many, events))


def user_event_publish_sync(user_id, type_: str, data: dict) -> dict:
    """`user_event_publish` from synchronous code."""
    return call_async(user_event_publish, user_id, type_, data)
