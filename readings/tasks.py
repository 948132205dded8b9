"""Celery tasks of the readings app: thin, idempotent, explicitly named."""

from celery import shared_task
from django.utils import timezone

from readings import services


@shared_task(name="readings.daily_generate_due")
def daily_generate_due() -> int:
    """Beat, every 5 minutes: create the readings now due. Returns how many were created.

    Idempotent: readings that exist (made by an earlier or concurrent run) are skipped.
    """
    return len(services.daily_readings_generate_due(now=timezone.now()))
