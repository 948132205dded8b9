"""Django's HTTP handler as the servers run it (asgi.py): no traceback holds a request's frames
once its response is sent, a client that leaves mid-request still cancels the view, and
requests reuse idle threads but never share one while in flight."""

import asyncio
import contextlib
import gc
import itertools
import threading
import types

import pytest
from asgiref.sync import AsyncToSync
from django.core import signals
from django.core.exceptions import RequestAborted
from django.http import HttpResponse, StreamingHttpResponse
from django.urls import path

from asgi import django_asgi_app
from numerai import asgi_http

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


release = threading.Event()
threads, serials = threading.local(), itertools.count()


def thread(request):
    """A sync view: which thread runs it (a serial number per thread: the OS reuses thread
    ids), after waiting for the test's go if asked to. The serials it started on: `started`."""
    if not hasattr(threads, "serial"):
        threads.serial = next(serials)
    started.append(str(threads.serial).encode())
    if "wait" in request.GET:
        release.wait(timeout=10)
    try:
        bodies.append(request.body)
    except Exception as exc:  # what the test looks at
        bodies.append(exc)
    return HttpResponse(str(threads.serial))


started: list[bytes] = []
bodies: list = []


def stream(request):
    """A sync view whose response streams: two parts, or parts until the client leaves; after
    waiting for the test's go if asked to."""
    started.append(b"stream")
    if "wait" in request.GET:
        release.wait(timeout=10)
    async def parts():
        yield b"a"
        while "endless" in request.GET:
            await asyncio.sleep(0.01)
            yield b"."
        yield b"b"

    return StreamingHttpResponse(parts())


urlpatterns = [path("forever", forever), path("hello", hello), path("thread", thread),
               path("stream", stream)]


def _scope(path_: str, query: bytes = b"") -> dict:
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
            "scheme": "http", "path": f"/{path_}", "raw_path": f"/{path_}".encode(),
            "query_string": query, "root_path": "", "headers": [(b"host", b"localhost")],
            "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000)}


async def _get(path_: str, query: bytes = b"") -> tuple[int, bytes]:
    """The response's status and body, from a client that stays until the response is sent
    and is then told `http.disconnect`, as uvicorn tells it on a keep-alive connection."""
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

    await asyncio.wait_for(django_asgi_app(_scope(path_, query), receive, send), timeout=10)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


async def test_no_traceback_holds_the_request_once_its_response_is_sent():
    """Django's listener turned the `http.disconnect` that follows a sent response into an
    exception whose traceback held the handler's frame, and with it the request, the response
    and the view, in a cycle (Django ticket #36700). Small cycles of Django's own remain (the
    request and its messages storage)."""
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        response = await _get("hello")
        gc.collect()
        left = [type(obj).__name__ for obj in gc.garbage
                if isinstance(obj, (RequestAborted, types.TracebackType, types.FrameType))]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()

    assert response == (200, b"hello")
    assert left == []


async def _leave(path_: str, query: bytes = b"") -> list[dict]:
    """A client that sends its request and leaves 50 ms later; what it was sent."""
    sent, left = [], asyncio.Event()

    async def receive():
        if not left.is_set():
            left.set()
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.sleep(0.05)
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    await asyncio.wait_for(django_asgi_app(_scope(path_, query), receive, send), timeout=10)
    return sent


async def test_a_client_that_leaves_mid_request_cancels_the_view():
    cancelled.clear()
    assert await _leave("forever") == []
    assert cancelled.is_set()


async def _cancel_mid_view(path_: str) -> None:
    """A request to a view that waits for `release`, cancelled (as a server cancels it) once
    the view has started; the view waits on."""
    release.clear()
    started.clear()
    request = asyncio.create_task(_get(path_, b"wait"))
    while not started:
        await asyncio.sleep(0.01)
    request.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await request


