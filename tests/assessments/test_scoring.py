"""Declaring conflicts, blind scoring, validation, aggregation maths, moderation and reopening."""

from __future__ import annotations

from decimal import Decimal

import pytest

from assessments import services
from assessments.choices import AssessmentState
from assessments.conditions import justification_problem
from assessments.models import Assessment, CriterionScore, ModeratedScore
from assessments.scoring import CriterionInput, aggregate
from assessments.selectors import assessment_get_for_user, peer_assessments
from bids.choices import BidState, CriterionCode
from bids.models import Bid, BidTransition
from bids.selectors import bid_visible_queryset
from core.exceptions import ApplicationError
from notifications.choices import Event
from tests.factories import make_round
from tests.factories.assessments import JUSTIFICATION, assign, make_in_review_bid, score_all

pytestmark = pytest.mark.django_db


def weighted_round(weights=("50", "30", "20"), **settings):
    return make_round(
        criteria=[
            (CriterionCode.STRATEGIC_FIT, "Strategic fit", Decimal(weights[0])),
            (CriterionCode.DELIVERABILITY, "Deliverability", Decimal(weights[1])),
            (CriterionCode.VALUE_FOR_MONEY, "Value for money", Decimal(weights[2])),
        ],
        **settings,
    )


def mark_scored_count(bid: Bid) -> int:
    return BidTransition.objects.filter(bid=bid, transition="mark_scored").count()


# --- Conflicts ------------------------------------------------------------------------------------------


def test_declaring_a_conflict_needs_details_hides_the_bid_and_tells_staff(funding_round, staff, assessors, outbox):
    bid = make_in_review_bid(funding_round=funding_round)
    [assessment] = assign(bid, assessors[:1], by=staff)
    assessor = assessors[0]
    # Before declaring, the assessor cannot read the bid either.
    assert not bid_visible_queryset(user=assessor).filter(pk=bid.pk).exists()
    assert not assessor.has_perm("bids.view_bid", bid)
    with pytest.raises(ApplicationError, match="Enter details of your conflict"):
        services.assessment_declare(assessment=assessment, by=assessor, conflict=True, details=" ")
    assert Assessment.objects.get(pk=assessment.pk).state == AssessmentState.ASSIGNED

    services.assessment_declare(assessment=assessment, by=assessor, conflict=True, details="My sister leads it")
    assessment.refresh_from_db()
    assert assessment.state == AssessmentState.CONFLICTED
    assert assessment.conflict_details == "My sister leads it"
    assert not bid_visible_queryset(user=assessor).filter(pk=bid.pk).exists()
    assert not assessor.has_perm("bids.view_bid", bid)
    assert not assessor.has_perm("assessments.view_bid_content", assessment)
    [call] = outbox.events(Event.CONFLICT_DECLARED)
    assert staff in call["recipients"]
    assert call["context"]["assessor_name"] == assessor.full_name
    assert call["context"]["details"] == "My sister leads it"
    assert call["context"]["reference"] == bid.reference
    assert call["context"]["bid_path"] == f"/assessments/staff/bids/{bid.reference}/"
    with pytest.raises(ApplicationError, match="conflict declared, so it cannot be started"):
        services.assessment_declare(assessment=assessment, by=assessor, conflict=False)


def test_declaring_no_conflict_opens_the_bid_to_the_assessor_only(funding_round, staff, assessors, outbox):
    bid = make_in_review_bid(funding_round=funding_round)
    [assessment] = assign(bid, assessors[:1], by=staff)
    with pytest.raises(ApplicationError, match="You do not have permission"):
        services.assessment_declare(assessment=assessment, by=assessors[1], conflict=False)
    services.assessment_declare(assessment=assessment, by=assessors[0], conflict=False)
    assert assessment.state == AssessmentState.IN_PROGRESS
    assert assessment.declared_at is not None
    assert bid_visible_queryset(user=assessors[0]).filter(pk=bid.pk).exists()
    assert assessors[0].has_perm("bids.view_bid", bid)
    assert not bid_visible_queryset(user=assessors[1]).filter(pk=bid.pk).exists()


# --- Blind scoring --------------------------------------------------------------------------------------


