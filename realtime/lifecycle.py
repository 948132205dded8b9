"""Graceful shutdown: sockets are closed with 4503 and running replies stored as `interrupted`.

`drain()` does both: the replies running on this process are stopped first so that each stores
its partial text (PROTOCOL.md: "A server shutting down mid-reply stores the partial text with
finish_reason interrupted"), then every socket's application is cancelled, which closes it with
4503 ("reconnect and resume") after the consumer's own cleanup. Daphne runs it as a "before
shutdown" trigger; `realtime.serve` (uvicorn) runs it before uvicorn's own shutdown, which would
otherwise close every socket with 1012 before the application hears of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys

from realtime.protocol import GOING_AWAY
from realtime.replies import replies_interrupt_all

logger = logging.getLogger(__name__)

DRAIN_TIMEOUT_S = 10

# The tasks running a socket's application on this process, and whether they are being drained
# (a drained socket's application then ends normally instead of raising CancelledError into
# the server, which would log it as a crash).
_sockets: set[asyncio.Task] = set()
_draining = False


async def drain() -> None:
    """Stops this process's replies and closes its sockets with 4503; waits for both."""
    global _draining
    _draining = True
    logger.info("shutting down: interrupting running replies, closing %d sockets", len(_sockets))
    await replies_interrupt_all()
    tasks = list(_sockets)
    for task in tasks:
        task.cancel()
    if tasks:
        await asyncio.wait(tasks, timeout=DRAIN_TIMEOUT_S)


class GracefulShutdown:
    def __init__(self, app):
        self.app = app
        self._trigger_installed = False

    def _install_daphne_trigger(self) -> None:
        if self._trigger_installed:
            return
        self._trigger_installed = True
        reactor = sys.modules.get("twisted.internet.reactor")
        if reactor is None or not getattr(reactor, "running", False):
            return
        from twisted.internet import defer

        reactor.addSystemEventTrigger(
            "before", "shutdown", lambda: defer.Deferred.fromFuture(asyncio.ensure_future(drain()))
        )

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            return await self._lifespan(scope, receive, send)
        if scope["type"] != "websocket":
            return await self.app(scope, receive, send)
        self._install_daphne_trigger()
        task = asyncio.current_task()
        _sockets.add(task)
        try:
            await self.app(scope, receive, send)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await send({"type": "websocket.close", "code": GOING_AWAY})
            if not _draining:
                raise
            task.uncancel()
        finally:
            _sockets.discard(task)

    async def _lifespan(self, scope, receive, send):
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await replies_interrupt_all()
                await send({"type": "lifespan.shutdown.complete"})
                return
