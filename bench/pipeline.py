"""Benchmark of the programme pipeline at 10,000 bids (a benchmark, not a test).

    .venv/bin/python bench/pipeline.py [--seconds 2] [--clients 3] [--trials 3] [--port 8765]
        [--skip-seed] [--skip-export] [--compare-caches] [--redis redis://127.0.0.1:6379/15]

1. Creates its own PostgreSQL database (`ldf_bench_pipeline`, or BENCH_DB; dropped first), migrates it, runs
   `seed_scale --bids 10000` and VACUUM ANALYZE (what autovacuum soon does after a bulk load).
2. Serves the app with gunicorn (2 sync workers) on 127.0.0.1, with a trivial view added at /bench/trivial/
   (this module is also the server's URLconf and WSGI entry point: `bench.pipeline:application`), DEBUG off
   and a bench-only SECRET_KEY. The cache is local memory, or Redis (as in production) with --redis.
3. Measures requests/s of the trivial view, the dashboard, the bid table (page 1 and a filtered search), the
   API list and the public funded-projects page, each for a bounded time with the same client, and prints
   each page's ratio to the trivial view. Goals: table ≥ 0.05, dashboard ≥ 0.10, API list ≥ 0.05.
4. With --compare-caches, also serves the same code with every cache lookup a miss (a second gunicorn whose
   cache is Django's DummyCache; only this bench switches it) and measures each page on both servers in
   turn, --trials times: requests/s, and CPU time per request of the web workers plus their PostgreSQL
   backends (steadier than requests/s on a shared machine). A cache stays only if it saves ≥ 20 % on its
   page (README, "Caching").
5. Times `manage.py export_360giving` at 1,000 and 10,000 awards (in a second database,
   `<database>_export`) and reports its peak memory (Python allocations via tracemalloc, and the
   process's peak RSS): streaming should keep memory flat.

Needs PostgreSQL at BENCH_PG (default postgres://postgres@127.0.0.1:5432). Stops by itself.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432").rstrip("/")
DB_NAME = os.environ.get("BENCH_DB", "ldf_bench_pipeline")
GOALS = {"dashboard": 0.10, "table": 0.05, "table search": 0.05, "api list": 0.05}


# --- When gunicorn imports this module: the project's URLs plus a trivial view -------------------------


def _trivial(request):
    from django.http import HttpResponse

    return HttpResponse("ok", content_type="text/plain")


def __getattr__(name: str):
    """Build the URLconf and the WSGI app only when gunicorn asks for them (not when run as a script)."""
    if name == "urlpatterns":
        from django.urls import path

        from config.urls import urlpatterns as project

        return [path("bench/trivial/", _trivial), *project]
    if name in ("handler404", "handler500"):
        import config.urls

        return getattr(config.urls, name)
    if name == "application":
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        import django
        from django.conf import settings

        if os.environ.get("BENCH_CACHE") == "off":
            # The same code with every cache lookup a miss: what the caches save, measured side by side.
            settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
        django.setup()
        settings.ROOT_URLCONF = "bench.pipeline"
        from django.core.wsgi import get_wsgi_application

        app = get_wsgi_application()
        globals()["application"] = app
        return app
    raise AttributeError(name)


# --- The load generator: raw sockets, one request per connection (gunicorn sync workers close) -----------


def _client(host: str, port: int, request: bytes, seconds: float, queue) -> None:
    done = errors = 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        try:
            with socket.create_connection((host, port), timeout=30) as conn:
                conn.sendall(request)
                chunks = []
                while True:
                    data = conn.recv(65536)
                    if not data:
                        break
                    chunks.append(data)
            head = chunks[0][:12] if chunks else b""
            if head.startswith((b"HTTP/1.1 200", b"HTTP/1.0 200")):
                done += 1
            else:
                errors += 1
        except OSError:
            errors += 1
    queue.put((done, errors))


def measure(
    port: int, path: str, headers: dict[str, str], seconds: float, clients: int, cpu_of: Server | None = None
) -> tuple[float, int, float]:
    """Requests/s, failed requests, and (given the server) CPU milliseconds per request."""
    lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    queue = multiprocessing.Queue()
    # Warm up (templates compiled, connections open in both workers).
    _client("127.0.0.1", port, request, 0.5, queue)
    queue.get()
    procs = [
        multiprocessing.Process(target=_client, args=("127.0.0.1", port, request, seconds, queue))
        for _ in range(clients)
    ]
    cpu_before = cpu_of.cpu_ns() if cpu_of else 0
    started = time.perf_counter()
    for proc in procs:
        proc.start()
    results = [queue.get() for _ in procs]
    for proc in procs:
        proc.join()
    elapsed = time.perf_counter() - started
    done = sum(done for done, _ in results)
    cpu_ms = (cpu_of.cpu_ns() - cpu_before) / 1e6 / max(done, 1) if cpu_of else 0.0
    return done / elapsed, sum(errors for _, errors in results), cpu_ms


# --- The servers ----------------------------------------------------------------------------------------


def _cpu_ns(pid: int) -> int:
    """Nanoseconds on CPU of every thread of a process (0 once it has gone)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").glob("*/schedstat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            total += int(task.read_text().split()[0])
    return total


