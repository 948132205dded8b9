import json

import pytest
from channels.testing import WebsocketCommunicator

from accounts.tokens import access_token_encode
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _fresh_state():
    """Each test starts with empty real-time state (memory) or a flushed Redis DB."""
    from django.conf import settings

    from realtime import streams

    if settings.REDIS_URL:
        import redis

        redis.Redis.from_url(settings.REDIS_URL).flushdb()
    streams.reset_state()
    yield
    streams.reset_state()


@pytest.fixture
def scripted_model(settings):
    def use(**options):
        settings.CHAT_MODEL_BACKEND = "tests.support.chat_models.ScriptedChatModel"
        settings.CHAT_MODEL_OPTIONS = options

    return use


def token_for(user) -> str:
    return access_token_encode(user_id=user.pk, is_premium=user.is_premium).raw


class Client:
    """A WebsocketCommunicator speaking JSON frames against the real ASGI application."""

    def __init__(self, communicator):
        self.ws = communicator

    async def send(self, type_, data=None, id=None):
        frame = {"type": type_}
        if data is not None:
            frame["data"] = data
        if id is not None:
            frame["id"] = id
        await self.ws.send_to(text_data=json.dumps(frame))

    async def recv(self, timeout=5):
        return json.loads(await self.ws.receive_from(timeout=timeout))

    async def recv_until(self, type_, timeout=5):
        frames = []
        while True:
            frame = await self.recv(timeout)
            frames.append(frame)
            if frame["type"] == type_:
                return frames

    async def closed_with(self, timeout=5):
        while True:
            output = await self.ws.receive_output(timeout)
            if output["type"] == "websocket.close":
                # Let the consumer run its disconnect handler, as a real server would.
                await self.ws.send_input({"type": "websocket.disconnect",
                                          "code": output.get("code")})
                await self.ws.wait(timeout)
                return output.get("code")

    async def close(self):
        await self.ws.disconnect()


async def open_socket(headers=None, subprotocols=None):
    from asgi import application

    communicator = WebsocketCommunicator(
        application, "/ws/v1/", headers=headers or [], subprotocols=subprotocols
    )
    connected, subprotocol = await communicator.connect()
    assert connected
    client = Client(communicator)
    client.subprotocol = subprotocol
    return client


async def authed_socket(user, **auth_data):
    client = await open_socket()
    await client.send("auth", {"token": token_for(user), **auth_data})
    welcome = await client.recv()
    assert welcome["type"] == "welcome", welcome
    client.welcome = welcome
    return client


@pytest.fixture
def user(transactional_db):
    return UserFactory()
