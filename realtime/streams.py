"""Shared real-time state: the per-user event stream, per-reply delta buffers, socket presence.

Redis in the scaled mode (so any process can replay, attach or count sockets), process memory in
the embedded default (one process; everything runs on the server's event loop there).

- User stream: every user event gets the next `offset` of the user's stream; the stream's
  identity is its `epoch` (a new epoch when the stream is recreated, e.g. Redis lost it). Kept:
  the last 1,000 events and anything younger than 24 h.
- Reply buffer: the frames (`seq` → text) of a reply in progress, its end frame once finished;
  expires a few minutes after the end (the final text is in the database).
- Presence: each live socket as `<hub id>|<session id>` (realtime/hub.py), expiring unless its
  process's heartbeat refreshes it; it caps sockets per user and tells senders which processes
  hold a user's sockets.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
import weakref
from dataclasses import dataclass, field

from django.conf import settings

RETAIN_EVENTS = 1000
RETAIN_SECONDS = 24 * 3600
BUFFER_TTL_AFTER_END_S = 300
BUFFER_TTL_S = 3600
BATCH = 500  # commands per Redis pipeline
PRESENCE_TTL_S = 90  # a socket re-announces itself every heartbeat (25 s)


@dataclass
class StreamEvent:
    offset: int
    frame: dict  # the full frame, with "offset"


@dataclass
class Snapshot:
    seq: int
    content: str
    end: dict | None  # the message.end frame data when finished
    updated_at: float


def presence_member(hub_id: str, session_id: str) -> str:
    """A socket's presence entry names its hub, so a sender knows which processes to reach."""
    return f"{hub_id}|{session_id}"


def hub_of(member: str) -> str:
    return member.partition("|")[0]


def _hubs(members) -> set[str]:
    return {hub_of(m) for m in members}


def _new_epoch() -> str:
    return secrets.token_hex(8)


# ----------------------------------------------------------------------------- memory


@dataclass
class _MemoryStream:
    epoch: str
    head: int = 0
    events: list = field(default_factory=list)  # (offset, ts, frame)


@dataclass
class _MemoryReply:
    user_id: str
    conversation_id: str
    frames: list = field(default_factory=list)
    end: dict | None = None
    cancel: bool = False
    updated_at: float = field(default_factory=time.time)
    expires_at: float = field(default_factory=lambda: time.time() + BUFFER_TTL_S)


class MemoryState:
    """Embedded default: one process, every call on the server's event loop."""

    def __init__(self):
        self.streams: dict[str, _MemoryStream] = {}
        self.replies: dict[str, _MemoryReply] = {}
        self.sockets: dict[str, dict[str, float]] = {}

    def _stream(self, user_id: str) -> _MemoryStream:
        stream = self.streams.get(user_id)
        if stream is None:
            stream = self.streams[user_id] = _MemoryStream(epoch=_new_epoch())
        return stream

    async def stream_append(self, user_id: str, frame: dict) -> StreamEvent:
        stream = self._stream(user_id)
        stream.head += 1
        now = time.time()
        stored = {**frame, "offset": stream.head}
        stream.events.append((stream.head, now, stored))
        while len(stream.events) > RETAIN_EVENTS and stream.events[0][1] < now - RETAIN_SECONDS:
            stream.events.pop(0)
        return StreamEvent(stream.head, stored)

    async def stream_append_many(
        self, items: list[tuple[str, dict]]
    ) -> list[tuple[StreamEvent, set[str]]]:
        return [(await self.stream_append(user_id, frame), await self.presence_hubs(user_id))
                for user_id, frame in items]

    async def stream_head(self, user_id: str) -> tuple[str, int]:
        stream = self._stream(user_id)
        return stream.epoch, stream.head

    async def stream_read_after(self, user_id: str, epoch: str, offset: int):
        stream = self._stream(user_id)
        if epoch != stream.epoch or offset > stream.head or offset < 0:
            return None
        first = stream.events[0][0] if stream.events else stream.head + 1
        if offset + 1 < first:
            return None
        return [StreamEvent(o, f) for o, _, f in stream.events if o > offset]

    def _reply(self, message_id: str) -> _MemoryReply | None:
        reply = self.replies.get(message_id)
        if reply is not None and reply.expires_at < time.time():
            del self.replies[message_id]
            return None
        return reply

    async def reply_open(self, message_id: str, user_id: str, conversation_id: str) -> set[str]:
        self.replies[message_id] = _MemoryReply(user_id, conversation_id)
        return await self.presence_hubs(user_id)

    async def reply_append(self, message_id: str, seq: int, text: str) -> None:
        reply = self._reply(message_id)
        if reply is not None:
            reply.frames.append(text)
            reply.updated_at = time.time()

    async def reply_finish(self, message_id: str, end: dict) -> None:
        reply = self._reply(message_id)
        if reply is not None:
            reply.end = end
            reply.expires_at = time.time() + BUFFER_TTL_AFTER_END_S

    async def reply_snapshot(self, message_id: str) -> Snapshot | None:
        reply = self._reply(message_id)
        if reply is None:
            return None
        return Snapshot(len(reply.frames), "".join(reply.frames), reply.end, reply.updated_at)

    async def replies_active(self, user_id: str) -> list[dict]:
        return [
            {"message_id": mid, "conversation_id": r.conversation_id, "seq": len(r.frames)}
            for mid, r in list(self.replies.items())
            if r.user_id == user_id and r.end is None and self._reply(mid) is not None
        ]

    async def reply_cancel_request(self, message_id: str) -> None:
        reply = self._reply(message_id)
        if reply is not None:
            reply.cancel = True

    async def reply_watch(self, message_id: str, user_id: str) -> tuple[bool, set[str]]:
        reply = self._reply(message_id)
        return bool(reply and reply.cancel), await self.presence_hubs(user_id)

    async def presence_add(self, user_id: str, session_id: str, limit: int) -> bool:
        sockets = self.sockets.setdefault(user_id, {})
        now = time.time()
        for sid, expires in list(sockets.items()):
            if expires < now:
                del sockets[sid]
        if len(sockets) >= limit:
            return False
        sockets[session_id] = now + PRESENCE_TTL_S
        return True

    async def presence_touch_many(self, members: list[tuple[str, str]]) -> None:
        expires = time.time() + PRESENCE_TTL_S
        for user_id, session_id in members:
            sockets = self.sockets.get(user_id)
            if sockets is not None and session_id in sockets:
                sockets[session_id] = expires

    async def presence_remove(self, user_id: str, session_id: str) -> None:
        self.sockets.get(user_id, {}).pop(session_id, None)

    async def presence_count(self, user_id: str) -> int:
        now = time.time()
        return sum(1 for expires in self.sockets.get(user_id, {}).values() if expires >= now)

    async def presence_hubs(self, user_id: str) -> set[str]:
        now = time.time()
        return {hub_of(sid) for sid, expires in self.sockets.get(user_id, {}).items()
                if expires >= now}