class Server:
    """gunicorn serving this module (2 sync workers) with the given environment."""

    def __init__(self, port: int, env: dict) -> None:
        self.port = port
        self.database = env["DATABASE_URL"]
        self.process = subprocess.Popen(
            [
                str(ROOT / ".venv" / "bin" / "gunicorn"),
                "bench.pipeline:application",
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )

    def workers(self) -> list[int]:
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                # The fields after the command name (which may hold spaces) start with state, then parent pid.
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[1]) == self.process.pid:
                children.append(int(stat.parent.name))
        return children

    def backends(self) -> list[int]:
        """PostgreSQL backends connected to the bench database (the servers' persistent connections)."""
        import psycopg

        name = self.database.rsplit("/", 1)[1]
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [name]).fetchall()
        return [pid for (pid,) in rows]

    def cpu_ns(self) -> int:
        """CPU time so far of the web workers and of the database's backends (those of an idle server barely
        move). Needs the database on this machine, as here; otherwise it counts the workers only."""
        return sum(_cpu_ns(pid) for pid in [*self.workers(), *self.backends()])

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)


# --- Orchestration --------------------------------------------------------------------------------------


def run(cmd: list[str], env: dict, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, env=env, check=True, **kwargs)


def recreate_database(env: dict) -> None:
    import psycopg

    name = env["DATABASE_URL"].rsplit("/", 1)[1]
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    run([PYTHON, "manage.py", "migrate", "-v0"], env)


def vacuum(env: dict) -> None:
    """What autovacuum does soon after a bulk load in production: statistics and the visibility map."""
    import psycopg

    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def credentials(env: dict) -> tuple[str, str, str, str]:
    """A staff session cookie and API token, made in the bench database; and a filtered query to search."""
    script = """
import json
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from rest_framework.authtoken.models import Token
from councils.models import User
from bids.models import FundingRound
user = User.objects.filter(role="programme_staff", email__startswith="staff-").first()
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
token, _ = Token.objects.get_or_create(user=user)
rounds = list(FundingRound.objects.order_by("-opens_at").values_list("pk", flat=True))
print(json.dumps([session.session_key, token.key, rounds[0], rounds[-1]]))
"""
    out = run([PYTHON, "manage.py", "shell", "-c", script], env, capture_output=True, text=True).stdout
    session_key, token, newest, oldest = json.loads(out.strip().splitlines()[-1])
    return session_key, token, newest, oldest


def wait_for(port: int, timeout: float = 30) -> None:
    end = time.time() + timeout
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def export_child(out: str) -> None:
    """Run in a subprocess: export the 360Giving file and report time and peak memory as JSON."""
    import resource
    import tracemalloc

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.core.management import call_command

    tracemalloc.start()
    started = time.perf_counter()
    call_command("export_360giving", output=out, verbosity=0)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    maxrss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    size = Path(out).stat().st_size
    grants = Path(out).read_text().count('"id": "360G-')
    print(
        json.dumps({"seconds": elapsed, "peak_python": peak, "maxrss_kb": maxrss_kb, "bytes": size, "grants": grants})
    )


