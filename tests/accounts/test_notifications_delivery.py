"""Delivery of pushes: the `accounts.push_deliver` task on both backends (console, and FCM with
the real SDK against the local fake), settings and quiet hours, idempotency, dead tokens,
transient retries; the daily-reading and chat-reply wiring of `realtime.push`."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass

import pytest
from channels.db import database_sync_to_async
from django.db import connection, connections
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import selectors, services, tasks
from accounts.models import Device, NotificationSettings, PushDelivery
from accounts.push import reset_push_backend
from accounts.push.base import get_push_backend
from accounts.services import PushRequest
from chat.models import Conversation, Message
from readings import services as readings_services
from realtime import push as realtime_push
from realtime.streams import get_state, reset_state
from tests.factories import UserFactory
from tests.support.fake_fcm import FakeFCMServer, point_at_fake, write_service_account

UTC = dt.UTC


# --- fixtures ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fake():
    with FakeFCMServer() as server:
        yield server


@pytest.fixture(scope="module")
def service_account(fake, tmp_path_factory):
    path = tmp_path_factory.mktemp("firebase") / "service-account.json"
    return write_service_account(path, token_uri=fake.token_uri)


@pytest.fixture(autouse=True)
def eager():
    """Tasks run inline, as in the embedded default (the scaled pass has a broker)."""
    from numerai.celery import app

    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    # Not propagating: an eager Retry is then re-applied at once, as Celery does eagerly.
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, False
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved


@dataclass
class Backend:
    name: str
    fake: FakeFCMServer | None

    def sent_tokens(self, caplog) -> list[str]:
        """Masked tokens (console) or full tokens (FCM) of the accepted pushes, in order."""
        if self.fake is not None:
            return [r.message["token"] for r in self.fake.send_requests]
        return [r.push_token for r in caplog.records if hasattr(r, "push_data")]


def _use_console(settings) -> Backend:
    settings.PUSH_BACKEND = "accounts.push.console.ConsolePush"
    reset_push_backend()
    return Backend("console", None)


def _use_fcm(settings, fake, service_account) -> Backend:
    settings.PUSH_BACKEND = "accounts.push.fcm.FCMPush"
    settings.FIREBASE_CREDENTIALS_PATH = str(service_account.path)
    reset_push_backend()
    fake.reset()
    point_at_fake(get_push_backend(), fake.base_url, fast_retries=True)
    return Backend("fcm", fake)


@pytest.fixture(params=["console", "fcm"])
def backend(request, settings, fake, service_account, caplog):
    caplog.set_level(logging.INFO, logger="accounts.push")
    if request.param == "console":
        yield _use_console(settings)
    else:
        yield _use_fcm(settings, fake, service_account)
        get_push_backend().close()
    reset_push_backend()


@pytest.fixture
def fcm(settings, fake, service_account):
    backend = _use_fcm(settings, fake, service_account)
    yield backend
    get_push_backend().close()
    reset_push_backend()


@pytest.fixture
def console(settings, caplog):
    caplog.set_level(logging.INFO, logger="accounts.push")
    yield _use_console(settings)
    reset_push_backend()


def token(name: str) -> str:
    return f"{name}-{'t' * 24}:APA91b{name[::-1]}"


def user_with_devices(*names, **user_fields):
    user = UserFactory(**user_fields)
    for name in names:
        services.device_register(user=user, token=token(name), platform="android")
    return user


def reading_request(user, day="2026-11-27", kind="reading.daily") -> PushRequest:
    return PushRequest(
        user_id=user.pk,
        kind=kind,
        key=day,
        title="Personal Day 5 — Change and Freedom",
        body="I welcome change.",
        data={"type": kind, "reading_id": str(uuid.uuid4()), "date": day},
        collapse_key=f"reading-{day}",
    )


def record_and_run(*requests) -> list:
    """Record the pushes; their task runs when the transaction "commits" (eagerly)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return services.push_deliveries_create(requests=list(requests))


