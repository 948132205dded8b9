"""REST side of the real-time layer: socket tickets and the chat fallback (JSON or SSE)."""

from __future__ import annotations

import asyncio
import json
import uuid

from django.conf import settings
from django.http import StreamingHttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView

from chat.selectors import message_get_for_user
from chat.services import turn_start
from numerai.api import meta
from numerai.asgi_http import task_beyond_the_request
from numerai.db import db_async
from numerai.throttling import ScopedRateThrottle
from realtime import replies
from realtime.auth import ticket_issue
from realtime.hub import Hub, hub_get
from realtime.protocol import frame
from realtime.streams import get_state, presence_member


class TicketCreateApi(APIView):
    """A one-time ticket (30 s, single use) to authenticate a browser WebSocket."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "ticket"

    class OutputSerializer(serializers.Serializer):
        ticket = serializers.CharField()
        expires_in = serializers.IntegerField()

    @extend_schema(request=None, responses={201: OutputSerializer})
    def post(self, request):
        ticket = ticket_issue(user=request.user, token_expires_at=request.auth.exp)
        return Response(
            {"ticket": ticket, "expires_in": settings.REALTIME_TICKET_TTL_S}, status=201
        )


class _ReplyListener:
    """Receives the user's frames from this process's hub for one HTTP response."""

    def __init__(self, presence_id: str):
        self.presence_id = presence_id
        self.queue: asyncio.Queue[dict] = asyncio.Queue()

    def hub_deliver(self, kind: str, payload: dict) -> None:
        self.queue.put_nowait(payload)


async def _listen(user_id: str, turn, job) -> tuple[Hub, _ReplyListener]:
    """Listens for the user's frames on this process's hub, then starts the turn's reply."""
    hub = await hub_get()
    listener = _ReplyListener(presence_member(hub.id, f"http-{uuid.uuid4().hex}"))
    hub.register(user_id, listener)
    # Listed in presence (uncapped) so that a reply running on another process reaches it.
    await get_state().presence_add(user_id, listener.presence_id, limit=2**31)
    if not turn.duplicate:
        replies.reply_start(str(turn.assistant_message_id), job)
    return hub, listener


async def _unlisten(user_id: str, hub: Hub, listener: _ReplyListener) -> None:
    hub.unregister(user_id, listener)
    await get_state().presence_remove(user_id, listener.presence_id)


async def _reply_frames(*, user, turn, job):
    """The reply's frames for this request: live ones, or the end of an already finished one."""
    message_id = str(turn.assistant_message_id)
    user_id = str(user.pk)
    # An acked turn's reply runs and is stored whether or not the client stays: a client that
    # leaves while this listens (Redis round trips when scaled) must not keep it from starting.
    opening = task_beyond_the_request(_listen(user_id, turn, job))
    try:
        hub, listener = await asyncio.shield(opening)
    except asyncio.CancelledError:
        def unlisten_once_open(done: asyncio.Task) -> None:
            if not done.cancelled() and done.exception() is None:
                task_beyond_the_request(_unlisten(user_id, *done.result()))

        opening.add_done_callback(unlisten_once_open)
        raise
    try:
        if turn.duplicate:
            message = await db_async(message_get_for_user)(
                user=user, message_id=message_id
            )
            snapshot = await get_state().reply_snapshot(message_id)
            if message.status == "complete":
                yield frame("message.end", {
                    "message_id": message_id, "seq": message.last_seq,
                    "finish_reason": message.finish_reason, "content": message.content,
                    "usage": message.usage,
                })
                return
            if snapshot is not None and snapshot.seq:
                yield frame("message.snapshot", {"message_id": message_id,
                                                 "seq": snapshot.seq,
                                                 "content": snapshot.content})
        while True:
            received = await listener.queue.get()
            if received.get("data", {}).get("message_id") != message_id:
                continue
            yield received
            if received["type"] == "message.end":
                return
    finally:
        await _unlisten(user_id, hub, listener)


async def _sse(*, user, turn, job):
    ack = frame("chat.ack", turn.ack())
    yield f"event: chat.ack\ndata: {json.dumps(ack)}\n\n"
    async for item in _reply_frames(user=user, turn=turn, job=job):
        yield f"event: {item['type']}\ndata: {json.dumps(item)}\nid: {item.get('offset', '')}\n\n"


async def _json_once(*, user, turn, job, envelope_meta: dict):
    error = None
    end = {}
    async for item in _reply_frames(user=user, turn=turn, job=job):
        if item["type"] == "message.error":
            error = item["data"]
        elif item["type"] == "message.end":
            end = item["data"]
    body = {
        "success": True,
        "data": {**turn.ack(), "message": end, "error": error},
        "meta": envelope_meta,
    }
    yield json.dumps(body)


class _StreamOrJsonNegotiation(DefaultContentNegotiation):
    """`Accept: text/event-stream` matches no renderer (the stream bypasses them): instead of a
    406, errors are rendered as the JSON envelope."""

    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except exceptions.NotAcceptable:
            return renderers[0], renderers[0].media_type


class ChatSendApi(APIView):
    """Sends a chat message; the reply as JSON, or as Server-Sent Events (`Accept:
    text/event-stream`) carrying the same `message.*` frames as the socket."""

    content_negotiation_class = _StreamOrJsonNegotiation

    class InputSerializer(serializers.Serializer):
        conversation_id = serializers.UUIDField(required=False, allow_null=True)
        client_msg_id = serializers.UUIDField()
        content = serializers.CharField(
            max_length=settings.CHAT_MAX_MESSAGE_CHARS, trim_whitespace=False
        )

    @extend_schema(
        request=InputSerializer,
        responses={
            200: OpenApiResponse(
                response=inline_serializer("ChatReply", {
                    "conversation_id": serializers.UUIDField(),
                    "user_message_id": serializers.UUIDField(),
                    "assistant_message_id": serializers.UUIDField(),
                    "duplicate": serializers.BooleanField(),
                    "message": serializers.DictField(),
                    "error": serializers.DictField(allow_null=True),
                }),
                description="JSON reply; with `Accept: text/event-stream` an SSE stream.",
            )
        },
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        turn, job = turn_start(user=request.user, **serializer.validated_data)
        if "text/event-stream" in request.headers.get("Accept", ""):
            response = StreamingHttpResponse(
                _sse(user=request.user, turn=turn, job=job), content_type="text/event-stream"
            )
            response["Cache-Control"] = "no-cache"
            response["X-Accel-Buffering"] = "no"
            return response
        return StreamingHttpResponse(
            _json_once(user=request.user, turn=turn, job=job, envelope_meta=meta()),
            content_type="application/json",
        )
