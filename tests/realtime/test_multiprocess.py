"""Nothing lost across processes and under faults (issue: resume, attach, replay).

Real processes throughout: two daphne servers sharing PostgreSQL and Redis (SIGTERM also on the
production uvicorn entry point), the real OpenAI SDK streaming from a local OpenAI-compatible
server, a `websockets` client. The database is checked
through the REST API (the servers use the configured database, not the test database).
"""

import asyncio
import json
import signal
import subprocess
import time
import uuid

import pytest
import websockets

from tests.support.fake_openai import FakeOpenAIServer
from tests.support.replies import attached_text
from tests.support.server import (
    SERVERS,
    AppServer,
    create_user,
    free_port,
    manage,
    rest,
    server_env,
)

pytestmark = pytest.mark.scaled


class Socket:
    def __init__(self, ws):
        self.ws = ws
        self.frames: list[dict] = []

    @classmethod
    async def open(cls, server, token, resume=None):
        ws = await websockets.connect(server.ws, max_size=2**22)
        socket = cls(ws)
        data = {"token": token, **({"resume": resume} if resume else {})}
        await socket.send("auth", data)
        socket.welcome = await socket.recv()
        assert socket.welcome["type"] == "welcome", socket.welcome
        return socket

    async def send(self, type_, data=None, id=None):
        frame = {"type": type_, "data": data or {}, **({"id": id} if id else {})}
        await self.ws.send(json.dumps(frame))

    async def recv(self, timeout=30):
        frame = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
        self.frames.append(frame)
        return frame

    async def until(self, type_, timeout=30, message_id=None):
        seen = []
        while True:
            frame = await self.recv(timeout)
            seen.append(frame)
            if frame["type"] == type_ and (
                message_id is None or frame.get("data", {}).get("message_id") == message_id
            ):
                return seen

    async def chat(self, content="Tell me about my numbers", conversation_id=None):
        await self.send("chat.send", {"conversation_id": conversation_id,
                                      "client_msg_id": str(uuid.uuid4()), "content": content})
        ack = await self.until("chat.ack")
        return ack[-1]["data"]

    async def close(self):
        await self.ws.close()


def stored_reply(server, token, conversation_id):
    messages = rest(server.base, "GET", f"/api/v1/ai/conversations/{conversation_id}/messages",
                    token=token)["data"]
    return next(m for m in messages if m["role"] == "assistant")


