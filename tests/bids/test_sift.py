"""The eligibility sift: a checklist worked out by the submission rules themselves, and staff's decision on it —
eligible (assessors may then be assigned), or ineligible with the reason sent to the councils."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bids import services
from bids.choices import BidState, SiftDecision
from bids.conditions import SIFT_CHECKS
from bids.models import Bid, BidSift, BidTransition
from bids.selectors import bid_sift_checklist
from core.exceptions import ApplicationError
from councils.choices import Role
from councils.models import Council
from notifications.choices import Event
from notifications.models import Notification
from tests.factories import make_council, make_round, make_user
from tests.factories.assessments import make_in_review_bid

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):
    return make_user(role=Role.PROGRAMME_STAFF, name="Sid Sifter")


def checklist(bid: Bid) -> dict[str, list[str]]:
    fresh = Bid.objects.prefetch_related("partners__council", "cost_lines", "funding_round__phases").get(pk=bid.pk)
    return {check.key: [problem.message for problem in check.problems] for check in bid_sift_checklist(bid=fresh)}


def test_a_bid_that_met_the_rules_when_submitted_meets_every_check(db):
    bid = make_in_review_bid(funding_round=make_round(code="SF"))
    assert checklist(bid) == {
        "signatories": [],
        "partners": [],
        "lead_limit": [],
        "phase": [],
        "costs": [],
    }
    assert [key for key, _label, _rules in SIFT_CHECKS] == ["signatories", "partners", "phase", "costs"]


def test_the_checklist_reports_what_changed_since_submission_in_the_rules_own_words(db):
    funding_round = make_round(code="SG", max_bids_led_per_council=1)
    lead = make_council("SGL", "Siftham")
    bid = make_in_review_bid(funding_round=funding_round, lead=lead)
    # What staff find at the sift: a partner's Declaration withdrawn, a cap lowered, the costs changed, and a
    # second bid led by the same council (written past the services: the sift must find it all the same).
    partner = bid.partners.first().council
    Council.objects.filter(pk=partner.pk).update(declaration_signed_on=None)
    funding_round.phases.filter(phase=bid.phase).update(cap=Decimal("50000"))
    bid.cost_lines.filter(description="Staff").update(amount=Decimal("1"))
    Bid.objects.filter(pk=bid.pk).update(amount_requested=Decimal("60000"))
    other = make_in_review_bid(funding_round=make_round(code="SH"), lead=lead)
    Bid.objects.filter(pk=other.pk).update(funding_round=funding_round, number=99, reference="LDF-SG-0099")
    problems = checklist(bid)
    assert problems["signatories"] == [f"{partner} has not signed the Local Digital Declaration"]
    assert problems["phase"] == ["The amount requested (£60,000.00) is more than the discovery limit of £50,000.00"]
    assert problems["costs"] == ["The cost lines add up to £30,001.00 but the amount requested is £60,000.00"]
    assert problems["lead_limit"] == [
        f"Siftham Council has already submitted 1 bid as lead in {funding_round.name}; the limit is 1"
    ]
    assert problems["partners"] == []


def test_eligible_is_recorded_with_who_and_when_and_in_the_bids_history(staff):
    bid = make_in_review_bid(funding_round=make_round(code="SE"))
    sift = services.bid_sift(bid=bid, by=staff, eligible=True)
    assert (sift.decision, sift.by, sift.unmet_checks, sift.note) == (SiftDecision.ELIGIBLE, staff, [], "")
    assert bid.state == BidState.IN_REVIEW
    row = BidTransition.objects.filter(bid=bid).last()
    assert (row.transition, row.source_state, row.target_state, row.by) == (
        "sift_eligible",
        "in_review",
        "in_review",
        staff,
    )
    # Recorded again (changed mind): one sift per bid, the latest decision.
    services.bid_sift(bid=bid, by=staff, eligible=True, note="Checked twice")
    assert BidSift.objects.filter(bid=bid).get().note == "Checked twice"


def test_eligible_despite_an_unmet_check_needs_the_reason(staff):
    bid = make_in_review_bid(funding_round=make_round(code="SN"))
    bid.cost_lines.filter(description="Staff").update(amount=Decimal("1"))
    with pytest.raises(ApplicationError) as error:
        services.bid_sift(bid=bid, by=staff, eligible=True)
    assert [(p.field, p.message) for p in error.value.problems] == [
        ("note", "Explain why the bid is eligible although 1 check is not met")
    ]
    sift = services.bid_sift(bid=bid, by=staff, eligible=True, note="Rounding in the supplier quote; agreed.")
    assert sift.unmet_checks == [
        {
            "check": "The costs add up to the amount requested, each paid by a partner taking part",
            "problems": ["The cost lines add up to £30,001.00 but the amount requested is £60,000.00"],
        }
    ]


def test_ineligible_goes_through_the_ineligible_decision_and_tells_the_councils_why(staff):
    bid = make_in_review_bid(funding_round=make_round(code="SI"))
    with pytest.raises(ApplicationError, match="Enter why the bid is ineligible"):
        services.bid_sift(bid=bid, by=staff, eligible=False, note=" ")
    services.bid_sift(bid=bid, by=staff, eligible=False, note="Live services are not funded.")
    bid.refresh_from_db()
    assert (bid.state, bid.status_note) == (BidState.INELIGIBLE, "Live services are not funded.")
    assert BidSift.objects.get(bid=bid).decision == SiftDecision.INELIGIBLE
    told = Notification.objects.filter(event=Event.BID_INELIGIBLE, reference=bid.reference)
    assert told.exists() and told.first().context["reason"] == "Live services are not funded."
    with pytest.raises(ApplicationError, match="This bid is ineligible, so it cannot be sifted"):
        services.bid_sift(bid=bid, by=staff, eligible=True)


def test_only_staff_sift_and_only_bids_in_review_of_rounds_not_yet_deciding(staff):
    from tests.factories import make_bid, start_deciding

    funding_round = make_round(code="SO")
    bid = make_in_review_bid(funding_round=funding_round)
    with pytest.raises(ApplicationError, match="permission"):
        services.bid_sift(bid=bid, by=bid.created_by, eligible=True)
    draft = make_bid(funding_round=funding_round, lead=make_council())
    with pytest.raises(ApplicationError, match="This bid is draft, so it cannot be sifted"):
        services.bid_sift(bid=draft, by=staff, eligible=True)
    services.bid_mark_ineligible(bid=bid, by=staff, reason="Out of scope")
    start_deciding(funding_round, by=staff)
    late = make_in_review_bid(funding_round=make_round(code="SP"))
    # Moved past the services into the deciding round: the rule still holds.
    Bid.objects.filter(pk=late.pk).update(funding_round=funding_round, number=99, reference="LDF-SO-0099")
    with pytest.raises(ApplicationError, match="Bids are sifted while the round is open, closed or assessing"):
        services.bid_sift(bid=late, by=staff, eligible=True)