def record_only(*requests) -> list:
    with TestCase.captureOnCommitCallbacks(execute=False):
        return services.push_deliveries_create(requests=list(requests))


# --- sending ----------------------------------------------------------------------------------
@pytest.mark.django_db
def test_one_push_reaches_every_device_of_the_user(backend, caplog):
    user = user_with_devices("phone", "tablet")
    [delivery_id] = record_and_run(reading_request(user))

    delivery = PushDelivery.objects.get(pk=delivery_id)
    assert (delivery.status, delivery.sent_count, delivery.attempts) == ("sent", 2, 1)
    sent = backend.sent_tokens(caplog)
    if backend.fake is not None:
        assert sorted(sent) == sorted([token("phone"), token("tablet")])
        for request in backend.fake.send_requests:
            assert request.message["data"]["type"] == "reading.daily"
            assert request.message["android"]["collapse_key"] == "reading-2026-11-27"
            assert request.message["apns"]["headers"]["apns-collapse-id"] == "reading-2026-11-27"
    else:
        assert sorted(sent) == sorted(["…" + token("phone")[-6:], "…" + token("tablet")[-6:]])


@pytest.mark.django_db
def test_asking_twice_or_running_the_task_again_notifies_once(backend, caplog):
    user = user_with_devices("phone")
    [delivery_id] = record_and_run(reading_request(user))
    assert record_and_run(reading_request(user)) == []  # same (user, kind, key)
    report = tasks.push_deliver.apply(kwargs={"delivery_ids": [str(delivery_id)]}).get()
    assert report["claimed"] == 0
    assert len(backend.sent_tokens(caplog)) == 1
    assert PushDelivery.objects.count() == 1


@pytest.mark.django_db
def test_a_new_day_is_a_new_push(console, caplog):
    user = user_with_devices("phone")
    record_and_run(reading_request(user, "2026-11-27"))
    record_and_run(reading_request(user, "2026-11-28"))
    assert len(console.sent_tokens(caplog)) == 2


@pytest.mark.django_db
def test_unregistered_and_invalid_tokens_are_deleted(fcm, fake):
    user = user_with_devices("alive", "gone", "bogus", "foreign", "bad-message")
    fake.outcomes[token("gone")] = "unregistered"
    fake.outcomes[token("bogus")] = "invalid"
    fake.outcomes[token("foreign")] = "sender_mismatch"
    fake.outcomes[token("bad-message")] = "invalid_message"
    [delivery_id] = record_and_run(reading_request(user))

    left = set(Device.objects.filter(user=user).values_list("token", flat=True))
    assert left == {token("alive"), token("bad-message")}
    delivery = PushDelivery.objects.get(pk=delivery_id)
    assert (delivery.status, delivery.sent_count, delivery.removed_count) == ("sent", 1, 3)


@pytest.mark.django_db
def test_transient_errors_are_retried_for_the_failed_tokens_only(fcm, fake):
    user = user_with_devices("steady", "busy", "down")
    fake.script(token("busy"), "quota")  # 429 QUOTA_EXCEEDED: not retried by the SDK
    fake.script(token("down"), *["unavailable"] * 5)  # the SDK's five tries all get 503
    [delivery_id] = record_and_run(reading_request(user))

    assert len(fake.sends_to(token("steady"))) == 1
    assert len(fake.sends_to(token("busy"))) == 2  # failed, then retried by the task
    assert len(fake.sends_to(token("down"))) == 6  # 5 × 503 inside the SDK, then the retry
    delivery = PushDelivery.objects.get(pk=delivery_id)
    assert (delivery.status, delivery.attempts, delivery.sent_count) == ("sent", 2, 3)
    assert delivery.pending_device_ids is None
    assert Device.objects.filter(user=user).count() == 3


