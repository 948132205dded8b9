"""Fan-out without loss through the Redis layer: every connected user gets the reading, counted.

channels-redis drops messages past a channel's `capacity` silently, and redis-py's pool limits
can refuse a burst of connects; both are sized in settings and proven here with real sockets.
"""

import asyncio
import json
import resource
from datetime import UTC, datetime

import pytest
import websockets
from django.conf import settings

from accounts.tokens import access_token_encode
from tests.support.server import AppServer, manage, server_env

pytestmark = pytest.mark.scaled

USERS = 2000
BURST = 200
BATCH = 50  # daphne spends tens of ms of CPU per handshake: connect the crowd in batches


@pytest.fixture(scope="module")
def crowd(tmp_path_factory):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 20000)), hard))
    # The same signing key as this process, so tokens made here are valid there.
    env = server_env(tmp_path_factory.mktemp("var"), SECRET_KEY=settings.SECRET_KEY,
                     WEBSOCKET_AUTH_TIMEOUT_S=60)
    manage(env, "migrate", "--noinput")
    ids = json.loads(manage(env, "shell", "-c", (
        "import datetime, json, uuid\n"
        "from accounts.models import User\n"
        "tag = uuid.uuid4().hex[:8]\n"
        f"users = [User(email=f'fan-{{tag}}-{{i}}@example.com', full_name=f'Fan {{i}}', "
        "birth_name='', date_of_birth=datetime.date(1990, 1, 1 + i % 28), is_verified=True) "
        f"for i in range({USERS})]\n"
        "User.objects.bulk_create(users)\n"
        "print(json.dumps([str(u.pk) for u in users]))"
    )).strip().splitlines()[-1])
    with AppServer(env) as server:
        yield server, env, ids


def token(user_id) -> str:
    return access_token_encode(user_id=user_id, is_premium=False).raw


async def connect(server, user_id):
    ws = await websockets.connect(server.ws, open_timeout=60, max_queue=None)
    await ws.send(json.dumps({"type": "auth", "data": {"token": token(user_id)}}))
    welcome = json.loads(await asyncio.wait_for(ws.recv(), 60))
    assert welcome["type"] == "welcome", welcome
    return ws


async def test_a_burst_of_simultaneous_connects_all_succeed(crowd):
    server, _, ids = crowd
    sockets = await asyncio.gather(*(connect(server, user_id) for user_id in ids[:BURST]))
    assert len(sockets) == BURST
    await asyncio.gather(*(ws.close() for ws in sockets))


async def test_reading_reaches_every_connected_user(crowd):
    server, env, ids = crowd
    sockets = []
    for start in range(0, len(ids), BATCH):
        sockets += await asyncio.gather(
            *(connect(server, user_id) for user_id in ids[start:start + BATCH]))

    async def first_reading(ws):
        while True:
            frame = json.loads(await ws.recv())
            # Not a state on connect (no offset) that a socket still reading it may send first.
            if frame["type"] == "reading.daily" and "offset" in frame:
                return frame

    waiting = [asyncio.ensure_future(asyncio.wait_for(first_reading(ws), 120)) for ws in sockets]
    today = datetime.now(UTC).date().isoformat()
    await asyncio.to_thread(manage, env, "readings_generate", "--date", today)
    results = await asyncio.gather(*waiting, return_exceptions=True)
    delivered = [r for r in results if isinstance(r, dict)]
    assert len(delivered) == USERS, f"{USERS - len(delivered)} users got nothing"
    assert all(r["data"]["date"] == today and r["offset"] == 1 for r in delivered)
    await asyncio.gather(*(ws.close() for ws in sockets))
