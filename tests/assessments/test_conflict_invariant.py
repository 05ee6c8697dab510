"""Conflict of interest is an invariant, not a check made once at assignment: whenever an assessor's own council
becomes part of a bid they assess (a partner confirms, or they join a council in the bid), their assessment
becomes conflicted in the same transaction, staff are told, and every assessment transition refuses while the
assessor's council is the lead or a partner taking part."""

from __future__ import annotations

import pytest
from django.urls import reverse

from assessments import services
from assessments.choices import AssessmentState
from assessments.models import AssessmentTransition
from bids import services as bid_services
from bids.choices import BidState, PartnerStatus
from bids.models import BidPartner
from core.exceptions import ApplicationError
from councils.models import Membership
from notifications.choices import Event
from tests.factories import make_council, make_round, make_user
from tests.factories.assessments import JUSTIFICATION, assign, make_assessor, make_in_review_bid, score_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(funding_round, staff):
    """An in-review bid with two assessors; one of them works for Conflictshire, which is not in the bid."""
    conflictshire = make_council("CFX", "Conflictshire")
    bid = make_in_review_bid(funding_round=funding_round)
    insider = make_assessor(councils=[conflictshire], name="Ina Insider")
    other = make_assessor(name="Otto Other")
    mine, theirs = assign(bid, [insider, other], by=staff)
    return {
        "bid": bid,
        "lead_user": bid.created_by,
        "council": conflictshire,
        "insider": insider,
        "assessment": mine,
        "other": theirs,
        "staff": staff,
    }


def scores_for(bid) -> dict:
    return {
        criterion.pk: {"score": 4, "justification": JUSTIFICATION} for criterion in bid.funding_round.criteria.all()
    }


def save_scores(assessment, by):
    return services.assessment_save_scores(
        assessment=assessment, by=by, scores=scores_for(assessment.bid), recommendation="fund", comments="Strong bid."
    )


def join_as_partner_after_return(world) -> BidPartner:
    """Staff return the bid; the lead invites Conflictshire; a Conflictshire officer confirms."""
    bid = world["bid"]
    bid_services.bid_return_for_changes(bid=bid, by=world["staff"], message="Add a partner.")
    partner = bid_services.partner_invite(bid=bid, council=world["council"], by=world["lead_user"])
    officer = make_user(councils=[world["council"]], name="Con Officer")
    bid_services.partner_respond(partner=partner, by=officer, confirm=True)
    return partner


def test_a_partner_confirming_after_return_conflicts_the_assessor_and_tells_staff(world, outbox):
    services.assessment_declare(assessment=world["assessment"], by=world["insider"], conflict=False)
    join_as_partner_after_return(world)
    assessment = world["assessment"]
    assessment.refresh_from_db()
    assert assessment.state == AssessmentState.CONFLICTED
    row = AssessmentTransition.objects.filter(assessment=assessment).latest("pk")
    assert (row.transition, row.source_state, row.target_state, row.by) == (
        "mark_conflicted",
        "in_progress",
        "conflicted",
        None,
    )
    assert "Conflict of interest found by the service" in row.note and "Conflictshire" in row.note
    assert row.label == "Conflict of interest found by the service"
    assert "Conflictshire" in assessment.conflict_details
    [call] = outbox.events(Event.CONFLICT_FOUND)
    assert call["recipients"] == [world["staff"]]
    assert call["context"]["assessor_name"] == "Ina Insider" and call["context"]["council"] == "Conflictshire Council"
    # The other assessor is untouched.
    world["other"].refresh_from_db()
    assert world["other"].state == AssessmentState.ASSIGNED


def test_after_resubmission_the_conflicted_assessor_can_neither_score_nor_submit(world, outbox, client):
    bid, insider, assessment = world["bid"], world["insider"], world["assessment"]
    services.assessment_declare(assessment=assessment, by=insider, conflict=False)
    join_as_partner_after_return(world)
    bid_services.bid_submit(bid=bid, by=world["lead_user"])
    assert bid.state == BidState.IN_REVIEW
    assessment.refresh_from_db()
    with pytest.raises(ApplicationError, match="Conflictshire Council, is a partner"):
        save_scores(assessment, insider)
    with pytest.raises(ApplicationError):
        services.assessment_submit(assessment=assessment, by=insider, scores=scores_for(bid))
    assert not assessment.criterion_scores.exists()
    client.force_login(insider)
    score_page = client.get(reverse("assessments:score", kwargs={"pk": assessment.pk}))
    assert score_page.status_code == 302  # to the assessment's record, which no longer shows the bid
    # Staff can assign someone else in the freed place, once they have sifted the resubmitted bid again.
    bid_services.bid_sift(bid=bid, by=world["staff"], eligible=True)
    services.assessment_assign(bid=bid, assessor=make_assessor(), by=world["staff"])


