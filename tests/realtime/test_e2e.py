"""End to end: a real daphne process, the `websockets` client library, REST over loopback."""

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
import websockets

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rest(base, method, path, body=None, token=None):
    request = urllib.request.Request(
        base + path, method=method, data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json",
                 **({"Authorization": f"Bearer {token}"} if token else {})},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    var = tmp_path_factory.mktemp("var")
    env = {**os.environ, "NUMERAI_VAR_DIR": str(var), "SECRET_KEY": "e2e-" + "k" * 40,
           "DEBUG": "0", "OFFLINE_GUIDE_WORDS_PER_SECOND": "200", "EMBEDDED_SCHEDULER": "0"}
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env,
                   check=True, capture_output=True, timeout=300)
    email = f"e2e-{uuid.uuid4().hex[:8]}@example.com"
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c",
         "from accounts.models import User; import datetime;"
         f"u = User.objects.create_user('{email}', 'Sunny-Meadow-42', full_name='Ada Lovelace',"
         " date_of_birth=datetime.date(1990, 12, 10),"
         " is_verified=True)"],
        cwd=ROOT, env=env, check=True, capture_output=True, timeout=120,
    )
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "daphne", "--bind", "127.0.0.1", "--port", str(port),
         "asgi:application"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(base + "/metrics", timeout=5):
                break
        except Exception:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail(f"daphne did not start: {process.stderr.read().decode()[-2000:]}")
            time.sleep(0.3)
    yield {"base": base, "ws": f"ws://127.0.0.1:{port}/ws/v1/", "email": email,
           "password": "Sunny-Meadow-42"}
    process.terminate()
    process.wait(timeout=30)


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
