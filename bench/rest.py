"""Benchmark: profile and birth chart REST calls at 50 concurrent clients, daphne vs uvicorn.

    .venv/bin/python -m bench.rest [--clients 50] [--duration 8] [--server daphne,uvicorn]
    .venv/bin/python -m bench.rest --load closed,25,50,100     # and open loops at N req/s

One server process (scaled mode: PostgreSQL, Redis cache and rate limits, the limits raised
out of the way) and load generator processes holding `--clients` keep-alive HTTP/1.1
connections in total, one user per connection, for `--duration` seconds per endpoint and load:

- ``closed``: each connection a closed loop of authenticated GETs (the next request as soon
  as the answer is in): the server's saturation, where p99 is the time to serve 49 others;
- ``N`` (requests/s over all clients): an open loop, each client on a fixed schedule (like
  50 app users each refreshing now and then); latency counts from the scheduled send.

The endpoints:

- ``GET /api/v1/users/profile`` (the user's profile),
- ``GET /api/v1/numerology/profile`` (the birth chart: all numbers and meanings).

and the baseline, the floor (`bench/floor_app.py`): an empty DRF view behind the app's HTTP
handler, with no middleware, database or cache, under the same server and the same loads. It
is what one process of the framework can do on this machine before any of the app's work, so the
ratio is the app's own cost and the floor's row says whether the target is in reach at all.

Each server gets the same loads one after the other, and the table puts daphne and uvicorn
side by side. Target (DESIGN.md): p99 <= 25 ms at 50 concurrent clients.
"""

from __future__ import annotations

import argparse
import json
import urllib.request

from bench import common
from bench.common import Row

PATHS = ("/api/v1/users/profile", "/api/v1/numerology/profile")
FLOOR_APP, FLOOR_PATH = "bench.floor_app:application", "/api/v1/floor"


def warm(port: int, users: list[dict]) -> None:
    """Each user's first calls (profile creation, caches) happen before the clock starts."""
    for user in users:
        for path in PATHS:
            request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={
                "Authorization": f"Bearer {user['token']}"})
            with urllib.request.urlopen(request, timeout=30) as response:
                json.loads(response.read())


def _specs(port: int, path: str, users: list[dict], args, load: str) -> list[dict]:
    specs, first = [], 0
    for part in common.split(users[:args.clients], args.workers):
        spec = {"host": "127.0.0.1", "port": port, "paths": [path],
                "tokens": [u["token"] for u in part], "connections": len(part),
                "duration": args.duration}
        if load != "closed":
            spec.update(rate=float(load) / args.clients, first=first, total=args.clients)
        specs.append(spec)
        first += len(part)
    return specs


def _measure(procs, server, port: int, name: str, path: str, specs: list[dict], args,
             app_metrics: bool) -> dict:
    """One load on one path: latencies, requests/s, statuses, the server's CPU (in all and per
    request: steadier than requests/s on a noisy machine) and (the app only: the floor has no
    /metrics) its full garbage collections."""
    cpu0 = common.cpu_seconds(server.pid)
    gc_before = common.full_collections(port) if app_metrics else None
    with common.Profile(procs, server.pid, name, args.profile) as profile:
        _, results = common.workers_run(procs, name, "http", specs,
                                        max_seconds=args.duration + 60, go_in=0.5)
    latencies = [t for r in results for t in r["latencies_ms"][path]]
    statuses: dict = {}
    for r in results:
        for status, count in r["statuses"].items():
            statuses[status] = statuses.get(status, 0) + count
    cpu = common.cpu_seconds(server.pid) - cpu0
    return {
        "latency_ms": common.summary(latencies),
        "requests_per_second": round(len(latencies) / args.duration, 1),
        "statuses": statuses,
        "server_cpu_percent": round(100 * cpu / args.duration, 1),
        "server_cpu_ms_per_request": round(1000 * cpu / max(len(latencies), 1), 3),
        "full_collections": (common.full_collections_since(gc_before, port)
                             if app_metrics else None),
        "profile": profile.as_dict(),
    }


