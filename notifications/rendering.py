"""Turn an outbox row into an email: subject, plain text and HTML from templates/emails/<event>.{txt,html}.

The first line of the .txt template is `Subject: ...`; the rest is the plain-text body. Every `*_path` value in
the context also becomes an absolute `*_url` built from settings.SITE_URL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from notifications.choices import NON_ESSENTIAL_EVENTS, Event
from notifications.models import Notification

SUBJECT_PREFIX = "Subject:"


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}" if path.startswith("/") else path


def template_context(notification: Notification) -> dict:
    context = dict(notification.context or {})
    for name, value in list(context.items()):
        if name.endswith("_path") and isinstance(value, str):
            context[f"{name[: -len('_path')]}_url"] = absolute_url(value)
    recipient = notification.recipient
    context.update(
        recipient_name=recipient.full_name or recipient.email,
        event_label=Event(notification.event).label,
        is_reminder=notification.event in NON_ESSENTIAL_EVENTS,
        notifications_url=absolute_url(reverse("notifications:list")),
        service_name=settings.SERVICE_NAME,
        site_url=settings.SITE_URL,
    )
    return context


def render_email(notification: Notification) -> RenderedEmail:
    context = template_context(notification)
    text = render_to_string(f"{notification.template}.txt", context)
    first_line, _, body = text.lstrip().partition("\n")
    if not first_line.startswith(SUBJECT_PREFIX):
        raise ValueError(f"{notification.template}.txt must start with a '{SUBJECT_PREFIX}' line")
    subject = " ".join(first_line[len(SUBJECT_PREFIX) :].split())
    html = render_to_string(f"{notification.template}.html", {**context, "subject": subject})
    # Template tags leave blank lines behind; a plain-text email reads better without runs of them.
    body = re.sub(r"\n{3,}", "\n\n", re.sub(r"[ \t]+\n", "\n", body)).strip()
    return RenderedEmail(subject=subject, text=body + "\n", html=html)


def subject_of(notification: Notification) -> str:
    """The subject line for lists; a broken template must not break the page that lists it."""
    try:
        context = template_context(notification)
        first_line = render_to_string(f"{notification.template}.txt", context).lstrip().partition("\n")[0]
    except Exception:  # any template problem falls back to the event's name
        first_line = ""
    if first_line.startswith(SUBJECT_PREFIX):
        return " ".join(first_line[len(SUBJECT_PREFIX) :].split())
    reference = notification.reference
    return f"{reference}: {Event(notification.event).label}" if reference else Event(notification.event).label
