"""Query counts of the staff pages, the API and the public pages do not grow with data: measured at 100 bids,
then again after bulk-inserting 4,900 more, they must be equal and within budget. (bench/pipeline.py prints the
same pages' counts at 100,000 bids.)

The 360Giving download streams its grants a chunk at a time (pipeline/opendata.py, CHUNK_SIZE): its count is
fixed per chunk of grants, and both sizes here fit in one chunk."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from bids.choices import BidState
from bids.models import Bid
from councils.models import Council
from pipeline.seeding import seed_programme
from tests.factories import client_for, make_user

pytestmark = pytest.mark.django_db

BUDGETS = {
    "dashboard": 10,
    "dashboard_round": 10,
    "table": 8,
    "table_filtered": 8,
    "table_search": 8,
    "detail": 15,
    "ranking": 12,
    "api": 8,
    "api_detail": 8,
    # Both also read the projects' latest change for Last-Modified; /funded/ shows each project's state, outputs
    # and reusing councils (three queries a page); the package reads its grants' projects' latest change (one
    # query a chunk of 1,000).
    "funded": 13,
    "package": 11,
}
# Pages anyone may request, without signing in.
PUBLIC = {"funded", "package"}


def measure(client: Client, token: str, urls: dict[str, str]) -> dict[str, int]:
    counts = {}
    for name, url in urls.items():
        headers = {"HTTP_AUTHORIZATION": f"Token {token}"} if name.startswith("api") else {}
        asker = Client(**headers) if headers else Client() if name in PUBLIC else client
        cache.clear()  # cold: without the cached dashboard
        with CaptureQueriesContext(connection) as queries:
            response = asker.get(url)
            if response.streaming:
                b"".join(response.streaming_content)
        assert response.status_code == 200, (name, response.status_code)
        with CaptureQueriesContext(connection) as warm:
            again = asker.get(url)
            if again.streaming:
                b"".join(again.streaming_content)
        counts[f"{name} (warm)"] = len(warm)
        if name == "table":
            assert (
                response.content.decode().count(
                    '<td class="govuk-table__cell"><a class="govuk-link" href="/pipeline/bids/'
                )
                == 50
            )
        counts[name] = len(queries)
    return counts


def urls_for(tag: str) -> dict[str, str]:
    scored = Bid.objects.filter(state=BidState.SCORED, reference__contains=f"-{tag}").order_by("pk").first()
    first_round = Bid.objects.filter(reference__contains=f"-{tag}").first().funding_round_id
    return {
        "dashboard": "/pipeline/",
        "dashboard_round": f"/pipeline/?round={first_round}",
        "table": "/pipeline/bids/",
        "table_filtered": "/pipeline/bids/?q=LDF&state=&region=&sort=-amount&needs_moderation=false",
        "table_search": f"/pipeline/bids/?q={scored.reference}&sort=-score",
        "detail": f"/pipeline/bids/{scored.reference}/",
        "ranking": f"/assessments/staff/rounds/{scored.funding_round_id}/ranking/",
        "api": "/api/bids/?sort=-amount",
        "api_detail": f"/api/bids/{scored.reference}/",
        "funded": "/funded/",
        "package": "/funded/360giving.json",
        "api_council": "/api/bids/",
    }


def test_page_query_counts_are_the_same_at_100_and_5000_bids():
    from councils.choices import Role

    seed_programme(bids=100, rounds=2, tag="QA", assessors=8)
    staff = make_user(role=Role.PROGRAMME_STAFF)
    client = client_for(staff)
    token = Token.objects.create(user=staff).key
    # A council member who sees more than a page of bids at both sizes (lead councils of 60 of the bids).
    leads = Council.objects.filter(pk__in=Bid.objects.order_by("pk").values("lead_council_id")[:60])
    member = make_user(councils=list(leads))
    member_token = Token.objects.create(user=member).key

    def run(tag: str) -> dict[str, int]:
        urls = urls_for(tag)
        council_url = urls.pop("api_council")
        counts = measure(client, token, urls)
        with CaptureQueriesContext(connection) as queries:
            assert Client(HTTP_AUTHORIZATION=f"Token {member_token}").get(council_url).status_code == 200
        counts["api_council"] = len(queries)
        return counts

    small = run("QA")
    seed_programme(bids=4900, rounds=2, tag="QB", assessors=8, seed=2, with_scores=False)
    assert Bid.objects.count() == 5000
    large = run("QB")
    assert small == large, f"query counts grew with data: {small} → {large}"
    print(large)
    for name, budget in BUDGETS.items():
        assert large[name] <= budget, f"{name}: {large[name]} queries, budget {budget}"
    assert large["api_council"] <= BUDGETS["api"]
