"""REST: POST/GET/DELETE notifications/devices, GET/PUT/PATCH notifications/settings."""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid

import pytest
from django.utils import timezone

from accounts import services
from accounts.models import Device, NotificationSettings
from tests.accounts.helpers import assert_error, data
from tests.factories import UserFactory

DEVICES = "/api/v1/notifications/devices"
SETTINGS = "/api/v1/notifications/settings"
TOKEN = "dGhpcyBpcyBhIHRva2Vu:APA91bHun4MxP5egoKMwt2KZFBaFUH-1RYqx"


def client_for(user):
    from tests.accounts.conftest import CommitAPIClient

    client = CommitAPIClient()
    pair = services.session_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair.access_token}")
    return client


@pytest.fixture(autouse=True)
def _generous_notifications_rate(settings):
    settings.RATES = {**settings.RATES, "notifications": "1000/min"}


# --- devices ----------------------------------------------------------------------------------
def test_register_a_device(auth_api, user):
    body = data(
        auth_api.post(DEVICES, {"token": TOKEN, "platform": "ios", "app_version": "2.3.1"}), 201
    )
    device = Device.objects.get(user=user)
    assert body == {
        "id": str(device.pk),
        "platform": "ios",
        "app_version": "2.3.1",
        "token_hint": "…" + TOKEN[-6:],
        "created_at": body["created_at"],
        "last_seen": body["last_seen"],
    }
    assert TOKEN not in json.dumps(body)
    assert (device.token, device.platform, device.app_version) == (TOKEN, "ios", "2.3.1")


def test_app_version_is_optional(auth_api, user):
    body = data(auth_api.post(DEVICES, {"token": TOKEN, "platform": "android"}), 201)
    assert body["app_version"] == ""


def test_registering_again_updates_the_same_device(auth_api, user):
    first = data(auth_api.post(DEVICES, {"token": TOKEN, "platform": "android"}), 201)
    second = data(
        auth_api.post(DEVICES, {"token": TOKEN, "platform": "android", "app_version": "3.0"}),
        201,
    )
    assert second["id"] == first["id"]
    assert second["app_version"] == "3.0"
    assert second["last_seen"] >= first["last_seen"]
    assert Device.objects.count() == 1


def test_a_token_registered_by_another_user_moves_to_the_caller(auth_api, user):
    other = UserFactory()
    data(client_for(other).post(DEVICES, {"token": TOKEN, "platform": "ios"}), 201)
    body = data(auth_api.post(DEVICES, {"token": TOKEN, "platform": "ios"}), 201)
    device = Device.objects.get(token=TOKEN)
    assert str(device.pk) == body["id"]
    assert device.user == user
    assert not Device.objects.filter(user=other).exists()


def test_at_most_20_devices_the_one_seen_longest_ago_is_dropped(auth_api, user):
    now = timezone.now()
    for i in range(20):
        Device.objects.create(
            user=user, token=f"old-token-{i:02d}-{'x' * 20}", platform="android",
            last_seen=now - dt.timedelta(days=30 - i),
        )  # fmt: skip
    data(auth_api.post(DEVICES, {"token": TOKEN, "platform": "web"}), 201)
    tokens = set(Device.objects.filter(user=user).values_list("token", flat=True))
    assert len(tokens) == 20
    assert TOKEN in tokens
    assert f"old-token-00-{'x' * 20}" not in tokens  # last seen 30 days ago
    assert f"old-token-01-{'x' * 20}" in tokens


