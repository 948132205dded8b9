"""Shared plumbing of the benchmarks: processes, ports, users, stats, tables, JSON, profiles.

Every benchmark runs the pieces it measures as separate processes on loopback, each bounded in
time (a watchdog kills a process that outlives its deadline) and ended by its own process id
when the benchmark finishes:

- servers: daphne or uvicorn (``realtime.serve``) running ``asgi:application`` in the scaled
  mode, against the PostgreSQL database ``numerai_bench`` and Redis DB 10 (never other names);
- the local OpenAI-compatible model server ``tests/support/fake_openai.py`` at a set token rate;
- load generators (``bench/loadgen.py``) and bare baseline servers (``bench/bare.py``).

Results are printed as a small table and written as JSON under ``var/bench/``.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import platform
import re
import resource
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR_BENCH = ROOT / "var" / "bench"
LOG_DIR = VAR_BENCH / "logs"
PYTHON = sys.executable

BENCH_DATABASE = "numerai_bench"
BENCH_REDIS_DB = 10
PG_SERVER = os.environ.get("BENCH_PG_SERVER", "postgres://postgres@127.0.0.1:5432")
REDIS_SERVER = os.environ.get("BENCH_REDIS_SERVER", "redis://127.0.0.1:6379")
DATABASE_URL = f"{PG_SERVER}/{BENCH_DATABASE}"
REDIS_URL = f"{REDIS_SERVER}/{BENCH_REDIS_DB}"
# One key for every process of a run, so tokens minted by the setup process verify in servers.
SECRET_KEY = "bench-" + secrets.token_urlsafe(40)
SERVERS = ("daphne", "uvicorn")


# ----------------------------------------------------------------------------- environment


def raise_fd_limit() -> int:
    """Soft open-files limit up to the hard one (children inherit it); returns the new limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_env(**overrides) -> dict[str, str]:
    """The environment of server and setup processes: scaled mode on the bench database/Redis DB,
    quiet logs, rate limits and the per-user socket limit raised out of the way."""
    env = {
        **os.environ,
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "SECRET_KEY": SECRET_KEY,
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "EMBEDDED_SCHEDULER": "0",
        "WEBSOCKET_MAX_SOCKETS_PER_USER": "100000",
        "PYTHONUNBUFFERED": "1",
    }
    for scope in ("profile", "profile_premium", "numerology", "numerology_premium", "ticket",
                  "auth", "login_account", "login_ip", "reading"):
        env[f"RATE_{scope.upper()}"] = "1000000/min"
    env["RATE_CHAT"] = "1000000/hour"
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        env.pop(name, None)
    env.update({key: str(value) for key, value in overrides.items()})
    return env


def prepare_storage() -> None:
    """Creates and migrates ``numerai_bench`` (once) and empties Redis DB 10."""
    env = bench_env()
    exists = subprocess.run(
        ["psql", f"{PG_SERVER}/postgres", "-tAc",
         f"SELECT 1 FROM pg_database WHERE datname = '{BENCH_DATABASE}'"],
        capture_output=True, text=True, timeout=30,
    )
    if exists.returncode != 0:
        raise RuntimeError(f"PostgreSQL at {PG_SERVER} is not reachable: {exists.stderr}")
    if exists.stdout.strip() != "1":
        subprocess.run(["psql", f"{PG_SERVER}/postgres", "-c",
                        f'CREATE DATABASE "{BENCH_DATABASE}"'], check=True, timeout=30)
    manage(env, "migrate", "--noinput", timeout=300)
    redis_flush()


def redis_flush() -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.flushdb()
    finally:
        client.close()


def manage(env: dict, *args: str, timeout: float = 300) -> str:
    result = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args[:2])} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def django_shell(code: str, *, env: dict | None = None, timeout: float = 600) -> str:
    """Runs `code` in `manage.py shell -c` (a process of its own); returns its stdout."""
    return manage(env or bench_env(), "shell", "-c", code, timeout=timeout)