def run_server(procs, kind: str, users: list[dict], args) -> dict:
    """The app's endpoints under `kind`, then the floor (bench/floor_app.py) under the same
    server and loads."""
    out = {}
    server, port = common.start_server(procs, kind, name="rest")
    warm(port, users)
    for load, path in ((load, path) for load in args.loads for path in PATHS):
        name = f"rest-{kind}-{path.rsplit('/', 2)[-2]}-{load}"
        out[f"{path} {load}"] = _measure(procs, server, port, name, path,
                                         _specs(port, path, users, args, load), args, True)
    procs.stop(server)
    if args.floor:
        server, port = common.start_server(procs, kind, name="rest-floor", app=FLOOR_APP,
                                           ready_path=FLOOR_PATH)
        for load in args.loads:
            out[f"floor {load}"] = _measure(
                procs, server, port, f"rest-{kind}-floor-{load}", FLOOR_PATH,
                _specs(port, FLOOR_PATH, users, args, load), args, False)
        procs.stop(server)
    return out


def _rows(results: dict, servers: list[str], args) -> list[Row]:
    """Per load, per endpoint and then the floor, each server side by side. An endpoint's
    baseline is the floor under its server (without the floor: the same under uvicorn)."""
    rows = []
    for load in args.loads:
        suffix = "" if load == "closed" else f" @{load}/s"
        labelled = [(path.removeprefix("/api/v1/"), f"{path} {load}") for path in PATHS]
        if args.floor:
            labelled.append(("floor", f"floor {load}"))
        for label, key in labelled:
            for kind in servers:
                r = results[kind][key]
                if label == "floor":
                    reference = None
                elif args.floor:
                    reference = results[kind][f"floor {load}"]
                elif kind != "uvicorn" and "uvicorn" in servers:
                    reference = results["uvicorn"][key]
                else:
                    reference = None
                ok = set(r["statuses"]) == {"200"}
                rows.append(Row(f"{label}{suffix} {kind}", "ms", r["latency_ms"],
                                reference and reference["latency_ms"], "p99 <=25 ms",
                                ok and r["latency_ms"].get("p99", 1e9) <= 25, compare="p99",
                                extra={"statuses": r["statuses"]}))
                rows.append(Row(f"  requests/s {kind}", "req/s",
                                {"n": 1, "median": r["requests_per_second"]},
                                reference and {"median": reference["requests_per_second"]}))
                rows.append(Row(f"  server CPU/request {kind}", "ms",
                                {"n": 1, "median": r["server_cpu_ms_per_request"]},
                                reference and {"median": reference["server_cpu_ms_per_request"]}))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50, help="concurrent connections")
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per endpoint")
    parser.add_argument("--server", default="daphne,uvicorn")
    parser.add_argument("--workers", type=int, default=2, help="load generator processes")
    parser.add_argument("--load", default="closed",
                        help="comma-separated: closed and/or total requests/s (open loops)")
    parser.add_argument("--no-floor", dest="floor", action="store_false",
                        help="skip the floor (bench/floor_app.py) under each server")
    parser.add_argument("--profile", action="store_true", help="py-spy the server")
    parser.add_argument("--output", default=None)
    args = parser.parse_args(argv)
    servers = [s.strip() for s in args.server.split(",") if s.strip()]
    args.loads = [s.strip() for s in args.load.split(",") if s.strip()]

    common.prepare_storage()
    users = common.users_ensure(args.clients, prefix="rest")
    with common.Processes() as procs:
        results = {kind: run_server(procs, kind, users, args) for kind in servers}

    rows = _rows(results, servers, args)
    common.print_rows(f"REST: {args.clients} concurrent keep-alive clients ({args.load}), "
                      f"{args.duration:g} s per endpoint, load and server; baseline = "
                      + ("the floor (an empty DRF view) under the same server and load"
                         if args.floor else "the same under uvicorn"), rows)
    for kind, per_path in results.items():
        for path, r in per_path.items():
            gc = r["full_collections"]
            if gc is None:
                continue
            print(f"  {kind} {path}: {gc['count']} full garbage collections, "
                  f"{gc['seconds']:.2f} s")
            if set(r["statuses"]) != {"200"}:
                print(f"  {kind} {path}: statuses {r['statuses']}")
    common.write_json("rest", {"params": vars(args), "results": results}, rows, args.output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
