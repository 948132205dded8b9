"""Graceful shutdown: running replies stored as `interrupted`, every socket closed with 4503.

`drain()` does it (PROTOCOL.md: "A server shutting down mid-reply stores the partial text with
finish_reason interrupted"; 4503 = "reconnect and resume"):

1. the replies running on this process are stopped; each stores its partial text and sends
   its `message.end`;
2. every socket closes itself with 4503 after the frames already queued for it, so its
   consumer's own cleanup runs (hub, presence, metrics): stale presence entries would count
   against the user's socket limit on the process the client reconnects to;
3. what is still open after `DRAIN_TIMEOUT_S` is cancelled (closed with 4503 here), and the
   replies a `chat.send` started meanwhile are stopped too.

`realtime.serve` (uvicorn) drains before uvicorn's own shutdown, which would close every
socket with 1012 first; under daphne, `daphne_drain_first` puts the drain before daphne's
cancelling of every application. A socket that connects while the process drains is closed
with 4503 at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import weakref

from realtime.protocol import GOING_AWAY
from realtime.replies import replies_interrupt_all

logger = logging.getLogger(__name__)

DRAIN_TIMEOUT_S = 10

# The consumers of this process's sockets (weakly: a registry must not keep them alive),
# each with the task running it.
_sockets: weakref.WeakSet = weakref.WeakSet()
_draining = False


def socket_opened(consumer) -> None:
    consumer.task = asyncio.current_task()
    _sockets.add(consumer)


def socket_closed(consumer) -> None:
    _sockets.discard(consumer)


def draining() -> bool:
    return _draining


async def drain() -> None:
    """Stops this process's replies and closes its sockets with 4503; waits for both."""
    global _draining
    _draining = True
    logger.info("shutting down: interrupting running replies, closing %d sockets", len(_sockets))
    await replies_interrupt_all()
    for consumer in list(_sockets):
        await consumer.close_going_away()
    tasks = {consumer.task for consumer in list(_sockets)}
    if tasks:
        _, stuck = await asyncio.wait(tasks, timeout=DRAIN_TIMEOUT_S)
        for task in stuck:
            task.cancel()
    await replies_interrupt_all()


def daphne_drain_first() -> None:
    """Under daphne: drain before daphne cancels every application at shutdown (a "before
    shutdown" trigger it adds when it starts, after importing the application)."""
    if "daphne.server" not in sys.modules:
        return
    from daphne.server import Server
    from twisted.internet import defer

    kill_all = Server.kill_all_applications
    if getattr(kill_all, "numerai_drain_first", False):
        return

    def kill_all_applications(self):
        async def drain_then_kill():
            await drain()
            await kill_all(self).asFuture(asyncio.get_running_loop())

        return defer.Deferred.fromFuture(asyncio.ensure_future(drain_then_kill()))

    kill_all_applications.numerai_drain_first = True
    Server.kill_all_applications = kill_all_applications


class GracefulShutdown:
    """ASGI wrapper: a socket cancelled at shutdown is closed with 4503; uvicorn's lifespan
    shutdown stops the replies (for a plain `uvicorn asgi:application`)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            return await self._lifespan(scope, receive, send)
        if scope["type"] != "websocket":
            return await self.app(scope, receive, send)
        try:
            await self.app(scope, receive, send)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await send({"type": "websocket.close", "code": GOING_AWAY})
            if not _draining:
                raise
            # Our own drain cancelled it: end normally (the server would log a crash).
            asyncio.current_task().uncancel()

    async def _lifespan(self, scope, receive, send):
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await replies_interrupt_all()
                await send({"type": "lifespan.shutdown.complete"})
                return
