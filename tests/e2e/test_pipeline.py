"""Programme staff in a real browser: filter the bid table, open a scored bid, award it, see the dashboard
change; axe-core finds no WCAG 2.2 AA violations on the staff pages or the public funded-projects page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from bids import services as bid_services
from councils.choices import Role
from tests.e2e.browser import assert_accessible, sign_in
from tests.factories import award, make_council, make_round, make_user, publish_decisions, start_deciding
from tests.factories.assessments import make_in_review_bid, make_scored_bid

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_filter_open_award_and_see_the_dashboard_update(new_page):
    funding_round = make_round(code="E2", budget="500000")
    scored = make_in_review_bid(funding_round=funding_round, lead=make_council("E2S", "Scoredale"), amount="75000")
    withdrawn = make_in_review_bid(funding_round=funding_round, lead=make_council("E2R", "Reviewdale"))
    waiting = make_in_review_bid(funding_round=funding_round, lead=make_council("E2W", "Waitham", region="North West"))
    staff = make_user(role=Role.PROGRAMME_STAFF, email="staff@e2e.example.test", name="Eve Staff")
    scored, waiting = (make_scored_bid(funding_round=funding_round, bid=bid) for bid in (scored, waiting))
    # Decisions are recorded while the round is deciding: every bid scored, ineligible or withdrawn.
    bid_services.bid_withdraw(bid=withdrawn, by=withdrawn.created_by, reason="Our partners pulled out")
    start_deciding(funding_round, by=staff)

    page = new_page()
    sign_in(page, "staff@e2e.example.test")
    page.wait_for_url("**/pipeline/")
    expect(page.locator("#total-awarded")).to_have_text("£0")
    assert_accessible(page)

    page.goto(f"/pipeline/?round={funding_round.pk}")
    assert_accessible(page)

    page.get_by_role("link", name="Bids", exact=True).first.click()
    page.wait_for_url("**/pipeline/bids/")
    assert_accessible(page)
    page.get_by_label("Status").select_option("scored")
    page.get_by_label("Region").select_option("South West")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("#result-count")).to_have_text("1 bid")
    assert_accessible(page)

    page.get_by_role("link", name=scored.reference).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(scored.title)
    assert_accessible(page)

    page.get_by_role("button", name="Award funding").click()
    expect(page.get_by_label("Amount to award, in pounds")).to_have_value("75000.00")
    assert_accessible(page)
    # A mistake first: more than requested is refused with an error summary, and the page stays accessible.
    page.get_by_label("Amount to award, in pounds").fill("90000")
    page.get_by_role("button", name=re.compile("Confirm")).click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("cannot be more than the £75,000.00 requested")
    assert_accessible(page)
    page.get_by_label("Amount to award, in pounds").fill("70000")
    page.get_by_label("Conditions of the award (optional)").fill("Publish weeknotes")
    page.get_by_role("button", name=re.compile("Confirm")).click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(f"{scored.reference} was awarded £70,000.00")
    expect(page.locator("#bid-state")).to_contain_text("Awarded")
    assert_accessible(page)

    page.get_by_role("link", name="Dashboard").click()
    expect(page.locator("#total-awarded")).to_have_text("£70,000")
    expect(page.locator('#states-table tr[data-state="awarded"] td').first).to_have_text("1")

    # The rest of the ranking above the funding line, in one action.
    page.goto(f"/pipeline/?round={funding_round.pk}")
    page.get_by_role("link", name="Award every bid above the funding line").click()
    expect(page.get_by_role("link", name=waiting.reference)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Award 1 bid").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("1 bid awarded a total of £60,000.00")
    expect(page.locator("#total-awarded")).to_have_text("£130,000")
    assert_accessible(page)


def test_public_funded_projects_page_is_accessible_without_sign_in(new_page):
    staff = make_user(role=Role.PROGRAMME_STAFF)
    funding_round = make_round(code="E3", budget="500000")
    bid = make_scored_bid(funding_round=funding_round, lead=make_council("E3L", "Fundedham"))
    award(bid, amount="50000", by=staff)
    publish_decisions(funding_round, by=staff)
    page = new_page()
    page.goto("/funded/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Funded projects")
    expect(page.get_by_text("Fundedham Council")).to_be_visible()
    assert_accessible(page)
    response = page.request.get("/funded/360giving.json")
    assert response.status == 200 and response.json()["grants"][0]["amountAwarded"] == 50000


def test_a_link_to_a_round_that_does_not_exist_explains_itself_accessibly(new_page):
    funding_round = publish_decisions(make_round(code="E4"), by=make_user(role=Role.PROGRAMME_STAFF))
    page = new_page()
    page.goto("/funded/?round=999999")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select a round from the list")
    assert_accessible(page)
    page.get_by_label("Round").select_option(funding_round.name)
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Funded projects: {funding_round.name}")
