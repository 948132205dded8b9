"""Live servers for the hostile-input tests: real daphne processes on free ports.

Each server gets its own NUMERAI_VAR_DIR (its own SQLite database in the embedded default) and
writes its mail to files there, so a test can read a one-time code the way a user would. In the
scaled pass (DATABASE_URL + REDIS_URL set) the servers share that PostgreSQL database and Redis
DB, exactly as two production instances would.
"""

from __future__ import annotations

import email
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "Sunny-Meadow-42"
RATE_SCOPES = (
    "auth", "auth_premium", "login_account", "login_ip", "profile", "profile_premium",
    "numerology", "numerology_premium", "reading", "reading_premium", "chat", "ticket",
    "notifications",
)
# Every rate limit out of the way (the limits themselves are tested in test_limits.py).
NO_RATE_LIMITS = {f"RATE_{scope.upper()}": "100000/min" for scope in RATE_SCOPES}
CODE_RE = re.compile(r"\b(\d{6})\b")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Reply:
    status: int
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)

    @property
    def data(self):
        return self.json()["data"]

    @property
    def error(self):
        return self.json()["error"]


@dataclass
class User:
    email: str
    password: str
    access_token: str
    refresh_token: str
    id: str


@dataclass
class LiveServer:
    """One daphne process. `rest` speaks HTTP to it; `ws` is its socket URL."""

    var: Path
    env: dict
    port: int = 0
    process: subprocess.Popen | None = None
    log_path: Path = field(init=False)

    def __post_init__(self):
        self.log_path = self.var / "server.log"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/v1/"

    def start(self) -> LiveServer:
        self.port = free_port()
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "--bind", "127.0.0.1", "--port", str(self.port),
             "--application-close-timeout", "5", "asgi:application"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(self.base + "/metrics", timeout=5):
                    return self
            except Exception:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    pytest.fail(f"daphne did not start:\n{self.log()[-3000:]}")
                time.sleep(0.2)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    # --- HTTP ---------------------------------------------------------------------------------

    def rest(self, method: str, path: str, body=None, token: str | None = None,
             headers: dict | None = None, raw: bytes | None = None, timeout: float = 30) -> Reply:
        data = raw if raw is not None else (
            json.dumps(body).encode() if body is not None else None
        )
        request = urllib.request.Request(
            self.base + path, method=method, data=data,
            headers={"Content-Type": "application/json",
                     **({"Authorization": f"Bearer {token}"} if token else {}),
                     **(headers or {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return Reply(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as exc:
            return Reply(exc.code, dict(exc.headers), exc.read())

    # --- users --------------------------------------------------------------------------------

    def last_code(self, to: str) -> str:
        """The newest one-time code mailed to `to` (the file email backend's output)."""
        deadline = time.monotonic() + 10
        while True:
            found = []
            for path in (self.var / "mail").glob("*.log"):
                for chunk in path.read_text(errors="replace").split("-" * 79):
                    message = email.message_from_string(chunk.strip())
                    if message["To"] and to in message["To"]:
                        found.append((path.stat().st_mtime, chunk))
            if found:
                body = max(found, key=lambda item: item[0])[1]
                return CODE_RE.findall(body)[-1]
            if time.monotonic() > deadline:
                raise AssertionError(f"no mail to {to}")
            time.sleep(0.1)

    def register(self, *, email_address: str | None = None, password: str = PASSWORD,
                 verify: bool = True, **fields) -> str:
        email_address = email_address or f"sec-{uuid.uuid4().hex[:10]}@example.com"
        reply = self.rest("POST", "/api/v1/auth/register", {
            "email": email_address, "password": password, "full_name": "Ada Lovelace",
            "date_of_birth": "1990-12-10", **fields,
        })
        assert reply.status == 201, reply.body
        if verify:
            code = self.last_code(email_address)
            reply = self.rest("POST", "/api/v1/auth/verify-otp",
                              {"email": email_address, "code": code})
            assert reply.status == 200, reply.body
        return email_address

    def login(self, email_address: str, password: str = PASSWORD) -> User:
        reply = self.rest("POST", "/api/v1/auth/login",
                          {"email": email_address, "password": password})
        assert reply.status == 200, reply.body
        data = reply.data
        return User(email_address, password, data["access_token"], data["refresh_token"],
                    data["user"]["id"])

    def new_user(self, **fields) -> User:
        return self.login(self.register(**fields))

    def ticket(self, token: str) -> str:
        reply = self.rest("POST", "/api/v1/realtime/ticket", token=token)
        assert reply.status == 201, reply.body
        return reply.data["ticket"]


def server_env(var: Path, **overrides) -> dict:
    """The environment of a production-like server process (DEBUG off, real secret)."""
    from django.conf import settings

    env = {
        **os.environ,
        "NUMERAI_VAR_DIR": str(var),
        # The test process' key: tests can forge tokens exactly as an attacker who stole it would.
        "SECRET_KEY": settings.SECRET_KEY,
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "EMBEDDED_SCHEDULER": "0",
        "OFFLINE_GUIDE_WORDS_PER_SECOND": "400",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(var / "mail"),
        "SMS_BACKEND": "accounts.sms.LocmemSMSBackend",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update({key: str(value) for key, value in overrides.items()})
    return env


def migrate(env: dict) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env,
        capture_output=True, timeout=300, text=True,
    )
    assert result.returncode == 0, result.stderr[-3000:]


def start_server(var: Path, **overrides) -> LiveServer:
    var.mkdir(parents=True, exist_ok=True)
    env = server_env(var, **overrides)
    migrate(env)
    return LiveServer(var=var, env=env).start()


@pytest.fixture(scope="session")
def live(tmp_path_factory):
    """The shared hostile-input target: rate limits lifted, everything else as deployed."""
    server = start_server(tmp_path_factory.mktemp("live"), **NO_RATE_LIMITS)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def alice(live) -> User:
    return live.new_user()


@pytest.fixture(scope="session")
def bob(live) -> User:
    return live.new_user()


@pytest.fixture(autouse=True)
def _server_still_up(request):
    """Every test against the live server leaves it running."""
    yield
    if "live" in request.fixturenames:
        server = request.getfixturevalue("live")
        assert server.alive(), f"the server died:\n{server.log()[-3000:]}"
