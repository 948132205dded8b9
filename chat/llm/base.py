"""The chat model port: what the reply service codes against.

A chat model streams a reply as plain dataclasses: many `Delta`s, then exactly one `Finish`.
Failures are `LLMError`s carrying the `message.error` code of the protocol. No SDK types cross
this boundary.

Cancellation is the consumer's business: stop iterating and close the stream (or cancel the
task). Adapters release their HTTP stream in `finally`, so use::

    async with contextlib.aclosing(model.stream(messages, context=ctx)) as events:
        async for event in events:
            ...
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from chat.prompts import ChatMessage, GuideContext

__all__ = [
    "ChatMessage",
    "ChatModel",
    "Delta",
    "ErrorCode",
    "Finish",
    "GuideContext",
    "LLMError",
    "Usage",
]

ErrorCode = Literal["llm_unavailable", "llm_timeout", "llm_error"]
FinishReason = Literal["stop", "length"]


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


@dataclass(frozen=True)
class Delta:
    """A piece of the reply's text, in order."""

    text: str


@dataclass(frozen=True)
class Finish:
    """The last event of a successful stream."""

    finish_reason: FinishReason
    usage: Usage


_DEFAULT_MESSAGES: dict[str, str] = {
    "llm_unavailable": "The AI guide is unavailable right now. Please try again in a moment.",
    "llm_timeout": "The AI guide took too long to answer. Please try again.",
    "llm_error": "The AI guide could not finish this answer.",
}


class LLMError(Exception):
    """A model or provider failure, already mapped to a protocol `message.error` code.

    `message` is safe to show to the user; provider details stay in the exception chain
    (`__cause__`) and the logs.
    """

    code: ErrorCode
    retryable: bool
    message: str

    def __init__(self, code: ErrorCode, *, retryable: bool, message: str | None = None) -> None:
        self.code = code
        self.retryable = retryable
        self.message = message or _DEFAULT_MESSAGES[code]
        super().__init__(self.message)

    def __repr__(self) -> str:
        return (
            f"LLMError(code={self.code!r}, retryable={self.retryable!r}, message={self.message!r})"
        )

    def as_dict(self) -> dict[str, object]:
        """The `message.error` data fields other than `message_id`."""
        return {"code": self.code, "message": self.message, "retryable": self.retryable}


@runtime_checkable
class ChatModel(Protocol):
    """A streaming chat model.

    `stream` is an async generator: it yields `Delta` zero or more times, then exactly one
    `Finish`, or raises `LLMError` (possibly after some deltas). `context` is the user's
    numerology context; adapters that talk to a real model may ignore it because the system
    prompt in `messages` already states it.
    """

    name: str

    def stream(
        self, messages: Sequence[ChatMessage], *, context: GuideContext
    ) -> AsyncIterator[Delta | Finish]: ...
