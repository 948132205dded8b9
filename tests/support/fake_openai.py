"""A local OpenAI-compatible chat completions server for tests and benchmarks.

Standard library only (asyncio, HTTP/1.1 with keep-alive). `POST /v1/chat/completions`
answers `stream: true` requests with Server-Sent Events (`data: {chat.completion.chunk}`,
a final usage chunk when `stream_options.include_usage` is set, then `data: [DONE]`) and other
requests with one `chat.completion` JSON. `GET /v1/models` lists the model.

Modes (per server, read at each request, so a test may change them between requests):
- ``ok``: streams the tokens, honouring `max_tokens` / `max_completion_tokens` (then
  `finish_reason: "length"`).
- ``fail_mid_stream``: sends `fail_after` tokens, then drops the connection.
- ``error_status``: answers `status` (500, 429, 400, ...) with an OpenAI-style error JSON.
- ``stall``: sends the headers and `stall_after` tokens, then nothing more.
- ``never_answers``: reads the request and never responds.
- ``malformed``: sends `fail_after` tokens, then the data line `malformed_data` (by default
  not JSON).
`fail_first=K` answers the first K chat requests with `fail_first_status` whatever the mode.

In tests, a background thread with its own event loop::

    with FakeOpenAIServer(mode="fail_mid_stream", fail_after=3) as srv:
        client = AsyncOpenAI(base_url=srv.base_url, api_key="x")
        ...
        assert len(srv.chat_requests) == 1

or in the test's own loop with ``async with``. From a shell (benchmarks)::

    python -m tests.support.fake_openai --port 8100 --tokens-per-second 50 --mode ok
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import re
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

MODES = ("ok", "fail_mid_stream", "error_status", "stall", "never_answers", "malformed")

DEFAULT_TEXT = (
    "Your Life Path number is a quiet compass rather than a map. Seven asks for stillness, "
    "study and trust in your own inner voice, while today's personal day of three invites "
    "you to share what you have learned with warmth, play and a little courage. Numerology "
    "is a mirror for reflection, not a prediction, so take what resonates and leave the rest."
)

_ERROR_TYPES = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
}
_MAX_HEADER_BYTES = 64 * 1024
_TOKEN_RE = re.compile(r"\s*\S+")


def tokens_from_text(text: str, n_tokens: int | None = None) -> list[str]:
    """Word-sized tokens with their leading space ("Your", " Life", ...); when `n_tokens` is
    given the text repeats (or is cut) to exactly that many tokens."""
    tokens = _TOKEN_RE.findall(text) or ["."]
    if n_tokens is None:
        return tokens
    source = itertools.chain([tokens[0]], itertools.cycle([*tokens[1:], " " + tokens[0].lstrip()]))
    return list(itertools.islice(source, n_tokens))


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: Any  # the parsed JSON body, or None


@dataclass
class _Request:
    method: str
    path: str
    headers: dict[str, str]
    raw_body: bytes
    body: Any = field(default=None)


class _ClientGone(Exception):
    """The client closed the connection while the server was answering."""


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.buffer = bytearray()

    async def _fill(self) -> bool:
        data = await self.reader.read(65536)
        self.buffer += data
        return bool(data)

    async def read_request(self) -> _Request | None:
        while (end := self.buffer.find(b"\r\n\r\n")) < 0:
            if len(self.buffer) > _MAX_HEADER_BYTES or not await self._fill():
                return None
        head = bytes(self.buffer[:end]).decode("latin-1")
        del self.buffer[: end + 4]
        request_line, *header_lines = head.split("\r\n")
        method, path, _version = request_line.split(" ", 2)
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0") or 0)
        while len(self.buffer) < length:
            if not await self._fill():
                return None
        raw_body = bytes(self.buffer[:length])
        del self.buffer[:length]
        request = _Request(method=method, path=path, headers=headers, raw_body=raw_body)
        if raw_body:
            with contextlib.suppress(ValueError):
                request.body = json.loads(raw_body)
        return request

    def watch_disconnect(self) -> asyncio.Task[bool]:
        """A task that ends True when the client closes the connection."""

        async def watch() -> bool:
            try:
                return not await self._fill()
            except ConnectionError:
                return True

        return asyncio.create_task(watch())

    async def send(self, data: bytes, gone: asyncio.Task[bool]) -> None:
        if gone.done() and gone.result():
            raise _ClientGone
        self.writer.write(data)
        try:
            await self.writer.drain()
        except ConnectionError as exc:
            raise _ClientGone from exc


def _chunked(payload: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(payload), payload)


def _sse(data: str) -> bytes:
    return _chunked(f"data: {data}\n\n".encode())


class FakeOpenAIServer:
    """An OpenAI-compatible streaming server on 127.0.0.1 (see the module docstring)."""

    def __init__(
        self,
        *,
        mode: str = "ok",
        tokens: Sequence[str] | None = None,
        text: str = DEFAULT_TEXT,
        n_tokens: int | None = None,
        tokens_per_second: float = 0.0,
        first_token_delay: float = 0.0,
        status: int = 500,
        fail_after: int = 3,
        stall_after: int = 0,
        fail_first: int = 0,
        fail_first_status: int = 500,
        retry_after: float | None = None,
        malformed_data: str = "{this is not json",
        send_usage: bool = True,
        model: str = "fake-model",
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        self.mode = mode
        self.tokens = list(tokens) if tokens is not None else tokens_from_text(text, n_tokens)
        self.tokens_per_second = tokens_per_second
        self.first_token_delay = first_token_delay
        self.status = status
        self.fail_after = fail_after
        self.stall_after = stall_after
        self.fail_first = fail_first
        self.fail_first_status = fail_first_status
        self.retry_after = retry_after
        self.malformed_data = malformed_data
        self.send_usage = send_usage
        self.model = model
        self.host = host
        self.port = port
        self.requests: list[RecordedRequest] = []
        self.client_disconnects = 0
        self._changed = threading.Condition()
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    # ---- public helpers -------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    @property
    def text(self) -> str:
        """The full reply text of an `ok` stream."""
        return "".join(self.tokens)

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.rstrip("/").endswith("/chat/completions")]

    def wait_for_disconnect(self, count: int = 1, timeout: float = 5.0) -> bool:
        """Block until the server has seen `count` clients leave mid-response."""
        with self._changed:
            return self._changed.wait_for(lambda: self.client_disconnects >= count, timeout)

    def _note(self, *, request: RecordedRequest | None = None, disconnect: bool = False) -> None:
        with self._changed:
            if request is not None:
                self.requests.append(request)
            if disconnect:
                self.client_disconnects += 1
            self._changed.notify_all()

    # ---- lifecycle: in the current loop ---------------------------------------------------

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> FakeOpenAIServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ---- lifecycle: in a background thread ------------------------------------------------

    def __enter__(self) -> FakeOpenAIServer:
        loop = asyncio.new_event_loop()
        started = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self.start())
            except BaseException as exc:  # reported to the starting thread
                failure.append(exc)
                started.set()
                loop.close()
                return
            started.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(self.stop())
                loop.close()

        self._loop = loop
        self._thread = threading.Thread(target=run, name="fake-openai", daemon=True)
        self._thread.start()
        started.wait(10)
        if failure:
            raise failure[0]
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
        self._loop = self._thread = None

    # ---- HTTP -----------------------------------------------------------------------------

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # A task of our own (not the one asyncio would make) so that `stop` can end them all.
        task = asyncio.get_running_loop().create_task(self._handle(reader, writer))
        self._connections.add(task)
        task.add_done_callback(self._connections.discard)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connection = _Connection(reader, writer)
        try:
            while (request := await connection.read_request()) is not None:
                self._note(
                    request=RecordedRequest(
                        method=request.method,
                        path=request.path,
                        headers=request.headers,
                        body=request.body,
                    )
                )
                gone = connection.watch_disconnect()
                try:
                    keep_alive = await self._respond(connection, request, gone)
                except _ClientGone:
                    self._note(disconnect=True)
                    keep_alive = False
                finally:
                    if not gone.done():
                        gone.cancel()
                        await asyncio.wait([gone])
                if not keep_alive or request.headers.get("connection", "").lower() == "close":
                    break
        except (ConnectionError, ValueError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _respond(
        self, connection: _Connection, request: _Request, gone: asyncio.Task[bool]
    ) -> bool:
        path = request.path.split("?", 1)[0].rstrip("/")
        if request.method == "GET" and path.endswith("/models"):
            body = {"object": "list", "data": [{"id": self.model, "object": "model",
                                               "created": 0, "owned_by": "fake"}]}  # fmt: skip
            await self._send_json(connection, gone, 200, body)
            return True
        if not (request.method == "POST" and path.endswith("/chat/completions")):
            await self._send_error(connection, gone, 404, f"Unknown path {request.path}")
            return True
        if not isinstance(request.body, dict) or not isinstance(request.body.get("messages"), list):
            await self._send_error(connection, gone, 400, "The body must be JSON with messages.")
            return True
        if len(self.chat_requests) <= self.fail_first:
            await self._send_error(connection, gone, self.fail_first_status, "Planned failure.")
            return True
        mode = self.mode
        if mode == "error_status":
            await self._send_error(connection, gone, self.status, "Planned failure.")
            return True
        if mode == "never_answers":
            await self._until_gone(gone)
        if request.body.get("stream"):
            return await self._stream(connection, request.body, gone, mode)
        await self._send_json(connection, gone, 200, self._completion(request.body))
        return True

    async def _until_gone(self, gone: asyncio.Task[bool]) -> None:
        if await asyncio.shield(gone):
            raise _ClientGone
        await asyncio.Event().wait()  # the client sent more bytes; hang until cancelled

    async def _send_json(
        self, connection: _Connection, gone: asyncio.Task[bool], status: int, body: Any,
        extra_headers: Iterable[tuple[str, str]] = (),
    ) -> None:  # fmt: skip
        payload = json.dumps(body).encode()
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "Status"
        head = [
            f"HTTP/1.1 {status} {reason}",
            "content-type: application/json",
            f"content-length: {len(payload)}",
            f"x-request-id: req_{uuid.uuid4().hex[:16]}",
            *(f"{name}: {value}" for name, value in extra_headers),
        ]
        await connection.send(("\r\n".join(head) + "\r\n\r\n").encode() + payload, gone)

    async def _send_error(
        self, connection: _Connection, gone: asyncio.Task[bool], status: int, message: str
    ) -> None:
        error_type, code = _ERROR_TYPES.get(status, ("server_error", None))
        headers = []
        if status == 429 and self.retry_after is not None:
            headers.append(("retry-after", f"{self.retry_after:g}"))
        body = {"error": {"message": message, "type": error_type, "param": None, "code": code}}
        await self._send_json(connection, gone, status, body, headers)

    def _reply_tokens(self, body: dict[str, Any]) -> tuple[list[str], str]:
        limit = body.get("max_completion_tokens") or body.get("max_tokens")
        if isinstance(limit, int) and 0 < limit < len(self.tokens):
            return self.tokens[:limit], "length"
        return self.tokens, "stop"

    def _usage(self, body: dict[str, Any], completion_tokens: int) -> dict[str, int]:
        chars = sum(
            len(str(m.get("content") or "")) for m in body["messages"] if isinstance(m, dict)
        )
        prompt_tokens = (chars + 3) // 4
        return {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }

    def _completion(self, body: dict[str, Any]) -> dict[str, Any]:
        tokens, finish_reason = self._reply_tokens(body)
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model") or self.model,
            "system_fingerprint": None,
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": "".join(tokens), "refusal": None},
                "logprobs": None,
                "finish_reason": finish_reason,
            }],
            "usage": self._usage(body, len(tokens)),
        }  # fmt: skip

    async def _stream(
        self, connection: _Connection, body: dict[str, Any], gone: asyncio.Task[bool], mode: str
    ) -> bool:
        tokens, finish_reason = self._reply_tokens(body)
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        include_usage = include_usage and self.send_usage
        if mode == "fail_mid_stream" or mode == "malformed":
            tokens = tokens[: self.fail_after]
        elif mode == "stall":
            tokens = tokens[: self.stall_after]

        envelope = {
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": body.get("model") or self.model,
            "system_fingerprint": None,
        }

        def chunk(delta: dict[str, Any], finish: str | None) -> str:
            data = {**envelope, "choices": [
                {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
            ]}  # fmt: skip
            if include_usage:
                data["usage"] = None
            return json.dumps(data)

        # Every content chunk is this prefix + the JSON string of the token + this suffix.
        marker = "\x00TOKEN\x00"
        prefix, suffix = chunk({"content": marker}, None).split(json.dumps(marker))

        head = (
            "HTTP/1.1 200 OK\r\n"
            "content-type: text/event-stream; charset=utf-8\r\n"
            "cache-control: no-cache\r\n"
            "transfer-encoding: chunked\r\n"
            f"x-request-id: req_{uuid.uuid4().hex[:16]}\r\n\r\n"
        )
        await connection.send(
            head.encode() + _sse(chunk({"role": "assistant", "content": ""}, None)), gone
        )
        loop = asyncio.get_running_loop()
        started = loop.time() + self.first_token_delay
        for index, token in enumerate(tokens):
            delay = started - loop.time()
            if self.tokens_per_second > 0:
                delay += index / self.tokens_per_second
            if delay > 0:
                await asyncio.wait([gone], timeout=delay)
            else:
                await asyncio.sleep(0)  # let other streams and the disconnect watcher run
            await connection.send(_sse(prefix + json.dumps(token) + suffix), gone)

        if mode == "fail_mid_stream":
            connection.writer.transport.abort()
            return False
        if mode == "malformed":
            await connection.send(_sse(self.malformed_data), gone)
            await connection.send(_sse("[DONE]") + _chunked(b""), gone)
            return True
        if mode == "stall":
            await self._until_gone(gone)

        final = _sse(chunk({}, finish_reason))
        if include_usage:
            final += _sse(json.dumps({**envelope, "choices": [],
                                      "usage": self._usage(body, len(tokens))}))  # fmt: skip
        await connection.send(final + _sse("[DONE]") + _chunked(b""), gone)
        return True


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--mode", choices=MODES, default="ok")
    parser.add_argument(
        "--tokens-per-second", type=float, default=0.0, help="0: as fast as possible"
    )
    parser.add_argument("--first-token-delay", type=float, default=0.0, help="seconds")
    parser.add_argument("--n-tokens", type=int, default=None, help="tokens per reply")
    parser.add_argument("--text", default=DEFAULT_TEXT, help="the text the tokens come from")
    parser.add_argument("--status", type=int, default=500, help="for --mode error_status")
    parser.add_argument("--fail-after", type=int, default=3, help="tokens before failing")
    parser.add_argument("--stall-after", type=int, default=0, help="tokens before stalling")
    parser.add_argument("--fail-first", type=int, default=0, help="fail the first K requests")
    parser.add_argument("--no-usage", action="store_true", help="never send a usage chunk")
    parser.add_argument("--model", default="fake-model")
    args = parser.parse_args(argv)
    server = FakeOpenAIServer(
        mode=args.mode,
        text=args.text,
        n_tokens=args.n_tokens,
        tokens_per_second=args.tokens_per_second,
        first_token_delay=args.first_token_delay,
        status=args.status,
        fail_after=args.fail_after,
        stall_after=args.stall_after,
        fail_first=args.fail_first,
        send_usage=not args.no_usage,
        model=args.model,
        host=args.host,
        port=args.port,
    )

    async def run() -> None:
        await server.start()
        print(f"fake OpenAI server on {server.base_url} (mode {server.mode})", flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            await server.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


if __name__ == "__main__":
    main()