async def test_a_thread_still_busy_when_its_request_is_cancelled_is_not_lent_again():
    """A server may cancel the application while a sync view still runs (daphne's application
    close timeout): that thread must not serve the next request."""
    bodies.clear()
    await _cancel_mid_view("thread")
    try:
        _, other = await _get("thread")
        assert other != started[0]
    finally:
        release.set()
    # The cancelled request's view ran on to its end, and could still read its body.
    while len(bodies) < 2:
        await asyncio.sleep(0.01)
    assert bodies[-2:] == [b"", b""]


async def test_requests_reuse_idle_threads_and_never_share_one_in_flight():
    first = await _get("thread")
    assert await _get("thread") == first  # the idle thread serves the next request

    release.clear()
    waiting = asyncio.create_task(_get("thread", b"wait"))  # holds its thread...
    await asyncio.sleep(0.1)
    other = await _get("thread")  # ...so this one runs on another
    release.set()
    assert await waiting != other
    assert {await waiting, other} >= {first}


async def test_a_sync_view_runs_with_the_middleware_in_one_thread_call(monkeypatch):
    """Behind sync middleware, Django's async chain went back to the loop to resolve a sync
    view and into the thread again to run it: four more wake-ups per request."""
    back_to_the_loop = []
    original = AsyncToSync.__call__

    def counted(self, *args, **kwargs):
        back_to_the_loop.append(self.awaitable)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(AsyncToSync, "__call__", counted)
    assert (await _get("thread"))[0] == 200
    assert (await _get("no-such-page"))[0] == 404
    assert back_to_the_loop == []
    # An async view keeps Django's async chain, which leaves the sync middleware for the loop.
    assert (await _get("hello")) == (200, b"hello")
    assert len(back_to_the_loop) == 1


@pytest.fixture
def signalled():
    """`request_started` / `request_finished` as they are sent."""
    sent = []

    def started_(**kwargs):
        sent.append("started")

    def finished(**kwargs):
        sent.append("finished")

    signals.request_started.connect(started_)
    signals.request_finished.connect(finished)
    yield sent
    signals.request_started.disconnect(started_)
    signals.request_finished.disconnect(finished)


async def test_a_sync_views_request_is_one_thread_call(monkeypatch, signalled):
    """Django entered the request's thread three times: for `request_started`, for the
    middleware and view, and for `response.close()` (`request_finished`) after sending."""
    calls = []
    original = asgi_http._RequestThread.submit

    def counted(self, fn, /, *args, **kwargs):
        calls.append(fn)
        return original(self, fn, *args, **kwargs)

    monkeypatch.setattr(asgi_http._RequestThread, "submit", counted)
    assert (await _get("thread"))[0] == 200
    assert len(calls) == 1
    assert (await _get("no-such-page"))[0] == 404
    assert len(calls) == 2
    assert signalled == ["started", "finished"] * 2


async def test_a_streaming_response_is_closed_after_its_last_part(signalled):
    assert await _get("stream") == (200, b"ab")
    assert signalled == ["started", "finished"]


async def test_a_streaming_response_ends_when_its_client_leaves(signalled):
    sent = await _leave("stream", b"endless")
    assert sent[0]["status"] == 200
    assert sent[1]["body"] == b"a" and sent[-1].get("more_body", False)
    assert signalled == ["started", "finished"]


async def test_request_finished_is_sent_before_the_response(signalled):
    """The database connection goes back to the pool before the response is sent, not after."""
    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        signalled.append(message["type"])

    await asyncio.wait_for(django_asgi_app(_scope("thread"), receive, send), timeout=10)
    assert signalled == ["started", "finished", "http.response.start", "http.response.body"]


async def test_a_request_django_cannot_read_is_a_400_and_still_finished(signalled):
    assert (await _get("thread", b"\xff"))[0] == 400  # a query string that is not UTF-8
    assert signalled == ["started", "finished"]


async def test_a_streaming_response_is_closed_when_its_request_is_cancelled_mid_view(signalled):
    """The server cancels the request while the view runs: the response the view then returns
    is streamed to nobody, and closed (its thread's database connection back to the pool)."""
    await _cancel_mid_view("stream")
    release.set()
    for _ in range(500):
        if "finished" in signalled:
            break
        await asyncio.sleep(0.01)
    assert signalled == ["started", "finished"]
