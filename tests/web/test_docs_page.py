"""The Swagger UI at /api/v1/docs in a real browser: every file from this server (no CDN),
nothing refused by its Content-Security-Policy, the API's operations listed."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.web.conftest import screenshot

pytestmark = pytest.mark.timeout(120)

SIDECAR = "/static/drf_spectacular_sidecar/swagger-ui-dist/"


def test_the_docs_page_runs_from_this_server_alone(server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    requested: list[str] = []
    problems: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("console", lambda message: problems.append(f"console: {message.text}")
            if message.type == "error" else None)
    try:
        page.goto(server.base + "/api/v1/docs")
        operations = page.locator(".opblock")
        expect(operations.first).to_be_visible(timeout=30_000)
        assert operations.count() >= 30
        expect(page.locator(".opblock-summary-path",
                            has_text="/api/v1/notifications/devices/{device_id}")).to_have_count(1)
        screenshot(page, "docs")
    finally:
        context.close()
    assert not [url for url in requested if not url.startswith(server.base + "/")], requested
    for name in ("swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css",
                 "favicon-32x32.png"):
        assert server.base + SIDECAR + name in requested, name
    assert server.base + "/api/v1/docs?script=" in requested  # the init script, not inline
    assert not problems, problems
