"""Subscribers to newly created daily readings.

Readings must not import the layers that deliver them (realtime's live ``reading.daily`` event,
the FCM push), so those layers subscribe here, typically from their ``AppConfig.ready()``::

    from readings import hooks

    def deliver(*, reading_ids: list[uuid.UUID]) -> None: ...

    hooks.on_daily_readings_created(deliver)

Every created reading (by the schedule, the management command or a first request of the day)
is handed to the subscribers exactly once, in a ``reading_ids`` list, after the transaction that
created it commits: `daily_readings_created_on_commit` is what the services call. Turn the ids
into payloads with ``readings.selectors.daily_reading_list_by_ids`` and
``readings.selectors.daily_reading_payload``. A failing subscriber is logged and does not stop
the others (nor undo the readings).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from functools import partial

from django.db import transaction

logger = logging.getLogger(__name__)

DailyReadingsCallback = Callable[..., None]

_subscribers: list[DailyReadingsCallback] = []


def on_daily_readings_created(callback: DailyReadingsCallback) -> DailyReadingsCallback:
    """Subscribe ``callback(*, reading_ids)``; subscribing twice is a no-op. Usable as decorator."""
    if callback not in _subscribers:
        _subscribers.append(callback)
    return callback


def off_daily_readings_created(callback: DailyReadingsCallback) -> None:
    """Unsubscribe ``callback`` (no error when it was not subscribed)."""
    if callback in _subscribers:
        _subscribers.remove(callback)


def daily_readings_subscribers() -> tuple[DailyReadingsCallback, ...]:
    """The current subscribers, in subscription order."""
    return tuple(_subscribers)


def daily_readings_created(*, reading_ids: Iterable[uuid.UUID]) -> None:
    """Hand freshly created (and committed) readings to every subscriber."""
    ids = list(reading_ids)
    if not ids:
        return
    for callback in list(_subscribers):
        try:
            callback(reading_ids=list(ids))
        except Exception:
            logger.exception(
                "daily reading subscriber %s failed",
                getattr(callback, "__qualname__", callback),
                extra={"readings": len(ids)},
            )


# The name the delivery issues refer to.
daily_reading_created = daily_readings_created


def daily_readings_created_on_commit(*, reading_ids: Iterable[uuid.UUID]) -> None:
    """Call `daily_readings_created` once the current transaction commits (now if none)."""
    ids = list(reading_ids)
    if ids:
        transaction.on_commit(partial(daily_readings_created, reading_ids=ids))
