"""Bid display helpers."""

from django import template
from django.utils.safestring import SafeString

from bids.choices import BidState
from core.choices import status_tag

register = template.Library()


@register.simple_tag
def state_tag(state: str) -> SafeString:
    """The GOV.UK status tag for a bid state."""
    return status_tag(BidState, state)
