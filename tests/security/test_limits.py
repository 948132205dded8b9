"""Limits: request body size, pagination caps, the per-user socket cap, chat message length,
the client address behind proxies, and the rate limits enforced across two server processes
that share PostgreSQL and Redis (the scaled pass).
"""

from __future__ import annotations

import itertools
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings as django_settings
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.security.conftest import start_server

MAX_CHARS = 4000


def _envelope(reply, status: int, code: str) -> dict:
    assert reply.status == status, (reply.status, reply.body[:300])
    body = reply.json()
    assert body["success"] is False and set(body) == {"success", "error", "meta"}, body
    assert body["error"]["code"] == code, body
    return body["error"]


# --- request bodies ------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "authed"), [
    ("/api/v1/auth/login", False), ("/api/v1/auth/register", False),
    ("/api/v1/numerology/calculate", True), ("/api/v1/ai/chat", True),
    ("/api/v1/users/profile", True),
])
def test_a_body_over_the_limit_is_a_413_envelope(live, fuzz_limits_user, path, authed):
    limit = django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert limit == 256 * 1024
    token = fuzz_limits_user.access_token if authed else None
    method = "PATCH" if path.endswith("profile") else "POST"
    over = json.dumps({"content": "x" * limit, "password": "p"}).encode()
    accepts = ["application/json"] + (["text/event-stream"] if path.endswith("/chat") else [])
    for accept in accepts:
        reply = live.rest(method, path, raw=over, token=token, headers={"Accept": accept})
        _envelope(reply, 413, "PAYLOAD_TOO_LARGE")
    under = json.dumps({"content": "x" * (limit - 1000)}).encode()
    assert live.rest(method, path, raw=under, token=token).status in {200, 400}  # parsed


@pytest.fixture(scope="module")
def fuzz_limits_user(live):
    return live.new_user()


HOSTILE_BODIES = {
    "deep-array": b"[" * 60_000 + b"]" * 60_000,
    "deep-object": b'{"a":' * 30_000 + b"1" + b"}" * 30_000,
    "nan": b'{"email": NaN, "password": Infinity}',
    "huge-int": b'{"email": "a@b.co", "password": ' + b"9" * 5000 + b"}",
    "nul": rb'{"email": "a\u0000@b.co", "password": "x\u0000", "content": "\u0000"}',
    "lone-surrogate": rb'{"email": "\ud800@b.co", "password": "\udfff", "content": "\ud800"}',
    "bom": '\ufeff{"email": "a@b.co"}'.encode(),
    "latin-1": b'{"email": "\xe9@b.co", "content": "\xe9"}',
    "truncated": b'{"email": "a@b.co", "pass',
    "not-an-object": b"[1, 2, 3]",
}


@pytest.mark.parametrize("path", ["/api/v1/auth/login", "/api/v1/auth/register",
                                  "/api/v1/ai/chat", "/api/v1/numerology/compatibility",
                                  "/api/v1/notifications/devices"])
def test_hostile_bodies_are_4xx_envelopes(live, fuzz_limits_user, path):
    for name, raw in HOSTILE_BODIES.items():
        reply = live.rest("POST", path, raw=raw, token=fuzz_limits_user.access_token)
        assert 400 <= reply.status < 500, (name, reply.status, reply.body[:300])
        assert reply.json()["success"] is False, name
    multipart = b'--x\r\nContent-Disposition: form-data; name="email"\r\n\r\na@b.co\r\n--x--\r\n'
    for content_type, raw in (
        ("text/plain", b'{"email": "a@b.co"}'),
        ("application/x-www-form-urlencoded", b"email=a%40b.co&password=p"),
        ("multipart/form-data; boundary=x", multipart),
        ("multipart/form-data; boundary=x", b"{}"),  # malformed (daphne: a bare 400 of its own)
        ("application/json; charset=bogus", b'{"email": "a@b.co"}'),
        ("application/json; charset=utf-32", b'{"email": "a@b.co"}'),
        ("application/xml", b"<email>a@b.co</email>"),
    ):
        reply = live.rest("POST", path, raw=raw, headers={"Content-Type": content_type},
                          token=fuzz_limits_user.access_token)
        assert 400 <= reply.status < 500, (content_type, reply.status, reply.body[:300])
        assert reply.json()["success"] is False, content_type