def wait_stored(server, token, conversation_id, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        reply = stored_reply(server, token, conversation_id)
        if reply["status"] == "complete" or time.monotonic() > deadline:
            return reply
        time.sleep(0.2)


@pytest.fixture(scope="module")
def model():
    with FakeOpenAIServer(tokens_per_second=40, n_tokens=60) as server:
        yield server


@pytest.fixture(scope="module")
def env(tmp_path_factory, model):
    env = server_env(tmp_path_factory.mktemp("var"), OPENAI_API_KEY="sk-local",
                     OPENAI_BASE_URL=model.base_url, OPENAI_TIMEOUT=2)
    manage(env, "migrate", "--noinput")
    return env


@pytest.fixture(scope="module")
def pair(env):
    with AppServer(env) as a, AppServer(env) as b:
        yield a, b


@pytest.fixture
def account(env, pair):
    user = create_user(env)
    return user, pair[0].login(user)


@pytest.fixture(autouse=True)
def _model_ok(model):
    model.mode = "ok"
    model.tokens_per_second = 40
    yield
    model.mode = "ok"


async def test_reply_started_on_a_is_attached_and_finished_on_b(pair, account, model):
    a, b = pair
    _, token = account
    model.tokens_per_second = 15  # about 4 s: the reply is still running when B attaches
    on_a = await Socket.open(a, token)
    ack = await on_a.chat()
    message_id = ack["assistant_message_id"]
    await on_a.until("message.delta")
    await on_a.close()  # the phone drops; the reply keeps running on A
    on_b = await Socket.open(b, token)
    assert [m["message_id"] for m in on_b.welcome["data"]["active_messages"]] == [message_id], (
        on_b.welcome, on_a.frames)
    await on_b.send("chat.attach", {"message_id": message_id, "after_seq": 0})
    frames = await on_b.until("message.end", message_id=message_id)
    text = attached_text(frames)
    end = frames[-1]["data"]
    assert text == end["content"] and end["finish_reason"] == "stop"
    assert wait_stored(a, token, ack["conversation_id"])["content"] == text
    await on_b.close()


async def test_second_device_on_b_is_followed_live_on_a(pair, account):
    a, b = pair
    _, token = account
    phone, laptop = await Socket.open(a, token), await Socket.open(b, token)
    ack = await laptop.chat()
    frames = await phone.until("message.end", message_id=ack["assistant_message_id"])
    deltas = [f for f in frames if f["type"] == "message.delta"]
    assert [d["data"]["seq"] for d in deltas] == list(range(1, len(deltas) + 1))
    assert "".join(d["data"]["delta"] for d in deltas) == frames[-1]["data"]["content"]
    await phone.close()
    await laptop.close()


async def test_reading_published_while_away_is_replayed_on_the_other_process(pair, account,
                                                                           env):
    a, b = pair
    user, token = account
    first = await Socket.open(a, token)
    epoch, offset = first.welcome["data"]["epoch"], first.welcome["data"]["offset"]
    await first.close()
    await asyncio.to_thread(manage, env, "readings_generate", "--user", user["email"])
    back = await Socket.open(b, token, resume={"epoch": epoch, "offset": offset})
    replayed = await back.recv()
    assert replayed["type"] == "reading.daily" and replayed["offset"] == offset + 1
    state_on_connect = await back.recv()
    assert state_on_connect["type"] == "reading.daily"
    assert state_on_connect["data"]["id"] == replayed["data"]["id"]
    await back.close()


async def test_model_failing_mid_stream_stores_partial_text(pair, account, model):
    a, _ = pair
    _, token = account
    model.mode = "fail_mid_stream"
    model.fail_after = 5
    socket = await Socket.open(a, token)
    ack = await socket.chat()
    frames = await socket.until("message.end", message_id=ack["assistant_message_id"])
    error = next(f for f in frames if f["type"] == "message.error")
    assert error["data"]["code"] == "llm_error"
    end = frames[-1]["data"]
    assert end["finish_reason"] == "error" and end["content"]
    stored = wait_stored(a, token, ack["conversation_id"])
    assert (stored["finish_reason"], stored["content"]) == ("error", end["content"])
    await socket.close()


async def test_model_stalling_mid_stream_times_out(pair, account, model):
    a, _ = pair
    _, token = account
    model.mode = "stall"
    model.stall_after = 3
    socket = await Socket.open(a, token)
    ack = await socket.chat()
    frames = await socket.until("message.end", message_id=ack["assistant_message_id"])
    assert next(f for f in frames if f["type"] == "message.error")["data"]["code"] == "llm_timeout"
    assert frames[-1]["data"]["finish_reason"] == "error"
    await socket.close()


async def _close_code(socket: Socket) -> int | None:
    with pytest.raises(websockets.ConnectionClosed) as closed:
        while True:
            await socket.recv(timeout=20)
    return closed.value.rcvd.code if closed.value.rcvd is not None else None


@pytest.mark.parametrize("kind", SERVERS)
async def test_sigterm_mid_reply_closes_4503_and_stores_interrupted(env, account, kind):
    """Every socket is closed with 4503 after its own cleanup: the user can open as many
    sockets on another process right away (stale presence would count for 90 s)."""
    _, token = account
    limited = {**env, "WEBSOCKET_MAX_SOCKETS_PER_USER": "3"}
    doomed = AppServer(limited, kind=kind).start()
    survivor = AppServer(limited).start()
    try:
        sockets = [await Socket.open(doomed, token) for _ in range(3)]
        socket = sockets[0]
        ack = await socket.chat()
        await socket.until("message.delta")
        await socket.until("message.delta")
        await asyncio.to_thread(doomed.terminate, signal.SIGTERM)
        assert [await _close_code(s) for s in sockets] == [4503, 4503, 4503]
        again = [await Socket.open(survivor, token) for _ in range(3)]  # each welcomed
        for s in again:
            await s.close()
        stored = stored_reply(survivor, token, ack["conversation_id"])
        assert stored["status"] == "complete"
        assert stored["finish_reason"] == "interrupted"
        assert 0 < len(stored["content"])
        # It stopped by itself (uvicorn re-raises the signal it handled), not killed.
        assert doomed.process.returncode in (0, -signal.SIGTERM)
        assert "Traceback" not in doomed.output(), doomed.output()[-3000:]
    finally:
        doomed.terminate()
        survivor.terminate()


async def test_redis_restart_mid_reply_loses_nothing(env, account, tmp_path):
    """Redis dies mid-reply: the reply is still stored whole; health reports the outage; the
    service serves again once Redis is back and the client can attach to the finished reply."""
    _, token = account
    port = free_port()
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--dir", str(tmp_path)]
    redis = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    time.sleep(0.5)
    server = AppServer({**env, "REDIS_URL": f"redis://127.0.0.1:{port}/0"}).start()
    try:
        socket = await Socket.open(server, token)
        ack = await socket.chat()
        await socket.until("message.delta")
        redis.kill()
        redis.wait(timeout=10)
        health = await asyncio.to_thread(_health, server)
        assert health["http"] == 503
        assert health["checks"]["cache"]["status"] == "down"
        assert health["checks"]["database"]["status"] == "up"
        await asyncio.sleep(1)
        redis = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while True:
            checks = (await asyncio.to_thread(_health, server))["checks"]
            if checks["cache"]["status"] == checks["channel_layer"]["status"] == "up":
                break
            assert time.monotonic() < deadline, checks
            await asyncio.sleep(0.5)
        stored = await asyncio.to_thread(wait_stored, server, token, ack["conversation_id"])
        assert stored["status"] == "complete" and stored["finish_reason"] == "stop"
        assert len(stored["content"]) > 0
        again = await _reconnect(server, token, within=10)
        await again.send("chat.attach", {"message_id": ack["assistant_message_id"],
                                         "after_seq": 0})
        end = await again.until("message.end")
        assert end[-1]["data"]["content"] == stored["content"]
        await again.close()
    finally:
        server.terminate()
        redis.kill()


async def _reconnect(server, token, *, within: float) -> Socket:
    """Reconnects like a client does (a pause between attempts) until welcomed."""
    deadline = time.monotonic() + within
    while True:
        try:
            return await Socket.open(server, token)
        except (AssertionError, websockets.ConnectionClosed):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


def _health(server) -> dict:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(server.base + "/api/v1/health", timeout=30) as response:
            body = json.loads(response.read())
            return {**body["data"], "http": response.status}
    except urllib.error.HTTPError as exc:
        body = json.loads(exc.read())
        return {**body["error"]["details"], "http": exc.code}
