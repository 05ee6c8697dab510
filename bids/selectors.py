"""Reads of rounds and bids. Selectors own permissions, select_related and prefetching."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from bids.models import Bid, BidTransition, FundingRound
from councils.models import User
from councils.rules import user_council_ids


def bid_visible_queryset(*, user: User) -> QuerySet[Bid]:
    """Every bid the user may see: staff all; council members their council's (lead or partner);
    assessors those assigned to them."""
    bids = Bid.objects.all()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return bids.none()
    if user.is_programme_staff:
        return bids
    council_ids = list(user_council_ids(user))
    visible = Q(lead_council_id__in=council_ids) | Q(partners__council_id__in=council_ids)
    if user.is_assessor:
        # Only once they have declared no conflict of interest (assessment in_progress or submitted); a
        # conflicted assessor never sees the bid. Literal states: bids import no assessment code.
        visible |= Q(assessments__assessor_id=user.pk, assessments__state__in=("in_progress", "submitted"))
    return bids.filter(pk__in=Bid.objects.filter(visible).values("pk"))


def bid_get_for_user(*, user: User, reference: str) -> Bid:
    """The bid with this reference if the user may see it; otherwise 404 (never 403: no leak of existence)."""
    bid = (
        bid_visible_queryset(user=user)
        .select_related("funding_round", "lead_council", "created_by")
        .prefetch_related("partners__council", "cost_lines__payer_council", "documents", "funding_round__phases")
        .filter(reference=reference)
        .first()
    )
    if bid is None or not user.has_perm("bids.view_bid", bid):
        raise Http404("No bid found")
    return bid


def bid_history(*, bid: Bid) -> list[BidTransition]:
    return list(bid.history.select_related("by").order_by("at", "pk"))


def round_list_open() -> QuerySet[FundingRound]:
    from django.utils import timezone

    now = timezone.now()
    return FundingRound.objects.filter(opens_at__lte=now, closes_at__gt=now).order_by("closes_at")
