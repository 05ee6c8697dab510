"""Staff decide on rounds and budgets, so what they see of them is never stale: a new round, a changed budget or
an award shows on the very next request (the dashboard's cached content included), and a `?round=` that names
no round is a clear error, never a quiet fall-back to every round."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bids.models import FundingRound
from bids.services import bid_award
from tests.factories import award, make_council, make_round, publish_decisions
from tests.factories.assessments import make_scored_bid

pytestmark = pytest.mark.django_db


def remaining(html: str) -> str:
    return re.search(r'id="budget-remaining">([^<]+)<', html).group(1)


def round_options(html: str) -> list[str]:
    return re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', html)


def test_a_new_round_is_listed_and_can_be_chosen_on_the_very_next_request(staff_client, small_round):
    dashboard = reverse("pipeline:dashboard")
    assert round_options(staff_client.get(dashboard).content.decode()) == [small_round.name]

    new = make_round(code="NEW", budget="300000")

    html = staff_client.get(dashboard).content.decode()
    assert new.name in round_options(html)
    response = staff_client.get(dashboard, {"round": new.pk})
    assert response.status_code == 200
    assert remaining(response.content.decode()) == "£300,000"
    assert new.name in round_options(staff_client.get(reverse("pipeline:bids")).content.decode())
    # The public page knows a round only once its decisions are published.
    assert staff_client.get(reverse("pipeline:funded"), {"round": new.pk}).status_code == 400


def test_a_changed_budget_shows_on_the_very_next_request(staff_client, scored_bid):
    funding_round = scored_bid.funding_round
    dashboard = reverse("pipeline:dashboard")
    assert remaining(staff_client.get(dashboard, {"round": funding_round.pk}).content.decode()) == "£100,000"
    assert remaining(staff_client.get(dashboard).content.decode()) == "£100,000"

    funding_round.budget = Decimal("150000")
    funding_round.save()  # as Django admin does

    assert remaining(staff_client.get(dashboard, {"round": funding_round.pk}).content.decode()) == "£150,000"
    assert remaining(staff_client.get(dashboard).content.decode()) == "£150,000"
    award_page = staff_client.get(
        reverse("pipeline:bid_decide", kwargs={"reference": scored_bid.reference, "decision": "award"})
    ).content.decode()
    assert "£150,000" in award_page

    FundingRound.objects.filter(pk=funding_round.pk).update(budget=Decimal("90000"))  # even past save()

    assert remaining(staff_client.get(dashboard, {"round": funding_round.pk}).content.decode()) == "£90,000"


def test_an_award_shows_in_the_remaining_budget_on_the_very_next_request(staff_client, scored_bid, staff):
    dashboard = reverse("pipeline:dashboard")
    assert remaining(staff_client.get(dashboard).content.decode()) == "£100,000"

    bid_award(bid=scored_bid, by=staff, amount=Decimal("60000"))

    html = staff_client.get(dashboard).content.decode()
    assert remaining(html) == "£40,000"
    assert 'id="total-awarded">£60,000<' in html


def test_the_dashboard_is_rendered_once_per_version_of_its_data(staff_client, scored_bid, staff):
    dashboard = reverse("pipeline:dashboard")

    def aggregates_run() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert staff_client.get(dashboard).status_code == 200
        return sum('"amount_requested"' in query["sql"] and "SUM(" in query["sql"] for query in queries)

    assert aggregates_run() == 1
    assert aggregates_run() == 0  # from the cache
    bid_award(bid=scored_bid, by=staff, amount=Decimal("60000"))
    assert aggregates_run() == 1  # a new version
    assert aggregates_run() == 0


@pytest.mark.parametrize("wanted", ["999999", "nonsense", "1.5", "-1"])
@pytest.mark.parametrize("page", ["pipeline:dashboard", "pipeline:funded"])
def test_a_round_that_does_not_exist_is_an_error_not_every_round(
    client, staff_client, small_round, staff, page, wanted
):
    award(make_scored_bid(funding_round=small_round, lead=make_council("ERR", "Errorby")), by=staff)
    publish_decisions(small_round, by=staff)
    user_client = staff_client if page == "pipeline:dashboard" else client
    response = user_client.get(reverse(page), {"round": wanted})
    assert response.status_code == 400
    html = response.content.decode()
    assert "<title>Error: " in html
    assert "There is a problem" in html and '<a href="#round">Select a round from the list</a>' in html
    assert 'id="round"' in html and small_round.name in round_options(html)
    assert "All rounds" not in re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S).group(1)
    assert 'id="total-bids"' not in html  # no figures for rounds nobody asked for


def test_an_unknown_round_in_the_bid_table_is_a_filter_error(staff_client, scored_bid):
    response = staff_client.get(reverse("pipeline:bids"), {"round": "999999"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html and '<a href="#id_round">Select a round from the list</a>' in html
    assert 'class="govuk-select govuk-select--error" id="id_round"' in html
    # Like any bad filter value it is left out, and the page says so: the round list shows "All rounds".
    assert "selected>" not in html.split('id="id_round"')[1].split("</select>")[0]


def test_no_round_chosen_still_means_every_round(staff_client, client, small_round):
    assert staff_client.get(reverse("pipeline:dashboard"), {"round": ""}).status_code == 200
    assert client.get(reverse("pipeline:funded"), {"round": ""}).status_code == 200
