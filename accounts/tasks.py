"""Celery tasks of the accounts app (thin: they call one service)."""

from celery import shared_task

from accounts import services


@shared_task(name="accounts.purge_expired_auth_records", ignore_result=True)
def purge_expired_auth_records() -> dict[str, int]:
    return services.auth_records_purge()


@shared_task(
    name="accounts.push_deliver",
    bind=True,
    ignore_result=True,
    autoretry_for=(services.PushRetryNeeded,),
    retry_backoff=15,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=services.PUSH_MAX_ATTEMPTS - 1,
)
def push_deliver(self, delivery_ids: list[str]) -> dict[str, int]:
    """Send recorded pushes (ids only). Idempotent: each delivery is claimed once; a retry
    (after UNAVAILABLE, INTERNAL, QUOTA_EXCEEDED…) resends only to the tokens that failed."""
    return services.push_deliveries_send(delivery_ids=delivery_ids).as_dict()


@shared_task(name="accounts.push_deliveries_resume", ignore_result=True)
def push_deliveries_resume() -> int:
    """Beat: re-enqueue deliveries a lost task left pending."""
    return services.push_deliveries_resume()


@shared_task(name="accounts.push_deliveries_purge", ignore_result=True)
def push_deliveries_purge() -> int:
    """Beat: forget delivery records past their 30 days."""
    return services.push_deliveries_purge()
