"""The envelope of DESIGN.md on every kind of response, request ids, throttling headers."""

import json
import logging
import re
from pathlib import Path

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.numerai.urls")]


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert set(body["meta"]) == {"timestamp", "request_id"}
    return body


def test_success_envelope(api_client):
    response = api_client.post("/api/v1/test/echo", {"name": "Ann", "age": 3}, format="json")
    body = response.json()
    assert response.status_code == 200
    assert body["success"] is True
    assert body["data"] == {"name": "Ann", "age": 3}
    assert body["meta"]["request_id"] == response["X-Request-ID"]
    assert body["meta"]["timestamp"].endswith("Z")


def test_validation_error_names_the_fields(api_client):
    response = api_client.post("/api/v1/test/echo", {"name": "Too long", "age": -1}, format="json")
    body = assert_error(response, 400, "VALIDATION_ERROR")
    assert set(body["error"]["details"]) == {"name", "age"}
    assert body["error"]["message"].startswith("name:")


def test_malformed_json_is_a_400(api_client):
    response = api_client.generic(
        "POST", "/api/v1/test/echo", "{not json", content_type="application/json"
    )
    assert_error(response, 400, "PARSE_ERROR")


def test_a_body_over_the_limit_is_a_413(api_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    body = json.dumps({"name": "x" * 200})
    response = api_client.generic("POST", "/api/v1/test/echo", body,
                                  content_type="application/json")  # fmt: skip
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")


def test_a_body_that_is_not_json_is_a_415(api_client):
    response = api_client.generic("POST", "/api/v1/test/echo", "<name/>",
                                  content_type="application/xml")  # fmt: skip
    assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")


def test_docs_list_every_documented_error_status():
    """docs/api.md's error table names every error status the OpenAPI schema documents."""
    from numerai.schema import ERROR_STATUSES

    text = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text()
    table = set(re.findall(r"^\| (\d{3}) \|", text, flags=re.MULTILINE))
    assert ERROR_STATUSES <= table, ERROR_STATUSES - table
    assert "| 413 | `PAYLOAD_TOO_LARGE` |" in text


def test_unknown_api_url_is_a_404_envelope(api_client):
    assert_error(api_client.get("/api/v1/no/such/thing"), 404, "NOT_FOUND")


def test_wrong_method_is_a_405_envelope(api_client):
    assert_error(api_client.delete("/api/v1/health"), 405, "METHOD_NOT_ALLOWED")


def test_domain_error_keeps_its_code(api_client):
    assert_error(api_client.get("/api/v1/test/conflict"), 409, "PROFILE_INCOMPLETE")


def test_unhandled_exception_is_a_500_envelope_without_traceback(api_client, caplog):
    with caplog.at_level(logging.ERROR):
        response = api_client.get("/api/v1/test/boom", HTTP_X_REQUEST_ID="boom-1")
    body = assert_error(response, 500, "INTERNAL_ERROR")
    assert "secret internal detail" not in response.content.decode()
    assert "Traceback" not in response.content.decode()
    assert body["meta"]["request_id"] == "boom-1"
    # The log line of the failure carries the request id.
    assert any(getattr(r, "request_id", None) == "boom-1" for r in caplog.records)


def test_request_id_is_echoed_or_generated(api_client):
    given = api_client.get("/api/v1/health", HTTP_X_REQUEST_ID="abc-123")
    assert given["X-Request-ID"] == "abc-123"
    made = api_client.get("/api/v1/health")
    assert len(made["X-Request-ID"]) == 32
    hostile = api_client.get("/api/v1/health", HTTP_X_REQUEST_ID="bad id\nwith newline")
    assert hostile["X-Request-ID"] != "bad id\nwith newline"


def test_throttling_429_with_retry_after_and_ratelimit_headers(api_client, settings):
    settings.RATES = {**settings.RATES, "auth": "3/min"}
    remaining = []
    for _ in range(3):
        response = api_client.get("/api/v1/test/limited")
        assert response.status_code == 200
        assert response["X-RateLimit-Limit"] == "3"
        remaining.append(int(response["X-RateLimit-Remaining"]))
    assert remaining == [2, 1, 0]
    response = api_client.get("/api/v1/test/limited")
    assert_error(response, 429, "RATE_LIMITED")
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response["X-RateLimit-Remaining"] == "0"
    assert int(response["X-RateLimit-Reset"]) <= 60


def test_a_zero_limit_refuses_with_the_whole_window_to_wait(api_client, settings):
    settings.RATES = {**settings.RATES, "auth": "0/min"}
    response = api_client.get("/api/v1/test/limited")
    assert_error(response, 429, "RATE_LIMITED")
    assert response["Retry-After"] == "60"


def test_json_log_lines_carry_request_id(api_client):
    """The configured LOGGING writes JSON lines with timestamp, level, logger and request_id."""
    import io
    import logging.config

    from django.conf import settings

    stream = io.StringIO()
    config = {**settings.LOGGING, "handlers": {
        "console": {**settings.LOGGING["handlers"]["console"], "stream": stream}}}
    logging.config.dictConfig(config)
    try:
        api_client.get("/api/v1/test/boom", HTTP_X_REQUEST_ID="line-42")
    finally:
        logging.config.dictConfig(settings.LOGGING)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    failure = next(line for line in lines if line["logger"] == "django.request")
    assert failure["request_id"] == "line-42"
    assert failure["level"] == "ERROR"
    assert {"timestamp", "level", "logger", "message", "user_id"} <= set(failure)
