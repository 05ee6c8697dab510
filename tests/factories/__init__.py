"""Builders for test data. Bids are made through the services, so tests exercise the real rules."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

from django.test import Client
from django.utils import timezone

from bids import services
from bids.choices import BidState, Payer, Phase, RoundState
from bids.models import Bid, FundingRound
from councils.choices import CouncilType, Role
from councils.models import Council, Membership, User

_sequence = itertools.count(1)


def make_council(
    code: str | None = None,
    name: str | None = None,
    *,
    signed: bool = True,
    council_type: str = CouncilType.UNITARY,
    region: str = "South West",
) -> Council:
    n = next(_sequence)
    # Generated codes start with a digit, so they never collide with the letter-first codes tests choose.
    code = code or f"{n % 10}{chr(65 + (n // 10) % 26)}{chr(65 + (n // 260) % 26)}"
    council, _ = Council.objects.get_or_create(
        register_code=code,
        defaults={
            "official_name": f"{name or code} Council",
            "short_name": name or code,
            "gss_code": f"E06{n:06d}",
            "council_type": council_type,
            "region": region,
            "declaration_signed_on": date(2018, 7, 4) if signed else None,
        },
    )
    return council


def make_user(
    *,
    role: str = Role.COUNCIL_MEMBER,
    councils: list[Council] = (),
    email: str | None = None,
    password: str = "correct-horse-battery",
    name: str | None = None,
) -> User:
    n = next(_sequence)
    user = User.objects.create_user(
        email=email or f"user{n}@example.test", password=password, full_name=name or f"Person {n}", role=role
    )
    for council in councils:
        Membership.objects.create(user=user, council=council)
    return user


def client_for(user: User) -> Client:
    """A test client signed in as `user` (past the second step too: see tests/conftest.py)."""
    client = Client()
    client.force_login(user)
    return client


def council_client(council: Council) -> tuple[Client, User]:
    """A new member of `council`, and a client signed in as them."""
    user = make_user(councils=[council])
    return client_for(user), user


def make_round(*, code: str | None = None, budget: str = "1000000", open_: bool = True, **settings) -> FundingRound:
    """A round opened (as beat opens it) ten days ago and closing in ten days; with `open_=False`, one whose
    closing time passed yesterday and which has been closed (as beat closes it)."""
    now = timezone.now()
    funding_round = services.round_create(
        name=f"Round {code or next(_sequence)}",
        code=code or f"T{next(_sequence)}",
        opens_at=now - timedelta(days=10),
        closes_at=now + timedelta(days=10),
        assessment_deadline=now + timedelta(days=40),
        budget=Decimal(budget),
        phase_caps={Phase.DISCOVERY: Decimal("80000"), Phase.ALPHA: Decimal("250000"), Phase.BETA: Decimal("350000")},
        **settings,
    )
    funding_round = services.round_open(funding_round=funding_round)
    if not open_:
        FundingRound.objects.filter(pk=funding_round.pk).update(closes_at=now - timedelta(days=1))
        funding_round.refresh_from_db()
        funding_round = services.round_close(funding_round=funding_round)
    return funding_round


# --- Moving a round through its life, as staff do (each through the real services) ----------------------


def _staff() -> User:
    return User.objects.filter(role=Role.PROGRAMME_STAFF, is_active=True).first() or make_user(
        role=Role.PROGRAMME_STAFF
    )


def sift_all(funding_round: FundingRound, *, by: User | None = None) -> None:
    """Sift every submitted bid of the round not yet sifted as eligible."""
    by = by or _staff()
    for bid in funding_round.bids.filter(state=BidState.IN_REVIEW, sift__isnull=True).order_by("number"):
        services.bid_sift(bid=bid, by=by, eligible=True, note="Checked by the programme team")


# A round's life as the factories walk it: each step from the state it leaves.
_ROUND_STEPS = (
    (RoundState.OPEN, lambda r, by: services.round_close_early(funding_round=r, by=by, reason="Closed for the test")),
    (RoundState.CLOSED, lambda r, by: (sift_all(r, by=by), services.round_start_assessing(funding_round=r, by=by))),
    (RoundState.ASSESSING, lambda r, by: services.round_start_deciding(funding_round=r, by=by)),
    (RoundState.DECIDING, lambda r, by: services.round_publish_decisions(funding_round=r, by=by)),
)


def _advance(funding_round: FundingRound, until: RoundState, by: User | None) -> FundingRound:
    """Take the round through the steps of its life from where it is, stopping at `until` (or where it is if
    that is further on)."""
    by = by or _staff()
    funding_round.refresh_from_db()
    for source, step in _ROUND_STEPS:
        if source == until:
            break
        if funding_round.state == source:
            step(funding_round, by)
            funding_round.refresh_from_db()
    life = list(RoundState)  # declared in the order of a round's life
    assert life.index(funding_round.state) >= life.index(until), f"the round is {funding_round.state}, not {until}"
    return funding_round


def start_assessing(funding_round: FundingRound, *, by: User | None = None) -> FundingRound:
    """Close the round (early, if it is still open), sift its bids eligible and start assessment."""
    return _advance(funding_round, RoundState.ASSESSING, by)


def start_deciding(funding_round: FundingRound, *, by: User | None = None) -> FundingRound:
    """Take the round to deciding (every bid must be scored, ineligible or withdrawn by then)."""
    return _advance(funding_round, RoundState.DECIDING, by)


def publish_decisions(funding_round: FundingRound, *, by: User | None = None) -> FundingRound:
    """Publish the round's decisions (taking it to deciding first if need be)."""
    return _advance(funding_round, RoundState.PUBLISHED, by)


