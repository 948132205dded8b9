"""The socket protocol (docs/protocol.md), frame by frame, through the real ASGI application."""

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from channels.db import database_sync_to_async

from accounts.tokens import access_token_encode
from chat.models import Conversation, Message
from realtime import events
from realtime.protocol import frame
from realtime.streams import get_state
from tests.factories import UserFactory
from tests.realtime.conftest import authed_socket, open_socket, token_for
from tests.support.replies import attached_text

pytestmark = pytest.mark.django_db(transaction=True)


def send_data(content="What is my life path?", conversation_id=None, client_msg_id=None):
    return {"conversation_id": conversation_id,
            "client_msg_id": client_msg_id or str(uuid.uuid4()), "content": content}


async def streaming_reply(client) -> str:
    """Sends a message and waits for its reply's first delta; returns the reply's id."""
    await client.send("chat.send", send_data())
    message_id = (await client.recv())["data"]["assistant_message_id"]
    await client.recv_until("message.delta")
    return message_id


# --- connecting and authenticating -------------------------------------------------------------


async def test_token_auth_welcome(user):
    client = await authed_socket(user)
    data = client.welcome["data"]
    assert data["user_id"] == str(user.pk)
    assert data["protocol"] == 1
    assert data["heartbeat_s"] == 25
    assert isinstance(data["epoch"], str) and data["epoch"]
    assert data["offset"] == 0
    assert data["active_messages"] == []
    assert data["limits"] == {"chat_per_hour": 20, "max_message_chars": 4000}
    assert data["token_expires_at"].endswith("Z")
    assert client.welcome["ts"].endswith("Z")
    await client.close()


async def test_premium_users_have_no_chat_limit():
    premium = await database_sync_to_async(UserFactory)(is_premium=True)
    client = await authed_socket(premium)
    assert client.welcome["data"]["limits"]["chat_per_hour"] is None
    await client.close()


async def test_subprotocol_is_echoed(user):
    client = await open_socket(subprotocols=["numerai.v1"])
    assert client.subprotocol == "numerai.v1"
    await client.close()


async def test_bearer_header_needs_no_auth_frame(user):
    client = await open_socket(headers=[(b"authorization", f"Bearer {token_for(user)}".encode())])
    welcome = await client.recv()
    assert welcome["type"] == "welcome"
    await client.close()


async def test_ticket_auth_works_once(user):
    from rest_framework.test import APIClient

    def issue():
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
        response = api.post("/api/v1/realtime/ticket")
        assert response.status_code == 201, response.content
        return response.json()["data"]

    ticket = await database_sync_to_async(issue)()
    assert ticket["expires_in"] == 30
    first = await open_socket()
    await first.send("auth", {"ticket": ticket["ticket"]})
    assert (await first.recv())["type"] == "welcome"
    replay = await open_socket()
    await replay.send("auth", {"ticket": ticket["ticket"]}, id="a1")
    error = await replay.recv()
    assert error == {**error, "type": "error", "id": "a1"}
    assert error["data"]["code"] == "unauthorized"
    assert await replay.closed_with() == 4401
    await first.close()


@pytest.mark.parametrize("token", ["not-a-jwt", "eyJhbGciOiJub25lIn0.eyJ1c2VyX2lkIjoxfQ."])
async def test_bad_token_is_refused(user, token):
    client = await open_socket()
    await client.send("auth", {"token": token})
    error = await client.recv()
    assert error["data"]["code"] == "unauthorized"
    assert await client.closed_with() == 4401


async def test_first_frame_must_be_auth(user):
    client = await open_socket()
    await client.send("ping")
    assert (await client.recv())["data"]["code"] == "unauthorized"
    assert await client.closed_with() == 4401


async def test_auth_timeout(settings):
    settings.WEBSOCKET_AUTH_TIMEOUT_S = 0.2
    client = await open_socket()
    assert await client.closed_with() == 4408


async def test_foreign_origin_is_refused_own_origin_allowed(user):
    foreign = await open_socket(headers=[(b"origin", b"https://evil.example"),
                                         (b"host", b"127.0.0.1:8000")])
    assert await foreign.closed_with() == 4403
    own = await open_socket(headers=[(b"origin", b"http://127.0.0.1:8000"),
                                     (b"host", b"127.0.0.1:8000")])
    await own.send("auth", {"token": token_for(user)})
    assert (await own.recv())["type"] == "welcome"
    await own.close()