@pytest.mark.django_db
def test_retries_stop_after_the_last_attempt(fcm, fake):
    user = user_with_devices("busy")
    fake.outcomes[token("busy")] = "quota"
    [delivery_id] = record_and_run(reading_request(user))

    assert len(fake.sends_to(token("busy"))) == services.PUSH_MAX_ATTEMPTS
    delivery = PushDelivery.objects.get(pk=delivery_id)
    assert (delivery.status, delivery.reason) == ("failed", "transient_exhausted")
    assert delivery.attempts == services.PUSH_MAX_ATTEMPTS
    assert Device.objects.filter(user=user).exists()  # a transient error never deletes


def test_the_task_retries_with_backoff():
    task = tasks.push_deliver
    assert task.name == "accounts.push_deliver"
    assert task.autoretry_for == (services.PushRetryNeeded,)
    assert task.retry_backoff and task.retry_jitter
    assert task.max_retries == services.PUSH_MAX_ATTEMPTS - 1


@pytest.mark.django_db
def test_a_failing_backend_counts_as_transient(settings, console):
    settings.PUSH_BACKEND = "tests.accounts.test_notifications_delivery.ExplodingPush"
    reset_push_backend()
    user = user_with_devices("phone")
    [delivery_id] = record_and_run(reading_request(user))
    delivery = PushDelivery.objects.get(pk=delivery_id)
    assert (delivery.status, delivery.reason) == ("failed", "transient_exhausted")
    assert delivery.attempts == services.PUSH_MAX_ATTEMPTS


class ExplodingPush:
    name = "exploding"

    def send(self, jobs):
        raise ConnectionError("the push service is unreachable")


# --- who gets what, and when ------------------------------------------------------------------
@pytest.mark.django_db
def test_nothing_is_recorded_without_devices_or_with_the_setting_off(console):
    no_device = UserFactory()
    off = user_with_devices("phone")
    NotificationSettings.objects.create(user=off, daily_reading_enabled=False)
    inactive = user_with_devices("old-phone", is_active=False)
    assert record_and_run(*(reading_request(u) for u in (no_device, off, inactive))) == []


@pytest.mark.django_db
def test_a_setting_turned_off_before_sending_is_respected(console, caplog):
    user = user_with_devices("phone")
    [delivery_id] = record_only(reading_request(user))
    NotificationSettings.objects.create(user=user, daily_reading_enabled=False)
    services.push_deliveries_send(delivery_ids=[delivery_id])
    delivery = PushDelivery.objects.get(pk=delivery_id)
    assert (delivery.status, delivery.reason) == ("skipped", "disabled")
    assert console.sent_tokens(caplog) == []


@pytest.mark.django_db
def test_chat_replies_are_opt_in(console, caplog):
    user = user_with_devices("phone")
    reply = reading_request(user, kind="chat.reply")
    assert record_and_run(reply) == []
    NotificationSettings.objects.create(user=user, chat_reply_enabled=True)
    assert len(record_and_run(reply)) == 1
    assert len(console.sent_tokens(caplog)) == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("utc", "status"),
    [
        ("2026-11-27T12:59:00", "sent"),  # 21:59 in Tokyo
        ("2026-11-27T13:00:00", "skipped"),  # 22:00: quiet hours begin
        ("2026-11-27T15:00:00", "skipped"),  # midnight
        ("2026-11-27T21:59:00", "skipped"),  # 06:59 next morning
        ("2026-11-27T22:00:00", "sent"),  # 07:00: quiet hours are over
    ],
)
def test_quiet_hours_are_local_and_wrap_midnight(console, utc, status):
    user = user_with_devices("phone", timezone="Asia/Tokyo")
    NotificationSettings.objects.create(
        user=user, quiet_hours_start=dt.time(22), quiet_hours_end=dt.time(7)
    )
    now = dt.datetime.fromisoformat(utc).replace(tzinfo=UTC)
    [delivery_id] = record_only(reading_request(user))
    PushDelivery.objects.filter(pk=delivery_id).update(created_at=now)
    services.push_deliveries_send(delivery_ids=[delivery_id], now=now)
    delivery = PushDelivery.objects.get(pk=delivery_id)
    assert delivery.status == status
    assert delivery.reason == ("quiet_hours" if status == "skipped" else "")


