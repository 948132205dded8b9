"""Rate limits, the error envelope, code delivery (email file backend, console SMS), admin,
and the OpenAPI description of the accounts endpoints."""

from __future__ import annotations

import logging

import pytest
from django.core import mail
from django.test import Client, override_settings

from accounts import services, sms
from accounts.models import User
from accounts.sms import ConsoleSMSBackend, get_sms_backend, mask_phone
from tests.accounts.helpers import CODE_RE, assert_error, data
from tests.factories import DEFAULT_PASSWORD, UserFactory

REGISTER = "/api/v1/auth/register"
RESET = "/api/v1/auth/password/reset"
CHANGE = "/api/v1/auth/password/change"


# --- rate limits ------------------------------------------------------------------------------
def test_auth_endpoints_are_limited_per_ip_with_headers(api):
    for i in range(10):
        response = api.post(RESET, {"email": f"x{i}@example.com"})
        assert response.status_code == 200
        assert response["X-RateLimit-Limit"] == "10"
        assert response["X-RateLimit-Remaining"] == str(9 - i)
    response = api.post(RESET, {"email": "x@example.com"})
    assert_error(response, 429, "RATE_LIMITED")
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response["X-RateLimit-Remaining"] == "0"
    # The limit is shared by every auth endpoint...
    assert_error(api.post(REGISTER, {}), 429, "RATE_LIMITED")
    # ...and is per client address.
    other = api.post(RESET, {"email": "x@example.com"}, REMOTE_ADDR="10.1.2.3")
    assert other.status_code == 200


def test_premium_users_get_the_premium_auth_rate(api):
    for is_premium, limit in ((False, "10"), (True, "20")):
        user = UserFactory(is_premium=is_premium)
        pair = services.session_create(user=user)
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {pair.access_token}")
        response = api.post(CHANGE, {"old_password": "wrong-one-1", "new_password": "x"})
        assert response.status_code == 400
        assert response["X-RateLimit-Limit"] == limit


def test_rates_follow_settings(api, settings):
    settings.RATES = {**settings.RATES, "auth": "2/min"}
    api.post(RESET, {"email": "a@example.com"})
    api.post(RESET, {"email": "a@example.com"})
    assert_error(api.post(RESET, {"email": "a@example.com"}), 429, "RATE_LIMITED")


# --- envelope ---------------------------------------------------------------------------------
def test_success_and_error_envelopes(api):
    response = api.post(RESET, {"email": "a@example.com"}, HTTP_X_REQUEST_ID="req-123")
    body = response.json()
    assert body["success"] is True and "data" in body and body["meta"]["request_id"] == "req-123"
    response = api.post(RESET, {"email": "not-an-email"}, HTTP_X_REQUEST_ID="req-456")
    error = assert_error(response, 400, "VALIDATION_ERROR", "email")
    assert error["message"].startswith("email:")
    assert response.json()["meta"]["request_id"] == "req-456"


def test_unparseable_json_is_a_clean_400(api):
    response = api.post(REGISTER, "{not json", content_type="application/json")
    assert_error(response, 400, "PARSE_ERROR")


# --- delivery ---------------------------------------------------------------------------------
def test_codes_go_through_the_file_email_backend(api, tmp_path):
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(tmp_path),
    ):
        body = {"email": "file@example.com", "password": "Sturdy-Lantern-42", "full_name": "F F"}
        data(api.post(REGISTER, body), 201)
    files = list(tmp_path.iterdir())
    assert len(files) == 1
    content = files[0].read_text()
    assert "To: file@example.com" in content
    code = CODE_RE.search(content.split("\n\n", 1)[1]).group(1)
    assert data(api.post("/api/v1/auth/verify-otp", {"email": "file@example.com", "code": code}))


def test_delivery_failure_does_not_fail_the_request(api, caplog):
    with override_settings(EMAIL_BACKEND="tests.accounts.test_throttling_delivery_admin.Broken"):
        body = {"email": "b@example.com", "password": "Sturdy-Lantern-42", "full_name": "B B"}
        data(api.post(REGISTER, body), 201)
    assert User.objects.filter(email="b@example.com").exists()
    assert "delivery failed" in caplog.text


class Broken:
    def __init__(self, *args, **kwargs):
        raise ConnectionError("SMTP server unreachable")


def test_console_sms_logs_the_code_with_a_masked_number(caplog, settings):
    settings.SMS_BACKEND = "accounts.sms.ConsoleSMSBackend"
    backend = get_sms_backend()
    assert isinstance(backend, ConsoleSMSBackend)
    with caplog.at_level(logging.INFO, logger="accounts.sms"):
        backend.send(to="+15555550123", body="Your code is 123456.")
    assert "+*******0123" in caplog.text and "123456" in caplog.text
    assert "5555550123" not in caplog.text


