"""Cross-site WebSocket hijacking guard: browsers may only connect from allowed origins."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings

ORIGIN_NOT_ALLOWED = 4403


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def origin_allowed(origin: str | None, host: str | None) -> bool:
    """No Origin (native apps), the server's own origin, or one of the configured origins."""
    if origin is None:
        return True
    if origin in settings.WEBSOCKET_ALLOWED_ORIGINS:
        return True
    netloc = urlsplit(origin).netloc
    return bool(netloc) and netloc == host


class AllowedOriginValidator:
    """Accepts then closes with 4403 (a refused handshake cannot carry a close code)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket" or origin_allowed(
            _header(scope, b"origin"), _header(scope, b"host")
        ):
            return await self.app(scope, receive, send)
        message = await receive()
        if message["type"] == "websocket.connect":
            await send({"type": "websocket.accept"})
            await send({"type": "websocket.close", "code": ORIGIN_NOT_ALLOWED})