def test_other_users_devices_do_not_count_toward_the_limit(auth_api, user):
    other = UserFactory()
    for i in range(25):
        Device.objects.create(user=other, token=f"other-{i:02d}-{'y' * 20}", platform="ios",
                              last_seen=timezone.now())  # fmt: skip
    data(auth_api.post(DEVICES, {"token": TOKEN, "platform": "ios"}), 201)
    assert Device.objects.filter(user=other).count() == 25


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"platform": "ios"}, "token"),
        ({"token": "", "platform": "ios"}, "token"),
        ({"token": "has spaces in it", "platform": "ios"}, "token"),
        ({"token": "x" * 513, "platform": "ios"}, "token"),
        ({"token": ["a"], "platform": "ios"}, "token"),
        ({"token": TOKEN}, "platform"),
        ({"token": TOKEN, "platform": "windows"}, "platform"),
        ({"token": TOKEN, "platform": "ios", "app_version": "v" * 33}, "app_version"),
    ],
)
def test_invalid_registrations_name_the_field(auth_api, body, field):
    assert_error(auth_api.post(DEVICES, body), 400, "VALIDATION_ERROR", field)
    assert not Device.objects.exists()


def test_list_my_devices_only(auth_api, user):
    data(auth_api.post(DEVICES, {"token": TOKEN, "platform": "ios"}), 201)
    Device.objects.create(user=UserFactory(), token="someone-elses-token-1234567890",
                          platform="web", last_seen=timezone.now())  # fmt: skip
    body = data(auth_api.get(DEVICES))
    assert [item["token_hint"] for item in body] == ["…" + TOKEN[-6:]]


def test_delete_by_id(auth_api, user):
    device_id = data(auth_api.post(DEVICES, {"token": TOKEN, "platform": "ios"}), 201)["id"]
    assert data(auth_api.delete(f"{DEVICES}/{device_id}")) == {"deleted": True}
    assert not Device.objects.exists()


def test_delete_with_the_token_in_the_body(auth_api, user):
    data(auth_api.post(DEVICES, {"token": TOKEN, "platform": "ios"}), 201)
    assert data(auth_api.delete(DEVICES, {"token": TOKEN})) == {"deleted": True}
    assert not Device.objects.exists()


def test_a_token_never_goes_in_the_path(auth_api, user):
    """Paths land in access logs: the path names a device by its id only."""
    device_id = data(auth_api.post(DEVICES, {"token": TOKEN, "platform": "ios"}), 201)["id"]
    assert_error(auth_api.delete(f"{DEVICES}/{TOKEN}"), 404, "NOT_FOUND")
    # and the body names a token, not an id
    assert_error(auth_api.delete(DEVICES, {"token": device_id}), 404, "NOT_FOUND")
    assert Device.objects.filter(pk=device_id).exists()


@pytest.mark.parametrize("body", [{}, {"token": ""}, {"token": ["a"]}, {"token": "x" * 513}])
def test_delete_by_token_needs_a_token(auth_api, user, body):
    data(auth_api.post(DEVICES, {"token": TOKEN, "platform": "ios"}), 201)
    assert_error(auth_api.delete(DEVICES, body), 400, "VALIDATION_ERROR", "token")
    assert Device.objects.exists()


def test_another_users_device_is_not_found(auth_api):
    theirs = Device.objects.create(user=UserFactory(), token=TOKEN, platform="ios",
                                   last_seen=timezone.now())  # fmt: skip
    assert_error(auth_api.delete(f"{DEVICES}/{theirs.pk}"), 404, "NOT_FOUND")
    assert_error(auth_api.delete(DEVICES, {"token": TOKEN}), 404, "NOT_FOUND")
    assert_error(auth_api.delete(f"{DEVICES}/{uuid.uuid4()}"), 404, "NOT_FOUND")
    assert_error(auth_api.delete(DEVICES, {"token": "no-such-token"}), 404, "NOT_FOUND")
    assert Device.objects.filter(pk=theirs.pk).exists()


def test_deleting_the_account_deletes_its_devices(auth_api, user):
    data(auth_api.post(DEVICES, {"token": TOKEN, "platform": "ios"}), 201)
    data(auth_api.delete("/api/v1/users/me", {"password": user.raw_password}))
    assert not Device.objects.exists()