_USERS_CODE = """
import datetime, json, uuid
from django.contrib.auth.hashers import make_password
from accounts.models import User
from accounts.tokens import access_token_encode
prefix, n, premium, password = {prefix!r}, {n}, {premium!r}, {password!r}
emails = [f"{{prefix}}{{i}}@bench.example" for i in range(n)]
have = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
hashed = make_password(password) if password else make_password(None)
User.objects.bulk_create([
    User(id=uuid.uuid4(), email=e, password=hashed, full_name=f"Bench User {{i}}",
         birth_name=f"Bench User {{i}}",
         date_of_birth=datetime.date(1960, 1, 1) + datetime.timedelta(days=(i * 7919) % 15000),
         timezone="UTC", is_verified=True, is_premium=premium)
    for i, e in enumerate(emails) if e not in have
], batch_size=2000)
ids = dict(User.objects.filter(email__in=emails).values_list("email", "id"))
out = [{{"user_id": str(ids[e]), "email": e,
         "token": access_token_encode(user_id=ids[e], is_premium=premium).raw}}
       for e in emails]
open({path!r}, "w").write(json.dumps(out))
"""


def users_ensure(n: int, *, prefix: str = "bench", premium: bool = False,
                 password: str | None = None) -> list[dict]:
    """N verified users with a date of birth (created once, reused), each with a fresh access JWT
    signed with this run's key: ``[{"user_id", "email", "token"}]``."""
    path = VAR_BENCH / "tmp" / f"users-{prefix}-{os.getpid()}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    django_shell(_USERS_CODE.format(prefix=prefix, n=n, premium=premium, password=password,
                                    path=str(path)), timeout=900)
    users = json.loads(path.read_text())
    path.unlink()
    return users


# ----------------------------------------------------------------------------- processes


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen
    deadline: float
    log_path: Path | None = None

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log_tail(self, chars: int = 3000) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")[-chars:]


class Processes:
    """The processes of one benchmark: each bounded by a deadline, all ended (by pid) on exit."""

    def __init__(self) -> None:
        self.procs: list[Proc] = []
        self._stop = threading.Event()
        self._watchdog = threading.Thread(target=self._watch, daemon=True)
        self._watchdog.start()

    def start(self, name: str, argv: Sequence[str], *, env: dict | None = None,
              max_seconds: float = 600, pipe: bool = False) -> Proc:
        """Starts argv in its own session. `pipe`: stdin/stdout are pipes (load generators);
        otherwise output goes to var/bench/logs/<name>.log."""
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        log_path = LOG_DIR / f"{name}.log"
        log = open(log_path, "w")  # closed once the child has it
        popen = subprocess.Popen(
            list(argv), cwd=ROOT, env=env or bench_env(), start_new_session=True,
            stdin=subprocess.PIPE if pipe else subprocess.DEVNULL,
            stdout=subprocess.PIPE if pipe else log, stderr=log, text=True,
        )
        log.close()
        proc = Proc(name, popen, time.monotonic() + max_seconds, log_path)
        self.procs.append(proc)
        return proc

    def _watch(self) -> None:
        while not self._stop.wait(1.0):
            now = time.monotonic()
            for proc in list(self.procs):
                if proc.alive() and now > proc.deadline:
                    print(f"  ! {proc.name} (pid {proc.pid}) outlived its time limit: killed",
                          file=sys.stderr, flush=True)
                    self._signal(proc, signal.SIGKILL)

    @staticmethod
    def _signal(proc: Proc, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)  # its own session: the process and its children only

    def stop(self, proc: Proc, timeout: float = 10) -> None:
        if proc.alive():
            self._signal(proc, signal.SIGTERM)
            try:
                proc.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self._signal(proc, signal.SIGKILL)
                proc.popen.wait(5)
        for stream in (proc.popen.stdin, proc.popen.stdout):
            if stream is not None:
                with contextlib.suppress(Exception):
                    stream.close()

    def close(self) -> None:
        for proc in reversed(self.procs):
            self.stop(proc)
        self._stop.set()

    def __enter__(self) -> Processes:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def wait_until(check, *, timeout: float, what: str, proc: Proc | None = None) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(Exception):
            if check():
                return
        if proc is not None and not proc.alive():
            raise RuntimeError(f"{what}: process exited\n{proc.log_tail()}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not ready in {timeout:.0f} s\n"
                               f"{proc.log_tail() if proc else ''}")
        time.sleep(0.2)


