"""Django's HTTP handler as the servers run it (asgi.py): no traceback holds a request's frames
once its response is sent, and a client that leaves mid-request still cancels the view."""

import asyncio
import gc
import types

import pytest
from django.core.exceptions import RequestAborted
from django.http import HttpResponse
from django.urls import path

from asgi import django_asgi_app

pytestmark = pytest.mark.urls(__name__)

cancelled = asyncio.Event()


async def forever(request):
    try:
        await asyncio.Event().wait()
    except asyncio.CancelledError:
        cancelled.set()
        raise
    return HttpResponse()


async def hello(request):
    return HttpResponse("hello")


urlpatterns = [path("forever", forever), path("hello", hello)]


def _scope(path_: str) -> dict:
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
            "scheme": "http", "path": f"/{path_}", "raw_path": f"/{path_}".encode(),
            "query_string": b"", "root_path": "", "headers": [(b"host", b"localhost")],
            "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000)}


async def test_no_traceback_holds_the_request_once_its_response_is_sent():
    """As uvicorn does on a keep-alive connection, `receive()` answers `http.disconnect` once
    the response is sent; Django's listener turned it into an exception whose traceback held
    the handler's frame, and with it the request, the response and the view, in a cycle
    (Django ticket #36700). Small cycles of Django's own remain (the request and its
    messages storage)."""
    sent, read, done = [], asyncio.Event(), asyncio.Event()

    async def receive():
        if not read.is_set():
            read.set()
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            done.set()

    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        await django_asgi_app(_scope("hello"), receive, send)
        gc.collect()
        left = [type(obj).__name__ for obj in gc.garbage
                if isinstance(obj, (RequestAborted, types.TracebackType, types.FrameType))]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()

    assert sent[0]["status"] == 200 and sent[1]["body"] == b"hello"
    assert left == []


async def test_a_client_that_leaves_mid_request_cancels_the_view():
    cancelled.clear()
    sent, left = [], asyncio.Event()

    async def receive():
        if not left.is_set():
            left.set()
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.sleep(0.05)
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    await asyncio.wait_for(django_asgi_app(_scope("forever"), receive, send), timeout=10)

    assert cancelled.is_set() and sent == []
