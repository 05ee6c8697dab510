"""Publication is one step: until a round publishes its decisions, an award or a decline is the fund's own —
councils see their bid in review with no amount (on their pages and through the API, by one rule), and the
public pages, the 360Giving package and the API's public data do not include the round."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from bids.choices import BidState
from bids.models import Bid
from bids.selectors import council_state, council_state_expression
from tests.factories import award, council_client, decline, make_council, make_round, publish_decisions
from tests.factories.assessments import make_in_review_bid, make_scored_bid

pytestmark = pytest.mark.django_db


@pytest.fixture
def decided(staff):
    """Round PB deciding: one bid awarded (£50,000), one not funded, recorded and not yet published."""
    funding_round = make_round(code="PB", budget="500000")
    bids = [
        make_in_review_bid(funding_round=funding_round, lead=make_council(code, name))
        for code, name in (("PB1", "Awardham"), ("PB2", "Declinby"))
    ]
    awarded, declined = (make_scored_bid(funding_round=funding_round, bid=bid) for bid in bids)
    award(awarded, amount=Decimal("50000"), conditions="Quarterly show and tells", by=staff)
    decline(declined, feedback="Not enough reuse", by=staff)
    return {"round": funding_round, "awarded": awarded, "declined": declined, "staff": staff}


def public_views(client: Client) -> dict[str, str]:
    package = b"".join(client.get(reverse("pipeline:funded_package")).streaming_content)
    api = b"".join(APIClient().get("/api/360giving/").streaming_content)
    return {"funded": client.get(reverse("pipeline:funded")).content.decode(), "package": package, "api": api}


def test_the_public_pages_and_open_data_show_the_round_only_once_published(client, decided):
    assert client.get(reverse("pipeline:funded_package")).status_code == 404  # nothing published at all
    # The API follows the page's rule: no package while nothing is published, none for an unpublished round.
    assert APIClient().get("/api/360giving/").status_code == 404
    assert APIClient().get("/api/360giving/", {"round": "PB"}).status_code == 404
    page = client.get(reverse("pipeline:funded")).content.decode()
    assert "Awardham" not in page and "No projects have been funded yet" in page
    assert client.get(reverse("pipeline:funded"), {"round": decided["round"].pk}).status_code == 400
    assert client.get(reverse("pipeline:funded_round_package", args=["PB"])).status_code == 404

    publish_decisions(decided["round"], by=decided["staff"])

    page = client.get(reverse("pipeline:funded"), {"round": decided["round"].pk}).content.decode()
    assert "Awardham Council" in page and "£50,000" in page and "Declinby" not in page
    package = json.loads(b"".join(client.get(reverse("pipeline:funded_round_package", args=["PB"])).streaming_content))
    assert [grant["amountAwarded"] for grant in package["grants"]] == [50000]
    api = b"".join(APIClient().get("/api/360giving/", {"round": "PB"}).streaming_content)
    assert api.startswith(b'{"version": "1.4"') and len(json.loads(api)["grants"]) == 1


def test_councils_see_a_decided_bid_in_review_with_no_amount_until_publication(decided):
    awarded, declined = decided["awarded"], decided["declined"]
    lead_client, lead = council_client(awarded.lead_council)
    token = APIClient()
    token.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=lead).key}")

    page = lead_client.get(reverse("bids:detail", args=[awarded.reference])).content.decode()
    assert (
        "In review" in page
        and "Awarded" not in page
        and "£50,000" not in page
        and "Quarterly show and tells" not in page
    )
    listing = lead_client.get(reverse("bids:list")).content.decode()
    assert "None: the fund is assessing the bid" in listing
    row = next(r for r in token.get("/api/bids/").json()["results"] if r["reference"] == awarded.reference)
    assert (row["state"], row["award_amount"], row["decided_at"]) == ("in_review", None, None)
    detail = token.get(f"/api/bids/{awarded.reference}/").json()
    assert (detail["state"], detail["award_amount"], detail["award_conditions"]) == ("in_review", None, "")
    assert "Awarded" not in [event["title"] for event in detail["timeline"]]
    # Filters and sorts use the same rule: a decided bid is in review to councils.
    assert [r["reference"] for r in token.get("/api/bids/", {"state": "awarded"}).json()["results"]] == []
    in_review = token.get("/api/bids/", {"state": "in_review"}).json()["results"]
    assert awarded.reference in [r["reference"] for r in in_review]
    declined_client, _ = council_client(declined.lead_council)
    page = declined_client.get(reverse("bids:detail", args=[declined.reference])).content.decode()
    assert "Not enough reuse" not in page

    publish_decisions(decided["round"], by=decided["staff"])

    page = lead_client.get(reverse("bids:detail", args=[awarded.reference])).content.decode()
    assert "Awarded £50,000" in page and "Quarterly show and tells" in page
    row = next(r for r in token.get("/api/bids/").json()["results"] if r["reference"] == awarded.reference)
    assert (row["state"], row["award_amount"]) == ("awarded", "50000.00")
    assert [r["reference"] for r in token.get("/api/bids/", {"state": "awarded"}).json()["results"]] == [
        awarded.reference
    ]
    assert (
        "Feedback: Not enough reuse"
        in declined_client.get(reverse("bids:detail", args=[declined.reference])).content.decode()
    )


def test_the_council_state_rule_is_the_same_in_python_and_in_the_database(decided):
    publish_decisions(make_round(code="PC"), by=decided["staff"])
    rows = Bid.objects.annotate(shown=council_state_expression()).values_list("state", "funding_round__state", "shown")
    for state, round_state, shown in rows:
        assert council_state(state, round_state) == shown
    assert council_state(BidState.AWARDED, "deciding") == BidState.IN_REVIEW
    assert council_state(BidState.AWARDED, "decisions_published") == BidState.AWARDED
    assert council_state(BidState.SCORED, "decisions_published") == BidState.IN_REVIEW
    assert council_state(BidState.INELIGIBLE, "assessing") == BidState.INELIGIBLE
