"""The last two assessors submitting at the same moment: the bid is marked scored exactly once."""

from __future__ import annotations

from decimal import Decimal
from functools import partial

import pytest

from assessments import services
from assessments.models import Assessment
from bids.choices import BidState
from bids.models import Bid, BidTransition
from tests.concurrency import at_once
from tests.factories import make_round
from tests.factories.assessments import JUSTIFICATION, assign, make_assessor, make_in_review_bid, make_staff

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_assessors_submitting_at_once_mark_the_bid_scored_exactly_once(require_postgres):
    funding_round = make_round(assessors_per_bid=2)
    staff = make_staff()
    rounds_of_races = 3
    # Every bid is submitted before the round closes for assessment.
    bids = [make_in_review_bid(funding_round=funding_round) for _ in range(rounds_of_races)]
    for bid in bids:
        assessments = assign(bid, [make_assessor(), make_assessor()], by=staff)
        criteria = list(funding_round.criteria.all())
        for assessment in assessments:
            services.assessment_declare(assessment=assessment, by=assessment.assessor, conflict=False)
            services.assessment_save_scores(
                assessment=assessment,
                by=assessment.assessor,
                scores={c.pk: (4, JUSTIFICATION) for c in criteria},
                recommendation="fund",
                comments="Well evidenced.",
            )

        def submit(pk: int) -> None:
            assessment = Assessment.objects.select_related("bid__funding_round", "assessor").get(pk=pk)
            services.assessment_submit(assessment=assessment, by=assessment.assessor)

        outcomes = at_once(*(partial(submit, a.pk) for a in assessments))
        assert outcomes == [None, None]
        bid = Bid.objects.get(pk=bid.pk)
        assert bid.state == BidState.SCORED
        assert bid.final_score == Decimal("75.00")
        assert BidTransition.objects.filter(bid=bid, transition="mark_scored").count() == 1
        assert Assessment.objects.filter(bid=bid, state="submitted").count() == 2
