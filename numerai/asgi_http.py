"""Django's HTTP handler as the servers run it (asgi.py): reused request threads, sync views in
one thread call, and requests freed as soon as their response is sent."""

from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext, iscoroutinefunction, sync_to_async
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.base import BaseHandler
from django.urls import Resolver404, resolve

# Request threads kept idle for the next requests; after a burst the rest end.
IDLE_REQUEST_THREADS = 64


class DjangoASGIHandler(ASGIHandler):
    """Django's HTTP handler, on reused request threads, whose requests are freed as soon as
    their response is sent.

    Django runs a request's sync code (middleware, view) on a thread of its own, started for
    the request and ended after it. Starting it blocks the event loop until the new thread
    gets the GIL, and the thread's database wrapper is built anew each time. Here a request
    borrows an idle single-thread executor and gives it back (asgiref's
    `ThreadSensitiveContext(executor=...)`): still one thread per request in flight and never
    two requests on one thread at once (docs/performance.md, fix 29). A view still running
    when its client left (Django cancels the request, not the thread) delays the next request
    on that thread until it ends, as it would hold any thread.

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
        self._idle_threads: list[ThreadPoolExecutor] = []
        # The same middleware once more, as a sync chain: see get_response_async.
        self._sync_chain = BaseHandler()
        self._sync_chain.load_middleware(is_async=False)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        executor = (self._idle_threads.pop() if self._idle_threads
                    else ThreadPoolExecutor(max_workers=1, thread_name_prefix="django-request"))
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
        finally:
            if len(self._idle_threads) < IDLE_REQUEST_THREADS:
                self._idle_threads.append(executor)
            else:
                executor.shutdown(wait=False)

    async def get_response_async(self, request):
        """A sync view (every DRF view) runs with the middleware in one call on the request's
        thread; an async view keeps Django's async chain.

        Django builds a single async chain. Behind sync middleware (all of ours) it enters the
        request thread for the middleware, comes back to the loop to resolve the view, enters
        the thread again for the view, and comes back twice: four more crossings between the
        loop and the thread per request, each a wake-up (Django ticket #37177;
        docs/performance.md, fix 31). The URL is resolved here once more to know the view.
        """
        try:
            is_async = iscoroutinefunction(resolve(request.path_info).func)
        except Resolver404:
            is_async = False  # the sync chain answers the 404 as the async one would
        if is_async:
            return await super().get_response_async(request)
        return await sync_to_async(self._sync_chain.get_response)(request)

    def end_idle_threads(self) -> None:
        """Ends the threads kept for the next requests; later requests start new ones."""
        while self._idle_threads:
            self._idle_threads.pop().shutdown()

    async def listen_for_disconnect(self, receive):
        try:
            await super().listen_for_disconnect(receive)
        except RequestAborted:
            return
