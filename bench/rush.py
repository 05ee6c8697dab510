"""The closing-day rush: councils saving and submitting in the last minutes before a round closes (a load test,
not a test).

    .venv/bin/python bench/rush.py [--users 50] [--spawn-rate 10] [--time 5m] [--workers 4]
        [--celery-concurrency 2] [--background-bids 2000] [--drafts 600] [--port 8790]

1. Creates its own PostgreSQL database (`ldf_bench_rush`, or BENCH_DB; dropped first), migrates it and seeds:
   a programme of --background-bids bids in five earlier rounds (`pipeline.seeding`; the newest is assessing,
   with assessments in progress), and a round open for bids whose closing time falls just after the rush, with
   --drafts complete draft bids (two confirmed partners, costs matching the amount) led by two council users
   per council; programme staff and assessors with authenticator apps whose secrets the load generator knows.
2. Serves the app as production does on one machine: gunicorn (--workers sync workers), a real Celery worker
   and beat (Redis database 15 as broker and cache, flushed first), email over SMTP to a sink (aiosmtpd) on
   127.0.0.1 — nothing leaves the machine.
3. Runs Locust headless (`bench/locustfile.py`) for --time with --users users: council users sign in, save
   sections of their bid, upload a document and submit (then sign out and take the next council's draft);
   staff sign in with a TOTP code and browse the dashboard and bid table; assessors sign in with a TOTP code,
   declare no conflict and score.
4. Reports throughput, p50 and p99 per request type and every failure (goals: 0 errors, p99 ≤ 1 s), then polls
   the notifications outbox until nothing is pending (goal: drained ≤ 2 minutes after the rush), and waits for
   beat to close the round at its closing time and the outbox to drain again.

Needs PostgreSQL at BENCH_PG (default postgres://postgres@127.0.0.1:5432) and Redis at 127.0.0.1:6379.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432").rstrip("/")
DB_NAME = os.environ.get("BENCH_DB", "ldf_bench_rush")
PASSWORD = "localdigital-rush"
ROUND_CODE = "RUSH"
EMAIL_DOMAIN = "rush.localdigital.test"
STAFF_ACCOUNTS = 10
P99_GOAL_MS = 1000
DRAIN_GOAL_S = 120


def totp_key(email: str) -> str:
    """The authenticator secret (hex, as django-otp stores it) of a bench account; the load generator derives the
    same secret from the email address, so it can compute codes without reading the database."""
    return hashlib.sha1(f"ldf-rush-totp:{email}".encode()).hexdigest()


# --- Seeding (run in a child process with Django set up) ------------------------------------------------


def seed(accounts_path: str, closes_in: float, drafts: int, background: int) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from decimal import Decimal

    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from assessments.choices import AssessmentState
    from assessments.models import Assessment
    from bids.choices import BidState, PartnerStatus, Payer, RoundState
    from bids.models import Bid, BidPartner, CostLine, Criterion, FundingRound, RoundPhase
    from bids.selectors import bid_submission_problems
    from councils.choices import Role
    from councils.models import Council, Membership, User
    from councils.services import totp_device_install
    from pipeline.seeding import CRITERIA, PARAGRAPH, PHASE_CAPS, TOPICS, seed_programme

    started = time.perf_counter()
    result = seed_programme(bids=background, rounds=5, tag="RB")
    print(f"  background: {result.bids:,} bids in 5 rounds ({time.perf_counter() - started:.1f}s)", flush=True)
    now = timezone.now()
    password = make_password(PASSWORD)
    with transaction.atomic():
        # seed_programme loaded the councils and made them all signatories.
        councils = list(Council.objects.order_by("pk"))
        funding_round = FundingRound.objects.create(
            name="Closing-day rush round",
            code=ROUND_CODE,
            opens_at=now - timedelta(days=60),
            closes_at=now + timedelta(seconds=closes_in),
            assessment_deadline=now + timedelta(days=60),
            budget=Decimal("20000000"),
            state=RoundState.OPEN,
            opened_at=now - timedelta(days=60),
        )
        RoundPhase.objects.bulk_create(
            RoundPhase(funding_round=funding_round, phase=phase, cap=cap) for phase, cap in PHASE_CAPS.items()
        )
        Criterion.objects.bulk_create(
            Criterion(funding_round=funding_round, code=code, name=name, weight=weight, position=position)
            for position, (code, name, weight) in enumerate(CRITERIA)
        )
        # Two leads per council at most (the round's lead limit), each a council user of their own.
        leads = [(council, slot) for slot in ("a", "b") for council in councils][:drafts]
        users = [
            User(
                email=f"lead-{slot}@{council.register_code.lower()}.{EMAIL_DOMAIN}",
                full_name=f"{council.short_name} lead {slot.upper()}",
                role=Role.COUNCIL_MEMBER,
                password=password,
            )
            for council, slot in leads
        ]
        User.objects.bulk_create(users)
        Membership.objects.bulk_create(
            Membership(user=user, council=council) for user, (council, _) in zip(users, leads, strict=True)
        )
        phases = list(PHASE_CAPS)
        bids = []
        for number, (council, _slot) in enumerate(leads, start=1):
            phase = phases[number % 3]
            topic = TOPICS[number % len(TOPICS)]
            bids.append(
                Bid(
                    funding_round=funding_round,
                    number=number,
                    reference=Bid.reference_for(ROUND_CODE, number),
                    lead_council=council,
                    state=BidState.DRAFT,
                    title=f"Shared service for {topic} ({council.short_name})",
                    summary=f"{council.short_name} and partners will build a {topic} service any council can reuse.",
                    problem=PARAGRAPH,
                    user_needs=PARAGRAPH,
                    approach=PARAGRAPH,
                    outputs_and_reuse=PARAGRAPH,
                    working_in_the_open=PARAGRAPH,
                    phase=phase,
                    amount_requested=PHASE_CAPS[phase] - Decimal("5000"),
                    planned_start=(now + timedelta(days=90)).date(),
                    duration_months=6,
                    lead_contact_name="Lead Contact",
                    lead_contact_email=f"contact@{council.register_code.lower()}.{EMAIL_DOMAIN}",
                    lead_contact_phone="0117 922 2000",
                )
            )
        Bid.objects.bulk_create(bids)
        partners, lines = [], []
        for index, bid in enumerate(bids):
            for step in (1, 2):
                partner = councils[(councils.index(bid.lead_council) + step * 37 + index) % len(councils)]
                if partner.pk == bid.lead_council_id:
                    partner = councils[(councils.index(partner) + 1) % len(councils)]
                partners.append(
                    BidPartner(
                        bid=bid,
                        council=partner,
                        status=PartnerStatus.CONFIRMED,
                        invited_at=now - timedelta(days=20),
                        responded_at=now - timedelta(days=19),
                    )
                )
            half = (bid.amount_requested / 2).quantize(Decimal("0.01"))
            lines += [
                CostLine(bid=bid, payer=Payer.LEAD, description="Council staff time", amount=half),
                CostLine(bid=bid, payer=Payer.SUPPLIER, description="Supplier", amount=bid.amount_requested - half),
            ]
        BidPartner.objects.bulk_create(partners)
        CostLine.objects.bulk_create(lines)

        staff = []
        for n in range(1, STAFF_ACCOUNTS + 1):
            user = User.objects.create(
                email=f"staff{n}@{EMAIL_DOMAIN}", full_name=f"Programme staff {n}", role=Role.PROGRAMME_STAFF
            )
            user.password = password
            user.save(update_fields=["password"])
            staff.append(user)
        # The assessing round's assessors (seeded with the background), with the assessments they have to score.
        assessors = []
        to_score: dict[int, list[int]] = {}
        for assessment in Assessment.objects.filter(
            state__in=(AssessmentState.IN_PROGRESS, AssessmentState.ASSIGNED),
            bid__state=BidState.IN_REVIEW,
            bid__funding_round__state=RoundState.ASSESSING,
        ).order_by("pk"):
            to_score.setdefault(assessment.assessor_id, []).append(assessment.pk)
        for user in User.objects.filter(pk__in=to_score).order_by("pk"):
            user.password = password
            user.save(update_fields=["password"])
            assessors.append(user)
        for user in [*staff, *assessors]:
            totp_device_install(user=user, key=totp_key(user.email))

    problems = bid_submission_problems(bid=Bid.objects.get(pk=bids[0].pk))
    if problems:
        raise SystemExit(f"The seeded drafts cannot be submitted: {[p.message for p in problems]}")
    accounts = {
        "password": PASSWORD,
        "councils": [{"email": user.email, "bid": bid.reference} for user, bid in zip(users, bids, strict=True)],
        "staff": [user.email for user in staff],
        "assessors": [{"email": user.email, "assessments": to_score[user.pk]} for user in assessors],
        "round": funding_round.pk,
    }
    Path(accounts_path).write_text(json.dumps(accounts))
    print(
        f"  rush round {ROUND_CODE}: {len(bids):,} drafts of {len(users):,} council users, {len(staff)} staff, "
        f"{len(assessors)} assessors with {sum(map(len, to_score.values())):,} assessments to score; closes in "
        f"{closes_in:.0f}s ({time.perf_counter() - started:.1f}s in all)",
        flush=True,
    )


# --- The SMTP sink --------------------------------------------------------------------------------------


class CountingHandler:
    def __init__(self) -> None:
        self.messages = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        with self.lock:
            self.messages += 1
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- Orchestration --------------------------------------------------------------------------------------


def run(cmd: list[str], env: dict, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, env=env, check=True, **kwargs)


def recreate_database(env: dict) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    run([PYTHON, "manage.py", "migrate", "-v0"], env)


def wait_for(port: int, timeout: float = 60) -> None:
    end = time.time() + timeout
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing listens on port {port}")


def start(cmd: list[str], env: dict, log: Path) -> subprocess.Popen:
    handle = log.open("w")
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def outbox(database_url: str, round_pk: int) -> tuple[dict[str, int], str]:
    """Notifications by status, and the rush round's state."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        counts = dict(
            conn.execute("SELECT status, count(*) FROM notifications_notification GROUP BY status").fetchall()
        )
        state = conn.execute("SELECT state FROM bids_fundinground WHERE id = %s", [round_pk]).fetchone()[0]
    return counts, state


