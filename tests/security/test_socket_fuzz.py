"""Socket fuzzing: random frames against the live server's /ws/v1/ (docs/protocol.md).

Hypothesis sends invalid JSON, non-objects, wrong field types, huge and deeply nested values,
unknown types, binary frames, control characters, very long unicode, fragmented messages,
invalid UTF-8 and floods of valid frames. Every frame gets its answer (an `error` frame with a
documented code, or the reply a valid frame asks for) or a documented close code; the server
process survives; and, throughout, another user's socket on the same server keeps streaming
chat replies that are complete and in order.
"""

from __future__ import annotations

import json
import threading
import time
import uuid

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

MAX_FRAME_BYTES = 64 * 1024
# Frames over 64 KiB are closed with 1009 at the protocol level (realtime/limits.py).
OVERSIZE_CLOSES_1009 = True
ERROR_CODES = {"bad_request", "unknown_type", "unauthorized", "token_expired", "not_found",
               "rate_limited", "too_large", "conflict"}  # never "internal"
# Frames the server pushes on its own (user events, reply streams): not answers to a request.
PUSHED = {"message.start", "message.delta", "message.end", "message.error", "message.snapshot",
          "conversation.updated", "reading.daily", "notification", "resync.required"}
ANSWERS = {"error", "pong", "chat.ack", "auth.ok", "welcome"}
KNOWN_TYPES = ["auth", "auth.refresh", "ping", "chat.send", "chat.cancel", "chat.attach"]

# --- frame strategies ---------------------------------------------------------------------------

text_any = st.text(max_size=80)
control_text = st.text(
    alphabet=st.characters(max_codepoint=0x1F) | st.sampled_from("\x7f\u2028\u2029\ufeff\u200b"),
    max_size=60,
)
long_unicode = st.integers(1000, 30_000).flatmap(
    lambda n: st.sampled_from(["é", "€", "𝄞", "ᚠ", "\u0301", "🙂"]).map(lambda c: c * n))
json_leaf = (st.none() | st.booleans() | st.integers() | st.integers(-2**70, 2**70)
             | st.floats(allow_nan=False, allow_infinity=False) | text_any | control_text)
json_value = st.recursive(
    json_leaf,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text_any, inner, max_size=4),
    max_leaves=12,
)
uuid_like = st.uuids().map(str) | json_value | st.just("") | st.just("0" * 5000)
fields = st.fixed_dictionaries({}, optional={
    "conversation_id": uuid_like,
    "client_msg_id": uuid_like,
    "content": text_any | control_text | long_unicode | json_value | st.just(" " * 10),
    "message_id": uuid_like,
    "after_seq": json_value | st.integers(-5, 2**63),
    "token": json_value | text_any | st.just("e30.e30.e30"),
    "ticket": json_value | text_any,
    "resume": json_value,
})
frame_object = st.fixed_dictionaries({}, optional={
    "type": st.sampled_from(KNOWN_TYPES) | st.sampled_from(["pong", "welcome", "error",
                                                             "message.delta", "__class__",
                                                             "on_ping", "chat_send", ""])
    | text_any | json_value,
    "id": text_any | json_value | st.just("x" * 65),
    "data": fields | json_value,
}).flatmap(lambda frame: st.dictionaries(text_any, json_value, max_size=3).map(
    lambda extra: {**extra, **frame}))


def _nested(depth: int) -> str:
    return '{"type":"ping","data":' + "[" * depth + "]" * depth + "}"


def _oversized(n: int, char: str) -> str:
    return json.dumps({"type": "ping", "data": {"pad": char * n}}, ensure_ascii=False)


