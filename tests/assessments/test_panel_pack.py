"""The decision panel's pack: the bids above the funding line, in rank order, with their scores per criterion
(each assessor's, the mean and any moderation), final score, and every assessor's recommendation, comments and
justifications; for programme staff only, in a fixed number of queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.services import moderation_record
from councils.choices import Role
from tests.factories import make_council, make_round, make_user
from tests.factories.assessments import (
    JUSTIFICATION,
    assign,
    make_assessor,
    make_in_review_bid,
    make_scored_bid,
    score_all,
)

pytestmark = pytest.mark.django_db


def pack_url(funding_round) -> str:
    return reverse("assessments:panel_pack", args=[funding_round.pk])


def moderated_bid(funding_round, staff, amount="40000", bid=None):
    bid = bid or make_in_review_bid(funding_round=funding_round, amount=amount)
    first, second = assign(bid, [make_assessor(name="Mo Dee"), make_assessor(name="Di Verge")], by=staff)
    score_all(first, [5, 5, 5], recommendation="fund")
    score_all(second, [2, 5, 5], recommendation="fund_with_conditions")
    bid.refresh_from_db()
    strategic = funding_round.criteria.get(code="strategic_fit")
    moderation_record(bid=bid, criterion=strategic, score="4", note="The panel agreed on 4", by=staff)
    bid.refresh_from_db()
    return bid


def test_the_pack_has_the_bids_above_the_line_with_scores_and_what_assessors_said(client, staff, outbox):
    funding_round = make_round(code="PP", budget="100000", assessors_per_bid=2)
    # Every bid is submitted before the round closes for assessment.
    top, second, below = (
        make_in_review_bid(funding_round=funding_round, amount=amount, lead=lead)
        for amount, lead in (("40000", None), ("50000", make_council("PP2")), ("50000", make_council("PP3")))
    )
    top = moderated_bid(funding_round, staff, bid=top)
    second = make_scored_bid(funding_round=funding_round, scores=(4, 4), bid=second)
    below = make_scored_bid(funding_round=funding_round, scores=(3, 3), bid=below)
    client.force_login(staff)
    response = client.get(pack_url(funding_round))
    assert response.status_code == 200
    page = response.content.decode()
    assert top.reference in page and second.reference in page
    assert below.reference not in page
    assert page.index(f'id="bid-{top.reference}"') < page.index(f'id="bid-{second.reference}"')  # rank order
    for shown in (
        str(top.final_score),
        "Mo Dee: 5 Strong",
        "Di Verge: 2 Partial",  # each assessor's score, named for staff
        "The panel agreed on 4",  # the moderation note
        "Mo Dee: Fund",
        "Di Verge: Fund with conditions",  # recommendations
        "A strong, well evidenced bid from committed partners.",  # comments
        JUSTIFICATION,
        "2 bids, asking for £90,000 in total",
        "Print this page",
    ):
        assert shown in page, shown
    assert "app-print-break" in page


def test_the_ranking_links_to_the_pack(client, staff, outbox):
    funding_round = make_round(code="PL")
    make_scored_bid(funding_round=funding_round)
    client.force_login(staff)
    page = client.get(reverse("assessments:ranking", args=[funding_round.pk])).content.decode()
    assert pack_url(funding_round) in page


def test_only_programme_staff_get_the_pack(client, outbox):
    funding_round = make_round(code="PS")
    for user in (make_assessor(), make_user(councils=[make_council()])):
        client.force_login(user)
        assert client.get(pack_url(funding_round)).status_code == 404
    client.logout()
    assert client.get(pack_url(funding_round)).status_code == 302
    client.force_login(make_user(role=Role.PROGRAMME_STAFF))
    assert client.post(pack_url(funding_round)).status_code == 405  # a page to read, nothing to send


def test_the_pack_costs_the_same_queries_for_more_bids(client, staff, outbox):
    funding_round = make_round(code="PQ", budget="1000000", assessors_per_bid=2)
    # Every bid is submitted before the round closes for assessment.
    first = make_in_review_bid(funding_round=funding_round, amount="40000")
    other = make_in_review_bid(funding_round=funding_round, amount="50000")
    later = [make_in_review_bid(funding_round=funding_round, amount="30000") for _ in range(3)]
    last = make_in_review_bid(funding_round=funding_round, amount="40000")
    moderated_bid(funding_round, staff, bid=first)
    make_scored_bid(funding_round=funding_round, scores=(4, 4), bid=other)
    client.force_login(staff)
    client.get(pack_url(funding_round))

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get(pack_url(funding_round)).status_code == 200
        return len(context.captured_queries)

    small = queries()
    for scores, bid in zip(((5, 5), (4, 5), (3, 4)), later, strict=True):
        make_scored_bid(funding_round=funding_round, scores=scores, bid=bid)
    moderated_bid(funding_round, staff, bid=last)
    assert queries() == small
    assert client.get(pack_url(funding_round)).content.decode().count("app-print-break") == 6