# --- pagination ----------------------------------------------------------------------------------


@pytest.fixture
def many_conversations(db):
    from chat.models import Conversation, Message
    from tests.factories import UserFactory

    user = UserFactory()
    Conversation.objects.bulk_create(Conversation(user=user, title=f"c{i}") for i in range(130))
    conversation = Conversation.objects.filter(user=user).first()
    Message.objects.bulk_create(
        Message(conversation=conversation, role="user", content=f"m{i}") for i in range(130))
    return user, conversation


def _api(user):
    from rest_framework.test import APIClient

    from accounts.tokens import access_token_encode

    client = APIClient()
    token = access_token_encode(user_id=user.pk, is_premium=False).raw
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_per_page_is_capped_at_100(many_conversations):
    user, _ = many_conversations
    api = _api(user)
    for per_page in (101, 1000, 10**9):
        body = api.get("/api/v1/ai/conversations", {"per_page": per_page}).json()
        assert len(body["data"]) == 100 and body["pagination"]["per_page"] == 100
        assert body["pagination"]["total"] == 130
    for per_page in (0, -1, "x", ""):
        response = api.get("/api/v1/ai/conversations", {"per_page": per_page})
        assert response.status_code == 200 and len(response.json()["data"]) == 20


def test_limit_is_capped_at_100(many_conversations):
    user, conversation = many_conversations
    api = _api(user)
    url = f"/api/v1/ai/conversations/{conversation.pk}/messages"
    assert len(api.get(url, {"limit": 100}).json()["data"]) == 100
    for limit in (101, 0, -5, 10**12, "x"):
        response = api.get(url, {"limit": limit})
        assert response.status_code == 400, (limit, response.content)
        assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    history = "/api/v1/numerology/daily-reading/history"
    assert api.get(history, {"limit": 100}).status_code == 200
    for limit in (101, 0, 10**12):
        assert api.get(history, {"limit": limit}).status_code == 400


# --- the per-user socket cap ---------------------------------------------------------------------


def _welcome(live, token):
    ws = connect(live.ws, open_timeout=10, compression=None, legacy=True)
    ws.send(json.dumps({"type": "auth", "id": "a", "data": {"token": token}}))
    return ws, json.loads(ws.recv(timeout=10))


def test_at_most_ten_sockets_per_user(live):
    user = live.new_user()
    cap = django_settings.WEBSOCKET_MAX_SOCKETS_PER_USER
    assert cap == 10
    sockets = []
    try:
        for _ in range(cap):
            ws, answer = _welcome(live, user.access_token)
            sockets.append(ws)
            assert answer["type"] == "welcome", answer
        ws, answer = _welcome(live, user.access_token)
        assert answer["type"] == "error" and answer["data"]["code"] == "rate_limited", answer
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
        assert closed.value.rcvd.code == 4429
        # Another user is not affected; closing one socket frees a slot.
        other, answer = _welcome(live, live.new_user().access_token)
        assert answer["type"] == "welcome"
        other.close()
        sockets.pop().close()
        deadline = time.monotonic() + 10
        while True:
            ws, answer = _welcome(live, user.access_token)
            if answer["type"] == "welcome":
                sockets.append(ws)
                break
            ws.close()
            assert time.monotonic() < deadline, "the freed slot was never given back"
            time.sleep(0.2)
    finally:
        for ws in sockets:
            ws.close()


# --- chat message length -------------------------------------------------------------------------


@pytest.mark.parametrize("char", ["a", "🙂"])
def test_chat_messages_are_at_most_4000_characters(live, char):
    user = live.new_user()
    assert django_settings.CHAT_MAX_MESSAGE_CHARS == MAX_CHARS

    def rest(content):
        return live.rest("POST", "/api/v1/ai/chat", {"client_msg_id": str(uuid.uuid4()),
                                                     "content": content},
                         token=user.access_token, timeout=60)

    error = _envelope(rest(char * (MAX_CHARS + 1)), 400, "VALIDATION_ERROR")
    assert "content" in error["details"]
    assert rest(char * MAX_CHARS).status == 200
    with connect(live.ws, open_timeout=10, compression=None) as ws:
        ws.send(json.dumps({"type": "auth", "data": {"token": user.access_token}}))
        assert json.loads(ws.recv(timeout=10))["type"] == "welcome"
        for size, expected in ((MAX_CHARS + 1, "error"), (MAX_CHARS, "chat.ack")):
            ws.send(json.dumps({"type": "chat.send", "id": f"s{size}", "data": {
                "conversation_id": None, "client_msg_id": str(uuid.uuid4()),
                "content": char * size}}, ensure_ascii=False))
            while True:
                frame = json.loads(ws.recv(timeout=10))
                if frame.get("id") == f"s{size}":
                    break
            assert frame["type"] == expected, frame
            if expected == "error":
                assert frame["data"]["code"] == "bad_request"


