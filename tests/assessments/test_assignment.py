"""Assignment: who may be assigned, the per-bid limit, bulk assignment, unassigning with a reason."""

from __future__ import annotations

import pytest

from assessments import services
from assessments.choices import AssessmentState
from assessments.models import Assessment, AssessmentTransition
from assessments.selectors import assessor_suggestions, staff_bid_get
from bids import services as bid_services
from core.exceptions import ApplicationError
from notifications.choices import Event
from tests.factories import make_council, make_round, start_assessing
from tests.factories.assessments import assign, make_assessor, make_in_review_bid, score_all

pytestmark = pytest.mark.django_db


def test_assign_records_history_and_tells_the_assessor_with_due_date(funding_round, staff, assessors, outbox):
    bid = make_in_review_bid(funding_round=funding_round)
    start_assessing(funding_round, by=staff)
    assessment = services.assessment_assign(bid=bid, assessor=assessors[0], by=staff)
    assert assessment.state == AssessmentState.ASSIGNED
    assert assessment.assigned_by == staff
    history = AssessmentTransition.objects.get(assessment=assessment)
    assert (history.transition, history.source_state, history.target_state, history.by) == (
        "assign",
        "",
        "assigned",
        staff,
    )
    [call] = outbox.events(Event.ASSESSOR_ASSIGNED)
    assert call["recipients"] == [assessors[0]]
    assert call["key"] == f"assessor_assigned:{assessment.pk}"
    context = call["context"]
    assert context["reference"] == bid.reference
    assert context["title"] == bid.title
    assert context["round"] == funding_round.name
    assert context["due_date"].startswith(funding_round.assessment_deadline.date().isoformat()[:4])
    assert context["due_date_display"]
    assert context["assessment_path"] == f"/assessments/{assessment.pk}/"


def test_assessor_from_the_lead_council_is_refused_with_the_reason(funding_round, staff):
    lead = make_council("LDX", "Leadborough")
    bid = make_in_review_bid(funding_round=funding_round, lead=lead)
    assessor = make_assessor(councils=[lead], name="Lee Dee")
    start_assessing(funding_round, by=staff)
    with pytest.raises(ApplicationError) as error:
        services.assessment_assign(bid=bid, assessor=assessor, by=staff)
    assert str(error.value) == "Lee Dee cannot assess this bid: their council, Leadborough Council, is the lead council"
    assert not Assessment.objects.exists()


def test_assessor_from_a_partner_council_is_refused_with_the_reason(funding_round, staff):
    partner = make_council("PTX", "Partnerford")
    bid = make_in_review_bid(funding_round=funding_round, partners=[partner, make_council()])
    assessor = make_assessor(councils=[partner], name="Pat Ner")
    start_assessing(funding_round, by=staff)
    with pytest.raises(ApplicationError, match="their council, Partnerford Council, is a partner"):
        services.assessment_assign(bid=bid, assessor=assessor, by=staff)
    [suggestion] = [s for s in assessor_suggestions(bid=staff_bid_get(reference=bid.reference)) if s.reason]
    assert suggestion.assessor == assessor
    assert "Partnerford Council, is a partner" in suggestion.reason


def test_no_more_assessors_than_the_round_allows_but_a_conflict_frees_a_place(staff, assessors, outbox):
    funding_round = make_round(assessors_per_bid=2)
    bid = make_in_review_bid(funding_round=funding_round)
    first, _second = assign(bid, assessors[:2], by=staff)
    with pytest.raises(ApplicationError, match=r"already has 2 assessors, the most .* allows"):
        services.assessment_assign(bid=bid, assessor=assessors[2], by=staff)
    services.assessment_declare(assessment=first, by=first.assessor, conflict=True, details="I advised the lead")
    third = services.assessment_assign(bid=bid, assessor=assessors[2], by=staff)
    assert third.state == AssessmentState.ASSIGNED
    # The conflicted assessor cannot be assigned to the same bid again.
    with pytest.raises(ApplicationError, match="declared a conflict of interest"):
        services.assessment_assign(bid=bid, assessor=first.assessor, by=staff)


def test_same_assessor_twice_draft_bids_non_assessors_and_non_staff_are_refused(funding_round, staff, assessors):
    bid = make_in_review_bid(funding_round=funding_round)
    start_assessing(funding_round, by=staff)
    services.assessment_assign(bid=bid, assessor=assessors[0], by=staff)
    with pytest.raises(ApplicationError, match="already assessing"):
        services.assessment_assign(bid=bid, assessor=assessors[0], by=staff)
    with pytest.raises(ApplicationError, match="You do not have permission"):
        services.assessment_assign(bid=bid, assessor=assessors[1], by=assessors[2])
    with pytest.raises(ApplicationError, match="is not an active assessor"):
        services.assessment_assign(bid=bid, assessor=staff, by=staff)
    bid_services.bid_mark_ineligible(bid=bid, by=staff, reason="Out of scope")
    with pytest.raises(ApplicationError, match="is ineligible, so assessors can no longer be assigned"):
        services.assessment_assign(bid=bid, assessor=assessors[1], by=staff)


