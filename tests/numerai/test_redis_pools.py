"""Redis connections opened while a pool grows (cache, channel layer, shared real-time state)
do not read redis-py's version from the installed packages' metadata each time: that lookup
ran on the event loop for every new connection (see numerai/settings.py). The cache's
redis-py client is built once per process, not once per request (numerai/cache.py)."""

import contextvars
from concurrent.futures import ThreadPoolExecutor

import pytest
from channels.layers import get_channel_layer
from django.core.cache import cache, caches

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


def test_requests_share_one_cache_client():
    def request(write: str, read: str):
        # What each request under ASGI is: a context of its own, so a cache backend of its own.
        def in_its_context():
            backend = caches["default"]
            backend.set(write, write)
            return backend, backend.client.get_client(), backend.get(read)

        return contextvars.Context().run(in_its_context)

    cache.delete_many(["shared-a", "shared-b"])
    with ThreadPoolExecutor(max_workers=1) as thread:
        first = thread.submit(request, "shared-a", "shared-b").result()
    second = request("shared-b", "shared-a")

    assert first[0] is not second[0]  # Django's per-context backends...
    assert first[1] is second[1]  # ...on one redis-py client
    assert (first[2], second[2]) == (None, "shared-a")


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
