"""Withdrawing a bid, as the lead council sees it: allowed until the round's decisions begin (a scored bid is in
review to a council, so it may be withdrawn too), refused in words that never give away a score or an unpublished
decision, and told to partner members and programme staff, a draft's withdrawal included. Also: a bid is
returned for changes only before any assessment was ever submitted."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from assessments import services as assessment_services
from bids import services
from bids.choices import BidState, RoundState
from core.exceptions import ApplicationError
from notifications.choices import Event
from notifications.models import Notification
from tests.factories import award, client_for, make_bid, make_council, make_round, make_user
from tests.factories.assessments import (
    assign,
    make_assessor,
    make_in_review_bid,
    make_scored_bid,
    make_staff,
    score_all,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(db):
    staff = make_staff()
    lead = make_council("LEA", "Leadshire")
    lead_user = make_user(councils=[lead])
    bid = make_scored_bid(funding_round=make_round(), lead=lead, by=lead_user)
    assert bid.state == BidState.SCORED
    return {"bid": bid, "lead_user": lead_user, "staff": staff}


def told(event: str) -> set[int]:
    return set(Notification.objects.filter(event=event).values_list("recipient_id", flat=True))


def flashed(response) -> str:
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def test_a_scored_bid_is_in_review_to_its_council_and_may_be_withdrawn_like_one(scored):
    bid, lead = scored["bid"], client_for(scored["lead_user"])
    page = lead.get(reverse("bids:detail", args=[bid.reference])).content.decode()
    assert "In review" in page and "Withdraw this bid" in page
    url = reverse("bids:withdraw", args=[bid.reference])
    assert lead.post(url, {"reason": "Our cabinet paused it", "confirm": "yes"}).status_code == 302
    bid.refresh_from_db()
    assert bid.state == BidState.WITHDRAWN
    assert scored["staff"].pk in told(Event.BID_WITHDRAWN)


def test_once_decisions_begin_no_bid_may_be_withdrawn_and_the_refusal_gives_nothing_away(scored):
    bid = award(scored["bid"])
    assert bid.funding_round.state == RoundState.DECIDING
    lead = client_for(scored["lead_user"])
    page = lead.get(reverse("bids:detail", args=[bid.reference])).content.decode()
    assert "In review" in page and "Withdraw this bid" not in page
    for response in (
        lead.get(reverse("bids:withdraw", args=[bid.reference]), follow=True),
        lead.post(reverse("bids:withdraw", args=[bid.reference]), {"reason": "x", "confirm": "yes"}, follow=True),
    ):
        said = flashed(response)
        assert "The programme team is making its decisions on this round’s bids" in said
        assert "awarded" not in said.lower() and "scored" not in said.lower()
    with pytest.raises(ApplicationError):  # (the pages word it for the council, above)
        services.bid_withdraw(bid=bid, by=scored["lead_user"], reason="Too late")
    bid.refresh_from_db()
    assert bid.state == BidState.AWARDED


def test_withdrawing_a_draft_is_told_to_partner_members_and_programme_staff():
    staff = make_staff()
    lead = make_council("LEA", "Leadshire")
    lead_user = make_user(councils=[lead])
    partner = make_council("PAR", "Partnerton")
    partner_user = make_user(councils=[partner])
    bid = make_bid(funding_round=make_round(), lead=lead, partners=[partner], by=lead_user)
    assert bid.state == BidState.DRAFT
    services.bid_withdraw(bid=bid, by=lead_user, reason="We found another way")
    assert told(Event.BID_WITHDRAWN) == {staff.pk, partner_user.pk}


def test_a_bid_is_not_returned_for_changes_once_an_assessment_was_submitted_even_if_reopened():
    staff = make_staff()
    bid = make_in_review_bid(funding_round=make_round())
    first, _second = assign(bid, [make_assessor(), make_assessor()])
    score_all(first, 4)
    assessment_services.assessment_reopen(assessment=first, by=staff, reason="Check your justification")
    bid.refresh_from_db()
    with pytest.raises(ApplicationError, match="an assessor has already submitted an assessment of it"):
        services.bid_return_for_changes(bid=bid, by=staff, message="Please change the costs")
    bid.refresh_from_db()
    assert bid.state == BidState.IN_REVIEW