def test_an_assessor_sees_others_scores_only_after_submitting_their_own(staff, assessors, outbox):
    funding_round = make_round(assessors_per_bid=3)
    bid = make_in_review_bid(funding_round=funding_round)
    first, second, third = assign(bid, assessors, by=staff)
    score_all(first, 4)
    score_all(second, 3, submit=False)
    viewer = assessors[1]
    mine = assessment_get_for_user(user=viewer, pk=second.pk)
    assert peer_assessments(assessment=mine, user=viewer) == []
    assert not viewer.has_perm("assessments.view_other_scores", mine)
    # Nor can they open the other assessment directly.
    with pytest.raises(Exception, match="No assessment found"):
        assessment_get_for_user(user=viewer, pk=first.pk)

    score_all(second, 3)
    mine = assessment_get_for_user(user=viewer, pk=second.pk)
    [peer] = peer_assessments(assessment=mine, user=viewer)  # the third has not submitted: not shown
    assert peer.label == "Assessor A"
    assert [row.score for row in peer.scores] == [4, 4, 4]
    assert peer.comments
    # Councils never see assessors' identities or scores: no assessment is theirs to view.
    lead_member = bid.lead_council.members.first()
    assert not lead_member.has_perm("assessments.view_assessment", first)
    assert not lead_member.has_perm("assessments.view_other_scores", first)
    assert third.state == AssessmentState.ASSIGNED


# --- Validation -----------------------------------------------------------------------------------------


def in_progress(funding_round, staff, assessors) -> Assessment:
    bid = make_in_review_bid(funding_round=funding_round)
    [assessment] = assign(bid, assessors[:1], by=staff)
    services.assessment_declare(assessment=assessment, by=assessors[0], conflict=False)
    return assessment


def test_submitting_with_a_missing_score_or_empty_justification_lists_each_and_saves_nothing(
    funding_round, staff, assessors, outbox
):
    assessment = in_progress(funding_round, staff, assessors)
    strategic, deliverability, value = funding_round.criteria.all()
    with pytest.raises(ApplicationError) as error:
        services.assessment_submit(
            assessment=assessment,
            by=assessors[0],
            scores={
                strategic.pk: {"score": 4, "justification": JUSTIFICATION},
                deliverability.pk: {"score": None, "justification": JUSTIFICATION},
                value.pk: {"score": 3, "justification": "  "},
            },
            recommendation="fund",
            comments="Good",
        )
    assert [(p.field, p.message) for p in error.value.problems] == [
        (f"score_{deliverability.pk}", "Select a score for deliverability"),
        (f"justification_{value.pk}", "Enter a justification for your value for money score"),
    ]
    assessment.refresh_from_db()
    assert assessment.state == AssessmentState.IN_PROGRESS
    assert assessment.recommendation == ""
    assert not CriterionScore.objects.filter(assessment=assessment).exists()


def test_scores_out_of_range_or_not_numbers_are_refused_even_in_a_draft(funding_round, staff, assessors, outbox):
    assessment = in_progress(funding_round, staff, assessors)
    strategic, deliverability, _value = funding_round.criteria.all()
    with pytest.raises(ApplicationError) as error:
        services.assessment_save_scores(
            assessment=assessment,
            by=assessors[0],
            scores={strategic.pk: (6, JUSTIFICATION), deliverability.pk: ("four", JUSTIFICATION)},
            recommendation="maybe",
            comments="",
        )
    assert [p.message for p in error.value.problems] == [
        "The score for strategic fit must be a whole number from 1 (poor) to 5 (strong)",
        "The score for deliverability must be a whole number from 1 (poor) to 5 (strong)",
        "Select fund, fund with conditions or do not fund",
    ]
    assert not CriterionScore.objects.filter(assessment=assessment).exists()


def test_a_justification_must_be_at_least_a_sentence_and_a_recommendation_with_comments_is_needed(
    funding_round, staff, assessors, outbox
):
    assessment = in_progress(funding_round, staff, assessors)
    criteria = list(funding_round.criteria.all())
    scores = {c.pk: (4, JUSTIFICATION) for c in criteria}
    scores[criteria[0].pk] = (4, "Good.")
    services.assessment_save_scores(
        assessment=assessment, by=assessors[0], scores=scores, recommendation="", comments=""
    )
    with pytest.raises(ApplicationError) as error:
        services.assessment_submit(assessment=assessment, by=assessors[0])
    assert [p.field for p in error.value.problems] == [f"justification_{criteria[0].pk}", "recommendation", "comments"]
    assert "at least a sentence" in error.value.problems[0].message


def test_a_draft_can_be_saved_incomplete_and_submitted_later_then_locked(staff, assessors, outbox):
    funding_round = make_round(assessors_per_bid=1)
    assessment = in_progress(funding_round, staff, assessors)
    criteria = list(funding_round.criteria.all())
    services.assessment_save_scores(
        assessment=assessment,
        by=assessors[0],
        scores={criteria[0].pk: (5, "")},
        recommendation="fund",
        comments="",
    )
    assert CriterionScore.objects.get(assessment=assessment).score == 5
    score_all(assessment, [5, 4, 3])
    assessment.refresh_from_db()
    assert assessment.state == AssessmentState.SUBMITTED
    assert assessment.submitted_at is not None
    with pytest.raises(ApplicationError, match="submitted, so its scores can no longer be changed"):
        score_all(assessment, 1, submit=False)
    with pytest.raises(ApplicationError, match="This assessment is submitted, so it cannot be submitted"):
        services.assessment_submit(assessment=assessment, by=assessors[0])


