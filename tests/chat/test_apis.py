"""The chat REST API: conversations (list, get, rename, delete) and their messages."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from rest_framework.test import APIClient

from accounts.tokens import access_token_encode
from chat.models import Conversation, Message
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

BASE = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def client_for(user) -> APIClient:
    client = APIClient()
    token = access_token_encode(user_id=user.pk, is_premium=user.is_premium).raw
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def conversation(user, title="", minutes=0, messages=0):
    return Conversation.objects.create(
        user=user, title=title, last_message_at=BASE + timedelta(minutes=minutes),
        message_count=messages,
    )


@pytest.fixture
def user():
    return UserFactory()


@pytest.fixture
def api(user):
    return client_for(user)


@pytest.fixture
def theirs():
    return conversation(UserFactory(), title="Not yours")


# --- list ---------------------------------------------------------------------------------------


def test_list_is_paginated_with_totals_newest_first(user, api, theirs):
    mine = [conversation(user, title=f"c{i}", minutes=i) for i in range(5)]
    response = api.get("/api/v1/ai/conversations", {"page": 1, "per_page": 2})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["success"] is True
    assert body["pagination"] == {"page": 1, "per_page": 2, "total": 5, "total_pages": 3,
                                  "has_next": True}
    assert [c["id"] for c in body["data"]] == [str(mine[4].pk), str(mine[3].pk)]
    assert set(body["data"][0]) == {"id", "title", "started_at", "last_message_at",
                                    "message_count"}
    last = api.get("/api/v1/ai/conversations", {"page": 3, "per_page": 2}).json()
    assert [c["id"] for c in last["data"]] == [str(mine[0].pk)]
    assert last["pagination"]["has_next"] is False
    seen = []
    for page in (1, 2, 3):
        seen += [c["id"] for c in api.get("/api/v1/ai/conversations",
                                          {"page": page, "per_page": 2}).json()["data"]]
    assert sorted(seen) == sorted(str(c.pk) for c in mine)
    assert str(theirs.pk) not in seen


def test_list_defaults_and_empty(api):
    body = api.get("/api/v1/ai/conversations").json()
    assert body["data"] == []
    assert body["pagination"]["page"] == 1
    assert body["pagination"]["per_page"] == 20
    assert body["pagination"]["total"] == 0


def test_per_page_is_capped_at_100(user, api):
    Conversation.objects.bulk_create(
        [Conversation(user=user, last_message_at=BASE + timedelta(minutes=i)) for i in range(101)]
    )
    response = api.get("/api/v1/ai/conversations", {"per_page": 500})
    assert response.status_code == 200, response.content
    body = response.json()
    assert len(body["data"]) == 100
    assert body["pagination"]["per_page"] == 100
    assert body["pagination"]["total"] == 101
    assert body["pagination"]["total_pages"] == 2


def test_page_out_of_range_is_404_envelope(user, api):
    conversation(user)
    response = api.get("/api/v1/ai/conversations", {"page": 9})
    assert response.status_code == 404
    assert response.json()["success"] is False


# --- one conversation ---------------------------------------------------------------------------


def test_get_own_conversation(user, api):
    mine = conversation(user, title="Life path", messages=4)
    response = api.get(f"/api/v1/ai/conversations/{mine.pk}")
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert data["id"] == str(mine.pk)
    assert data["title"] == "Life path"
    assert data["message_count"] == 4
    assert data["last_message_at"] is not None


def test_rename_own_conversation(user, api):
    mine = conversation(user, title="Old")
    response = api.patch(f"/api/v1/ai/conversations/{mine.pk}", {"title": "New title"},
                         format="json")
    assert response.status_code == 200, response.content
    assert response.json()["data"]["title"] == "New title"
    mine.refresh_from_db()
    assert mine.title == "New title"


def test_delete_own_conversation_with_its_messages(user, api):
    mine = conversation(user)
    Message.objects.create(conversation=mine, role="user", content="hi")
    response = api.delete(f"/api/v1/ai/conversations/{mine.pk}")
    assert response.status_code == 200, response.content
    assert response.json()["data"] == {"deleted": True}
    assert not Conversation.objects.filter(pk=mine.pk).exists()
    assert not Message.objects.filter(conversation_id=mine.pk).exists()
    assert api.get(f"/api/v1/ai/conversations/{mine.pk}").status_code == 404


@pytest.mark.parametrize("title", ["", "x" * 121])
def test_bad_title_is_400_naming_title(user, api, title):
    mine = conversation(user, title="Keep")
    response = api.patch(f"/api/v1/ai/conversations/{mine.pk}", {"title": title}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert "title" in error["details"]
    assert error["message"].startswith("title")
    mine.refresh_from_db()
    assert mine.title == "Keep"


def test_missing_title_is_400(user, api):
    mine = conversation(user)
    response = api.patch(f"/api/v1/ai/conversations/{mine.pk}", {}, format="json")
    assert response.status_code == 400
    assert "title" in response.json()["error"]["details"]


def test_title_of_120_chars_is_fine(user, api):
    mine = conversation(user)
    response = api.patch(f"/api/v1/ai/conversations/{mine.pk}", {"title": "y" * 120},
                         format="json")
    assert response.status_code == 200
    assert response.json()["data"]["title"] == "y" * 120


@pytest.mark.parametrize("method,suffix", [
    ("get", ""), ("patch", ""), ("delete", ""), ("get", "/messages"),
])
def test_another_users_conversation_is_404(api, theirs, method, suffix):
    Message.objects.create(conversation=theirs, role="user", content="secret")
    url = f"/api/v1/ai/conversations/{theirs.pk}{suffix}"
    kwargs = {"data": {"title": "Mine now"}, "format": "json"} if method == "patch" else {}
    response = getattr(api, method)(url, **kwargs)
    assert response.status_code == 404
    body = response.json()
    assert body["success"] is False and body["error"]["code"] == "NOT_FOUND"
    assert "secret" not in response.content.decode()
    theirs.refresh_from_db()
    assert theirs.title == "Not yours"


@pytest.mark.parametrize("suffix", ["", "/messages"])
def test_unknown_conversation_is_404(api, suffix):
    response = api.get(f"/api/v1/ai/conversations/{uuid.uuid4()}{suffix}")
    assert response.status_code == 404


@pytest.mark.parametrize("method,url", [
    ("get", "/api/v1/ai/conversations"),
    ("get", f"/api/v1/ai/conversations/{uuid.uuid4()}"),
    ("patch", f"/api/v1/ai/conversations/{uuid.uuid4()}"),
    ("delete", f"/api/v1/ai/conversations/{uuid.uuid4()}"),
    ("get", f"/api/v1/ai/conversations/{uuid.uuid4()}/messages"),
])
def test_anonymous_is_401(method, url):
    response = getattr(APIClient(), method)(url)
    assert response.status_code == 401
    assert response.json()["success"] is False
    assert response["WWW-Authenticate"].startswith("Bearer")


# --- messages -----------------------------------------------------------------------------------


def make_messages(conv, count):
    """`count` messages; every two share a timestamp, so the cursor must break ties by id."""
    created = []
    for i in range(count):
        message = Message.objects.create(conversation=conv, role="user" if i % 2 == 0 else
                                         "assistant", content=f"m{i}")
        Message.objects.filter(pk=message.pk).update(created_at=BASE + timedelta(seconds=i // 2))
        created.append(message)
    return list(Message.objects.filter(conversation=conv).order_by("-created_at", "-pk"))


def test_messages_cursor_walks_all_newest_first(user, api):
    mine = conversation(user)
    other = conversation(user)
    make_messages(other, 3)
    expected = make_messages(mine, 11)
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        response = api.get(f"/api/v1/ai/conversations/{mine.pk}/messages", params)
        assert response.status_code == 200, response.content
        body = response.json()
        pages += 1
        assert len(body["data"]) <= 3
        seen += [m["id"] for m in body["data"]]
        pagination = body["pagination"]
        assert pagination["has_more"] is (pagination["next_cursor"] is not None)
        if not pagination["has_more"]:
            break
        cursor = pagination["next_cursor"]
        assert pages < 10
    assert pages == 4
    assert seen == [str(m.pk) for m in expected]
    assert len(set(seen)) == 11


def test_messages_exact_page_has_no_more(user, api):
    mine = conversation(user)
    make_messages(mine, 4)
    body = api.get(f"/api/v1/ai/conversations/{mine.pk}/messages", {"limit": 4}).json()
    assert len(body["data"]) == 4
    assert body["pagination"] == {"next_cursor": None, "has_more": False}


def test_message_shape(user, api):
    mine = conversation(user)
    question = Message.objects.create(conversation=mine, role="user", content="Why 7?",
                                      client_msg_id=uuid.uuid4())
    Message.objects.create(conversation=mine, role="assistant", content="Because.",
                           reply_to=question, finish_reason="stop", last_seq=2,
                           prompt_tokens=10, completion_tokens=3, model="scripted",
                           completed_at=BASE)
    Message.objects.filter(pk=question.pk).update(created_at=BASE - timedelta(seconds=1))
    data = api.get(f"/api/v1/ai/conversations/{mine.pk}/messages").json()["data"]
    reply, asked = data
    assert asked["id"] == str(question.pk) and asked["client_msg_id"] == str(
        question.client_msg_id)
    assert reply["conversation_id"] == str(mine.pk)
    assert reply["role"] == "assistant" and reply["content"] == "Because."
    assert reply["seq"] == 2 and reply["finish_reason"] == "stop"
    assert reply["usage"] == {"prompt_tokens": 10, "completion_tokens": 3, "total_tokens": 13}
    assert reply["model"] == "scripted" and reply["client_msg_id"] is None


@pytest.mark.parametrize("cursor", ["not-a-cursor", "%%%", "bm9waXBl", "x" * 201])
def test_invalid_cursor_is_400(user, api, cursor):
    mine = conversation(user)
    make_messages(mine, 2)
    response = api.get(f"/api/v1/ai/conversations/{mine.pk}/messages", {"cursor": cursor})
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert "cursor" in error["details"]


@pytest.mark.parametrize("limit", [0, 101, "many"])
def test_invalid_limit_is_400(user, api, limit):
    mine = conversation(user)
    response = api.get(f"/api/v1/ai/conversations/{mine.pk}/messages", {"limit": limit})
    assert response.status_code == 400
    assert "limit" in response.json()["error"]["details"]
