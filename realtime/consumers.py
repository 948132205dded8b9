"""The socket at /ws/v1/: authentication, the frame handler table, delivery of user frames.

Thin: every decision about data is a service or selector call; this class only speaks the
protocol (docs/protocol.md).
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from datetime import UTC, datetime

from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from accounts.selectors import user_get_active
from chat.selectors import message_get_for_user
from chat.services import chat_rate, turn_start
from numerai import metrics
from numerai.db import db_async
from numerai.errors import DomainError, NotAuthenticated, RateLimited
from readings.selectors import daily_reading_get, daily_reading_payload, user_local_date
from realtime import lifecycle, protocol, replies
from realtime.auth import SocketAuthError, socket_authenticate
from realtime.hub import hub_get
from realtime.protocol import FrameError, Request, error_frame, frame
from realtime.streams import get_state, presence_member

logger = logging.getLogger(__name__)

MAX_BAD_FRAMES = 20
# Frames waiting for one socket. A client this far behind cannot keep up: it is closed with
# 4503 ("reconnect and attach") rather than buffering without bound.
OUTBOX_LIMIT = 512


class RealtimeConsumer(AsyncWebsocketConsumer):
    # No channel layer per socket: frames arrive through this process's hub (realtime/hub.py).
    channel_layer_alias = None

    async def dispatch(self, message):
        # Skips channels' per-handler `aclose_old_connections()` thread hop: all database work
        # here goes through numerai.db.db_async, which manages connections itself.
        handler = getattr(self, self._handler_name(message["type"]), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    @staticmethod
    def _handler_name(message_type: str) -> str:
        return message_type.replace(".", "_")

    # --- lifecycle --------------------------------------------------------------------------

    async def connect(self):
        self.user = None
        self.session_id = uuid.uuid4().hex
        self.bad_frames = 0
        self.last_offset = 0
        self.epoch = None
        self.seen_seq: dict[str, int] = {}
        self.hub = None
        self.presence_id: str | None = None
        self.ready = False  # welcome sent: deliveries before it wait in `early`
        self.early: list[tuple[str, dict]] = []
        self.timers: list[asyncio.Task] = []
        self.closed = False
        self.outbox: asyncio.Queue[str | int] = asyncio.Queue(maxsize=OUTBOX_LIMIT)
        offered = self.scope.get("subprotocols") or []
        await self.accept(protocol.SUBPROTOCOL if protocol.SUBPROTOCOL in offered else None)
        self.writer = asyncio.get_running_loop().create_task(self._write_loop())
        lifecycle.socket_opened(self)
        if lifecycle.draining():  # this process is shutting down: reconnect elsewhere
            return await self.close_going_away()
        bearer = self._bearer_token()
        if bearer is not None:
            await self._authenticate(Request("auth", None, {"token": bearer}), token=bearer)
        else:
            self._later(settings.WEBSOCKET_AUTH_TIMEOUT_S, self._auth_timeout)

    async def disconnect(self, code):
        lifecycle.socket_closed(self)
        self.closed = True
        self.writer.cancel()
        for timer in self.timers:
            timer.cancel()
        if self.user is not None:
            metrics.open_sockets.dec()
            self.hub.unregister(str(self.user.pk), self)
            try:
                await get_state().presence_remove(str(self.user.pk), self.presence_id)
            except Exception:  # expires by itself when the heartbeat stops refreshing it
                logger.warning("socket presence cleanup failed", exc_info=True)

    def _bearer_token(self) -> str | None:
        for key, value in self.scope.get("headers", []):
            if key == b"authorization":
                scheme, _, token = value.decode("latin-1").partition(" ")
                if scheme.lower() == "bearer" and token:
                    return token.strip()
        return None

    def _later(self, delay: float, callback) -> None:
        async def run():
            await asyncio.sleep(delay)
            await callback()

        self.timers.append(asyncio.get_running_loop().create_task(run()))

    async def _auth_timeout(self):
        if self.user is None and not self.closed:
            await self._close(protocol.AUTH_TIMEOUT)

    async def close_going_away(self) -> None:
        """Shutdown (realtime.lifecycle): closes with 4503 after the frames already queued."""
        await self._close(protocol.GOING_AWAY)

    async def _close(self, code: int) -> None:
        """Closes after the frames already queued (an `error` frame reaches the client first)."""
        if not self.closed:
            self.closed = True
            self._enqueue(code)

    def _enqueue(self, item: str | int) -> None:
        try:
            self.outbox.put_nowait(item)
        except asyncio.QueueFull:
            logger.warning("socket %s cannot keep up; closing with 4503", self.session_id)
            self.closed = True
            while not self.outbox.empty():
                self.outbox.get_nowait()
            self.outbox.put_nowait(protocol.GOING_AWAY)

    async def _write_loop(self) -> None:
        while True:
            item = await self.outbox.get()
            if isinstance(item, int):
                await self.close(code=item)
                return
            if isinstance(item, tuple):  # a delivery: ordered and de-duplicated here
                for payload in await self._accept(*item):
                    await self.send(text_data=_dumps(payload))
                continue
            await self.send(text_data=item)

    # --- inbound ----------------------------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None):
        if self.closed:
            return
        if text_data is None:
            return await self._bad(FrameError("bad_request", "Binary frames are not supported."))
        if len(text_data) > settings.WEBSOCKET_MAX_FRAME_BYTES or (
            len(text_data.encode("utf-8")) > settings.WEBSOCKET_MAX_FRAME_BYTES
        ):
            return await self._close(protocol.TOO_LARGE)
        try:
            request = protocol.parse(text_data)
            if self.user is None:
                if request.type != "auth":
                    await self._send(error_frame("unauthorized", "Authenticate first.",
                                                 request_id=request.id))
                    return await self._close(protocol.UNAUTHORIZED)
                return await self._authenticate(request)
            handler = HANDLERS.get(request.type)
            if handler is None:
                raise FrameError("unknown_type", f"Unknown frame type {request.type!r}.",
                                 request.id)
            await handler(self, request)
        except FrameError as exc:
            return await self._bad(exc)
        except RateLimited as exc:
            await self._send(error_frame(exc.frame_code, exc.message, request_id=request.id,
                                         retry_after=exc.retry_after))
        except DomainError as exc:
            await self._send(error_frame(exc.frame_code, exc.message, request_id=request.id))
            if isinstance(exc, NotAuthenticated):  # the account is gone or deactivated
                await self._close(protocol.UNAUTHORIZED)
        except Exception:
            logger.exception("socket handler failed")
            await self._send(error_frame("internal", "Internal error.", request_id=request.id))
            if self.user is None:
                # Authentication could not finish (e.g. Redis is briefly unavailable): the
                # client reconnects with backoff, as after a server restart.
                await self._close(protocol.GOING_AWAY)
        self.bad_frames = 0

    async def _bad(self, exc: FrameError) -> None:
        self.bad_frames += 1
        await self._send(error_frame(exc.code, exc.message, request_id=exc.request_id))
        if self.bad_frames >= MAX_BAD_FRAMES:
            await self._close(protocol.PROTOCOL_VIOLATION)

    async def _send(self, payload: dict) -> None:
        if not self.closed:
            self._enqueue(_dumps(payload))

    # --- auth -------------------------------------------------------------------------------

    async def _authenticate(self, request: Request, token: str | None = None) -> None:
        ticket = None
        if token is None:
            ticket = protocol.field_str(request, "ticket", max_len=512, optional=True)
            token = protocol.field_str(request, "token", max_len=4096, optional=True)
            if (ticket is None) == (token is None):
                raise FrameError("bad_request", "`auth` needs exactly one of ticket or token.",
                                 request.id)
        resume = protocol.field_resume(request)
        try:
            identity = await db_async(socket_authenticate)(ticket=ticket, token=token)
        except SocketAuthError as exc:
            await self._send(error_frame(exc.code, exc.message, request_id=request.id))
            return await self._close(protocol.UNAUTHORIZED)
        user = identity.user
        state = get_state()
        self.hub = await hub_get()
        self.presence_id = presence_member(self.hub.id, self.session_id)
        if not await state.presence_add(str(user.pk), self.presence_id,
                                        settings.WEBSOCKET_MAX_SOCKETS_PER_USER):
            await self._send(error_frame("rate_limited", "Too many open sockets for this user.",
                                         request_id=request.id))
            return await self._close(protocol.TOO_MANY_SOCKETS)
        self.user = user
        metrics.open_sockets.inc()
        for timer in self.timers:
            timer.cancel()
        self.timers = []
        self._expire_at(identity.expires_at)
        # Listen before reading the stream head: nothing published after is missed, and
        # anything at or below the head is filtered out by offset.
        self.hub.register(str(user.pk), self)
        self.epoch, head = await state.stream_head(str(user.pk))
        self.last_offset = head
        replay = None
        if resume is not None:
            replay = await state.stream_read_after(str(user.pk), resume[0], resume[1])
        rate = chat_rate(user)
        await self._send(frame("welcome", {
            "user_id": str(user.pk),
            "session_id": self.session_id,
            "protocol": protocol.PROTOCOL_VERSION,
            "heartbeat_s": settings.WEBSOCKET_HEARTBEAT_S,
            "epoch": self.epoch,
            "offset": head,
            "token_expires_at": identity.expires_at.isoformat().replace("+00:00", "Z"),
            "active_messages": await state.replies_active(str(user.pk)),
            "limits": {"chat_per_hour": rate[0] if rate else None,
                       "max_message_chars": settings.CHAT_MAX_MESSAGE_CHARS},
        }))
        if resume is not None:
            if replay is None:
                await self._send(frame("resync.required"))
            else:
                for event in replay:
                    await self._send(event.frame)
                    self.last_offset = max(self.last_offset, event.offset)
        reading = await db_async(_today_reading_payload)(user)
        if reading is not None:
            await self._send(frame("reading.daily", reading))
        self.ready = True
        for delivery in self.early:
            self.hub_deliver(*delivery)
        self.early = []

    def _expire_at(self, expires_at: datetime) -> None:
        self.token_expires_at = expires_at
        delay = max(0.0, (expires_at - datetime.now(UTC)).total_seconds())
        self._later(delay, self._token_expired)

    async def _token_expired(self):
        if self.token_expires_at <= datetime.now(UTC) and not self.closed:
            await self._send(error_frame("token_expired", "The access token has expired."))
            await self._close(protocol.UNAUTHORIZED)

    # --- frame handlers ---------------------------------------------------------------------

    async def on_auth(self, request: Request) -> None:
        raise FrameError("bad_request", "Already authenticated; use auth.refresh.", request.id)

    async def on_auth_refresh(self, request: Request) -> None:
        token = protocol.field_str(request, "token", max_len=4096)
        try:
            identity = await db_async(socket_authenticate)(token=token)
        except SocketAuthError as exc:
            await self._send(error_frame(exc.code, exc.message, request_id=request.id))
            return await self._close(protocol.UNAUTHORIZED)
        if identity.user.pk != self.user.pk:
            await self._send(error_frame("unauthorized", "Token of another user.",
                                         request_id=request.id))
            return await self._close(protocol.UNAUTHORIZED)
        self.user = identity.user
        self._expire_at(identity.expires_at)
        await self._send(frame("auth.ok", {
            "token_expires_at": identity.expires_at.isoformat().replace("+00:00", "Z"),
        }, request_id=request.id))

    async def on_ping(self, request: Request) -> None:
        await self._send(frame("pong", request_id=request.id))

    async def on_chat_send(self, request: Request) -> None:
        conversation_id = protocol.field_uuid(request, "conversation_id", optional=True)
        client_msg_id = protocol.field_uuid(request, "client_msg_id")
        content = protocol.field_content(request)
        reply = replies.EarlyReply()
        try:
            turn, job = await db_async(turn_start)(
                user=self.user, conversation_id=conversation_id, client_msg_id=client_msg_id,
                content=content, on_prepared=reply.prepared,
            )
            await self._send(frame("chat.ack", turn.ack(), request_id=request.id))
        except BaseException:
            reply.refused()
            raise
        if job is None:
            reply.refused()
        else:
            reply.stored(job)

    async def on_chat_cancel(self, request: Request) -> None:
        message_id = protocol.field_uuid(request, "message_id")
        message = await db_async(_own_message)(self.user, message_id)
        if message.role != "assistant" or message.status != "in_progress":
            raise FrameError("conflict", "This reply is not in progress.", request.id)
        await self._send(frame("chat.ack", {"message_id": str(message_id)},
                               request_id=request.id))
        await replies.reply_cancel(message_id)

    async def on_chat_attach(self, request: Request) -> None:
        message_id = protocol.field_uuid(request, "message_id")
        after_seq = protocol.field_int(request, "after_seq")
        message = await db_async(_own_message)(self.user, message_id)
        if message.role != "assistant":
            raise FrameError("bad_request", "Only assistant replies can be attached.",
                             request.id)
        key = str(message_id)
        snapshot = await get_state().reply_snapshot(key)
        if message.status == "complete" or (snapshot is not None and snapshot.end):
            end = snapshot.end if snapshot is not None and snapshot.end else {
                "message_id": key, "seq": message.last_seq,
                "finish_reason": message.finish_reason, "content": message.content,
                "usage": message.usage,
            }
            self.seen_seq.pop(key, None)
            return await self._send(frame("message.end", end))
        if snapshot is None:
            raise FrameError("conflict", "The reply's stream is not available; retry shortly.",
                             request.id)
        if snapshot.seq > after_seq:
            await self._send(frame("message.snapshot", {
                "message_id": key, "seq": snapshot.seq, "content": snapshot.content,
            }))
        self.seen_seq[key] = max(snapshot.seq, after_seq, self.seen_seq.get(key, 0))

    # --- deliveries (from realtime.hub) -------------------------------------------------------

    def hub_deliver(self, kind: str, payload: dict) -> None:
        if self.closed:
            return
        if not self.ready:
            self.early.append((kind, payload))
            return
        self._enqueue((kind, payload))

    async def _accept(self, kind: str, payload: dict) -> list[dict]:
        """The frames to send for one delivery, in order: user events by offset (a gap is
        filled from the stream), deltas by seq (a gap from the reply's buffer)."""
        if kind == "event":
            return await self._accept_event(payload)
        if payload["type"] != "message.delta":
            return [payload]
        data = payload["data"]
        key = data["message_id"]
        seen = self.seen_seq.get(key, 0)
        if data["seq"] <= seen:
            return []
        if key in self.seen_seq and data["seq"] > seen + 1:  # attached, or followed live
            return await self._fill_gap(key, data["seq"])
        self.seen_seq[key] = data["seq"]
        return [payload]

    async def _fill_gap(self, key: str, seq: int) -> list[dict]:
        """A delta past a gap (this socket attached on another process before the reply's
        process knew of it): the reply buffer's snapshot through `seq` replaces it."""
        try:
            snapshot = await get_state().reply_snapshot(key)
        except Exception:
            snapshot = None
        if snapshot is None or snapshot.seq < seq:
            return []  # no gap filler: `message.end` carries the whole text
        self.seen_seq[key] = max(snapshot.seq, self.seen_seq.get(key, 0))
        return [frame("message.snapshot", {
            "message_id": key, "seq": snapshot.seq, "content": snapshot.content,
        })]

    async def _accept_event(self, payload: dict) -> list[dict]:
        offset = payload["offset"]
        if offset <= self.last_offset:
            return []
        accepted = [payload]
        if offset > self.last_offset + 1:
            # An event overtook an earlier one: fill the gap from the stream, in order.
            missed = await get_state().stream_read_after(str(self.user.pk), self.epoch,
                                                         self.last_offset)
            if missed is None:
                self.last_offset = offset
                return [frame("resync.required")]
            accepted = [event.frame for event in missed if event.offset <= offset]
        self.last_offset = max(self.last_offset, offset)
        for event in accepted:
            if event["type"] == "message.end":
                self.seen_seq.pop(event["data"]["message_id"], None)
        return accepted


def _dumps(payload: dict) -> str:
    return json.dumps(payload, separators=(",", ":"))


def _own_message(user, message_id):
    """attach / cancel: the account is checked again (a socket outlives a deactivation)."""
    return message_get_for_user(user=user_get_active(user_id=user.pk), message_id=message_id)


def _today_reading_payload(user) -> dict | None:
    """State on connect: today's reading (in the user's timezone) if it exists already."""
    reading = daily_reading_get(user=user, reading_date=user_local_date(user=user))
    return daily_reading_payload(reading) if reading is not None else None


# The explicit frame table: a client-supplied type never reaches getattr.
HANDLERS = {
    "auth": RealtimeConsumer.on_auth,
    "auth.refresh": RealtimeConsumer.on_auth_refresh,
    "ping": RealtimeConsumer.on_ping,
    "chat.send": RealtimeConsumer.on_chat_send,
    "chat.cancel": RealtimeConsumer.on_chat_cancel,
    "chat.attach": RealtimeConsumer.on_chat_attach,
}
