"""Attacks on authentication: tickets, refresh tokens, forged JWTs, dead accounts, cross-site
sockets, OTP brute force and login enumeration. Against the live server unless time must be
bent (ticket expiry, OTP lockout): those run in-process.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from channels.testing import WebsocketCommunicator
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core import mail
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.support.server import manage

# --- helpers -----------------------------------------------------------------------------------


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(header: dict, claims: dict, key: bytes | None = None, digest=hashlib.sha256) -> str:
    """A JWT built by hand (PyJWT refuses to build most of these)."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    signature = b"" if key is None else hmac.new(key, signing_input.encode(), digest).digest()
    return f"{signing_input}.{b64(signature)}"


def access_claims(subject: str, **overrides) -> dict:
    now = int(time.time())
    return {"user_id": subject, "is_premium": True, "token_type": "access", "iat": now,
            "exp": now + 3600, "jti": uuid.uuid4().hex, **overrides}


def socket_auth(live, data: dict, origin: str | None = None):
    """(first answer, close code or None) of a socket that authenticates with `data`."""
    with connect(live.ws, open_timeout=10, compression=None, origin=origin) as ws:
        try:
            ws.send(json.dumps({"type": "auth", "id": "a", "data": data}))
            answer = json.loads(ws.recv(timeout=10))
        except ConnectionClosed as exc:
            return None, exc.rcvd.code if exc.rcvd else None
        if answer["type"] == "welcome":
            return answer, None
        try:
            ws.recv(timeout=10)
        except ConnectionClosed as exc:
            return answer, exc.rcvd.code if exc.rcvd else None
        raise AssertionError("the socket stayed open after an auth error")


def assert_refused(live, token: str) -> None:
    """REST 401 in the envelope, and the socket answers `unauthorized` then closes 4401."""
    reply = live.rest("GET", "/api/v1/users/profile", token=token)
    assert reply.status == 401, reply.body
    assert reply.json()["success"] is False
    assert reply.headers.get("WWW-Authenticate", "").startswith("Bearer")
    answer, code = socket_auth(live, {"token": token})
    assert answer is not None and answer["type"] == "error", answer
    assert answer["data"]["code"] in {"unauthorized", "token_expired"} and answer["id"] == "a"
    assert code == 4401
    handshake = connect(live.ws, open_timeout=10, compression=None,
                        additional_headers={"Authorization": f"Bearer {token}"})
    with handshake as ws, pytest.raises(ConnectionClosed) as closed:
        while True:
            assert json.loads(ws.recv(timeout=10))["type"] == "error"
    assert closed.value.rcvd.code == 4401


# --- tickets ------------------------------------------------------------------------------------


def test_a_ticket_works_once(live, alice):
    ticket = live.ticket(alice.access_token)
    welcome, code = socket_auth(live, {"ticket": ticket})
    assert welcome["type"] == "welcome" and code is None
    answer, code = socket_auth(live, {"ticket": ticket})
    assert answer["data"]["code"] == "unauthorized" and code == 4401


def test_a_ticket_is_not_a_bearer_token(live, alice):
    ticket = live.ticket(alice.access_token)
    assert live.rest("GET", "/api/v1/users/profile", token=ticket).status == 401
    answer, code = socket_auth(live, {"token": ticket})
    assert answer["data"]["code"] == "unauthorized" and code == 4401
    # ...and the refused attempt did not spend it.
    welcome, _ = socket_auth(live, {"ticket": ticket})
    assert welcome["type"] == "welcome"


async def _auth_in_process(ticket: str):
    from asgi import application

    communicator = WebsocketCommunicator(application, "/ws/v1/")
    connected, _ = await communicator.connect()
    assert connected
    await communicator.send_to(text_data=json.dumps({"type": "auth", "data": {"ticket": ticket}}))
    answer = json.loads(await communicator.receive_from(timeout=5))
    if answer["type"] == "welcome":
        await communicator.disconnect()
        return answer, None
    close = await communicator.receive_output(timeout=5)
    await communicator.send_input({"type": "websocket.disconnect", "code": close.get("code")})
    await communicator.wait(5)
    return answer, close.get("code")