# One "send": (kind, payload). Most are one message; "flood" is many valid frames at once.
send = st.one_of(
    frame_object.map(lambda f: ("text", json.dumps(f, ensure_ascii=False))),
    frame_object.map(lambda f: ("text", json.dumps(f))),
    st.text(max_size=200).map(lambda t: ("text", t)),
    (control_text | long_unicode).map(lambda t: ("text", t)),
    json_value.filter(lambda v: not isinstance(v, dict)).map(lambda v: ("text", json.dumps(v))),
    st.integers(10, 32_000).map(lambda d: ("text", _nested(d))),
    # Huge, around the 64 KiB limit in UTF-8 bytes (over it: close 1009, then a new socket).
    st.tuples(st.integers(1_000, 60_000) | st.integers(65_400, 80_000),
              st.sampled_from(["a", "é", "🙂"])).map(
        lambda t: ("text", _oversized(t[0] // len(t[1].encode()), t[1]))),
    st.binary(max_size=300).map(lambda b: ("binary", b)),
    st.binary(min_size=1, max_size=50).map(lambda b: ("bad_utf8", b"\xff" + b)),
    frame_object.map(lambda f: ("fragmented", json.dumps(f))),
    st.integers(10, 300).map(lambda n: ("flood", n)),
)


# --- clients ------------------------------------------------------------------------------------

def _open(live, token: str):
    ws = connect(live.ws, open_timeout=10, max_size=None, compression=None, legacy=True,
                 max_queue=None)  # never stop reading (and miss pongs) while frames pile up
    ws.send(json.dumps({"type": "auth", "data": {"token": token}}))
    while True:
        frame = json.loads(ws.recv(timeout=10))
        if frame["type"] == "welcome":
            return ws
        assert frame["type"] in PUSHED, frame


def _answer(ws, timeout=15.0):
    """The next frame that answers a request (pushes are skipped); raises ConnectionClosed."""
    deadline = time.monotonic() + timeout
    while True:
        frame = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
        assert isinstance(frame, dict) and "ts" in frame, frame
        if frame["type"] in PUSHED:
            continue
        assert frame["type"] in ANSWERS, frame
        return frame


class Bystander(threading.Thread):
    """Another user chatting on the same server: every reply must stream whole and in order."""

    def __init__(self, live, token):
        super().__init__(daemon=True)
        self.live, self.token = live, token
        self.stop = threading.Event()
        self.replies = 0
        self.failure: BaseException | None = None

    def run(self):
        try:
            ws = _open(self.live, self.token)
            conversation_id = None
            while not self.stop.is_set():
                conversation_id = self._one_reply(ws, conversation_id)
                self.replies += 1
            ws.close()
        except BaseException as exc:  # reported by the test
            self.failure = exc

    def _one_reply(self, ws, conversation_id):
        request_id = uuid.uuid4().hex[:8]
        ws.send(json.dumps({"type": "chat.send", "id": request_id, "data": {
            "conversation_id": conversation_id, "client_msg_id": str(uuid.uuid4()),
            "content": "What does my life path number mean for me this week?"}}))
        message_id, deltas = None, []
        deadline = time.monotonic() + 60
        while True:
            frame = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            kind, data = frame["type"], frame.get("data", {})
            if kind == "chat.ack":
                assert frame["id"] == request_id, frame
                message_id = data["assistant_message_id"]
                conversation_id = data["conversation_id"]
            elif kind == "error":
                raise AssertionError(f"bystander got an error: {frame}")
            elif kind == "message.delta" and data["message_id"] == message_id:
                deltas.append(data)
            elif kind == "message.end" and data["message_id"] == message_id:
                assert [d["seq"] for d in deltas] == list(range(1, len(deltas) + 1)), deltas
                assert data["finish_reason"] == "stop", data
                assert data["seq"] == len(deltas)
                assert "".join(d["delta"] for d in deltas) == data["content"] != ""
                return conversation_id


class Attacker:
    """Sends each fuzzed message and checks its answer; reconnects after a documented close."""

    def __init__(self, live, token):
        self.live, self.token = live, token
        self.ws = None
        self.errors_in_a_row = 0
        self.closes: dict[int, int] = {}
        self.sent = 0
        self.skipped = 0
        self.history: list[str] = []

    def socket(self):
        if self.ws is None:
            self.ws = _open(self.live, self.token)
            self.errors_in_a_row = 0
        return self.ws

    def closed(self, exc: ConnectionClosed, allowed: set[int], what) -> None:
        code = exc.rcvd.code if exc.rcvd is not None else None
        assert code in allowed, f"closed {code} (allowed {allowed}) after {what!r:.300}"
        self.closes[code] = self.closes.get(code, 0) + 1
        self.ws = None

    def check(self, kind, payload) -> None:
        started = time.monotonic()
        try:
            self._check(kind, payload)
        except TimeoutError as exc:
            recent = "\n".join(self.history[-8:])
            raise AssertionError(f"no answer to {kind} {payload!r:.600}; after:\n{recent}") from exc
        self.history.append(f"{time.monotonic() - started:.2f}s {kind} {payload!r:.300}")

    def _check(self, kind, payload) -> None:
        size = len(payload.encode()) if isinstance(payload, str) else len(str(payload))
        if size > MAX_FRAME_BYTES and not OVERSIZE_CLOSES_1009:
            self.skipped += 1
            return
        ws = self.socket()
        self.sent += 1
        if kind == "flood":
            return self.flood(ws, payload)
        if kind == "bad_utf8":
            ws.send(payload, text=True)
            # Invalid UTF-8 in a text frame fails the connection in the WebSocket layer (RFC 6455:
            # 1007, or the TCP connection dropped without a close frame), before the app sees it.
            with pytest.raises(ConnectionClosed) as closed:
                ws.send(json.dumps({"type": "ping"}))
                _answer(ws)
            return self.closed(closed.value, {1007, None}, payload)
        if kind == "fragmented":
            third = max(1, len(payload) // 3)
            ws.send([payload[:third], payload[third:2 * third], payload[2 * third:]])
        else:
            ws.send(payload)
        try:
            answer = _answer(ws, timeout=30)
        except ConnectionClosed as exc:
            return self.closed(exc, {1009} if size > MAX_FRAME_BYTES else set(), payload)
        assert size <= MAX_FRAME_BYTES, f"a {size}-byte frame was answered: {answer}"
        if answer["type"] != "error":
            self.errors_in_a_row = 0
            return
        assert answer["data"]["code"] in ERROR_CODES, answer
        assert isinstance(answer["data"]["message"], str) and answer["data"]["message"]
        self.errors_in_a_row += 1
        if answer["data"]["code"] in {"unauthorized", "token_expired"}:
            # A bad credential in auth.refresh: the documented 4401 follows.
            with pytest.raises(ConnectionClosed) as closed:
                _answer(ws)
            return self.closed(closed.value, {4401}, payload)
        if self.errors_in_a_row >= 20:
            # Possibly the 20th bad frame in a row: 4400 may follow (only bad *frames* count).
            try:
                ws.send(json.dumps({"type": "ping", "id": "probe"}))
                assert _answer(ws)["type"] == "pong"
                self.errors_in_a_row = 0
            except ConnectionClosed as exc:
                self.closed(exc, {4400}, payload)

    def flood(self, ws, count: int) -> None:
        ids = [f"f{i}" for i in range(count)]
        for request_id in ids:
            ws.send(json.dumps({"type": "ping", "id": request_id}))
        answers = [_answer(ws) for _ in ids]
        assert [(a["type"], a.get("id")) for a in answers] == [("pong", i) for i in ids]
        self.errors_in_a_row = 0


def test_random_frames_get_answers_while_another_user_keeps_streaming(live, alice, bob):
    log_start = live.mark()
    bystander = Bystander(live, bob.access_token)
    bystander.start()
    attacker = Attacker(live, alice.access_token)
    try:
        # No shrinking: the socket carries state from one example to the next, so the first
        # failure (with the frames before it) is the useful report.
        @settings(max_examples=150, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck), phases=[Phase.generate])
        @given(sends=st.lists(send, min_size=1, max_size=6))
        def fuzz(sends):
            for kind, payload in sends:
                attacker.check(kind, payload)
            assert bystander.failure is None, bystander.failure

        fuzz()
        # The bystander still completes a reply after the fuzz.
        replies = bystander.replies
        deadline = time.monotonic() + 30
        while bystander.replies < replies + 1 and bystander.failure is None:
            assert time.monotonic() < deadline, "the bystander's reply did not finish"
            time.sleep(0.05)
    finally:
        bystander.stop.set()
        bystander.join(timeout=60)
        if attacker.ws is not None:
            attacker.ws.close()
    assert bystander.failure is None, bystander.failure
    assert bystander.replies >= 3, bystander.replies
    print(f"fuzz: {attacker.sent} sends, {attacker.skipped} oversize skipped, "
          f"closes {attacker.closes}, bystander replies {bystander.replies}")
    assert attacker.sent >= 150, (attacker.sent, attacker.skipped)
    assert live.alive()
    assert "Traceback" not in live.log(since=log_start), live.log(since=log_start)[-3000:]


def test_twenty_bad_frames_in_a_row_close_4400_but_nineteen_do_not(live, alice):
    ws = _open(live, alice.access_token)
    for _ in range(19):
        ws.send("not json")
        assert _answer(ws)["data"]["code"] == "bad_request"
    ws.send(json.dumps({"type": "ping", "id": "ok"}))  # a good frame resets the count
    assert _answer(ws)["type"] == "pong"
    for _ in range(19):
        ws.send(b"\x00binary")
        assert _answer(ws)["data"]["code"] == "bad_request"
    ws.send(json.dumps({"type": "no.such.type", "id": "u"}))
    last = _answer(ws)
    assert last["data"]["code"] == "unknown_type" and last["id"] == "u"
    with pytest.raises(ConnectionClosed) as closed:
        _answer(ws)
    assert closed.value.rcvd.code == 4400


@pytest.mark.parametrize("char", ["a", "é"])
def test_a_frame_of_exactly_64_kib_is_answered(live, alice, char):
    frame = _oversized(0, char)
    frame = _oversized((MAX_FRAME_BYTES - len(frame.encode())) // len(char.encode()), char)
    assert MAX_FRAME_BYTES - len(char.encode()) < len(frame.encode()) <= MAX_FRAME_BYTES
    ws = _open(live, alice.access_token)
    ws.send(frame)
    assert _answer(ws)["type"] == "pong"
    ws.close()


@pytest.mark.parametrize(("count", "char"), [(MAX_FRAME_BYTES, "a"), (MAX_FRAME_BYTES // 2, "é")],
                         ids=["ascii", "two-byte-utf8"])
def test_frames_over_64_kib_close_1009(live, alice, count, char):
    ws = _open(live, alice.access_token)
    frame = _oversized(count, char)
    assert len(frame.encode()) > MAX_FRAME_BYTES
    ws.send(frame)
    try:
        with pytest.raises(ConnectionClosed) as closed:
            _answer(ws, timeout=5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
    finally:
        ws.close()


def test_unauthenticated_sockets_answer_then_close_4401(live):
    for frame in ['{"type":"ping"}', '{"type":"chat.send","data":{}}', '{"type":"auth",'
                  '"data":{"token":"e30.e30.e30"}}', '{"type":"auth","data":{"ticket":"nope"}}']:
        ws = connect(live.ws, open_timeout=10, compression=None, legacy=True)
        ws.send(frame)
        answer = _answer(ws)
        assert answer["type"] == "error" and answer["data"]["code"] == "unauthorized", answer
        with pytest.raises(ConnectionClosed) as closed:
            _answer(ws)
        assert closed.value.rcvd.code == 4401
    # A malformed auth frame is a bad frame (answered, the socket stays open for a retry).
    ws = connect(live.ws, open_timeout=10, compression=None, legacy=True)
    ws.send('{"type":"auth","data":{"token":12,"ticket":[]}}')
    assert _answer(ws)["data"]["code"] == "bad_request"
    ws.send("[]")
    assert _answer(ws)["data"]["code"] == "bad_request"
    ws.close()


@pytest.mark.parametrize("path", ["/ws/v2/", "/ws/", "/api/v1/health", "/ws/v1/../admin/"])
def test_a_handshake_to_an_unknown_path_is_refused_without_a_server_error(live, path):
    from websockets.exceptions import InvalidStatus

    log_start = live.mark()
    with pytest.raises(InvalidStatus) as refused:
        connect(f"ws://127.0.0.1:{live.port}{path}", open_timeout=10, compression=None,
                legacy=True)
    assert refused.value.response.status_code in {403, 404}, refused.value.response.status_code
    assert "Exception inside application" not in live.log(since=log_start)
    assert live.alive()


def _unencodable_cases():
    for where in ("content", "ticket", "token"):
        for name, escape in (("high-surrogate", r"\ud800"), ("low-surrogate", r"\udfff"),
                             ("nul", r"\u0000")):
            yield pytest.param(where, escape, id=f"{where}-{name}")


@pytest.mark.parametrize(("where", "escape"), list(_unencodable_cases()))
def test_unencodable_strings_are_bad_requests(live, alice, where, escape):
    log_start = live.mark()
    with connect(live.ws, open_timeout=10, compression=None) as ws:
        if where == "content":
            ws.send(json.dumps({"type": "auth", "data": {"token": alice.access_token}}))
            assert json.loads(ws.recv(timeout=10))["type"] == "welcome"
            ws.send('{"type":"chat.send","id":"x","data":{"conversation_id":null,'
                    f'"client_msg_id":"{uuid.uuid4()}","content":"hi {escape} there"}}}}')
        else:
            ws.send(f'{{"type":"auth","id":"x","data":{{"{where}":"abc{escape}def"}}}}')
        answer = _answer(ws)
    assert answer["type"] == "error" and answer.get("id") == "x", answer
    assert answer["data"]["code"] in ({"bad_request"} if where == "content"
                                      else {"bad_request", "unauthorized"}), answer
    assert "Traceback" not in live.log(since=log_start)
