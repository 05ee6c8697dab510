"""The ranking page shows a page of rows at a time (a round may have thousands of scored bids), with the ranks,
running totals and funding line of the whole ranking."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from assessments.selectors import round_ranking
from assessments.views import RANKING_PAGE_SIZE
from bids.models import FundingRound
from councils.choices import Role
from pipeline.seeding import seed_programme
from tests.factories import client_for, make_user

pytestmark = pytest.mark.django_db


def ranks(html: str) -> list[int]:
    cells = re.findall(
        r'<td class="govuk-table__cell govuk-table__cell--numeric">(\d+)</td>\s*<td class="govuk-table__cell"><a', html
    )
    return [int(n) for n in cells]


def test_ranking_is_paginated_and_keeps_the_whole_rankings_figures():
    seed_programme(bids=300, rounds=1, tag="RK", assessors=8)
    funding_round = FundingRound.objects.get(code="RK01")
    ranking = round_ranking(funding_round=funding_round)
    assert len(ranking.rows) > RANKING_PAGE_SIZE
    client = client_for(make_user(role=Role.PROGRAMME_STAFF))
    url = reverse("assessments:ranking", args=[funding_round.pk])

    first = client.get(url).content.decode()
    assert ranks(first) == list(range(1, RANKING_PAGE_SIZE + 1))
    assert f"ranks 1 to {RANKING_PAGE_SIZE} of {len(ranking.rows)}" in first
    assert 'rel="next"' in first and "Pages of the ranking" in first

    second = client.get(url, {"page": 2}).content.decode()
    expected = [row.rank for row in ranking.rows[RANKING_PAGE_SIZE : 2 * RANKING_PAGE_SIZE]]
    assert ranks(second) == expected
    # The running total carries on from the rows on the page before.
    row = ranking.rows[RANKING_PAGE_SIZE]
    assert f"£{row.running_total:,.0f}" in second or f"£{row.running_total:,.2f}" in second
    # A page number past the end shows the last page, not an error.
    assert client.get(url, {"page": 999}).status_code == 200


def test_a_page_worked_out_by_the_database_matches_the_whole_ranking():
    """The page's SQL (window functions) and the ranking the services use (Python) must agree row for row:
    rank, bid, scores, running total and the funding line — here with a funding line inside the ranking."""
    from assessments.selectors import round_ranking_page

    seed_programme(bids=300, rounds=1, tag="RQ", assessors=8)
    funding_round = FundingRound.objects.get(code="RQ01")
    ranking = round_ranking(funding_round=funding_round)
    # A budget that runs out part way down the ranking.
    funding_round.budget = ranking.rows[len(ranking.rows) // 2].running_total + ranking.budget - ranking.remaining
    funding_round.save(update_fields=["budget"])
    ranking = round_ranking(funding_round=funding_round)
    assert any(row.first_below for row in ranking.rows)
    pages = []
    for number in range(1, len(ranking.rows) // 10 + 2):
        page = round_ranking_page(funding_round=funding_round, number=number, per_page=10)
        assert page.above_count == len(ranking.above)
        assert page.above_total == ranking.above_total
        pages += page.rows
    fields = ("rank", "bid_id", "final_score", "value_for_money", "amount_requested", "running_total", "above_line")
    assert [(*tuple(getattr(r, f) for f in fields), r.first_below) for r in pages] == [
        (*tuple(getattr(r, f) for f in fields), r.first_below) for r in ranking.rows
    ]
    assert all(row.bid is not None and row.bid.pk == row.bid_id for row in pages)
