"""Panels that apps above bids add to the council-facing bid pages, through `bids.signals.bid_page_panels`."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.http import HttpRequest

from bids.models import Bid
from bids.signals import bid_page_panels


@dataclass(frozen=True)
class Panel:
    """A part of a page: the template to include and what it needs. Ordered by `order`, then by template."""

    template: str
    context: dict = field(default_factory=dict)
    order: int = 100


def bid_panels(*, request: HttpRequest, bid: Bid, page: str) -> list[Panel]:
    """The panels every connected app gives for this page (a receiver returning None adds nothing)."""
    panels = [
        response
        for _receiver, response in bid_page_panels.send(sender=Bid, bid=bid, user=request.user, page=page)
        if isinstance(response, Panel)
    ]
    return sorted(panels, key=lambda panel: (panel.order, panel.template))
