"""Benchmark: what our socket adds to one streamed reply, vs reading the model directly.

    .venv/bin/python -m bench.stream_overhead [--server daphne,uvicorn] [--rounds 20]

Two fake OpenAI-compatible model servers (tests/support/fake_openai.py) run beside the server:
one at a realistic token rate for time to first delta, one as fast as it can for throughput.
The server (scaled mode: PostgreSQL + Redis, real OpenAI adapter pointed at the fake) streams
replies to a `websockets` client (JWT in the first frame, then `chat.send`, one reply after the
other); the baseline is the `openai` SDK reading the same model server directly, from a
process of its own, the same number of times.

- time to first delta: `chat.send` written → first `message.delta` frame, vs `create()` called
  → first content chunk. Target (DESIGN.md): +<= 5 ms at p50.
- throughput: content tokens per second from the request to the last content of a reply (the
  server coalesces deltas into frames about every 40 ms, so frames are not counted).
  Target: >= 95 % of the SDK's.
"""

from __future__ import annotations

import argparse

from bench import common
from bench.common import Row

_HISTORY_CODE = """
import datetime, uuid
from django.utils import timezone
from chat.models import Conversation, Message
user_id, wanted = {user_id!r}, {n}
then = timezone.now() - datetime.timedelta(days=30)
missing = wanted - Conversation.objects.filter(user_id=user_id).count()
while missing > 0:
    conversations = Conversation.objects.bulk_create([
        Conversation(user_id=user_id, title="Earlier", message_count=2, last_message_at=then)
        for _ in range(min(missing, 2000))])
    questions = Message.objects.bulk_create([
        Message(conversation=c, role="user", content="Earlier question", client_msg_id=uuid.uuid4())
        for c in conversations])
    Message.objects.bulk_create([
        Message(conversation=q.conversation, role="assistant", content="Earlier answer",
                reply_to=q) for q in questions])
    Message.objects.filter(conversation__in=conversations).update(created_at=then)
    missing -= len(conversations)
print(Conversation.objects.filter(user_id=user_id).count())
"""


def history_ensure(user_id: str, conversations: int) -> int:
    """Gives the user at least `conversations` earlier conversations (a long-time user: what a
    turn reads must not grow with them); returns how many the user has."""
    out = common.django_shell(_HISTORY_CODE.format(user_id=user_id, n=conversations),
                              timeout=900)
    return int(out.split()[-1])


def reply_metrics(replies: list[dict], n_tokens: int) -> dict:
    """Per finished reply: TTFT and its parts (ms), tokens/s and chars/s, frames."""
    out: dict = {k: [] for k in ("ttft_ms", "ack_ms", "ack_to_start_ms", "start_to_delta_ms",
                                 "tokens_s", "chars_s", "frames")}
    out["errors"] = [r["error"] for r in replies if "error" in r]
    for reply in replies:
        deltas = reply.get("deltas") or []
        if not deltas:
            continue
        out["ttft_ms"].append((deltas[0][0] - reply["sent"]) * 1000)
        if "ack" in reply and "start" in reply:
            out["ack_ms"].append((reply["ack"] - reply["sent"]) * 1000)
            out["ack_to_start_ms"].append((reply["start"] - reply["ack"]) * 1000)
            out["start_to_delta_ms"].append((deltas[0][0] - reply["start"]) * 1000)
        # From the request to the last content: robust to how deltas are grouped into frames.
        span = deltas[-1][0] - reply["sent"]
        out["tokens_s"].append(n_tokens / span)
        out["chars_s"].append(sum(len(d[2]) for d in deltas) / span)
        out["frames"].append(len(deltas))
    return out


def measure(procs, kind: str, args, model_ports: dict, users: list[dict]) -> dict:
    """Replies through one server process: TTFT phase, then throughput phase."""
    out = {}
    for phase, port, n_tokens, rounds in (
        ("ttft", model_ports["ttft"], args.ttft_tokens, args.rounds),
        ("throughput", model_ports["throughput"], args.throughput_tokens, args.throughput_rounds),
    ):
        env = common.bench_env(OPENAI_API_KEY="x", OPENAI_MODEL="fake-model",
                               OPENAI_BASE_URL=f"http://127.0.0.1:{port}/v1")
        server, server_port = common.start_server(procs, kind, name=f"stream-{phase}", env=env)
        url = f"ws://127.0.0.1:{server_port}/ws/v1/"
        # Warm-up: one reply (imports, database and Redis connections, model client).
        common.workers_run(procs, f"stream-warm-{kind}", "streams",
                           [{"url": url, "tokens": [users[0]["token"]], "rounds": 2}], 120)
        profile = common.Profile(procs, server.pid, f"stream_overhead-{phase}-{kind}",
                                 args.profile and phase == "ttft")
        with profile:
            _, results = common.workers_run(
                procs, f"stream-{phase}-{kind}", "streams",
                [{"url": url, "tokens": [users[0]["token"]], "rounds": rounds, "pause": 0.1}],
                max_seconds=60 + rounds * 30, go_in=0.2)
        out[phase] = reply_metrics(results[0]["replies"], n_tokens)
        out[phase]["profile"] = profile.as_dict()
        procs.stop(server)
    return out