# --- Aggregation ----------------------------------------------------------------------------------------


def test_unequal_weights_are_applied_to_each_criterions_mean(staff, assessors, outbox):
    funding_round = weighted_round(assessors_per_bid=2)
    bid = make_in_review_bid(funding_round=funding_round)
    first, second = assign(bid, assessors[:2], by=staff)
    score_all(first, [5, 4, 3])
    bid.refresh_from_db()
    assert (bid.state, bid.final_score) == (BidState.IN_REVIEW, None)  # waits for the second
    score_all(second, [4, 4, 2])
    bid.refresh_from_db()
    # means 4.5, 4, 2.5 → 50×3.5/4 + 30×3/4 + 20×1.5/4 = 43.75 + 22.5 + 7.5
    assert bid.final_score == Decimal("73.75")
    assert bid.state == BidState.SCORED
    assert mark_scored_count(bid) == 1
    assert not bid.needs_moderation
    stored = [bid.criterion_scores[str(c.pk)] for c in funding_round.criteria.all()]
    assert [(s["scores"], s["mean"], s["score"], s["divergent"]) for s in stored] == [
        ([4, 5], "4.50", "4.50", False),
        ([4, 4], "4.00", "4.00", False),
        ([2, 3], "2.50", "2.50", False),
    ]


def test_three_assessors_means_are_not_rounded_before_weighting(staff, assessors, outbox):
    funding_round = make_round(assessors_per_bid=3)  # default weights 33.34 / 33.33 / 33.33
    bid = make_in_review_bid(funding_round=funding_round)
    for assessment, scores in zip(assign(bid, assessors, by=staff), ([4, 4, 4], [4, 3, 5], [3, 3, 4]), strict=True):
        score_all(assessment, scores)
    bid.refresh_from_db()
    # means 11/3, 10/3, 13/3 → 33.34×(8/3)/4 + 33.33×(7/3)/4 + 33.33×(10/3)/4 = 22.2267 + 19.4425 + 27.775
    assert bid.final_score == Decimal("69.44")
    assert bid.state == BidState.SCORED


def test_the_scale_ends_map_to_0_and_100():
    criteria = [CriterionInput(1, "A", "other", Decimal("60")), CriterionInput(2, "B", "other", Decimal("40"))]
    lowest = aggregate(criteria=criteria, scores={1: [1, 1], 2: [1]}, moderated={}, divergence_threshold=Decimal(2))
    highest = aggregate(criteria=criteria, scores={1: [5], 2: [5, 5]}, moderated={}, divergence_threshold=Decimal(2))
    assert (lowest.weighted_score, highest.weighted_score) == (Decimal("0.00"), Decimal("100.00"))


def test_divergence_flags_moderation_and_the_moderated_score_replaces_the_mean(staff, assessors, outbox):
    funding_round = make_round(assessors_per_bid=2)  # threshold 2
    bid = make_in_review_bid(funding_round=funding_round)
    first, second = assign(bid, assessors[:2], by=staff)
    strategic = funding_round.criteria.get(code=CriterionCode.STRATEGIC_FIT)
    deliverability = funding_round.criteria.get(code=CriterionCode.DELIVERABILITY)
    score_all(first, [5, 4, 4])
    score_all(second, [3, 4, 4])
    bid.refresh_from_db()
    assert bid.state == BidState.IN_REVIEW
    assert bid.needs_moderation
    assert bid.final_score is None
    assert bid.criterion_scores[str(strategic.pk)]["divergent"] is True
    [call] = outbox.events(Event.MODERATION_NEEDED)
    assert call["context"]["criteria"] == ["Strategic fit"]
    assert staff in call["recipients"]

    with pytest.raises(ApplicationError, match="do not need moderation"):
        services.moderation_record(bid=bid, criterion=deliverability, score="4", note="Fine", by=staff)
    with pytest.raises(ApplicationError, match="from 1 \\(poor\\) to 5"):
        services.moderation_record(bid=bid, criterion=strategic, score="5.5", note="Too high", by=staff)
    for typed in ("lots", "٣", "𝟑", "3.5e0", "+3", "3.", "3.333", "NaN"):  # the digits 0 to 9, to two places
        with pytest.raises(ApplicationError, match="Enter the moderated score as a number"):
            services.moderation_record(bid=bid, criterion=strategic, score=typed, note="x", by=staff)
    with pytest.raises(ApplicationError, match="Enter a note"):
        services.moderation_record(bid=bid, criterion=strategic, score="4.5", note="", by=staff)
    with pytest.raises(ApplicationError, match="permission"):
        services.moderation_record(bid=bid, criterion=strategic, score="4.5", note="x", by=assessors[0])
    assert not ModeratedScore.objects.exists()

    services.moderation_record(
        bid=bid, criterion=strategic, score="4.5", note="Panel agreed the reuse case is strong", by=staff
    )
    bid.refresh_from_db()
    # strategic 4.5 (moderated; the mean was 4), deliverability 4, value 4:
    # 33.34×3.5/4 + 33.33×3/4 + 33.33×3/4 = 29.1725 + 24.9975 + 24.9975 = 79.1675
    assert bid.final_score == Decimal("79.17")
    assert bid.state == BidState.SCORED
    assert not bid.needs_moderation
    assert bid.criterion_scores[str(strategic.pk)]["mean"] == "4.00"
    assert bid.criterion_scores[str(strategic.pk)]["moderated"] == "4.50"
    assert mark_scored_count(bid) == 1
    assert len(outbox.events(Event.MODERATION_NEEDED)) == 1


