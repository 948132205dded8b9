"""Access control, generated from the URL configuration and the socket's frame table.

Every URL pattern (walked recursively from `get_resolver()`) and every method its view answers
is tried against a live server:
- anonymously: 401 in the error envelope, except the public endpoints listed below;
- by user B on each of user A's objects named in the path: 404, never the object (and A's
  object is untouched afterwards);
- by user B on A's objects named in a body: `POST ai/chat` (JSON and SSE), device unregister;
- B's lists never contain one of A's ids.
Every socket frame type (realtime.consumers.HANDLERS) that takes an id is sent by B with A's
ids: `error` `not_found`. A new URL, path parameter or frame type fails here until it is
classified, so new endpoints are covered automatically.
"""

from __future__ import annotations

import json
import re
import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from websockets.sync.client import connect

METHODS = ("get", "post", "put", "patch", "delete")

# Anonymous callers may use these (by URL name).
PUBLIC = {
    "health", "schema", "docs",
    "auth-register", "auth-login", "auth-verify-otp", "auth-resend-otp",
    "auth-password-reset", "auth-password-reset-confirm",
    "auth-refresh-token",
    # Authenticated by the refresh token in the body, not a Bearer token: `{}` is a 400, a bad
    # or revoked refresh token a 401 (test_auth_attacks.py).
    "auth-logout",
}
# Outside /api/: the web page and its static files are public; /metrics is public to the process
# and restricted at the proxy (docs/operations.md); the admin sends anonymous users to its login.
NON_API = {"web-index": "public", "metrics": "public (restrict at the proxy)", "admin": "login"}
# Path parameters naming an object, and which of user A's objects to put there.
OBJECT_PARAMS = {
    "conversation_id": ["conversation"],
    "device_id": ["device_id"],
}
# Socket frames: the fields that name one of the user's objects (others take none).
FRAME_IDS = {
    "auth": {}, "auth.refresh": {}, "ping": {},
    "chat.send": {"conversation_id": "conversation"},
    "chat.cancel": {"message_id": "assistant_message"},
    "chat.attach": {"message_id": "assistant_message"},
}


def _walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner_ns = namespace
            if entry.namespace:
                inner_ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner_ns)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry, namespace


def _view_methods(callback) -> list[str]:
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view_class is None:
        return []
    return [m for m in METHODS if hasattr(view_class, m)]


def api_endpoints() -> list[tuple[str, str, str, list[str]]]:
    """(route, url name, method, path parameters) for every /api/v1/ view method."""
    found = []
    for route, pattern, _ns in _walk(get_resolver().url_patterns):
        if not route.startswith("api/v1/"):
            continue
        params = list(pattern.pattern.converters)
        for method in _view_methods(pattern.callback):
            found.append((route, pattern.name, method, params))
    return found


ENDPOINTS = api_endpoints()
PROTECTED = [e for e in ENDPOINTS if e[1] not in PUBLIC]
WITH_OBJECTS = [e for e in ENDPOINTS if e[3]]


def _concrete(route: str, values: dict[str, str]) -> str:
    path = route
    for name, value in values.items():
        for converter in ("uuid", "str", "int", "slug", "path"):
            path = path.replace(f"<{converter}:{name}>", value)
        path = path.replace(f"<{name}>", value)
    assert "<" not in path, path
    return "/" + path


def _placeholder(params) -> dict[str, str]:
    return {name: str(uuid.uuid4()) for name in params}


def _envelope(reply, status: int, code: str | None = None) -> dict:
    assert reply.status == status, (status, reply.status, reply.body[:500])
    body = reply.json()
    assert body["success"] is False and set(body) == {"success", "error", "meta"}, body
    if code is not None:
        assert body["error"]["code"] == code, body
    return body["error"]


# --- the URL configuration itself --------------------------------------------------------------

def test_every_url_is_classified():
    """New URLs must be placed: public, protected (the default under /api/v1/) or non-API."""
    assert len(ENDPOINTS) >= 30, ENDPOINTS
    names = {name for _route, name, _m, _p in ENDPOINTS}
    assert PUBLIC <= names, PUBLIC - names
    for route, pattern, ns in _walk(get_resolver().url_patterns):
        if route.startswith("api/v1/"):
            continue
        if ns == "admin" or route.startswith("admin/"):
            continue
        if route.startswith("^api/"):
            continue  # the envelope 404 catch-all
        assert pattern.name in NON_API, f"classify the non-API URL {route!r} ({pattern.name})"
    for _route, _name, _method, params in ENDPOINTS:
        for param in params:
            assert param in OBJECT_PARAMS, f"add an owner object for path parameter {param!r}"


