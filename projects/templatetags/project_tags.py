"""Status tags for projects, reports, payments, changes and RAG ratings, each coloured by its choices."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from core.choices import status_tag as tagged
from projects.choices import PaymentShown, ProjectState, Rag, ReportState, VariationStatus
from projects.selectors import payment_shown

register = template.Library()

_KINDS = {
    "project": ProjectState,
    "report": ReportState,
    "payment": PaymentShown,
    "variation": VariationStatus,
    "rag": Rag,
}


@register.simple_tag
def status_tag(kind: str, value: str) -> SafeString:
    return tagged(_KINDS[kind], value)


@register.simple_tag
def payment_tag(payment, project) -> SafeString:
    """A payment's tag as `payment_shown` says it (released, on a project that pays nothing more)."""
    return tagged(PaymentShown, payment_shown(payment, project))