async def test_token_expiry_closes_4401(user):
    token = access_token_encode(
        user_id=user.pk, is_premium=False, now=datetime.now(UTC) - timedelta(seconds=3599)
    ).raw
    client = await open_socket()
    await client.send("auth", {"token": token})
    assert (await client.recv())["type"] == "welcome"
    error = await client.recv(timeout=5)
    assert error["data"]["code"] == "token_expired"
    assert await client.closed_with() == 4401


async def test_auth_refresh_extends_the_socket(user):
    client = await authed_socket(user)
    await client.send("auth.refresh", {"token": token_for(user)}, id="r")
    ok = await client.recv()
    assert ok["type"] == "auth.ok" and ok["id"] == "r"
    assert ok["data"]["token_expires_at"].endswith("Z")
    await client.close()


async def test_at_most_n_sockets_per_user(user, settings):
    settings.WEBSOCKET_MAX_SOCKETS_PER_USER = 2
    first, second = await authed_socket(user), await authed_socket(user)
    third = await open_socket()
    await third.send("auth", {"token": token_for(user)})
    assert (await third.recv())["data"]["code"] == "rate_limited"
    assert await third.closed_with() == 4429
    await first.close()
    fourth = await authed_socket(user)  # a slot is free again
    await second.close()
    await fourth.close()


# --- bad frames ---------------------------------------------------------------------------------


async def test_every_bad_frame_gets_an_error(user):
    client = await authed_socket(user)
    cases = [
        ("not json", "bad_request"),
        ("[1, 2]", "bad_request"),
        ('{"type": 5}', "bad_request"),
        ('{"type": "chat.send", "data": []}', "bad_request"),
        ('{"type": "chat.send", "data": {"content": "x"}}', "bad_request"),
        ('{"type": "no.such", "id": "q1"}', "unknown_type"),
        ('{"type": "ping", "id": "' + "x" * 65 + '"}', "bad_request"),
    ]
    for text, code in cases:
        await client.ws.send_to(text_data=text)
        error = await client.recv()
        assert error["type"] == "error" and error["data"]["code"] == code, (text, error)
    await client.ws.send_to(bytes_data=b"\x00\x01")
    assert (await client.recv())["data"]["code"] == "bad_request"
    await client.send("ping", id="p")
    pong = await client.recv()
    assert (pong["type"], pong["id"]) == ("pong", "p")
    await client.close()


async def test_twenty_bad_frames_in_a_row_close_4400(user):
    client = await authed_socket(user)
    for _ in range(20):
        await client.ws.send_to(text_data="{")
        assert (await client.recv())["type"] == "error"
    assert await client.closed_with() == 4400


async def test_oversized_frame_closes_1009(user):
    client = await authed_socket(user)
    await client.ws.send_to(text_data=json.dumps({"type": "ping", "pad": "x" * 70_000}))
    assert await client.closed_with() == 1009


# --- chat -----------------------------------------------------------------------------------


async def test_chat_happy_path(user, scripted_model):
    scripted_model(words=["Your ", "life ", "path ", "is ", "5."])
    client = await authed_socket(user)
    await client.send("chat.send", send_data(), id="r1")
    frames = await client.recv_until("conversation.updated")
    ack, start, *rest = frames
    assert ack["type"] == "chat.ack" and ack["id"] == "r1"
    assert ack["data"]["duplicate"] is False
    assert start["type"] == "message.start"
    assert start["data"] == {"conversation_id": ack["data"]["conversation_id"],
                             "message_id": ack["data"]["assistant_message_id"]}
    deltas = [f for f in rest if f["type"] == "message.delta"]
    assert [d["data"]["seq"] for d in deltas] == list(range(1, len(deltas) + 1))
    end = next(f for f in rest if f["type"] == "message.end")
    assert end["data"]["content"] == "Your life path is 5."
    assert "".join(d["data"]["delta"] for d in deltas) == end["data"]["content"]
    assert end["data"]["seq"] == len(deltas)
    assert end["data"]["finish_reason"] == "stop"
    assert end["data"]["usage"]["completion_tokens"] == 5
    assert end["offset"] == 1
    updated = rest[-1]
    assert updated["offset"] == 2
    assert updated["data"] == {"conversation_id": ack["data"]["conversation_id"],
                               "title": "What is my life path"}
    reply = await database_sync_to_async(Message.objects.get)(
        pk=ack["data"]["assistant_message_id"])
    assert (reply.status, reply.finish_reason, reply.content) == (
        "complete", "stop", "Your life path is 5.")
    await client.close()


