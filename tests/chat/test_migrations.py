"""Migrations that change data: run backwards and forwards on a real database."""

import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("chat", "0002_message_client_id_first")]
AFTER = [("chat", "0003_message_client_id_unique")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_0003_keeps_a_shared_client_msg_id_on_its_first_message_only():
    apps = _migrate(BEFORE)
    try:
        Conversation = apps.get_model("chat", "Conversation")
        Message = apps.get_model("chat", "Message")
        shared, own = uuid.uuid4(), uuid.uuid4()
        sent = []
        for user in (UserFactory(), UserFactory()):  # two accounts, one id
            conversation = Conversation.objects.create(user_id=user.pk, message_count=2)
            sent.append(Message.objects.create(conversation=conversation, role="user",
                                               content="Hi", client_msg_id=shared))
        alone = Message.objects.create(conversation=conversation, role="user", content="Yo",
                                       client_msg_id=own)
    finally:
        apps = _migrate(AFTER)

    Message = apps.get_model("chat", "Message")
    assert Message.objects.get(pk=sent[0].pk).client_msg_id == shared
    assert Message.objects.get(pk=sent[1].pk).client_msg_id is None
    assert Message.objects.get(pk=alone.pk).client_msg_id == own