@pytest.mark.parametrize(
    ("start", "end", "inside", "outside"),
    [
        ((22, 0), (7, 0), [(22, 0), (23, 59), (0, 0), (6, 59)], [(7, 0), (12, 0), (21, 59)]),
        ((13, 0), (14, 30), [(13, 0), (14, 29)], [(12, 59), (14, 30), (0, 0)]),
        (None, None, [], [(0, 0), (12, 0)]),
        ((9, 0), None, [], [(9, 0), (10, 0)]),
        ((9, 0), (9, 0), [], [(9, 0), (8, 59)]),
    ],
)
def test_quiet_hours_contain(start, end, inside, outside):
    def clock(value):
        return dt.time(*value) if value else None

    for moment in inside:
        assert selectors.quiet_hours_contain(
            start=clock(start), end=clock(end), local_time=dt.time(*moment, 30)
        )
    for moment in outside:
        assert not selectors.quiet_hours_contain(
            start=clock(start), end=clock(end), local_time=dt.time(*moment)
        )


@pytest.mark.django_db
def test_a_push_older_than_a_day_is_not_sent(console, caplog):
    user = user_with_devices("phone")
    [delivery_id] = record_only(reading_request(user))
    PushDelivery.objects.filter(pk=delivery_id).update(
        created_at=timezone.now() - dt.timedelta(hours=25)
    )
    services.push_deliveries_send(delivery_ids=[delivery_id])
    assert PushDelivery.objects.get(pk=delivery_id).reason == "expired"
    assert console.sent_tokens(caplog) == []


# --- robustness -------------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_lost_claim_is_taken_over_but_a_live_one_is_not(console, caplog):
    user = user_with_devices("phone")
    [delivery_id] = record_only(reading_request(user))
    PushDelivery.objects.filter(pk=delivery_id).update(status="sending", claimed_at=timezone.now())
    assert services.push_deliveries_send(delivery_ids=[delivery_id]).claimed == 0
    PushDelivery.objects.filter(pk=delivery_id).update(
        claimed_at=timezone.now() - dt.timedelta(minutes=11)
    )
    assert services.push_deliveries_send(delivery_ids=[delivery_id]).sent == 1
    assert len(console.sent_tokens(caplog)) == 1


@pytest.mark.django_db
def test_resume_enqueues_what_a_lost_task_left_pending(console, caplog):
    user = user_with_devices("phone")
    [delivery_id] = record_only(reading_request(user))  # enqueued never
    assert services.push_deliveries_resume() == 0  # too young to be called lost
    PushDelivery.objects.filter(pk=delivery_id).update(
        created_at=timezone.now() - dt.timedelta(minutes=6)
    )
    assert tasks.push_deliveries_resume.apply().get() == 1
    assert PushDelivery.objects.get(pk=delivery_id).status == "sent"
    assert services.push_deliveries_resume() == 0


@pytest.mark.django_db
def test_old_delivery_records_are_purged(console):
    user = user_with_devices("phone")
    [old] = record_only(reading_request(user, "2026-10-01"))
    [recent] = record_only(reading_request(user, "2026-11-26"))
    PushDelivery.objects.filter(pk=old).update(created_at=timezone.now() - dt.timedelta(days=31))
    assert tasks.push_deliveries_purge.apply().get() == 1
    assert list(PushDelivery.objects.values_list("pk", flat=True)) == [recent]


@pytest.mark.django_db
def test_sending_queries_do_not_grow_with_the_batch(console):
    def run(n: int) -> int:
        users = [user_with_devices(f"u{n}-{i}-a", f"u{n}-{i}-b") for i in range(n)]
        ids = record_only(*(reading_request(u) for u in users))
        with CaptureQueriesContext(connection) as queries:
            report = services.push_deliveries_send(delivery_ids=ids)
        assert report.sent == n
        return len(queries)

    assert run(3) == run(25)