@pytest.fixture
def fresh_realtime_state():
    from realtime import streams

    streams.reset_state()
    yield
    streams.reset_state()


@pytest.mark.django_db(transaction=True)
async def test_a_ticket_expires(settings, fresh_realtime_state):
    """The ticket lives REALTIME_TICKET_TTL_S (30 s) in the shared cache: shortened to 1 s here."""
    from channels.db import database_sync_to_async

    from accounts.tokens import access_token_encode
    from realtime.auth import ticket_issue
    from tests.factories import UserFactory

    assert settings.REALTIME_TICKET_TTL_S == 30
    user = await database_sync_to_async(UserFactory)()
    expires = access_token_encode(user_id=user.pk, is_premium=False).expires_at
    settings.REALTIME_TICKET_TTL_S = 1
    fresh = await database_sync_to_async(ticket_issue)(user=user, token_expires_at=expires)
    stale = await database_sync_to_async(ticket_issue)(user=user, token_expires_at=expires)
    welcome, _ = await _auth_in_process(fresh)
    assert welcome["type"] == "welcome"
    await asyncio.sleep(1.3)  # the cache's clock must really pass
    answer, code = await _auth_in_process(stale)
    assert answer["data"]["code"] == "unauthorized" and code == 4401


def test_a_token_in_the_url_is_ignored(live, alice):
    """Tokens never travel in URLs (proxy logs): the socket still waits for its `auth` frame.
    One a client puts there anyway is not written to the server's logs either."""
    ticket = live.ticket(alice.access_token)
    url = f"{live.ws}?token={alice.access_token}&ticket={ticket}"
    with connect(url, open_timeout=10, compression=None) as ws:
        ws.send(json.dumps({"type": "ping", "id": "p"}))
        answer = json.loads(ws.recv(timeout=10))
        assert answer["type"] == "error" and answer["data"]["code"] == "unauthorized", answer
    assert live.rest("GET", f"/api/v1/users/profile?token={alice.access_token}").status == 401
    logs = live.log()
    assert "/api/v1/users/profile" in logs  # the request was logged, without its query
    for secret in (alice.access_token, ticket):
        assert secret[-24:] not in logs


# --- refresh tokens ------------------------------------------------------------------------------


def test_a_reused_refresh_token_revokes_the_whole_session(live):
    user = live.new_user()
    rotated = live.rest("POST", "/api/v1/auth/refresh-token",
                        {"refresh_token": user.refresh_token})
    assert rotated.status == 200
    new_refresh = rotated.data["refresh_token"]
    # The thief replays the old refresh token: refused, and the whole login is revoked.
    replay = live.rest("POST", "/api/v1/auth/refresh-token", {"refresh_token": user.refresh_token})
    assert replay.status == 401 and replay.json()["success"] is False
    assert live.rest("POST", "/api/v1/auth/refresh-token",
                     {"refresh_token": new_refresh}).status == 401
    # Another login of the same user is untouched.
    other = live.login(user.email)
    assert live.rest("POST", "/api/v1/auth/refresh-token",
                     {"refresh_token": other.refresh_token}).status == 200


def test_refresh_and_access_tokens_are_not_interchangeable(live):
    user = live.new_user()
    assert live.rest("GET", "/api/v1/users/profile", token=user.refresh_token).status == 401
    answer, code = socket_auth(live, {"token": user.refresh_token})
    assert answer["data"]["code"] == "unauthorized" and code == 4401
    assert live.rest("POST", "/api/v1/auth/refresh-token",
                     {"refresh_token": user.access_token}).status == 401