# ----------------------------------------------------------------------------- redis

_APPEND = """
local head = redis.call('INCR', KEYS[1])
local epoch = redis.call('GET', KEYS[3])
if not epoch then
  epoch = ARGV[3]
  redis.call('SET', KEYS[3], epoch)
end
redis.call('ZADD', KEYS[2], head, ARGV[2] .. '|' .. ARGV[1])
local cutoff = tonumber(ARGV[2]) - tonumber(ARGV[5])
local excess = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[4])
if excess > 0 then
  local oldest = redis.call('ZRANGE', KEYS[2], 0, excess - 1)
  for _, member in ipairs(oldest) do
    local ts = tonumber(string.sub(member, 1, string.find(member, '|') - 1))
    if ts < cutoff then redis.call('ZREM', KEYS[2], member) else break end
  end
end
for i = 1, 3 do redis.call('EXPIRE', KEYS[i], ARGV[6]) end
return head
"""

_PRESENCE_ADD = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZSCORE', KEYS[1], ARGV[3]) then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
  return 1
end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
"""

# Frames of reply buffers: KEYS are (frames, meta) pairs, ARGV the TTL, the time, then (text,
# seq) pairs. A script call costs half of a MULTI/EXEC pipeline (one command to pack and parse
# instead of four), and one call carries the frames of every reply sent meanwhile.
_REPLY_APPEND = """
for i = 1, #KEYS, 2 do
  if redis.call('RPUSH', KEYS[i], ARGV[i + 2]) == 1 then redis.call('EXPIRE', KEYS[i], ARGV[1]) end
  redis.call('HSET', KEYS[i + 1], 'seq', ARGV[i + 3], 'updated_at', ARGV[2])
