"""Assessment display helpers."""

from decimal import Decimal

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from assessments.choices import ASSESSMENT_STATE_TAG_CLASS, AssessmentState, Score

register = template.Library()


@register.simple_tag
def assessment_tag(state: str) -> SafeString:
    """The GOV.UK status tag for an assessment state."""
    return format_html(
        '<strong class="govuk-tag {}">{}</strong>',
        ASSESSMENT_STATE_TAG_CLASS.get(state, ""),
        AssessmentState(state).label,
    )


@register.filter
def score_label(score: int | None) -> str:
    """ "4 Good" for a score on the scale; "Not scored" when empty."""
    if score in (None, ""):
        return "Not scored"
    return f"{score} {Score(int(score)).label}"


@register.filter
def signed(value: Decimal | None) -> str:
    """A difference with its sign, for calibration: +1.50, −0.33, 0.00."""
    if value is None:
        return "–"
    if value > 0:
        return f"+{value}"
    if value < 0:
        return f"−{abs(value)}"
    return f"{value}"