def http_ok(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status == 200


def tcp_open(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=2):
        return True


def server_argv(kind: str, port: int, app: str | None = None) -> list[str]:
    """The server's command line: the app's (asgi:application) by default, or another `app`
    (bench.floor_app) under the same server."""
    if kind == "daphne":
        return [PYTHON, "-m", "daphne", "--bind", "127.0.0.1", "--port", str(port),
                "--ping-interval", "25", "--ping-timeout", "30", app or "asgi:application"]
    if kind == "uvicorn" and app:
        return [PYTHON, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port),
                "--no-access-log", "--log-level", "warning", "--lifespan", "off"]
    if kind == "uvicorn":
        # The production entry point (uvicorn with the drain), as compose.yaml runs it.
        return [PYTHON, "-m", "realtime.serve", "--host", "127.0.0.1", "--port", str(port),
                "--no-access-log", "--log-level", "warning"]
    raise ValueError(f"unknown server {kind!r}")


def start_server(procs: Processes, kind: str, *, name: str, env: dict | None = None,
                 max_seconds: float = 600, app: str | None = None,
                 ready_path: str = "/metrics") -> tuple[Proc, int]:
    """daphne or uvicorn running asgi:application (or `app`); returns once `ready_path`
    answers 200."""
    port = free_port()
    proc = procs.start(f"{name}-{kind}", server_argv(kind, port, app), env=env or bench_env(),
                       max_seconds=max_seconds)
    wait_until(lambda: http_ok(f"http://127.0.0.1:{port}{ready_path}"), timeout=60,
               what=f"{kind} server", proc=proc)
    return proc, port


def start_model(procs: Processes, *, name: str, tokens_per_second: float, n_tokens: int,
                first_token_delay: float = 0.0, max_seconds: float = 600) -> tuple[Proc, int]:
    """The fake OpenAI-compatible server emitting `n_tokens` per reply at the given rate."""
    port = free_port()
    proc = procs.start(name, [
        PYTHON, "-m", "tests.support.fake_openai", "--port", str(port), "--mode", "ok",
        "--tokens-per-second", str(tokens_per_second), "--n-tokens", str(n_tokens),
        "--first-token-delay", str(first_token_delay),
    ], max_seconds=max_seconds)
    wait_until(lambda: tcp_open(port), timeout=30, what="fake model server", proc=proc)
    return proc, port


def start_bare(procs: Processes, *, name: str, redis: bool = False,
               max_seconds: float = 600) -> tuple[Proc, int]:
    """The bare `websockets` baseline server (bench/bare.py), with Redis pub/sub forwarding."""
    port = free_port()
    argv = [PYTHON, "-m", "bench.bare", "--port", str(port)]
    if redis:
        argv += ["--redis", REDIS_URL]
    proc = procs.start(name, argv, max_seconds=max_seconds)
    wait_until(lambda: tcp_open(port), timeout=30, what="bare server", proc=proc)
    return proc, port


def model_tokens(n_tokens: int) -> list[str]:
    """The exact tokens the fake model server streams for `--n-tokens n_tokens`."""
    from tests.support.fake_openai import DEFAULT_TEXT, tokens_from_text

    return tokens_from_text(DEFAULT_TEXT, n_tokens)


def rss_kib(pid: int) -> int:
    """Resident set size of a process, in KiB (VmRSS of /proc/<pid>/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def full_collections(port: int) -> dict:
    """The server's full garbage collections so far (its /metrics): how many, seconds in all."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        text = response.read().decode()
    found = {}
    for stat in ("count", "sum"):
        match = re.search(rf'numerai_gc_pause_seconds_{stat}{{generation="2"}} (\S+)', text)
        found[stat] = float(match.group(1)) if match else 0.0
    return {"count": int(found["count"]), "seconds": found["sum"]}


def full_collections_since(before: dict, port: int) -> dict:
    after = full_collections(port)
    return {"count": after["count"] - before["count"],
            "seconds": round(after["seconds"] - before["seconds"], 3)}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ----------------------------------------------------------------------------- load generators


