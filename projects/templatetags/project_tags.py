"""Status tags for projects, reports, payments, changes and RAG ratings, each coloured by its choices."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from core.choices import status_tag as tagged
from projects.choices import PaymentStatus, ProjectState, Rag, ReportState, VariationStatus

register = template.Library()

_KINDS = {
    "project": ProjectState,
    "report": ReportState,
    "payment": PaymentStatus,
    "variation": VariationStatus,
    "rag": Rag,
}


@register.simple_tag
def status_tag(kind: str, value: str) -> SafeString:
    return tagged(_KINDS[kind], value)
