"""The staff bid table: every filter, search, sorting, pagination, bad input, and the CSV download."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse

from bids.choices import BidState, Phase
from bids.models import Bid
from councils.choices import CouncilType
from pipeline.exports import HEADER, safe_cell
from tests.factories import make_bid, make_council, make_round, make_submitted_bid

pytestmark = pytest.mark.django_db


@pytest.fixture
def table(db):
    """Four bids over two rounds whose attributes differ one filter at a time."""
    north = make_council("NWA", "Northwick", council_type=CouncilType.METROPOLITAN, region="North West")
    south = make_council("SWA", "Southam", council_type=CouncilType.DISTRICT, region="South West")
    partner = make_council("PTN", "Partnerham")
    other = make_council("OTN", "Otherton")
    r1, r2 = make_round(code="TA"), make_round(code="TB")
    a = make_submitted_bid(funding_round=r1, lead=north, partners=[partner, other])
    b = make_submitted_bid(funding_round=r1, lead=south, partners=[other, make_council("XTN", "Extraton")])
    c = make_bid(funding_round=r2, lead=north, partners=[other])  # draft
    d = make_submitted_bid(funding_round=r2, lead=south, partners=[other, make_council("YTN", "Whyton")])
    Bid.objects.filter(pk=a.pk).update(
        title="Housing repairs front door",
        summary="Repairs for tenants",
        phase=Phase.DISCOVERY,
        amount_requested=Decimal("70000"),
        final_score=Decimal("87.50"),
        state=BidState.SCORED,
    )
    Bid.objects.filter(pk=b.pk).update(
        title="Planning data standard",
        summary="Open planning applications",
        phase=Phase.ALPHA,
        amount_requested=Decimal("200000"),
        final_score=Decimal("27.50"),
        needs_moderation=True,
    )
    Bid.objects.filter(pk=c.pk).update(title="Parking permits", summary="Permits online", phase=Phase.BETA)
    Bid.objects.filter(pk=d.pk).update(
        title="Blue Badge renewals", summary="No more paper forms", phase=Phase.ALPHA, amount_requested=Decimal("90000")
    )
    return {"a": a, "b": b, "c": c, "d": d, "r1": r1, "r2": r2}


def references(response) -> list[str]:
    return re.findall(r'href="/pipeline/bids/(LDF-[^/"]+)/"', response.content.decode())


def listed(client, **params) -> set[str]:
    response = client.get(reverse("pipeline:bids"), params)
    assert response.status_code == 200, response.content.decode()[:500]
    return set(references(response))


def refs(table, *keys) -> set[str]:
    return {table[key].reference for key in keys}


def test_unfiltered_table_lists_every_bid_with_its_columns(staff_client, table):
    response = staff_client.get(reverse("pipeline:bids"))
    html = response.content.decode()
    assert set(references(response)) == refs(table, "a", "b", "c", "d")
    assert "4 bids" in html
    assert "Housing repairs front door" in html and "Northwick" in html and "£70,000" in html and "87.50" in html
    assert "Moderate" in html  # bid b needs moderation


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"state": "scored"}, ("a",)),
        ({"state": "draft"}, ("c",)),
        ({"phase": "alpha"}, ("b", "d")),
        ({"lead_council": "NWA"}, ("a", "c")),
        ({"council_type": "district"}, ("b", "d")),
        ({"region": "North West"}, ("a", "c")),
        ({"score_min": "80"}, ("a",)),
        ({"score_max": "30"}, ("b",)),
        ({"score_min": "20", "score_max": "100"}, ("a", "b")),
        ({"needs_moderation": "true"}, ("b",)),
        ({"needs_moderation": "false"}, ("a", "c", "d")),
        ({"q": "badge"}, ("d",)),  # title
        ({"q": "tenants"}, ("a",)),  # summary
        ({"q": "southam"}, ("b", "d")),  # lead council name
        ({"q": "partnerham"}, ("a",)),  # partner council name
        ({"q": "whyton"}, ("d",)),  # another partner
        ({"q": "nothing like this"}, ()),
        ({"region": "South West", "phase": "alpha", "q": "planning"}, ("b",)),
    ],
)
def test_each_filter_narrows_the_table(staff_client, table, params, expected):
    assert listed(staff_client, **params) == refs(table, *expected)


def test_round_filter_and_reference_search(staff_client, table):
    assert listed(staff_client, round=table["r2"].pk) == refs(table, "c", "d")
    assert listed(staff_client, q=table["b"].reference.lower()) == refs(table, "b")


def test_sorting_by_amount_both_ways_and_by_score(staff_client, table):
    ascending = references(staff_client.get(reverse("pipeline:bids"), {"sort": "amount", "state": "in_review"}))
    assert ascending == [table["d"].reference, table["b"].reference]
    descending = references(staff_client.get(reverse("pipeline:bids"), {"sort": "-amount", "state": "in_review"}))
    assert descending == [table["b"].reference, table["d"].reference]
    by_score = references(staff_client.get(reverse("pipeline:bids"), {"sort": "-score", "score_min": "0"}))
    assert by_score == [table["a"].reference, table["b"].reference]
    html = staff_client.get(reverse("pipeline:bids"), {"sort": "-amount"}).content.decode()
    assert 'aria-sort="descending"' in html


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"score_min": "abc"}, "Enter the final score ‘from’ as a number from 0 to 100"),
        ({"score_min": "5e1"}, "Enter the final score ‘from’ as a number from 0 to 100"),
        ({"score_min": "80", "score_max": "20"}, "must be the same as or more than"),
        ({"score_max": "101"}, "Enter the final score ‘to’ as a number from 0 to 100"),
        ({"state": "exploded"}, "Select a valid choice"),
        ({"sort": "password"}, "Select a valid choice"),
        ({"round": "1.5"}, "Enter a whole number"),
        ({"round": "999999"}, "Select a round from the list"),
        ({"needs_moderation": "maybe"}, "Select a valid choice"),
        ({"state": ["scored", "draft"]}, "Choose one status, not several"),
    ],
)
# The CSV download refuses what the table refuses (with the table page, saying why): a download is never wider
# than the filters it was asked for.
@pytest.mark.parametrize("page", ["pipeline:bids", "pipeline:bids_csv"])
def test_bad_filter_values_explain_themselves_and_never_fail(staff_client, table, params, message, page):
    response = staff_client.get(reverse(page), params)
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html and message in html
    assert len(references(response)) >= 1  # the valid filters still apply; the page still works


def test_pagination_shows_fifty_rows_a_page(staff_client, db):
    from pipeline.seeding import seed_programme

    seed_programme(bids=60, rounds=1, tag="PG", assessors=4, with_scores=False)
    first = staff_client.get(reverse("pipeline:bids"), {"q": "LDF-PG"})
    assert len(references(first)) == 50
    assert "page 1 of 2" in first.content.decode()
    second = staff_client.get(reverse("pipeline:bids"), {"q": "LDF-PG", "page": 2})
    assert len(references(second)) == 10
    assert not set(references(first)) & set(references(second))
    # Each page of the list has its own title (the first needs no number).
    assert "<title>Bids – " in first.content.decode()
    assert "<title>Bids (page 2 of 2) – " in second.content.decode()
    assert staff_client.get(reverse("pipeline:bids"), {"page": "999"}).status_code == 200


# --- CSV ------------------------------------------------------------------------------------------------


def read_csv(response) -> list[list[str]]:
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def test_csv_streams_the_filtered_set_with_a_header_row(staff_client, table):
    response = staff_client.get(reverse("pipeline:bids_csv"), {"phase": "alpha", "sort": "amount"})
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="bids-')
    rows = read_csv(response)
    assert rows[0] == HEADER
    assert [row[0] for row in rows[1:]] == [table["d"].reference, table["b"].reference]
    b_row = dict(zip(HEADER, rows[2], strict=True))
    assert b_row["Lead council"] == "Southam Council" and b_row["Lead council code"] == "SWA"
    assert b_row["Region"] == "South West" and b_row["Phase"] == "Alpha" and b_row["Status"] == "In review"
    assert b_row["Amount requested (£)"] == "200000.00" and b_row["Final score"] == "27.50"
    assert b_row["Needs moderation"] == "Yes"
    assert b_row["Partner councils"] == "Extraton Council; Otherton Council"


def test_csv_cells_that_a_spreadsheet_would_run_as_formulas_are_neutralised(staff_client, table):
    Bid.objects.filter(pk=table["a"].pk).update(title='=HYPERLINK("http://evil.example","Click")')
    Bid.objects.filter(pk=table["b"].pk).update(title="+SUM(A1:A9)")
    Bid.objects.filter(pk=table["d"].pk).update(title="@cmd|' /C calc'!A0")
    rows = {row[0]: row for row in read_csv(staff_client.get(reverse("pipeline:bids_csv")))[1:]}
    assert rows[table["a"].reference][2] == '\'=HYPERLINK("http://evil.example","Click")'
    assert rows[table["b"].reference][2] == "'+SUM(A1:A9)"
    assert rows[table["d"].reference][2] == "'@cmd|' /C calc'!A0"
    assert rows[table["c"].reference][2] == "Parking permits"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+44 20", "'+44 20"),
        ("-3", "'-3"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\tTabbed", "'\tTabbed"),
        ("\rReturn", "'\rReturn"),
        ("Plain = text", "Plain = text"),
        (None, ""),
        (True, "Yes"),
        (Decimal("4.50"), "4.50"),
    ],
)
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def test_csv_is_for_staff_only(client, table):
    from tests.factories import council_client

    member, _ = council_client(table["a"].lead_council)
    assert member.get(reverse("pipeline:bids_csv")).status_code == 404
    assert client.get(reverse("pipeline:bids_csv")).status_code == 302
