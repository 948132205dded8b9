"""numerai.db.CompiledQuery: a queryset compiled once gives what the queryset gives, for any
values, on every thread; where it cannot be compiled once it is built each time."""

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
from django.db import close_old_connections
from django.db.models import FilteredRelation, Q

from accounts.models import User
from numerai.db import CompiledQuery
from readings.models import DailyReading
from readings.services import daily_reading_get_or_create, numerology_profile_ensure
from tests.conftest import is_scaled
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

DAY = date(2026, 11, 28)


class Counted:
    """`build` with a count of the querysets it built."""

    def __init__(self, build):
        self.build, self.built = build, 0

    def __call__(self, **values):
        self.built += 1
        return self.build(**values)


def users_with_reading(*, user_id, day):
    return (
        User.objects.annotate(reading=FilteredRelation(
            "daily_readings", condition=Q(daily_readings__reading_date=day)))
        .select_related("numerology_profile", "reading")
        .filter(pk=user_id, is_active=True)
    )


def loaded(users: list[User]) -> list[tuple]:
    """Each user's fields and the fields of the related rows loaded with it."""
    def fields(obj):
        return None if obj is None else {k: v for k, v in vars(obj).items() if k != "_state"}
    return [
        (fields(user), fields(getattr(user, "numerology_profile", None)),
         fields(getattr(user, "reading", None)))
        for user in users
    ]


@pytest.fixture
def users():
    """Users with a profile and readings, with neither, and a deactivated one."""
    charted = UserFactory()
    numerology_profile_ensure(user=charted)
    for day in (DAY, DAY - timedelta(days=1)):
        daily_reading_get_or_create(user=charted, reading_date=day)
    return [charted, UserFactory(date_of_birth=None), UserFactory(is_active=False)]


def test_runs_give_what_the_queryset_gives_for_every_value(users):
    compiled = CompiledQuery(Counted(users_with_reading), user_id=uuid.UUID(int=0), day=date.min)
    for user in [*users, UserFactory.build()]:  # the last one is not stored
        for day in (DAY, DAY - timedelta(days=1), DAY + timedelta(days=1)):
            got = compiled(user_id=user.pk, day=day)
            assert loaded(got) == loaded(list(users_with_reading(user_id=user.pk, day=day)))
    assert loaded(compiled(user_id=users[0].pk, day=DAY))[0][2]["reading_date"] == DAY


def test_values_list_runs_give_the_rows_of_each_value(users):
    def latest_readings(*, user_id):
        return (DailyReading.objects.filter(user_id=user_id).order_by("-reading_date")
                .values_list("reading_date", "personal_day")[:1])
    compiled = CompiledQuery(latest_readings, user_id=uuid.UUID(int=0))

    for user in users:
        assert compiled(user_id=user.pk) == list(latest_readings(user_id=user.pk))
    assert compiled(user_id=users[0].pk)[0][0] == DAY


def test_samples_must_differ():
    with pytest.raises(ValueError, match="differ"):
        CompiledQuery(users_with_reading, user_id=date.min, day=date.min)


def test_postgresql_compiles_once_and_sqlite_builds_each_run(users):
    """SQLite's parameters are not the values themselves (a UUID is stored as text). The first
    queryset is built with the samples, to compile."""
    build = Counted(users_with_reading)
    compiled = CompiledQuery(build, user_id=uuid.UUID(int=0), day=date.min)
    for user in users:
        compiled(user_id=user.pk, day=DAY)
    assert build.built == (1 if is_scaled() else 1 + len(users))


def test_a_value_of_another_type_than_its_sample_is_built_as_usual(users):
    build = Counted(users_with_reading)
    compiled = CompiledQuery(build, user_id=uuid.UUID(int=0), day=date.min)
    compiled(user_id=users[0].pk, day=DAY)
    built = build.built

    [user] = compiled(user_id=str(users[0].pk), day=DAY)

    assert user == users[0] and build.built == built + 1


def test_a_sample_the_sql_does_not_take_as_it_is_is_built_each_run(users):
    """Here the day only shapes a value (its year), so compiling once would be wrong."""
    build = Counted(lambda *, user_id, day: User.objects.filter(
        pk=user_id, created_at__year__lte=day.year))
    compiled = CompiledQuery(build, user_id=uuid.UUID(int=0), day=date.min)

    assert compiled(user_id=users[0].pk, day=date(1990, 1, 1)) == []
    assert compiled(user_id=users[0].pk, day=date(9999, 1, 1)) == [users[0]]
    assert build.built == 3  # the samples, then each run


@pytest.mark.django_db(transaction=True)
def test_runs_on_other_threads_use_their_own_connections(users):
    compiled = CompiledQuery(users_with_reading, user_id=uuid.UUID(int=0), day=date.min)
    expected = loaded(list(users_with_reading(user_id=users[0].pk, day=DAY)))

    def run(_):
        try:
            return loaded(compiled(user_id=users[0].pk, day=DAY))
        finally:
            close_old_connections()

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(run, range(16))) == [expected] * 16