def export_figures(env: dict) -> list[dict]:
    # A database of its own, so the page benchmark's data stays as it was seeded.
    env = {**env, "DATABASE_URL": f"{PG}/{DB_NAME}_export"}
    recreate_database(env)
    figures = []
    out = ROOT / "bench" / ".export-360giving.json"
    for total, tag, add in ((1000, "EXA", 1000), (10000, "EXB", 9000)):
        run(
            [
                PYTHON,
                "manage.py",
                "seed_scale",
                "--bids",
                str(add),
                "--rounds",
                "10",
                "--tag",
                tag,
                "--only-state",
                "awarded",
                "-v0",
            ],
            env,
            stdout=subprocess.DEVNULL,
        )
        result = run([PYTHON, __file__, "--export-child", str(out)], env, capture_output=True, text=True)
        figure = json.loads(result.stdout.strip().splitlines()[-1])
        figure["awards"] = total
        figures.append(figure)
    out.unlink(missing_ok=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="Measuring time per run (default 2)")
    parser.add_argument("--clients", type=int, default=3, help="Concurrent client processes (default 3)")
    parser.add_argument("--trials", type=int, default=3, help="Runs of the whole sequence (default 3)")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--bids", type=int, default=10_000)
    parser.add_argument("--skip-seed", action="store_true", help="Reuse the bench database as it is")
    parser.add_argument("--skip-export", action="store_true")
    parser.add_argument(
        "--compare-caches", action="store_true", help="Also measure every page with the cache off, side by side"
    )
    parser.add_argument("--redis", default="", help="Serve with REDIS_URL=this (the cache in Redis, as in production)")
    parser.add_argument("--export-child", help=argparse.SUPPRESS)
    args = parser.parse_args()

    env = {
        **os.environ,
        "DATABASE_URL": f"{PG}/{DB_NAME}",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        # DEBUG is off, so the settings insist on a key of our own.
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "bench-only-secret-key-never-used-to-serve-anyone-0123456789",
        # Persistent database connections, as in production (a new connection per request costs ~2 ms).
        "CONN_MAX_AGE": "600",
        "LOG_LEVEL": "ERROR",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("REDIS_URL", None)
    env.pop("BENCH_CACHE", None)
    if args.redis:
        env["REDIS_URL"] = args.redis
    if args.export_child:
        export_child(args.export_child)
        return

    if not args.skip_seed:
        print(f"Creating database {DB_NAME} and seeding {args.bids:,} bids…", flush=True)
        started = time.perf_counter()
        recreate_database(env)
        run([PYTHON, "manage.py", "seed_scale", "--bids", str(args.bids), "-v0"], env, stdout=subprocess.DEVNULL)
        vacuum(env)
        print(f"  seeded in {time.perf_counter() - started:.1f}s (including migrate)")
    session_key, token, newest_round, oldest_round = credentials(env)

    server = Server(args.port, env)
    uncached = Server(args.port + 1, {**env, "BENCH_CACHE": "off"}) if args.compare_caches else None
    try:
        wait_for(args.port)
        if uncached:
            wait_for(uncached.port)
        cookie = {"Cookie": f"sessionid={session_key}"}
        pages = [
            ("trivial view", "/bench/trivial/", {}),
            ("dashboard", "/pipeline/", cookie),
            ("dashboard (one round)", f"/pipeline/?round={newest_round}", cookie),
            ("table", "/pipeline/bids/", cookie),
            ("table search", f"/pipeline/bids/?q=housing&region=North+West&round={oldest_round}&sort=-score", cookie),
            ("api list", "/api/bids/", {"Authorization": f"Token {token}"}),
            (
                "api list filtered",
                "/api/bids/?state=in_review&needs_moderation=true",
                {"Authorization": f"Token {token}"},
            ),
            ("funded (public)", "/funded/", {}),
        ]
        # The trivial view is measured before and after every page and each page is compared with the mean of
        # its two neighbours, so load from anything else on the machine shifts both sides of a ratio alike. The
        # whole sequence runs --trials times; the median ratio of each page is reported (with the range).
        trivial_path = "/bench/trivial/"
        trivials: list[float] = []
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name, _, _ in pages[1:]}
        for _trial in range(args.trials):
            before = measure(args.port, trivial_path, {}, args.seconds, args.clients)[0]
            trivials.append(before)
            for name, path, headers in pages[1:]:
                rps, errors, _ = measure(args.port, path, headers, args.seconds, args.clients)
                after = measure(args.port, trivial_path, {}, args.seconds, args.clients)[0]
                trivials.append(after)
                samples[name].append((rps, rps / ((before + after) / 2)))
                before = after
                if errors:
                    print(f"  {name}: {errors} failed requests", flush=True)
        trivial = statistics.median(trivials)
        cache = "Redis" if args.redis else "local memory"
        print(
            f"\nRequests/s at {args.bids:,} bids (gunicorn, 2 workers, cache in {cache}; {args.clients} clients, "
            f"{args.seconds:g}s per run, {args.trials} trials; medians):"
        )
        print(f"  {'page':<24}{'req/s':>10}{'ratio':>10}{'range':>16}{'goal':>8}")
        print(f"  {'trivial view':<24}{trivial:>10.1f}{1:>10.3f}{f'{min(trivials):.0f}–{max(trivials):.0f}':>16}")
        for name, runs in samples.items():
            rps = statistics.median(r for r, _ in runs)
            ratios = [ratio for _, ratio in runs]
            ratio = statistics.median(ratios)
            goal = GOALS.get(name)
            mark = "" if goal is None else ("  ok" if ratio >= goal else "  BELOW GOAL")
            spread = f"{min(ratios):.3f}–{max(ratios):.3f}"
            print(f"  {name:<24}{rps:>10.1f}{ratio:>10.3f}{spread:>16}{goal if goal else '':>8}{mark}")
        if uncached:
            compare_caches(args, server, uncached, pages[1:], cache)
    finally:
        server.stop()
        if uncached:
            uncached.stop()

    if not args.skip_export:
        print("\n360Giving export (manage.py export_360giving, streamed):", flush=True)
        for figure in export_figures(env):
            print(
                f"  {figure['awards']:>6,} awards: {figure['seconds']:.2f}s, {figure['bytes'] / 1e6:.1f} MB file, "
                f"peak Python allocations {figure['peak_python'] / 1e6:.1f} MB, "
                f"peak RSS {figure['maxrss_kb'] / 1024:.0f} MB"
            )


