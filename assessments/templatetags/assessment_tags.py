"""Assessment display helpers."""

from decimal import Decimal

from django import template
from django.utils.safestring import SafeString

from assessments.choices import AssessmentState, Score
from core.choices import status_tag

register = template.Library()


@register.simple_tag
def assessment_tag(state: str) -> SafeString:
    """The GOV.UK status tag for an assessment state."""
    return status_tag(AssessmentState, state)


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
