"""Django's HTTP handler as the servers run it (asgi.py): reused request threads, a sync view's
request in one thread call, and requests freed as soon as their response is sent; and tasks
that outlive the request that starts them."""

import asyncio
import contextvars
import logging
import threading
from collections.abc import Coroutine
from concurrent.futures import Future, ThreadPoolExecutor

from asgiref.sync import SyncToAsync, ThreadSensitiveContext, iscoroutinefunction, sync_to_async
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.handlers.base import BaseHandler
from django.http import FileResponse
from django.urls import ResolverMatch, resolve, set_script_prefix

logger = logging.getLogger(__name__)

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


class _Handoff:
    """A streaming response on its way from the request's thread to a handler that the server
    may cancel meanwhile: whichever side comes second closes it, so `request_finished` gives
    the thread's database connection back (Django's handler leaves it unclosed)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._response = None
        self._left = False

    def give(self, response) -> bool:
        """The thread's side: False if the handler has left (the thread closes it)."""
        with self._lock:
            self._response = response
            return not self._left

    def leave(self):
        """The cancelled handler's side: the response it must close, if already given."""
        with self._lock:
            self._left = True
            return self._response


class _SyncChain(BaseHandler):
    """The middleware as a sync chain, taking the view the HTTP handler has already resolved
    instead of resolving the URL a second time."""

    def resolve_request(self, request):
        match = request.__dict__.pop("_resolved", None)
        if match is None or hasattr(request, "urlconf"):  # a middleware chose another URLconf
            return super().resolve_request(request)
        request.resolver_match = match
        return match


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
        # thread: see handle.
        self._sync_chain = _SyncChain()
        self._sync_chain.load_middleware(is_async=False)
        self._respond = sync_to_async(self._respond_sync)

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

    async def handle(self, scope, receive, send):
        """Django's `handle`, with a sync view's request in one call on its thread; an async
        view keeps Django's.

        Django enters the request's thread three times per request: for `request_started`'s
        receivers, for the middleware and view, and after sending the response for
        `response.close()` (`request_finished`). Behind sync middleware (all of ours) its async
        chain also enters the thread for the middleware, comes back to the loop to resolve the
        view, enters it again for a sync view and comes back twice (Django ticket #37177). Each
        crossing is a wake-up of the thread and then of the loop. Here a sync view's request
        (every DRF view, and every 404) is one call: `request_started`, the request, the same
        middleware built as a sync chain, the view and, unless the response streams,
        `request_finished` before the response is sent rather than after
        (docs/performance.md, fixes 31 and 34). The URL is resolved here, once: to know the view,
        which the sync chain then takes (with the root URLconf: no middleware here sets
        `request.urlconf`).

        Django also races the view against the client's `http.disconnect`. A sync view runs to
        its end anyway (a thread is not cancelled), so only a streaming response (SSE) races
        it here, and is cut off as Django cuts it off.
        """
        match = self._resolve(scope)
        if match is not None and iscoroutinefunction(match.func):
            await super().handle(scope, receive, send)
            return
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        set_script_prefix(get_script_prefix(scope))
        # The body is the request's from here: closed with it, on its thread (a view the
        # server cancels here still runs there and may still read it).
        handoff = _Handoff()
        try:
            response = await self._respond(scope, body_file, handoff, match)
        except asyncio.CancelledError:
            if (abandoned := handoff.leave()) is not None:
                await _close(abandoned)
            raise
        if response.streaming:
            await self._stream(response, receive, send)
        else:
            await self.send_response(response, send)

    @staticmethod
    def _resolve(scope) -> ResolverMatch | None:
        """The view of the request's path (as `ASGIRequest` derives it), or None for a 404 or
        a broken URLconf, which the sync chain answers as Django does."""
        script_name = get_script_prefix(scope)
        path_info = scope["path"].removeprefix(script_name) if script_name else scope["path"]
        try:
            return resolve(path_info)
        except Exception:
            return None

    def _respond_sync(self, scope, body_file, handoff: _Handoff, match: ResolverMatch | None):
        """On the request's thread: what Django does there in three calls, in one."""
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is None:
            body_file.close()  # else the request closes it, with the response
        else:
            request._resolved = match
            response = self._sync_chain.get_response(request)
            response._handler_class = self.__class__
            if isinstance(response, FileResponse):
                response.block_size = self.chunk_size
        if response.streaming:
            if not handoff.give(response):
                response.close()  # the server cancelled the request: nobody will stream it
        else:
            try:
                response.close()
            except Exception:  # Django would raise it after sending: the answer is still sent
                logger.exception("closing the response failed")
        return response

    async def _stream(self, response, receive, send):
        """A streaming response until it ends or the client leaves, then closed (Django's race)."""
        tasks = (asyncio.create_task(self.listen_for_disconnect(receive)),
                 asyncio.create_task(self.send_response(response, send)))
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()  # nothing if it has ended
            try:
                ended = await asyncio.gather(*tasks, return_exceptions=True)
            finally:
                await _close(response)
        for outcome in ended:
            if isinstance(outcome, Exception) and not isinstance(outcome, RequestAborted):
                raise outcome

    def end_idle_threads(self) -> None:
        """Ends the threads kept for the next requests; later requests start new ones."""
        while self._idle_threads:
            self._idle_threads.pop().shutdown()

    async def listen_for_disconnect(self, receive):
        try:
            await super().listen_for_disconnect(receive)
        except RequestAborted:
            return


async def _close(response) -> None:
    """`response.close()` on the request's thread, run to its end even when the server cancels
    the handler again meanwhile (daphne does, every second after its application close
    timeout): `request_finished` gives the thread's database connection back."""
    await asyncio.shield(sync_to_async(response.close)())


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

