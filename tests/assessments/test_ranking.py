"""Ranking (order, ties, funding line) and calibration, on hand-computed examples."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from assessments.selectors import round_calibration, round_ranking
from bids import services as bid_services
from bids.models import Bid
from tests.factories import award, make_round
from tests.factories.assessments import assign, make_assessor, make_in_review_bid, make_scored_bid, score_all

pytestmark = pytest.mark.django_db


def test_ranking_orders_by_score_breaks_ties_and_draws_the_funding_line(staff, outbox):
    funding_round = make_round(assessors_per_bid=1, budget="200000")
    # Every bid is submitted before the round closes for assessment.
    amounts = ("50000", "70000", "60000", "10000", "5000")
    submitted = [make_in_review_bid(funding_round=funding_round, amount=amount) for amount in amounts]
    waiting = make_in_review_bid(funding_round=funding_round)  # not scored: not ranked
    # Default weights 33.34 / 33.33 / 33.33; scores are (strategic fit, deliverability, value for money).
    top, tie_low_value, tie_high_value, same_later, low = (
        make_scored_bid(funding_round=funding_round, scores=scores, bid=bid)
        for scores, bid in zip(([5], [(5, 4, 3)], [(5, 3, 4)], [(5, 4, 3)], [2]), submitted, strict=True)
    )  # 100.00, 75.00, 75.00, 75.00, 25.00
    # Make the later-created twin the earlier submission, so submission order (not creation) decides.
    earlier = tie_low_value.submitted_at - timedelta(hours=1)
    Bid.objects.filter(pk=same_later.pk).update(submitted_at=earlier)

    ranking = round_ranking(funding_round=funding_round)
    assert [row.bid.pk for row in ranking] == [top.pk, tie_high_value.pk, same_later.pk, tie_low_value.pk, low.pk]
    assert [row.final_score for row in ranking] == [Decimal(s) for s in ("100.00", "75.00", "75.00", "75.00", "25.00")]
    assert ranking[1].value_for_money == Decimal("4.00")
    assert [row.running_total for row in ranking] == [
        Decimal(n) for n in ("50000", "110000", "120000", "190000", "195000")
    ]
    assert [row.above_line for row in ranking] == [True, True, True, True, True]
    assert ranking.remaining == Decimal("200000")

    # Awarding the top bid (once the round is deciding: the waiting bid is withdrawn) leaves £150,000 for the
    # rest, which all still fit (running total £145,000).
    bid_services.bid_withdraw(bid=waiting, by=waiting.created_by, reason="Our partners pulled out")
    award(top, amount="50000", by=staff)
    ranking = round_ranking(funding_round=funding_round)
    assert ranking.remaining == Decimal("150000")
    assert [row.bid.pk for row in ranking] == [tie_high_value.pk, same_later.pk, tie_low_value.pk, low.pk]
    assert [row.running_total for row in ranking] == [Decimal(n) for n in ("60000", "70000", "140000", "145000")]
    assert [row.above_line for row in ranking] == [True, True, True, True]

    # A smaller budget: the line is where the money runs out, and nothing below it is above it.
    funding_round = bid_services.round_update(funding_round=funding_round, by=staff, budget=Decimal("180000"))
    ranking = round_ranking(funding_round=funding_round)
    assert ranking.remaining == Decimal("130000")
    assert [row.above_line for row in ranking] == [True, True, False, False]
    assert [row.rank for row in ranking] == [1, 2, 3, 4]


def test_calibration_on_a_hand_computed_example(staff, outbox):
    funding_round = make_round(assessors_per_bid=2, divergence_threshold=Decimal("3"))
    harsh, generous, kind = (make_assessor(name=name) for name in ("Hal Harsh", "Gil Generous", "Kim Middle"))
    plan = [
        ((harsh, (2, 2, 2)), (generous, (4, 4, 4))),
        ((harsh, (2, 3, 2)), (kind, (4, 4, 4))),
        ((generous, (4, 4, 4)), (kind, (3, 3, 3))),
    ]
    # Every bid is submitted before the round closes for assessment.
    bids = [make_in_review_bid(funding_round=funding_round) for _ in range(len(plan) + 1)]
    for pair, bid in zip(plan, bids, strict=False):
        assessments = assign(bid, [assessor for assessor, _scores in pair], by=staff)
        for assessment, (_assessor, scores) in zip(assessments, pair, strict=True):
            score_all(assessment, list(scores))
    # An unsubmitted draft in the round does not count.
    [draft] = assign(bids[-1], [make_assessor(name="Zed Draft")], by=staff)
    score_all(draft, 5, submit=False)

    rows = {row.assessor.full_name: row for row in round_calibration(funding_round=funding_round)}
    assert set(rows) == {"Hal Harsh", "Gil Generous", "Kim Middle"}
    # Hal: scores 2,2,2,2,3,2 → mean 13/6; differences −2,−2,−2 (bid 1) and −2,−1,−2 (bid 2) → −11/6
    assert (rows["Hal Harsh"].assessments, rows["Hal Harsh"].mean_score) == (2, Decimal("2.17"))
    assert rows["Hal Harsh"].mean_difference == Decimal("-1.83")
    assert rows["Hal Harsh"].flag == "Harsher than other assessors"
    # Gil: all 4s; differences +2 ×3 (bid 1) and +1 ×3 (bid 3) → 9/6
    assert (rows["Gil Generous"].mean_score, rows["Gil Generous"].mean_difference) == (Decimal("4.00"), Decimal("1.50"))
    assert rows["Gil Generous"].flag == "More generous than other assessors"
    # Kim: 4,4,4,3,3,3 → 3.5; differences +2,+1,+2 (bid 2) and −1 ×3 (bid 3) → 2/6
    assert (rows["Kim Middle"].mean_score, rows["Kim Middle"].mean_difference) == (Decimal("3.50"), Decimal("0.33"))
    assert rows["Kim Middle"].flag == ""
    assert rows["Kim Middle"].compared_bids == 2


def test_calibration_does_not_flag_on_a_single_bid(staff, outbox):
    funding_round = make_round(assessors_per_bid=2, divergence_threshold=Decimal("5"))
    bid = make_in_review_bid(funding_round=funding_round)
    first, second = assign(bid, [make_assessor(), make_assessor()], by=staff)
    score_all(first, 1)
    score_all(second, 5)
    rows = round_calibration(funding_round=funding_round)
    assert sorted(row.mean_difference for row in rows) == [Decimal("-4.00"), Decimal("4.00")]
    assert [row.flag for row in rows] == ["", ""]