def test_a_logged_out_refresh_token_is_dead(live):
    user = live.new_user()
    assert live.rest("POST", "/api/v1/auth/logout",
                     {"refresh_token": user.refresh_token}).status == 200
    assert live.rest("POST", "/api/v1/auth/refresh-token",
                     {"refresh_token": user.refresh_token}).status == 401


# --- forged JWTs ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def victim(live):
    return live.new_user()


def _secret() -> bytes:
    from django.conf import settings

    return settings.JWT_SIGNING_KEY.encode()


def test_the_genuine_key_works_so_the_refusals_below_mean_something(live, victim):
    token = forge({"alg": "HS256", "typ": "JWT"}, access_claims(victim.id), _secret())
    assert live.rest("GET", "/api/v1/users/profile", token=token).status == 200


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
def test_alg_none_is_refused(live, victim, alg):
    unsigned = forge({"alg": alg, "typ": "JWT"}, access_claims(victim.id))
    assert_refused(live, unsigned)
    assert_refused(live, unsigned.rstrip("."))


def test_rs256_tokens_are_refused(live, victim):
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode(access_claims(victim.id), private, algorithm="RS256")
    assert_refused(live, token)


def test_hmac_keyed_with_a_public_key_is_refused(live, victim):
    """The HS/RS confusion: an attacker signs HS256 with a public key the server might trust."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.public_key().public_bytes(serialization.Encoding.PEM,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
    assert_refused(live, forge({"alg": "HS256", "typ": "JWT"}, access_claims(victim.id), pem))
    assert_refused(live, forge({"alg": "RS256", "typ": "JWT"}, access_claims(victim.id), pem))


@pytest.mark.parametrize(("alg", "digest"), [("HS384", hashlib.sha384),
                                             ("HS512", hashlib.sha512)])
def test_the_algorithm_is_pinned_even_with_the_real_key(live, victim, alg, digest):
    assert_refused(live, forge({"alg": alg, "typ": "JWT"}, access_claims(victim.id), _secret(),
                               digest))


@pytest.mark.parametrize("claims", [
    {"token_type": "refresh"},
    {"exp": int(time.time()) - 10},
    {"user_id": str(uuid.uuid4())},
    {"user_id": "1 OR 1=1"},
    {"jti": None},
], ids=["refresh-type", "expired", "unknown-user", "junk-user-id", "no-jti"])
def test_tokens_with_bad_claims_are_refused(live, victim, claims):
    token = forge({"alg": "HS256", "typ": "JWT"},
                  {k: v for k, v in access_claims(victim.id, **claims).items() if v is not None},
                  _secret())
    assert_refused(live, token)


def test_a_token_signed_with_another_key_is_refused(live, victim):
    assert_refused(live, forge({"alg": "HS256"}, access_claims(victim.id), b"guessed-secret"))


# --- dead accounts -------------------------------------------------------------------------------


def test_tokens_and_tickets_of_a_deleted_user_are_refused(live):
    user = live.new_user()
    ticket = live.ticket(user.access_token)
    deleted = live.rest("DELETE", "/api/v1/users/me", {"password": user.password},
                        token=user.access_token)
    assert deleted.status == 200, deleted.body
    assert_refused(live, user.access_token)
    answer, code = socket_auth(live, {"ticket": ticket})
    assert answer["data"]["code"] == "unauthorized" and code == 4401
    assert live.rest("POST", "/api/v1/auth/refresh-token",
                     {"refresh_token": user.refresh_token}).status == 401
    login = live.rest("POST", "/api/v1/auth/login", {"email": user.email,
                                                     "password": user.password})
    assert login.status == 401


def _deactivate(live, user) -> None:
    manage(live.env, "shell", "-c",
           "from accounts.models import User;"
           f"User.objects.filter(pk='{user.id}').update(is_active=False)")


def test_tokens_and_tickets_of_a_deactivated_user_are_refused(live):
    user = live.new_user()
    ticket = live.ticket(user.access_token)
    _deactivate(live, user)
    assert_refused(live, user.access_token)
    answer, code = socket_auth(live, {"ticket": ticket})
    assert answer["data"]["code"] == "unauthorized" and code == 4401
    assert live.rest("POST", "/api/v1/auth/refresh-token",
                     {"refresh_token": user.refresh_token}).status == 401


def _frame_of_a_dead_account(type_: str) -> dict:
    if type_ == "chat.send":
        return {"conversation_id": None, "client_msg_id": str(uuid.uuid4()),
                "content": "Still here?"}
    return {"message_id": str(uuid.uuid4()), **({"after_seq": 0} if type_ == "chat.attach" else {})}


@pytest.mark.parametrize("type_", ["chat.send", "chat.attach", "chat.cancel"])
@pytest.mark.parametrize("how", ["deleted", "deactivated"])
def test_an_open_socket_of_a_dead_account_is_closed(live, how, type_):
    user = live.new_user()
    with connect(live.ws, open_timeout=10, compression=None) as ws:
        ws.send(json.dumps({"type": "auth", "data": {"token": user.access_token}}))
        assert json.loads(ws.recv(timeout=10))["type"] == "welcome"
        if how == "deleted":
            assert live.rest("DELETE", "/api/v1/users/me", {"password": user.password},
                             token=user.access_token).status == 200
        else:
            _deactivate(live, user)
        with pytest.raises(ConnectionClosed) as closed:
            ws.send(json.dumps({"type": type_, "id": "s",
                                "data": _frame_of_a_dead_account(type_)}))
            while True:
                frame = json.loads(ws.recv(timeout=10))
                if frame.get("id") == "s":
                    assert frame["type"] == "error", frame
                    assert frame["data"]["code"] == "unauthorized", frame
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


# --- cross-site WebSocket hijacking --------------------------------------------------------------


@pytest.mark.parametrize("origin", [
    "https://evil.example", "null", "http://127.0.0.1.evil.example",
    "http://127.0.0.1:1", "file://", "chrome-extension://abcdef",
])
def test_a_foreign_origin_is_refused_4403_even_with_a_valid_ticket(live, alice, origin):
    ticket = live.ticket(alice.access_token)
    with connect(live.ws, open_timeout=10, compression=None, origin=origin) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            ws.send(json.dumps({"type": "auth", "data": {"ticket": ticket}}))
            frame = ws.recv(timeout=10)
            raise AssertionError(f"a cross-site socket was answered: {frame}")
    assert closed.value.rcvd.code == 4403
    # The refused handshake never reached the ticket: it still works from the right origin.
    welcome, _ = socket_auth(live, {"ticket": ticket}, origin=live.base)
    assert welcome["type"] == "welcome"


def test_the_servers_own_origin_and_native_clients_are_allowed(live, alice):
    for origin in (live.base, None):
        welcome, code = socket_auth(live, {"token": alice.access_token}, origin=origin)
        assert welcome["type"] == "welcome" and code is None


# --- OTP brute force (in-process: the resend cooldown is moved instead of waited for) -----------


@pytest.fixture
def api(db, settings):
    from rest_framework.test import APIClient

    settings.RATES = {**settings.RATES, "auth": "1000/min"}
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    client = APIClient()
    client.default_format = "json"
    return client


def _post(api, path, body):
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        return api.post(f"/api/v1/{path}", body, format="json")


def _last_code(email: str) -> str:
    import re

    body = [m for m in mail.outbox if email in m.to][-1].body
    return re.search(r"\b(\d{6})\b", body).group(1)


def _cooldown_passes(email: str) -> None:
    from accounts.models import OneTimeCode

    OneTimeCode.objects.filter(user__email=email).update(
        sent_at=datetime.now(UTC) - timedelta(minutes=2))


@pytest.mark.parametrize("purpose", ["verify", "reset"])
def test_otp_locks_after_three_wrong_codes_and_a_new_code_replaces_it(api, purpose):
    email = f"otp-{uuid.uuid4().hex[:8]}@example.com"
    assert _post(api, "auth/register", {"email": email, "password": "Sunny-Meadow-42",
                                        "full_name": "Ada Lovelace"}).status_code == 201
    if purpose == "reset":
        _cooldown_passes(email)
        assert _post(api, "auth/password/reset", {"email": email}).status_code == 200
        path, extra = "auth/password/reset/confirm", {"new_password": "Other-Meadow-43"}
    else:
        path, extra = "auth/verify-otp", {}
    code = _last_code(email)
    wrong = [f"{(int(code) + n) % 1_000_000:06d}" for n in (1, 2, 3)]
    codes = []
    for guess in wrong:
        response = _post(api, path, {"email": email, "code": guess, **extra})
        assert response.status_code == 400
        codes.append(response.json()["error"]["code"])
    assert codes == ["OTP_INVALID", "OTP_INVALID", "OTP_ATTEMPTS_EXCEEDED"]
    # Locked: even the right code is refused now.
    locked = _post(api, path, {"email": email, "code": code, **extra})
    assert locked.json()["error"]["code"] == "OTP_ATTEMPTS_EXCEEDED"
    # A new code is needed (after the resend cooldown); the old one stays dead.
    resend = "auth/resend-otp" if purpose == "verify" else "auth/password/reset"
    assert _post(api, resend, {"email": email}).status_code == 429 or purpose == "reset"
    _cooldown_passes(email)
    assert _post(api, resend, {"email": email}).status_code == 200
    new_code = _last_code(email)
    assert new_code != code or pytest.fail("the code did not rotate")
    assert _post(api, path, {"email": email, "code": code, **extra}).status_code == 400
    assert _post(api, path, {"email": email, "code": new_code, **extra}).status_code == 200


def test_otp_answers_do_not_reveal_whether_an_account_exists(api):
    email = f"otp-{uuid.uuid4().hex[:8]}@example.com"
    _post(api, "auth/register", {"email": email, "password": "Sunny-Meadow-42",
                                 "full_name": "Ada Lovelace"})
    unknown = _post(api, "auth/verify-otp", {"email": "nobody@example.com", "code": "123456"})
    known = _post(api, "auth/verify-otp", {"email": email, "code": "000000"
                                           if _last_code(email) != "000000" else "000001"})
    assert unknown.status_code == known.status_code == 400
    assert unknown.json()["error"]["code"] == known.json()["error"]["code"] == "OTP_INVALID"
    resets = [_post(api, "auth/password/reset", {"email": address}).json()["data"]
              for address in (email, "nobody@example.com")]
    assert resets[0] == resets[1]


# --- login enumeration ---------------------------------------------------------------------------


def test_login_does_not_reveal_whether_an_account_exists(live):
    user = live.new_user()
    unknown = {"email": f"nobody-{uuid.uuid4().hex[:8]}@example.com", "password": user.password}
    wrong = {"email": user.email, "password": user.password + "x"}
    answers = [live.rest("POST", "/api/v1/auth/login", body) for body in (unknown, wrong)]
    assert answers[0].status == answers[1].status == 401
    errors = [answer.error for answer in answers]
    assert errors[0] == errors[1], errors
    assert errors[0]["code"] == "INVALID_CREDENTIALS"
    # Similar timing: the unknown account is hashed as long as a real check takes.
    timings: dict[str, list[float]] = {"unknown": [], "wrong": []}
    for _ in range(10):
        for name, body in (("unknown", unknown), ("wrong", wrong)):
            started = time.perf_counter()
            assert live.rest("POST", "/api/v1/auth/login", body).status == 401
            timings[name].append(time.perf_counter() - started)
    ratio = statistics.median(timings["unknown"]) / statistics.median(timings["wrong"])
    assert 0.5 < ratio < 2, (ratio, timings)
