"""Benchmark (not a test): push notifications through the outbox, a real Celery worker and Redis to a local SMTP
sink, and compare with a raw smtplib loop to the same sink in the same run — run by as many processes as the
worker has (--concurrency), so the ratio compares like with like.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ldf_bench REDIS_URL=redis://127.0.0.1:6379/9 \\
        .venv/bin/python bench/notifications.py [--count 1000] [--concurrency 2]

It migrates the database it is given, writes rows whose dedupe keys start with "bench:" and deletes them (and
its user) afterwards. Use a scratch database and Redis db: the queue is purged before the run.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))


class CountingSink:
    """An aiosmtpd handler that only counts what it accepts."""

    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's API
        with self.lock:
            self.count += 1
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _raw_send(port: int, recipient: str, message: bytes, count: int, reuse: bool) -> int:
    """In a pool process: send `count` messages straight to the sink, a connection each (as Django's backend
    opens for each send) or all over one."""
    if reuse:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            for _ in range(count):
                smtp.sendmail("noreply@localdigital.example", [recipient], message)
        return count
    for _ in range(count):
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            smtp.sendmail("noreply@localdigital.example", [recipient], message)
    return count


def _raw_rate(pool, workers: int, port: int, recipient: str, message: bytes, count: int, reuse: bool) -> float:
    """Seconds for `workers` processes to send `count` messages between them."""
    shares = [count // workers + (1 if index < count % workers else 0) for index in range(workers)]
    started = time.perf_counter()
    sent = pool.starmap(_raw_send, [(port, recipient, message, share, reuse) for share in shares])
    assert sum(sent) == count
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes (prefork pool)")
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL") or not os.environ.get("DATABASE_URL"):
        sys.exit("Set DATABASE_URL (a scratch PostgreSQL database) and REDIS_URL (a scratch Redis db)")

    from aiosmtpd.controller import Controller

    sink = CountingSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    smtp_env = {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(controller.port),
        "EMAIL_TIMEOUT": "10",
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    os.environ.update(smtp_env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # The production settings with DEBUG off insist on a key of their own (the worker below inherits it).
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-never-used-to-serve-anyone-0123456789")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    from config.celery import app
    from councils.models import User
    from notifications.choices import Event, Status
    from notifications.models import Notification
    from notifications.rendering import render_email
    from notifications.services import notify

    call_command("migrate", verbosity=0)
    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge(app.conf.task_default_queue)

    worker = subprocess.Popen(
        [
            str(BASE_DIR / ".venv" / "bin" / "celery"),
            "-A",
            "config",
            "worker",
            "--pool=prefork",
            f"--concurrency={args.concurrency}",
            "--loglevel=warning",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=BASE_DIR,
        env={**os.environ, **smtp_env},
    )
    user, _ = User.objects.get_or_create(email="bench@localdigital.invalid", defaults={"full_name": "Bench Mark"})
    run = uuid.uuid4().hex[:8]
    try:
        deadline = time.monotonic() + 60
        while not app.control.inspect(timeout=1).ping():
            if time.monotonic() > deadline or worker.poll() is not None:
                sys.exit("The worker did not start")
        context = {
            "reference": "LDF-BENCH-0001",
            "title": "Benchmark bid",
            "round": "Round 0",
            "lead_council": "Benchton",
            "final_score": "70.00",
            "amount_requested": "60000.00",
            "bid_path": "/bids/LDF-BENCH-0001/",
        }

        # Through the outbox, the broker and the worker, to the sink.
        started = time.perf_counter()
        with transaction.atomic():
            for index in range(args.count):
                notify(event=Event.BID_SCORED, recipients=[user], context=context, key=f"bench:{run}:{index}")
        written_and_queued = time.perf_counter() - started
        rows = Notification.objects.filter(dedupe_key__startswith=f"bench:{run}:")
        while sink.count < args.count or rows.filter(status=Status.PENDING).exists():
            if time.perf_counter() - started > 600:
                sys.exit(f"Timed out: {sink.count} of {args.count} delivered")
            time.sleep(0.02)
        through_worker = time.perf_counter() - started
        failed = rows.exclude(status=Status.SENT).count()

        # The same message, rendered once, straight to the sink with smtplib.
        rendered = render_email(rows.first())
        message = (
            f"From: noreply@localdigital.example\r\nTo: {user.email}\r\nSubject: {rendered.subject}\r\n\r\n"
            f"{rendered.text}"
        ).encode()
        before = sink.count
        # As many sending processes as the worker has (prefork), started before the clock does.
        with multiprocessing.get_context("fork").Pool(args.concurrency) as pool:
            pool.map(abs, range(args.concurrency))
            raw_per_connection = _raw_rate(
                pool, args.concurrency, controller.port, user.email, message, args.count, reuse=False
            )
            raw_one_connection = _raw_rate(
                pool, args.concurrency, controller.port, user.email, message, args.count, reuse=True
            )
        assert sink.count - before == 2 * args.count

        worker_rate = args.count / through_worker
        raw_rate = args.count / raw_per_connection
        raw_reuse_rate = args.count / raw_one_connection
        print(f"messages: {args.count}; worker: prefork x{args.concurrency}; broker: {app.conf.broker_url}")
        print(f"rows written and queued (one transaction): {written_and_queued:.2f}s")
        print(
            f"through outbox + Redis + worker: {through_worker:6.2f}s  {worker_rate:8.1f} messages/s  "
            f"(failed: {failed})"
        )
        raw = f"raw smtplib x{args.concurrency} processes"
        print(f"{raw}, connection each:  {raw_per_connection:6.2f}s  {raw_rate:8.1f} messages/s")
        print(f"{raw}, one connection each: {raw_one_connection:6.2f}s  {raw_reuse_rate:8.1f} messages/s")
        print(f"ratio worker / raw (connection each): {worker_rate / raw_rate:.2f}")
        print(f"ratio worker / raw (one connection):  {worker_rate / raw_reuse_rate:.2f}")
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
        Notification.objects.filter(dedupe_key__startswith="bench:").delete()
        user.delete()
        controller.stop()


if __name__ == "__main__":
    main()
