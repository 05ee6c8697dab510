"""Permission predicates of the collaboration app (also called with obj=None by Django's global check)."""

from __future__ import annotations

import rules

from bids.rules import is_bid_lead_member
from collaboration import selectors
from core.rules import is_programme_staff


@rules.predicate
def is_council_member(user) -> bool:
    """A council member who belongs to at least one council (assessors and staff are not)."""
    return selectors.is_council_member(user)


rules.add_perm("collaboration.browse_calls", is_council_member | is_programme_staff)
rules.add_perm("collaboration.manage_call", is_bid_lead_member)
rules.add_perm("collaboration.see_similar_work", is_council_member | is_programme_staff)
