"""Per-process delivery of user frames to the sockets and SSE streams open on this process.

A frame for a user is handed straight to the listeners registered here (no channel-layer hop:
a reply's deltas reach a socket on the same process at once). Other processes holding sockets
of that user (their hub ids are in the user's presence entries) get it through the channel layer
at their hub's channel, read by one long-lived receive loop per process. Sockets never receive
from the layer themselves: with channels-redis a receive cancelled by a closing socket can
swallow a message meant for another socket of the process (django/channels#1683).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections import defaultdict
from typing import Protocol

from channels.layers import get_channel_layer
from django.conf import settings

from numerai.asgi_http import task_beyond_the_request
from realtime.streams import get_state

logger = logging.getLogger(__name__)

LOCAL_HUB_ID = "local"  # the embedded default has one process, so one hub


class Listener(Protocol):
    presence_id: str | None

    def hub_deliver(self, kind: str, payload: dict) -> None:
        """`kind` is "frame" (transient) or "event" (a user event with an offset)."""


class Hub:
    def __init__(self):
        self.id = LOCAL_HUB_ID
        self.listeners: dict[str, set[Listener]] = defaultdict(set)
        self._tasks: list[asyncio.Task] = []
        self.started: asyncio.Task | None = None

    async def _start(self) -> None:
        loop = asyncio.get_running_loop()
        if settings.SCALED:
            self.id = await get_channel_layer().new_channel("hub.")
            self._tasks.append(loop.create_task(self._receive_loop()))
        self._tasks.append(loop.create_task(self._heartbeat_loop()))

    def register(self, user_id: str, listener: Listener) -> None:
        self.listeners[user_id].add(listener)

    def unregister(self, user_id: str, listener: Listener) -> None:
        listeners = self.listeners.get(user_id)
        if listeners is not None:
            listeners.discard(listener)
            if not listeners:
                del self.listeners[user_id]

    def deliver(self, user_id: str, kind: str, payload: dict) -> None:
        for listener in tuple(self.listeners.get(user_id, ())):
            try:
                listener.hub_deliver(kind, payload)
            except Exception:  # one broken listener must not starve the others
                logger.exception("hub: delivery to a listener failed")

    async def _receive_loop(self) -> None:
        layer = get_channel_layer()
        while True:
            try:
                message = await layer.receive(self.id)
            except asyncio.CancelledError:
                raise
            except Exception:  # Redis unavailable: retry; the stream and buffers fill gaps
                logger.warning("hub: channel-layer receive failed", exc_info=True)
                await asyncio.sleep(1)
                continue
            for user_id, kind, payload in message["items"]:
                self.deliver(user_id, kind, payload)

    async def _heartbeat_loop(self) -> None:
        """Keeps this process's presence entries alive: one pipelined refresh per heartbeat."""
        while True:
            await asyncio.sleep(settings.WEBSOCKET_HEARTBEAT_S)
            members = [
                (user_id, listener.presence_id)
                for user_id, listeners in list(self.listeners.items())
                for listener in listeners if listener.presence_id is not None
            ]
            try:
                await get_state().presence_touch_many(members)
            except Exception:
                logger.warning("hub: presence refresh failed", exc_info=True)


_hubs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


async def hub_get() -> Hub:
    """This process's hub (one per event loop), started on first use by a socket or stream."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        hub = _hubs[loop] = Hub()
        hub.started = task_beyond_the_request(hub._start())
    await asyncio.shield(hub.started)
    return hub


def hub_current() -> Hub | None:
    """The running loop's hub if a listener ever started one (a Celery worker has none)."""
    return _hubs.get(asyncio.get_running_loop())


async def hubs_deliver(items: list[tuple[str, str, dict]], hubs: list[set[str]]) -> None:
    """Delivers each `(user_id, kind, payload)` item to the user's listeners on this process
    directly, and on the other processes named by its set of hub ids through the channel layer
    (one message per process; callers send `BATCH` items at most)."""
    local = hub_current()
    remote: dict[str, list] = defaultdict(list)
    for item, item_hubs in zip(items, hubs, strict=True):
        if local is not None:
            local.deliver(*item)
        for hub_id in item_hubs:
            if hub_id != LOCAL_HUB_ID and (local is None or hub_id != local.id):
                remote[hub_id].append(item)
    if remote:
        layer = get_channel_layer()
        for hub_id, hub_items in remote.items():
            try:
                await layer.send(hub_id, {"type": "hub.deliver", "items": hub_items})
            except Exception:  # one process unreachable must not cost the others theirs
                logger.warning("hub: send to %s failed", hub_id, exc_info=True)
