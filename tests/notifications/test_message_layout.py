"""A message reads as paragraphs with links, on the Notifications page and in the emails: the bid's details on
their own lines, "View the bid: https://…" as a link, nothing run together, no signature on the page."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications.choices import Event, Status
from notifications.models import Notification
from notifications.rendering import render_email, text_as_html
from tests.factories import make_user

pytestmark = pytest.mark.django_db

CONTEXT = {
    "reference": "LDF-R7-0004",
    "title": "Shared repairs",
    "lead_council": "Bristol City Council",
    "partner_council": "Bath and North East Somerset Council",
    "round": "Round 7",
    "audience": "partner",
    "amount_requested": "60000.00",
    "amount_awarded": "55000.00",
    "conditions": "Weeknotes",
    "response": "confirmed",
    "responded_by": "Pat Partner",
    "message": "Please add costs",
    "reason": "Not a signatory",
    "feedback": "Not this time",
    "assessor_name": "Ann Assessor",
    "details": "I advised the lead council",
    "criteria": ["Strategic fit"],
    "final_score": "75.00",
    "due_date_display": "1 June 2026",
    "days": 7,
    "closes_at_display": "1 June 2026 at midday",
    "bid_path": "/bids/LDF-R7-0004/",
    "invitation_path": "/bids/LDF-R7-0004/invitation/",
    "assessment_path": "/assessments/1/",
}


def notification(user, event: str) -> Notification:
    return Notification.objects.create(
        event=event,
        recipient=user,
        template=f"emails/{event}",
        context=CONTEXT,
        dedupe_key=f"{event}:{user.pk}:{timezone.now().timestamp()}",
        reference=CONTEXT["reference"],
        status=Status.SENT,
    )


def test_the_page_shows_the_message_as_paragraphs_and_links(client, settings):
    user = make_user()
    note = notification(user, Event.PARTNER_INVITED)
    client.force_login(user)
    page = client.get(reverse("notifications:detail", args=[note.pk])).content.decode()
    body = re.search(r'<div id="message-body">(.*?)</div>', page, re.S).group(1)
    assert (
        "Reference: LDF-R7-0004<br>Bid: Shared repairs<br>Lead council: Bristol City Council<br>Round: Round 7" in body
    )
    assert '<a class="govuk-link" href="/bids/LDF-R7-0004/invitation/">Confirm or decline</a>' in body
    assert body.count('<p class="govuk-body">') >= 4
    assert settings.SITE_URL not in body  # the service's own links are paths
    assert "--" not in body and "http" not in re.sub(r'href="[^"]*"', "", body)


def test_text_as_html_escapes_text_and_links_other_urls(settings):
    html = text_as_html(
        "Hello <script>alert(1)</script>\nSee https://example.org/a?b=1 for more.\n\n"
        f"View the bid: {settings.SITE_URL}/bids/X/\n\n--\nSignature"
    )
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert '<a class="govuk-link" href="https://example.org/a?b=1">https://example.org/a?b=1</a> for more.' in html
    assert '<a class="govuk-link" href="/bids/X/">View the bid</a>' in html
    assert "Signature" not in html


@pytest.mark.parametrize("event", list(Event))
def test_every_email_links_its_urls_and_keeps_the_details_on_their_own_lines(event):
    email = render_email(notification(make_user(), event))
    outside_links = re.sub(r"<a\b[^>]*>.*?</a>", "", email.html, flags=re.S)
    outside_links = re.sub(r'href="[^"]*"', "", outside_links)
    assert "http" not in outside_links, event  # every URL in the HTML email is a link
    if "Reference:" in email.text:
        assert re.search(r"Reference: LDF-R7-0004\r?\nBid: Shared repairs", email.text), event
    for line in email.text.splitlines():
        if "http" in line:
            assert re.fullmatch(r"([^:]{1,80}: )?https?://\S+", line.strip()), line  # a URL on a line of its own
