"""Redis connections opened while a pool grows (cache, channel layer, shared real-time state)
do not read redis-py's version from the installed packages' metadata each time: that lookup
ran on the event loop for every new connection (see numerai/settings.py)."""

import pytest
from channels.layers import get_channel_layer
from django.core.cache import cache

from realtime.streams import get_state

pytestmark = pytest.mark.scaled


@pytest.fixture
def no_version_lookup(monkeypatch):
    def looked_up():
        raise AssertionError("a new Redis connection read the package metadata")

    monkeypatch.setattr("redis.utils.get_lib_version", looked_up)


def test_cache_connections(no_version_lookup):
    cache.client.get_client().connection_pool.reset()  # the next command opens a new one
    cache.set("pool-test", 1)
    assert cache.get("pool-test") == 1


@pytest.mark.asyncio
async def test_channel_layer_and_state_connections(no_version_lookup):
    layer = get_channel_layer()
    await layer.close_pools()  # pools are per event loop; this test's loop opens new ones
    channel = await layer.new_channel()
    await layer.send(channel, {"type": "pool.test"})
    assert (await layer.receive(channel))["type"] == "pool.test"
    await layer.close_pools()

    state = get_state()
    assert await state.client().ping()
    await state.close_for_loop()
