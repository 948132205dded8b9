"""The FCM adapter with the real firebase-admin SDK against a local OAuth + FCM v1 endpoint.

`tests.support.fake_fcm` plays Google: the generated service account's ``token_uri`` is the
fake's ``/token``, and `point_at_fake` aims the messaging service's FCM URL at the fake's send
endpoint (firebase-admin 7.7 has no emulator setting for messaging). Every test asserts what
the SDK really sent and what the adapter made of the answer.
"""

from __future__ import annotations

import json
import logging
import time
import uuid

import firebase_admin
import jwt
import pytest
from django.core.exceptions import ImproperlyConfigured

from accounts.push import PushJob, PushMessage, PushOutcome, get_push_backend, mask_token
from accounts.push.base import reset_push_backend
from accounts.push.fcm import FCMPush
from tests.support.fake_fcm import ACCESS_TOKEN, FakeFCMServer, point_at_fake, write_service_account

PROJECT = "numerai-test"
READING = PushMessage(
    title="Personal Day 5 — Change and Freedom",
    body="I welcome change with an open heart.",
    data={"type": "reading.daily", "reading_id": "9b1d3c52-0000-4000-8000-000000000001",
          "date": "2026-11-27"},
    collapse_key="reading-2026-11-27",
)  # fmt: skip
TOKEN_A = "fcm-token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:APA91bA1b2c3"
TOKEN_B = "fcm-token-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb:APA91bZ9y8x7"


@pytest.fixture(scope="module")
def fake():
    with FakeFCMServer() as server:
        yield server


@pytest.fixture(scope="module")
def service_account(fake, tmp_path_factory):
    path = tmp_path_factory.mktemp("firebase") / "service-account.json"
    return write_service_account(path, token_uri=fake.token_uri, project_id=PROJECT)


@pytest.fixture
def push(fake, service_account):
    """A real FCMPush (its own named firebase app), aimed at the fake; deleted afterwards."""
    fake.reset()
    backend = FCMPush(credentials_path=str(service_account.path), app_name=f"t-{uuid.uuid4()}")
    point_at_fake(backend, fake.base_url, fast_retries=True)
    fake.reset()  # building the app fetched nothing, but start from a clean record anyway
    yield backend
    backend.close()


def send_one(push: FCMPush, tokens, message: PushMessage = READING):
    [results] = push.send([PushJob(message=message, tokens=list(tokens))])
    return results


# --- what the SDK sends -----------------------------------------------------------------------
def test_the_oauth_grant_and_the_exact_message(push, fake, service_account):
    before = int(time.time())
    results = send_one(push, [TOKEN_A, TOKEN_B])

    assert [r.outcome for r in results] == [PushOutcome.OK, PushOutcome.OK]
    assert all(r.message_id.startswith(f"projects/{PROJECT}/messages/") for r in results)

    # One OAuth 2.0 JWT-bearer grant, signed with the service account's key, for the SDK's scopes.
    [grant] = fake.token_requests
    assert grant.path == "/token"
    assert grant.headers["content-type"] == "application/x-www-form-urlencoded"
    assert set(grant.body) == {"grant_type", "assertion"}
    assert grant.body["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    claims = jwt.decode(
        grant.body["assertion"],
        service_account.public_key_pem,
        algorithms=["RS256"],
        # google-auth always names Google's token endpoint as the audience.
        audience="https://oauth2.googleapis.com/token",
    )
    assert claims["iss"] == service_account.client_email
    assert "https://www.googleapis.com/auth/firebase" in claims["scope"].split()
    assert "https://www.googleapis.com/auth/cloud-platform" in claims["scope"].split()
    assert claims["exp"] - claims["iat"] == 3600

    # One FCM v1 request per token, with the bearer token, and exactly this message.
    assert len(fake.send_requests) == 2
    assert {r.message["token"] for r in fake.send_requests} == {TOKEN_A, TOKEN_B}
    for request in fake.send_requests:
        assert request.method == "POST"
        assert request.path == f"/v1/projects/{PROJECT}/messages:send"
        assert request.headers["authorization"] == f"Bearer {ACCESS_TOKEN}"
        assert request.headers["content-type"] == "application/json"
        assert request.headers["x-goog-api-format-version"] == "2"
        assert request.headers["x-firebase-client"].startswith("fire-admin-python/")
        body = json.loads(json.dumps(request.body))
        expiration = int(body["message"]["apns"]["headers"].pop("apns-expiration"))
        assert before + 86400 <= expiration <= int(time.time()) + 86400
        assert body == {
            "message": {
                "token": request.message["token"],
                "notification": {
                    "title": "Personal Day 5 — Change and Freedom",
                    "body": "I welcome change with an open heart.",
                },
                "data": {
                    "type": "reading.daily",
                    "reading_id": "9b1d3c52-0000-4000-8000-000000000001",
                    "date": "2026-11-27",
                },
                "android": {
                    "collapse_key": "reading-2026-11-27",
                    "priority": "high",
                    "ttl": "86400s",
                    "notification": {"tag": "reading-2026-11-27", "default_sound": True},
                },
                "apns": {
                    "headers": {
                        "apns-push-type": "alert",
                        "apns-priority": "10",
                        "apns-collapse-id": "reading-2026-11-27",
                    },
                    "payload": {"aps": {"sound": "default", "thread-id": "reading.daily"}},
                },
                "webpush": {
                    "headers": {"Urgency": "high", "TTL": "86400", "Topic": "reading-2026-11-27"}
                },
            }
        }