def measure_sdk(procs, args, model_ports: dict) -> dict:
    out = {}
    for phase, port, n_tokens, rounds in (
        ("ttft", model_ports["ttft"], args.ttft_tokens, args.rounds),
        ("throughput", model_ports["throughput"], args.throughput_tokens, args.throughput_rounds),
    ):
        _, results = common.workers_run(
            procs, f"stream-sdk-{phase}", "sdk",
            [{"base_url": f"http://127.0.0.1:{port}/v1", "concurrency": 1, "rounds": rounds,
              "pause": 0.1}],
            max_seconds=60 + rounds * 30, go_in=0.2)
        out[phase] = reply_metrics(results[0]["replies"], n_tokens)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="daphne,uvicorn",
                        help="comma-separated: daphne, uvicorn")
    parser.add_argument("--rounds", type=int, default=20, help="replies timed for TTFT")
    parser.add_argument("--ttft-rate", type=float, default=50, help="model tokens/s (TTFT)")
    parser.add_argument("--ttft-tokens", type=int, default=30, help="tokens per reply (TTFT)")
    parser.add_argument("--first-token-ms", type=float, default=0,
                        help="the model's own delay before its first token (TTFT phase)")
    parser.add_argument("--history", type=int, default=0,
                        help="earlier conversations the user has, at least (a long-time user)")
    parser.add_argument("--throughput-rounds", type=int, default=5)
    parser.add_argument("--throughput-rate", type=float, default=0,
                        help="model tokens/s for the throughput phase (0: as fast as it can)")
    parser.add_argument("--throughput-tokens", type=int, default=3000)
    parser.add_argument("--profile", action="store_true", help="py-spy the server (TTFT phase)")
    parser.add_argument("--output", default=None)
    args = parser.parse_args(argv)
    servers = [s.strip() for s in args.server.split(",") if s.strip()]

    common.prepare_storage()
    users = common.users_ensure(1, prefix="stream", premium=True)
    history = history_ensure(users[0]["user_id"], args.history)
    with common.Processes() as procs:
        _, ttft_port = common.start_model(procs, name="model-ttft",
                                          tokens_per_second=args.ttft_rate,
                                          n_tokens=args.ttft_tokens,
                                          first_token_delay=args.first_token_ms / 1000)
        _, tp_port = common.start_model(procs, name="model-throughput",
                                        tokens_per_second=args.throughput_rate,
                                        n_tokens=args.throughput_tokens)
        ports = {"ttft": ttft_port, "throughput": tp_port}
        baseline = measure_sdk(procs, args, ports)
        measured = {kind: measure(procs, kind, args, ports, users) for kind in servers}

    rows = []
    base_ttft = common.summary(baseline["ttft"]["ttft_ms"])
    base_tp = common.summary(baseline["throughput"]["tokens_s"], 0)
    for kind, result in measured.items():
        ttft = common.summary(result["ttft"]["ttft_ms"])
        added = round(ttft["median"] - base_ttft["median"], 2) if ttft["n"] else None
        rows.append(Row(f"TTFT {kind}", "ms", ttft, base_ttft, "+<=5 ms p50",
                        added is not None and added <= 5, extra={"added_p50_ms": added}))
        for part in ("ack_ms", "ack_to_start_ms", "start_to_delta_ms"):
            label = {"ack_ms": "send->ack", "ack_to_start_ms": "ack->start",
                     "start_to_delta_ms": "start->delta"}[part]
            rows.append(Row(f"  {label} {kind}", "ms", common.summary(result["ttft"][part])))
        tp = common.summary(result["throughput"]["tokens_s"], 0)
        row = Row(f"throughput {kind}", "tokens/s", tp, base_tp, ">=95% of SDK")
        row.met = row.ratio is not None and row.ratio >= 0.95
        rows.append(row)
    common.print_rows(
        f"stream overhead: one reply at a time, model at {args.ttft_rate:g} tokens/s "
        f"({args.ttft_tokens} tokens, first after {args.first_token_ms:g} ms) for TTFT "
        f"by a user with {history:,} conversations, "
        f"{args.throughput_tokens} tokens "
        + (f"at {args.throughput_rate:g} tokens/s" if args.throughput_rate else
           "as fast as possible")
        + " for throughput; baseline = openai SDK reading the model directly", rows)
    for kind, result in measured.items():
        errors = result["ttft"]["errors"] + result["throughput"]["errors"]
        if errors:
            print(f"  {kind}: {len(errors)} failed replies, e.g. {errors[0]}")
    common.write_json("stream_overhead", {
        "params": vars(args),
        "user_conversations": history,
        "baseline": {p: {k: v for k, v in m.items() if k != "errors"}
                     for p, m in baseline.items()},
        "servers": measured,
    }, rows, args.output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
