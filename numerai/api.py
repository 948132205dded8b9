"""The REST envelope: every /api/v1 response is `{"success", "data" | "error", "meta"}`."""

from __future__ import annotations

import logging
import math
from datetime import UTC, datetime

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser as DRFJSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import set_rollback

from numerai.context import request_id_var
from numerai.errors import DomainError, RateLimited

logger = logging.getLogger(__name__)


def utc_now_iso() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def meta() -> dict:
    return {"timestamp": utc_now_iso(), "request_id": request_id_var.get()}


def error_body(code: str, message: str, details=None) -> dict:
    return {"code": code, "message": message, "details": details}


def envelope_error(code: str, message: str, details=None) -> dict:
    return {"success": False, "error": error_body(code, message, details), "meta": meta()}


class EnvelopeRenderer(JSONRenderer):
    """Wraps view data in the success envelope and handler output in the error envelope."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if response is None:
            return super().render(data, accepted_media_type, renderer_context)
        if response.status_code >= 400:
            body = {"success": False, "error": data, "meta": meta()}
        else:
            body = {"success": True, "data": data, "meta": meta()}
            pagination = getattr(response, "pagination", None)
            if pagination is not None:
                body["pagination"] = pagination
        return super().render(body, accepted_media_type, renderer_context)


class JSONParser(DRFJSONParser):
    """DRF's parser, but JSON nested too deeply for the decoder is a 400, not a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from exc


def paginated(data, pagination: dict, status_code: int = 200) -> Response:
    response = Response(data, status=status_code)
    response.pagination = pagination
    return response


class PagePagination(PageNumberPagination):
    """`?page=&per_page=` (≤ 100) with totals in the envelope's `pagination`."""

    page_size = 20
    page_size_query_param = "per_page"
    max_page_size = 100

    def get_paginated_response(self, data):
        page = self.page
        return paginated(
            data,
            {
                "page": page.number,
                "per_page": page.paginator.per_page,
                "total": page.paginator.count,
                "total_pages": page.paginator.num_pages,
                "has_next": page.has_next(),
            },
        )

    def get_paginated_response_schema(self, schema):
        return schema


def _validation_details(detail):
    if isinstance(detail, dict):
        return {key: _validation_details(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_validation_details(item) for item in detail]
    return str(detail)


def _first_message(details) -> str:
    """A readable summary of the first field error, e.g. "email: Enter a valid email address."."""
    if isinstance(details, dict) and details:
        field, value = next(iter(details.items()))
        inner = _first_message(value)
        return inner if field == "non_field_errors" else f"{field}: {inner}"
    if isinstance(details, list) and details:
        return _first_message(details[0])
    return str(details) if details else "Invalid input."


def exception_handler(exc, context):
    """DRF exception handler producing the error envelope for every exception."""
    headers = {}
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    if isinstance(exc, RequestDataTooBig):
        # The body is over DATA_UPLOAD_MAX_MEMORY_SIZE (Django raises while DRF reads it).
        body = error_body("PAYLOAD_TOO_LARGE", "The request body is too large.")
        status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    elif isinstance(exc, SuspiciousOperation):
        logger.warning("suspicious request refused: %s", exc.__class__.__name__)
        body = error_body("BAD_REQUEST", "Bad request.")
        status_code = status.HTTP_400_BAD_REQUEST
    elif isinstance(exc, DomainError):
        body = error_body(exc.code, exc.message, exc.details)
        status_code = exc.status
        if isinstance(exc, RateLimited):
            headers["Retry-After"] = str(exc.retry_after)
    elif isinstance(exc, exceptions.ValidationError):
        details = _validation_details(exc.detail)
        if not isinstance(details, dict):
            details = {"non_field_errors": details if isinstance(details, list) else [details]}
        body = error_body("VALIDATION_ERROR", _first_message(details), details)
        status_code = exc.status_code
    elif isinstance(exc, exceptions.APIException):
        code = exc.get_codes()
        code = code if isinstance(code, str) else exc.default_code
        if isinstance(exc, exceptions.Throttled):
            code = "rate_limited"
            if exc.wait is not None:
                headers["Retry-After"] = str(max(1, math.ceil(exc.wait)))
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        body = error_body(str(code).upper(), str(exc.detail))
        status_code = exc.status_code
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            status_code = status.HTTP_401_UNAUTHORIZED
            headers.setdefault("WWW-Authenticate", 'Bearer realm="api"')
    else:
        logger.exception("Unhandled exception in %s", context.get("view").__class__.__name__)
        body = error_body("INTERNAL_ERROR", "An unexpected error occurred.")
        status_code = status.HTTP_500_INTERNAL_SERVER_ERROR

    set_rollback()
    return Response(body, status=status_code, headers=headers)


def _json_error(status_code: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(envelope_error(code, message), status=status_code)


@csrf_exempt  # an unknown /api/ URL is a 404 envelope for every method, never a CSRF page
def not_found(request, exception=None):
    return _json_error(404, "NOT_FOUND", "Not found.")


def server_error(request):
    return _json_error(500, "INTERNAL_ERROR", "An unexpected error occurred.")


def bad_request(request, exception=None):
    return _json_error(400, "BAD_REQUEST", "Bad request.")


def permission_denied(request, exception=None):
    return _json_error(403, "PERMISSION_DENIED", "You are not allowed to do this.")
