"""Generate daily readings on demand.

    manage.py readings_generate                      readings due now (as the schedule does)
    manage.py readings_generate --now 2025-03-09T18:00:00Z
                                                     readings due at that instant
    manage.py readings_generate --date 2025-03-10    every user's reading for that date,
                                                     whatever their delivery time
    manage.py readings_generate --user <id|email> [--date D | --now T]
                                                     one user's reading for D (default: their
                                                     local date at T / now)
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import User
from readings import selectors, services


def _instant(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise CommandError(f"--now: not an ISO 8601 date-time: {value!r}") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--date: not an ISO 8601 date (YYYY-MM-DD): {value!r}") from exc


def _user(value: str) -> User:
    users = User.objects.filter(email__iexact=value) if "@" in value else User.objects.none()
    user = users.first()
    if user is None:
        try:
            user = User.objects.filter(pk=value).first()
        except (ValidationError, ValueError):  # not a UUID
            user = None
    if user is None:
        raise CommandError(f"--user: no user with id or email {value!r}")
    return user


class Command(BaseCommand):
    help = "Generate daily readings: those due now, at --now, for --date, or for one --user."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="ISO date-time to generate the readings due at (UTC "
                            "if no offset)")
        parser.add_argument("--date", help="local date (YYYY-MM-DD) to generate readings for, "
                            "ignoring delivery times")
        parser.add_argument("--user", help="only this user (id or email), ignoring the "
                            "delivery time")

    def handle(self, *args, now=None, date=None, user=None, **options):
        if now and date:
            raise CommandError("give --now or --date, not both")
        instant = _instant(now) if now else timezone.now()
        reading_date = _date(date) if date else None
        if user:
            target = _user(user)
            if target.date_of_birth is None:
                raise CommandError(f"user {target.pk} has no date of birth")
            reading_date = reading_date or selectors.user_local_date(user=target, now=instant)
            created = services.daily_readings_generate_for_date(
                reading_date=reading_date, user_ids=[target.pk]
            )
        elif reading_date:
            created = services.daily_readings_generate_for_date(reading_date=reading_date)
        else:
            created = services.daily_readings_generate_due(now=instant)
        self.stdout.write(f"Created {len(created)} daily reading(s).")
