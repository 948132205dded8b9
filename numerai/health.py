"""Readiness of every dependency: database, cache, channel layer, broker and (scaled) a worker."""

from __future__ import annotations

import asyncio
import time
import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from numerai.celery import app as celery_app

CHECK_TIMEOUT_S = 2.0


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_cache() -> None:
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=5)
    if cache.get(key) != "1":
        raise RuntimeError("cache did not return the value written")
    cache.delete(key)


def _check_channel_layer() -> None:
    layer = get_channel_layer()

    async def roundtrip():
        # A channel of its own, not this process's shared one ("!" names): a receive cut
        # short by the timeout must not be the one holding the socket hub's messages.
        channel = f"health.{uuid.uuid4().hex}"
        await layer.send(channel, {"type": "health.ping"})
        message = await layer.receive(channel)
        if message.get("type") != "health.ping":
            raise RuntimeError("channel layer returned the wrong message")

    async def bounded():
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            await roundtrip()

    async_to_sync(bounded)()


def _check_broker() -> None:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=CHECK_TIMEOUT_S)


def _check_worker() -> None:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return
    if not celery_app.control.ping(timeout=1.0):
        raise RuntimeError("no Celery worker answered")


CHECKS = {
    "database": _check_database,
    "cache": _check_cache,
    "channel_layer": _check_channel_layer,
    "broker": _check_broker,
    "worker": _check_worker,
}


def health_check() -> tuple[bool, dict]:
    """Runs every check; returns (healthy, {name: {"status", "latency_ms", "error"?}})."""
    results = {}
    healthy = True
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            if name == "worker" and results["broker"]["status"] != "up":
                raise RuntimeError("broker unreachable")
            check()
        except Exception as exc:  # any failure of a dependency is reported, not raised
            healthy = False
            results[name] = {"status": "down", "error": f"{type(exc).__name__}: {exc}"[:300]}
        else:
            results[name] = {"status": "up"}
        results[name]["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
    mode = "scaled" if settings.SCALED else "embedded"
    return healthy, {"mode": mode, "checks": results}