def test_notifications_need_authentication(api):
    assert_error(api.post(DEVICES, {"token": TOKEN, "platform": "ios"}), 401, "NOT_AUTHENTICATED")
    assert_error(api.delete(f"{DEVICES}/{uuid.uuid4()}"), 401, "NOT_AUTHENTICATED")
    assert_error(api.delete(DEVICES, {"token": TOKEN}), 401, "NOT_AUTHENTICATED")
    assert_error(api.get(SETTINGS), 401, "NOT_AUTHENTICATED")
    assert_error(api.put(SETTINGS, {}), 401, "NOT_AUTHENTICATED")


def test_tokens_are_never_logged_in_full(auth_api, user, caplog):
    other = client_for(UserFactory())
    with caplog.at_level(logging.DEBUG):
        data(auth_api.post(DEVICES, {"token": TOKEN, "platform": "ios"}), 201)
        data(other.post(DEVICES, {"token": TOKEN, "platform": "ios"}), 201)  # moves
        data(other.delete(DEVICES, {"token": TOKEN}))
        assert_error(other.delete(DEVICES, {"token": TOKEN}), 404, "NOT_FOUND")  # logged
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "…" + TOKEN[-6:] in logged
    assert TOKEN not in logged
    assert TOKEN[:-6] not in logged


# --- settings ---------------------------------------------------------------------------------
DEFAULTS = {
    "daily_reading_enabled": True,
    "delivery_time": "07:00",
    "quiet_hours_start": None,
    "quiet_hours_end": None,
    "chat_reply_enabled": False,
}


def test_settings_default(auth_api, user):
    assert data(auth_api.get(SETTINGS)) == DEFAULTS
    assert not NotificationSettings.objects.exists()  # reading them stores nothing


def test_put_settings(auth_api, user):
    new = {
        "daily_reading_enabled": False,
        "delivery_time": "09:30",
        "quiet_hours_start": "22:00",
        "quiet_hours_end": "07:00",
        "chat_reply_enabled": True,
    }
    assert data(auth_api.put(SETTINGS, new)) == new
    assert data(auth_api.get(SETTINGS)) == new
    stored = NotificationSettings.objects.get(user=user)
    assert stored.delivery_time == dt.time(9, 30)
    assert (stored.quiet_hours_start, stored.quiet_hours_end) == (dt.time(22), dt.time(7))


def test_omitted_fields_are_kept_by_put_and_patch(auth_api, user):
    data(auth_api.put(SETTINGS, {"quiet_hours_start": "23:00", "quiet_hours_end": "06:30"}))
    body = data(auth_api.patch(SETTINGS, {"delivery_time": "06:15"}))
    assert body == {**DEFAULTS, "delivery_time": "06:15", "quiet_hours_start": "23:00",
                    "quiet_hours_end": "06:30"}  # fmt: skip
    body = data(auth_api.put(SETTINGS, {"quiet_hours_start": None, "quiet_hours_end": None}))
    assert body == {**DEFAULTS, "delivery_time": "06:15"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"delivery_time": "7:00"}, "delivery_time"),
        ({"delivery_time": "24:00"}, "delivery_time"),
        ({"delivery_time": "07:60"}, "delivery_time"),
        ({"delivery_time": "07:00:00"}, "delivery_time"),
        ({"delivery_time": 700}, "delivery_time"),
        ({"delivery_time": None}, "delivery_time"),
        ({"delivery_time": ""}, "delivery_time"),
        ({"quiet_hours_start": "25:00", "quiet_hours_end": "07:00"}, "quiet_hours_start"),
        ({"quiet_hours_start": "22:00", "quiet_hours_end": "7am"}, "quiet_hours_end"),
        ({"quiet_hours_start": "22:00"}, "quiet_hours_end"),
        ({"quiet_hours_end": "07:00"}, "quiet_hours_start"),
        ({"quiet_hours_start": "22:00", "quiet_hours_end": "22:00"}, "quiet_hours_end"),
        ({"daily_reading_enabled": "maybe"}, "daily_reading_enabled"),
        ({"daily_reading_enabled": None}, "daily_reading_enabled"),
        ({"chat_reply_enabled": []}, "chat_reply_enabled"),
    ],
)
def test_invalid_settings_are_a_400_naming_the_field(auth_api, user, body, field):
    assert_error(auth_api.put(SETTINGS, body), 400, "VALIDATION_ERROR", field)
    assert_error(auth_api.patch(SETTINGS, body), 400, "VALIDATION_ERROR", field)
    assert data(auth_api.get(SETTINGS)) == DEFAULTS


