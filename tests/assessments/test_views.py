"""The assessment pages end to end through their URLs: permissions (404), forms, errors and query counts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.choices import AssessmentState
from assessments.models import Assessment, CriterionScore
from bids.choices import BidState
from tests.factories import make_round, start_assessing
from tests.factories.assessments import (
    JUSTIFICATION,
    assign,
    make_assessor,
    make_in_review_bid,
    make_scored_bid,
    score_all,
)

pytestmark = pytest.mark.django_db


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(context.captured_queries)


def scoring_post(criteria, *, skip_justification_for=None, action="submit") -> dict:
    data = {
        "recommendation": "fund_with_conditions",
        "comments": "Fund if the partners commit staff time.",
        action: "1",
    }
    for criterion in criteria:
        data[f"score_{criterion.pk}"] = "4"
        data[f"justification_{criterion.pk}"] = "" if criterion == skip_justification_for else JUSTIFICATION
    return data


# --- The assessor's pages -------------------------------------------------------------------------------


def test_your_assessments_lists_assignments_with_due_date_in_constant_queries(client, staff, outbox):
    assessor = make_assessor(name="Helen Wright")
    funding_round = make_round(assessors_per_bid=2)
    client.force_login(assessor)
    # Every bid is submitted before the round closes; assessment starts with the first assignment.
    bid, *others = (make_in_review_bid(funding_round=funding_round) for _ in range(5))
    assign(bid, [assessor], by=staff)
    small = queries_for(client, reverse("assessments:list"))
    for state, other in zip(("in_progress", "submitted", "conflicted", "assigned"), others, strict=True):
        [assessment] = assign(other, [assessor], by=staff)
        if state == "conflicted":
            from assessments.services import assessment_declare

            assessment_declare(assessment=assessment, by=assessor, conflict=True, details="I know the lead")
        elif state != "assigned":
            score_all(assessment, 4, submit=state == "submitted")
    response = client.get(reverse("assessments:list"))
    assert queries_for(client, reverse("assessments:list")) == small
    html = response.content.decode()
    assert bid.reference in html
    assert funding_round.assessment_deadline.astimezone().strftime("%Y") in html
    for label in ("Assigned", "In progress", "Submitted", "Conflict declared"):
        assert label in html
    # Every title but the conflicted bid's.
    assert html.count("Shared housing repairs front door") == 4
    assert "Overdue" not in html


def test_council_members_and_staff_have_no_your_assessments_page(client, staff):
    from tests.factories import make_council, make_user

    client.force_login(make_user(councils=[make_council()]))
    assert client.get(reverse("assessments:list")).status_code == 404
    assert client.get(reverse("assessments:staff_home")).status_code == 404


def test_the_assessor_declares_before_reading_and_a_conflict_hides_the_bid(client, funding_round, staff, outbox):
    assessor = make_assessor()
    bid = make_in_review_bid(funding_round=funding_round)
    [assessment] = assign(bid, [assessor], by=staff)
    client.force_login(assessor)
    detail = reverse("assessments:detail", args=[assessment.pk])
    assert client.get(detail).url == reverse("assessments:declare", args=[assessment.pk])
    # The scoring page (with the bid's content) is not reachable before declaring.
    response = client.get(reverse("assessments:score", args=[assessment.pk]))
    assert response.status_code == 302
    assert client.get(reverse("bids:detail", args=[bid.reference])).status_code == 404

    url = reverse("assessments:declare", args=[assessment.pk])
    response = client.post(url, {})
    assert response.status_code == 400
    assert "Select whether you have a conflict of interest" in response.content.decode()
    response = client.post(url, {"conflict": "yes", "details": ""})
    assert response.status_code == 400
    assert "Enter details of your conflict of interest" in response.content.decode()
    assert Assessment.objects.get(pk=assessment.pk).state == AssessmentState.ASSIGNED

    response = client.post(url, {"conflict": "yes", "details": "I advised Leadshire on this project"})
    assert response.status_code == 302
    assert len(outbox.events("conflict_declared")) == 1
    page = client.get(detail).content.decode()
    assert "You declared a conflict of interest" in page
    assert bid.summary not in page
    assert client.get(reverse("assessments:score", args=[assessment.pk])).status_code == 302
    assert (
        bid.summary not in client.get(reverse("assessments:score", args=[assessment.pk]), follow=True).content.decode()
    )
    assert client.get(reverse("bids:detail", args=[bid.reference])).status_code == 404


def test_another_assessors_assessment_is_404(client, funding_round, staff, outbox):
    bid = make_in_review_bid(funding_round=funding_round)
    first, second = assign(bid, [make_assessor(), make_assessor()], by=staff)
    client.force_login(second.assessor)
    for name in ("detail", "declare", "score"):
        assert client.get(reverse(f"assessments:{name}", args=[first.pk])).status_code == 404


def test_scoring_errors_are_shown_inline_nothing_is_saved_then_submit_locks(client, staff, outbox):
    funding_round = make_round(assessors_per_bid=2)
    bid = make_in_review_bid(funding_round=funding_round)
    mine, theirs = assign(bid, [make_assessor(), make_assessor()], by=staff)
    score_all(theirs, 5)  # submitted first: its comments must stay hidden until mine is in
    client.force_login(mine.assessor)
    client.post(reverse("assessments:declare", args=[mine.pk]), {"conflict": "no"})
    url = reverse("assessments:score", args=[mine.pk])
    page = client.get(url).content.decode()
    assert bid.summary in page
    assert "5 Strong" in page and "1 Poor" in page
    assert "A strong, well evidenced bid" not in page  # the other assessor's comments
    criteria = list(funding_round.criteria.all())

    bad = scoring_post(criteria, skip_justification_for=criteria[1])
    bad[f"score_{criteria[0].pk}"] = "7"
    response = client.post(url, bad)
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html
    assert "The score for strategic fit must be a whole number from 1 (poor) to 5 (strong)" in html
    assert not CriterionScore.objects.filter(assessment=mine).exists()

    response = client.post(url, scoring_post(criteria, skip_justification_for=criteria[1]))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter a justification for your deliverability score" in html
    assert f'href="#id_justification_{criteria[1].pk}"' in html
    assert not CriterionScore.objects.filter(assessment=mine).exists()

    # A draft may be incomplete.
    response = client.post(url, scoring_post(criteria, skip_justification_for=criteria[1], action="save"))
    assert response.status_code == 302
    assert CriterionScore.objects.filter(assessment=mine).count() == 3
    assert JUSTIFICATION in client.get(url).content.decode()

    response = client.post(url, scoring_post(criteria))
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.state == AssessmentState.SUBMITTED
    page = client.get(reverse("assessments:detail", args=[mine.pk])).content.decode()
    assert "Assessor A" in page
    assert "A strong, well evidenced bid" in page
    assert theirs.assessor.full_name not in page  # assessors stay anonymous to each other
    assert client.get(url).status_code == 302  # the form is closed
    bid.refresh_from_db()
    # Both in, spread 1 on every criterion: means 4.5 → 100 × 3.5/4 = 87.50, and the bid is scored.
    assert (bid.state, bid.final_score) == (BidState.SCORED, Decimal("87.50"))


# --- Staff pages ----------------------------------------------------------------------------------------


def test_staff_pages_are_404_for_assessors(client, funding_round, staff, outbox):
    bid = make_in_review_bid(funding_round=funding_round)
    [assessment] = assign(bid, [make_assessor()], by=staff)
    client.force_login(assessment.assessor)
    for url in (
        reverse("assessments:staff_home"),
        reverse("assessments:round", args=[funding_round.pk]),
        reverse("assessments:ranking", args=[funding_round.pk]),
        reverse("assessments:calibration", args=[funding_round.pk]),
        reverse("assessments:bid", args=[bid.reference]),
        reverse("assessments:unassign", args=[assessment.pk]),
        reverse("assessments:reopen", args=[assessment.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("assessments:bulk_assign", args=[funding_round.pk])).status_code == 404


def test_staff_assign_shows_the_own_council_reason_and_assigns_the_chosen_assessor(
    client, funding_round, staff, outbox
):
    lead_council = make_in_review_bid(funding_round=funding_round).lead_council
    bid = make_in_review_bid(funding_round=funding_round, lead=lead_council)
    blocked = make_assessor(councils=[lead_council], name="Bo Blocked")
    free = make_assessor(name="Fay Free")
    client.force_login(staff)
    # Until the round is assessing, the page says why no one can be assigned.
    page = client.get(reverse("assessments:bid", args=[bid.reference])).content.decode()
    assert "Assessors are assigned while the round is assessing" in page
    start_assessing(funding_round, by=staff)
    page = client.get(reverse("assessments:bid", args=[bid.reference])).content.decode()
    assert "Bo Blocked cannot assess this bid: their council" in page
    assert "Fay Free" in page
    url = reverse("assessments:assign", args=[bid.reference])
    response = client.post(url, {"assessor": blocked.pk})
    assert response.status_code == 400
    assert "is the lead council" in response.content.decode()
    response = client.post(url, {})
    assert response.status_code == 400
    assert "Select an assessor to assign" in response.content.decode()
    assert client.post(url, {"assessor": free.pk}).status_code == 302
    assert Assessment.objects.get(bid=bid).assessor == free
    assert len(outbox.events("assessor_assigned")) == 1


def test_staff_bulk_assign_unassign_and_reopen_through_the_pages(client, staff, outbox):
    funding_round = make_round(assessors_per_bid=2)
    bid = make_in_review_bid(funding_round=funding_round)
    make_assessor(), make_assessor()
    client.force_login(staff)
    start_assessing(funding_round, by=staff)
    response = client.post(reverse("assessments:bulk_assign", args=[funding_round.pk]), follow=True)
    assert "2 assessments assigned" in response.content.decode()
    first, second = Assessment.objects.filter(bid=bid)

    url = reverse("assessments:unassign", args=[first.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"reason": ""})
    assert response.status_code == 400
    assert "Enter why you are unassigning this assessor" in response.content.decode()
    assert client.post(url, {"reason": "Overloaded this month"}).status_code == 302
    assert not Assessment.objects.filter(pk=first.pk).exists()

    score_all(second, 4)
    url = reverse("assessments:reopen", args=[second.pk])
    response = client.post(url, {"reason": " "})
    assert response.status_code == 400
    assert client.post(url, {"reason": "Please check the costs again"}).status_code == 302
    second.refresh_from_db()
    assert second.state == AssessmentState.IN_PROGRESS
    page = client.get(reverse("assessments:bid", args=[bid.reference])).content.decode()
    assert "Overloaded this month" in page and "Please check the costs again" in page


def test_an_unassigned_assessor_is_told_by_email_and_by_the_page_they_send_their_scores_to(client, staff, outbox):
    """Unassigning deletes the assessment. Its assessor hears of it, and their open score page, sent after,
    says what happened (410) instead of "Page not found"; to anyone else the address is still not found."""
    from assessments import services
    from notifications.choices import Event

    funding_round = make_round()
    bid = make_in_review_bid(funding_round=funding_round)
    assessor, other = make_assessor(), make_assessor()
    [assessment] = assign(bid, [assessor], by=staff)
    score_all(assessment, 4, submit=False)
    criteria = list(funding_round.criteria.all())
    client.force_login(assessor)
    score_url = reverse("assessments:score", args=[assessment.pk])
    assert client.get(score_url).status_code == 200

    services.assessment_unassign(assessment=assessment, by=staff, reason="Off sick for a month")
    [call] = outbox.events(Event.ASSESSOR_UNASSIGNED)
    assert call["recipients"] == [assessor]
    assert call["context"]["reference"] == bid.reference
    assert "Off sick" not in str(call["context"])  # staff's reason is their record, not a message

    for method, url in (
        ("post", score_url),
        ("get", reverse("assessments:detail", args=[assessment.pk])),
        ("get", reverse("assessments:declare", args=[assessment.pk])),
    ):
        response = getattr(client, method)(url, scoring_post(criteria) if method == "post" else None)
        page = response.content.decode()
        assert response.status_code == 410, (method, url)
        assert "You are no longer assessing this bid" in page
        assert f"The programme team has taken {bid.reference} off your assessments" in page
        assert reverse("assessments:list") in page
    assert not Assessment.objects.filter(pk=assessment.pk).exists()

    for someone in (other, staff):
        client.force_login(someone)
        assert client.get(reverse("assessments:detail", args=[assessment.pk])).status_code == 404


def test_staff_moderate_a_divergent_criterion_through_the_page(client, staff, outbox):
    funding_round = make_round(assessors_per_bid=2)
    bid = make_in_review_bid(funding_round=funding_round)
    first, second = assign(bid, [make_assessor(), make_assessor()], by=staff)
    score_all(first, [5, 4, 4])
    score_all(second, [2, 4, 4])
    strategic = funding_round.criteria.get(code="strategic_fit")
    client.force_login(staff)
    page = client.get(reverse("assessments:bid", args=[bid.reference])).content.decode()
    assert "Scores differ by 3" in page
    url = reverse("assessments:moderate", args=[bid.reference, strategic.pk])
    assert JUSTIFICATION in client.get(url).content.decode()
    response = client.post(url, {"score": "9", "note": "x"})
    assert response.status_code == 400
    assert "The moderated score must be from 1 (poor) to 5 (strong)" in response.content.decode()
    response = client.post(url, {"score": "4", "note": ""})
    assert "Enter a note explaining the moderated score" in response.content.decode()
    assert client.post(url, {"score": "4", "note": "Agreed at panel"}).status_code == 302
    bid.refresh_from_db()
    assert bid.state == BidState.SCORED
    assert bid.final_score == Decimal("75.00")


def test_ranking_and_calibration_pages_run_constant_queries(client, staff, outbox):
    funding_round = make_round(assessors_per_bid=2, budget="100000")
    client.force_login(staff)
    # Every bid is submitted before the round closes for assessment.
    first = make_in_review_bid(funding_round=funding_round, amount="60000")
    later = [make_in_review_bid(funding_round=funding_round, amount="30000") for _ in range(3)]
    in_review = [make_in_review_bid(funding_round=funding_round) for _ in range(3)]
    make_scored_bid(funding_round=funding_round, scores=(4, 5), bid=first)
    ranking_url = reverse("assessments:ranking", args=[funding_round.pk])
    calibration_url = reverse("assessments:calibration", args=[funding_round.pk])
    round_url = reverse("assessments:round", args=[funding_round.pk])
    home_url = reverse("assessments:staff_home")
    small = {url: queries_for(client, url) for url in (ranking_url, calibration_url, round_url, home_url)}
    for scores, bid in zip(((3, 4), (5, 5), (2, 3)), later, strict=True):
        make_scored_bid(funding_round=funding_round, scores=scores, bid=bid)
    for bid in in_review[:2]:
        assign(bid, [make_assessor()], by=staff)
    large = {url: queries_for(client, url) for url in small}
    assert large == small
    page = client.get(ranking_url).content.decode()
    assert "Funding line" in page
    # 100.00 (£30,000), 87.50 (£60,000) fit the £100,000; 62.50 would take the total to £120,000.
    assert page.count('govuk-tag--green">Above') == 2
    assert "Award every bid above the funding line" in page  # the pipeline's batch award is installed
    assert "Calibration" in client.get(calibration_url).content.decode()


def test_open_assessments_past_the_deadline_are_marked_overdue(client, funding_round, staff, outbox):
    from datetime import timedelta

    from django.utils import timezone

    from bids.models import FundingRound

    assessor = make_assessor()
    late, done = (make_in_review_bid(funding_round=make_round(assessors_per_bid=1)) for _ in range(2))
    assign(late, [assessor], by=staff)
    [finished] = assign(done, [assessor], by=staff)
    score_all(finished, 4)
    FundingRound.objects.filter(pk__in=[late.funding_round_id, done.funding_round_id]).update(
        assessment_deadline=timezone.now() - timedelta(days=1)
    )
    client.force_login(assessor)
    html = client.get(reverse("assessments:list")).content.decode()
    assert html.count("Overdue") == 1
    assert html.index(late.reference) < html.index("Overdue") < html.index(done.reference)


def test_a_bid_withdrawn_during_assessment_closes_the_scoring_form(client, funding_round, staff, outbox):
    from assessments.services import assessment_save_scores
    from bids.services import bid_withdraw
    from core.exceptions import ApplicationError

    bid = make_in_review_bid(funding_round=funding_round)
    [assessment] = assign(bid, [make_assessor()], by=staff)
    score_all(assessment, 4, submit=False)
    bid_withdraw(bid=bid, by=bid.lead_council.members.first(), reason="Partners pulled out")
    assessment.refresh_from_db()
    with pytest.raises(ApplicationError, match="is withdrawn, so its assessments can no longer change"):
        assessment_save_scores(assessment=assessment, by=assessment.assessor, scores={}, recommendation="", comments="")
    client.force_login(assessment.assessor)
    url = reverse("assessments:score", args=[assessment.pk])
    page = client.get(url).content.decode()
    assert "is withdrawn, so this assessment is no longer needed" in page
    assert "Submit assessment" not in page
    assert client.post(url, scoring_post(list(funding_round.criteria.all()))).status_code == 200
    assessment.refresh_from_db()
    assert assessment.state == AssessmentState.IN_PROGRESS