end
"""


class _Batches:
    """Group commit: items added while a write is in flight go out together in the next one.

    Every delta frame of every reply on a process is appended to its buffer before it is sent;
    one script call per frame cost more than the SDK's reading of the token. Each caller still
    waits for its own item to be written (a frame is never sent before it is buffered), and a
    failed write fails every caller of that batch.
    """

    def __init__(self, write):
        self._write = write  # async fn(items)
        self._pending: list[tuple[tuple, asyncio.Future]] = []
        self._writer: asyncio.Task | None = None

    async def add(self, item: tuple) -> None:
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        self._pending.append((item, done))
        if self._writer is None or self._writer.done():
            self._writer = loop.create_task(self._drain())
        await done

    async def _drain(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[:BATCH], self._pending[BATCH:]
            try:
                await self._write([item for item, _ in batch])
            except Exception as exc:
                outcome = exc
            else:
                outcome = None
            for _, done in batch:
                if done.done():  # its caller was cancelled
                    continue
                if outcome is None:
                    done.set_result(None)
                else:
                    done.set_exception(outcome)


class RedisState:
    """Scaled mode: state shared by every process through Redis."""

    def __init__(self, url: str):
        self.url = url
        self._clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._scripts: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # per client
        self._append_batches: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # per loop

    def client(self):
        """One client per event loop (redis.asyncio connections belong to the loop they use)."""
        import redis.asyncio as aioredis

        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            client = aioredis.Redis.from_url(
                self.url,
                decode_responses=True,
                socket_timeout=settings.REDIS_SOCKET_TIMEOUT,
                socket_connect_timeout=2,
                max_connections=settings.REDIS_MAX_CONNECTIONS,
                health_check_interval=30,
                driver_info=settings.REDIS_DRIVER_INFO,
            )
            self._clients[loop] = client
        return client

    def _script(self, source: str):
        """The Lua script registered once per client: called by EVALSHA (the text is sent
        again only if Redis lost it), not rebuilt or resent per call."""
        client = self.client()
        scripts = self._scripts.setdefault(client, {})
        if source not in scripts:
            scripts[source] = client.register_script(source)
        return scripts[source]

    async def close_for_loop(self) -> None:
        client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.aclose()

    @staticmethod
    def _k(*parts) -> str:
        return "numerai:rt:" + ":".join(str(p) for p in parts)

    def _presence_read(self, target, user_id: str, now: float):
        """The user's live socket entries (unexpired at `now`), read on `target`: the client,
        or a pipeline that queues the read with its other commands. `_hubs` names their hubs."""
        return target.zrangebyscore(self._k("p", user_id), now, "+inf")

    def _stream_keys(self, user_id: str) -> list[str]:
        return [self._k("s", user_id, "head"), self._k("s", user_id, "ev"),
                self._k("s", user_id, "epoch")]

    async def stream_append_many(
        self, items: list[tuple[str, dict]]
    ) -> list[tuple[StreamEvent, set[str]]]:
        """Appends each `(user_id, frame)` to the user's stream and reads where the user's
        sockets are (their hubs), in one pipelined round trip (callers send `BATCH` at most)."""
        append = self._script(_APPEND)
        now = time.time()
        async with self.client().pipeline(transaction=False) as pipe:
            for user_id, frame in items:
                await append(self._stream_keys(user_id), [
                    json.dumps(frame), f"{now:.3f}", _new_epoch(), RETAIN_EVENTS,
                    RETAIN_SECONDS, RETAIN_SECONDS * 2], client=pipe)
                self._presence_read(pipe, user_id, now)
            replies = await pipe.execute()
        return [
            (StreamEvent(int(head), {**frame, "offset": int(head)}), _hubs(members))
            for (_, frame), head, members in zip(items, replies[::2], replies[1::2], strict=True)
        ]

    async def stream_head(self, user_id: str) -> tuple[str, int]:
        client = self.client()
        head, epoch = await client.mget(self._k("s", user_id, "head"),
                                        self._k("s", user_id, "epoch"))
        if epoch is None:
            # A stream nobody wrote to yet: fix its epoch now so a resume can match it later.
            epoch = _new_epoch()
            if not await client.set(self._k("s", user_id, "epoch"), epoch, nx=True,
                                    ex=RETAIN_SECONDS * 2):
                epoch = await client.get(self._k("s", user_id, "epoch"))
            head = await client.get(self._k("s", user_id, "head"))
        return epoch, int(head or 0)

    async def stream_read_after(self, user_id: str, epoch: str, offset: int):
        current_epoch, head = await self.stream_head(user_id)
        if epoch != current_epoch or offset > head or offset < 0:
            return None
        if offset == head:
            return []
        members = await self.client().zrangebyscore(
            self._k("s", user_id, "ev"), offset + 1, "+inf", withscores=True
        )
        if not members or int(members[0][1]) != offset + 1:
            return None  # the gap was trimmed
        return [
            StreamEvent(int(score), {**json.loads(m.split("|", 1)[1]), "offset": int(score)})
            for m, score in members
        ]

    async def reply_open(self, message_id: str, user_id: str, conversation_id: str) -> set[str]:
        """Opens the reply's buffer and returns the hubs holding the user's sockets (where its
        frames go), in one round trip: `message.start` waits for both."""
        now = time.time()
        async with self.client().pipeline(transaction=True) as pipe:
            pipe.hset(self._k("r", message_id), mapping={
                "user_id": user_id, "conversation_id": conversation_id,
                "updated_at": now, "seq": 0,
            })
            pipe.expire(self._k("r", message_id), BUFFER_TTL_S)
            pipe.sadd(self._k("active", user_id), message_id)
            pipe.expire(self._k("active", user_id), BUFFER_TTL_S)
            self._presence_read(pipe, user_id, now)
            *_, members = await pipe.execute()
        return _hubs(members)

    async def reply_append(self, message_id: str, seq: int, text: str) -> None:
        """Returns once the frame is in Redis, written together with the frames of the other
        replies on this process that came meanwhile (`_Batches`)."""
        loop = asyncio.get_running_loop()
        batches = self._append_batches.get(loop)
        if batches is None:
            batches = self._append_batches[loop] = _Batches(self._reply_append_many)
        await batches.add((message_id, seq, text))

    async def _reply_append_many(self, items: list[tuple[str, int, str]]) -> None:
        keys, args = [], [BUFFER_TTL_S, time.time()]
        for message_id, seq, text in items:
            keys += [self._k("r", message_id, "f"), self._k("r", message_id)]
            args += [text, seq]
        await self._script(_REPLY_APPEND)(keys, args)

    async def reply_finish(self, message_id: str, end: dict) -> None:
        meta = self._k("r", message_id)
        user_id = await self.client().hget(meta, "user_id")
        async with self.client().pipeline(transaction=True) as pipe:
            pipe.hset(meta, mapping={"end": json.dumps(end), "updated_at": time.time()})
            pipe.expire(meta, BUFFER_TTL_AFTER_END_S)
            pipe.expire(self._k("r", message_id, "f"), BUFFER_TTL_AFTER_END_S)
            if user_id:
                pipe.srem(self._k("active", user_id), message_id)
            await pipe.execute()

    async def reply_snapshot(self, message_id: str) -> Snapshot | None:
        async with self.client().pipeline(transaction=True) as pipe:
            pipe.hgetall(self._k("r", message_id))
            pipe.lrange(self._k("r", message_id, "f"), 0, -1)
            meta, frames = await pipe.execute()
        if not meta:
            return None
        end = json.loads(meta["end"]) if meta.get("end") else None
        return Snapshot(len(frames), "".join(frames), end, float(meta.get("updated_at", 0)))

    async def replies_active(self, user_id: str) -> list[dict]:
        active = []
        for message_id in await self.client().smembers(self._k("active", user_id)):
            meta = await self.client().hmget(self._k("r", message_id),
                                             "conversation_id", "seq", "end")
            if meta[0] is None or meta[2] is not None:
                await self.client().srem(self._k("active", user_id), message_id)
                continue
            active.append({"message_id": message_id, "conversation_id": meta[0],
                           "seq": int(meta[1] or 0)})
        return active

    async def reply_cancel_request(self, message_id: str) -> None:
        await self.client().set(self._k("r", message_id, "cancel"), "1", ex=BUFFER_TTL_S)

    async def reply_watch(self, message_id: str, user_id: str) -> tuple[bool, set[str]]:
        """For a running reply, in one round trip: was a cancel requested (on any process), and
        which hubs hold the user's sockets now."""
        async with self.client().pipeline(transaction=False) as pipe:
            pipe.exists(self._k("r", message_id, "cancel"))
            self._presence_read(pipe, user_id, time.time())
            cancel, members = await pipe.execute()
        return bool(cancel), _hubs(members)

    async def presence_add(self, user_id: str, session_id: str, limit: int) -> bool:
        now = time.time()
        added = await self._script(_PRESENCE_ADD)(
            [self._k("p", user_id)],
            [now, now + PRESENCE_TTL_S, session_id, limit, PRESENCE_TTL_S * 2],
        )
        return bool(added)

    async def presence_touch_many(self, members: list[tuple[str, str]]) -> None:
        """One pipeline for every socket of a process (its heartbeat), not a call per socket."""
        expires = time.time() + PRESENCE_TTL_S
        for start in range(0, len(members), BATCH):
            async with self.client().pipeline(transaction=False) as pipe:
                for user_id, session_id in members[start:start + BATCH]:
                    pipe.zadd(self._k("p", user_id), {session_id: expires}, xx=True)
                await pipe.execute()

    async def presence_remove(self, user_id: str, session_id: str) -> None:
        await self.client().zrem(self._k("p", user_id), session_id)

    async def presence_count(self, user_id: str) -> int:
        return await self.client().zcount(self._k("p", user_id), time.time(), "+inf")

    async def presence_hubs(self, user_id: str) -> set[str]:
        """The hubs (processes) holding at least one live socket of the user."""
        return _hubs(await self._presence_read(self.client(), user_id, time.time()))


_state = None


def get_state() -> MemoryState | RedisState:
    """The process's state backend, chosen by REDIS_URL, built on first use."""
    global _state
    if _state is None:
        _state = RedisState(settings.REDIS_URL) if settings.REDIS_URL else MemoryState()
    return _state


def reset_state() -> None:
    """Tests: forget the backend (e.g. after switching settings)."""
    global _state
    _state = None
