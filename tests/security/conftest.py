"""Live servers for the hostile-input tests: real server processes on free ports (the production
entry point, `realtime.serve`), with helpers
to speak REST to them and make verified users (environment, ports and manage.py from
tests.support.server; the process is started here to keep its access log too).

Each server gets its own NUMERAI_VAR_DIR (its own SQLite database in the embedded default) and
writes its mail to files there, so a test can read a one-time code the way a user would. In the
scaled pass (DATABASE_URL + REDIS_URL set) the servers share that PostgreSQL database and Redis
DB, exactly as two production instances would.
"""

from __future__ import annotations

import email
import json
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.server import PASSWORD, ROOT, free_port, manage, server_argv
from tests.support.server import server_env as base_server_env

CODE_RE = re.compile(r"\b(\d{6})\b")


@dataclass
class Reply:
    status: int
    headers: email.message.Message  # case-insensitive, as HTTP header names are
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


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is an answer to check, not to follow


_OPENER = urllib.request.build_opener(_NoRedirect)


class LiveServer:
    """One server process on a free port. Its stderr (the application's logs, access lines
    included) is a file under its var dir; `rest` speaks HTTP to it."""

    def __init__(self, var: Path, env: dict):
        self.var, self.env = var, env
        self.worker: subprocess.Popen | None = None
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.log_path = var / f"server-{self.port}.log"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/v1/"

    def start(self) -> LiveServer:
        # Files, not pipes: an undrained pipe would block the server once it fills up.
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(server_argv("uvicorn", self.port), cwd=ROOT,
                                            env=self.env, stdout=subprocess.DEVNULL, stderr=log)
        if self.env.get("REDIS_URL"):
            # Scaled mode, as deployed: a Celery worker answers health's ping.
            with open(self.log_path, "ab") as log:
                self.worker = subprocess.Popen(
                    [sys.executable, "-m", "celery", "-A", "numerai", "worker", "--pool", "solo",
                     "--loglevel", "WARNING", "--hostname", f"live-{self.port}@%h"],
                    cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=log,
                )
        deadline = time.monotonic() + 60
        while True:
            try:
                # Any HTTP answer means it is up (a production server redirects to https).
                with _OPENER.open(self.base + "/metrics", timeout=5):
                    self._wait_for_worker(deadline)
                    return self
            except urllib.error.HTTPError:
                return self
            except (urllib.error.URLError, ConnectionError, OSError):
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    pytest.fail(f"the server did not start: {self.log()[-3000:]}")
                time.sleep(0.2)

    def _wait_for_worker(self, deadline: float) -> None:
        if self.worker is None:
            return
        while time.monotonic() < deadline:
            try:
                with _OPENER.open(self.base + "/api/v1/health", timeout=10):
                    return
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.5)

    def stop(self) -> None:
        if self.worker is not None and self.worker.poll() is None:
            self.worker.terminate()
            try:
                self.worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.worker.kill()
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self, since: int = 0) -> str:
        """What the application logged (from the offset `mark()` returned)."""
        if not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")[since:]

    def mark(self) -> int:
        return len(self.log())

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
            with _OPENER.open(request, timeout=timeout) as response:
                return Reply(response.status, response.headers, response.read())
        except urllib.error.HTTPError as exc:
            return Reply(exc.code, exc.headers, exc.read())

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
    """A production-like server process (DEBUG off, a real secret), mail written to files."""
    from django.conf import settings

    return base_server_env(var, **{
        # The test process' key: tests can forge tokens as an attacker who stole it could.
        "SECRET_KEY": settings.SECRET_KEY,
        "LOG_LEVEL": "WARNING",
        "OFFLINE_GUIDE_WORDS_PER_SECOND": "400",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(var / "mail"),
        "SMS_BACKEND": "accounts.sms.LocmemSMSBackend",
        **overrides,
    })


def start_server(var: Path, *, migrate: bool = True, **overrides) -> LiveServer:
    var.mkdir(parents=True, exist_ok=True)
    env = server_env(var, **overrides)
    if migrate:
        manage(env, "migrate", "--noinput")
    return LiveServer(var, env).start()


def no_rate_limits() -> dict:
    """Every rate limit out of the way (the limits themselves are tested in test_limits.py)."""
    from django.conf import settings

    return {f"RATE_{scope.upper()}": "100000/min" for scope in settings.RATES}


@pytest.fixture(scope="session")
def live(tmp_path_factory):
    """The shared hostile-input target: rate limits lifted, everything else as deployed."""
    server = start_server(tmp_path_factory.mktemp("live"), **no_rate_limits())
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
