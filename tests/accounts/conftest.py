"""Fixtures for the accounts tests."""

from __future__ import annotations

import pytest
from django.test import TestCase
from rest_framework.test import APIClient

from accounts import services, sms
from tests.factories import UserFactory


class CommitAPIClient(APIClient):
    """Runs the `transaction.on_commit` callbacks of each request (emails, SMS, signals), as a
    real commit would, although the test itself runs inside a transaction."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.default_format = "json"

    def request(self, **kwargs):
        with TestCase.captureOnCommitCallbacks(execute=True):
            return super().request(**kwargs)


@pytest.fixture(autouse=True)
def _fast_hasher_and_fake_sms(settings):
    # Argon2 is asserted in its own test; the rest of the suite needs no slow hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.SMS_BACKEND = "accounts.sms.LocmemSMSBackend"
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def api(db):
    return CommitAPIClient()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def tokens(user):
    return services.session_create(user=user)


@pytest.fixture
def auth_api(api, tokens):
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.access_token}")
    return api


@pytest.fixture
def generous_auth_rate(settings):
    """Lift the per-IP `auth` limit for tests that make many auth requests."""
    settings.RATES = {**settings.RATES, "auth": "1000/min", "auth_premium": "1000/min"}
