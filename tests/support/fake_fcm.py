"""A local stand-in for Google's OAuth token endpoint and the FCM HTTP v1 send endpoint.

Standard library only (asyncio, HTTP/1.1 with keep-alive), so the real ``firebase-admin`` SDK
can be pointed at it:

- ``POST /token``: the OAuth 2.0 JWT-bearer grant a service account makes (its ``token_uri``);
  answers a bearer token (``access_token``).
- ``POST /v1/projects/<project>/messages:send``: one FCM message. The answer depends on the
  message's token: a scripted outcome (`script`, consumed one request at a time), else a
  sticky one (`outcomes`), else the first matching prefix (`prefix_outcomes`), else
  ``default_outcome``. Requests without the bearer token get 401.
- ``GET /stats``: counters (for a server in another process).

``token_error`` (e.g. ``"invalid_grant"``) makes ``/token`` refuse every grant.

Outcomes and the answers (the bodies FCM sends):
``ok`` 200 ``{"name": "projects/<p>/messages/<id>"}``; ``unregistered`` 404 UNREGISTERED;
``invalid`` 400 INVALID_ARGUMENT "The registration token is not a valid FCM registration
token"; ``invalid_message`` 400 INVALID_ARGUMENT about ``message.data``; ``sender_mismatch``
403 SENDER_ID_MISMATCH; ``quota`` 429 QUOTA_EXCEEDED; ``unavailable`` 503 UNAVAILABLE;
``internal`` 500 INTERNAL; ``third_party_auth`` 401 THIRD_PARTY_AUTH_ERROR.

Note: the SDK retries 500 and 503 answers itself (four more tries, with backoff); tests that
use those outcomes remove the backoff with `point_at_fake` (``fast_retries=True``).

In tests, a background thread with its own event loop::

    with FakeFCMServer() as fake:
        account = write_service_account(tmp_path / "sa.json", token_uri=fake.token_uri)
        ...

From a shell (benchmarks), in a process of its own::

    python -m tests.support.fake_fcm --port 8200 --no-record
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import threading
import urllib.parse
from collections import Counter, defaultdict, deque
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any

ACCESS_TOKEN = "fake-access-token-7f3c"
FCM_ERROR_TYPE = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
_MAX_HEADER_BYTES = 64 * 1024

# outcome → (HTTP status, platform status, FCM error code, message, extra details)
_ERRORS: dict[str, tuple[int, str, str, str, list]] = {
    "unregistered": (404, "NOT_FOUND", "UNREGISTERED", "Requested entity was not found.", []),
    "invalid": (
        400,
        "INVALID_ARGUMENT",
        "INVALID_ARGUMENT",
        "The registration token is not a valid FCM registration token",
        [],
    ),
    "invalid_message": (
        400,
        "INVALID_ARGUMENT",
        "INVALID_ARGUMENT",
        "Request contains an invalid argument.",
        [
            {
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": [
                    {"field": "message.data", "description": "Data payload is too large."}
                ],
            }
        ],
    ),
    "sender_mismatch": (
        403,
        "PERMISSION_DENIED",
        "SENDER_ID_MISMATCH",
        "SenderId mismatch",
        [],
    ),
    "quota": (
        429,
        "RESOURCE_EXHAUSTED",
        "QUOTA_EXCEEDED",
        "Quota exceeded for quota metric 'Send requests'.",
        [],
    ),
    "unavailable": (503, "UNAVAILABLE", "UNAVAILABLE", "The service is currently unavailable.", []),
    "internal": (500, "INTERNAL", "INTERNAL", "Internal error encountered.", []),
    "third_party_auth": (
        401,
        "UNAUTHENTICATED",
        "THIRD_PARTY_AUTH_ERROR",
        "Auth error from APNS or Web Push Service",
        [],
    ),
}
OUTCOMES = ("ok", *_ERRORS)


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: Any  # JSON (send), a dict of form fields (token), or None

    @property
    def message(self) -> dict:
        """The FCM message of a send request."""
        return (self.body or {}).get("message", {})


class FakeFCMServer:
    """See the module docstring."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        default_outcome: str = "ok",
        record: bool = True,
        access_token: str = ACCESS_TOKEN,
        token_expires_in: int = 3600,
    ) -> None:
        self.host = host
        self.port = port
        self.default_outcome = default_outcome
        self.record = record
        self.access_token = access_token
        self.token_expires_in = token_expires_in
        self.token_error: str | None = None  # e.g. "invalid_grant": /token answers 400
        self.outcomes: dict[str, str] = {}
        self.prefix_outcomes: dict[str, str] = {}
        self._scripts: dict[str, deque[str]] = defaultdict(deque)
        self.token_requests: list[RecordedRequest] = []
        self.send_requests: list[RecordedRequest] = []
        self.counts: Counter[str] = Counter()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    # ---- public helpers -------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def token_uri(self) -> str:
        return f"{self.base_url}/token"

    def send_url(self, project_id: str) -> str:
        return f"{self.base_url}/v1/projects/{project_id}/messages:send"

    def script(self, token: str, *outcomes: str) -> None:
        """The next answers for ``token``, one per request, before the sticky/default one."""
        for outcome in outcomes:
            if outcome not in OUTCOMES:
                raise ValueError(f"unknown outcome {outcome!r}")
        with self._lock:
            self._scripts[token].extend(outcomes)

    def reset(self) -> None:
        with self._lock:
            self.outcomes.clear()
            self.prefix_outcomes.clear()
            self._scripts.clear()
            self.token_error = None
            self.token_requests.clear()
            self.send_requests.clear()
            self.counts.clear()

    def sends_to(self, token: str) -> list[RecordedRequest]:
        return [r for r in self.send_requests if r.message.get("token") == token]

    def _outcome_for(self, token: str) -> str:
        with self._lock:
            queue = self._scripts.get(token)
            if queue:
                return queue.popleft()
        if token in self.outcomes:
            return self.outcomes[token]
        for prefix, outcome in self.prefix_outcomes.items():
            if token.startswith(prefix):
                return outcome
        return self.default_outcome

    # ---- lifecycle: in the current loop ---------------------------------------------------
    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._accept, self.host, self.port, backlog=1024
        )
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

    async def __aenter__(self) -> FakeFCMServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ---- lifecycle: in a background thread ------------------------------------------------
    def __enter__(self) -> FakeFCMServer:
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
        self._thread = threading.Thread(target=run, name="fake-fcm", daemon=True)
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
        task = asyncio.get_running_loop().create_task(self._handle(reader, writer))
        self._connections.add(task)
        task.add_done_callback(self._connections.discard)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        buffer = bytearray()
        try:
            while True:
                while (end := buffer.find(b"\r\n\r\n")) < 0:
                    if len(buffer) > _MAX_HEADER_BYTES:
                        return
                    data = await reader.read(65536)
                    if not data:
                        return
                    buffer += data
                head = bytes(buffer[:end]).decode("latin-1")
                del buffer[: end + 4]
                request_line, *header_lines = head.split("\r\n")
                method, path, _version = request_line.split(" ", 2)
                headers = {}
                for line in header_lines:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length", "0") or 0)
                while len(buffer) < length:
                    data = await reader.read(65536)
                    if not data:
                        return
                    buffer += data
                raw = bytes(buffer[:length])
                del buffer[:length]
                status, body = self._respond(method, path, headers, raw)
                payload = json.dumps(body).encode()
                head_out = (
                    f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
                    "content-type: application/json; charset=UTF-8\r\n"
                    f"content-length: {len(payload)}\r\n\r\n"
                )
                writer.write(head_out.encode() + payload)
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    return
        except (ConnectionError, ValueError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    def _respond(self, method: str, path: str, headers: dict, raw: bytes) -> tuple[int, Any]:
        route = path.split("?", 1)[0]
        if method == "GET" and route == "/stats":
            return 200, dict(self.counts)
        if method == "POST" and route == "/token":
            form = {k: v[0] for k, v in urllib.parse.parse_qs(raw.decode()).items()}
            self._note(self.token_requests, RecordedRequest(method, path, headers, form))
            self.counts["token"] += 1
            if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
                return 400, {"error": "unsupported_grant_type"}
            if self.token_error:
                return 400, {"error": self.token_error, "error_description": "Refused."}
            return 200, {
                "access_token": self.access_token,
                "expires_in": self.token_expires_in,
                "token_type": "Bearer",
            }
        if method == "POST" and route.startswith("/v1/projects/") and route.endswith(
            "/messages:send"
        ):
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
            self._note(self.send_requests, RecordedRequest(method, path, headers, body))
            if headers.get("authorization") != f"Bearer {self.access_token}":
                self.counts["unauthenticated"] += 1
                return 401, _error(401, "UNAUTHENTICATED", None, "Missing or bad credentials.")
            message = (body or {}).get("message") if isinstance(body, dict) else None
            if not isinstance(message, dict) or not message.get("token"):
                self.counts["bad_request"] += 1
                return 400, _error(400, "INVALID_ARGUMENT", None, "The message has no token.")
            outcome = self._outcome_for(message["token"])
            self.counts[outcome] += 1
            if outcome == "ok":
                project = route.split("/")[3]
                return 200, {"name": f"projects/{project}/messages/0:{next(self._ids)}"}
            status, platform_status, code, text, extra = _ERRORS[outcome]
            return status, _error(status, platform_status, code, text, extra)
        return 404, _error(404, "NOT_FOUND", None, f"Unknown path {path}")

    def _note(self, into: list, request: RecordedRequest) -> None:
        if self.record:
            with self._lock:
                into.append(request)


def _error(status: int, platform_status: str, code: str | None, message: str, extra=()) -> dict:
    details = [{"@type": FCM_ERROR_TYPE, "errorCode": code}] if code else []
    return {
        "error": {
            "code": status,
            "message": message,
            "status": platform_status,
            "details": [*details, *extra],
        }
    }


# --- a service account for the fake -----------------------------------------------------------
@dataclass(frozen=True)
class ServiceAccount:
    path: Path
    project_id: str
    client_email: str
    public_key_pem: bytes


def write_service_account(
    path: Path, *, token_uri: str, project_id: str = "numerai-test"
) -> ServiceAccount:
    """A service-account JSON (fresh RSA key) whose ``token_uri`` is the fake's."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    email = f"firebase-adminsdk@{project_id}.iam.gserviceaccount.com"
    info = {
        "type": "service_account",
        "project_id": project_id,
        "private_key_id": "0123456789abcdef0123456789abcdef01234567",
        "private_key": private_pem,
        "client_email": email,
        "client_id": "100000000000000000001",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/" + email,
        "universe_domain": "googleapis.com",
    }
    path = Path(path)
    path.write_text(json.dumps(info))
    return ServiceAccount(path, project_id, email, public_pem)


def point_at_fake(push, fake_base_url: str, *, fast_retries: bool = False, pool: int = 100):
    """Aim an `FCMPush` (its firebase app, built now) at the fake's send endpoint.

    firebase-admin 7.7 has no emulator setting for messaging: the service's ``_fcm_url`` is
    replaced, and the fake's address gets the connection pool the SDK gives FCM's
    (``pool`` connections, the SDK's retry policy). ``fast_retries`` keeps that policy (500
    and 503 tried four more times) without its backoff, so tests do not sleep.
    """
    import requests
    from firebase_admin import _http_client, messaging

    service = messaging._get_messaging_service(push.app)
    service._fcm_url = f"{fake_base_url}/v1/projects/{push.app.project_id}/messages:send"
    retries = _http_client.DEFAULT_RETRY_CONFIG
    if fast_retries:
        retries = retries.new(backoff_factor=0)
    adapter = requests.adapters.HTTPAdapter(
        pool_connections=pool, pool_maxsize=pool, max_retries=retries
    )
    service._client.session.mount(fake_base_url, adapter)
    return service


def main() -> None:  # pragma: no cover - a command-line entry point
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--default-outcome", default="ok", choices=OUTCOMES)
    parser.add_argument(
        "--prefix-outcome", action="append", default=[], metavar="PREFIX=OUTCOME",
        help="answer tokens starting with PREFIX with OUTCOME (repeatable)",
    )  # fmt: skip
    parser.add_argument("--no-record", action="store_true", help="keep counters only")
    args = parser.parse_args()
    server = FakeFCMServer(
        host=args.host, port=args.port, default_outcome=args.default_outcome,
        record=not args.no_record,
    )  # fmt: skip
    for item in args.prefix_outcome:
        prefix, _, outcome = item.partition("=")
        server.prefix_outcomes[prefix] = outcome

    async def serve() -> None:
        await server.start()
        print(f"fake FCM listening on {server.base_url}", flush=True)
        while True:
            await asyncio.sleep(3600)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())


if __name__ == "__main__":  # pragma: no cover
    main()
