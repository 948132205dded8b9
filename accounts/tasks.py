"""Celery tasks of the accounts app (thin: they call one service)."""

from celery import shared_task

from accounts import services


@shared_task(name="accounts.purge_expired_auth_records", ignore_result=True)
def purge_expired_auth_records() -> dict[str, int]:
    return services.auth_records_purge()