def test_the_access_token_is_fetched_once_and_reused(push, fake):
    send_one(push, [TOKEN_A, TOKEN_B])
    send_one(push, [TOKEN_A])
    assert len(fake.token_requests) == 1
    assert len(fake.send_requests) == 3


def test_normal_priority_and_no_collapse_key(push, fake):
    message = PushMessage(title="t", body="b", data={"type": "x"}, high_priority=False,
                          ttl_seconds=None)  # fmt: skip
    send_one(push, [TOKEN_A], message)
    [request] = fake.send_requests
    assert request.message["android"] == {"priority": "normal", "notification": {
        "default_sound": True}}  # fmt: skip
    assert request.message["apns"]["headers"] == {"apns-push-type": "alert", "apns-priority": "5"}
    assert request.message["webpush"] == {"headers": {"Urgency": "normal"}}


# --- what the adapter makes of the answers ----------------------------------------------------
def test_unregistered_is_reported_for_that_token_only(push, fake):
    fake.outcomes[TOKEN_B] = "unregistered"
    results = send_one(push, [TOKEN_A, TOKEN_B])
    assert [(r.token, r.outcome, r.error_code) for r in results] == [
        (TOKEN_A, PushOutcome.OK, None),
        (TOKEN_B, PushOutcome.UNREGISTERED, "UNREGISTERED"),
    ]
    assert len(fake.sends_to(TOKEN_B)) == 1  # a 404 is not retried


def test_invalid_argument_about_the_token_is_invalid(push, fake):
    fake.outcomes[TOKEN_A] = "invalid"
    [result] = send_one(push, [TOKEN_A])
    assert (result.outcome, result.error_code) == (PushOutcome.INVALID, "INVALID_ARGUMENT")
    assert result.outcome.removes_token
    assert len(fake.send_requests) == 1


def test_invalid_argument_about_the_message_keeps_the_token(push, fake):
    fake.outcomes[TOKEN_A] = "invalid_message"
    [result] = send_one(push, [TOKEN_A])
    assert (result.outcome, result.error_code) == (PushOutcome.FAILED, "INVALID_ARGUMENT")
    assert not result.outcome.removes_token


def test_sender_id_mismatch_is_invalid(push, fake):
    fake.outcomes[TOKEN_A] = "sender_mismatch"
    [result] = send_one(push, [TOKEN_A])
    assert (result.outcome, result.error_code) == (PushOutcome.INVALID, "SENDER_ID_MISMATCH")


def test_unavailable_is_transient_after_the_sdk_retries(push, fake):
    fake.outcomes[TOKEN_A] = "unavailable"
    results = send_one(push, [TOKEN_A, TOKEN_B])
    assert [(r.outcome, r.error_code) for r in results] == [
        (PushOutcome.TRANSIENT, "UNAVAILABLE"),
        (PushOutcome.OK, None),
    ]
    # The SDK's own policy: a 503 is tried four more times (backoff removed by the fixture).
    assert len(fake.sends_to(TOKEN_A)) == 5


def test_unavailable_once_then_delivered_by_the_sdk_retry(push, fake):
    fake.script(TOKEN_A, "unavailable")
    [result] = send_one(push, [TOKEN_A])
    assert result.outcome is PushOutcome.OK
    assert len(fake.sends_to(TOKEN_A)) == 2


