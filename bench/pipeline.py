"""Benchmark of the programme pipeline at 100,000 bids (a benchmark, not a test).

    .venv/bin/python bench/pipeline.py [--bids 100000] [--rounds 20] [--seconds 10] [--trials 1]
        [--threads 2] [--connections 8] [--skip-seed] [--skip-export] [--only "table,ranking"]
        [--compare-caches] [--redis redis://127.0.0.1:6379/15]

Needs wrk (Debian: `apt-get install -y wrk`; it says so and stops if it is missing) and PostgreSQL at BENCH_PG
(default postgres://postgres@127.0.0.1:5432). Stops by itself.

1. Creates its own PostgreSQL database (`ldf_bench_pipeline`, or BENCH_DB; dropped first), migrates it, runs
   `seed_scale --bids 100000` (its progress bar on stderr, its time printed) and VACUUM ANALYZE (what
   autovacuum soon does after a bulk load). With --skip-seed it reuses the database, migrated if need be.
2. Counts each page's queries in-process with Django's test client against that database (cold, the cache
   empty as after a write; and warm), and runs EXPLAIN ANALYZE on the text searches' queries: execution time
   and the indexes used (goal: ≤ 50 ms at the database).
3. Serves the app with gunicorn (2 sync workers) on 127.0.0.1 (this module is also the server's URLconf and
   WSGI entry point, `bench.pipeline:application`, adding a trivial view, a write and "a write then the
   dashboard"), DEBUG off, persistent database connections, a bench-only SECRET_KEY, the cache in local memory
   (or Redis with --redis). A staff session past the second sign-in step and an API token are made in the
   bench database; every page is checked to answer 200 (304 for a revalidation) before it is measured.
4. Drives each page with wrk (2 threads, 8 connections, --seconds each), the trivial view measured just
   before and after it, and prints requests/s, the ratio to the trivial view, p50/p99 latency and queries,
   beside the issue's goals: table, search, dashboard warm and after a write, bid detail, ranking, API list
   and detail, the public funded-projects page and the 360Giving downloads (and their revalidations, 304).
5. With --compare-caches, also serves the same code with every cache lookup a miss (Django's DummyCache) and
   prints each page's requests/s and CPU time per request with the cache on and off (README, "Caching").
6. Unless --skip-export, times `manage.py export_360giving` at 1,000 and 10,000 awards (in a second database,
   `<database>_export`) and reports its peak memory.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432").rstrip("/")
DB_NAME = os.environ.get("BENCH_DB", "ldf_bench_pipeline")
GOALS = {
    "table": 0.05,
    "table search": 0.03,
    "table search+filters": 0.03,
    "dashboard (warm)": 0.10,
    "dashboard after write": 0.05,
    "bid detail": 0.05,
    "ranking": 0.05,
    "api list": 0.05,
    "funded (public)": 0.10,
}


# --- When gunicorn imports this module: the project's URLs plus a trivial view -------------------------


def _trivial(request):
    from django.http import HttpResponse

    return HttpResponse("ok", content_type="text/plain")


def __getattr__(name: str):
    """Build the URLconf and the WSGI app only when gunicorn asks for them (not when run as a script)."""
    if name == "urlpatterns":
        from django.urls import path

        from config.urls import urlpatterns as project

        return [
            path("bench/trivial/", _trivial),
            path("bench/write/", _write),
            path("bench/dashboard-after-write/", _dashboard_after_write),
            *project,
        ]
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


# --- When gunicorn imports this module: two bench-only views beside the trivial one ---------------------

_WRITE_BID: list[int] = []
_WARM_QUERIES: list[int] = []


def _write(request):
    """A write the dashboard must see, as a decision writes: the bid saved (its `updated_at`) and a history
    row. On a bid of the oldest round that no page of the bench shows."""
    from django.http import HttpResponse
    from django.utils import timezone

    from bids.models import Bid, BidTransition

    if not _WRITE_BID:
        _WRITE_BID.append(Bid.objects.order_by("pk").values_list("pk", flat=True).first())
    Bid.objects.filter(pk=_WRITE_BID[0]).update(updated_at=timezone.now())
    BidTransition.objects.create(
        bid_id=_WRITE_BID[0], transition="bench_write", source_state="draft", target_state="draft", note="bench"
    )
    return HttpResponse("written", content_type="text/plain")


def _dashboard_after_write(request):
    """The write above, then the dashboard (whose cached copy the write has just made stale). Answers with
    X-Bench-Recomputed: 1 when the dashboard was worked out again (more queries than a warm one), 0 when
    another connection's request had already done so for the same data, so the load script can count them."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from pipeline.views import dashboard

    if not _WARM_QUERIES:
        dashboard(request)
        with CaptureQueriesContext(connection) as warm:
            dashboard(request)
        _WARM_QUERIES.append(len(warm))
    _write(request)
    with CaptureQueriesContext(connection) as queries:
        response = dashboard(request)
    response["X-Bench-Recomputed"] = "1" if len(queries) > _WARM_QUERIES[0] else "0"
    return response


