"""Browser tests: a real daphne process, Debian's Chromium driven by Playwright (sync API).

The server runs in whatever mode the suite runs in: the embedded default in the first CI pass,
PostgreSQL + Redis in the second (DATABASE_URL / REDIS_URL pass through to the server process).
Mail goes to files, so the test reads the verification code like a user reads their inbox.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.support.server import ROOT, AppServer, manage, server_env

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SCREENSHOTS = ROOT / "var" / "screenshots"
# Short-lived access tokens, so that the page refreshes them (REST and `auth.refresh`) mid-test.
ACCESS_TOKEN_LIFETIME_S = 20


@pytest.fixture(autouse=True)
def _clean_cache():
    """Overrides the suite's cache flush: in the scaled pass that would wipe the Redis state the
    running server relies on (user streams, reply buffers) between the steps of one session."""
    yield


def _drain(stream, path: Path) -> None:
    with path.open("wb") as log:
        for line in iter(stream.readline, b""):
            log.write(line)
            log.flush()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    var = tmp_path_factory.mktemp("web-var")
    mail = var / "mail"
    env = server_env(
        var,
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=mail,
        OFFLINE_GUIDE_WORDS_PER_SECOND=20,  # about 6 s per reply: streaming is visible
        ACCESS_TOKEN_LIFETIME_S=ACCESS_TOKEN_LIFETIME_S,
        RATE_AUTH="1000/min", RATE_LOGIN_ACCOUNT="1000/min", RATE_LOGIN_IP="1000/min",
        LOG_LEVEL="WARNING",
    )
    manage(env, "migrate", "--noinput")
    daphne = AppServer(env).start()
    if daphne.process.stderr is not None:  # a pipe: drain it, or the server blocks when full
        log_path = var / "daphne.log"
        threading.Thread(target=_drain, args=(daphne.process.stderr, log_path),
                         daemon=True).start()
    else:
        log_path = Path(daphne.log.name)
    print(f"web tests: server {daphne.base}, log {log_path}")
    yield SimpleNamespace(base=daphne.base, env=env, mail=mail, log_path=log_path,
                          scaled=bool(env.get("REDIS_URL")))
    daphne.terminate()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (Debian package `chromium`)")
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def read_code(mail_dir: Path, email: str, timeout: float = 15) -> str:
    """The latest 6-digit code mailed to `email` (the file-based email backend's files)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        codes = []
        for name in sorted(glob.glob(str(mail_dir / "*"))):
            text = Path(name).read_text(errors="replace")
            if f"To: {email}" in text:
                codes += re.findall(r"verification code is (\d{6})", text)
        if codes:
            return codes[-1]
        time.sleep(0.2)
    raise AssertionError(f"no verification code mailed to {email}")


def screenshot(page, name: str, **options) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), **options)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Lets fixtures see whether the test itself failed (`item.rep_call`)."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.rep_call = report
