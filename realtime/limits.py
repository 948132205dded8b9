"""The 64 KiB frame limit at the WebSocket protocol level (oversized frames: close 1009).

uvicorn takes it as `--ws-max-size 65536`. Daphne has no such option and refuses a 1009 close
from the application (autobahn only lets applications send 1000 or 3000-4999), so the limit is
set on its autobahn factory, whose protocol then closes oversized messages with 1009 itself.
"""

from __future__ import annotations

import sys


def daphne_frame_limit(max_bytes: int) -> None:
    """Applies `max_bytes` to daphne's WebSocket factory when running under daphne.

    Daphne configures its factory with its own 1 MiB defaults after creating it, so the limit
    is enforced in `setProtocolOptions` itself; `failByDrop=False` makes autobahn send the 1009
    close frame rather than drop the TCP connection.
    """
    if "daphne.server" not in sys.modules:
        return
    from daphne.ws_protocol import WebSocketFactory

    original = WebSocketFactory.setProtocolOptions
    if getattr(original, "numerai_frame_limit", None) == max_bytes:
        return

    def set_protocol_options(self, **options):
        options.update(
            maxMessagePayloadSize=max_bytes, maxFramePayloadSize=max_bytes, failByDrop=False
        )
        original(self, **options)

    set_protocol_options.numerai_frame_limit = max_bytes
    WebSocketFactory.setProtocolOptions = set_protocol_options