@pytest.mark.parametrize(
    ("outcome", "code", "requests"),
    [("internal", "INTERNAL", 5), ("quota", "QUOTA_EXCEEDED", 1)],
)
def test_internal_and_quota_are_transient(push, fake, outcome, code, requests):
    fake.outcomes[TOKEN_A] = outcome
    [result] = send_one(push, [TOKEN_A])
    assert (result.outcome, result.error_code) == (PushOutcome.TRANSIENT, code)
    assert len(fake.sends_to(TOKEN_A)) == requests


def test_apns_auth_error_fails_without_deleting(push, fake):
    fake.outcomes[TOKEN_A] = "third_party_auth"
    [result] = send_one(push, [TOKEN_A])
    assert (result.outcome, result.error_code) == (PushOutcome.FAILED, "THIRD_PARTY_AUTH_ERROR")


def test_a_refused_oauth_grant_makes_everything_transient(push, fake):
    fake.token_error = "invalid_grant"
    results = send_one(push, [TOKEN_A, TOKEN_B])
    assert [(r.outcome, r.error_code) for r in results] == [
        (PushOutcome.TRANSIENT, "AUTH_REFRESH_FAILED")
    ] * 2
    assert len(fake.token_requests) >= 1
    assert fake.send_requests == []


# --- batching, jobs, laziness, logs -----------------------------------------------------------
def test_more_than_500_tokens_go_in_multicasts_of_500(push, fake):
    tokens = [f"bulk-token-{i:05d}-{'x' * 40}" for i in range(1201)]
    fake.prefix_outcomes["bulk-token-00007"] = "unregistered"
    results = send_one(push, tokens)
    # send_each_for_multicast refuses more than 500 tokens; all 1,201 went through, in order.
    assert [r.token for r in results] == tokens
    assert len(fake.send_requests) == 1201
    assert [r.token for r in results if r.outcome is PushOutcome.UNREGISTERED] == [tokens[7]]
    assert sum(r.outcome is PushOutcome.OK for r in results) == 1200


def test_each_job_keeps_its_own_message(push, fake):
    jobs = [
        PushJob(
            message=PushMessage(title=f"title {i}", body="b", data={"n": str(i)}),
            tokens=[f"job-{i}-token-a-{'y' * 30}", f"job-{i}-token-b-{'y' * 30}"],
        )
        for i in range(6)
    ]
    results = push.send(jobs)
    assert [[r.outcome for r in job] for job in results] == [[PushOutcome.OK] * 2] * 6
    for request in fake.send_requests:
        index = request.message["token"].split("-")[1]
        assert request.message["data"] == {"n": index}
        assert request.message["notification"]["title"] == f"title {index}"


def test_the_app_is_built_on_first_use_only(service_account, fake):
    name = f"t-{uuid.uuid4()}"
    backend = FCMPush(credentials_path=str(service_account.path), app_name=name)
    with pytest.raises(ValueError):
        firebase_admin.get_app(name)
    fake.reset()
    app = backend.app
    assert fake.token_requests == []  # building the app fetches nothing either
    assert firebase_admin.get_app(name) is app
    assert app.project_id == PROJECT
    backend.close()
    with pytest.raises(ValueError):
        firebase_admin.get_app(name)


def test_the_backend_setting_builds_it_lazily(settings, service_account):
    settings.PUSH_BACKEND = "accounts.push.fcm.FCMPush"
    settings.FIREBASE_CREDENTIALS_PATH = str(service_account.path)
    reset_push_backend()
    try:
        backend = get_push_backend()
        assert isinstance(backend, FCMPush)
        assert backend._app is None
        assert backend.app.project_id == PROJECT
        backend.close()
    finally:
        reset_push_backend()


def test_without_credentials_it_fails_on_use_not_on_build(settings):
    settings.FIREBASE_CREDENTIALS_PATH = ""
    backend = FCMPush(app_name=f"t-{uuid.uuid4()}")
    with pytest.raises(ImproperlyConfigured):
        backend.send([PushJob(message=READING, tokens=[TOKEN_A])])


def test_tokens_are_never_logged_in_full(push, fake, caplog):
    fake.outcomes[TOKEN_A] = "invalid_message"
    fake.outcomes[TOKEN_B] = "third_party_auth"
    with caplog.at_level(logging.DEBUG):
        results = send_one(push, [TOKEN_A, TOKEN_B])
    logged = "\n".join(
        f"{record.getMessage()} {record.__dict__}" for record in caplog.records
    ) + repr(results)
    assert mask_token(TOKEN_A) in logged
    for token in (TOKEN_A, TOKEN_B):
        assert token not in logged
        assert token[:-6] not in logged
