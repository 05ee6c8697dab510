"""A lead council member drafts a whole bid in real headless Chromium, two partner councils confirm in their
own browser contexts, and the lead submits. axe-core checks every drafting page, error states included."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from bids.choices import BidState, PartnerStatus
from bids.models import Bid, BidDocument
from tests.e2e.browser import check, sign_in
from tests.factories import make_bid, make_round, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64


def save(page, name: str = "Save and continue") -> None:
    with page.expect_navigation():  # the answer is a new page: wait until it has loaded
        page.get_by_role("button", name=name).click()


def expect_error(page, message: str) -> None:
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    assert message in summary.inner_text()
    assert page.title().startswith("Error:")
    check(page)


def test_lead_drafts_partners_confirm_and_lead_submits(new_page, councils, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    funding_round = make_round(code="R9")
    lead = make_user(councils=[councils["lead"]], email="lead@leadshire.example.test", name="Lee Lead")
    partner_users = [
        make_user(councils=[councils["p1"]], email="p1@partnerton.example.test", name="Pat Partnerton"),
        make_user(councils=[councils["p2"]], email="p2@partnerby.example.test", name="Pip Partnerby"),
    ]

    page = new_page()
    script_errors: list[str] = []
    page.on("pageerror", lambda error: script_errors.append(str(error)))
    sign_in(page, lead.email)
    page.wait_for_url("**/bids/")
    check(page)

    # Start a bid: an error first (no round chosen), then the round.
    page.get_by_role("button", name="Start a new bid").click()
    check(page)
    save(page, "Start bid")
    expect_error(page, "Select the round")
    page.get_by_label(funding_round.name, exact=False).check()
    save(page, "Start bid")
    bid = Bid.objects.get()
    expect(page.get_by_role("heading", name="Untitled bid")).to_be_visible()
    check(page)

    # About the project: a summary over the word limit is refused, everything typed is kept.
    page.get_by_role("link", name="About the project").click()
    check(page)
    page.get_by_label("Project title").fill("Shared housing repairs front door")
    page.get_by_label("Summary", exact=True).fill("word " * 251)
    page.get_by_label("Discovery – up to £80,000").check()
    save(page)
    expect_error(page, "The summary must be 250 words or fewer")
    assert page.get_by_label("Project title").input_value() == "Shared housing repairs front door"
    page.get_by_label("Summary", exact=True).fill("A reusable front door for housing repairs.")
    save(page)

    page.get_by_role("link", name="Problem and users").click()
    check(page)
    page.get_by_label("What problem will the project solve?").fill("Tenants report repairs on paper forms.")
    page.get_by_label("User needs and evidence").fill("Tenants need to know when the repair will happen.")
    save(page)

    page.get_by_role("link", name="Approach and outputs").click()
    check(page)
    page.get_by_label("Your approach").fill("Discovery with user research in three councils.")
    page.get_by_label("Outputs and reuse").fill("Open source code and research on GitHub.")
    page.get_by_label("Working in the open").fill("Weeknotes and fortnightly show and tells.")
    save(page)

    # Timeline: an impossible date first.
    page.get_by_role("link", name="Timeline and contact").click()
    check(page)
    start = date.today() + timedelta(days=60)
    page.get_by_label("Day", exact=True).fill("31")
    page.get_by_label("Month", exact=True).fill("2")
    page.get_by_label("Year", exact=True).fill(str(start.year))
    page.get_by_label("How many months will the project take?").fill("6")
    save(page)
    expect_error(page, "The planned start date must be a real date")
    page.get_by_label("Day", exact=True).fill(str(start.day))
    page.get_by_label("Month", exact=True).fill(str(start.month))
    save(page)

    # Partners: search (the no-JS form; type-ahead enhances it) and invite two councils.
    page.get_by_role("link", name="Partners").click()
    check(page)
    for council in (councils["p1"], councils["p2"]):
        page.get_by_label("Council name").fill(council.short_name)
        with page.expect_navigation():
            page.get_by_role("button", name="Search").click()
        check(page)
        page.get_by_role("button", name=f"Invite {council.name}").click()
        expect(page.locator("main")).to_contain_text(f"{council.name} has been invited")
    # Type-ahead: typing alone (no Search press) fetches the results and announces how many match.
    page.get_by_label("Council name").fill("Unsigned")
    page.locator("#council-search-status").get_by_text("1 council found").wait_for(state="attached")
    expect(page.locator("#council-results").get_by_text("Unsignedshire Council")).to_be_visible()
    expect(page.locator("#council-results").get_by_text("Not a signatory")).to_be_visible()
    assert page.get_by_role("button", name="Invite Unsignedshire Council").count() == 0
    check(page)
    page.get_by_role("link", name="Remove Partnerby Council").click()
    check(page)  # the confirmation page
    page.get_by_role("link", name="Cancel").click()
    page.get_by_role("button", name="Save and return to the task list").click()

    # Costs: the amount, a cost line refused, then two that add up.
    page.get_by_role("link", name="Costs").click()
    check(page)
    page.get_by_role("link", name="Change amount requested").click()
    check(page)
    page.get_by_label("How much are you asking the fund for?").fill("£60,000")
    save(page)
    page.get_by_role("button", name="Add a cost line").click()
    check(page)
    save(page, "Save cost line")
    expect_error(page, "Select who spends this money")
    page.get_by_label("Lead council (Leadshire Council)").check()
    page.get_by_label("What is it for?").fill("Product manager, 60 days")
    page.get_by_label("Amount").fill("30000")
    save(page, "Save cost line")
    assert "The cost lines add up to £30,000.00 but the amount requested is £60,000.00" in page.content()
    check(page)
    page.get_by_role("button", name="Add a cost line").click()
    page.get_by_label("Supplier").check()
    page.get_by_label("What is it for?").fill("User research agency")
    page.get_by_label("Amount").fill("30000")
    save(page, "Save cost line")
    page.get_by_role("button", name="Save and return to the task list").click()

    # Supporting documents: a disguised executable is refused, a real PDF is stored.
    page.get_by_role("link", name="Supporting documents").click()
    check(page)
    page.get_by_label("Upload a file").set_input_files(
        files=[{"name": "report.pdf", "mimeType": "application/pdf", "buffer": EXE}]
    )
    save(page, "Upload file")
    expect_error(page, "The selected file is not really a PDF")
    assert not BidDocument.objects.exists()
    page.get_by_label("Upload a file").set_input_files(
        files=[{"name": "research.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    save(page, "Upload file")
    assert "research.pdf has been uploaded" in page.content()
    check(page)
    page.get_by_role("button", name="Save and return to the task list").click()

    # Before the partners confirm, check answers lists what stops the bid, each linking to its section, and asks
    # for no declaration yet.
    page.get_by_role("button", name="Check your answers").click()
    check(page)
    blockers = page.locator("#blockers")
    assert "You cannot submit this bid yet" in blockers.inner_text()
    link = blockers.get_by_role("link", name="Partnerton Council has not yet confirmed it is a partner")
    assert link.get_attribute("href").endswith(f"/bids/{bid.reference}/partners/")
    assert page.get_by_label("I confirm this bid is submitted on behalf of").count() == 0

    # Each partner confirms in a separate browser context (their own session).
    for user in partner_users:
        partner_page = new_page()
        sign_in(partner_page, user.email)
        partner_page.wait_for_url("**/bids/")
        assert "Invitations to be a partner" in partner_page.content()
        check(partner_page)
        partner_page.get_by_role("link", name=f"Confirm or decline the invitation to {bid.reference}").click()
        check(partner_page)
        with partner_page.expect_navigation():
            partner_page.get_by_role("button", name="Save answer").click()
        expect_error(partner_page, "Select whether your council takes part")
        partner_page.get_by_label("Yes, we confirm we are a partner").check()
        partner_page.get_by_role("button", name="Save answer").click()
        partner_page.wait_for_url("**/bids/")
        assert "You have confirmed" in partner_page.content()
        check(partner_page)
    assert set(bid.partners.values_list("status", flat=True)) == {PartnerStatus.CONFIRMED}

    # Back to the lead: every section is complete; check answers, declare, submit.
    page.goto(f"/bids/{bid.reference}/")
    assert "You have completed 7 of 7 sections" in page.content()
    check(page)
    page.get_by_role("button", name="Check your answers").click()
    save(page, "Accept and submit bid")
    expect_error(page, "Confirm that you are submitting this bid on behalf of the councils")
    page.get_by_label("I confirm this bid is submitted on behalf of").check()
    save(page, "Accept and submit bid")
    panel = page.locator(".govuk-panel--confirmation")
    expect(panel).to_be_visible()
    assert "Bid submitted" in panel.inner_text() and bid.reference in panel.inner_text()
    check(page)

    # The bid is read-only now, with its timeline; withdraw asks for a reason first.
    page.get_by_role("link", name="View your bid").click()
    expect(page.get_by_text("Submitted", exact=True).first).to_be_visible()
    check(page)
    page.get_by_role("link", name="Withdraw this bid").click()
    check(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()
    expect_error(page, "Enter why you are withdrawing this bid")

    bid.refresh_from_db()
    assert bid.state == BidState.IN_REVIEW
    assert bid.submitted_at is not None
    history = list(bid.history.values_list("transition", "source_state", "target_state", "by_id"))
    assert history == [("submit", BidState.DRAFT, BidState.IN_REVIEW, lead.pk)]
    assert bid.title == "Shared housing repairs front door"
    assert bid.planned_start == start and bid.duration_months == 6
    assert sum(line.amount for line in bid.cost_lines.all()) == bid.amount_requested == 60000
    assert bid.documents.get().original_name == "research.pdf"
    assert script_errors == []  # GOV.UK Frontend's components and the type-ahead ran without errors


def test_returned_bid_conflicts_and_errors_are_accessible_and_it_can_be_resubmitted(
    new_page, councils, staff_user, settings, tmp_path
):
    """The returned-for-changes banner, an edit conflict, a refused amount and a stale invite, each checked by
    axe; then the lead resubmits."""
    from bids import services
    from tests.factories import make_submitted_bid

    settings.MEDIA_ROOT = tmp_path
    funding_round = make_round(code="R8")
    lead = make_user(councils=[councils["lead"]], email="lead@leadshire.example.test")
    colleague = make_user(councils=[councils["lead"]], name="Cara Colleague")
    bid = make_submitted_bid(
        funding_round=funding_round, lead=councils["lead"], partners=[councils["p1"], councils["p2"]], by=lead
    )
    services.bid_return_for_changes(bid=bid, by=staff_user, message="Please explain how Partnerby will reuse it.")

    page = new_page()
    sign_in(page, lead.email)
    page.wait_for_url("**/bids/")
    assert "Make the changes asked for and submit again" in page.content()
    page.goto(f"/bids/{bid.reference}/")
    banner = page.locator(".govuk-notification-banner")
    assert "Please explain how Partnerby will reuse it." in banner.inner_text()
    check(page)

    # Two editors: the colleague saves while the lead has the page open.
    page.get_by_role("link", name="Approach and outputs").click()
    bid.refresh_from_db()
    services.bid_section_update(
        bid=bid,
        by=colleague,
        section="approach",
        version=bid.section_versions.get("approach", 0),
        values={"outputs_and_reuse": "Colleague: Partnerby will run it in beta."},
    )
    page.get_by_label("Outputs and reuse").fill("Lead: Partnerby reuses the code.")
    save(page)
    expect_error(page, "This section was saved after you opened this page")
    assert "Colleague: Partnerby will run it in beta." in page.locator(".govuk-inset-text").inner_text()
    assert page.get_by_label("Outputs and reuse").input_value() == "Lead: Partnerby reuses the code."
    save(page)  # having seen their text, the lead saves deliberately
    bid.refresh_from_db()
    assert bid.outputs_and_reuse == "Lead: Partnerby reuses the code."

    # A refused amount.
    page.goto(f"/bids/{bid.reference}/costs/amount/")
    page.get_by_label("How much are you asking the fund for?").fill("sixty thousand")
    save(page)
    expect_error(page, "Enter the amount in pounds")

    # A stale invite: someone else invited the council after these results were shown.
    page.goto(f"/bids/{bid.reference}/partners/?q=Partnercombe")
    services.partner_invite(bid=bid, council=councils["p3"], by=colleague)
    with page.expect_navigation():
        page.get_by_role("button", name="Invite Partnercombe Council").click()
    expect_error(page, "Partnercombe Council has already been invited")
    page.get_by_role("link", name="Remove Partnercombe Council").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Yes, remove this partner").click()
    check(page)

    page.goto(f"/bids/{bid.reference}/check/")
    page.get_by_label("I confirm this bid is submitted on behalf of").check()
    save(page, "Accept and submit bid")
    expect(page.locator(".govuk-panel--confirmation")).to_be_visible()
    bid.refresh_from_db()
    assert bid.state == BidState.IN_REVIEW
    assert list(bid.history.values_list("transition", flat=True)) == ["submit", "return_for_changes", "submit"]


def test_type_ahead_searches_what_was_typed_before_its_script_ran(new_page, councils):
    """The type-ahead script is a module: it runs once the page has loaded. Someone who types before then (a
    quick typist on a slow connection) still gets their words searched: here the script is held back until the
    council's name has been typed."""
    lead = make_user(councils=[councils["lead"]], email="lead@leadshire.example.test", name="Lee Lead")
    bid = make_bid(funding_round=make_round(code="R9"), lead=councils["lead"], by=lead, filled=False)
    page = new_page()
    sign_in(page, lead.email)
    held: list = []

    def hold(route) -> None:  # answered below, once the name has been typed
        held.append(route)

    page.route("**/js/council-search.js", hold)
    page.goto(f"/bids/{bid.reference}/partners/", wait_until="commit")
    page.get_by_label("Council name").fill("Unsigned")
    expect(page.locator("#council-search-status")).to_have_text("")
    assert len(held) == 1
    held[0].continue_()
    expect(page.locator("#council-search-status")).to_have_text("1 council found")
    expect(page.locator("#council-results").get_by_text("Unsignedshire Council")).to_be_visible()
    check(page)
