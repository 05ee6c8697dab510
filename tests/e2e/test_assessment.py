"""An assessor's evening in real Chromium: declare no conflict, score, fix a missing justification, submit.
Then staff see the ranking. axe-core must report no WCAG 2.2 AA violations on any of these pages."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from bids.models import Bid
from councils.choices import Role
from tests.e2e.browser import assert_accessible, sign_in
from tests.factories import make_council, make_round, make_user
from tests.factories.assessments import assign, make_in_review_bid

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_assessor_declares_scores_fixes_an_error_submits_and_staff_see_the_ranking(new_page):
    funding_round = make_round(assessors_per_bid=1, budget="500000")
    bid = make_in_review_bid(funding_round=funding_round, amount="70000")
    staff = make_user(role=Role.PROGRAMME_STAFF, email="staff@fund.example.test", name="Priya Shah")
    assessor = make_user(
        role=Role.ASSESSOR, email="assessor@example.test", name="Helen Wright", councils=[make_council()]
    )
    [assessment] = assign(bid, [assessor], by=staff)
    criteria = list(funding_round.criteria.all())

    page = new_page()
    sign_in(page, assessor.email)
    page.wait_for_url("**/assessments/")
    expect(page.get_by_role("heading", name="Your assessments")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name=re.compile(bid.reference)).click()
    page.wait_for_url(f"**/assessments/{assessment.pk}/declare/")
    assert bid.summary not in page.content()  # nothing of the bid before declaring
    assert_accessible(page)
    page.get_by_label("No, I have no conflict of interest").check()
    page.get_by_role("button", name="Continue").click()

    page.wait_for_url(f"**/assessments/{assessment.pk}/score/")
    expect(page.get_by_role("heading", name=bid.title)).to_be_visible()
    assert_accessible(page)
    for index, criterion in enumerate(criteria):
        # Scores run 5 Strong … 1 Poor; the second radio is "4 Good".
        page.locator(f"#id_score_{criterion.pk}-1").check()
        if index != 1:
            page.get_by_label(f"Justification for your {criterion.name.lower()} score").fill(
                "Clear evidence from resident research in all three councils."
            )
    page.get_by_label("Fund with conditions").check()
    page.get_by_label("Comments on your recommendation").fill("Fund, provided the partners commit staff time.")
    page.get_by_role("button", name="Submit assessment").click()

    summary = page.locator(".govuk-error-summary")
    summary.wait_for()
    message = f"Enter a justification for your {criteria[1].name.lower()} score"
    assert message in summary.inner_text()
    expect(page.locator(".govuk-error-message", has_text=message)).to_be_visible()
    assert_accessible(page)
    # What was typed is kept; the error links to the field.
    assert page.locator(f"#id_score_{criteria[0].pk}-1").is_checked()
    summary.get_by_role("link", name=message).click()
    page.get_by_label(f"Justification for your {criteria[1].name.lower()} score").fill(
        "A realistic plan with an experienced supplier and named leads."
    )
    page.get_by_role("button", name="Submit assessment").click()

    page.wait_for_url(f"**/assessments/{assessment.pk}/")
    expect(page.get_by_text(f"Your assessment of {bid.reference} has been submitted")).to_be_visible()
    expect(page.get_by_role("heading", name="Your assessment")).to_be_visible()
    assert_accessible(page)
    bid = Bid.objects.get(pk=bid.pk)
    assert bid.state == "scored"
    assert str(bid.final_score) == "75.00"

    staff_page = new_page()
    sign_in(staff_page, staff.email)
    staff_page.wait_for_load_state()
    staff_page.goto(f"/assessments/staff/rounds/{funding_round.pk}/ranking/")
    expect(staff_page.get_by_role("heading", name="Ranking")).to_be_visible()
    row = staff_page.get_by_role("row", name=re.compile(bid.reference))
    assert "75.00" in row.inner_text()
    assert "Above" in row.inner_text()
    assert_accessible(staff_page)
    staff_page.goto(f"/assessments/staff/bids/{bid.reference}/")
    expect(staff_page.get_by_role("heading", name=bid.title)).to_be_visible()
    assert_accessible(staff_page)
    staff_page.goto(f"/assessments/staff/rounds/{funding_round.pk}/calibration/")
    expect(staff_page.get_by_role("row", name=re.compile("Helen Wright"))).to_be_visible()
    assert_accessible(staff_page)
    staff_page.goto("/assessments/staff/")
    staff_page.get_by_role("link", name=f"Assignment and moderation for {funding_round.name}").click()
    expect(staff_page.get_by_role("heading", name="Assignment and moderation")).to_be_visible()
    assert_accessible(staff_page)


def test_an_assessor_unassigned_while_scoring_is_told_when_they_send(new_page):
    """Staff unassign an assessor whose score page is open; what they send is answered with what happened."""
    from assessments import services

    funding_round = make_round(assessors_per_bid=1)
    bid = make_in_review_bid(funding_round=funding_round)
    staff = make_user(role=Role.PROGRAMME_STAFF, email="staff@fund.example.test", name="Priya Shah")
    assessor = make_user(role=Role.ASSESSOR, email="assessor@example.test", name="Helen Wright")
    [assessment] = assign(bid, [assessor], by=staff)
    services.assessment_declare(assessment=assessment, by=assessor, conflict=False, details="")

    page = new_page()
    sign_in(page, assessor.email)
    page.goto(f"/assessments/{assessment.pk}/score/")
    services.assessment_unassign(assessment=assessment, by=staff, reason="Reassigned to balance the load")
    with page.expect_navigation():
        page.get_by_role("button", name="Save as draft").click()
    expect(page.get_by_role("heading", name="You are no longer assessing this bid")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Go to your assessments").click()
    expect(page.get_by_role("heading", name="Your assessments")).to_be_visible()
    assert bid.reference not in page.locator("main").inner_text()
