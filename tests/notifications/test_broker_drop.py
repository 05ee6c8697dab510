"""A worker keeps running when Redis drops while it holds a message it has not acknowledged (a task waiting for
its countdown, as every email retry does), and reconnects once Redis is back. With Celery 5.7 as it ships, that
drop ended the worker ("Unrecoverable error: AttributeError … 'hostname'") and every email stopped until someone
restarted it: config/celery.py keeps it alive.

A real worker (a process of its own, as in production) and a real redis-server of the test's own, killed with
SIGKILL and started again on the same port."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from celery import Celery

from tests.real_services import free_port, redis_server

BASE_DIR = Path(__file__).resolve().parents[2]


def wait_for_log(log: Path, text: str, *, count: int = 1, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while log.read_text().count(text) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"the worker's log never said {text!r} {count} time(s):\n{log.read_text()[-3000:]}")
        time.sleep(0.1)


def test_a_worker_holding_a_message_survives_redis_dropping_and_reconnects(tmp_path):
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    server = redis_server(port, tmp_path)
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "true",
        "REDIS_URL": url,
        "CELERY_BROKER_URL": url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
    }
    with log.open("w") as output:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "-l", "info"],
            cwd=BASE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_log(log, "ready.")
        # A message the worker takes and holds, unacknowledged, until its countdown ends.
        Celery(broker=url).send_task("collaboration.refresh_overlaps", args=[1], countdown=300)
        wait_for_log(log, "Task collaboration.refresh_overlaps[")  # received, and held
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
        server = redis_server(port, tmp_path)
        wait_for_log(log, f"Connected to redis://:**@127.0.0.1:{port}/0", count=2)
        time.sleep(1)
        assert worker.poll() is None, log.read_text()[-3000:]
        assert "Unrecoverable error" not in log.read_text()
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
        server.terminate()
        server.wait(timeout=10)
