"""Prometheus metrics of the process (scraped at /metrics)."""

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
