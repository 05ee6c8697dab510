"""Rows pagination: a short first page is its own count (no COUNT query); a full one is counted."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bids.models import Bid
from pipeline.pagination import RowsPaginator
from pipeline.seeding import seed_programme

pytestmark = pytest.mark.django_db


def test_short_first_page_needs_no_count_and_full_pages_are_counted():
    seed_programme(bids=12, rounds=1, tag="PN", assessors=3, with_scores=False)
    bids = Bid.objects.order_by("reference")
    with CaptureQueriesContext(connection) as queries:
        page = RowsPaginator(bids, 50, fields=("reference",)).get_page(1)
        assert page.paginator.count == 12 and page.paginator.num_pages == 1
    assert len(queries) == 1
    assert [row["reference"] for row in page.object_list] == list(bids.values_list("reference", flat=True))

    with CaptureQueriesContext(connection) as queries:
        page = RowsPaginator(bids, 5, fields=("reference",)).get_page(1)
        assert len(page.object_list) == 5 and page.paginator.num_pages == 3 and page.has_next()
    assert len(queries) == 2
    last = RowsPaginator(bids, 5, fields=("reference",)).get_page(3)
    assert len(last.object_list) == 2
    assert RowsPaginator(bids, 5, fields=("reference",)).get_page("nonsense").number == 1


def test_a_search_page_carries_its_total_so_the_search_runs_once():
    seed_programme(bids=12, rounds=1, tag="PW", assessors=3, with_scores=False)
    bids = Bid.objects.order_by("reference")
    with CaptureQueriesContext(connection) as queries:
        page = RowsPaginator(bids, 5, fields=("reference",), count_in_rows=True).get_page(1)
        assert page.paginator.count == 12 and page.paginator.num_pages == 3
    assert len(queries) == 1
    assert "_total" in page.object_list[0] and len(page.object_list) == 5
    references = list(bids.values_list("reference", flat=True))
    with CaptureQueriesContext(connection) as queries:
        page = RowsPaginator(bids, 5, fields=("reference",), count_in_rows=True).get_page(3)
        assert [row["reference"] for row in page.object_list] == references[10:]
    assert len(queries) == 2  # a later page validates its number against the count first