def award(bid: Bid, *, amount: str | Decimal | None = None, by: User | None = None, conditions: str = "") -> Bid:
    """Record an award for a scored bid, taking its round to deciding first if need be."""
    by = by or _staff()
    start_deciding(bid.funding_round, by=by)
    bid.refresh_from_db()
    return services.bid_award(
        bid=bid, by=by, amount=Decimal(amount) if amount is not None else bid.amount_requested, conditions=conditions
    )


def decline(bid: Bid, *, feedback: str = "Not this time", by: User | None = None) -> Bid:
    by = by or _staff()
    start_deciding(bid.funding_round, by=by)
    bid.refresh_from_db()
    return services.bid_decline(bid=bid, by=by, feedback=feedback)


def fill_bid(bid: Bid, by: User, *, amount: str = "60000", phase: str = Phase.DISCOVERY) -> Bid:
    """Give a draft every required answer and cost lines that add up to the amount."""
    amount_d = Decimal(amount)
    services.bid_update(
        bid=bid,
        by=by,
        title="Shared housing repairs front door",
        summary="A reusable front door for repairs.",
        problem="Paper forms.",
        user_needs="Residents need updates.",
        approach="Agile sprints.",
        outputs_and_reuse="Open source code.",
        working_in_the_open="Weeknotes.",
        phase=phase,
        amount_requested=amount_d,
        planned_start=date.today() + timedelta(days=60),
        duration_months=6,
        lead_contact_name="Sam Lead",
        lead_contact_email="sam@lead.example.test",
    )
    services.cost_line_add(bid=bid, by=by, payer=Payer.LEAD, description="Staff", amount=amount_d / 2)
    services.cost_line_add(bid=bid, by=by, payer=Payer.SUPPLIER, description="Supplier", amount=amount_d / 2)
    return bid


def make_bid(
    *,
    funding_round: FundingRound,
    lead: Council,
    partners: list[Council] = (),
    by: User | None = None,
    confirm: bool = True,
    filled: bool = True,
    amount: str = "60000",
) -> Bid:
    """A draft bid (by default complete, with confirmed partners, ready to submit)."""
    by = by or make_user(councils=[lead])
    bid = services.bid_create(funding_round=funding_round, lead_council=lead, by=by)
    if filled:
        fill_bid(bid, by, amount=amount)
    for council in partners:
        partner = services.partner_invite(bid=bid, council=council, by=by)
        if confirm:
            member = council.members.first() or make_user(councils=[council])
            services.partner_respond(partner=partner, by=member, confirm=True)
    bid.refresh_from_db()
    return bid


def make_submitted_bid(*, funding_round: FundingRound, lead: Council, partners: list[Council], **kwargs) -> Bid:
    by = kwargs.pop("by", None) or make_user(councils=[lead])
    bid = make_bid(funding_round=funding_round, lead=lead, partners=partners, by=by, **kwargs)
    return services.bid_submit(bid=bid, by=by)
