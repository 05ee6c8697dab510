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
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

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


_URL = re.compile(r"https?://[^\s<>\"']+")
# "View the bid: https://…" – a line that is a label and a link.
_LABELLED_LINK = re.compile(r"^(?P<label>[^:]{1,80}):\s*(?P<url>https?://\S+)$")
SIGNATURE = "--"


def _href(url: str) -> str:
    """Links to this service become paths, so they work on whatever host the page is read on."""
    if url.startswith(f"{settings.SITE_URL}/"):
        return url[len(settings.SITE_URL) :]
    return url


def _line_html(line: str) -> str:
    labelled = _LABELLED_LINK.match(line.strip())
    if labelled:
        return format_html('<a class="govuk-link" href="{}">{}</a>', _href(labelled["url"]), labelled["label"])
    parts, last = [], 0
    for match in _URL.finditer(line):
        parts.append(escape(line[last : match.start()]))
        parts.append(format_html('<a class="govuk-link" href="{}">{}</a>', _href(match[0]), match[0]))
        last = match.end()
    parts.append(escape(line[last:]))
    return "".join(parts)


def text_as_html(text: str) -> SafeString:
    """A plain-text email body as GOV.UK paragraphs for a page: blank lines separate paragraphs, each line of a
    paragraph keeps its own line, URLs become links ("Label: URL" lines become a link labelled Label), and the
    email's signature (from the "--" line) is left out."""
    lines = text.replace("\r\n", "\n").split("\n")
    if SIGNATURE in (line.strip() for line in lines):
        lines = lines[: [line.strip() for line in lines].index(SIGNATURE)]
    paragraphs = [block for block in "\n".join(lines).split("\n\n") if block.strip()]
    return mark_safe(  # every piece of text is escaped in _line_html
        "".join(
            '<p class="govuk-body">' + "<br>".join(_line_html(line) for line in block.strip().split("\n")) + "</p>"
            for block in paragraphs
        )
    )
