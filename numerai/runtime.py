"""Process runtime for the embedded default: the server's event loop and the in-process beat.

Only one process shares the in-memory channel layer, so everything that talks to it (scheduled
tasks included) must do so on the server's own loop; `server_loop()` tells other threads which.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from django.conf import settings

logger = logging.getLogger(__name__)

_server_loop: asyncio.AbstractEventLoop | None = None


def set_server_loop(loop: asyncio.AbstractEventLoop) -> None:
    global _server_loop
    _server_loop = loop


def server_loop() -> asyncio.AbstractEventLoop | None:
    return _server_loop


def _interval_seconds(schedule) -> float:
    if isinstance(schedule, timedelta):
        return schedule.total_seconds()
    if isinstance(schedule, int | float):
        return float(schedule)
    return schedule.run_every.total_seconds()  # celery.schedules.schedule


async def run_beat_schedule(*, first_delay_s: float = 5.0) -> None:
    """Runs every entry of CELERY_BEAT_SCHEDULE at its interval, each task in a worker thread."""
    from numerai.celery import app as celery_app

    celery_app.loader.import_default_modules()
    loop = asyncio.get_running_loop()
    due = {name: loop.time() + first_delay_s for name in settings.CELERY_BEAT_SCHEDULE}
    while True:
        now = loop.time()
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
            if now < due[name]:
                continue
            due[name] = now + _interval_seconds(entry["schedule"])
            task = celery_app.tasks.get(entry["task"])
            if task is None:
                logger.warning("beat entry %s names an unknown task %s", name, entry["task"])
                continue
            try:
                await asyncio.to_thread(
                    task.apply, args=entry.get("args", ()), kwargs=entry.get("kwargs", {})
                )
            except Exception:
                logger.exception("scheduled task %s failed", entry["task"])
        await asyncio.sleep(max(0.5, min(due.values()) - loop.time()))


class EmbeddedRuntime:
    """ASGI wrapper: records the server loop and, in the embedded default, runs the beat on it.

    Daphne has no lifespan protocol, so the scheduler starts with the first connection or
    request; servers that speak lifespan (uvicorn) start it at startup.
    """

    def __init__(self, app):
        self.app = app
        self._scheduler: asyncio.Task | None = None

    def _start(self) -> None:
        loop = asyncio.get_running_loop()
        if _server_loop is not loop:
            set_server_loop(loop)
        if self._scheduler is None and settings.EMBEDDED_SCHEDULER:
            logger.info(
                "embedded default: single process; in-memory channel layer and cache; "
                "Celery tasks and the beat schedule run in this process"
            )
            self._scheduler = asyncio.get_running_loop().create_task(run_beat_schedule())

    async def __call__(self, scope, receive, send):
        self._start()
        try:
            await self.app(scope, receive, send)
        finally:
            if scope["type"] == "lifespan" and self._scheduler is not None:
                self._scheduler.cancel()
