"""Fixtures for the pipeline tests: a staff client, bids in the states decisions start from."""

from __future__ import annotations

import pytest
from django.test import Client

from bids.models import Bid
from councils.choices import Role
from tests.factories import client_for, make_council, make_round, make_user, start_deciding
from tests.factories.assessments import make_in_review_bid, make_scored_bid


@pytest.fixture
def staff(db):
    return make_user(role=Role.PROGRAMME_STAFF, email="programme@example.test", name="Pat Programme")


@pytest.fixture
def staff_client(staff) -> Client:
    return client_for(staff)


@pytest.fixture
def small_round(db):
    """A round whose budget affords one £60,000 award but not two."""
    return make_round(code="SM", budget="100000")


@pytest.fixture
def scored_bid(small_round, staff):
    """A scored bid in a round that is deciding, where awards and declines are recorded."""
    bid = make_scored_bid(funding_round=small_round, lead=make_council("SCA", "Scoreshire"))
    start_deciding(small_round, by=staff)
    return Bid.objects.get(pk=bid.pk)


@pytest.fixture
def in_review_bid(db):
    """A bid in review, in an open round of its own (a round that is deciding has none)."""
    return make_in_review_bid(
        funding_round=make_round(code="RV", budget="100000"), lead=make_council("REV", "Reviewton")
    )


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The dashboard keeps its rendered content in the cache (Redis when REDIS_URL is set, shared beyond this
    process); each test starts without any."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
