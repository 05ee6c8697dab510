"""Bid display helpers."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from bids.choices import BID_STATE_TAG_CLASS, BidState

register = template.Library()


@register.simple_tag
def state_tag(state: str) -> SafeString:
    """The GOV.UK status tag for a bid state."""
    return format_html(
        '<strong class="govuk-tag {}">{}</strong>', BID_STATE_TAG_CLASS.get(state, ""), BidState(state).label
    )