def test_settings_body_must_be_an_object(auth_api):
    response = auth_api.put(SETTINGS, ["07:00"])
    assert response.status_code == 400


def test_settings_are_per_user(auth_api, user):
    data(auth_api.put(SETTINGS, {"chat_reply_enabled": True}))
    other = client_for(UserFactory())
    assert data(other.get(SETTINGS)) == DEFAULTS


# --- throttling and schema --------------------------------------------------------------------
def test_notifications_are_rate_limited(auth_api, settings):
    settings.RATES = {**settings.RATES, "notifications": "3/min"}
    for _ in range(3):
        assert auth_api.get(SETTINGS).status_code == 200
    response = auth_api.put(SETTINGS, {"chat_reply_enabled": True})
    assert_error(response, 429, "RATE_LIMITED")
    assert response["X-RateLimit-Limit"] == "3"
    assert int(response["Retry-After"]) >= 1


def test_the_schema_documents_the_endpoints(api):
    response = api.get("/api/v1/schema", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    paths = schema["paths"]
    assert set(paths["/api/v1/notifications/devices"]) >= {"get", "post", "delete"}
    assert set(paths["/api/v1/notifications/devices/{device_id}"]) == {"delete"}
    (param,) = paths["/api/v1/notifications/devices/{device_id}"]["delete"]["parameters"]
    assert (param["name"], param["in"], param["schema"]) == (
        "device_id", "path", {"type": "string", "format": "uuid"}
    )
    # OpenAPI 3.0 has no request body on DELETE: the description names it
    assert '{"token": "…"}' in paths["/api/v1/notifications/devices"]["delete"]["description"]
    assert not [path for path in paths if "token" in path and "devices" in path]
    assert set(paths["/api/v1/notifications/settings"]) >= {"get", "put", "patch"}
    assert paths["/api/v1/notifications/settings"]["put"]["tags"] == ["notifications"]


# --- admin ------------------------------------------------------------------------------------
def test_admin_pages_show_devices_with_masked_tokens(user):
    from django.test import Client

    from accounts.models import PushDelivery, User

    device = Device.objects.create(user=user, token=TOKEN, platform="ios", last_seen=timezone.now())
    NotificationSettings.objects.create(user=user, quiet_hours_start=dt.time(22),
                                        quiet_hours_end=dt.time(7))  # fmt: skip
    PushDelivery.objects.create(user=user, kind="reading.daily", key="2026-11-27", title="t",
                                body="b", created_at=timezone.now())  # fmt: skip
    browser = Client()
    browser.force_login(User.objects.create_superuser("root@example.com", "Sunny-Meadow-42"))
    pages = [
        "/admin/accounts/device/",
        f"/admin/accounts/device/{device.pk}/change/",
        "/admin/accounts/notificationsettings/",
        f"/admin/accounts/notificationsettings/{user.pk}/change/",
        "/admin/accounts/pushdelivery/",
    ]
    for url in pages:
        page = browser.get(url)
        assert page.status_code == 200, url
        assert TOKEN not in page.content.decode()
    assert "…" + TOKEN[-6:] in browser.get("/admin/accounts/device/").content.decode()
    assert browser.get("/admin/accounts/device/add/").status_code == 403