def test_bulk_assignment_picks_the_least_busy_eligible_assessors(staff, outbox):
    funding_round = make_round(assessors_per_bid=2)
    lead = make_council("BLK", "Bulkshire")
    own = make_assessor(councils=[lead], name="Aaron Own")  # alphabetically first, but blocked from bid 1
    busy = make_assessor(name="Bea Busy")
    free = [make_assessor(name="Cat Free"), make_assessor(name="Dan Free")]
    earlier = make_in_review_bid(funding_round=funding_round)
    bid = make_in_review_bid(funding_round=funding_round, lead=lead)
    start_assessing(funding_round, by=staff)
    services.assessment_assign(bid=earlier, assessor=busy, by=staff)
    result = services.assessment_assign_bulk(funding_round=funding_round, by=staff)
    on_bid = set(Assessment.objects.filter(bid=bid).values_list("assessor__full_name", flat=True))
    assert own.full_name not in on_bid
    assert on_bid == {free[0].full_name, free[1].full_name}
    # The earlier bid had one: it gets the least busy eligible one (Aaron, with none, before the others' one).
    assert set(Assessment.objects.filter(bid=earlier).values_list("assessor__full_name", flat=True)) == {
        "Bea Busy",
        "Aaron Own",
    }
    assert len(result.assigned) == 3
    assert result.short == []
    # Running it again changes nothing: every bid is full.
    assert services.assessment_assign_bulk(funding_round=funding_round, by=staff).assigned == []


def test_unassign_needs_a_reason_deletes_the_draft_and_keeps_history(funding_round, staff, assessors, outbox):
    bid = make_in_review_bid(funding_round=funding_round)
    [assessment] = assign(bid, assessors[:1], by=staff)
    score_all(assessment, 4, submit=False)
    with pytest.raises(ApplicationError, match="Enter why you are unassigning"):
        services.assessment_unassign(assessment=assessment, by=staff, reason="  ")
    with pytest.raises(ApplicationError, match="You do not have permission"):
        services.assessment_unassign(assessment=assessment, by=assessors[0], reason="Mine")
    services.assessment_unassign(assessment=assessment, by=staff, reason="Off sick for a month")
    assert not Assessment.objects.filter(pk=assessment.pk).exists()
    last = AssessmentTransition.objects.filter(bid=bid).order_by("pk").last()
    assert (last.transition, last.source_state, last.note, last.assessor) == (
        "unassign",
        "in_progress",
        "Off sick for a month",
        assessors[0],
    )
    # The place is free again, and the same assessor may even come back later.
    services.assessment_assign(bid=bid, assessor=assessors[0], by=staff)


def test_a_submitted_assessment_cannot_be_unassigned(funding_round, staff, assessors, outbox):
    bid = make_in_review_bid(funding_round=funding_round)
    first, _second = assign(bid, assessors[:2], by=staff)
    score_all(first, 4)
    with pytest.raises(ApplicationError, match="reopen it instead"):
        services.assessment_unassign(assessment=first, by=staff, reason="Changed my mind")
    # Once the bid is scored it cannot be reopened either: the refusal does not suggest it.
    score_all(_second, 4)
    first.refresh_from_db()
    with pytest.raises(ApplicationError, match=r"is scored, so it stays on record") as refused:
        services.assessment_unassign(assessment=first, by=staff, reason="Changed my mind")
    assert "reopen" not in str(refused.value)


def test_assignment_waits_for_the_round_to_be_assessing_and_the_bid_to_be_sifted_eligible(
    funding_round, staff, assessors, outbox
):
    bid = make_in_review_bid(funding_round=funding_round)
    with pytest.raises(ApplicationError, match=r"assigned while the round is assessing, and .* is open for bids"):
        services.assessment_assign(bid=bid, assessor=assessors[0], by=staff)
    with pytest.raises(ApplicationError, match="is open for bids"):
        services.assessment_assign_bulk(funding_round=funding_round, by=staff)
    bid_services.round_close_early(funding_round=funding_round, by=staff, reason="Enough bids")
    with pytest.raises(ApplicationError, match="is closed"):
        services.assessment_assign(bid=bid, assessor=assessors[0], by=staff)
    # The round is assessing only once every submitted bid is sifted: then each bid in review is eligible.
    with pytest.raises(ApplicationError, match=f"1 bid in review is not sifted yet: {bid.reference}"):
        bid_services.round_start_assessing(funding_round=funding_round, by=staff)
    bid_services.bid_sift(bid=bid, by=staff, eligible=True)
    bid_services.round_start_assessing(funding_round=funding_round, by=staff)
    assert services.assessment_assign(bid=bid, assessor=assessors[0], by=staff).state == AssessmentState.ASSIGNED