# --- the client address behind proxies (in-process) ----------------------------------------------


@pytest.fixture
def tight_auth(db, settings):
    from rest_framework.test import APIClient

    settings.RATES = {**settings.RATES, "auth": "3/min"}
    client = APIClient()
    client.default_format = "json"
    return client


def _reset(api, **headers):
    return api.post("/api/v1/auth/password/reset", {"email": "a@example.com"}, format="json",
                    **headers)


def test_a_client_written_x_forwarded_for_does_not_escape_the_per_ip_limit(tight_auth, settings):
    settings.NUM_PROXIES = 0
    statuses = [_reset(tight_auth, HTTP_X_FORWARDED_FOR=f"10.0.0.{i}").status_code
                for i in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_behind_one_proxy_the_address_the_proxy_saw_is_counted(tight_auth, settings):
    settings.NUM_PROXIES = 1
    # The client forges the left part; the proxy appends what it saw (the right-hand end).
    statuses = [_reset(tight_auth, HTTP_X_FORWARDED_FOR=f"10.0.0.{i}, 203.0.113.7").status_code
                for i in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert _reset(tight_auth, HTTP_X_FORWARDED_FOR="10.0.0.9, 203.0.113.8").status_code == 200


# --- rate limits across two processes sharing Redis (the scaled pass) ----------------------------


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """Two server processes with the default rate limits, one PostgreSQL database, one Redis."""
    from tests.conftest import is_scaled

    if not is_scaled():
        pytest.skip("needs PostgreSQL and Redis (DATABASE_URL, REDIS_URL)")
    first = start_server(tmp_path_factory.mktemp("pair-a"))
    second = start_server(tmp_path_factory.mktemp("pair-b"), migrate=False)
    # Both share one database: a code mailed by one is read from its own mail directory.
    yield first, second
    first.stop()
    second.stop()


def _alternate(pair, count, call):
    """`count` calls alternating between the two processes; their statuses."""
    return [call(pair[i % 2]) for i in range(count)]


def _assert_limit(replies, limit: int):
    statuses = [reply.status for reply in replies]
    assert all(status != 429 for status in statuses[:limit]), statuses
    assert statuses[limit] == 429, statuses
    limited = replies[limit]
    _envelope(limited, 429, "RATE_LIMITED")
    assert 1 <= int(limited.headers["Retry-After"]) <= 3600


def _rate(scope: str) -> int:
    return int(django_settings.RATES[scope].split("/")[0])


def _user(pair):
    server = pair[0]
    address = server.register()
    # Logins count against the per-IP `auth` limit too: the caller's window is reset after.
    user = server.login(address)
    from django.core.cache import cache

    cache.clear()
    return user


@pytest.mark.scaled
def test_the_per_ip_auth_limit_holds_across_processes(pair):
    """Also with a new client-written X-Forwarded-For each time: neither Django nor the server
    (uvicorn rewrites the client address from it unless told not to) may take it."""
    limit = _rate("auth")
    forged = (f"10.0.0.{i}" for i in itertools.count())
    replies = _alternate(pair, limit + 1, lambda s: s.rest(
        "POST", "/api/v1/auth/password/reset", {"email": "nobody@example.com"},
        headers={"X-Forwarded-For": next(forged)}))
    _assert_limit(replies, limit)
    remaining = [int(r.headers["X-RateLimit-Remaining"]) for r in replies[:limit]]
    assert remaining == list(range(limit - 1, -1, -1)), remaining


@pytest.mark.scaled
def test_failed_logins_per_account_hold_across_processes(pair):
    user = _user(pair)
    limit = _rate("login_account")
    replies = _alternate(pair, limit + 1, lambda s: s.rest(
        "POST", "/api/v1/auth/login", {"email": user.email, "password": "wrong-Password-1"}))
    _assert_limit(replies, limit)
    # Now even the right password waits (on either process).
    for server in pair:
        right = server.rest("POST", "/api/v1/auth/login",
                            {"email": user.email, "password": user.password})
        assert right.status == 429


@pytest.mark.scaled
@pytest.mark.parametrize(("scope", "method", "path", "body"), [
    ("numerology", "POST", "/api/v1/numerology/calculate",
     {"full_name": "Ada Lovelace", "birth_date": "1990-12-10"}),
    ("reading", "GET", "/api/v1/numerology/daily-reading", None),
    ("profile", "GET", "/api/v1/users/profile", None),
    ("ticket", "POST", "/api/v1/realtime/ticket", None),
    ("notifications", "GET", "/api/v1/notifications/settings", None),
])
def test_per_user_limits_hold_across_processes(pair, scope, method, path, body):
    user = _user(pair)
    limit = _rate(scope)
    replies = _alternate(pair, limit + 1, lambda s: s.rest(method, path, body,
                                                         token=user.access_token))
    _assert_limit(replies, limit)


@pytest.mark.scaled
def test_a_burst_gets_exactly_the_limit_across_processes(pair):
    """Requests landing together on both processes: as many get in as the limit, no more (a
    window read and then written back let a burst through: each request read the same)."""
    user = _user(pair)
    limit, extra = _rate("profile"), 20
    with ThreadPoolExecutor(max_workers=20) as senders:
        replies = list(senders.map(
            lambda i: pair[i % 2].rest("GET", "/api/v1/users/profile", token=user.access_token),
            range(limit + extra)))
    statuses = [reply.status for reply in replies]
    assert (statuses.count(200), statuses.count(429)) == (limit, extra), statuses


@pytest.mark.scaled
def test_the_chat_limit_holds_across_processes_and_transports(pair):
    user = _user(pair)
    limit = _rate("chat")
    sockets = []
    try:
        for server in pair:
            # Every reply streams to both sockets while the test reads only one of them (or
            # waits on REST): an unbounded queue, so the client never stops reading (and
            # misses the server's pongs) when frames pile up.
            ws = connect(server.ws, open_timeout=10, compression=None, legacy=True,
                         max_queue=None)
            ws.send(json.dumps({"type": "auth", "data": {"token": user.access_token}}))
            assert json.loads(ws.recv(timeout=10))["type"] == "welcome"
            sockets.append(ws)
        answers = []
        for i in range(limit):
            if i % 3 == 2:  # every third message over REST, on the other process
                reply = pair[(i + 1) % 2].rest(
                    "POST", "/api/v1/ai/chat",
                    {"client_msg_id": str(uuid.uuid4()), "content": f"Question {i}"},
                    token=user.access_token, timeout=120)
                answers.append("chat.ack" if reply.status == 200 else reply.status)
                continue
            ws = sockets[i % 2]
            ws.send(json.dumps({"type": "chat.send", "id": f"q{i}", "data": {
                "conversation_id": None, "client_msg_id": str(uuid.uuid4()),
                "content": f"Question {i}"}}))
            while True:
                frame = json.loads(ws.recv(timeout=30))
                if frame.get("id") == f"q{i}":
                    answers.append(frame["type"])
                    break
        assert answers == ["chat.ack"] * limit, answers
        for ws in sockets:
            ws.send(json.dumps({"type": "chat.send", "id": "over", "data": {
                "conversation_id": None, "client_msg_id": str(uuid.uuid4()),
                "content": "One too many"}}))
            while True:
                frame = json.loads(ws.recv(timeout=30))
                if frame.get("id") == "over":
                    break
            assert frame["type"] == "error" and frame["data"]["code"] == "rate_limited", frame
            assert frame["data"]["retry_after"] >= 1
        for server in pair:
            _envelope(server.rest("POST", "/api/v1/ai/chat", {
                "client_msg_id": str(uuid.uuid4()), "content": "One too many"},
                token=user.access_token), 429, "RATE_LIMITED")
    finally:
        for ws in sockets:
            ws.close()
