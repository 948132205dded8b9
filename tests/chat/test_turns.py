"""A turn's database work (chat.services.turn_start): what it costs before the model is asked."""

import uuid

import pytest

from chat.services import turn_start
from readings.services import numerology_profile_ensure
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_turn_in_a_conversation_costs_ten_queries(django_assert_num_queries):
    """The user is read with their numerology profile; then the resend check, the
    conversation, the two messages and its count in one transaction (a savepoint here), today's
    reading and the history. A premium user has no rate-limit query."""
    user = UserFactory(is_premium=True)
    numerology_profile_ensure(user=user)
    first, _ = turn_start(user=user, client_msg_id=uuid.uuid4(), content="Hello")

    with django_assert_num_queries(10):
        turn, job = turn_start(user=user, client_msg_id=uuid.uuid4(), content="Again",
                               conversation_id=first.conversation_id)

    assert not turn.duplicate and turn.conversation_id == first.conversation_id
    assert job.context.numbers["life_path"] == user.numerology_profile.life_path
    assert [m.content for m in job.messages[-2:]] == ["Hello", "Again"]
