"""A form that makes something acts once, however often the same page is sent (`core.once`): a double click
with JavaScript off, Back and send again, two tabs."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from bids.models import Clarification
from core.models import SentForm
from core.once import SENT_TWICE
from councils.choices import Role
from tests.factories import client_for, make_round, make_user
from tests.factories.assessments import make_in_review_bid, make_staff

pytestmark = pytest.mark.django_db


def token_of(html: str) -> str:
    return re.search(r'name="sent_once" value="([0-9a-f]{32})"', html).group(1)


def test_the_same_question_sent_twice_is_asked_once_and_the_second_goes_where_the_first_led():
    bid = make_in_review_bid(funding_round=make_round(code="ON"))
    staff = client_for(make_staff())
    url = reverse("pipeline:clarification_ask", args=[bid.reference])
    token = token_of(staff.get(url).content.decode())
    reply_by = timezone.localdate() + timedelta(days=5)
    data = {
        "question": "Who hosts it?",
        "reply_by_day": reply_by.day,
        "reply_by_month": reply_by.month,
        "reply_by_year": reply_by.year,
        "sent_once": token,
    }
    # Refused first (no question): the token is freed, and the page shown again carries a new one.
    refused = staff.post(url, {**data, "question": ""})
    assert refused.status_code == 400 and token_of(refused.content.decode()) != token
    first = staff.post(url, data)
    second = staff.post(url, data, follow=True)
    assert first.status_code == 302
    assert second.redirect_chain[0][0] == first["Location"]
    assert SENT_TWICE in second.content.decode()
    assert Clarification.objects.filter(bid=bid, question="Who hosts it?").count() == 1
    # Another person cannot use someone else's token to learn where it led: nothing is made, they stay put.
    other = client_for(make_user(role=Role.PROGRAMME_STAFF, email="other.staff@example.test"))
    stolen = other.post(url, {**data, "question": "Again?"})
    assert stolen.status_code == 302 and stolen["Location"] == url
    assert not Clarification.objects.filter(question="Again?").exists()
    assert SentForm.objects.count() == 1
