"""What people hit in the browser (issue 11), walked in real Chromium by each role, driven by what the pages
say; axe-core checks every page on the way, error states and print views included."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from assessments.models import Assessment
from assessments.services import moderation_record
from bids import services
from bids.choices import PartnerStatus, Payer
from bids.models import BidPartner
from councils.choices import Role
from notifications.models import Notification
from tests.e2e.browser import check, sign_in
from tests.factories import (
    award,
    make_bid,
    make_council,
    make_round,
    make_user,
    publish_decisions,
    start_assessing,
    start_deciding,
)
from tests.factories.assessments import assign, make_assessor, make_in_review_bid, make_scored_bid, score_all

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_council_teams_see_why_and_what_before_they_act(new_page, councils, settings, tmp_path):
    """Items 1–6 and issue 10's two-council invitation: a lead's drafting pages, then partners' invitations."""
    settings.MEDIA_ROOT = tmp_path
    settings.DEMO_DATA = True
    funding_round = make_round(code="J1")
    lead = make_user(councils=[councils["lead"]], email="lead@leadshire.example.test", name="Lee Lead")
    bid = make_bid(funding_round=funding_round, lead=councils["lead"], by=lead, amount="60000")
    services.bid_update(bid=bid, by=lead, working_in_the_open="")
    for council in (councils["p1"], councils["p2"]):
        services.partner_invite(bid=bid, council=council, by=lead)
    for description in ("Design", "Build"):
        services.cost_line_add(
            bid=bid, by=lead, payer=Payer.PARTNER, payer_council=councils["p1"], description=description, amount=1
        )
    services.document_upload(bid=bid, by=lead, upload=SimpleUploadedFile("research.pdf", PDF))
    draft = services.bid_create(funding_round=funding_round, lead_council=councils["lead"], by=lead)

    page = new_page()
    sign_in(page, lead.email)
    page.wait_for_url("**/bids/")
    expect(page.locator("#demo-data")).to_contain_text("Demo data — not real grants")
    check(page)

    # An empty save of an empty section saves nothing and the task stays Not started (item 4).
    page.goto(f"/bids/{draft.reference}/")
    page.get_by_role("link", name="About the project").click()
    check(page)
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("so nothing was saved")
    expect(page.locator("#task-about-status")).to_have_text("Not started")
    check(page)
    # Optional questions say so.
    page.get_by_role("link", name="Approach and outputs").click()
    expect(page.get_by_label("Working in the open (optional)")).to_be_visible()
    check(page)
    # A start date before the round closes is refused on the date itself (item 5).
    page.goto(f"/bids/{draft.reference}/timeline/")
    expect(page.locator("#planned-start-hint")).to_contain_text("On or after")
    early = date.today() - timedelta(days=270)
    page.get_by_label("Day", exact=True).fill(str(early.day))
    page.get_by_label("Month", exact=True).fill(str(early.month))
    page.get_by_label("Year", exact=True).fill(str(early.year))
    page.get_by_role("button", name="Save and continue").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("The planned start date must be on or after")
    expect(page.locator("#planned-start-error")).to_contain_text("must be on or after")
    check(page)

    # The task list says why Costs and Partners are in progress; the costs page names the council once (item 2).
    page.goto(f"/bids/{bid.reference}/")
    payer = "The cost lines ‘Design’ and ‘Build’ are paid by Partnerton Council, which has not yet confirmed it is "
    payer += "a partner"
    expect(page.locator("#task-costs-status")).to_have_text("In progress")
    expect(page.locator("#task-costs-hint")).to_contain_text(payer)
    expect(page.locator("#task-partners-hint")).to_contain_text(
        "Partnerton Council has not yet confirmed it is a partner"
    )
    check(page)
    with page.expect_navigation():
        page.get_by_role("link", name="Costs").click()
    assert page.content().count(payer) == 1
    check(page)

    # With demo data, the council search says the Declaration status is made up (item 16).
    page.goto(f"/bids/{bid.reference}/partners/?q=Partnercombe")
    expect(page.locator("#council-results")).to_contain_text("Signed (demo data)")
    check(page)

    # Check answers lists every blocker first, with links, and asks for no declaration yet (item 3).
    page.goto(f"/bids/{bid.reference}/check/")
    blockers = page.locator("#blockers")
    expect(blockers).to_contain_text("You cannot submit this bid yet")
    expect(blockers.get_by_role("link", name="Partnerby Council has not yet confirmed it is a partner")).to_be_visible()
    expect(page.get_by_label("I confirm this bid is submitted on behalf of")).to_have_count(0)
    check(page)

    # Print: with JavaScript the link prints the page; its href (followed without JavaScript) is the
    # print-friendly page; printed, no navigation or buttons show (item 6).
    print_link = page.get_by_role("link", name="Print this page")
    # (A string ending in a function would be called by Playwright: end it with null.)
    page.evaluate("window.printed = 0; window.print = () => { window.printed += 1; }; null")
    print_link.click()
    assert page.evaluate("window.printed") == 1 and page.url.endswith("/check/")
    page.goto(print_link.get_attribute("href"))
    page.wait_for_url(f"**/bids/{bid.reference}/print/")
    expect(page.get_by_role("heading", level=1)).to_have_text(bid.title)
    expect(page.get_by_text("research.pdf")).to_be_visible()
    check(page)
    page.emulate_media(media="print")
    expect(page.locator(".govuk-header")).to_be_hidden()
    expect(page.locator(".govuk-service-navigation")).to_be_hidden()
    expect(page.get_by_role("link", name="Print this page")).to_be_hidden()
    page.emulate_media(media="screen")

    # Someone in both invited councils: the invitation shows what they join and asks once per council.
    both = make_user(councils=[councils["p1"], councils["p2"]], email="both@partners.example.test", name="Bo Both")
    partner_page = new_page()
    sign_in(partner_page, both.email)
    partner_page.wait_for_url("**/bids/")
    partner_page.goto(f"/bids/{bid.reference}/")
    banner = partner_page.locator(".govuk-notification-banner")
    expect(banner).to_contain_text("invited Partnerton Council and Partnerby Council to be partners")
    check(partner_page)
    banner.get_by_role("link", name="Confirm or decline the invitation").click()
    expect(partner_page.get_by_role("heading", level=1)).to_contain_text(
        "Leadshire Council invites Partnerton Council and Partnerby Council to be partners"
    )
    for shown in ("A reusable front door for repairs.", "£60,000", "Sam Lead", "Design", "Build"):
        expect(partner_page.locator("main")).to_contain_text(shown)
    assert "research.pdf" not in partner_page.content()
    partner_page.get_by_text("Read the whole draft").click()
    expect(partner_page.get_by_text("Paper forms.")).to_be_visible()
    check(partner_page)
    partner_page.get_by_role("button", name="Save answer for Partnerby Council").click()
    expect(partner_page.locator(".govuk-error-summary")).to_contain_text(
        "Select whether Partnerby Council takes part in this bid"
    )
    check(partner_page)
    partner_page.get_by_label("Yes, Partnerton Council confirms it is a partner").check()
    partner_page.get_by_role("button", name="Save answer for Partnerton Council").click()
    expect(partner_page.locator(".govuk-notification-banner--success")).to_contain_text(
        "You have confirmed Partnerton Council's part"
    )
    check(partner_page)
    partner_page.get_by_label("Yes, we confirm we are a partner").check()
    partner_page.get_by_role("button", name="Save answer").click()
    partner_page.wait_for_url("**/bids/")
    statuses = set(BidPartner.objects.filter(bid=bid).values_list("status", flat=True))
    assert statuses == {PartnerStatus.CONFIRMED}

    # Now the costs are paid by a confirmed partner: nothing blocks, and one click on submit is enough.
    page.goto(f"/bids/{bid.reference}/costs/")
    for line in bid.cost_lines.all():
        services.cost_line_remove(line=line, by=lead)
    services.cost_line_add(bid=bid, by=lead, payer=Payer.LEAD, description="Staff", amount=Decimal(30000))
    services.cost_line_add(bid=bid, by=lead, payer=Payer.SUPPLIER, description="Supplier", amount=Decimal(30000))
    page.goto(f"/bids/{bid.reference}/check/")
    expect(page.locator("#blockers")).to_have_count(0)
    page.get_by_label("I confirm this bid is submitted on behalf of").check()
    page.get_by_role("button", name="Accept and submit bid").click()
    expect(page.locator(".govuk-panel--confirmation")).to_contain_text(bid.reference)
    check(page)


