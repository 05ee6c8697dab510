"""Permission predicates for bids. Each is also called with bid=None by Django's global check: handle it."""

from __future__ import annotations

import rules

from core.rules import is_programme_staff
from councils.selectors import user_council_ids


@rules.predicate
def is_bid_lead_member(user, bid) -> bool:
    return bid is not None and bid.lead_council_id in user_council_ids(user)


@rules.predicate
def is_bid_partner_member(user, bid) -> bool:
    if bid is None:
        return False
    council_ids = user_council_ids(user)
    if not council_ids:
        return False
    # Uses prefetched partners when the selector fetched them.
    return any(partner.council_id in council_ids for partner in bid.partners.all())


@rules.predicate
def is_bid_assessor(user, bid) -> bool:
    """Assigned to assess the bid and has declared no conflict of interest (assessment states in_progress or
    submitted; spelt out here because bids import no assessment code). Until they declare, and ever after
    declaring a conflict, an assessor may not read the bid."""
    if bid is None or not getattr(user, "is_authenticated", False):
        return False
    return bid.assessments.filter(assessor_id=user.pk, state__in=("in_progress", "submitted")).exists()


is_bid_council_member = is_bid_lead_member | is_bid_partner_member

rules.add_perm("bids.view_bid", is_programme_staff | is_bid_council_member | is_bid_assessor)
rules.add_perm("bids.edit_bid", is_bid_lead_member)
rules.add_perm("bids.submit_bid", is_bid_lead_member)
rules.add_perm("bids.withdraw_bid", is_bid_lead_member)
rules.add_perm("bids.respond_to_invitation", is_bid_partner_member)
rules.add_perm("bids.return_bid", is_programme_staff)
rules.add_perm("bids.decide_bid", is_programme_staff)
rules.add_perm("bids.score_bid", is_programme_staff)
rules.add_perm("bids.view_all_bids", is_programme_staff)