def test_mask_phone():
    assert mask_phone("+14155552671") == "+*******2671"
    assert mask_phone("123") == "***"


def test_the_sms_backend_follows_the_setting(settings):
    settings.SMS_BACKEND = "accounts.sms.LocmemSMSBackend"
    get_sms_backend().send(to="+14155552671", body="hi")
    assert sms.outbox[-1].body == "hi"


def test_codes_and_passwords_are_not_logged(api, caplog):
    with caplog.at_level(logging.DEBUG):
        body = {"email": "log@example.com", "password": "Sturdy-Lantern-42", "full_name": "L L"}
        data(api.post(REGISTER, body), 201)
        code = CODE_RE.search(mail.outbox[-1].body).group(1)
        login = data(
            api.post(
                "/api/v1/auth/login", {"email": "log@example.com", "password": "Sturdy-Lantern-42"}
            )
        )
    assert code not in caplog.text
    assert "Sturdy-Lantern-42" not in caplog.text
    assert login["access_token"] not in caplog.text
    assert login["refresh_token"] not in caplog.text


# --- admin ------------------------------------------------------------------------------------
@pytest.fixture
def admin_browser(db):
    admin = User.objects.create_superuser("root@example.com", DEFAULT_PASSWORD)
    browser = Client()
    browser.force_login(admin)
    return browser


def test_admin_search_by_email_and_phone(admin_browser):
    UserFactory(email="findme@example.com", phone="+14155552671")
    UserFactory(email="other@example.com")
    page = admin_browser.get("/admin/accounts/user/", {"q": "findme"})
    assert page.status_code == 200
    assert b"findme@example.com" in page.content and b"other@example.com" not in page.content
    page = admin_browser.get("/admin/accounts/user/", {"q": "+14155552671"})
    assert b"findme@example.com" in page.content and b"other@example.com" not in page.content


def test_admin_premium_actions(admin_browser):
    free, premium = UserFactory(), UserFactory(is_premium=True)
    url = "/admin/accounts/user/"
    admin_browser.post(url, {"action": "toggle_premium", "_selected_action": [free.pk, premium.pk]})
    free.refresh_from_db()
    premium.refresh_from_db()
    assert free.is_premium is True and premium.is_premium is False
    admin_browser.post(url, {"action": "revoke_premium", "_selected_action": [free.pk]})
    free.refresh_from_db()
    assert free.is_premium is False
    admin_browser.post(url, {"action": "grant_premium", "_selected_action": [premium.pk]})
    premium.refresh_from_db()
    assert premium.is_premium is True


def test_admin_pages_render(admin_browser):
    user = UserFactory()
    assert admin_browser.get(f"/admin/accounts/user/{user.pk}/change/").status_code == 200
    assert admin_browser.get("/admin/accounts/user/add/").status_code == 200
    assert admin_browser.get("/admin/accounts/refreshtoken/").status_code == 200
    assert admin_browser.get("/admin/accounts/onetimecode/").status_code == 200


# --- OpenAPI ----------------------------------------------------------------------------------
def test_schema_documents_every_accounts_endpoint(db):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = schema["paths"]
    for path, method in [
        ("/api/v1/auth/register", "post"),
        ("/api/v1/auth/verify-otp", "post"),
        ("/api/v1/auth/resend-otp", "post"),
        ("/api/v1/auth/login", "post"),
        ("/api/v1/auth/refresh-token", "post"),
        ("/api/v1/auth/logout", "post"),
        ("/api/v1/auth/password/change", "post"),
        ("/api/v1/auth/password/reset", "post"),
        ("/api/v1/auth/password/reset/confirm", "post"),
        ("/api/v1/users/profile", "get"),
        ("/api/v1/users/profile", "put"),
        ("/api/v1/users/profile", "patch"),
        ("/api/v1/users/me", "delete"),
    ]:
        operation = paths[path][method]
        assert any(code.startswith("2") for code in operation["responses"]), path
        if method in {"post", "put", "patch"}:
            assert "requestBody" in operation, path
    login = paths["/api/v1/auth/login"]["post"]["responses"]["200"]
    data_schema = login["content"]["application/json"]["schema"]["properties"]["data"]
    assert data_schema == {"$ref": "#/components/schemas/TokenPair"}
    assert "bearerAuth" in schema["components"]["securitySchemes"]