def test_assessors_and_staff_find_documents_next_steps_warnings_and_the_panel_pack(new_page, settings, tmp_path):
    """Items 7–12: an assessor reads the documents; staff follow each page's next step from assigning to the
    panel pack and the award, warned while the round is open."""
    settings.MEDIA_ROOT = tmp_path
    funding_round = make_round(code="J2", budget="200000", assessors_per_bid=2)
    staff = make_user(role=Role.PROGRAMME_STAFF, email="staff@fund.example.test", name="Priya Shah")
    lead = make_user(councils=[make_council("J2L", "Docsham")])
    bid = make_bid(
        funding_round=funding_round, lead=lead.councils.get(), partners=[make_council(), make_council()], by=lead
    )
    services.document_upload(bid=bid, by=lead, upload=SimpleUploadedFile("evidence.pdf", PDF))
    bid = services.bid_submit(bid=bid, by=lead)
    other = make_in_review_bid(funding_round=funding_round, amount="50000", lead=make_council("J2S", "Scoreby"))
    review = make_in_review_bid(funding_round=funding_round, lead=make_council("J2R", "Reviewham"))

    # Staff: the bid page says what to do next: the sift first, then (once the round is assessing) assigning
    # assessors (item 9).
    staff_page = new_page()
    sign_in(staff_page, staff.email)
    staff_page.wait_for_url("**/pipeline/")
    staff_page.goto(f"/pipeline/bids/{bid.reference}/")
    expect(staff_page.locator("#next-step")).to_contain_text("Check the bid is eligible")
    check(staff_page)
    staff_page.locator("#next-step").get_by_role("link", name="Sift the bid").click()
    staff_page.wait_for_url(f"**/pipeline/bids/{bid.reference}/sift/")
    check(staff_page)
    staff_page.get_by_label("Yes, it is eligible").check()
    staff_page.get_by_role("button", name="Record the decision").click()
    expect(staff_page.locator(".govuk-notification-banner")).to_contain_text(f"{bid.reference} is sifted eligible")
    start_assessing(funding_round, by=staff)
    make_scored_bid(funding_round=funding_round, scores=(4, 4), bid=other)
    staff_page.goto(f"/pipeline/bids/{bid.reference}/")
    expect(staff_page.locator("#next-step")).to_contain_text("Assign 2 more assessors")
    check(staff_page)
    staff_page.locator("#next-step").get_by_role("link", name="Assign assessors").click()
    staff_page.wait_for_url(f"**/assessments/staff/bids/{bid.reference}/#assign")  # at the section that assigns
    check(staff_page)
    first, second = make_assessor(name="Ann Assessor", email="ann@assess.example.test"), make_assessor()
    [mine, theirs] = assign(bid, [first, second], by=staff)

    # The assessor reads the supporting documents beside the bid, with the justification's minimum in the hint.
    assessor_page = new_page()
    sign_in(assessor_page, first.email)
    assessor_page.wait_for_url("**/assessments/")
    assessor_page.goto(f"/assessments/{mine.pk}/declare/")
    assessor_page.get_by_label("No, I have no conflict of interest").check()
    assessor_page.get_by_role("button", name="Continue").click()
    assessor_page.wait_for_url(f"**/assessments/{mine.pk}/score/")
    documents = assessor_page.locator("#supporting-documents")
    expect(documents.get_by_role("link", name="evidence.pdf")).to_be_visible()
    expect(assessor_page.locator("main")).to_contain_text("At least a sentence (5 words or more)")
    check(assessor_page)
    with assessor_page.expect_download() as download:
        documents.get_by_role("link", name="evidence.pdf").click()
    assert download.value.suggested_filename == "evidence.pdf"
    score_all(Assessment.objects.get(pk=mine.pk), [5, 4, 4])  # declared in the browser meanwhile
    score_all(theirs, [2, 4, 4])
    assessor_page.goto(f"/assessments/{mine.pk}/")
    expect(assessor_page.locator("main")).to_contain_text("Submitted on ")
    assert "Submitted Submitted" not in assessor_page.content()
    check(assessor_page)

    # Moderation: recorded in the history, and the page then points to the ranking.
    staff_page.goto(f"/pipeline/bids/{bid.reference}/")
    expect(staff_page.locator("#next-step")).to_contain_text("Moderate the scores")
    bid.refresh_from_db()
    strategic = funding_round.criteria.get(code="strategic_fit")
    moderation_record(bid=bid, criterion=strategic, score="4", note="Agreed at the panel", by=staff)
    staff_page.goto(f"/assessments/staff/bids/{bid.reference}/")
    expect(staff_page.locator("main")).to_contain_text("Moderated score recorded")
    check(staff_page)
    staff_page.locator("#next-step").get_by_role("link", name=f"See the ranking for {funding_round.name}").click()

    # The ranking says decisions wait for the round to be deciding (item 10's warning, now the rule).
    staff_page.wait_for_url(f"**/assessments/staff/rounds/{funding_round.pk}/ranking/")
    warnings = staff_page.locator(".govuk-warning-text")
    expect(warnings.first).to_contain_text(
        "Round J2 is assessing: awards and declines are recorded once it is deciding"
    )
    expect(staff_page.locator("main")).to_contain_text("2 bids above the funding line ask for")
    check(staff_page)

    # The panel pack (item 12).
    staff_page.get_by_role("link", name=re.compile("Panel pack")).click()
    expect(staff_page.get_by_role("heading", level=1)).to_have_text("Panel pack: bids above the funding line")
    expect(staff_page.locator(f"#bid-{bid.reference}")).to_contain_text("Agreed at the panel")
    expect(staff_page.locator(f"#bid-{bid.reference}")).to_contain_text("Ann Assessor: 5 Strong")
    check(staff_page)
    staff_page.emulate_media(media="print")
    expect(staff_page.locator(".govuk-header")).to_be_hidden()
    staff_page.emulate_media(media="screen")

    # The award form: refused until the round is deciding (the bid still in review found ineligible first), then
    # warned that nothing is told until publication; a refused amount is on the field, linked from the summary
    # (item 11).
    staff_page.goto(f"/pipeline/bids/{bid.reference}/award/")
    expect(staff_page.locator(".govuk-error-summary")).to_contain_text("You cannot award funding yet")
    check(staff_page)
    services.bid_sift(bid=review, by=staff, eligible=False, note="Not a Declaration signatory")
    start_deciding(funding_round, by=staff)
    staff_page.goto(f"/pipeline/bids/{bid.reference}/award/")
    expect(staff_page.locator(".govuk-warning-text").first).to_contain_text("Decisions are recorded, not told")
    check(staff_page)
    staff_page.get_by_label("Amount to award, in pounds").fill("90000")
    staff_page.get_by_role("button", name=re.compile("Confirm")).click()
    link = staff_page.locator(".govuk-error-summary").get_by_role("link", name=re.compile("cannot be more than"))
    expect(link).to_have_attribute("href", "#id_amount")
    expect(staff_page.locator("#id_amount")).to_have_class(re.compile("govuk-input--error"))
    expect(staff_page.locator("#id_amount-error")).to_contain_text("cannot be more than the £60,000.00 requested")
    check(staff_page)
    staff_page.goto(f"/pipeline/rounds/{funding_round.pk}/batch-award/")
    expect(staff_page.locator(".govuk-warning-text").first).to_contain_text("Decisions are recorded, not told")
    check(staff_page)
    staff_page.get_by_role("button", name=re.compile(r"Award \d bids?")).click()
    staff_page.wait_for_url("**/pipeline/?round=*")
    staff_page.goto(f"/pipeline/bids/{bid.reference}/")
    expect(staff_page.locator("#next-step")).to_contain_text("Awarded")
    check(staff_page)