def test_a_reopened_assessment_clears_the_result_until_it_is_resubmitted(staff, assessors, outbox):
    funding_round = make_round(assessors_per_bid=2)
    bid = make_in_review_bid(funding_round=funding_round)
    first, second = assign(bid, assessors[:2], by=staff)
    score_all(first, [5, 4, 4])
    score_all(second, [3, 4, 4])
    bid.refresh_from_db()
    assert bid.needs_moderation
    with pytest.raises(ApplicationError, match="Enter why you are reopening"):
        services.assessment_reopen(assessment=second, by=staff, reason="")
    with pytest.raises(ApplicationError, match="permission"):
        services.assessment_reopen(assessment=second, by=assessors[1], reason="I want to")

    services.assessment_reopen(assessment=second, by=staff, reason="Please look again at the reuse evidence")
    second.refresh_from_db()
    bid.refresh_from_db()
    assert second.state == AssessmentState.IN_PROGRESS
    assert second.submitted_at is None
    assert (bid.final_score, bid.needs_moderation, bid.criterion_scores) == (None, False, {})
    assert second.history.filter(transition="reopen", note__startswith="Please look again").exists()
    # The assessor's earlier answers are still there to revise.
    assert CriterionScore.objects.filter(assessment=second).count() == 3

    score_all(second, [4, 3, 4])
    bid.refresh_from_db()
    # means 4.5, 3.5, 4 → 29.1725 + 20.83125 + 24.9975 = 75.00125
    assert bid.final_score == Decimal("75.00")
    assert bid.state == BidState.SCORED
    assert mark_scored_count(bid) == 1
    # Staff heard about moderation once, for the first divergent set.
    assert len(outbox.events(Event.MODERATION_NEEDED)) == 1


def test_a_scored_bids_assessments_can_no_longer_be_reopened(staff, assessors, outbox):
    funding_round = make_round(assessors_per_bid=1)
    bid = make_in_review_bid(funding_round=funding_round)
    [assessment] = assign(bid, assessors[:1], by=staff)
    score_all(assessment, 4)
    with pytest.raises(ApplicationError, match="is scored, so its assessments can no longer change"):
        services.assessment_reopen(assessment=assessment, by=staff, reason="Second thoughts")


def test_a_conflict_does_not_complete_a_bid_short_of_assessors(staff, assessors, outbox):
    funding_round = make_round(assessors_per_bid=2)
    bid = make_in_review_bid(funding_round=funding_round)
    first, second = assign(bid, assessors[:2], by=staff)
    score_all(first, 4)
    services.assessment_declare(assessment=second, by=second.assessor, conflict=True, details="Former employer")
    bid.refresh_from_db()
    assert (bid.state, bid.final_score) == (BidState.IN_REVIEW, None)
    [third] = assign(bid, assessors[2:], by=staff)
    score_all(third, 4)
    bid.refresh_from_db()
    assert (bid.state, bid.final_score) == (BidState.SCORED, Decimal("75.00"))


@pytest.mark.parametrize("text", ["Good.", ". . . . .", "- - - - - -", "ok"])
def test_a_justification_of_punctuation_is_not_a_sentence(text):
    assert "at least a sentence" in justification_problem(text, "Strategic fit")


def test_a_short_real_sentence_is_a_justification():
    assert justification_problem("Clear plan, costed in detail.", "Strategic fit") == ""
