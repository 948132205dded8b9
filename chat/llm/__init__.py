"""Chat models behind one small interface (see `chat.llm.base`).

`get_chat_model()` builds the configured backend once per process, lazily, from
`settings.CHAT_MODEL_BACKEND` (a dotted path) and `settings.CHAT_MODEL_OPTIONS` (its keyword
arguments). Nothing here imports Django or an SDK until it is called.
"""

from __future__ import annotations

import threading
from typing import Any

from chat.llm.base import ChatMessage, ChatModel, Delta, Finish, GuideContext, LLMError, Usage

__all__ = [
    "ChatMessage",
    "ChatModel",
    "Delta",
    "Finish",
    "GuideContext",
    "LLMError",
    "Usage",
    "get_chat_model",
    "reset_chat_model",
]

DEFAULT_BACKEND = "chat.llm.offline.OfflineChatModel"
_SETTINGS = frozenset({"CHAT_MODEL_BACKEND", "CHAT_MODEL_OPTIONS"})

_lock = threading.Lock()
_model: ChatModel | None = None


def get_chat_model() -> ChatModel:
    """The process's chat model, built on first use from the Django settings."""
    global _model
    model = _model
    if model is not None:
        return model
    with _lock:
        if _model is None:
            _model = _build()
        return _model


def reset_chat_model() -> None:
    """Forget the built model so the next `get_chat_model()` reads the settings again."""
    global _model
    with _lock:
        _model = None


def _build() -> ChatModel:
    from django.conf import settings
    from django.core.signals import setting_changed
    from django.utils.module_loading import import_string

    setting_changed.connect(_on_setting_changed, dispatch_uid="chat.llm.reset_chat_model")
    backend = getattr(settings, "CHAT_MODEL_BACKEND", None) or DEFAULT_BACKEND
    options: dict[str, Any] = dict(getattr(settings, "CHAT_MODEL_OPTIONS", None) or {})
    return import_string(backend)(**options)


def _on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in _SETTINGS:
        reset_chat_model()
