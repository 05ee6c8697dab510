"""Management commands a new user runs: demo seeding (idempotent) and the state machine graph."""

from __future__ import annotations

import base64
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from bids.choices import BidState
from bids.models import Bid, FundingRound
from councils.models import Council, User
from projects.choices import ProjectState
from projects.models import Project
from tests.factories import make_user

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

    # Round 6's award is a project in delivery with a paid milestone and reports in several states.
    project = Project.objects.get()
    assert project.state == ProjectState.IN_DELIVERY
    assert set(project.reports.values_list("state", flat=True)) >= {"accepted", "draft", "submitted"}
    assert project.payments.filter(status="approved").count() == 1
    assert project.variations.filter(status="requested").count() == 1

    call_command("seed_demo", stdout=StringIO())
    assert (User.objects.count(), Bid.objects.count(), FundingRound.objects.count()) == counts
    assert Project.objects.count() == 1
    open_rounds = [r for r in FundingRound.objects.all() if r.is_open()]
    assert len(open_rounds) == 1


def test_demo_and_scale_data_keep_the_order_things_happen_in():
    """What the demo and the benchmark data show could have happened: a published round holds no bid still in
    review or scored; a decision comes after the round closed and before it was published; a project is offered
    on publication, accepted after; a payment is proposed, approved, then paid."""
    from bids.choices import RoundState
    from bids.models import BidTransition
    from pipeline.seeding import seed_programme

    call_command("seed_demo", stdout=StringIO())
    seed_programme(bids=400, rounds=3, tag="ORD", with_scores=False)
    for funding_round in FundingRound.objects.filter(state=RoundState.PUBLISHED):
        bids = funding_round.bids.all()
        assert not bids.filter(state__in=(BidState.IN_REVIEW, BidState.SCORED)).exists(), funding_round.code
        for bid in bids.filter(state__in=(BidState.AWARDED, BidState.NOT_FUNDED)):
            assert funding_round.closes_at <= bid.decided_at <= funding_round.decisions_published_at, bid.reference
    project = Project.objects.get()
    published = project.bid.funding_round.decisions_published_at
    assert project.offered_at == published and project.accepted_at > published
    for payment in project.payments.filter(paid_on__isnull=False):
        assert published < payment.milestone.submitted_at <= payment.proposed_at <= payment.approved_at
        assert payment.approved_at.date() <= payment.paid_on
    offered, accepted = (project.history.get(transition=name).at for name in ("offer", "accept_offer"))
    assert (offered, accepted) == (project.offered_at, project.accepted_at)
    award = BidTransition.objects.get(bid=project.bid, transition="award")
    assert award.at <= published


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


def test_graph_transitions_draws_the_round_machine():
    from bids.choices import RoundState

    out = StringIO()
    call_command("graph_transitions", "bids.FundingRound", stdout=out)
    dot = out.getvalue()
    for state in RoundState.values:
        assert state in dot
    for transition in ("open", "close", "close_early", "start_assessing", "start_deciding", "publish_decisions"):
        assert f"label={transition}]" in dot


@pytest.mark.two_factor
def test_demo_staff_sign_in_with_the_printed_secret_or_demo_totp_code(client):
    import re

    from django_otp.oath import TOTP

    out = StringIO()
    call_command("seed_demo", stdout=out)
    printed = re.search(r"staff@demo\.localdigital\.test\s+secret ([A-Z2-7]+)", out.getvalue())
    assert printed, out.getvalue()
    assert "manage.py demo_totp <email>" in out.getvalue()
    # An app given the printed secret shows the same code as demo_totp prints.
    key = base64.b32decode(printed.group(1))
    from_app = f"{TOTP(key).token():06d}"
    code = StringIO()
    call_command("demo_totp", "staff@demo.localdigital.test", stdout=code)
    assert code.getvalue().strip() == from_app

    response = client.post("/sign-in/", {"username": "staff@demo.localdigital.test", "password": "localdigital-demo"})
    assert client.get(response.url, follow=True).redirect_chain[-1][0].startswith("/sign-in/two-factor/")
    passed = client.post("/sign-in/two-factor/", {"code": from_app})
    assert passed.status_code == 302
    assert client.get("/pipeline/").status_code == 200


def test_demo_totp_refuses_accounts_outside_the_demo():
    make_user(email="real.person@council.gov.uk")
    with pytest.raises(CommandError, match="Only demo accounts"):
        call_command("demo_totp", "real.person@council.gov.uk")
