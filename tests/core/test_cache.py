"""The shared cache is never what a page's correctness rests on: with its Redis down, the staff dashboard (which
caches the most) and the public pages are worked out afresh, not a server error."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse

from core.cache import ForgivingRedisCache
from tests.factories import make_round
from tests.factories.two_factor import verify_session

pytestmark = pytest.mark.django_db

NOBODY_LISTENING = {
    "default": {
        "BACKEND": "core.cache.ForgivingRedisCache",
        "LOCATION": "redis://127.0.0.1:9/0",  # the discard port: nothing answers there
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
}


@pytest.fixture(autouse=True)
def _awake():
    ForgivingRedisCache._resting_until = 0.0
    yield
    ForgivingRedisCache._resting_until = 0.0


def test_with_the_caches_redis_down_reads_miss_and_writes_are_skipped():
    with override_settings(CACHES=NOBODY_LISTENING):
        assert cache.get("x", "default") == "default"
        assert cache.get_many(["x", "y"]) == {}
        cache.set("x", 1)
        cache.set_many({"x": 1})
        cache.delete("x")
        assert cache.add("x", 1) is False


def test_with_the_caches_redis_down_the_dashboard_and_public_pages_still_work(client, staff_user):
    make_round(code="CD")
    with override_settings(CACHES=NOBODY_LISTENING):
        client.force_login(staff_user)
        verify_session(client, staff_user)
        assert client.get(reverse("pipeline:dashboard")).status_code == 200
        assert client.get(reverse("pipeline:bids")).status_code == 200
        client.logout()
        assert client.get(reverse("pipeline:funded")).status_code == 200
