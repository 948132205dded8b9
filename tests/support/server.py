"""Real server processes for end-to-end tests: daphne or the production uvicorn entry point
(`realtime.serve`) on a free port, users via manage.py."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "Sunny-Meadow-42"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(var_dir, **overrides) -> dict:
    """The test process's environment (DATABASE_URL/REDIS_URL included) for a server process."""
    env = {**os.environ, "NUMERAI_VAR_DIR": str(var_dir), "SECRET_KEY": "e2e-" + "k" * 40,
           "DEBUG": "0", "OFFLINE_GUIDE_WORDS_PER_SECOND": "200", "EMBEDDED_SCHEDULER": "0"}
    env.update({key: str(value) for key, value in overrides.items()})
    return env


def manage(env, *args, timeout=300) -> str:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed: {result.stderr[-2000:]}")
    return result.stdout


def create_user(env, *, email=None, verified=True) -> dict:
    email = email or f"e2e-{uuid.uuid4().hex[:10]}@example.com"
    manage(env, "shell", "-c",
           "from accounts.models import User; import datetime;"
           f"User.objects.create_user('{email}', '{PASSWORD}', full_name='Ada Lovelace',"
           f" date_of_birth=datetime.date(1990, 12, 10), is_verified={verified})")
    return {"email": email, "password": PASSWORD}


def rest(base, method, path, body=None, token=None, timeout=30):
    request = urllib.request.Request(
        base + path, method=method, data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json",
                 **({"Authorization": f"Bearer {token}"} if token else {})},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


SERVERS = ("daphne", "uvicorn")


def server_argv(kind: str, port: int) -> list[str]:
    if kind == "daphne":
        return [sys.executable, "-m", "daphne", "--bind", "127.0.0.1", "--port", str(port),
                "--application-close-timeout", "15", "asgi:application"]
    if kind == "uvicorn":
        return [sys.executable, "-m", "realtime.serve", "--port", str(port)]
    raise ValueError(f"unknown server {kind!r}")


class AppServer:
    """`with AppServer(env) as server:` — server.base (http) and server.ws (the socket URL)."""

    def __init__(self, env, port: int | None = None, kind: str = "daphne"):
        self.env = env
        self.kind = kind
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.ws = f"ws://127.0.0.1:{self.port}/ws/v1/"
        self.process: subprocess.Popen | None = None

    def start(self) -> AppServer:
        # A file, not a pipe: an undrained pipe would block the server once it fills up.
        self.log = tempfile.NamedTemporaryFile(prefix=f"{self.kind}-{self.port}-", suffix=".log")
        self.process = subprocess.Popen(
            server_argv(self.kind, self.port),
            cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=self.log,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(self.base + "/metrics", timeout=5):
                    return self
            except (urllib.error.URLError, ConnectionError, OSError):
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.process.kill()
                    raise RuntimeError(
                        f"{self.kind} did not start: {self.output()[-2000:]}"
                    ) from None
                time.sleep(0.3)

    def output(self) -> str:
        """What the server logged so far."""
        with open(self.log.name, encoding="utf-8", errors="replace") as log:
            return log.read()

    def login(self, user: dict) -> str:
        return rest(self.base, "POST", "/api/v1/auth/login", user)["data"]["access_token"]

    def terminate(self, sig=signal.SIGTERM, timeout=30) -> int | None:
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else None
        self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(timeout=10)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.terminate()