async def test_duplicate_send_returns_same_ids_and_no_second_reply(user, scripted_model):
    scripted_model()
    client = await authed_socket(user)
    data = send_data()
    await client.send("chat.send", data, id="a")
    first = await client.recv_until("conversation.updated")
    await client.send("chat.send", data, id="b")
    ack = await client.recv()
    assert ack["type"] == "chat.ack" and ack["data"]["duplicate"] is True
    assert {k: v for k, v in ack["data"].items() if k != "duplicate"} == {
        k: v for k, v in first[0]["data"].items() if k != "duplicate"}
    assert await client.ws.receive_nothing(timeout=0.5)
    count = await database_sync_to_async(Message.objects.count)()
    assert count == 2
    await client.close()


@pytest.mark.parametrize("existing_conversation", [False, True])
async def test_the_same_message_sent_from_two_sockets_at_once_is_stored_once(
    user, scripted_model, existing_conversation
):
    """Both sockets are acknowledged with the same ids and one reply is generated and stored,
    whether the second turn is found a resend when checked or only when stored (PostgreSQL
    runs the two at once)."""
    scripted_model(words=["One ", "reply."])
    phone, tab = await authed_socket(user), await authed_socket(user)
    conversation_id = None
    if existing_conversation:
        await phone.send("chat.send", send_data("First."))
        conversation_id = (await phone.recv_until("message.end"))[0]["data"]["conversation_id"]
        await tab.recv_until("message.end")
    data = send_data("Twice at once.", conversation_id=conversation_id)
    await phone.send("chat.send", data, id="p")
    await tab.send("chat.send", data, id="t")
    frames = {"p": await phone.recv_until("message.end"), "t": await tab.recv_until("message.end")}
    acks = [next(f for f in frames[k] if f.get("id") == k) for k in frames]
    assert sorted(ack["data"]["duplicate"] for ack in acks) == [False, True]
    ids = [{k: v for k, v in ack["data"].items() if k != "duplicate"} for ack in acks]
    assert ids[0] == ids[1]
    for socket_frames in frames.values():
        starts = [f for f in socket_frames if f["type"] == "message.start"]
        assert [s["data"]["message_id"] for s in starts] == [ids[0]["assistant_message_id"]]
    assert frames["p"][-1]["data"]["content"] == "One reply."

    def stored():
        return (Conversation.objects.filter(user=user).count(),
                list(Message.objects.filter(conversation__user=user, content="Twice at once.")
                     .values_list("pk", flat=True)),
                Message.objects.filter(conversation__user=user, status="in_progress").count())

    conversations, questions, in_progress = await database_sync_to_async(stored)()
    assert conversations == 1
    assert [str(pk) for pk in questions] == [ids[0]["user_message_id"]]
    assert in_progress == 0
    await phone.close()
    await tab.close()


async def test_cancel_stores_partial_text(user, scripted_model):
    scripted_model(words=[f"w{i} " for i in range(200)], delay=0.02)
    client = await authed_socket(user)
    await client.send("chat.send", send_data())
    ack = await client.recv()
    message_id = ack["data"]["assistant_message_id"]
    frames = await client.recv_until("message.delta")
    await client.send("chat.cancel", {"message_id": message_id}, id="c")
    frames = await client.recv_until("message.end")
    assert any(f["type"] == "chat.ack" and f["id"] == "c" for f in frames)
    end = frames[-1]["data"]
    assert end["finish_reason"] == "cancelled"
    reply = await database_sync_to_async(Message.objects.get)(pk=message_id)
    assert reply.finish_reason == "cancelled"
    assert reply.content == end["content"] and 0 < len(reply.content.split()) < 200
    await client.close()


