"""Benchmark: one `reading.daily` to N connected users through the Redis layer.

    .venv/bin/python -m bench.fanout [--users 2000] [--server uvicorn] [--publish batch,single]
    .venv/bin/python -m bench.fanout --users 625,2500,10000            # 1x, 4x, 16x

N users each hold one authenticated socket on one server process (scaled mode: PostgreSQL,
Redis channel layer with the production capacity setting). A publisher process then sends
each user a `reading.daily` user event, the way readings reach sockets in production:

- ``batch``: `realtime.events.user_events_publish_sync` with every user's event at once, as
  `realtime.readings.daily_readings_publish` does after a generation run (Celery worker):
  stream appends and presence reads pipelined, one channel-layer message per server process
  and 500 events;
- ``single``: `realtime.events.user_event_publish_sync` once per user (a new event loop each
  time): the cost of one event published on its own, e.g. a title change.

Measured: time from the first publish call until the last socket received its frame, and the
number of deliveries (channels-redis drops silently past capacity). The baseline is a bare
Redis pub/sub fan-out: a bare `websockets` server holding the same sockets, subscribed to
`bench:user:*`, and a publisher PUBLISHing the same payload to each user's channel
(pipelined, 500 per round trip).

Target (DESIGN.md): all 10,000 users within 2 s.
"""

from __future__ import annotations

import argparse
import json
import math
import time
import uuid

from bench import common
from bench.common import Row

AFFIRMATION = "I trust the rhythm of my life and welcome what today brings with an open heart."
MEANING = "A year of inner growth, study and reflection; trust your intuition and go deeper."


def payload(marker: str) -> dict:
    """A `reading.daily` payload the size of a real one, marked for this run."""
    number = {"value": 7, "meaning": MEANING}
    return {"id": str(uuid.uuid4()), "date": "2025-06-15", "personal_year": number,
            "personal_month": number, "personal_day": number, "lucky_number": 5,
            "lucky_colour": {"name": "Indigo", "hex": "#4B0082"}, "affirmation": AFFIRMATION,
            "generated_at": "2025-06-15T07:00:00Z", "bench": marker}


_PUBLISH = {
    "single": """
import json, time
from realtime.events import user_event_publish_sync
ids = json.load(open({ids!r}))
data = json.loads({data!r})
t0 = time.monotonic()
for user_id in ids:
    user_event_publish_sync(user_id, "reading.daily", data)
print(json.dumps({{"t0": t0, "t1": time.monotonic()}}))
""",
    "batch": """
import json, time
from realtime.events import user_events_publish_sync
ids = json.load(open({ids!r}))
data = json.loads({data!r})
t0 = time.monotonic()
user_events_publish_sync([(user_id, "reading.daily", data) for user_id in ids])
print(json.dumps({{"t0": t0, "t1": time.monotonic()}}))
""",
}

_PUBLISH_BARE = """
import json, sys, time
import redis
ids = json.load(open(sys.argv[1]))
frame = json.dumps({"type": "reading.daily", "offset": 1, "data": json.loads(sys.argv[2])})
client = redis.Redis.from_url(sys.argv[3])
t0 = time.monotonic()
for start in range(0, len(ids), 500):
    pipe = client.pipeline(transaction=False)
    for user_id in ids[start:start + 500]:
        pipe.publish("bench:user:" + user_id, frame)
    pipe.execute()
print(json.dumps({"t0": t0, "t1": time.monotonic()}))
"""


def deliver(procs, workers, publish_argv: list[str], marker: str, n: int, timeout: float,
            env: dict | None = None) -> dict:
    """Workers wait for the marked frame; the publisher process runs; delivery is timed."""
    for worker in workers:
        worker.command({"expect": {"type": "reading.daily", "marker": marker},
                        "timeout": timeout})
    time.sleep(0.5)  # every socket is waiting in recv()
    proc = procs.start(f"fanout-publisher-{marker[:8]}", publish_argv, env=env,
                       max_seconds=timeout, pipe=True)
    out, _ = proc.popen.communicate(timeout=timeout + 10)
    if proc.popen.returncode != 0:
        raise RuntimeError(f"publisher failed:\n{proc.log_tail()}")
    times = json.loads(out.strip().splitlines()[-1])
    results = [w.result() for w in workers]
    received = [t for r in results for t in r["received"]]
    latency = [(t - times["t0"]) * 1000 for t in received]
    return {
        "users": n, "delivered": len(received), "missed": sum(r["missed"] for r in results),
        "publish_seconds": round(times["t1"] - times["t0"], 3),
        "last_delivery_seconds": round(max(latency) / 1000, 3) if latency else None,
        "latency_ms": common.summary(latency, 0),
    }


def generators(args, sockets: int) -> int:
    """Load generator processes: one receiving process per 2,500 sockets (at least 2), so the
    clients are not what the time measures (at 10,000 users, 2 generators doubled the bare
    baseline's time)."""
    return args.workers or max(2, math.ceil(sockets / 2500))