@pytest.mark.django_db
def test_tokens_are_never_logged_in_full(fcm, fake, caplog):
    user = user_with_devices("alive", "gone", "bad-message", "busy")
    fake.outcomes[token("gone")] = "unregistered"
    fake.outcomes[token("bad-message")] = "invalid_message"
    fake.outcomes[token("busy")] = "quota"
    with caplog.at_level(logging.DEBUG):
        record_and_run(reading_request(user))
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "…" + token("gone")[-6:] in logged
    for name in ("alive", "gone", "bad-message", "busy"):
        assert token(name) not in logged
        assert token(name)[:-6] not in logged


# --- daily readings (realtime.push subscribed to readings.hooks) ------------------------------
@pytest.mark.django_db
def test_each_new_daily_reading_is_pushed(backend, caplog):
    user = user_with_devices("phone", date_of_birth=dt.date(1990, 5, 17))
    nobody = UserFactory()  # no device: no push recorded
    with TestCase.captureOnCommitCallbacks(execute=True):
        reading = readings_services.daily_reading_get_or_create(
            user=user, reading_date=dt.date(2026, 11, 27)
        )
        readings_services.daily_reading_get_or_create(
            user=nobody, reading_date=dt.date(2026, 11, 27)
        )
    delivery = PushDelivery.objects.get()
    assert (delivery.user, delivery.kind, delivery.key, delivery.status) == (
        user, "reading.daily", "2026-11-27", "sent"
    )  # fmt: skip
    assert delivery.title.startswith(f"Personal Day {reading.personal_day}")
    assert delivery.body == reading.affirmation
    assert delivery.data == {
        "type": "reading.daily", "reading_id": str(reading.pk), "date": "2026-11-27"
    }  # fmt: skip
    assert delivery.collapse_key == "reading-2026-11-27"
    assert len(backend.sent_tokens(caplog)) == 1
    if backend.fake is not None:
        [request] = backend.fake.send_requests
        assert request.message["notification"] == {
            "title": delivery.title, "body": reading.affirmation
        }  # fmt: skip
        assert request.message["data"] == delivery.data

    # The same readings handed over again (a duplicate hook call) push nothing more.
    realtime_push.daily_readings_push(reading_ids=[reading.pk])
    assert PushDelivery.objects.count() == 1


@pytest.mark.django_db
def test_readings_of_users_who_turned_them_off_are_not_pushed(console):
    user = user_with_devices("phone", date_of_birth=dt.date(1990, 5, 17))
    NotificationSettings.objects.create(user=user, daily_reading_enabled=False)
    with TestCase.captureOnCommitCallbacks(execute=True):
        readings_services.daily_reading_get_or_create(user=user, reading_date=dt.date(2026, 11, 27))
    assert not PushDelivery.objects.exists()


# --- chat replies (realtime.push.chat_reply_push_if_offline) ----------------------------------
def _reply(user, *, finish_reason="stop", content="Seven asks for stillness. " * 20):
    conversation = Conversation.objects.create(user=user, title="My life path")
    question = Message.objects.create(conversation=conversation, role="user", content="Why 7?",
                                      client_msg_id=uuid.uuid4())  # fmt: skip
    return Message.objects.create(
        conversation=conversation, role="assistant", content=content, reply_to=question,
        status="complete", finish_reason=finish_reason, completed_at=timezone.now(),
    )  # fmt: skip


@database_sync_to_async
def _chat_user(*, opted_in: bool = True):
    user = user_with_devices("phone")
    NotificationSettings.objects.create(user=user, chat_reply_enabled=opted_in)
    return user


@pytest.fixture
async def fresh_state():
    reset_state()
    yield get_state()
    reset_state()
    # The ORM's shared thread keeps its connection; close it so the test database can go.
    await database_sync_to_async(connections.close_all)()