async def test_cancel_while_the_first_delta_is_buffered_stores_the_reply(
        user, scripted_model, monkeypatch):
    """Stop pressed while the reply's buffer is still opening (a slow Redis): the reply is
    stored as cancelled and ends, not left in progress."""
    state = get_state()
    open_buffer = type(state).reply_open

    async def slow_open(self, *args):
        await asyncio.sleep(0.5)
        return await open_buffer(self, *args)

    monkeypatch.setattr(type(state), "reply_open", slow_open)
    scripted_model(words=[f"w{i} " for i in range(50)])
    client = await authed_socket(user)
    await client.send("chat.send", send_data())
    message_id = (await client.recv())["data"]["assistant_message_id"]
    await client.send("chat.cancel", {"message_id": message_id}, id="c")

    end = (await client.recv_until("message.end"))[-1]["data"]
    assert end["finish_reason"] == "cancelled"
    reply = await database_sync_to_async(Message.objects.get)(pk=message_id)
    assert (reply.status, reply.finish_reason, reply.content) == (
        "complete", "cancelled", end["content"])
    await client.close()


async def test_more_cancels_do_not_interrupt_storing_the_reply(user, scripted_model):
    scripted_model(words=[f"w{i} " for i in range(200)], delay=0.02)
    client = await authed_socket(user)
    message_id = await streaming_reply(client)
    for n in range(3):  # a double click, or Stop in two tabs
        await client.send("chat.cancel", {"message_id": message_id}, id=f"c{n}")
    end = (await client.recv_until("message.end", timeout=10))[-1]["data"]
    assert end["finish_reason"] == "cancelled"
    reply = await database_sync_to_async(Message.objects.get)(pk=message_id)
    assert (reply.status, reply.finish_reason, reply.content) == (
        "complete", "cancelled", end["content"])
    await client.close()


async def test_disconnect_does_not_stop_the_reply(user, scripted_model):
    scripted_model(words=[f"w{i} " for i in range(20)], delay=0.01)
    client = await authed_socket(user)
    await client.send("chat.send", send_data())
    message_id = (await client.recv())["data"]["assistant_message_id"]
    await client.close()
    for _ in range(200):
        reply = await database_sync_to_async(Message.objects.get)(pk=message_id)
        if reply.status == "complete":
            break
        await asyncio.sleep(0.05)
    assert reply.finish_reason == "stop"
    assert reply.content == "".join(f"w{i} " for i in range(20))


async def test_model_failure_gives_message_error_then_end(user, scripted_model):
    scripted_model(words=["a ", "b ", "c "], fail_after=2)
    client = await authed_socket(user)
    await client.send("chat.send", send_data())
    frames = await client.recv_until("message.end")
    error = next(f for f in frames if f["type"] == "message.error")
    assert error["data"]["code"] == "llm_unavailable" and error["data"]["retryable"] is True
    end = frames[-1]["data"]
    assert (end["finish_reason"], end["content"]) == ("error", "a b ")
    await client.close()


async def test_all_sockets_of_the_user_follow_the_reply(user, scripted_model):
    scripted_model()
    phone, tab = await authed_socket(user), await authed_socket(user)
    await phone.send("chat.send", send_data())
    phone_frames = await phone.recv_until("message.end")
    tab_frames = await tab.recv_until("message.end")
    strip = [(f["type"], f.get("data")) for f in phone_frames if f["type"] != "chat.ack"]
    assert strip == [(f["type"], f.get("data")) for f in tab_frames]
    await phone.close()
    await tab.close()


async def test_rate_limit_refuses_and_stores_nothing(user, scripted_model, settings):
    settings.RATES = {**settings.RATES, "chat": "2/hour"}
    scripted_model()
    client = await authed_socket(user)
    for _ in range(2):
        await client.send("chat.send", send_data())
        await client.recv_until("message.end")
    await client.send("chat.send", send_data(), id="x")
    frames = await client.recv_until("error")
    error = frames[-1]
    assert error["id"] == "x" and error["data"]["code"] == "rate_limited"
    assert 1 <= error["data"]["retry_after"] <= 3600
    assert await database_sync_to_async(Message.objects.filter(role="user").count)() == 2
    await client.close()


