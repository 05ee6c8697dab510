"""Labelled texts (tests/collaboration/data/) seeded as bids, and the similar-work index built from them."""

from __future__ import annotations

import json
from pathlib import Path

from django.utils import timezone

from bids.choices import BidState
from bids.models import Bid
from collaboration.services import similarity_index_rebuild

DATA = Path(__file__).resolve().parents[1] / "collaboration" / "data"


def labelled(name: str) -> list[tuple[str | None, str, str]]:
    """(theme or None for an unrelated text, title, text) of a labelled set in tests/collaboration/data/."""
    data = json.loads((DATA / name).read_text())
    items = [(theme, title, text) for theme, projects in data["themes"].items() for title, text in projects]
    return items + [(None, title, text) for title, text in data["noise"]]


def seed_texts(texts, *, funding_round, council, state=BidState.IN_REVIEW) -> list[Bid]:
    """Each text a bid (its title and summary), in one state, then the whole index built as the command does."""
    now = timezone.now()
    start = (
        Bid.objects.filter(funding_round=funding_round).order_by("-number").values_list("number", flat=True).first()
        or 0
    ) + 1
    bids = Bid.objects.bulk_create(
        Bid(
            funding_round=funding_round,
            number=number,
            reference=Bid.reference_for(funding_round.code, number),
            lead_council=council,
            title=title,
            summary=text,
            state=state,
            submitted_at=None if state == BidState.DRAFT else now,
            award_amount=50000 if state == BidState.AWARDED else None,
            decided_at=now if state == BidState.AWARDED else None,
        )
        for number, (_theme, title, text) in enumerate(texts, start=start)
    )
    similarity_index_rebuild()
    return list(Bid.objects.filter(pk__in=[bid.pk for bid in bids]).order_by("number"))