def fan_out(procs, port: int, tokens: list[str], ids_path, modes: list[str], args, label,
            pid: int, bare: bool) -> dict:
    url = f"ws://127.0.0.1:{port}/ws/v1/"
    spec = {"url": url, "connect_concurrency": 32}
    limit = 180 + len(tokens) / 20 + len(modes) * args.timeout
    workers = [common.Worker(procs, f"fanout-{label}-{i}", "sockets", {**spec, "tokens": part},
                             limit)
               for i, part in enumerate(common.split(tokens, generators(args, len(tokens))))]
    readies = [w.ready() for w in workers]
    opened = sum(r["open"] for r in readies)
    out: dict = {"opened": opened, "failed": sum(r["failed"] for r in readies)}
    time.sleep(1.0)
    for mode in modes:
        marker = uuid.uuid4().hex
        data = json.dumps(payload(marker))
        if bare:
            argv = [common.PYTHON, "-c", _PUBLISH_BARE, str(ids_path), data, common.REDIS_URL]
        else:
            code = _PUBLISH[mode].format(ids=str(ids_path), data=data)
            argv = [common.PYTHON, "manage.py", "shell", "-c", code]
        gc_before = None if bare else common.full_collections(port)
        with common.Profile(procs, pid, f"fanout-{label}-{mode}", args.profile) as profile:
            out[mode] = deliver(procs, workers, argv, marker, opened, args.timeout,
                                env=common.bench_env())
        out[mode]["profile"] = profile.as_dict()
        if gc_before is not None:
            out[mode]["full_collections"] = common.full_collections_since(gc_before, port)
    for worker in workers:
        worker.command({})
    closing = [w.result() for w in workers]
    out["still_open_at_end"] = sum(r["still_open"] for r in closing)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", default="2000", help="comma-separated, e.g. 625,2500,10000")
    parser.add_argument("--server", default="daphne,uvicorn", help="comma-separated")
    parser.add_argument("--publish", default="batch", help="publisher modes: batch, single")
    parser.add_argument("--workers", type=int, default=None,
                        help="load generator processes (default: one per 2,500 sockets, >= 2)")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds a delivery may take (default: max(60, users / 10))")
    parser.add_argument("--profile", action="store_true", help="py-spy the server")
    parser.add_argument("--output", default=None)
    args = parser.parse_args(argv)
    counts = [int(c) for c in args.users.split(",")]
    args.timeout = args.timeout or max(60.0, max(counts) / 10)
    servers = [s.strip() for s in args.server.split(",") if s.strip()]
    modes = [m.strip() for m in args.publish.split(",") if m.strip()]
    common.raise_fd_limit()

    common.prepare_storage()
    users = common.users_ensure(max(counts), prefix="sock")
    results: dict = {}
    with common.Processes() as procs:
        for n in counts:
            ids_path = common.VAR_BENCH / "tmp" / f"fanout-ids-{n}.json"
            ids_path.write_text(json.dumps([u["user_id"] for u in users[:n]]))
            bare, bare_port = common.start_bare(procs, name=f"fanout-bare-{n}", redis=True)
            results[f"bare/{n}"] = fan_out(procs, bare_port, [u["user_id"] for u in users[:n]],
                                           ids_path, ["bare"], args, f"bare-{n}", bare.pid,
                                           bare=True)
            procs.stop(bare)
            for kind in servers:
                common.redis_flush()
                server, port = common.start_server(procs, kind, name=f"fanout-{n}")
                results[f"{kind}/{n}"] = fan_out(procs, port, [u["token"] for u in users[:n]],
                                                 ids_path, modes, args, f"{kind}-{n}",
                                                 server.pid, bare=False)
                procs.stop(server)
            ids_path.unlink()

    rows = []
    for n in counts:
        base = results[f"bare/{n}"]["bare"]
        for kind in servers:
            for mode in modes:
                r = results[f"{kind}/{n}"][mode]
                last = r["last_delivery_seconds"]
                rows.append(Row(
                    f"last delivery {kind} {mode} x{n}", "s",
                    {"n": r["delivered"], "median": last}, {"median":
                                                            base["last_delivery_seconds"]},
                    "<=2 s at 10k, all delivered",
                    r["delivered"] == n and last is not None and last * 10_000 / n <= 2.0,
                    extra={"missed": r["missed"], "publish_seconds": r["publish_seconds"]}))
                rows.append(Row(f"  latency {kind} {mode} x{n}", "ms", r["latency_ms"],
                                base["latency_ms"]))
    common.print_rows("fan-out: one reading.daily per user, one socket each, one server "
                      "process; baseline = bare Redis pub/sub + websockets", rows)
    for key, r in results.items():
        for mode in [*modes, "bare"]:
            if "full_collections" in r.get(mode, {}):
                gc = r[mode]["full_collections"]
                print(f"  {key} {mode}: {gc['count']} full garbage collections during the "
                      f"delivery, {gc['seconds']:.2f} s")
            if mode in r and r[mode]["missed"]:
                print(f"  {key} {mode}: {r[mode]['missed']} of {r[mode]['users']} NOT delivered")
    common.write_json("fanout", {"params": vars(args), "results": results}, rows, args.output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
