"""Benchmark of the programme pipeline at 10,000 bids (a benchmark, not a test).

    .venv/bin/python bench/pipeline.py [--seconds 4] [--clients 3] [--port 8765] [--keep]

1. Creates its own PostgreSQL database (`ldf_bench_pipeline`, dropped first), migrates it, runs
   `seed_scale --bids 10000` and VACUUM ANALYZE (what autovacuum soon does after a bulk load).
2. Serves the app with gunicorn (2 sync workers) on 127.0.0.1, with a trivial view added at /bench/trivial/
   (this module is also the server's URLconf and WSGI entry point: `bench.pipeline:application`).
3. Measures requests/s of the trivial view, the dashboard, the bid table (page 1 and a filtered search) and
   the API list, each for a bounded time with the same client, and prints each page's ratio to the trivial
   view. Goals: table ≥ 0.05, dashboard ≥ 0.10, API list ≥ 0.05.
4. Times `manage.py export_360giving` at 1,000 and 10,000 awards (in a second database,
   `ldf_bench_pipeline_export`) and reports its peak memory (Python allocations via tracemalloc, and the
   process's peak RSS): streaming should keep memory flat.

Needs PostgreSQL at BENCH_PG (default postgres://postgres@127.0.0.1:5432). Stops by itself.
"""

from __future__ import annotations

import argparse
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
DB_NAME = "ldf_bench_pipeline"
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


def measure(port: int, path: str, headers: dict[str, str], seconds: float, clients: int) -> tuple[float, int]:
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
    started = time.perf_counter()
    for proc in procs:
        proc.start()
    results = [queue.get() for _ in procs]
    for proc in procs:
        proc.join()
    elapsed = time.perf_counter() - started
    return sum(done for done, _ in results) / elapsed, sum(errors for _, errors in results)


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

    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "bench.pipeline:application",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        wait_for(args.port)
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
                rps, errors = measure(args.port, path, headers, args.seconds, args.clients)
                after = measure(args.port, trivial_path, {}, args.seconds, args.clients)[0]
                trivials.append(after)
                samples[name].append((rps, rps / ((before + after) / 2)))
                before = after
                if errors:
                    print(f"  {name}: {errors} failed requests", flush=True)
        trivial = statistics.median(trivials)
        print(
            f"\nRequests/s at {args.bids:,} bids (gunicorn, 2 workers; {args.clients} clients, "
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
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    if not args.skip_export:
        print("\n360Giving export (manage.py export_360giving, streamed):", flush=True)
        for figure in export_figures(env):
            print(
                f"  {figure['awards']:>6,} awards: {figure['seconds']:.2f}s, {figure['bytes'] / 1e6:.1f} MB file, "
                f"peak Python allocations {figure['peak_python'] / 1e6:.1f} MB, "
                f"peak RSS {figure['maxrss_kb'] / 1024:.0f} MB"
            )


if __name__ == "__main__":
    main()
