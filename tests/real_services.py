"""Real components for every test that sends email (a pytest plugin, registered in tests/conftest.py): the
project's Celery app with a real worker thread (`celery.contrib.pytest`'s `celery_worker`), the broker from
settings (Redis when REDIS_URL is set, as in CI; the in-memory transport otherwise) and a real SMTP server
(aiosmtpd) on loopback."""

from __future__ import annotations

import contextlib
import email
import email.policy
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from celery.signals import task_postrun
from django.conf import settings as django_settings
from django.db import connections

from tests.environment import REQUIRE_REAL_SERVICES

TEST_SITE_URL = "http://testserver"


# --- Celery -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def celery_config() -> dict:
    return {
        "broker_url": django_settings.CELERY_BROKER_URL,
        # The point of these tests is the real worker: never eager, even in the embedded setup.
        "task_always_eager": False,
        "worker_hijack_root_logger": False,
        "broker_connection_retry_on_startup": True,
        # The in-memory transport polls (once a second by default); Redis blocks on BRPOP and ignores this.
        "broker_transport_options": {**django_settings.CELERY_BROKER_TRANSPORT_OPTIONS, "polling_interval": 0.05},
    }


@pytest.fixture(scope="session")
def celery_worker_parameters() -> dict:
    # No ping check: it needs a result backend, which the project does not use.
    return {"perform_ping_check": False, "shutdown_timeout": 30}


def purge_queue(app) -> None:
    """Drop messages left by earlier tests (another test's retries, other apps' on_commit enqueues)."""
    # A queue that does not exist yet has nothing to purge.
    with app.connection_for_write() as connection, contextlib.suppress(Exception):
        connection.default_channel.queue_purge(app.conf.task_default_queue)


def close_thread_connections(**kwargs) -> None:
    # Production workers keep their connection between tasks (CELERY_DB_REUSE_MAX); a test worker thread
    # must not, or its connection outlives it and the test database cannot be flushed or dropped.
    for connection in connections.all(initialized_only=True):
        connection.close()


@pytest.fixture
def celery_app(celery_config):
    """The project's own app (config.celery), so tasks, routing and acks_late are the production ones."""
    from config.celery import app

    saved = {name: app.conf[name] for name in celery_config}
    app.conf.update(celery_config)
    purge_queue(app)
    task_postrun.connect(close_thread_connections)
    yield app
    task_postrun.disconnect(close_thread_connections)
    purge_queue(app)
    app.conf.update(saved)


@pytest.fixture
def celery_worker(celery_worker, celery_app):
    """The plugin's worker, stopped promptly: on the in-memory transport the worker only notices it should
    stop when a message wakes its 2-second poll, so send it a harmless one."""
    yield celery_worker
    from celery.worker import state

    state.should_terminate = 0
    celery_app.send_task("celery.accumulate")


# --- SMTP -----------------------------------------------------------------------------------------------


def redis_server(port: int, folder) -> subprocess.Popen:
    """A redis-server of a test's own on `port` (no saving), once it answers; the test stops it. Fails (with
    REQUIRE_REAL_SERVICES) or skips where there is no redis-server."""
    import redis

    binary = shutil.which("redis-server")
    if binary is None:
        if REQUIRE_REAL_SERVICES:
            pytest.fail("This test needs redis-server")
        pytest.skip("needs redis-server")
    server = subprocess.Popen(  # noqa: S603 — a fixed binary with fixed arguments
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", folder],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            redis.Redis(port=port, socket_timeout=1).ping()
            return server
        except redis.exceptions.ConnectionError:
            if time.monotonic() > deadline:
                server.kill()
                raise
            time.sleep(0.05)


def free_port() -> int:
    # aiosmtpd cannot bind port 0, so ask the kernel for a free port first.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class SmtpSink:
    """An aiosmtpd handler that records messages and can be told to answer with failures."""

    messages: list[email.message.EmailMessage] = field(default_factory=list)
    # Replies to give to DATA, one per attempt, before accepting (e.g. ["451 4.3.0 Try again later"]).
    data_replies: list[str] = field(default_factory=list)
    # Recipient address → reply to RCPT TO (e.g. "550 5.1.1 No such user").
    rcpt_replies: dict[str, str] = field(default_factory=dict)
    data_attempts: int = 0
    rcpt_attempts: int = 0
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd's API
        with self.lock:
            self.rcpt_attempts += 1
            reply = self.rcpt_replies.get(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's API
        with self.lock:
            self.data_attempts += 1
            reply = self.data_replies.pop(0) if self.data_replies else None
        if reply:
            return reply
        if self.delay:
            import asyncio

            await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    # Reading what arrived

    def to(self, address: str) -> list[email.message.EmailMessage]:
        with self.lock:
            return [m for m in self.messages if address in m["X-Envelope-To"]]

    def recipients(self) -> set[str]:
        with self.lock:
            return {m["X-Envelope-To"] for m in self.messages}


@pytest.fixture
def smtp_sink():
    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    sink.port = controller.port
    yield sink
    controller.stop()


@pytest.fixture
def smtp_settings(settings, smtp_sink):
    """Point Django's SMTP backend at the sink, with fast retries (the backoff is still exponential)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_sink.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    settings.SITE_URL = TEST_SITE_URL
    settings.NOTIFICATIONS_RETRY_BACKOFF = 0.2
    settings.NOTIFICATIONS_RETRY_BACKOFF_MAX = 2.0
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 4
    return settings


@pytest.fixture
def mailer(smtp_settings, smtp_sink, celery_worker):
    """A real worker delivering to a real SMTP server."""
    return smtp_sink


# --- Helpers --------------------------------------------------------------------------------------------


def wait_for(condition: Callable[[], object], *, timeout: float = 20.0, message: str = "condition") -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"Timed out after {timeout}s waiting for {message}")


def wait_settled(**filters) -> None:
    """Wait until no matching outbox row is pending any more."""
    from notifications.choices import Status
    from notifications.models import Notification

    wait_for(
        lambda: not Notification.objects.filter(status=Status.PENDING, **filters).exists(),
        message=f"notifications {filters or ''} to leave pending",
    )


def body_text(message: email.message.EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def body_html(message: email.message.EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def links_in(text: str) -> list[str]:
    return re.findall(r"https?://[^\s\"'<>]+", text)


def site_paths(message: email.message.EmailMessage) -> list[str]:
    """The service's own links in a message, as paths (every link must be absolute, on SITE_URL)."""
    paths = []
    for url in links_in(body_text(message)):
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" == TEST_SITE_URL, url
        paths.append(parts.path)
    return paths


@pytest.fixture
def queued(monkeypatch) -> list[int]:
    """What was handed to the broker (tests using this stop at the broker; the worker tests go further)."""
    calls: list[int] = []
    monkeypatch.setattr(
        "notifications.tasks.deliver_notification.apply_async", lambda args, **kwargs: calls.append(args[0])
    )
    return calls
