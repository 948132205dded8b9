"""Baseline servers for the benchmarks: a bare `websockets` server, no Django, no Channels.

    python -m bench.bare --port P [--redis redis://127.0.0.1:6379/10]

It speaks just enough of our protocol for the same load generator to drive it: the first frame
`{"type": "auth", "data": {"token": "<user id>"}}` is answered with `{"type": "welcome"}`
(no check: it is the cost of holding a socket that is measured). With `--redis` one pub/sub
connection subscribes to `bench:user:*` and forwards each message to the sockets of the user
named by the channel: the bare Redis pub/sub fan-out that bench.fanout compares us with.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from collections import defaultdict

import websockets
from websockets.asyncio.server import serve

CHANNEL_PREFIX = "bench:user:"


async def main_async(args) -> None:
    users: dict[str, set] = defaultdict(set)

    async def handler(ws) -> None:
        try:
            first = json.loads(await asyncio.wait_for(ws.recv(), 30))
            user = str(first["data"]["token"])
        except Exception:
            await ws.close(4401)
            return
        users[user].add(ws)
        try:
            await ws.send(json.dumps({"type": "welcome", "data": {"user_id": user}}))
            await ws.wait_closed()
        finally:
            users[user].discard(ws)

    async def forward() -> None:
        import redis.asyncio as aioredis

        client = aioredis.Redis.from_url(args.redis)
        pubsub = client.pubsub()
        await pubsub.psubscribe(CHANNEL_PREFIX + "*")
        async for message in pubsub.listen():
            if message["type"] != "pmessage":
                continue
            user = message["channel"].decode()[len(CHANNEL_PREFIX):]
            data = message["data"].decode()
            for ws in list(users.get(user, ())):
                with contextlib.suppress(websockets.ConnectionClosed):
                    await ws.send(data)

    async with serve(handler, "127.0.0.1", args.port, ping_interval=25, ping_timeout=30,
                     max_queue=16, backlog=4096):
        if args.redis:
            await forward()
        else:
            await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--redis", default=None, help="forward Redis pub/sub bench:user:*")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
