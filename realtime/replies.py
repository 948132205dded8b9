"""Running an assistant reply: model stream → coalesced frames → sockets, buffer, database.

A reply runs as its own task on the process that received `chat.send` (or `POST ai/chat`),
independent of any socket: closing the socket does not stop it; only `chat.cancel` does (on any
process: locally by cancelling the task, remotely through a flag in the shared state).

Deltas are merged into frames about every 40 ms, so a fast model does not flood clients; each
frame gets the next `seq`, is appended to the reply buffer (which `chat.attach` reads on any
process) and sent to every socket of the user. The end is stored in one write, then published
as the `message.end` user event.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
from datetime import timedelta

from django.conf import settings

from chat.llm import Delta, Finish, LLMError, get_chat_model
from chat.services import (
    FinishedReply,
    ReplyJob,
    replies_in_progress_older_than,
    reply_finish,
)
from numerai.asgi_http import task_beyond_the_request
from numerai.db import db_async
from realtime import events
from realtime.protocol import frame
from realtime.push import chat_reply_push_if_offline
from realtime.streams import get_state

logger = logging.getLogger(__name__)

COALESCE_S = 0.04
REMOTE_POLL_S = 0.25

_running: dict[str, ReplyRun] = {}


async def _best_effort(what: str, awaitable, failures: set[str] | None = None):
    """Delivery and buffering must never lose the reply: a Redis outage is logged (once per
    reply and kind), the text is still collected and stored in the database at the end.
    Returns what `awaitable` returned, None if it failed."""
    try:
        return await awaitable
    except Exception:
        if failures is None or what not in failures:
            if failures is not None:
                failures.add(what)
            logger.warning("reply: %s failed", what, exc_info=True)
        return None


class ReplyRun:
    def __init__(self, message_id: str, stored: asyncio.Future | None = None):
        self.message_id = message_id
        # Resolved once the turn is stored, for a reply asked for before (`EarlyReply`):
        # nothing is sent or stored until then.
        self.stored = stored
        self.dropped = False
        self.task: asyncio.Task | None = None
        self.stop_reason: str | None = None  # "cancelled" | "interrupted"
        self.reading = False  # the model's stream is being read (the only time to cancel)
        # The processes holding the user's sockets, refreshed while the reply runs (a socket
        # that appears meanwhile fills any gap from the reply buffer).
        self.hubs: set[str] = set()

    def stop(self, reason: str) -> None:
        """Ends the reading of the model's stream; the reply is then stored with its text so
        far. Only the first request counts, and the task is cancelled only while it reads: a
        cancel after that (a second Stop, a Stop as the reply ends) would interrupt storing
        the reply."""
        if self.stop_reason is None:
            self.stop_reason = reason
            if self.reading:
                self.task.cancel()

    def drop(self) -> None:
        """The turn was not stored (a resend, a refusal): end without a frame or a write."""
        self.dropped = True
        self.task.cancel()
        _running.pop(self.message_id, None)  # a task cancelled before its start never ran

    async def run(self, job: ReplyJob) -> FinishedReply | None:
        state = get_state()
        user_id = str(job.user_id)
        model = get_chat_model()
        loop = asyncio.get_running_loop()
        # Announce the reply while the model's first token is on its way, not before asking.
        announce = asyncio.ensure_future(self._announce(state, user_id, job))
        parts: list[str] = []
        pending: list[str] = []
        seq = 0
        last_flush = float("-inf")
        finish_reason, usage, error = "stop", None, None
        wake = asyncio.Event()
        lock = asyncio.Lock()
        done = False
        failures: set[str] = set()

        # The announcement and the buffer's opening are awaited shielded: a Stop cancels the
        # reading, and must not cancel them on the way (the end waits for both).
        async def buffer(opened: asyncio.Future, seq: int, text: str) -> None:
            await asyncio.shield(opened)
            await _best_effort(
                "buffer append", state.reply_append(self.message_id, seq, text), failures
            )

        async def flush() -> None:
            nonlocal seq, last_flush
            async with lock:
                if not pending:
                    return
                # message.start always precedes the first delta
                opened = await asyncio.shield(announce)
                text = "".join(pending)
                pending.clear()
                seq += 1
                parts.append(text)
                last_flush = loop.time()
                delta = frame("message.delta",
                              {"message_id": self.message_id, "seq": seq, "delta": text})

                def send():
                    return _best_effort("message.delta",
                                        events.user_frame_send(user_id, delta, self.hubs), failures)

                if seq == 1:
                    # The first delta is what the user waits for, so it does not wait for the
                    # buffer. Any other is buffered first: `chat.attach` and the gap filling
                    # send what the buffer holds, which must not be behind what a socket got;
                    # before it holds the first frame it holds nothing they would send.
                    await asyncio.gather(buffer(opened, seq, text), send())
                else:
                    await buffer(opened, seq, text)
                    await send()

        async def flusher() -> None:
            """Sends what is pending once its 40 ms window has passed (a paused model)."""
            while not done:
                await wake.wait()
                wake.clear()
                delay = last_flush + COALESCE_S - loop.time()
                if delay > 0 and not done:
                    await asyncio.sleep(delay)
                await flush()

        flushing = asyncio.create_task(flusher())
        watcher = asyncio.create_task(self._watch(user_id)) if settings.SCALED else None
        try:
            self.reading = True
            if self.stop_reason is not None:  # stopped before the task began
                raise asyncio.CancelledError
            async with contextlib.aclosing(model.stream(job.messages, context=job.context)) as s:
                async for item in s:
                    if isinstance(item, Delta) and item.text:
                        pending.append(item.text)
                        # A fast model yields without pausing: flush inline when a window ends.
                        if loop.time() - last_flush >= COALESCE_S:
                            await flush()
                        else:
                            wake.set()
                    elif isinstance(item, Finish):
                        finish_reason = item.finish_reason
                        usage = item.usage
        except LLMError as exc:
            finish_reason, error = "error", exc
        except asyncio.CancelledError:
            if self.dropped:
                flushing.cancel()
                announce.cancel()
                raise
            finish_reason = self.stop_reason or "interrupted"
        except Exception:
            logger.exception("reply %s failed", self.message_id)
            finish_reason, error = "error", LLMError("llm_error", retryable=True)
        finally:
            self.reading = False
            done = True
            wake.set()
            if watcher is not None:
                watcher.cancel()
        await flushing
        await flush()
        await (await announce)  # the start sent and the buffer open: the end goes into it
        return await self._finish(
            job, user_id, "".join(parts), finish_reason, seq, usage, error, model
        )

    async def _announce(self, state, user_id: str, job: ReplyJob) -> asyncio.Future:
        """Sends `message.start` and returns the opening of the reply's buffer (a frame is
        buffered only after it). The opening reads where the user's sockets are, so the start
        waits for it; a reply asked for while its turn is stored reads that meanwhile instead,
        and sends the start as soon as the turn is stored, while the buffer opens."""
        def opening():
            return asyncio.ensure_future(_best_effort("buffer open", state.reply_open(
                self.message_id, user_id, str(job.conversation_id))))

        if self.stored is None:
            opened = opening()
            self.hubs = await opened or set()
        else:
            self.hubs = await _best_effort("presence", events.user_hubs(user_id)) or set()
            await self.stored
            opened = opening()
        await _best_effort("message.start", events.user_frame_send(user_id, frame(
            "message.start",
            {"conversation_id": str(job.conversation_id), "message_id": self.message_id},
        ), self.hubs))
        return opened

    async def _finish(self, job, user_id, content, finish_reason, seq, usage, error, model):
        usage_dict = (
            {"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens}
            if usage is not None else None
        )
        finished = await db_async(reply_finish)(
            message_id=self.message_id, content=content, finish_reason=finish_reason,
            seq=seq, usage=usage_dict, model=getattr(model, "name", ""),
        )
        if finished is None:  # already finished elsewhere (sweeper)
            return None
        if error is not None:
            await _best_effort("message.error", events.user_frame_send(user_id, frame(
                "message.error", {"message_id": self.message_id, **error.as_dict()},
            )))
        end = finished.end_data()
        await _best_effort("buffer finish", get_state().reply_finish(self.message_id, end))
        await _best_effort("message.end", events.user_event_publish(user_id, "message.end", end))
        if finished.new_title:
            await _best_effort("conversation.updated", events.user_event_publish(
                user_id, "conversation.updated",
                {"conversation_id": str(finished.conversation_id), "title": finished.new_title},
            ))
        await chat_reply_push_if_offline(user_id=user_id, message_id=self.message_id)
        return finished

    async def _watch(self, user_id: str) -> None:
        """Scaled mode: a cancel requested on another process; sockets opened on others."""
        state = get_state()
        while True:
            await asyncio.sleep(REMOTE_POLL_S)
            try:
                requested, self.hubs = await state.reply_watch(self.message_id, user_id)
            except Exception:  # Redis unavailable: keep generating, check again later
                logger.debug("reply %s: shared state unreadable", self.message_id, exc_info=True)
                continue
            if requested:
                self.stop("cancelled")
                return


def reply_start(message_id, job: ReplyJob, stored: asyncio.Future | None = None) -> ReplyRun:
    """Starts the reply as its own task on the running loop (never awaited by the socket)."""
    message_id = str(message_id)
    run = ReplyRun(message_id, stored)
    _running[message_id] = run

    async def guarded():
        started = time.monotonic()
        try:
            return await run.run(job)
        except Exception:
            logger.exception("reply %s crashed after %.1fs", message_id, time.monotonic() - started)
        finally:
            _running.pop(message_id, None)

    run.task = task_beyond_the_request(guarded())
    return run


class EarlyReply:
    """A reply asked of the model while its turn is being stored: `prepared` is turn_start's
    `on_prepared` (called on the database thread), then `stored` after the ack, or `refused`.
    The model's first token is then on its way during the turn's write."""

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        # The reply's task is made in the socket's context, not the database thread's (whose
        # asgiref state would make the reply's own database calls wait for that thread).
        self._context = contextvars.copy_context()
        self._stored: asyncio.Future = self._loop.create_future()
        self._run: ReplyRun | None = None

    def prepared(self, job: ReplyJob) -> None:
        self._loop.call_soon_threadsafe(self._start, job, context=self._context)

    def _start(self, job: ReplyJob) -> None:
        if not self._stored.done():  # not when the turn's outcome came first
            self._run = reply_start(job.message_id, job, stored=self._stored)

    def stored(self, job: ReplyJob) -> None:
        self._stored.set_result(None)
        if self._run is None:
            reply_start(job.message_id, job)

    def refused(self) -> None:
        self._stored.cancel()
        if self._run is not None:
            self._run.drop()


async def reply_cancel(message_id) -> None:
    """Cancels a reply wherever it runs: this process directly, others through the flag."""
    run = _running.get(str(message_id))
    if run is not None:
        run.stop("cancelled")
    else:
        await get_state().reply_cancel_request(str(message_id))


async def replies_interrupt_all() -> None:
    """Shutdown: stop every local reply; each stores its partial text as `interrupted`."""
    runs = list(_running.values())
    for run in runs:
        run.stop("interrupted")
    tasks = [run.task for run in runs if run.task is not None]
    if tasks:
        await asyncio.wait(tasks, timeout=10)


ORPHAN_AGE_S = 120
ORPHAN_IDLE_S = 90


async def replies_sweep_orphans() -> int:
    """Finishes replies whose process died: stored as `interrupted` with the buffered text."""
    candidates = await db_async(replies_in_progress_older_than)(
        age=timedelta(seconds=ORPHAN_AGE_S)
    )
    state = get_state()
    swept = 0
    for message_id in map(str, candidates):
        if message_id in _running:
            continue
        snapshot = await state.reply_snapshot(message_id)
        if snapshot is not None and time.time() - snapshot.updated_at < ORPHAN_IDLE_S:
            continue  # alive on another process
        finished = await db_async(reply_finish)(
            message_id=message_id,
            content=snapshot.content if snapshot else "",
            finish_reason="interrupted",
            seq=snapshot.seq if snapshot else 0,
        )
        if finished is None:
            continue
        end = finished.end_data()
        await state.reply_finish(message_id, end)
        await events.user_event_publish(finished.user_id, "message.end", end)
        swept += 1
    return swept
