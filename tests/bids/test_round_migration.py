"""The data migration that gave existing rounds their state: the state their dates and bids imply, with rounds
that had decided bids published (their decisions were public the moment they were made, and stay so)."""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.utils import timezone

from bids.models import Bid, BidSift, FundingRound, RoundTransition
from councils.choices import Role
from tests.factories import award, decline, make_bid, make_round, make_user
from tests.factories.assessments import assign, make_assessor, make_in_review_bid, make_scored_bid

pytestmark = pytest.mark.django_db

migration = importlib.import_module("bids.migrations.0006_round_states_from_dates_and_bids")


def as_before(funding_round: FundingRound, *, opens_in: int, closes_in: int) -> None:
    """The round as it was before rounds had a state: only its dates."""
    now = timezone.now()
    FundingRound.objects.filter(pk=funding_round.pk).update(
        state="upcoming",
        opens_at=now + timedelta(days=opens_in),
        closes_at=now + timedelta(days=closes_in),
        opened_at=None,
        closed_at=None,
        decisions_published_at=None,
    )


def test_each_round_gets_the_state_its_dates_and_bids_imply():
    staff = make_user(role=Role.PROGRAMME_STAFF)
    upcoming, open_, empty, assessed, decided = (make_round(code=code) for code in ("MU", "MO", "ME", "MA", "MD"))
    make_bid(funding_round=open_, lead=make_in_review_bid(funding_round=open_).lead_council)
    waiting = make_in_review_bid(funding_round=assessed)
    unassessed = make_in_review_bid(funding_round=assessed)
    assign(waiting, [make_assessor()], by=staff)
    awarded = make_scored_bid(funding_round=decided)
    award(awarded, by=staff)
    declined_round = make_round(code="MN")
    decline(make_scored_bid(funding_round=declined_round), by=staff)
    for funding_round, opens_in, closes_in in (
        (upcoming, 5, 30),
        (open_, -5, 30),
        (empty, -60, -30),
        (assessed, -60, -30),
        (decided, -90, -60),
        (declined_round, -90, -60),
    ):
        as_before(funding_round, opens_in=opens_in, closes_in=closes_in)
    BidSift.objects.all().delete()
    RoundTransition.objects.all().delete()

    migration.forwards(apps, None)

    states = dict(FundingRound.objects.values_list("code", "state"))
    assert states == {
        "MU": "upcoming",
        "MO": "open",
        "ME": "closed",
        "MA": "assessing",
        "MD": "decisions_published",
        "MN": "decisions_published",
    }
    published = FundingRound.objects.get(code="MD")
    assert published.decisions_published_at == Bid.objects.get(pk=awarded.pk).decided_at
    assert RoundTransition.objects.filter(transition="migrate").count() == 6
    # Bids past the sift are recorded as sifted, so assignment carries on; a bid nobody has assessed is sifted
    # by staff.
    sifted = dict(BidSift.objects.values_list("bid__reference", "decision"))
    assert sifted[waiting.reference] == "eligible" and sifted[awarded.reference] == "eligible"
    assert unassessed.reference not in sifted
    # The public pages still show what was published before.
    from pipeline.selectors import funded_bids

    assert list(funded_bids().values_list("pk", flat=True)) == [awarded.pk]
