"""Purging expired auth records, and the query count of an authenticated request."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from accounts import services
from accounts.models import OneTimeCode, RefreshToken
from accounts.tasks import purge_expired_auth_records
from tests.factories import UserFactory


def test_purge_removes_only_expired_records(db):
    user = UserFactory()
    live = services.session_create(user=user)
    live_record = RefreshToken.objects.get()
    services.session_create(user=user)
    now = timezone.now()
    RefreshToken.objects.exclude(pk=live_record.pk).update(expires_at=now - timedelta(seconds=1))
    OneTimeCode.objects.create(
        user=user,
        purpose="verify",
        channel="email",
        destination=user.email,
        sent_at=now - timedelta(days=2),
        expires_at=now - timedelta(days=2),
    )
    result = purge_expired_auth_records()
    assert result == {"refresh_tokens": 1, "one_time_codes": 1}
    assert RefreshToken.objects.count() == 1
    assert services.session_refresh(refresh_token=live.refresh_token).user == user
    assert services.auth_records_purge() == {"refresh_tokens": 0, "one_time_codes": 0}


def test_authenticated_profile_read_is_one_query(auth_api, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = auth_api.get("/api/v1/users/profile")
    assert response.status_code == 200
