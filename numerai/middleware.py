import re
import time
import uuid

from numerai import metrics
from numerai.context import request_id_var

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def _client_request_id(value: str | None) -> str:
    if value and _VALID_REQUEST_ID.match(value):
        return value
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Accepts a sane `X-Request-ID` (or makes one), exposes it to logs, echoes it back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = _client_request_id(request.headers.get(REQUEST_ID_HEADER))
        token = request_id_var.set(request.request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response[REQUEST_ID_HEADER] = request.request_id
        return response


class MetricsMiddleware:
    """Counts requests by route pattern (never the raw path, which holds ids) and status."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = f"/{match.route}" if match and match.route else "unmatched"
        metrics.http_latency.labels(request.method, route).observe(time.perf_counter() - started)
        metrics.http_requests.labels(request.method, route, str(response.status_code)).inc()
        return response


class RateLimitHeadersMiddleware:
    """Adds the `X-RateLimit-*` headers recorded by the view's throttles (numerai.throttling)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        state = getattr(request, "rate_limit", None)
        if state is not None:
            response["X-RateLimit-Limit"] = str(state.limit)
            response["X-RateLimit-Remaining"] = str(state.remaining)
            response["X-RateLimit-Reset"] = str(state.reset)
        return response


# HTML pages without a policy of their own (admin, Django's error pages, the Swagger UI, whose
# files and init script are served from here: numerai/urls.py) get this one.
DEFAULT_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)


class ContentSecurityPolicyMiddleware:
    """Every HTML response carries a Content-Security-Policy; a view's own policy (the web
    client's) is kept."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" in response or not response.get(
            "Content-Type", ""
        ).startswith("text/html"):
            return response
        response["Content-Security-Policy"] = DEFAULT_CSP
        return response
