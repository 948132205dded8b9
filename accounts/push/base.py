"""The push port: what the services hand to a backend and what they get back.

Plain dataclasses only; no SDK type crosses this boundary. A backend sends each `PushJob` (one
message to one user's tokens) and answers one `PushResult` per token, in the order given:

- ``ok``: accepted by the push service;
- ``unregistered``: the token is gone (app uninstalled, token expired): delete it;
- ``invalid``: the token is not a valid token of this sender: delete it;
- ``transient``: unavailable, internal error, quota: try that token again later;
- ``failed``: any other error (e.g. the message itself was refused): not retried, token kept.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol, runtime_checkable

from django.conf import settings
from django.utils.module_loading import import_string

TOKEN_VISIBLE_CHARS = 6


def mask_token(token: str) -> str:
    """All but the last 6 characters hidden: the only form of a token that may be logged."""
    token = token or ""
    if len(token) <= TOKEN_VISIBLE_CHARS:
        return "*" * len(token)
    return f"…{token[-TOKEN_VISIBLE_CHARS:]}"


class PushOutcome(enum.StrEnum):
    OK = "ok"
    UNREGISTERED = "unregistered"
    INVALID = "invalid"
    TRANSIENT = "transient"
    FAILED = "failed"

    @property
    def removes_token(self) -> bool:
        return self in (PushOutcome.UNREGISTERED, PushOutcome.INVALID)


@dataclass(frozen=True)
class PushMessage:
    """One notification. ``data`` values are strings (FCM's data payload is string → string)."""

    title: str
    body: str
    data: Mapping[str, str] = field(default_factory=dict)
    # Replaces an undelivered (Android) or displayed (iOS apns-collapse-id) earlier push with
    # the same key: one daily reading per day, whatever is retried.
    collapse_key: str | None = None
    high_priority: bool = True
    ttl_seconds: int | None = 24 * 60 * 60

    def __post_init__(self):
        bad = [key for key, value in self.data.items() if not isinstance(value, str)]
        if bad:
            raise TypeError(f"push data values must be strings: {bad}")


@dataclass(frozen=True)
class PushJob:
    message: PushMessage
    tokens: Sequence[str]


@dataclass(frozen=True)
class PushResult:
    token: str
    outcome: PushOutcome
    error_code: str | None = None  # e.g. "UNREGISTERED", "UNAVAILABLE"
    message_id: str | None = None

    def __repr__(self) -> str:  # never the whole token, even in a traceback
        return (
            f"PushResult(token={mask_token(self.token)!r}, outcome={self.outcome.value!r}, "
            f"error_code={self.error_code!r})"
        )


@runtime_checkable
class PushBackend(Protocol):
    name: str

    def send(self, jobs: Sequence[PushJob]) -> list[list[PushResult]]:
        """Send every job; one list of results per job (one result per token, in order)."""
        ...


@lru_cache(maxsize=8)
def _build(path: str) -> PushBackend:
    return import_string(path)()


def get_push_backend() -> PushBackend:
    """The configured backend (`settings.PUSH_BACKEND`), built on first use, never at import."""
    return _build(settings.PUSH_BACKEND)


def reset_push_backend() -> None:
    """Forget built backends (tests switching `PUSH_BACKEND`)."""
    _build.cache_clear()
