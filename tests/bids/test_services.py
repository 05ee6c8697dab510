"""The bid state machine through its services: every allowed and forbidden transition, each submit rule,
stale saves, concurrent awards, and the history row each transition writes."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from functools import partial

import pytest
from django.utils import timezone

from bids import selectors, services
from bids.choices import BidState, PartnerStatus, Payer
from bids.models import Bid, BidTransition, FundingRound
from core.exceptions import ApplicationError
from councils.choices import Role
from tests.concurrency import at_once, refusals
from tests.factories import make_bid, make_council, make_round, make_submitted_bid, make_user, start_deciding

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready_bid(funding_round, councils, lead_user):
    return make_bid(
        funding_round=funding_round, lead=councils["lead"], partners=[councils["p1"], councils["p2"]], by=lead_user
    )


@pytest.fixture
def in_review_bid(ready_bid, lead_user):
    return services.bid_submit(bid=ready_bid, by=lead_user)


def scored(bid: Bid, staff, *, deciding: bool = True) -> Bid:
    """The bid marked scored, and (unless told not to) its round moved to deciding, where decisions are made."""
    Bid.objects.filter(pk=bid.pk).update(final_score=Decimal("70.00"))
    bid = Bid.objects.get(pk=bid.pk)
    bid = services.bid_mark_scored(bid=bid, by=staff)
    if deciding:
        start_deciding(bid.funding_round, by=staff)
        bid = Bid.objects.get(pk=bid.pk)
    return bid


def messages_of(error: pytest.ExceptionInfo) -> list[str]:
    return [problem.message for problem in error.value.problems]


# --- References -----------------------------------------------------------------------------------------


def test_bid_gets_a_readable_unique_reference_in_its_round(funding_round, councils, lead_user):
    first = services.bid_create(funding_round=funding_round, lead_council=councils["lead"], by=lead_user)
    second = services.bid_create(funding_round=funding_round, lead_council=councils["lead"], by=lead_user)
    assert first.reference == f"LDF-{funding_round.code}-0001"
    assert second.reference == f"LDF-{funding_round.code}-0002"
    assert first.state == BidState.DRAFT


def test_bid_cannot_be_started_for_a_council_the_user_is_not_in(funding_round, councils, lead_user):
    with pytest.raises(ApplicationError, match="not a member of Otherham"):
        services.bid_create(funding_round=funding_round, lead_council=councils["other"], by=lead_user)
    assert Bid.objects.count() == 0


def test_bid_cannot_be_started_in_a_closed_round(councils, lead_user):
    closed = make_round(open_=False)
    with pytest.raises(ApplicationError, match="not open"):
        services.bid_create(funding_round=closed, lead_council=councils["lead"], by=lead_user)


# --- Submit ---------------------------------------------------------------------------------------------


def test_lead_member_submits_a_complete_bid(ready_bid, lead_user):
    bid = services.bid_submit(bid=ready_bid, by=lead_user)
    bid.refresh_from_db()
    assert bid.state == BidState.IN_REVIEW
    assert bid.submitted_at is not None
    history = list(bid.history.all())
    assert [(h.transition, h.source_state, h.target_state, h.by) for h in history] == [
        ("submit", BidState.DRAFT, BidState.IN_REVIEW, lead_user)
    ]


def test_submit_refused_for_a_partner_member(ready_bid, councils):
    partner_member = councils["p1"].members.first()
    with pytest.raises(ApplicationError, match="permission"):
        services.bid_submit(bid=ready_bid, by=partner_member)
    ready_bid.refresh_from_db()
    assert ready_bid.state == BidState.DRAFT


def test_submit_refused_for_staff_and_assessors(ready_bid, staff_user):
    assessor = make_user(role=Role.ASSESSOR)
    for user in (staff_user, assessor):
        with pytest.raises(ApplicationError, match="permission"):
            services.bid_submit(bid=ready_bid, by=user)


def test_submit_refused_when_already_submitted(in_review_bid, lead_user):
    with pytest.raises(ApplicationError, match="in review, so it cannot be submitted"):
        services.bid_submit(bid=in_review_bid, by=lead_user)


def test_empty_bid_refusal_lists_every_unmet_rule_and_changes_nothing(funding_round, councils, lead_user):
    bid = services.bid_create(funding_round=funding_round, lead_council=councils["lead"], by=lead_user)
    services.bid_update(bid=bid, by=lead_user, lead_contact_name="", lead_contact_email="")
    with pytest.raises(ApplicationError) as error:
        services.bid_submit(bid=bid, by=lead_user)
    messages = messages_of(error)
    for expected in [
        "Enter a project title",
        "Enter a summary of the project",
        "Select the phase you are bidding for",
        "Describe the problem you will solve",
        "Describe the user needs and your evidence for them",
        "Describe your approach",
        "Describe the outputs and how other councils can reuse them",
        "Enter the amount you are requesting",
        "Enter the planned start date",
        "Enter how many months the project will take",
        "Enter the name of the lead contact",
        "Enter the email address of the lead contact",
        "Add at least one cost line",
        "You need at least 2 confirmed partner councils; you have 0",
    ]:
        assert expected in messages
    sections = {problem.section for problem in error.value.problems}
    assert {"about", "problem", "approach", "costs", "timeline", "partners"} <= sections
    bid.refresh_from_db()
    assert bid.state == BidState.DRAFT
    assert not BidTransition.objects.exists()


def test_submit_refused_when_round_has_closed(ready_bid, lead_user):
    FundingRound.objects.filter(pk=ready_bid.funding_round_id).update(closes_at=timezone.now() - timedelta(minutes=1))
    ready_bid.refresh_from_db()
    with pytest.raises(ApplicationError) as error:
        services.bid_submit(bid=ready_bid, by=lead_user)
    assert any("closed on" in message for message in messages_of(error))


def test_submit_refused_when_amount_exceeds_phase_cap(ready_bid, lead_user):
    services.bid_update(bid=ready_bid, by=lead_user, amount_requested=Decimal("90000"))
    ready_bid.cost_lines.all().delete()
    services.cost_line_add(bid=ready_bid, by=lead_user, payer=Payer.LEAD, description="All", amount=Decimal("90000"))
    with pytest.raises(ApplicationError) as error:
        services.bid_submit(bid=ready_bid, by=lead_user)
    assert messages_of(error) == ["The amount requested (£90,000.00) is more than the discovery limit of £80,000.00"]


def test_submit_refused_when_costs_do_not_add_up(ready_bid, lead_user):
    services.cost_line_add(
        bid=ready_bid, by=lead_user, payer=Payer.SUPPLIER, description="Extra", amount=Decimal("0.01")
    )
    with pytest.raises(ApplicationError) as error:
        services.bid_submit(bid=ready_bid, by=lead_user)
    assert messages_of(error) == ["The cost lines add up to £60,000.01 but the amount requested is £60,000.00"]


def test_submit_refused_with_too_few_partners(funding_round, councils, lead_user):
    bid = make_bid(funding_round=funding_round, lead=councils["lead"], partners=[councils["p1"]], by=lead_user)
    with pytest.raises(ApplicationError) as error:
        services.bid_submit(bid=bid, by=lead_user)
    assert messages_of(error) == ["You need at least 2 confirmed partner councils; you have 1"]


def test_submit_refused_while_a_partner_has_not_confirmed(funding_round, councils, lead_user):
    bid = make_bid(
        funding_round=funding_round, lead=councils["lead"], partners=[councils["p1"], councils["p2"]], by=lead_user
    )
    services.partner_invite(bid=bid, council=councils["p3"], by=lead_user)
    with pytest.raises(ApplicationError) as error:
        services.bid_submit(bid=bid, by=lead_user)
    assert messages_of(error) == ["Partnercombe Council has not yet confirmed it is a partner"]


def test_declined_partner_does_not_block_but_does_not_count(funding_round, councils, lead_user):
    bid = make_bid(
        funding_round=funding_round, lead=councils["lead"], partners=[councils["p1"], councils["p2"]], by=lead_user
    )
    partner = services.partner_invite(bid=bid, council=councils["p3"], by=lead_user)
    services.partner_respond(partner=partner, by=make_user(councils=[councils["p3"]]), confirm=False)
    assert services.bid_submit(bid=bid, by=lead_user).state == BidState.IN_REVIEW


def test_non_signatory_partner_cannot_be_invited_or_confirmed(funding_round, councils, lead_user):
    bid = make_bid(funding_round=funding_round, lead=councils["lead"], by=lead_user)
    with pytest.raises(ApplicationError, match="Unsignedshire Council has not signed the Local Digital Declaration"):
        services.partner_invite(bid=bid, council=councils["unsigned"], by=lead_user)


def test_submit_refused_when_a_partner_has_since_withdrawn_from_the_declaration(ready_bid, councils, lead_user):
    councils["p2"].declaration_signed_on = None
    councils["p2"].save()
    with pytest.raises(ApplicationError) as error:
        services.bid_submit(bid=ready_bid, by=lead_user)
    assert messages_of(error) == ["Partnerby Council has not signed the Local Digital Declaration"]


def test_submit_refused_when_lead_is_not_a_signatory(funding_round, councils):
    unsigned_user = make_user(councils=[councils["unsigned"]])
    bid = make_bid(
        funding_round=funding_round,
        lead=councils["unsigned"],
        partners=[councils["p1"], councils["p2"]],
        by=unsigned_user,
    )
    with pytest.raises(ApplicationError) as error:
        services.bid_submit(bid=bid, by=unsigned_user)
    assert messages_of(error) == ["Unsignedshire Council has not signed the Local Digital Declaration"]


def test_submit_refused_when_lead_has_reached_its_limit(funding_round, councils, lead_user):
    for _ in range(2):
        make_submitted_bid(
            funding_round=funding_round, lead=councils["lead"], partners=[councils["p1"], councils["p2"]], by=lead_user
        )
    third = make_bid(
        funding_round=funding_round, lead=councils["lead"], partners=[councils["p1"], councils["p2"]], by=lead_user
    )
    with pytest.raises(ApplicationError) as error:
        services.bid_submit(bid=third, by=lead_user)
    assert messages_of(error) == [
        f"Leadshire Council has already submitted 2 bids as lead in {funding_round.name}; the limit is 2"
    ]


def test_withdrawn_bids_do_not_count_towards_the_lead_limit(funding_round, councils, lead_user):
    for _ in range(2):
        bid = make_submitted_bid(
            funding_round=funding_round, lead=councils["lead"], partners=[councils["p1"], councils["p2"]], by=lead_user
        )
    services.bid_withdraw(bid=bid, by=lead_user, reason="Changed plans")
    third = make_bid(
        funding_round=funding_round, lead=councils["lead"], partners=[councils["p1"], councils["p2"]], by=lead_user
    )
    assert services.bid_submit(bid=third, by=lead_user).state == BidState.IN_REVIEW


def test_summary_over_250_words_is_refused(ready_bid, lead_user):
    services.bid_update(bid=ready_bid, by=lead_user, summary="word " * 251)
    with pytest.raises(ApplicationError) as error:
        services.bid_submit(bid=ready_bid, by=lead_user)
    assert messages_of(error) == ["The summary must be 250 words or fewer"]


def test_partner_response_recorded_with_who_and_when(funding_round, councils, lead_user):
    bid = make_bid(funding_round=funding_round, lead=councils["lead"], by=lead_user)
    partner = services.partner_invite(bid=bid, council=councils["p1"], by=lead_user)
    member = make_user(councils=[councils["p1"]])
    services.partner_respond(partner=partner, by=member, confirm=True)
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.CONFIRMED
    assert partner.responded_by == member
    assert partner.responded_at is not None


def test_only_the_invited_council_can_answer(funding_round, councils, lead_user):
    bid = make_bid(funding_round=funding_round, lead=councils["lead"], by=lead_user)
    partner = services.partner_invite(bid=bid, council=councils["p1"], by=lead_user)
    with pytest.raises(ApplicationError, match="Only members of Partnerton"):
        services.partner_respond(partner=partner, by=lead_user, confirm=True)


# --- Withdraw, return, ineligible -----------------------------------------------------------------------


@pytest.mark.parametrize("submitted", [False, True])
def test_lead_member_withdraws_with_a_reason(ready_bid, lead_user, submitted):
    if submitted:
        services.bid_submit(bid=ready_bid, by=lead_user)
    bid = services.bid_withdraw(bid=ready_bid, by=lead_user, reason="Partners pulled out")
    assert bid.state == BidState.WITHDRAWN
    assert bid.history.last().note == "Partners pulled out"


def test_withdraw_needs_a_reason_and_the_lead(ready_bid, lead_user, councils):
    with pytest.raises(ApplicationError, match="Enter why you are withdrawing"):
        services.bid_withdraw(bid=ready_bid, by=lead_user, reason="  ")
    with pytest.raises(ApplicationError, match="permission"):
        services.bid_withdraw(bid=ready_bid, by=councils["p1"].members.first(), reason="No")
    ready_bid.refresh_from_db()
    assert ready_bid.state == BidState.DRAFT


def test_staff_return_for_changes_with_a_message(in_review_bid, staff_user, lead_user):
    bid = services.bid_return_for_changes(bid=in_review_bid, by=staff_user, message="Add your costs for year 2")
    assert bid.state == BidState.DRAFT
    assert bid.status_note == "Add your costs for year 2"
    # and it can be resubmitted
    assert services.bid_submit(bid=bid, by=lead_user).state == BidState.IN_REVIEW
    assert [h.transition for h in bid.history.all()] == ["submit", "return_for_changes", "submit"]


def test_return_for_changes_needs_message_staff_and_no_submitted_assessment(in_review_bid, staff_user, lead_user):
    from assessments.models import Assessment

    with pytest.raises(ApplicationError, match="Enter what the council needs to change"):
        services.bid_return_for_changes(bid=in_review_bid, by=staff_user, message="")
    with pytest.raises(ApplicationError, match="permission"):
        services.bid_return_for_changes(bid=in_review_bid, by=lead_user, message="Please")
    assessor = make_user(role=Role.ASSESSOR)
    Assessment.objects.create(bid=in_review_bid, assessor=assessor, submitted_at=timezone.now())
    with pytest.raises(ApplicationError, match="cannot be returned for changes yet"):
        services.bid_return_for_changes(bid=in_review_bid, by=staff_user, message="Please")
    in_review_bid.refresh_from_db()
    assert in_review_bid.state == BidState.IN_REVIEW


def test_staff_mark_ineligible_with_reason(in_review_bid, staff_user):
    with pytest.raises(ApplicationError, match="Enter why"):
        services.bid_mark_ineligible(bid=in_review_bid, by=staff_user, reason="")
    bid = services.bid_mark_ineligible(bid=in_review_bid, by=staff_user, reason="Lead is not a council")
    assert bid.state == BidState.INELIGIBLE
    assert bid.decided_at is not None


def test_mark_ineligible_refused_from_draft(ready_bid, staff_user):
    with pytest.raises(ApplicationError, match="draft, so it cannot be marked ineligible"):
        services.bid_mark_ineligible(bid=ready_bid, by=staff_user, reason="No")


# --- Scored, award, decline -----------------------------------------------------------------------------


def test_mark_scored_waits_for_the_final_score(in_review_bid):
    with pytest.raises(ApplicationError, match="cannot be marked as scored yet"):
        services.bid_mark_scored(bid=in_review_bid, by=None)
    Bid.objects.filter(pk=in_review_bid.pk).update(final_score=Decimal("55.5"), needs_moderation=True)
    bid = Bid.objects.get(pk=in_review_bid.pk)
    with pytest.raises(ApplicationError, match="cannot be marked as scored yet"):
        services.bid_mark_scored(bid=bid, by=None)
    Bid.objects.filter(pk=bid.pk).update(needs_moderation=False)
    bid = Bid.objects.get(pk=bid.pk)
    bid = services.bid_mark_scored(bid=bid, by=None)
    assert bid.state == BidState.SCORED
    assert bid.history.last().by is None  # the system did it


def test_staff_award_within_limits(in_review_bid, staff_user):
    bid = scored(in_review_bid, staff_user)
    bid = services.bid_award(bid=bid, by=staff_user, amount=Decimal("55000.50"), conditions="Weeknotes")
    assert bid.state == BidState.AWARDED
    assert bid.award_amount == Decimal("55000.50")
    bid.refresh_from_db()
    assert isinstance(bid.award_amount, Decimal)
    assert bid.award_amount.as_tuple().exponent == -2
    assert selectors.round_remaining_budget(funding_round=bid.funding_round) == Decimal("944999.50")


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "more than £0"),
        ("-5", "more than £0"),
        ("60000.01", "cannot be more than the £60,000.00 requested"),
        ("lots", "Enter the amount to award as a number"),
        ("1e-2", "Enter the amount to award as a number"),  # text is never read as an amount
        (Decimal("0.001"), "two digits"),
    ],
)
def test_award_refuses_bad_amounts(in_review_bid, staff_user, amount, message):
    bid = scored(in_review_bid, staff_user)
    with pytest.raises(ApplicationError, match=message):
        services.bid_award(bid=bid, by=staff_user, amount=amount)
    bid.refresh_from_db()
    assert bid.state == BidState.SCORED


def test_award_refused_when_budget_is_spent(councils, staff_user, lead_user):
    small = make_round(budget="100000")
    first = make_submitted_bid(
        funding_round=small, lead=councils["lead"], partners=[councils["p1"], councils["p2"]], by=lead_user
    )
    second = make_submitted_bid(
        funding_round=small, lead=councils["lead"], partners=[councils["p1"], councils["p2"]], by=lead_user
    )
    scored(first, staff_user, deciding=False)
    second = scored(second, staff_user)
    services.bid_award(bid=Bid.objects.get(pk=first.pk), by=staff_user, amount="60000")
    with pytest.raises(ApplicationError, match=r"would overspend .*£40,000\.00 of the budget is left"):
        services.bid_award(bid=second, by=staff_user, amount="60000")


def test_award_and_decline_are_staff_only(in_review_bid, staff_user, lead_user):
    bid = scored(in_review_bid, staff_user)
    with pytest.raises(ApplicationError, match="permission"):
        services.bid_award(bid=bid, by=lead_user, amount="1000")
    with pytest.raises(ApplicationError, match="permission"):
        services.bid_decline(bid=bid, by=lead_user, feedback="No")


def test_decline_needs_feedback(in_review_bid, staff_user):
    bid = scored(in_review_bid, staff_user)
    with pytest.raises(ApplicationError, match="Enter feedback"):
        services.bid_decline(bid=bid, by=staff_user, feedback="")
    bid = services.bid_decline(bid=bid, by=staff_user, feedback="Not enough reuse")
    assert bid.state == BidState.NOT_FUNDED
    assert bid.status_note == "Not enough reuse"


@pytest.mark.parametrize(
    "final_state", [BidState.AWARDED, BidState.NOT_FUNDED, BidState.INELIGIBLE, BidState.WITHDRAWN]
)
def test_final_states_allow_nothing_more(in_review_bid, staff_user, lead_user, final_state):
    if final_state == BidState.INELIGIBLE:
        bid = services.bid_mark_ineligible(bid=in_review_bid, by=staff_user, reason="r")
    elif final_state == BidState.WITHDRAWN:
        bid = services.bid_withdraw(bid=in_review_bid, by=lead_user, reason="r")
    else:
        bid = scored(in_review_bid, staff_user)
        if final_state == BidState.AWARDED:
            bid = services.bid_award(bid=bid, by=staff_user, amount="100")
        else:
            bid = services.bid_decline(bid=bid, by=staff_user, feedback="f")
    for attempt in (
        lambda: services.bid_submit(bid=bid, by=lead_user),
        lambda: services.bid_withdraw(bid=bid, by=lead_user, reason="r"),
        lambda: services.bid_return_for_changes(bid=bid, by=staff_user, message="m"),
        lambda: services.bid_award(bid=bid, by=staff_user, amount="1"),
        lambda: services.bid_decline(bid=bid, by=staff_user, feedback="f"),
    ):
        with pytest.raises(ApplicationError, match="so it cannot be"):
            attempt()


def test_every_transition_writes_one_history_row(in_review_bid, staff_user):
    bid = scored(in_review_bid, staff_user)
    services.bid_award(bid=bid, by=staff_user, amount="60000", conditions="Open code")
    rows = list(BidTransition.objects.filter(bid=bid).values_list("transition", "source_state", "target_state"))
    assert rows == [
        ("submit", "draft", "in_review"),
        ("mark_scored", "in_review", "scored"),
        ("award", "scored", "awarded"),
    ]


def test_state_cannot_be_set_directly(ready_bid):
    with pytest.raises(AttributeError):
        ready_bid.state = BidState.AWARDED


# --- Concurrency ----------------------------------------------------------------------------------------


def test_stale_concurrent_save_becomes_a_clear_message(in_review_bid, staff_user):
    stale = Bid.objects.get(pk=in_review_bid.pk)
    services.bid_mark_ineligible(bid=in_review_bid, by=staff_user, reason="Out of scope")
    with pytest.raises(ApplicationError) as error:
        services.bid_return_for_changes(bid=stale, by=staff_user, message="Please add costs")
    assert str(error.value) == services.BID_MACHINE.stale_message
    fresh = Bid.objects.get(pk=in_review_bid.pk)
    assert fresh.state == BidState.INELIGIBLE
    assert [h.transition for h in fresh.history.all()] == ["submit", "mark_ineligible"]


@pytest.mark.django_db(transaction=True)
def test_two_staff_awarding_at_once_never_overspend(require_postgres):
    councils_ = [make_council(f"C{i}A", f"Council {i}") for i in range(3)]
    lead_user = make_user(councils=[councils_[0]])
    staff = [make_user(role=Role.PROGRAMME_STAFF), make_user(role=Role.PROGRAMME_STAFF)]
    small = make_round(budget="70000")
    bids = []
    for _ in range(2):
        bid = make_submitted_bid(funding_round=small, lead=councils_[0], partners=councils_[1:], by=lead_user)
        bids.append(scored(bid, staff[0], deciding=False))
    start_deciding(small, by=staff[0])

    def award(bid: Bid, user) -> Bid:
        return services.bid_award(bid=Bid.objects.get(pk=bid.pk), by=user, amount="60000")

    refused = refusals(at_once(*(partial(award, bid, user) for bid, user in zip(bids, staff, strict=True))))
    assert len(refused) == 1 and "would overspend" in refused[0]
    assert Bid.objects.filter(state=BidState.AWARDED).count() == 1
    assert selectors.round_remaining_budget(funding_round=small) == Decimal("10000.00")


def test_award_before_scoring_is_refused_for_its_state_not_its_amount(in_review_bid, staff_user):
    with pytest.raises(ApplicationError, match="in review, so it cannot be awarded"):
        services.bid_award(bid=in_review_bid, by=staff_user, amount="99999999")
