"""Helpers for the readings tests: authenticated clients, envelope checks."""

from __future__ import annotations

from django.test import TestCase
from rest_framework.test import APIClient

from accounts import services as account_services


class CommitAPIClient(APIClient):
    """Runs each request's `transaction.on_commit` callbacks, as a real commit would."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.default_format = "json"

    def request(self, **kwargs):
        with TestCase.captureOnCommitCallbacks(execute=True):
            return super().request(**kwargs)


def client_for(user) -> CommitAPIClient:
    client = CommitAPIClient()
    tokens = account_services.session_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.access_token}")
    return client


def assert_error(response, status: int, code: str, field: str | None = None) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == code, body
    assert body["error"]["message"]
    if field is not None:
        assert field in (body["error"]["details"] or {}), body
        assert field in body["error"]["message"], body
    return body


def data(response) -> dict:
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["success"] is True
    return body["data"]
