"""What the collaboration app does when bids change (bids send the signals; bids never import this app)."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.dispatch import receiver

from bids.choices import BidState
from bids.conditions import round_takes_bid
from bids.panels import Panel
from bids.signals import bid_content_changed, bid_page_panels, bid_state_changed
from collaboration import selectors, services
from collaboration.choices import CloseReason
from collaboration.similarity import BID_PARTS

# Transitions that change which bids of a round are submitted and still competing (the overlap flags).
OVERLAP_TRANSITIONS = frozenset({"submit", "withdraw", "return_for_changes", "mark_ineligible"})


@receiver(bid_content_changed, dispatch_uid="collaboration.index_changed_text")
def index_changed_text(sender, bid, fields, **kwargs) -> None:
    if set(fields) & set(BID_PARTS):
        services.bid_text_index_mark(bid=bid)


@receiver(bid_state_changed, dispatch_uid="collaboration.follow_bid_state")
def follow_bid_state(sender, bid, transition, source, target, **kwargs) -> None:
    """A call for partners closes, recorded, when its bid is submitted or withdrawn; the round's overlap flags
    are worked out again when the set of submitted bids changes."""
    services.bid_text_index_follow_state(bid=bid)
    if target == BidState.IN_REVIEW:
        services.partner_calls_close_for_bid(bid=bid, reason=CloseReason.SUBMITTED)
    elif target == BidState.WITHDRAWN:
        services.partner_calls_close_for_bid(bid=bid, reason=CloseReason.WITHDRAWN)
    if transition in OVERLAP_TRANSITIONS:
        services.round_overlaps_schedule(funding_round_id=bid.funding_round_id)


@receiver(bid_page_panels, dispatch_uid="collaboration.task_list_panel")
def task_list_panel(sender, bid, user=None, page="", **kwargs) -> Panel | None:
    """On the lead's task list: the call for partners, and "Others working on this"."""
    user = user or AnonymousUser()
    if page != "task_list" or not user.has_perm("collaboration.manage_call", bid):
        return None
    return Panel(
        "collaboration/_task_list_panel.html",
        {
            "bid": bid,
            **selectors.call_panel(bid=bid),
            "round_takes_bid": round_takes_bid(bid),
            "similar": selectors.similar_work(bid=bid, user=user),
            "indexed": selectors.vectors_ready(bid=bid),
        },
        order=10,
    )