class Worker:
    """A load generator process (`python -m bench.loadgen <kind>`), spoken to by lines of JSON:
    it prints {"ready": ...} when set up, waits for a command line, prints {"result": ...}."""

    def __init__(self, procs: Processes, name: str, kind: str, spec: dict,
                 max_seconds: float) -> None:
        spec_path = VAR_BENCH / "tmp" / f"{name}-{os.getpid()}.json"
        spec_path.parent.mkdir(parents=True, exist_ok=True)
        spec_path.write_text(json.dumps({**spec, "max_seconds": max_seconds}))
        self.spec_path = spec_path
        self.proc = procs.start(name, [PYTHON, "-m", "bench.loadgen", kind, str(spec_path)],
                                max_seconds=max_seconds + 15, pipe=True)

    def _read(self, key: str) -> dict:
        line = self.proc.popen.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.proc.name} ended early:\n{self.proc.log_tail()}")
        message = json.loads(line)
        if "error" in message:
            raise RuntimeError(f"{self.proc.name}: {message['error']}")
        return message[key]

    def ready(self) -> dict:
        return self._read("ready")

    def command(self, command: dict) -> None:
        self.proc.popen.stdin.write(json.dumps(command) + "\n")
        self.proc.popen.stdin.flush()

    def result(self) -> dict:
        try:
            return self._read("result")
        finally:
            with contextlib.suppress(FileNotFoundError):
                self.spec_path.unlink()


def workers_run(procs: Processes, name: str, kind: str, specs: Sequence[dict],
                max_seconds: float, command: dict | None = None, go_in: float | None = None,
                between=None) -> tuple[list[dict], list[dict]]:
    """Starts one worker per spec, waits until all are ready, calls `between()` (if given),
    sends each `command` and collects the results. Returns (readies, results). `go_in`: the
    workers start together that many seconds after the last is ready (`go_at`)."""
    workers = [Worker(procs, f"{name}-{i}", kind, spec, max_seconds)
               for i, spec in enumerate(specs)]
    readies = [w.ready() for w in workers]
    if between is not None:
        between()
    if go_in is not None:
        command = {**(command or {}), "go_at": time.monotonic() + go_in}
    for worker in workers:
        worker.command(command or {})
    results = [w.result() for w in workers]
    return readies, results


def split(items: Sequence, parts: int) -> list[list]:
    """`items` in `parts` nearly equal slices (empty slices dropped)."""
    size = math.ceil(len(items) / max(1, parts))
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


# ----------------------------------------------------------------------------- statistics


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of `values`."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def summary(values: Sequence[float], digits: int = 2) -> dict:
    values = list(values)
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "min": round(min(values), digits),
        "median": round(statistics.median(values), digits),
        "p99": round(percentile(values, 99), digits),
        "max": round(max(values), digits),
        "mean": round(statistics.fmean(values), digits),
    }


def ratio(value: float, baseline: float, digits: int = 2) -> float | None:
    if not baseline or value is None or math.isnan(value) or math.isnan(baseline):
        return None
    return round(value / baseline, digits)


# ----------------------------------------------------------------------------- output


@dataclass
class Row:
    """One line of a result table: what was measured, its stats, the baseline's, the target."""

    metric: str
    unit: str
    stats: dict
    baseline: dict | None = None
    target: str = ""
    met: bool | None = None
    compare: str = "median"  # which stat the ratio compares
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"metric": self.metric, "unit": self.unit, "stats": self.stats,
                "baseline": self.baseline, "ratio": self.ratio, "compare": self.compare,
                "target": self.target, "met": self.met, **self.extra}

    @property
    def ratio(self) -> float | None:
        if not self.baseline or self.stats.get("n", 1) == 0:
            return None
        return ratio(self.stats.get(self.compare), self.baseline.get(self.compare))


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}" if abs(value) < 1 \
            else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def table(headers: Sequence[str], rows: Iterable[Sequence]) -> str:
    cells = [[str(h) for h in headers]] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                       for i, (c, w) in enumerate(zip(row, widths, strict=True)))
             for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def print_rows(title: str, rows: Sequence[Row]) -> None:
    print(f"\n{title}")
    headers = ["metric", "unit", "n", "min", "median", "p99", "baseline", "ratio", "target", "met"]
    body = []
    for row in rows:
        s, b = row.stats, row.baseline or {}
        met = "" if row.met is None else ("yes" if row.met else "NO")
        body.append([row.metric, row.unit, s.get("n"), s.get("min"), s.get("median"),
                     s.get("p99"), b.get(row.compare), row.ratio, row.target, met])
    print(table(headers, body), flush=True)