def test_every_socket_frame_type_is_classified():
    from realtime.consumers import HANDLERS

    assert set(HANDLERS) == set(FRAME_IDS), set(HANDLERS) ^ set(FRAME_IDS)


# --- anonymous -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("route", "name", "method", "params"), PROTECTED,
                         ids=[f"{m.upper()} {r}" for r, _n, m, _p in PROTECTED])
def test_anonymous_callers_get_401(live, route, name, method, params):
    path = _concrete(route, _placeholder(params))
    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic eDp5"}):
        reply = live.rest(method.upper(), path, {} if method != "get" else None, headers=headers)
        error = _envelope(reply, 401)
        assert error["code"] in {"NOT_AUTHENTICATED", "AUTHENTICATION_FAILED", "UNAUTHORIZED"}
        assert reply.headers.get("WWW-Authenticate", "").startswith("Bearer")


def test_public_endpoints_answer_anonymous_callers(live):
    health = live.rest("GET", "/api/v1/health")
    # 503 DEGRADED in the scaled pass, which runs no Celery worker for these servers.
    assert health.status == 200 or health.error["code"] == "DEGRADED", health.body
    assert live.rest("GET", "/api/v1/schema").status == 200
    assert live.rest("GET", "/api/v1/docs").status == 200
    for path in ("auth/register", "auth/login", "auth/verify-otp", "auth/resend-otp",
                 "auth/password/reset", "auth/password/reset/confirm", "auth/refresh-token",
                 "auth/logout"):
        _envelope(live.rest("POST", f"/api/v1/{path}", {}), 400, "VALIDATION_ERROR")
    _envelope(live.rest("POST", "/api/v1/auth/logout", {"refresh_token": "x.y.z"}), 401)
    _envelope(live.rest("POST", "/api/v1/auth/refresh-token", {"refresh_token": "x.y.z"}), 401)


def test_non_api_urls(live):
    web = live.rest("GET", "/")
    assert web.status == 200 and web.headers["Content-Type"].startswith("text/html")
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', web.body.decode())
    assert len(assets) >= 2, "the page's own scripts and styles"
    for asset in assets:
        static = live.rest("GET", asset)
        assert static.status == 200, asset
        assert static.headers["X-Content-Type-Options"] == "nosniff"
    assert live.rest("GET", "/metrics").status == 200  # restricted at the proxy
    admin = live.rest("GET", "/admin/")
    assert admin.status == 302 and "/admin/login/" in admin.headers["Location"]
    _envelope(live.rest("GET", "/api/v2/anything"), 404, "NOT_FOUND")
    _envelope(live.rest("DELETE", "/api/v1/no/such/thing"), 404, "NOT_FOUND")


# --- user B on user A's objects ------------------------------------------------------------------

@pytest.fixture(scope="module")
def owner(live):
    """User A with one of each object: a conversation (messages), a device, a daily reading."""
    user = live.new_user()
    chat = live.rest("POST", "/api/v1/ai/chat", {"client_msg_id": str(uuid.uuid4()),
                                                  "content": "Tell me about my numbers."},
                     token=user.access_token, timeout=60)
    assert chat.status == 200, chat.body
    turn = chat.data
    assert turn["message"]["finish_reason"] == "stop", turn
    token = f"fcm-{uuid.uuid4().hex}:APA91b{uuid.uuid4().hex}"
    device = live.rest("POST", "/api/v1/notifications/devices",
                       {"token": token, "platform": "android"}, token=user.access_token)
    assert device.status == 201, device.body
    reading = live.rest("GET", "/api/v1/numerology/daily-reading", token=user.access_token)
    assert reading.status == 200, reading.body
    objects = {
        "conversation": turn["conversation_id"],
        "user_message": turn["user_message_id"],
        "assistant_message": turn["assistant_message_id"],
        "device_id": device.data["id"],
        "device_token": token,
        "reading": reading.data["id"],
    }
    return user, objects


@pytest.fixture(scope="module")
def intruder(live):
    return live.new_user()


def _owner_still_has_everything(live, user, objects):
    conversation = live.rest("GET", f"/api/v1/ai/conversations/{objects['conversation']}",
                             token=user.access_token)
    assert conversation.status == 200 and conversation.data["message_count"] == 2
    messages = live.rest("GET", f"/api/v1/ai/conversations/{objects['conversation']}/messages",
                         token=user.access_token)
    assert {m["id"] for m in messages.data} == {objects["user_message"],
                                                objects["assistant_message"]}
    devices = live.rest("GET", "/api/v1/notifications/devices", token=user.access_token)
    assert [d["id"] for d in devices.data] == [objects["device_id"]]


