"""The staff dashboard: counts and money per state, funnel, budget, time to decision, work needing attention."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bids.choices import BidState
from bids.models import Bid, FundingRound
from pipeline.selectors import dashboard_get, round_list
from tests.factories import award, decline, make_bid, make_council, make_round
from tests.factories.assessments import make_in_review_bid, make_scored_bid

pytestmark = pytest.mark.django_db


@pytest.fixture
def programme(staff):
    """Round DA, deciding: an award, a decline, a scored bid still to decide and a draft left when it closed.
    Round DR, open: a bid in review (a round deciding has none: every bid is scored, ineligible or withdrawn)."""
    funding_round = make_round(code="DA", budget="500000")
    awarded, declined, scored = (
        make_in_review_bid(funding_round=funding_round, amount=amount, lead=make_council(code, name))
        for amount, code, name in (
            ("60000", "DA1", "Awardham"),
            ("70000", "DA2", "Declinby"),
            ("80000", "DA3", "Scoreton"),
        )
    )
    draft = make_bid(funding_round=funding_round, lead=make_council("DA5", "Drafton"), amount="30000")
    awarded, declined, scored = (
        make_scored_bid(funding_round=funding_round, bid=bid) for bid in (awarded, declined, scored)
    )
    awarded = award(awarded, amount=Decimal("50000"), by=staff)
    decline(declined, feedback="Not this time", by=staff)
    review_round = make_round(code="DR", budget="100000")
    review = make_in_review_bid(funding_round=review_round, amount="40000", lead=make_council("DA4", "Reviewby"))
    # Decision times of exactly 10 and 30 days, so the median is 20.
    now = timezone.now()
    Bid.objects.filter(pk=awarded.pk).update(submitted_at=now - timedelta(days=40), decided_at=now - timedelta(days=30))
    Bid.objects.filter(pk=declined.pk).update(
        submitted_at=now - timedelta(days=40), decided_at=now - timedelta(days=10)
    )
    return {"round": funding_round, "awarded": awarded, "scored": scored, "review": review, "draft": draft}


def test_dashboard_figures_for_a_round(programme):
    funding_round = programme["round"]
    summary = dashboard_get(funding_round=funding_round, rounds=round_list())
    by_state = {row.state: row for row in summary.states}
    assert by_state[BidState.AWARDED].count == 1 and by_state[BidState.AWARDED].awarded == Decimal("50000")
    assert by_state[BidState.NOT_FUNDED].count == 1 and by_state[BidState.NOT_FUNDED].requested == Decimal("70000")
    assert by_state[BidState.SCORED].count == 1 and by_state[BidState.IN_REVIEW].count == 0
    assert by_state[BidState.DRAFT].count == 1
    assert summary.total.count == 4 and summary.total.requested == Decimal("240000")
    assert [(step.label, step.count) for step in summary.funnel] == [
        ("Started (draft)", 4),
        ("Submitted (in review)", 3),
        ("Scored", 3),
        ("Awarded", 1),
    ]
    assert (summary.budget, summary.awarded, summary.remaining) == (
        Decimal("500000"),
        Decimal("50000"),
        Decimal("450000"),
    )
    assert summary.awarded_percent == 10
    assert summary.median_days_to_decision == 20.0
    assert summary.past_deadline == 0 and summary.needs_moderation == 0


def test_bids_past_the_assessment_deadline_and_needing_moderation_are_counted(programme):
    funding_round = programme["review"].funding_round
    FundingRound.objects.filter(pk=funding_round.pk).update(
        closes_at=timezone.now() - timedelta(days=2), assessment_deadline=timezone.now() - timedelta(days=1)
    )
    Bid.objects.filter(pk=programme["review"].pk).update(needs_moderation=True)
    funding_round.refresh_from_db()
    summary = dashboard_get(funding_round=funding_round, rounds=round_list())
    assert summary.past_deadline == 1
    assert summary.needs_moderation == 1


def test_dashboard_across_rounds_adds_every_round(programme, staff):
    other = make_round(code="DB", budget="150000")
    make_bid(funding_round=other, lead=make_council("DB1", "Otherby"))
    summary = dashboard_get(funding_round=None, rounds=round_list())
    assert summary.total.count == 6
    assert summary.budget == Decimal("750000")


def test_dashboard_page_has_accessible_charts_with_tables(staff_client, programme):
    response = staff_client.get(reverse("pipeline:dashboard"), {"round": programme["round"].pk})
    assert response.status_code == 200
    html = response.content.decode()
    for chart in ("funnel", "budget"):
        svg = re.search(rf'<svg[^>]*aria-labelledby="{chart}-title {chart}-desc"[^>]*>', html)
        assert svg and 'role="img"' in svg.group(0)
        assert f'<title id="{chart}-title">' in html and f'<desc id="{chart}-desc">' in html
    assert "Started (draft): 4 bids (100% of all bids). Submitted (in review): 3 bids" in html
    assert "Budget £500,000: £50,000 awarded (10%), £450,000 remaining." in html
    assert "Funnel as a table" in html
    assert 'id="budget-remaining">£450,000<' in html
    assert "20.0 days" in html
    assert reverse("pipeline:batch_award", args=[programme["round"].pk]) in html


def test_home_sends_staff_to_the_dashboard(staff_client):
    response = staff_client.get("/")
    assert response.status_code == 302 and response.url == reverse("pipeline:dashboard")
    # A bad ?round= is an error on its own page (tests/pipeline/test_rounds_current.py), never a crash.
    assert staff_client.get(reverse("pipeline:dashboard"), {"round": "nonsense"}).status_code == 400


def test_figures_across_rounds_add_up_and_the_median_spans_every_round(programme, staff):
    """Each round's figures are cached apart and added up: the total and the median must be those of every bid
    together (here 10 and 30 days in DA, 50 days in DB: the median of the three is 30, of no one round)."""
    cache.clear()
    other = make_round(code="DB", budget="150000")
    late = make_in_review_bid(funding_round=other, amount="20000", lead=make_council("DB2", "Lateby"))
    late = decline(make_scored_bid(funding_round=other, bid=late), feedback="No", by=staff)
    now = timezone.now()
    Bid.objects.filter(pk=late.pk).update(
        submitted_at=now - timedelta(days=60), decided_at=now - timedelta(days=10), updated_at=now
    )
    summary = dashboard_get(funding_round=None, rounds=round_list())
    assert summary.median_days_to_decision == 30.0
    assert summary.total.count == 6
    one = dashboard_get(funding_round=programme["round"], rounds=round_list())
    assert one.median_days_to_decision == 20.0


def test_a_decision_shows_at_once_and_only_its_round_is_worked_out_again(programme, staff):
    cache.clear()
    rounds = round_list()
    before = dashboard_get(funding_round=None, rounds=rounds)
    assert {row.state: row.count for row in before.states}[BidState.AWARDED] == 1
    award(programme["scored"], amount=Decimal("80000"), by=staff)
    with CaptureQueriesContext(connection) as queries:
        after = dashboard_get(funding_round=None, rounds=rounds)
    assert {row.state: row.count for row in after.states}[BidState.AWARDED] == 2
    assert after.awarded == before.awarded + Decimal("80000")
    # The version lookup, then the aggregate and the durations of the one round that changed.
    aggregates = [q["sql"] for q in queries.captured_queries if "GROUP BY" in q["sql"]]
    assert len(aggregates) == 1
    assert f"IN ({programme['round'].pk})" in aggregates[0]