def machine() -> dict:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kib = 0
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    return {"nproc": os.cpu_count(), "cpu": cpu, "ram_gib": round(mem_kib / 2**20, 1),
            "python": platform.python_version(), "kernel": platform.release(),
            # Others may share the machine: the load says how noisy this run was.
            "loadavg_1m": round(os.getloadavg()[0], 2)}


def write_json(name: str, result: dict, rows: Sequence[Row] = (),
               output: str | None = None) -> Path:
    path = Path(output) if output else VAR_BENCH / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"benchmark": name, **result, "rows": [r.as_dict() for r in rows],
               "machine": machine(), "timestamp": datetime.now(UTC).isoformat()}
    path.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return path


# ----------------------------------------------------------------------------- profiling


class Profile:
    """py-spy sampling one process (usually a server) for the measured phase only.

    Writes the collapsed stacks to var/bench/profiles/<name>.txt and keeps a summary of the
    functions with the most samples (own and including callees)."""

    def __init__(self, procs: Processes, pid: int, name: str, enabled: bool,
                 rate: int = 200) -> None:
        self.enabled = enabled
        self.path = VAR_BENCH / "profiles" / f"{name}.txt"
        self.proc: Proc | None = None
        self.procs = procs
        self.pid, self.name, self.rate = pid, name, rate
        self.summary: dict | None = None

    def __enter__(self) -> Profile:
        if self.enabled:
            spy = Path(PYTHON).with_name("py-spy")
            if not spy.exists():
                print("  (py-spy not installed: pip install py-spy; profiling skipped)")
                self.enabled = False
                return self
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.proc = self.procs.start(f"py-spy-{self.name}", [
                str(spy), "record", "--pid", str(self.pid), "--format", "raw", "--rate",
                str(self.rate), "--nonblocking", "--output", str(self.path),
            ], max_seconds=900)
            time.sleep(1.0)  # py-spy attaches
        return self

    def __exit__(self, *exc_info) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGINT)  # py-spy writes its output on SIGINT
        try:
            self.proc.popen.wait(30)
        except subprocess.TimeoutExpired:
            self.procs.stop(self.proc)
        if self.path.exists():
            self.summary = profile_summary(self.path)
            print_profile(self.name, self.summary)

    def as_dict(self) -> dict | None:
        if self.summary is None:
            return None
        return {"file": str(self.path.relative_to(ROOT)), **self.summary}


def _frame_name(frame: str) -> str:
    # py-spy frames look like "function (path/to/file.py:123)"; drop the line, shorten the path.
    name, _, where = frame.partition(" (")
    where = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "/lib/python3.11/", str(ROOT) + "/"):
        if marker in where:
            where = where.split(marker, 1)[1]
    return f"{name} ({where})" if where else name


def profile_summary(path: Path, top: int = 15) -> dict:
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        total += samples
        frames = [_frame_name(f) for f in stack.split(";")]
        # Skip the thread frame py-spy puts first.
        frames = [f for f in frames if not f.startswith("process ") and not f.startswith("thread ")]
        if not frames:
            continue
        own[frames[-1]] += samples
        for name in set(frames):
            inclusive[name] += samples
    pct = (lambda n: round(100 * n / total, 1)) if total else (lambda n: 0.0)
    return {
        "samples": total,
        "own": [[name, pct(n)] for name, n in own.most_common(top)],
        "inclusive": [[name, pct(n)] for name, n in inclusive.most_common(top * 3)],
    }


def print_profile(name: str, summary: dict, top: int = 12) -> None:
    print(f"\nprofile {name}: {summary['samples']:,} samples (% of samples)")
    print(table(["own time", "%"], summary["own"][:top]))
    project = [row for row in summary["inclusive"]
               if any(f"({p}/" in row[0] for p in ("realtime", "chat", "accounts", "readings",
                                                     "numerai", "channels", "channels_redis",
                                                     "daphne", "uvicorn", "django"))]
    print(table(["including callees (project and frameworks)", "%"], project[:top]))
