"""Fixtures for the readings tests: a user with a JWT client, a recorder of the hook."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from readings import hooks
from tests.factories import UserFactory
from tests.readings.helpers import client_for


class HookRecorder:
    """Subscribed to `readings.hooks`: every call's reading ids, in order."""

    def __init__(self):
        self.calls: list[list] = []
        self._lock = threading.Lock()

    def __call__(self, *, reading_ids):
        with self._lock:
            self.calls.append(list(reading_ids))

    @property
    def ids(self) -> list:
        return [reading_id for call in self.calls for reading_id in call]


@pytest.fixture(autouse=True)
def _fast_hasher_and_rates(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.RATES = {
        **settings.RATES,
        "numerology": "1000/min",
        "numerology_premium": "1000/min",
        "reading": "1000/min",
        "reading_premium": "1000/min",
    }


@pytest.fixture(autouse=True)
def hook_recorder():
    """Only the recorder listens while a readings test runs (other apps' deliveries are theirs
    to test); the subscribers are restored afterwards."""
    others = hooks.daily_readings_subscribers()
    for callback in others:
        hooks.off_daily_readings_created(callback)
    recorder = HookRecorder()
    hooks.on_daily_readings_created(recorder)
    yield recorder
    hooks.off_daily_readings_created(recorder)
    for callback in others:
        hooks.on_daily_readings_created(callback)


@pytest.fixture
def user(db):
    return UserFactory(
        full_name="Thomas Cruise Mapother", date_of_birth=dt.date(1962, 7, 3), timezone="UTC"
    )


@pytest.fixture
def api(user):
    return client_for(user)
