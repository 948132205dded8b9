"""The production server: uvicorn that drains before it stops (`python -m realtime.serve`).

uvicorn's own shutdown closes every socket with 1012 before the application hears of it.
This one first stops accepting connections and drains (`realtime.lifecycle.drain`: running
replies stored as `interrupted`, every socket closed with 4503, PROTOCOL.md), then lets uvicorn
finish in-flight HTTP requests and the lifespan as usual. Why uvicorn: docs/performance.md.
"""

from __future__ import annotations

import argparse
import logging
import os

import uvicorn

# PROTOCOL.md's heartbeat at the WebSocket level, as daphne's --ping-interval/--ping-timeout.
PING_INTERVAL_S = 25
PING_TIMEOUT_S = 30
# As daphne's --application-close-timeout: how long in-flight requests get after the drain.
GRACEFUL_TIMEOUT_S = 15


class ClientFaultWithoutTraceback(logging.Filter):
    """uvicorn logs a client's text frame of invalid UTF-8 as an error with a traceback; the
    socket is closed with 1007 as it should be, and the fault is the client's: one warning."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg == "Invalid UTF-8 sequence received from client.":
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


class DrainingServer(uvicorn.Server):
    async def shutdown(self, sockets=None) -> None:
        from realtime.lifecycle import drain

        for server in self.servers:
            server.close()
        await drain()
        await super().shutdown(sockets)


def config(argv: list[str] | None = None) -> uvicorn.Config:
    parser = argparse.ArgumentParser(prog="python -m realtime.serve", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--log-level", default="info")
    parser.add_argument("--no-access-log", dest="access_log", action="store_false")
    parser.add_argument("--backlog", type=int, default=4096,
                        help="pending connections (a burst of reconnects after a restart)")
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "numerai.settings")
    from django.conf import settings

    config = uvicorn.Config(
        "asgi:application", host=args.host, port=args.port, log_level=args.log_level,
        access_log=args.access_log, backlog=args.backlog, lifespan="on",
        # uvicorn's loggers go through Django's LOGGING like the rest: JSON lines, request ids,
        # no query strings (numerai.logging.ContextFilter).
        log_config=None,
        # The client's address and scheme are Django's business (NUM_PROXIES,
        # SECURE_PROXY_SSL_HEADER), as under daphne: uvicorn must not rewrite them first.
        proxy_headers=False,
        # No permessage-deflate, as under daphne: a zlib pair per socket is about 30 KiB.
        ws_per_message_deflate=False,
        ws_max_size=settings.WEBSOCKET_MAX_FRAME_BYTES, ws_ping_interval=PING_INTERVAL_S,
        ws_ping_timeout=PING_TIMEOUT_S, timeout_graceful_shutdown=GRACEFUL_TIMEOUT_S,
    )
    logging.getLogger("uvicorn.error").addFilter(ClientFaultWithoutTraceback())
    return config


def main(argv: list[str] | None = None) -> None:
    DrainingServer(config(argv)).run()


if __name__ == "__main__":
    main()
