"""Status tags for projects, reports, payments, changes and RAG ratings, coloured by one table each."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from projects.choices import (
    PAYMENT_STATUS_TAG_CLASS,
    PROJECT_STATE_TAG_CLASS,
    RAG_TAG_CLASS,
    REPORT_STATE_TAG_CLASS,
    VARIATION_STATUS_TAG_CLASS,
    PaymentStatus,
    ProjectState,
    Rag,
    ReportState,
    VariationStatus,
)

register = template.Library()

_KINDS = {
    "project": (PROJECT_STATE_TAG_CLASS, ProjectState),
    "report": (REPORT_STATE_TAG_CLASS, ReportState),
    "payment": (PAYMENT_STATUS_TAG_CLASS, PaymentStatus),
    "variation": (VARIATION_STATUS_TAG_CLASS, VariationStatus),
    "rag": (RAG_TAG_CLASS, Rag),
}


@register.simple_tag
def status_tag(kind: str, value: str) -> SafeString:
    colours, choices = _KINDS[kind]
    if not value:
        return format_html("{}", "–")
    try:
        label = choices(value).label
    except ValueError:
        label = value
    return format_html('<strong class="govuk-tag {}">{}</strong>', colours.get(value, ""), label)
