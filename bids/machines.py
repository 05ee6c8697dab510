"""The bid's and the round's state machines as core's transition runner sees them: the past-tense names for
messages and the history row each transition writes. Services run them; selectors and pages read their refusals
(why a transition is not offered yet), so they live here, below both."""

from __future__ import annotations

from bids.models import Bid, BidTransition, FundingRound, RoundTransition
from bids.signals import bid_state_changed
from core.transitions import Machine
from councils.models import User


def record_bid_history(bid: Bid, transition: str, source: str, by: User | None, note: str) -> BidTransition:
    row = BidTransition.objects.create(
        bid=bid, transition=transition, source_state=source, target_state=bid.state, by=by, note=note
    )
    # Every transition is recorded here, so this is the one place apps above bids hear of state changes.
    bid_state_changed.send(sender=Bid, bid=bid, transition=transition, source=source, target=bid.state)
    return row


BID_MACHINE = Machine(
    noun="bid",
    past={
        "submit": "submitted",
        "withdraw": "withdrawn",
        "return_for_changes": "returned for changes",
        "mark_ineligible": "marked ineligible",
        "mark_scored": "marked as scored",
        "award": "awarded",
        "decline": "declined",
    },
    record=record_bid_history,
)


def record_round_history(funding_round: FundingRound, transition: str, source: str, by: User | None, note: str) -> None:
    RoundTransition.objects.create(
        funding_round=funding_round,
        transition=transition,
        source_state=source,
        target_state=funding_round.state,
        by=by,
        note=note,
    )


ROUND_MACHINE = Machine(
    noun="round",
    past={
        "open": "opened",
        "close": "closed",
        "close_early": "closed early",
        "start_assessing": "moved to assessment",
        "start_deciding": "moved to decisions",
        "publish_decisions": "published",
    },
    record=record_round_history,
)
