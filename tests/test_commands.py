"""Management commands a new user runs: demo seeding (idempotent) and the state machine graph."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from bids.choices import BidState
from bids.models import Bid, FundingRound
from councils.models import Council, User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _demo_data(settings):
    """seed_demo runs only where every page says the data is made up."""
    settings.DEMO_DATA = True


def test_seed_demo_loads_every_state_and_is_idempotent():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert Council.objects.count() == 317
    signed = Council.objects.filter(declaration_signed_on__isnull=False).count()
    assert 300 < signed < 317  # most councils are signatories, a few are not
    states = set(Bid.objects.values_list("state", flat=True))
    assert states == set(BidState.values)
    # Staff have a bid to moderate: its assessors disagree by more than the round's threshold.
    assert Bid.objects.filter(state=BidState.IN_REVIEW, needs_moderation=True).count() == 1
    counts = (User.objects.count(), Bid.objects.count(), FundingRound.objects.count())
    assert "staff@demo.localdigital.test" in out.getvalue()
    assert "localdigital-demo" in out.getvalue()

    call_command("seed_demo", stdout=StringIO())
    assert (User.objects.count(), Bid.objects.count(), FundingRound.objects.count()) == counts
    open_rounds = [r for r in FundingRound.objects.all() if r.is_open()]
    assert len(open_rounds) == 1


def test_demo_users_can_sign_in(client):
    call_command("seed_demo", stdout=StringIO())
    response = client.post(
        "/sign-in/", {"username": "lead@bristol.demo.localdigital.test", "password": "localdigital-demo"}
    )
    assert response.status_code == 302


def test_graph_transitions_draws_the_bid_machine():
    out = StringIO()
    call_command("graph_transitions", "bids.Bid", stdout=out)
    dot = out.getvalue()
    assert "digraph" in dot
    for state in BidState.values:
        assert state in dot
    for transition in (
        "submit",
        "withdraw",
        "return_for_changes",
        "mark_ineligible",
        "mark_scored",
        "award",
        "decline",
    ):
        assert transition in dot
