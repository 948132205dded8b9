"""Benchmark: N authenticated idle sockets on one server process, RSS per socket.

    .venv/bin/python -m bench.idle_sockets [--sockets 2000] [--server daphne,uvicorn]
    .venv/bin/python -m bench.idle_sockets --sockets 625,2500,10000     # 1x, 4x, 16x
    .venv/bin/python -m bench.idle_sockets --sockets 10000 --sigterm    # and the drain

One server process (scaled mode: PostgreSQL + Redis) and load generator processes that open
the sockets, one user each, authenticate (access JWT in the first frame) and wait for
`welcome`. Memory is the server's VmRSS after a warm-up (20 sockets opened and closed) and
after all N sockets are open and have sat idle for `--hold` seconds; per socket = the
difference / N. The baseline is a bare `websockets` server (bench/bare.py) holding the same
number of sockets from the same clients. Also reported: how long a connect + auth takes, and
the CPU the server burns holding idle sockets (heartbeats, presence refreshes). With
`--sigterm` the server is then sent SIGTERM: how long until the last socket is closed and
with which codes (PROTOCOL.md: 4503, "reconnect and resume").

Target (DESIGN.md): <= 64 KiB per socket at 10,000 sockets (a bare server: about 30 KiB).
"""

from __future__ import annotations

import argparse
import os
import signal
import time
from collections import Counter

from bench import common
from bench.common import Row

DRAIN_WAIT_S = 60


def hold(procs, pid: int, port: int, tokens: list[str], args, label: str,
         sigterm: bool = False) -> dict:
    """Opens len(tokens) sockets to the server on `port` (process `pid`) and measures it;
    with `sigterm`, then stops it and waits for it to close the sockets."""
    url = f"ws://127.0.0.1:{port}/ws/v1/"
    spec = {"url": url, "connect_concurrency": args.connect_concurrency,
            "compression": args.compression}
    common.workers_run(procs, f"idle-warm-{label}", "sockets", [{**spec, "tokens": tokens[:20]}],
                       120)
    time.sleep(args.settle)
    before = common.rss_kib(pid)
    measured: dict = {}
    started = time.monotonic()

    def while_open() -> None:
        measured["connect_seconds"] = round(time.monotonic() - started, 2)
        time.sleep(args.settle)
        cpu0, t0 = common.cpu_seconds(pid), time.monotonic()
        time.sleep(args.hold)
        measured["idle_cpu_percent"] = round(
            100 * (common.cpu_seconds(pid) - cpu0) / (time.monotonic() - t0), 1)
        measured["rss_kib"] = common.rss_kib(pid)
        if sigterm:
            measured["sigterm_at"] = time.monotonic()
            os.kill(pid, signal.SIGTERM)

    specs = [{**spec, "tokens": part} for part in common.split(tokens, args.workers)]
    limit = 120 + len(tokens) / 20 + args.hold
    with common.Profile(procs, pid, f"idle_sockets-{label}", args.profile) as profile:
        readies, results = common.workers_run(
            procs, f"idle-{label}", "sockets", specs, limit, between=while_open,
            command={"server_closes": DRAIN_WAIT_S} if sigterm else None)
    opened = sum(r["open"] for r in readies)
    drain = _drain(results, measured["sigterm_at"]) if sigterm else None
    per_socket = (measured["rss_kib"] - before) / max(1, opened)
    connect_ms = [t for r in readies for t in r["connect_ms"]]
    return {
        "sockets": len(tokens), "opened": opened,
        "failed": sum(r["failed"] for r in readies),
        "errors": [e for r in readies for e in r["errors"]][:5],
        "still_open_at_end": opened if sigterm else sum(r["still_open"] for r in results),
        "drain": drain,
        "rss_before_kib": before, "rss_after_kib": measured["rss_kib"],
        "kib_per_socket": round(per_socket, 1),
        "connect_seconds": measured["connect_seconds"],
        "sockets_per_second": round(opened / max(0.001, measured["connect_seconds"]), 1),
        "connect_ms": common.summary(connect_ms),
        "idle_cpu_percent": measured["idle_cpu_percent"],
        "profile": profile.as_dict(),
    }