@pytest.mark.django_db(transaction=True)
async def test_a_finished_reply_is_pushed_to_a_user_with_no_socket(console, fresh_state):
    user = await _chat_user()
    reply = await database_sync_to_async(_reply)(user)
    await realtime_push.chat_reply_push_if_offline(user_id=user.pk, message_id=reply.pk)

    delivery = await database_sync_to_async(PushDelivery.objects.get)()
    assert (delivery.kind, delivery.key, delivery.status) == ("chat.reply", str(reply.pk), "sent")
    assert delivery.title == "My life path"
    assert delivery.body.startswith("Seven asks for stillness.") and delivery.body.endswith("…")
    assert len(delivery.body) <= realtime_push.CHAT_REPLY_BODY_CHARS
    assert delivery.data == {
        "type": "chat.reply",
        "conversation_id": str(reply.conversation_id),
        "message_id": str(reply.pk),
    }

    # Finishing twice (the sweeper and the runner) still pushes once.
    await realtime_push.chat_reply_push_if_offline(user_id=user.pk, message_id=reply.pk)
    assert await database_sync_to_async(PushDelivery.objects.count)() == 1


@pytest.mark.django_db(transaction=True)
async def test_no_push_while_a_socket_is_open(console, fresh_state):
    user = await _chat_user()
    reply = await database_sync_to_async(_reply)(user)
    assert await fresh_state.presence_add(str(user.pk), "socket-1", 10)
    await realtime_push.chat_reply_push_if_offline(user_id=user.pk, message_id=reply.pk)
    assert not await database_sync_to_async(PushDelivery.objects.exists)()

    await fresh_state.presence_remove(str(user.pk), "socket-1")
    await realtime_push.chat_reply_push_if_offline(user_id=user.pk, message_id=reply.pk)
    assert await database_sync_to_async(PushDelivery.objects.count)() == 1


@pytest.mark.django_db(transaction=True)
async def test_no_push_unless_opted_in_or_for_a_cancelled_reply(console, fresh_state):
    user = await _chat_user(opted_in=False)
    reply = await database_sync_to_async(_reply)(user)
    await realtime_push.chat_reply_push_if_offline(user_id=user.pk, message_id=reply.pk)

    opted_in = await _chat_user()
    cancelled = await database_sync_to_async(_reply)(opted_in, finish_reason="cancelled")
    await realtime_push.chat_reply_push_if_offline(user_id=opted_in.pk, message_id=cancelled.pk)
    # Someone else's message id is not found (and never raises).
    await realtime_push.chat_reply_push_if_offline(user_id=opted_in.pk, message_id=reply.pk)
    assert not await database_sync_to_async(PushDelivery.objects.exists)()


# --- a real worker (scaled pass: PostgreSQL + Redis) ------------------------------------------
@pytest.mark.scaled
@pytest.mark.django_db(transaction=True)
def test_a_real_celery_worker_sends_the_recorded_pushes(settings, console):
    """Eager mode is an emulation: here the task goes through Redis to a worker process."""
    import os
    import subprocess
    import sys
    import time

    from numerai.celery import app

    app.conf.task_always_eager = False  # undo the autouse fixture: the broker is real
    db = settings.DATABASES["default"]
    database_url = (
        f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    )
    users = [user_with_devices(f"worker-{i}-a", f"worker-{i}-b") for i in range(3)]
    ids = services.push_deliveries_create(requests=[reading_request(u) for u in users])
    assert PushDelivery.objects.filter(status="pending").count() == 3

    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "numerai", "worker", "--pool", "solo",
         "--loglevel", "WARNING", "--hostname", f"push-test-{os.getpid()}@%h"],
        env={**os.environ, "DATABASE_URL": database_url,
             "PUSH_BACKEND": "accounts.push.console.ConsolePush"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if PushDelivery.objects.filter(pk__in=ids, status="sent").count() == 3:
                break
            time.sleep(0.5)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert sorted(PushDelivery.objects.values_list("status", "sent_count")) == [("sent", 2)] * 3
