"""A turn's database work (chat.services.turn_start): what it costs before the model is asked."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import User
from chat.models import Conversation, Message
from chat.services import Turn, reply_finish, turn_start
from numerai.errors import InvalidInput, NotFound, RateLimited
from readings.models import DailyReading
from readings.selectors import user_local_date
from readings.services import daily_reading_get_or_create, numerology_profile_ensure
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# A refused write must leave nothing behind both as the server runs it (autocommit: on
# PostgreSQL one statement) and inside a caller's transaction (a savepoint).
IN_AUTOCOMMIT_AND_IN_A_TRANSACTION = pytest.mark.parametrize("mode", [
    pytest.param("autocommit", marks=pytest.mark.django_db(transaction=True)),
    "in a transaction",
])


@pytest.mark.django_db(transaction=True)  # outside a test's transaction, as in the server
def test_a_turn_in_a_conversation_costs_three_statements(django_assert_num_queries):
    """The user is read with their numerology profile and today's reading; then the
    conversation's ownership check and count and the two messages are one statement on
    PostgreSQL (SQLite's transaction adds BEGIN and COMMIT), and the history. A premium
    user has no rate-limit query, and no query looks for a resend first: the unique
    client_msg_id refuses one."""
    user = UserFactory(is_premium=True)
    numerology_profile_ensure(user=user)
    reading = daily_reading_get_or_create(user=user)
    first, _ = turn_start(user=user, client_msg_id=uuid.uuid4(), content="Hello")

    with django_assert_num_queries(3 if connection.vendor == "postgresql" else 6):
        turn, job = turn_start(user=user, client_msg_id=uuid.uuid4(), content="Again",
                               conversation_id=first.conversation_id)

    assert not turn.duplicate and turn.conversation_id == first.conversation_id
    assert job.context.numbers["life_path"] == user.numerology_profile.life_path
    assert job.context.reading["affirmation"] == reading.affirmation
    assert [m.content for m in job.messages[-2:]] == ["Hello", "Again"]


def test_the_prompt_has_the_reading_of_the_users_date_when_the_sockets_copy_is_stale():
    """A socket's copy of the user may hold an old time zone: the turn still gives the prompt
    the reading of the user's local date now. UTC-12 and UTC+14 never share a date."""
    user = UserFactory(is_premium=True, timezone="Pacific/Kiritimati")
    numerology_profile_ensure(user=user)
    stale = User.objects.get(pk=user.pk)
    stale.timezone = "Etc/GMT+12"
    assert user_local_date(user=stale) != user_local_date(user=user)
    for of, text in ((stale, "Their yesterday"), (user, "Their today")):
        reading = daily_reading_get_or_create(user=user, reading_date=user_local_date(user=of))
        DailyReading.objects.filter(pk=reading.pk).update(affirmation=text)

    _, job = turn_start(user=stale, client_msg_id=uuid.uuid4(), content="Hello")

    assert job.context.today == user_local_date(user=user)
    assert job.context.reading["affirmation"] == "Their today"


def test_the_prompt_of_a_user_without_todays_reading_has_none():
    user = UserFactory(is_premium=True)
    daily_reading_get_or_create(user=user, reading_date=user_local_date(user=user)
                                - timedelta(days=1))

    _, job = turn_start(user=user, client_msg_id=uuid.uuid4(), content="Hello")

    assert job.context.reading is None and job.context.numbers


def test_the_rate_window_counts_messages_in_any_conversation_and_only_in_the_window(settings):
    """The limit counts this hour's messages whichever conversation they went to, one quiet for
    days included, and not the older messages of those conversations."""
    settings.RATES = {**settings.RATES, "chat": "2/hour"}
    user = UserFactory(is_premium=False)
    old, _ = turn_start(user=user, client_msg_id=uuid.uuid4(), content="Long ago")
    days_ago = timezone.now() - timedelta(days=3)
    Message.objects.filter(conversation_id=old.conversation_id).update(created_at=days_ago)
    Conversation.objects.filter(pk=old.conversation_id).update(last_message_at=days_ago)

    turn_start(user=user, client_msg_id=uuid.uuid4(), content="Back again",
               conversation_id=old.conversation_id)
    turn_start(user=user, client_msg_id=uuid.uuid4(), content="Something new")
    with pytest.raises(RateLimited):
        turn_start(user=user, client_msg_id=uuid.uuid4(), content="One more")

    assert Message.objects.filter(role=Message.Role.USER).count() == 3


def test_the_job_is_handed_over_before_the_turn_is_stored():
    """`on_prepared` lets the caller ask the model while the turn is written: it gets the job
    that turn_start then returns, before anything of the turn is stored."""
    user = UserFactory(is_premium=True)
    first, _ = turn_start(user=user, client_msg_id=uuid.uuid4(), content="Hello")
    handed = []

    turn, job = turn_start(
        user=user, client_msg_id=uuid.uuid4(), content="Again",
        conversation_id=first.conversation_id,
        on_prepared=lambda job: handed.append((job, Message.objects.count())),
    )

    assert handed == [(job, 2)]
    assert (job.message_id, job.conversation_id) == (turn.assistant_message_id,
                                                     first.conversation_id)
    assert [m.content for m in job.messages[-2:]] == ["Hello", "Again"]
    assert Message.objects.count() == 4


def test_the_model_is_not_asked_for_what_the_checks_refuse(settings):
    """Another user's conversation (its history is never read into a prompt) and a message
    over the rate limit are refused before any job is handed over."""
    handed = []
    theirs, _ = turn_start(user=UserFactory(), client_msg_id=uuid.uuid4(), content="Mine")
    with pytest.raises(NotFound):
        turn_start(user=UserFactory(), client_msg_id=uuid.uuid4(), content="Yours?",
                   conversation_id=theirs.conversation_id, on_prepared=handed.append)
    settings.RATES = {**settings.RATES, "chat": "1/hour"}
    user = UserFactory(is_premium=False)
    turn_start(user=user, client_msg_id=uuid.uuid4(), content="Hello")
    with pytest.raises(RateLimited):
        turn_start(user=user, client_msg_id=uuid.uuid4(), content="Hello again",
                   on_prepared=handed.append)

    assert handed == []


def test_a_resend_found_by_the_write_returns_no_job_for_the_one_handed_over():
    """The write finds the resend after the job was handed over: turn_start returns none, and
    the caller drops the reply it started."""
    user = UserFactory(is_premium=True)
    key = uuid.uuid4()
    first, _ = turn_start(user=user, client_msg_id=key, content="Hello")
    handed = []

    again, job = turn_start(user=user, client_msg_id=key, content="Hello",
                            on_prepared=handed.append)

    assert again.duplicate and again.user_message_id == first.user_message_id
    assert job is None and len(handed) == 1
    assert Message.objects.count() == 2


@IN_AUTOCOMMIT_AND_IN_A_TRANSACTION
def test_another_users_conversation_is_not_found_and_keeps_its_count(mode):
    theirs, _ = turn_start(user=UserFactory(), client_msg_id=uuid.uuid4(), content="Mine")

    with pytest.raises(NotFound):
        turn_start(user=UserFactory(), client_msg_id=uuid.uuid4(), content="Yours?",
                   conversation_id=theirs.conversation_id)

    assert Conversation.objects.get(pk=theirs.conversation_id).message_count == 2
    assert Message.objects.count() == 2


@IN_AUTOCOMMIT_AND_IN_A_TRANSACTION
def test_a_resend_is_a_duplicate_whichever_of_the_users_conversations_it_names(mode):
    """The same client_msg_id again returns the first turn's ids and stores nothing, also when
    a (misbehaving) client names another conversation: that conversation's count, raised in
    the same statement or transaction as the refused insert, stays as it was."""
    user = UserFactory(is_premium=True)
    key = uuid.uuid4()
    first, _ = turn_start(user=user, client_msg_id=key, content="Hello")
    other, _ = turn_start(user=user, client_msg_id=uuid.uuid4(), content="Elsewhere")

    for conversation_id in (None, first.conversation_id, other.conversation_id):
        again, job = turn_start(user=user, client_msg_id=key, content="Hello",
                                conversation_id=conversation_id)
        assert again == Turn(first.conversation_id, first.user_message_id,
                             first.assistant_message_id, duplicate=True)
        assert job is None

    assert Message.objects.count() == 4
    assert Conversation.objects.get(pk=other.conversation_id).message_count == 2


def test_a_resend_at_the_rate_limit_is_a_duplicate_and_a_new_message_is_refused(settings):
    settings.RATES = {**settings.RATES, "chat": "1/hour"}
    user = UserFactory(is_premium=False)
    key = uuid.uuid4()
    first, _ = turn_start(user=user, client_msg_id=key, content="Hello")

    again, job = turn_start(user=user, client_msg_id=key, content="Hello")
    with pytest.raises(RateLimited):
        turn_start(user=user, client_msg_id=uuid.uuid4(), content="Hello again")

    assert again.duplicate and again.user_message_id == first.user_message_id and job is None
    assert Message.objects.count() == 2


@IN_AUTOCOMMIT_AND_IN_A_TRANSACTION
def test_another_users_client_msg_id_is_refused_and_stores_nothing(mode):
    key = uuid.uuid4()
    theirs, _ = turn_start(user=UserFactory(), client_msg_id=key, content="Mine")

    with pytest.raises(InvalidInput) as refused:
        turn_start(user=UserFactory(), client_msg_id=key, content="Mine too?")

    assert refused.value.field == "client_msg_id"
    assert Conversation.objects.count() == 1 and Message.objects.count() == 2
    assert Message.objects.get(client_msg_id=key).pk == theirs.user_message_id


def test_finishing_a_reply_costs_five_queries(django_assert_num_queries):
    """The reply's one write, then one row (its conversation, and the question for the title)
    and the conversation's update, in one transaction (a savepoint here)."""
    user = UserFactory(is_premium=True)
    turn, _ = turn_start(user=user, client_msg_id=uuid.uuid4(), content="what is my life path?")

    with django_assert_num_queries(5):
        finished = reply_finish(message_id=str(turn.assistant_message_id), content="Seven.",
                                finish_reason="stop", seq=1,
                                usage={"prompt_tokens": 12, "completion_tokens": 3})

    stored = Message.objects.get(pk=turn.assistant_message_id)
    conversation = Conversation.objects.get(pk=turn.conversation_id)
    assert (finished.message_id, finished.conversation_id, finished.user_id) == (
        stored.pk, conversation.pk, user.pk)
    assert finished.usage == stored.usage == {
        "prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15}
    assert finished.new_title == conversation.title == "What is my life path"
    assert conversation.last_message_at == stored.completed_at
    assert reply_finish(message_id=turn.assistant_message_id, content="Again.",
                        finish_reason="stop", seq=2) is None
