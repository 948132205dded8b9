"""Production posture: `check --deploy` is clean, security headers and CORS hold on a server run
with production settings behind a TLS-terminating proxy, and no secret ever reaches a log.
"""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import sys
import uuid

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.security.conftest import PASSWORD, ROOT, no_rate_limits, start_server
from tests.support.server import server_env as base_server_env

APP_ORIGIN = "https://app.example.com"
HTTPS = {"X-Forwarded-Proto": "https"}


def production_env(**overrides) -> dict:
    return {
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SECURE_SSL_REDIRECT": "1",
        "SECURE_HSTS_SECONDS": "31536000",
        "SECURE_COOKIES": "1",
        "ALLOWED_HOSTS": "api.example.com,127.0.0.1,localhost",
        "CORS_ALLOWED_ORIGINS": APP_ORIGIN,
        "NUM_PROXIES": "1",
        **overrides,
    }


def check_deploy(tmp_path, **env) -> subprocess.CompletedProcess:
    full = base_server_env(tmp_path, **env)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=full, capture_output=True, text=True, timeout=120,
    )


def test_check_deploy_reports_nothing_with_production_settings(tmp_path):
    result = check_deploy(tmp_path, **production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_does_flag_a_weaker_configuration(tmp_path):
    """The check really inspects these settings: without HSTS and the SSL redirect it warns."""
    result = check_deploy(tmp_path, **production_env(SECURE_HSTS_SECONDS="0",
                                                     SECURE_SSL_REDIRECT="0"))
    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout
    assert "security.W008" in result.stderr + result.stdout


# --- a server with production settings, behind a proxy that terminates TLS ---------------------


@pytest.fixture(scope="module")
def prod(tmp_path_factory):
    env = production_env(LOG_LEVEL="DEBUG", **no_rate_limits())
    server = start_server(tmp_path_factory.mktemp("prod"), **env)
    server.secret_key = env["SECRET_KEY"]
    yield server
    server.stop()


def test_plain_http_is_redirected_to_https(prod):
    reply = prod.rest("GET", "/api/v1/health")
    assert reply.status == 301
    assert reply.headers["Location"] == f"https://127.0.0.1:{prod.port}/api/v1/health"


@pytest.mark.parametrize("path", ["/api/v1/health", "/api/v1/schema", "/api/v1/nope", "/",
                                  "/api/v1/docs", "/admin/login/"])
def test_security_headers(prod, path):
    reply = prod.rest("GET", path, headers=HTTPS)
    assert reply.status in {200, 404, 503}, reply.status  # 503: health without a worker
    headers = {key.lower(): value for key, value in reply.headers.items()}
    assert headers["strict-transport-security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "same-origin"
    assert "server-timing" not in headers and "x-powered-by" not in headers
    if headers["content-type"].startswith("text/html"):
        csp = headers["content-security-policy"]
        for directive in ("default-src 'self'", "object-src 'none'", "base-uri 'none'",
                          "frame-ancestors 'none'"):
            assert directive in csp, (path, csp)
        if path == "/":
            assert "'unsafe-inline'" not in csp and "script-src 'self'" in csp


def test_cookies_are_secure(prod):
    # The admin login page sets the CSRF cookie: Secure, because SECURE_COOKIES=1.
    import urllib.request

    request = urllib.request.Request(prod.base + "/admin/login/", headers=HTTPS)
    with urllib.request.urlopen(request, timeout=30) as response:
        cookies = response.headers.get_all("Set-Cookie") or []
    assert cookies, "the admin login sets a CSRF cookie"
    assert all("; Secure" in cookie for cookie in cookies), cookies


def test_a_forged_host_header_is_refused(prod):
    reply = prod.rest("GET", "/api/v1/health", headers={**HTTPS, "Host": "evil.example"})
    assert reply.status == 400
    body = reply.json()
    assert body["success"] is False and body["error"]["code"] == "BAD_REQUEST"


def _cors(server, origin: str, method="GET", preflight=False):
    headers = {**HTTPS, "Origin": origin}
    if preflight:
        headers.update({"Access-Control-Request-Method": method,
                        "Access-Control-Request-Headers": "authorization,content-type"})
        return server.rest("OPTIONS", "/api/v1/users/profile", headers=headers)
    return server.rest(method, "/api/v1/health", headers=headers)


def test_cors_only_for_the_configured_origins(prod):
    allowed = _cors(prod, APP_ORIGIN)
    assert allowed.headers.get("Access-Control-Allow-Origin") == APP_ORIGIN
    assert "Access-Control-Allow-Credentials" not in allowed.headers  # Bearer tokens, no cookies
    preflight = _cors(prod, APP_ORIGIN, "POST", preflight=True)
    assert preflight.status == 200
    assert preflight.headers.get("Access-Control-Allow-Origin") == APP_ORIGIN
    assert "authorization" in preflight.headers.get("Access-Control-Allow-Headers", "")
    for foreign in ("https://evil.example", "https://app.example.com.evil.example", "null",
                    "http://app.example.com"):
        for reply in (_cors(prod, foreign), _cors(prod, foreign, "POST", preflight=True)):
            assert "Access-Control-Allow-Origin" not in reply.headers, (foreign, reply.headers)


def test_no_cors_at_all_without_configured_origins(live):
    reply = live.rest("GET", "/api/v1/health", headers={"Origin": APP_ORIGIN})
    assert "Access-Control-Allow-Origin" not in reply.headers


def test_the_configured_origin_may_open_the_socket_and_others_may_not(prod):
    ws_url = prod.ws
    with connect(ws_url, open_timeout=10, compression=None, origin=APP_ORIGIN) as ws:
        ws.send(json.dumps({"type": "ping"}))
        answer = json.loads(ws.recv(timeout=10))  # not refused: asked to authenticate first
        assert answer["data"]["code"] == "unauthorized"
    with connect(ws_url, open_timeout=10, compression=None, origin="https://evil.example") as ws:
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
    assert closed.value.rcvd.code == 4403


# --- no secret in any log ------------------------------------------------------------------------


def test_no_secret_token_password_or_code_reaches_the_logs(prod):
    """A whole session at DEBUG level; then every secret it used is searched for in the
    application log and the access log."""
    secrets_used: dict[str, str] = {"SECRET_KEY": prod.secret_key}
    email = f"logs-{uuid.uuid4().hex[:8]}@example.com"
    wrong_password = "Wrong-Password-" + uuid.uuid4().hex[:8]
    new_password = "Another-Meadow-" + uuid.uuid4().hex[:6]
    secrets_used.update(password=PASSWORD, wrong_password=wrong_password,
                        new_password=new_password)

    def call(method, path, body=None, token=None, status=200):
        reply = prod.rest(method, path, body, token=token, headers=HTTPS, timeout=60)
        assert reply.status == status, (path, reply.status, reply.body[:300])
        return reply.json().get("data")

    call("POST", "/api/v1/auth/register", {"email": email, "password": PASSWORD,
                                           "full_name": "Ada Lovelace",
                                           "date_of_birth": "1990-12-10"}, status=201)
    secrets_used["verify_code"] = code = prod.last_code(email)
    call("POST", "/api/v1/auth/verify-otp", {"email": email, "code": code})
    call("POST", "/api/v1/auth/login", {"email": email, "password": wrong_password}, status=401)
    pair = call("POST", "/api/v1/auth/login", {"email": email, "password": PASSWORD})
    secrets_used.update(access=pair["access_token"], refresh=pair["refresh_token"])
    rotated = call("POST", "/api/v1/auth/refresh-token", {"refresh_token": pair["refresh_token"]})
    secrets_used.update(access2=rotated["access_token"], refresh2=rotated["refresh_token"])
    # A replayed refresh token (logged as reuse) must not log the token itself.
    call("POST", "/api/v1/auth/refresh-token", {"refresh_token": pair["refresh_token"]},
         status=401)
    pair = call("POST", "/api/v1/auth/login", {"email": email, "password": PASSWORD})
    secrets_used.update(access3=pair["access_token"], refresh3=pair["refresh_token"])
    token = pair["access_token"]
    ticket = call("POST", "/api/v1/realtime/ticket", token=token, status=201)["ticket"]
    secrets_used["ticket"] = ticket
    with connect(prod.ws, open_timeout=10, compression=None, origin=APP_ORIGIN) as ws:
        ws.send(json.dumps({"type": "auth", "data": {"ticket": ticket}}))
        assert json.loads(ws.recv(timeout=10))["type"] == "welcome"
        ws.send(json.dumps({"type": "chat.send", "id": "c", "data": {
            "conversation_id": None, "client_msg_id": str(uuid.uuid4()),
            "content": "What is my life path?"}}))
        while json.loads(ws.recv(timeout=30))["type"] != "message.end":
            pass
        ws.send(json.dumps({"type": "auth", "id": "x", "data": {"ticket": ticket}}))  # bad frame
        while json.loads(ws.recv(timeout=10)).get("id") != "x":
            pass
    # A replayed ticket and a bad token on the socket are logged as failures, never verbatim.
    with connect(prod.ws, open_timeout=10, compression=None) as ws:
        ws.send(json.dumps({"type": "auth", "data": {"ticket": ticket}}))
        assert json.loads(ws.recv(timeout=10))["data"]["code"] == "unauthorized"
    call("GET", "/api/v1/users/profile", token=token + "x", status=401)
    call("POST", "/api/v1/auth/password/reset", {"email": email})
    secrets_used["reset_code"] = reset = prod.last_code(email)
    call("POST", "/api/v1/auth/password/reset/confirm",
         {"email": email, "code": reset, "new_password": new_password})
    pair = call("POST", "/api/v1/auth/login", {"email": email, "password": new_password})
    call("POST", "/api/v1/auth/logout", {"refresh_token": pair["refresh_token"]})
    secrets_used.update(access4=pair["access_token"], refresh4=pair["refresh_token"])

    text = prod.log()  # the application's log lines and the access lines
    assert "login succeeded" in text and "/api/v1/auth/login" in text
    for name, value in secrets_used.items():
        if re.fullmatch(r"\d{6}", value):  # a code: only as a number of its own
            found = re.search(rf"(?<![\w.]){value}(?![\w.])", text)
        else:
            found = value in text or value[-24:] in text
        assert not found, f"the {name} appears in the server's log"