def _drain(results: list[dict], sigterm_at: float) -> dict:
    codes = sum((Counter(r["close_codes"]) for r in results), Counter())
    closed_at = [t for r in results for t in r["closed_at"]]
    return {"close_codes": dict(codes),
            "last_close_seconds": round(max(closed_at) - sigterm_at, 2) if closed_at else None}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", default="2000",
                        help="comma-separated socket counts, e.g. 625,2500,10000")
    parser.add_argument("--server", default="daphne,uvicorn")
    parser.add_argument("--workers", type=int, default=2, help="load generator processes")
    parser.add_argument("--connect-concurrency", type=int, default=32,
                        help="handshakes in flight per load generator")
    parser.add_argument("--compression", action="store_true",
                        help="clients offer permessage-deflate (as browsers do)")
    parser.add_argument("--hold", type=float, default=5.0, help="idle seconds measured")
    parser.add_argument("--settle", type=float, default=2.0)
    parser.add_argument("--sigterm", action="store_true",
                        help="then SIGTERM the server: time until it closed every socket")
    parser.add_argument("--profile", action="store_true", help="py-spy the server")
    parser.add_argument("--output", default=None)
    args = parser.parse_args(argv)
    counts = [int(c) for c in args.sockets.split(",")]
    servers = [s.strip() for s in args.server.split(",") if s.strip()]
    common.raise_fd_limit()

    common.prepare_storage()
    users = common.users_ensure(max(counts), prefix="sock")
    results: dict = {}
    with common.Processes() as procs:
        for n in counts:
            tokens = [u["token"] for u in users[:n]]
            bare, bare_port = common.start_bare(procs, name=f"idle-bare-{n}")
            results[f"bare/{n}"] = hold(procs, bare.pid, bare_port,
                                        [u["user_id"] for u in users[:n]], args, f"bare-{n}")
            procs.stop(bare)
            for kind in servers:
                common.redis_flush()
                server, port = common.start_server(procs, kind, name=f"idle-{n}")
                results[f"{kind}/{n}"] = hold(procs, server.pid, port, tokens, args,
                                              f"{kind}-{n}", sigterm=args.sigterm)
                procs.stop(server)

    rows = []
    for n in counts:
        base = results[f"bare/{n}"]
        for kind in servers:
            r = results[f"{kind}/{n}"]
            rows.append(Row(f"RSS/socket {kind} x{n}", "KiB", {"n": r["opened"],
                            "median": r["kib_per_socket"]},
                            {"median": base["kib_per_socket"]}, "<=64 KiB",
                            r["opened"] == n and r["kib_per_socket"] <= 64,
                            extra={"failed": r["failed"]}))
            rows.append(Row(f"  connect+auth {kind} x{n}", "ms", r["connect_ms"],
                            base["connect_ms"]))
            rows.append(Row(f"  idle CPU {kind} x{n}", "%", {"n": 1,
                            "median": r["idle_cpu_percent"]},
                            {"median": base["idle_cpu_percent"]}))
            if r["drain"] is not None:
                drained = r["drain"]["close_codes"].get("4503", 0)
                rows.append(Row(f"  SIGTERM: last 4503 {kind} x{n}", "s",
                                {"n": drained, "median": r["drain"]["last_close_seconds"]},
                                None, "all closed 4503", drained == r["opened"],
                                extra={"close_codes": r["drain"]["close_codes"]}))
    deflate = "with" if args.compression else "without"
    common.print_rows(f"idle sockets: one process, clients {deflate} permessage-deflate; "
                      "baseline = bare websockets server", rows)
    for key, r in results.items():
        if r["failed"] or r["still_open_at_end"] != r["opened"]:
            print(f"  {key}: {r['failed']} failed to open, {r['opened'] - r['still_open_at_end']}"
                  f" closed by the server; e.g. {r['errors'][:1]}")
    common.write_json("idle_sockets", {"params": vars(args), "results": results}, rows,
                      args.output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
