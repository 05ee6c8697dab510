"""The ranking page shows a page of rows at a time (a round may have thousands of scored bids), with the ranks,
running totals and funding line of the whole ranking."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from assessments.selectors import round_ranking
from assessments.views import RANKING_PAGE_SIZE
from bids.models import FundingRound
from councils.choices import Role
from pipeline.seeding import seed_programme
from tests.factories import make_user

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
    client = Client()
    client.force_login(make_user(role=Role.PROGRAMME_STAFF))
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