def test_an_assessor_cannot_answer_an_invitation_for_a_bid_they_assess(world, outbox):
    bid, insider = world["bid"], world["insider"]
    bid_services.bid_return_for_changes(bid=bid, by=world["staff"], message="Add a partner.")
    partner = bid_services.partner_invite(bid=bid, council=world["council"], by=world["lead_user"])
    for confirm in (True, False):
        with pytest.raises(ApplicationError, match="You are assigned to assess"):
            bid_services.partner_respond(partner=partner, by=insider, confirm=confirm)
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.INVITED
    world["assessment"].refresh_from_db()
    assert world["assessment"].state == AssessmentState.ASSIGNED
    assert not insider.has_perm("bids.respond_to_invitation", bid)


def test_every_assessment_transition_refuses_while_the_assessors_council_is_in_the_bid(world, staff):
    """Whatever way the council got in (here a row written past the services), nothing moves the assessment on."""
    bid, insider, assessment = world["bid"], world["insider"], world["assessment"]
    BidPartner.objects.create(bid=bid, council=world["council"], status=PartnerStatus.INVITED)
    with pytest.raises(ApplicationError, match="Conflictshire Council, is a partner"):
        services.assessment_declare(assessment=assessment, by=insider, conflict=False)
    # Declaring the conflict is still allowed: it is the honest answer.
    services.assessment_declare(assessment=assessment, by=insider, conflict=True, details="My council is in it")

    # In progress, then the council gets in: saving and submitting are refused.
    second = make_in_review_bid(funding_round=make_round())
    (later,) = assign(second, [insider], by=staff)
    services.assessment_declare(assessment=later, by=insider, conflict=False)
    BidPartner.objects.create(bid=second, council=world["council"], status=PartnerStatus.INVITED)
    with pytest.raises(ApplicationError, match="Conflictshire Council, is a partner"):
        save_scores(later, insider)
    BidPartner.objects.filter(bid=second, council=world["council"]).delete()
    save_scores(later, insider)
    BidPartner.objects.create(bid=second, council=world["council"], status=PartnerStatus.CONFIRMED)
    with pytest.raises(ApplicationError, match="cannot be submitted yet: Ina Insider cannot assess this bid"):
        services.assessment_submit(assessment=later, by=insider)

    # Submitted, then the council gets in: staff cannot reopen it for the assessor.
    third = make_in_review_bid(funding_round=make_round(assessors_per_bid=2))
    done, _ = assign(third, [insider, make_assessor()], by=staff)
    score_all(done, 4)
    BidPartner.objects.create(bid=third, council=world["council"], status=PartnerStatus.CONFIRMED)
    with pytest.raises(ApplicationError, match="cannot be reopened yet: Ina Insider cannot assess this bid"):
        services.assessment_reopen(assessment=done, by=staff, reason="Check the costs")


def test_joining_a_council_in_the_bid_conflicts_the_assessor_and_its_scores_stop_counting(funding_round, staff, outbox):
    bid = make_in_review_bid(funding_round=funding_round)
    first, second = assign(bid, [make_assessor(), make_assessor()], by=staff)
    score_all(first, 5)
    score_all(second, 1)
    bid.refresh_from_db()
    assert bid.needs_moderation and bid.criterion_scores
    partner_council = bid.partners.first().council
    Membership.objects.create(user=second.assessor, council=partner_council)
    second.refresh_from_db()
    assert second.state == AssessmentState.CONFLICTED
    assert f"joined {partner_council}" in second.conflict_details
    bid.refresh_from_db()
    assert (bid.final_score, bid.needs_moderation, bid.criterion_scores) == (None, False, {})
    assert [call["context"]["assessor_name"] for call in outbox.events(Event.CONFLICT_FOUND)] == [
        second.assessor.full_name
    ]


def test_joining_a_council_later_leaves_a_scored_bids_assessments_as_they_were(funding_round, staff, outbox):
    """A scored (or decided) bid's assessments are the record of how it was judged: an assessor who joins one of
    its councils afterwards does not rewrite them, nor the score they gave."""
    bid = make_in_review_bid(funding_round=funding_round)
    first, second = assign(bid, [make_assessor(), make_assessor()], by=staff)
    score_all(first, 4)
    score_all(second, 4)
    bid.refresh_from_db()
    assert bid.state == BidState.SCORED
    scored = (bid.final_score, bid.criterion_scores)
    Membership.objects.create(user=second.assessor, council=bid.partners.first().council)
    second.refresh_from_db()
    bid.refresh_from_db()
    assert second.state == AssessmentState.SUBMITTED
    assert (bid.final_score, bid.criterion_scores) == scored
    assert outbox.events(Event.CONFLICT_FOUND) == []


def test_a_failing_conflict_check_leaves_the_partnership_unconfirmed(world, monkeypatch):
    bid_services.bid_return_for_changes(bid=world["bid"], by=world["staff"], message="Add a partner.")
    partner = bid_services.partner_invite(bid=world["bid"], council=world["council"], by=world["lead_user"])

    def broken(**kwargs):
        raise RuntimeError("the assessment app could not record the conflict")

    monkeypatch.setattr("assessments.receivers.assessments_conflict_on_joining", broken)
    with pytest.raises(RuntimeError):
        bid_services.partner_respond(partner=partner, by=make_user(councils=[world["council"]]), confirm=True)
    assert BidPartner.objects.get(pk=partner.pk).status == PartnerStatus.INVITED
