"""Load generator processes for the benchmarks (started by bench/common.py, never by hand).

    python -m bench.loadgen <kind> <spec.json>

Protocol with the parent, one JSON object per line: the worker sets up (opens its sockets,
connections, ...) and prints {"ready": {...}}; it then reads one command line from stdin, runs,
and prints {"result": {...}}. Any failure prints {"error": "..."}. A worker never runs longer
than the spec's `max_seconds` (and the parent kills it a little after that).

Kinds:
- ``sockets``: N authenticated sockets (token in the first frame, as native apps do; or the
  bare baseline server, which takes the same frame); ready when every `welcome` arrived. Each
  command {"expect": {"type", "marker"}, "timeout"} waits for such a frame on every socket
  and answers with the monotonic time each socket received it; {"server_closes": timeout}
  waits for the server to close every socket and answers with the close codes and times;
  any other command closes the sockets and answers with how many were still open.
- ``streams``: one socket per user; on the command each socket sends `rounds` chat.send
  frames one after the other (all sockets at the same instant `go_at`) and records the
  arrival time of every frame of each reply.
- ``sdk``: the baseline: `concurrency` streams read with the openai SDK straight from the
  model server, `rounds` each, recording the arrival time of every content chunk.
- ``http``: `connections` keep-alive HTTP/1.1 connections, each a closed loop of GETs over
  `paths` for `duration` seconds; latencies per path. With `rate` (requests/s per connection)
  each connection sends on a fixed schedule instead (an open loop; `first` and `total` spread
  the starts evenly over all generators' connections), and
  a latency counts from the scheduled time, so waiting behind a slow server is included.

Times are `time.monotonic()` (CLOCK_MONOTONIC: the same clock in every process here).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import resource
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import websockets

now = time.monotonic


def _print(message: dict) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


async def _command() -> dict:
    line = await asyncio.to_thread(sys.stdin.readline)
    return json.loads(line) if line.strip() else {}


async def _sleep_until(moment: float | None) -> None:
    if moment is not None and moment > now():
        await asyncio.sleep(moment - now())


# ----------------------------------------------------------------------------- sockets


async def _open_socket(spec: dict, token: str):
    ws = await websockets.connect(
        spec["url"], subprotocols=["numerai.v1"],
        compression="deflate" if spec.get("compression") else None,
        open_timeout=60, ping_interval=None, close_timeout=5, max_queue=spec.get("max_queue", 16),
    )
    await ws.send(json.dumps({"type": "auth", "data": {"token": token}}))
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), 60))
        if message["type"] == "welcome":
            return ws
        if message["type"] == "error":
            await ws.close()
            raise RuntimeError(f"auth refused: {message['data']}")


async def _open_all(spec: dict, tokens: list[str]) -> tuple[list, list[float], list[str]]:
    """Opens one socket per token, at most `connect_concurrency` handshakes at a time."""
    gate = asyncio.Semaphore(spec.get("connect_concurrency", 32))
    sockets: list = [None] * len(tokens)
    times: list[float] = []
    errors: list[str] = []

    async def one(index: int, token: str) -> None:
        async with gate:
            started = now()
            for attempt in range(3):
                try:
                    sockets[index] = await _open_socket(spec, token)
                    times.append((now() - started) * 1000)
                    return
                except Exception as exc:
                    if attempt == 2:
                        errors.append(f"{type(exc).__name__}: {exc}"[:200])
                    await asyncio.sleep(0.2 * (attempt + 1))

    await asyncio.gather(*(one(i, t) for i, t in enumerate(tokens)))
    return [s for s in sockets if s is not None], times, errors


async def _wait_frame(ws, match: dict, deadline: float) -> float | None:
    while True:
        remaining = deadline - now()
        if remaining <= 0:
            return None
        try:
            message = json.loads(await asyncio.wait_for(ws.recv(), remaining))
        except (TimeoutError, websockets.ConnectionClosed):
            return None
        if message.get("type") == match["type"] and (
            match.get("marker") is None
            or (message.get("data") or {}).get("bench") == match["marker"]
        ):
            return now()


async def run_sockets(spec: dict) -> None:
    started = now()
    sockets, connect_ms, errors = await _open_all(spec, spec["tokens"])
    _print({"ready": {"open": len(sockets), "failed": len(errors), "errors": errors[:5],
                      "connect_ms": connect_ms, "seconds": round(now() - started, 2)}})
    while (command := await _command()).get("expect"):
        # Every socket waits for the frame; a result line per command.
        deadline = now() + command.get("timeout", 60)
        received = await asyncio.gather(
            *(_wait_frame(ws, command["expect"], deadline) for ws in sockets))
        _print({"result": {"received": [t for t in received if t is not None],
                           "missed": sum(1 for t in received if t is None)}})
    if command.get("server_closes"):
        await _server_closes(sockets, command["server_closes"])
        return
    still_open = sum(1 for ws in sockets if ws.close_code is None)
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    _print({"result": {"open": len(sockets), "still_open": still_open}})


async def _server_closes(sockets: list, timeout: float) -> None:
    """Waits for the server to close each socket: its close code and when (a server drain)."""
    closed_at: list[float] = []

    async def one(ws) -> None:
        await ws.wait_closed()
        closed_at.append(now())

    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout):
            await asyncio.gather(*(one(ws) for ws in sockets))
    codes = Counter("still open" if ws.close_code is None else str(ws.close_code)
                    for ws in sockets)
    _print({"result": {"open": len(sockets), "close_codes": dict(codes),
                       "closed_at": closed_at}})


# ----------------------------------------------------------------------------- streams


async def _one_reply(ws, content: str, timeout: float) -> dict:
    record: dict = {"deltas": []}
    request_id = uuid.uuid4().hex[:8]
    record["sent"] = now()
    await ws.send(json.dumps({"type": "chat.send", "id": request_id, "data": {
        "conversation_id": None, "client_msg_id": str(uuid.uuid4()), "content": content}}))
    deadline = now() + timeout
    message_id = None
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), max(0.01, deadline - now())))
        at = now()
        kind = frame["type"]
        data = frame.get("data") or {}
        if kind == "chat.ack" and frame.get("id") == request_id:
            record["ack"] = at
            message_id = data["assistant_message_id"]
        elif kind == "error" and frame.get("id") == request_id:
            raise RuntimeError(f"chat.send refused: {data}")
        elif data.get("message_id") != message_id or message_id is None:
            continue
        elif kind == "message.start":
            record["start"] = at
        elif kind == "message.delta":
            record["deltas"].append([at, data["seq"], data["delta"]])
        elif kind == "message.end":
            record["end"] = at
            record["finish_reason"] = data["finish_reason"]
            record["content_chars"] = len(data["content"])
            return record


def _delays(spec: dict, n: int) -> list[float]:
    """Each stream's start delay after `go_at` (`delays` in the spec), else all at once; a
    socket that failed to open leaves its delay to the next."""
    return ((spec.get("delays") or []) + [0.0] * n)[:n]


async def run_streams(spec: dict) -> None:
    sockets, _, errors = await _open_all(spec, spec["tokens"])
    _print({"ready": {"open": len(sockets), "failed": len(errors), "errors": errors[:5]}})
    command = await _command()
    await _sleep_until(command.get("go_at"))

    async def rounds(ws, delay: float) -> list[dict]:
        await asyncio.sleep(delay)
        out = []
        for _ in range(spec.get("rounds", 1)):
            try:
                out.append(await _one_reply(ws, spec.get("content", "What is my life path?"),
                                            spec.get("reply_timeout", 120)))
            except Exception as exc:
                out.append({"error": f"{type(exc).__name__}: {exc}"[:300]})
            await asyncio.sleep(spec.get("pause", 0.05))
        return out

    delays = _delays(spec, len(sockets))
    results = await asyncio.gather(*(rounds(ws, delay)
                                     for ws, delay in zip(sockets, delays, strict=True)))
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    _print({"result": {"replies": [r for per_socket in results for r in per_socket]}})


# ----------------------------------------------------------------------------- sdk baseline


async def run_sdk(spec: dict) -> None:
    import httpx
    import openai

    client = openai.AsyncOpenAI(
        base_url=spec["base_url"], api_key="x", max_retries=0, timeout=120,
        http_client=httpx.AsyncClient(limits=httpx.Limits(max_connections=None,
                                                          max_keepalive_connections=None)),
    )
    messages = [{"role": "user", "content": spec.get("content", "What is my life path?")}]
    # One warm-up request opens a connection, as a long-running server would have one.
    warm = await client.chat.completions.create(model="fake-model", messages=messages,
                                                stream=True)
    async for _ in warm:
        pass
    _print({"ready": {"concurrency": spec["concurrency"]}})
    command = await _command()
    await _sleep_until(command.get("go_at"))

    async def one() -> dict:
        record: dict = {"deltas": [], "sent": now()}
        stream = await client.chat.completions.create(
            model="fake-model", messages=messages, stream=True,
            stream_options={"include_usage": True})
        seq = 0
        async for chunk in stream:
            for choice in chunk.choices or ():
                text = choice.delta.content if choice.delta is not None else None
                if text:
                    seq += 1
                    record["deltas"].append([now(), seq, text])
        record["end"] = now()
        return record

    async def rounds(delay: float) -> list[dict]:
        await asyncio.sleep(delay)
        out = []
        for _ in range(spec.get("rounds", 1)):
            out.append(await one())
            await asyncio.sleep(spec.get("pause", 0.05))
        return out

    results = await asyncio.gather(*(rounds(delay)
                                     for delay in _delays(spec, spec["concurrency"])))
    await client.close()
    _print({"result": {"replies": [r for per_task in results for r in per_task]}})


# ----------------------------------------------------------------------------- http


class _HttpConnection:
    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def get(self, path: str, headers: str) -> int:
        """One GET; as HTTP clients do, on a new connection when the server has closed this one
        (its keep-alive timeout: 5 s under uvicorn, a client's period in a slow open loop)."""
        if self.reader.at_eof():
            await self.open()
        request = f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\n{headers}\r\n".encode()
        self.writer.write(request)
        try:
            head = await self.reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:  # closed as the request went out: once more
            await self.open()
            self.writer.write(request)
            head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        chunked = False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        if chunked:
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
                await self.reader.readexactly(size + 2)
                if size == 0:
                    break
        elif length:
            await self.reader.readexactly(length)
        return status


async def run_http(spec: dict) -> None:
    host, port = spec["host"], spec["port"]
    connections = []
    for _ in range(spec["connections"]):
        connection = _HttpConnection(host, port)
        await connection.open()
        connections.append(connection)
    _print({"ready": {"connections": len(connections)}})
    command = await _command()
    await _sleep_until(command.get("go_at"))
    stop_at = now() + spec["duration"]
    latencies: dict[str, list[float]] = {p: [] for p in spec["paths"]}
    statuses: dict[str, int] = {}

    rate = spec.get("rate")
    # Where in its period each connection starts: spread evenly over all the generators'.
    first, total = spec.get("first", 0), spec.get("total", len(connections))
    phase = [(first + index) / total for index in range(len(connections))]
    start = now()

    async def loop(index: int, connection: _HttpConnection) -> None:
        token = spec["tokens"][index % len(spec["tokens"])]
        headers = f"Authorization: Bearer {token}\r\nAccept: application/json\r\n"
        for i in itertools.count():
            scheduled = start + (phase[index] + i) / rate if rate else now()
            if scheduled >= stop_at:
                return
            await _sleep_until(scheduled)
            path = spec["paths"][(index + i) % len(spec["paths"])]
            status = await connection.get(path, headers)
            latencies[path].append((now() - scheduled) * 1000)
            statuses[str(status)] = statuses.get(str(status), 0) + 1

    await asyncio.gather(*(loop(i, c) for i, c in enumerate(connections)))
    for connection in connections:
        connection.writer.close()
    _print({"result": {"latencies_ms": latencies, "statuses": statuses,
                       "seconds": spec["duration"]}})


KINDS = {"sockets": run_sockets, "streams": run_streams, "sdk": run_sdk, "http": run_http}


def main() -> None:
    kind, spec_path = sys.argv[1], Path(sys.argv[2])
    spec = json.loads(spec_path.read_text())
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    async def bounded() -> None:
        async with asyncio.timeout(spec.get("max_seconds", 300)):
            await KINDS[kind](spec)

    try:
        asyncio.run(bounded())
    except Exception as exc:
        _print({"error": f"{type(exc).__name__}: {exc}"[:2000]})
        with contextlib.suppress(Exception):
            sys.stdout.flush()
        sys.exit(1)


if __name__ == "__main__":
    main()