@pytest.mark.parametrize(("route", "name", "method", "params"), WITH_OBJECTS,
                         ids=[f"{m.upper()} {r}" for r, _n, m, _p in WITH_OBJECTS])
def test_another_users_objects_are_404(live, owner, intruder, route, name, method, params):
    user, objects = owner
    choices = [[(param, objects[kind]) for kind in OBJECT_PARAMS[param]] for param in params]
    combos = [[]]
    for options in choices:
        combos = [[*combo, option] for combo in combos for option in options]
    bodies = {"patch": {"title": "mine now"}, "put": {"title": "mine now"}}
    for combo in combos:
        path = _concrete(route, dict(combo))
        reply = live.rest(method.upper(), path, bodies.get(method, {} if method != "get" else None),
                          token=intruder.access_token)
        _envelope(reply, 404, "NOT_FOUND")
        for value in dict(combo).values():
            assert value not in reply.body.decode(errors="replace").replace(path, "")
    _owner_still_has_everything(live, user, objects)


def test_another_users_ids_in_a_body_are_404(live, owner, intruder):
    user, objects = owner
    send = {"conversation_id": objects["conversation"], "client_msg_id": str(uuid.uuid4()),
            "content": "Whose conversation is this?"}
    _envelope(live.rest("POST", "/api/v1/ai/chat", send, token=intruder.access_token), 404,
              "NOT_FOUND")
    sse = live.rest("POST", "/api/v1/ai/chat", {**send, "client_msg_id": str(uuid.uuid4())},
                    token=intruder.access_token, headers={"Accept": "text/event-stream"})
    _envelope(sse, 404, "NOT_FOUND")
    for token in (objects["device_token"], objects["device_id"]):
        _envelope(live.rest("DELETE", "/api/v1/notifications/devices", {"token": token},
                            token=intruder.access_token), 404, "NOT_FOUND")
    _owner_still_has_everything(live, user, objects)


def test_lists_never_show_another_users_objects(live, owner, intruder):
    _user, objects = owner
    # The intruder has objects of their own, so their lists are not trivially empty.
    live.rest("POST", "/api/v1/ai/chat", {"client_msg_id": str(uuid.uuid4()), "content": "Hi"},
              token=intruder.access_token, timeout=60)
    live.rest("GET", "/api/v1/numerology/daily-reading", token=intruder.access_token)
    checked = 0
    for route, _name, method, params in ENDPOINTS:
        if method != "get" or params or _name in PUBLIC:
            continue
        reply = live.rest("GET", "/" + route, token=intruder.access_token)
        assert reply.status in {200, 409}, (route, reply.body[:300])
        text = reply.body.decode()
        for kind, value in objects.items():
            assert value not in text, f"{route} shows the owner's {kind}"
        checked += 1
    assert checked >= 6


def test_socket_frames_with_another_users_ids_are_not_found(live, owner, intruder):
    user, objects = owner
    with connect(live.ws, open_timeout=10, compression=None) as ws:
        ws.send(json.dumps({"type": "auth", "data": {"token": intruder.access_token}}))
        assert json.loads(ws.recv(timeout=10))["type"] == "welcome"
        sent = 0
        for frame_type, id_fields in FRAME_IDS.items():
            for field, kind in id_fields.items():
                kinds = [kind, "user_message"] if kind == "assistant_message" else [kind]
                for value_kind in kinds:
                    data = {field: objects[value_kind], "after_seq": 0,
                            "client_msg_id": str(uuid.uuid4()), "content": "Mine now?"}
                    request_id = f"{frame_type}-{value_kind}"[:64]
                    ws.send(json.dumps({"type": frame_type, "id": request_id, "data": data}))
                    while True:
                        answer = json.loads(ws.recv(timeout=10))
                        if answer.get("id") == request_id:
                            break
                        assert answer["type"] in {"reading.daily"}, answer
                    assert answer["type"] == "error", answer
                    assert answer["data"]["code"] == "not_found", answer
                    sent += 1
        assert sent >= 5
        # And the owner's token is refused on the intruder's socket.
        ws.send(json.dumps({"type": "auth.refresh", "id": "r",
                            "data": {"token": user.access_token}}))
        answer = json.loads(ws.recv(timeout=10))
        assert answer["type"] == "error" and answer["data"]["code"] == "unauthorized"
    _owner_still_has_everything(live, user, objects)
