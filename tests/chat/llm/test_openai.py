"""The OpenAI adapter, through the real `openai` SDK, against a local streaming server."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from datetime import date

import pytest
import pytest_asyncio

from chat.llm.base import ChatModel, Delta, Finish, LLMError, Usage
from chat.llm.openai import OpenAIChatModel
from chat.prompts import ChatMessage, GuideContext
from tests.support.fake_openai import FakeOpenAIServer

pytestmark = pytest.mark.asyncio

CONTEXT = GuideContext(first_name="Ada", today=date(2025, 3, 14))
MESSAGES = [
    ChatMessage(role="system", content="You are a numerology guide."),
    ChatMessage(role="user", content="What is my life path?"),
]


@pytest_asyncio.fixture
async def make_model():
    """Build models against a server; their connections are closed after the test."""
    models: list[OpenAIChatModel] = []

    def build(server: FakeOpenAIServer | None = None, **overrides) -> OpenAIChatModel:
        options = {
            "api_key": "test-key",
            "base_url": server.base_url if server else None,
            "model": "fake-model",
            "timeout": 5.0,
            **overrides,
        }
        models.append(OpenAIChatModel(**options))
        return models[-1]

    yield build
    for model in models:
        await model.aclose()


async def run(model: ChatModel) -> tuple[list[str], Finish | None, LLMError | None]:
    """Consume a whole stream: (delta texts, the finish, the error)."""
    texts: list[str] = []
    finish: Finish | None = None
    try:
        async with contextlib.aclosing(model.stream(MESSAGES, context=CONTEXT)) as events:
            async for event in events:
                assert finish is None, "nothing may follow the Finish"
                if isinstance(event, Delta):
                    texts.append(event.text)
                else:
                    assert isinstance(event, Finish)
                    finish = event
    except LLMError as error:
        return texts, finish, error
    return texts, finish, None


async def test_streams_deltas_then_finish_with_the_server_usage(make_model):
    with FakeOpenAIServer(n_tokens=40) as srv:
        model = make_model(srv)
        texts, finish, error = await run(model)

    assert error is None
    assert isinstance(model, ChatModel)
    assert model.name == "fake-model"
    assert len(texts) == 40
    assert "".join(texts) == srv.text
    prompt_tokens = (len("You are a numerology guide.") + len("What is my life path?") + 3) // 4
    assert finish == Finish(
        finish_reason="stop",
        usage=Usage(
            prompt_tokens=prompt_tokens, completion_tokens=40, total_tokens=prompt_tokens + 40
        ),
    )
    [request] = srv.chat_requests
    assert request.body["stream"] is True
    assert request.body["stream_options"] == {"include_usage": True}
    assert request.body["model"] == "fake-model"
    assert request.body["messages"] == [
        {"role": "system", "content": "You are a numerology guide."},
        {"role": "user", "content": "What is my life path?"},
    ]
    assert request.headers["authorization"] == "Bearer test-key"


async def test_max_tokens_is_sent_and_a_cut_reply_finishes_with_length(make_model):
    with FakeOpenAIServer(n_tokens=40) as srv:
        texts, finish, error = await run(make_model(srv, max_tokens=5))

    assert error is None
    assert srv.chat_requests[0].body["max_tokens"] == 5
    assert len(texts) == 5
    assert finish is not None and finish.finish_reason == "length"
    assert finish.usage.completion_tokens == 5


async def test_usage_is_estimated_when_the_server_sends_none(make_model):
    with FakeOpenAIServer(n_tokens=12, send_usage=False) as srv:
        texts, finish, error = await run(make_model(srv))

    assert error is None
    assert "".join(texts) == srv.text
    prompt_tokens = sum((len(m.content) + 3) // 4 for m in MESSAGES)
    assert finish == Finish(
        finish_reason="stop",
        usage=Usage(
            prompt_tokens=prompt_tokens, completion_tokens=12, total_tokens=prompt_tokens + 12
        ),
    )


async def test_an_empty_api_key_still_reaches_a_local_server(make_model):
    with FakeOpenAIServer(n_tokens=3) as srv:
        texts, finish, error = await run(make_model(srv, api_key=""))

    assert error is None and finish is not None
    assert "".join(texts) == srv.text


async def test_a_stream_broken_mid_way_is_a_retryable_llm_error_and_is_not_retried(make_model):
    with FakeOpenAIServer(mode="fail_mid_stream", fail_after=3, n_tokens=20) as srv:
        texts, finish, error = await run(make_model(srv, max_retries_before_first_token=2))

    assert texts == srv.tokens[:3]
    assert finish is None
    assert error is not None
    assert (error.code, error.retryable) == ("llm_error", True)
    assert len(srv.chat_requests) == 1


async def test_a_stream_broken_before_the_first_token_is_retried(make_model):
    with FakeOpenAIServer(mode="fail_mid_stream", fail_after=0) as srv:
        texts, finish, error = await run(make_model(srv, max_retries_before_first_token=1))

    assert texts == [] and finish is None
    assert error is not None and (error.code, error.retryable) == ("llm_error", True)
    assert len(srv.chat_requests) == 2


async def test_a_500_before_the_first_token_is_retried(make_model):
    with FakeOpenAIServer(fail_first=1, fail_first_status=500, n_tokens=10) as srv:
        texts, finish, error = await run(make_model(srv))

    assert error is None
    assert "".join(texts) == srv.text
    assert finish is not None and finish.finish_reason == "stop"
    assert len(srv.chat_requests) == 2


async def test_retries_stop_after_the_configured_number(make_model):
    with FakeOpenAIServer(mode="error_status", status=503) as srv:
        texts, finish, error = await run(make_model(srv, max_retries_before_first_token=2))

    assert texts == [] and finish is None
    assert error is not None and (error.code, error.retryable) == ("llm_unavailable", True)
    assert len(srv.chat_requests) == 3


async def test_429_is_llm_unavailable(make_model):
    with FakeOpenAIServer(mode="error_status", status=429) as srv:
        _, _, error = await run(make_model(srv, max_retries_before_first_token=0))

    assert error is not None
    assert (error.code, error.retryable) == ("llm_unavailable", True)
    assert error.as_dict() == {
        "code": "llm_unavailable",
        "message": error.message,
        "retryable": True,
    }
    assert len(srv.chat_requests) == 1


async def test_429_asking_for_a_long_wait_is_not_retried(make_model):
    with FakeOpenAIServer(mode="error_status", status=429, retry_after=60) as srv:
        _, _, error = await run(make_model(srv, max_retries_before_first_token=2))

    assert error is not None and error.code == "llm_unavailable"
    assert len(srv.chat_requests) == 1


async def test_400_is_a_final_llm_error(make_model):
    with FakeOpenAIServer(mode="error_status", status=400) as srv:
        texts, finish, error = await run(make_model(srv, max_retries_before_first_token=2))

    assert texts == [] and finish is None
    assert error is not None
    assert (error.code, error.retryable) == ("llm_error", False)
    assert len(srv.chat_requests) == 1


@pytest.mark.parametrize("data", [
    "{this is not json",
    "[1, 2]",
    '{"choices": "abc"}',
    '{"choices": [{"delta": {"content": 5}}]}',
    '{"choices": [{"delta": "text"}]}',
], ids=["not-json", "a-list", "choices-not-a-list", "content-not-text", "delta-not-an-object"])
async def test_a_malformed_stream_is_an_llm_error(make_model, data):
    with FakeOpenAIServer(mode="malformed", fail_after=2, malformed_data=data) as srv:
        texts, finish, error = await run(make_model(srv))

    assert texts == srv.tokens[:2] and finish is None
    assert error is not None and error.code == "llm_error"
    assert len(srv.chat_requests) == 1


async def test_a_refused_connection_is_llm_unavailable(make_model):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    model = make_model(base_url=f"http://127.0.0.1:{port}/v1", max_retries_before_first_token=1)

    _, _, error = await run(model)

    assert error is not None
    assert (error.code, error.retryable) == ("llm_unavailable", True)


async def test_a_server_that_never_answers_times_out(make_model):
    with FakeOpenAIServer(mode="never_answers") as srv:
        started = time.monotonic()
        texts, finish, error = await run(make_model(srv, timeout=0.5))
        elapsed = time.monotonic() - started
        assert srv.wait_for_disconnect(timeout=5)

    assert texts == [] and finish is None
    assert error is not None
    assert (error.code, error.retryable) == ("llm_timeout", True)
    assert elapsed < 0.5 + 1.0
    assert len(srv.chat_requests) == 1


async def test_a_stream_that_stalls_mid_way_times_out(make_model):
    with FakeOpenAIServer(mode="stall", stall_after=2) as srv:
        texts, finish, error = await run(make_model(srv, timeout=0.5))
        assert srv.wait_for_disconnect(timeout=5)

    assert texts == srv.tokens[:2] and finish is None
    assert error is not None
    assert (error.code, error.retryable) == ("llm_timeout", True)
    assert len(srv.chat_requests) == 1


async def test_closing_the_stream_disconnects_from_the_server(make_model):
    with FakeOpenAIServer(n_tokens=500, tokens_per_second=100) as srv:
        events = make_model(srv).stream(MESSAGES, context=CONTEXT)
        received = [await anext(events) for _ in range(3)]
        await events.aclose()

        assert await asyncio.to_thread(srv.wait_for_disconnect, 1, 5.0)
    assert [e.text for e in received] == srv.tokens[:3]


async def test_cancelling_the_consuming_task_disconnects_from_the_server(make_model):
    received: list[str] = []

    async def consume(model: OpenAIChatModel) -> None:
        async for event in model.stream(MESSAGES, context=CONTEXT):
            received.append(event.text)

    with FakeOpenAIServer(n_tokens=500, tokens_per_second=100) as srv:
        task = asyncio.create_task(consume(make_model(srv)))
        while len(received) < 2:
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

        assert await asyncio.to_thread(srv.wait_for_disconnect, 1, 5.0)
    assert 2 <= len(received) < 500


async def test_one_model_serves_concurrent_streams(make_model):
    with FakeOpenAIServer(n_tokens=30, tokens_per_second=300) as srv:
        model = make_model(srv)
        results = await asyncio.gather(*(run(model) for _ in range(5)))

    for texts, finish, error in results:
        assert error is None and finish is not None
        assert "".join(texts) == srv.text
    assert len(srv.chat_requests) == 5
