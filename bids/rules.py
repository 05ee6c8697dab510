"""Permission predicates for bids. Each is also called with bid=None by Django's global check: handle it.

Who a council is to a bid decides what its members may do: the lead council drafts it; a confirmed partner
reads all of it, documents included; a council invited and not yet answering sees what it is asked to join (the
invitation and a read-only summary) but not the documents; a council that declined has no access at all, like
any other council.
"""

from __future__ import annotations

import rules

from bids.choices import PartnerStatus
from core.rules import is_programme_staff
from councils.selectors import user_council_ids


def _partnership_statuses(user, bid) -> set[str]:
    """The statuses of the user's councils' partnerships on the bid (uses prefetched partners when fetched)."""
    council_ids = user_council_ids(user)
    if bid is None or not council_ids:
        return set()
    return {partner.status for partner in bid.partners.all() if partner.council_id in council_ids}


@rules.predicate
def is_bid_lead_member(user, bid) -> bool:
    return bid is not None and bid.lead_council_id in user_council_ids(user)


@rules.predicate
def is_bid_partner_member(user, bid) -> bool:
    """A member of a partner council that has confirmed it takes part."""
    return PartnerStatus.CONFIRMED in _partnership_statuses(user, bid)


@rules.predicate
def is_bid_invited_member(user, bid) -> bool:
    """A member of a council invited to be a partner that has not answered yet."""
    return PartnerStatus.INVITED in _partnership_statuses(user, bid)


@rules.predicate
def is_bid_assessor(user, bid) -> bool:
    """Assigned to assess the bid and has declared no conflict of interest (assessment states in_progress or
    submitted; spelt out here because bids import no assessment code). Until they declare, and ever after
    declaring a conflict, an assessor may not read the bid."""
    if bid is None or not getattr(user, "is_authenticated", False):
        return False
    return bid.assessments.filter(assessor_id=user.pk, state__in=("in_progress", "submitted")).exists()


@rules.predicate
def is_assigned_to_assess_bid(user, bid) -> bool:
    """Holds an assessment of the bid that is not conflicted (assigned, in progress or submitted)."""
    if bid is None or not getattr(user, "is_authenticated", False):
        return False
    return bid.assessments.filter(assessor_id=user.pk).exclude(state="conflicted").exists()


is_bid_council_member = is_bid_lead_member | is_bid_partner_member

rules.add_perm("bids.view_bid", is_programme_staff | is_bid_council_member | is_bid_invited_member | is_bid_assessor)
rules.add_perm("bids.view_bid_documents", is_programme_staff | is_bid_council_member | is_bid_assessor)
rules.add_perm("bids.edit_bid", is_bid_lead_member)
rules.add_perm("bids.submit_bid", is_bid_lead_member)
rules.add_perm("bids.withdraw_bid", is_bid_lead_member)
rules.add_perm("bids.respond_to_invitation", is_bid_invited_member & ~is_assigned_to_assess_bid)
rules.add_perm("bids.continue_bid", is_bid_lead_member)
rules.add_perm("bids.return_bid", is_programme_staff)
rules.add_perm("bids.decide_bid", is_programme_staff)
rules.add_perm("bids.score_bid", is_programme_staff)
rules.add_perm("bids.view_all_bids", is_programme_staff)
# Rounds: set up, moved through their states, decisions published; bids sifted; clarification questions.
rules.add_perm("bids.manage_round", is_programme_staff)
rules.add_perm("bids.sift_bid", is_programme_staff)
rules.add_perm("bids.ask_clarification", is_programme_staff)
rules.add_perm("bids.propose_clarification", is_bid_assessor)
rules.add_perm("bids.answer_clarification", is_bid_lead_member)
# Questions and answers: the bid's councils, its declared assessors and staff (never a council only invited).
rules.add_perm("bids.view_clarifications", is_programme_staff | is_bid_council_member | is_bid_assessor)
