"""Writes the pipeline adds on top of the bid services: awarding a round's ranking in one go.

Every single decision goes through `bids.services` (its rules, history and notifications live there once);
this module only composes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from assessments.selectors import round_ranking
from bids.choices import BidState
from bids.models import Bid, FundingRound
from bids.services import bid_award
from core.exceptions import ApplicationError
from councils.models import User


@dataclass
class BatchAwardRefusedError(ApplicationError):
    """Nothing was awarded because this bid's award was refused; its page is where to award it differently."""

    reference: str = ""


@dataclass
class BatchAwardResult:
    awarded: list[Bid]
    total: Decimal


def round_bids_above_line(*, funding_round: FundingRound) -> list:
    """The ranking's rows above the funding line whose bids are still waiting for a decision."""
    ranking = round_ranking(funding_round=funding_round)
    return [row for row in ranking if row.above_line and row.bid.state == BidState.SCORED]


def round_batch_award(*, funding_round: FundingRound, by: User, conditions: str = "") -> BatchAwardResult:
    """Award every scored bid above the funding line, each for the amount it requested — all or none.

    The round row is locked first, so the ranking and the remaining budget cannot change underneath; each
    award goes through `bid_award` (its permission, amount and budget rules). If any award is refused the
    whole batch is rolled back and the refusal is raised with the bid's reference.
    """
    if not by.has_perm("bids.decide_bid"):
        raise ApplicationError("You do not have permission to do that")
    with transaction.atomic():
        locked = FundingRound.objects.select_for_update().get(pk=funding_round.pk)
        rows = round_bids_above_line(funding_round=locked)
        if not rows:
            raise ApplicationError(f"No scored bids are above the funding line in {locked.name}")
        awarded = []
        for row in rows:
            bid = Bid.objects.select_related("funding_round", "lead_council").get(pk=row.bid.pk)
            try:
                bid_award(bid=bid, by=by, amount=row.amount_requested, conditions=conditions)
            except ApplicationError as error:
                raise BatchAwardRefusedError(
                    f"Nothing was awarded: {bid.reference} could not be awarded. {error.message}",
                    reference=bid.reference,
                ) from error
            awarded.append(bid)
    return BatchAwardResult(awarded=awarded, total=sum((bid.award_amount for bid in awarded), Decimal("0")))
