"""`POST /api/v1/ai/chat`: the REST fallback of chat.send, as one JSON envelope or as SSE."""

import asyncio
import json
import uuid

import pytest
from channels.db import database_sync_to_async
from channels.testing import HttpCommunicator

from chat.models import Conversation, Message
from tests.factories import UserFactory
from tests.realtime.conftest import authed_socket, token_for

pytestmark = pytest.mark.django_db(transaction=True)

WORDS = ["Your ", "life ", "path ", "is ", "5."]


def send_body(content="What is my life path?", conversation_id=None, client_msg_id=None):
    body = {"client_msg_id": client_msg_id or str(uuid.uuid4()), "content": content}
    if conversation_id is not None:
        body["conversation_id"] = conversation_id
    return body


async def response_of(communicator, timeout=10):
    """Like HttpCommunicator.get_response, but a body message may omit `body` (ASGI allows it;
    Django's streaming responses end that way)."""
    await communicator.send_input({"type": "http.request", "body": communicator.body})
    start = await communicator.receive_output(timeout)
    assert start["type"] == "http.response.start", start
    body = b""
    while True:
        chunk = await communicator.receive_output(timeout)
        assert chunk["type"] == "http.response.body", chunk
        body += chunk.get("body", b"")
        if not chunk.get("more_body", False):
            break
    await communicator.wait(timeout)
    return {"status": start["status"], "body": body,
            "headers": {k.decode().lower(): v.decode() for k, v in start.get("headers", [])}}


async def post_chat(user, body, *, sse=False, timeout=10):
    """The whole response of the real ASGI application: status, headers (dict) and body."""
    from asgi import application

    raw = json.dumps(body).encode()
    headers = [
        (b"host", b"localhost"),
        (b"content-type", b"application/json"),
        (b"content-length", str(len(raw)).encode()),
        (b"authorization", f"Bearer {token_for(user)}".encode()),
    ]
    if sse:
        headers.append((b"accept", b"text/event-stream"))
    communicator = HttpCommunicator(application, "POST", "/api/v1/ai/chat", body=raw,
                                    headers=headers)
    return await response_of(communicator, timeout)


def sse_events(body: bytes) -> list[tuple[str, dict]]:
    events = []
    for block in body.decode().split("\n\n"):
        if not block.strip():
            continue
        fields = {}
        for line in block.split("\n"):
            name, _, value = line.partition(": ")
            fields[name] = value
        events.append((fields["event"], json.loads(fields["data"])))
    return events


async def stored(message_id):
    return await database_sync_to_async(Message.objects.get)(pk=message_id)


async def test_json_mode_returns_the_whole_reply(user, scripted_model):
    scripted_model(words=WORDS)
    response = await post_chat(user, send_body())
    assert response["status"] == 200, response["body"]
    assert response["headers"]["content-type"].startswith("application/json")
    body = json.loads(response["body"])
    assert body["success"] is True
    assert set(body["meta"]) >= {"timestamp", "request_id"}
    data = body["data"]
    assert data["duplicate"] is False and data["error"] is None
    assert data["message"]["message_id"] == data["assistant_message_id"]
    assert data["message"]["content"] == "Your life path is 5."
    assert data["message"]["finish_reason"] == "stop"
    assert data["message"]["usage"]["completion_tokens"] == 5
    reply = await stored(data["assistant_message_id"])
    assert (reply.status, reply.finish_reason, reply.content) == (
        "complete", "stop", "Your life path is 5.")
    assert str(reply.conversation_id) == data["conversation_id"]
    assert str(reply.reply_to_id) == data["user_message_id"]
    question = await stored(data["user_message_id"])
    assert (question.role, question.content) == ("user", "What is my life path?")


async def test_json_mode_continues_an_existing_conversation(user, scripted_model):
    scripted_model(words=WORDS)
    first = json.loads((await post_chat(user, send_body()))["body"])["data"]
    second = json.loads((await post_chat(
        user, send_body("And my expression?", conversation_id=first["conversation_id"])
    ))["body"])["data"]
    assert second["conversation_id"] == first["conversation_id"]
    conversation = await database_sync_to_async(Conversation.objects.get)(
        pk=first["conversation_id"])
    assert conversation.message_count == 4


async def test_sse_mode_streams_the_frames_in_order(user, scripted_model):
    scripted_model(words=WORDS)
    response = await post_chat(user, send_body(), sse=True)
    assert response["status"] == 200, response["body"]
    assert response["headers"]["content-type"].startswith("text/event-stream")
    assert response["headers"]["cache-control"] == "no-cache"
    events = sse_events(response["body"])
    types = [name for name, _ in events]
    assert types[0] == "chat.ack" and types[1] == "message.start"
    assert types[-1] == "message.end"
    assert set(types[2:-1]) == {"message.delta"}
    assert all(name == data["type"] for name, data in events)
    ack = events[0][1]["data"]
    assert ack["duplicate"] is False
    message_id = ack["assistant_message_id"]
    assert events[1][1]["data"] == {"conversation_id": ack["conversation_id"],
                                    "message_id": message_id}
    deltas = [data["data"] for name, data in events if name == "message.delta"]
    assert [d["seq"] for d in deltas] == list(range(1, len(deltas) + 1))
    assert all(d["message_id"] == message_id for d in deltas)
    end = events[-1][1]
    assert end["data"]["content"] == "".join(d["delta"] for d in deltas) == "Your life path is 5."
    assert end["data"]["seq"] == len(deltas)
    assert end["data"]["finish_reason"] == "stop"
    assert isinstance(end["offset"], int) and end["offset"] >= 1
    assert f"\nid: {end['offset']}\n" in response["body"].decode()
    reply = await stored(message_id)
    assert (reply.status, reply.content) == ("complete", "Your life path is 5.")


