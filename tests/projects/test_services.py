"""The project services: offer, schedule, payments (two people), reports (certified, returned, accepted),
changes, closure and reuse — through the real services and database."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from core.exceptions import ApplicationError
from notifications.choices import Event
from notifications.models import Notification
from projects import services
from projects.choices import OutputKind, PaymentStatus, ProjectState, Rag, ReportState, VariationKind
from projects.models import MonitoringReport, Payment, Project
from projects.selectors import (
    delivery_summary,
    money_by_project,
    money_by_round,
    project_money,
    projects_for_user,
    public_projects,
)
from tests.factories.projects import accepted

pytestmark = pytest.mark.django_db


def events(event: str) -> list[Notification]:
    return list(Notification.objects.filter(event=event))


def complete_report(report: MonitoringReport, by) -> MonitoringReport:
    return services.report_update(
        report=report,
        by=by,
        values={
            "progress": "User research with 12 residents",
            "spend_to_date": "10000",
            "spend_planned": "12000.50",
            "rag": Rag.GREEN,
            "risks": "Supplier capacity",
            "outputs": "Research report",
            "next_steps": "Prototype",
        },
    )


def ask_to_even_the_payments(world, project, first, second):
    """The lead asks to move money between the first two payments so each is £40,000."""
    return services.variation_request(
        project=project,
        by=world["lead_user"],
        kind=VariationKind.MONEY,
        reasons="More research",
        changes={str(first.pk): "40000", str(second.pk): "40000"},
    )


def test_publishing_a_round_makes_one_project_with_an_offer_per_award(world):
    project = world["project"]
    assert project.state == ProjectState.OFFERED
    assert project.reference == world["bid"].reference
    assert project.award_amount == Decimal("80000")
    assert project.offer_conditions == "Show and tell every quarter"
    assert [row.transition for row in project.history.all()] == ["offer"]
    offers = events(Event.OFFER_MADE)
    assert [n.recipient_id for n in offers] == [world["lead_user"].pk]  # (the officer joined later)
    # Running the creation again (the command) makes nothing new.
    assert services.projects_create_for_round(funding_round=world["round"]) == []
    assert Project.objects.count() == 1


def test_only_a_lead_member_accepts_the_offer_and_must_confirm_the_conditions(world):
    project = world["project"]
    with pytest.raises(ApplicationError, match="Confirm"):
        services.offer_accept(project=project, by=world["lead_user"], conditions_confirmed=False)
    with pytest.raises(ApplicationError, match="permission"):
        services.offer_accept(project=project, by=world["partner_user"], conditions_confirmed=True)
    project = services.offer_accept(project=project, by=world["lead_user"], conditions_confirmed=True)
    assert project.state == ProjectState.IN_DELIVERY
    assert project.accepted_by == world["lead_user"]
    assert project.accepted_at is not None
    assert [n.recipient_id for n in events(Event.OFFER_ACCEPTED)] == [world["staff"].pk]
    with pytest.raises(ApplicationError, match="in delivery, so it cannot be accepted"):
        services.offer_accept(project=project, by=world["lead_user"], conditions_confirmed=True)


def test_payments_never_add_up_to_more_than_the_award(world):
    project = accepted(world)
    with pytest.raises(ApplicationError) as refused:
        services.milestone_add(
            project=project,
            by=world["staff"],
            title="Extra",
            due_date=timezone.localdate() + timedelta(days=120),
            amount="0.01",
        )
    assert "£80,000.01, which is £0.01 more than the award of £80,000.00" in refused.value.message
    assert refused.value.problems[0].field == "amount"
    assert project.milestones.count() == 2


def test_the_report_schedule_is_monthly_and_at_each_milestone(world):
    project = accepted(world)
    reports = list(project.reports.all())
    milestone_dates = set(project.milestones.values_list("due_date", flat=True))
    assert milestone_dates <= {r.due_date for r in reports}
    # 100 days: three monthly reports and two at the milestones.
    assert len(reports) == 5
    assert all(r.state == ReportState.DRAFT for r in reports)


def test_a_payment_needs_evidence_and_two_different_staff(world, staff2):
    project = accepted(world)
    payment = Payment.objects.filter(project=project).order_by("milestone__due_date").first()
    with pytest.raises(ApplicationError, match="not submitted evidence"):
        services.payment_propose(payment=payment, by=world["staff"])
    services.milestone_submit_evidence(milestone=payment.milestone, by=world["lead_user"], evidence="Report link")
    payment = services.payment_propose(payment=payment, by=world["staff"])
    assert [n.recipient_id for n in events(Event.PAYMENT_PROPOSED)] == [staff2.pk]
    with pytest.raises(ApplicationError, match="another member of the programme team"):
        services.payment_approve(payment=payment, by=world["staff"])
    payment = services.payment_approve(payment=payment, by=staff2)
    assert payment.status == PaymentStatus.APPROVED
    assert payment.paid_on == timezone.localdate()
    assert len(events(Event.PAYMENT_APPROVED)) == world["lead"].members.count()
    money = money_by_project()[0][1]
    assert (money.awarded, money.paid, money.due) == (Decimal("80000"), Decimal("30000"), Decimal("50000"))
    assert money_by_round()[0]["paid"] == Decimal("30000")


def test_the_database_refuses_one_person_proposing_and_approving(world):
    project = accepted(world)
    payment = Payment.objects.filter(project=project).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.filter(pk=payment.pk).update(
            status=PaymentStatus.APPROVED, proposed_by=world["staff"], approved_by=world["staff"]
        )


def test_a_report_is_certified_returned_certified_again_and_accepted(world):
    project = accepted(world)
    report = project.reports.order_by("due_date").first()
    with pytest.raises(ApplicationError) as refused:
        services.report_submit(report=report, by=world["lead_user"])
    assert {p.field for p in refused.value.problems} >= {"progress", "rag"}
    report = complete_report(report, world["lead_user"])
    with pytest.raises(ApplicationError, match="permission"):
        services.report_submit(report=report, by=world["partner_user"])
    report = services.report_submit(report=report, by=world["lead_user"])
    assert report.state == ReportState.SUBMITTED
    assert [n.recipient_id for n in events(Event.REPORT_SUBMITTED)] == [world["officer"].pk]
    with pytest.raises(ApplicationError, match="permission"):
        services.report_certify(report=report, by=world["lead_user"])
    with pytest.raises(ApplicationError, match="cannot be accepted"):
        services.report_accept(report=report, by=world["staff"])
    report = services.report_certify(report=report, by=world["officer"])
    assert [n.recipient_id for n in events(Event.REPORT_CERTIFIED)] == [world["staff"].pk]
    with pytest.raises(ApplicationError, match="Enter what the council needs"):
        services.report_return(report=report, by=world["staff"], message="  ")
    report = services.report_return(report=report, by=world["staff"], message="Explain the underspend")
    assert report.state == ReportState.DRAFT
    assert report.returned_message == "Explain the underspend"
    assert len(events(Event.REPORT_RETURNED)) == world["lead"].members.count()
    report = services.report_submit(report=report, by=world["lead_user"])
    report = services.report_certify(report=report, by=world["officer"])
    report = services.report_accept(report=report, by=world["staff"])
    assert report.state == ReportState.ACCEPTED
    assert [r.transition for r in report.history.all()] == [
        "submit",
        "certify",
        "return_to_draft",
        "submit",
        "certify",
        "accept",
    ]
    # A second submission of the same report is a second message to the certifier.
    assert len(events(Event.REPORT_SUBMITTED)) == 2


def test_a_report_needs_a_certifier_before_it_can_be_submitted(world):
    project = services.offer_accept(project=world["project"], by=world["lead_user"], conditions_confirmed=True)
    services.milestone_add(
        project=project, by=world["staff"], title="M1", due_date=timezone.localdate() + timedelta(days=10), amount="1"
    )
    report = complete_report(project.reports.first(), world["lead_user"])
    with pytest.raises(ApplicationError, match="Choose who certifies"):
        services.report_submit(report=report, by=world["lead_user"])


def test_the_certifier_must_be_a_lead_member(world):
    with pytest.raises(ApplicationError, match="must be a member of"):
        services.certifier_appoint(project=world["project"], by=world["staff"], user=world["partner_user"])


def test_an_approved_change_of_dates_moves_milestones_and_reports(world):
    project = accepted(world)
    milestone = project.milestones.order_by("due_date").first()
    new_date = milestone.due_date + timedelta(days=14)
    variation = services.variation_request(
        project=project,
        by=world["lead_user"],
        kind=VariationKind.DATES,
        reasons="Supplier started late",
        changes={str(milestone.pk): new_date},
    )
    assert [n.recipient_id for n in events(Event.VARIATION_REQUESTED)] == [world["staff"].pk]
    services.variation_approve(variation=variation, by=world["staff"])
    milestone.refresh_from_db()
    assert milestone.due_date == new_date
    assert project.reports.filter(due_date=new_date).exists()
    assert len(events(Event.VARIATION_DECIDED)) == world["lead"].members.count()
    with pytest.raises(ApplicationError, match="approved already"):
        services.variation_decline(variation=variation, by=world["staff"], reason="No")


def test_moving_money_keeps_within_the_award(world):
    project = accepted(world)
    first, second = Payment.objects.filter(project=project).order_by("milestone__due_date")
    with pytest.raises(ApplicationError, match="more than the award"):
        services.variation_request(
            project=project,
            by=world["lead_user"],
            kind=VariationKind.MONEY,
            reasons="More research",
            changes={str(first.pk): "50000"},
        )
    variation = ask_to_even_the_payments(world, project, first, second)
    services.variation_approve(variation=variation, by=world["staff"])
    assert sorted(Payment.objects.filter(project=project).values_list("amount", flat=True)) == [
        Decimal("40000"),
        Decimal("40000"),
    ]


def test_the_budget_starts_as_the_bids_cost_lines_and_moves_only_by_an_approved_change(world):
    project = accepted(world)
    bid_lines = [(line.payer, line.description, line.amount) for line in world["bid"].cost_lines.order_by("pk")]
    staff_line, supplier_line = project.budget_lines.order_by("pk")
    assert [(line.payer, line.description, line.amount) for line in (staff_line, supplier_line)] == bid_lines
    for changes, says in (
        ({str(staff_line.pk): "50000"}, "must add up to the award of £80,000.00; the new amounts add up to £90,000.00"),
        ({str(staff_line.pk): "40000"}, "Enter at least one new amount"),
        ({"999999": "1"}, "One of the budget lines named is not this project's"),
        ({str(staff_line.pk): "1e9"}, "Enter an amount in pounds"),
    ):
        with pytest.raises(ApplicationError, match=says):
            services.variation_request(
                project=project, by=world["lead_user"], kind=VariationKind.BUDGET, reasons="More", changes=changes
            )
    variation = services.variation_request(
        project=project,
        by=world["lead_user"],
        kind=VariationKind.BUDGET,
        reasons="More of our own staff time, less supplier time",
        changes={str(staff_line.pk): "55000", str(supplier_line.pk): "25000.00"},
    )
    assert variation.changes == {str(staff_line.pk): "55000.00", str(supplier_line.pk): "25000.00"}
    assert project.budget_lines.get(pk=staff_line.pk).amount == Decimal("40000")  # not until approved
    services.variation_approve(variation=variation, by=world["staff"])
    assert list(project.budget_lines.order_by("pk").values_list("amount", flat=True)) == [
        Decimal("55000"),
        Decimal("25000"),
    ]
    assert [(line.description, line.amount) for line in world["bid"].cost_lines.order_by("pk")] == [
        (description, amount) for _payer, description, amount in bid_lines
    ]  # the bid stays as it was assessed


def test_a_declined_change_changes_nothing_and_needs_a_reason(world):
    project = accepted(world)
    variation = services.variation_request(
        project=project,
        by=world["lead_user"],
        kind=VariationKind.SCOPE,
        reasons="Focus",
        changes={"scope": "Only repairs"},
    )
    with pytest.raises(ApplicationError, match="Enter why"):
        services.variation_decline(variation=variation, by=world["staff"], reason="")
    variation = services.variation_decline(variation=variation, by=world["staff"], reason="Out of scope")
    assert variation.status == "declined"


def test_a_payment_proposed_before_the_final_report_is_paid_after_it_and_the_project_then_closes(world, staff2, client):
    """The last payment often follows the final report. A payment proposed before the project was completed is
    approved after it (the project could otherwise never be paid or closed), on a day not before its proposal."""
    project = accepted(world)
    payment = Payment.objects.filter(project=project).order_by("milestone__due_date").first()
    services.milestone_submit_evidence(milestone=payment.milestone, by=world["lead_user"], evidence="Report link")
    payment = services.payment_propose(payment=payment, by=world["staff"])
    # Its evidence is fixed now: the council's evidence page says so rather than offer a form that is refused.
    client.force_login(world["lead_user"])
    evidence = reverse("projects:evidence", args=[project.reference, payment.milestone.pk])
    page = client.get(evidence, follow=True).content.decode()
    assert "is under way, so its evidence is fixed" in page and 'name="evidence"' not in page
    services.output_add(
        project=project, by=world["lead_user"], title="Code", url="https://github.com/x/y", kind=OutputKind.CODE
    )
    services.final_report_update(project=project, by=world["lead_user"], lessons_learned="Start research early")
    last = project.milestones.order_by("due_date").last()
    services.milestone_submit_evidence(milestone=last, by=world["lead_user"], evidence="Alpha report link")
    project = services.project_complete(project=project, by=world["lead_user"])
    with pytest.raises(ApplicationError, match="A payment is waiting for approval"):
        services.project_close(project=project, by=world["staff"])

    client.force_login(staff2)
    detail = client.get(reverse("projects:staff_detail", args=[project.reference])).content.decode()
    assert reverse("projects:staff_payment", args=[project.reference, payment.pk]) in detail
    page = client.get(reverse("projects:staff_payment", args=[project.reference, payment.pk])).content.decode()
    assert 'value="approve"' in page
    page = client.get(reverse("projects:staff_withdraw", args=[project.reference])).content.decode()
    assert "This project is completed, so it cannot be withdrawn." in page and "<form" not in page.split("<main")[1]
    client.force_login(world["staff"])  # who proposed it is told so, not offered the form
    page = client.get(reverse("projects:staff_payment", args=[project.reference, payment.pk])).content.decode()
    assert "You proposed this payment" in page and 'value="approve"' not in page

    before = timezone.localdate(payment.proposed_at) - timedelta(days=1)
    with pytest.raises(ApplicationError, match="cannot be before it was proposed"):
        services.payment_approve(payment=payment, by=staff2, paid_on=before)
    payment = services.payment_approve(payment=payment, by=staff2, paid_on=timezone.localdate())
    assert payment.status == PaymentStatus.APPROVED
    assert services.project_close(project=project, by=world["staff"]).state == ProjectState.CLOSED


def test_closure_with_outputs_and_reuse_by_another_council(world, staff2):
    project = accepted(world)
    with pytest.raises(ApplicationError, match="Add at least one output"):
        services.project_complete(project=project, by=world["lead_user"])
    with pytest.raises(ApplicationError, match="https"):
        services.output_add(project=project, by=world["lead_user"], title="Code", url="ftp://x", kind=OutputKind.CODE)
    # Published for every council to reuse: https, and an address others can reach.
    for url, message in (
        ("http://github.com/x/y", "starting https://"),
        ("https://localhost/x", "not a local or private address"),
        ("https://192.168.1.10/x", "not a local or private address"),
        ("https://intranet/x", "public web page"),
    ):
        with pytest.raises(ApplicationError, match=message):
            services.output_add(project=project, by=world["lead_user"], title="Code", url=url, kind=OutputKind.CODE)
    services.output_add(
        project=project, by=world["lead_user"], title="Code", url="https://github.com/x/y", kind=OutputKind.CODE
    )
    services.final_report_update(project=project, by=world["lead_user"], lessons_learned="Start user research early")
    # Not before the work is done: evidence for every milestone first.
    message = "Send the evidence for every milestone before the final report: ‘Discovery done’, ‘Alpha done’ have"
    with pytest.raises(ApplicationError, match=message):
        services.project_complete(project=project, by=world["lead_user"])
    for milestone in project.milestones.order_by("due_date"):
        services.milestone_submit_evidence(milestone=milestone, by=world["lead_user"], evidence="Findings link")
    project = services.project_complete(project=project, by=world["lead_user"])
    assert project.state == ProjectState.COMPLETED
    project = services.project_close(project=project, by=world["staff"])
    assert project.state == ProjectState.CLOSED
    # Nothing more is paid on a closed project, so none of its £80,000 unpaid is still due anywhere.
    assert money_by_project()[0][1].due == project_money(project=project).due == Decimal("0")
    assert money_by_round()[0]["due"] == delivery_summary()["due"] == Decimal("0")
    with pytest.raises(ApplicationError, match="permission"):
        services.reuse_record(project=project, by=world["lead_user"], council=world["lead"], note="Ours")
    # A confirmed partner delivers the project too: its own "reuse" would inflate the fund's measure.
    partner = world["partner_user"].memberships.get().council
    assert partner.is_signatory
    with pytest.raises(ApplicationError, match="permission"):
        services.reuse_record(project=project, by=world["partner_user"], council=partner, note="Ours too")
    services.reuse_record(project=project, by=world["other_user"], council=world["other"], note="We use the code")
    with pytest.raises(ApplicationError, match="already"):
        services.reuse_record(project=project, by=world["other_user"], council=world["other"], note="Again")
    public = public_projects().get(pk=project.pk)
    assert [r.council for r in public.reuses.all()] == [world["other"]]
    assert [t.transition for t in project.history.all()] == ["offer", "accept_offer", "complete", "close"]


def test_a_project_without_milestones_cannot_be_completed(world):
    project = services.offer_accept(project=world["project"], by=world["lead_user"], conditions_confirmed=True)
    services.output_add(
        project=project, by=world["lead_user"], title="Code", url="https://github.com/x/y", kind=OutputKind.CODE
    )
    services.final_report_update(project=project, by=world["lead_user"], lessons_learned="Start early")
    with pytest.raises(ApplicationError, match="has not set this project’s milestones yet"):
        services.project_complete(project=project, by=world["lead_user"])
    assert Project.objects.get(pk=project.pk).state == ProjectState.IN_DELIVERY


def test_staff_withdraw_with_a_reason(world):
    with pytest.raises(ApplicationError, match="Enter why"):
        services.project_withdraw(project=world["project"], by=world["staff"], reason="")
    with pytest.raises(ApplicationError, match="permission"):
        services.project_withdraw(project=world["project"], by=world["lead_user"], reason="No")
    project = services.project_withdraw(project=world["project"], by=world["staff"], reason="Council pulled out")
    assert project.state == ProjectState.WITHDRAWN
    assert project.withdrawn_reason == "Council pulled out"
    assert money_by_project()[0][1].due == Decimal("0")


def test_once_a_project_is_withdrawn_nothing_waiting_on_it_moves_on(world, staff2, client):
    """What was in flight when staff withdrew the project (a proposed payment, a submitted and a certified report, a
    requested change) is refused with the reason, says so on the staff pages, and tells no one anything."""
    project = accepted(world)
    payment = Payment.objects.filter(project=project).order_by("milestone__due_date").first()
    services.milestone_submit_evidence(milestone=payment.milestone, by=world["lead_user"], evidence="Report link")
    payment = services.payment_propose(payment=payment, by=world["staff"])
    first, second = project.reports.order_by("due_date")[:2]
    submitted = services.report_submit(report=complete_report(first, world["lead_user"]), by=world["lead_user"])
    certified = services.report_submit(report=complete_report(second, world["lead_user"]), by=world["lead_user"])
    certified = services.report_certify(report=certified, by=world["officer"])
    milestone = project.milestones.order_by("due_date").last()
    variation = services.variation_request(
        project=project,
        by=world["lead_user"],
        kind=VariationKind.DATES,
        reasons="Supplier started late",
        changes={str(milestone.pk): milestone.due_date + timedelta(days=14)},
    )
    services.project_withdraw(project=project, by=world["staff"], reason="Council pulled out")
    sent = Notification.objects.count()

    with pytest.raises(ApplicationError, match="This project is withdrawn, so nothing can be paid"):
        services.payment_approve(payment=payment, by=staff2)
    with pytest.raises(ApplicationError, match="reports are closed"):
        services.report_certify(report=submitted, by=world["officer"])
    with pytest.raises(ApplicationError, match="reports are closed"):
        services.report_accept(report=certified, by=world["staff"])
    with pytest.raises(ApplicationError, match="This project is withdrawn, so the change cannot be made"):
        services.variation_approve(variation=variation, by=world["staff"])

    payment.refresh_from_db()
    submitted.refresh_from_db()
    certified.refresh_from_db()
    milestone.refresh_from_db()
    assert (payment.status, payment.paid_on) == (PaymentStatus.PROPOSED, None)
    assert (submitted.state, certified.state) == (ReportState.SUBMITTED, ReportState.CERTIFIED)
    assert milestone.due_date != variation.changes[str(milestone.pk)]
    assert Notification.objects.count() == sent
    # A requested change can still be declined, so it does not wait for ever.
    services.variation_decline(variation=variation, by=world["staff"], reason="The project is withdrawn")

    client.force_login(staff2)
    detail = client.get(reverse("projects:staff_detail", args=[project.reference])).content.decode()
    assert reverse("projects:staff_payment", args=[project.reference, payment.pk]) not in detail
    page = client.get(reverse("projects:staff_payment", args=[project.reference, payment.pk])).content.decode()
    assert "This project is withdrawn, so nothing can be paid." in page and 'value="approve"' not in page
    page = client.get(reverse("projects:staff_report", args=[project.reference, certified.pk])).content.decode()
    assert "This project is withdrawn, so its reports are closed." in page and 'value="accept"' not in page
    client.force_login(world["officer"])
    page = client.get(reverse("projects:report", args=[project.reference, submitted.pk])).content.decode()
    assert "This project is withdrawn, so its reports are closed" in page and "Certify the report</button>" not in page


def test_who_sees_which_projects(world):
    project = world["project"]
    assert list(projects_for_user(world["lead_user"])) == [project]
    assert list(projects_for_user(world["partner_user"])) == [project]
    assert list(projects_for_user(world["other_user"])) == []
    assert list(projects_for_user(world["staff"])) == [project]


def test_a_stale_report_transition_is_refused_clearly(world):
    project = accepted(world)
    report = complete_report(project.reports.first(), world["lead_user"])
    stale = MonitoringReport.objects.get(pk=report.pk)
    services.report_submit(report=report, by=world["lead_user"])
    with pytest.raises(ApplicationError, match=r"awaiting certification, so it cannot be submitted"):
        services.report_submit(report=stale, by=world["lead_user"])


def test_the_command_makes_projects_for_rounds_published_before_projects_existed(world):
    from io import StringIO

    from django.core.management import call_command

    Project.objects.all().delete()
    out = StringIO()
    call_command("create_projects", stdout=out)
    assert "1 project(s) made" in out.getvalue()
    call_command("create_projects", stdout=out)
    assert Project.objects.get().bid == world["bid"]


def test_a_report_may_say_nothing_was_spent_yet_but_not_a_negative_spend(world):
    project = accepted(world)
    report = project.reports.first()
    report = services.report_update(report=report, by=world["lead_user"], values={"spend_to_date": "£0"})
    assert report.spend_to_date == Decimal("0.00")
    with pytest.raises(ApplicationError, match="Enter £0 or more"):
        services.report_update(report=report, by=world["lead_user"], values={"spend_to_date": "-5"})


def test_the_certifier_never_certifies_a_report_they_submitted(world, client):
    project = accepted(world)
    report = complete_report(project.reports.order_by("due_date").first(), world["officer"])
    report = services.report_submit(report=report, by=world["officer"])
    with pytest.raises(ApplicationError, match="You submitted this report, so someone else must certify it"):
        services.report_certify(report=report, by=world["officer"])
    report.refresh_from_db()
    assert report.state == ReportState.SUBMITTED and not report.history.filter(transition="certify").exists()
    # The page says so instead of offering a button that would be refused.
    client.force_login(world["officer"])
    page = client.get(reverse("projects:report", args=[project.reference, report.pk])).content.decode()
    assert 'id="certify-refusal"' in page and "Certify the report</button>" not in page


def test_dates_people_type_for_a_project_are_ones_that_can_be(world, staff2):
    """A milestone falls between the offer and five years after it (not in 1900), and a payment is recorded as
    paid on a day that has come (not in 2099)."""
    project = accepted(world)
    offered = timezone.localdate(project.offered_at)
    for due in (date(1900, 1, 1), offered - timedelta(days=1), offered.replace(year=offered.year + 6)):
        with pytest.raises(ApplicationError, match="A milestone must be due between the offer"):
            services.milestone_add(project=project, by=world["staff"], title="Late", due_date=due, amount="1")
    milestone = project.milestones.order_by("due_date").first()
    with pytest.raises(ApplicationError, match="A milestone must be due between the offer"):
        services.milestone_change(
            milestone=milestone, by=world["staff"], title=milestone.title, due_date=date(1900, 1, 1), amount="1"
        )
    with pytest.raises(ApplicationError, match="A milestone must be due between the offer"):
        services.variation_request(
            project=project,
            by=world["lead_user"],
            kind=VariationKind.DATES,
            reasons="Much later",
            changes={str(milestone.pk): date(2099, 1, 1)},
        )
    payment = Payment.objects.filter(project=project).order_by("milestone__due_date").first()
    services.milestone_submit_evidence(milestone=payment.milestone, by=world["lead_user"], evidence="Report link")
    payment = services.payment_propose(payment=payment, by=world["staff"])
    with pytest.raises(ApplicationError, match="The day it is paid cannot be in the future"):
        services.payment_approve(payment=payment, by=staff2, paid_on=date(2099, 1, 1))
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PROPOSED


def test_a_change_the_schedule_has_overtaken_is_refused_as_such_and_can_be_declined(world):
    """Asked for while a payment was scheduled; by the time staff decide, the payment has been proposed."""
    project = accepted(world)
    first, second = Payment.objects.filter(project=project).order_by("milestone__due_date")
    variation = ask_to_even_the_payments(world, project, first, second)
    services.milestone_submit_evidence(milestone=first.milestone, by=world["lead_user"], evidence="Report link")
    services.payment_propose(payment=first, by=world["staff"])
    with pytest.raises(ApplicationError, match="The schedule has changed since this was asked for") as refused:
        services.variation_approve(variation=variation, by=world["staff"])
    assert "Decline it, and the council can ask again" in refused.value.message
    assert Payment.objects.get(pk=first.pk).amount != Decimal("40000")
    services.variation_decline(variation=variation, by=world["staff"], reason="The payment is already proposed")


def test_a_milestone_with_its_evidence_in_keeps_its_date(world):
    """A met milestone's date is history: neither a change asked for by the council nor staff may move it (a paid
    milestone had been moved a month later, leaving its old report behind and a new one due)."""
    project = accepted(world)
    met, later = project.milestones.order_by("due_date")
    services.milestone_submit_evidence(milestone=met, by=world["lead_user"], evidence="Findings link")
    with pytest.raises(ApplicationError, match="‘Discovery done’ has its evidence in, so its date is fixed"):
        services.variation_request(
            project=project,
            by=world["lead_user"],
            kind=VariationKind.DATES,
            reasons="Late",
            changes={str(met.pk): met.due_date + timedelta(days=30)},
        )
    with pytest.raises(ApplicationError, match="has its evidence in, so its date is fixed"):
        services.milestone_change(
            milestone=met,
            by=world["staff"],
            title=met.title,
            due_date=met.due_date + timedelta(days=30),
            amount="30000",
        )
    renamed = services.milestone_change(
        milestone=met, by=world["staff"], title="Discovery findings", due_date=met.due_date, amount="30000"
    )
    assert renamed.title == "Discovery findings"
    variation = services.variation_request(
        project=project,
        by=world["lead_user"],
        kind=VariationKind.DATES,
        reasons="Late",
        changes={str(later.pk): later.due_date + timedelta(days=7)},
    )
    assert list(variation.changes) == [str(later.pk)]
