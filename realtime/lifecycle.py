"""Graceful shutdown: sockets are closed with 4503 and running replies stored as `interrupted`.

Daphne stops by cancelling every application instance (its "before shutdown" trigger); uvicorn
sends `lifespan.shutdown`. Either way the replies running on this process are stopped first so
that each stores its partial text (PROTOCOL.md: "A server shutting down mid-reply stores the
partial text with finish_reason interrupted"), and each socket is told to reconnect elsewhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys

from realtime.protocol import GOING_AWAY
from realtime.replies import replies_interrupt_all

logger = logging.getLogger(__name__)


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

        def before_shutdown():
            logger.info("shutting down: interrupting running replies")
            return defer.Deferred.fromFuture(asyncio.ensure_future(replies_interrupt_all()))

        reactor.addSystemEventTrigger("before", "shutdown", before_shutdown)

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            return await self._lifespan(scope, receive, send)
        if scope["type"] != "websocket":
            return await self.app(scope, receive, send)
        self._install_daphne_trigger()
        try:
            await self.app(scope, receive, send)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await send({"type": "websocket.close", "code": GOING_AWAY})
            raise

    async def _lifespan(self, scope, receive, send):
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await replies_interrupt_all()
                await send({"type": "lifespan.shutdown.complete"})
                return
