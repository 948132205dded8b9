"""Factories shared by the whole test suite."""

from __future__ import annotations

import datetime as dt

import factory
from factory.django import DjangoModelFactory

from accounts.models import User

DEFAULT_PASSWORD = "correct-Horse-battery-9"


class UserFactory(DjangoModelFactory):
    """A verified free user whose password is `DEFAULT_PASSWORD` (`user.raw_password`)."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Sequence(lambda n: f"Test User {n}")
    birth_name = ""
    date_of_birth = dt.date(1990, 5, 17)
    timezone = "UTC"
    is_verified = True
    is_premium = False
    phone = None

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        raw = extracted or DEFAULT_PASSWORD
        obj.set_password(raw)
        obj.raw_password = raw
        if create:
            obj.save(update_fields=["password"])