def drain(database_url: str, round_pk: int, timeout: float) -> tuple[float | None, dict]:
    """Seconds until no notification is pending; None if not within timeout."""
    started = time.perf_counter()
    counts: dict = {}
    while time.perf_counter() - started < timeout:
        counts, _ = outbox(database_url, round_pk)
        if not counts.get("pending"):
            return time.perf_counter() - started, counts
        time.sleep(0.5)
    return None, counts


def wait_for_close(database_url: str, round_pk: int, timeout: float) -> float | None:
    """Seconds until beat has closed the round; None if not within timeout."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if outbox(database_url, round_pk)[1] != "open":
            return time.perf_counter() - started
        time.sleep(0.5)
    return None


def warm_up(port: int, workers: int) -> None:
    """A few requests per worker before the clock starts (imports, templates, database connections)."""
    import urllib.request

    for _ in range(workers * 3):
        for path in ("/", "/sign-in/", "/funded/"):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=60) as response:
                response.read()


def cpu_seconds(pids: set[int] | None = None, group: int | None = None) -> dict[int, float]:
    """CPU seconds so far (user + system) of the given processes, or of every process in a process group."""
    tick = os.sysconf("SC_CLK_TCK")
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # After the command name (which may hold spaces): state, ppid, pgrp, … utime and stime at 11 and 12.
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        pid = int(stat.parent.name)
        if (pids is not None and pid in pids) or (group is not None and int(fields[2]) == group):
            found[pid] = (int(fields[11]) + int(fields[12])) / tick
    return found


def database_backends(database_url: str) -> set[int]:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [DB_NAME]).fetchall()
    return {pid for (pid,) in rows}


class CpuMeter:
    """CPU used by the web server, the Celery worker and beat, PostgreSQL's backends of the bench database and
    Locust between start() and stop() — what the rush cost, whatever else the machine was doing."""

    def __init__(self, web: int, celery: list[int], database_url: str) -> None:
        self.web, self.celery, self.database_url = web, celery, database_url

    def sample(self, locust: int | None) -> dict[str, dict[int, float]]:
        celery = {}
        for group in self.celery:
            celery.update(cpu_seconds(group=group))
        return {
            "web": cpu_seconds(group=self.web),
            "celery": celery,
            "postgres": cpu_seconds(pids=database_backends(self.database_url)),
            "locust": cpu_seconds(group=locust) if locust else {},
        }

    @staticmethod
    def used(before: dict, after: dict) -> dict[str, float]:
        return {
            part: sum(value - before.get(part, {}).get(pid, 0.0) for pid, value in after[part].items())
            for part in after
        }


def waiting_on_locks() -> int:
    """Backends of the bench database waiting for a lock right now (row or table: lock contention)."""
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        sql = "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'"
        return conn.execute(sql, [DB_NAME]).fetchone()[0]


def load_average() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


def seconds_of(duration: str) -> float:
    units = {"s": 1, "m": 60, "h": 3600}
    return float(duration[:-1]) * units[duration[-1]] if duration[-1] in units else float(duration)


def report(csv_prefix: Path, failures_path: Path) -> tuple[int, float]:
    """Print Locust's statistics per request type; return the failures and the worst p99 (ms)."""
    rows = list(csv.DictReader((csv_prefix.parent / f"{csv_prefix.name}_stats.csv").open()))
    print(f"\n  {'request':<40}{'count':>7}{'fail':>6}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}{'max ms':>8}")
    worst = 0.0
    failures = 0
    for row in rows:
        name = row["Name"] if row["Name"] != "Aggregated" else "all requests"
        if row["Name"] != "Aggregated":
            worst = max(worst, float(row["99%"] or 0))
        failures += int(row["Failure Count"]) if row["Name"] != "Aggregated" else 0
        print(
            f"  {name:<40}{int(row['Request Count']):>7}{int(row['Failure Count']):>6}"
            f"{float(row['Requests/s']):>8.1f}{row['50%']:>8}{row['99%']:>8}{float(row['Max Response Time']):>8.0f}"
        )
    if failures_path.exists():
        failure_rows = list(csv.DictReader(failures_path.open()))
        for row in failure_rows:
            print(f"  FAILED {row['Method']} {row['Name']}: {row['Occurrences']}× {row['Error'][:200]}")
    return failures, worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=50, help="Concurrent Locust users (default 50)")
    parser.add_argument("--spawn-rate", type=float, default=10, help="Users started per second (default 10)")
    parser.add_argument("--time", default="5m", help="How long the rush lasts, e.g. 300s, 5m (default 5m)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers (default 4)")
    parser.add_argument("--celery-concurrency", type=int, default=2, help="Celery worker processes (default 2)")
    parser.add_argument("--background-bids", type=int, default=2000, help="Bids in earlier rounds (default 2,000)")
    parser.add_argument("--drafts", type=int, default=600, help="Draft bids in the open round (at most 634)")
    parser.add_argument("--port", type=int, default=8790)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/15", help="Broker and cache (flushed first)")
    parser.add_argument("--drain-timeout", type=float, default=600)
    parser.add_argument("--seed-child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed_child:
        accounts_path, closes_in, drafts, background = args.seed_child
        seed(accounts_path, float(closes_in), int(drafts), int(background))
        return

    work = Path(tempfile.mkdtemp(prefix="ldf-rush-"))
    smtp_port = free_port()
    database_url = f"{PG}/{DB_NAME}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "bench-only-secret-key-never-used-to-serve-anyone-0123456789",
        "CONN_MAX_AGE": "600",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
        "REDIS_URL": args.redis,
        "CACHE_URL": args.redis,
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "EMAIL_USE_TLS": "false",
        "EMAIL_USE_SSL": "false",
        "EMAIL_HOST_USER": "",
        "EMAIL_HOST_PASSWORD": "",
        "SITE_URL": f"http://127.0.0.1:{args.port}",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PRIVATE_MEDIA_ROOT": str(work / "media"),
        "NOTIFICATIONS_GOVUK_NOTIFY_API_KEY": "",
    }
    for name in ("CELERY_BROKER_URL", "CELERY_TASK_ALWAYS_EAGER", "SIMILARITY_INDEX_INLINE", "DEMO_DATA"):
        env.pop(name, None)
    rush_seconds = seconds_of(args.time)

    print(f"Creating database {DB_NAME} and seeding…", flush=True)
    started = time.perf_counter()
    recreate_database(env)
    accounts_path = work / "accounts.json"
    # The round closes a little after the rush: the seeding and start-up take about a minute, the ramp-up a few
    # seconds; nobody is refused for lateness while Locust runs, and beat closes it within a minute afterwards.
    closes_in = rush_seconds + 120
    run(
        [
            PYTHON,
            __file__,
            "--seed-child",
            str(accounts_path),
            str(closes_in),
            str(args.drafts),
            str(args.background_bids),
        ],
        env,
    )
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    print(f"  seeded in {time.perf_counter() - started:.1f}s (including migrate)", flush=True)
    accounts = json.loads(accounts_path.read_text())

    import redis
    from aiosmtpd.controller import Controller

    redis.Redis.from_url(args.redis).flushdb()
    handler = CountingHandler()
    smtp = Controller(handler, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    processes = []
    try:
        processes.append(
            start(
                [
                    str(BIN / "gunicorn"),
                    "config.wsgi:application",
                    "--workers",
                    str(args.workers),
                    "--bind",
                    f"127.0.0.1:{args.port}",
                    "--log-level",
                    "warning",
                    "--timeout",
                    "60",
                ],
                env,
                work / "gunicorn.log",
            )
        )
        processes.append(
            start(
                [
                    str(BIN / "celery"),
                    "-A",
                    "config",
                    "worker",
                    "--loglevel",
                    "WARNING",
                    "--concurrency",
                    str(args.celery_concurrency),
                    "--without-gossip",
                    "--without-mingle",
                ],
                env,
                work / "celery.log",
            )
        )
        processes.append(
            start(
                [
                    str(BIN / "celery"),
                    "-A",
                    "config",
                    "beat",
                    "--loglevel",
                    "WARNING",
                    "--schedule",
                    str(work / "beat-schedule"),
                ],
                env,
                work / "beat.log",
            )
        )
        wait_for(args.port)
        warm_up(args.port, args.workers)
        csv_prefix = work / "locust"
        print(
            f"Rush: {args.users} users (+{args.spawn_rate:g}/s) for {args.time} against gunicorn ({args.workers} "
            f"workers), a Celery worker ({args.celery_concurrency} processes) and beat; logs in {work}",
            flush=True,
        )
        meter = CpuMeter(processes[0].pid, [processes[1].pid, processes[2].pid], database_url)
        before = meter.sample(None)
        load_before = load_average()
        rush_started = time.perf_counter()
        locust = subprocess.Popen(
            [
                str(BIN / "locust"),
                "-f",
                str(ROOT / "bench" / "locustfile.py"),
                "--headless",
                "-u",
                str(args.users),
                "-r",
                str(args.spawn_rate),
                "-t",
                args.time,
                "--host",
                f"http://127.0.0.1:{args.port}",
                "--csv",
                str(csv_prefix),
                "--only-summary",
                "--stop-timeout",
                "10",
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env={**env, "RUSH_ACCOUNTS": str(accounts_path)},
            start_new_session=True,
        )
        locust_cpu = {}
        lock_waits = []
        while locust.poll() is None:
            locust_cpu = cpu_seconds(group=locust.pid) or locust_cpu
            lock_waits.append(waiting_on_locks())
            time.sleep(1)
        after = meter.sample(None)
        after["locust"] = locust_cpu
        load_after = load_average()
        rush_elapsed = time.perf_counter() - rush_started
        counts, _ = outbox(database_url, accounts["round"])
        print(f"\nThe rush ended after {rush_elapsed:.0f}s; outbox: {counts}", flush=True)
        pending_at_end = counts.get("pending", 0)
        celery_before = meter.sample(None)
        drained, counts = drain(database_url, accounts["round"], args.drain_timeout)
        celery_used = CpuMeter.used(celery_before, meter.sample(None))["celery"]
        after_rush = f"{drained:.1f}s" if drained is not None else f"not within {args.drain_timeout:.0f}s"
        print(f"  outbox drained {after_rush} after the rush (goal ≤ {DRAIN_GOAL_S}s): {counts}", flush=True)
        if drained and pending_at_end:
            print(
                f"  {pending_at_end / drained:.1f} messages/s while draining, the worker using {celery_used:.0f}s of "
                f"CPU ({celery_used * 1000 / pending_at_end:.0f} ms a message, with what was left of the indexing)",
                flush=True,
            )
        closes = wait_for_close(database_url, accounts["round"], args.drain_timeout)
        if closes is not None:
            drained_close, counts = drain(database_url, accounts["round"], args.drain_timeout)
            after_close = f"{drained_close:.1f}s" if drained_close is not None else "not"
            print(
                f"  beat closed the round at its closing time ({closes:.0f}s later); its notifications drained "
                f"{after_close} after: {counts}; {handler.messages:,} messages reached the SMTP sink",
                flush=True,
            )
        failures, worst = report(csv_prefix, work / "locust_failures.csv")
        used = CpuMeter.used(before, after)
        total = sum(
            int(row["Request Count"])
            for row in csv.DictReader((work / "locust_stats.csv").open())
            if row["Name"] != "Aggregated"
        )
        cpus = os.cpu_count() or 1
        print(
            f"\n  CPU during the rush: web {used['web']:.0f}s ({used['web'] * 1000 / max(total, 1):.0f} ms a request), "
            f"PostgreSQL {used['postgres']:.0f}s, Celery worker and beat {used['celery']:.0f}s, Locust "
            f"{used['locust']:.0f}s, of {cpus * rush_elapsed:.0f}s on {cpus} CPUs; load average {load_before} at "
            f"the start, {load_after} at the end (other work on the machine counts in it)"
        )
        print(
            f"  lock waits: {sum(1 for n in lock_waits if n)} of {len(lock_waits)} one-second samples saw a backend "
            f"waiting for a lock (at most {max(lock_waits, default=0)} at once)"
        )
        with psycopg.connect(database_url, autocommit=True) as conn:
            deadlocks = conn.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = %s", [DB_NAME]).fetchone()
            print(f"  deadlocks: {deadlocks[0]}")
            submitted = conn.execute(
                "SELECT count(*) FROM bids_bid b JOIN bids_fundinground r ON r.id = b.funding_round_id "
                "WHERE r.code = %s AND b.submitted_at IS NOT NULL",
                [ROUND_CODE],
            ).fetchone()[0]
            scored = conn.execute(
                "SELECT count(*) FROM assessments_assessment WHERE submitted_at > now() - interval '1 hour'"
            ).fetchone()[0]
        print(f"\n  {submitted:,} bids submitted, {scored:,} assessments submitted during the rush")
        verdict = "ok" if failures == 0 and worst <= P99_GOAL_MS else "GOAL MISSED"
        print(f"  errors {failures}, worst p99 {worst:.0f} ms (goals: 0 errors, p99 ≤ {P99_GOAL_MS} ms): {verdict}")
        for log in ("gunicorn.log", "celery.log"):
            text = (work / log).read_text()
            if "Traceback" in text or "ERROR" in text:
                print(f"  {log} has errors: see {work / log}")
    finally:
        for process in reversed(processes):
            stop(process)
        smtp.stop()


if __name__ == "__main__":
    main()
