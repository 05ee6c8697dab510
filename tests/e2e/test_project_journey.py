"""After the award, in real Chromium with axe-core on every page: a published award's offer is accepted, the
schedule set, a monitoring report drafted, certified by the council's certifier, returned by staff and then
accepted, a milestone's payment proposed and approved by two different staff members, a change approved, and
the project closed with outputs that another council says it reuses. Each step's emails reach a real SMTP
server through a real Celery worker, each exactly once."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from core.formatting import money
from councils.choices import Role
from notifications.choices import Event
from projects.choices import PaymentStatus, ProjectState, ReportState
from projects.models import Project
from tests.e2e.browser import check, fill_date, sign_in
from tests.factories import award, make_council, make_round, make_user, publish_decisions
from tests.factories.assessments import make_in_review_bid, make_scored_bid
from tests.notifications.test_delivery_events import delivered
from tests.real_services import wait_settled

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_project_from_award_to_closure_and_reuse(new_page, mailer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    staff = make_user(role=Role.PROGRAMME_STAFF, email="pat@fund.example.test", name="Pat Programme")
    staff2 = make_user(role=Role.PROGRAMME_STAFF, email="sam@fund.example.test", name="Sam Second")
    lead_council = make_council("PJL", "Leadshire")
    lead = make_user(councils=[lead_council], email="lead@leadshire.example.test", name="Lee Lead")
    officer = make_user(councils=[lead_council], email="s151@leadshire.example.test", name="Sue Officer")
    other_council = make_council("PJO", "Otherham")
    other = make_user(councils=[other_council], email="reuse@otherham.example.test", name="Oli Other")
    funding_round = make_round(code="PJ", budget="500000")
    bid = make_in_review_bid(funding_round=funding_round, lead=lead_council, by=lead, amount="60000")
    bid = make_scored_bid(funding_round=funding_round, bid=bid)
    award(bid, amount="60000", conditions="Show and tell every quarter.", by=staff)
    wait_settled()
    mailer.messages.clear()  # the bid's own emails (submitted, assessed) are not this journey's
    partner_members = [partner.council.members.first() for partner in bid.partners.all()]

    # The round's decisions are published: the award becomes a project with an offer, and the lead hears.
    publish_decisions(funding_round, by=staff)
    project = Project.objects.get(bid=bid)
    offer = delivered(mailer, Event.OFFER_MADE, [lead, officer])
    assert "grant offer is ready to accept" in offer[lead.email]["Subject"]

    # The lead accepts the offer: the conditions must be confirmed.
    lead_page = new_page()
    sign_in(lead_page, lead.email)
    lead_page.goto("/projects/")
    check(lead_page)
    lead_page.get_by_role("link", name=project.title).click()
    expect(lead_page.locator("#project-state")).to_have_text("Offered")
    check(lead_page)
    lead_page.get_by_role("link", name="Accept the offer").click()
    expect(lead_page.locator("#conditions")).to_contain_text("Show and tell every quarter.")
    check(lead_page)
    lead_page.get_by_role("button", name="Accept the offer").click()
    expect(lead_page.locator(".govuk-error-summary")).to_contain_text("Confirm that your council accepts")
    check(lead_page)
    lead_page.get_by_label("I confirm that my council accepts the grant offer and its conditions").check()
    lead_page.get_by_role("button", name="Accept the offer").click()
    expect(lead_page.locator(".govuk-panel")).to_contain_text("Grant offer accepted")
    check(lead_page)
    delivered(mailer, Event.OFFER_ACCEPTED, [staff, staff2])

    # The lead chooses its section 151 officer to certify the reports.
    lead_page.goto(f"/projects/{project.reference}/")
    lead_page.get_by_role("link", name="Choose who certifies the reports").click()
    check(lead_page)
    lead_page.get_by_label("Sue Officer (s151@leadshire.example.test)").check()
    lead_page.get_by_label("Their role").fill("Section 151 officer")
    lead_page.get_by_role("button", name="Save").click()
    expect(lead_page.locator("#certifier")).to_contain_text("Sue Officer, Section 151 officer")
    check(lead_page)

    # Staff set the schedule: the payments may not add up to more than the award.
    staff_page = new_page()
    sign_in(staff_page, staff.email)
    staff_page.goto("/pipeline/projects/?state=lost")
    expect(staff_page.locator(".govuk-error-summary")).to_contain_text("Select a status from the list")
    check(staff_page)
    staff_page.get_by_label("Status").select_option("Completed")
    staff_page.get_by_role("button", name="Filter").click()
    expect(staff_page.locator("#projects caption")).to_have_text("0 projects")
    staff_page.get_by_label("Status").select_option("In delivery")
    staff_page.get_by_role("button", name="Filter").click()
    expect(staff_page.locator("#projects caption")).to_have_text("1 project")
    check(staff_page)
    staff_page.get_by_role("link", name=project.title).click()
    expect(staff_page.locator("#accepted")).to_contain_text("Lee Lead")
    check(staff_page)
    staff_page.get_by_role("link", name="Add a milestone").click()
    check(staff_page)
    due = timezone.localdate() + timedelta(days=20)
    staff_page.get_by_label("Milestone", exact=True).fill("Discovery findings published")
    fill_date(staff_page, "due_date", due)
    staff_page.get_by_label("Payment when it is met (£)").fill("60,000.01")
    staff_page.get_by_role("button", name="Save").click()
    expect(staff_page.locator(".govuk-error-summary")).to_contain_text("£0.01 more than the award of £60,000.00")
    check(staff_page)
    staff_page.get_by_label("Payment when it is met (£)").fill("60000")
    staff_page.get_by_role("button", name="Save").click()
    expect(staff_page.locator(".govuk-notification-banner")).to_contain_text("The schedule has been saved")
    check(staff_page)
    report = project.reports.get()

    # The lead drafts the report; an incomplete one cannot be submitted.
    lead_page.goto(f"/projects/{project.reference}/")
    lead_page.get_by_role("link", name=re.compile(r"^Write\s+the report due")).click()
    check(lead_page)
    lead_page.get_by_label("Progress since the last report").fill("Interviews with 14 residents.")
    lead_page.get_by_role("button", name="Submit for certification").click()
    expect(lead_page.locator(".govuk-error-summary")).to_contain_text("Choose a RAG rating")
    check(lead_page)
    lead_page.get_by_label("Spend to date (£)", exact=True).fill("20,000")
    lead_page.get_by_label("Planned spend to date (£)").fill("25000")
    lead_page.get_by_label("Amber").check()
    lead_page.get_by_label("Risks and issues").fill("Recruiting residents in August.")
    lead_page.get_by_label("Next steps").fill("Alpha prototypes.")
    lead_page.get_by_role("button", name="Submit for certification").click()
    expect(lead_page.locator(".govuk-notification-banner")).to_contain_text("sent to your certifier")
    check(lead_page)
    delivered(mailer, Event.REPORT_SUBMITTED, [officer])

    # The certifier certifies it; staff return it with a message.
    officer_page = new_page()
    sign_in(officer_page, officer.email)
    officer_page.goto(f"/projects/{project.reference}/reports/{report.pk}/")
    expect(officer_page.locator("#report-state")).to_have_text("Awaiting certification")
    check(officer_page)
    officer_page.get_by_role("button", name="Certify the report").click()
    check(officer_page)
    delivered(mailer, Event.REPORT_CERTIFIED, [staff, staff2])
    staff_page.goto(f"/pipeline/projects/{project.reference}/reports/{report.pk}/")
    check(staff_page)
    staff_page.get_by_role("button", name="Return the report").click()
    expect(staff_page.locator(".govuk-error-summary")).to_contain_text("Enter what the council needs to change")
    check(staff_page)
    staff_page.get_by_label("What does the council need to change?").fill("Split the spend by council.")
    staff_page.get_by_role("button", name="Return the report").click()
    check(staff_page)
    delivered(mailer, Event.REPORT_RETURNED, [lead, officer])

    # The lead changes and resubmits it; it is certified again and accepted.
    lead_page.goto(f"/projects/{project.reference}/reports/{report.pk}/")
    expect(lead_page.locator(".govuk-notification-banner")).to_contain_text("Split the spend by council.")
    check(lead_page)
    lead_page.get_by_label("Outputs so far").fill("Leadshire £12,000; partners £8,000.")
    lead_page.get_by_role("button", name="Submit for certification").click()
    officer_page.goto(f"/projects/{project.reference}/reports/{report.pk}/")
    officer_page.get_by_role("button", name="Certify the report").click()
    expect(officer_page.locator(".govuk-notification-banner")).to_contain_text("You have certified the report")
    staff_page.goto(f"/pipeline/projects/{project.reference}/reports/{report.pk}/")
    staff_page.get_by_role("button", name="Accept the report").click()
    expect(staff_page.locator(".govuk-notification-banner")).to_contain_text("The report has been accepted")
    check(staff_page)
    delivered(mailer, Event.REPORT_ACCEPTED, [lead, officer])
    report.refresh_from_db()
    assert report.state == ReportState.ACCEPTED

    # A change of dates, asked for by the lead and approved by staff (before the evidence: a met milestone's date
    # is fixed).
    lead_page.goto(f"/projects/{project.reference}/")
    lead_page.get_by_role("link", name="Ask for a change").click()
    check(lead_page)
    lead_page.get_by_role("button", name="Continue").click()
    expect(lead_page.locator(".govuk-error-summary")).to_contain_text("Select what you want to change")
    check(lead_page)
    lead_page.get_by_label("Change milestone dates").check()
    lead_page.get_by_role("button", name="Continue").click()
    expect(lead_page.get_by_role("heading", name="Change milestone dates")).to_be_visible()
    check(lead_page)
    milestone = project.milestones.get()
    fill_date(lead_page, f"date_{milestone.pk}", due + timedelta(days=14))
    lead_page.get_by_label("Why do you need this change?").fill("Residents' testing moves after the holidays.")
    lead_page.get_by_role("button", name="Send the request").click()
    check(lead_page)
    delivered(mailer, Event.VARIATION_REQUESTED, [staff, staff2])
    staff_page.goto(f"/pipeline/projects/{project.reference}/")
    staff_page.get_by_role("link", name=re.compile("Change milestone dates")).click()
    check(staff_page)
    staff_page.get_by_role("button", name="Approve the change").click()
    expect(staff_page.locator(".govuk-notification-banner")).to_contain_text("the schedule updated")
    check(staff_page)
    delivered(mailer, Event.VARIATION_DECIDED, [lead, officer])
    milestone.refresh_from_db()
    assert milestone.due_date == due + timedelta(days=14)

    # The milestone's evidence; one staff member proposes the payment, the other approves it.
    lead_page.goto(f"/projects/{project.reference}/")
    lead_page.get_by_role("link", name="Submit evidence for Discovery findings published").click()
    check(lead_page)
    lead_page.get_by_label("Evidence that the milestone is met").fill("Report: https://example.org/findings")
    lead_page.get_by_role("button", name="Send the evidence").click()
    check(lead_page)
    staff_page.goto(f"/pipeline/projects/{project.reference}/")
    staff_page.get_by_role("link", name="Propose payment for Discovery findings published").click()
    check(staff_page)
    staff_page.get_by_role("button", name="Propose the payment").click()
    check(staff_page)
    delivered(mailer, Event.PAYMENT_PROPOSED, [staff2])
    staff_page.get_by_role("link", name="Approve payment for Discovery findings published").click()
    # The one who proposed it is told another must approve it, and is not offered the button.
    expect(staff_page.locator("main")).to_contain_text(
        "You proposed this payment, so another member of the programme team must approve it"
    )
    assert staff_page.get_by_role("button", name="Approve the payment").count() == 0
    check(staff_page)
    staff2_page = new_page()
    sign_in(staff2_page, staff2.email)
    payment = project.payments.get()
    staff2_page.goto(f"/pipeline/projects/{project.reference}/payments/{payment.pk}/")
    check(staff2_page)
    staff2_page.get_by_role("button", name="Approve the payment").click()
    expect(staff2_page.locator(".govuk-notification-banner")).to_contain_text("Payment of £60,000.00 approved")
    check(staff2_page)
    delivered(mailer, Event.PAYMENT_APPROVED, [lead, officer])
    payment.refresh_from_db()
    assert (payment.status, payment.proposed_by, payment.approved_by) == (PaymentStatus.APPROVED, staff, staff2)

    # Money moved between budget lines (the bid’s cost lines, copied at the offer): they must add up to the award.
    first_line, second_line = project.budget_lines.order_by("pk")
    lead_page.goto(f"/projects/{project.reference}/")
    lead_page.get_by_role("link", name="Ask for a change").click()
    lead_page.get_by_label("Move money between budget lines").check()
    lead_page.get_by_role("button", name="Continue").click()
    check(lead_page)
    lead_page.locator(f"#id_line_{first_line.pk}").fill(str(first_line.amount + 5000))
    lead_page.get_by_label("Why do you need this change?").fill("More of our own staff time, less supplier time.")
    lead_page.get_by_role("button", name="Send the request").click()
    expect(lead_page.locator(".govuk-error-summary")).to_contain_text("must add up to the award of")
    check(lead_page)
    lead_page.locator(f"#id_line_{second_line.pk}").fill(str(second_line.amount - 5000))
    lead_page.get_by_role("button", name="Send the request").click()
    expect(lead_page.locator(".govuk-notification-banner")).to_contain_text("sent to the programme team")
    staff_page.goto(f"/pipeline/projects/{project.reference}/")
    staff_page.get_by_role("link", name=re.compile("Move money between budget lines")).click()
    expect(staff_page.locator("main")).to_contain_text(
        f"{money(first_line.amount)} → {money(first_line.amount + 5000)}"
    )
    check(staff_page)
    staff_page.get_by_role("button", name="Approve the change").click()
    expect(staff_page.locator(".govuk-notification-banner")).to_contain_text("the budget updated")
    expect(staff_page.locator("#budget + .app-table-wrap table")).to_contain_text(money(first_line.amount + 5000))
    check(staff_page)

    # The final report with its outputs; staff close the project.
    lead_page.goto(f"/projects/{project.reference}/final-report/")
    check(lead_page)
    lead_page.get_by_role("button", name="Submit the final report").click()
    expect(lead_page.locator(".govuk-error-summary")).to_contain_text("Add at least one output")
    check(lead_page)
    lead_page.get_by_label("Title", exact=True).fill("Repairs front door code")
    lead_page.get_by_label("Link", exact=True).fill("https://github.com/leadshire/repairs")
    lead_page.get_by_label("Code", exact=True).check()
    lead_page.get_by_role("button", name="Add the output").click()
    expect(lead_page.locator("#outputs")).to_contain_text("Repairs front door code")
    check(lead_page)
    lead_page.get_by_label("Lessons learned").fill("Test with residents from week one.")
    lead_page.get_by_role("button", name="Submit the final report").click()
    expect(lead_page.locator("#project-state")).to_have_text("Completed")
    check(lead_page)
    delivered(mailer, Event.PROJECT_COMPLETED, [staff, staff2])
    staff_page.goto(f"/pipeline/projects/{project.reference}/")
    staff_page.get_by_role("button", name="Close the project").click()
    expect(staff_page.locator(".govuk-warning-text")).to_contain_text("You cannot undo this")
    check(staff_page)
    staff_page.get_by_role("button", name="Yes, close the project").click()
    expect(staff_page.locator("#project-state")).to_have_text("Closed")
    check(staff_page)
    closed = delivered(mailer, Event.PROJECT_CLOSED, [lead, officer, *partner_members])
    assert "project closed" in closed[lead.email]["Subject"]

    # Another council says it reuses the outputs.
    other_page = new_page()
    sign_in(other_page, other.email)
    other_page.goto(f"/projects/{project.reference}/reuse/")
    check(other_page)
    other_page.get_by_role("button", name="Record that we reuse it").click()
    expect(other_page.locator(".govuk-error-summary")).to_contain_text("Choose your council")
    check(other_page)
    other_page.get_by_label("Otherham Council").check()
    other_page.get_by_label("How does your council reuse the outputs?").fill("We run the code for our repairs.")
    other_page.get_by_role("button", name="Record that we reuse it").click()
    expect(other_page.locator(".govuk-notification-banner")).to_contain_text("Otherham Council is now listed")
    check(other_page)
    staff_page.goto(f"/pipeline/projects/{project.reference}/")
    expect(staff_page.locator("main")).to_contain_text("Reused by Otherham Council")
    check(staff_page)
    project.refresh_from_db()
    assert project.state == ProjectState.CLOSED
    assert [row.transition for row in project.history.all()] == ["offer", "accept_offer", "complete", "close"]

    # Every email went out once: nothing more than the steps above sent.
    wait_settled()
    leads, staff_count = 2, 2
    expected = {
        Event.BID_AWARDED: leads + len(partner_members),
        Event.OFFER_MADE: leads,
        Event.OFFER_ACCEPTED: staff_count,
        Event.REPORT_SUBMITTED: 2,  # to the certifier, once for each submission
        Event.REPORT_CERTIFIED: 2 * staff_count,
        Event.REPORT_RETURNED: leads,
        Event.REPORT_ACCEPTED: leads,
        Event.PAYMENT_PROPOSED: 1,
        Event.PAYMENT_APPROVED: leads,
        Event.VARIATION_REQUESTED: 2 * staff_count,  # the dates, then the budget lines
        Event.VARIATION_DECIDED: 2 * leads,
        Event.PROJECT_COMPLETED: staff_count,
        Event.PROJECT_CLOSED: leads + len(partner_members),
    }
    sent: dict[str, int] = {}
    for message in mailer.messages:
        sent[message["X-LDF-Event"]] = sent.get(message["X-LDF-Event"], 0) + 1
    assert sent == {str(event): count for event, count in expected.items()}
    per_recipient = [(m["X-LDF-Event"], m["X-Envelope-To"], m["Subject"]) for m in mailer.messages]
    # Only the returned report's second submission and certification repeat (to the certifier and two staff).
    assert len(per_recipient) == len(set(per_recipient)) + 3
