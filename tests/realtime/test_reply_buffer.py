"""The reply buffer that `chat.attach` and the gap filler read: frames in order, the last seq,
and expiry (a reply whose process died must not leave its buffer in Redis for ever)."""

import asyncio
import time
import uuid

import pytest

from realtime.streams import BUFFER_TTL_AFTER_END_S, BUFFER_TTL_S, get_state, presence_member

pytestmark = pytest.mark.asyncio


async def test_frames_are_kept_in_order_with_their_last_seq():
    state = get_state()
    message_id, user_id, conversation_id = (str(uuid.uuid4()) for _ in range(3))
    await state.reply_open(message_id, user_id, conversation_id)
    for seq, text in enumerate(["Your ", "life ", "path"], start=1):
        before_last = time.time()
        await state.reply_append(message_id, seq, text)

    snapshot = await state.reply_snapshot(message_id)
    assert (snapshot.seq, snapshot.content, snapshot.end) == (3, "Your life path", None)
    # What a reconnecting socket is offered, and what tells the sweeper the reply is alive.
    assert await state.replies_active(user_id) == [
        {"message_id": message_id, "conversation_id": conversation_id, "seq": 3}]
    assert snapshot.updated_at >= before_last - 0.01


async def test_opening_a_reply_names_the_processes_holding_the_users_sockets():
    """Where `message.start` and the frames go, read with the buffer's opening."""
    state = get_state()
    user_id, other_id = str(uuid.uuid4()), str(uuid.uuid4())
    for hub_id in ("hub-a", "hub-b"):
        await state.presence_add(user_id, presence_member(hub_id, uuid.uuid4().hex), limit=5)
    await state.presence_add(other_id, presence_member("hub-c", uuid.uuid4().hex), limit=5)

    hubs = await state.reply_open(str(uuid.uuid4()), user_id, str(uuid.uuid4()))

    assert hubs == {"hub-a", "hub-b"}
    assert await state.reply_open(str(uuid.uuid4()), str(uuid.uuid4()), "c") == set()


async def test_frames_of_many_replies_appended_at_once_each_keep_their_order():
    """Replies on one process share their buffer writes; none loses or reorders a frame."""
    state = get_state()
    replies = {str(uuid.uuid4()): [f"r{r}-f{f} " for f in range(1, 31)] for r in range(40)}
    for message_id in replies:
        await state.reply_open(message_id, str(uuid.uuid4()), str(uuid.uuid4()))

    async def stream(message_id, frames):
        for seq, text in enumerate(frames, start=1):
            await state.reply_append(message_id, seq, text)

    await asyncio.gather(*(stream(m, frames) for m, frames in replies.items()))
    for message_id, frames in replies.items():
        snapshot = await state.reply_snapshot(message_id)
        assert (snapshot.seq, snapshot.content) == (len(frames), "".join(frames))


@pytest.mark.scaled
async def test_a_buffer_expires_while_running_and_sooner_once_finished():
    state = get_state()
    client = state.client()
    message_id = str(uuid.uuid4())

    async def ttls() -> list[int]:  # of every key the buffer wrote
        return [await client.ttl(key) async for key in client.scan_iter(f"*{message_id}*")]

    await state.reply_open(message_id, str(uuid.uuid4()), str(uuid.uuid4()))
    await state.reply_append(message_id, 1, "Your ")
    await state.reply_append(message_id, 2, "life")

    running = await ttls()
    assert len(running) == 2 and all(0 < ttl <= BUFFER_TTL_S for ttl in running)
    await state.reply_finish(message_id, {"message_id": message_id, "seq": 2})
    finished = await ttls()
    assert len(finished) == 2 and all(0 < ttl <= BUFFER_TTL_AFTER_END_S for ttl in finished)
    assert (await state.reply_snapshot(message_id)).end["seq"] == 2
    await state.close_for_loop()