async def test_a_reply_is_stored_when_its_client_leaves_mid_stream(user, scripted_model):
    """The reply outlives the request that started it: it runs to its end and is stored (the
    request's thread, lent for the request only, must not be what its database calls need)."""
    from asgi import application

    scripted_model(words=WORDS, delay=0.05)
    raw = json.dumps(send_body()).encode()
    communicator = HttpCommunicator(application, "POST", "/api/v1/ai/chat", body=raw, headers=[
        (b"host", b"localhost"), (b"content-type", b"application/json"),
        (b"content-length", str(len(raw)).encode()), (b"accept", b"text/event-stream"),
        (b"authorization", f"Bearer {token_for(user)}".encode())])
    await communicator.send_input({"type": "http.request", "body": raw})
    assert (await communicator.receive_output(10))["status"] == 200
    name, ack = sse_events((await communicator.receive_output(10))["body"])[0]
    assert name == "chat.ack"
    await communicator.send_input({"type": "http.disconnect"})
    await communicator.wait(10)

    message_id = ack["data"]["assistant_message_id"]
    for _ in range(200):
        reply = await stored(message_id)
        if reply.status != "in_progress":
            break
        await asyncio.sleep(0.05)
    assert (reply.status, reply.content) == ("complete", "Your life path is 5.")


async def test_duplicate_returns_same_ids_without_a_second_reply(user, scripted_model):
    scripted_model(words=WORDS)
    body = send_body()
    first = json.loads((await post_chat(user, body))["body"])["data"]
    again = json.loads((await post_chat(user, body))["body"])["data"]
    assert again["duplicate"] is True
    for key in ("conversation_id", "user_message_id", "assistant_message_id"):
        assert again[key] == first[key]
    assert again["message"]["content"] == "Your life path is 5."
    assert again["message"]["finish_reason"] == "stop"
    assert await database_sync_to_async(Message.objects.count)() == 2
    sse = sse_events((await post_chat(user, body, sse=True))["body"])
    assert [name for name, _ in sse] == ["chat.ack", "message.end"]
    assert sse[0][1]["data"]["duplicate"] is True
    assert sse[1][1]["data"]["message_id"] == first["assistant_message_id"]
    assert await database_sync_to_async(Message.objects.count)() == 2


@pytest.mark.parametrize("body,field", [
    ({"content": "Hello"}, "client_msg_id"),
    ({"client_msg_id": "not-a-uuid", "content": "Hello"}, "client_msg_id"),
    ({"client_msg_id": str(uuid.uuid4())}, "content"),
    ({"client_msg_id": str(uuid.uuid4()), "content": "x" * 4001}, "content"),
    ({"client_msg_id": str(uuid.uuid4()), "content": "   "}, "content"),
])
@pytest.mark.parametrize("sse", [False, True])
async def test_validation_errors_are_400_envelopes(user, scripted_model, body, field, sse):
    scripted_model()
    response = await post_chat(user, body, sse=sse)
    assert response["status"] == 400, response["body"]
    assert response["headers"]["content-type"].startswith("application/json")
    error = json.loads(response["body"])
    assert error["success"] is False
    assert error["error"]["code"] == "VALIDATION_ERROR"
    assert field in error["error"]["details"]
    assert await database_sync_to_async(Message.objects.count)() == 0


async def test_another_users_conversation_is_404(user, scripted_model):
    scripted_model()
    other = await database_sync_to_async(UserFactory)()
    theirs = await database_sync_to_async(Conversation.objects.create)(user=other)
    response = await post_chat(user, send_body(conversation_id=str(theirs.pk)))
    assert response["status"] == 404
    assert json.loads(response["body"])["error"]["code"] == "NOT_FOUND"
    assert await database_sync_to_async(Message.objects.count)() == 0


async def test_anonymous_is_401(transactional_db):
    from asgi import application

    raw = json.dumps(send_body()).encode()
    communicator = HttpCommunicator(
        application, "POST", "/api/v1/ai/chat", body=raw,
        headers=[(b"host", b"localhost"), (b"content-type", b"application/json"),
                 (b"content-length", str(len(raw)).encode())],
    )
    response = await response_of(communicator)
    assert response["status"] == 401


async def test_rate_limit_is_shared_with_the_socket(user, scripted_model, settings):
    settings.RATES = {**settings.RATES, "chat": "1/hour"}
    scripted_model(words=WORDS)
    first = await post_chat(user, send_body())
    assert first["status"] == 200, first["body"]
    second = await post_chat(user, send_body())
    assert second["status"] == 429, second["body"]
    error = json.loads(second["body"])
    assert error["success"] is False and error["error"]["code"] == "RATE_LIMITED"
    assert 1 <= int(second["headers"]["retry-after"]) <= 3600
    socket = await authed_socket(user)
    await socket.send("chat.send", {"client_msg_id": str(uuid.uuid4()), "content": "Hi"}, id="s")
    refused = await socket.recv()
    assert refused["type"] == "error" and refused["data"]["code"] == "rate_limited"
    await socket.close()
    assert await database_sync_to_async(Message.objects.filter(role="user").count)() == 1


async def test_rate_limit_counts_socket_messages_too(user, scripted_model, settings):
    settings.RATES = {**settings.RATES, "chat": "1/hour"}
    scripted_model(words=WORDS)
    socket = await authed_socket(user)
    await socket.send("chat.send", {"client_msg_id": str(uuid.uuid4()), "content": "Hi"})
    await socket.recv_until("message.end")
    await socket.close()
    response = await post_chat(user, send_body(), sse=True)
    assert response["status"] == 429, response["body"]  # not 406 for an SSE client
    assert response["headers"]["content-type"].startswith("application/json")
    assert json.loads(response["body"])["error"]["code"] == "RATE_LIMITED"
