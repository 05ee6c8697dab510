"""Fixtures for the pipeline tests: a staff client, bids in the states decisions start from."""

from __future__ import annotations

import pytest
from django.test import Client

from bids.models import Bid, FundingRound
from councils.choices import Role
from pipeline import services as pipeline_services
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


@pytest.fixture
def overspending_ranking(staff, monkeypatch) -> tuple[FundingRound, list[Bid]]:
    """A deciding round of £130,000 with three scored bids of £60,000 (scores 5, 4, 3), and a ranking gone stale
    that puts all three above the funding line: the third award would overspend the budget."""
    funding_round = make_round(code="OV", budget="130000")
    submitted = [
        make_in_review_bid(funding_round=funding_round, lead=make_council(f"OV{score}")) for score in (5, 4, 3)
    ]
    bids = [
        make_scored_bid(funding_round=funding_round, scores=(score, score), bid=bid)
        for score, bid in zip((5, 4, 3), submitted, strict=True)
    ]
    start_deciding(funding_round, by=staff)
    real_ranking = pipeline_services.round_ranking

    def stale_ranking(*, funding_round):
        rows = real_ranking(funding_round=funding_round)
        for row in rows:
            row.above_line = True
        return rows

    monkeypatch.setattr(pipeline_services, "round_ranking", stale_ranking)
    return funding_round, bids


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The dashboard keeps its rendered content in the cache (Redis when REDIS_URL is set, shared beyond this
    process); each test starts without any."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
