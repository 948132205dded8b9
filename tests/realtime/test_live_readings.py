"""Live `reading.daily`: a created daily reading reaches its owner's open sockets, and only them."""

import pytest
from channels.db import database_sync_to_async

from readings import services
from readings.models import DailyReading
from tests.factories import UserFactory
from tests.realtime.conftest import authed_socket

pytestmark = pytest.mark.django_db(transaction=True)


def assert_reading_payload(data: dict, reading: DailyReading) -> None:
    assert data["id"] == str(reading.pk)
    assert data["date"] == reading.reading_date.isoformat()
    assert data["personal_day"]["value"] == reading.personal_day
    assert isinstance(data["personal_day"]["value"], int)
    assert data["lucky_number"] == reading.lucky_number
    assert data["lucky_colour"] == {"name": reading.lucky_colour_name,
                                    "hex": reading.lucky_colour_hex}
    assert data["lucky_colour"]["name"] and data["lucky_colour"]["hex"].startswith("#")
    assert data["affirmation"] == reading.affirmation and data["affirmation"]


create_reading = database_sync_to_async(services.daily_reading_get_or_create)


async def live_event(client) -> dict:
    """The next live `reading.daily`. A socket reads today's reading just after its welcome
    (state on connect, no offset); a reading created meanwhile may come first that way."""
    event = await client.recv()
    if event["type"] == "reading.daily" and "offset" not in event:
        event = await client.recv()
    return event


async def test_created_reading_is_sent_live_to_the_owner_only(user):
    other = await database_sync_to_async(UserFactory)()
    mine = await authed_socket(user)
    theirs = await authed_socket(other)
    assert mine.welcome["data"]["offset"] == 0
    reading = await create_reading(user=user)
    event = await live_event(mine)
    assert event["type"] == "reading.daily", event
    assert event["offset"] == 1
    assert_reading_payload(event["data"], reading)
    assert await theirs.ws.receive_nothing(timeout=0.5)
    assert await mine.ws.receive_nothing(timeout=0.2)
    await mine.close()
    await theirs.close()


async def test_every_socket_of_the_owner_gets_it(user):
    phone, tab = await authed_socket(user), await authed_socket(user)
    reading = await create_reading(user=user)
    for client in (phone, tab):
        event = await live_event(client)
        assert event["type"] == "reading.daily" and event["offset"] == 1, event
        assert event["data"]["id"] == str(reading.pk)
    await phone.close()
    await tab.close()


async def test_an_existing_reading_is_not_sent_again(user):
    first = await create_reading(user=user)
    client = await authed_socket(user)
    today = await client.recv()  # the state on connect
    assert today["type"] == "reading.daily"
    again = await create_reading(user=user)
    assert again.pk == first.pk
    assert await client.ws.receive_nothing(timeout=0.5)
    await client.close()


async def test_new_connection_gets_todays_reading_right_after_welcome(user):
    reading = await create_reading(user=user)
    client = await authed_socket(user)
    assert client.welcome["data"]["offset"] == 1  # the live event is in the user's stream
    event = await client.recv()
    assert event["type"] == "reading.daily", event
    assert_reading_payload(event["data"], reading)
    assert await client.ws.receive_nothing(timeout=0.3)
    await client.close()


async def test_no_reading_no_frame_after_welcome(user):
    client = await authed_socket(user)
    assert await client.ws.receive_nothing(timeout=0.5)
    await client.close()


async def test_resume_replays_the_missed_live_event(user):
    client = await authed_socket(user)
    epoch = client.welcome["data"]["epoch"]
    await client.close()
    reading = await create_reading(user=user)
    back = await authed_socket(user, resume={"epoch": epoch, "offset": 0})
    replayed = await back.recv()
    assert (replayed["type"], replayed["offset"]) == ("reading.daily", 1)
    assert replayed["data"]["id"] == str(reading.pk)
    today = await back.recv()
    assert today["type"] == "reading.daily" and today["data"]["id"] == str(reading.pk)
    await back.close()
