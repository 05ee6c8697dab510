"""Issue 13 in the browser: council A posts a call for partners, council B finds it by searching and asks to
join, A accepts and B is a confirmed partner; a new draft shows a similar funded project on its task list;
staff see the overlap flag for two similar bids in one round; a funded discovery is continued into an alpha
draft that shows its lineage. axe-core checks every page on the way."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from bids.choices import BidState, PartnerStatus, RoundState
from bids.models import FundingRound
from councils.choices import Role
from tests.e2e.browser import check, sign_in
from tests.factories import award, make_bid, make_round, make_user, publish_decisions
from tests.factories.assessments import make_scored_bid
from tests.factories.collaboration import seed_texts

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _inline_index(settings):
    settings.SIMILARITY_INDEX_INLINE = True


def published_round(code: str) -> FundingRound:
    """A round whose decisions are published (only then is an award in it public)."""
    funding_round = make_round(code=code)
    FundingRound.objects.filter(pk=funding_round.pk).update(state=RoundState.PUBLISHED)
    funding_round.refresh_from_db()
    return funding_round


def test_councils_find_each_other_and_see_similar_work(new_page, councils):
    funding_round = make_round(code="CO1", min_partner_councils=1)
    lead = make_user(councils=[councils["lead"]], email="lead@leadshire.example.test", name="Lee Lead")
    asker = make_user(councils=[councils["other"]], email="ash@otherham.example.test", name="Ash Asker")
    bid = make_bid(funding_round=funding_round, lead=councils["lead"], by=lead, filled=False)
    # A funded project about the same problem, public on /funded/.
    seed_texts(
        [(None, "Taxi and private hire licensing", "Drivers renew hackney carriage licences with paper forms.")],
        funding_round=published_round("CO0"),
        council=councils["p3"],
        state=BidState.AWARDED,
    )

    # Council A writes its draft's title and summary; its task list shows the similar funded project.
    page = new_page()
    sign_in(page, lead.email)
    page.goto(f"/bids/{bid.reference}/about/")
    page.get_by_label("Project title").fill("Online licensing for cab drivers")
    page.get_by_label("Summary").fill("Checking the licences of minicab drivers takes our licensing team weeks.")
    page.get_by_role("button", name="Save and continue").click()
    similar = page.locator(".app-similar")
    expect(similar).to_contain_text("Taxi and private hire licensing")
    expect(similar).to_contain_text("Funded project")
    check(page)

    # A posts a call for partners: the pitch, never the draft.
    page.get_by_role("link", name="Look for partner councils").click()
    check(page)
    page.get_by_role("button", name="Open your call for partners").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Say what partners would do")
    check(page)
    page.get_by_label("The problem").fill("Licensing checks of cab drivers take weeks in every council.")
    page.get_by_label("What partners would do").fill("Test the new checks with your licensing team.")
    join_by = funding_round.closes_at.date()
    page.get_by_label("Day", exact=True).fill(str(join_by.day))
    page.get_by_label("Month", exact=True).fill(str(join_by.month))
    page.get_by_label("Year", exact=True).fill(str(join_by.year))
    page.get_by_role("button", name="Open your call for partners").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Your call for partners is open")
    check(page)

    # Council B finds it by searching and asks to join.
    other = new_page()
    sign_in(other, asker.email)
    other.goto("/partner-calls/")
    check(other)
    other.get_by_label("Search").fill("cab licensing")
    other.get_by_role("button", name="Search").click()
    expect(other.locator("#result-count")).to_contain_text("1 open call")
    check(other)
    other.get_by_role("link", name="Online licensing for cab drivers").click()
    expect(other.locator("body")).not_to_contain_text("minicab drivers takes our licensing team weeks")
    other.get_by_role("button", name="Ask to join").click()
    expect(other.locator(".govuk-error-summary")).to_contain_text("Enter a message to the lead council")
    check(other)
    other.get_by_label("Your message to the lead council").fill("We license 400 drivers and would test with you.")
    other.get_by_role("button", name="Ask to join").click()
    expect(other.locator(".govuk-inset-text")).to_contain_text("waiting for an answer")
    check(other)

    # A accepts; B becomes a confirmed partner.
    page.goto(f"/bids/{bid.reference}/")
    expect(page.locator("#partner-call ~ p").first).to_contain_text("1 request to answer")
    page.get_by_role("link", name="Manage your call and answer requests").click()
    check(page)
    page.get_by_role("link", name="Answer").click()
    check(page)
    page.get_by_label("Yes, add it as a confirmed partner").check()
    page.get_by_role("button", name="Send your answer").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("is now a confirmed partner")
    check(page)
    assert bid.partners.get(council=councils["other"]).status == PartnerStatus.CONFIRMED
    page.goto(f"/bids/{bid.reference}/partners/")
    expect(page.locator("table")).to_contain_text(councils["other"].name)
    other.goto(f"/bids/{bid.reference}/")  # B can now read the bid it joined
    expect(other.get_by_role("heading", level=1)).to_have_text("Online licensing for cab drivers")
    check(other)


def test_staff_see_overlaps_and_a_funded_discovery_continues_into_an_alpha(new_page, councils):
    funding_round = make_round(code="CO2")
    seed_texts(
        [
            (None, "Resident parking permits online", "Households renew on-street parking permits by post."),
            (None, "Virtual permits for residents' parking zones", "People queue to buy a permit for their car."),
        ],
        funding_round=funding_round,
        council=councils["p1"],
    )
    staff = make_user(role=Role.PROGRAMME_STAFF, email="staff@fund.example.test")
    page = new_page()
    sign_in(page, staff.email)
    page.goto("/pipeline/bids/")
    expect(page.locator("#bid-table")).to_contain_text("Possible overlap")
    assert page.locator("#bid-table .govuk-tag--orange").count() == 2
    check(page)
    page.get_by_role("link", name="LDF-CO2-0001").click()
    expect(page.locator(".app-similar")).to_contain_text("Virtual permits for residents' parking zones")
    expect(page.locator(".app-similar")).to_contain_text("Possible overlap")
    check(page)

    # A funded discovery is continued into an alpha draft that shows its lineage.
    lead = make_user(councils=[councils["lead"]], email="lead2@leadshire.example.test", name="Lin Lead")
    discovery_round = make_round(code="CO9")
    discovery = make_scored_bid(funding_round=discovery_round, lead=councils["lead"], by=lead)
    award(discovery, amount=Decimal("55000"), by=staff)
    publish_decisions(discovery_round, by=staff)
    make_round(code="CO3")
    lead_page = new_page()
    sign_in(lead_page, lead.email)
    lead_page.goto(f"/bids/{discovery.reference}/")
    lead_page.get_by_role("link", name="Start the next phase of this project").click()
    check(lead_page)
    lead_page.get_by_label("Round CO3").check()
    lead_page.get_by_role("button", name="Start the alpha").click()
    phases = lead_page.locator(".app-lineage")
    expect(phases).to_contain_text(discovery.reference)
    expect(phases).to_contain_text("£55,000 awarded")
    expect(phases).to_contain_text("(this bid)")
    check(lead_page)
