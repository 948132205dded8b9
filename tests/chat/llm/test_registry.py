"""`get_chat_model()`: the backend named by the settings, built lazily, once per process."""

from __future__ import annotations

import pytest

from chat.llm import ChatModel, get_chat_model, reset_chat_model
from chat.llm.offline import OfflineChatModel
from chat.llm.openai import OpenAIChatModel

django_settings = pytest.importorskip("django.conf").settings
pytestmark = pytest.mark.skipif(
    not django_settings.configured, reason="needs Django settings (run with pytest-django)"
)


@pytest.fixture(autouse=True)
def _fresh_model():
    reset_chat_model()
    yield
    reset_chat_model()


def test_builds_the_configured_backend_once():
    from django.test import override_settings

    with override_settings(
        CHAT_MODEL_BACKEND="chat.llm.offline.OfflineChatModel",
        CHAT_MODEL_OPTIONS={"words_per_second": 7},
    ):
        model = get_chat_model()

        assert isinstance(model, OfflineChatModel)
        assert isinstance(model, ChatModel)
        assert model.words_per_second == 7
        assert get_chat_model() is model


def test_changing_the_settings_rebuilds_the_model():
    from django.test import override_settings

    offline = get_chat_model()
    with override_settings(
        CHAT_MODEL_BACKEND="chat.llm.openai.OpenAIChatModel",
        CHAT_MODEL_OPTIONS={
            "api_key": "sk-test",
            "base_url": "http://127.0.0.1:9/v1",
            "model": "gpt-test",
            "timeout": 3,
        },
    ):
        model = get_chat_model()

        assert isinstance(model, OpenAIChatModel)
        assert model.name == "gpt-test"
        assert (model.base_url, model.timeout) == ("http://127.0.0.1:9/v1", 3.0)
    assert get_chat_model() is not model
    assert type(get_chat_model()) is type(offline)
