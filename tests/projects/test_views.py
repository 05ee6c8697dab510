"""The project pages end to end through their URLs: who gets in, what a refusal says (a 400 with the GOV.UK
error summary, nothing saved), the whole life from the council's and staff's pages, and the staff list's query
budget."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from projects import services
from projects.choices import PaymentStatus, ProjectState, ReportState, VariationKind, VariationStatus
from projects.models import Payment, Project
from tests.factories import award, client_for, make_council, make_round, make_user, publish_decisions
from tests.factories.assessments import make_in_review_bid, make_scored_bid
from tests.factories.documents import xlsx_with_formula
from tests.factories.projects import accepted

pytestmark = pytest.mark.django_db


def url(name: str, project: Project, **kwargs) -> str:
    return reverse(f"projects:{name}", kwargs={"reference": project.reference, **kwargs})


def date_fields(prefix: str, day) -> dict[str, str]:
    return {f"{prefix}_day": str(day.day), f"{prefix}_month": str(day.month), f"{prefix}_year": str(day.year)}


def test_who_sees_the_project_page(world, client):
    project = world["project"]
    assert client_for(world["lead_user"]).get(url("detail", project)).status_code == 200
    partner_page = client_for(world["partner_user"]).get(url("detail", project))
    assert partner_page.status_code == 200
    assert "Accept the offer" not in partner_page.content.decode()  # partners read only
    assert client_for(world["other_user"]).get(url("detail", project)).status_code == 404
    assert client_for(world["partner_user"]).get(url("accept", project)).status_code == 404
    assert client_for(world["lead_user"]).get(url("staff_detail", project)).status_code == 404
    assert client.get(url("detail", project)).status_code == 302  # sign in first


def test_accepting_the_offer_needs_the_checkbox_and_shows_a_confirmation(world):
    project = world["project"]
    lead = client_for(world["lead_user"])
    refused = lead.post(url("accept", project), {})
    assert refused.status_code == 400
    assert "Confirm that your council accepts the offer" in refused.content.decode()
    assert Project.objects.get(pk=project.pk).state == ProjectState.OFFERED
    pdf = SimpleUploadedFile("signed.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    page = lead.post(url("accept", project), {"confirm": "on", "agreement": pdf})
    assert page.status_code == 200
    assert "govuk-panel--confirmation" in page.content.decode()
    project.refresh_from_db()
    assert project.state == ProjectState.IN_DELIVERY and project.agreement_name == "signed.pdf"
    download = client_for(world["staff"]).get(url("agreement", project))
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    assert client_for(world["other_user"]).get(url("agreement", project)).status_code == 404


def test_a_disguised_agreement_is_refused_with_nothing_saved(world):
    project = world["project"]
    fake = SimpleUploadedFile("signed.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    page = client_for(world["lead_user"]).post(url("accept", project), {"confirm": "on", "agreement": fake})
    assert page.status_code == 400
    assert Project.objects.get(pk=project.pk).state == ProjectState.OFFERED


def test_agreements_and_evidence_with_formulas_are_marked_and_a_spreadsheet_reaching_out_refused(
    world, staff2, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    project = world["project"]
    lead, staff = client_for(world["lead_user"]), client_for(world["staff"])

    def sheet(formula: str) -> SimpleUploadedFile:
        return SimpleUploadedFile("spend.xlsx", xlsx_with_formula(formula))

    # The signed agreement, as a spreadsheet with formulas, is marked too.
    lead.post(url("accept", project), {"confirm": "on", "agreement": sheet("SUM(B1:B2)")})
    for client, page in ((lead, url("detail", project)), (staff, url("staff_detail", project))):
        assert client.get(page).content.decode().count("Contains formulas") == 1
    staff.post(
        url("staff_milestone_new", project),
        {"title": "M1", "amount": "1", **date_fields("due_date", timezone.localdate() + timedelta(days=30))},
    )
    milestone = project.milestones.get()

    evidence_url = url("evidence", project, pk=milestone.pk)
    # Evidence is checked as a bid's documents are: a CSV saved by Excel on Windows is read, formulas and all.
    excel_csv = SimpleUploadedFile("spend.csv", "Item,Cost\r\nCafé,=1+2\r\n".encode("cp1252"))
    refused = lead.post(evidence_url, {"evidence": "Spend", "evidence_file": excel_csv})
    assert refused.status_code == 400 and "Row 2 of the CSV file has a formula" in refused.content.decode()
    refused = lead.post(evidence_url, {"evidence": "Spend", "evidence_file": sheet("cmd|' /C calc'!A0")})
    assert refused.status_code == 400 and "links to other files or programs" in refused.content.decode()
    assert lead.post(evidence_url, {"evidence": "Spend", "evidence_file": sheet("SUM(A2:A9)")}).status_code == 302
    for client, page in ((lead, url("detail", project)), (staff, url("staff_detail", project))):
        assert client.get(page).content.decode().count("Contains formulas") == 2


def test_the_whole_life_through_the_pages(world, staff2):
    project = world["project"]
    lead, staff, other_staff = client_for(world["lead_user"]), client_for(world["staff"]), client_for(staff2)
    officer = client_for(world["officer"])
    lead.post(url("accept", project), {"confirm": "on"})
    assert (
        lead.post(url("certifier", project), {"user": str(world["officer"].pk), "role_title": "S151"}).status_code
        == 302
    )
    due = timezone.localdate() + timedelta(days=40)
    # The schedule: a bad amount and an amount over the award are refused, then a milestone is added.
    assert (
        staff.post(
            url("staff_milestone_new", project), {"title": "M1", "amount": "1e9", **date_fields("due_date", due)}
        ).status_code
        == 400
    )
    over = staff.post(
        url("staff_milestone_new", project), {"title": "M1", "amount": "90000", **date_fields("due_date", due)}
    )
    assert over.status_code == 400 and "more than the award" in over.content.decode()
    # Every missing answer at once: the title is not left until the amount is right.
    both = staff.post(url("staff_milestone_new", project), {"title": "", "amount": "", **date_fields("due_date", due)})
    assert both.status_code == 400
    assert "Enter the milestone&#x27;s title" in both.content.decode() and "Enter the payment" in both.content.decode()
    assert (
        staff.post(
            url("staff_milestone_new", project), {"title": "M1", "amount": "30000", **date_fields("due_date", due)}
        ).status_code
        == 302
    )
    bad_date = staff.post(
        url("staff_milestone_new", project),
        {"title": "M2", "amount": "1", "due_date_day": "31", "due_date_month": "2", "due_date_year": "2027"},
    )
    assert bad_date.status_code == 400 and "real date" in bad_date.content.decode()
    milestone = project.milestones.get()
    payment = milestone.payment
    # No evidence yet: the payment page does not offer to propose it, and a proposal is refused with that reason
    # alone (not "Enter the day it is paid", which only approving asks); an unknown action is refused too.
    early = staff.get(url("staff_payment", project, pk=payment.pk)).content.decode()
    assert "has not sent evidence for this milestone yet" in early and 'value="propose"' not in early
    refused = staff.post(url("staff_payment", project, pk=payment.pk), {"action": "propose"})
    assert refused.status_code == 400 and "has not submitted evidence" in refused.content.decode()
    assert "Enter the day it is paid" not in refused.content.decode()
    unknown = staff.post(url("staff_payment", project, pk=payment.pk), {"action": "pay-twice"})
    assert unknown.status_code == 400
    assert "Choose what to do: propose or approve the payment" in unknown.content.decode()
    # Evidence, then the payment by two people.
    assert lead.post(url("evidence", project, pk=milestone.pk), {"evidence": ""}).status_code == 400
    assert (
        lead.post(url("evidence", project, pk=milestone.pk), {"evidence": "Report: https://example.org"}).status_code
        == 302
    )
    assert staff.post(url("staff_payment", project, pk=payment.pk), {"action": "propose"}).status_code == 302
    same = staff.post(
        url("staff_payment", project, pk=payment.pk),
        {"action": "approve", **date_fields("paid_on", timezone.localdate())},
    )
    assert same.status_code == 400 and "another member of the programme team" in same.content.decode()
    assert (
        other_staff.post(
            url("staff_payment", project, pk=payment.pk),
            {"action": "approve", **date_fields("paid_on", timezone.localdate())},
        ).status_code
        == 302
    )
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.APPROVED
    # A report: incomplete refused; submitted; certified; returned; submitted and certified again; accepted.
    report = project.reports.order_by("due_date").first()
    incomplete = lead.post(url("report", project, pk=report.pk), {"action": "submit", "progress": "Some"})
    assert incomplete.status_code == 400 and "Choose a RAG rating" in incomplete.content.decode()
    # What was typed is kept as the draft, and the page says so.
    assert "Your draft has been saved, but it has not been sent" in incomplete.content.decode()
    report.refresh_from_db()
    assert (report.progress, report.state) == ("Some", ReportState.DRAFT)
    answers = {
        "progress": "Good",
        "spend_to_date": "1,000",
        "spend_planned": "1200",
        "rag": "amber",
        "risks": "",
        "outputs": "",
        "next_steps": "More",
    }
    assert lead.post(url("report", project, pk=report.pk), {"action": "submit", **answers}).status_code == 302
    assert lead.post(url("report_certify", project, pk=report.pk)).status_code == 404  # not the certifier
    assert officer.post(url("report_certify", project, pk=report.pk)).status_code == 302
    assert (
        staff.post(url("staff_report", project, pk=report.pk), {"action": "return", "message": ""}).status_code == 400
    )
    assert (
        staff.post(
            url("staff_report", project, pk=report.pk), {"action": "return", "message": "More detail"}
        ).status_code
        == 302
    )
    page = lead.get(url("report", project, pk=report.pk)).content.decode()
    assert "Returned by the programme team" in page and "More detail" in page
    lead.post(url("report", project, pk=report.pk), {"action": "submit", **answers})
    officer.post(url("report_certify", project, pk=report.pk))
    assert staff.post(url("staff_report", project, pk=report.pk), {"action": "accept"}).status_code == 302
    report.refresh_from_db()
    assert report.state == ReportState.ACCEPTED and report.spend_to_date == Decimal("1000")
    # A change of dates: a met milestone's date is fixed; one still to come moves, once approved.
    fixed = lead.post(
        url("variation_new", project),
        {"kind": "dates", "reasons": "Late", **date_fields(f"date_{milestone.pk}", due + timedelta(days=10))},
    )
    assert fixed.status_code == 400 and "‘M1’ has its evidence in, so its date is fixed" in fixed.content.decode()
    second = {"title": "M2", "amount": "20000", **date_fields("due_date", due + timedelta(days=30))}
    assert staff.post(url("staff_milestone_new", project), second).status_code == 302
    milestone = project.milestones.get(title="M2")
    due = milestone.due_date
    assert lead.get(url("variation_new", project) + "?kind=dates").status_code == 200
    new_due = due + timedelta(days=10)
    assert lead.post(url("variation_new", project), {"kind": "dates", "reasons": ""}).status_code == 400
    assert (
        lead.post(
            url("variation_new", project),
            {"kind": "dates", "reasons": "Late", **date_fields(f"date_{milestone.pk}", new_due)},
        ).status_code
        == 302
    )
    variation = project.variations.get()
    assert (
        staff.post(url("staff_variation", project, pk=variation.pk), {"action": "approve", "reason": ""}).status_code
        == 302
    )
    variation.refresh_from_db()
    milestone.refresh_from_db()
    assert variation.status == VariationStatus.APPROVED and milestone.due_date == new_due
    assert lead.post(url("evidence", project, pk=milestone.pk), {"evidence": "Alpha report"}).status_code == 302
    # The final report, closure and reuse.
    refused = lead.post(url("final_report", project), {"action": "submit", "lessons_learned": "Test early"})
    assert refused.status_code == 400 and "Add at least one output" in refused.content.decode()
    assert "Your lessons learned have been saved, but the report has not been sent" in refused.content.decode()
    project.refresh_from_db()
    assert project.lessons_learned == "Test early"
    assert (
        lead.post(
            url("final_report", project),
            {"action": "output", "title": "Code", "url": "javascript:alert(1)", "kind": "code"},
        ).status_code
        == 400
    )
    assert (
        lead.post(
            url("final_report", project),
            {"action": "output", "title": "Code", "url": "https://github.com/x/y", "kind": "code"},
        ).status_code
        == 302
    )
    assert (
        lead.post(url("final_report", project), {"action": "submit", "lessons_learned": "Test early"}).status_code
        == 302
    )
    assert staff.post(url("staff_close", project)).status_code == 302
    assert Project.objects.get(pk=project.pk).state == ProjectState.CLOSED
    other = client_for(world["other_user"])
    assert other.get(url("reuse", project)).status_code == 200
    assert other.post(url("reuse", project), {"council": str(world["other"].pk), "note": ""}).status_code == 400
    assert (
        other.post(url("reuse", project), {"council": str(world["other"].pk), "note": "We use it"}).status_code == 302
    )
    assert project.reuses.get().council == world["other"]
    # Sent again (Back and resend): it is recorded, as asked, and said so; not "Choose your council".
    again = other.post(url("reuse", project), {"council": str(world["other"].pk), "note": "We use it"}, follow=True)
    assert "Otherham Council is already listed as reusing" in again.content.decode()
    assert project.reuses.count() == 1
    # The lead delivers it, so cannot say it reuses it: told so (the page is linked from every public card).
    refused = client_for(world["lead_user"]).get(url("reuse", project))
    assert refused.status_code == 403 and "do not deliver this project themselves" in refused.content.decode()
    funded = client_for(world["other_user"]).get(reverse("pipeline:funded")).content.decode()
    assert f'href="{url("reuse", project)}">Tell us your council reuses it' in funded
    staff_page = staff.get(url("staff_detail", project)).content.decode()
    assert "Reused by Otherham Council" in staff_page


def test_staff_withdraw_needs_a_reason(world):
    staff = client_for(world["staff"])
    project = world["project"]
    assert staff.post(url("staff_withdraw", project), {"reason": " "}).status_code == 400
    assert staff.post(url("staff_withdraw", project), {"reason": "a\x00b"}).status_code == 400
    long = staff.post(url("staff_withdraw", project), {"reason": "x" * 100_000})
    assert long.status_code == 400 and "Enter 10,000 characters or fewer" in long.content.decode()
    assert staff.post(url("staff_withdraw", project), {"reason": "Pulled out"}).status_code == 302
    assert Project.objects.get(pk=project.pk).state == ProjectState.WITHDRAWN


def test_late_reports_are_flagged_for_staff(world):
    project = accepted(world)
    report = project.reports.order_by("due_date").first()
    type(report).objects.filter(pk=report.pk).update(due_date=timezone.localdate() - timedelta(days=3))
    page = client_for(world["staff"]).get(reverse("projects:staff_list")).content.decode()
    assert "1 overdue report" in page
    assert "Overdue" in client_for(world["staff"]).get(url("staff_detail", project)).content.decode()


def test_junk_in_the_staff_list_filters_is_refused_with_the_reason(world):
    staff = client_for(world["staff"])
    page = staff.get(reverse("projects:staff_list"), {"state": "<x>", "round": "\u202e" * 50, "page": "zz"})
    html = page.content.decode()
    assert page.status_code == 400
    assert "Select a round from the list" in html and "Select a status from the list" in html
    assert "<title>Error: Projects" in html
    twice = staff.get(reverse("projects:staff_list"), {"state": ["completed", "offered"]})
    assert twice.status_code == 400 and "Choose one status, not several" in twice.content.decode()
    # A refused filter is left out; one that was accepted still applies.
    mixed = staff.get(reverse("projects:staff_list"), {"round": "zz", "state": "completed"})
    assert mixed.status_code == 400 and world["project"].reference not in mixed.content.decode()
    # A real round, typed in lower case, and a real status are used; a junk page number shows the first page.
    found = staff.get(reverse("projects:staff_list"), {"round": world["round"].code.lower(), "state": "offered"})
    assert found.status_code == 200 and world["project"].reference in found.content.decode()
    assert staff.get(reverse("projects:staff_list"), {"page": "zz"}).status_code == 200


def _add_projects(count: int, staff) -> None:
    funding_round = make_round(budget="5000000")
    bids = [make_in_review_bid(funding_round=funding_round, lead=make_council()) for _ in range(count)]
    for bid in bids:
        make_scored_bid(funding_round=funding_round, bid=bid)
    for bid in bids:
        award(bid, by=staff)
    publish_decisions(funding_round, by=staff)


def test_the_staff_list_keeps_its_query_budget_as_projects_grow(world, django_assert_max_num_queries):
    staff = client_for(world["staff"])
    accepted(world)
    with django_assert_max_num_queries(12):
        assert staff.get(reverse("projects:staff_list")).status_code == 200
    _add_projects(4, world["staff"])
    assert Project.objects.count() == 5
    with django_assert_max_num_queries(12):
        page = staff.get(reverse("projects:staff_list"))
    assert page.content.decode().count('class="govuk-table__row"') == 6  # the head and five rows


def test_the_council_list_shows_own_projects(world):
    page = client_for(world["partner_user"]).get(reverse("projects:list")).content.decode()
    assert world["project"].reference in page
    assert (
        "Your councils have no funded projects"
        in client_for(make_user(councils=[make_council()])).get(reverse("projects:list")).content.decode()
    )


def test_every_page_renders_for_the_people_it_is_for(world):
    project = accepted(world)
    milestone = project.milestones.order_by("due_date").first()
    report = project.reports.order_by("due_date").first()
    variation = services.variation_request(
        project=project, by=world["lead_user"], kind="scope", reasons="Focus", changes={"scope": "Repairs only"}
    )
    lead, staff = client_for(world["lead_user"]), client_for(world["staff"])
    for page in (
        url("detail", project),
        url("certifier", project),
        url("evidence", project, pk=milestone.pk),
        url("report", project, pk=report.pk),
        url("variation_new", project),
        url("variation_new", project) + "?kind=dates",
        url("variation_new", project) + "?kind=money",
        url("variation_new", project) + "?kind=scope",
        url("final_report", project),
    ):
        assert lead.get(page).status_code == 200, page
    for page in (
        url("staff_detail", project),
        url("staff_milestone_new", project),
        url("staff_milestone", project, pk=milestone.pk),
        url("staff_payment", project, pk=milestone.payment.pk),
        url("staff_report", project, pk=report.pk),
        url("staff_variation", project, pk=variation.pk),
        url("staff_withdraw", project),
        url("certifier", project),
        url("report", project, pk=report.pk),
    ):
        assert staff.get(page).status_code == 200, page
    # A confirmed partner delivers the project: it does not record reusing it (reuse is by other councils).
    assert client_for(world["partner_user"]).get(url("reuse", project)).status_code == 403


def test_the_council_list_keeps_its_query_budget(world, django_assert_max_num_queries):
    partner = client_for(world["partner_user"])
    with django_assert_max_num_queries(10):
        assert partner.get(reverse("projects:list")).status_code == 200


def test_a_bad_amount_in_a_change_is_refused_with_nothing_saved(world):
    project = accepted(world)
    payment = Payment.objects.filter(project=project).order_by("milestone__due_date").first()
    lead = client_for(world["lead_user"])
    for amount, says in (("1e9", "Enter an amount in pounds"), ("90000", "more than the award")):
        page = lead.post(
            url("variation_new", project), {"kind": "money", "reasons": "More", f"amount_{payment.pk}": amount}
        )
        assert page.status_code == 400 and says in page.content.decode(), amount
    assert not project.variations.exists()
    asked_again = lead.post(url("variation_new", project), {"kind": "nonsense"})
    assert asked_again.status_code == 400 and "Select what you want to change" in asked_again.content.decode()


def test_a_council_asks_to_move_money_between_budget_lines_and_staff_see_it(world):
    project = accepted(world)
    staff_line, supplier_line = project.budget_lines.order_by("pk")
    lead = client_for(world["lead_user"])
    page = lead.get(url("detail", project)).content.decode()
    assert 'id="budget"' in page and "Budget lines, £80,000 in all" in page and "Supplier" in page
    form = lead.get(url("variation_new", project) + "?kind=budget").content.decode()
    assert f'name="line_{staff_line.pk}"' in form and "must add up to the award, £80,000" in form
    refused = lead.post(
        url("variation_new", project),
        {"kind": "budget", "reasons": "More staff time", f"line_{staff_line.pk}": "60000"},
    )
    assert refused.status_code == 400 and "must add up to the award of £80,000.00" in refused.content.decode()
    assert not project.variations.exists()
    lead.post(
        url("variation_new", project),
        {
            "kind": "budget",
            "reasons": "More staff time",
            f"line_{staff_line.pk}": "60000",
            f"line_{supplier_line.pk}": "20000",
        },
    )
    variation = project.variations.get()
    staff_page = client_for(world["staff"]).get(url("staff_variation", project, pk=variation.pk)).content.decode()
    assert "Move money between budget lines" in staff_page and "£40,000 → £60,000" in staff_page


def test_choosing_a_kind_of_change_asks_again_with_the_reason_until_one_is_chosen(world):
    project = accepted(world)
    lead = client_for(world["lead_user"])
    chooser = url("variation_new", project)
    # Nothing is chosen in advance: the council says which kind of change it needs.
    assert "checked" not in lead.get(chooser).content.decode()
    for sent in ({}, {"choose-kind": "everything"}):
        response = lead.post(chooser, sent)
        page = response.content.decode()
        assert response.status_code == 400
        assert "govuk-error-summary" in page and "Select what you want to change" in page
        assert "<title>Error: Ask for a change" in page
    response = lead.get(chooser + "?kind=everything")
    assert response.status_code == 400 and "Select what you want to change" in response.content.decode()
    assert lead.post(chooser, {"choose-kind": "budget"})["Location"] == chooser + "?kind=budget"
    assert not project.variations.exists()


def test_a_closed_step_says_why_from_the_projects_state(world):
    """The offer and final-report pages send the council back with the reason: the step was taken, or the state
    the project is in (never "already accepted" for an offer that was withdrawn)."""
    project = world["project"]
    lead = client_for(world["lead_user"])
    page = lead.get(url("final_report", project), follow=True).content.decode()
    assert "This project is offered, so it has no final report to write" in page
    accepted(world)
    page = lead.get(url("accept", project), follow=True).content.decode()
    assert "The offer has already been accepted" in page
    services.project_withdraw(project=project, by=world["staff"], reason="Council pulled out")
    page = lead.get(url("accept", project), follow=True).content.decode()
    assert "This project is withdrawn, so its offer cannot be accepted" in page
    page = lead.get(url("final_report", project), follow=True).content.decode()
    assert "This project is withdrawn, so it has no final report to write" in page
    assert "already been accepted" not in page and "has been submitted" not in page
    milestone = project.milestones.first()
    page = lead.get(url("evidence", project, pk=milestone.pk), follow=True).content.decode()
    assert "This project is withdrawn, so evidence cannot be submitted" in page and 'name="evidence"' not in page


def test_once_delivery_ends_reports_are_not_overdue_and_the_certifier_is_fixed(world):
    """A withdrawn (or completed) project's draft reports will never be due: no "Overdue" tag on either view, no
    link to change who certifies, and the certifier page and service say why."""
    project = accepted(world)
    report = project.reports.order_by("due_date").first()
    type(report).objects.filter(pk=report.pk).update(due_date=timezone.localdate() - timedelta(days=3))
    lead, staff = client_for(world["lead_user"]), client_for(world["staff"])
    assert "Overdue" in lead.get(url("detail", project)).content.decode()
    services.project_withdraw(project=project, by=world["staff"], reason="Council pulled out")
    for client, page in ((lead, "detail"), (staff, "staff_detail")):
        html = client.get(url(page, project)).content.decode()
        assert "Overdue" not in html
        assert url("certifier", project) not in html
    refused = lead.get(url("certifier", project), follow=True).content.decode()
    assert "This project is withdrawn, so its reports no longer need a certifier" in refused
    sent = lead.post(url("certifier", project), {"user": str(world["lead_user"].pk)}, follow=True)
    assert "no longer need a certifier" in sent.content.decode()
    with pytest.raises(services.ApplicationError, match="no longer need a certifier"):
        services.certifier_appoint(project=project, by=world["staff"], user=world["lead_user"])
    assert Project.objects.get(pk=project.pk).certifier.user == world["officer"]


def test_where_less_was_awarded_than_asked_the_budget_comes_down_to_the_award(staff):
    """The budget starts as the bid's costs (£80,000); awarded £60,000.50, the page says the lines are over the
    award, and a change to the lines must bring them to the award: the budget can never stay above it."""
    funding_round = make_round(code="PB", budget="500000")
    lead = make_council("PBL", "Partshire")
    partners = [make_council("PBA", "Partown"), make_council("PBB", "Parby")]
    bid = make_scored_bid(
        funding_round=funding_round,
        bid=make_in_review_bid(funding_round=funding_round, lead=lead, partners=partners, amount="80000"),
    )
    award(bid, amount=Decimal("60000.50"), by=staff)
    publish_decisions(funding_round, by=staff)
    project = Project.objects.get(bid=bid)
    lead_user = lead.members.first()
    lead = client_for(lead_user)
    page = lead.get(url("detail", project)).content.decode()
    assert "The budget lines add up to £80,000, £19,999.50 more than the award of £60,000.50" in page
    services.offer_accept(project=project, by=lead_user, conditions_confirmed=True)
    first, second = project.budget_lines.order_by("pk")
    form = lead.get(url("variation_new", project), {"kind": "budget"}).content.decode()
    assert "must add up to the award, £60,000.50" in form and "They add up to £80,000 now" in form
    keep_total = {"kind": "budget", "reasons": "Less supplier time", f"line_{first.pk}": "30000"}
    keep_total[f"line_{second.pk}"] = "50000"
    refused = lead.post(url("variation_new", project) + "?kind=budget", keep_total)
    assert refused.status_code == 400
    assert "must add up to the award of £60,000.50; the new amounts add up to £80,000.00" in refused.content.decode()
    variation = services.variation_request(
        project=project,
        by=lead_user,
        kind=VariationKind.BUDGET,
        reasons="Less supplier time",
        changes={str(second.pk): "20000.50"},
    )
    services.variation_approve(variation=variation, by=staff)
    assert sum(project.budget_lines.values_list("amount", flat=True)) == Decimal("60000.50")
    assert "budget-over-award" not in lead.get(url("detail", project)).content.decode()


def test_a_report_saved_from_a_page_opened_before_a_colleagues_save_never_undoes_it(world):
    """Two lead members open the same draft report; the first saves every answer, the second (on the page opened
    before) saves a line of progress. Nothing of the second is saved: the page says so, shows the colleague's
    answers and keeps what was typed; a deliberate second save goes through."""
    project = accepted(world)
    report = project.reports.order_by("due_date").first()
    page_url = url("report", project, pk=report.pk)
    sam, jo = client_for(world["lead_user"]), client_for(world["officer"])
    seen = re.search(r'name="seen" value="([0-9a-f]+)"', jo.get(page_url).content.decode()).group(1)
    full = {"progress": "Sam's careful progress", "spend_to_date": "75000", "spend_planned": "80000", "rag": "amber"}
    assert sam.post(page_url, {**full, "risks": "Hosting", "action": "save", "seen": seen}).status_code == 302
    refused = jo.post(page_url, {"progress": "Jo's short note", "action": "save", "seen": seen})
    html = refused.content.decode()
    assert refused.status_code == 400
    assert "This report was saved after you opened this page (by a colleague, or by you in another tab)" in html
    assert "Sam&#x27;s careful progress" in html and "£75,000.00" in html and "Jo&#x27;s short note" in html
    report.refresh_from_db()
    assert (report.progress, report.spend_to_date, report.rag) == ("Sam's careful progress", Decimal("75000"), "amber")
    again = re.search(r'name="seen" value="([0-9a-f]+)"', html).group(1)
    assert jo.post(page_url, {**full, "progress": "Both notes", "action": "save", "seen": again}).status_code == 302
    report.refresh_from_db()
    assert report.progress == "Both notes"


def test_closing_a_project_is_asked_for_on_a_page_of_its_own(world):
    """Closing cannot be undone: the staff page links to a page saying what it means (the unpaid money is no
    longer due); before the final report it says why not, and a POST then changes nothing."""
    project = accepted(world)
    staff = client_for(world["staff"])
    early = staff.get(url("staff_close", project)).content.decode()
    assert "This project is in delivery, so it cannot be closed" in early and "Yes, close the project" not in early
    assert staff.post(url("staff_close", project)).status_code == 400
    for milestone in project.milestones.all():
        services.milestone_submit_evidence(milestone=milestone, by=world["lead_user"], evidence="Findings")
    services.output_add(project=project, by=world["lead_user"], title="Code", url="https://github.com/x/y", kind="code")
    services.final_report_update(project=project, by=world["lead_user"], lessons_learned="Start early")
    services.project_complete(project=project, by=world["lead_user"])
    assert url("staff_close", project) in staff.get(url("staff_detail", project)).content.decode()
    page = staff.get(url("staff_close", project)).content.decode()
    assert "£80,000 of the award of £80,000 has not been paid" in page and "You cannot undo this" in page
    assert Project.objects.get(pk=project.pk).state == ProjectState.COMPLETED
    assert staff.post(url("staff_close", project)).status_code == 302
    assert Project.objects.get(pk=project.pk).state == ProjectState.CLOSED


def test_a_milestone_changed_from_a_page_opened_before_a_colleagues_change_never_undoes_it(world, staff2):
    project = accepted(world)
    milestone = project.milestones.order_by("due_date").first()
    page_url = url("staff_milestone", project, pk=milestone.pk)
    first, second = client_for(world["staff"]), client_for(staff2)
    seen = re.search(r'name="seen" value="([0-9a-f]+)"', second.get(page_url).content.decode()).group(1)
    due = date_fields("due_date", milestone.due_date)
    saved = first.post(page_url, {"title": "Discovery report", "amount": "25000", **due, "seen": seen})
    assert saved.status_code == 302, re.findall(r"<li>.*?</li>", saved.content.decode(), re.S)[:5]
    refused = second.post(page_url, {"title": "Discovery done", "amount": "30000", **due, "seen": seen})
    html = refused.content.decode()
    assert refused.status_code == 400 and "This milestone was saved after you opened this page" in html
    assert "Discovery report" in html and "£25,000.00" in html
    milestone.refresh_from_db()
    assert (milestone.title, milestone.payment.amount) == ("Discovery report", Decimal("25000"))


def test_lessons_saved_from_a_page_opened_before_a_colleagues_save_never_undo_them(world):
    project = accepted(world)
    page_url = url("final_report", project)
    sam, jo = client_for(world["lead_user"]), client_for(world["officer"])
    seen = re.search(r'name="seen" value="([0-9a-f]+)"', jo.get(page_url).content.decode()).group(1)
    sams = {"action": "lessons", "lessons_learned": "Sam's lessons", "seen": seen}
    assert sam.post(page_url, sams).status_code == 302
    refused = jo.post(page_url, {"action": "lessons", "lessons_learned": "Jo's lessons", "seen": seen})
    html = refused.content.decode()
    assert refused.status_code == 400 and "The lessons learned were saved after you opened this page" in html
    assert "Sam&#x27;s lessons" in html and "Jo&#x27;s lessons" in html
    project.refresh_from_db()
    assert project.lessons_learned == "Sam's lessons"
    # Refused for another reason (no output yet) after saving: the next save is based on what was just saved.
    again = re.search(r'name="seen" value="([0-9a-f]+)"', html).group(1)
    submitted = jo.post(page_url, {"action": "submit", "lessons_learned": "Both", "seen": again})
    assert submitted.status_code == 400 and "Add at least one output" in submitted.content.decode()
    after = re.search(r'name="seen" value="([0-9a-f]+)"', submitted.content.decode()).group(1)
    assert jo.post(page_url, {"action": "lessons", "lessons_learned": "Both, again", "seen": after}).status_code == 302
