"""The OpenAI adapter: the only module of the project that imports `openai`.

Works with OpenAI and any OpenAI-compatible server (vLLM, Ollama, LM Studio) through
`base_url`. Streams with `stream_options={"include_usage": True}` and maps every provider
failure to an `LLMError` with a protocol code.

Retries are ours, not the SDK's (`max_retries=0`): a failed attempt is retried with a short
backoff only while no text has been yielded, and only for failures where another attempt can
help right away (connection refused, 5xx, 429, 409, a stream that broke before its first
token). A timeout is never retried: the user has already waited the whole timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import logging
import random
import time
import weakref
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

import openai

from chat.llm.base import Delta, Finish, LLMError, Usage
from chat.prompts import ChatMessage, GuideContext, estimate_tokens

logger = logging.getLogger(__name__)

BACKOFF_BASE_S = 0.25
BACKOFF_CAP_S = 2.0
# A server asking us to wait longer than this before retrying gets no retry: the user is waiting.
MAX_RETRY_AFTER_S = 5.0
# Local OpenAI-compatible servers ignore the key, but the SDK refuses to start without one.
PLACEHOLDER_API_KEY = "not-needed"

_CONTEXT_TOO_LONG = "This conversation is too long for the AI guide. Please start a new one."


@dataclass
class _Attempt:
    deltas: int = 0


class OpenAIChatModel:
    """A `ChatModel` backed by `openai.AsyncOpenAI` chat completions streaming."""

    def __init__(
        self,
        api_key: str,
        base_url: str | None,
        model: str,
        timeout: float,
        max_retries_before_first_token: int = 2,
        max_tokens: int | None = None,
    ) -> None:
        self.name = model
        self.model = model
        self.base_url = base_url or None
        self.timeout = float(timeout)
        self.max_retries_before_first_token = max(0, int(max_retries_before_first_token))
        self.max_tokens = max_tokens
        self._api_key = api_key
        # One SDK client per event loop: its connection pool belongs to the loop that opened it.
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, openai.AsyncOpenAI]
        self._clients = weakref.WeakKeyDictionary()

    def __repr__(self) -> str:
        return f"OpenAIChatModel(model={self.model!r}, base_url={self.base_url!r})"

    async def aclose(self) -> None:
        """Close the HTTP connections this model opened in the running event loop (on shutdown;
        a later `stream` opens new ones)."""
        client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.close()

    def _client(self) -> openai.AsyncOpenAI:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            client = openai.AsyncOpenAI(
                api_key=self._api_key or PLACEHOLDER_API_KEY,
                base_url=self.base_url,
                timeout=self.timeout,
                max_retries=0,
            )
            self._clients[loop] = client
        return client

    def _request(self, messages: Sequence[ChatMessage]) -> dict[str, Any]:
        request: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if self.max_tokens is not None:
            request["max_tokens"] = self.max_tokens
        return request

    async def stream(
        self, messages: Sequence[ChatMessage], *, context: GuideContext
    ) -> AsyncIterator[Delta | Finish]:
        request = self._request(messages)
        attempt_number = 0
        while True:
            attempt = _Attempt()
            try:
                async with contextlib.aclosing(self._stream_once(request, attempt)) as events:
                    async for event in events:
                        yield event
                return
            except LLMError as error:
                delay = self._retry_delay(error, attempt, attempt_number)
                if delay is None:
                    logger.warning(
                        "model %s failed: %s (%r)", self.model, error.code, error.__cause__
                    )
                    raise
                logger.info(
                    "model %s attempt %d failed before the first token (%r); retrying in %.2fs",
                    self.model, attempt_number + 1, error.__cause__, delay,
                )  # fmt: skip
            attempt_number += 1
            await asyncio.sleep(delay)

    def _retry_delay(self, error: LLMError, attempt: _Attempt, attempt_number: int) -> float | None:
        """Seconds to wait before the next attempt, or None when this error is final."""
        if (
            attempt.deltas
            or not error.retryable
            or error.code == "llm_timeout"
            or attempt_number >= self.max_retries_before_first_token
        ):
            return None
        jitter = random.uniform(0.5, 1.0)  # noqa: S311 (not cryptographic)
        delay = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2**attempt_number) * jitter
        retry_after = _retry_after(error.__cause__)
        if retry_after is not None:
            if retry_after > MAX_RETRY_AFTER_S:
                return None
            delay = max(delay, retry_after)
        return delay

    async def _stream_once(
        self, request: dict[str, Any], attempt: _Attempt
    ) -> AsyncIterator[Delta | Finish]:
        client = self._client()
        try:
            async with asyncio.timeout(self.timeout):
                # `create()` with the chunks as plain dicts: a typed ChatCompletionChunk per
                # token was half of the SDK's time per frame under concurrent replies.
                sdk_stream = await client.post(
                    "/chat/completions", body=request, cast_to=object, stream=True,
                    stream_cls=openai.AsyncStream[object],
                )
        except TimeoutError as exc:
            raise LLMError("llm_timeout", retryable=True) from exc
        except openai.OpenAIError as exc:
            raise _request_error(exc) from exc

        finish_reason: str | None = None
        usage: Any = None
        try:
            while True:
                try:
                    async with asyncio.timeout(self.timeout):
                        chunk = await sdk_stream.__anext__()
                except StopAsyncIteration:
                    break
                except TimeoutError as exc:
                    raise LLMError("llm_timeout", retryable=True) from exc
                except openai.APITimeoutError as exc:
                    raise LLMError("llm_timeout", retryable=True) from exc
                except openai.OpenAIError as exc:
                    # The connection broke or the server sent an error event mid-stream.
                    raise LLMError("llm_error", retryable=True) from exc
                except ValueError as exc:  # not JSON
                    raise LLMError("llm_error", retryable=False) from exc
                try:
                    if chunk.get("usage") is not None:
                        usage = chunk["usage"]
                    for choice in chunk.get("choices") or ():
                        if choice.get("finish_reason"):
                            finish_reason = choice["finish_reason"]
                        text = (choice.get("delta") or {}).get("content")
                        if text:
                            if not isinstance(text, str):
                                raise TypeError(f"content is {type(text).__name__}")
                            attempt.deltas += 1
                            yield Delta(text)
                except (AttributeError, TypeError) as exc:  # JSON, but not a completion chunk
                    raise LLMError("llm_error", retryable=False) from exc
        finally:
            with contextlib.suppress(Exception):
                await sdk_stream.close()

        if finish_reason is None and usage is None:
            # The body ended without a finish reason or usage: the stream was cut short.
            raise LLMError(
                "llm_error", retryable=True, message="The AI guide's answer was cut off."
            )
        yield Finish(
            finish_reason="length" if finish_reason == "length" else "stop",
            usage=_usage(usage, request["messages"], attempt.deltas),
        )


def _usage(reported: Any, messages: list[dict[str, str]], deltas: int) -> Usage:
    if isinstance(reported, dict):
        prompt = _count(reported.get("prompt_tokens"))
        completion = _count(reported.get("completion_tokens"))
        total = _count(reported.get("total_tokens")) or prompt + completion
        return Usage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=total)
    prompt = sum(estimate_tokens(m["content"]) for m in messages)
    return Usage(prompt_tokens=prompt, completion_tokens=deltas, total_tokens=prompt + deltas)


def _count(value: Any) -> int:
    """A token count as the server reported it; 0 if it is missing or not a number."""
    try:
        return max(0, int(value or 0))
    except (TypeError, ValueError):
        return 0


def _request_error(exc: openai.OpenAIError) -> LLMError:
    """Map a failure to start the request (before any chunk) to a protocol error."""
    if isinstance(exc, openai.APITimeoutError):
        return LLMError("llm_timeout", retryable=True)
    if isinstance(exc, openai.APIConnectionError):
        return LLMError("llm_unavailable", retryable=True)
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        if status == 408:
            return LLMError("llm_timeout", retryable=True)
        if status in (409, 429) or status >= 500:
            return LLMError("llm_unavailable", retryable=True)
        if exc.code == "context_length_exceeded":
            return LLMError("llm_error", retryable=False, message=_CONTEXT_TOO_LONG)
        return LLMError("llm_error", retryable=False)
    return LLMError("llm_error", retryable=False)


def _retry_after(exc: BaseException | None) -> float | None:
    """The server's requested wait in seconds (`retry-after-ms` or `retry-after`), if any."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if not headers:
        return None
    with contextlib.suppress(TypeError, ValueError):
        if (ms := headers.get("retry-after-ms")) is not None:
            return max(0.0, float(ms) / 1000)
    value = headers.get("retry-after")
    if value is None:
        return None
    with contextlib.suppress(TypeError, ValueError):
        return max(0.0, float(value))
    with contextlib.suppress(TypeError, ValueError, IndexError):
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - time.time())
    return None