async def test_a_zero_rate_refuses_every_message(user, scripted_model, settings):
    settings.RATES = {**settings.RATES, "chat": "0/hour"}
    scripted_model()
    client = await authed_socket(user)
    await client.send("chat.send", send_data(), id="x")
    error = await client.recv()
    assert (error["id"], error["data"]["code"]) == ("x", "rate_limited")
    assert await database_sync_to_async(Message.objects.count)() == 0
    await client.close()


async def test_another_users_conversation_is_not_found(user, scripted_model):
    other = await database_sync_to_async(UserFactory)()
    theirs = await database_sync_to_async(Conversation.objects.create)(user=other)
    client = await authed_socket(user)
    await client.send("chat.send", send_data(conversation_id=str(theirs.pk)), id="s")
    error = await client.recv()
    assert error["data"]["code"] == "not_found" and error["id"] == "s"
    assert await database_sync_to_async(Message.objects.count)() == 0
    await client.close()


async def test_unverified_user_cannot_chat():
    unverified = await database_sync_to_async(UserFactory)(is_verified=False)
    client = await authed_socket(unverified)
    await client.send("chat.send", send_data())
    assert (await client.recv())["data"]["code"] == "unauthorized"
    await client.close()


async def test_attach_to_running_and_finished_replies(user, scripted_model):
    scripted_model(words=[f"w{i} " for i in range(60)], delay=0.02)
    first = await authed_socket(user)
    message_id = await streaming_reply(first)
    await asyncio.sleep(0.2)
    second = await authed_socket(user)
    assert [m["message_id"] for m in second.welcome["data"]["active_messages"]] == [message_id]
    await second.send("chat.attach", {"message_id": message_id, "after_seq": 0})
    frames = await second.recv_until("message.end")
    text = attached_text(frames)
    assert text == frames[-1]["data"]["content"] == "".join(f"w{i} " for i in range(60))
    await second.send("chat.attach", {"message_id": message_id, "after_seq": 3})
    end = (await second.recv_until("message.end"))[-1]  # the title's event may come first
    assert end["data"]["content"] == text
    await first.close()
    await second.close()


async def test_a_delta_past_a_gap_after_attaching_at_seq_0_is_filled_from_the_buffer(user):
    """A socket whose process the reply did not know of yet attaches before the first frame;
    the first delta it then gets is not the first of the reply: the buffer fills the gap."""
    conversation = await database_sync_to_async(Conversation.objects.create)(user=user)
    message = await database_sync_to_async(Message.objects.create)(
        conversation=conversation, role="assistant", status="in_progress")
    key, state = str(message.id), get_state()
    await state.reply_open(key, str(user.pk), str(conversation.id))
    client = await authed_socket(user)
    await client.send("chat.attach", {"message_id": key, "after_seq": 0})
    await client.send("ping", id="p")
    assert (await client.recv())["type"] == "pong"  # seq 0: no snapshot to send

    for seq, text in enumerate(["Your ", "life "], start=1):
        await state.reply_append(key, seq, text)
    await events.user_frame_send(user.pk, frame(
        "message.delta", {"message_id": key, "seq": 2, "delta": "life "}))

    snapshot = await client.recv()
    assert (snapshot["type"], snapshot["data"]) == (
        "message.snapshot", {"message_id": key, "seq": 2, "content": "Your life "})
    await client.close()


async def test_resume_replays_missed_events_or_asks_for_resync(user, scripted_model):
    scripted_model()
    client = await authed_socket(user)
    epoch = client.welcome["data"]["epoch"]
    await client.send("chat.send", send_data())
    await client.recv_until("conversation.updated")
    await client.close()
    back = await authed_socket(user, resume={"epoch": epoch, "offset": 0})
    assert back.welcome["data"]["offset"] == 2
    replayed = [await back.recv(), await back.recv()]
    assert [(f["type"], f["offset"]) for f in replayed] == [
        ("message.end", 1), ("conversation.updated", 2)]
    await back.close()
    stale = await authed_socket(user, resume={"epoch": "not-the-epoch", "offset": 1})
    assert (await stale.recv())["type"] == "resync.required"
    await stale.close()
