"""Prometheus metrics of the process (scraped at /metrics)."""

import gc
import time

from prometheus_client import Counter, Gauge, Histogram

http_requests = Counter(
    "numerai_http_requests_total", "HTTP requests", ["method", "route", "status"]
)
http_latency = Histogram(
    "numerai_http_request_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
open_sockets = Gauge("numerai_open_sockets", "Open authenticated WebSockets")
chat_messages = Counter("numerai_chat_messages_total", "Chat messages stored", ["role"])
readings_generated = Counter("numerai_readings_generated_total", "Daily readings generated")
llm_tokens = Counter("numerai_llm_tokens_total", "LLM tokens used", ["kind"])
gc_pause = Histogram(
    "numerai_gc_pause_seconds",
    "Garbage collections of generations 1 and 2: the whole process (its event loop too) stops",
    ["generation"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
_gc_pause_by_generation = {1: gc_pause.labels("1"), 2: gc_pause.labels("2")}
_gc_started = 0.0


def _gc_time(phase: str, info: dict) -> None:
    global _gc_started
    if info["generation"] == 0:  # the frequent young collections: too short to matter
        return
    if phase == "start":
        _gc_started = time.perf_counter()
    else:
        _gc_pause_by_generation[info["generation"]].observe(time.perf_counter() - _gc_started)


def gc_pauses_observe() -> None:
    """Times this process's older-generation collections into `gc_pause` (servers call it)."""
    if _gc_time not in gc.callbacks:
        gc.callbacks.append(_gc_time)
