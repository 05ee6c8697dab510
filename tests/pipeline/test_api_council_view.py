"""Councils (and assessors) get one view of a bid, on their pages and through the API alike: a scored bid is in
review, no score or moderation, history in councils' words with staff as "the programme team". They cannot
filter or sort on anything they cannot see, and a parameter they may not use is a 400 that says why."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from assessments import services as assessment_services
from bids import services
from bids.choices import BidState
from bids.selectors import COUNCIL_HIDDEN_FIELDS, bid_council_view
from councils.choices import Role
from tests.factories import make_council, make_round, make_user
from tests.factories.assessments import assign, make_assessor, make_in_review_bid, make_scored_bid

pytestmark = pytest.mark.django_db

# Anything a council must never read in an answer about its own bid.
FORBIDDEN_KEYS = {*COUNCIL_HIDDEN_FIELDS, "history", "transition", "source_state", "target_state"}


@pytest.fixture
def world(db):
    funding_round = make_round(code="CV")
    lead = make_council("CVL", "Viewshire")
    staff = make_user(role=Role.PROGRAMME_STAFF, name="Stella Staffer")
    bid = make_in_review_bid(funding_round=funding_round, lead=lead)
    lead_user = bid.created_by
    services.bid_return_for_changes(bid=bid, by=staff, message="Add the partner costs.")
    services.bid_submit(bid=bid, by=lead_user)
    other = make_in_review_bid(funding_round=funding_round, lead=lead, amount="50000")
    scored = make_scored_bid(funding_round=funding_round, bid=bid)
    assert scored.state == BidState.SCORED and scored.final_score is not None
    return {"round": funding_round, "bid": scored, "other": other, "lead_user": lead_user, "staff": staff}


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def keys(data) -> set[str]:
    """Every key anywhere in a JSON answer."""
    if isinstance(data, dict):
        return set(data) | {key for value in data.values() for key in keys(value)}
    if isinstance(data, list):
        return {key for item in data for key in keys(item)}
    return set()


def test_a_council_token_sees_a_scored_bid_as_in_review_without_scores(world):
    council = token_client(world["lead_user"])
    rows = council.get("/api/bids/").json()["results"]
    row = next(r for r in rows if r["reference"] == world["bid"].reference)
    assert row["state"] == "in_review"
    assert not keys(rows) & FORBIDDEN_KEYS
    detail = council.get(f"/api/bids/{world['bid'].reference}/")
    assert detail.status_code == 200
    data = detail.json()
    assert data["state"] == "in_review"
    assert not keys(data) & FORBIDDEN_KEYS
    body = detail.content.decode()
    assert "scored" not in body and str(world["bid"].final_score) not in body


def test_history_is_worded_for_councils_and_never_names_staff(world):
    data = token_client(world["lead_user"]).get(f"/api/bids/{world['bid'].reference}/").json()
    assert [(event["title"], event["by"]) for event in data["timeline"]] == [
        ("Started", world["lead_user"].full_name),
        ("Submitted", world["lead_user"].full_name),
        ("Returned for changes", "the programme team"),
        ("Submitted", world["lead_user"].full_name),
    ]
    assert data["timeline"][2]["note"] == "Add the partner costs."
    assert "Stella Staffer" not in json.dumps(data)


def test_the_api_and_the_page_give_councils_the_same_view(world, client):
    bid = world["bid"]
    view = bid_council_view(bid=bid)
    data = token_client(world["lead_user"]).get(f"/api/bids/{bid.reference}/").json()
    assert data["state"] == view.state == "in_review"
    assert [event["title"] for event in data["timeline"]] == [event.title for event in view.timeline]
    client.force_login(world["lead_user"])
    page = client.get(reverse("bids:detail", kwargs={"reference": bid.reference})).content.decode()
    assert "In review" in page and "Scored" not in page
    assert "Returned for changes" in page and "Stella Staffer" not in page


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"score_min": "50"}, "score_min"),
        ({"score_max": "90"}, "score_max"),
        ({"needs_moderation": "true"}, "needs_moderation"),
        ({"sort": "score"}, "sort"),
        ({"sort": "-score"}, "sort"),
        ({"state": "scored"}, "state"),
        ({"final_score": "80"}, "final_score"),
        ({"ordering": "final_score"}, "ordering"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_a_council_cannot_filter_or_sort_on_what_it_cannot_see(world, params, named):
    response = token_client(world["lead_user"]).get("/api/bids/", params)
    assert response.status_code == 400, response.content
    errors = response.json()
    assert list(errors) == [named]
    assert errors[named][0]


def test_a_staff_only_filter_is_refused_with_the_reason(world):
    response = token_client(world["lead_user"]).get("/api/bids/", {"needs_moderation": "true"})
    assert "programme staff only" in response.json()["needs_moderation"][0]


def test_council_filters_and_sorts_use_the_state_councils_see(world):
    council = token_client(world["lead_user"])
    in_review = {r["reference"] for r in council.get("/api/bids/", {"state": "in_review"}).json()["results"]}
    assert in_review == {world["bid"].reference, world["other"].reference}
    assert council.get("/api/bids/", {"state": "awarded", "page": "1"}).json()["results"] == []
    for sort in ("state", "-state"):
        rows = council.get("/api/bids/", {"sort": sort, "format": "json"}).json()["results"]
        assert {r["state"] for r in rows} == {"in_review"}
    rows = council.get("/api/bids/", {"sort": "-amount", "q": "Viewshire"}).json()["results"]
    assert [r["reference"] for r in rows] == [world["bid"].reference, world["other"].reference]


def test_an_assessor_token_sees_only_assigned_declared_bids_without_scores(world):
    assessor = make_assessor()
    # (The world's round is already assessing: these bids are submitted to another round.)
    later_round = make_round(code="CW")
    fresh = make_in_review_bid(funding_round=later_round)
    waiting = make_in_review_bid(funding_round=later_round)
    (declared,) = assign(fresh, [assessor])
    assign(waiting, [assessor])
    api = token_client(assessor)
    assert api.get("/api/bids/").json()["results"] == []
    assessment_services.assessment_declare(assessment=declared, by=assessor, conflict=False)
    rows = api.get("/api/bids/").json()["results"]
    assert [r["reference"] for r in rows] == [fresh.reference]
    assert not keys(rows) & FORBIDDEN_KEYS
    assert api.get(f"/api/bids/{waiting.reference}/").status_code == 404
    assert api.get(f"/api/bids/{world['bid'].reference}/").status_code == 404
    assert api.get("/api/bids/", {"sort": "score"}).status_code == 400


def test_staff_keep_every_field_and_filter(world):
    staff = token_client(world["staff"])
    rows = staff.get("/api/bids/", {"needs_moderation": "false", "sort": "-score"}).json()["results"]
    row = next(r for r in rows if r["reference"] == world["bid"].reference)
    assert row["state"] == "scored" and row["final_score"] == str(world["bid"].final_score)
    detail = staff.get(f"/api/bids/{world['bid'].reference}/").json()
    assert detail["state"] == "scored"
    assert "Stella Staffer" in {entry["by"] for entry in detail["history"]}


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"colour": "blue"}, "colour"),
        ({"ordering": "final_score"}, "ordering"),
        ({"needs_moderation": "maybe"}, "needs_moderation"),
        ({"round": "1.5"}, "round"),
        ({"round": "99999999999999999999"}, "round"),  # beyond what the database holds (SQLite crashed on it)
        ({"round": "-99999999999999999999"}, "round"),
        ({"state": ["scored", "draft"]}, "state"),
    ],
)
def test_staff_are_told_of_a_filter_that_does_not_exist_or_a_value_it_does_not_take(world, params, named):
    """As councils are: an ignored filter would look like an answer."""
    response = token_client(world["staff"]).get("/api/bids/", params)
    assert response.status_code == 400, response.content
    assert list(response.json()) == [named]
