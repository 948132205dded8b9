"""Runs every benchmark with defaults sized for a 2-core machine, then prints a summary table.

    .venv/bin/python -m bench.run_all               (make bench)  about 10 minutes here
    .venv/bin/python -m bench.run_all --only fanout,rest
    .venv/bin/python -m bench.run_all --scale 4      (every size x4: 4x the work and more)

Each benchmark runs as its own process (`python -m bench.<name> ...`) with a time limit,
writes var/bench/<name>.json, and the summary below is read back from those files:
one line per measured target, with its baseline, the ratio and whether the target is met.
The summary is also written to var/bench/summary.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

from bench import common


def plan(scale: float) -> list[tuple[str, list[str], float]]:
    """(module, arguments, time limit in seconds) for each benchmark at this scale."""
    def n(value: int) -> str:
        return str(max(1, round(value * scale)))

    return [
        ("stream_overhead", ["--rounds", n(10), "--throughput-rounds", n(2),
                             "--throughput-tokens", n(2000), "--history", n(1000)], 240),
        ("concurrent_streams", ["--streams", n(20)], 300),
        ("idle_sockets", ["--sockets", n(600), "--hold", "3", "--sigterm"], 300),
        ("fanout", ["--users", n(500)], 400),
        ("rest", ["--duration", "5", "--load", "closed,50"], 300),
        ("readings", ["--users", n(100_000)], 300),
        ("push", ["--devices", n(10_000)], 300),
    ]


def summary_rows(name: str) -> list[list]:
    """Summary lines from var/bench/<name>.json: metric, value, baseline, ratio, target, met."""
    path = common.VAR_BENCH / f"{name}.json"
    if not path.exists():
        return [[name, "(no result)", None, None, None, "", ""]]
    data = json.loads(path.read_text())
    if data.get("rows"):
        out = []
        for row in data["rows"]:
            if row.get("target"):
                stat = row.get("compare", "median")
                value = row["stats"].get(stat)
                base = (row.get("baseline") or {}).get(stat)
                met = "" if row.get("met") is None else ("yes" if row["met"] else "NO")
                out.append([name, f"{row['metric']} ({stat}, {row['unit']})", value, base,
                            row.get("ratio"), row["target"], met])
        return out
    if name == "readings":
        return [[name, f"generate {data['users']:,} readings (s)", data["generate_seconds"],
                 data["baseline_copy_seconds"], data["ratio_to_copy"], "100k <=5 s",
                 "yes" if data["meets_target"] else "NO"]]
    if name == "push":
        return [[name, f"pushes of {data['devices']:,} devices (per s)",
                 data.get("pushes_per_second"), None, None, "", ""]]
    numbers = {k: v for k, v in data.items() if isinstance(v, int | float)
               and not isinstance(v, bool)}
    return [[name, key, value, None, None, "", ""] for key, value in list(numbers.items())[:6]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated benchmark names")
    parser.add_argument("--skip", default="", help="comma-separated benchmark names")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every size")
    parser.add_argument("--profile", action="store_true",
                        help="py-spy the servers (benchmarks that support it)")
    args = parser.parse_args(argv)
    only = {s for s in args.only.split(",") if s}
    skip = {s for s in args.skip.split(",") if s}

    common.raise_fd_limit()
    env = common.bench_env()  # DATABASE_URL / REDIS_URL: the bench database and Redis DB
    started = time.monotonic()
    ran: list[tuple[str, str, float]] = []
    for name, extra, limit in plan(args.scale):
        if (only and name not in only) or name in skip:
            continue
        if not (common.ROOT / "bench" / f"{name}.py").exists():
            continue
        if args.profile and name in ("stream_overhead", "concurrent_streams", "idle_sockets",
                                     "fanout", "rest"):
            extra = [*extra, "--profile"]
        print(f"\n=== bench.{name} {' '.join(extra)} (limit {limit:.0f} s)", flush=True)
        t0 = time.monotonic()
        try:
            result = subprocess.run([common.PYTHON, "-m", f"bench.{name}", *extra],
                                    cwd=common.ROOT, env=env, timeout=limit * max(1, args.scale))
            status = "ok" if result.returncode == 0 else f"exit {result.returncode}"
        except subprocess.TimeoutExpired:
            status = "TIMEOUT"
        ran.append((name, status, round(time.monotonic() - t0)))

    rows = [row for name, _, _ in ran for row in summary_rows(name)]
    print(f"\n=== summary ({time.monotonic() - started:.0f} s, load average "
          f"{common.machine()['loadavg_1m']} on {common.machine()['nproc']} cores)")
    print(common.table(["benchmark", "metric", "value", "baseline", "ratio", "target", "met"],
                       rows))
    print()
    print(common.table(["benchmark", "status", "seconds"], ran))
    out = common.VAR_BENCH / "summary.json"
    out.write_text(json.dumps({"ran": ran, "rows": rows, "machine": common.machine(),
                               "seconds": round(time.monotonic() - started)}, indent=2) + "\n")
    print(f"wrote {out.relative_to(common.ROOT)}")
    return 0 if all(status == "ok" for _, status, _ in ran) else 1


if __name__ == "__main__":
    sys.exit(main())
