"""Shared fixtures. Celery's pytest plugin gives the real `celery_worker` fixture (no Docker needed), and
`tests.real_services` the project's Celery app, a real SMTP server (`smtp_sink`) and both together (`mailer`)."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.environment import REQUIRE_REAL_SERVICES
from tests.factories import make_council, make_round, make_user

# Celery's real worker fixture, then the real broker, worker and SMTP server every email test uses.
pytest_plugins = ("celery.contrib.pytest", "tests.real_services")


def pytest_collection_modifyitems(items):
    """The browser tests are the longest: run them first, so that with one process a CPU (pytest-xdist) the short
    tests fill in at the end instead of one process finishing a long journey while the other waits."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is None)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """PBKDF2's deliberate slowness (~0.3 s a user) would dominate the suite; tests need no such strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def force_login_passes_the_second_step(request, monkeypatch):
    """`client.force_login(user)` gives a session that has passed two-factor sign-in too (a confirmed app is made
    for people who must use it), so tests about other things need no codes. Tests of sign-in itself are marked
    `two_factor` and get Django's plain force_login."""
    if request.node.get_closest_marker("two_factor"):
        return
    from django.test import Client

    from tests.factories.two_factor import verify_session

    plain = Client.force_login

    def force_login(self, user, backend=None):
        plain(self, user, backend)
        verify_session(self, user)

    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture(autouse=True)
def broker_backoff_cleared():
    """A test that made a publish fail must not leave later tests' enqueues to the sweep."""
    from notifications.services import broker_backoff

    broker_backoff.reset()
    yield
    broker_backoff.reset()


@pytest.fixture
def require_postgres(db):
    """Skip (locally) or fail (CI) a test that needs PostgreSQL's row locks and real concurrency."""
    if connection.vendor != "postgresql":
        if REQUIRE_REAL_SERVICES:
            pytest.fail("This test needs PostgreSQL: set DATABASE_URL")
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")


@pytest.fixture
def funding_round(db):
    return make_round()


@pytest.fixture
def staff_user(db):
    from councils.choices import Role

    return make_user(role=Role.PROGRAMME_STAFF, email="staff@example.test")


@pytest.fixture
def councils(db):
    """Five signatory councils and one that has not signed the Declaration."""
    return {
        "lead": make_council("LEA", "Leadshire"),
        "p1": make_council("PAA", "Partnerton"),
        "p2": make_council("PBB", "Partnerby"),
        "p3": make_council("PCC", "Partnercombe"),
        "other": make_council("OTH", "Otherham"),
        "unsigned": make_council("UNS", "Unsignedshire", signed=False),
    }
