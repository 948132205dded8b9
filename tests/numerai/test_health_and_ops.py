"""Health (200 / 503 naming the failed part), metrics, schema and docs."""

import gc
import os
import re
import subprocess
import sys
import time

import pytest

from tests.conftest import is_scaled

pytestmark = pytest.mark.django_db

DEAD_REDIS = "redis://127.0.0.1:1/0"


@pytest.mark.embedded
def test_health_is_healthy(api_client):
    """Embedded default: every part is in-process; scaled health is tested with a worker."""
    response = api_client.get("/api/v1/health")
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert data["status"] == "healthy"
    assert {"database", "cache", "channel_layer", "broker", "worker"} <= set(data["checks"])
    assert all(check["status"] == "up" for check in data["checks"].values())


def test_health_503_when_the_cache_is_down(api_client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": DEAD_REDIS,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        }
    }
    response = api_client.get("/api/v1/health")
    assert response.status_code == 503
    body = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == "DEGRADED"
    checks = body["error"]["details"]["checks"]
    assert checks["cache"]["status"] == "down"
    assert checks["database"]["status"] == "up"
    assert "cache" in body["error"]["message"]


def test_health_503_when_the_channel_layer_is_down(api_client, settings):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": DEAD_REDIS, "socket_connect_timeout": 0.5}]},
        }
    }
    response = api_client.get("/api/v1/health")
    assert response.status_code == 503
    assert response.json()["error"]["details"]["checks"]["channel_layer"]["status"] == "down"


def test_health_503_when_the_database_is_down(api_client, monkeypatch):
    from django.db import connection

    def refuse(*args, **kwargs):
        raise connection.Database.OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = api_client.get("/api/v1/health")
    assert response.status_code == 503
    assert response.json()["error"]["details"]["checks"]["database"]["status"] == "down"


@pytest.mark.scaled
def test_health_scaled_reports_broker_and_worker(api_client, settings):
    """No worker → 503 naming the worker; a real Celery worker started → 200."""
    response = api_client.get("/api/v1/health")
    assert response.status_code == 503
    assert response.json()["error"]["details"]["checks"]["worker"]["status"] == "down"

    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "numerai", "worker", "--pool", "solo",
         "--loglevel", "WARNING", "--hostname", f"health-test-{os.getpid()}@%h"],
        env={**os.environ},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            response = api_client.get("/api/v1/health")
            if response.status_code == 200 or time.monotonic() > deadline:
                break
            time.sleep(1)
        assert response.status_code == 200, response.content
        assert response.json()["data"]["mode"] == "scaled"
    finally:
        worker.terminate()
        worker.wait(timeout=30)


@pytest.mark.scaled
def test_health_503_when_the_broker_is_down(api_client, settings):
    from numerai.celery import app

    original = app.conf.broker_url
    app.conf.broker_url = DEAD_REDIS
    try:
        response = api_client.get("/api/v1/health")
    finally:
        app.conf.broker_url = original
    assert response.status_code == 503
    checks = response.json()["error"]["details"]["checks"]
    assert checks["broker"]["status"] == "down"
    assert checks["worker"]["status"] == "down"


def test_mode_is_reported(api_client):
    response = api_client.get("/api/v1/health")
    data = response.json().get("data") or response.json()["error"]["details"]
    assert data["mode"] == ("scaled" if is_scaled() else "embedded")


def test_metrics_exposes_prometheus_counters(client, api_client):
    api_client.get("/api/v1/health")
    response = client.get("/metrics")
    assert response.status_code == 200
    text = response.content.decode()
    assert 'numerai_http_requests_total{method="GET",route="/api/v1/health"' in text
    for name in ("numerai_http_request_seconds", "numerai_open_sockets",
                 "numerai_chat_messages_total", "numerai_readings_generated_total",
                 "numerai_llm_tokens_total"):
        assert name in text


def _gc_pauses(client, generation: str) -> int:
    text = client.get("/metrics").content.decode()
    found = re.search(rf'numerai_gc_pause_seconds_count{{generation="{generation}"}} (\S+)', text)
    return int(float(found.group(1))) if found else 0


def test_metrics_time_the_garbage_collectors_full_collections(client):
    from asgi import application  # noqa: F401  (a server process: it starts the timing)

    before = _gc_pauses(client, "2")
    gc.collect()
    assert _gc_pauses(client, "2") >= before + 1


def test_openapi_schema_and_docs(api_client, client):
    response = client.get("/api/v1/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/health" in schema["paths"]
    assert "ErrorEnvelope" in schema["components"]["schemas"]
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()


def test_the_docs_page_loads_nothing_from_a_cdn_and_runs_no_inline_script(client):
    """Swagger UI comes from drf-spectacular-sidecar's static files (a pinned version), and
    its init script from `docs?script=`, so the page runs under the default strict CSP."""
    from numerai.middleware import DEFAULT_CSP

    docs = client.get("/api/v1/docs")
    html = docs.content.decode()
    assert docs["Content-Security-Policy"] == DEFAULT_CSP
    assert "script-src 'self';" in DEFAULT_CSP
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "cdn" not in html.lower()
    scripts = re.findall(r"<script\b([^>]*)>", html)
    assert len(scripts) == 3 and all("src=" in attrs for attrs in scripts)
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert {a for a in assets if a.startswith("/static/")} == {
        f"/static/drf_spectacular_sidecar/swagger-ui-dist/{name}"
        for name in ("favicon-32x32.png", "swagger-ui.css", "swagger-ui-bundle.js",
                     "swagger-ui-standalone-preset.js")
    }
    for asset in assets:
        response = client.get(asset.replace("&amp;", "&"))
        assert response.status_code == 200, asset
    script = client.get("/api/v1/docs?script=")
    assert script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in script.content and b'"validatorUrl": null' in script.content
