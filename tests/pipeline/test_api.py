"""The read API: token or session authentication, council users see only their councils' bids, filters."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from councils.choices import Role
from tests.factories import make_council, make_round, make_submitted_bid, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def bids(db):
    funding_round = make_round(code="AP")
    lead = make_council("APL", "Apiford")
    partner = make_council("APP", "Partnerapi")
    other = make_council("APO", "Elsewhere")
    own = make_submitted_bid(funding_round=funding_round, lead=lead, partners=[partner, make_council("AQ1")])
    partnered = make_submitted_bid(funding_round=funding_round, lead=other, partners=[lead, make_council("AQ2")])
    foreign = make_submitted_bid(
        funding_round=funding_round, lead=other, partners=[make_council("AQ3"), make_council("AQ4")]
    )
    return {"round": funding_round, "lead": lead, "own": own, "partnered": partnered, "foreign": foreign}


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def references(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["reference"] for row in response.json()["results"]}


def test_anonymous_callers_are_refused(bids):
    client = APIClient()
    assert client.get("/api/bids/").status_code == 401
    assert client.get(f"/api/bids/{bids['own'].reference}/").status_code == 401
    assert client.get("/api/rounds/").status_code == 401


def test_council_token_sees_only_its_councils_bids_and_others_are_404(bids):
    member = token_client(make_user(councils=[bids["lead"]]))
    assert references(member.get("/api/bids/")) == {bids["own"].reference, bids["partnered"].reference}
    assert member.get(f"/api/bids/{bids['own'].reference}/").status_code == 200
    assert member.get(f"/api/bids/{bids['foreign'].reference}/").status_code == 404
    assert member.get("/api/bids/LDF-NOPE-0001/").status_code == 404


def test_staff_token_sees_every_bid_with_history(bids):
    staff = token_client(make_user(role=Role.PROGRAMME_STAFF))
    assert references(staff.get("/api/bids/")) == {bids[k].reference for k in ("own", "partnered", "foreign")}
    detail = staff.get(f"/api/bids/{bids['foreign'].reference}/").json()
    assert detail["lead_council"] == {"code": "APO", "name": "Elsewhere Council"}
    assert [(h["transition"], h["source_state"], h["target_state"]) for h in detail["history"]] == [
        ("submit", "draft", "in_review")
    ]
    assert {p["council"]["code"] for p in detail["partners"]} == {"AQ3", "AQ4"}
    assert detail["amount_requested"] == "60000.00"


def test_session_authentication_works_too(bids):
    client = APIClient()
    client.force_login(make_user(role=Role.PROGRAMME_STAFF))
    assert len(references(client.get("/api/bids/"))) == 3


def test_list_takes_the_table_filters(bids):
    staff = token_client(make_user(role=Role.PROGRAMME_STAFF))
    assert references(staff.get("/api/bids/", {"lead_council": "APO"})) == {
        bids["partnered"].reference,
        bids["foreign"].reference,
    }
    assert references(staff.get("/api/bids/", {"q": "partnerapi"})) == {bids["own"].reference}
    assert references(staff.get("/api/bids/", {"state": "draft"})) == set()
    assert references(staff.get("/api/bids/", {"round": bids["round"].pk, "state": "in_review"})) == {
        bids[k].reference for k in ("own", "partnered", "foreign")
    }
    ordered = staff.get("/api/bids/", {"sort": "-reference"}).json()["results"]
    assert [row["reference"] for row in ordered] == sorted((row["reference"] for row in ordered), reverse=True)


def test_council_filters_cannot_widen_what_a_council_sees(bids):
    member = token_client(make_user(councils=[bids["lead"]]))
    assert references(member.get("/api/bids/", {"lead_council": "APO"})) == {bids["partnered"].reference}


def test_bad_filter_is_a_400_with_the_reason(bids):
    staff = token_client(make_user(role=Role.PROGRAMME_STAFF))
    response = staff.get("/api/bids/", {"score_min": "high"})
    assert response.status_code == 400
    assert "score_min" in response.json()


def test_rounds_and_open_data_endpoints(bids):
    staff = token_client(make_user(role=Role.PROGRAMME_STAFF))
    rounds = staff.get("/api/rounds/").json()["results"]
    assert [r["code"] for r in rounds] == ["AP"]
    assert {p["phase"] for p in rounds[0]["phases"]} == {"discovery", "alpha", "beta"}
    # AP is open for bids: nothing of it is public yet (a published round's package: test_publication.py).
    assert APIClient().get("/api/360giving/", {"round": "AP"}).status_code == 404
    assert APIClient().get("/api/360giving/", {"round": "NOPE"}).status_code == 404


def test_openapi_schema_describes_the_bids_endpoint_and_its_filters(db):
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = response.json()
    assert "/api/bids/" in schema["paths"] and "/api/bids/{reference}/" in schema["paths"]
    parameters = {p["name"] for p in schema["paths"]["/api/bids/"]["get"]["parameters"]}
    assert {"state", "round", "q", "region", "score_min", "needs_moderation", "sort", "page"} <= parameters
    assert "/api/360giving/" in schema["paths"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/bids/{ref}/",
        "/api/bids/{ref}/similar/",
        "/api/rounds/",
        "/api/projects/",
        "/api/360giving/",
    ],
)
def test_every_address_refuses_a_parameter_it_does_not_take(bids, path):
    """As the bid list does: an ignored parameter would look like an answer."""
    staff = token_client(make_user(role=Role.PROGRAMME_STAFF))
    response = staff.get(path.format(ref=bids["own"].reference), {"colour": "blue"})
    assert response.status_code == 400, response.content
    assert "‘colour’ is not a parameter of this address" in response.json()["colour"][0]


@pytest.mark.parametrize("path", ["/api/bids/", "/api/rounds/", "/api/projects/"])
def test_a_page_given_twice_is_refused_as_any_parameter_given_twice_is(bids, path):
    staff = token_client(make_user(role=Role.PROGRAMME_STAFF))
    response = staff.get(f"{path}?page=1&page=2")
    assert response.status_code == 400, response.content
    assert response.json() == {"page": ["Choose one page, not several"]}
    repeated_filter = staff.get("/api/bids/?state=submitted&state=draft")
    assert repeated_filter.status_code == 400 and "not several" in repeated_filter.json()["state"][0]


def test_a_page_past_the_last_is_not_found_and_says_which_pages_there_are(bids, monkeypatch):
    from pipeline.pagination import PageNumbers

    monkeypatch.setattr(PageNumbers, "page_size", 1)  # three bids: three pages
    staff = token_client(make_user(role=Role.PROGRAMME_STAFF))
    assert staff.get("/api/bids/", {"page": "3"}).status_code == 200
    for page in ("4", "99"):
        response = staff.get("/api/bids/", {"page": page})
        assert response.status_code == 404
        assert response.json() == {"detail": f"There is no page {page}: there are 3 pages of results"}
    one_round = staff.get("/api/rounds/", {"page": "2"})
    assert one_round.json() == {"detail": "There is no page 2: there is 1 page of results"}
    nothing = staff.get("/api/projects/", {"page": "2"})
    assert nothing.status_code == 404 and nothing.json() == {"detail": "There is no page 2: there are no results"}


def test_the_api_answers_in_json_with_the_reason_for_pages_formats_rounds_and_addresses(bids):
    staff = token_client(make_user(role=Role.PROGRAMME_STAFF))
    for page in ("abc", "0", "-1", "1.5", "²"):
        response = staff.get("/api/bids/", {"page": page})
        assert response.status_code == 400, (page, response.content)
        assert response.json() == {"page": ["Enter a page number: a whole number from 1"]}
    assert staff.get("/api/rounds/", {"page": "abc"}).status_code == 400
    wrong_format = staff.get("/api/bids/", {"format": "xml"})
    assert wrong_format.status_code == 406 and "‘xml’ is not a format of this API" in wrong_format.json()["detail"]
    for path in ("/api/bids/", "/api/projects/", "/api/rounds/"):
        assert staff.get(path, {"format": "json"}).status_code == 200, path
    unknown_round = staff.get("/api/bids/", {"round": bids["round"].pk + 1000})
    assert unknown_round.status_code == 400 and "No round has the id" in unknown_round.json()["round"][0]
    unknown_code = staff.get("/api/projects/", {"round": "R99"})
    assert unknown_code.status_code == 400 and "No round has the code R99" in unknown_code.json()["round"][0]
    assert staff.get("/api/projects/", {"round": "ap"}).status_code == 200
    for path in ("/api/", "/api/nothing-here/", "/api/bids/LDF-AP-9999/"):
        response = staff.get(path)
        assert response.status_code == 404 and response["Content-Type"] == "application/json", path
