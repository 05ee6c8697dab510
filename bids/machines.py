"""The bid's and the round's state machines as core's transition runner sees them: the past-tense names for
messages and the history row each transition writes. Services run them; selectors and pages read their refusals
(why a transition is not offered yet), so they live here, below both."""

from __future__ import annotations

from bids.choices import RoundState
from bids.models import Bid, BidTransition, RoundTransition
from bids.signals import bid_state_changed
from core.transitions import Machine
from councils.models import User


def record_bid_history(bid: Bid, transition: str, source: str, by: User | None, note: str) -> BidTransition:
    row = BidTransition.record(bid, transition, source, by, note)
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
        "reconsider": "reconsidered",
    },
    record=record_bid_history,
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
    record=RoundTransition.record,
    state_words={
        RoundState.OPEN: "is open for bids",
        RoundState.ASSESSING: "is being assessed",
        RoundState.DECIDING: "is deciding",
        RoundState.PUBLISHED: "has published its decisions",
    },
)
