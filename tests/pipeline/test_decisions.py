"""Staff decisions on the bid page: each runs the bid service (its rules), behind a confirmation form."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from bids.choices import BidState
from bids.models import Bid, BidTransition
from bids.selectors import bid_council_timeline
from bids.services import bid_award
from core.exceptions import ApplicationError
from councils.choices import Role
from notifications.models import Notification
from pipeline.services import round_batch_award
from tests.concurrency import at_once, refusals
from tests.factories import (
    award,
    council_client,
    make_council,
    make_round,
    make_user,
    publish_decisions,
    start_deciding,
)
from tests.factories.assessments import make_in_review_bid, make_scored_bid

pytestmark = pytest.mark.django_db


def decide_url(bid: Bid, decision: str) -> str:
    return reverse("pipeline:bid_decide", kwargs={"reference": bid.reference, "decision": decision})


def test_award_form_is_prefilled_with_the_amount_requested_and_shows_the_budget_left(staff_client, scored_bid):
    response = staff_client.get(decide_url(scored_bid, "award"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="60000.00"' in html
    assert "Budget left in" in html and "£100,000" in html


def test_award_with_conditions_records_the_decision_and_history(staff_client, scored_bid, staff):
    response = staff_client.post(decide_url(scored_bid, "award"), {"amount": "55000", "conditions": "Weeknotes"})
    assert response.status_code == 302
    scored_bid.refresh_from_db()
    assert scored_bid.state == BidState.AWARDED
    assert scored_bid.award_amount == Decimal("55000.00")
    assert scored_bid.award_conditions == "Weeknotes"
    last = BidTransition.objects.filter(bid=scored_bid).last()
    assert (last.transition, last.by, last.source_state) == ("award", staff, BidState.SCORED)
    page = staff_client.get(response.url).content.decode()
    assert "was awarded £55,000.00" in page
    # Recorded, not told: the councils hear when the round's decisions are published.
    assert not Notification.objects.filter(event="bid_awarded").exists()


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("60000.01", "cannot be more than the £60,000.00 requested"),
        ("0", "must be more than £0"),
        ("-5", "must be more than £0"),
        ("lots", "Enter the amount to award as a number"),
        ("", "Enter the amount to award"),
        ("1.234", "pounds and pence"),
    ],
)
def test_award_refuses_bad_amounts_and_changes_nothing(staff_client, scored_bid, amount, message):
    response = staff_client.post(decide_url(scored_bid, "award"), {"amount": amount})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "govuk-error-summary" in response.content.decode()
    scored_bid.refresh_from_db()
    assert scored_bid.state == BidState.SCORED and scored_bid.award_amount is None


def scored_pair(funding_round, *leads):
    """Two bids submitted to the round, then both scored (a round moves to deciding with no bid in review)."""
    bids = [make_in_review_bid(funding_round=funding_round, lead=lead) for lead in leads]
    return [make_scored_bid(funding_round=funding_round, bid=bid) for bid in bids]


def test_the_award_page_says_where_the_bid_stands_against_the_funding_line(staff_client, small_round, staff):
    """Two bids of £60,000 in a £100,000 round: the higher-scored is above the line, the other below, and its
    award page warns before the amount is confirmed."""
    first, second = scored_pair(small_round, make_council("FL1", "Lineham"), make_council("FL2", "Lowham"))
    start_deciding(small_round, by=staff)
    pages = {bid.pk: staff_client.get(decide_url(bid, "award")).content.decode() for bid in (first, second)}
    above = [pk for pk, page in pages.items() if "above the funding line" in page]
    below = [pk for pk, page in pages.items() if "below the funding line" in page]
    assert len(above) == len(below) == 1
    assert 'id="below-line"' in pages[below[0]] and 'id="below-line"' not in pages[above[0]]
    assert "of 2 bids still to decide" in pages[above[0]]


def test_award_refused_when_it_would_overspend_the_budget(staff_client, small_round, staff):
    scored_bid, other = scored_pair(small_round, make_council("SCA", "Scoreshire"), make_council("OVR", "Overton"))
    award(other, amount=Decimal("60000"), by=staff)
    response = staff_client.post(decide_url(scored_bid, "award"), {"amount": "60000"})
    assert response.status_code == 400
    assert "would overspend" in response.content.decode()
    assert "£40,000.00 of the budget is left" in response.content.decode()
    scored_bid.refresh_from_db()
    assert scored_bid.state == BidState.SCORED


def test_decline_requires_feedback(staff_client, scored_bid):
    response = staff_client.post(decide_url(scored_bid, "decline"), {"feedback": "   "})
    assert response.status_code == 400
    assert "Enter feedback for the councils" in response.content.decode()
    scored_bid.refresh_from_db()
    assert scored_bid.state == BidState.SCORED
    response = staff_client.post(decide_url(scored_bid, "decline"), {"feedback": "Too costly for its reach."})
    assert response.status_code == 302
    scored_bid.refresh_from_db()
    assert (scored_bid.state, scored_bid.status_note) == (BidState.NOT_FUNDED, "Too costly for its reach.")


def test_ineligible_requires_a_reason_and_return_requires_a_message(staff_client, in_review_bid):
    response = staff_client.post(decide_url(in_review_bid, "ineligible"), {"reason": ""})
    assert response.status_code == 400 and "Enter why the bid is ineligible" in response.content.decode()
    response = staff_client.post(decide_url(in_review_bid, "return"), {"message": ""})
    assert response.status_code == 400 and "Enter what the council needs to change" in response.content.decode()
    in_review_bid.refresh_from_db()
    assert in_review_bid.state == BidState.IN_REVIEW
    response = staff_client.post(decide_url(in_review_bid, "return"), {"message": "Add a partner cost line."})
    assert response.status_code == 302
    in_review_bid.refresh_from_db()
    assert in_review_bid.state == BidState.DRAFT


def test_detail_offers_only_the_decisions_the_state_machine_allows(staff_client, scored_bid, in_review_bid):
    scored = staff_client.get(reverse("pipeline:bid_detail", args=[scored_bid.reference])).content.decode()
    assert decide_url(scored_bid, "award") in scored and decide_url(scored_bid, "decline") in scored
    assert decide_url(scored_bid, "return") not in scored and decide_url(scored_bid, "ineligible") not in scored
    review = staff_client.get(reverse("pipeline:bid_detail", args=[in_review_bid.reference])).content.decode()
    assert decide_url(in_review_bid, "ineligible") in review and decide_url(in_review_bid, "return") in review
    assert decide_url(in_review_bid, "award") not in review


def test_a_scored_bid_is_decided_only_once_its_round_is_deciding(staff_client, small_round, staff):
    bid = make_scored_bid(funding_round=small_round, lead=make_council("SCA", "Scoreshire"))
    page = staff_client.get(reverse("pipeline:bid_detail", args=[bid.reference])).content.decode()
    assert decide_url(bid, "award") not in page
    response = staff_client.post(decide_url(bid, "award"), {"amount": "100"})
    assert response.status_code == 400
    assert (
        f"You cannot award funding yet: awards and declines are recorded while the round is deciding, and "
        f"{small_round.name} is assessing" in response.content.decode()
    )
    start_deciding(small_round, by=staff)
    assert staff_client.post(decide_url(bid, "award"), {"amount": "100"}).status_code == 302


def test_a_decision_the_bid_is_not_in_a_state_for_explains_and_changes_nothing(staff_client, in_review_bid):
    response = staff_client.post(decide_url(in_review_bid, "award"), {"amount": "100"})
    assert response.status_code == 400
    assert "This bid is in review, so you cannot award funding" in response.content.decode()
    in_review_bid.refresh_from_db()
    assert in_review_bid.state == BidState.IN_REVIEW
    assert staff_client.get(decide_url(in_review_bid, "explode")).status_code == 404


def test_council_members_and_assessors_cannot_reach_staff_pages_or_decide(scored_bid):
    lead_client, _ = council_client(scored_bid.lead_council)
    assessor = make_user(role=Role.ASSESSOR)
    for client in (lead_client,):
        assert client.get(reverse("pipeline:bid_detail", args=[scored_bid.reference])).status_code == 404
        assert client.post(decide_url(scored_bid, "award"), {"amount": "1000"}).status_code == 404
        assert client.get(reverse("pipeline:dashboard")).status_code == 404
        assert client.get(reverse("pipeline:bids")).status_code == 404
    with pytest.raises(ApplicationError, match="permission"):
        bid_award(bid=scored_bid, by=assessor, amount=Decimal("1000"))
    scored_bid.refresh_from_db()
    assert scored_bid.state == BidState.SCORED


def test_anonymous_visitors_are_sent_to_sign_in(client, scored_bid):
    response = client.get(reverse("pipeline:bid_detail", args=[scored_bid.reference]))
    assert response.status_code == 302 and "/sign-in/" in response.url


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_awards_on_a_budget_that_affords_one_make_one_award(require_postgres):
    funding_round = make_round(code="CC", budget="100000")
    first, second = scored_pair(funding_round, make_council("CC1", "Concur One"), make_council("CC2", "Concur Two"))
    staff = make_user(role=Role.PROGRAMME_STAFF)
    start_deciding(funding_round, by=staff)

    def award(bid_pk: int) -> Bid:
        bid = Bid.objects.select_related("funding_round", "lead_council").get(pk=bid_pk)
        return bid_award(bid=bid, by=staff, amount=Decimal("60000"))

    refused = refusals(at_once(lambda: award(first.pk), lambda: award(second.pk)))
    assert len(refused) == 1 and "would overspend" in refused[0]
    assert Bid.objects.filter(funding_round=funding_round, state=BidState.AWARDED).count() == 1


# --- Batch award ----------------------------------------------------------------------------------------


def test_batch_award_awards_every_bid_above_the_funding_line(staff_client, staff):
    funding_round = make_round(code="BA", budget="130000")
    top, second, below = (
        make_in_review_bid(funding_round=funding_round, lead=make_council(code, name))
        for code, name in (("BA1", "Topham"), ("BA2", "Secondby"), ("BA3", "Belowton"))
    )
    top, second, below = (
        make_scored_bid(funding_round=funding_round, scores=scores, bid=bid)
        for scores, bid in (((5, 5), top), ((4, 4), second), ((3, 3), below))
    )
    start_deciding(funding_round, by=staff)
    url = reverse("pipeline:batch_award", args=[funding_round.pk])
    page = staff_client.get(url).content.decode()
    assert top.reference in page and second.reference in page and below.reference not in page
    refused = staff_client.post(url, {"conditions": "Quarterly\x00show"})  # a refused field is a refused page
    assert refused.status_code == 400 and not Bid.objects.filter(state="awarded").exists()
    response = staff_client.post(url, {"conditions": "Quarterly show and tells"})
    assert response.status_code == 302
    states = dict(Bid.objects.filter(funding_round=funding_round).values_list("reference", "state"))
    assert states == {top.reference: "awarded", second.reference: "awarded", below.reference: "scored"}
    assert Bid.objects.get(pk=top.pk).award_conditions == "Quarterly show and tells"
    assert BidTransition.objects.filter(bid__funding_round=funding_round, transition="award", by=staff).count() == 2


def test_batch_award_is_all_or_nothing_when_one_award_would_overspend(overspending_ranking, staff):
    funding_round, bids = overspending_ranking
    with pytest.raises(ApplicationError, match=r"Nothing was awarded: .* would overspend"):
        round_batch_award(funding_round=funding_round, by=staff)
    assert not Bid.objects.filter(pk__in=[b.pk for b in bids], state=BidState.AWARDED).exists()
    assert not BidTransition.objects.filter(bid__in=bids, transition="award").exists()


def test_batch_award_refused_for_people_who_may_not_decide(scored_bid):
    lead = make_user(councils=[scored_bid.lead_council])
    with pytest.raises(ApplicationError, match="permission"):
        round_batch_award(funding_round=scored_bid.funding_round, by=lead)
    scored_bid.refresh_from_db()
    assert scored_bid.state == BidState.SCORED


def test_batch_award_with_nothing_above_the_line_says_so(staff_client, small_round):
    response = staff_client.post(reverse("pipeline:batch_award", args=[small_round.pk]), {})
    assert response.status_code == 400
    assert "No scored bids are above the funding line" in response.content.decode()


@pytest.mark.parametrize("amount", ["1e-2", "5e4", "NaN", "1,2,3"])
def test_award_refuses_scientific_notation_and_other_non_amounts(staff_client, scored_bid, amount):
    response = staff_client.post(decide_url(scored_bid, "award"), {"amount": amount})
    assert response.status_code == 400
    assert "Enter the amount to award as a number" in response.content.decode()
    scored_bid.refresh_from_db()
    assert scored_bid.state == BidState.SCORED and scored_bid.award_amount is None


def test_a_decision_is_taken_back_while_the_round_is_deciding_and_not_after_publication(
    staff_client, scored_bid, staff
):
    """A wrong amount or the wrong bid awarded: while deciding, nobody outside the fund has been told, so staff
    change the decision with a reason (kept in the history), the money goes back into the budget, and the bid is
    decided again. Once the decisions are published it is fixed."""
    assert staff_client.post(decide_url(scored_bid, "award"), {"amount": "55000", "conditions": ""}).status_code == 302
    detail = staff_client.get(reverse("pipeline:bid_detail", args=[scored_bid.reference])).content.decode()
    assert decide_url(scored_bid, "reconsider") in detail
    page = staff_client.get(decide_url(scored_bid, "reconsider")).content.decode()
    assert re.search(r'id="decision-now">Awarded, £55,000<', page)
    refused = staff_client.post(decide_url(scored_bid, "reconsider"), {"reason": ""})
    assert refused.status_code == 400 and "Enter why the decision is being changed" in refused.content.decode()
    taken_back = staff_client.post(decide_url(scored_bid, "reconsider"), {"reason": "Wrong amount"}, follow=True)
    assert "is scored again: award or decline it" in taken_back.content.decode()
    scored_bid.refresh_from_db()
    assert (scored_bid.state, scored_bid.award_amount, scored_bid.decided_at) == (BidState.SCORED, None, None)
    last = BidTransition.objects.filter(bid=scored_bid).last()
    assert (last.transition, last.note, last.by) == ("reconsider", "Wrong amount", staff)
    page = staff_client.get(decide_url(scored_bid, "award")).content.decode()
    assert "£100,000" in page  # the budget left has its £55,000 back
    assert staff_client.post(decide_url(scored_bid, "decline"), {"feedback": "Not this time"}).status_code == 302
    publish_decisions(scored_bid.funding_round, by=staff)
    # Councils see only the decision that stands: never the award taken back.
    timeline = bid_council_timeline(bid=Bid.objects.get(pk=scored_bid.pk))
    assert [(event.title, event.note) for event in timeline if event.title in ("Awarded", "Not funded")] == [
        ("Not funded", "Not this time")
    ]
    fixed = staff_client.get(decide_url(scored_bid, "reconsider")).content.decode()
    assert "decisions are published, so this decision can no longer change" in fixed and "Wrong amount" not in fixed
    assert not Notification.objects.filter(event="bid_awarded").exists()