def compare_caches(args: argparse.Namespace, cached: Server, uncached: Server, pages: list, cache: str) -> None:
    """Each page on the server with the cache and on the one without, in turn (the order alternating between
    trials), so both see the same load from the rest of the machine."""
    samples: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for trial in range(args.trials):
        for name, path, headers in pages:
            pair = [("on", cached), ("off", uncached)]
            for label, server in pair if trial % 2 == 0 else reversed(pair):
                rps, errors, cpu_ms = measure(server.port, path, headers, args.seconds, args.clients, cpu_of=server)
                samples.setdefault((name, label), []).append((rps, cpu_ms))
                if errors:
                    print(f"  {name} (cache {label}): {errors} failed requests", flush=True)
    print(
        f"\nThe cache ({cache}) on and off, side by side ({args.trials} trials, medians). CPU ms per request is the "
        "web workers' plus their PostgreSQL backends'; the gain is what the cache saves of it (off ÷ on − 1, paired "
        "within each trial, with its range):"
    )
    print(f"  {'page':<24}{'req/s on':>10}{'off':>10}{'CPU ms on':>12}{'off':>8}{'gain':>8}{'range':>16}")
    for name, _, _ in pages:
        on, off = samples[(name, "on")], samples[(name, "off")]
        gains = [c_off / c_on - 1 for (_, c_on), (_, c_off) in zip(on, off, strict=True) if c_on]
        spread = f"{min(gains):+.0%}…{max(gains):+.0%}" if gains else ""
        print(
            f"  {name:<24}{statistics.median(r for r, _ in on):>10.1f}{statistics.median(r for r, _ in off):>10.1f}"
            f"{statistics.median(c for _, c in on):>12.2f}{statistics.median(c for _, c in off):>8.2f}"
            f"{f'{statistics.median(gains):+.0%}' if gains else '–':>8}{spread:>16}"
        )


if __name__ == "__main__":
    main()
