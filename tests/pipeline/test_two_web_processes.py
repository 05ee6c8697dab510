"""More than one machine: two gunicorn instances on two ports, against the same PostgreSQL (this test's database,
committed) and the same Redis, behave as one service. A member of staff signs in (password, then an authenticator
code) through one; the session works on the other; a decision recorded through one is seen at once through the
other, the cached dashboard included (its entry lives in the Redis both processes share)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from bids.choices import BidState
from bids.models import Bid
from pipeline import selectors
from tests.environment import REQUIRE_REAL_SERVICES
from tests.factories.two_factor import make_totp_device, totp_code

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "two-machines-staff-password"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    """This test's database (test_…), as the web processes must reach it."""
    db = connection.settings_dict
    user = db["USER"] or "postgres"
    auth = f"{user}:{db['PASSWORD']}@" if db["PASSWORD"] else f"{user}@"
    return f"postgres://{auth}{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def shared_redis():
    if "RedisCache" not in settings.CACHES["default"]["BACKEND"]:
        if REQUIRE_REAL_SERVICES:
            pytest.fail("This test needs Redis: set REDIS_URL (and CACHE_URL)")
        pytest.skip("needs Redis (set REDIS_URL)")
    return settings.CACHES["default"]["LOCATION"]


@pytest.fixture
def two_web_processes(require_postgres, shared_redis, tmp_path):
    """Two gunicorn instances (one worker each) on two free ports; their base URLs."""
    gunicorn = shutil.which("gunicorn", path=str(ROOT / ".venv" / "bin")) or shutil.which("gunicorn")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": database_url(),
        "CACHE_URL": shared_redis,
        "DEBUG": "false",
        "PRIVATE_MEDIA_ROOT": str(tmp_path),
        "PYTHONPATH": str(ROOT),
    }
    ports = [free_port(), free_port()]
    servers = [
        subprocess.Popen(  # noqa: S603 - a fixed binary with fixed arguments
            [
                gunicorn,
                "config.wsgi:application",
                "--workers",
                "1",
                "--bind",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        for port in ports
    ]
    try:
        deadline = time.monotonic() + 30
        for port in ports:
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
        yield [f"http://127.0.0.1:{port}" for port in ports]
    finally:
        for server in servers:
            os.killpg(server.pid, signal.SIGTERM)
        for server in servers:
            server.wait(timeout=20)


def csrf_token(html: str) -> str:
    # The first form of a signed-in page is the navigation's sign-out: any form's token will do.
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def awarded_total(html: str) -> str:
    return re.search(r'id="total-awarded">([^<]+)<', html).group(1)


def test_a_decision_made_through_one_web_process_is_seen_at_once_through_another(two_web_processes, scored_bid, staff):
    first, second = two_web_processes
    # The web processes use the production hasher (the suite's fast one is only in this process).
    staff.password = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt())
    staff.save(update_fields=["password"])
    device = make_totp_device(staff)
    browser = requests.Session()

    # Sign in through the first: password, then the authenticator code the second step asks for.
    page = browser.get(f"{first}/sign-in/", timeout=10)
    response = browser.post(
        f"{first}/sign-in/",
        {"csrfmiddlewaretoken": csrf_token(page.text), "username": staff.email, "password": PASSWORD},
        headers={"Referer": f"{first}/sign-in/"},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, response.text[:500]
    challenge = browser.get(f"{first}/pipeline/", allow_redirects=False, timeout=10)
    assert "/sign-in/two-factor/" in challenge.headers["Location"]
    page = browser.get(f"{first}{challenge.headers['Location']}", timeout=10)
    response = browser.post(
        f"{first}{challenge.headers['Location']}",
        {"csrfmiddlewaretoken": csrf_token(page.text), "code": totp_code(device)},
        headers={"Referer": f"{first}/sign-in/two-factor/"},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, response.text[:500]

    # The same session cookie works on the second (sessions are in the shared database): its dashboard, cached
    # in the shared Redis where this process sees the entry too.
    before = browser.get(f"{second}/pipeline/", allow_redirects=False, timeout=10)
    assert before.status_code == 200
    assert awarded_total(before.text) == "£0"
    rounds = selectors.round_list()
    key = selectors.dashboard_cache_key(funding_round=None, rounds=rounds, now=timezone.now())
    assert cache.get(key) is not None, "the dashboard rendered by the second process is in the shared cache"
    assert awarded_total(browser.get(f"{first}/pipeline/", timeout=10).text) == "£0"

    # The decision, through the first.
    decide = f"{first}/pipeline/bids/{scored_bid.reference}/award/"
    page = browser.get(decide, timeout=10)
    assert page.status_code == 200
    response = browser.post(
        decide,
        {"csrfmiddlewaretoken": csrf_token(page.text), "amount": "60000", "conditions": "Weeknotes"},
        headers={"Referer": decide},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, response.text[:500]
    assert Bid.objects.get(pk=scored_bid.pk).state == BidState.AWARDED

    # Seen at once through the second: the bid's page and the dashboard (a new version of its cached entry).
    detail = browser.get(f"{second}/pipeline/bids/{scored_bid.reference}/", timeout=10)
    assert detail.status_code == 200
    assert "was awarded £60,000.00" in detail.text
    after = browser.get(f"{second}/pipeline/", timeout=10)
    assert awarded_total(after.text) == "£60,000"
    assert awarded_total(browser.get(f"{first}/pipeline/", timeout=10).text) == "£60,000"
