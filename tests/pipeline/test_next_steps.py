"""Staff pages offer the next step (no dead ends), warn against deciding while a round is open or bids are in
review, and the award form shows its amount problems on the field, linked from the error summary."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from assessments.services import moderation_record
from bids import services as bid_services
from tests.factories import award, make_council, make_round, publish_decisions, start_assessing, start_deciding
from tests.factories.assessments import assign, make_assessor, make_in_review_bid, make_scored_bid, score_all

pytestmark = pytest.mark.django_db


def next_step(page: str) -> str:
    return re.search(r'id="next-step">(.*?)</div>', page, re.S).group(1)


def test_an_in_review_bid_without_assessors_links_to_assigning_them(staff_client, in_review_bid, staff):
    page = staff_client.get(reverse("pipeline:bid_detail", args=[in_review_bid.reference])).content.decode()
    assign_url = reverse("assessments:bid", args=[in_review_bid.reference])
    assert f'No assessors assigned. <a class="govuk-link" href="{assign_url}">Assign assessors' in page
    # First the sift, then (once the round is assessing) the assessors.
    step = next_step(page)
    assert "Check the bid is eligible" in step
    assert f'href="{reverse("pipeline:bid_sift", args=[in_review_bid.reference])}"' in step
    start_assessing(in_review_bid.funding_round, by=staff)
    step = next_step(staff_client.get(reverse("pipeline:bid_detail", args=[in_review_bid.reference])).content.decode())
    # The step lands on the page's assigning section (on that page itself, a link to the page alone would only
    # reload it and drop a keyboard user back at the top).
    assert "Assign 2 more assessors" in step and f'href="{assign_url}#assign"' in step
    assert 'id="assign"' in staff_client.get(assign_url).content.decode()


def test_after_moderation_the_bid_pages_point_to_the_ranking(staff_client, staff):
    funding_round = make_round(code="MR", assessors_per_bid=2)
    bid = make_in_review_bid(funding_round=funding_round)
    first, second = assign(bid, [make_assessor(), make_assessor()], by=staff)
    score_all(first, [5, 4, 4])
    score_all(second, [2, 4, 4])
    bid.refresh_from_db()
    page = staff_client.get(reverse("pipeline:bid_detail", args=[bid.reference])).content.decode()
    assert "Moderate the scores" in next_step(page)
    assert f'href="{reverse("assessments:bid", args=[bid.reference])}#scores"' in next_step(page)
    strategic = funding_round.criteria.get(code="strategic_fit")
    moderation_record(bid=bid, criterion=strategic, score="4", note="Agreed at panel", by=staff)
    ranking_url = reverse("assessments:ranking", args=[funding_round.pk])
    for url in (reverse("assessments:bid", args=[bid.reference]), reverse("pipeline:bid_detail", args=[bid.reference])):
        step = next_step(staff_client.get(url).content.decode())
        assert f'href="{ranking_url}">See the ranking for {funding_round.name}</a>' in step, url


def test_every_state_of_a_bid_has_a_next_step_on_the_staff_page(staff_client, scored_bid, in_review_bid, staff):
    award(scored_bid, amount=Decimal("60000"), by=staff)
    for bid in (scored_bid, in_review_bid):
        page = staff_client.get(reverse("pipeline:bid_detail", args=[bid.reference])).content.decode()
        assert next_step(page).strip()
    # An award is recorded until the round's decisions are published; then it is a published funded project.
    recorded = next_step(staff_client.get(reverse("pipeline:bid_detail", args=[scored_bid.reference])).content.decode())
    assert "when you publish" in recorded
    assert reverse("pipeline:round", args=[scored_bid.funding_round_id]) in recorded
    publish_decisions(scored_bid.funding_round, by=staff)
    assert reverse("pipeline:funded") in next_step(
        staff_client.get(reverse("pipeline:bid_detail", args=[scored_bid.reference])).content.decode()
    )


def test_ranking_and_award_pages_say_decisions_wait_for_deciding_and_for_publication(staff_client, staff):
    """The warning another engineer put on these pages (deciding while the round is open or bids are in review)
    is now the rule: decisions are recorded only while the round is deciding, and told only when published."""
    funding_round = make_round(code="WR", budget="100000")
    scored = make_in_review_bid(funding_round=funding_round, lead=make_council("WR1", "Warnham"))
    waiting = make_in_review_bid(funding_round=funding_round, lead=make_council("WR2", "Waitby"))
    scored = make_scored_bid(funding_round=funding_round, bid=scored)
    pages = [
        reverse("assessments:ranking", args=[funding_round.pk]),
        reverse("pipeline:bid_decide", args=[scored.reference, "award"]),
        reverse("pipeline:batch_award", args=[funding_round.pk]),
    ]
    waiting_rule = f"{funding_round.name} is assessing: awards and declines are recorded once it is deciding"
    for url in pages[0], pages[2]:
        assert waiting_rule in staff_client.get(url).content.decode(), url
    assert "You cannot award funding yet" in staff_client.get(pages[1]).content.decode()
    bid_services.bid_mark_ineligible(bid=waiting, by=staff, reason="Not a signatory")
    start_deciding(funding_round, by=staff)
    for url in pages:
        page = staff_client.get(url).content.decode()
        assert "govuk-warning-text" in page and "Decisions are recorded, not told" in page, url
        assert waiting_rule not in page, url


def test_the_ranking_says_asks_for_one_bid(staff_client, small_round, scored_bid):
    page = staff_client.get(reverse("assessments:ranking", args=[small_round.pk])).content.decode()
    assert "1 bid above the funding line asks for £60,000 in total" in page


def test_an_empty_ranking_points_to_assignment_and_moderation(staff_client, small_round):
    page = staff_client.get(reverse("assessments:ranking", args=[small_round.pk])).content.decode()
    assert f'href="{reverse("assessments:round", args=[small_round.pk])}"' in page


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("60000.01", "The amount awarded cannot be more than the £60,000.00 requested"),
        ("60000", "Awarding £60,000.00 would overspend"),
    ],
)
def test_award_amount_problems_are_on_the_amount_field(staff_client, small_round, staff, amount, message):
    scored_bid = make_in_review_bid(funding_round=small_round, lead=make_council("SCA", "Scoreshire"))
    other = make_in_review_bid(funding_round=small_round, lead=make_council("OVS", "Overspend"), amount="50000")
    scored_bid, other = (make_scored_bid(funding_round=small_round, bid=bid) for bid in (scored_bid, other))
    award(other, amount=Decimal("50000"), by=staff)
    response = staff_client.post(
        reverse("pipeline:bid_decide", args=[scored_bid.reference, "award"]), {"amount": amount}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert re.search(rf'<a href="#id_amount">{re.escape(message)}', page)  # the summary links to the field
    assert (
        f'id="id_amount-error" class="govuk-error-message"><span class="govuk-visually-hidden">Error:</span> {message}'
        in page
    )
    assert "govuk-form-group--error" in page and "govuk-input--error" in page
    assert 'aria-describedby="id_amount-hint id_amount-error"' in page


def test_a_refused_batch_award_links_to_the_bid_that_could_not_be_awarded(staff_client, overspending_ranking):
    funding_round, bids = overspending_ranking
    response = staff_client.post(reverse("pipeline:batch_award", args=[funding_round.pk]), {})
    assert response.status_code == 400
    page = response.content.decode()
    award_url = reverse("pipeline:bid_decide", args=[bids[2].reference, "award"])
    assert f'<a href="{award_url}">Nothing was awarded: {bids[2].reference} could not be awarded.' in page


def test_a_repeated_award_confirmation_shows_the_awarded_bid_not_an_error(staff_client, scored_bid):
    url = reverse("pipeline:bid_decide", args=[scored_bid.reference, "award"])
    first = staff_client.post(url, {"amount": "60000"})
    second = staff_client.post(url, {"amount": "60000"}, follow=True)
    assert first.status_code == 302
    assert second.status_code == 200
    assert f"{scored_bid.reference} is already awarded" in second.content.decode()
    assert scored_bid.history.filter(transition="award").count() == 1
