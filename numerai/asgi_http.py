"""Django's HTTP handler as the servers run it (asgi.py): reused request threads, sync views in
one thread call, and requests freed as soon as their response is sent; and tasks that outlive
the request that starts them."""

import asyncio
import contextvars
from collections.abc import Coroutine
from concurrent.futures import Future, ThreadPoolExecutor

from asgiref.sync import SyncToAsync, ThreadSensitiveContext, iscoroutinefunction, sync_to_async
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.base import BaseHandler
from django.urls import resolve

# Request threads kept idle for the next requests; after a burst the rest end.
IDLE_REQUEST_THREADS = 64


class _RequestThread(ThreadPoolExecutor):
    """One request thread; `idle` once the last work given to it has ended."""

    def __init__(self) -> None:
        super().__init__(max_workers=1, thread_name_prefix="django-request")
        self._last: Future | None = None

    def submit(self, fn, /, *args, **kwargs) -> Future:
        self._last = super().submit(fn, *args, **kwargs)
        return self._last

    @property
    def idle(self) -> bool:
        return self._last is None or self._last.done()


class DjangoASGIHandler(ASGIHandler):
    """Django's HTTP handler, on reused request threads, whose requests are freed as soon as
    their response is sent.

    Django runs a request's sync code (middleware, view) on a thread of its own, started for
    the request and ended after it. Starting it blocks the event loop until the new thread
    gets the GIL, and the thread's database wrapper is built anew each time. Here a request
    borrows an idle single-thread executor and gives it back (asgiref's
    `ThreadSensitiveContext(executor=...)`): still one thread per request in flight and never
    two requests on one thread at once (docs/performance.md, fix 29). A thread still busy
    when its request ends (a sync view whose client left: Django cancels the request, not the
    thread) is not lent again; it ends after that work.

    Django 5.2's `handle` waits for the view and for the client's disconnect, whichever ends
    first, and cancels the other. A keep-alive server answers the listener's `receive()` with
    `http.disconnect` once the response is sent, and the listener raises `RequestAborted`,
    which `handle` ignores. Its traceback holds `handle`'s frame, whose tasks hold the
    exception: a cycle that kept every request's objects (request, response, view) until a
    full garbage collection, which under REST load ran every second or two and stopped the
    process for 0.1 s (Django ticket #36700; docs/performance.md, fix 27). Returning instead
    changes nothing else: `handle` looks at which task ended, not how. (Django 6.1 cancels the
    view only on the exception; this is for 5.2.)
    """

    def __init__(self) -> None:
        super().__init__()
        self._idle_threads: list[_RequestThread] = []
        # The same middleware once more, as a sync chain run in one call on the request's
        # thread: see get_response_async.
        sync_chain = BaseHandler()
        sync_chain.load_middleware(is_async=False)
        self._sync_response = sync_to_async(sync_chain.get_response)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        thread = self._idle_threads.pop() if self._idle_threads else _RequestThread()
        try:
            async with ThreadSensitiveContext(executor=thread):
                await self.handle(scope, receive, send)
        finally:
            if thread.idle and len(self._idle_threads) < IDLE_REQUEST_THREADS:
                self._idle_threads.append(thread)
            else:
                thread.shutdown(wait=False)

    async def get_response_async(self, request):
        """A sync view (every DRF view) runs with the middleware in one call on the request's
        thread; an async view keeps Django's async chain.

        Django builds a single async chain. Behind sync middleware (all of ours) it enters the
        request thread for the middleware, comes back to the loop to resolve the view, enters
        the thread again for the view, and comes back twice: four more crossings between the
        loop and the thread per request, each a wake-up (Django ticket #37177;
        docs/performance.md, fix 31). The URL is resolved here once more to know the view
        (with the root URLconf: no middleware here sets `request.urlconf`).
        """
        try:
            is_async = iscoroutinefunction(resolve(request.path_info).func)
        except Exception:  # a 404 or a broken URLconf: the sync chain answers as Django does
            is_async = False
        if is_async:
            return await super().get_response_async(request)
        return await self._sync_response(request)

    def end_idle_threads(self) -> None:
        """Ends the threads kept for the next requests; later requests start new ones."""
        while self._idle_threads:
            self._idle_threads.pop().shutdown()

    async def listen_for_disconnect(self, receive):
        try:
            await super().listen_for_disconnect(receive)
        except RequestAborted:
            return


def task_beyond_the_request(coro: Coroutine) -> asyncio.Task:
    """A task that may outlive the HTTP request that starts it (a chat reply, the hub).

    A task copies its creator's context, and in a request that names the request's borrowed
    thread (asgiref's `ThreadSensitiveContext`), which refuses thread-sensitive calls once the
    request has ended: a reply's last database call failed when its SSE client left early.
    Here the task's thread-sensitive calls run where a task's started outside any request (a
    socket's) do.
    """
    context = contextvars.copy_context()
    context.run(SyncToAsync.thread_sensitive_context.set, None)
    return asyncio.get_running_loop().create_task(coro, context=context)

