"""Helpers for the accounts tests: read delivered codes, check the envelope."""

from __future__ import annotations

import re

from django.core import mail

from accounts import sms

CODE_RE = re.compile(r"\b(\d{6})\b")


def last_email_code(to: str | None = None) -> str:
    messages = [m for m in mail.outbox if to is None or to in m.to]
    assert messages, "no email was sent"
    return CODE_RE.search(messages[-1].body).group(1)


def last_sms_code(to: str | None = None) -> str:
    messages = [m for m in sms.outbox if to is None or m.to == to]
    assert messages, "no SMS was sent"
    return CODE_RE.search(messages[-1].body).group(1)


def wrong_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def assert_error(response, status: int, code: str, field: str | None = None) -> dict:
    """The error envelope, with the status, the code and (optionally) the field named."""
    assert response.status_code == status, response.content
    body = response.json()
    assert body["success"] is False
    assert set(body) == {"success", "error", "meta"}
    assert body["error"]["code"] == code, body
    assert body["error"]["message"]
    assert "timestamp" in body["meta"] and "request_id" in body["meta"]
    if field is not None:
        assert field in (body["error"]["details"] or {}), body
    return body["error"]


def data(response, status: int = 200) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["success"] is True
    return body["data"]
