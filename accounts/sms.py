"""SMS delivery behind a small interface; the backend is the dotted path `settings.SMS_BACKEND`.

`ConsoleSMSBackend` (the embedded default) writes the message to the log: it is the one place a
one-time code is logged, with the phone number masked. `LocmemSMSBackend` keeps messages in
`accounts.sms.outbox` for tests. A provider backend (Twilio, …) implements `send`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SMSMessage:
    to: str
    body: str


outbox: list[SMSMessage] = []


def mask_phone(phone: str) -> str:
    """All but the last 4 digits hidden: "+15555550123" → "+*******0123"."""
    if len(phone) <= 4:
        return "*" * len(phone)
    prefix = "+" if phone.startswith("+") else ""
    hidden = len(phone) - len(prefix) - 4
    return f"{prefix}{'*' * hidden}{phone[-4:]}"


class BaseSMSBackend:
    def send(self, *, to: str, body: str) -> None:
        raise NotImplementedError


class ConsoleSMSBackend(BaseSMSBackend):
    def send(self, *, to: str, body: str) -> None:
        logger.info("SMS to %s: %s", mask_phone(to), body)


class LocmemSMSBackend(BaseSMSBackend):
    def send(self, *, to: str, body: str) -> None:
        outbox.append(SMSMessage(to=to, body=body))


@lru_cache(maxsize=8)
def _build(path: str) -> BaseSMSBackend:
    return import_string(path)()


def get_sms_backend() -> BaseSMSBackend:
    """The configured backend, built on first use (never at import time)."""
    return _build(settings.SMS_BACKEND)