# --- The load generator: wrk (C, event-driven; Debian's package), 2 threads and 8 connections ------------

WRK = shutil.which("wrk")
WRK_MISSING = (
    "bench/pipeline.py drives its load with wrk, which is not installed.\n"
    "Install it (Debian/Ubuntu: `sudo apt-get install -y wrk`; macOS: `brew install wrk`) and run again."
)
# Counts, per wrk thread, the dashboards that were recomputed (more queries than a warm one) and those that
# another connection's request had already recomputed for the same data (a cache hit despite the write).
AFTER_WRITE_LUA = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) recomputed = 0; reused = 0 end
function response(status, headers, body)
  if headers["X-Bench-Recomputed"] == "1" then recomputed = recomputed + 1 else reused = reused + 1 end
end
function done(summary, latency, requests)
  local r, u = 0, 0
  for _, t in ipairs(threads) do r = r + t:get("recomputed"); u = u + t:get("reused") end
  io.write(string.format("BENCH recomputed=%d reused=%d\\n", r, u))
end
"""


@dataclass
class Load:
    rps: float
    errors: int
    cpu_ms: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    output: str = ""


def _ms(text: str) -> float:
    value = float(re.match(r"[\d.]+", text).group())
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[re.search(r"(us|ms|s|m)$", text).group(1)]


def wrk(
    port: int,
    path: str,
    headers: dict[str, str],
    seconds: float,
    *,
    threads: int = 2,
    connections: int = 8,
    lua: str = "",
    cpu_of: Server | None = None,
) -> Load:
    """Requests/s that wrk sustains for `seconds`, failed requests (socket errors and 4xx/5xx), latency
    percentiles, and (given the server) its CPU milliseconds per request."""
    cmd = [WRK, f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--latency", "--timeout", "30s"]
    for key, value in headers.items():
        cmd += ["-H", f"{key}: {value}"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua)
    if lua:
        cmd += ["-s", script.name]
    cmd.append(f"http://127.0.0.1:{port}{path}")
    # Warm up: templates compiled, connections open in both workers.
    subprocess.run([*cmd[:3], "-d1s", *cmd[4:]], capture_output=True, check=False)
    cpu_before = cpu_of.cpu_ns() if cpu_of else 0
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    cpu_after = cpu_of.cpu_ns() if cpu_of else 0
    os.unlink(script.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    errors += int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0
    percentiles = dict(re.findall(r"^\s+(50|99)(?:\.000)?%\s+(\S+)", out, re.MULTILINE))
    return Load(
        rps=rps,
        errors=errors,
        cpu_ms=(cpu_after - cpu_before) / 1e6 / max(total, 1) if cpu_of else 0.0,
        p50_ms=_ms(percentiles["50"]) if "50" in percentiles else 0.0,
        p99_ms=_ms(percentiles["99"]) if "99" in percentiles else 0.0,
        output=out,
    )


def measure(
    port: int, path: str, headers: dict[str, str], seconds: float, connections: int, cpu_of: Server | None = None
) -> tuple[float, int, float]:
    """Requests/s, failed requests, and (given the server) CPU milliseconds per request (for --compare-caches)."""
    load = wrk(port, path, headers, seconds, connections=connections, cpu_of=cpu_of)
    return load.rps, load.errors, load.cpu_ms


def probe(port: int, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str]]:
    """One request (redirects not followed): its status and headers. wrk counts a 3xx as a success, so every
    page is checked first to answer what it should (a staff page that redirects to sign-in measures nothing)."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.status, dict(response.getheaders())


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


