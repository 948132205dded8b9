"""Serves the single page of the web client (its assets are static files under /static/web/)."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_safe


def content_security_policy(host: str) -> str:
    """No inline script or style, nothing from another origin; the socket only to this host."""
    return "; ".join(
        [
            "default-src 'self'",
            f"connect-src 'self' ws://{host} wss://{host}",
            "img-src 'self' data:",
            "style-src 'self'",
            "script-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


@require_safe
def index(request):
    response = render(request, "web/index.html")
    response["Content-Security-Policy"] = content_security_policy(request.get_host())
    response["Cache-Control"] = "no-cache"
    return response
