"""Builders for assessment test data, through the real services (so tests exercise the real rules).

`make_scored_bid` takes a submitted bid through real assessments to `scored`; other apps' tests use it.
"""

from __future__ import annotations

from collections.abc import Sequence

from assessments import services
from assessments.models import Assessment
from bids.choices import RoundState
from bids.models import Bid, FundingRound
from councils.choices import Role
from councils.models import Council, User
from tests.factories import make_council, make_submitted_bid, make_user, start_assessing

JUSTIFICATION = "The bid gives clear evidence for this score across all partner councils."


def make_staff() -> User:
    return User.objects.filter(role=Role.PROGRAMME_STAFF, is_active=True).first() or make_user(
        role=Role.PROGRAMME_STAFF
    )


def make_assessor(*, councils: Sequence[Council] = (), name: str | None = None, email: str | None = None) -> User:
    """An assessor; by default a member of a council of their own, so they can assess most bids."""
    return make_user(role=Role.ASSESSOR, councils=list(councils) or [make_council()], name=name, email=email)


def make_in_review_bid(*, funding_round: FundingRound, amount: str = "60000", **kwargs) -> Bid:
    """A submitted bid with its own lead and two partner councils."""
    lead = kwargs.pop("lead", None) or make_council()
    partners = kwargs.pop("partners", None) or [make_council(), make_council()]
    return make_submitted_bid(funding_round=funding_round, lead=lead, partners=partners, amount=amount, **kwargs)


def assign(bid: Bid, assessors: Sequence[User], *, by: User | None = None) -> list[Assessment]:
    """Assign assessors to a submitted bid, first closing its round, sifting its bids and starting assessment if
    the round is not assessing yet (so create every bid a test needs in the round before the first assign)."""
    by = by or make_staff()
    if bid.funding_round.state != RoundState.ASSESSING:
        bid.funding_round = start_assessing(bid.funding_round, by=by)
    return [services.assessment_assign(bid=bid, assessor=assessor, by=by) for assessor in assessors]


def score_all(
    assessment: Assessment,
    scores: Sequence[int] | int,
    *,
    submit: bool = True,
    recommendation: str = "fund",
) -> Assessment:
    """Declare no conflict (if needed), score every criterion of the round in order, and submit."""
    if assessment.state == "assigned":
        services.assessment_declare(assessment=assessment, by=assessment.assessor, conflict=False)
    criteria = list(assessment.bid.funding_round.criteria.all())
    if isinstance(scores, int):
        scores = [scores] * len(criteria)
    values = {
        criterion.pk: {"score": score, "justification": JUSTIFICATION}
        for criterion, score in zip(criteria, scores, strict=True)
    }
    arguments = {
        "assessment": assessment,
        "by": assessment.assessor,
        "scores": values,
        "recommendation": recommendation,
        "comments": "A strong, well evidenced bid from committed partners.",
    }
    if submit:
        return services.assessment_submit(**arguments)
    return services.assessment_save_scores(**arguments)


def make_scored_bid(
    *,
    funding_round: FundingRound,
    scores: Sequence[Sequence[int] | int] = (4, 4),
    amount: str = "60000",
    bid: Bid | None = None,
    **kwargs,
) -> Bid:
    """A bid taken through real assessments to `scored`: one assessor per entry of `scores` (each an int for
    every criterion, or one score per criterion). The round's assessors per bid must equal len(scores), and
    the scores must not diverge by the round's threshold (or the bid waits for moderation instead)."""
    bid = bid or make_in_review_bid(funding_round=funding_round, amount=amount, **kwargs)
    assessments = assign(bid, [make_assessor() for _ in scores])
    for assessment, values in zip(assessments, scores, strict=True):
        score_all(assessment, values)
    bid.refresh_from_db()
    return bid
