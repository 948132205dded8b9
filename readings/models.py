"""Numerology profiles (one per user) and daily readings (one per user and local date).

Models hold data only: computing them is `readings.services`, reading them `readings.selectors`.
"""

import uuid

from django.conf import settings
from django.db import models


class NumerologyProfile(models.Model):
    """The birth chart of a user, recomputed whenever their birth name or date changes.

    The core numbers are columns (for queries and the admin); ``chart`` holds the engine's full
    chart (``Chart.as_dict()`` without the personal cycle numbers, which depend on the day it is
    read). ``version`` grows by one at each recomputation and keys the cached chart.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="numerology_profile"
    )
    name = models.CharField(max_length=200, help_text="The birth name the chart was computed from.")
    birth_date = models.DateField()
    options = models.JSONField(default=dict)
    life_path = models.PositiveSmallIntegerField()
    expression = models.PositiveSmallIntegerField()
    soul_urge = models.PositiveSmallIntegerField()
    personality = models.PositiveSmallIntegerField()
    birthday = models.PositiveSmallIntegerField()
    maturity = models.PositiveSmallIntegerField()
    karmic_debts = models.JSONField(
        default=list, blank=True, help_text="Karmic debt numbers found among the core numbers."
    )
    chart = models.JSONField(default=dict)
    version = models.PositiveIntegerField(default=1)
    calculated_at = models.DateTimeField()

    class Meta:
        verbose_name = "numerology profile"

    def __str__(self) -> str:
        return f"profile of {self.user_id} (life path {self.life_path})"


class DailyReading(models.Model):
    """A user's reading for one local date; exactly one per (user, reading_date).

    One index serves both needs: the unique index on (user, reading_date) is ordered
    (user, -reading_date), so it also reads the history newest first. The foreign key gets no
    index of its own (the unique index leads with user), which keeps bulk generation at two
    indexes per row (primary key + this one).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="daily_readings",
        db_index=False,  # covered by readings_daily_user_date_unique
        db_constraint=False,
    )
    reading_date = models.DateField()
    personal_year = models.PositiveSmallIntegerField()
    personal_month = models.PositiveSmallIntegerField()
    personal_day = models.PositiveSmallIntegerField()
    lucky_number = models.PositiveSmallIntegerField()
    lucky_colour_name = models.CharField(max_length=40)
    lucky_colour_hex = models.CharField(max_length=7)
    affirmation = models.TextField()
    generated_at = models.DateTimeField()

    class Meta:
        constraints = [
            # Unique (user, reading_date), indexed as (user, -reading_date).
            models.UniqueConstraint(
                models.F("user"),
                models.F("reading_date").desc(),
                name="readings_daily_user_date_unique",
            )
        ]

    def __str__(self) -> str:
        return f"reading of {self.user_id} for {self.reading_date}"
