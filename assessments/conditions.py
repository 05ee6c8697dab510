"""Conditions of the assessment state machine, as small functions whose names read as reasons.

`submission_problems` lists everything an assessor must still do before submitting, each with the form
field where it is fixed; the `submit` transition's condition is that the list is empty.

`council_in_bid_reason` is the one conflict-of-interest rule: an assessor never assesses a bid their own
council is in (as lead, or as a partner that has not declined). Assignment checks it, every transition that
moves an assessment on checks it (`assessor_council_not_in_bid`), and when a council joins a bid the
assessments of its members are marked conflicted (`services.assessments_conflict_on_joining`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bids.choices import BidState, PartnerStatus
from core.exceptions import Problem
from core.transitions import refusal
from councils.selectors import user_council_ids

if TYPE_CHECKING:
    from assessments.models import Assessment
    from bids.models import Bid
    from councils.models import User

# "At least a sentence": a handful of words, so "ok" or "good" is not a justification.
MIN_JUSTIFICATION_WORDS = 5


def justification_problem(text: str, criterion_name: str) -> str:
    """The message for an inadequate justification, or "" when it is adequate."""
    if not (text or "").strip():
        return f"Enter a justification for your {criterion_name.lower()} score"
    # Words with a letter or a digit in them: ". . . . ." is five runs of characters, and no sentence.
    if sum(1 for word in text.split() if any(ch.isalnum() for ch in word)) < MIN_JUSTIFICATION_WORDS:
        return (
            f"The justification for your {criterion_name.lower()} score must be at least a sentence "
            f"({MIN_JUSTIFICATION_WORDS} words or more)"
        )
    return ""


def submission_problems(assessment: Assessment) -> list[Problem]:
    """Everything missing before the assessment can be submitted (empty when it may be)."""
    problems: list[Problem] = []
    scores = {row.criterion_id: row for row in assessment.criterion_scores.all()}
    for criterion in assessment.bid.funding_round.criteria.all():
        row = scores.get(criterion.pk)
        if row is None or row.score is None:
            problems.append(Problem(f"Select a score for {criterion.name.lower()}", field=f"score_{criterion.pk}"))
        message = justification_problem(row.justification if row else "", criterion.name)
        if message:
            problems.append(Problem(message, field=f"justification_{criterion.pk}"))
    if not assessment.recommendation:
        problems.append(Problem("Select your overall recommendation", field="recommendation"))
    if not (assessment.comments or "").strip():
        problems.append(Problem("Enter comments explaining your recommendation", field="comments"))
    return problems


@refusal(submission_problems)
def scores_are_complete(assessment: Assessment) -> bool:
    return not submission_problems(assessment)


def bid_closed_message(assessment: Assessment) -> str:
    bid = assessment.bid
    return f"{bid.reference} is {bid.get_state_display().lower()}, so its assessments can no longer change"


@refusal(bid_closed_message)
def bid_is_in_review(assessment: Assessment) -> bool:
    """Assessments only change while the bid is being assessed (not once it is scored or decided)."""
    return assessment.bid.state == BidState.IN_REVIEW


def council_in_bid_reason(*, bid: Bid, assessor: User) -> str:
    """Why `assessor` can never assess `bid` ("" if nothing blocks it): their own council is the lead or a partner
    taking part (invited or confirmed). Uses the bid's prefetched partners when the caller fetched them."""
    council_ids = user_council_ids(assessor)
    if not council_ids:
        return ""
    if bid.lead_council_id in council_ids:
        return f"{assessor.full_name} cannot assess this bid: their council, {bid.lead_council}, is the lead council"
    for partner in bid.partners.all():
        if partner.status != PartnerStatus.DECLINED and partner.council_id in council_ids:
            return f"{assessor.full_name} cannot assess this bid: their council, {partner.council}, is a partner"
    return ""


def council_in_bid_message(assessment: Assessment) -> str:
    return council_in_bid_reason(bid=assessment.bid, assessor=assessment.assessor)


@refusal(council_in_bid_message)
def assessor_council_not_in_bid(assessment: Assessment) -> bool:
    """The assessor's council is not the lead or a partner of the bid (checked at every transition, so a
    partnership or membership that arrived after assignment still stops the assessment)."""
    return not council_in_bid_message(assessment)