def test_messages_public_pages_and_open_data_read_right(new_page, settings):
    """Items 13–17: a message in paragraphs with links, the feedback link, funded projects from the home page,
    the demo label, and a 360Giving file saved with its name."""
    settings.DEMO_DATA = True
    settings.FEEDBACK_URL = "mailto:ldf-feedback@example.gov.uk"
    settings.OPEN_DATA_PREFIX = "LDF"
    funding_round = make_round(code="J3", budget="500000")
    bid = make_scored_bid(funding_round=funding_round, lead=make_council("J3L", "Messageham"))
    staff = make_user(role=Role.PROGRAMME_STAFF)
    award(bid, amount=Decimal("50000"), by=staff)
    publish_decisions(funding_round, by=staff)
    member = bid.lead_council.members.first()
    member.set_password("correct-horse-battery")
    member.save()

    page = new_page()
    page.goto("/")
    expect(page.locator(".govuk-phase-banner").get_by_role("link")).to_have_attribute(
        "href", "mailto:ldf-feedback@example.gov.uk"
    )
    expect(page.locator("#demo-data")).to_contain_text("Demo data — not real grants")
    check(page)
    page.locator("main").get_by_role("link", name="funded projects").click()
    page.wait_for_url("**/funded/")
    expect(page.get_by_text("Messageham Council").first).to_be_visible()
    check(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="All rounds (360Giving JSON)").click()
    assert download.value.suggested_filename == "local-digital-fund-360giving-all.json"
    package = download.value.path().read_text()
    assert "Demo data — not real grants" in package
    assert f'"360G-LDF-{bid.reference.removeprefix("LDF-")}"' in package

    sign_in(page, member.email)
    page.wait_for_url("**/bids/")
    awarded = Notification.objects.get(recipient=member, event="bid_awarded")
    page.goto(f"/notifications/{awarded.pk}/")
    body = page.locator("#message-body")
    expect(body.locator("p").first).to_be_visible()
    assert body.locator("p").count() >= 4
    assert "Reference:" in body.inner_text() and "\nBid:" in body.inner_text()  # each detail on its own line
    expect(body.get_by_role("link", name="View the bid")).to_have_attribute("href", f"/bids/{bid.reference}/")
    check(page)
    body.get_by_role("link", name="View the bid").click()
    page.wait_for_url(f"**/bids/{bid.reference}/")
    expect(page.locator("main")).to_contain_text("Messageham Council")
    check(page)
