"""The staff bid page: content, partners, costs, assessments and scores, history with time in each state,
and the notifications sent about the bid."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from bids.models import BidTransition
from bids.services import bid_award
from notifications.models import Notification
from pipeline.selectors import staff_bid_page

pytestmark = pytest.mark.django_db


def test_staff_page_shows_everything_about_the_bid(staff_client, scored_bid, staff):
    bid_award(bid=scored_bid, by=staff, amount=Decimal("60000"), conditions="Share the code")
    response = staff_client.get(reverse("pipeline:bid_detail", args=[scored_bid.reference]))
    assert response.status_code == 200
    html = response.content.decode()
    assert scored_bid.title in html and "Scoreshire Council" in html
    assert "Paper forms." in html and "Agile sprints." in html  # the bid's answers
    for partner in scored_bid.partners.all():
        assert partner.council.official_name in html
    assert "Staff" in html and "Supplier" in html  # cost lines
    assert 'id="assessments"' in html and 'id="moderation"' in html and "Strategic fit" in html
    assert "Share the code" in html
    # History: submitted, sifted eligible, scored, awarded — who and when.
    assert html.count('class="app-timeline__item"') == 4
    assert "Sifted: eligible" in html
    assert "In review to Scored" in html and "Scored to Awarded" in html and "By Pat Programme" in html
    # Notifications sent about the bid, from the outbox.
    assert Notification.objects.filter(reference=scored_bid.reference).exists()
    assert 'id="notifications"' in html and "Awarded" in html


def test_time_in_each_state_comes_from_the_history(scored_bid, staff):
    now = timezone.now()
    start = now - timedelta(days=30)
    type(scored_bid).objects.filter(pk=scored_bid.pk).update(created_at=start)
    # Submitted after 5 days, sifted 5 days later, scored 15 days after that.
    moments = iter([start + timedelta(days=5), start + timedelta(days=10), start + timedelta(days=25)])
    for row in BidTransition.objects.filter(bid=scored_bid).order_by("at", "pk"):
        BidTransition.objects.filter(pk=row.pk).update(at=next(moments))
    page = staff_bid_page(user=staff, reference=scored_bid.reference, now=now)
    spent = {row.state: row.duration for row in page.time_in_states}
    assert spent["draft"] == timedelta(days=5)
    assert spent["in_review"] == timedelta(days=20)
    assert spent["scored"] == timedelta(days=5)  # still scored: until now
    assert [entry.time_in_source for entry in page.timeline] == [
        timedelta(days=5),
        timedelta(days=5),
        timedelta(days=15),
    ]
    assert [decision for decision, _label in page.decisions] == ["award", "decline"]


def test_unknown_reference_is_404(staff_client):
    assert staff_client.get(reverse("pipeline:bid_detail", args=["LDF-NONE-0001"])).status_code == 404
