"""Fake chat models (fakes, not mocks) selected through CHAT_MODEL_BACKEND in tests."""

from __future__ import annotations

import asyncio

from chat.llm import Delta, Finish, LLMError, Usage


class ScriptedChatModel:
    """Streams the given words with a delay between them; optionally fails after `fail_after`."""

    name = "scripted"

    def __init__(self, words=("Hello ", "there, ", "friend."), delay: float = 0.0,
                 fail_after: int | None = None):
        self.words = list(words)
        self.delay = delay
        self.fail_after = fail_after

    async def stream(self, messages, *, context):
        for index, word in enumerate(self.words):
            if self.fail_after is not None and index == self.fail_after:
                raise LLMError("llm_unavailable", retryable=True)
            if self.delay:
                await asyncio.sleep(self.delay)
            yield Delta(word)
        yield Finish("stop", Usage(len(messages) * 10, len(self.words),
                                   len(messages) * 10 + len(self.words)))
