"""A planned start date before the round closes is refused, on the page (inline, on the date) and as a
submission rule; the hint says which date is the earliest."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from bids import services
from bids.models import Bid
from core.exceptions import ApplicationError
from core.formatting import govuk_date, govuk_deadline
from tests.factories import make_bid

pytestmark = pytest.mark.django_db


def timeline(start, version: int = 0) -> dict:
    return {
        "version": version,
        "planned_start_day": start.day,
        "planned_start_month": start.month,
        "planned_start_year": start.year,
        "duration_months": "6",
        "lead_contact_name": "Lee Lead",
        "lead_contact_email": "lee@example.test",
    }


def test_a_start_nine_months_ago_is_refused_on_the_date(draft, lead_user, client, funding_round):
    client.force_login(lead_user)
    start = timezone.localdate() - timedelta(days=270)
    response = client.post(reverse("bids:section", args=[draft.reference, "timeline"]), timeline(start))
    assert response.status_code == 400
    page = response.content.decode()
    closes = govuk_date(timezone.localtime(funding_round.closes_at).date())
    deadline = govuk_deadline(funding_round.closes_at)
    message = f"The planned start date must be on or after {closes}: {funding_round.name} closes at {deadline}"
    assert f'<a href="#id_planned_start_day">{message}</a>' in page  # the summary links to the date
    assert 'id="planned-start-error"' in page and "govuk-form-group--error" in page  # and it is shown inline
    assert f"On or after {closes} ({funding_round.name} closes at {deadline})" in page  # the hint said so before
    draft.refresh_from_db()
    assert draft.planned_start is None and draft.duration_months is None  # nothing of the page was saved


def test_the_day_the_round_closes_is_accepted(draft, lead_user, client, funding_round):
    client.force_login(lead_user)
    closes = timezone.localtime(funding_round.closes_at).date()
    response = client.post(reverse("bids:section", args=[draft.reference, "timeline"]), timeline(closes))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.planned_start == closes


def test_an_early_start_already_saved_stops_the_submission(funding_round, councils, lead_user):
    bid = make_bid(
        funding_round=funding_round, lead=councils["lead"], partners=[councils["p1"], councils["p2"]], by=lead_user
    )
    Bid.objects.filter(pk=bid.pk).update(planned_start=timezone.localdate() - timedelta(days=1))
    bid.refresh_from_db()
    with pytest.raises(ApplicationError) as error:
        services.bid_submit(bid=bid, by=lead_user)
    problem = next(p for p in error.value.problems if "planned start date" in p.message)
    assert problem.section == "timeline"