def credentials(env: dict) -> dict:
    """A staff session past the second step (an authenticator app confirmed, as django_otp.login records it)
    and an API token, made in the bench database; and what the pages need: rounds, a bid, a round's code."""
    script = """
import json
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token
from bids.choices import BidState, RoundState
from bids.models import Bid, FundingRound
from councils.models import User
from councils.signin import HAS_DEVICE, TWO_FACTOR_SESSION_KEY
user = User.objects.filter(role="programme_staff", email__startswith="staff-").first()
device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
    user=user, name="Bench authenticator", confirmed=True
)
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session[DEVICE_ID_SESSION_KEY] = device.persistent_id
session[TWO_FACTOR_SESSION_KEY] = HAS_DEVICE
session.create()
token, _ = Token.objects.get_or_create(user=user)
rounds = list(FundingRound.objects.order_by("-opens_at").values_list("pk", flat=True))
newest = rounds[0]
scored = Bid.objects.filter(funding_round_id=newest, state=BidState.SCORED).order_by("pk").first()
published = FundingRound.objects.filter(state=RoundState.PUBLISHED).order_by("-opens_at").first()
print(json.dumps({
    "session": session.session_key, "token": token.key, "newest": newest, "oldest": rounds[-1],
    "bid": scored.reference, "published_code": published.code,
}))
"""
    out = run([PYTHON, "manage.py", "shell", "-c", script], env, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def pages_for(creds: dict) -> list[tuple[str, str, dict[str, str]]]:
    """Every page measured: (name, path, request headers). The trivial view is not among them."""
    staff = {"Cookie": f"sessionid={creds['session']}"}
    api = {"Authorization": f"Token {creds['token']}"}
    return [
        ("table", "/pipeline/bids/", staff),
        ("table search", "/pipeline/bids/?q=housing", staff),
        (
            "table search+filters",
            f"/pipeline/bids/?q=housing&region=North+West&round={creds['oldest']}&sort=-score",
            staff,
        ),
        ("dashboard (warm)", "/pipeline/", staff),
        ("dashboard after write", "/bench/dashboard-after-write/", staff),
        ("the write alone", "/bench/write/", staff),
        ("bid detail", f"/pipeline/bids/{creds['bid']}/", staff),
        ("ranking", f"/assessments/staff/rounds/{creds['newest']}/ranking/", staff),
        ("api list", "/api/bids/", api),
        ("api detail", f"/api/bids/{creds['bid']}/", api),
        ("funded (public)", "/funded/", {}),
        ("funded, revalidated", "/funded/", {"If-Modified-Since": "@funded"}),
        ("360 download, a round", f"/funded/{creds['published_code']}/360giving.json", {}),
        ("360 download, all", "/funded/360giving.json", {}),
        ("360 all, revalidated", "/funded/360giving.json", {"If-Modified-Since": "@package"}),
    ]


def query_counts_child(creds_json: str) -> None:
    """Run in a subprocess against the bench database: each page's queries, counted in-process with Django's
    test client (cold: the cache empty, as after a write; warm: asked again), and EXPLAIN ANALYZE of the text
    searches' queries. Prints JSON."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    settings.ROOT_URLCONF = "bench.pipeline"
    creds = json.loads(creds_json)
    counts: dict[str, dict] = {}
    for name, path, headers in pages_for(creds):
        if "revalidated" in name or name == "the write alone":
            continue
        meta = {"HTTP_" + key.upper().replace("-", "_"): value for key, value in headers.items() if key != "Cookie"}
        client = Client(HTTP_HOST="127.0.0.1", **meta)
        if "Cookie" in headers:
            client.cookies["sessionid"] = creds["session"]
        figures = {}
        for label in ("cold", "warm"):
            if label == "cold":
                cache.clear()
            with CaptureQueriesContext(connection) as queries:
                response = client.get(path)
                if response.streaming:
                    b"".join(response.streaming_content)
            figures[label] = len(queries)
            figures["status"] = response.status_code
        counts[name] = figures
    plans = {}
    staff = Client(HTTP_HOST="127.0.0.1")
    staff.cookies["sessionid"] = creds["session"]
    for name, path in (
        ("q=housing (every round)", "/pipeline/bids/?q=housing"),
        ("q=housing + region + round", f"/pipeline/bids/?q=housing&region=North+West&round={creds['oldest']}"),
        ("q=<a bid reference>", f"/pipeline/bids/?q={creds['bid']}"),
        ("q=adult social (two words)", "/pipeline/bids/?q=adult+social"),
        ("q=Leeds (a council's name)", "/pipeline/bids/?q=Leeds"),
    ):
        with CaptureQueriesContext(connection) as queries:
            staff.get(path)
        searches = [q["sql"] for q in queries.captured_queries if "LIKE" in q["sql"] and "bids_bid" in q["sql"]]
        for sql in searches:
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                plan = "\n".join(row[0] for row in cursor.fetchall())
            ms = float(re.search(r"Execution Time: ([\d.]+) ms", plan).group(1))
            indexes = sorted(
                set(re.findall(r"(?:Bitmap Index Scan on|Index (?:Only )?Scan (?:Backward )?using) (\w+)", plan))
            )
            plans.setdefault(name, []).append(
                {"ms": ms, "indexes": indexes, "seq_scan_bids": "Seq Scan on bids_bid" in plan, "plan": plan}
            )
    print(json.dumps({"counts": counts, "plans": plans}))


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
    parser.add_argument("--seconds", type=float, default=10.0, help="Measuring time per wrk run (default 10)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (default 8)")
    parser.add_argument("--trials", type=int, default=1, help="Runs of the whole sequence (default 1)")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--bids", type=int, default=100_000, help="Bids to seed (default 100,000)")
    parser.add_argument("--rounds", type=int, default=20, help="Over how many rounds (default 20)")
    parser.add_argument("--skip-seed", action="store_true", help="Reuse the bench database (migrated if need be)")
    parser.add_argument("--skip-export", action="store_true")
    parser.add_argument("--only", default="", help="Measure only these pages (comma-separated names)")
    parser.add_argument(
        "--compare-caches", action="store_true", help="Also measure every page with the cache off, side by side"
    )
    parser.add_argument("--redis", default="", help="Serve with REDIS_URL=this (the cache in Redis, as in production)")
    parser.add_argument("--export-child", help=argparse.SUPPRESS)
    parser.add_argument("--query-counts-child", help=argparse.SUPPRESS)
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
    if args.query_counts_child:
        query_counts_child(args.query_counts_child)
        return
    if WRK is None:
        print(WRK_MISSING, file=sys.stderr)
        sys.exit(2)

    if not args.skip_seed:
        print(f"Creating database {DB_NAME} and seeding {args.bids:,} bids…", flush=True)
        recreate_database(env)
        started = time.perf_counter()
        # seed_scale shows its own progress bar (on stderr).
        run(
            [PYTHON, "manage.py", "seed_scale", "--bids", str(args.bids), "--rounds", str(args.rounds)],
            env,
            stdout=subprocess.DEVNULL,
        )
        seeded = time.perf_counter() - started
        vacuum(env)
        print(f"  seed_scale: {seeded:.0f}s ({args.bids / seeded:,.0f} bids/s); VACUUM ANALYZE done", flush=True)
    else:
        run([PYTHON, "manage.py", "migrate", "-v0"], env)
    bids = int(
        run(
            [PYTHON, "manage.py", "shell", "-c", "from bids.models import Bid; print(Bid.objects.count())"],
            env,
            capture_output=True,
            text=True,
        ).stdout.split()[-1]
    )
    creds = credentials(env)
    pages = pages_for(creds)
    if args.only:
        wanted = {name.strip() for name in args.only.split(",")}
        pages = [page for page in pages if page[0] in wanted]

    print("Counting each page's queries (in-process, Django's test client) and EXPLAIN ANALYZE of the searches…")
    result = run([PYTHON, __file__, "--query-counts-child", json.dumps(creds)], env, capture_output=True, text=True)
    counted = json.loads(result.stdout.strip().splitlines()[-1])
    counts, plans = counted["counts"], counted["plans"]

    server = Server(args.port, env)
    uncached = Server(args.port + 1, {**env, "BENCH_CACHE": "off"}) if args.compare_caches else None
    try:
        wait_for(args.port)
        if uncached:
            wait_for(uncached.port)
        # Check every page answers as it should before measuring it; fill in the revalidations' dates.
        last_modified = {}
        checked = []
        for name, path, headers in pages:
            if "If-Modified-Since" in headers:
                tag = headers["If-Modified-Since"].lstrip("@")
                if tag not in last_modified:
                    base = "/funded/" if tag == "funded" else "/funded/360giving.json"
                    last_modified[tag] = probe(args.port, base, {})[1].get("Last-Modified", "")
                headers = {**headers, "If-Modified-Since": last_modified[tag]}
            status, _ = probe(args.port, path, headers)
            expected = 304 if "If-Modified-Since" in headers else 200
            if status != expected:
                print(f"  {name}: {path} answered {status}, not {expected}; not measured", flush=True)
                continue
            checked.append((name, path, headers))
        pages = checked

        trivial_path = "/bench/trivial/"
        trivials: list[float] = []
        samples: dict[str, list[tuple[Load, float]]] = {name: [] for name, _, _ in pages}
        print(
            f"Measuring with wrk ({args.threads} threads, {args.connections} connections, {args.seconds:g}s a run, "
            f"{args.trials} trial(s)); the trivial view before and after every page…",
            flush=True,
        )
        for _trial in range(args.trials):
            before = wrk(args.port, trivial_path, {}, args.seconds, threads=args.threads, connections=args.connections)
            trivials.append(before.rps)
            for name, path, headers in pages:
                lua = AFTER_WRITE_LUA if name == "dashboard after write" else ""
                load = wrk(
                    args.port, path, headers, args.seconds, threads=args.threads, connections=args.connections, lua=lua
                )
                after = wrk(
                    args.port, trivial_path, {}, args.seconds, threads=args.threads, connections=args.connections
                )
                trivials.append(after.rps)
                samples[name].append((load, load.rps / ((before.rps + after.rps) / 2)))
                before = after
                if load.errors:
                    print(f"  {name}: {load.errors} failed requests", flush=True)
        report(args, bids, trivials, samples, counts)
        after_write = samples.get("dashboard after write")
        write_alone = samples.get("the write alone")
        if after_write:
            tally = re.search(r"BENCH recomputed=(\d+) reused=(\d+)", after_write[-1][0].output)
            if tally:
                recomputed, reused = int(tally.group(1)), int(tally.group(2))
                print(
                    "\n  Dashboard after a write: every request saves a bid and writes a history row (as a decision "
                    "does), then asks for the dashboard; "
                    f"{recomputed:,} of {recomputed + reused:,} dashboards were recomputed (the rest were "
                    "recomputed moments before by another connection for the same data)."
                )
            if write_alone:
                both = statistics.median(load.rps for load, _ in after_write)
                alone = statistics.median(load.rps for load, _ in write_alone)
                if 1 / both > 1 / alone:
                    dashboard_only = 1 / (1 / both - 1 / alone)
                    print(
                        f"  Less the write's own time (1/{both:.1f} − 1/{alone:.1f} s): the dashboard after a write "
                        f"alone ≈ {dashboard_only:.1f} req/s, "
                        f"ratio ≈ {dashboard_only / statistics.median(trivials):.3f}"
                        " (the table's figure, write included, is the one held to the goal)."
                    )
        print_plans(plans)
        if uncached:
            compare_caches(args, server, uncached, pages, "Redis" if args.redis else "local memory")
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


def report(args, bids: int, trivials: list[float], samples: dict, counts: dict) -> None:
    trivial = statistics.median(trivials)
    cache = "Redis" if args.redis else "local memory"
    print(
        f"\nRequests/s at {bids:,} bids (gunicorn, 2 sync workers, cache in {cache}; wrk -t{args.threads} "
        f"-c{args.connections}, {args.seconds:g}s a run, {args.trials} trial(s), medians). Ratio = page ÷ the "
        "trivial view measured just before and after it. Queries: cold (cache empty, as after a write) / warm."
    )
    print(f"  {'page':<24}{'req/s':>9}{'ratio':>8}{'p50 ms':>9}{'p99 ms':>9}{'queries':>10}{'goal':>7}")
    spread = f"(range {min(trivials):.0f}–{max(trivials):.0f})"
    print(f"  {'trivial view':<24}{trivial:>9.1f}{1:>8.3f}{'':>18}{'0':>10}   {spread}")
    for name, runs in samples.items():
        if not runs:
            continue
        rps = statistics.median(load.rps for load, _ in runs)
        ratio = statistics.median(r for _, r in runs)
        p50 = statistics.median(load.p50_ms for load, _ in runs)
        p99 = statistics.median(load.p99_ms for load, _ in runs)
        goal = GOALS.get(name)
        mark = "" if goal is None else ("  ok" if ratio >= goal else "  BELOW GOAL")
        count = counts.get(name)
        queries = f"{count['cold']}/{count['warm']}" if count else "–"
        print(f"  {name:<24}{rps:>9.1f}{ratio:>8.3f}{p50:>9.1f}{p99:>9.1f}{queries:>10}{goal if goal else '':>7}{mark}")


def print_plans(plans: dict) -> None:
    print("\nText search at the database (EXPLAIN ANALYZE of the table page's search query; goal ≤ 50 ms):")
    for name, runs in plans.items():
        for run_ in runs:
            used = ", ".join(run_["indexes"]) or "none"
            scan = "  (reads every bid: Seq Scan on bids_bid)" if run_["seq_scan_bids"] else ""
            mark = "ok" if run_["ms"] <= 50 else "ABOVE 50 ms"
            print(f"  {name:<30}{run_['ms']:>9.1f} ms  {mark}; indexes: {used}{scan}")
    if os.environ.get("BENCH_PLANS"):
        for name, runs in plans.items():
            for run_ in runs:
                print(f"\n--- {name}\n{run_['plan']}")


def compare_caches(args: argparse.Namespace, cached: Server, uncached: Server, pages: list, cache: str) -> None:
    """Each page on the server with the cache and on the one without, in turn (the order alternating between
    trials), so both see the same load from the rest of the machine."""
    samples: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for trial in range(args.trials):
        for name, path, headers in pages:
            pair = [("on", cached), ("off", uncached)]
            for label, server in pair if trial % 2 == 0 else reversed(pair):
                rps, errors, cpu_ms = measure(server.port, path, headers, args.seconds, args.connections, cpu_of=server)
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
