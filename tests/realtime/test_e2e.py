"""End to end: a real server process (daphne, and the production uvicorn entry point), the
`websockets` client library, REST over loopback."""

import asyncio
import json
import uuid

import pytest
import websockets

from tests.support.server import SERVERS, AppServer, create_user, manage, rest, server_env


@pytest.fixture(scope="module", params=SERVERS)
def server(tmp_path_factory, request):
    env = server_env(tmp_path_factory.mktemp("var"))
    manage(env, "migrate", "--noinput")
    user = create_user(env)
    with AppServer(env, kind=request.param) as live:
        yield {"base": live.base, "ws": live.ws, **user}


async def test_chat_over_a_real_socket(server):
    login = await asyncio.to_thread(rest, server["base"], "POST", "/api/v1/auth/login",
                                    {"email": server["email"], "password": server["password"]})
    token = login["data"]["access_token"]
    ticket = (await asyncio.to_thread(rest, server["base"], "POST", "/api/v1/realtime/ticket",
                                      None, token))["data"]["ticket"]
    async with websockets.connect(server["ws"], subprotocols=["numerai.v1"],
                                  origin=server["base"]) as ws:
        assert ws.subprotocol == "numerai.v1"
        await ws.send(json.dumps({"type": "auth", "data": {"ticket": ticket}}))
        welcome = json.loads(await ws.recv())
        assert welcome["type"] == "welcome" and welcome["data"]["protocol"] == 1
        await ws.send(json.dumps({"type": "chat.send", "id": "e1", "data": {
            "conversation_id": None, "client_msg_id": str(uuid.uuid4()),
            "content": "What is my life path?"}}))
        frames = []
        while not frames or frames[-1]["type"] != "conversation.updated":
            frames.append(json.loads(await asyncio.wait_for(ws.recv(), 30)))
        types = [f["type"] for f in frames]
        assert types[:2] == ["chat.ack", "message.start"]
        deltas = [f for f in frames if f["type"] == "message.delta"]
        end = next(f for f in frames if f["type"] == "message.end")
        assert [d["data"]["seq"] for d in deltas] == list(range(1, len(deltas) + 1))
        assert "".join(d["data"]["delta"] for d in deltas) == end["data"]["content"]
        assert "Life Path" in end["data"]["content"] or "life path" in end["data"]["content"]
        await ws.send(json.dumps({"type": "ping", "id": "p"}))
        assert json.loads(await ws.recv())["type"] == "pong"
    history = await asyncio.to_thread(
        rest, server["base"], "GET",
        f"/api/v1/ai/conversations/{frames[0]['data']['conversation_id']}/messages", None, token)
    assert [m["role"] for m in history["data"]] == ["assistant", "user"]
    assert history["data"][0]["content"] == end["data"]["content"]


async def test_foreign_origin_is_closed_4403(server):
    async with websockets.connect(server["ws"], origin="https://evil.example") as ws:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)
    assert closed.value.rcvd.code == 4403
